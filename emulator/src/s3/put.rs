//! PutObject: validate the headers, stream the body through SigV4 payload checks
//! and digests into the store's writer, verify every checksum, then commit under
//! the write conditions. Nothing is stored unless every check passed.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt;

use super::checksum::{self, Algorithm, Digests};
use super::S3Request;
use crate::api_error;
use crate::error::ApiResult;
use crate::protocol::codes::Service;
use crate::protocol::names;
use crate::request::{empty, Ctx, ResBody};
use crate::sigv4::{BodyCheck, PayloadMode, Trailers};
use crate::store::{ETag, ObjectExtras, ObjectMeta, Sse, StorageClass, StoreError, WriteCondition};
use crate::world::{Encryption, ObjectOwnership};

/// Headers S3 stores with an object and returns on GET/HEAD.
const STORED_HEADERS: [HeaderName; 5] = [
    http::header::CACHE_CONTROL,
    http::header::CONTENT_DISPOSITION,
    http::header::CONTENT_LANGUAGE,
    http::header::EXPIRES,
    names::X_AMZ_WEBSITE_REDIRECT_LOCATION,
];

/// The canned ACLs; only `bucket-owner-full-control` passes a BucketOwnerEnforced bucket.
const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// The largest total size of user metadata (S3 user guide, "Working with object metadata").
const MAX_USER_METADATA: usize = 2 * 1024;

/// PutObject, in the order S3 checks: headers (metadata, ACL, the digests the
/// client claims, lengths, write conditions), then the body as it streams, then
/// the claims against the body, then the commit.
pub(crate) async fn put_object<B>(r: &S3Request<'_>, ctx: &mut Ctx, body: B) -> ApiResult<Response<ResBody>>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    let key = r.target.key.clone().unwrap_or_default();
    let metadata = user_metadata(&r.parts.headers)?;
    let tags = object_tags(r)?;
    check_acl(r, bucket.object_ownership)?;
    let claims = Claims::from_headers(r)?;
    let payload = r.caller.payload.unwrap_or(PayloadMode::Unsigned);
    let expected_len = expected_length(r, payload, &claims)?;
    let condition = write_condition(r)?;
    let body = receive(r, body, payload, &claims.algorithms(), expected_len, &key).await?;
    let checksums = claims.verify(&body.sums, &body.trailers)?;
    // Object Lock buckets require an integrity check on every PUT (M44).
    if bucket.object_lock.is_some() && claims.content_md5.is_none() && checksums.is_empty() {
        return Err(api_error!(
            InvalidRequest,
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters"
        ));
    }
    let (sse, sse_kms_key) = encryption(r, bucket)?;
    let storage_class =
        storage_class(r.header(names::X_AMZ_STORAGE_CLASS))?.unwrap_or(StorageClass::Standard);
    ctx.trace.trail.bytes_in = body.received;
    let meta = ObjectMeta {
        key: key.into(),
        size: body.received,
        etag: ETag::of_md5(body.sums.md5),
        sha256: body.sums.sha256(),
        last_modified: ctx.now,
        content_type: Some(
            r.header(http::header::CONTENT_TYPE)
                .unwrap_or("binary/octet-stream")
                .into(),
        ),
        checksums,
        sse,
        version_id: crate::store::VersionId::NULL,
        owner: match bucket.object_ownership {
            ObjectOwnership::ObjectWriter => r.caller.account().unwrap_or(&bucket.account).into(),
            _ => bucket.account.as_str().into(),
        },
        storage_class,
        extras: ObjectExtras {
            content_encoding: stored_encoding(r.header(http::header::CONTENT_ENCODING).unwrap_or("")),
            sse_kms_key,
            headers: stored_headers(r),
            metadata,
            tags,
            parts: Vec::new(),
        }
        .boxed(),
    };
    let data = body.writer.finish().map_err(store_error)?;
    let versioned = bucket.versioning == crate::world::Versioning::Enabled;
    let stored = r
        .emu
        .store
        .commit(&bucket.name, meta, data, &condition, versioned)
        .map_err(store_error)?;
    respond(&stored.meta, versioned)
}

/// `x-amz-meta-*`, at most 2 KiB of names and values together.
pub(super) fn user_metadata(headers: &http::HeaderMap) -> ApiResult<BTreeMap<String, String>> {
    let mut metadata = BTreeMap::new();
    let mut size = 0;
    for (name, value) in headers {
        if let Some(meta) = name.as_str().strip_prefix("x-amz-meta-") {
            // Kept as sent or not at all: a value that is not UTF-8 cannot be stored
            // exactly, so it is refused rather than repaired (S3's own handling of
            // such bytes is not documented). UTF-8 beyond ASCII is kept and returned
            // RFC 2047-encoded, as S3 documents (`read::mail_safe`); SDKs send ASCII
            // or encoded words, which pass unchanged.
            let value = std::str::from_utf8(value.as_bytes())
                .map_err(|_| {
                    api_error!(InvalidArgument, "User metadata values must be UTF-8.")
                        .extra("ArgumentName", name.as_str())
                        .note("an x-amz-meta-* value that is not UTF-8 cannot be kept exactly")
                })?
                .to_string();
            size += meta.len() + value.len();
            metadata.insert(meta.to_string(), value);
        }
    }
    if size > MAX_USER_METADATA {
        return Err(api_error!(MetadataTooLarge)
            .extra("Size", size.to_string())
            .extra("MaxSizeAllowed", MAX_USER_METADATA.to_string()));
    }
    Ok(metadata)
}

/// The tag set `x-amz-tagging` gives (a URL query: `k1=v1&k2=v2`): at most 10
/// tags, keys of 1 to 128 characters, values of at most 256, no key twice (S3 user
/// guide, "Categorizing your storage using tags"; the messages are S3's as clients
/// report them, inferred).
pub(super) fn object_tags(r: &S3Request<'_>) -> ApiResult<BTreeMap<String, String>> {
    let Some(raw) = r.parts.headers.get(names::X_AMZ_TAGGING) else {
        return Ok(BTreeMap::new());
    };
    let invalid = |message: &str| api_error!(InvalidTag, "{}", message);
    let pairs = raw.to_str().ok().and_then(crate::route::form_pairs).ok_or_else(|| {
        invalid("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
    })?;
    let mut tags = BTreeMap::new();
    for (k, v) in pairs {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(invalid("The TagKey you have provided is invalid"));
        }
        if v.chars().count() > 256 {
            return Err(invalid("The TagValue you have provided is invalid"));
        }
        if tags.insert(k, v).is_some() {
            return Err(invalid("Cannot provide multiple Tags with the same key"));
        }
    }
    if tags.len() > 10 {
        return Err(invalid("Object tags cannot be greater than 10"));
    }
    Ok(tags)
}

/// What the client claims about the body: `Content-MD5`, at most one flexible
/// checksum (in a header or announced as a trailer), the SDK's algorithm.
#[derive(Debug)]
pub(super) struct Claims {
    /// `Content-MD5` as sent and decoded (16 bytes).
    pub(super) content_md5: Option<(String, Vec<u8>)>,
    /// `x-amz-checksum-*` in a header.
    pub(super) header_checksum: Option<(Algorithm, String)>,
    /// The checksum `x-amz-trailer` announces.
    pub(super) trailer_algorithm: Option<Algorithm>,
}

impl Claims {
    pub(super) fn from_headers(r: &S3Request<'_>) -> ApiResult<Self> {
        // Content-MD5 must be base64 of 16 bytes.
        let content_md5 = match r.header(names::CONTENT_MD5) {
            Some(v) => {
                use base64::Engine as _;
                match base64::engine::general_purpose::STANDARD.decode(v.trim()) {
                    Ok(bytes) if bytes.len() == 16 => Some((v.trim().to_string(), bytes)),
                    _ => return Err(api_error!(InvalidDigest).extra("Content-MD5", v)),
                }
            }
            None => None,
        };
        let header_checksum = header_checksum(r)?;
        let trailer_algorithm = trailer_algorithm(r)?;
        if let Some(sdk) = r.header(names::X_AMZ_SDK_CHECKSUM_ALGORITHM) {
            let Some(alg) = Algorithm::from_name(sdk) else {
                return Err(api_error!(
                    InvalidRequest,
                    "Value for x-amz-sdk-checksum-algorithm header is invalid."
                ));
            };
            match header_checksum.as_ref().map(|(a, _)| *a).or(trailer_algorithm) {
                None => {
                    return Err(api_error!(
                        InvalidRequest,
                        "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found."
                    ))
                }
                Some(a) if a != alg => {
                    return Err(api_error!(
                        InvalidRequest,
                        "Value for x-amz-sdk-checksum-algorithm header is invalid."
                    ))
                }
                Some(_) => {}
            }
        }
        Ok(Self {
            content_md5,
            header_checksum,
            trailer_algorithm,
        })
    }

    /// The algorithms whose digests the body needs.
    pub(super) fn algorithms(&self) -> Vec<Algorithm> {
        let mut algorithms = Vec::new();
        algorithms.extend(self.header_checksum.as_ref().map(|(a, _)| *a));
        algorithms.extend(self.trailer_algorithm);
        algorithms
    }

    /// Every claim against the body's digests; `Ok` holds the checksums to store.
    pub(super) fn verify(
        &self,
        sums: &checksum::Finished,
        trailers: &Trailers,
    ) -> ApiResult<crate::store::Checksums> {
        if let Some((sent, bytes)) = &self.content_md5 {
            if bytes.as_slice() != sums.md5 {
                use base64::Engine as _;
                // Element order and encoding vary across captures (sigv4.md §9.5);
                // this follows the 2023 form: ExpectedDigest as sent, then CalculatedDigest.
                return Err(api_error!(BadDigest).extra("ExpectedDigest", sent.clone()).extra(
                    "CalculatedDigest",
                    base64::engine::general_purpose::STANDARD.encode(sums.md5),
                ));
            }
        }
        let mut stored = crate::store::Checksums::new();
        let trailer_checksum = self
            .trailer_algorithm
            .map(|a| (a, trailers.get(a.header()).map(|v| v.trim().to_string())));
        for (alg, claimed) in self
            .header_checksum
            .iter()
            .map(|(a, v)| (*a, Some(v.clone())))
            .chain(trailer_checksum)
        {
            let Some(claimed) = claimed else {
                return Err(
                    api_error!(IncompleteBody, "The request body terminated unexpectedly").note(format!(
                        "x-amz-trailer announced {} but no such trailer arrived",
                        alg.header()
                    )),
                );
            };
            if !checksum::well_formed(alg, &claimed) {
                return Err(api_error!(
                    InvalidRequest,
                    "Value for {} trailing header is invalid.",
                    alg.header()
                ));
            }
            let computed = sums.get(alg).unwrap_or_default();
            if computed != claimed {
                return Err(api_error!(
                    BadDigest,
                    "The {} you specified did not match the calculated checksum.",
                    alg.name()
                )
                .note(format!("client sent {claimed}, body gives {computed}")));
            }
            stored.insert(alg, &claimed);
        }
        Ok(stored)
    }
}

/// The `x-amz-checksum-*` header of each algorithm, in [`checksum::ALGORITHMS`]
/// order, as `headers.get(name)?.to_str().ok()` gives it (the first value of a name;
/// none when that value is not text), found by one pass over the request's names
/// rather than a lookup per algorithm: five `HeaderMap` lookups, about 200
/// instructions each, nearly always for names the request does not carry.
fn sent_checksums(headers: &http::HeaderMap) -> [Option<&str>; checksum::ALGORITHMS.len()] {
    let mut seen = [false; checksum::ALGORITHMS.len()];
    let mut sent = [None; checksum::ALGORITHMS.len()];
    for (name, value) in headers {
        if !name.as_str().starts_with("x-amz-checksum-") {
            continue;
        }
        let Some(i) = checksum::ALGORITHMS
            .iter()
            .position(|(_, _, header, _)| *header == name.as_str())
        else {
            continue;
        };
        // A name's values come one after the other, its first value first.
        if !seen[i] {
            seen[i] = true;
            sent[i] = value.to_str().ok();
        }
    }
    sent
}

/// At most one `x-amz-checksum-*` header, well formed.
fn header_checksum(r: &S3Request<'_>) -> ApiResult<Option<(Algorithm, String)>> {
    let mut found: Option<(Algorithm, String)> = None;
    for ((alg, ..), sent) in checksum::ALGORITHMS.iter().zip(sent_checksums(&r.parts.headers)) {
        if let Some(v) = sent {
            if found.is_some() {
                return Err(api_error!(
                    InvalidRequest,
                    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
                ));
            }
            if !checksum::well_formed(*alg, v) {
                return Err(api_error!(
                    InvalidRequest,
                    "Value for {} header is invalid.",
                    alg.header()
                ));
            }
            found = Some((*alg, v.trim().to_string()));
        }
    }
    Ok(found)
}

/// The checksum `x-amz-trailer` announces, if any.
fn trailer_algorithm(r: &S3Request<'_>) -> ApiResult<Option<Algorithm>> {
    let declared = r.header(names::X_AMZ_TRAILER).map(|t| {
        t.split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect::<Vec<String>>()
    });
    let mut found = None;
    for t in declared.iter().flatten() {
        match Algorithm::from_header(t) {
            Some(a) => found = Some(a),
            None => {
                return Err(api_error!(
                    InvalidRequest,
                    "The value specified in the x-amz-trailer header is not supported"
                ))
            }
        }
    }
    Ok(found)
}

/// The body's length: aws-chunked bodies announce their decoded length, every
/// other body needs Content-Length (S3 does not take plain chunked transfer encoding).
pub(super) fn expected_length(r: &S3Request<'_>, payload: PayloadMode, claims: &Claims) -> ApiResult<u64> {
    let max = r.emu.config.max_put_size;
    let aws_chunked = payload.is_aws_chunked();
    let chunked_te = r
        .header(http::header::TRANSFER_ENCODING)
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let content_length: Option<u64> = r
        .header(http::header::CONTENT_LENGTH)
        .and_then(|v| v.trim().parse().ok());
    let expected_len = if aws_chunked {
        match r
            .header(names::X_AMZ_DECODED_CONTENT_LENGTH)
            .map(|v| v.trim().parse::<u64>())
        {
            Some(Ok(n)) => n,
            Some(Err(_)) => {
                return Err(api_error!(
                    InvalidArgument,
                    "Invalid x-amz-decoded-content-length"
                ))
            }
            None => {
                return Err(api_error!(MissingContentLength)
                    .note("aws-chunked body without x-amz-decoded-content-length"))
            }
        }
    } else if chunked_te && content_length.is_none() {
        return Err(api_error!(NotImplemented)
            .extra("Header", "Transfer-Encoding")
            .note("plain Transfer-Encoding: chunked without aws-chunked content encoding"));
    } else {
        content_length.ok_or_else(|| api_error!(MissingContentLength))?
    };
    if expected_len > max {
        return Err(api_error!(EntityTooLarge)
            .extra("ProposedSize", expected_len.to_string())
            .extra("MaxSizeAllowed", max.to_string()));
    }
    if claims.trailer_algorithm.is_some() && !aws_chunked {
        return Err(api_error!(
            InvalidRequest,
            "The value specified in the x-amz-trailer header is not supported"
        )
        .note("x-amz-trailer needs an aws-chunked STREAMING-*-TRAILER payload"));
    }
    Ok(expected_len)
}

/// A body received whole: its length, digests and trailers, in the store's writer.
pub(super) struct Received {
    pub(super) received: u64,
    pub(super) sums: checksum::Finished,
    pub(super) trailers: Trailers,
    pub(super) writer: Box<dyn crate::store::ObjectWriter>,
}

/// Stream the body through the SigV4 payload check and the digests into the
/// store's writer; nothing is committed here.
pub(super) async fn receive<B>(
    r: &S3Request<'_>,
    mut body: B,
    payload: PayloadMode,
    algorithms: &[Algorithm],
    expected_len: u64,
    key: &str,
) -> ApiResult<Received>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    let emu = r.emu;
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    let mut check = match &r.caller.verified {
        Some(v) => BodyCheck::new(payload, v, &r.parts.headers).map_err(|e| e.to_api_error(Service::S3))?,
        None => BodyCheck::pass_through(),
    };
    // S3 hashes every body with SHA-256 beside MD5 (the two interleaved,
    // `util::Md5Sha256`); with `x-amz-content-sha256: <hex>` the body check
    // compares that hash instead of hashing the body a second time.
    let check_needs_sha256 = check.caller_hashes();
    let mut digests = Digests::new(algorithms);
    let mut writer = emu.store.writer(&bucket.name, key).map_err(store_error)?;
    writer.reserve(expected_len);
    // Only an aws-chunked body is decoded into a buffer; any other body's frames
    // are hashed and stored as they arrive.
    let mut decoded = Vec::new();
    let mut received: u64 = 0;
    let idle = emu.config.body_idle_timeout;
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => {
                return Err(api_error!(RequestTimeout)
                    .note(format!("body stalled for {idle:?} after {received} bytes")))
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(api_error!(IncompleteBody)
                    .extra("NumberBytesExpected", expected_len.to_string())
                    .extra("NumberBytesProvided", received.to_string())
                    .note(format!("the connection ended mid-body: {e}")))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else { continue };
        let payload = check
            .payload(&data, &mut decoded)
            .map_err(|e| e.to_api_error(Service::S3))?;
        received += payload.len() as u64;
        if received > emu.config.max_put_size {
            return Err(api_error!(EntityTooLarge)
                .extra("ProposedSize", received.to_string())
                .extra("MaxSizeAllowed", emu.config.max_put_size.to_string()));
        }
        digests.update(payload);
        writer.write(payload).map_err(store_error)?;
    }
    let sums = digests.finish();
    let trailers = check
        .finish_with_sha256(check_needs_sha256.then(|| sums.sha256()))
        .map_err(|e| e.to_api_error(Service::S3))?;
    if received != expected_len {
        return Err(api_error!(IncompleteBody)
            .extra("NumberBytesExpected", expected_len.to_string())
            .extra("NumberBytesProvided", received.to_string()));
    }
    Ok(Received {
        received,
        sums,
        trailers,
        writer,
    })
}

/// The object's encryption: the request's `x-amz-server-side-encryption`, else
/// the bucket's default.
pub(super) fn encryption(
    r: &S3Request<'_>,
    bucket: &crate::world::Bucket,
) -> ApiResult<(Option<Sse>, Option<String>)> {
    Ok(
        match r
            .header(names::X_AMZ_SERVER_SIDE_ENCRYPTION)
            .map(|h| (h, Sse::from_wire(h)))
        {
            Some((_, Some(Sse::Aes256))) => (Some(Sse::Aes256), None),
            Some((_, Some(alg @ (Sse::Kms | Sse::KmsDsse)))) => (
                Some(alg),
                r.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION_AWS_KMS_KEY_ID)
                    .map(str::to_string)
                    .or_else(|| match &bucket.encryption {
                        Encryption::SseKms { key_arn, .. } => key_arn.clone(),
                        Encryption::SseS3 => None,
                    }),
            ),
            Some((other, None)) => {
                return Err(api_error!(
                    InvalidArgument,
                    "Server Side Encryption with {} is not supported",
                    other
                )
                .extra("ArgumentName", "x-amz-server-side-encryption")
                .extra("ArgumentValue", other))
            }
            None => match &bucket.encryption {
                Encryption::SseS3 => (Some(Sse::Aes256), None),
                Encryption::SseKms { key_arn, .. } => (Some(Sse::Kms), key_arn.clone()),
            },
        },
    )
}

/// `x-amz-storage-class`, when sent: one of the API's `StorageClass` values, else
/// `InvalidStorageClass` (S3 error table).
pub(super) fn storage_class(header: Option<&str>) -> ApiResult<Option<StorageClass>> {
    header
        .map(|h| {
            StorageClass::from_wire(h).ok_or_else(|| {
                api_error!(InvalidStorageClass)
                    .note("x-amz-storage-class names none of the API's storage classes")
            })
        })
        .transpose()
}

/// `Content-Encoding` as stored: without `aws-chunked`, which is the transfer's, and
/// otherwise byte for byte (`deflate, gzip` comes back as sent, spaces included).
pub(super) fn stored_encoding(content_encoding: &str) -> Option<String> {
    let is_chunked = |e: &str| e.trim().eq_ignore_ascii_case("aws-chunked");
    if !content_encoding.split(',').any(is_chunked) {
        return (!content_encoding.is_empty()).then(|| content_encoding.to_string());
    }
    // The other codings keep their own text and the separators before them.
    let stored = content_encoding
        .split(',')
        .filter(|e| !e.trim().is_empty() && !is_chunked(e))
        .collect::<Vec<_>>()
        .join(",");
    let stored = stored.trim_start();
    (!stored.is_empty()).then(|| stored.to_string())
}

pub(super) fn stored_headers(r: &S3Request<'_>) -> BTreeMap<String, String> {
    let mut stored = BTreeMap::new();
    // The request's names (each once) against the five, rather than five lookups
    // that each hash a name: most PUTs send none of them.
    for name in r.parts.headers.keys().filter(|k| STORED_HEADERS.contains(k)) {
        if let Some(v) = r.header(name) {
            stored.insert(name.as_str().to_string(), v.to_string());
        }
    }
    stored
}

pub(super) fn respond(meta: &ObjectMeta, versioned: bool) -> ApiResult<Response<ResBody>> {
    let mut res = Response::builder()
        .status(StatusCode::OK)
        .header(http::header::ETAG, meta.etag.quoted().as_str());
    // Fixed values as static `HeaderValue`s: a `&str` would be checked and copied.
    if let Some(sse) = meta.sse {
        res = res.header(
            names::X_AMZ_SERVER_SIDE_ENCRYPTION,
            HeaderValue::from_static(sse.as_str()),
        );
    }
    if let Some(k) = &meta.extras().sse_kms_key {
        res = res.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION_AWS_KMS_KEY_ID, k.as_str());
    }
    if versioned {
        res = res.header(names::X_AMZ_VERSION_ID, meta.version_id.text().as_str());
    }
    for (alg, value) in meta.checksums.iter() {
        res = res.header(alg.header_name(), value);
        res = res.header(
            names::X_AMZ_CHECKSUM_TYPE,
            HeaderValue::from_static("FULL_OBJECT"),
        );
    }
    res.body(empty())
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

/// BucketOwnerEnforced refuses every ACL but bucket-owner-full-control (S3 user
/// guide, "Troubleshooting Object Ownership"); grants are ACLs too.
pub(super) fn check_acl(r: &S3Request<'_>, ownership: ObjectOwnership) -> ApiResult<()> {
    let acl = r.header(names::X_AMZ_ACL);
    if let Some(a) = acl {
        if !CANNED_ACLS.contains(&a) {
            return Err(api_error!(InvalidArgument)
                .extra("ArgumentName", "x-amz-acl")
                .extra("ArgumentValue", a));
        }
    }
    if ownership != ObjectOwnership::BucketOwnerEnforced {
        return Ok(());
    }
    let grants = r
        .parts
        .headers
        .keys()
        .any(|k| k.as_str().starts_with("x-amz-grant-"));
    // ACLs disabled: S3 takes "PUT requests that specify bucket owner full control
    // ACLs, such as the bucket-owner-full-control canned ACL or an equivalent form"
    // (S3 API reference, PutObject `x-amz-acl`). `private` gives the object's writer
    // full control, which is the bucket owner only when the writer is in the bucket
    // owner's account: accepted there, refused cross-account (observed: a
    // cross-account `private` refused, aws-cloudformation/rain#388; a same-account
    // `private` accepted, as S3 also accepts a `private` bucket ACL with ACLs
    // disabled, versity/versitygw#1869). Explicit `x-amz-grant-*` headers are
    // refused: the emulator has no canonical user ids to recognise the bucket
    // owner in them.
    let owner_full_control = match acl {
        None | Some("bucket-owner-full-control") => true,
        Some("private") => r.caller.account() == r.bucket.map(|b| b.account.as_str()),
        Some(_) => false,
    };
    if grants || !owner_full_control {
        return Err(api_error!(AccessControlListNotSupported).note(format!(
            "the bucket's Object Ownership is BucketOwnerEnforced (ACLs disabled) and `{}` is not the bucket owner's full control",
            if grants { "x-amz-grant-*" } else { acl.unwrap_or_default() }
        )));
    }
    Ok(())
}

/// `If-None-Match: *` and `If-Match` on PutObject (S3 conditional writes).
pub(super) fn write_condition(r: &S3Request<'_>) -> ApiResult<WriteCondition> {
    let mut c = WriteCondition::default();
    if let Some(v) = r.header(http::header::IF_NONE_MATCH) {
        if v.trim() != "*" {
            return Err(api_error!(NotImplemented)
                .extra("Header", "If-None-Match")
                .note("S3 accepts only `*` in If-None-Match on PUT"));
        }
        c.if_none_match_any = true;
    }
    c.if_match = r.header(http::header::IF_MATCH).map(str::to_string);
    Ok(c)
}

pub(super) fn store_error(e: StoreError) -> crate::error::ApiError {
    match e {
        StoreError::PreconditionFailed => api_error!(PreconditionFailed)
            .extra("Condition", "If-None-Match")
            .note("the key exists (or its ETag differs)"),
        StoreError::NoSuchKey => api_error!(NoSuchKey).note("If-Match on a key that does not exist"),
        StoreError::NoSuchBucket => api_error!(NoSuchBucket),
        StoreError::Io(e) => api_error!(InternalError).note(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One pass over the names finds what a lookup per algorithm finds: absent
    /// names, repeated names (the first value), a first value that is not text,
    /// names that only share the prefix, and every algorithm at once.
    #[test]
    fn sent_checksums_are_what_lookups_give() {
        let bytes = |v: &[u8]| {
            http::HeaderValue::from_bytes(v).unwrap_or_else(|_| http::HeaderValue::from_static("?"))
        };
        let cases: Vec<Vec<(&str, &[u8])>> = vec![
            vec![],
            vec![("host", b"h"), ("x-amz-checksum-crc32", b"AAAAAA==")],
            vec![
                ("x-amz-checksum-crc32", b"first"),
                ("x-amz-checksum-crc32", b"second"),
            ],
            vec![
                ("x-amz-checksum-sha256", b"\xff\xfe"),
                ("x-amz-checksum-sha256", b"text"),
            ],
            vec![
                ("x-amz-checksum-type", b"FULL_OBJECT"),
                ("x-amz-checksum-algorithm", b"CRC32"),
                ("x-amz-checksum-mode", b"ENABLED"),
            ],
            vec![
                ("x-amz-checksum-sha1", b"s"),
                ("x-amz-checksum-crc64nvme", b"n"),
                ("x-amz-checksum-crc32c", b"c"),
                ("x-amz-checksum-sha256", b"2"),
                ("x-amz-checksum-crc32", b"3"),
            ],
        ];
        for case in cases {
            let mut h = http::HeaderMap::new();
            for (name, value) in &case {
                h.append(http::HeaderName::from_static(name), bytes(value));
            }
            let looked_up: Vec<Option<&str>> = checksum::ALGORITHMS
                .iter()
                .map(|(alg, ..)| h.get(alg.header_name()).and_then(|v| v.to_str().ok()))
                .collect();
            assert_eq!(sent_checksums(&h).to_vec(), looked_up, "{case:?}");
        }
    }

    #[test]
    fn user_metadata_is_kept_exactly_or_refused() {
        let mut h = http::HeaderMap::new();
        h.insert(
            "x-amz-meta-note",
            http::HeaderValue::from_static("=?UTF-8?B?w6k=?="),
        );
        h.insert("x-amz-meta-plain", http::HeaderValue::from_static("a b"));
        let kept = user_metadata(&h).unwrap();
        assert_eq!(kept.get("note").map(String::as_str), Some("=?UTF-8?B?w6k=?="));
        assert_eq!(kept.get("plain").map(String::as_str), Some("a b"));

        h.insert(
            "x-amz-meta-raw",
            http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        );
        let e = user_metadata(&h).unwrap_err();
        assert_eq!(e.code, crate::protocol::codes::Code::InvalidArgument);
    }
}
