//! Decisions without the wire: what the server decides for a request once its
//! caller is authenticated, called directly.
//!
//! The server runs exactly these steps after SigV4 verification (routing, the
//! bucket lookup, the expected-bucket-owner check and [`crate::authz`] for S3;
//! parameter validation and the trust decision for AssumeRole). Differential
//! testing uses them to compare many decisions a second against a reference
//! model; end-to-end runs go through the server instead.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::api_error;
use crate::authn::{AuthFacts, Caller, Identity};
use crate::emulator::{Emulator, Session};
use crate::error::{ApiError, ApiResult};
use crate::iam::Decision;
use crate::request::{Ctx, Trace, WireIds};
use crate::world::World;

/// What a header-signed SigV4 request tells the condition keys
/// (`s3:signatureversion`, `s3:authType`, `s3:signatureAge`).
fn signed_facts() -> AuthFacts {
    AuthFacts {
        signature_version: Some("AWS4-HMAC-SHA256"),
        auth_type: Some("REST-HEADER"),
        signature_age_ms: Some(0),
        content_sha256: None,
        scope_region: None,
    }
}

/// The caller for an IAM user's long-term key, as authentication would build it.
pub fn user(world: &World, account: &str, name: &str) -> Option<Caller> {
    let u = world.user(account, name)?;
    Some(Caller {
        identity: Identity::User(Arc::clone(u)),
        access_key_id: u.access_keys.first().map(|k| k.id.as_str().into()),
        facts: signed_facts(),
        verified: None,
        payload: None,
    })
}

/// The caller for temporary credentials of `session`.
pub fn session(session: Arc<Session>) -> Caller {
    Caller {
        access_key_id: Some(session.access_key_id.as_str().into()),
        identity: Identity::Session(session),
        facts: signed_facts(),
        verified: None,
        payload: None,
    }
}

fn ctx(emu: &Emulator) -> Ctx {
    Ctx {
        ids: WireIds::default(),
        now: emu.clock().now(),
        peer: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        secure: None,
        trace: Trace::default(),
    }
}

/// Characters kept as-is in a key path segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Decide a path-style S3 request (`PUT`/`DELETE`/`GET`/`HEAD` on `bucket/key`)
/// with these headers. `Ok` carries the decision the request would proceed
/// with; `Err` the error S3 would answer (an `AccessDenied` carries its decision).
pub fn s3(
    emu: &Arc<Emulator>,
    caller: &Caller,
    method: &str,
    bucket: &str,
    key: &str,
    headers: &[(&str, &str)],
) -> ApiResult<Option<Arc<Decision>>> {
    s3_query(emu, caller, method, bucket, key, "", headers)
}

/// [`s3`] with a query string, already encoded (`uploadId=x`, `versionId=y`).
pub fn s3_query(
    emu: &Arc<Emulator>,
    caller: &Caller,
    method: &str,
    bucket: &str,
    key: &str,
    query: &str,
    headers: &[(&str, &str)],
) -> ApiResult<Option<Arc<Decision>>> {
    let path: String = key
        .split('/')
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    let target = format!(
        "/{}/{path}{}{query}",
        utf8_percent_encode(bucket, SEGMENT),
        if query.is_empty() { "" } else { "?" }
    );
    s3_target(emu, caller, method, &target, headers)
}

/// Decide an S3 request by its path and query as sent (`/` for ListBuckets,
/// `/bucket?list-type=2`).
pub fn s3_target(
    emu: &Arc<Emulator>,
    caller: &Caller,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> ApiResult<Option<Arc<Decision>>> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header(http::header::HOST, "127.0.0.1");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let (parts, ()) = builder
        .body(())
        .map_err(|e| api_error!(InternalError).note(format!("building the request: {e}")))?
        .into_parts();
    crate::pipeline::decide_s3(emu, &mut ctx(emu), caller, &parts)
}

/// Decide `AssumeRole` with these form parameters (`RoleArn`, `RoleSessionName`,
/// `ExternalId`, `Policy`, `Tags.member.N.Key`, …) at the `us-east-1` regional
/// endpoint. `Ok` carries the decision and the session AWS would issue, not
/// recorded in the emulator.
pub fn assume_role(
    emu: &Arc<Emulator>,
    caller: &Caller,
    params: &[(&str, &str)],
) -> Result<(Arc<Decision>, Session), ApiError> {
    let params = params.iter().copied().collect();
    let granted = crate::sts::grant_assume_role(emu, &ctx(emu), caller, params, "us-east-1")?;
    Ok((Arc::new(granted.decision), granted.session))
}
