//! AWS Signature Version 4 verification, as S3 and STS perform it, plus SigV2
//! query-string auth (what boto3 and the AWS CLI presign with by default) and the
//! aws-chunked body decoder.
//!
//! Sans-IO: nothing here reads a socket or a clock. The server hands in the request head,
//! the time, the secret, and then the body bytes as they arrive.
//!
//! # Flow
//!
//! 1. [`parse`] picks the mechanism (presigned query, `Authorization` header, or none) and
//!    parses it into [`Auth`].
//! 2. For [`AuthV4`]: [`AuthV4::check_scope`], [`AuthV4::check_signed_headers`],
//!    [`AuthV4::check_time`], [`AuthV4::payload_mode`]; look the access key up; then
//!    [`AuthV4::verify`] with the secret, which yields [`Verified`].
//! 3. [`BodyCheck::new`] with the payload mode and [`Verified`]; [`BodyCheck::push`] (or
//!    [`BodyCheck::payload`], which hands a plain body's frame back uncopied) every body
//!    chunk; [`BodyCheck::finish`] before storing anything. A caller that hashes the body
//!    itself (S3, beside the ETag's MD5) calls [`BodyCheck::caller_hashes`] first and
//!    [`BodyCheck::finish_with_sha256`] with its hash.
//! 4. Every failure is a [`SigError`]; [`SigError::to_api_error`] gives the S3 or STS answer.
//!
//! # Layout
//!
//! - `authorization`: the `Authorization` header and presigned `X-Amz-*` query, parsed into [`AuthV4`].
//! - `canonical`: [`CanonicalRequest`], [`CredentialScope`], [`StringToSign`].
//! - `key`: [`SigningKey`] derivation and constant-time comparison.
//! - `verify`: [`AuthV4::verify`] and [`Verified`].
//! - `payload`: [`PayloadMode`] (`x-amz-content-sha256`) and the [`BodyCheck`] body checker.
//! - `chunked`: [`AwsChunkedDecoder`], the aws-chunked state machine.
//! - `v2`: [`AuthV2Query`], SigV2 presigned URLs.
//! - `error`: [`SigError`] and its mapping to S3 and STS wire errors.
//!
//! # AWS documentation
//!
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html>
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>
//! - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>
//! - <https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html> (SigV2)
//!
//! The digest every rule here follows is `shared/reference/sigv4.md`.

#![deny(clippy::indexing_slicing)]

mod authorization;
mod canonical;
mod chunked;
mod error;
mod key;
mod payload;
mod v2;
mod verify;

#[cfg(test)]
mod tests;

pub use authorization::{AuthV4, DateSource};
pub use canonical::{
    canonical_query, canonical_uri, hex_spaced, uri_encode, CanonicalInput, CanonicalRequest,
    CredentialScope, StringToSign, UriRules,
};
pub use chunked::{
    AwsChunkedDecoder, ChunkSigning, DecoderConfig, MAX_CHUNK_SIZE, MAX_LINE, MAX_TRAILER_SECTION,
};
pub use error::{SigError, SignatureMismatch, MAX_SKEW_MILLIS};
pub use key::{hex_lower, sha256_hex, sign_v2, SigningKey};
pub use payload::{BodyCheck, PayloadMode, Trailers};
pub use v2::{AuthV2Query, V2StringToSign};
pub use verify::Verified;

use crate::protocol::codes::Service;

/// The service a request is addressed to: decides the canonical-URI rules, the required
/// signed headers, the payload hash and the error envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigService {
    /// Amazon S3: canonical URI = UriEncode(percent-decode(raw path)), no normalisation, single encode.
    S3,
    /// AWS STS (and the rules of every non-S3 service): dot segments removed, `//` collapsed,
    /// the wire path encoded again.
    Sts,
}

impl SigService {
    /// The signing name in the credential scope.
    pub fn name(self) -> &'static str {
        match self {
            Self::S3 => "s3",
            Self::Sts => "sts",
        }
    }

    /// How this service derives the canonical URI.
    pub fn uri_rules(self) -> UriRules {
        match self {
            Self::S3 => UriRules::S3,
            Self::Sts => UriRules::Normalized,
        }
    }
}

impl From<SigService> for Service {
    fn from(s: SigService) -> Self {
        match s {
            SigService::S3 => Service::S3,
            SigService::Sts => Service::Sts,
        }
    }
}

/// What the verifier needs from the request head.
///
/// `headers` must contain `host` (for HTTP/2, the server copies `:authority` into it).
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// The method, as sent.
    pub method: &'a str,
    /// The request-target path as on the wire, still percent-encoded.
    pub raw_path: &'a str,
    /// The query as on the wire, without `?`.
    pub raw_query: &'a str,
    /// The request headers, repeated headers in received order.
    pub headers: &'a http::HeaderMap,
}

/// Where a SigV4 signature was carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    /// The `Authorization` header.
    Header,
    /// Presigned `X-Amz-*` query parameters.
    Query,
}

/// How a request authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credentials at all.
    Anonymous,
    /// SigV4, in the header or the query.
    V4(AuthV4),
    /// SigV2 presigned query (`AWSAccessKeyId`, `Signature`, `Expires`). S3 only; the
    /// service decides per bucket whether to accept it, and otherwise answers
    /// [`SigError::SigV2NotSupported`].
    V2Query(AuthV2Query),
}

/// Decoded query parameters, in order, for looking up auth parameters by exact name.
#[derive(Debug)]
pub(crate) struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// Split and percent-decode `raw_query` (a literal `+` stays `+`).
    pub(crate) fn parse(raw_query: &str) -> Self {
        let decode = |s: &str| String::from_utf8_lossy(&canonical::percent_decode(s)).into_owned();
        Self(
            raw_query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (n, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode(n), decode(v))
                })
                .collect(),
        )
    }

    /// The first value of `name` (exact, case-sensitive: AWS parameter names are).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every parameter.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// Find out how `head` authenticates and parse it.
///
/// Presigned SigV4 (`X-Amz-Algorithm` in the query) and, for S3, SigV2 (`AWSAccessKeyId`
/// or `Signature` in the query) are recognised first; then the `Authorization` header;
/// otherwise the request is [`Auth::Anonymous`]. Query auth together with an
/// `Authorization` header is rejected, as S3 does ("Only one auth mechanism allowed",
/// S3 capture in catalyst/moodle-tool_objectfs#303).
pub fn parse(head: &RequestHead<'_>, service: SigService) -> Result<Auth, SigError> {
    let params = QueryParams::parse(head.raw_query);
    let authorization = head
        .headers
        .get(http::header::AUTHORIZATION)
        .map(|v| match v.to_str() {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(v.as_bytes()).into_owned(),
        });
    let v4_query = params.get("X-Amz-Algorithm").is_some();
    let v2_query = service == SigService::S3
        && !v4_query
        && (params.get("AWSAccessKeyId").is_some() || params.get("Signature").is_some());
    if let (true, Some(authorization)) = (v4_query || v2_query, &authorization) {
        return Err(SigError::MultipleAuthMechanisms {
            authorization: authorization.clone(),
        });
    }
    if v4_query {
        return AuthV4::parse_query(&params, service).map(Auth::V4);
    }
    if v2_query {
        return AuthV2Query::parse(&params).map(Auth::V2Query);
    }
    match authorization {
        None => Ok(Auth::Anonymous),
        Some(authorization) => AuthV4::parse_header(head, &authorization, service).map(Auth::V4),
    }
}
