//! Which service and operation a request is for.
//!
//! One endpoint serves S3, STS and the admin API, as real clients need nothing
//! but an endpoint URL: STS is recognised by its credential scope, its host or its
//! form body; S3 by path-style or virtual-hosted-style addressing; the admin API
//! by the `/_emulator/` prefix (no bucket name can start with `_`).

use percent_encoding::percent_decode_str;

use crate::api_error;
use crate::error::ApiResult;
use crate::protocol::names;

/// The service a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    /// S3.
    S3,
    /// STS.
    Sts,
    /// The emulator's own admin API.
    Admin,
}

/// How the bucket was addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `/bucket/key`.
    Path,
    /// `bucket.host/key`.
    VirtualHost,
}

/// What the Host header says about the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// The bucket named in the host (virtual-hosted style).
    pub bucket: Option<String>,
    /// The region named in the host (`s3.eu-west-1.localhost`), i.e. a regional endpoint.
    pub region: Option<String>,
    /// The host names an STS endpoint (`sts.…`).
    pub sts: bool,
    /// The host names a service's global endpoint: `s3.<suffix>`,
    /// `bucket.s3.<suffix>` or `sts.<suffix>`, no region (`s3.amazonaws.com`,
    /// `sts.amazonaws.com`). A host without the service label (an IP address,
    /// `bucket.localhost`) names no endpoint in particular.
    pub global: bool,
}

/// Read the Host header against the configured suffixes.
pub fn parse_host(host: &str, suffixes: &[String]) -> HostInfo {
    let name = strip_port(host).to_ascii_lowercase();
    let plain = HostInfo {
        bucket: None,
        region: None,
        sts: false,
        global: false,
    };
    if name.parse::<std::net::IpAddr>().is_ok() || name.starts_with('[') {
        return plain;
    }
    for suffix in suffixes {
        let suffix = suffix.to_ascii_lowercase();
        if name == suffix {
            return plain;
        }
        let Some(front) = name.strip_suffix(&suffix).and_then(|f| f.strip_suffix('.')) else {
            continue;
        };
        // front is one of: s3 | s3.REGION | s3-REGION | sts | sts.REGION | BUCKET | BUCKET.s3 | BUCKET.s3.REGION
        let labels: Vec<&str> = crate::util::split_ascii::<b'.'>(front).collect();
        let region_of = |label: Option<&&str>| label.map(|r| (*r).to_string());
        return match labels.as_slice() {
            ["s3"] => HostInfo {
                global: true,
                ..plain
            },
            ["sts"] => HostInfo {
                sts: true,
                global: true,
                ..plain
            },
            ["sts", r] => HostInfo {
                sts: true,
                region: Some((*r).to_string()),
                ..plain
            },
            ["s3", r] => HostInfo {
                region: Some((*r).to_string()),
                ..plain
            },
            [l] if l.starts_with("s3-") => HostInfo {
                region: Some(l.trim_start_matches("s3-").to_string()),
                ..plain
            },
            _ => {
                // The bucket is everything before the last `s3` label (bucket names may hold dots).
                if let Some(pos) = labels.iter().rposition(|l| *l == "s3" || l.starts_with("s3-")) {
                    let bucket = labels.get(..pos).map(|b| b.join(".")).filter(|b| !b.is_empty());
                    let region = labels
                        .get(pos)
                        .and_then(|l| l.strip_prefix("s3-"))
                        .map(str::to_string)
                        .or_else(|| region_of(labels.get(pos + 1)));
                    HostInfo {
                        global: region.is_none(),
                        bucket,
                        region,
                        sts: false,
                    }
                } else {
                    HostInfo {
                        bucket: Some(front.to_string()),
                        ..plain
                    }
                }
            }
        };
    }
    plain
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split(']').next().map_or(host, |h| h.trim_start_matches('['));
    }
    host.rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
}

/// Percent-decode a path or query component (`+` stays `+`); `None` when the
/// bytes are not UTF-8. Never lossy: two different byte strings must never
/// become one key (`bad-%FF` and `bad-%FE` would both be `bad-\u{FFFD}`).
pub fn decode(s: &str) -> Option<String> {
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// [`decode`], or S3's answer to a URI that does not decode to UTF-8: 400
/// InvalidURI (observed for keys with invalid UTF-8: larrabee/s3sync#45,
/// apache/ozone#10860; applied to the bucket and query too, inferred: S3 parses
/// the whole URI before it looks at any part of it).
pub fn decode_uri(s: &str) -> ApiResult<String> {
    decode(s).ok_or_else(|| {
        api_error!(InvalidURI).note(format!(
            "`{}` does not percent-decode to UTF-8",
            s.chars().take(200).collect::<String>()
        ))
    })
}

/// A request's query string as decoded pairs, in order; `?acl` gives `("acl", "")`.
/// A name or value that is not UTF-8 after decoding is InvalidURI.
pub fn query_pairs(raw: &str) -> ApiResult<Vec<(String, String)>> {
    crate::util::split_ascii::<b'&'>(raw)
        .filter(|p| !p.is_empty())
        .map(|p| match crate::util::split_once_ascii::<b'='>(p) {
            Some((k, v)) => Ok((decode_uri(k)?, decode_uri(v)?)),
            None => Ok((decode_uri(p)?, String::new())),
        })
        .collect()
}

/// `application/x-www-form-urlencoded` pairs (`+` is a space), as `x-amz-tagging`
/// carries them; `None` when a name or value does not decode to UTF-8 (never
/// replaced: two different tag sets must not become one).
pub fn form_pairs(raw: &str) -> Option<Vec<(String, String)>> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((decode(&k.replace('+', " "))?, decode(&v.replace('+', " "))?))
        })
        .collect()
}

/// The first value of a query parameter.
pub fn query_get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// An S3 operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Op {
    /// `GET /`.
    ListBuckets,
    /// `PUT /bucket`.
    CreateBucket,
    /// `HEAD /bucket`.
    HeadBucket,
    /// `GET /bucket?location`.
    GetBucketLocation,
    /// `GET /bucket?list-type=2`.
    ListObjectsV2,
    /// `GET /bucket`.
    ListObjects,
    /// `GET /bucket?uploads`.
    ListMultipartUploads,
    /// `POST /bucket?delete`.
    DeleteObjects,
    /// `PUT /bucket/key`.
    PutObject,
    /// `PUT /bucket/key` with `x-amz-copy-source`.
    CopyObject,
    /// `GET /bucket/key`.
    GetObject,
    /// `HEAD /bucket/key`.
    HeadObject,
    /// `DELETE /bucket/key[?versionId=]`.
    DeleteObject {
        /// The version to delete permanently.
        version_id: Option<String>,
    },
    /// `POST /bucket/key?uploads`.
    CreateMultipartUpload,
    /// `PUT /bucket/key?partNumber=N&uploadId=ID`.
    UploadPart {
        /// 1 to 10,000.
        part_number: u32,
        /// The upload.
        upload_id: String,
    },
    /// `PUT /bucket/key?partNumber=N&uploadId=ID` with `x-amz-copy-source`.
    UploadPartCopy {
        /// 1 to 10,000.
        part_number: u32,
        /// The upload.
        upload_id: String,
    },
    /// `POST /bucket/key?uploadId=ID`.
    CompleteMultipartUpload {
        /// The upload.
        upload_id: String,
    },
    /// `DELETE /bucket/key?uploadId=ID`.
    AbortMultipartUpload {
        /// The upload.
        upload_id: String,
    },
    /// `GET /bucket/key?uploadId=ID`.
    ListParts {
        /// The upload.
        upload_id: String,
    },
    /// A valid S3 request for an operation the emulator does not model, by name.
    Unsupported(&'static str),
}

impl S3Op {
    /// The operation name as AWS documents it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ListBuckets => "ListBuckets",
            Self::CreateBucket => "CreateBucket",
            Self::HeadBucket => "HeadBucket",
            Self::GetBucketLocation => "GetBucketLocation",
            Self::ListObjectsV2 => "ListObjectsV2",
            Self::ListObjects => "ListObjects",
            Self::ListMultipartUploads => "ListMultipartUploads",
            Self::DeleteObjects => "DeleteObjects",
            Self::PutObject => "PutObject",
            Self::CopyObject => "CopyObject",
            Self::GetObject => "GetObject",
            Self::HeadObject => "HeadObject",
            Self::DeleteObject { .. } => "DeleteObject",
            Self::CreateMultipartUpload => "CreateMultipartUpload",
            Self::UploadPart { .. } => "UploadPart",
            Self::UploadPartCopy { .. } => "UploadPartCopy",
            Self::CompleteMultipartUpload { .. } => "CompleteMultipartUpload",
            Self::AbortMultipartUpload { .. } => "AbortMultipartUpload",
            Self::ListParts { .. } => "ListParts",
            Self::Unsupported(name) => name,
        }
    }

    /// The IAM action the operation needs (Service Authorization Reference, Amazon S3).
    pub fn action(&self) -> &'static str {
        self.required_actions(&http::HeaderMap::new())
            .first()
            .copied()
            .unwrap_or("s3:*")
    }

    /// Every IAM action the request needs on its bucket or object, the primary
    /// one first, each decided in turn (Service Authorization Reference, Amazon
    /// S3; S3 API reference, each operation's "Permissions"). Actions on another
    /// resource (a copy's source, a KMS key) and DeleteObjects' per-key actions are
    /// decided by [`crate::authz::s3`]. Adding an operation means adding its arm here.
    pub fn required_actions(&self, headers: &http::HeaderMap) -> &'static [&'static str] {
        let has = |name: http::HeaderName| headers.get(name).is_some_and(|v| v.to_str().is_ok());
        match self {
            // A write with ACL or tagging headers also needs s3:PutObjectAcl /
            // s3:PutObjectTagging (S3 API reference, PutObject "Permissions"; the
            // same headers on CopyObject and CreateMultipartUpload).
            Self::PutObject | Self::CopyObject | Self::CreateMultipartUpload => {
                let acl =
                    has(names::X_AMZ_ACL) || headers.keys().any(|k| k.as_str().starts_with("x-amz-grant-"));
                match (acl, has(names::X_AMZ_TAGGING)) {
                    (false, false) => &["s3:PutObject"],
                    (true, false) => &["s3:PutObject", "s3:PutObjectAcl"],
                    (false, true) => &["s3:PutObject", "s3:PutObjectTagging"],
                    (true, true) => &["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectTagging"],
                }
            }
            // "UploadPart, UploadPartCopy and CompleteMultipartUpload: s3:PutObject"
            // (S3 user guide, "Multipart upload API and permissions").
            Self::UploadPart { .. } | Self::UploadPartCopy { .. } | Self::CompleteMultipartUpload { .. } => {
                &["s3:PutObject"]
            }
            Self::AbortMultipartUpload { .. } => &["s3:AbortMultipartUpload"],
            Self::ListParts { .. } => &["s3:ListMultipartUploadParts"],
            Self::ListMultipartUploads => &["s3:ListBucketMultipartUploads"],
            Self::CreateBucket => &["s3:CreateBucket"],
            Self::ListBuckets => &["s3:ListAllMyBuckets"],
            Self::HeadBucket | Self::ListObjectsV2 | Self::ListObjects => &["s3:ListBucket"],
            Self::GetBucketLocation => &["s3:GetBucketLocation"],
            Self::GetObject | Self::HeadObject => &["s3:GetObject"],
            Self::DeleteObject { version_id: None } => &["s3:DeleteObject"],
            Self::DeleteObject { version_id: Some(_) } => &["s3:DeleteObjectVersion"],
            // Decided key by key (s3:DeleteObject / s3:DeleteObjectVersion); the
            // request itself needs no action of its own.
            Self::DeleteObjects => &[],
            Self::Unsupported(_) => &["s3:*"],
        }
    }

    /// Whether the operation starts writing an object's bytes, so Block Public
    /// Access and the SSE-KMS key checks apply to it.
    pub fn writes_object(&self) -> bool {
        matches!(
            self,
            Self::PutObject | Self::CopyObject | Self::CreateMultipartUpload
        )
    }

    /// Whether the operation names an object (and so needs a key).
    pub fn is_object_op(&self) -> bool {
        matches!(
            self,
            Self::PutObject
                | Self::CopyObject
                | Self::GetObject
                | Self::HeadObject
                | Self::DeleteObject { .. }
                | Self::CreateMultipartUpload
                | Self::UploadPart { .. }
                | Self::UploadPartCopy { .. }
                | Self::CompleteMultipartUpload { .. }
                | Self::AbortMultipartUpload { .. }
                | Self::ListParts { .. }
        )
    }
}

/// An S3 request's bucket, key and operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    /// The bucket, if any.
    pub bucket: Option<String>,
    /// The object key, decoded.
    pub key: Option<String>,
    /// The operation.
    pub op: S3Op,
    /// How it was addressed.
    pub style: Style,
    /// The region of the endpoint, when the host names one.
    pub endpoint_region: Option<String>,
}

/// The longest object key S3 stores, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

/// Subresources of operations the emulator does not implement, with the
/// operation each selects by method and target (S3 API reference's operation
/// list): `(subresource, GET, PUT, DELETE, POST)` names on an object, then on a bucket.
#[allow(clippy::type_complexity, reason = "a table: one row per subresource")]
const UNSUPPORTED_SUBRESOURCES: &[(&str, [&str; 4], [&str; 4])] = &[
    (
        "acl",
        ["GetObjectAcl", "PutObjectAcl", "", ""],
        ["GetBucketAcl", "PutBucketAcl", "", ""],
    ),
    (
        "tagging",
        ["GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", ""],
        ["GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging", ""],
    ),
    (
        "policy",
        ["", "", "", ""],
        ["GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", ""],
    ),
    (
        "policyStatus",
        ["", "", "", ""],
        ["GetBucketPolicyStatus", "", "", ""],
    ),
    (
        "versioning",
        ["", "", "", ""],
        ["GetBucketVersioning", "PutBucketVersioning", "", ""],
    ),
    ("versions", ["", "", "", ""], ["ListObjectVersions", "", "", ""]),
    (
        "lifecycle",
        ["", "", "", ""],
        [
            "GetBucketLifecycleConfiguration",
            "PutBucketLifecycleConfiguration",
            "DeleteBucketLifecycle",
            "",
        ],
    ),
    (
        "cors",
        ["", "", "", ""],
        ["GetBucketCors", "PutBucketCors", "DeleteBucketCors", ""],
    ),
    (
        "encryption",
        ["", "", "", ""],
        [
            "GetBucketEncryption",
            "PutBucketEncryption",
            "DeleteBucketEncryption",
            "",
        ],
    ),
    (
        "retention",
        ["GetObjectRetention", "PutObjectRetention", "", ""],
        ["", "", "", ""],
    ),
    (
        "legal-hold",
        ["GetObjectLegalHold", "PutObjectLegalHold", "", ""],
        ["", "", "", ""],
    ),
    (
        "object-lock",
        ["", "", "", ""],
        ["GetObjectLockConfiguration", "PutObjectLockConfiguration", "", ""],
    ),
    (
        "attributes",
        ["GetObjectAttributes", "", "", ""],
        ["", "", "", ""],
    ),
    ("restore", ["", "", "", "RestoreObject"], ["", "", "", ""]),
    ("select", ["", "", "", "SelectObjectContent"], ["", "", "", ""]),
    ("torrent", ["GetObjectTorrent", "", "", ""], ["", "", "", ""]),
    (
        "ownershipControls",
        ["", "", "", ""],
        [
            "GetBucketOwnershipControls",
            "PutBucketOwnershipControls",
            "DeleteBucketOwnershipControls",
            "",
        ],
    ),
    (
        "publicAccessBlock",
        ["", "", "", ""],
        [
            "GetPublicAccessBlock",
            "PutPublicAccessBlock",
            "DeletePublicAccessBlock",
            "",
        ],
    ),
    (
        "notification",
        ["", "", "", ""],
        [
            "GetBucketNotificationConfiguration",
            "PutBucketNotificationConfiguration",
            "",
            "",
        ],
    ),
    (
        "logging",
        ["", "", "", ""],
        ["GetBucketLogging", "PutBucketLogging", "", ""],
    ),
    (
        "website",
        ["", "", "", ""],
        ["GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite", ""],
    ),
    (
        "replication",
        ["", "", "", ""],
        [
            "GetBucketReplication",
            "PutBucketReplication",
            "DeleteBucketReplication",
            "",
        ],
    ),
    (
        "requestPayment",
        ["", "", "", ""],
        ["GetBucketRequestPayment", "PutBucketRequestPayment", "", ""],
    ),
    (
        "accelerate",
        ["", "", "", ""],
        [
            "GetBucketAccelerateConfiguration",
            "PutBucketAccelerateConfiguration",
            "",
            "",
        ],
    ),
    (
        "analytics",
        ["", "", "", ""],
        [
            "GetBucketAnalyticsConfiguration",
            "PutBucketAnalyticsConfiguration",
            "DeleteBucketAnalyticsConfiguration",
            "",
        ],
    ),
    (
        "inventory",
        ["", "", "", ""],
        [
            "GetBucketInventoryConfiguration",
            "PutBucketInventoryConfiguration",
            "DeleteBucketInventoryConfiguration",
            "",
        ],
    ),
    (
        "metrics",
        ["", "", "", ""],
        [
            "GetBucketMetricsConfiguration",
            "PutBucketMetricsConfiguration",
            "DeleteBucketMetricsConfiguration",
            "",
        ],
    ),
    (
        "intelligent-tiering",
        ["", "", "", ""],
        [
            "GetBucketIntelligentTieringConfiguration",
            "PutBucketIntelligentTieringConfiguration",
            "DeleteBucketIntelligentTieringConfiguration",
            "",
        ],
    ),
];

/// The operation an unsupported subresource selects, if the request has one.
fn unsupported(method: &str, query: &[(String, String)], on_object: bool) -> Option<&'static str> {
    let column = match method {
        "GET" | "HEAD" => 0,
        "PUT" => 1,
        "DELETE" => 2,
        "POST" => 3,
        _ => return None,
    };
    UNSUPPORTED_SUBRESOURCES.iter().find_map(|(sub, object, bucket)| {
        if !query.iter().any(|(k, _)| k == sub) {
            return None;
        }
        let row = if on_object { object } else { bucket };
        let name = row.get(column).copied().unwrap_or("");
        Some(if name.is_empty() {
            "an operation on this subresource"
        } else {
            name
        })
    })
}

/// `partNumber` and `uploadId` of a multipart request.
pub(crate) fn part_number(query: &[(String, String)]) -> ApiResult<u32> {
    let raw = query_get(query, "partNumber").unwrap_or("");
    match raw.parse::<u32>() {
        Ok(n) if (1..=10_000).contains(&n) => Ok(n),
        _ => Err(api_error!(
            InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive"
        )
        .extra("ArgumentName", "partNumber")
        .extra("ArgumentValue", raw)),
    }
}

/// Route an S3 request.
pub fn s3_target(
    method: &str,
    raw_path: &str,
    query: &[(String, String)],
    host: &HostInfo,
    headers: &http::HeaderMap,
) -> ApiResult<S3Target> {
    let path = raw_path.strip_prefix('/').unwrap_or(raw_path);
    let nonempty = |s: &str| (!s.is_empty()).then(|| decode_uri(s)).transpose();
    let (bucket, key, style) = match &host.bucket {
        Some(b) => (Some(b.clone()), nonempty(path)?, Style::VirtualHost),
        None => match crate::util::split_once_ascii::<b'/'>(path) {
            Some((b, k)) => (Some(decode_uri(b)?), nonempty(k)?, Style::Path),
            None if path.is_empty() => (None, None, Style::Path),
            None => (Some(decode_uri(path)?), None, Style::Path),
        },
    };
    let has = |name: &str| query.iter().any(|(k, _)| k == name);
    let upload_id = || query_get(query, "uploadId").unwrap_or("").to_string();
    let copy = headers.contains_key(names::X_AMZ_COPY_SOURCE);
    let op = if let Some(name) = unsupported(method, query, key.is_some()) {
        S3Op::Unsupported(name)
    } else {
        match (method, &bucket, &key) {
            ("GET", None, _) => S3Op::ListBuckets,
            ("PUT", Some(_), None) => S3Op::CreateBucket,
            ("HEAD", Some(_), None) => S3Op::HeadBucket,
            ("GET", Some(_), None) if has("location") => S3Op::GetBucketLocation,
            ("GET", Some(_), None) if has("uploads") => S3Op::ListMultipartUploads,
            ("GET", Some(_), None) if query_get(query, "list-type") == Some("2") => S3Op::ListObjectsV2,
            ("GET", Some(_), None) => S3Op::ListObjects,
            ("POST", Some(_), None) if has("delete") => S3Op::DeleteObjects,
            ("PUT", Some(_), Some(_)) if has("uploadId") || has("partNumber") => {
                let (part_number, upload_id) = (part_number(query)?, upload_id());
                if copy {
                    S3Op::UploadPartCopy {
                        part_number,
                        upload_id,
                    }
                } else {
                    S3Op::UploadPart {
                        part_number,
                        upload_id,
                    }
                }
            }
            ("PUT", Some(_), Some(_)) if copy => S3Op::CopyObject,
            ("PUT", Some(_), Some(_)) => S3Op::PutObject,
            ("POST", Some(_), Some(_)) if has("uploads") => S3Op::CreateMultipartUpload,
            ("POST", Some(_), Some(_)) if has("uploadId") => S3Op::CompleteMultipartUpload {
                upload_id: upload_id(),
            },
            ("DELETE", Some(_), Some(_)) if has("uploadId") => S3Op::AbortMultipartUpload {
                upload_id: upload_id(),
            },
            ("GET", Some(_), Some(_)) if has("uploadId") => S3Op::ListParts {
                upload_id: upload_id(),
            },
            ("GET", Some(_), Some(_)) => S3Op::GetObject,
            ("HEAD", Some(_), Some(_)) => S3Op::HeadObject,
            ("DELETE", Some(_), Some(_)) => S3Op::DeleteObject {
                version_id: query_get(query, "versionId").map(str::to_string),
            },
            ("DELETE", Some(_), None) => S3Op::Unsupported("DeleteBucket"),
            ("POST", Some(_), None) => S3Op::Unsupported("PostObject"),
            ("POST", Some(_), Some(_)) => S3Op::Unsupported("an unknown POST"),
            _ => return Err(api_error!(MethodNotAllowed)),
        }
    };
    // "The object key name is a sequence of Unicode characters with UTF-8 encoding
    // of up to 1,024 bytes long" (S3 user guide, "Naming Amazon S3 objects"); a
    // longer key on a write is KeyTooLongError (S3 error table). Checked with the
    // URI, before authentication, as the other URI errors are (inferred). Reads and
    // deletes of such a key find nothing and are left to answer as they do.
    if let (S3Op::PutObject | S3Op::CopyObject | S3Op::CreateMultipartUpload, Some(k)) = (&op, &key) {
        if k.len() > MAX_KEY_BYTES {
            return Err(api_error!(KeyTooLongError)
                .extra("Size", k.len().to_string())
                .extra("MaxSizeAllowed", MAX_KEY_BYTES.to_string())
                .note(format!("the key is {} bytes of UTF-8", k.len())));
        }
    }
    Ok(S3Target {
        bucket,
        key,
        op,
        style,
        endpoint_region: host.region.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suffixes() -> Vec<String> {
        vec!["localhost".into()]
    }

    #[test]
    fn hosts() {
        let h = |s| parse_host(s, &suffixes());
        assert_eq!(
            h("127.0.0.1:9000"),
            HostInfo {
                bucket: None,
                region: None,
                sts: false,
                global: false,
            }
        );
        assert!(h("s3.localhost").global && h("lake.s3.localhost").global && h("sts.localhost").global);
        assert!(!h("lake.localhost").global && !h("s3.eu-west-1.localhost").global);
        assert_eq!(h("localhost:9000").bucket, None);
        assert_eq!(h("lake.localhost:9000").bucket.as_deref(), Some("lake"));
        let v = h("my.dotted.bucket.s3.eu-west-1.localhost");
        assert_eq!(
            (v.bucket.as_deref(), v.region.as_deref()),
            (Some("my.dotted.bucket"), Some("eu-west-1"))
        );
        assert_eq!(h("s3.eu-west-1.localhost").region.as_deref(), Some("eu-west-1"));
        assert_eq!(h("s3.eu-west-1.localhost").bucket, None);
        assert!(h("sts.eu-west-1.localhost").sts);
        assert_eq!(
            h("lake.s3-us-west-2.localhost").region.as_deref(),
            Some("us-west-2")
        );
        assert_eq!(h("[::1]:9000").bucket, None);
    }

    #[test]
    fn path_style_keys_are_decoded_and_not_normalised() {
        let t = s3_target(
            "PUT",
            "/lake/a%20b//c/../d",
            &[],
            &parse_host("127.0.0.1", &suffixes()),
            &http::HeaderMap::new(),
        )
        .unwrap();
        assert_eq!(t.bucket.as_deref(), Some("lake"));
        assert_eq!(t.key.as_deref(), Some("a b//c/../d"));
        assert_eq!(t.op, S3Op::PutObject);
    }

    #[test]
    fn operations_and_actions() {
        let host = parse_host("127.0.0.1", &suffixes());
        let op = |m, p, q: &str| {
            s3_target(m, p, &query_pairs(q).unwrap(), &host, &http::HeaderMap::new())
                .unwrap()
                .op
        };
        assert_eq!(op("GET", "/", ""), S3Op::ListBuckets);
        assert_eq!(op("GET", "/b", "list-type=2&prefix=x"), S3Op::ListObjectsV2);
        assert_eq!(op("GET", "/b", "location"), S3Op::GetBucketLocation);
        assert_eq!(
            op("DELETE", "/b/k", "versionId=3").action(),
            "s3:DeleteObjectVersion"
        );
        assert_eq!(
            op("DELETE", "/b/k", "x-id=DeleteObject").action(),
            "s3:DeleteObject"
        );
        assert_eq!(op("PUT", "/b/k", "acl"), S3Op::Unsupported("PutObjectAcl"));
        assert_eq!(op("GET", "/b", "policy"), S3Op::Unsupported("GetBucketPolicy"));
        assert_eq!(op("DELETE", "/b", ""), S3Op::Unsupported("DeleteBucket"));
        assert_eq!(op("PUT", "/b", ""), S3Op::CreateBucket);
        assert_eq!(op("POST", "/b", "delete"), S3Op::DeleteObjects);
        assert_eq!(op("GET", "/b", "uploads"), S3Op::ListMultipartUploads);
        assert_eq!(op("POST", "/b/k", "uploads"), S3Op::CreateMultipartUpload);
        let id = || "u1".to_string();
        assert_eq!(
            op("PUT", "/b/k", "partNumber=3&uploadId=u1"),
            S3Op::UploadPart {
                part_number: 3,
                upload_id: id()
            }
        );
        assert_eq!(
            op("POST", "/b/k", "uploadId=u1"),
            S3Op::CompleteMultipartUpload { upload_id: id() }
        );
        assert_eq!(
            op("DELETE", "/b/k", "uploadId=u1"),
            S3Op::AbortMultipartUpload { upload_id: id() }
        );
        assert_eq!(
            op("GET", "/b/k", "uploadId=u1"),
            S3Op::ListParts { upload_id: id() }
        );
        for bad in [
            "partNumber=0&uploadId=u",
            "partNumber=10001&uploadId=u",
            "partNumber=x&uploadId=u",
            "uploadId=u",
        ] {
            let e = s3_target(
                "PUT",
                "/b/k",
                &query_pairs(bad).unwrap(),
                &host,
                &http::HeaderMap::new(),
            )
            .unwrap_err();
            assert_eq!(e.code.as_str(), "InvalidArgument", "{bad}");
        }
        let mut copy = http::HeaderMap::new();
        copy.insert(names::X_AMZ_COPY_SOURCE, http::HeaderValue::from_static("src/k"));
        assert_eq!(
            s3_target("PUT", "/b/k", &[], &host, &copy).unwrap().op,
            S3Op::CopyObject
        );
        assert_eq!(
            s3_target(
                "PUT",
                "/b/k",
                &query_pairs("partNumber=1&uploadId=u1").unwrap(),
                &host,
                &copy
            )
            .unwrap()
            .op,
            S3Op::UploadPartCopy {
                part_number: 1,
                upload_id: id()
            }
        );
        let none = http::HeaderMap::new();
        for m in ["GET", "PUT", "HEAD", "DELETE"] {
            for (p, q) in [
                ("/", ""),
                ("/b", ""),
                ("/b", "location"),
                ("/b", "list-type=2"),
                ("/b/k", ""),
                ("/b/k", "versionId=1"),
            ] {
                if let Ok(t) = s3_target(m, p, &query_pairs(q).unwrap(), &host, &http::HeaderMap::new()) {
                    assert_eq!(t.op.required_actions(&none)[0], t.op.action(), "{m} {p}?{q}");
                }
            }
        }
        let mut h = http::HeaderMap::new();
        h.insert("x-amz-grant-read", http::HeaderValue::from_static("id=x"));
        h.insert(names::X_AMZ_TAGGING, http::HeaderValue::from_static("a=b"));
        assert_eq!(
            S3Op::PutObject.required_actions(&h),
            ["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectTagging"]
        );
        assert!(s3_target("PATCH", "/b/k", &[], &host, &http::HeaderMap::new()).is_err());
    }

    #[test]
    fn keys_that_are_not_utf8_are_refused_not_repaired() {
        let host = parse_host("127.0.0.1", &suffixes());
        for path in [
            "/lake/bad-%FF",
            "/lake/bad-%FE",
            "/lake/%C3",
            "/l%FFke/k",
            "/l%FFke",
        ] {
            let e = s3_target("PUT", path, &[], &host, &http::HeaderMap::new()).unwrap_err();
            assert_eq!(e.code.as_str(), "InvalidURI", "{path}");
        }
        let vhost = parse_host("lake.localhost", &suffixes());
        assert_eq!(
            s3_target("GET", "/bad-%FF", &[], &vhost, &http::HeaderMap::new())
                .unwrap_err()
                .code
                .as_str(),
            "InvalidURI"
        );
        // Valid multi-byte UTF-8 is a key like any other.
        let t = s3_target("PUT", "/lake/%C3%A9t%C3%A9", &[], &host, &http::HeaderMap::new()).unwrap();
        assert_eq!(t.key.as_deref(), Some("été"));
        assert_eq!(query_pairs("prefix=%FF").unwrap_err().code.as_str(), "InvalidURI");
        assert_eq!(query_pairs("%FE=1").unwrap_err().code.as_str(), "InvalidURI");
    }

    #[test]
    fn keys_over_1024_bytes_are_too_long_to_write() {
        let host = parse_host("127.0.0.1", &suffixes());
        let at_limit = format!("/lake/{}", "k".repeat(1024));
        assert!(s3_target("PUT", &at_limit, &[], &host, &http::HeaderMap::new()).is_ok());
        // 1,023 ASCII bytes and one two-byte character: 1,025 bytes.
        let over = format!("/lake/{}%C3%A9", "k".repeat(1023));
        let e = s3_target("PUT", &over, &[], &host, &http::HeaderMap::new()).unwrap_err();
        assert_eq!(e.code.as_str(), "KeyTooLongError");
        assert!(s3_target("GET", &over, &[], &host, &http::HeaderMap::new()).is_ok());
    }

    #[test]
    fn query_pairs_keep_flags_and_decode() {
        assert_eq!(
            query_pairs("acl&prefix=a%2Fb&x=1=2").unwrap(),
            vec![
                ("acl".into(), String::new()),
                ("prefix".into(), "a/b".into()),
                ("x".into(), "1=2".into())
            ]
        );
    }
}
