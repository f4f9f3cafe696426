//! Render a [`Decision`] for people (text) and for tools (JSON), in the spirit of
//! the IAM policy simulator's `EvalDecision`, `MatchedStatements` and
//! `MissingContextValues`.

use std::fmt::Write as _;

use super::decision::{Decision, Effect, Miss};

fn list(values: &[String]) -> String {
    if values.is_empty() {
        return "(absent)".to_owned();
    }
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    quoted.join(", ")
}

/// One line per miss, e.g. "condition `StringEquals` `sts:ExternalId`: expected
/// `x`, got (absent)".
pub fn describe_miss(m: &Miss) -> String {
    match m {
        Miss::Action { requested } => format!("action `{requested}` is not covered"),
        Miss::Resource { requested } => format!("resource `{requested}` is not covered"),
        Miss::Principal { caller } => format!("principal `{caller}` is not named"),
        Miss::Condition {
            operator,
            key,
            actual,
            expected,
            reading,
        } => {
            let mut line = format!(
                "condition `{operator}` `{key}`: expected {}, got {}",
                list(expected),
                list(actual)
            );
            if let Some(r) = reading {
                line.push_str(" — ");
                line.push_str(r);
            }
            line
        }
    }
}

/// The first line of [`explain_text`]: `effect: principal -> action on resource`.
pub fn explain_headline(d: &Decision) -> String {
    format!("{}: {} -> {} on {}", d.effect, d.principal, d.action, d.resource)
}

/// A multi-line human explanation.
pub fn explain_text(d: &Decision) -> String {
    let mut out = explain_headline(d);
    out.push('\n');
    match d.effect {
        Effect::Allow => {
            if d.decided_by.is_empty() {
                let _ = writeln!(
                    out,
                    "allowed without a policy statement (root user or sts:GetCallerIdentity)"
                );
            }
            for s in &d.decided_by {
                let _ = writeln!(out, "  allowed by {s} ({})", s.policy_type.message_name());
            }
        }
        Effect::ExplicitDeny => {
            if let Some(t) = d.denied_by {
                let _ = writeln!(out, "explicit deny in a {} policy", t.message_name());
            }
            for s in &d.decided_by {
                let _ = writeln!(out, "  denied by {s}");
            }
        }
        Effect::ImplicitDeny => {
            if let Some(t) = d.denied_by {
                let _ = writeln!(out, "no {} policy allows {}", t.message_name(), d.action);
            }
            if !d.closest.is_empty() {
                let _ = writeln!(out, "closest statements:");
            }
            for n in &d.closest {
                let _ = writeln!(out, "  {}:", n.statement);
                for m in &n.missed {
                    let _ = writeln!(out, "    - {}", describe_miss(m));
                }
            }
        }
    }
    if !d.notes.is_empty() {
        let _ = writeln!(
            out,
            "undocumented corners this decision depends on (the reading taken):"
        );
        for n in &d.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}

/// The decision as JSON: the [`Decision`] fields plus `decided_by` rendered as
/// `policy#sid` strings under `statements`.
pub fn explain_json(d: &Decision) -> serde_json::Value {
    let mut v = serde_json::to_value(d).unwrap_or(serde_json::Value::Null);
    if let Some(obj) = v.as_object_mut() {
        let named: Vec<serde_json::Value> = d
            .decided_by
            .iter()
            .map(|s| serde_json::Value::String(s.to_string()))
            .collect();
        obj.insert("statements".to_owned(), serde_json::Value::Array(named));
        obj.insert(
            "summary".to_owned(),
            serde_json::Value::String(explain_text(d).lines().take(2).collect::<Vec<_>>().join("; ")),
        );
    }
    v
}
