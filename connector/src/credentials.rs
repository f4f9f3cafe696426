//! Role credentials: the explicit `sts:AssumeRole` request onboarding sends to capture its error,
//! and the refreshing provider S3 clients use afterwards.
//!
//! Caching and refresh-before-expiry come from the SDK: the S3 client's identity cache (lazy,
//! driven by the injected time source) sits in front of `aws_config::sts::AssumeRoleProvider`.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sdk_sts::operation::assume_role::builders::AssumeRoleFluentBuilder;
use aws_sdk_sts::types::Tag;

use crate::config::{Auth, DestinationConfig, ServiceSettings};

/// Everything sent on `sts:AssumeRole`, identical for the explicit call and the provider.
#[derive(Clone, Debug)]
pub(crate) struct RoleRequest {
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session_name: String,
    pub duration: Option<Duration>,
    pub tags: BTreeMap<String, String>,
    pub source_identity: Option<String>,
}

impl RoleRequest {
    /// The request for role mode; `None` in HMAC mode.
    pub fn new(dest: &DestinationConfig, settings: &ServiceSettings) -> Option<Self> {
        match &dest.auth {
            Auth::AssumeRole {
                role_arn,
                external_id,
            } => Some(Self {
                role_arn: role_arn.clone(),
                external_id: external_id.clone().filter(|id| !id.is_empty()),
                session_name: settings.role_session_name.clone(),
                duration: settings.session_duration(),
                tags: settings.session_tags.clone(),
                source_identity: settings.source_identity.clone(),
            }),
            Auth::Hmac { .. } => None,
        }
    }

    fn duration_seconds(&self) -> Option<i32> {
        self.duration
            .map(|d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX))
    }

    fn sts_tags(&self) -> Option<Vec<Tag>> {
        if self.tags.is_empty() {
            return None;
        }
        let tags = self
            .tags
            .iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        Some(tags)
    }

    /// The `sts:AssumeRole` request on `sts` (a client on the service's base credentials).
    pub fn request(&self, sts: &aws_sdk_sts::Client) -> AssumeRoleFluentBuilder {
        sts.assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .set_duration_seconds(self.duration_seconds())
            .set_tags(self.sts_tags())
            .set_source_identity(self.source_identity.clone())
    }

    /// A refreshing credentials provider for S3 clients, on the base credentials of `sdk`.
    pub async fn provider(&self, sdk: &SdkConfig) -> SharedCredentialsProvider {
        if self.source_identity.is_some() {
            // AssumeRoleProvider cannot send SourceIdentity; this provider sends the same
            // request with it. Caching and refresh still come from the S3 client's identity cache.
            let sts = aws_sdk_sts::Client::new(sdk);
            return SharedCredentialsProvider::new(AssumeRoleWithSourceIdentity {
                request: self.request(&sts),
            });
        }
        let mut builder = AssumeRoleProvider::builder(&self.role_arn)
            .configure(sdk)
            .session_name(&self.session_name);
        if let Some(id) = &self.external_id {
            builder = builder.external_id(id);
        }
        if let Some(d) = self.duration {
            builder = builder.session_length(d);
        }
        if !self.tags.is_empty() {
            builder = builder.tags(self.tags.clone());
        }
        SharedCredentialsProvider::new(builder.build().await)
    }
}

/// `sts:AssumeRole` with `SourceIdentity`, as a credentials provider.
#[derive(Debug)]
struct AssumeRoleWithSourceIdentity {
    request: AssumeRoleFluentBuilder,
}

impl ProvideCredentials for AssumeRoleWithSourceIdentity {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let out = self
                .request
                .clone()
                .send()
                .await
                .map_err(CredentialsError::provider_error)?;
            session_credentials(out.credentials, "AssumeRoleWithSourceIdentity")
        })
    }
}

/// Converts STS session credentials to SDK credentials.
pub(crate) fn session_credentials(
    creds: Option<aws_sdk_sts::types::Credentials>,
    provider_name: &'static str,
) -> Result<Credentials, CredentialsError> {
    let c = creds.ok_or_else(|| CredentialsError::unhandled("AssumeRole returned no credentials"))?;
    let expiry = SystemTime::try_from(c.expiration).map_err(CredentialsError::unhandled)?;
    Ok(Credentials::new(
        c.access_key_id,
        c.secret_access_key,
        Some(c.session_token),
        Some(expiry),
        provider_name,
    ))
}
