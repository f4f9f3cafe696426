//! What each diagnosis tells the customer: a one-line summary and step-by-step remediation with
//! the exact statement, ARN, region or corrected policy JSON.

use serde_json::json;

use super::message::parse_denial;
use super::{AuthSummary, Diagnosis, Target};

/// The setup guide's permissions policy with the real bucket name in place of `BUCKET_NAME`.
pub fn permissions_policy(bucket: &str) -> String {
    let doc = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": format!("arn:aws:s3:::{bucket}/*"),
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// A trust policy admitting `principal` to `sts:AssumeRole` (plus `extra_actions`), requiring
/// `external_id` when one is given.
pub fn trust_policy(principal: &str, external_id: Option<&str>, extra_actions: &[&str]) -> String {
    let mut actions = vec!["sts:AssumeRole"];
    actions.extend_from_slice(extra_actions);
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": { "AWS": principal },
        "Action": actions,
    });
    if let (Some(id), Some(obj)) = (external_id, statement.as_object_mut()) {
        obj.insert(
            "Condition".to_owned(),
            json!({ "StringEquals": { "sts:ExternalId": id } }),
        );
    }
    let doc = json!({ "Version": "2012-10-17", "Statement": [statement] });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// The trust-policy conditions that admit a token: `<provider>:sub`, `<provider>:aud` and,
/// for Google, `accounts.google.com:oaud` (IAM user guide, "Available keys for AWS OIDC
/// federation").
fn web_identity_claims(
    provider: &str,
    sub: Option<&str>,
    aud: Option<&str>,
    oaud: Option<&str>,
) -> Vec<(String, String)> {
    // A registered provider is named by its ARN; its condition keys by the issuer.
    let prefix = provider
        .split_once(":oidc-provider/")
        .map_or(provider, |(_, issuer)| issuer);
    let mut out = Vec::new();
    for (name, value) in [("sub", sub), ("aud", aud), ("oaud", oaud)] {
        if let Some(v) = value {
            out.push((format!("{prefix}:{name}"), v.to_owned()));
        }
    }
    out
}

/// A trust policy admitting tokens from `provider` whose claims equal `conditions`.
pub fn web_identity_trust_policy(provider: &str, conditions: &[(String, String)]) -> String {
    let equals: serde_json::Map<String, serde_json::Value> =
        conditions.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": { "Federated": provider },
        "Action": "sts:AssumeRoleWithWebIdentity",
    });
    if let (false, Some(obj)) = (equals.is_empty(), statement.as_object_mut()) {
        obj.insert("Condition".to_owned(), json!({ "StringEquals": equals }));
    }
    let doc = json!({ "Version": "2012-10-17", "Statement": [statement] });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn principal(t: &Target) -> String {
    t.service_principal
        .clone()
        .unwrap_or_else(|| "<the service principal from your onboarding page>".to_owned())
}

fn external_id(t: &Target) -> Option<&str> {
    match &t.auth {
        AuthSummary::AssumeRole { external_id, .. } => external_id.as_deref(),
        AuthSummary::Hmac { .. } => None,
    }
}

/// `role \`name\`` in role mode, `the IAM user that owns key \`AKIA…\`` in HMAC mode (the user
/// name when AWS named it).
fn identity(d: &Diagnosis) -> String {
    let t = d.target();
    match &t.auth {
        AuthSummary::AssumeRole { role_arn, .. } => {
            let name = role_arn.rsplit('/').next().unwrap_or(role_arn);
            format!("role `{name}` (`{role_arn}`)")
        }
        AuthSummary::Hmac { access_key_id } => {
            let user = denial_principal(d).and_then(|p| p.split_once(":user/").map(|(_, u)| u.to_owned()));
            match user {
                Some(u) => format!("IAM user `{u}` (access key `{access_key_id}`)"),
                None => format!("the IAM user that owns access key `{access_key_id}`"),
            }
        }
    }
}

fn denial_principal(d: &Diagnosis) -> Option<String> {
    let msg = d.evidence()?.message.as_deref()?;
    parse_denial(msg).map(|den| den.principal)
}

fn key_of(t: &Target) -> String {
    t.key.clone().unwrap_or_else(|| match &t.prefix {
        Some(p) => format!("{p}/…"),
        None => "…".to_owned(),
    })
}

fn leftover_note(d: &Diagnosis) -> String {
    match d.artifact_left_behind() {
        Some(key) => format!(
            "\nThe connection-test object `s3://{}/{key}` (a few bytes) was left in your bucket; delete it once the \
             test passes, or leave it: it is harmless.",
            d.target().bucket
        ),
        None => String::new(),
    }
}

fn aws_said(d: &Diagnosis) -> String {
    match d.evidence() {
        Some(ev) => {
            let op = ev.operation.map(|o| o.as_str()).unwrap_or("request");
            let status = ev.status.map(|s| format!(" {s}")).unwrap_or_default();
            let rid = ev
                .request_id
                .as_ref()
                .map(|r| format!(" (request id {r})"))
                .unwrap_or_default();
            format!("\nAWS answered {op}{status} {}{rid}.", ev.message_or_code())
        }
        None => String::new(),
    }
}

fn masked_key(t: &Target) -> &str {
    match &t.auth {
        AuthSummary::Hmac { access_key_id } => access_key_id,
        AuthSummary::AssumeRole { .. } => "(session key)",
    }
}

fn role_name(t: &Target) -> String {
    match t.role_arn() {
        Some(arn) => format!("`{}`", arn.rsplit('/').next().unwrap_or(arn)),
        None => "your role".to_owned(),
    }
}

fn bucket_only(bucket: &Option<String>, prefix: &Option<String>, region: &Option<String>) -> String {
    let mut s = "Enter only the bucket name: no `https://`, `s3://`, ARN or path.".to_owned();
    if let Some(b) = bucket {
        s.push_str(&format!(" Bucket: `{b}`."));
    }
    if let Some(p) = prefix {
        s.push_str(&format!(" Put `{p}` in the prefix field."));
    }
    if let Some(r) = region {
        s.push_str(&format!(" Region: `{r}`."));
    }
    s
}

fn kms_statement(key_arn: Option<&str>, action: &str) -> String {
    let mut actions = vec!["kms:GenerateDataKey", "kms:Decrypt"];
    if !actions.contains(&action) {
        actions.push(action);
    }
    let doc = json!({
        "Effect": "Allow",
        "Action": actions,
        "Resource": key_arn.unwrap_or("<the bucket's default key ARN>"),
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// One line: what is wrong.
pub(super) fn summary(d: &Diagnosis) -> String {
    let t = d.target();
    let bucket = &t.bucket;
    match d {
        Diagnosis::BucketFieldIsUrl { value, .. } => {
            format!("the bucket field holds a URL `{value}`, not a bucket name")
        }
        Diagnosis::BucketFieldIsArn { value, .. } => {
            format!("the bucket field holds an ARN `{value}`, not a bucket name")
        }
        Diagnosis::BucketFieldHasPath { value, .. } => {
            format!("the bucket field holds a path `{value}`, not a bucket name")
        }
        Diagnosis::BucketNamePlaceholder { value, .. } => {
            format!("the bucket field still holds the placeholder `{value}`")
        }
        Diagnosis::InvalidBucketName { value, reason, .. } => {
            format!("`{value}` is not a valid bucket name: {reason}")
        }
        Diagnosis::PrefixMalformed { value, reason, .. } => {
            format!("the prefix `{value}` cannot be used: {reason}")
        }
        Diagnosis::UnknownRegion { value, .. } => format!("`{value}` is not an AWS region code"),
        Diagnosis::RegionInOtherPartition { value, .. } => {
            format!("region `{value}` is in a partition this service does not serve")
        }
        Diagnosis::RoleArnMalformed { value, reason, .. } => {
            format!("the role ARN `{value}` is malformed: {reason}")
        }
        Diagnosis::RoleNameInsteadOfArn { value, .. } => {
            format!("`{value}` is a role name; the full role ARN is needed")
        }
        Diagnosis::NotARoleArn { value, pasted, .. } => format!("`{value}` is {pasted}, not a role ARN"),
        Diagnosis::RoleArnWrongPartition { partition, .. } => {
            format!("the role is in partition `{partition}`, which this service does not serve")
        }
        Diagnosis::ExternalIdMissing { .. } => "no ExternalId is configured for the role".to_owned(),
        Diagnosis::ExternalIdMalformed { reason, .. } => format!("the ExternalId is malformed: {reason}"),
        Diagnosis::AccessKeyIdMalformed { reason, .. } => format!("the access key id is malformed: {reason}"),
        Diagnosis::TemporaryCredentialsPasted { .. } => {
            "the access key starts with ASIA: these are temporary credentials".to_owned()
        }
        Diagnosis::AccessKeyAndSecretSwapped { .. } => {
            "the access key id and the secret access key are swapped".to_owned()
        }
        Diagnosis::SecretAccessKeyMalformed { reason, .. } => {
            format!("the secret access key is malformed: {reason}")
        }
        Diagnosis::TrustPolicyDeniesAssumeRole { .. } => {
            "the role's trust policy does not let the service assume it".to_owned()
        }
        Diagnosis::ExternalIdMismatchOrMissing { .. } => {
            "the role's trust policy requires an ExternalId the service did not send".to_owned()
        }
        Diagnosis::TrustPolicyExplicitDeny { .. } => {
            "the role's trust policy explicitly denies the service".to_owned()
        }
        Diagnosis::SessionTagsNotAllowed { .. } => {
            "the trust policy does not allow sts:TagSession".to_owned()
        }
        Diagnosis::SourceIdentityNotAllowed { .. } => {
            "the trust policy does not allow sts:SetSourceIdentity".to_owned()
        }
        Diagnosis::MaxSessionDurationTooShort {
            requested_seconds, ..
        } => format!(
            "the role's maximum session duration is below the requested {} s",
            requested_seconds.map_or_else(|| "?".to_owned(), |s| s.to_string())
        ),
        Diagnosis::RoleChainingSessionLimit { .. } => {
            "role chaining limits sessions to 1 hour (service-side)".to_owned()
        }
        Diagnosis::RegionDisabledForSts { region, .. } => {
            format!("STS is not activated in `{region}` for your account")
        }
        Diagnosis::ServiceCredentialsRejected { .. } => {
            "STS rejected the service's own credentials (service-side)".to_owned()
        }
        Diagnosis::ServiceNotAllowedToAssumeRole { .. } => {
            "the service's principal may not call sts:AssumeRole (service-side)".to_owned()
        }
        Diagnosis::OrganizationPolicyDenies {
            policy_type, action, ..
        } => {
            format!("an AWS Organizations {policy_type} denies `{action}`")
        }
        Diagnosis::StsTokenNotValidInRegion { .. } => {
            format!("the session token is not valid in region `{}`", t.region)
        }
        Diagnosis::PolicyMissingPutObject { .. } => {
            format!(
                "no permissions policy allows s3:PutObject on `arn:aws:s3:::{bucket}/{}`",
                key_of(t)
            )
        }
        Diagnosis::PolicyMissingDeleteObject { .. } => {
            "no permissions policy allows s3:DeleteObject; the test object was left behind".to_owned()
        }
        Diagnosis::PolicyMissingAction { action, .. } => format!("no permissions policy allows `{action}`"),
        Diagnosis::MultipartAbortNotAllowed { .. } => format!(
            "no permissions policy allows `s3:AbortMultipartUpload` on `{bucket}`: a failed large upload cannot be cleaned up"
        ),
        Diagnosis::WebIdentityTrustDenies { .. } => {
            "the role's trust policy does not admit the service's web identity token".to_owned()
        }
        Diagnosis::OidcProviderMissing { issuer, .. } => format!(
            "your account has no IAM OIDC identity provider for `{}`",
            issuer.as_deref().unwrap_or("the token's issuer")
        ),
        Diagnosis::OidcAudienceNotRegistered { .. } => {
            "the IAM OIDC identity provider does not list the token's audience as a client ID".to_owned()
        }
        Diagnosis::WebIdentityTokenRejected { .. } => {
            "STS could not validate the service's web identity token (service-side)".to_owned()
        }
        Diagnosis::WebIdentityTokenExpired { .. } => {
            "the service's web identity token expired (service-side)".to_owned()
        }
        Diagnosis::WebIdentityTokenUnreadable { reason, .. } => {
            format!("the service's web identity token cannot be read: {reason} (service-side)")
        }
        Diagnosis::TrustPolicyIgnoresExternalId { accepted, .. } => format!(
            "the role's trust policy does not require the ExternalId: AssumeRole with {accepted} succeeded"
        ),
        Diagnosis::DeleteObjectStillAllowed { .. } => format!(
            "s3:DeleteObject on `{bucket}` is still allowed; only the connection test needs it"
        ),
        Diagnosis::IdentityPolicyExplicitDeny { action, .. } => {
            format!("a permissions policy explicitly denies `{action}`")
        }
        Diagnosis::PermissionsBoundaryDeniesPutObject { .. } => {
            "the permissions boundary does not allow s3:PutObject".to_owned()
        }
        Diagnosis::PermissionsBoundaryDeniesDeleteObject { .. } => {
            "the permissions boundary does not allow s3:DeleteObject".to_owned()
        }
        Diagnosis::BucketPolicyExplicitDeny { .. } => {
            format!("the bucket policy of `{bucket}` explicitly denies the write")
        }
        Diagnosis::BucketPolicyDeniesDeleteObject { .. } => {
            format!("the bucket policy of `{bucket}` explicitly denies s3:DeleteObject")
        }
        Diagnosis::BucketPolicyMissingGrant { action, .. } => {
            format!("the bucket policy of `{bucket}` does not grant `{action}`")
        }
        Diagnosis::VpcEndpointPolicyDenies { .. } => "a VPC endpoint policy denies the request".to_owned(),
        Diagnosis::SessionPolicyDenies { .. } => {
            "a session policy denies the request (service-side)".to_owned()
        }
        Diagnosis::BlockPublicAclsRejectsAcl { .. } => {
            "Block Public Access rejected a public ACL (service-side)".to_owned()
        }
        Diagnosis::BucketOwnedByAnotherAccount { .. } => {
            format!("bucket `{bucket}` answers with a bare Access Denied: it is not in your account")
        }
        Diagnosis::BucketInOtherRegion { actual, .. } => match actual {
            Some(r) => format!("bucket `{bucket}` is in `{r}`, not `{}`", t.region),
            None => format!("bucket `{bucket}` is not in `{}`", t.region),
        },
        Diagnosis::BucketRecentlyCreatedRedirect { .. } => {
            format!("bucket `{bucket}` is so new its DNS name is still propagating")
        }
        Diagnosis::WaitedForIamPropagation { waited_seconds, cleared: true, .. } => {
            format!("IAM took about {waited_seconds} s to propagate a recent change; onboarding waited for it")
        }
        Diagnosis::WaitedForIamPropagation { waited_seconds, .. } => {
            format!("onboarding retried for {waited_seconds} s in case IAM had not yet propagated a recent change")
        }
        Diagnosis::NoSuchBucket { .. } => format!("bucket `{bucket}` does not exist"),
        Diagnosis::AclNotSupported { .. } => {
            format!("bucket `{bucket}` has ACLs disabled and the request carried an ACL")
        }
        Diagnosis::KmsKeyDenied { action, .. } => {
            format!("the bucket's KMS key does not allow `{action}` for the service")
        }
        Diagnosis::KmsKeyPolicyExcludesPrincipal { .. } => {
            "the KMS key policy does not admit the service".to_owned()
        }
        Diagnosis::KmsKeyUnusable { code, .. } => {
            format!("the bucket's default KMS key is unusable ({code})")
        }
        Diagnosis::KmsAwsManagedKeyCrossAccount { .. } => {
            "the AWS-managed aws/s3 key cannot be used by another account".to_owned()
        }
        Diagnosis::ObjectLockRequiresChecksum { .. } => {
            "Object Lock requires a checksum header (service-side)".to_owned()
        }
        Diagnosis::ObjectLockRetainsTestObject { .. } => {
            "Object Lock retention keeps the test object".to_owned()
        }
        Diagnosis::MfaDeleteBlocksCleanup { .. } => "MFA Delete blocks deleting the test object".to_owned(),
        Diagnosis::VersionedBucketKeepsTestObject { .. } => {
            "the bucket is versioned: the test object remains as a noncurrent version".to_owned()
        }
        Diagnosis::ConditionalWritesUnsupported { .. } => {
            "the store does not support conditional writes (If-None-Match)".to_owned()
        }
        Diagnosis::InvalidAccessKeyId { .. } => {
            format!("AWS does not recognise the access key `{}`", masked_key(t))
        }
        Diagnosis::AccessKeyInactiveOrDeleted { .. } => {
            format!(
                "the access key `{}` was deactivated, deleted or rotated",
                masked_key(t)
            )
        }
        Diagnosis::SignatureMismatchWrongSecret { .. } => {
            "the access key id is valid but the secret is wrong".to_owned()
        }
        Diagnosis::ExpiredToken { .. } => "the session token expired".to_owned(),
        Diagnosis::ClockSkew { .. } => "the service host's clock is too far off (service-side)".to_owned(),
        Diagnosis::SlowDown { .. } => "AWS is throttling requests".to_owned(),
        Diagnosis::AwsServerError { .. } => "AWS returned a server error".to_owned(),
        Diagnosis::NetworkError { .. } => {
            "the request got no response (timeout or connection failure)".to_owned()
        }
        Diagnosis::Unrecognized { .. } => match d.evidence() {
            Some(ev) => format!("unrecognised AWS answer: {}", ev.message_or_code()),
            None => "unrecognised failure".to_owned(),
        },
    }
}

/// Step-by-step remediation.
pub(super) fn remediation(d: &Diagnosis) -> String {
    let t = d.target();
    let bucket = &t.bucket;
    let region = &t.region;
    let who = identity(d);
    let body = match d {
        Diagnosis::BucketFieldIsUrl { bucket: b, prefix, region: r, .. } => bucket_only(b, prefix, r),
        Diagnosis::BucketFieldIsArn { bucket: b, prefix, .. } | Diagnosis::BucketFieldHasPath { bucket: b, prefix, .. } => {
            bucket_only(b, prefix, &None)
        }
        Diagnosis::BucketNamePlaceholder { value, .. } => format!(
            "Replace `{value}` with the name of the bucket you created in Step 1 (S3 console → Buckets). \
             If you pasted the setup guide's policy, replace `BUCKET_NAME` there too."
        ),
        Diagnosis::InvalidBucketName { .. } => "Enter the bucket name exactly as the S3 console lists it: 3–63 characters, \
             lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit."
            .to_owned(),
        Diagnosis::PrefixMalformed { .. } => {
            "Enter a key prefix such as `exports/warehouse` (no `s3://`, no `..`, no empty segments).".to_owned()
        }
        Diagnosis::UnknownRegion { suggestion, .. } => match suggestion {
            Some(s) => format!("Enter the region code `{s}`. The S3 console shows it next to the bucket (AWS Region)."),
            None => "Enter the bucket's region code, e.g. `us-east-1` or `eu-west-1`, as the S3 console shows it.".to_owned(),
        },
        Diagnosis::RegionInOtherPartition { .. } | Diagnosis::RoleArnWrongPartition { .. } => {
            "This deployment serves the commercial AWS partition (`arn:aws:`). Use a bucket and role in a commercial \
             region, or ask us for the deployment serving your partition."
                .to_owned()
        }
        Diagnosis::RoleArnMalformed { .. } | Diagnosis::RoleNameInsteadOfArn { .. } => {
            "Paste the full role ARN, `arn:aws:iam::<12-digit account id>:role/<name>` (IAM → Roles → your role → ARN, \
             copy button), with no spaces."
                .to_owned()
        }
        Diagnosis::NotARoleArn { suggestion, .. } => {
            let mut s = "Paste the ARN of the role (IAM → Roles → your role → ARN), not a policy, user, instance-profile \
                         or session ARN."
                .to_owned();
            if let Some(r) = suggestion {
                s.push_str(&format!(" You probably mean `{r}`."));
            }
            s
        }
        Diagnosis::ExternalIdMissing { .. } => "Require the ExternalId we issued in the role's trust policy \
             (Condition `StringEquals` `sts:ExternalId`) and enter it here; it prevents other customers of the service \
             from pointing it at your role."
            .to_owned(),
        Diagnosis::ExternalIdMalformed { .. } => "Copy the ExternalId exactly as shown on the onboarding page, without \
             quotes, spaces or placeholder brackets; the trust policy condition must hold the same value."
            .to_owned(),
        Diagnosis::AccessKeyIdMalformed { .. } => "Re-copy the access key id from IAM → Users → your user → Security \
             credentials: 20 characters starting with `AKIA`, no spaces."
            .to_owned(),
        Diagnosis::TemporaryCredentialsPasted { .. } => "Keys starting with `ASIA` are temporary and expire within \
             hours. Create a long-term access key for an IAM user (IAM → Users → your user → Security credentials → \
             Create access key; it starts with `AKIA`), or use role mode."
            .to_owned(),
        Diagnosis::AccessKeyAndSecretSwapped { .. } => "Swap the two fields: the access key id is the 20-character value \
             starting with `AKIA`, the secret is the 40-character value."
            .to_owned(),
        Diagnosis::SecretAccessKeyMalformed { .. } => "Re-copy the secret access key (40 characters) without leading or \
             trailing spaces or line breaks. If it is lost, create a new access key."
            .to_owned(),
        Diagnosis::TrustPolicyDeniesAssumeRole { .. } => format!(
            "AWS does not say which of these is wrong, so check all four in IAM → Roles → {} → Trust relationships:\n\
             1. the role ARN entered here is exactly the role's ARN (account id, path, name);\n\
             2. the trust policy's Principal is `{}`;\n\
             3. its Action includes `sts:AssumeRole` and no Deny statement matches;\n\
             4. its `sts:ExternalId` condition equals `{}` exactly.\n\
             The trust policy should read:\n{}\n\
             If you edited IAM in the last minute, wait a minute and retry: IAM changes take time to propagate.",
            role_name(t),
            principal(t),
            external_id(t).unwrap_or("<the ExternalId we issued>"),
            trust_policy(&principal(t), external_id(t), &[])
        ),
        Diagnosis::ExternalIdMismatchOrMissing { .. } => format!(
            "The trust policy most likely requires `sts:ExternalId`, and no ExternalId was entered. Enter the ExternalId \
             shown on the onboarding page; the role's trust policy must require exactly that value:\n{}\n\
             If the trust policy has no ExternalId condition, check that its Principal is `{}` and the role ARN is exact.",
            trust_policy(&principal(t), Some("<the ExternalId we issued>"), &[]),
            principal(t)
        ),
        Diagnosis::TrustPolicyExplicitDeny { .. } => format!(
            "Remove the Deny statement that matches the service from the trust policy of {}. It should read:\n{}",
            role_name(t),
            trust_policy(&principal(t), external_id(t), &[])
        ),
        Diagnosis::SessionTagsNotAllowed { .. } => format!(
            "Add `sts:TagSession` to the Action list of the trust statement for `{}`:\n{}",
            principal(t),
            trust_policy(&principal(t), external_id(t), &["sts:TagSession"])
        ),
        Diagnosis::SourceIdentityNotAllowed { .. } => format!(
            "Add `sts:SetSourceIdentity` to the Action list of the trust statement for `{}`:\n{}",
            principal(t),
            trust_policy(&principal(t), external_id(t), &["sts:SetSourceIdentity"])
        ),
        Diagnosis::MaxSessionDurationTooShort { requested_seconds, .. } => format!(
            "In IAM → Roles → {} → Summary → Maximum session duration, choose at least {} seconds, or accept 1-hour \
             sessions (the service falls back to 3600 s).",
            role_name(t),
            requested_seconds.map_or_else(|| "the requested".to_owned(), |s| s.to_string())
        ),
        Diagnosis::RoleChainingSessionLimit { .. } => {
            "Service-side: the service's principal is itself an assumed role, so sessions are capped at 3600 s. \
             Operators: request at most 3600 s. Nothing to change on your side."
                .to_owned()
        }
        Diagnosis::RegionDisabledForSts { region: r, .. } => {
            format!("In IAM → Account settings → Security Token Service (STS) → Endpoints, activate `{r}`.")
        }
        Diagnosis::ServiceCredentialsRejected { .. } | Diagnosis::ServiceNotAllowedToAssumeRole { .. } => {
            "Service-side: the service's own AWS credentials were rejected or may not call sts:AssumeRole. Operators: \
             check the service's base credentials and its identity policy. Nothing to change on your side."
                .to_owned()
        }
        Diagnosis::OrganizationPolicyDenies { policy_type, action, .. } => format!(
            "An AWS Organizations {policy_type} blocks `{action}` for {who}. Ask your cloud administrator for an \
             exception for this role/user and bucket `{bucket}`{}.",
            if policy_type.contains("resource control") {
                " (and for principals of the service's account)"
            } else {
                ""
            }
        ),
        Diagnosis::WebIdentityTrustDenies {
            provider,
            sub,
            aud,
            oaud,
            ..
        } => {
            let provider = provider.as_deref().unwrap_or("<the identity provider from your onboarding page>");
            let claims = web_identity_claims(provider, sub.as_deref(), aud.as_deref(), oaud.as_deref());
            format!(
                "AWS does not say what did not match, so check all three in IAM → Roles → {} → Trust relationships:\n\
                 1. the Principal is `\"Federated\": \"{provider}\"` (not `AWS`);\n\
                 2. the Action is `sts:AssumeRoleWithWebIdentity` (not `sts:AssumeRole`);\n\
                 3. the conditions name the service's token exactly:{}.\n\
                 The trust policy should read:\n{}\n\
                 If you edited IAM in the last minute, wait a minute and retry: IAM changes take time to propagate.",
                role_name(t),
                claims
                    .iter()
                    .map(|(k, v)| format!(" `{k}` = `{v}`"))
                    .collect::<Vec<_>>()
                    .join(","),
                web_identity_trust_policy(provider, &claims)
            )
        }
        Diagnosis::OidcProviderMissing { issuer, .. } => format!(
            "Create the identity provider in your account: IAM → Identity providers → Add provider → OpenID Connect, \
             provider URL `{}`, audience `{}`. Then the role's trust policy can name it as its `Federated` principal.",
            issuer.as_deref().unwrap_or("<the issuer from your onboarding page>"),
            "<the audience from your onboarding page>"
        ),
        Diagnosis::OidcAudienceNotRegistered { audience, .. } => format!(
            "Add `{}` to the identity provider's audiences (IAM → Identity providers → the provider → Audiences → \
             Add audience), and keep the trust policy's `:aud` condition equal to it.",
            audience.as_deref().unwrap_or("<the audience from your onboarding page>")
        ),
        Diagnosis::WebIdentityTokenRejected { .. } => "The service's identity token did not validate (its signature, \
             key or format). Nothing to change on your side; the service must obtain a fresh token from its identity \
             provider."
            .to_owned(),
        Diagnosis::WebIdentityTokenExpired { .. } => "The service's identity token had expired. Nothing to change on \
             your side; the service must refresh its token file before it expires."
            .to_owned(),
        Diagnosis::WebIdentityTokenUnreadable { reason, .. } => format!(
            "The service could not read its identity token ({reason}). Nothing to change on your side."
        ),
        Diagnosis::StsTokenNotValidInRegion { .. } => format!(
            "Your account issues global-endpoint session tokens that are only valid in default regions, and `{region}` \
             is opt-in. In IAM → Account settings → Security Token Service (STS) → Global endpoint, choose \"Valid in \
             all AWS Regions\". (Operators: use the STS endpoint of `{region}`, which always issues valid tokens.)"
        ),
        Diagnosis::PolicyMissingPutObject { .. } => format!(
            "Attach a permissions policy to {who} that allows `s3:PutObject` on `arn:aws:s3:::{bucket}/*` (at least \
             `arn:aws:s3:::{bucket}/{}*`). Check that the policy names `{bucket}` (not `BUCKET_NAME` or another \
             bucket), that its Resource ends in `/*`, and that it is attached to this role/user. The setup guide's \
             policy, with your bucket:\n{}",
            t.prefix.as_ref().map(|p| format!("{p}/")).unwrap_or_default(),
            permissions_policy(bucket)
        ),
        Diagnosis::PolicyMissingDeleteObject { .. } => format!(
            "Add `s3:DeleteObject` on `arn:aws:s3:::{bucket}/*` to the permissions policy of {who}. It is only needed \
             for the connection test and can be removed afterwards. The setup guide's policy, with your bucket:\n{}",
            permissions_policy(bucket)
        ),
        // M29: the setup guide's policy covers a multipart upload's create, parts and
        // complete (all s3:PutObject), not its abort or listings.
        Diagnosis::TrustPolicyIgnoresExternalId { external_id, .. } => format!(
            "Your role's trust policy lets the service assume it without the ExternalId the service issued you. \
             Anyone else who uses the service could enter your role's ARN and have the service write into \
             `{bucket}` on their behalf (the confused-deputy problem the ExternalId exists for). In {who}'s trust \
             policy, add this condition to the statement that allows the service's principal `sts:AssumeRole`:\n\
             \"Condition\": {{ \"StringEquals\": {{ \"sts:ExternalId\": \"{external_id}\" }} }}\n\
             Use `StringEquals` with the exact value (not `StringLike`, a wildcard, `IfExists` or `ForAnyValue`, which \
             let a missing or different ID through)."
        ),
        Diagnosis::DeleteObjectStillAllowed { .. } => format!(
            "The connection test has passed, and the service only appends from now on: you can remove \
             `s3:DeleteObject` from the permissions policy of {who} (the setup guide says so). The service \
             checked this by deleting a key under its own test prefix that was never written; nothing of yours \
             was touched."
        ),
        Diagnosis::MultipartAbortNotAllowed { .. } => {
            format!(
                "Large batches are written as multipart uploads. Add `s3:AbortMultipartUpload` on \
                 `arn:aws:s3:::{bucket}/*` to the permissions policy of {who}, so an upload that fails can be \
                 cleaned up. Without it, add a lifecycle rule to `{bucket}` that aborts incomplete multipart \
                 uploads (S3 → {bucket} → Management → Create lifecycle rule → \"Delete expired object delete \
                 markers or incomplete multipart uploads\", e.g. after 7 days): AWS keeps, and bills, the parts \
                 of an upload nobody completes or aborts."
            )
        }
        Diagnosis::PolicyMissingAction { action, .. } => {
            format!("Add `{action}` on `arn:aws:s3:::{bucket}/*` to the permissions policy of {who}.")
        }
        Diagnosis::IdentityPolicyExplicitDeny { action, .. } => format!(
            "A Deny statement in a policy attached to {who} matches `{action}` on `arn:aws:s3:::{bucket}/{}`. Remove it \
             or narrow it so it does not cover this bucket.",
            key_of(t)
        ),
        Diagnosis::PermissionsBoundaryDeniesPutObject { .. } => format!(
            "{who} has a permissions boundary (IAM → the role/user → Permissions boundary). The boundary must also \
             allow `s3:PutObject` on `arn:aws:s3:::{bucket}/*`."
        ),
        Diagnosis::PermissionsBoundaryDeniesDeleteObject { .. } => format!(
            "{who} has a permissions boundary that does not allow `s3:DeleteObject` on `arn:aws:s3:::{bucket}/*`. \
             Allow it in the boundary for the connection test (it can be removed afterwards)."
        ),
        Diagnosis::BucketPolicyExplicitDeny { .. } => format!(
            "A Deny statement in the bucket policy of `{bucket}` (S3 → {bucket} → Permissions → Bucket policy) matches \
             this write. Common conditions: `aws:SourceIp` not listing the service's egress addresses; \
             `aws:SourceVpce`/`aws:SourceVpc`; `s3:x-amz-server-side-encryption` requiring an SSE header (the service \
             relies on the bucket's default encryption and sends none); `s3:x-amz-acl` requiring an ACL (the service \
             sends none); `aws:SecureTransport` false{}. Exempt {who}, e.g. with a condition on `aws:PrincipalArn`.",
            if t.endpoint_url.as_deref().is_some_and(|e| e.starts_with("http://")) {
                " (this destination is configured with a plain-http endpoint, which that condition rejects)"
            } else {
                ""
            }
        ),
        Diagnosis::BucketPolicyDeniesDeleteObject { .. } => format!(
            "The bucket policy of `{bucket}` denies `s3:DeleteObject`. Sync never deletes, so this does not block \
             syncing; allow the delete for {who} if you want the connection test to clean up after itself."
        ),
        Diagnosis::BucketPolicyMissingGrant { action, .. } => format!(
            "The bucket belongs to another account than {who}. Add a bucket policy statement to `{bucket}` allowing \
             `{action}` on `arn:aws:s3:::{bucket}/*` for that principal, or use a role/user in the bucket's account."
        ),
        Diagnosis::VpcEndpointPolicyDenies { .. } => format!(
            "A VPC endpoint policy must allow `s3:PutObject` (and `s3:DeleteObject` for the test) on \
             `arn:aws:s3:::{bucket}/*` for {who}."
        ),
        Diagnosis::SessionPolicyDenies { .. } => "Service-side: a session policy passed on AssumeRole denies the request. \
             Operators: remove or widen the session policy."
            .to_owned(),
        Diagnosis::BlockPublicAclsRejectsAcl { .. } => "Service-side: the request carried a public ACL, which Block \
             Public Access rightly rejects. Operators: never send public ACLs. Nothing to change on your side."
            .to_owned(),
        Diagnosis::BucketOwnedByAnotherAccount { .. } => format!(
            "S3 answers a bare `Access Denied` only to callers outside the bucket owner's account. Check that `{bucket}` \
             is spelled exactly as in your S3 console and belongs to the same account as {who}. Other causes with the \
             same answer: Requester Pays is enabled on the bucket (disable it), or the bucket was deleted and its name \
             taken by someone else (create a new bucket and update the destination)."
        ),
        Diagnosis::BucketInOtherRegion { actual, .. } => match actual {
            Some(r) => format!("Change the destination's region from `{region}` to `{r}` (S3 reports the bucket there)."),
            None => format!(
                "The bucket is not in `{region}`. Enter the region the S3 console shows for `{bucket}` (AWS Region \
                 column)."
            ),
        },
        Diagnosis::WaitedForIamPropagation { cleared: true, .. } => "Nothing to change: IAM is eventually consistent, \
             and a role, trust-policy edit, policy or access key made seconds ago is refused for a while. Onboarding \
             retried until it took effect."
            .to_owned(),
        Diagnosis::WaitedForIamPropagation { waited_seconds, bound_seconds, .. } => format!(
            "The refusal below did not go away within {waited_seconds} s (the bound is {bound_seconds} s). If you \
             created or changed the role, its policies or the access key in the last few minutes, wait a few minutes \
             and run the connection test again before editing anything: IAM changes take time to propagate. If \
             nothing changed recently, follow the fix below."
        ),
        Diagnosis::BucketRecentlyCreatedRedirect { .. } => {
            "The bucket was created recently and its DNS name has not propagated (up to 24 h). Retry later; nothing to \
             change. Operators: the bucket's regional endpoint (`BUCKET.s3.REGION.amazonaws.com`, the SDK's default \
             without an endpoint override) answers at once."
                .to_owned()
        }
        Diagnosis::NoSuchBucket { .. } => format!(
            "No bucket named `{bucket}` exists. Check the spelling against the S3 console, or create the bucket (Step 1 \
             of the setup guide) in `{region}`."
        ),
        Diagnosis::AclNotSupported { .. } => format!(
            "Service-side: `{bucket}` has Object Ownership \"Bucket owner enforced\" (ACLs disabled, as recommended) \
             and the request carried an ACL. Operators: send no ACL. You do not need to enable ACLs."
        ),
        // M41: a single PUT needs kms:GenerateDataKey; the parts of a multipart upload
        // also need kms:Decrypt (S3 troubleshoot-403, Encryption).
        Diagnosis::KmsKeyDenied { action, key_arn, .. } if action == "kms:Decrypt" => format!(
            "Bucket `{bucket}` encrypts with KMS key `{}`. Large batches are written as multipart uploads, which \
             also need `kms:Decrypt` on the key. Add to the permissions policy of {who}:\n{}",
            key_arn.as_deref().unwrap_or("<the bucket's default key>"),
            kms_statement(key_arn.as_deref(), action)
        ),
        Diagnosis::KmsKeyDenied { action, key_arn, .. } => format!(
            "Bucket `{bucket}` encrypts with KMS key `{}`. Add to the permissions policy of {who}:\n{}",
            key_arn.as_deref().unwrap_or("<the bucket's default key>"),
            kms_statement(key_arn.as_deref(), action)
        ),
        Diagnosis::KmsKeyPolicyExcludesPrincipal { key_arn, .. } => format!(
            "Add {who} as a key user in the key policy of `{}` (KMS → Customer managed keys → the key → Key users), or \
             add the statement that delegates to IAM (`\"Principal\": {{\"AWS\": \"arn:aws:iam::<account>:root\"}}`, \
             `kms:*`).",
            key_arn.as_deref().unwrap_or("<the bucket's default key>")
        ),
        Diagnosis::KmsKeyUnusable { .. } => format!(
            "The default encryption key of `{bucket}` is disabled, pending deletion or deleted. Re-enable it (KMS → the \
             key → Key actions → Enable / Cancel key deletion), or change the bucket's default encryption \
             (S3 → {bucket} → Properties → Default encryption)."
        ),
        Diagnosis::KmsAwsManagedKeyCrossAccount { .. } => format!(
            "`{bucket}` uses the AWS-managed `aws/s3` key, which only its own account can use. Switch default \
             encryption to SSE-S3 or to a customer-managed KMS key that admits {who}."
        ),
        Diagnosis::ObjectLockRequiresChecksum { .. } => "Service-side: Object Lock buckets need a checksum on every \
             write. Operators: send `x-amz-checksum-*` or Content-MD5. Nothing to change on your side."
            .to_owned(),
        Diagnosis::ObjectLockRetainsTestObject { .. } | Diagnosis::MfaDeleteBlocksCleanup { .. } => {
            "Your bucket protects objects from deletion (Object Lock retention / MFA Delete). Sync never deletes, so \
             this does not block syncing; the test object remains until its retention ends."
                .to_owned()
        }
        Diagnosis::VersionedBucketKeepsTestObject { .. } => "Your bucket is versioned: the delete left a delete marker \
             and the test object remains as a noncurrent version (a few bytes). It is harmless; a lifecycle rule \
             expiring noncurrent versions removes it."
            .to_owned(),
        Diagnosis::ConditionalWritesUnsupported { .. } => "The store rejected `If-None-Match: *`. Append-only sync \
             needs conditional writes (S3 supports them since 2024); use an S3 endpoint or a compatible store version \
             that does."
            .to_owned(),
        Diagnosis::InvalidAccessKeyId { .. } => format!(
            "AWS does not know key `{}`. Re-copy it (20 characters, starting with `AKIA`). If you created it seconds \
             ago, wait a few seconds and retry.",
            masked_key(t)
        ),
        Diagnosis::AccessKeyInactiveOrDeleted { .. } => format!(
            "Key `{}` worked before and is now unknown: it was deactivated, deleted or rotated. Activate it (IAM → \
             Users → the user → Security credentials) or create a new key and update the destination.",
            masked_key(t)
        ),
        Diagnosis::SignatureMismatchWrongSecret { .. } => "The key id is valid but the secret does not match. Re-copy \
             the secret access key (40 characters, no trailing space or line break); if it is lost, create a new \
             access key."
            .to_owned(),
        Diagnosis::ExpiredToken { .. } => "The session expired before it was refreshed. The service re-assumes the \
             role on retry; if that fails, the AssumeRole error says what to change."
            .to_owned(),
        Diagnosis::ClockSkew { .. } => "Service-side: the service host's clock differs from AWS by more than 15 \
             minutes. Operators: fix NTP on the host. Nothing to change on your side."
            .to_owned(),
        Diagnosis::SlowDown { .. } | Diagnosis::AwsServerError { .. } | Diagnosis::NetworkError { .. } => {
            "Transient: retry later. Nothing to change.".to_owned()
        }
        Diagnosis::Unrecognized { .. } => {
            "Not a known misconfiguration. Send us the details below (status, code, message, request id).".to_owned()
        }
    };
    format!("{body}{}{}", leftover_note(d), aws_said(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_the_real_bucket() {
        let p = permissions_policy("lake");
        let v: serde_json::Value = serde_json::from_str(&p).unwrap();
        assert_eq!(v["Statement"][0]["Resource"], "arn:aws:s3:::lake/*");
        assert_eq!(
            v["Statement"][0]["Action"],
            json!(["s3:PutObject", "s3:DeleteObject"])
        );
    }

    #[test]
    fn trust_policy_requires_external_id() {
        let p = trust_policy(
            "arn:aws:iam::111111111111:role/sync",
            Some("ext-\"1\""),
            &["sts:TagSession"],
        );
        let v: serde_json::Value = serde_json::from_str(&p).unwrap();
        assert_eq!(
            v["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "ext-\"1\""
        );
        assert_eq!(
            v["Statement"][0]["Action"],
            json!(["sts:AssumeRole", "sts:TagSession"])
        );
        let none: serde_json::Value = serde_json::from_str(&trust_policy("p", None, &[])).unwrap();
        assert!(none["Statement"][0].get("Condition").is_none());
    }
}
