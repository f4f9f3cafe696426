//! What the engine decided and why.
//!
//! A [`Decision`] stays tri-state until the wire: `Allow`, `ExplicitDeny` (a `Deny`
//! statement matched) or `ImplicitDeny` (nothing allowed). It names the statements
//! that decided it and, for an implicit deny, the statements that came closest and
//! what each one missed, in the spirit of the IAM policy simulator's
//! `MatchedStatements` / `MissingContextValues`.

use compact_str::CompactString;
use serde::Serialize;

/// The three outcomes AWS distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// Some applicable policy allowed and nothing denied.
    Allow,
    /// A `Deny` statement matched.
    ExplicitDeny,
    /// No policy (of the kind required) allowed.
    ImplicitDeny,
}

impl Effect {
    /// `allow`, `explicit-deny` or `implicit-deny`, as scenario files spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::ExplicitDeny => "explicit-deny",
            Self::ImplicitDeny => "implicit-deny",
        }
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The policy types AWS names in its AccessDenied messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyType {
    /// Organization service control policy (caps the principal's account).
    ServiceControl,
    /// Organization resource control policy (caps the resource's account).
    ResourceControl,
    /// Bucket policy or KMS key policy.
    ResourceBased,
    /// A role's trust policy (the resource policy of `sts:AssumeRole`).
    RoleTrust,
    /// Inline or managed policies of the user or role.
    IdentityBased,
    /// A permissions boundary.
    PermissionsBoundary,
    /// A session policy passed to AssumeRole.
    Session,
    /// The policy of the VPC endpoint the request arrived through.
    VpcEndpoint,
}

impl PolicyType {
    /// The words AWS uses for this type in "because no … policy allows" messages.
    pub fn message_name(self) -> &'static str {
        match self {
            Self::ServiceControl => "service control",
            Self::ResourceControl => "resource control",
            Self::ResourceBased => "resource-based",
            Self::RoleTrust => "role trust",
            Self::IdentityBased => "identity-based",
            Self::PermissionsBoundary => "permissions boundary",
            Self::Session => "session",
            Self::VpcEndpoint => "VPC endpoint",
        }
    }
}

/// A statement, named the way scenario files and logs name it:
/// `<policy id>#<Sid or index>`, e.g. `bucket:lake#DenyUnencrypted` or
/// `role:vendor-writer/write#0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct StatementRef {
    /// The id the caller gave the policy when it handed it to the engine.
    pub policy: String,
    /// The policy's type.
    pub policy_type: PolicyType,
    /// The statement's `Sid`, if it has one.
    pub sid: Option<String>,
    /// The statement's position in the policy, from 0.
    pub index: usize,
}

impl std::fmt::Display for StatementRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.sid {
            Some(sid) if !sid.is_empty() => write!(f, "{}#{}", self.policy, sid),
            _ => write!(f, "{}#{}", self.policy, self.index),
        }
    }
}

/// Why a statement did not apply to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "element", rename_all = "kebab-case")]
pub enum Miss {
    /// `Action`/`NotAction` did not cover the action.
    Action {
        /// The action requested.
        requested: String,
    },
    /// `Resource`/`NotResource` did not cover the resource.
    Resource {
        /// The resource requested.
        requested: String,
    },
    /// `Principal`/`NotPrincipal` did not cover the caller.
    Principal {
        /// The caller's ARN.
        caller: String,
    },
    /// A condition evaluated to false.
    Condition {
        /// The operator as written, e.g. `StringEquals`.
        operator: String,
        /// The condition key as written, e.g. `sts:ExternalId`.
        key: String,
        /// The request's values for the key; empty when the key was absent.
        actual: Vec<String>,
        /// The policy's values.
        expected: Vec<String>,
        /// The reading of an undocumented corner that decided this, if one did
        /// ([`crate::iam::condition`] names them).
        #[serde(skip_serializing_if = "Option::is_none")]
        reading: Option<String>,
    },
}

/// A statement that did not apply, and every reason it did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NearMiss {
    /// The statement.
    pub statement: StatementRef,
    /// Its effect as written.
    pub effect: StatementEffect,
    /// What it missed; at least one entry.
    pub missed: Vec<Miss>,
}

/// A statement's `Effect` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum StatementEffect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// The engine's answer for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Allow, explicit deny or implicit deny.
    pub effect: Effect,
    /// For `Allow`, the statements that allowed (one per policy type that had to);
    /// for `ExplicitDeny`, the deny statements that matched; empty for `ImplicitDeny`.
    pub decided_by: Vec<StatementRef>,
    /// For a deny, the policy type AWS names in its message: the type holding the
    /// explicit deny, or the type that had no allow.
    pub denied_by: Option<PolicyType>,
    /// For an implicit deny, the statements that came closest, and what each missed.
    pub closest: Vec<NearMiss>,
    /// The action evaluated (e.g. `s3:PutObject`).
    pub action: CompactString,
    /// The resource evaluated.
    pub resource: String,
    /// The caller's ARN as AWS prints it in messages.
    pub principal: String,
    /// Where an undocumented corner of IAM decided a statement's part in this
    /// decision, which reading was taken (a multivalued key without a set
    /// operator, `ForAnyValue:…IfExists` on an absent key, a policy variable with
    /// no value).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(&self) -> bool {
        self.effect == Effect::Allow
    }
}
