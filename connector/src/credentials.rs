//! Role credentials: the explicit `sts:AssumeRole` (or, in web identity mode,
//! `sts:AssumeRoleWithWebIdentity`) request onboarding sends to capture its error, and the
//! refreshing provider S3 clients use afterwards.
//!
//! Caching and refresh-before-expiry come from the SDK: the S3 client's identity cache (lazy,
//! driven by the injected time source) sits in front of `aws_config::sts::AssumeRoleProvider`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sdk_sts::operation::assume_role::builders::AssumeRoleFluentBuilder;
use aws_sdk_sts::operation::assume_role_with_web_identity::builders::AssumeRoleWithWebIdentityFluentBuilder;
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
    /// In web identity mode, the file holding the service's ID token: the role is
    /// assumed with `sts:AssumeRoleWithWebIdentity` instead.
    pub web_identity_token_file: Option<PathBuf>,
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
                web_identity_token_file: settings
                    .base_credentials
                    .web_identity_token_file()
                    .map(Path::to_path_buf),
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

    /// The `sts:AssumeRoleWithWebIdentity` request with `token`, in web identity mode.
    pub fn web_identity_request(
        &self,
        sts: &aws_sdk_sts::Client,
        token: &str,
    ) -> AssumeRoleWithWebIdentityFluentBuilder {
        sts.assume_role_with_web_identity()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .web_identity_token(token)
            .set_duration_seconds(self.duration_seconds())
    }

    /// A refreshing credentials provider for S3 clients, on the base credentials of `sdk`.
    pub async fn provider(&self, sdk: &SdkConfig) -> SharedCredentialsProvider {
        if let Some(token_file) = &self.web_identity_token_file {
            // aws-config's WebIdentityTokenCredentialsProvider takes its STS endpoint
            // from the environment or a profile only, never from this SdkConfig's
            // endpoint override; this one sends the same request through the
            // connector's own STS client. Caching and refresh-before-expiry still come
            // from the S3 client's identity cache.
            return SharedCredentialsProvider::new(WebIdentityRoleProvider {
                role: self.clone(),
                sts: aws_sdk_sts::Client::new(sdk),
                token_file: token_file.clone(),
            });
        }
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

/// `sts:AssumeRoleWithWebIdentity` with the token file read afresh on every fetch.
#[derive(Debug)]
struct WebIdentityRoleProvider {
    role: RoleRequest,
    sts: aws_sdk_sts::Client,
    token_file: PathBuf,
}

impl ProvideCredentials for WebIdentityRoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let token = read_token(&self.token_file).map_err(CredentialsError::provider_error)?;
            let out = self
                .role
                .web_identity_request(&self.sts, &token)
                .send()
                .await
                .map_err(CredentialsError::provider_error)?;
            session_credentials(out.credentials, "AssumeRoleWithWebIdentity")
        })
    }
}

/// The token in `path`, surrounding whitespace removed (files written by `echo` end in
/// a newline; a JWT holds none).
pub(crate) fn read_token(path: &Path) -> Result<String, std::io::Error> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.trim().to_owned())
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

/// The claims of a JWT, read without verifying it: the service's own token, to tell the
/// customer which conditions admit it. `None` when it is not a JWT.
pub(crate) fn token_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Issuers STS trusts without an IAM OIDC provider; their trust policies name the bare host.
const BUILT_IN_ISSUERS: &[&str] = &["accounts.google.com", "cognito-identity.amazonaws.com"];

/// `d` with the trust conditions the service's `token` satisfies, for a web identity trust
/// denial (the `Federated` principal, `sub`, `aud` and Google's `oaud`; the role's account
/// names a registered provider).
pub(crate) fn with_token_claims(mut d: crate::Diagnosis, token: &str, role_arn: &str) -> crate::Diagnosis {
    let Some(claims) = token_claims(token) else {
        return d;
    };
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let first_aud = match claims.get("aud") {
        Some(serde_json::Value::Array(a)) => a.first().and_then(serde_json::Value::as_str).map(str::to_owned),
        _ => text("aud"),
    };
    let issuer = text("iss").map(|i| i.strip_prefix("https://").unwrap_or(&i).to_owned());
    let account = role_arn.split(':').nth(4).unwrap_or_default();
    match &mut d {
        crate::Diagnosis::WebIdentityTrustDenies {
            provider,
            sub,
            aud,
            oaud,
            ..
        } => {
            let google = issuer.as_deref() == Some("accounts.google.com");
            *provider = issuer.map(|i| {
                if BUILT_IN_ISSUERS.contains(&i.as_str()) {
                    i
                } else {
                    format!("arn:aws:iam::{account}:oidc-provider/{i}")
                }
            });
            *sub = text("sub");
            // Google: `aud` is the token's `azp` when it has one, `oaud` its `aud`.
            match (google, text("azp")) {
                (true, Some(azp)) => {
                    *aud = Some(azp);
                    *oaud = first_aud;
                }
                _ => *aud = first_aud,
            }
        }
        crate::Diagnosis::OidcAudienceNotRegistered { audience, .. } => *audience = first_aud,
        _ => {}
    }
    d
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;
    use crate::diagnosis::{Found, Target};
    use crate::Diagnosis;

    fn jwt(claims: serde_json::Value) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            e.encode(r#"{"alg":"RS256"}"#),
            e.encode(claims.to_string())
        )
    }

    fn denied() -> Diagnosis {
        let dest = crate::DestinationConfig {
            bucket: "lake".into(),
            region: "eu-west-1".into(),
            prefix: None,
            auth: crate::Auth::AssumeRole {
                role_arn: "arn:aws:iam::222222222222:role/transfer-role".into(),
                external_id: None,
            },
        };
        Diagnosis::WebIdentityTrustDenies {
            provider: None,
            sub: None,
            aud: None,
            oaud: None,
            found: Found::input(Target::new(&dest, &crate::ServiceSettings::default())),
        }
    }

    /// The remediation names the exact trust a Google service account's token satisfies.
    #[test]
    fn a_google_token_names_sub_azp_and_oaud() {
        let token = jwt(serde_json::json!({
            "iss": "https://accounts.google.com", "sub": "1044", "azp": "1044", "aud": "push-to-warehouse"
        }));
        let d = with_token_claims(denied(), &token, "arn:aws:iam::222222222222:role/transfer-role");
        let text = d.remediation();
        for want in [
            r#""Federated": "accounts.google.com""#,
            r#""accounts.google.com:sub": "1044""#,
            r#""accounts.google.com:aud": "1044""#,
            r#""accounts.google.com:oaud": "push-to-warehouse""#,
            r#""Action": "sts:AssumeRoleWithWebIdentity""#,
        ] {
            assert!(text.contains(want), "{want} not in\n{text}");
        }
    }

    /// A registered provider is named by its ARN in the role's account; its keys by the issuer.
    #[test]
    fn a_registered_provider_is_named_by_its_arn() {
        let token = jwt(serde_json::json!({
            "iss": "https://token.actions.githubusercontent.com", "sub": "repo:a/b:ref:refs/heads/main", "aud": ["sts.amazonaws.com"]
        }));
        let d = with_token_claims(denied(), &token, "arn:aws:iam::222222222222:role/transfer-role");
        let text = d.remediation();
        assert!(
            text.contains(r#""Federated": "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com""#),
            "{text}"
        );
        assert!(
            text.contains(r#""token.actions.githubusercontent.com:aud": "sts.amazonaws.com""#),
            "{text}"
        );
        assert!(!text.contains(":oaud"), "{text}");
        // Not a JWT: the diagnosis stays as it was.
        let same = with_token_claims(denied(), "opaque", "arn:aws:iam::222222222222:role/r");
        assert_eq!(same, denied());
    }
}
