//! Typed diagnoses: one [`Diagnosis`] variant per customer misconfiguration (plus the few
//! service-side and transient faults onboarding must tell apart), each carrying its evidence and
//! a [`Diagnosis::remediation`] the customer can follow.
//!
//! The catalogue they come from is `shared/reference/misconfigs.md` (M01–M70);
//! [`Diagnosis::covers`] names the entries each variant answers.

mod classify;
mod evidence;
mod message;
mod remediation;

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

pub(crate) use classify::region_from_endpoint;
pub use classify::{classify, Phase};
pub use evidence::{mask_key_id, xml_element, AuthSummary, Evidence, Operation, Target};
pub use message::{is_bare_access_denied, parse_denial, Denial, DenialReason, PolicyType};
pub use remediation::{permissions_policy, trust_policy};

/// Who has to act on a diagnosis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Blame {
    /// The customer's AWS setup or input.
    Customer,
    /// The service (vendor) side: its credentials, clock, request shape.
    Service,
    /// Nobody: retry later.
    Transient,
    /// Not recognised; read the evidence.
    Unknown,
}

/// Everything a diagnosis knows besides its kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Found {
    /// What we were talking to.
    pub target: Target,
    /// What AWS said; `None` for client-side validation.
    pub evidence: Option<Evidence>,
    /// The key of a connection-test object that could not be cleaned up.
    pub artifact_left_behind: Option<String>,
}

impl Found {
    /// Context without AWS evidence (validation).
    pub fn input(target: Target) -> Box<Self> {
        Box::new(Self {
            target,
            evidence: None,
            artifact_left_behind: None,
        })
    }
}

/// A variant field shown in machine output.
trait Detail {
    fn detail(&self) -> Option<String>;
}

impl Detail for String {
    fn detail(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl Detail for Option<String> {
    fn detail(&self) -> Option<String> {
        self.clone()
    }
}

impl Detail for u64 {
    fn detail(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl Detail for bool {
    fn detail(&self) -> Option<String> {
        Some(self.to_string())
    }
}

impl Detail for Option<u32> {
    fn detail(&self) -> Option<String> {
        self.map(|v| v.to_string())
    }
}

macro_rules! diagnoses {
    ($(
        $(#[$doc:meta])*
        $name:ident { $( $(#[$fdoc:meta])* $field:ident : $ty:ty ),* $(,)? }
            => $blame:ident, [$($m:literal),* $(,)?];
    )*) => {
        /// A customer misconfiguration (or service-side/transient fault) with its evidence.
        ///
        /// Every variant carries `found` (target, AWS evidence, leftover test object); see
        /// [`Diagnosis::kind`] for the stable name the scenario harness asserts on.
        #[derive(Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Diagnosis {
            $(
                $(#[$doc])*
                $name {
                    $( $(#[$fdoc])* $field: $ty, )*
                    /// Target, evidence, leftover test object.
                    found: Box<Found>,
                },
            )*
        }

        impl Diagnosis {
            /// Every kind, in declaration order.
            pub const KINDS: &'static [&'static str] = &[$(stringify!($name)),*];

            /// The variant name as a stable string, e.g. `"PolicyMissingPutObject"`.
            pub fn kind(&self) -> &'static str {
                match self { $( Self::$name { .. } => stringify!($name), )* }
            }

            /// Who has to act.
            pub fn blame(&self) -> Blame {
                match self { $( Self::$name { .. } => Blame::$blame, )* }
            }

            /// The misconfigs.md entries (M01–M70) this variant answers.
            pub fn covers(&self) -> &'static [&'static str] {
                match self { $( Self::$name { .. } => &[$($m),*], )* }
            }

            /// Target, evidence and leftover test object.
            pub fn found(&self) -> &Found {
                match self { $( Self::$name { found, .. } => found, )* }
            }

            fn found_mut(&mut self) -> &mut Found {
                match self { $( Self::$name { found, .. } => found, )* }
            }

            /// The variant's own fields, for machine output.
            pub fn details(&self) -> Vec<(&'static str, String)> {
                match self {
                    $( Self::$name { $($field,)* .. } => {
                        let all: Vec<(&'static str, Option<String>)> =
                            vec![$( (stringify!($field), Detail::detail($field)) ),*];
                        all.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect()
                    } )*
                }
            }

            /// The M-entries each kind covers, for the catalogue test and docs.
            pub fn coverage() -> &'static [(&'static str, &'static [&'static str])] {
                &[$( (stringify!($name), &[$($m),*]) ),*]
            }
        }
    };
}

diagnoses! {
    // ---- client-side validation (no request sent) ----
    /// The bucket field holds a URL (`https://…`, `s3://…`).
    BucketFieldIsUrl {
        /// What was typed.
        value: String,
        /// The bucket name found inside it.
        bucket: Option<String>,
        /// The key prefix found inside it.
        prefix: Option<String>,
        /// The region found inside it.
        region: Option<String>,
    } => Customer, ["M36"];
    /// The bucket field holds an S3 ARN.
    BucketFieldIsArn {
        /// What was typed.
        value: String,
        /// The bucket name found inside it.
        bucket: Option<String>,
        /// The key prefix found inside it.
        prefix: Option<String>,
    } => Customer, ["M36"];
    /// The bucket field holds `bucket/prefix`.
    BucketFieldHasPath {
        /// What was typed.
        value: String,
        /// The part before the first `/`.
        bucket: Option<String>,
        /// The rest.
        prefix: Option<String>,
    } => Customer, ["M36"];
    /// The bucket field still holds a template placeholder (`BUCKET_NAME`, `<bucket_name>`, …).
    BucketNamePlaceholder {
        /// What was typed.
        value: String,
    } => Customer, ["M20", "M36"];
    /// The bucket name breaks the S3 naming rules (or S3 said `InvalidBucketName`).
    InvalidBucketName {
        /// What was typed.
        value: String,
        /// Which rule.
        reason: String,
    } => Customer, ["M36"];
    /// The prefix cannot be used as a key prefix.
    PrefixMalformed {
        /// What was typed.
        value: String,
        /// Why.
        reason: String,
    } => Customer, ["M22"];
    /// The region is not an AWS region code.
    UnknownRegion {
        /// What was typed.
        value: String,
        /// The region code it most likely means.
        suggestion: Option<String>,
    } => Customer, ["M30", "M33"];
    /// The region belongs to another partition (China, GovCloud), which this deployment does not serve.
    RegionInOtherPartition {
        /// What was typed.
        value: String,
    } => Customer, ["M11"];
    /// The role ARN is not a well-formed IAM role ARN.
    RoleArnMalformed {
        /// What was typed (or sent).
        value: String,
        /// Why.
        reason: String,
    } => Customer, ["M10", "M09"];
    /// A bare role name was entered where the role ARN is needed.
    RoleNameInsteadOfArn {
        /// What was typed.
        value: String,
    } => Customer, ["M10"];
    /// Another kind of ARN (policy, user, instance profile, session, …) was pasted.
    NotARoleArn {
        /// What was typed.
        value: String,
        /// What it is instead.
        pasted: String,
        /// The role ARN it probably means, when derivable.
        suggestion: Option<String>,
    } => Customer, ["M09"];
    /// The role ARN is in another partition (`aws-cn`, `aws-us-gov`, …).
    RoleArnWrongPartition {
        /// What was typed.
        value: String,
        /// The partition.
        partition: String,
    } => Customer, ["M11"];
    /// No ExternalId configured (warning: the trust policy should require one).
    ExternalIdMissing {} => Customer, ["M03"];
    /// The ExternalId has whitespace, a placeholder or characters STS rejects.
    ExternalIdMalformed {
        /// Why.
        reason: String,
    } => Customer, ["M02"];
    /// The access key id does not look like an IAM user key.
    AccessKeyIdMalformed {
        /// Why.
        reason: String,
    } => Customer, ["M56"];
    /// An `ASIA…` temporary key was pasted as a long-term HMAC key.
    TemporaryCredentialsPasted {} => Customer, ["M63"];
    /// Key id and secret were entered in each other's field.
    AccessKeyAndSecretSwapped {} => Customer, ["M56"];
    /// The secret access key has whitespace or the wrong length.
    SecretAccessKeyMalformed {
        /// Why.
        reason: String,
    } => Customer, ["M57"];

    // ---- sts:AssumeRole ----
    /// AssumeRole denied with the uninformative cross-account text: trust principal, ExternalId,
    /// role ARN or trust Action is wrong (AWS does not say which).
    TrustPolicyDeniesAssumeRole {} => Customer, ["M01", "M02", "M04", "M09", "M12", "M15", "M16", "M17"];
    /// AssumeRole denied and no ExternalId was sent: the trust policy requires one.
    ExternalIdMismatchOrMissing {} => Customer, ["M03", "M02"];
    /// The trust policy has an explicit Deny for the service.
    TrustPolicyExplicitDeny {} => Customer, ["M04"];
    /// Session tags were sent but the trust policy lacks `sts:TagSession`.
    SessionTagsNotAllowed {} => Customer, ["M05"];
    /// SourceIdentity was sent but the trust policy lacks `sts:SetSourceIdentity`.
    SourceIdentityNotAllowed {} => Customer, ["M06"];
    /// The role's MaxSessionDuration is below the requested session length.
    MaxSessionDurationTooShort {
        /// The `DurationSeconds` requested.
        requested_seconds: Option<u32>,
    } => Customer, ["M07"];
    /// The service's own principal is an assumed role and asked for more than 1 h (service bug).
    RoleChainingSessionLimit {
        /// The `DurationSeconds` requested.
        requested_seconds: Option<u32>,
    } => Service, ["M08"];
    /// Regional STS is deactivated in the customer account for this region.
    RegionDisabledForSts {
        /// The STS region called.
        region: String,
    } => Customer, ["M13"];
    /// STS rejected the service's own credentials (service-side).
    ServiceCredentialsRejected {} => Service, [];
    /// The service's own principal lacks `sts:AssumeRole` in its identity policy (service-side).
    ServiceNotAllowedToAssumeRole {} => Service, [];
    /// An Organizations SCP or RCP denies the request.
    OrganizationPolicyDenies {
        /// `service control` or `resource control`.
        policy_type: String,
        /// The denied action.
        action: String,
    } => Customer, ["M17", "M54"];

    // ---- sts:AssumeRoleWithWebIdentity (web identity mode) ----
    /// AssumeRoleWithWebIdentity denied: the trust policy's provider, Action or claim
    /// conditions do not match the service's token (AWS says only "Not authorized").
    WebIdentityTrustDenies {
        /// The `Federated` principal the trust policy must name.
        provider: Option<String>,
        /// The token's `sub` (the `<provider>:sub` condition's value).
        sub: Option<String>,
        /// The value of `<provider>:aud` (Google: the token's `azp`).
        aud: Option<String>,
        /// The value of `accounts.google.com:oaud` (the token's `aud`, Google only).
        oaud: Option<String>,
    } => Customer, ["M18"];
    /// The customer account has no IAM OIDC identity provider for the token's issuer.
    OidcProviderMissing {
        /// The issuer STS named.
        issuer: Option<String>,
    } => Customer, ["M18"];
    /// The account's OIDC provider does not list the token's audience as a client ID.
    OidcAudienceNotRegistered {
        /// The token's audience.
        audience: Option<String>,
    } => Customer, ["M18"];
    /// STS could not validate the service's token (signature, key, format): service-side.
    WebIdentityTokenRejected {} => Service, [];
    /// The service's token expired before it was used: service-side.
    WebIdentityTokenExpired {} => Service, [];
    /// The service's token file cannot be read: service-side.
    WebIdentityTokenUnreadable {
        /// The file and the error.
        reason: String,
    } => Service, [];

    // ---- S3 authorization ----
    /// The session token is not valid in the bucket's region (v1 global-endpoint token, opt-in region).
    StsTokenNotValidInRegion {} => Customer, ["M14"];
    /// No identity-based policy on the role/user allows `s3:PutObject` on the test key.
    PolicyMissingPutObject {} => Customer, ["M19", "M20", "M21", "M22", "M24", "M25", "M60"];
    /// No identity-based policy allows `s3:DeleteObject`; the test object was left behind.
    PolicyMissingDeleteObject {} => Customer, ["M23"];
    /// No identity-based policy allows another action the request needed.
    PolicyMissingAction {
        /// The action AWS named.
        action: String,
    } => Customer, ["M27", "M28", "M29"];
    /// No policy lets the service abort a multipart upload (`s3:AbortMultipartUpload`): a large
    /// batch whose upload fails leaves its parts behind, billed, unless a lifecycle rule aborts
    /// incomplete uploads. Found by onboarding's probe; sync still works.
    MultipartAbortNotAllowed {} => Customer, ["M29"];
    /// Security finding: the role's trust policy does not require the ExternalId the
    /// service sends, so any customer of the service who enters this role's ARN can
    /// make the service write into this bucket (the confused-deputy problem). Found
    /// by onboarding's probe: AssumeRole with a random ExternalId, then with none.
    TrustPolicyIgnoresExternalId {
        /// What the probe's successful AssumeRole carried: `a random ExternalId` or `no ExternalId`.
        accepted: String,
        /// The customer's ExternalId, for the condition to add.
        external_id: String,
    } => Customer, ["M03"];
    /// Least-privilege reminder: `s3:DeleteObject` is still allowed after the
    /// connection test, which is the only thing that needs it (probed by deleting a
    /// key that was never written, under the test prefix).
    DeleteObjectStillAllowed {} => Customer, [];
    /// An identity-based policy explicitly denies the action.
    IdentityPolicyExplicitDeny {
        /// The action AWS named.
        action: String,
    } => Customer, [];
    /// The permissions boundary on the role/user does not allow `s3:PutObject`.
    PermissionsBoundaryDeniesPutObject {} => Customer, ["M26"];
    /// The permissions boundary does not allow `s3:DeleteObject`; the test object was left behind.
    PermissionsBoundaryDeniesDeleteObject {} => Customer, ["M26", "M23"];
    /// A bucket policy statement explicitly denies the write (SourceIp, SecureTransport, SSE/ACL
    /// header, VPC conditions).
    BucketPolicyExplicitDeny {} => Customer, ["M47", "M48", "M49", "M50", "M51", "M52"];
    /// A bucket policy explicitly denies `s3:DeleteObject`; the test object was left behind.
    BucketPolicyDeniesDeleteObject {} => Customer, ["M55"];
    /// No bucket policy grants the (cross-account) principal access.
    BucketPolicyMissingGrant {
        /// The action AWS named.
        action: String,
    } => Customer, ["M61"];
    /// A VPC endpoint policy denies the request.
    VpcEndpointPolicyDenies {} => Customer, ["M53"];
    /// A session policy denies the request (service-side: the service sends none by default).
    SessionPolicyDenies {} => Service, [];
    /// Block Public Access rejected a public ACL (service-side: never send public ACLs).
    BlockPublicAclsRejectsAcl {} => Service, ["M38"];
    /// Bare `Access Denied`: the bucket belongs to another account (or Requester Pays / a foreign
    /// key / a re-registered name).
    BucketOwnedByAnotherAccount {} => Customer, ["M35", "M46", "M61", "M70"];

    // ---- bucket location and features ----
    /// The bucket is in another region than the one entered.
    BucketInOtherRegion {
        /// The bucket's real region, when S3 names it.
        actual: Option<String>,
    } => Customer, ["M30", "M31", "M33"];
    /// Onboarding retried refusals that IAM's eventual consistency explains (a role,
    /// trust edit, policy or access key made seconds ago) and waited this long
    /// (warning). `cleared`: the refusal went away while waiting, so it was
    /// propagation; otherwise the wait reached its bound and the failure stands.
    WaitedForIamPropagation {
        /// Seconds spent waiting, on the injected clock.
        waited_seconds: u64,
        /// The bound (`propagation_wait_seconds`).
        bound_seconds: u64,
        /// Whether the refusal went away while waiting.
        cleared: bool,
    } => Transient, ["M15", "M62"];
    /// S3 answered 307 TemporaryRedirect (bucket just created; DNS still propagating).
    BucketRecentlyCreatedRedirect {} => Transient, ["M32"];
    /// The bucket does not exist.
    NoSuchBucket {} => Customer, ["M34", "M70"];
    /// The bucket has ACLs disabled and the request carried an ACL.
    AclNotSupported {} => Service, ["M37"];
    /// The role/user may not use the bucket's KMS key.
    KmsKeyDenied {
        /// `kms:GenerateDataKey` or `kms:Decrypt`.
        action: String,
        /// The key ARN AWS named.
        key_arn: Option<String>,
    } => Customer, ["M39", "M41"];
    /// The KMS key policy does not admit the role/user.
    KmsKeyPolicyExcludesPrincipal {
        /// The key ARN AWS named.
        key_arn: Option<String>,
    } => Customer, ["M40"];
    /// The bucket's default KMS key is disabled, pending deletion or gone.
    KmsKeyUnusable {
        /// `KMS.DisabledException`, `KMS.KMSInvalidStateException`, `KMS.NotFoundException`.
        code: String,
    } => Customer, ["M42"];
    /// Default encryption uses the AWS-managed `aws/s3` key, which another account cannot use.
    KmsAwsManagedKeyCrossAccount {} => Customer, ["M43"];
    /// Object Lock default retention requires a checksum header (service-side: always send one).
    ObjectLockRequiresChecksum {} => Service, ["M44"];
    /// Object Lock retention keeps the test object; the delete was refused.
    ObjectLockRetainsTestObject {} => Customer, ["M45"];
    /// MFA Delete blocks the cleanup delete.
    MfaDeleteBlocksCleanup {} => Customer, ["M45"];
    /// Versioned bucket: the delete left a delete marker and a noncurrent test version (warning).
    VersionedBucketKeepsTestObject {} => Customer, ["M45"];
    /// The store rejected `If-None-Match: *` (append-only writes need conditional PUTs).
    ConditionalWritesUnsupported {} => Service, [];

    // ---- HMAC credentials ----
    /// AWS does not know the access key id (typo, truncated, or created seconds ago).
    InvalidAccessKeyId {} => Customer, ["M56", "M62"];
    /// A key that worked before is now unknown: deactivated, deleted or rotated.
    AccessKeyInactiveOrDeleted {} => Customer, ["M58", "M59"];
    /// The key id is valid but the secret is wrong.
    SignatureMismatchWrongSecret {} => Customer, ["M57"];

    // ---- runtime faults ----
    /// The session token expired.
    ExpiredToken {} => Service, ["M65", "M63"];
    /// The service host's clock is too far off.
    ClockSkew {} => Service, ["M64"];
    /// Throttled (`SlowDown`, `Throttling`).
    SlowDown {} => Transient, ["M66"];
    /// AWS-side 5xx.
    AwsServerError {} => Transient, ["M67"];
    /// No response: timeout, connection reset, DNS failure, or S3's `RequestTimeout`.
    NetworkError {} => Transient, ["M69"];
    /// Nothing above matched; the evidence says what AWS answered.
    Unrecognized {} => Unknown, [];
}

/// Catalogue entries no variant answers, and why.
pub const NOT_APPLICABLE: &[(&str, &str)] = &[(
    "M68",
    "a 200 CompleteMultipartUpload whose body is an <Error> is an error the SDK retries like a 500; \
         what remains after the retries is classified by its code",
)];

impl Diagnosis {
    /// The AWS evidence, when a request was sent.
    pub fn evidence(&self) -> Option<&Evidence> {
        self.found().evidence.as_ref()
    }

    /// What we were talking to.
    pub fn target(&self) -> &Target {
        &self.found().target
    }

    /// The key of a connection-test object left in the bucket, if any.
    pub fn artifact_left_behind(&self) -> Option<&str> {
        self.found().artifact_left_behind.as_deref()
    }

    /// `true` when retrying later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        self.blame() == Blame::Transient
    }

    /// Records that the connection-test object `key` is still in the bucket.
    pub fn with_artifact_left_behind(mut self, key: impl Into<String>) -> Self {
        self.found_mut().artifact_left_behind = Some(key.into());
        self
    }

    /// One line: what is wrong.
    pub fn summary(&self) -> String {
        remediation::summary(self)
    }

    /// What the customer (or the operator, for service-side kinds) should do, step by step.
    pub fn remediation(&self) -> String {
        remediation::remediation(self)
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind(), self.summary())
    }
}

impl std::error::Error for Diagnosis {}

impl Serialize for Diagnosis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", self.kind())?;
        map.serialize_entry("blame", &self.blame())?;
        map.serialize_entry("summary", &self.summary())?;
        map.serialize_entry("remediation", &self.remediation())?;
        map.serialize_entry("covers", self.covers())?;
        let details: serde_json::Map<String, serde_json::Value> = self
            .details()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
            .collect();
        map.serialize_entry("details", &details)?;
        map.serialize_entry("artifact_left_behind", &self.artifact_left_behind())?;
        map.serialize_entry("target", self.target())?;
        map.serialize_entry("evidence", &self.evidence())?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_catalogue_entry_is_covered_or_explained() {
        let covered: BTreeSet<&str> = Diagnosis::coverage()
            .iter()
            .flat_map(|(_, ms)| ms.iter().copied())
            .collect();
        let explained: BTreeSet<&str> = NOT_APPLICABLE.iter().map(|(m, _)| *m).collect();
        for n in 1..=70 {
            let m = format!("M{n:02}");
            assert!(
                covered.contains(m.as_str()) || explained.contains(m.as_str()),
                "{m} has no diagnosis and no reason"
            );
        }
        assert!(covered.is_disjoint(&explained));
    }

    #[test]
    fn kinds_are_unique() {
        let set: BTreeSet<&str> = Diagnosis::KINDS.iter().copied().collect();
        assert_eq!(set.len(), Diagnosis::KINDS.len());
    }
}
