//! Fault injection: rules that make matching requests fail the way AWS and
//! networks fail (503 SlowDown, 500 InternalError, latency, a connection reset
//! before the body is read, or a reset after the object was stored so the write
//! happened but the response is lost). Rules are set through the world file or
//! the admin API; every injected fault is logged.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::iam::pattern::Wildcard;
use crate::protocol::codes::Code;
use crate::util::splitmix;

/// What a matching request suffers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer with this AWS error (`status` defaults to the code's status in the table).
    Error {
        /// AWS error code, e.g. `SlowDown`, `InternalError`, `Throttling`: one of
        /// the emulator's table ([`Code`]); any other is refused where the rule is
        /// read (world file, admin API), never turned into another error.
        code: Code,
        /// HTTP status override (100–599); the code's status in the table otherwise.
        #[serde(default, deserialize_with = "http_status")]
        status: Option<u16>,
        /// Message override.
        #[serde(default)]
        message: Option<String>,
    },
    /// Wait before handling the request normally.
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// Drop the connection before reading the body; nothing is stored.
    ResetBeforeBody,
    /// Store the object, then drop the connection instead of answering.
    ResetAfterStore,
}

fn http_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    let status = Option::<u16>::deserialize(d)?;
    match status {
        Some(s) if !(100..=599).contains(&s) => Err(serde::de::Error::custom(format!(
            "status {s} is not an HTTP status (100–599)"
        ))),
        other => Ok(other),
    }
}

/// A fault rule. Every present matcher must match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// A name for logs.
    #[serde(default)]
    pub name: Option<String>,
    /// Operation name (`PutObject`, `DeleteObject`, `AssumeRole`, …).
    #[serde(default)]
    pub operation: Option<String>,
    /// Bucket name.
    #[serde(default)]
    pub bucket: Option<String>,
    /// Key pattern with `*` and `?`.
    #[serde(default)]
    pub key: Option<String>,
    /// Fire only on the n-th matching request (1-based).
    #[serde(default)]
    pub nth: Option<u64>,
    /// Fire with this probability (0.0 to 1.0), drawn from a generator seeded with `seed`.
    #[serde(default)]
    pub probability: Option<f64>,
    /// Seed for `probability`.
    #[serde(default)]
    pub seed: u64,
    /// Fire at most this many times.
    #[serde(default)]
    pub times: Option<u64>,
    /// What happens.
    pub action: FaultAction,
}

#[derive(Debug)]
struct RuleState {
    rule: FaultRule,
    matched: u64,
    fired: u64,
    rng: u64,
}

/// The active rules.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<RuleState>>,
}

/// A fault chosen for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    /// The rule's name or index, for the log.
    pub rule: String,
    /// The action.
    pub action: FaultAction,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RuleState>> {
        self.rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Add a rule.
    pub fn add(&self, rule: FaultRule) {
        let rng = rule.seed ^ 0x5DEE_CE66_D1CE_4E5B;
        self.lock().push(RuleState {
            rule,
            matched: 0,
            fired: 0,
            rng,
        });
    }

    /// Remove every rule.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The rules, with how often each matched and fired.
    pub fn list(&self) -> Vec<(FaultRule, u64, u64)> {
        self.lock()
            .iter()
            .map(|s| (s.rule.clone(), s.matched, s.fired))
            .collect()
    }

    /// The faults that fire for a request (a delay can combine with one other action).
    pub fn check(&self, operation: &str, bucket: Option<&str>, key: Option<&str>) -> Vec<Fired> {
        let mut rules = self.lock();
        let mut fired = Vec::new();
        for (i, s) in rules.iter_mut().enumerate() {
            let r = &s.rule;
            let matches = r
                .operation
                .as_deref()
                .is_none_or(|o| o.eq_ignore_ascii_case(operation))
                && r.bucket.as_deref().is_none_or(|b| Some(b) == bucket)
                && r.key
                    .as_deref()
                    .is_none_or(|p| key.is_some_and(|k| Wildcard::new(p).matches(k)));
            if !matches {
                continue;
            }
            s.matched += 1;
            if r.times.is_some_and(|t| s.fired >= t) {
                continue;
            }
            if r.nth.is_some_and(|n| n != s.matched) {
                continue;
            }
            if let Some(p) = r.probability {
                s.rng = splitmix(s.rng);
                // 53 random bits as a fraction in [0, 1).
                let draw = (s.rng >> 11) as f64 / (1u64 << 53) as f64;
                if draw >= p {
                    continue;
                }
            }
            s.fired += 1;
            fired.push(Fired {
                rule: r.name.clone().unwrap_or_else(|| format!("rule#{i}")),
                action: r.action.clone(),
            });
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(action: FaultAction) -> FaultRule {
        FaultRule {
            name: None,
            operation: Some("PutObject".into()),
            bucket: None,
            key: None,
            nth: None,
            probability: None,
            seed: 0,
            times: None,
            action,
        }
    }

    #[test]
    fn nth_fires_once_on_that_request() {
        let f = Faults::default();
        f.add(FaultRule {
            nth: Some(2),
            ..rule(FaultAction::ResetBeforeBody)
        });
        assert!(f.check("PutObject", Some("b"), Some("k")).is_empty());
        assert_eq!(f.check("PutObject", Some("b"), Some("k")).len(), 1);
        assert!(f.check("PutObject", Some("b"), Some("k")).is_empty());
        assert!(f.check("DeleteObject", Some("b"), Some("k")).is_empty());
    }

    #[test]
    fn probability_is_seeded_and_roughly_right() {
        let run = |seed| {
            let f = Faults::default();
            f.add(FaultRule {
                probability: Some(0.3),
                seed,
                ..rule(FaultAction::ResetAfterStore)
            });
            (0..1000)
                .map(|_| f.check("PutObject", None, None).len())
                .sum::<usize>()
        };
        assert_eq!(run(7), run(7));
        let n = run(7);
        assert!((200..400).contains(&n), "{n}");
    }

    #[test]
    fn key_patterns_and_times() {
        let f = Faults::default();
        f.add(FaultRule {
            key: Some("data/*.jsonl".into()),
            times: Some(1),
            ..rule(FaultAction::Error {
                code: Code::SlowDown,
                status: None,
                message: None,
            })
        });
        assert!(f.check("PutObject", None, Some("other/x.jsonl")).is_empty());
        assert_eq!(f.check("PutObject", None, Some("data/2026/x.jsonl")).len(), 1);
        assert!(f.check("PutObject", None, Some("data/2026/x.jsonl")).is_empty());
    }

    #[test]
    fn codes_and_statuses_are_checked_where_the_rule_is_read() {
        let rule = |action: &str| serde_json::from_str::<FaultRule>(&format!(r#"{{"action": {action}}}"#));
        let ok = rule(r#"{"kind": "error", "code": "SlowDown", "status": 429}"#).unwrap();
        assert_eq!(
            ok.action,
            FaultAction::Error {
                code: Code::SlowDown,
                status: Some(429),
                message: None
            }
        );
        let e = rule(r#"{"kind": "error", "code": "Slowdown"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown error code `Slowdown`") && e.contains("SlowDown"),
            "{e}"
        );
        let e = rule(r#"{"kind": "error", "code": "SlowDown", "status": 42}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an HTTP status"), "{e}");
        // The code serialises back as its wire name (the admin API lists rules).
        assert!(serde_json::to_string(&ok)
            .unwrap()
            .contains(r#""code":"SlowDown""#));
    }
}
