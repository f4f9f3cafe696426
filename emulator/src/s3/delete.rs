//! DeleteObject: 204 whether or not the key exists; a delete marker in a
//! versioned bucket. DeleteObjects: the same for up to 1,000 keys named in an
//! XML body, each authorized on its own, with a `<Deleted>` or `<Error>` per key.

use base64::Engine as _;
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body::Body;
use md5::Digest as _;

use super::checksum::{self, Digests};
use super::S3Request;
use crate::api_error;
use crate::error::{ApiError, ApiResult};
use crate::protocol::names;
use crate::protocol::xml::{self, Xml, S3_NS};
use crate::request::{empty, full, Ctx, ResBody};
use crate::world::Versioning;

/// The most keys one DeleteObjects names (S3 API reference).
const MAX_KEYS: usize = 1000;
/// The largest DeleteObjects body the emulator reads: 1,000 keys of 1,024 bytes,
/// escaped, with their versions.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// What deleting one key did.
#[derive(Debug, Default)]
struct Deleted {
    version_id: Option<String>,
    delete_marker: Option<String>,
}

fn delete_key(r: &S3Request<'_>, ctx: &Ctx, key: &str, version_id: Option<&str>) -> ApiResult<Deleted> {
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    if let Some(v) = version_id {
        // Permanently deleting a version under Object Lock retention is refused
        // (misconfigs.md M45: "Access Denied because object protected by object lock.").
        if bucket.object_lock.is_some() {
            return Err(api_error!(
                AccessDenied,
                "Access Denied because object protected by object lock."
            )
            .note("the bucket has Object Lock default retention"));
        }
        r.emu.store.delete_version(&bucket.name, key, v);
        return Ok(Deleted {
            version_id: Some(v.to_string()),
            delete_marker: None,
        });
    }
    let versioned = bucket.versioning != Versioning::Unversioned;
    let out = r.emu.store.delete(&bucket.name, key, versioned, ctx.now);
    Ok(Deleted {
        version_id: None,
        delete_marker: out.delete_marker,
    })
}

pub(crate) fn delete_object(
    r: &S3Request<'_>,
    ctx: &Ctx,
    version_id: Option<&str>,
) -> ApiResult<Response<ResBody>> {
    let key = r.target.key.as_deref().unwrap_or("");
    let done = delete_key(r, ctx, key, version_id)?;
    let mut res = Response::builder().status(StatusCode::NO_CONTENT);
    if let Some(v) = &done.version_id {
        res = res.header(names::X_AMZ_VERSION_ID, v.as_str());
    }
    if let Some(marker) = &done.delete_marker {
        res = res
            .header(names::X_AMZ_DELETE_MARKER, "true")
            .header(names::X_AMZ_VERSION_ID, marker.as_str());
    }
    res.body(empty())
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

/// One `<Object>` of a DeleteObjects body.
#[derive(Debug)]
struct Named {
    key: String,
    version_id: Option<String>,
}

/// The body's keys and `Quiet`, or MalformedXML.
fn named(body: &[u8]) -> ApiResult<(Vec<Named>, bool)> {
    let malformed = || api_error!(MalformedXML);
    let root = xml::parse(body).ok_or_else(malformed)?;
    if root.name != "Delete" {
        return Err(malformed());
    }
    let quiet = match root.child_text("Quiet").map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(malformed()),
    };
    let mut keys = Vec::new();
    for o in root.children_named("Object") {
        let key = o.child_text("Key").ok_or_else(malformed)?.to_string();
        let version_id = o.child_text("VersionId").map(str::to_string);
        keys.push(Named { key, version_id });
    }
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(malformed().note(format!("{} keys named (1 to {MAX_KEYS})", keys.len())));
    }
    Ok((keys, quiet))
}

/// `Content-MD5` or an `x-amz-checksum-*` header is required and must match
/// (S3 API reference, DeleteObjects; the missing-header text is inferred from
/// clients' reports).
fn check_integrity(r: &S3Request<'_>, body: &[u8]) -> ApiResult<()> {
    let md5 = r.header("content-md5");
    let flexible = checksum::ALGORITHMS
        .iter()
        .find_map(|(alg, ..)| r.header(alg.header_name()).map(|v| (*alg, v.trim())));
    if md5.is_none() && flexible.is_none() {
        return Err(api_error!(
            InvalidRequest,
            "Missing required header for this request: Content-Md5."
        ));
    }
    if let Some(sent) = md5 {
        let computed = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body));
        if sent.trim() != computed {
            return Err(api_error!(BadDigest)
                .extra("ExpectedDigest", sent)
                .extra("CalculatedDigest", computed));
        }
    }
    if let Some((alg, sent)) = flexible {
        let mut d = Digests::new(&[alg]);
        d.update(body);
        let finished = d.finish();
        let computed = finished.get(alg).unwrap_or_default();
        if sent != computed {
            return Err(api_error!(
                BadDigest,
                "The {} you specified did not match the calculated checksum.",
                alg.name()
            ));
        }
    }
    Ok(())
}

/// DeleteObjects. `authorize` decides each key as a DeleteObject (or, with a
/// version, DeleteObjectVersion) would be decided: a denied key is an `<Error>`
/// in the answer, not a failed request.
pub(crate) async fn delete_objects<B>(
    r: &S3Request<'_>,
    ctx: &Ctx,
    body: B,
    authorize: &(dyn Fn(&str, Option<&str>) -> ApiResult<()> + Sync),
) -> ApiResult<Response<ResBody>>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    let body = super::read_small_body(r.emu, body, MAX_BODY).await?;
    check_integrity(r, &body)?;
    let (keys, quiet) = named(&body)?;
    let mut x = Xml::with_declaration();
    x.open_ns("DeleteResult", S3_NS);
    for k in &keys {
        let version = k.version_id.as_deref();
        match authorize(&k.key, version).and_then(|()| delete_key(r, ctx, &k.key, version)) {
            Ok(done) => {
                if quiet {
                    continue;
                }
                x.open("Deleted").elem("Key", &k.key);
                if let Some(v) = &done.version_id {
                    x.elem("VersionId", v);
                }
                if let Some(m) = &done.delete_marker {
                    x.elem("DeleteMarker", "true").elem("DeleteMarkerVersionId", m);
                }
                x.close("Deleted");
            }
            Err(e) => {
                x.open("Error").elem("Key", &k.key);
                if let Some(v) = version {
                    x.elem("VersionId", v);
                }
                x.elem("Code", e.code.as_str())
                    .elem("Message", &e.wire_message(crate::protocol::codes::Service::S3))
                    .close("Error");
                tracing::debug!(key = %k.key, note = e.log_note().unwrap_or_default(), "DeleteObjects: key refused");
            }
        }
    }
    x.close("DeleteResult");
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(full(x.finish()))
        .map_err(|e: http::Error| {
            ApiError::from(crate::protocol::codes::Code::InternalError).note(e.to_string())
        })
}

/// The keys of a DeleteObjects body ([`crate::fuzzing`]).
pub(crate) fn fuzz_named(body: &[u8]) -> ApiResult<usize> {
    named(body).map(|(k, _)| k.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_bodies_parse_keys_versions_and_quiet() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Quiet>true</Quiet>
  <Object><Key> spaced &amp; key </Key></Object>
  <Object><Key>v</Key><VersionId>v1</VersionId></Object>
</Delete>"#;
        let (keys, quiet) = named(body).unwrap();
        assert!(quiet);
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].key, " spaced & key ");
        assert_eq!(keys[1].version_id.as_deref(), Some("v1"));
        for bad in [
            &b"<Delete></Delete>"[..],
            b"<Delete><Object></Object></Delete>",
            b"<Delete><Object><Key>a</Key></Object>",
            b"<Other><Object><Key>a</Key></Object></Other>",
            b"<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>",
            b"<!DOCTYPE x [<!ENTITY a 'b'>]><Delete><Object><Key>&a;</Key></Object></Delete>",
        ] {
            assert_eq!(
                named(bad).unwrap_err().code.as_str(),
                "MalformedXML",
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let many: String = (0..1001)
            .map(|i| format!("<Object><Key>{i}</Key></Object>"))
            .collect();
        assert!(named(format!("<Delete>{many}</Delete>").as_bytes()).is_err());
    }
}
