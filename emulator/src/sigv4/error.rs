//! Why a request failed authentication, and the wire error S3 or STS answers with.
//!
//! [`SigError::to_api_error`] is one total `match` per service: a new variant does not
//! compile until it has an S3 and an STS answer. Wire texts come from
//! `shared/reference/sigv4.md` §1–7 (captures of real responses); where the digest has no
//! capture, the text is marked *inferred* with its source.

use std::fmt;

use time::OffsetDateTime;

use super::canonical::hex_spaced;
use super::{Location, SigService};
use crate::api_error;
use crate::error::ApiError;
use crate::protocol::codes::{Code, Service};

/// The largest clock skew AWS accepts for header-signed requests, in milliseconds.
pub const MAX_SKEW_MILLIS: i64 = 900_000;

/// What a signature mismatch reports: S3 sends all of it back so a client can compare
/// its canonical request with the server's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureMismatch {
    /// The access key id from the credential.
    pub access_key_id: String,
    /// The string to sign the server computed.
    pub string_to_sign: String,
    /// The signature the client sent.
    pub signature_provided: String,
    /// The canonical request the server computed, exact bytes (empty for SigV2).
    pub canonical_request: Vec<u8>,
    /// The canonical request with session tokens masked, for logs.
    pub redacted_canonical_request: String,
}

/// Why a request failed SigV4/SigV2 verification or aws-chunked decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    // ---- choosing the mechanism ------------------------------------------------------
    /// Presigned query parameters and an `Authorization` header together.
    MultipleAuthMechanisms {
        /// The `Authorization` header.
        authorization: String,
    },
    /// An `Authorization` scheme that is neither SigV4 nor SigV2 (`Basic …`, a typo).
    UnsupportedAuthorizationType {
        /// The whole header.
        authorization: String,
    },
    /// SigV2 (`Authorization: AWS …`, or SigV2 query parameters where the bucket refuses them).
    SigV2NotSupported,

    // ---- the Authorization header ----------------------------------------------------
    /// `Credential`, `SignedHeaders` or `Signature` is missing.
    MissingComponents {
        /// The whole header.
        authorization: String,
        /// The missing component names, in the order STS reports them.
        missing: Vec<&'static str>,
        /// Neither `X-Amz-Date` nor `Date` is present either.
        date_missing: bool,
    },
    /// A component without `=`, an unknown or a repeated component.
    MalformedComponent {
        /// The component as sent.
        component: String,
        /// The whole header.
        authorization: String,
    },
    /// Neither a valid `X-Amz-Date` nor a valid `Date` header.
    MissingDate {
        /// The whole `Authorization` header.
        authorization: String,
    },

    // ---- the credential scope (header or query) -------------------------------------
    /// The credential is not `AKID/yyyymmdd/region/service/aws4_request`.
    MalformedCredential {
        /// Where the credential was.
        location: Location,
        /// The credential as sent.
        credential: String,
    },
    /// The scope date is not `yyyymmdd`.
    InvalidScopeDate {
        /// Where the credential was.
        location: Location,
        /// The scope date as sent.
        date: String,
        /// The request timestamp, as sent (may be empty).
        amz_date: String,
    },
    /// The scope terminator is not `aws4_request`.
    InvalidTerminator {
        /// Where the credential was.
        location: Location,
        /// The terminator as sent.
        terminator: String,
    },
    /// The scope names another service.
    WrongService {
        /// Where the credential was.
        location: Location,
        /// The service in the scope.
        service: String,
        /// The service that received the request.
        expected: SigService,
    },
    /// The scope names another region than the bucket's.
    WrongRegion {
        /// Where the credential was.
        location: Location,
        /// The region in the scope.
        region: String,
        /// The region the resource lives in.
        expected: String,
    },
    /// The scope date is not the date of the request timestamp.
    ScopeDateMismatch {
        /// Where the credential was.
        location: Location,
        /// The scope date.
        scope_date: String,
        /// The request timestamp, `yyyymmddThhmmssZ`.
        amz_date: String,
    },

    // ---- presigned query parameters --------------------------------------------------
    /// `X-Amz-Algorithm` other than `AWS4-HMAC-SHA256`.
    UnsupportedQueryAlgorithm {
        /// The algorithm as sent.
        algorithm: String,
    },
    /// One of the six required `X-Amz-*` parameters is missing.
    MissingQueryParameters {
        /// The missing parameter names.
        missing: Vec<&'static str>,
    },
    /// `X-Amz-Date` is not `yyyymmddThhmmssZ`.
    InvalidQueryDate {
        /// The value as sent.
        value: String,
    },
    /// `X-Amz-Expires` is not an integer.
    InvalidExpires {
        /// The value as sent.
        value: String,
    },
    /// `X-Amz-Expires` is outside `1..=604800`.
    ExpiresOutOfRange {
        /// The value as sent.
        value: i64,
    },

    // ---- time ------------------------------------------------------------------------
    /// A header-signed request more than 15 minutes away from the server clock.
    RequestTimeTooSkewed {
        /// The request time as sent (`X-Amz-Date` or `Date`).
        request_time: String,
        /// The request time, parsed.
        signed_at: OffsetDateTime,
        /// The server clock.
        server_time: OffsetDateTime,
    },
    /// A presigned request past its expiry.
    PresignExpired {
        /// `X-Amz-Expires` (SigV4); `None` for SigV2.
        x_amz_expires: Option<u32>,
        /// When the request expired.
        expires_at: OffsetDateTime,
        /// The server clock.
        server_time: OffsetDateTime,
    },
    /// A presigned request whose `X-Amz-Date` is more than 15 minutes in the future.
    PresignNotYetValid {
        /// `X-Amz-Date`.
        signed_at: OffsetDateTime,
        /// When the request would expire.
        expires_at: OffsetDateTime,
        /// The server clock.
        server_time: OffsetDateTime,
    },

    // ---- signed headers --------------------------------------------------------------
    /// Headers that must be signed (`host`, `x-amz-*`) but are not.
    HeadersNotSigned {
        /// The unsigned header names, lowercase.
        names: Vec<String>,
    },
    /// A header named in `SignedHeaders` is not in the request.
    SignedHeaderMissing {
        /// The header name, lowercase.
        name: String,
    },

    // ---- payload ---------------------------------------------------------------------
    /// S3 header auth without `x-amz-content-sha256`.
    MissingContentSha256,
    /// `x-amz-content-sha256` is neither a payload mode nor 64 lowercase hex digits.
    InvalidContentSha256 {
        /// The value as sent.
        value: String,
    },
    /// The body does not hash to `x-amz-content-sha256`.
    ContentSha256Mismatch {
        /// The value the client sent.
        client: String,
        /// The hash of the body received.
        computed: String,
    },

    // ---- signatures ------------------------------------------------------------------
    /// The request (seed) signature does not match.
    SignatureDoesNotMatch(Box<SignatureMismatch>),
    /// A SigV2 query signature does not match (no canonical request in SigV2).
    V2SignatureDoesNotMatch(Box<SignatureMismatch>),
    /// An aws-chunked chunk signature does not match.
    ChunkSignatureDoesNotMatch {
        /// The chunk's position, from 0.
        index: u64,
        /// The string to sign the server computed.
        string_to_sign: String,
        /// The signature the client sent.
        provided: String,
    },
    /// The aws-chunked trailer signature is missing or does not match.
    TrailerSignatureDoesNotMatch {
        /// The string to sign the server computed.
        string_to_sign: String,
        /// The signature the client sent (empty when missing).
        provided: String,
    },

    // ---- aws-chunked bodies ----------------------------------------------------------
    /// A signed stream without `x-amz-decoded-content-length`.
    MissingDecodedContentLength,
    /// `x-amz-decoded-content-length` is not a non-negative integer.
    InvalidDecodedContentLength {
        /// The value as sent.
        value: String,
    },
    /// Broken aws-chunked framing.
    MalformedChunk {
        /// What was wrong, for the log.
        reason: &'static str,
    },
    /// A signed chunk other than the last is smaller than 8 KiB.
    ChunkTooSmall {
        /// The chunk's position, from 0.
        index: u64,
        /// Its size.
        size: u64,
    },
    /// A malformed trailer section, or trailers that differ from `x-amz-trailer`.
    MalformedTrailer {
        /// What was wrong, for the log.
        reason: String,
    },
    /// The decoded body is shorter than `x-amz-decoded-content-length`.
    IncompleteBody {
        /// `x-amz-decoded-content-length`.
        expected: u64,
        /// The bytes decoded.
        provided: u64,
    },
    /// The decoded body is longer than `x-amz-decoded-content-length`.
    BodyTooLong {
        /// `x-amz-decoded-content-length`.
        expected: u64,
        /// The bytes decoded so far.
        provided: u64,
    },

    // ---- SigV2 query -----------------------------------------------------------------
    /// SigV2 query auth without all of `AWSAccessKeyId`, `Signature`, `Expires`.
    V2MissingParameters,
    /// `Expires` is not an epoch second.
    V2InvalidExpires {
        /// The value as sent.
        value: String,
    },
}

/// `2017-07-20T04:18:45Z`: how S3 writes `ServerTime` and `Expires`.
fn iso_extended(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `20160610T013008Z`: the SigV4 timestamp form STS quotes.
pub(crate) fn iso_basic(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The S3 `AuthorizationHeaderMalformed` message prefix.
const MALFORMED: &str = "The authorization header is malformed; ";
/// The S3 `AuthorizationQueryParametersError` prefix for credential errors.
const QUERY_CREDENTIAL: &str = "Error parsing the X-Amz-Credential parameter; ";
/// The credential shape S3 expects.
const CREDENTIAL_SHAPE: &str = "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";

/// S3: `AuthorizationHeaderMalformed` for header credentials,
/// `AuthorizationQueryParametersError` for presigned ones.
fn scope_error(location: Location, rest: &str) -> ApiError {
    match location {
        Location::Header => api_error!(AuthorizationHeaderMalformed, "{MALFORMED}{rest}"),
        Location::Query => api_error!(AuthorizationQueryParametersError, "{QUERY_CREDENTIAL}{rest}"),
    }
}

/// STS `SignatureDoesNotMatch` with a message.
fn sts_mismatch(message: String) -> ApiError {
    api_error!(SignatureDoesNotMatch, "{message}")
}

/// STS `IncompleteSignature` with a message.
fn sts_incomplete(message: String) -> ApiError {
    api_error!(IncompleteSignature, "{message}")
}

impl SigError {
    /// The wire error for this failure, in the envelope of `service`.
    pub fn to_api_error(&self, service: Service) -> ApiError {
        let err = match service {
            Service::S3 => self.s3_error(),
            Service::Sts => self.sts_error(),
        };
        err.note(self.to_string())
    }

    /// The code this failure is reported with under `service`.
    pub fn code(&self, service: Service) -> Code {
        self.to_api_error(service).code
    }

    fn s3_error(&self) -> ApiError {
        match self {
            // versity/versitygw#1512, #1705 (S3 captures); catalyst/moodle-tool_objectfs#303 (S3 capture).
            Self::MultipleAuthMechanisms { authorization } => api_error!(
                InvalidArgument,
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query \
                 string parameter or the Authorization header should be specified"
            )
            .extra("ArgumentName", "Authorization")
            .extra("ArgumentValue", authorization.clone()),
            Self::UnsupportedAuthorizationType { authorization } => {
                api_error!(InvalidArgument, "Unsupported Authorization Type")
                    .extra("ArgumentName", "Authorization")
                    .extra("ArgumentValue", authorization.clone())
            }
            // aws/aws-cli#2432.
            Self::SigV2NotSupported => api_error!(
                InvalidRequest,
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
            ),
            // Default text: "...requires three components: Credential, SignedHeaders, and Signature."
            Self::MissingComponents { .. } => ApiError::new(Code::AuthorizationHeaderMalformed),
            // Inferred (versity/versitygw s3err/sigv4.go `MalformedComponent`).
            Self::MalformedComponent { component, .. } => api_error!(
                AuthorizationHeaderMalformed,
                "{MALFORMED}the authorization component \"{component}\" is malformed."
            ),
            // Inferred (versity/versitygw s3err.go `ErrMissingDateHeader`; no S3 capture found).
            Self::MissingDate { .. } => {
                api_error!(AccessDenied, "AWS authentication requires a valid Date or x-amz-date header.")
            }
            // krobertson/deb-s3#157 (S3 capture, header form); query form from versitygw.
            Self::MalformedCredential { location, .. } => {
                scope_error(*location, &format!("the Credential is mal-formed; {CREDENTIAL_SHAPE}"))
            }
            // Inferred (versity/versitygw `InvalidDateFormat`).
            Self::InvalidScopeDate { location, date, .. } => scope_error(
                *location,
                &format!("incorrect date format \"{date}\". This date in the credential must be in the format \"yyyyMMdd\"."),
            ),
            // Inferred (versity/versitygw `InvalidTerminal`).
            Self::InvalidTerminator { location, terminator } => scope_error(
                *location,
                &format!("incorrect terminal \"{terminator}\". This endpoint uses \"aws4_request\"."),
            ),
            // Inferred (versity/versitygw `IncorrectService`).
            Self::WrongService { location, service, expected } => scope_error(
                *location,
                &format!("incorrect service \"{service}\". This endpoint belongs to \"{}\".", expected.name()),
            ),
            // jsoma/flatware#10 (S3 capture): Region element and x-amz-bucket-region header.
            Self::WrongRegion { location, region, expected } => {
                scope_error(*location, &format!("the region '{region}' is wrong; expecting '{expected}'"))
                    .extra("Region", expected.clone())
                    .header("x-amz-bucket-region", expected.clone())
            }
            // Header form inferred (versitygw text); query form from versitygw `DateMismatch`.
            Self::ScopeDateMismatch { location: Location::Header, .. } => api_error!(
                AuthorizationHeaderMalformed,
                "{MALFORMED}Invalid credential date. Date is not the same as X-Amz-Date."
            ),
            Self::ScopeDateMismatch { location: Location::Query, scope_date, amz_date } => api_error!(
                AuthorizationQueryParametersError,
                "Invalid credential date \"{scope_date}\". This date is not the same as X-Amz-Date: \"{}\".",
                amz_date.get(..8).unwrap_or(amz_date)
            ),
            // versity/versitygw s3err/presigned-urls.go (texts diffed against S3 by its maintainers).
            Self::UnsupportedQueryAlgorithm { .. } => {
                api_error!(AuthorizationQueryParametersError, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
            }
            Self::MissingQueryParameters { .. } => ApiError::new(Code::AuthorizationQueryParametersError),
            Self::InvalidQueryDate { .. } => api_error!(
                AuthorizationQueryParametersError,
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
            ),
            Self::InvalidExpires { .. } => {
                api_error!(AuthorizationQueryParametersError, "X-Amz-Expires should be a number")
            }
            // bryanjos/aws_auth#31 (S3 capture) for the upper bound; 0 is below the documented
            // minimum of 1 and reported like a negative value (inferred).
            Self::ExpiresOutOfRange { value } if *value > 604_800 => api_error!(
                AuthorizationQueryParametersError,
                "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must \
                 be less than 604800 seconds"
            ),
            Self::ExpiresOutOfRange { .. } => {
                api_error!(AuthorizationQueryParametersError, "X-Amz-Expires must be non-negative")
            }
            // versity/versitygw#1514, aws/aws-sdk-php#612 (S3 captures).
            Self::RequestTimeTooSkewed { request_time, server_time, .. } => {
                ApiError::new(Code::RequestTimeTooSkewed)
                    .extra("RequestTime", request_time.clone())
                    .extra("ServerTime", iso_extended(*server_time))
                    .extra("MaxAllowedSkewMilliseconds", MAX_SKEW_MILLIS.to_string())
            }
            // aws/aws-sdk-php#1333 (S3 capture); SigV2 URLs carry no X-Amz-Expires.
            Self::PresignExpired { x_amz_expires, expires_at, server_time } => {
                let mut e = api_error!(AccessDenied, "Request has expired");
                if let Some(secs) = x_amz_expires {
                    e = e.extra("X-Amz-Expires", secs.to_string());
                }
                e.extra("Expires", iso_extended(*expires_at)).extra("ServerTime", iso_extended(*server_time))
            }
            // minio/minio#2638 (S3 capture as quoted there).
            Self::PresignNotYetValid { signed_at, expires_at, server_time } => {
                api_error!(AccessDenied, "Request is not yet valid")
                    .extra("X-Amz-Date", iso_extended(*signed_at))
                    .extra("Expires", iso_extended(*expires_at))
                    .extra("ServerTime", iso_extended(*server_time))
            }
            // soto-project/soto#374 (S3 capture); several names joined with ", " (inferred).
            Self::HeadersNotSigned { names } => {
                api_error!(AccessDenied, "There were headers present in the request which were not signed")
                    .extra("HeadersNotSigned", names.join(", "))
            }
            // Inferred: the server cannot rebuild what the client signed.
            Self::SignedHeaderMissing { .. } => ApiError::new(Code::SignatureDoesNotMatch),
            // avi-wish/aws4-signature-php#1, aws/aws-cli#2138.
            Self::MissingContentSha256 => {
                api_error!(InvalidRequest, "Missing required header for this request: x-amz-content-sha256")
            }
            // irods/irods_resource_plugin_s3#1833 (2016 S3 capture).
            Self::InvalidContentSha256 { value } => api_error!(
                InvalidArgument,
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value."
            )
            .extra("ArgumentName", "x-amz-content-sha256")
            .extra("ArgumentValue", value.clone()),
            // grosskur/lua-resty-aws#2.
            Self::ContentSha256Mismatch { client, computed } => ApiError::new(Code::XAmzContentSHA256Mismatch)
                .extra("ClientComputedContentSHA256", client.clone())
                .extra("S3ComputedContentSHA256", computed.clone()),
            // minio/minio#2986, s3tools/s3cmd#1053 (S3 captures).
            Self::SignatureDoesNotMatch(m) => ApiError::new(Code::SignatureDoesNotMatch)
                .extra("AWSAccessKeyId", m.access_key_id.clone())
                .extra("StringToSign", m.string_to_sign.clone())
                .extra("SignatureProvided", m.signature_provided.clone())
                .extra("StringToSignBytes", hex_spaced(m.string_to_sign.as_bytes()))
                .extra("CanonicalRequest", String::from_utf8_lossy(&m.canonical_request).into_owned())
                .extra("CanonicalRequestBytes", hex_spaced(&m.canonical_request)),
            Self::V2SignatureDoesNotMatch(m) => ApiError::new(Code::SignatureDoesNotMatch)
                .extra("AWSAccessKeyId", m.access_key_id.clone())
                .extra("StringToSign", m.string_to_sign.clone())
                .extra("SignatureProvided", m.signature_provided.clone())
                .extra("StringToSignBytes", hex_spaced(m.string_to_sign.as_bytes())),
            // versity/versitygw#1056: a bad chunk signature is a 403 SignatureDoesNotMatch.
            Self::ChunkSignatureDoesNotMatch { .. } | Self::TrailerSignatureDoesNotMatch { .. } => {
                ApiError::new(Code::SignatureDoesNotMatch)
            }
            // Inferred: S3's answer to a signed stream without a decoded length is not captured.
            Self::MissingDecodedContentLength => ApiError::new(Code::MissingContentLength),
            Self::InvalidDecodedContentLength { value } => {
                api_error!(InvalidArgument, "Invalid x-amz-decoded-content-length")
                    .extra("ArgumentName", "x-amz-decoded-content-length")
                    .extra("ArgumentValue", value.clone())
            }
            // versity/versitygw#1660 (S3 capture).
            Self::MalformedChunk { .. } => api_error!(IncompleteBody, "The request body terminated unexpectedly"),
            Self::ChunkTooSmall { .. } => ApiError::new(Code::InvalidChunkSizeError),
            // S3 error table (`MalformedTrailerError`); no wire capture found.
            Self::MalformedTrailer { .. } => ApiError::new(Code::MalformedTrailerError),
            // versity/versitygw#1684 (S3 capture).
            Self::IncompleteBody { expected, provided } | Self::BodyTooLong { expected, provided } => {
                ApiError::new(Code::IncompleteBody)
                    .extra("NumberBytesExpected", expected.to_string())
                    .extra("NumberBytesProvided", provided.to_string())
            }
            // Inferred (S3 SigV2 texts as widely reported; no capture in the digest).
            Self::V2MissingParameters => api_error!(
                AccessDenied,
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
            ),
            Self::V2InvalidExpires { value } => {
                api_error!(AccessDenied, "Invalid date (should be seconds since epoch): {value}")
            }
        }
    }

    fn sts_error(&self) -> ApiError {
        match self {
            // STS has no InvalidArgument/InvalidRequest: anything that does not conform to
            // SigV4 is IncompleteSignature (table text "Request must contain a signature
            // that conforms to AWS standards").
            Self::MultipleAuthMechanisms { .. }
            | Self::UnsupportedAuthorizationType { .. }
            | Self::SigV2NotSupported
            | Self::UnsupportedQueryAlgorithm { .. }
            | Self::InvalidQueryDate { .. }
            | Self::InvalidExpires { .. }
            | Self::ExpiresOutOfRange { .. }
            | Self::HeadersNotSigned { .. }
            | Self::MissingContentSha256
            | Self::InvalidContentSha256 { .. }
            | Self::V2MissingParameters
            | Self::V2InvalidExpires { .. } => ApiError::new(Code::IncompleteSignature),
            // boto/boto3#2280, aws/chalice#828, aws-samples/…#4 (wire texts).
            Self::MissingComponents { authorization, missing, date_missing } => {
                let mut msg = String::new();
                for name in missing {
                    msg.push_str(&format!("Authorization header requires '{name}' parameter. "));
                }
                if *date_missing {
                    msg.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
                }
                msg.push_str(&format!("Authorization={authorization}"));
                sts_incomplete(msg)
            }
            Self::MalformedComponent { component, authorization } => sts_incomplete(format!(
                "'{component}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."
            )),
            Self::MissingDate { authorization } => sts_incomplete(format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
                 Authorization={authorization}"
            )),
            // hashicorp/vault#4939 (STS capture).
            Self::MalformedCredential { credential, .. } => sts_incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
            )),
            // Inferred (the query-protocol services' text; not captured from STS).
            Self::InvalidScopeDate { date, amz_date, .. } => sts_mismatch(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
                 '{date}' != '{}', from '{amz_date}'.",
                amz_date.get(..8).unwrap_or(amz_date)
            )),
            Self::ScopeDateMismatch { scope_date, amz_date, .. } => sts_mismatch(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
                 '{scope_date}' != '{}', from '{amz_date}'.",
                amz_date.get(..8).unwrap_or(amz_date)
            )),
            // Inferred from the service/region texts below (same family, trailing space).
            Self::InvalidTerminator { terminator, .. } => sts_mismatch(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
            )),
            // timkay/aws#111 (CloudFormation, query protocol, SignatureDoesNotMatch).
            Self::WrongService { expected, .. } => {
                sts_mismatch(format!("Credential should be scoped to correct service: '{}'. ", expected.name()))
            }
            // cognitect-labs/aws-api#27 (STS capture, trailing space).
            Self::WrongRegion { region, .. } => {
                sts_mismatch(format!("Credential should be scoped to a valid region, not '{region}'. "))
            }
            // Inferred: the query-string counterpart of the header text (not captured from STS).
            Self::MissingQueryParameters { .. } => sts_incomplete(
                "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', \
                 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
                    .to_owned(),
            ),
            // devsecops/bootcamp#101, QT-DevOps/DevOpsIssues#989 (STS captures).
            Self::RequestTimeTooSkewed { signed_at, server_time, .. } => {
                let window = time::Duration::milliseconds(MAX_SKEW_MILLIS);
                if signed_at < server_time {
                    sts_mismatch(format!(
                        "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                        iso_basic(*signed_at),
                        iso_basic(*server_time - window),
                        iso_basic(*server_time)
                    ))
                } else {
                    sts_mismatch(format!(
                        "Signature not yet current: {} is still later than {} ({} + 15 min.)",
                        iso_basic(*signed_at),
                        iso_basic(*server_time + window),
                        iso_basic(*server_time)
                    ))
                }
            }
            // Inferred: presigned STS calls share S3's wording.
            Self::PresignExpired { .. } => api_error!(AccessDenied, "Request has expired"),
            Self::PresignNotYetValid { .. } => api_error!(AccessDenied, "Request is not yet valid"),
            // STS wire message for a bad signature carries no canonical request today.
            Self::SignedHeaderMissing { .. }
            | Self::ContentSha256Mismatch { .. }
            | Self::SignatureDoesNotMatch(_)
            | Self::V2SignatureDoesNotMatch(_)
            | Self::ChunkSignatureDoesNotMatch { .. }
            | Self::TrailerSignatureDoesNotMatch { .. } => ApiError::new(Code::SignatureDoesNotMatch),
            // STS bodies are small forms, never aws-chunked; should one arrive, it is a bad parameter.
            Self::MissingDecodedContentLength
            | Self::InvalidDecodedContentLength { .. }
            | Self::MalformedChunk { .. }
            | Self::ChunkTooSmall { .. }
            | Self::MalformedTrailer { .. }
            | Self::IncompleteBody { .. }
            | Self::BodyTooLong { .. } => ApiError::new(Code::InvalidParameterValue),
        }
    }
}

impl fmt::Display for SigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MultipleAuthMechanisms { .. } => {
                f.write_str("both presigned query parameters and an authorization header")
            }
            Self::UnsupportedAuthorizationType { authorization } => {
                let scheme = authorization.split(' ').next().unwrap_or("");
                write!(f, "unsupported authorization scheme `{scheme}`")
            }
            Self::SigV2NotSupported => f.write_str("signature version 2 is not accepted here"),
            Self::MissingComponents { missing, .. } => {
                write!(f, "authorization header lacks {}", missing.join(", "))
            }
            Self::MalformedComponent { component, .. } => {
                write!(f, "malformed authorization component `{component}`")
            }
            Self::MissingDate { .. } => f.write_str("no valid x-amz-date or date header"),
            Self::MalformedCredential { credential, .. } => write!(f, "malformed credential `{credential}`"),
            Self::InvalidScopeDate { date, .. } => write!(f, "credential date `{date}` is not yyyymmdd"),
            Self::InvalidTerminator { terminator, .. } => {
                write!(f, "credential terminator `{terminator}` is not aws4_request")
            }
            Self::WrongService {
                service, expected, ..
            } => {
                write!(
                    f,
                    "credential scoped to service `{service}`, expected `{}`",
                    expected.name()
                )
            }
            Self::WrongRegion { region, expected, .. } => {
                write!(
                    f,
                    "credential scoped to region `{region}`, resource is in `{expected}`"
                )
            }
            Self::ScopeDateMismatch {
                scope_date, amz_date, ..
            } => {
                write!(
                    f,
                    "credential date `{scope_date}` is not the date of `{amz_date}`"
                )
            }
            Self::UnsupportedQueryAlgorithm { algorithm } => {
                write!(f, "unsupported X-Amz-Algorithm `{algorithm}`")
            }
            Self::MissingQueryParameters { missing } => {
                write!(f, "presigned request lacks {}", missing.join(", "))
            }
            Self::InvalidQueryDate { value } => write!(f, "X-Amz-Date `{value}` is not yyyymmddThhmmssZ"),
            Self::InvalidExpires { value } => write!(f, "X-Amz-Expires `{value}` is not a number"),
            Self::ExpiresOutOfRange { value } => write!(f, "X-Amz-Expires `{value}` is outside 1..=604800"),
            Self::RequestTimeTooSkewed {
                signed_at,
                server_time,
                ..
            } => write!(
                f,
                "request signed at {} but the server clock says {} (more than 15 minutes apart)",
                iso_basic(*signed_at),
                iso_basic(*server_time)
            ),
            Self::PresignExpired { expires_at, .. } => {
                write!(f, "presigned request expired at {}", iso_basic(*expires_at))
            }
            Self::PresignNotYetValid { signed_at, .. } => {
                write!(
                    f,
                    "presigned request dated {} is in the future",
                    iso_basic(*signed_at)
                )
            }
            Self::HeadersNotSigned { names } => write!(f, "headers not signed: {}", names.join(", ")),
            Self::SignedHeaderMissing { name } => write!(f, "signed header `{name}` is not in the request"),
            Self::MissingContentSha256 => f.write_str("no x-amz-content-sha256 header"),
            Self::InvalidContentSha256 { value } => write!(f, "invalid x-amz-content-sha256 `{value}`"),
            Self::ContentSha256Mismatch { client, computed } => {
                write!(
                    f,
                    "body hashes to `{computed}`, x-amz-content-sha256 says `{client}`"
                )
            }
            Self::SignatureDoesNotMatch(m) => write!(
                f,
                "signature does not match for `{}`; canonical request: {:?}",
                m.access_key_id, m.redacted_canonical_request
            ),
            Self::V2SignatureDoesNotMatch(m) => write!(
                f,
                "sigv2 signature does not match for `{}`; string to sign: {:?}",
                m.access_key_id, m.string_to_sign
            ),
            Self::ChunkSignatureDoesNotMatch { index, .. } => {
                write!(f, "signature of aws-chunked chunk {index} does not match")
            }
            Self::TrailerSignatureDoesNotMatch { provided, .. } if provided.is_empty() => {
                f.write_str("no x-amz-trailer-signature in a signed trailer")
            }
            Self::TrailerSignatureDoesNotMatch { .. } => f.write_str("trailer signature does not match"),
            Self::MissingDecodedContentLength => f.write_str("no x-amz-decoded-content-length header"),
            Self::InvalidDecodedContentLength { value } => {
                write!(f, "invalid x-amz-decoded-content-length `{value}`")
            }
            Self::MalformedChunk { reason } => write!(f, "malformed aws-chunked body: {reason}"),
            Self::ChunkTooSmall { index, size } => {
                write!(
                    f,
                    "signed chunk {index} has {size} bytes; only the last may have fewer than 8192"
                )
            }
            Self::MalformedTrailer { reason } => write!(f, "malformed trailer: {reason}"),
            Self::IncompleteBody { expected, provided } => {
                write!(
                    f,
                    "decoded body has {provided} bytes, x-amz-decoded-content-length says {expected}"
                )
            }
            Self::BodyTooLong { expected, provided } => write!(
                f,
                "decoded body has at least {provided} bytes, x-amz-decoded-content-length says {expected}"
            ),
            Self::V2MissingParameters => {
                f.write_str("sigv2 query auth lacks AWSAccessKeyId, Signature or Expires")
            }
            Self::V2InvalidExpires { value } => write!(f, "sigv2 Expires `{value}` is not an epoch second"),
        }
    }
}

impl std::error::Error for SigError {}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// One value of every variant, so the mapping tests see them all.
    pub(crate) fn every_variant() -> Vec<SigError> {
        let t = datetime!(2026-11-27 18:06:30 UTC);
        let mismatch = Box::new(SignatureMismatch {
            access_key_id: "AKID".into(),
            string_to_sign: "AWS4-HMAC-SHA256\n...".into(),
            signature_provided: "00".into(),
            canonical_request: b"GET\n/".to_vec(),
            redacted_canonical_request: "GET\n/".into(),
        });
        let auth = "AWS4-HMAC-SHA256 Credential=x".to_owned();
        vec![
            SigError::MultipleAuthMechanisms {
                authorization: auth.clone(),
            },
            SigError::UnsupportedAuthorizationType {
                authorization: "Basic abc".into(),
            },
            SigError::SigV2NotSupported,
            SigError::MissingComponents {
                authorization: auth.clone(),
                missing: vec!["Credential", "Signature"],
                date_missing: true,
            },
            SigError::MalformedComponent {
                component: "x".into(),
                authorization: auth.clone(),
            },
            SigError::MissingDate { authorization: auth },
            SigError::MalformedCredential {
                location: Location::Header,
                credential: "a/b".into(),
            },
            SigError::MalformedCredential {
                location: Location::Query,
                credential: "a/b".into(),
            },
            SigError::InvalidScopeDate {
                location: Location::Header,
                date: "2013".into(),
                amz_date: String::new(),
            },
            SigError::InvalidTerminator {
                location: Location::Query,
                terminator: "aws5".into(),
            },
            SigError::WrongService {
                location: Location::Header,
                service: "sts".into(),
                expected: SigService::S3,
            },
            SigError::WrongRegion {
                location: Location::Header,
                region: "us-east-1".into(),
                expected: "eu-central-1".into(),
            },
            SigError::ScopeDateMismatch {
                location: Location::Header,
                scope_date: "20130523".into(),
                amz_date: "20130524T000000Z".into(),
            },
            SigError::ScopeDateMismatch {
                location: Location::Query,
                scope_date: "20130523".into(),
                amz_date: "20130524T000000Z".into(),
            },
            SigError::UnsupportedQueryAlgorithm {
                algorithm: "AWS4-HMAC-SHA1".into(),
            },
            SigError::MissingQueryParameters {
                missing: vec!["X-Amz-Date"],
            },
            SigError::InvalidQueryDate { value: "x".into() },
            SigError::InvalidExpires { value: "x".into() },
            SigError::ExpiresOutOfRange { value: 604_801 },
            SigError::ExpiresOutOfRange { value: -1 },
            SigError::RequestTimeTooSkewed {
                request_time: "20261127T170630Z".into(),
                signed_at: t - time::Duration::hours(1),
                server_time: t,
            },
            SigError::RequestTimeTooSkewed {
                request_time: "20261127T190630Z".into(),
                signed_at: t + time::Duration::hours(1),
                server_time: t,
            },
            SigError::PresignExpired {
                x_amz_expires: Some(300),
                expires_at: t,
                server_time: t,
            },
            SigError::PresignExpired {
                x_amz_expires: None,
                expires_at: t,
                server_time: t,
            },
            SigError::PresignNotYetValid {
                signed_at: t,
                expires_at: t,
                server_time: t,
            },
            SigError::HeadersNotSigned {
                names: vec!["x-amz-acl".into()],
            },
            SigError::SignedHeaderMissing { name: "x-foo".into() },
            SigError::MissingContentSha256,
            SigError::InvalidContentSha256 { value: "nope".into() },
            SigError::ContentSha256Mismatch {
                client: "a".into(),
                computed: "b".into(),
            },
            SigError::SignatureDoesNotMatch(mismatch.clone()),
            SigError::V2SignatureDoesNotMatch(mismatch),
            SigError::ChunkSignatureDoesNotMatch {
                index: 0,
                string_to_sign: String::new(),
                provided: String::new(),
            },
            SigError::TrailerSignatureDoesNotMatch {
                string_to_sign: String::new(),
                provided: String::new(),
            },
            SigError::MissingDecodedContentLength,
            SigError::InvalidDecodedContentLength { value: "-1".into() },
            SigError::MalformedChunk { reason: "x" },
            SigError::ChunkTooSmall { index: 0, size: 1 },
            SigError::MalformedTrailer { reason: "x".into() },
            SigError::IncompleteBody {
                expected: 2,
                provided: 1,
            },
            SigError::BodyTooLong {
                expected: 1,
                provided: 2,
            },
            SigError::V2MissingParameters,
            SigError::V2InvalidExpires { value: "x".into() },
        ]
    }

    #[test]
    fn every_variant_maps_to_a_code_its_service_sends() {
        for e in every_variant() {
            for service in [Service::S3, Service::Sts] {
                let api = e.to_api_error(service);
                assert!(
                    api.code.row(service).is_some(),
                    "{e:?} maps to {} which {service:?} never sends",
                    api.code.as_str()
                );
                assert!(!api.wire_message(service).is_empty());
                let display = e.to_string();
                assert!(!display.ends_with('.'), "{display}");
                assert!(
                    display
                        .chars()
                        .next()
                        .is_some_and(|c| !c.is_ascii_uppercase() || display.starts_with("X-Amz")),
                    "{display}"
                );
            }
        }
    }

    #[test]
    fn s3_skew_and_expiry_carry_their_extras() {
        let t = datetime!(2025-09-03 16:21:50 UTC);
        let e = SigError::RequestTimeTooSkewed {
            request_time: "20250901T162148Z".into(),
            signed_at: datetime!(2025-09-01 16:21:48 UTC),
            server_time: t,
        }
        .to_api_error(Service::S3);
        assert_eq!(e.code, Code::RequestTimeTooSkewed);
        assert_eq!(
            e.extras,
            vec![
                ("RequestTime", "20250901T162148Z".to_owned()),
                ("ServerTime", "2025-09-03T16:21:50Z".to_owned()),
                ("MaxAllowedSkewMilliseconds", "900000".to_owned()),
            ]
        );
        let e = SigError::PresignExpired {
            x_amz_expires: Some(300),
            expires_at: datetime!(2017-07-20 04:18:45 UTC),
            server_time: datetime!(2017-07-20 04:18:55 UTC),
        }
        .to_api_error(Service::S3);
        assert_eq!(e.wire_message(Service::S3), "Request has expired");
        assert_eq!(
            e.extras,
            vec![
                ("X-Amz-Expires", "300".to_owned()),
                ("Expires", "2017-07-20T04:18:45Z".to_owned()),
                ("ServerTime", "2017-07-20T04:18:55Z".to_owned()),
            ]
        );
    }

    #[test]
    fn sts_skew_messages_match_the_captures() {
        let e = SigError::RequestTimeTooSkewed {
            request_time: "20160609T184512Z".into(),
            signed_at: datetime!(2016-06-09 18:45:12 UTC),
            server_time: datetime!(2016-06-10 01:45:08 UTC),
        }
        .to_api_error(Service::Sts);
        assert_eq!(e.code, Code::SignatureDoesNotMatch);
        assert_eq!(
            e.wire_message(Service::Sts),
            "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)"
        );
        let e = SigError::RequestTimeTooSkewed {
            request_time: "20210112T194419Z".into(),
            signed_at: datetime!(2021-01-12 19:44:19 UTC),
            server_time: datetime!(2021-01-12 07:11:25 UTC),
        }
        .to_api_error(Service::Sts);
        assert_eq!(
            e.wire_message(Service::Sts),
            "Signature not yet current: 20210112T194419Z is still later than 20210112T072625Z (20210112T071125Z + 15 min.)"
        );
    }

    #[test]
    fn sts_incomplete_signature_lists_what_is_missing() {
        let e = SigError::MissingComponents {
            authorization: String::new(),
            missing: vec!["Credential", "Signature", "SignedHeaders"],
            date_missing: true,
        }
        .to_api_error(Service::Sts);
        assert_eq!(e.code, Code::IncompleteSignature);
        assert_eq!(
            e.wire_message(Service::Sts),
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' \
             parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires \
             existence of either a 'X-Amz-Date' or a 'Date' header. Authorization="
        );
    }
}
