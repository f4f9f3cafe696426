//! CopyObject, and the copy source that CopyObject and UploadPartCopy share
//! (S3 API reference, CopyObject: `x-amz-copy-source`, the metadata directive,
//! the copy-source conditions, `CopyObjectResult`).

use std::sync::Arc;

use http::{Response, StatusCode};

use super::checksum::{Algorithm, Digests};
use super::put;
use super::read::iso8601_ms;
use super::S3Request;
use crate::api_error;
use crate::error::{ApiError, ApiResult};
use crate::protocol::names;
use crate::protocol::xml::{Xml, S3_NS};
use crate::request::{full, Ctx, ResBody};
use crate::store::{etag_matches, ETag, ObjectExtras, ObjectMeta, StoredObject};
use crate::util::parse_http_date;

/// The largest object CopyObject copies in one request (S3 API reference: 5 GB).
const MAX_COPY: u64 = 5 * 1024 * 1024 * 1024;

/// What `x-amz-copy-source` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CopySource {
    /// Source bucket.
    pub bucket: String,
    /// Source key.
    pub key: String,
    /// `?versionId=` of the source.
    pub version_id: Option<String>,
}

/// `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, with an
/// optional `?versionId=`.
pub(crate) fn parse_source(headers: &http::HeaderMap) -> ApiResult<CopySource> {
    let invalid = |why: &str| {
        api_error!(
            InvalidArgument,
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
        )
        .extra("ArgumentName", "x-amz-copy-source")
        .note(why.to_string())
    };
    let raw = headers
        .get(names::X_AMZ_COPY_SOURCE)
        .ok_or_else(|| invalid("no x-amz-copy-source"))?
        .to_str()
        .map_err(|_| invalid("x-amz-copy-source is not visible ASCII (keys are URL-encoded)"))?;
    let raw = raw.trim().strip_prefix('/').unwrap_or(raw.trim());
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let (bucket, key) = path
        .split_once('/')
        .ok_or_else(|| invalid("no key after the bucket"))?;
    let bucket = crate::route::decode(bucket).ok_or_else(|| invalid("bucket not UTF-8"))?;
    let key = crate::route::decode(key).ok_or_else(|| invalid("key not UTF-8"))?;
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid("empty bucket or key"));
    }
    let pairs = crate::route::query_pairs(query)?;
    let version_id = crate::route::query_get(&pairs, "versionId").map(str::to_string);
    Ok(CopySource {
        bucket,
        key,
        version_id,
    })
}

/// The source object, with the copy-source conditions checked. Its authorization
/// (`s3:GetObject` on the source) was decided before the handler ran.
pub(crate) fn source_object(r: &S3Request<'_>) -> ApiResult<Arc<StoredObject>> {
    let src = parse_source(&r.parts.headers)?;
    if r.world.bucket(&src.bucket).is_none() {
        return Err(api_error!(NoSuchBucket).extra("BucketName", src.bucket.clone()));
    }
    let Some(obj) = r.emu.store.get(&src.bucket, &src.key) else {
        return Err(api_error!(NoSuchKey).extra("Key", src.key.clone()));
    };
    if let Some(v) = &src.version_id {
        if obj.meta.version_id != v.as_str() {
            return Err(ApiError::not_implemented(
                "copying a version other than the current one",
            ));
        }
    }
    conditions(r, &obj.meta)?;
    Ok(obj)
}

/// `x-amz-copy-source-if-*`: 412 PreconditionFailed when one does not hold.
fn conditions(r: &S3Request<'_>, meta: &ObjectMeta) -> ApiResult<()> {
    let failed = |condition: &'static str| api_error!(PreconditionFailed).extra("Condition", condition);
    if let Some(m) = r.header("x-amz-copy-source-if-match") {
        if !etag_matches(m, &meta.etag) {
            return Err(failed("x-amz-copy-source-If-Match"));
        }
    }
    if let Some(m) = r.header("x-amz-copy-source-if-none-match") {
        if etag_matches(m, &meta.etag) {
            return Err(failed("x-amz-copy-source-If-None-Match"));
        }
    }
    // With If-Match true, an If-Unmodified-Since that fails is ignored; with
    // If-None-Match false, a failing If-Modified-Since is ignored (CopyObject docs).
    if r.header("x-amz-copy-source-if-match").is_none() {
        if let Some(t) = r
            .header("x-amz-copy-source-if-unmodified-since")
            .and_then(parse_http_date)
        {
            if meta.last_modified > t {
                return Err(failed("x-amz-copy-source-If-Unmodified-Since"));
            }
        }
    }
    if r.header("x-amz-copy-source-if-none-match").is_none() {
        if let Some(t) = r
            .header("x-amz-copy-source-if-modified-since")
            .and_then(parse_http_date)
        {
            if meta.last_modified <= t {
                return Err(failed("x-amz-copy-source-If-Modified-Since"));
            }
        }
    }
    Ok(())
}

/// `x-amz-copy-source-range: bytes=first-last` (UploadPartCopy only), inside the source.
pub(crate) fn source_range(r: &S3Request<'_>, size: u64) -> ApiResult<Option<(u64, u64)>> {
    let Some(raw) = r.header("x-amz-copy-source-range") else {
        return Ok(None);
    };
    let invalid = || {
        api_error!(
            InvalidArgument,
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"
        )
        .extra("ArgumentName", "x-amz-copy-source-range")
        .extra("ArgumentValue", raw)
    };
    let (first, last) = raw
        .trim()
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(invalid)?;
    let first: u64 = first.trim().parse().map_err(|_| invalid())?;
    let last: u64 = last.trim().parse().map_err(|_| invalid())?;
    if first > last {
        return Err(invalid());
    }
    if last >= size {
        return Err(api_error!(InvalidRange)
            .extra("RangeRequested", raw)
            .extra("ActualObjectSize", size.to_string()));
    }
    Ok(Some((first, last)))
}

/// `x-amz-tagging-directive`: the copy takes the source's tags (`COPY`, the
/// default) or the request's `x-amz-tagging` (`REPLACE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Directive {
    Copy,
    Replace,
}

pub(crate) fn tagging_directive(r: &S3Request<'_>) -> ApiResult<Directive> {
    match r.header(names::X_AMZ_TAGGING_DIRECTIVE) {
        None | Some("COPY") => Ok(Directive::Copy),
        Some("REPLACE") => Ok(Directive::Replace),
        Some(other) => Err(api_error!(InvalidArgument, "Unknown tagging directive.")
            .extra("ArgumentName", "x-amz-tagging-directive")
            .extra("ArgumentValue", other)),
    }
}

/// Whether a CopyObject carries the source's tags over: the directive is `COPY`
/// and the source has tags. S3 then also requires `s3:GetObjectTagging` on the
/// source and `s3:PutObjectTagging` on the destination ("If you're copying objects
/// that have object tags, then your IAM identity must have s3:GetObjectTagging and
/// s3:PutObjectTagging permissions", AWS knowledge center,
/// s3-troubleshoot-copy-between-buckets).
pub(crate) fn copies_tags(r: &S3Request<'_>) -> bool {
    r.target.op == crate::route::S3Op::CopyObject
        && matches!(tagging_directive(r), Ok(Directive::Copy))
        && parse_source(&r.parts.headers)
            .ok()
            .and_then(|src| r.emu.store.get(&src.bucket, &src.key))
            .is_some_and(|s| !s.meta.extras().tags.is_empty())
}

/// CopyObject: the source's bytes into a new object, with the source's metadata
/// (`x-amz-metadata-directive: COPY`, the default) or the request's (`REPLACE`).
pub(crate) fn copy_object(r: &S3Request<'_>, ctx: &Ctx) -> ApiResult<Response<ResBody>> {
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    let key = r.target.key.clone().unwrap_or_default();
    let source = source_object(r)?;
    let src = parse_source(&r.parts.headers)?;
    if source.meta.size > MAX_COPY {
        return Err(api_error!(
            InvalidRequest,
            "The specified copy source is larger than the maximum allowable size for a copy source: {}",
            MAX_COPY
        ));
    }
    let replace = match r.header(names::X_AMZ_METADATA_DIRECTIVE) {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(other) => {
            return Err(api_error!(InvalidArgument, "Unknown metadata directive.")
                .extra("ArgumentName", "x-amz-metadata-directive")
                .extra("ArgumentValue", other))
        }
    };
    let tags = match tagging_directive(r)? {
        Directive::Copy => source.meta.extras().tags.clone(),
        Directive::Replace => put::object_tags(r)?,
    };
    put::check_acl(r, bucket.object_ownership)?;
    let (sse, sse_kms_key) = put::encryption(r, bucket)?;
    let same = src.bucket == bucket.name && src.key == key;
    let changes = replace
        || r.header(names::X_AMZ_STORAGE_CLASS).is_some()
        || r.header(names::X_AMZ_WEBSITE_REDIRECT_LOCATION).is_some()
        || r.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION).is_some();
    if same && !changes {
        return Err(api_error!(
            InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
        ));
    }
    let condition = put::write_condition(r)?;
    // The copy keeps the source's whole-object checksums (recomputed on the
    // bytes); a composite multipart checksum (`…-N`) does not describe a
    // single-part copy and is dropped, unless the request names an algorithm.
    let algorithms: Vec<Algorithm> = match r
        .header(names::X_AMZ_CHECKSUM_ALGORITHM)
        .and_then(Algorithm::from_name)
    {
        Some(a) => vec![a],
        None => source
            .meta
            .checksums
            .iter()
            .filter(|(_, v)| !v.contains('-'))
            .map(|(a, _)| a)
            .collect(),
    };
    let mut digests = Digests::new(&algorithms);
    let mut writer = r.emu.store.writer(&bucket.name, &key).map_err(put::store_error)?;
    let size = super::multipart::copy_bytes(&source.data, None, |chunk| {
        digests.update(chunk);
        writer.write(chunk).map_err(put::store_error)
    })?;
    let sums = digests.finish();
    let checksums: crate::store::Checksums = algorithms
        .iter()
        .filter_map(|a| sums.get(*a).map(|v| (*a, v)))
        .collect();
    let m = &source.meta;
    let from = m.extras();
    let storage_class = put::storage_class(r.header(names::X_AMZ_STORAGE_CLASS))?.unwrap_or(m.storage_class);
    let meta = ObjectMeta {
        key: key.into(),
        size,
        etag: ETag::of_md5(sums.md5),
        sha256: sums.sha256(),
        last_modified: ctx.now,
        content_type: if replace {
            Some(
                r.header(http::header::CONTENT_TYPE)
                    .unwrap_or("binary/octet-stream")
                    .into(),
            )
        } else {
            m.content_type.clone()
        },
        checksums,
        sse,
        version_id: crate::store::VersionId::NULL,
        owner: match bucket.object_ownership {
            crate::world::ObjectOwnership::ObjectWriter => {
                r.caller.account().unwrap_or(&bucket.account).into()
            }
            _ => bucket.account.as_str().into(),
        },
        storage_class,
        extras: ObjectExtras {
            content_encoding: if replace {
                put::stored_encoding(r.header(http::header::CONTENT_ENCODING).unwrap_or(""))
            } else {
                from.content_encoding.clone()
            },
            sse_kms_key,
            headers: if replace {
                put::stored_headers(r)
            } else {
                from.headers.clone()
            },
            metadata: if replace {
                put::user_metadata(&r.parts.headers)?
            } else {
                from.metadata.clone()
            },
            tags,
            // A copy is written in one piece, whatever the source was.
            parts: Vec::new(),
        }
        .boxed(),
    };
    let data = writer.finish().map_err(put::store_error)?;
    let versioned = bucket.versioning == crate::world::Versioning::Enabled;
    let stored = r
        .emu
        .store
        .commit(&bucket.name, meta, data, &condition, versioned)
        .map_err(put::store_error)?;
    respond(&stored.meta, &source.meta, versioned, r.world.bucket(&src.bucket))
}

fn respond(
    meta: &ObjectMeta,
    source: &ObjectMeta,
    versioned: bool,
    source_bucket: Option<&crate::world::Bucket>,
) -> ApiResult<Response<ResBody>> {
    let mut x = Xml::with_declaration();
    x.open_ns("CopyObjectResult", S3_NS)
        .elem("LastModified", &iso8601_ms(meta.last_modified))
        .elem("ETag", meta.etag.quoted().as_str());
    for (alg, v) in meta.checksums.iter() {
        x.elem(&format!("Checksum{}", alg.name()), v);
    }
    if !meta.checksums.is_empty() {
        x.elem("ChecksumType", "FULL_OBJECT");
    }
    x.close("CopyObjectResult");
    let mut res = Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/xml");
    if source_bucket.is_some_and(|b| b.versioning != crate::world::Versioning::Unversioned) {
        res = res.header("x-amz-copy-source-version-id", source.version_id.text().as_str());
    }
    if versioned {
        res = res.header(names::X_AMZ_VERSION_ID, meta.version_id.text().as_str());
    }
    if let Some(sse) = meta.sse {
        res = res.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION, sse.as_str());
    }
    if let Some(k) = &meta.extras().sse_kms_key {
        res = res.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION_AWS_KMS_KEY_ID, k.as_str());
    }
    res.body(full(x.finish()))
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(names::X_AMZ_COPY_SOURCE, http::HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn copy_sources_parse_with_and_without_slash_encoding_and_version() {
        let s = parse_source(&headers("/lake/a%20b/c%2Bd.txt?versionId=v1")).unwrap();
        assert_eq!(
            s,
            CopySource {
                bucket: "lake".into(),
                key: "a b/c+d.txt".into(),
                version_id: Some("v1".into())
            }
        );
        assert_eq!(parse_source(&headers("lake/k")).unwrap().key, "k");
        for bad in ["lake", "/lake/", "/k", "lake/%FF"] {
            assert_eq!(
                parse_source(&headers(bad)).unwrap_err().code.as_str(),
                "InvalidArgument",
                "{bad}"
            );
        }
    }
}
