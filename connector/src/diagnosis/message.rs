//! The grammar of AWS access-denied messages.
//!
//! S3 and IAM document it at
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html#access-denied-message-examples>:
//!
//! ```text
//! User: <principal> is not authorized to perform: <action> [on resource: "<arn>"] because no <type> policy allows the <action> action
//! User: <principal> is not authorized to perform: <action> [on resource: "<arn>"] with an explicit deny in a <type> policy[: <policy arn>]
//! ```
//!
//! The S3 resource ARN is double-quoted, a KMS key ARN inside an S3 error is not, and STS's
//! cross-account AssumeRole denial has no reason clause at all. A cross-account caller outside
//! the organisation gets a bare `Access Denied`, which does not parse.

use serde::Serialize;

/// A parsed `User: … is not authorized to perform: …` message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Denial {
    /// The calling principal, e.g. `arn:aws:sts::111122223333:assumed-role/etl-writer/etl`.
    pub principal: String,
    /// The denied action, e.g. `s3:PutObject` or `kms:GenerateDataKey`.
    pub action: String,
    /// The resource, when the message names one (quotes removed).
    pub resource: Option<String>,
    /// Why, as far as the message says.
    pub reason: DenialReason,
    /// The SCP/RCP ARN some newer explicit-deny messages append.
    pub policy_arn: Option<String>,
}

/// The reason clause of an access-denied message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", content = "policy", rename_all = "snake_case")]
pub enum DenialReason {
    /// `because no <type> policy allows the <action> action`.
    ImplicitDeny(PolicyType),
    /// `with an explicit deny in a <type> policy`.
    ExplicitDeny(PolicyType),
    /// `because public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access`.
    BlockPublicAcls,
    /// No reason clause (STS cross-account AssumeRole denial).
    Unstated,
}

/// The policy type named in a reason clause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyType {
    /// `identity-based`: the role's or user's permissions policies.
    IdentityBased,
    /// `resource-based`: the bucket policy (or a KMS key policy).
    ResourceBased,
    /// `service control`: an AWS Organizations SCP.
    ServiceControl,
    /// `resource control`: an AWS Organizations RCP.
    ResourceControl,
    /// `VPC endpoint`.
    VpcEndpoint,
    /// `permissions boundary`.
    PermissionsBoundary,
    /// `session`: a session policy passed on AssumeRole.
    Session,
    /// `role trust`: the role's trust policy.
    RoleTrust,
    /// Anything else, verbatim.
    Other(String),
}

impl PolicyType {
    fn parse(text: &str) -> Self {
        let text = text.trim();
        let text = text.strip_suffix(" policy").unwrap_or(text).trim();
        match text {
            "identity-based" => Self::IdentityBased,
            "resource-based" => Self::ResourceBased,
            "service control" => Self::ServiceControl,
            "resource control" => Self::ResourceControl,
            "VPC endpoint" => Self::VpcEndpoint,
            "permissions boundary" => Self::PermissionsBoundary,
            "session" => Self::Session,
            "role trust" => Self::RoleTrust,
            other => Self::Other(other.to_owned()),
        }
    }
}

const EXPLICIT: &str = "with an explicit deny in ";
const IMPLICIT: &str = "because no ";

/// Parses an access-denied message; `None` for the bare `Access Denied` and anything else.
pub fn parse_denial(message: &str) -> Option<Denial> {
    let rest = message.trim().strip_prefix("User: ")?;
    let (principal, rest) = rest.split_once(" is not authorized to perform: ")?;
    let (action, mut rest) = match rest.split_once(' ') {
        Some((action, rest)) => (action, rest),
        None => (rest, ""),
    };
    let action = action.trim_end_matches(['.', ',']).to_owned();

    let mut resource = None;
    if let Some(r) = rest.strip_prefix("on resource: ") {
        if let Some(quoted) = r.strip_prefix('"') {
            let (inside, after) = quoted.split_once('"')?;
            resource = Some(inside.to_owned());
            rest = after.trim_start();
        } else {
            let end = [r.find(" because "), r.find(" with an explicit deny")]
                .into_iter()
                .flatten()
                .min();
            let (res, after) = match end {
                Some(end) => r.split_at(end),
                None => (r, ""),
            };
            resource = Some(res.trim().trim_end_matches('.').to_owned());
            rest = after.trim_start();
        }
    }

    let mut policy_arn = None;
    let reason = if rest.starts_with("because public ACLs are prevented by the BlockPublicAcls") {
        DenialReason::BlockPublicAcls
    } else if let Some(r) = rest.strip_prefix(IMPLICIT) {
        let (kind, _) = r.split_once(" allows")?;
        DenialReason::ImplicitDeny(PolicyType::parse(kind))
    } else if let Some(r) = rest.strip_prefix(EXPLICIT) {
        let r = r
            .strip_prefix("an ")
            .or_else(|| r.strip_prefix("a "))
            .or_else(|| r.strip_prefix("the "))
            .unwrap_or(r);
        let (kind, tail) = match r.split_once(':') {
            Some((kind, tail)) => (kind, Some(tail)),
            None => (r, None),
        };
        policy_arn = tail
            .map(|t| t.trim().trim_end_matches('.').to_owned())
            .filter(|t| !t.is_empty());
        DenialReason::ExplicitDeny(PolicyType::parse(kind.trim_end_matches('.')))
    } else {
        DenialReason::Unstated
    };
    Some(Denial {
        principal: principal.to_owned(),
        action,
        resource,
        reason,
        policy_arn,
    })
}

/// `true` for S3's bare cross-account `Access Denied` (or `Forbidden` from a body-less HEAD).
pub fn is_bare_access_denied(message: Option<&str>) -> bool {
    match message.map(str::trim) {
        None | Some("") => true,
        Some(m) => {
            let m = m.trim_end_matches('.');
            m.eq_ignore_ascii_case("access denied") || m.eq_ignore_ascii_case("forbidden")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(message: &str) -> Denial {
        parse_denial(message).unwrap_or_else(|| panic!("did not parse: {message}"))
    }

    #[test]
    fn implicit_identity_with_quoted_resource() {
        let d = parsed(
            "User: arn:aws:sts::111122223333:assumed-role/etl-writer/etl is not authorized to perform: \
             s3:PutObject on resource: \"arn:aws:s3:::bucket/key\" because no identity-based policy allows \
             the s3:PutObject action",
        );
        assert_eq!(
            d.principal,
            "arn:aws:sts::111122223333:assumed-role/etl-writer/etl"
        );
        assert_eq!(d.action, "s3:PutObject");
        assert_eq!(d.resource.as_deref(), Some("arn:aws:s3:::bucket/key"));
        assert_eq!(d.reason, DenialReason::ImplicitDeny(PolicyType::IdentityBased));
    }

    #[test]
    fn kms_resource_is_unquoted() {
        let d = parsed(
            "User: arn:aws:sts::123:assumed-role/braze-iam-role/braze is not authorized to perform: \
             kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:123:key/abcd because no identity-based \
             policy allows the kms:GenerateDataKey action",
        );
        assert_eq!(d.action, "kms:GenerateDataKey");
        assert_eq!(d.resource.as_deref(), Some("arn:aws:kms:us-east-1:123:key/abcd"));
        assert_eq!(d.reason, DenialReason::ImplicitDeny(PolicyType::IdentityBased));
    }

    #[test]
    fn explicit_forms() {
        let rows = [
            (
                "with an explicit deny in a resource-based policy",
                PolicyType::ResourceBased,
            ),
            (
                "with an explicit deny in an identity-based policy",
                PolicyType::IdentityBased,
            ),
            (
                "with an explicit deny in a permissions boundary",
                PolicyType::PermissionsBoundary,
            ),
            (
                "with an explicit deny in a VPC endpoint policy",
                PolicyType::VpcEndpoint,
            ),
            (
                "with an explicit deny in a service control policy",
                PolicyType::ServiceControl,
            ),
            (
                "with an explicit deny in the role trust policy",
                PolicyType::RoleTrust,
            ),
            (
                "with an explicit deny in a resource control policy",
                PolicyType::ResourceControl,
            ),
        ];
        for (clause, ty) in rows {
            let d = parsed(&format!(
                "User: arn:aws:iam::1:user/u is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::b/k\" {clause}"
            ));
            assert_eq!(d.reason, DenialReason::ExplicitDeny(ty), "{clause}");
        }
    }

    #[test]
    fn scp_suffix_and_missing_resource() {
        let d = parsed(
            "User: arn:aws:iam::1:user/u is not authorized to perform: s3:PutObject with an explicit deny in a \
             service control policy: arn:aws:organizations::9:policy/o-abc/service_control_policy/p-xyz",
        );
        assert_eq!(d.resource, None);
        assert_eq!(d.reason, DenialReason::ExplicitDeny(PolicyType::ServiceControl));
        assert_eq!(
            d.policy_arn.as_deref(),
            Some("arn:aws:organizations::9:policy/o-abc/service_control_policy/p-xyz")
        );
    }

    #[test]
    fn boundary_without_the_word_policy() {
        let d = parsed(
            "User: arn:aws:iam::1:user/u is not authorized to perform: s3:PutObject because no permissions \
             boundary allows the s3:PutObject action",
        );
        assert_eq!(
            d.reason,
            DenialReason::ImplicitDeny(PolicyType::PermissionsBoundary)
        );
    }

    #[test]
    fn sts_cross_account_has_no_reason() {
        let d = parsed(
            "User: arn:aws:sts::111111111111:assumed-role/vendor/s is not authorized to perform: sts:AssumeRole \
             on resource: arn:aws:iam::222222222222:role/Role",
        );
        assert_eq!(d.action, "sts:AssumeRole");
        assert_eq!(d.resource.as_deref(), Some("arn:aws:iam::222222222222:role/Role"));
        assert_eq!(d.reason, DenialReason::Unstated);
    }

    #[test]
    fn same_account_trust_forms() {
        let d = parsed(
            "User: arn:aws:iam::123456789012:user/John is not authorized to perform: sts:AssumeRole because no \
             role trust policy allows the sts:AssumeRole action",
        );
        assert_eq!(d.resource, None);
        assert_eq!(d.reason, DenialReason::ImplicitDeny(PolicyType::RoleTrust));
    }

    #[test]
    fn block_public_acls() {
        let d = parsed(
            "User: arn:aws:iam::1:user/u is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::b/k\" \
             because public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access.",
        );
        assert_eq!(d.reason, DenialReason::BlockPublicAcls);
    }

    #[test]
    fn bare_messages_do_not_parse() {
        for m in [
            "Access Denied",
            "Access denied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        ] {
            assert_eq!(parse_denial(m), None, "{m}");
        }
        assert!(is_bare_access_denied(Some("Access Denied")));
        assert!(is_bare_access_denied(None));
        assert!(!is_bare_access_denied(Some(
            "Access Denied because object protected by object lock."
        )));
    }
}
