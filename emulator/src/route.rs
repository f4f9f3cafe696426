//! Which service and operation a request is for.
//!
//! One endpoint serves S3, STS and the admin API, as real clients need nothing
//! but an endpoint URL: STS is recognised by its credential scope, its host or its
//! form body; S3 by path-style or virtual-hosted-style addressing; the admin API
//! by the `/_emulator/` prefix (no bucket name can start with `_`).

use percent_encoding::percent_decode_str;

use crate::api_error;
use crate::error::ApiResult;

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
        let labels: Vec<&str> = front.split('.').collect();
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
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => Ok((decode_uri(k)?, decode_uri(v)?)),
            None => Ok((decode_uri(p)?, String::new())),
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
    /// `HEAD /bucket`.
    HeadBucket,
    /// `GET /bucket?location`.
    GetBucketLocation,
    /// `GET /bucket?list-type=2`.
    ListObjectsV2,
    /// `GET /bucket`.
    ListObjects,
    /// `PUT /bucket/key`.
    PutObject,
    /// `GET /bucket/key`.
    GetObject,
    /// `HEAD /bucket/key`.
    HeadObject,
    /// `DELETE /bucket/key[?versionId=]`.
    DeleteObject {
        /// The version to delete permanently.
        version_id: Option<String>,
    },
    /// Recognised but not implemented (name for the log).
    Unsupported(&'static str),
}

impl S3Op {
    /// The operation name as AWS documents it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ListBuckets => "ListBuckets",
            Self::HeadBucket => "HeadBucket",
            Self::GetBucketLocation => "GetBucketLocation",
            Self::ListObjectsV2 => "ListObjectsV2",
            Self::ListObjects => "ListObjects",
            Self::PutObject => "PutObject",
            Self::GetObject => "GetObject",
            Self::HeadObject => "HeadObject",
            Self::DeleteObject { .. } => "DeleteObject",
            Self::Unsupported(name) => name,
        }
    }

    /// The IAM action the operation needs (Service Authorization Reference, Amazon S3).
    pub fn action(&self) -> &'static str {
        match self {
            Self::ListBuckets => "s3:ListAllMyBuckets",
            Self::HeadBucket | Self::ListObjectsV2 | Self::ListObjects => "s3:ListBucket",
            Self::GetBucketLocation => "s3:GetBucketLocation",
            Self::PutObject => "s3:PutObject",
            Self::GetObject | Self::HeadObject => "s3:GetObject",
            Self::DeleteObject { version_id: None } => "s3:DeleteObject",
            Self::DeleteObject { version_id: Some(_) } => "s3:DeleteObjectVersion",
            Self::Unsupported(_) => "s3:*",
        }
    }

    /// Every IAM action the request needs, the primary one ([`S3Op::action`])
    /// first, each decided in turn (Service Authorization Reference, Amazon S3;
    /// S3 API reference, each operation's "Permissions"). Adding an operation
    /// means adding its arm here and in [`S3Op::action`].
    pub fn required_actions(&self, headers: &http::HeaderMap) -> &'static [&'static str] {
        let has = |name: &str| headers.get(name).is_some_and(|v| v.to_str().is_ok());
        match self {
            // PutObject with ACL or tagging headers also needs s3:PutObjectAcl /
            // s3:PutObjectTagging (S3 API reference, PutObject "Permissions").
            Self::PutObject => {
                let acl = has("x-amz-acl") || headers.keys().any(|k| k.as_str().starts_with("x-amz-grant-"));
                match (acl, has("x-amz-tagging")) {
                    (false, false) => &["s3:PutObject"],
                    (true, false) => &["s3:PutObject", "s3:PutObjectAcl"],
                    (false, true) => &["s3:PutObject", "s3:PutObjectTagging"],
                    (true, true) => &["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectTagging"],
                }
            }
            Self::ListBuckets => &["s3:ListAllMyBuckets"],
            Self::HeadBucket | Self::ListObjectsV2 | Self::ListObjects => &["s3:ListBucket"],
            Self::GetBucketLocation => &["s3:GetBucketLocation"],
            Self::GetObject | Self::HeadObject => &["s3:GetObject"],
            Self::DeleteObject { version_id: None } => &["s3:DeleteObject"],
            Self::DeleteObject { version_id: Some(_) } => &["s3:DeleteObjectVersion"],
            Self::Unsupported(_) => &["s3:*"],
        }
    }

    /// Whether the operation writes an object's bytes (Block Public Access and
    /// SSE-KMS apply to it).
    pub fn writes_object(&self) -> bool {
        matches!(self, Self::PutObject)
    }

    /// Whether the operation names an object (and so needs a key).
    pub fn is_object_op(&self) -> bool {
        matches!(
            self,
            Self::PutObject | Self::GetObject | Self::HeadObject | Self::DeleteObject { .. }
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

/// Subresources that select bucket or object operations the emulator does not implement.
const UNSUPPORTED_SUBRESOURCES: &[(&str, &str)] = &[
    ("acl", "Acl"),
    ("policy", "BucketPolicy"),
    ("tagging", "Tagging"),
    ("uploads", "MultipartUpload"),
    ("uploadId", "MultipartUpload"),
    ("versioning", "BucketVersioning"),
    ("versions", "ListObjectVersions"),
    ("lifecycle", "BucketLifecycle"),
    ("cors", "BucketCors"),
    ("encryption", "BucketEncryption"),
    ("delete", "DeleteObjects"),
    ("retention", "ObjectRetention"),
    ("legal-hold", "ObjectLegalHold"),
    ("attributes", "GetObjectAttributes"),
    ("restore", "RestoreObject"),
    ("select", "SelectObjectContent"),
    ("ownershipControls", "OwnershipControls"),
    ("publicAccessBlock", "PublicAccessBlock"),
];

/// Route an S3 request.
pub fn s3_target(
    method: &str,
    raw_path: &str,
    query: &[(String, String)],
    host: &HostInfo,
) -> ApiResult<S3Target> {
    let path = raw_path.strip_prefix('/').unwrap_or(raw_path);
    let nonempty = |s: &str| (!s.is_empty()).then(|| decode_uri(s)).transpose();
    let (bucket, key, style) = match &host.bucket {
        Some(b) => (Some(b.clone()), nonempty(path)?, Style::VirtualHost),
        None => match path.split_once('/') {
            Some((b, k)) => (Some(decode_uri(b)?), nonempty(k)?, Style::Path),
            None if path.is_empty() => (None, None, Style::Path),
            None => (Some(decode_uri(path)?), None, Style::Path),
        },
    };
    let has = |name: &str| query.iter().any(|(k, _)| k == name);
    let unsupported = UNSUPPORTED_SUBRESOURCES
        .iter()
        .find(|(q, _)| has(q))
        .map(|(_, name)| *name);
    let op = match (method, &bucket, &key) {
        (_, _, _) if unsupported.is_some() => S3Op::Unsupported(unsupported.unwrap_or("Unknown")),
        ("GET", None, _) => S3Op::ListBuckets,
        ("HEAD", Some(_), None) => S3Op::HeadBucket,
        ("GET", Some(_), None) if has("location") => S3Op::GetBucketLocation,
        ("GET", Some(_), None) if query_get(query, "list-type") == Some("2") => S3Op::ListObjectsV2,
        ("GET", Some(_), None) => S3Op::ListObjects,
        ("PUT", Some(_), Some(_)) => S3Op::PutObject,
        ("GET", Some(_), Some(_)) => S3Op::GetObject,
        ("HEAD", Some(_), Some(_)) => S3Op::HeadObject,
        ("DELETE", Some(_), Some(_)) => S3Op::DeleteObject {
            version_id: query_get(query, "versionId").map(str::to_string),
        },
        ("PUT", Some(_), None) => S3Op::Unsupported("CreateBucket"),
        ("DELETE", Some(_), None) => S3Op::Unsupported("DeleteBucket"),
        ("POST", Some(_), _) => S3Op::Unsupported("PostObject"),
        _ => return Err(api_error!(MethodNotAllowed)),
    };
    // "The object key name is a sequence of Unicode characters with UTF-8 encoding
    // of up to 1,024 bytes long" (S3 user guide, "Naming Amazon S3 objects"); a
    // longer key on a write is KeyTooLongError (S3 error table). Checked with the
    // URI, before authentication, as the other URI errors are (inferred). Reads and
    // deletes of such a key find nothing and are left to answer as they do.
    if let (S3Op::PutObject, Some(k)) = (&op, &key) {
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
        )
        .unwrap();
        assert_eq!(t.bucket.as_deref(), Some("lake"));
        assert_eq!(t.key.as_deref(), Some("a b//c/../d"));
        assert_eq!(t.op, S3Op::PutObject);
    }

    #[test]
    fn operations_and_actions() {
        let host = parse_host("127.0.0.1", &suffixes());
        let op = |m, p, q: &str| s3_target(m, p, &query_pairs(q).unwrap(), &host).unwrap().op;
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
        assert_eq!(op("PUT", "/b/k", "acl"), S3Op::Unsupported("Acl"));
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
                if let Ok(t) = s3_target(m, p, &query_pairs(q).unwrap(), &host) {
                    assert_eq!(t.op.required_actions(&none)[0], t.op.action(), "{m} {p}?{q}");
                }
            }
        }
        let mut h = http::HeaderMap::new();
        h.insert("x-amz-grant-read", http::HeaderValue::from_static("id=x"));
        h.insert("x-amz-tagging", http::HeaderValue::from_static("a=b"));
        assert_eq!(
            S3Op::PutObject.required_actions(&h),
            ["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectTagging"]
        );
        assert!(s3_target("PATCH", "/b/k", &[], &host).is_err());
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
            let e = s3_target("PUT", path, &[], &host).unwrap_err();
            assert_eq!(e.code.as_str(), "InvalidURI", "{path}");
        }
        let vhost = parse_host("lake.localhost", &suffixes());
        assert_eq!(
            s3_target("GET", "/bad-%FF", &[], &vhost)
                .unwrap_err()
                .code
                .as_str(),
            "InvalidURI"
        );
        // Valid multi-byte UTF-8 is a key like any other.
        let t = s3_target("PUT", "/lake/%C3%A9t%C3%A9", &[], &host).unwrap();
        assert_eq!(t.key.as_deref(), Some("été"));
        assert_eq!(query_pairs("prefix=%FF").unwrap_err().code.as_str(), "InvalidURI");
        assert_eq!(query_pairs("%FE=1").unwrap_err().code.as_str(), "InvalidURI");
    }

    #[test]
    fn keys_over_1024_bytes_are_too_long_to_write() {
        let host = parse_host("127.0.0.1", &suffixes());
        let at_limit = format!("/lake/{}", "k".repeat(1024));
        assert!(s3_target("PUT", &at_limit, &[], &host).is_ok());
        // 1,023 ASCII bytes and one two-byte character: 1,025 bytes.
        let over = format!("/lake/{}%C3%A9", "k".repeat(1023));
        let e = s3_target("PUT", &over, &[], &host).unwrap_err();
        assert_eq!(e.code.as_str(), "KeyTooLongError");
        assert!(s3_target("GET", &over, &[], &host).is_ok());
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
