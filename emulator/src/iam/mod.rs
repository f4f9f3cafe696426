//! IAM policy language and evaluation: parse and validate policies, match
//! statements, combine policy types as AWS does, and explain every decision.

pub mod decision;

pub use decision::{Decision, Effect, Miss, NearMiss, PolicyType, StatementEffect, StatementRef};

// PLACEHOLDER until the policy engine lands: a policy is held as validated JSON.
// The engine replaces this block with the real grammar.
/// What a policy document is attached to; validation differs per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Identity policy.
    Identity,
    /// Bucket policy.
    Bucket,
    /// Trust policy.
    Trust,
    /// Session policy.
    Session,
    /// Boundary.
    Boundary,
    /// SCP.
    Scp,
    /// RCP.
    Rcp,
    /// KMS key policy.
    KmsKey,
}

/// A parsed policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The JSON.
    pub json: serde_json::Value,
}

/// A malformed policy.
#[derive(Debug, Clone)]
pub struct PolicyError {
    /// Message.
    pub message: String,
    /// Line.
    pub line: usize,
    /// Column.
    pub column: usize,
}

impl Policy {
    /// Parse.
    pub fn parse(text: &str, _kind: PolicyKind) -> Result<Self, PolicyError> {
        serde_json::from_str(text)
            .map(|json| Self { json })
            .map_err(|e| PolicyError {
                message: "Syntax errors in policy.".into(),
                line: e.line(),
                column: e.column(),
            })
    }
}
