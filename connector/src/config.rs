//! What the customer types in onboarding ([`DestinationConfig`]) and what the service brings
//! itself ([`ServiceSettings`]).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use aws_sdk_s3::config::SharedAsyncSleep;
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use serde::{Deserialize, Serialize};

/// The destination exactly as the customer enters it in onboarding: bucket, region, optional
/// prefix, and how we authenticate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationConfig {
    /// Bucket name, as typed (validation catches URLs, ARNs, paths and placeholders).
    pub bucket: String,
    /// The bucket's AWS region, e.g. `eu-west-1`.
    pub region: String,
    /// Optional key prefix every object is written under (leading/trailing `/` are ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// How the service authenticates to the customer's account.
    pub auth: Auth,
}

/// How the service authenticates against the customer's bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// Role mode (preferred): the service assumes a role in the customer account.
    AssumeRole {
        /// `arn:aws:iam::<account>:role/<path/name>`.
        role_arn: String,
        /// The `sts:ExternalId` the trust policy requires (issued by the service).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        external_id: Option<String>,
    },
    /// HMAC mode: a long-term access key of an IAM user in the customer account.
    Hmac {
        /// `AKIA…` access key id (20 characters on AWS).
        access_key_id: String,
        /// The matching secret access key.
        secret_access_key: Secret,
    },
}

impl Auth {
    /// The ARN of the role to assume, in role mode.
    pub fn role_arn(&self) -> Option<&str> {
        match self {
            Self::AssumeRole { role_arn, .. } => Some(role_arn),
            Self::Hmac { .. } => None,
        }
    }
}

/// A secret string whose `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value; only for handing to the SDK.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(** {} chars **)", self.0.chars().count())
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// Where the service's own (base) credentials come from in role mode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BaseCredentials {
    /// The SDK's standard provider chain (environment, profile, web identity, ECS, IMDS).
    #[default]
    ProviderChain,
    /// Explicit keys (tests, the harness, or a vault-provided key).
    Static {
        /// Access key id.
        access_key_id: String,
        /// Secret access key.
        secret_access_key: Secret,
        /// Session token, when the keys are temporary.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session_token: Option<Secret>,
    },
    /// The service's own OpenID Connect ID token (a Google service account's, a GitHub
    /// Actions or EKS token), read from this file at every credential fetch, so the
    /// platform can rotate it in place. The customer's role is then assumed with
    /// `sts:AssumeRoleWithWebIdentity`, unsigned, and its trust policy names the
    /// identity provider (`"Federated": "accounts.google.com"`) and the token's
    /// claims, not an AWS principal; an ExternalId does not apply.
    WebIdentity {
        /// The file holding the token (the SDKs' `AWS_WEB_IDENTITY_TOKEN_FILE`).
        token_file: std::path::PathBuf,
    },
}

impl BaseCredentials {
    /// The web identity token file, in web identity mode.
    pub fn web_identity_token_file(&self) -> Option<&std::path::Path> {
        match self {
            Self::WebIdentity { token_file } => Some(token_file),
            _ => None,
        }
    }
}

/// Whether S3 requests carry `x-amz-expected-bucket-owner`.
///
/// With it, S3 answers 403 instead of accepting the write when the bucket belongs to another
/// account, e.g. after the customer deleted the bucket and someone else registered the name
/// (M70), or a typo hits a stranger's bucket (M35).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedBucketOwner {
    /// In role mode, the account id of the role ARN; nothing in HMAC mode.
    #[default]
    RoleAccount,
    /// Never send the header (cross-account buckets).
    Off,
    /// Always this account id.
    Account(String),
}

/// Time source, sleep and HTTP client handed to the SDK; injectable so tests and the harness run
/// on the emulator's manual clock. Not serialisable.
#[derive(Clone, Debug, Default)]
pub struct Runtime {
    /// Clock for SigV4 signing, credential expiry and test-object names (sync keys never read it).
    pub time_source: Option<SharedTimeSource>,
    /// Sleep used by SDK retries/timeouts and by the connector's own bounded waits.
    pub sleep_impl: Option<SharedAsyncSleep>,
    /// HTTP client override (e.g. an in-process emulator); the SDK default when `None`.
    pub http_client: Option<SharedHttpClient>,
    /// Sleep for the connector's own waits only (IAM propagation), when they should
    /// not share the SDK's: the harness advances the emulator's clock here while the
    /// SDK's timeouts keep real time. `sleep_impl` when `None`.
    pub wait_sleep: Option<SharedAsyncSleep>,
}

/// What a security finding does to onboarding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingAction {
    /// Report it; onboarding still passes.
    #[default]
    Warn,
    /// Fail onboarding with it.
    Refuse,
}

/// The service's own settings: base credentials, session naming, endpoint override, retry and
/// timeout budget, and the injectable runtime.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct ServiceSettings {
    /// Base credentials used to call `sts:AssumeRole` (role mode only), or the web
    /// identity token that replaces them.
    pub base_credentials: BaseCredentials,
    /// `RoleSessionName` for assumed-role sessions.
    pub role_session_name: String,
    /// The principal customers put in their trust policy (shown in remediations).
    pub service_principal: Option<String>,
    /// Endpoint override for S3 and STS (emulator, S3-compatible store); path-style
    /// unless `virtual_hosted`.
    pub endpoint_url: Option<String>,
    /// With an endpoint override, address the bucket by name (`BUCKET.HOST`) rather
    /// than path-style: the override names a global or regional S3 host whose bucket
    /// names resolve (the SDK's own addressing without an override).
    pub virtual_hosted: bool,
    /// Session tags passed on `AssumeRole` (need `sts:TagSession` in the trust policy).
    pub session_tags: BTreeMap<String, String>,
    /// `SourceIdentity` passed on `AssumeRole` (needs `sts:SetSourceIdentity`).
    pub source_identity: Option<String>,
    /// Requested session length in seconds (`DurationSeconds`); STS default (1 h) when `None`.
    pub session_duration_seconds: Option<u32>,
    /// Whether to pin the bucket owner account on S3 requests.
    pub expected_bucket_owner: ExpectedBucketOwner,
    /// How long onboarding keeps retrying the refusals IAM's eventual consistency
    /// causes (a role, trust edit, policy or key made seconds ago: M15, M62), in total,
    /// with backoff; 0 reports at once. Default 60 s ("retry with backoff for about 60
    /// s before reporting", misconfigs.md M15; new keys take 5–15 s, M62).
    pub propagation_wait_seconds: u64,
    /// SDK attempts per request during onboarding (standard retry mode).
    pub onboarding_max_attempts: u32,
    /// SDK attempts per request during sync (standard retry mode).
    pub sync_max_attempts: u32,
    /// Outer attempts of a whole idempotent batch put once the SDK gives up on a transient error.
    pub sync_outer_attempts: u32,
    /// A batch larger than this is written as a multipart upload (the SDKs' and the AWS CLI's
    /// default threshold: 8 MiB).
    pub multipart_threshold_bytes: u64,
    /// The part size of a multipart batch (8 MiB, as the SDKs; S3's minimum is 5 MiB).
    pub multipart_part_bytes: u64,
    /// First retry backoff in milliseconds (SDK standard mode doubles it per attempt, with
    /// jitter, up to 20 s; the outer batch retry uses the same base).
    pub retry_initial_backoff_ms: u64,
    /// TCP/TLS connect timeout in milliseconds (`None`: SDK default).
    pub connect_timeout_ms: Option<u64>,
    /// Per-attempt timeout in milliseconds (`None`: no per-attempt timeout).
    pub attempt_timeout_ms: Option<u64>,
    /// What onboarding does when the customer's role can be assumed without its
    /// ExternalId (the confused-deputy probe): `warn` (the default: the setup guide's
    /// own trust policy omits the condition) or `refuse`.
    pub confused_deputy: FindingAction,
    /// Whether onboarding, and sync at most once a day, remind the customer that
    /// `s3:DeleteObject` can be removed once the connection test has passed.
    pub least_privilege_reminder: bool,
    /// Time source, sleep and HTTP client for the SDK.
    #[serde(skip)]
    pub runtime: Runtime,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            base_credentials: BaseCredentials::ProviderChain,
            role_session_name: "push-to-warehouse".to_owned(),
            service_principal: None,
            endpoint_url: None,
            virtual_hosted: false,
            session_tags: BTreeMap::new(),
            source_identity: None,
            session_duration_seconds: None,
            expected_bucket_owner: ExpectedBucketOwner::RoleAccount,
            propagation_wait_seconds: 60,
            onboarding_max_attempts: 3,
            sync_max_attempts: 10,
            sync_outer_attempts: 3,
            multipart_threshold_bytes: 8 * 1024 * 1024,
            multipart_part_bytes: 8 * 1024 * 1024,
            retry_initial_backoff_ms: 1000,
            connect_timeout_ms: Some(10_000),
            attempt_timeout_ms: Some(120_000),
            confused_deputy: FindingAction::Warn,
            least_privilege_reminder: true,
            runtime: Runtime::default(),
        }
    }
}

impl ServiceSettings {
    /// Uses these static base credentials instead of the provider chain.
    pub fn with_static_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        self.base_credentials = BaseCredentials::Static {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: session_token.map(Secret::new),
        };
        self
    }

    /// Assumes roles with `sts:AssumeRoleWithWebIdentity` and the ID token in `token_file`.
    pub fn with_web_identity_token_file(mut self, token_file: impl Into<std::path::PathBuf>) -> Self {
        self.base_credentials = BaseCredentials::WebIdentity {
            token_file: token_file.into(),
        };
        self
    }

    /// Sends S3 and STS requests to this endpoint (path-style addressing).
    pub fn with_endpoint_url(mut self, endpoint_url: impl Into<String>) -> Self {
        self.endpoint_url = Some(endpoint_url.into());
        self
    }

    /// Addresses the bucket as `BUCKET.HOST` under the endpoint override.
    pub fn with_virtual_hosted(mut self, virtual_hosted: bool) -> Self {
        self.virtual_hosted = virtual_hosted;
        self
    }

    /// Uses this clock for signing, credential expiry and every time-derived name.
    pub fn with_time_source(mut self, time_source: SharedTimeSource) -> Self {
        self.runtime.time_source = Some(time_source);
        self
    }

    /// Uses this sleep for SDK backoff/timeouts and the connector's waits.
    pub fn with_sleep_impl(mut self, sleep_impl: SharedAsyncSleep) -> Self {
        self.runtime.sleep_impl = Some(sleep_impl);
        self
    }

    /// Uses this sleep for the connector's own waits (IAM propagation) only.
    pub fn with_wait_sleep(mut self, sleep: SharedAsyncSleep) -> Self {
        self.runtime.wait_sleep = Some(sleep);
        self
    }

    /// Uses this HTTP client instead of the SDK default.
    pub fn with_http_client(mut self, http_client: SharedHttpClient) -> Self {
        self.runtime.http_client = Some(http_client);
        self
    }

    /// The clock everything reads (the system clock unless one was injected).
    pub fn time_source(&self) -> SharedTimeSource {
        self.runtime.time_source.clone().unwrap_or_default()
    }

    /// The first retry backoff.
    pub fn retry_initial_backoff(&self) -> Duration {
        Duration::from_millis(self.retry_initial_backoff_ms)
    }

    /// The requested session length, if any.
    pub fn session_duration(&self) -> Option<Duration> {
        self.session_duration_seconds
            .map(|s| Duration::from_secs(u64::from(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destination_toml_round_trip() {
        let text = r#"
bucket = "lake"
region = "eu-west-1"
prefix = "exports"

[auth]
type = "assume_role"
role_arn = "arn:aws:iam::222222222222:role/vendor-writer"
external_id = "ext-123"
"#;
        let cfg: DestinationConfig = toml::from_str(text).unwrap();
        assert_eq!(cfg.bucket, "lake");
        assert_eq!(
            cfg.auth.role_arn(),
            Some("arn:aws:iam::222222222222:role/vendor-writer")
        );
        let again: DestinationConfig = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(cfg, again);
    }

    #[test]
    fn hmac_secret_is_not_debug_printed() {
        let cfg: DestinationConfig = serde_json::from_str(
            r#"{"bucket":"lake","region":"us-east-1","auth":{"type":"hmac",
                "access_key_id":"AKIAIOSFODNN7EXAMPLE",
                "secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}"#,
        )
        .unwrap();
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(shown.contains("AKIAIOSFODNN7EXAMPLE"));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = toml::from_str::<DestinationConfig>(
            "bucket = \"b\"\nregion = \"us-east-1\"\nbukcet = \"x\"\n[auth]\ntype = \"hmac\"\naccess_key_id = \"a\"\nsecret_access_key = \"s\"\n",
        );
        assert!(err.is_err());
        let err = toml::from_str::<DestinationConfig>(
            "bucket = \"b\"\nregion = \"us-east-1\"\n[auth]\ntype = \"assume_role\"\nrole_arn = \"a\"\nexternalid = \"x\"\n",
        );
        assert!(err.is_err());
    }

    #[test]
    fn service_settings_defaults_and_partial_toml() {
        let s: ServiceSettings =
            toml::from_str("role_session_name = \"sync\"\nsync_max_attempts = 4\n").unwrap();
        assert_eq!(s.role_session_name, "sync");
        assert_eq!(s.sync_max_attempts, 4);
        assert_eq!(s.onboarding_max_attempts, 3);
        assert_eq!(s.base_credentials, BaseCredentials::ProviderChain);
    }
}
