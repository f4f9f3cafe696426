//! Multipart upload: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! CompleteMultipartUpload, AbortMultipartUpload, ListParts and
//! ListMultipartUploads (S3 API reference; errors from its error table).
//!
//! A part streams through the same checks as a PutObject body (SigV4 payload
//! modes, Content-MD5, flexible checksums) into the store's writer and is kept
//! by [`crate::uploads`]; CompleteMultipartUpload checks the part list, then
//! copies the parts in order into one new body (streamed, so memory stays flat
//! with a file store) and commits it under the write conditions, with the
//! multipart ETag `MD5(MD5(part 1) ‖ … ‖ MD5(part N))-N`.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body::Body;
use md5::Digest as _;

use super::checksum::{self, Algorithm, Digests};
use super::put;
use super::S3Request;
use crate::api_error;
use crate::error::{ApiError, ApiResult};
use crate::protocol::names;
use crate::protocol::xml::{self, Xml, S3_NS};
use crate::request::{empty, full, Ctx, ResBody};
use crate::sigv4::PayloadMode;
use crate::store::{ETag, ObjectData, ObjectExtras, ObjectMeta, StorageClass};
use crate::uploads::{ChecksumType, Part, Template, Upload, Uploads};
use compact_str::CompactString;

/// The most parts an upload may have.
const MAX_PARTS: usize = 10_000;
/// The largest CompleteMultipartUpload body the emulator reads: 10,000 parts of
/// about 200 bytes each, with room to spare.
const MAX_COMPLETE_BODY: usize = 4 * 1024 * 1024;

fn xml_ok(body: String) -> ApiResult<Response<ResBody>> {
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(full(body))
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

/// `x-amz-checksum-algorithm` and `x-amz-checksum-type` of CreateMultipartUpload:
/// SHA-1 and SHA-256 allow only COMPOSITE, CRC64NVME only FULL_OBJECT, CRC32 and
/// CRC32C both (COMPOSITE by default) (S3 user guide, "Checking object integrity").
fn checksum_choice(r: &S3Request<'_>) -> ApiResult<Option<(Algorithm, ChecksumType)>> {
    let algorithm = match r.header(names::X_AMZ_CHECKSUM_ALGORITHM) {
        None => None,
        Some(name) => Some(Algorithm::from_name(name).ok_or_else(|| {
            api_error!(InvalidRequest, "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
        })?),
    };
    let kind = match r
        .header(names::X_AMZ_CHECKSUM_TYPE)
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None => None,
        Some("COMPOSITE") => Some(ChecksumType::Composite),
        Some("FULL_OBJECT") => Some(ChecksumType::FullObject),
        Some(other) => {
            return Err(
                api_error!(InvalidRequest, "Value for x-amz-checksum-type header is invalid.")
                    .note(format!("x-amz-checksum-type `{other}`")),
            )
        }
    };
    let Some(alg) = algorithm else {
        return match kind {
            None => Ok(None),
            Some(_) => Err(api_error!(
                InvalidRequest,
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
            )),
        };
    };
    let kind = kind.unwrap_or(if alg == Algorithm::Crc64Nvme {
        ChecksumType::FullObject
    } else {
        ChecksumType::Composite
    });
    let allowed = match alg {
        Algorithm::Sha1 | Algorithm::Sha256 => kind == ChecksumType::Composite,
        Algorithm::Crc64Nvme => kind == ChecksumType::FullObject,
        Algorithm::Crc32 | Algorithm::Crc32c => true,
    };
    if !allowed {
        return Err(api_error!(
            InvalidRequest,
            "The {} checksum type cannot be used with the {} checksum algorithm.",
            if kind == ChecksumType::Composite {
                "COMPOSITE"
            } else {
                "FULL_OBJECT"
            },
            alg.name().to_ascii_lowercase()
        ));
    }
    Ok(Some((alg, kind)))
}

/// CreateMultipartUpload: validate what the object will carry and register the upload.
pub(crate) fn create(r: &S3Request<'_>, ctx: &Ctx) -> ApiResult<Response<ResBody>> {
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    let key = r.target.key.clone().unwrap_or_default();
    let metadata = put::user_metadata(&r.parts.headers)?;
    let tags = put::object_tags(r)?;
    put::check_acl(r, bucket.object_ownership)?;
    let checksum = checksum_choice(r)?;
    let (sse, sse_kms_key) = put::encryption(r, bucket)?;
    let id = upload_id(r.emu.next_id());
    let template = Template {
        content_type: Some(
            r.header(http::header::CONTENT_TYPE)
                .unwrap_or("binary/octet-stream")
                .to_string(),
        ),
        content_encoding: put::stored_encoding(r.header(http::header::CONTENT_ENCODING).unwrap_or("")),
        headers: put::stored_headers(r),
        metadata,
        tags,
        sse,
        sse_kms_key: sse_kms_key.clone(),
        storage_class: put::storage_class(r.header(names::X_AMZ_STORAGE_CLASS))?
            .unwrap_or(StorageClass::Standard),
        owner: match bucket.object_ownership {
            crate::world::ObjectOwnership::ObjectWriter => {
                r.caller.account().unwrap_or(&bucket.account).to_string()
            }
            _ => bucket.account.clone(),
        },
        checksum,
    };
    r.emu.uploads.start(Upload {
        id: id.clone(),
        bucket: bucket.name.clone(),
        key: key.clone(),
        initiated: ctx.now,
        initiator: r.caller.arn(),
        template,
        parts: BTreeMap::new(),
    });
    let mut x = Xml::with_declaration();
    x.open_ns("InitiateMultipartUploadResult", S3_NS)
        .elem("Bucket", &bucket.name)
        .elem("Key", &key)
        .elem("UploadId", &id)
        .close("InitiateMultipartUploadResult");
    let mut res = Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/xml");
    if let Some(sse) = &sse {
        res = res.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION, sse.as_str());
    }
    if let Some(k) = &sse_kms_key {
        res = res.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION_AWS_KMS_KEY_ID, k.as_str());
    }
    if let Some((alg, kind)) = checksum {
        res = res
            .header(names::X_AMZ_CHECKSUM_ALGORITHM, alg.name())
            .header(names::X_AMZ_CHECKSUM_TYPE, type_name(kind));
    }
    res.body(full(x.finish()))
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

fn type_name(kind: ChecksumType) -> &'static str {
    match kind {
        ChecksumType::Composite => "COMPOSITE",
        ChecksumType::FullObject => "FULL_OBJECT",
    }
}

/// An upload id: S3's are opaque URL-safe strings of about 80 characters.
fn upload_id(n: u64) -> String {
    let mut bytes = Vec::with_capacity(48);
    let mut x = n;
    for _ in 0..6 {
        x = crate::util::splitmix(x);
        bytes.extend_from_slice(&x.to_be_bytes());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The upload a request names, or NoSuchUpload.
fn find(r: &S3Request<'_>, upload_id: &str) -> ApiResult<Arc<Mutex<Upload>>> {
    let bucket = r.bucket.map_or("", |b| b.name.as_str());
    let key = r.target.key.as_deref().unwrap_or("");
    r.emu.uploads.get(upload_id, bucket, key).ok_or_else(|| {
        api_error!(NoSuchUpload)
            .extra("UploadId", upload_id)
            .note(format!("no upload `{upload_id}` of {bucket}/{key} in progress"))
    })
}

fn lock(u: &Mutex<Upload>) -> std::sync::MutexGuard<'_, Upload> {
    u.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// UploadPart: the part's body through the PutObject checks, kept with its digests.
pub(crate) async fn upload_part<B>(
    r: &S3Request<'_>,
    ctx: &Ctx,
    body: B,
    part_number: u32,
    upload_id: &str,
) -> ApiResult<Response<ResBody>>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    let upload = find(r, upload_id)?;
    let wanted = lock(&upload).template.checksum;
    let claims = put::Claims::from_headers(r)?;
    let sent = claims
        .header_checksum
        .as_ref()
        .map(|(a, _)| *a)
        .or(claims.trailer_algorithm);
    if let Some((alg, kind)) = wanted {
        // A COMPOSITE upload needs every part's checksum; a FULL_OBJECT upload
        // takes parts without one (versitygw#1342 on AWS's behaviour, inferred).
        if sent.is_some_and(|s| s != alg) || (sent.is_none() && kind == ChecksumType::Composite) {
            return Err(api_error!(
                InvalidRequest,
                "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                alg.name().to_ascii_lowercase(),
                sent.map_or_else(|| "null".to_string(), |s| s.name().to_ascii_lowercase())
            ));
        }
    }
    let payload = r.caller.payload.unwrap_or(PayloadMode::Unsigned);
    let expected_len = put::expected_length(r, payload, &claims)?;
    let key = r.target.key.clone().unwrap_or_default();
    let mut algorithms = claims.algorithms();
    if let Some((alg, _)) = wanted {
        if !algorithms.contains(&alg) {
            algorithms.push(alg);
        }
    }
    let received = put::receive(r, body, payload, &algorithms, expected_len, &key).await?;
    let verified = claims.verify(&received.sums, &received.trailers)?;
    let checksum = wanted.and_then(|(alg, _)| {
        verified
            .get(alg)
            .map(str::to_string)
            .or_else(|| received.sums.get(alg))
    });
    let data = received.writer.finish().map_err(put::store_error)?;
    let etag = format!("\"{}\"", crate::sigv4::hex_lower(&received.sums.md5));
    Uploads::put_part(
        &upload,
        Part {
            number: part_number,
            etag: etag.clone(),
            md5: received.sums.md5,
            size: received.received,
            last_modified: ctx.now,
            checksum: checksum.clone(),
            data,
        },
    );
    let mut res = Response::builder()
        .status(StatusCode::OK)
        .header(http::header::ETAG, etag.as_str());
    let template = lock(&upload).template.clone();
    if let Some(sse) = &template.sse {
        res = res.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION, sse.as_str());
    }
    if let (Some((alg, _)), Some(sum)) = (template.checksum, &checksum) {
        res = res.header(alg.header(), sum.as_str());
    }
    res.body(empty())
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

/// UploadPartCopy: a part made of (a range of) an existing object.
pub(crate) fn upload_part_copy(
    r: &S3Request<'_>,
    ctx: &Ctx,
    part_number: u32,
    upload_id: &str,
) -> ApiResult<Response<ResBody>> {
    let upload = find(r, upload_id)?;
    let source = super::copy::source_object(r)?;
    let range = super::copy::source_range(r, source.meta.size)?;
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    let key = r.target.key.clone().unwrap_or_default();
    let wanted = lock(&upload).template.checksum;
    let algorithms: Vec<Algorithm> = wanted.map(|(a, _)| a).into_iter().collect();
    let mut digests = Digests::new(&algorithms);
    let mut writer = r.emu.store.writer(&bucket.name, &key).map_err(put::store_error)?;
    let size = copy_bytes(&source.data, range, |chunk| {
        digests.update(chunk);
        writer.write(chunk).map_err(put::store_error)
    })?;
    let sums = digests.finish();
    let data = writer.finish().map_err(put::store_error)?;
    let etag = format!("\"{}\"", crate::sigv4::hex_lower(&sums.md5));
    let checksum = wanted.and_then(|(alg, _)| sums.get(alg));
    Uploads::put_part(
        &upload,
        Part {
            number: part_number,
            etag: etag.clone(),
            md5: sums.md5,
            size,
            last_modified: ctx.now,
            checksum: checksum.clone(),
            data,
        },
    );
    let mut x = Xml::with_declaration();
    x.open_ns("CopyPartResult", S3_NS)
        .elem("LastModified", &super::read::iso8601_ms(ctx.now))
        .elem("ETag", &etag);
    if let (Some((alg, _)), Some(sum)) = (wanted, &checksum) {
        x.elem(&format!("Checksum{}", alg.name()), sum);
    }
    x.close("CopyPartResult");
    xml_ok(x.finish())
}

/// Feed `range` (inclusive byte offsets; the whole object when `None`) of
/// `data` to `sink` in 64 KiB pieces; returns how many bytes went through.
pub(crate) fn copy_bytes(
    data: &ObjectData,
    range: Option<(u64, u64)>,
    mut sink: impl FnMut(&[u8]) -> ApiResult<()>,
) -> ApiResult<u64> {
    match data {
        ObjectData::Memory(bytes) => {
            let (start, end) = range.unwrap_or((0, (bytes.len() as u64).saturating_sub(1)));
            let slice = usize::try_from(start)
                .ok()
                .and_then(|s| bytes.get(s..=usize::try_from(end).ok()?))
                .unwrap_or_default();
            for chunk in slice.chunks(64 * 1024) {
                sink(chunk)?;
            }
            Ok(slice.len() as u64)
        }
        ObjectData::File(f) => {
            use std::io::Seek as _;
            let io =
                |e: std::io::Error| api_error!(InternalError).note(format!("reading a stored body: {e}"));
            let mut file = std::fs::File::open(f.path()).map_err(io)?;
            let (start, end) = match range {
                Some(r) => r,
                None => (0, file.metadata().map_err(io)?.len().saturating_sub(1)),
            };
            file.seek(std::io::SeekFrom::Start(start)).map_err(io)?;
            let mut left = (end + 1).saturating_sub(start);
            let mut total = 0;
            let mut buf = vec![0_u8; 64 * 1024];
            while left > 0 {
                let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
                let n = file.read(buf.get_mut(..want).unwrap_or_default()).map_err(io)?;
                if n == 0 {
                    break;
                }
                sink(buf.get(..n).unwrap_or_default())?;
                left -= n as u64;
                total += n as u64;
            }
            Ok(total)
        }
        ObjectData::Discarded => Err(ApiError::not_implemented(
            "reading object bytes from the digest-only store (copies and multipart completion need them)",
        )),
    }
}

/// One `<Part>` of a CompleteMultipartUpload body.
#[derive(Debug)]
struct ListedPart {
    number: u32,
    etag: String,
    checksum: Option<(Algorithm, String)>,
}

/// The part list of a CompleteMultipartUpload body, or MalformedXML.
fn listed_parts(body: &[u8]) -> ApiResult<Vec<ListedPart>> {
    let malformed = || api_error!(MalformedXML);
    let root = xml::parse(body).ok_or_else(malformed)?;
    if root.name != "CompleteMultipartUpload" {
        return Err(malformed());
    }
    let mut parts = Vec::new();
    for p in root.children_named("Part") {
        let number: u32 = p
            .child_text("PartNumber")
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(malformed)?;
        let etag = p.child_text("ETag").ok_or_else(malformed)?.trim().to_string();
        let checksum = checksum::ALGORITHMS.iter().find_map(|(alg, name, ..)| {
            p.child_text(&format!("Checksum{name}"))
                .map(|v| (*alg, v.trim().to_string()))
        });
        parts.push(ListedPart {
            number,
            etag,
            checksum,
        });
    }
    if parts.is_empty() || parts.len() > MAX_PARTS {
        return Err(malformed().note(format!("{} parts listed", parts.len())));
    }
    Ok(parts)
}

/// ETags compare without their quotes (clients send both forms).
fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

/// The parts to join, in order, once the list is checked against what was uploaded.
fn chosen_parts(upload: &Upload, listed: &[ListedPart], min_part: u64) -> ApiResult<Vec<Part>> {
    let mut chosen: Vec<Part> = Vec::with_capacity(listed.len());
    let mut last = 0;
    for (i, l) in listed.iter().enumerate() {
        if l.number <= last {
            return Err(api_error!(InvalidPartOrder));
        }
        last = l.number;
        let Some(part) = upload
            .parts
            .get(&l.number)
            .filter(|p| same_etag(&p.etag, &l.etag))
        else {
            return Err(api_error!(InvalidPart)
                .extra("UploadId", upload.id.clone())
                .extra("PartNumber", l.number.to_string())
                .extra("ETag", l.etag.clone()));
        };
        if let Some((alg, _)) = upload.template.checksum {
            match &l.checksum {
                Some((a, v)) if *a == alg && part.checksum.as_deref() == Some(v.as_str()) => {}
                Some(_) => {
                    return Err(api_error!(InvalidPart)
                        .extra("UploadId", upload.id.clone())
                        .extra("PartNumber", l.number.to_string())
                        .note("the part's checksum differs from the one uploaded"))
                }
                // "The upload was created using a sha1 checksum. The complete request must
                // include the checksum for each part. It was missing for part 1 in the
                // request." (observed: aws/aws-sdk-php#2648, apache/opendal#4580)
                None if upload.template.checksum.is_some_and(|(_, k)| k == ChecksumType::Composite) => {
                    return Err(api_error!(
                        InvalidRequest,
                        "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {} in the request.",
                        alg.name().to_ascii_lowercase(),
                        l.number
                    ))
                }
                None => {}
            }
        }
        let is_last = i + 1 == listed.len();
        if !is_last && part.size < min_part {
            return Err(api_error!(EntityTooSmall)
                .extra("ProposedSize", part.size.to_string())
                .extra("MinSizeAllowed", min_part.to_string())
                .extra("PartNumber", l.number.to_string())
                .extra("ETag", part.etag.clone()));
        }
        chosen.push(part.clone());
    }
    Ok(chosen)
}

/// CompleteMultipartUpload.
pub(crate) async fn complete<B>(
    r: &S3Request<'_>,
    ctx: &Ctx,
    body: B,
    upload_id: &str,
) -> ApiResult<Response<ResBody>>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    let upload = find(r, upload_id)?;
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    let body = super::read_small_body(r.emu, body, MAX_COMPLETE_BODY).await?;
    let listed = listed_parts(&body)?;
    let condition = put::write_condition(r)?;
    let (parts, template, key) = {
        let u = lock(&upload);
        (
            chosen_parts(&u, &listed, r.emu.config.min_part_size)?,
            u.template.clone(),
            u.key.clone(),
        )
    };
    let full_object = template
        .checksum
        .filter(|(_, k)| *k == ChecksumType::FullObject)
        .map(|(a, _)| a);
    let mut digests = checksum::AssemblyDigests::new(full_object.as_slice());
    let mut writer = r.emu.store.writer(&bucket.name, &key).map_err(put::store_error)?;
    let mut size = 0;
    for p in &parts {
        size += copy_bytes(&p.data, None, |chunk| {
            digests.update(chunk);
            writer.write(chunk).map_err(put::store_error)
        })?;
    }
    let sums = digests.finish();
    let mut md5s = md5::Md5::new();
    for p in &parts {
        md5s.update(p.md5);
    }
    let etag = ETag::multipart(
        md5s.finalize().into(),
        u32::try_from(parts.len()).unwrap_or(u32::MAX),
    );
    let checksums = object_checksum(&template, &parts, &sums);
    let meta = ObjectMeta {
        key: key.as_str().into(),
        size,
        etag,
        sha256: sums.sha256,
        last_modified: ctx.now,
        content_type: template.content_type.as_deref().map(CompactString::from),
        checksums,
        sse: template.sse,
        version_id: crate::store::VersionId::NULL,
        owner: template.owner.as_str().into(),
        storage_class: template.storage_class,
        extras: ObjectExtras {
            content_encoding: template.content_encoding.clone(),
            sse_kms_key: template.sse_kms_key.clone(),
            headers: template.headers.clone(),
            metadata: template.metadata.clone(),
            tags: template.tags.clone(),
            parts: parts.iter().map(|p| p.size).collect(),
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
    r.emu.uploads.remove(upload_id);
    complete_response(r, bucket, &stored.meta, versioned, template.checksum)
}

/// The object's checksum: COMPOSITE is the algorithm over the parts' raw
/// checksums with `-N`; FULL_OBJECT the algorithm over the whole body.
fn object_checksum(template: &Template, parts: &[Part], sums: &checksum::Sums) -> crate::store::Checksums {
    let mut out = crate::store::Checksums::new();
    let Some((alg, kind)) = template.checksum else {
        return out;
    };
    let value = match kind {
        ChecksumType::FullObject => sums.get(alg),
        ChecksumType::Composite => {
            let mut raw = Vec::new();
            for p in parts {
                if let Some(v) = p.checksum.as_deref() {
                    raw.extend(
                        base64::engine::general_purpose::STANDARD
                            .decode(v)
                            .unwrap_or_default(),
                    );
                }
            }
            let mut d = checksum::AssemblyDigests::new(&[alg]);
            d.update(&raw);
            d.finish().get(alg).map(|v| format!("{v}-{}", parts.len()))
        }
    };
    if let Some(v) = value {
        out.insert(alg, &v);
    }
    out
}

fn complete_response(
    r: &S3Request<'_>,
    bucket: &crate::world::Bucket,
    meta: &ObjectMeta,
    versioned: bool,
    checksum: Option<(Algorithm, ChecksumType)>,
) -> ApiResult<Response<ResBody>> {
    let host = r.header(http::header::HOST).unwrap_or("localhost");
    let mut x = Xml::with_declaration();
    x.open_ns("CompleteMultipartUploadResult", S3_NS)
        .elem("Location", &format!("http://{host}/{}/{}", bucket.name, meta.key))
        .elem("Bucket", &bucket.name)
        .elem("Key", &meta.key)
        .elem("ETag", meta.etag.quoted().as_str());
    if let Some((alg, kind)) = checksum {
        if let Some(v) = meta.checksums.get(alg) {
            x.elem(&format!("Checksum{}", alg.name()), v);
        }
        x.elem("ChecksumType", type_name(kind));
    }
    x.close("CompleteMultipartUploadResult");
    let mut res = Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/xml");
    if let Some(sse) = meta.sse {
        res = res.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION, sse.as_str());
    }
    if let Some(k) = &meta.extras().sse_kms_key {
        res = res.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION_AWS_KMS_KEY_ID, k.as_str());
    }
    if versioned {
        res = res.header(names::X_AMZ_VERSION_ID, meta.version_id.text().as_str());
    }
    res.body(full(x.finish()))
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

/// AbortMultipartUpload: 204, and the parts are gone.
pub(crate) fn abort(r: &S3Request<'_>, upload_id: &str) -> ApiResult<Response<ResBody>> {
    find(r, upload_id)?;
    r.emu.uploads.remove(upload_id);
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(empty())
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

/// ListParts: the parts received, in number order, `max-parts` (≤ 1000) at a
/// time after `part-number-marker`.
pub(crate) fn list_parts(r: &S3Request<'_>, upload_id: &str) -> ApiResult<Response<ResBody>> {
    let upload = find(r, upload_id)?;
    let u = lock(&upload);
    let q = |name| crate::route::query_get(r.query, name);
    let max: usize = q("max-parts")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .min(1000);
    let marker: u32 = q("part-number-marker").and_then(|v| v.parse().ok()).unwrap_or(0);
    let parts: Vec<&Part> = u
        .parts
        .range(marker.saturating_add(1)..)
        .map(|(_, p)| p)
        .collect();
    let page = parts.get(..max.min(parts.len())).unwrap_or_default();
    let truncated = parts.len() > page.len();
    let mut x = Xml::with_declaration();
    x.open_ns("ListPartsResult", S3_NS)
        .elem("Bucket", &u.bucket)
        .elem("Key", &u.key)
        .elem("UploadId", &u.id)
        .elem("PartNumberMarker", &marker.to_string())
        .elem(
            "NextPartNumberMarker",
            &page.last().map_or(marker, |p| p.number).to_string(),
        )
        .elem("MaxParts", &max.to_string())
        .elem("IsTruncated", if truncated { "true" } else { "false" });
    x.open("Initiator")
        .elem("ID", &u.initiator)
        .elem("DisplayName", &u.initiator)
        .close("Initiator");
    x.open("Owner")
        .elem("ID", &super::read::canonical_id(&u.template.owner))
        .close("Owner");
    x.elem("StorageClass", u.template.storage_class.as_str());
    if let Some((alg, kind)) = u.template.checksum {
        x.elem("ChecksumAlgorithm", alg.name())
            .elem("ChecksumType", type_name(kind));
    }
    for p in page {
        x.open("Part")
            .elem("PartNumber", &p.number.to_string())
            .elem("LastModified", &super::read::iso8601_ms(p.last_modified))
            .elem("ETag", &p.etag)
            .elem("Size", &p.size.to_string());
        if let (Some((alg, _)), Some(v)) = (u.template.checksum, &p.checksum) {
            x.elem(&format!("Checksum{}", alg.name()), v);
        }
        x.close("Part");
    }
    x.close("ListPartsResult");
    xml_ok(x.finish())
}

/// ListMultipartUploads: the bucket's uploads in progress, by key then initiation.
pub(crate) fn list_uploads(r: &S3Request<'_>) -> ApiResult<Response<ResBody>> {
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    let q = |name| crate::route::query_get(r.query, name);
    let prefix = q("prefix").unwrap_or("");
    let max: usize = q("max-uploads")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .min(1000);
    let uploads: Vec<_> = r
        .emu
        .uploads
        .list(Some(&bucket.name))
        .into_iter()
        .filter(|u| u.key.starts_with(prefix))
        .collect();
    let page = uploads.get(..max.min(uploads.len())).unwrap_or_default();
    let truncated = uploads.len() > page.len();
    let mut x = Xml::with_declaration();
    x.open_ns("ListMultipartUploadsResult", S3_NS)
        .elem("Bucket", &bucket.name)
        .elem("KeyMarker", "")
        .elem("UploadIdMarker", "")
        .elem("NextKeyMarker", page.last().map_or("", |u| u.key.as_str()))
        .elem("NextUploadIdMarker", page.last().map_or("", |u| u.id.as_str()))
        .elem("Prefix", prefix)
        .elem("MaxUploads", &max.to_string())
        .elem("IsTruncated", if truncated { "true" } else { "false" });
    for u in page {
        x.open("Upload").elem("Key", &u.key).elem("UploadId", &u.id);
        x.open("Initiator")
            .elem("ID", &u.initiator)
            .elem("DisplayName", &u.initiator)
            .close("Initiator");
        x.open("Owner")
            .elem("ID", &super::read::canonical_id(&u.owner))
            .close("Owner");
        x.elem("StorageClass", u.storage_class.as_str())
            .elem("Initiated", &super::read::iso8601_ms(u.initiated));
        if let Some(alg) = u.checksum_algorithm {
            x.elem("ChecksumAlgorithm", alg);
        }
        x.close("Upload");
    }
    x.close("ListMultipartUploadsResult");
    xml_ok(x.finish())
}

/// The part list of a CompleteMultipartUpload body ([`crate::fuzzing`]).
pub(crate) fn fuzz_listed_parts(body: &[u8]) -> ApiResult<usize> {
    listed_parts(body).map(|p| p.len())
}
