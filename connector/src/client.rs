//! Builds the SDK configuration and S3/STS clients for one destination: region, endpoint
//! override (path-style), credentials, standard retry, timeouts and the injected runtime.
//! Nothing else.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_s3::config::{IdentityCache, SharedAsyncSleep};
use aws_smithy_async::time::SharedTimeSource;

use crate::config::{Auth, BaseCredentials, DestinationConfig, ExpectedBucketOwner, ServiceSettings};
use crate::credentials::RoleRequest;
use crate::diagnosis::Target;

/// Loads the SDK configuration: region, endpoint, retry (standard mode, `max_attempts`),
/// timeouts, clock, sleep, HTTP client, and the credentials S3 (HMAC) or STS (role) use.
pub(crate) async fn sdk_config(
    dest: &DestinationConfig,
    settings: &ServiceSettings,
    max_attempts: u32,
) -> SdkConfig {
    let mut timeouts = TimeoutConfig::builder();
    if let Some(ms) = settings.connect_timeout_ms {
        timeouts = timeouts.connect_timeout(Duration::from_millis(ms));
    }
    if let Some(ms) = settings.attempt_timeout_ms {
        timeouts = timeouts.operation_attempt_timeout(Duration::from_millis(ms));
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(dest.region.clone()))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(max_attempts.max(1))
                .with_initial_backoff(settings.retry_initial_backoff()),
        )
        .timeout_config(timeouts.build());
    if let Some(ts) = &settings.runtime.time_source {
        loader = loader.time_source(ts.clone());
    }
    if let Some(sleep) = &settings.runtime.sleep_impl {
        loader = loader.sleep_impl(sleep.clone());
    }
    if let Some(http) = &settings.runtime.http_client {
        loader = loader.http_client(http.clone());
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    match (&dest.auth, &settings.base_credentials) {
        (
            Auth::Hmac {
                access_key_id,
                secret_access_key,
            },
            _,
        ) => {
            let creds = Credentials::new(
                access_key_id,
                secret_access_key.expose(),
                None,
                None,
                "customer-hmac-key",
            );
            loader = loader.credentials_provider(creds);
        }
        (
            Auth::AssumeRole { .. },
            BaseCredentials::Static {
                access_key_id,
                secret_access_key,
                session_token,
            },
        ) => {
            let token = session_token.as_ref().map(|t| t.expose().to_owned());
            let creds = Credentials::new(
                access_key_id,
                secret_access_key.expose(),
                token,
                None,
                "service-static",
            );
            loader = loader.credentials_provider(creds);
        }
        (Auth::AssumeRole { .. }, BaseCredentials::ProviderChain) => {}
        // AssumeRoleWithWebIdentity is unsigned, and S3 gets the role's provider:
        // nothing may fall back to whatever credentials the host happens to have.
        (Auth::AssumeRole { .. }, BaseCredentials::WebIdentity { .. }) => {
            loader = loader.no_credentials();
        }
    }
    loader.load().await
}

/// An S3 client on `sdk`, with `credentials` (the role provider) when given, path-style when an
/// endpoint override is set (unless `virtual_hosted`), and a fresh identity cache.
pub(crate) fn s3_config(
    sdk: &SdkConfig,
    settings: &ServiceSettings,
    credentials: Option<SharedCredentialsProvider>,
) -> aws_sdk_s3::Config {
    let mut builder = aws_sdk_s3::config::Builder::from(sdk).identity_cache(IdentityCache::lazy().build());
    if settings.endpoint_url.is_some() && !settings.virtual_hosted {
        builder = builder.force_path_style(true);
    }
    if let Some(provider) = credentials {
        builder = builder.credentials_provider(provider);
    }
    builder.build()
}

/// The `x-amz-expected-bucket-owner` value, if any.
pub(crate) fn expected_bucket_owner(dest: &DestinationConfig, settings: &ServiceSettings) -> Option<String> {
    match &settings.expected_bucket_owner {
        ExpectedBucketOwner::Off => None,
        ExpectedBucketOwner::Account(a) => Some(a.clone()),
        ExpectedBucketOwner::RoleAccount => {
            let account = dest.auth.role_arn()?.split(':').nth(4)?;
            (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())).then(|| account.to_owned())
        }
    }
}

/// A connected destination: S3 client (with the refreshing role provider in role mode), the
/// injected clock and sleep, and the normalised bucket/prefix.
#[derive(Clone, Debug)]
pub struct Destination {
    target: Target,
    prefix: Option<String>,
    s3_config: aws_sdk_s3::Config,
    s3: aws_sdk_s3::Client,
    expected_owner: Option<String>,
    time_source: SharedTimeSource,
    sleep: SharedAsyncSleep,
}

impl Destination {
    /// Validates `dest` and builds clients with `max_attempts` SDK attempts per request.
    ///
    /// Fails with the first validation error. Role credentials are fetched lazily, on the first
    /// request, and refreshed by the SDK before they expire.
    pub async fn connect(
        dest: &DestinationConfig,
        settings: &ServiceSettings,
        max_attempts: u32,
    ) -> Result<Self, crate::Diagnosis> {
        let validation = crate::validate::validate(dest, settings);
        if let Some(first) = validation.errors.into_iter().next() {
            return Err(first);
        }
        let sdk = sdk_config(dest, settings, max_attempts).await;
        let provider = match RoleRequest::new(dest, settings) {
            Some(role) => Some(role.provider(&sdk).await),
            None => None,
        };
        Ok(Self::from_parts(dest, settings, &sdk, provider))
    }

    pub(crate) fn from_parts(
        dest: &DestinationConfig,
        settings: &ServiceSettings,
        sdk: &SdkConfig,
        provider: Option<SharedCredentialsProvider>,
    ) -> Self {
        let s3_config = s3_config(sdk, settings, provider);
        Self {
            target: Target::new(dest, settings),
            prefix: crate::keys::normalize_prefix(dest.prefix.as_deref()),
            s3: aws_sdk_s3::Client::from_conf(s3_config.clone()),
            s3_config,
            expected_owner: expected_bucket_owner(dest, settings),
            time_source: sdk.time_source().unwrap_or_else(|| settings.time_source()),
            sleep: sdk.sleep_impl().unwrap_or_else(|| SharedAsyncSleep::new(NoSleep)),
        }
    }

    /// The S3 client.
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }

    /// A client like [`Destination::s3`] but with an empty credentials cache, so the next
    /// request re-assumes the role (after `ExpiredToken`).
    pub fn s3_with_fresh_credentials(&self) -> aws_sdk_s3::Client {
        let conf = self
            .s3_config
            .to_builder()
            .identity_cache(IdentityCache::lazy().build())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// Bucket name.
    pub fn bucket(&self) -> &str {
        &self.target.bucket
    }

    /// Normalised key prefix.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// What diagnoses describe.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The `x-amz-expected-bucket-owner` sent with every S3 request, if any.
    pub fn expected_owner(&self) -> Option<&str> {
        self.expected_owner.as_deref()
    }

    /// The injected clock (system clock by default).
    pub fn time_source(&self) -> &SharedTimeSource {
        &self.time_source
    }

    /// The injected sleep (tokio by default).
    pub fn sleep_impl(&self) -> &SharedAsyncSleep {
        &self.sleep
    }
}

/// Fallback when the SDK has no sleep implementation (no async runtime feature): waits return
/// at once, so bounded retries still terminate.
#[derive(Debug)]
struct NoSleep;

impl aws_sdk_s3::config::AsyncSleep for NoSleep {
    fn sleep(&self, _duration: Duration) -> aws_sdk_s3::config::Sleep {
        aws_sdk_s3::config::Sleep::new(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn dest(auth: Auth) -> DestinationConfig {
        DestinationConfig {
            bucket: "lake".to_owned(),
            region: "eu-west-1".to_owned(),
            prefix: None,
            auth,
        }
    }

    #[test]
    fn expected_owner_comes_from_the_role_account() {
        let role = dest(Auth::AssumeRole {
            role_arn: "arn:aws:iam::222222222222:role/vendor-writer".to_owned(),
            external_id: None,
        });
        let hmac = dest(Auth::Hmac {
            access_key_id: "AKIA".to_owned(),
            secret_access_key: Secret::new("s"),
        });
        let mut settings = ServiceSettings::default();
        assert_eq!(
            expected_bucket_owner(&role, &settings).as_deref(),
            Some("222222222222")
        );
        assert_eq!(expected_bucket_owner(&hmac, &settings), None);
        settings.expected_bucket_owner = ExpectedBucketOwner::Off;
        assert_eq!(expected_bucket_owner(&role, &settings), None);
        settings.expected_bucket_owner = ExpectedBucketOwner::Account("333333333333".to_owned());
        assert_eq!(
            expected_bucket_owner(&hmac, &settings).as_deref(),
            Some("333333333333")
        );
    }
}
