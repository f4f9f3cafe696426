//! IAM policy language and evaluation: parse and validate policies, match
//! statements, combine policy types as AWS does, and explain every decision.

pub mod decision;

pub use decision::{Decision, Effect, Miss, NearMiss, PolicyType, StatementEffect, StatementRef};
