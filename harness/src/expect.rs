//! Comparing what a step produced with what its `expect` says.
//!
//! Wire fields (`status`, `code`, `effect`, `decided_by`, `principal`) are read from the
//! emulator's log entry of the step's last request, or of the last request of the
//! operation `request` names. Messages are never compared; request ids, dates and
//! tokens are never part of an expectation.

use emulator::log::LogEntry;
use serde::Serialize;

use crate::run::Outcome;
use crate::scenario::Expect;

/// One field that did not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The field (`ok`, `code`, `decided_by`, `objects.count`, …).
    pub field: String,
    /// What the scenario expected.
    pub expected: String,
    /// What happened.
    pub actual: String,
}

impl Mismatch {
    /// A mismatch of `field`.
    pub fn new(field: impl Into<String>, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            expected: expected.into(),
            actual: actual.into(),
        }
    }
}

/// The log entry the wire fields are read from.
pub fn checked_entry<'a>(expect: &Expect, outcome: &'a Outcome) -> Option<&'a LogEntry> {
    match &expect.request {
        Some(op) => outcome
            .entries
            .iter()
            .rev()
            .find(|e| e.operation.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(op))),
        None => outcome.entries.last(),
    }
}

/// `allow`, `explicit-deny`, `implicit-deny`, or `none`.
pub fn effect_of(entry: &LogEntry) -> String {
    entry
        .decision
        .as_ref()
        .map_or_else(|| "none".to_string(), |d| d.effect.as_str().to_string())
}

/// The decided-by statements, sorted.
pub fn decided_by_of(entry: &LogEntry) -> Vec<String> {
    let mut v: Vec<String> = entry
        .decision
        .as_ref()
        .map(|d| d.decided_by.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn list(v: &[String]) -> String {
    format!("[{}]", v.join(", "))
}

/// Every field of `expect` that `outcome` does not satisfy.
pub fn check(expect: &Expect, outcome: &Outcome) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let wire_given = expect.status.is_some()
        || expect.code.is_some()
        || expect.effect.is_some()
        || expect.decided_by.is_some()
        || expect.notes.is_some()
        || expect.principal.is_some();
    // `ok` is implied: nothing said means success; an error code or a diagnosis without
    // `request` means the step failed.
    let implied_ok = match expect.ok {
        Some(ok) => Some(ok),
        None if expect.error.is_some() => Some(false),
        None if expect.request.is_some() => None,
        None if expect.code.as_deref().is_some_and(|c| !c.is_empty()) => Some(false),
        None if expect.status.is_some_and(|s| s >= 300) => Some(false),
        None if wire_given => None,
        None => Some(true),
    };
    if let Some(ok) = implied_ok {
        if ok != outcome.ok {
            let actual = match (&outcome.ok, &outcome.detail) {
                (true, _) => "ok".to_string(),
                (false, Some(d)) => format!("failed: {d}"),
                (false, None) => "failed".to_string(),
            };
            out.push(Mismatch::new("ok", if ok { "ok" } else { "failed" }, actual));
        }
    }
    if let Some(kind) = &expect.error {
        let actual = outcome.error_kind.clone().unwrap_or_else(|| "<none>".to_string());
        if &actual != kind {
            out.push(Mismatch::new("error", kind.clone(), actual));
        }
    }
    if let Some(want) = &expect.warnings {
        let mut want = want.clone();
        want.sort();
        let mut got = outcome.warnings.clone();
        got.sort();
        if want != got {
            out.push(Mismatch::new("warnings", list(&want), list(&got)));
        }
    }
    if let Some(want) = &expect.findings {
        let mut want = want.clone();
        want.sort();
        let mut got = outcome.findings.clone();
        got.sort();
        if want != got {
            out.push(Mismatch::new("findings", list(&want), list(&got)));
        }
    }
    if let Some(n) = expect.requests {
        if n != outcome.entries.len() {
            out.push(Mismatch::new(
                "requests",
                n.to_string(),
                outcome.entries.len().to_string(),
            ));
        }
    }
    if !wire_given {
        return out;
    }
    let Some(entry) = checked_entry(expect, outcome) else {
        let what = expect
            .request
            .as_ref()
            .map_or_else(|| "a request".to_string(), |r| format!("a `{r}` request"));
        out.push(Mismatch::new("request", what, "no request reached the emulator"));
        return out;
    };
    if let Some(status) = expect.status {
        if status != entry.status {
            out.push(Mismatch::new(
                "status",
                status.to_string(),
                entry.status.to_string(),
            ));
        }
    }
    if let Some(code) = &expect.code {
        let actual = entry.code.clone().unwrap_or_default();
        if &actual != code {
            let shown = if actual.is_empty() {
                "<none>".to_string()
            } else {
                actual
            };
            out.push(Mismatch::new("code", code.clone(), shown));
        }
    }
    if let Some(effect) = &expect.effect {
        let actual = effect_of(entry);
        if &actual != effect {
            out.push(Mismatch::new("effect", effect.clone(), actual));
        }
    }
    if let Some(want) = &expect.decided_by {
        let mut want = want.clone();
        want.sort();
        let got = decided_by_of(entry);
        if want != got {
            out.push(Mismatch::new("decided_by", list(&want), list(&got)));
        }
    }
    if let Some(want) = &expect.notes {
        let mut notes: Vec<String> = entry
            .decision
            .as_ref()
            .map(|d| d.notes.clone())
            .unwrap_or_default();
        notes.extend(entry.note.clone());
        for w in want {
            if !notes.iter().any(|n| n.contains(w.as_str())) {
                out.push(Mismatch::new("notes", w.clone(), list(&notes)));
            }
        }
    }
    if let Some(p) = &expect.principal {
        let actual = entry.principal.clone().unwrap_or_else(|| "<none>".to_string());
        if &actual != p {
            out.push(Mismatch::new("principal", p.clone(), actual));
        }
    }
    out
}

/// Replace the volatile parts of a message (AWS request ids, the emulator's port)
/// with placeholders, so reports compare across runs.
pub fn mask(text: &str) -> String {
    mask_port(&mask_request_ids(text))
}

fn mask_port(text: &str) -> String {
    const HOST: &str = "127.0.0.1:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(HOST) {
        let (head, tail) = rest.split_at(i + HOST.len());
        out.push_str(head);
        let end = tail.find(|c: char| !c.is_ascii_digit()).unwrap_or(tail.len());
        if end > 0 {
            out.push_str("<port>");
        }
        rest = tail.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn mask_request_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("request id ") {
        let (head, tail) = rest.split_at(i + "request id ".len());
        out.push_str(head);
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(tail.len());
        out.push_str("<masked>");
        rest = tail.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use emulator::iam::{Decision, Effect, PolicyType, StatementRef};
    use emulator::log::LogEntry;

    use super::*;

    fn entry(op: &str, status: u16, code: Option<&str>, decision: Option<Decision>) -> LogEntry {
        LogEntry {
            trail: None,
            seq: 1,
            request_id: "X".into(),
            time: time::OffsetDateTime::UNIX_EPOCH,
            method: "PUT".into(),
            uri: "/b/k".into(),
            service: emulator::route::ServiceKind::S3,
            operation: Some(op.into()),
            bucket: None,
            key: None,
            principal: Some("arn:aws:iam::222222222222:user/u".into()),
            access_key_id: None,
            status,
            code: code.map(str::to_string),
            message: None,
            decision: decision.map(Arc::new),
            note: None,
            faults: Vec::new(),
        }
    }

    fn deny(sid: &str) -> Decision {
        Decision {
            effect: Effect::ExplicitDeny,
            decided_by: vec![StatementRef {
                policy: "bucket:b".into(),
                policy_type: PolicyType::ResourceBased,
                sid: Some(sid.into()),
                index: 0,
            }],
            denied_by: Some(PolicyType::ResourceBased),
            closest: Vec::new(),
            action: "s3:PutObject".into(),
            resource: "arn:aws:s3:::b/k".into(),
            principal: "arn:aws:iam::222222222222:user/u".into(),
            notes: Vec::new(),
        }
    }

    fn outcome(ok: bool, entries: Vec<LogEntry>) -> Outcome {
        Outcome {
            ok,
            entries,
            ..Outcome::default()
        }
    }

    #[test]
    fn nothing_expected_means_success() {
        assert!(check(&Expect::default(), &outcome(true, vec![])).is_empty());
        let m = check(&Expect::default(), &outcome(false, vec![]));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].field, "ok");
    }

    #[test]
    fn a_code_implies_failure_and_is_read_from_the_log() {
        let e = Expect {
            code: Some("AccessDenied".into()),
            effect: Some("explicit-deny".into()),
            decided_by: Some(vec!["bucket:b#DenyAll".into()]),
            ..Expect::default()
        };
        let o = outcome(
            false,
            vec![entry(
                "PutObject",
                403,
                Some("AccessDenied"),
                Some(deny("DenyAll")),
            )],
        );
        assert!(check(&e, &o).is_empty());
        let o = outcome(
            false,
            vec![entry("PutObject", 403, Some("AccessDenied"), Some(deny("Other")))],
        );
        let m = check(&e, &o);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].field, "decided_by");
        assert_eq!(m[0].actual, "[bucket:b#Other]");
    }

    #[test]
    fn request_selects_the_operation_and_implies_nothing_about_ok() {
        let e = Expect {
            request: Some("PutObject".into()),
            status: Some(200),
            ..Expect::default()
        };
        let o = outcome(
            false,
            vec![
                entry("PutObject", 200, None, None),
                entry("DeleteObject", 403, Some("AccessDenied"), None),
            ],
        );
        assert!(check(&e, &o).is_empty());
        assert_eq!(effect_of(&o.entries[0]), "none");
    }

    #[test]
    fn a_missing_request_is_reported() {
        let e = Expect {
            status: Some(403),
            ..Expect::default()
        };
        let m = check(&e, &outcome(false, vec![]));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].field, "request");
    }

    #[test]
    fn request_ids_are_masked() {
        assert_eq!(
            mask("AWS answered 403 (request id TV9E7NEXFY2JKCYC). And request id 3c43d67d-0ce1"),
            "AWS answered 403 (request id <masked>). And request id <masked>"
        );
        assert_eq!(mask("host:127.0.0.1:40213\nx"), "host:127.0.0.1:<port>\nx");
    }
}
