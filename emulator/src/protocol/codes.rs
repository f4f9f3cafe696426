//! Every error code the emulator sends, as one table.
//!
//! A row is `(code, service, HTTP status, default message)`. S3 and STS share some
//! code names with different statuses (`ExpiredToken` is 400 in S3 and 403 in STS),
//! so a row is keyed by service as well as code. Messages are the wire texts seen in
//! captures of real responses where one exists (`shared/reference/sigv4.md` §6–7,
//! `misconfigs.md` §0–1); where only the S3 error-code table documents a code, its
//! text is used and the row says so.

use http::StatusCode;

/// The protocol family whose error envelope a response uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Amazon S3: `<Error>` document, `application/xml`, `x-amz-request-id` + `x-amz-id-2`.
    S3,
    /// AWS STS (query protocol): `<ErrorResponse>` document, `text/xml`, `x-amzn-RequestId`.
    Sts,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $code:ident $(= $wire:literal)? => { $( $svc:ident : $status:literal, $msg:literal; )+ } )+) => {
        /// An AWS error code. The wire name is [`Code::as_str`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $code, )+
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$code),+];

            /// The code as it appears in `<Code>`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Code::$code => codes!(@wire $code $(, $wire)?), )+
                }
            }

            /// The row of the table for this code under `service`, or `None` when the
            /// service never sends this code.
            pub fn row(self, service: Service) -> Option<Row> {
                match (self, service) {
                    $( $( (Code::$code, Service::$svc) => Some(Row {
                        code: self,
                        service,
                        status: $status,
                        message: $msg,
                    }), )+ )+
                    #[allow(unreachable_patterns, reason = "not every code exists in both services")]
                    _ => None,
                }
            }
        }
    };
    (@wire $code:ident) => { stringify!($code) };
    (@wire $code:ident, $wire:literal) => { $wire };
}

/// One row of the error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The code.
    pub code: Code,
    /// The service whose envelope carries it.
    pub service: Service,
    /// HTTP status as a number.
    pub status: u16,
    /// The default message, as sent on the wire.
    pub message: &'static str,
}

impl Row {
    /// The HTTP status.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

codes! {
    /// Authorization failed: policy, expired presign, unsigned headers, missing date.
    AccessDenied => {
        S3: 403, "Access Denied";
        Sts: 403, "Access Denied";
    }
    /// BucketOwnerEnforced bucket and an ACL other than bucket-owner-full-control.
    AccessControlListNotSupported => { S3: 400, "The bucket does not allow ACLs"; }
    /// Malformed Authorization header, or a scope naming the wrong region.
    AuthorizationHeaderMalformed => {
        S3: 400, "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.";
    }
    /// Malformed presigned query parameters.
    AuthorizationQueryParametersError => {
        S3: 400, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
    }
    /// Content-MD5 or x-amz-checksum-* disagrees with the body.
    BadDigest => { S3: 400, "The Content-MD5 you specified did not match what we received."; }
    /// Body larger than 5 GiB in one PUT.
    EntityTooLarge => { S3: 400, "Your proposed upload exceeds the maximum allowed size"; }
    /// A session token past its expiry.
    ExpiredToken => {
        S3: 400, "The provided token has expired.";
        Sts: 403, "The security token included in the request is expired";
    }
    /// STS: a web identity token past its `exp` (AssumeRoleWithWebIdentity). The
    /// message names both times (`Token expired: current date/time … must be before
    /// the expiration date/time …`, observed: aws/aws-sdk-java-v2#5709); the default
    /// is the STS API reference's description.
    ExpiredTokenException => {
        Sts: 400, "The web identity token that was passed is expired or is not valid. Get a new identity token from the identity provider and then retry the request.";
    }
    /// Bucket in a post-2019 region addressed through another region's endpoint.
    IllegalLocationConstraintException => {
        S3: 400, "The location constraint is incompatible for the region specific endpoint this request was sent to.";
    }
    /// STS: malformed Authorization header.
    IncompleteSignature => { Sts: 400, "Request must contain a signature that conforms to AWS standards"; }
    /// Fewer body bytes than Content-Length or x-amz-decoded-content-length promised.
    IncompleteBody => {
        S3: 400, "You did not provide the number of bytes specified by the Content-Length HTTP header";
    }
    /// An emulator fault or an injected 500.
    InternalError => { S3: 500, "We encountered an internal error. Please try again."; }
    /// STS: an internal failure.
    InternalFailure => { Sts: 500, "An internal error occurred."; }
    /// STS: a web identity token that does not verify: not a JWT, no provider for
    /// its issuer, an unknown key, a bad signature, a wrong audience (the specific
    /// messages are observed ones; the default is the STS API reference's).
    InvalidIdentityToken => {
        Sts: 400, "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.";
    }
    /// Unknown access key id (S3), inactive keys included.
    InvalidAccessKeyId => { S3: 403, "The AWS Access Key Id you provided does not exist in our records."; }
    /// STS: unknown STS action.
    InvalidAction => { Sts: 400, "Could not find operation"; }
    /// A header or parameter with an invalid value.
    InvalidArgument => { S3: 400, "Invalid Argument"; }
    /// `x-amz-storage-class` names no storage class (S3 error table).
    InvalidStorageClass => { S3: 400, "The storage class you specified is not valid."; }
    /// A bucket name that breaks S3's naming rules.
    InvalidBucketName => { S3: 400, "The specified bucket is not valid."; }
    /// Unknown or inactive access key id, or a bad token, on STS.
    InvalidClientTokenId => { Sts: 403, "The security token included in the request is invalid."; }
    /// Content-MD5 not base64 of 16 bytes (S3 error table text; no wire capture found).
    InvalidDigest => { S3: 400, "The Content-MD5 you specified is not valid."; }
    /// STS: a parameter with an invalid value.
    InvalidParameterValue => { Sts: 400, "An invalid or out-of-range value was supplied for the input parameter."; }
    /// A request S3 refuses as a whole (unsupported auth mechanism, missing sha256 header).
    InvalidRequest => { S3: 400, "Invalid Request"; }
    /// A malformed or unknown session token.
    InvalidToken => { S3: 400, "The provided token is malformed or otherwise invalid."; }
    /// A Range outside the object.
    InvalidRange => { S3: 416, "The requested range is not satisfiable"; }
    /// CompleteMultipartUpload names a part that was not uploaded, or with another ETag
    /// (S3 error table; the two spaces are S3's).
    InvalidPart => {
        S3: 400, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.";
    }
    /// CompleteMultipartUpload lists parts out of ascending order (S3 error table).
    InvalidPartOrder => {
        S3: 400, "The list of parts was not in ascending order. The parts list must be specified in order by part number.";
    }
    /// A part other than the last is under 5 MiB (S3 error table).
    EntityTooSmall => { S3: 400, "Your proposed upload is smaller than the minimum allowed object size."; }
    /// The upload id names no upload in progress (S3 error table).
    NoSuchUpload => {
        S3: 404, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.";
    }
    /// CreateBucket's LocationConstraint names no region, or names us-east-1
    /// (which is asked for by leaving it out) (S3 error table).
    InvalidLocationConstraint => { S3: 400, "The specified location constraint is not valid."; }
    /// A request body over what the operation reads (S3 error table).
    MaxMessageLengthExceeded => { S3: 400, "Your request was too big."; }
    /// CreateBucket of a bucket the caller's account owns (S3 error table).
    BucketAlreadyOwnedByYou => { S3: 409, "Your previous request to create the named bucket succeeded and you already own it."; }
    /// CreateBucket of a name another account owns (S3 error table).
    BucketAlreadyExists => {
        S3: 409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.";
    }
    /// A path or query that does not percent-decode to UTF-8 (S3 error table; seen on
    /// the wire for keys with invalid UTF-8: larrabee/s3sync#45, apache/ozone#10860).
    InvalidURI => { S3: 400, "Couldn't parse the specified URI."; }
    /// An object key over 1,024 bytes of UTF-8 (S3 error table; user guide, "Naming objects").
    KeyTooLongError => { S3: 400, "Your key is too long"; }
    /// An `x-amz-tagging` tag set S3 will not store (S3 error table; the specific
    /// messages are S3's as clients report them, inferred).
    InvalidTag => { S3: 400, "The tag provided was not a valid tag. This error can occur if the tag did not pass input validation."; }
    /// User metadata over 2 KiB.
    MetadataTooLarge => { S3: 400, "Your metadata headers exceed the maximum allowed metadata size."; }
    /// Request headers over 8 KiB.
    RequestHeaderSectionTooLarge => { S3: 400, "Your request header section exceeds the maximum allowed size."; }
    /// Chunk smaller than 8 KiB that is not the last in a signed stream (text from versitygw).
    InvalidChunkSizeError => { S3: 403, "Only the last chunk is allowed to have a size less than 8192 bytes"; }
    /// A bad session policy or policy document.
    MalformedPolicyDocument => { Sts: 400, "The policy document is malformed."; }
    /// aws-chunked trailers that are malformed or differ from `x-amz-trailer` (S3 error
    /// table text; no wire capture found).
    MalformedTrailerError => {
        S3: 400, "The request contained trailing data that was not well-formed or did not conform to our published schema.";
    }
    /// A body that does not parse as the expected XML.
    MalformedXML => {
        S3: 400, "The XML you provided was not well-formed or did not validate against our published schema.";
    }
    /// The method does not apply to the resource.
    MethodNotAllowed => { S3: 405, "The specified method is not allowed against this resource."; }
    /// STS: no credentials at all (error table text; wire text not captured).
    MissingAuthenticationToken => {
        Sts: 403, "Request is missing Authentication Token";
    }
    /// PUT without Content-Length or Transfer-Encoding.
    MissingContentLength => { S3: 411, "You must provide the Content-Length HTTP header."; }
    /// The bucket does not exist.
    NoSuchBucket => { S3: 404, "The specified bucket does not exist"; }
    /// The key does not exist.
    NoSuchKey => { S3: 404, "The specified key does not exist."; }
    /// A feature the emulator does not implement.
    NotImplemented => { S3: 501, "A header you provided implies functionality that is not implemented"; }
    /// Conditional GET/HEAD whose ETag matched If-None-Match.
    NotModified => { S3: 304, "Not Modified"; }
    /// STS: session policy plus tags too large once packed.
    PackedPolicyTooLarge => {
        Sts: 400, "Packed size of consumed session policies and session tags exceeds the quota.";
    }
    /// The bucket is in another region and the endpoint is regional.
    PermanentRedirect => {
        S3: 301, "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.";
    }
    /// A bucket created less than a day ago, addressed through the global endpoint
    /// (S3 API reference, "Request redirection and the REST API"; misconfigs.md M32).
    TemporaryRedirect => {
        S3: 307, "Please re-send this request to the specified temporary endpoint. Continue to use the original request endpoint for future requests.";
    }
    /// If-None-Match: * on an existing key, If-Match on a different ETag.
    PreconditionFailed => { S3: 412, "At least one of the pre-conditions you specified did not hold"; }
    /// STS disabled for the account in this region.
    RegionDisabledException => {
        Sts: 403, "STS is not activated in this region for account. Your account administrator can activate STS in this region using the IAM Console.";
    }
    /// Skew beyond 15 minutes.
    RequestTimeTooSkewed => {
        S3: 403, "The difference between the request time and the current time is too large.";
    }
    /// The client stopped sending before the body was complete and the socket idled out.
    RequestTimeout => {
        S3: 400, "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.";
    }
    /// An injected 503.
    ServiceUnavailable => {
        S3: 503, "Please reduce your request rate.";
        Sts: 503, "Service is unavailable.";
    }
    /// The signature does not verify.
    SignatureDoesNotMatch => {
        S3: 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
        Sts: 403, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    }
    /// Throttling (injected).
    SlowDown => { S3: 503, "Please reduce your request rate."; }
    /// STS throttling (injected).
    Throttling => { Sts: 400, "Rate exceeded"; }
    /// A parameter failed STS validation.
    ValidationError => { Sts: 400, "1 validation error detected"; }
    /// x-amz-content-sha256 disagrees with the body.
    XAmzContentSHA256Mismatch => {
        S3: 400, "The provided 'x-amz-content-sha256' header does not match what was computed.";
    }
    /// KMS key disabled (surfaced through S3 with KMS's code).
    KmsDisabled = "KMS.DisabledException" => { S3: 400, "The KMS key is disabled."; }
    /// KMS key pending deletion (surfaced through S3 with KMS's code).
    KmsInvalidState = "KMS.KMSInvalidStateException" => { S3: 400, "The KMS key is in an invalid state."; }
    /// KMS key not found (surfaced through S3 with KMS's code).
    KmsNotFound = "KMS.NotFoundException" => { S3: 400, "Invalid keyId"; }
}

impl Code {
    /// The code whose wire name is `name`, if the table has one.
    pub fn from_wire(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Code::from_wire(&name).ok_or_else(|| {
            let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            serde::de::Error::custom(format!(
                "unknown error code `{name}`; the emulator sends: {}",
                known.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_row_and_a_sane_status() {
        for code in Code::ALL {
            let rows: Vec<Row> = [Service::S3, Service::Sts]
                .iter()
                .filter_map(|s| code.row(*s))
                .collect();
            assert!(!rows.is_empty(), "{} has no row", code.as_str());
            for row in rows {
                assert!(
                    (300..600).contains(&row.status),
                    "{} has status {}",
                    code.as_str(),
                    row.status
                );
                assert!(!row.message.is_empty());
                assert_eq!(row.status_code().as_u16(), row.status);
            }
        }
    }

    #[test]
    fn shared_names_keep_per_service_statuses() {
        assert_eq!(Code::ExpiredToken.row(Service::S3).unwrap().status, 400);
        assert_eq!(Code::ExpiredToken.row(Service::Sts).unwrap().status, 403);
        assert_eq!(Code::KmsDisabled.as_str(), "KMS.DisabledException");
        assert!(Code::NoSuchBucket.row(Service::Sts).is_none());
    }

    #[test]
    fn wire_names_are_unique() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}
