//! IAM policy language and evaluation: parse and validate policies, match
//! statements, combine policy types as AWS does, and explain every decision.
//!
//! # Layout
//!
//! - [`policy`]: the document model, parsing and printing ([`Policy::parse`]).
//! - [`validate`]: save-time validation with IAM's and S3's exact messages.
//! - [`json`]: a JSON reader that keeps positions and repeated keys.
//! - [`pattern`]: `*`/`?` wildcards and per-segment ARN matching.
//! - [`variables`]: `${…}` policy variables.
//! - [`condition`]: the condition-operator table and condition semantics.
//! - [`context`]: the request's condition keys ([`RequestContext`]).
//! - [`principal`]: callers ([`Principal`]) and `Principal` elements.
//! - [`statement`]: the matcher (does one statement apply?).
//! - [`evaluate`]: the combiner ([`evaluate()`]).
//! - [`decision`]: the tri-state [`Decision`] and why it was made.
//! - [`message`]: AWS's `AccessDenied` texts.
//! - [`explain`]: human and JSON renderings of a decision.
//!
//! The engine is a pure library: no I/O and no clock; time arrives as
//! `aws:CurrentTime` in the [`RequestContext`].
//!
//! # Tests
//!
//! | file | what | oracle |
//! |---|---|---|
//! | unit tests in each module | operator families (`{operator, policy values, context values, expected}` rows), dates, JSON positions, principal forms, message texts | the AWS docs cited in the rows |
//! | `tests/iam_edge_cases.rs` | iam.md §7 conformance cases: effect, `decided_by`, `denied_by`; validation code, message, line and column | iam.md §7 and its sources |
//! | `tests/iam_props.rs` `combiner_matches_the_reference_model` | the combiner on abstract worlds (allow/deny × match/no-match per policy type, same/cross account, how the resource policy names the caller) | a naive model written from iam.md §1.2 |
//! | `tests/iam_props.rs` `wildcard_*`, `arn_like_*`, `resource_*` | `*`/`?` matching, per-segment ARN matching | `regex` |
//! | `tests/iam_props.rs` `parse_print_parse_round_trips`, `shape_of_the_json_is_irrelevant` | printing, key order, whitespace, scalar ≡ one-element array | the parser itself |
//! | `tests/iam_props.rs` invariants | explicit deny dominates, adding an allow is monotone, statement/policy order, Sids and case do not matter | — |
//! | `tests/iam_perf.rs` (ignored) | decisions per second | ≥ 1,000,000 on one core |

pub mod condition;
pub mod context;
pub mod decision;
pub mod evaluate;
pub mod explain;
pub mod json;
pub mod message;
pub mod pattern;
pub mod policy;
pub mod principal;
pub(crate) mod statement;
pub mod validate;
pub mod variables;

pub use condition::MultiValueMode;
pub use context::{ContextValue, RequestContext};
pub use decision::{Decision, Effect, Miss, NearMiss, PolicyType, StatementEffect, StatementRef};
pub use evaluate::{evaluate, EvalOptions, Policies, PolicyRef, Request};
pub use explain::{explain_headline, explain_json, explain_text};
pub use message::{access_denied_message, Surface};
pub use policy::{Policy, PolicyKind, Statement, Version};
pub use principal::{Principal, PrincipalKind, PrincipalMatch};
pub use validate::{check_principals_exist, ParseOptions, PolicyError, PolicyErrorCode};
