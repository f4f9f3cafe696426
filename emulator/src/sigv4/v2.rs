//! SigV2 query-string authentication (S3 presigned URLs with `AWSAccessKeyId`,
//! `Signature`, `Expires`): what boto3 and the AWS CLI v1 presign with unless told
//! `signature_version="s3v4"` (`shared/reference/clients.md` §3.1).
//!
//! ```text
//! StringToSign = METHOD \n Content-MD5 \n Content-Type \n Expires \n
//!                CanonicalizedAmzHeaders CanonicalizedResource
//! Signature    = base64(HMAC-SHA1(secret, StringToSign))
//! ```
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html>)

use std::collections::BTreeMap;
use std::fmt;

use time::OffsetDateTime;

use super::error::{SigError, SignatureMismatch};
use super::key::verify_v2;
use super::{QueryParams, RequestHead};

/// Query parameters that are part of the SigV2 canonicalized resource (botocore
/// `HmacV1Auth.QSAOfInterest`).
const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// A parsed SigV2 presigned request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthV2Query {
    /// `AWSAccessKeyId`.
    pub access_key_id: String,
    /// `Signature` (base64 HMAC-SHA1), as sent.
    pub signature: String,
    /// `Expires`, epoch seconds.
    pub expires: i64,
    /// When the URL expires.
    pub expires_at: OffsetDateTime,
    /// `x-amz-security-token` from the query, for temporary credentials.
    pub session_token: Option<String>,
}

/// A SigV2 string to sign; `Display` is the exact signed text (lossy if not UTF-8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2StringToSign(pub Vec<u8>);

impl fmt::Display for V2StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl AuthV2Query {
    /// Parse `AWSAccessKeyId`, `Signature`, `Expires` and the optional token.
    pub(crate) fn parse(params: &QueryParams) -> Result<Self, SigError> {
        let (Some(access_key_id), Some(signature), Some(expires)) = (
            params.get("AWSAccessKeyId"),
            params.get("Signature"),
            params.get("Expires"),
        ) else {
            return Err(SigError::V2MissingParameters);
        };
        let invalid = || SigError::V2InvalidExpires {
            value: expires.to_owned(),
        };
        let epoch: i64 = expires.parse().map_err(|_| invalid())?;
        let expires_at = OffsetDateTime::from_unix_timestamp(epoch).map_err(|_| invalid())?;
        let session_token = params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"))
            .map(|(_, v)| v.to_owned());
        Ok(Self {
            access_key_id: access_key_id.to_owned(),
            signature: signature.to_owned(),
            expires: epoch,
            expires_at,
            session_token,
        })
    }

    /// The URL is valid until `Expires` (no start time, no upper bound).
    pub fn check_time(&self, now: OffsetDateTime) -> Result<(), SigError> {
        if now > self.expires_at {
            return Err(SigError::PresignExpired {
                x_amz_expires: None,
                expires_at: self.expires_at,
                server_time: now,
            });
        }
        Ok(())
    }

    /// The string to sign of `head`. `virtual_host_bucket` is the bucket when it was
    /// addressed through the Host header (`bucket.s3.…`): the canonicalized resource always
    /// starts with `/bucket`.
    pub fn string_to_sign(
        &self,
        head: &RequestHead<'_>,
        virtual_host_bucket: Option<&str>,
    ) -> V2StringToSign {
        let params = QueryParams::parse(head.raw_query);
        let header_or_param = |name: &str| -> Vec<u8> {
            match head.headers.get(name) {
                Some(v) => v.as_bytes().to_vec(),
                None => params
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_bytes().to_vec())
                    .unwrap_or_default(),
            }
        };
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(head.method.as_bytes());
        out.push(b'\n');
        out.extend(header_or_param("content-md5"));
        out.push(b'\n');
        out.extend(header_or_param("content-type"));
        out.push(b'\n');
        out.extend_from_slice(self.expires.to_string().as_bytes());
        out.push(b'\n');
        // CanonicalizedAmzHeaders: x-amz-* headers and x-amz-* query parameters (botocore
        // moves them, the security token included, into the query), lowercase names,
        // sorted, repeated values joined with `,`.
        let mut amz: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
        for (name, value) in head.headers {
            if name.as_str().starts_with("x-amz-") {
                amz.entry(name.as_str().to_owned())
                    .or_default()
                    .push(value.as_bytes().to_vec());
            }
        }
        for (name, value) in params.iter() {
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("x-amz-") {
                amz.entry(lower)
                    .or_default()
                    .push(value.trim().as_bytes().to_vec());
            }
        }
        for (name, values) in &amz {
            out.extend_from_slice(name.as_bytes());
            out.push(b':');
            out.extend(values.join(&b","[..]));
            out.push(b'\n');
        }
        // CanonicalizedResource: [/bucket]<path as sent>[?subresources, sorted, values decoded]
        if let Some(bucket) = virtual_host_bucket {
            out.push(b'/');
            out.extend_from_slice(bucket.as_bytes());
        }
        out.extend_from_slice(head.raw_path.as_bytes());
        let mut subresources: Vec<(&str, Option<String>)> = head
            .raw_query
            .split('&')
            .filter_map(|p| {
                let (name, value) = match p.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (p, None),
                };
                SUBRESOURCES.contains(&name).then(|| {
                    (
                        name,
                        value.map(|v| {
                            String::from_utf8_lossy(&super::canonical::percent_decode(v)).into_owned()
                        }),
                    )
                })
            })
            .collect();
        subresources.sort_by(|a, b| a.0.cmp(b.0));
        for (i, (name, value)) in subresources.iter().enumerate() {
            out.push(if i == 0 { b'?' } else { b'&' });
            out.extend_from_slice(name.as_bytes());
            if let Some(value) = value {
                out.push(b'=');
                out.extend_from_slice(value.as_bytes());
            }
        }
        V2StringToSign(out)
    }

    /// Recompute the signature with `secret_access_key` and compare in constant time.
    pub fn verify(
        &self,
        head: &RequestHead<'_>,
        secret_access_key: &str,
        virtual_host_bucket: Option<&str>,
    ) -> Result<(), SigError> {
        let sts = self.string_to_sign(head, virtual_host_bucket);
        if verify_v2(secret_access_key, &sts.0, &self.signature) {
            return Ok(());
        }
        Err(SigError::V2SignatureDoesNotMatch(Box::new(SignatureMismatch {
            access_key_id: self.access_key_id.clone(),
            string_to_sign: sts.to_string(),
            signature_provided: self.signature.clone(),
            canonical_request: Vec::new(),
            redacted_canonical_request: String::new(),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        headers: &'a http::HeaderMap,
    ) -> RequestHead<'a> {
        RequestHead {
            method,
            raw_path: path,
            raw_query: query,
            headers,
        }
    }

    #[test]
    fn string_to_sign_has_token_and_subresources() {
        let headers = http::HeaderMap::new();
        let q = "AWSAccessKeyId=AKID&Signature=x&x-amz-security-token=T%2BK&Expires=100&uploadId=a%2Fb&acl&x-id=PutObject";
        let auth = AuthV2Query::parse(&QueryParams::parse(q)).unwrap();
        assert_eq!(auth.session_token.as_deref(), Some("T+K"));
        let sts = auth.string_to_sign(&head("PUT", "/b/k", q, &headers), None);
        assert_eq!(
            sts.to_string(),
            "PUT\n\n\n100\nx-amz-security-token:T+K\n/b/k?acl&uploadId=a/b"
        );
        let sts = auth.string_to_sign(&head("PUT", "/k", q, &headers), Some("b"));
        assert!(sts.to_string().ends_with("\n/b/k?acl&uploadId=a/b"));
    }

    #[test]
    fn missing_or_bad_parameters() {
        assert_eq!(
            AuthV2Query::parse(&QueryParams::parse("Signature=x")),
            Err(SigError::V2MissingParameters)
        );
        assert_eq!(
            AuthV2Query::parse(&QueryParams::parse("AWSAccessKeyId=a&Signature=x&Expires=soon")),
            Err(SigError::V2InvalidExpires { value: "soon".into() })
        );
    }
}
