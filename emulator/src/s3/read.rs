//! The reads a user needs to look: GetObject, HeadObject, ListObjects(V2),
//! HeadBucket, GetBucketLocation, ListBuckets.

use base64::Engine as _;
use http::{Response, StatusCode};

use super::S3Request;
use crate::api_error;
use crate::error::ApiResult;
use crate::protocol::names;
use crate::protocol::xml::{Xml, S3_NS};
use crate::request::{empty, full, ResBody};
use crate::route::query_get;
use crate::store::{etag_matches, ListEntry, ListPage, ListQuery, ObjectData, ObjectMeta};
use crate::util::{http_date, parse_http_date};

pub(crate) use crate::util::iso8601_ms;

/// A parsed `Range: bytes=…` for an object of `size` bytes: `Ok(None)` = whole object.
fn parse_range(header: Option<&str>, size: u64) -> ApiResult<Option<(u64, u64)>> {
    let Some(h) = header else { return Ok(None) };
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        // S3 serves only single ranges; it ignores multi-range requests (returns the whole object).
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').unwrap_or((spec, ""));
    let unsatisfiable = || {
        api_error!(InvalidRange)
            .extra("RangeRequested", h.to_string())
            .extra("ActualObjectSize", size.to_string())
    };
    let range = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| unsatisfiable())?;
            if n == 0 || size == 0 {
                return Err(unsatisfiable());
            }
            (size.saturating_sub(n), size - 1)
        }
        (s, "") => {
            let s: u64 = s.parse().map_err(|_| unsatisfiable())?;
            if s >= size {
                return Err(unsatisfiable());
            }
            (s, size - 1)
        }
        (s, e) => {
            let (s, e): (u64, u64) = (
                s.parse().map_err(|_| unsatisfiable())?,
                e.parse().map_err(|_| unsatisfiable())?,
            );
            if s > e || s >= size {
                return Err(unsatisfiable());
            }
            (s, e.min(size - 1))
        }
    };
    Ok(Some(range))
}

/// A user-metadata value as S3 returns it: non-ASCII values "are encoded as per
/// RFC 2047 to make them mail-safe before returning" (S3 user guide, "Working with
/// object metadata", user-defined metadata), as one `B` encoded word; ASCII values
/// as stored.
fn mail_safe(v: &str) -> std::borrow::Cow<'_, str> {
    if v.is_ascii() {
        return std::borrow::Cow::Borrowed(v);
    }
    std::borrow::Cow::Owned(format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(v)
    ))
}

fn object_headers(
    mut res: http::response::Builder,
    meta: &ObjectMeta,
    versioned: bool,
    checksum_mode: bool,
) -> http::response::Builder {
    res = res
        .header(http::header::ETAG, meta.etag.quoted().as_str())
        .header(http::header::LAST_MODIFIED, http_date(meta.last_modified))
        .header(http::header::ACCEPT_RANGES, "bytes")
        .header(
            "content-type",
            meta.content_type.as_deref().unwrap_or("binary/octet-stream"),
        );
    let extras = meta.extras();
    if let Some(e) = &extras.content_encoding {
        res = res.header(http::header::CONTENT_ENCODING, e.as_str());
    }
    for (k, v) in &extras.headers {
        res = res.header(k.as_str(), v.as_str());
    }
    for (k, v) in &extras.metadata {
        res = res.header(format!("x-amz-meta-{k}"), mail_safe(v).as_ref());
    }
    if let Some(sse) = meta.sse {
        res = res.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION, sse.as_str());
    }
    if let Some(k) = &extras.sse_kms_key {
        res = res.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION_AWS_KMS_KEY_ID, k.as_str());
    }
    if versioned {
        res = res.header(names::X_AMZ_VERSION_ID, meta.version_id.text().as_str());
    }
    if meta.storage_class != crate::store::StorageClass::Standard {
        res = res.header(names::X_AMZ_STORAGE_CLASS, meta.storage_class.as_str());
    }
    if checksum_mode {
        for (alg, value) in meta.checksums.iter() {
            // A multipart object's composite checksum carries its part count
            // (`…-N`, S3 user guide, "Checking object integrity").
            let kind = if value.contains('-') {
                "COMPOSITE"
            } else {
                "FULL_OBJECT"
            };
            res = res
                .header(alg.header(), value)
                .header(names::X_AMZ_CHECKSUM_TYPE, kind);
        }
    }
    res
}

/// `partNumber` on GetObject/HeadObject: the byte range of that part of a multipart
/// object and the part count (`x-amz-mp-parts-count`), served as a ranged GET.
/// `None` when absent, and for `partNumber=1` of an object written in one piece,
/// which is the whole object.
///
/// A part the object does not have is `400 InvalidPart`: observed against S3 by a
/// widely used conformance suite (its `test_non_multipart_get_part`) and by
/// apache/ozone#10670. S3's error-code table also lists `416 InvalidPartNumber`
/// ("The requested partnumber is not satisfiable"); the observed answer is followed.
/// `Range` with `partNumber` is refused as InvalidRequest (inferred text).
fn requested_part(r: &S3Request<'_>, meta: &ObjectMeta) -> ApiResult<Option<(u64, u64, usize)>> {
    if query_get(r.query, "partNumber").is_none() {
        return Ok(None);
    }
    let n = crate::route::part_number(r.query)?;
    if r.header(http::header::RANGE).is_some() {
        return Err(api_error!(
            InvalidRequest,
            "Cannot specify both Range header and partNumber query parameter"
        ));
    }
    let index = usize::try_from(n - 1).unwrap_or(usize::MAX);
    let parts = &meta.extras().parts;
    if parts.is_empty() {
        return if n == 1 {
            Ok(None)
        } else {
            Err(api_error!(InvalidPart).note(format!("part {n} of an object written in one piece")))
        };
    }
    let Some(size) = parts.get(index) else {
        return Err(api_error!(InvalidPart).note(format!("part {n} of an object of {} parts", parts.len())));
    };
    let start: u64 = parts.iter().take(index).sum();
    if *size == 0 {
        return Ok(None);
    }
    Ok(Some((start, start + size - 1, parts.len())))
}

pub(crate) fn get_object(r: &S3Request<'_>, head_only: bool) -> ApiResult<Response<ResBody>> {
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    let key = r.target.key.as_deref().unwrap_or("");
    let Some(obj) = r.emu.store.get(&bucket.name, key) else {
        return Err(api_error!(NoSuchKey).extra("Key", key));
    };
    let meta = &obj.meta;
    if let Some(m) = r.header(http::header::IF_MATCH) {
        if !etag_matches(m, &meta.etag) {
            return Err(api_error!(PreconditionFailed).extra("Condition", "If-Match"));
        }
    }
    let not_modified = || {
        Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(http::header::ETAG, meta.etag.quoted().as_str())
            .header(http::header::LAST_MODIFIED, http_date(meta.last_modified))
            .body(empty())
            .map_err(|e| api_error!(InternalError).note(e.to_string()))
    };
    if let Some(m) = r.header(http::header::IF_NONE_MATCH) {
        if etag_matches(m, &meta.etag) {
            return not_modified();
        }
    } else if let Some(since) = r
        .header(http::header::IF_MODIFIED_SINCE)
        .and_then(parse_http_date)
    {
        if meta.last_modified <= since {
            return not_modified();
        }
    }
    if r.header(http::header::IF_MATCH).is_none() {
        if let Some(since) = r
            .header(http::header::IF_UNMODIFIED_SINCE)
            .and_then(parse_http_date)
        {
            if meta.last_modified > since {
                return Err(api_error!(PreconditionFailed).extra("Condition", "If-Unmodified-Since"));
            }
        }
    }
    let versioned = bucket.versioning != crate::world::Versioning::Unversioned;
    let checksum_mode = r
        .header("x-amz-checksum-mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    let part = requested_part(r, meta)?;
    let range = match part {
        Some((s, e, _)) => Some((s, e)),
        None => parse_range(r.header(http::header::RANGE), meta.size)?,
    };
    let mut res = object_headers(
        Response::builder(),
        meta,
        versioned,
        checksum_mode && range.is_none(),
    );
    // GetObject says how many tags the object has; HeadObject does not (its output
    // has no TagCount: S3 API reference, GetObject and HeadObject responses).
    if !head_only && !meta.extras().tags.is_empty() {
        res = res.header("x-amz-tagging-count", meta.extras().tags.len());
    }
    if let Some((_, _, count)) = part {
        res = res.header("x-amz-mp-parts-count", count);
    }
    let (status, len) = match range {
        Some((s, e)) => {
            res = res.header(
                http::header::CONTENT_RANGE,
                format!("bytes {s}-{e}/{}", meta.size),
            );
            (StatusCode::PARTIAL_CONTENT, e - s + 1)
        }
        None => (StatusCode::OK, meta.size),
    };
    res = res
        .status(status)
        .header(http::header::CONTENT_LENGTH, len.to_string());
    let body =
        if head_only {
            empty()
        } else {
            match &obj.data {
                ObjectData::Memory(bytes) => {
                    let slice = match range {
                        Some((s, e)) => {
                            bytes.slice(usize::try_from(s).unwrap_or(0)..usize::try_from(e + 1).unwrap_or(0))
                        }
                        None => bytes.clone(),
                    };
                    full(slice)
                }
                ObjectData::File(file) => {
                    let data = std::fs::read(file.path())
                        .map_err(|e| api_error!(InternalError).note(e.to_string()))?;
                    let data = match range {
                        Some((s, e)) => data
                            .get(usize::try_from(s).unwrap_or(0)..usize::try_from(e + 1).unwrap_or(0))
                            .unwrap_or(&[])
                            .to_vec(),
                        None => data,
                    };
                    full(data)
                }
                ObjectData::Discarded => return Err(crate::error::ApiError::not_implemented(
                    "GetObject on the digest-only store (--store digest keeps sizes and digests, not bytes)",
                )),
            }
        };
    res.body(body)
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

/// ListObjects (v1) and ListObjectsV2: one page of keys and common prefixes.
pub(crate) fn list_objects(r: &S3Request<'_>, v2: bool) -> ApiResult<Response<ResBody>> {
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    let params = ListParams::parse(r.query, v2)?;
    let page = r.emu.store.list_page(
        &bucket.name,
        &ListQuery {
            prefix: params.prefix,
            delimiter: params.delimiter,
            start_after: params.start.as_deref(),
            max: params.max_keys,
        },
    );
    xml_ok(render_list(&bucket.name, &params, &page))
}

/// The key (or bucket name) a continuation token this emulator issued resumes after:
/// base64 of it. Anything else is S3's InvalidArgument.
fn decode_token(token: &str) -> ApiResult<String> {
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            api_error!(InvalidArgument, "The continuation token provided is incorrect")
                .extra("ArgumentName", "continuation-token")
        })
}

/// A listing's query parameters.
struct ListParams<'q> {
    v2: bool,
    query: &'q [(String, String)],
    prefix: &'q str,
    delimiter: Option<&'q str>,
    max_keys: usize,
    url_encode: bool,
    continuation: Option<&'q str>,
    /// The key the page starts after (the decoded continuation token, `start-after` or `marker`).
    start: Option<String>,
}

impl<'q> ListParams<'q> {
    fn parse(query: &'q [(String, String)], v2: bool) -> ApiResult<Self> {
        let q = |name| query_get(query, name);
        let max_keys: usize = match q("max-keys") {
            Some(v) => v.parse().map_err(|_| {
                api_error!(
                    InvalidArgument,
                    "Provided max-keys not an integer or within integer range"
                )
                .extra("ArgumentName", "max-keys")
                .extra("ArgumentValue", v)
            })?,
            None => 1000,
        };
        let continuation = q("continuation-token");
        let start = if v2 {
            match continuation {
                Some(t) => Some(decode_token(t)?),
                None => q("start-after").map(str::to_string),
            }
        } else {
            q("marker").map(str::to_string)
        };
        Ok(Self {
            v2,
            query,
            prefix: q("prefix").unwrap_or(""),
            delimiter: q("delimiter").filter(|d| !d.is_empty()),
            max_keys: max_keys.min(1000),
            url_encode: q("encoding-type") == Some("url"),
            continuation,
            start,
        })
    }

    fn get(&self, name: &str) -> Option<&'q str> {
        query_get(self.query, name)
    }

    fn enc(&self, s: &str) -> String {
        if self.url_encode {
            url_encode_key(s)
        } else {
            s.to_string()
        }
    }
}

/// The page as S3 writes it. When truncated, `NextMarker` (v1, with a delimiter) and
/// `NextContinuationToken` (v2) name the page's last entry, a common prefix itself
/// when the page ends on one, so the next page starts past every key under it;
/// `IsTruncated` is true only when a key or prefix remains (S3 API, ListObjects).
fn render_list(bucket: &str, p: &ListParams<'_>, page: &ListPage) -> String {
    let mut x = Xml::with_declaration();
    x.open_ns("ListBucketResult", S3_NS)
        .elem("Name", bucket)
        .elem("Prefix", &p.enc(p.prefix));
    if p.v2 {
        if let Some(t) = p.continuation {
            x.elem("ContinuationToken", t);
        }
        if let Some(s) = p.get("start-after") {
            x.elem("StartAfter", &p.enc(s));
        }
        x.elem("KeyCount", &page.entries.len().to_string());
    } else {
        x.elem("Marker", &p.enc(p.get("marker").unwrap_or("")));
    }
    x.elem("MaxKeys", &p.max_keys.to_string());
    if let Some(d) = p.delimiter {
        x.elem("Delimiter", &p.enc(d));
    }
    if p.url_encode {
        x.elem("EncodingType", "url");
    }
    x.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    if page.truncated {
        if let Some(k) = page.entries.last().map(ListEntry::marker) {
            if p.v2 {
                x.elem(
                    "NextContinuationToken",
                    &base64::engine::general_purpose::STANDARD.encode(k),
                );
            } else if p.delimiter.is_some() {
                x.elem("NextMarker", &p.enc(k));
            }
        }
    }
    let fetch_owner = !p.v2 || p.get("fetch-owner") == Some("true");
    for m in page.entries.iter().filter_map(|e| match e {
        ListEntry::Object(o) => Some(&o.meta),
        ListEntry::Prefix(_) => None,
    }) {
        x.open("Contents")
            .elem("Key", &p.enc(&m.key))
            .elem("LastModified", &iso8601_ms(m.last_modified))
            .elem("ETag", m.etag.quoted().as_str());
        for (alg, _) in m.checksums.iter() {
            x.elem("ChecksumAlgorithm", alg.name());
        }
        if !m.checksums.is_empty() {
            x.elem("ChecksumType", "FULL_OBJECT");
        }
        x.elem("Size", &m.size.to_string());
        if fetch_owner {
            x.open("Owner").elem("ID", &canonical_id(&m.owner)).close("Owner");
        }
        x.elem("StorageClass", m.storage_class.as_str()).close("Contents");
    }
    for cp in page.entries.iter().filter_map(|e| match e {
        ListEntry::Prefix(p) => Some(p),
        ListEntry::Object(_) => None,
    }) {
        x.open("CommonPrefixes")
            .elem("Prefix", &p.enc(cp))
            .close("CommonPrefixes");
    }
    x.close("ListBucketResult");
    x.finish()
}

/// `encoding-type=url`: keys percent-encoded, `/` kept.
fn url_encode_key(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// A canonical user id for an account: 64 hex characters derived from the id.
pub(crate) fn canonical_id(account: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(
        format!("canonical-user:{account}").as_bytes(),
    ))
}

pub(crate) fn head_bucket(r: &S3Request<'_>) -> ApiResult<Response<ResBody>> {
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    Response::builder()
        .status(StatusCode::OK)
        .header(names::X_AMZ_BUCKET_REGION, bucket.region.as_str())
        .header("x-amz-access-point-alias", "false")
        .body(empty())
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

pub(crate) fn bucket_location(r: &S3Request<'_>) -> ApiResult<Response<ResBody>> {
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    // us-east-1 is reported as an empty LocationConstraint (S3 API, GetBucketLocation).
    let body = if bucket.region == "us-east-1" {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"{S3_NS}\"/>")
    } else {
        let mut x = Xml::with_declaration();
        x.open_ns("LocationConstraint", S3_NS);
        let mut doc = x.finish();
        doc.push_str(&bucket.region);
        doc.push_str("</LocationConstraint>");
        doc
    };
    xml_ok(body)
}

/// `max-buckets` bounds (S3 API, ListBuckets: "Minimum value of 1. Maximum value of 10000").
const MAX_BUCKETS: std::ops::RangeInclusive<usize> = 1..=10000;

/// ListBuckets: the caller's buckets in name order, filtered by `prefix` and
/// `bucket-region`, a page of `max-buckets` at a time with an opaque
/// `continuation-token` (S3 API, ListBuckets). Without `max-buckets` every bucket
/// comes in one answer, as S3 answers unpaginated calls.
pub(crate) fn list_buckets(r: &S3Request<'_>) -> ApiResult<Response<ResBody>> {
    let q = |name| query_get(r.query, name);
    let max = match q("max-buckets") {
        None => None,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if MAX_BUCKETS.contains(&n) => Some(n),
            // The code and text are inferred: S3's ListBuckets page does not list this error.
            _ => {
                return Err(
                    api_error!(InvalidArgument, "Invalid value for max-buckets: {}", v)
                        .extra("ArgumentName", "max-buckets")
                        .extra("ArgumentValue", v),
                )
            }
        },
    };
    let prefix = q("prefix").unwrap_or("");
    let after = q("continuation-token").map(decode_token).transpose()?;
    let account = r.caller.account().unwrap_or_default();
    let name = r
        .world
        .account(account)
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let mut mine: Vec<&crate::world::Bucket> = r
        .world
        .buckets
        .iter()
        .filter(|b| b.account == account && b.name.starts_with(prefix))
        .filter(|b| q("bucket-region").is_none_or(|region| b.region == region))
        .filter(|b| after.as_deref().is_none_or(|a| b.name.as_str() > a))
        .collect();
    mine.sort_by(|a, b| a.name.cmp(&b.name));
    let more = max.is_some_and(|m| mine.len() > m);
    mine.truncate(max.unwrap_or(usize::MAX));
    let mut x = Xml::with_declaration();
    x.open_ns("ListAllMyBucketsResult", S3_NS)
        .open("Owner")
        .elem("DisplayName", &name)
        .elem("ID", &canonical_id(account))
        .close("Owner")
        .open("Buckets");
    for b in &mine {
        x.open("Bucket")
            .elem("Name", &b.name)
            .elem(
                "CreationDate",
                &b.created
                    .map_or_else(|| "2026-01-01T00:00:00.000Z".to_string(), iso8601_ms),
            )
            .elem("BucketRegion", &b.region)
            .close("Bucket");
    }
    x.close("Buckets");
    if more {
        if let Some(last) = mine.last() {
            x.elem(
                "ContinuationToken",
                &base64::engine::general_purpose::STANDARD.encode(&last.name),
            );
        }
    }
    if let Some(p) = q("prefix") {
        x.elem("Prefix", p);
    }
    x.close("ListAllMyBucketsResult");
    xml_ok(x.finish())
}

fn xml_ok(body: String) -> ApiResult<Response<ResBody>> {
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(full(body))
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(Some("bytes=0-9"), 100).unwrap(), Some((0, 9)));
        assert_eq!(parse_range(Some("bytes=90-"), 100).unwrap(), Some((90, 99)));
        assert_eq!(parse_range(Some("bytes=-10"), 100).unwrap(), Some((90, 99)));
        assert_eq!(parse_range(Some("bytes=95-200"), 100).unwrap(), Some((95, 99)));
        assert!(parse_range(Some("bytes=100-"), 100).is_err());
        assert_eq!(parse_range(None, 100).unwrap(), None);
    }

    #[test]
    fn timestamps() {
        let t = time::macros::datetime!(2026-11-27 18:06:30.5 UTC);
        assert_eq!(iso8601_ms(t), "2026-11-27T18:06:30.500Z");
        assert_eq!(
            parse_http_date("Fri, 27 Nov 2026 18:06:30 GMT"),
            Some(time::macros::datetime!(2026-11-27 18:06:30 UTC))
        );
    }
}
