//! AWS status + code + message grammar → [`Diagnosis`].
//!
//! The order matters: transport failures first, then the region family (S3 names the right
//! region in a header or body element), then error codes that identify a cause on their own, and
//! last `AccessDenied`, whose message grammar ([`super::parse_denial`]) says which policy type
//! decided.

use serde::Serialize;

use super::message::{is_bare_access_denied, parse_denial, Denial, DenialReason, PolicyType};
use super::{Diagnosis, Evidence, Found, Operation, Target};

/// When the failure happened; the same AWS answer can mean different things.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The connection test: nothing has worked yet.
    Onboarding,
    /// Sync: the destination worked before, so a rejection means something changed.
    Sync,
}

/// Classifies one failed request.
///
/// `target.key` should name the object involved. A failed `DeleteObject` marks its key as
/// left behind (the delete only runs after the test PUT succeeded).
pub fn classify(evidence: Evidence, target: &Target, phase: Phase) -> Diagnosis {
    let leftover = match evidence.operation {
        Some(Operation::DeleteObject) => target.key.clone(),
        _ => None,
    };
    let found = Box::new(Found {
        target: target.clone(),
        evidence: Some(evidence),
        artifact_left_behind: leftover,
    });
    let Some(ev) = found.evidence.clone() else {
        return Diagnosis::Unrecognized { found };
    };
    let code = ev.code.as_deref().unwrap_or("");
    let msg = ev.message.as_deref().unwrap_or("");
    let op = ev.operation;
    let is_sts = matches!(
        op,
        Some(Operation::AssumeRole | Operation::AssumeRoleWithWebIdentity)
    );

    if ev.status.is_none() {
        return Diagnosis::NetworkError { found };
    }
    if op == Some(Operation::AssumeRoleWithWebIdentity) {
        if let Some(d) = web_identity(code, msg, found.clone()) {
            return d;
        }
    }

    // Region family: S3 tells us where the bucket is.
    if code == "AuthorizationHeaderMalformed" || code == "AuthorizationQueryParametersError" {
        let actual = ev
            .region_element
            .clone()
            .or_else(|| quoted_after(msg, "expecting '"))
            .or(ev.bucket_region);
        return Diagnosis::BucketInOtherRegion { actual, found };
    }
    if code == "PermanentRedirect" || ev.status == Some(301) {
        let actual = ev
            .bucket_region
            .clone()
            .or_else(|| ev.endpoint_element.as_deref().and_then(region_from_endpoint));
        return Diagnosis::BucketInOtherRegion { actual, found };
    }
    if code == "IllegalLocationConstraintException" {
        let actual = location_constraint(msg).or(ev.bucket_region);
        return Diagnosis::BucketInOtherRegion { actual, found };
    }
    if code == "TemporaryRedirect" || ev.status == Some(307) {
        return Diagnosis::BucketRecentlyCreatedRedirect { found };
    }

    match code {
        "RegionDisabledException" => {
            return Diagnosis::RegionDisabledForSts {
                region: target.region.clone(),
                found,
            };
        }
        "ValidationError" if is_sts => {
            let requested_seconds = target.duration_seconds();
            if msg.contains("role chaining") {
                return Diagnosis::RoleChainingSessionLimit {
                    requested_seconds,
                    found,
                };
            }
            if msg.contains("MaxSessionDuration") {
                return Diagnosis::MaxSessionDurationTooShort {
                    requested_seconds,
                    found,
                };
            }
            if msg.contains("'roleArn'") || msg.contains("RoleArn") {
                let value = target.role_arn().unwrap_or_default().to_owned();
                return Diagnosis::RoleArnMalformed {
                    value,
                    reason: msg.to_owned(),
                    found,
                };
            }
            if msg.contains("'externalId'") {
                return Diagnosis::ExternalIdMalformed {
                    reason: msg.to_owned(),
                    found,
                };
            }
            return Diagnosis::Unrecognized { found };
        }
        "InvalidClientTokenId" if is_sts => return Diagnosis::ServiceCredentialsRejected { found },
        "InvalidAccessKeyId" | "InvalidClientTokenId" => {
            if target.is_role_mode() {
                return Diagnosis::Unrecognized { found };
            }
            if phase == Phase::Sync {
                return Diagnosis::AccessKeyInactiveOrDeleted { found };
            }
            return Diagnosis::InvalidAccessKeyId { found };
        }
        "SignatureDoesNotMatch" => {
            if msg.starts_with("Signature expired") || msg.starts_with("Signature not yet current") {
                return Diagnosis::ClockSkew { found };
            }
            if is_sts {
                return Diagnosis::ServiceCredentialsRejected { found };
            }
            if target.is_role_mode() {
                return Diagnosis::Unrecognized { found };
            }
            return Diagnosis::SignatureMismatchWrongSecret { found };
        }
        "InvalidToken" if target.is_role_mode() => return Diagnosis::StsTokenNotValidInRegion { found },
        "ExpiredToken" | "ExpiredTokenException" | "TokenRefreshRequired" => {
            return Diagnosis::ExpiredToken { found };
        }
        "RequestTimeTooSkewed" | "RequestExpired" => return Diagnosis::ClockSkew { found },
        "SlowDown"
        | "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException" => {
            return Diagnosis::SlowDown { found };
        }
        "RequestTimeout" | "RequestTimeoutException" => return Diagnosis::NetworkError { found },
        "NoSuchBucket" => return Diagnosis::NoSuchBucket { found },
        "InvalidBucketName" => {
            let value = target.bucket.clone();
            return Diagnosis::InvalidBucketName {
                value,
                reason: msg.to_owned(),
                found,
            };
        }
        "AccessControlListNotSupported" => return Diagnosis::AclNotSupported { found },
        "InvalidRequest" if msg.contains("Object Lock") => {
            return Diagnosis::ObjectLockRequiresChecksum { found }
        }
        "NotImplemented" if op == Some(Operation::PutObject) => {
            return Diagnosis::ConditionalWritesUnsupported { found };
        }
        _ => {}
    }
    if let Some(kms) = code.strip_prefix("KMS.") {
        if kms == "NotFoundException" && msg.contains("aws/s3") {
            return Diagnosis::KmsAwsManagedKeyCrossAccount { found };
        }
        return Diagnosis::KmsKeyUnusable {
            code: code.to_owned(),
            found,
        };
    }
    if matches!(code, "InternalError" | "InternalFailure" | "ServiceUnavailable")
        || ev.status.is_some_and(|s| s >= 500)
    {
        return Diagnosis::AwsServerError { found };
    }
    if code == "AccessDenied" || code == "Forbidden" || (code.is_empty() && ev.status == Some(403)) {
        return access_denied(msg, op, target, found);
    }
    Diagnosis::Unrecognized { found }
}

/// AssumeRoleWithWebIdentity's own answers (misconfigs.md M18; the texts are STS's).
/// The trust denial carries no detail: onboarding adds the token's claims.
fn web_identity(code: &str, msg: &str, found: Box<Found>) -> Option<Diagnosis> {
    Some(match code {
        "AccessDenied" => Diagnosis::WebIdentityTrustDenies {
            provider: None,
            sub: None,
            aud: None,
            oaud: None,
            found,
        },
        "InvalidIdentityToken" => {
            if let Some(issuer) = msg.strip_prefix("No OpenIDConnect provider found in your account for ") {
                Diagnosis::OidcProviderMissing {
                    issuer: Some(issuer.trim().to_owned()),
                    found,
                }
            } else if msg.starts_with("Incorrect token audience") {
                Diagnosis::OidcAudienceNotRegistered {
                    audience: None,
                    found,
                }
            } else {
                Diagnosis::WebIdentityTokenRejected { found }
            }
        }
        "ExpiredTokenException" => Diagnosis::WebIdentityTokenExpired { found },
        _ => return None,
    })
}

fn access_denied(msg: &str, op: Option<Operation>, target: &Target, found: Box<Found>) -> Diagnosis {
    if msg.contains("protected by object lock") {
        return Diagnosis::ObjectLockRetainsTestObject { found };
    }
    if msg.contains("Mfa Authentication") || msg.contains("MFA Authentication") {
        return Diagnosis::MfaDeleteBlocksCleanup { found };
    }
    let denial = parse_denial(msg);
    let is_sts =
        op == Some(Operation::AssumeRole) || denial.as_ref().is_some_and(|d| d.action.starts_with("sts:"));
    match denial {
        Some(d) if is_sts => assume_role_denied(d, target, found),
        Some(d) => s3_denied(d, op, found),
        None if is_sts => trust_denied(target, found),
        None if is_bare_access_denied(Some(msg)) => Diagnosis::BucketOwnedByAnotherAccount { found },
        None => Diagnosis::Unrecognized { found },
    }
}

fn trust_denied(target: &Target, found: Box<Found>) -> Diagnosis {
    if target.external_id_sent() {
        Diagnosis::TrustPolicyDeniesAssumeRole { found }
    } else {
        Diagnosis::ExternalIdMismatchOrMissing { found }
    }
}

fn assume_role_denied(d: Denial, target: &Target, mut found: Box<Found>) -> Diagnosis {
    // The denial names the service's own principal: remember it for the trust-policy remediation.
    if found.target.service_principal.is_none() {
        found.target.service_principal = trusted_principal_of(&d.principal);
    }
    match d.action.as_str() {
        "sts:TagSession" => return Diagnosis::SessionTagsNotAllowed { found },
        "sts:SetSourceIdentity" => return Diagnosis::SourceIdentityNotAllowed { found },
        _ => {}
    }
    match d.reason {
        DenialReason::ExplicitDeny(PolicyType::RoleTrust) => Diagnosis::TrustPolicyExplicitDeny { found },
        DenialReason::ExplicitDeny(ty @ (PolicyType::ServiceControl | PolicyType::ResourceControl))
        | DenialReason::ImplicitDeny(ty @ (PolicyType::ServiceControl | PolicyType::ResourceControl)) => {
            Diagnosis::OrganizationPolicyDenies {
                policy_type: policy_type_name(&ty),
                action: d.action,
                found,
            }
        }
        DenialReason::ImplicitDeny(PolicyType::IdentityBased)
        | DenialReason::ExplicitDeny(PolicyType::IdentityBased | PolicyType::PermissionsBoundary)
        | DenialReason::ImplicitDeny(PolicyType::PermissionsBoundary) => {
            Diagnosis::ServiceNotAllowedToAssumeRole { found }
        }
        _ => trust_denied(target, found),
    }
}

fn s3_denied(d: Denial, op: Option<Operation>, found: Box<Found>) -> Diagnosis {
    let is_delete = op == Some(Operation::DeleteObject) || d.action.starts_with("s3:DeleteObject");
    if d.action.starts_with("kms:") {
        return match d.reason {
            DenialReason::ImplicitDeny(PolicyType::ResourceBased)
            | DenialReason::ExplicitDeny(PolicyType::ResourceBased) => {
                Diagnosis::KmsKeyPolicyExcludesPrincipal {
                    key_arn: d.resource,
                    found,
                }
            }
            _ => Diagnosis::KmsKeyDenied {
                action: d.action,
                key_arn: d.resource,
                found,
            },
        };
    }
    match d.reason {
        DenialReason::BlockPublicAcls => Diagnosis::BlockPublicAclsRejectsAcl { found },
        DenialReason::ImplicitDeny(PolicyType::IdentityBased) => match d.action.as_str() {
            "s3:PutObject" => Diagnosis::PolicyMissingPutObject { found },
            "s3:DeleteObject" => Diagnosis::PolicyMissingDeleteObject { found },
            _ => Diagnosis::PolicyMissingAction {
                action: d.action,
                found,
            },
        },
        DenialReason::ExplicitDeny(PolicyType::IdentityBased) => Diagnosis::IdentityPolicyExplicitDeny {
            action: d.action,
            found,
        },
        DenialReason::ImplicitDeny(PolicyType::PermissionsBoundary)
        | DenialReason::ExplicitDeny(PolicyType::PermissionsBoundary) => {
            if is_delete {
                Diagnosis::PermissionsBoundaryDeniesDeleteObject { found }
            } else {
                Diagnosis::PermissionsBoundaryDeniesPutObject { found }
            }
        }
        DenialReason::ExplicitDeny(PolicyType::ResourceBased) => {
            if is_delete {
                Diagnosis::BucketPolicyDeniesDeleteObject { found }
            } else {
                Diagnosis::BucketPolicyExplicitDeny { found }
            }
        }
        DenialReason::ImplicitDeny(PolicyType::ResourceBased) => Diagnosis::BucketPolicyMissingGrant {
            action: d.action,
            found,
        },
        DenialReason::ImplicitDeny(ty @ (PolicyType::ServiceControl | PolicyType::ResourceControl))
        | DenialReason::ExplicitDeny(ty @ (PolicyType::ServiceControl | PolicyType::ResourceControl)) => {
            Diagnosis::OrganizationPolicyDenies {
                policy_type: policy_type_name(&ty),
                action: d.action,
                found,
            }
        }
        DenialReason::ImplicitDeny(PolicyType::VpcEndpoint)
        | DenialReason::ExplicitDeny(PolicyType::VpcEndpoint) => Diagnosis::VpcEndpointPolicyDenies { found },
        DenialReason::ImplicitDeny(PolicyType::Session) | DenialReason::ExplicitDeny(PolicyType::Session) => {
            Diagnosis::SessionPolicyDenies { found }
        }
        _ => Diagnosis::Unrecognized { found },
    }
}

fn policy_type_name(ty: &PolicyType) -> String {
    match ty {
        PolicyType::ServiceControl => "service control policy".to_owned(),
        PolicyType::ResourceControl => "resource control policy".to_owned(),
        other => format!("{other:?}"),
    }
}

/// `arn:aws:sts::111:assumed-role/vendor/session` → `arn:aws:iam::111:role/vendor` (what a trust
/// policy names); IAM user and role ARNs are kept as they are.
pub(crate) fn trusted_principal_of(principal: &str) -> Option<String> {
    let rest = principal.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let partition = parts.next()?;
    let service = parts.next()?;
    let _region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    match service {
        "sts" => {
            let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
            Some(format!("arn:{partition}:iam::{account}:role/{role}"))
        }
        "iam" => Some(principal.to_owned()),
        _ => None,
    }
}

/// `… expecting 'eu-west-1'` → `eu-west-1`.
fn quoted_after(msg: &str, marker: &str) -> Option<String> {
    let (_, after) = msg.split_once(marker)?;
    let (inside, _) = after.split_once('\'')?;
    Some(inside.to_owned()).filter(|s| !s.is_empty())
}

/// `The af-south-1 location constraint is incompatible …` → `af-south-1`.
fn location_constraint(msg: &str) -> Option<String> {
    let rest = msg.trim().strip_prefix("The ")?;
    let (region, _) = rest.split_once(" location constraint")?;
    Some(region.trim().to_owned()).filter(|s| !s.is_empty() && !s.contains(' '))
}

/// The region in an S3 endpoint host: `bucket.s3.eu-west-1.amazonaws.com`,
/// `bucket.s3-eu-west-1.amazonaws.com` (legacy), `bucket.s3.amazonaws.com` (us-east-1).
pub(crate) fn region_from_endpoint(endpoint: &str) -> Option<String> {
    let host = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    let host = host.split(['/', ':']).next()?;
    let labels: Vec<&str> = host.split('.').collect();
    for (i, label) in labels.iter().enumerate() {
        if *label == "s3" {
            let next = labels.get(i + 1).copied()?;
            let next = if next == "dualstack" {
                labels.get(i + 2).copied()?
            } else {
                next
            };
            return Some(if next == "amazonaws" {
                "us-east-1".to_owned()
            } else {
                next.to_owned()
            });
        }
        if let Some(region) = label.strip_prefix("s3-") {
            return Some(if region == "external-1" {
                "us-east-1".to_owned()
            } else {
                region.to_owned()
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::AuthSummary;

    const ROLE: &str = "arn:aws:iam::222222222222:role/vendor-writer";
    const SESSION: &str = "arn:aws:sts::222222222222:assumed-role/vendor-writer/push-to-warehouse";
    const KEY: &str = "exports/_connection_test/20250101T000000Z-0123456789abcdef.txt";

    fn role_target(external_id: Option<&str>) -> Target {
        Target {
            bucket: "lake".to_owned(),
            region: "eu-west-1".to_owned(),
            prefix: Some("exports".to_owned()),
            auth: AuthSummary::AssumeRole {
                role_arn: ROLE.to_owned(),
                external_id: external_id.map(str::to_owned),
                session_name: "push-to-warehouse".to_owned(),
                duration_seconds: Some(7200),
            },
            key: Some(KEY.to_owned()),
            endpoint_url: None,
            service_principal: None,
        }
    }

    fn hmac_target() -> Target {
        Target {
            auth: AuthSummary::Hmac {
                access_key_id: "AKIA…MPLE".to_owned(),
            },
            ..role_target(None)
        }
    }

    fn denied(action: &str, resource: Option<&str>, reason: &str) -> String {
        let principal = if action.starts_with("sts:") {
            "arn:aws:sts::111111111111:assumed-role/vendor-sync/s".to_owned()
        } else {
            SESSION.to_owned()
        };
        match resource {
            Some(r) => {
                format!("User: {principal} is not authorized to perform: {action} on resource: {r} {reason}")
            }
            None => format!("User: {principal} is not authorized to perform: {action} {reason}"),
        }
        .trim_end()
        .to_owned()
    }

    /// (name, operation, status, code, message, x-amz-bucket-region, role mode?, phase, kind).
    type Row = (
        &'static str,
        Operation,
        u16,
        &'static str,
        String,
        Option<&'static str>,
        bool,
        Phase,
        &'static str,
    );

    /// (operation, status, code, message, x-amz-bucket-region, role mode?, phase) → kind.
    /// Messages are the exact AWS texts quoted in misconfigs.md.
    #[test]
    fn classifier_table() {
        use Operation::{AssumeRole, AssumeRoleWithWebIdentity, DeleteObject, PutObject};
        let obj = "\"arn:aws:s3:::lake/exports/_connection_test/x.txt\"";
        let assume = "arn:aws:iam::222222222222:role/vendor-writer";
        #[rustfmt::skip]
        let rows: Vec<Row> = vec![
            // A. AssumeRole
            ("M01 cross-account deny, ExternalId sent", AssumeRole, 403, "AccessDenied",
             denied("sts:AssumeRole", Some(assume), ""), None, true, Phase::Onboarding, "TrustPolicyDeniesAssumeRole"),
            ("M03 cross-account deny, no ExternalId", AssumeRole, 403, "AccessDenied",
             denied("sts:AssumeRole", Some(assume), ""), None, false, Phase::Onboarding, "ExternalIdMismatchOrMissing"),
            ("M04 same-account explicit deny in trust", AssumeRole, 403, "AccessDenied",
             "User: arn:aws:iam::123456789012:user/John is not authorized to perform: sts:AssumeRole with an explicit deny in the role trust policy".to_owned(),
             None, true, Phase::Onboarding, "TrustPolicyExplicitDeny"),
            ("M04 same-account implicit trust deny", AssumeRole, 403, "AccessDenied",
             "User: arn:aws:iam::123456789012:user/John is not authorized to perform: sts:AssumeRole because no role trust policy allows the sts:AssumeRole action".to_owned(),
             None, true, Phase::Onboarding, "TrustPolicyDeniesAssumeRole"),
            ("M05 TagSession", AssumeRole, 403, "AccessDenied",
             denied("sts:TagSession", Some(assume), ""), None, true, Phase::Onboarding, "SessionTagsNotAllowed"),
            ("M06 SetSourceIdentity", AssumeRole, 403, "AccessDenied",
             denied("sts:SetSourceIdentity", Some(assume), ""), None, true, Phase::Onboarding, "SourceIdentityNotAllowed"),
            ("M07 MaxSessionDuration", AssumeRole, 400, "ValidationError",
             "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".to_owned(),
             None, true, Phase::Onboarding, "MaxSessionDurationTooShort"),
            ("M08 role chaining", AssumeRole, 400, "ValidationError",
             "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.".to_owned(),
             None, true, Phase::Onboarding, "RoleChainingSessionLimit"),
            ("M10 role name", AssumeRole, 400, "ValidationError",
             "1 validation error detected: Value 'MyRole' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20".to_owned(),
             None, true, Phase::Onboarding, "RoleArnMalformed"),
            ("M11 bare access denied from STS", AssumeRole, 403, "AccessDenied", "Access denied".to_owned(),
             None, true, Phase::Onboarding, "TrustPolicyDeniesAssumeRole"),
            ("M13 regional STS off", AssumeRole, 403, "RegionDisabledException",
             "STS is not activated in this region for account:222222222222. Your account administrator can activate STS in this region using the IAM Console.".to_owned(),
             None, true, Phase::Onboarding, "RegionDisabledForSts"),
            ("M17 RCP same-org", AssumeRole, 403, "AccessDenied",
             denied("sts:AssumeRole", Some(assume), "with an explicit deny in a resource control policy"),
             None, true, Phase::Onboarding, "OrganizationPolicyDenies"),
            ("vendor identity lacks sts:AssumeRole", AssumeRole, 403, "AccessDenied",
             denied("sts:AssumeRole", Some(assume), "because no identity-based policy allows the sts:AssumeRole action"),
             None, true, Phase::Onboarding, "ServiceNotAllowedToAssumeRole"),
            ("vendor key unknown to STS", AssumeRole, 403, "InvalidClientTokenId",
             "The security token included in the request is invalid.".to_owned(), None, true, Phase::Onboarding, "ServiceCredentialsRejected"),
            ("M64 STS skew", AssumeRole, 403, "SignatureDoesNotMatch",
             "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)".to_owned(),
             None, true, Phase::Onboarding, "ClockSkew"),
            ("M64 STS skew ahead", AssumeRole, 403, "SignatureDoesNotMatch",
             "Signature not yet current: 20160610T014508Z is still later than 20160610T013008Z (20160610T011508Z + 15 min.)".to_owned(),
             None, true, Phase::Onboarding, "ClockSkew"),
            ("M66 STS throttling", AssumeRole, 400, "Throttling", "Rate exceeded".to_owned(), None, true, Phase::Onboarding, "SlowDown"),
            ("M65 STS expired base session", AssumeRole, 403, "ExpiredToken",
             "The security token included in the request is expired".to_owned(), None, true, Phase::Sync, "ExpiredToken"),
            // A. M18, web identity mode
            ("M18 web identity trust", AssumeRoleWithWebIdentity, 403, "AccessDenied",
             "Not authorized to perform sts:AssumeRoleWithWebIdentity".to_owned(), None, true, Phase::Onboarding, "WebIdentityTrustDenies"),
            ("M18 no OIDC provider", AssumeRoleWithWebIdentity, 400, "InvalidIdentityToken",
             "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com".to_owned(),
             None, true, Phase::Onboarding, "OidcProviderMissing"),
            ("M18 audience", AssumeRoleWithWebIdentity, 400, "InvalidIdentityToken", "Incorrect token audience".to_owned(),
             None, true, Phase::Onboarding, "OidcAudienceNotRegistered"),
            ("web identity key", AssumeRoleWithWebIdentity, 400, "InvalidIdentityToken",
             "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements".to_owned(),
             None, true, Phase::Onboarding, "WebIdentityTokenRejected"),
            ("web identity expired", AssumeRoleWithWebIdentity, 400, "ExpiredTokenException",
             "Token expired: current date/time 1731098245 must be before the expiration date/time 1731095240".to_owned(),
             None, true, Phase::Onboarding, "WebIdentityTokenExpired"),
            ("web identity duration", AssumeRoleWithWebIdentity, 400, "ValidationError",
             "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".to_owned(),
             None, true, Phase::Onboarding, "MaxSessionDurationTooShort"),
            // A. M14
            ("M14 v1 token in opt-in region", PutObject, 400, "InvalidToken",
             "The provided token is malformed or otherwise invalid.".to_owned(), None, true, Phase::Onboarding, "StsTokenNotValidInRegion"),
            // B. permissions policy
            ("M19/M24/M60 no PutObject", PutObject, 403, "AccessDenied",
             denied("s3:PutObject", Some(obj), "because no identity-based policy allows the s3:PutObject action"),
             None, true, Phase::Onboarding, "PolicyMissingPutObject"),
            ("M60 HMAC user without policy", PutObject, 403, "AccessDenied",
             "User: arn:aws:iam::222222222222:user/transfer-service is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::lake/k\" because no identity-based policy allows the s3:PutObject action".to_owned(),
             None, false, Phase::Onboarding, "PolicyMissingPutObject"),
            ("M23 no DeleteObject", DeleteObject, 403, "AccessDenied",
             denied("s3:DeleteObject", Some(obj), "because no identity-based policy allows the s3:DeleteObject action"),
             None, true, Phase::Onboarding, "PolicyMissingDeleteObject"),
            ("M26 boundary", PutObject, 403, "AccessDenied",
             denied("s3:PutObject", None, "because no permissions boundary allows the s3:PutObject action"),
             None, true, Phase::Onboarding, "PermissionsBoundaryDeniesPutObject"),
            ("M26 boundary on delete", DeleteObject, 403, "AccessDenied",
             denied("s3:DeleteObject", None, "with an explicit deny in a permissions boundary"),
             None, true, Phase::Onboarding, "PermissionsBoundaryDeniesDeleteObject"),
            ("M27 PutObjectAcl", PutObject, 403, "AccessDenied",
             denied("s3:PutObjectAcl", Some(obj), "because no identity-based policy allows the s3:PutObjectAcl action"),
             None, true, Phase::Onboarding, "PolicyMissingAction"),
            ("identity explicit deny", PutObject, 403, "AccessDenied",
             denied("s3:PutObject", Some(obj), "with an explicit deny in an identity-based policy"),
             None, true, Phase::Onboarding, "IdentityPolicyExplicitDeny"),
            // C. location and name
            ("M30 PermanentRedirect", PutObject, 301, "PermanentRedirect",
             "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.".to_owned(),
             Some("ap-southeast-2"), true, Phase::Onboarding, "BucketInOtherRegion"),
            ("M31 AuthorizationHeaderMalformed", PutObject, 400, "AuthorizationHeaderMalformed",
             "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'".to_owned(),
             None, true, Phase::Onboarding, "BucketInOtherRegion"),
            ("M32 TemporaryRedirect", PutObject, 307, "TemporaryRedirect",
             "Please re-send this request to the specified temporary endpoint. Continue to use the original request endpoint for future requests.".to_owned(),
             None, true, Phase::Onboarding, "BucketRecentlyCreatedRedirect"),
            ("M33 IllegalLocationConstraint", PutObject, 400, "IllegalLocationConstraintException",
             "The af-south-1 location constraint is incompatible for the region specific endpoint this request was sent to.".to_owned(),
             None, true, Phase::Onboarding, "BucketInOtherRegion"),
            ("M34 NoSuchBucket", PutObject, 404, "NoSuchBucket", "The specified bucket does not exist".to_owned(),
             None, true, Phase::Onboarding, "NoSuchBucket"),
            ("M35/M61 bare cross-account", PutObject, 403, "AccessDenied", "Access Denied".to_owned(),
             None, false, Phase::Onboarding, "BucketOwnedByAnotherAccount"),
            ("M70 re-registered name", PutObject, 403, "AccessDenied", "Access Denied".to_owned(),
             None, true, Phase::Sync, "BucketOwnedByAnotherAccount"),
            ("M36 InvalidBucketName", PutObject, 400, "InvalidBucketName", "The specified bucket is not valid.".to_owned(),
             None, true, Phase::Onboarding, "InvalidBucketName"),
            // D. bucket features
            ("M37 ACLs disabled", PutObject, 400, "AccessControlListNotSupported", "The bucket does not allow ACLs".to_owned(),
             None, true, Phase::Onboarding, "AclNotSupported"),
            ("M38 BlockPublicAcls", PutObject, 403, "AccessDenied",
             denied("s3:PutObject", Some(obj), "because public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access."),
             None, true, Phase::Onboarding, "BlockPublicAclsRejectsAcl"),
            ("M39 kms identity", PutObject, 403, "AccessDenied",
             denied("kms:GenerateDataKey", Some("arn:aws:kms:eu-west-1:222222222222:key/1234abcd"), "because no identity-based policy allows the kms:GenerateDataKey action"),
             None, true, Phase::Onboarding, "KmsKeyDenied"),
            ("M40 kms key policy", PutObject, 403, "AccessDenied",
             denied("kms:GenerateDataKey", Some("arn:aws:kms:eu-west-1:222222222222:key/1234abcd"), "because no resource-based policy allows the kms:GenerateDataKey action"),
             None, true, Phase::Onboarding, "KmsKeyPolicyExcludesPrincipal"),
            ("M42 key disabled", PutObject, 400, "KMS.DisabledException", "arn:aws:kms:eu-west-1:222222222222:key/1234abcd is disabled.".to_owned(),
             None, true, Phase::Sync, "KmsKeyUnusable"),
            ("M42 key pending deletion", PutObject, 400, "KMS.KMSInvalidStateException", "arn:aws:kms:eu-west-1:222222222222:key/1234abcd is pending deletion.".to_owned(),
             None, true, Phase::Onboarding, "KmsKeyUnusable"),
            ("M43 aws/s3 cross-account", PutObject, 400, "KMS.NotFoundException", "Invalid keyId aws/s3".to_owned(),
             None, false, Phase::Onboarding, "KmsAwsManagedKeyCrossAccount"),
            ("M44 Object Lock checksum", PutObject, 400, "InvalidRequest",
             "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters".to_owned(),
             None, true, Phase::Onboarding, "ObjectLockRequiresChecksum"),
            ("M45 locked version", DeleteObject, 403, "AccessDenied", "Access Denied because object protected by object lock.".to_owned(),
             None, true, Phase::Onboarding, "ObjectLockRetainsTestObject"),
            ("M45 MFA delete", DeleteObject, 403, "AccessDenied", "Mfa Authentication must be used for this request".to_owned(),
             None, true, Phase::Onboarding, "MfaDeleteBlocksCleanup"),
            // E. guardrails
            ("M47-M52 bucket policy deny", PutObject, 403, "AccessDenied",
             denied("s3:PutObject", Some(obj), "with an explicit deny in a resource-based policy"),
             None, true, Phase::Onboarding, "BucketPolicyExplicitDeny"),
            ("M53 VPC endpoint", PutObject, 403, "AccessDenied",
             denied("s3:PutObject", None, "because no VPC endpoint policy allows the s3:PutObject action"),
             None, true, Phase::Onboarding, "VpcEndpointPolicyDenies"),
            ("M54 SCP with suffix", PutObject, 403, "AccessDenied",
             denied("s3:PutObject", None, "with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-xyz"),
             None, true, Phase::Onboarding, "OrganizationPolicyDenies"),
            ("M55 bucket policy denies delete", DeleteObject, 403, "AccessDenied",
             denied("s3:DeleteObject", Some(obj), "with an explicit deny in a resource-based policy"),
             None, true, Phase::Onboarding, "BucketPolicyDeniesDeleteObject"),
            // F. HMAC
            ("M56 unknown key", PutObject, 403, "InvalidAccessKeyId",
             "The AWS Access Key Id you provided does not exist in our records.".to_owned(), None, false, Phase::Onboarding, "InvalidAccessKeyId"),
            ("M58/M59 key gone during sync", PutObject, 403, "InvalidAccessKeyId",
             "The AWS Access Key Id you provided does not exist in our records.".to_owned(), None, false, Phase::Sync, "AccessKeyInactiveOrDeleted"),
            ("M57 wrong secret", PutObject, 403, "SignatureDoesNotMatch",
             "The request signature we calculated does not match the signature you provided. Check your key and signing method.".to_owned(),
             None, false, Phase::Onboarding, "SignatureMismatchWrongSecret"),
            // G. runtime
            ("M64 S3 skew", PutObject, 403, "RequestTimeTooSkewed",
             "The difference between the request time and the current time is too large.".to_owned(), None, true, Phase::Sync, "ClockSkew"),
            ("M65 S3 expired token", PutObject, 400, "ExpiredToken", "The provided token has expired.".to_owned(),
             None, true, Phase::Sync, "ExpiredToken"),
            ("M66 SlowDown", PutObject, 503, "SlowDown", "Please reduce your request rate.".to_owned(), None, true, Phase::Sync, "SlowDown"),
            ("M67 InternalError", PutObject, 500, "InternalError", "We encountered an internal error. Please try again.".to_owned(),
             None, true, Phase::Sync, "AwsServerError"),
            ("M67 ServiceUnavailable", PutObject, 503, "ServiceUnavailable", "Service Unavailable".to_owned(), None, true, Phase::Sync, "AwsServerError"),
            ("M69 RequestTimeout", PutObject, 400, "RequestTimeout",
             "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.".to_owned(),
             None, true, Phase::Sync, "NetworkError"),
            ("store without conditional writes", PutObject, 501, "NotImplemented",
             "A header you provided implies functionality that is not implemented".to_owned(), None, true, Phase::Onboarding, "ConditionalWritesUnsupported"),
            ("unknown", PutObject, 400, "SomethingNew", "Who knows".to_owned(), None, true, Phase::Onboarding, "Unrecognized"),
        ];
        for (name, op, status, code, message, bucket_region, role, phase, want) in rows {
            let mut ev = Evidence::response(op, status, code, &message);
            if let Some(r) = bucket_region {
                ev = ev.with_bucket_region(r);
            }
            let target = if role {
                role_target(Some("ext-123"))
            } else {
                hmac_target()
            };
            let target = if name.starts_with("M03") {
                role_target(None)
            } else {
                target
            };
            let got = classify(ev, &target, phase);
            assert_eq!(got.kind(), want, "{name}: {message}");
            assert!(!got.remediation().is_empty(), "{name}");
        }
    }

    #[test]
    fn regions_are_extracted() {
        let target = role_target(Some("x"));
        let redirect = Evidence::response(Operation::PutObject, 301, "PermanentRedirect", "…")
            .with_endpoint_element("lake.s3.ap-southeast-2.amazonaws.com");
        let d = classify(redirect, &target, Phase::Onboarding);
        assert!(
            matches!(d, Diagnosis::BucketInOtherRegion { actual: Some(ref r), .. } if r == "ap-southeast-2")
        );

        let header = Evidence::response(Operation::PutObject, 301, "", "").with_bucket_region("eu-central-1");
        let d = classify(header, &target, Phase::Onboarding);
        assert!(
            matches!(d, Diagnosis::BucketInOtherRegion { actual: Some(ref r), .. } if r == "eu-central-1")
        );

        let element = Evidence::response(
            Operation::PutObject,
            400,
            "AuthorizationHeaderMalformed",
            "malformed",
        )
        .with_region_element("eu-north-1");
        let d = classify(element, &target, Phase::Onboarding);
        assert!(matches!(d, Diagnosis::BucketInOtherRegion { actual: Some(ref r), .. } if r == "eu-north-1"));
        assert!(d.remediation().contains("eu-north-1"));

        let d = classify(
            Evidence::response(Operation::PutObject, 400, "IllegalLocationConstraintException",
                "The af-south-1 location constraint is incompatible for the region specific endpoint this request was sent to."),
            &target,
            Phase::Onboarding,
        );
        assert!(matches!(d, Diagnosis::BucketInOtherRegion { actual: Some(ref r), .. } if r == "af-south-1"));

        for (endpoint, region) in [
            ("lake.s3.eu-west-1.amazonaws.com", "eu-west-1"),
            ("lake.s3-eu-west-1.amazonaws.com", "eu-west-1"),
            ("lake.s3.amazonaws.com", "us-east-1"),
            ("https://s3.dualstack.sa-east-1.amazonaws.com/lake", "sa-east-1"),
        ] {
            assert_eq!(
                region_from_endpoint(endpoint).as_deref(),
                Some(region),
                "{endpoint}"
            );
        }
        assert_eq!(region_from_endpoint("localhost:9000"), None);
    }

    #[test]
    fn delete_failures_mark_the_artifact() {
        let d = classify(
            Evidence::response(
                Operation::DeleteObject,
                403,
                "AccessDenied",
                &denied(
                    "s3:DeleteObject",
                    Some("\"arn:aws:s3:::lake/k\""),
                    "because no identity-based policy allows the s3:DeleteObject action",
                ),
            ),
            &role_target(Some("x")),
            Phase::Onboarding,
        );
        assert_eq!(d.artifact_left_behind(), Some(KEY));
        assert!(d.remediation().contains(KEY));
        assert!(d.remediation().contains("s3:DeleteObject"));
    }

    #[test]
    fn trust_remediation_names_the_learned_principal() {
        let d = classify(
            Evidence::response(
                Operation::AssumeRole,
                403,
                "AccessDenied",
                &denied("sts:AssumeRole", Some(ROLE), ""),
            ),
            &role_target(Some("ext-123")),
            Phase::Onboarding,
        );
        assert_eq!(
            d.target().service_principal.as_deref(),
            Some("arn:aws:iam::111111111111:role/vendor-sync")
        );
        let text = d.remediation();
        assert!(
            text.contains("arn:aws:iam::111111111111:role/vendor-sync"),
            "{text}"
        );
        assert!(text.contains("ext-123"), "{text}");
    }

    #[test]
    fn transport_failures_are_network_errors() {
        let d = classify(
            Evidence::transport(Operation::PutObject, "connection reset"),
            &hmac_target(),
            Phase::Sync,
        );
        assert_eq!(d.kind(), "NetworkError");
        assert!(d.is_transient());
    }

    #[test]
    fn principals_for_trust_policies() {
        assert_eq!(
            trusted_principal_of("arn:aws:sts::111111111111:assumed-role/vendor/sess").as_deref(),
            Some("arn:aws:iam::111111111111:role/vendor")
        );
        assert_eq!(
            trusted_principal_of("arn:aws:iam::111111111111:user/sync").as_deref(),
            Some("arn:aws:iam::111111111111:user/sync")
        );
        assert_eq!(trusted_principal_of("garbage"), None);
    }
}
