//! What AWS said ([`Evidence`]) and what we were talking to ([`Target`]).

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use serde::Serialize;

use crate::config::{Auth, DestinationConfig, ServiceSettings};

/// The operation a piece of evidence comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Operation {
    /// Client-side validation; no request was sent.
    Validate,
    /// `sts:AssumeRole`.
    AssumeRole,
    /// `sts:AssumeRoleWithWebIdentity` (web identity mode).
    AssumeRoleWithWebIdentity,
    /// `s3:PutObject`.
    PutObject,
    /// `s3:DeleteObject`.
    DeleteObject,
    /// `s3:HeadObject` (sync's read-back after a 412).
    HeadObject,
    /// `CreateMultipartUpload` (a large batch; needs `s3:PutObject`).
    CreateMultipartUpload,
    /// `UploadPart` (needs `s3:PutObject`, and `kms:Decrypt` on an SSE-KMS bucket).
    UploadPart,
    /// `CompleteMultipartUpload` (needs `s3:PutObject`).
    CompleteMultipartUpload,
    /// `AbortMultipartUpload` (needs `s3:AbortMultipartUpload`).
    AbortMultipartUpload,
}

impl Operation {
    /// The AWS operation name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validate => "Validate",
            Self::AssumeRole => "AssumeRole",
            Self::AssumeRoleWithWebIdentity => "AssumeRoleWithWebIdentity",
            Self::PutObject => "PutObject",
            Self::DeleteObject => "DeleteObject",
            Self::HeadObject => "HeadObject",
            Self::CreateMultipartUpload => "CreateMultipartUpload",
            Self::UploadPart => "UploadPart",
            Self::CompleteMultipartUpload => "CompleteMultipartUpload",
            Self::AbortMultipartUpload => "AbortMultipartUpload",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What AWS answered (or that it did not answer at all).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The failed operation (`None` only for evidence built by hand).
    pub operation: Option<Operation>,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// AWS error code (`AccessDenied`, `PermanentRedirect`, …).
    pub code: Option<String>,
    /// AWS error message, verbatim.
    pub message: Option<String>,
    /// `x-amz-request-id` / `x-amzn-requestid` / `<RequestId>`.
    pub request_id: Option<String>,
    /// The `x-amz-bucket-region` response header.
    pub bucket_region: Option<String>,
    /// `<Region>` of an `AuthorizationHeaderMalformed` body.
    pub region_element: Option<String>,
    /// `<Endpoint>` of a `PermanentRedirect`/`TemporaryRedirect` body.
    pub endpoint_element: Option<String>,
    /// A transport failure (timeout, connection reset, DNS) when no response arrived.
    pub transport: Option<String>,
}

impl Evidence {
    /// Evidence from an AWS response with the given status, code and message.
    pub fn response(operation: Operation, status: u16, code: &str, message: &str) -> Self {
        Self {
            operation: Some(operation),
            status: Some(status),
            code: Some(code.to_owned()).filter(|c| !c.is_empty()),
            message: Some(message.to_owned()).filter(|m| !m.is_empty()),
            ..Self::default()
        }
    }

    /// Adds the `x-amz-bucket-region` header value.
    pub fn with_bucket_region(mut self, region: &str) -> Self {
        self.bucket_region = Some(region.to_owned());
        self
    }

    /// Adds the `<Region>` element value.
    pub fn with_region_element(mut self, region: &str) -> Self {
        self.region_element = Some(region.to_owned());
        self
    }

    /// Adds the `<Endpoint>` element value.
    pub fn with_endpoint_element(mut self, endpoint: &str) -> Self {
        self.endpoint_element = Some(endpoint.to_owned());
        self
    }

    /// Evidence of a request that never got a response.
    pub fn transport(operation: Operation, detail: impl Into<String>) -> Self {
        Self {
            operation: Some(operation),
            transport: Some(detail.into()),
            ..Self::default()
        }
    }

    /// Reads everything useful out of an SDK error.
    pub fn from_sdk_error<E>(operation: Operation, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let mut ev = Self {
            operation: Some(operation),
            ..Self::default()
        };
        if let Some(raw) = err.raw_response() {
            fill_from_response(&mut ev, raw);
        }
        match err {
            SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
                ev.code = err.code().map(str::to_owned).or(ev.code);
                ev.message = err.message().map(str::to_owned).or(ev.message);
                if ev.status.is_none() {
                    ev.transport = Some(DisplayErrorContext(err).to_string());
                }
            }
            SdkError::TimeoutError(_) => {
                ev.transport = Some(format!("timeout: {}", DisplayErrorContext(err)))
            }
            SdkError::DispatchFailure(d) => {
                let kind = if d.is_timeout() {
                    "timeout"
                } else if d.is_io() {
                    "connection error"
                } else if d.is_user() {
                    "request could not be sent"
                } else {
                    "dispatch failure"
                };
                ev.transport = Some(format!("{kind}: {}", DisplayErrorContext(err)));
            }
            _ => ev.transport = Some(DisplayErrorContext(err).to_string()),
        }
        ev
    }

    /// The first line of the message, for one-line summaries.
    pub fn message_or_code(&self) -> String {
        match (&self.code, &self.message, &self.transport) {
            (Some(c), Some(m), _) => format!("{c}: {m}"),
            (Some(c), None, _) => c.clone(),
            (None, Some(m), _) => m.clone(),
            (None, None, Some(t)) => t.clone(),
            (None, None, None) => "no detail".to_owned(),
        }
    }
}

fn fill_from_response(ev: &mut Evidence, raw: &HttpResponse) {
    ev.status = Some(raw.status().as_u16());
    let headers = raw.headers();
    ev.request_id = headers
        .get("x-amz-request-id")
        .or_else(|| headers.get("x-amzn-requestid"))
        .map(str::to_owned);
    ev.bucket_region = headers.get("x-amz-bucket-region").map(str::to_owned);
    if let Some(body) = raw.body().bytes().map(String::from_utf8_lossy) {
        ev.region_element = xml_element(&body, "Region");
        ev.endpoint_element = xml_element(&body, "Endpoint");
        if ev.request_id.is_none() {
            ev.request_id = xml_element(&body, "RequestId");
        }
        ev.code = xml_element(&body, "Code");
        ev.message = xml_element(&body, "Message");
    }
}

/// The text of the first `<tag>…</tag>` in an XML body (no entity decoding beyond the basic five).
pub fn xml_element(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let (_, after) = body.split_once(&open)?;
    let (inside, _) = after.split_once(&close)?;
    let text = inside
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// How we authenticated, for messages (no secrets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuthSummary {
    /// Role mode.
    AssumeRole {
        /// The role ARN as entered.
        role_arn: String,
        /// The ExternalId sent, if any.
        external_id: Option<String>,
        /// The `RoleSessionName` used.
        session_name: String,
        /// The `DurationSeconds` requested, if any.
        duration_seconds: Option<u32>,
    },
    /// HMAC mode.
    Hmac {
        /// The access key id, masked to its first and last four characters.
        access_key_id: String,
    },
}

/// What we were talking to when something failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Bucket name as entered.
    pub bucket: String,
    /// Region as entered.
    pub region: String,
    /// Normalised prefix.
    pub prefix: Option<String>,
    /// How we authenticated.
    pub auth: AuthSummary,
    /// The object key involved, when there is one.
    pub key: Option<String>,
    /// The endpoint override, when one is configured.
    pub endpoint_url: Option<String>,
    /// The principal customers must trust (from settings, or learned from an STS message).
    pub service_principal: Option<String>,
}

impl Target {
    /// The target described by a destination and the service settings.
    pub fn new(dest: &DestinationConfig, settings: &ServiceSettings) -> Self {
        let auth = match &dest.auth {
            Auth::AssumeRole {
                role_arn,
                external_id,
            } => AuthSummary::AssumeRole {
                role_arn: role_arn.clone(),
                external_id: external_id.clone(),
                session_name: settings.role_session_name.clone(),
                duration_seconds: settings.session_duration_seconds,
            },
            Auth::Hmac { access_key_id, .. } => AuthSummary::Hmac {
                access_key_id: mask_key_id(access_key_id),
            },
        };
        Self {
            bucket: dest.bucket.clone(),
            region: dest.region.clone(),
            prefix: crate::keys::normalize_prefix(dest.prefix.as_deref()),
            auth,
            key: None,
            endpoint_url: settings.endpoint_url.clone(),
            service_principal: settings.service_principal.clone(),
        }
    }

    /// The same target, about this object key.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// `true` in role mode.
    pub fn is_role_mode(&self) -> bool {
        matches!(self.auth, AuthSummary::AssumeRole { .. })
    }

    /// The role ARN in role mode.
    pub fn role_arn(&self) -> Option<&str> {
        match &self.auth {
            AuthSummary::AssumeRole { role_arn, .. } => Some(role_arn),
            AuthSummary::Hmac { .. } => None,
        }
    }

    /// The `DurationSeconds` requested in role mode.
    pub fn duration_seconds(&self) -> Option<u32> {
        match &self.auth {
            AuthSummary::AssumeRole { duration_seconds, .. } => *duration_seconds,
            AuthSummary::Hmac { .. } => None,
        }
    }

    /// `true` when role mode sent an ExternalId.
    pub fn external_id_sent(&self) -> bool {
        matches!(&self.auth, AuthSummary::AssumeRole { external_id: Some(id), .. } if !id.is_empty())
    }
}

/// `AKIAIOSFODNN7EXAMPLE` → `AKIA…MPLE`.
pub fn mask_key_id(key_id: &str) -> String {
    let chars: Vec<char> = key_id.chars().collect();
    if chars.len() <= 8 {
        return key_id.to_owned();
    }
    let head: String = chars.iter().take(4).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_elements() {
        let body = "<?xml version=\"1.0\"?><Error><Code>AuthorizationHeaderMalformed</Code><Message>the region \
                    &apos;us-east-1&apos; is wrong; expecting &apos;eu-west-1&apos;</Message><Region>eu-west-1</Region>\
                    <RequestId>R1</RequestId></Error>";
        assert_eq!(xml_element(body, "Region").as_deref(), Some("eu-west-1"));
        assert_eq!(xml_element(body, "RequestId").as_deref(), Some("R1"));
        assert_eq!(
            xml_element(body, "Message").as_deref(),
            Some("the region 'us-east-1' is wrong; expecting 'eu-west-1'")
        );
        assert_eq!(xml_element(body, "Endpoint"), None);
    }

    #[test]
    fn key_ids_are_masked() {
        assert_eq!(mask_key_id("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
        assert_eq!(mask_key_id("short"), "short");
    }
}
