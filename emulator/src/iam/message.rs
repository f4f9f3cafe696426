//! The text of AWS's `AccessDenied` messages, from a [`Decision`]
//! (`troubleshoot_access-denied.html`; S3 `troubleshoot-403-errors.html`;
//! misconfigs.md §0).
//!
//! - Implicit: `User: <arn> is not authorized to perform: <action> on resource:
//!   <arn> because no <type> policy allows the <action> action`.
//! - Explicit: `… with an explicit deny in a[n] <type> policy`.
//! - S3 double-quotes the resource ARN, and sends the enriched text only to
//!   callers in the bucket owner's account or organization; everyone else (and
//!   anonymous callers) gets the bare `Access Denied`.
//! - An SCP's implicit deny is worded as explicit ("the error message always
//!   includes … explicit deny in a Service Control Policy, even if the denial is
//!   implicit", IAM user guide), except in S3: the S3 guide's "Access denied due
//!   to a Service Control Policy – implicit denial" reads `… because no service
//!   control policy allows the s3:GetObject action`, as misconfigs.md M54 does.
//! - A permissions boundary is "a permissions boundary", not "… policy".
//! - STS `AssumeRole`: a caller outside the role's account or organization gets
//!   `… is not authorized to perform: sts:AssumeRole on resource: <role-arn>`,
//!   unquoted and with no reason clause, whatever the cause. In the same account
//!   a trust-policy denial reads `… to perform: sts:AssumeRole because no role
//!   trust policy allows the sts:AssumeRole action` (no `on resource`), or
//!   `… with an explicit deny in the role trust policy`.
//! - The IAM guide's example reads "a sessions policy" for an explicit session
//!   deny; real responses read "a session policy" (public logs), which we use.

use super::decision::{Decision, Effect, PolicyType};

/// Which service is answering, which decides the message's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Amazon S3.
    S3,
    /// AWS STS.
    Sts,
    /// Any other service (IAM, KMS): the generic IAM form, resource unquoted.
    Generic,
}

/// "because no … allows" / "with an explicit deny in …" for a type.
fn reason(effect: Effect, policy_type: PolicyType, action: &str, surface: Surface) -> String {
    match (effect, policy_type) {
        (Effect::ExplicitDeny, PolicyType::RoleTrust) => {
            "with an explicit deny in the role trust policy".to_owned()
        }
        (Effect::ExplicitDeny, PolicyType::PermissionsBoundary) => {
            "with an explicit deny in a permissions boundary".to_owned()
        }
        (Effect::ExplicitDeny, PolicyType::IdentityBased) => {
            "with an explicit deny in an identity-based policy".to_owned()
        }
        (Effect::ExplicitDeny, PolicyType::ServiceControl) => {
            "with an explicit deny in a service control policy".to_owned()
        }
        // S3 words an SCP's implicit deny as implicit (S3 user guide,
        // troubleshoot-403-errors.html, "Access denied due to a Service Control
        // Policy – implicit denial"); the IAM guide says other services word it
        // as explicit.
        (Effect::ImplicitDeny, PolicyType::ServiceControl) if surface != Surface::S3 => {
            "with an explicit deny in a service control policy".to_owned()
        }
        (Effect::ExplicitDeny, t) => format!("with an explicit deny in a {} policy", t.message_name()),
        (_, PolicyType::PermissionsBoundary) => {
            format!("because no permissions boundary allows the {action} action")
        }
        (_, t) => format!(
            "because no {} policy allows the {action} action",
            t.message_name()
        ),
    }
}

/// The `AccessDenied` message for a deny decision. `same_account_or_org` tells
/// whether the caller is in the resource owner's account or organization (the
/// engine does not model organizations, so the caller decides).
pub fn access_denied_message(decision: &Decision, surface: Surface, same_account_or_org: bool) -> String {
    let action = decision.action.as_str();
    let user = decision.principal.as_str();
    let resource = decision.resource.as_str();
    let policy_type = decision.denied_by.unwrap_or(PolicyType::IdentityBased);
    let because = reason(decision.effect, policy_type, action, surface);
    match surface {
        Surface::S3 => {
            if !same_account_or_org || user == "anonymous" {
                return "Access Denied".to_owned();
            }
            format!(
                "User: {user} is not authorized to perform: {action} on resource: \"{resource}\" {because}"
            )
        }
        Surface::Sts => {
            if !same_account_or_org {
                return format!(
                    "User: {user} is not authorized to perform: {action} on resource: {resource}"
                );
            }
            if policy_type == PolicyType::RoleTrust {
                return format!("User: {user} is not authorized to perform: {action} {because}");
            }
            format!("User: {user} is not authorized to perform: {action} on resource: {resource} {because}")
        }
        Surface::Generic => {
            format!("User: {user} is not authorized to perform: {action} on resource: {resource} {because}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(effect: Effect, t: PolicyType, action: &str, principal: &str, resource: &str) -> Decision {
        Decision {
            effect,
            decided_by: Vec::new(),
            denied_by: Some(t),
            closest: Vec::new(),
            action: action.into(),
            resource: resource.into(),
            principal: principal.into(),
            notes: Vec::new(),
        }
    }

    const S: &str = "arn:aws:sts::111122223333:assumed-role/etl-writer/etl";
    const K: &str = "arn:aws:s3:::bucket/key";

    #[test]
    fn s3_forms() {
        let rows = [
            (
                Effect::ImplicitDeny,
                PolicyType::IdentityBased,
                "User: arn:aws:sts::111122223333:assumed-role/etl-writer/etl is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::bucket/key\" because no identity-based policy allows the s3:PutObject action",
            ),
            (
                Effect::ExplicitDeny,
                PolicyType::ResourceBased,
                "User: arn:aws:sts::111122223333:assumed-role/etl-writer/etl is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::bucket/key\" with an explicit deny in a resource-based policy",
            ),
            (
                Effect::ImplicitDeny,
                PolicyType::PermissionsBoundary,
                "User: arn:aws:sts::111122223333:assumed-role/etl-writer/etl is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::bucket/key\" because no permissions boundary allows the s3:PutObject action",
            ),
            (
                Effect::ImplicitDeny,
                PolicyType::ServiceControl,
                "User: arn:aws:sts::111122223333:assumed-role/etl-writer/etl is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::bucket/key\" because no service control policy allows the s3:PutObject action",
            ),
            (
                Effect::ExplicitDeny,
                PolicyType::ServiceControl,
                "User: arn:aws:sts::111122223333:assumed-role/etl-writer/etl is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::bucket/key\" with an explicit deny in a service control policy",
            ),
            (
                Effect::ImplicitDeny,
                PolicyType::VpcEndpoint,
                "User: arn:aws:sts::111122223333:assumed-role/etl-writer/etl is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::bucket/key\" because no VPC endpoint policy allows the s3:PutObject action",
            ),
            (
                Effect::ExplicitDeny,
                PolicyType::Session,
                "User: arn:aws:sts::111122223333:assumed-role/etl-writer/etl is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::bucket/key\" with an explicit deny in a session policy",
            ),
        ];
        for (e, t, want) in rows {
            assert_eq!(
                access_denied_message(&d(e, t, "s3:PutObject", S, K), Surface::S3, true),
                want
            );
        }
        let x = d(
            Effect::ImplicitDeny,
            PolicyType::ResourceBased,
            "s3:PutObject",
            S,
            K,
        );
        assert_eq!(access_denied_message(&x, Surface::S3, false), "Access Denied");
    }

    #[test]
    fn sts_forms() {
        let u = "arn:aws:iam::123456789012:user/John";
        let r = "arn:aws:iam::123456789012:role/R";
        let x = d(
            Effect::ImplicitDeny,
            PolicyType::RoleTrust,
            "sts:AssumeRole",
            u,
            r,
        );
        assert_eq!(
            access_denied_message(&x, Surface::Sts, true),
            "User: arn:aws:iam::123456789012:user/John is not authorized to perform: sts:AssumeRole because no role trust policy allows the sts:AssumeRole action"
        );
        assert_eq!(
            access_denied_message(&x, Surface::Sts, false),
            "User: arn:aws:iam::123456789012:user/John is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/R"
        );
        let x = d(
            Effect::ExplicitDeny,
            PolicyType::RoleTrust,
            "sts:AssumeRole",
            u,
            r,
        );
        assert_eq!(
            access_denied_message(&x, Surface::Sts, true),
            "User: arn:aws:iam::123456789012:user/John is not authorized to perform: sts:AssumeRole with an explicit deny in the role trust policy"
        );
        // Outside S3 an SCP's implicit deny reads as explicit (IAM user guide).
        let x = d(
            Effect::ImplicitDeny,
            PolicyType::ServiceControl,
            "sts:AssumeRole",
            u,
            r,
        );
        assert_eq!(
            access_denied_message(&x, Surface::Sts, true),
            "User: arn:aws:iam::123456789012:user/John is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/R with an explicit deny in a service control policy"
        );
        let x = d(
            Effect::ImplicitDeny,
            PolicyType::IdentityBased,
            "kms:GenerateDataKey",
            S,
            "arn:aws:kms:us-east-1:111122223333:key/k",
        );
        assert_eq!(
            access_denied_message(&x, Surface::Generic, true),
            "User: arn:aws:sts::111122223333:assumed-role/etl-writer/etl is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:111122223333:key/k because no identity-based policy allows the kms:GenerateDataKey action"
        );
    }
}
