//! The admin API under `/_emulator/` (no S3 bucket name can start with `_`):
//! drive the clock, look at objects, read the request log with each decision's
//! reason, inject faults and swap the world. JSON in, JSON out.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/_emulator/health` | `{"ok": true}` |
//! | GET | `/_emulator/clock` | `{"now": RFC 3339, "settable": bool}` |
//! | PUT | `/_emulator/clock` | body `{"now": RFC 3339}` sets a manual clock |
//! | POST | `/_emulator/clock/advance` | body `{"seconds": n}` or `{"by": "1h30m"}` |
//! | GET | `/_emulator/buckets` | buckets with account, region and object count |
//! | GET | `/_emulator/buckets/{bucket}/objects[?prefix=]` | object metadata |
//! | GET | `/_emulator/buckets/{bucket}/objects/{key}` | the object's bytes |
//! | GET | `/_emulator/cloudtrail[?limit=&since=]` | the same requests as CloudTrail records (`{"Records": [...]}`) |
//! | GET | `/_emulator/uploads` | multipart uploads in progress (bucket, key, parts, bytes) |
//! | GET | `/_emulator/log[?limit=&since=]` | recent requests, outcome and decision |
//! | GET | `/_emulator/log/{request-id}` | one request |
//! | DELETE | `/_emulator/log` | forget the log |
//! | GET, POST, DELETE | `/_emulator/faults` | list, add (a rule as JSON), clear |
//! | PUT | `/_emulator/world` | replace the world with a TOML world file (objects and sessions stay) |
//!
//! Who may call it ([`guard`]): every request but `GET /_emulator/health` carries
//! `Authorization: Bearer TOKEN` (the token `serve` prints, or
//! [`Emulator::admin_token`] in process), unless the emulator runs with
//! [`AdminAccess::Open`]. Whatever the token, a request is refused when its `Host`
//! is not a loopback name, an IP address or a configured host suffix (a page that
//! rebinds its own domain to 127.0.0.1 cannot get in), or when a browser marks it as
//! coming from another site (`Origin` other than the `Host`, `Sec-Fetch-Site:
//! cross-site`/`same-site`). Bodies over `Config::max_admin_body` (8 MiB) are
//! refused before they are read.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt;
use serde_json::json;

use crate::config::AdminAccess;
use crate::emulator::Emulator;
use crate::fault::FaultRule;
use crate::propagation::Propagation;
use crate::request::{full, ResBody};
use crate::route::{decode, query_get, query_pairs};
use crate::store::ObjectData;
use crate::util::rfc3339;
use crate::world::World;

fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<ResBody> {
    let mut r = Response::new(full(value.to_string()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", http::HeaderValue::from_static("application/json"));
    r
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response<ResBody> {
    json_response(status, &json!({ "error": message.to_string() }))
}

fn not_utf8() -> Response<ResBody> {
    error(
        StatusCode::BAD_REQUEST,
        "the path does not percent-decode to UTF-8",
    )
}

/// `90s`, `15m`, `1h30m`, `2d` ([`crate::util::parse_duration`]), or plain
/// seconds; never negative: the clock only moves forward.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Some(Duration::from_secs(n));
    }
    crate::util::parse_duration(s)
        .and_then(|secs| u64::try_from(secs).ok())
        .map(Duration::from_secs)
}

/// Answer an admin request.
pub(crate) async fn handle<B>(emu: &Arc<Emulator>, req: Request<B>) -> Response<ResBody>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    let (parts, body) = req.into_parts();
    if let Err(refused) = guard(emu, &parts) {
        return refused.response();
    }
    let body = match read_body(emu, &parts, body).await {
        Ok(b) => b,
        Err(refused) => return refused.response(),
    };
    let path = parts
        .uri
        .path()
        .trim_start_matches("/_emulator")
        .trim_start_matches('/')
        .to_string();
    let Ok(query) = query_pairs(parts.uri.query().unwrap_or("")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "the query does not percent-decode to UTF-8",
        );
    };
    let segments: Vec<&str> = path.splitn(4, '/').collect();
    let method = parts.method.as_str();
    match (method, segments.as_slice()) {
        ("GET", ["health"] | [""]) => json_response(StatusCode::OK, &json!({ "ok": true })),
        ("GET", ["clock"]) => clock(emu),
        ("PUT", ["clock"]) => set_clock(emu, &body),
        ("POST", ["clock", "advance"]) => advance_clock(emu, &body),
        ("GET", ["buckets"]) => buckets(emu),
        ("GET", ["uploads"]) => json_response(StatusCode::OK, &json!(emu.uploads.list(None))),
        ("GET", ["buckets", bucket, "objects"]) => {
            let Some(bucket) = decode(bucket) else {
                return not_utf8();
            };
            let prefix = query_get(&query, "prefix").unwrap_or("");
            let metas = emu.store.list(&bucket, prefix, None, usize::MAX);
            json_response(StatusCode::OK, &json!(metas))
        }
        ("GET", ["buckets", bucket, "objects", key]) => match (decode(bucket), decode(key)) {
            (Some(bucket), Some(key)) => object(emu, &bucket, &key),
            _ => not_utf8(),
        },
        ("GET", ["log"]) => {
            let limit = query_get(&query, "limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(100);
            let since = query_get(&query, "since").and_then(|l| l.parse().ok());
            json_response(StatusCode::OK, &json!(emu.log.recent(limit, since)))
        }
        ("GET", ["cloudtrail"]) => {
            let limit = query_get(&query, "limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(100);
            let since = query_get(&query, "since").and_then(|l| l.parse().ok());
            json_response(
                StatusCode::OK,
                &crate::cloudtrail::records(&emu.log.recent(limit, since)),
            )
        }
        ("GET", ["log", id]) => match emu.log.find(id) {
            Some(e) => json_response(StatusCode::OK, &json!(e)),
            None => error(StatusCode::NOT_FOUND, format!("no request `{id}` in the log")),
        },
        ("DELETE", ["log"]) => {
            emu.log.clear();
            json_response(StatusCode::OK, &json!({ "cleared": true }))
        }
        ("GET", ["faults"]) => faults(emu),
        ("POST", ["faults"]) => add_fault(emu, &body),
        ("DELETE", ["faults"]) => {
            emu.faults.clear();
            json_response(StatusCode::OK, &json!({ "cleared": true }))
        }
        ("PUT", ["world"]) => replace_world(emu, &body, &query),
        ("GET", ["world", "pending"]) => json_response(StatusCode::OK, &json!(emu.pending_changes())),
        ("POST", ["oidc", "token"]) => mint_token(emu, &body),
        _ => error(
            StatusCode::NOT_FOUND,
            format!("no admin endpoint {method} /_emulator/{path}"),
        ),
    }
}

/// The body, refused over `Config::max_admin_body`: from `Content-Length` before
/// reading, or as soon as a chunked body passes the cap.
async fn read_body<B>(emu: &Emulator, parts: &http::request::Parts, mut body: B) -> Result<Bytes, Refusal>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    let cap = emu.config.max_admin_body;
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("admin request bodies are limited to {cap} bytes"),
        )
    };
    let announced = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut read = Vec::new();
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Some(data) = frame.data_ref() {
                    if read.len() + data.len() > cap {
                        return Err(too_large());
                    }
                    read.extend_from_slice(data);
                }
            }
            Err(e) => {
                return Err(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    format!("reading the body: {e}"),
                ))
            }
        }
    }
    Ok(Bytes::from(read))
}

fn faults(emu: &Emulator) -> Response<ResBody> {
    let rules: Vec<_> = emu
        .faults
        .list()
        .into_iter()
        .map(|(rule, matched, fired)| json!({ "rule": rule, "matched": matched, "fired": fired }))
        .collect();
    json_response(StatusCode::OK, &json!(rules))
}

/// A fault rule as JSON; an unknown error code or a bad status is refused here,
/// with serde's line and column.
fn add_fault(emu: &Emulator, body: &[u8]) -> Response<ResBody> {
    match serde_json::from_slice::<FaultRule>(body) {
        Ok(rule) => {
            emu.faults.add(rule);
            json_response(StatusCode::OK, &json!({ "added": true }))
        }
        Err(e) => error(StatusCode::BAD_REQUEST, format!("fault rule: {e}")),
    }
}

/// `POST /_emulator/oidc/token` with `{"issuer": "https://…", "claims": {…}, "kid": "…"}`
/// (`kid` optional): a web identity token as that provider would sign it, for
/// `AssumeRoleWithWebIdentity` from any client (`{"token": "…"}`).
fn mint_token(emu: &Emulator, body: &[u8]) -> Response<ResBody> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct MintRequest {
        issuer: String,
        #[serde(default)]
        claims: serde_json::Map<String, serde_json::Value>,
        #[serde(default)]
        kid: Option<String>,
    }
    let req = match serde_json::from_slice::<MintRequest>(body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("token request: {e}")),
    };
    match emu.mint_web_identity_token(&req.issuer, req.kid.as_deref(), req.claims) {
        Ok(token) => json_response(StatusCode::OK, &json!({ "token": token })),
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

/// `PUT /_emulator/world[?propagation=15s|5s..30s[&seed=N][&label=…]]`: replace the
/// world at once, or as IAM propagates a change: requests see the new world only
/// after the delay ([`crate::propagation`]).
fn replace_world(emu: &Emulator, body: &[u8], query: &[(String, String)]) -> Response<ResBody> {
    let Ok(text) = std::str::from_utf8(body) else {
        return error(StatusCode::BAD_REQUEST, "a world file is UTF-8 TOML");
    };
    let seed = match query_get(query, "seed").map(str::parse::<u64>) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "`seed` is a whole number"),
    };
    let propagation = match query_get(query, "propagation") {
        None if seed.is_some() => {
            return error(
                StatusCode::BAD_REQUEST,
                "`seed` picks a `propagation` delay: give one",
            )
        }
        None => None,
        Some(p) => match Propagation::parse(p, seed) {
            Ok(p) => Some(p),
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("propagation: {e}")),
        },
    };
    let world = match World::from_toml("world (admin API)", text) {
        Ok(w) => w,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    match propagation {
        None => {
            emu.replace_world(world);
            json_response(StatusCode::OK, &json!({ "replaced": true }))
        }
        Some(p) => {
            let label = query_get(query, "label").unwrap_or("world replaced (admin API)");
            emu.replace_world_propagating(world, label, p);
            json_response(
                StatusCode::OK,
                &json!({ "replaced": true, "pending": emu.pending_changes() }),
            )
        }
    }
}

/// Why the admin API refuses a request.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn response(self) -> Response<ResBody> {
        let mut r = error(self.status, self.message);
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert("www-authenticate", http::HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// Who may call the admin API (see the module docs).
fn guard(emu: &Emulator, parts: &http::request::Parts) -> Result<(), Refusal> {
    let header = |name: http::header::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let host = header(http::header::HOST)
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(ToString::to_string))
        .unwrap_or_default();
    if !is_local_host(&host, &emu.config.host_suffixes) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "the admin API answers only requests addressed to a loopback name, an IP address \
                 or a configured host suffix, not `{host}`"
            ),
        ));
    }
    if let Some(origin) = parts.headers.get(http::header::ORIGIN) {
        let same = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(&host));
        if !same {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "the admin API refuses requests a browser sends from another origin",
            ));
        }
    }
    if matches!(
        header(http::HeaderName::from_static("sec-fetch-site")),
        Some("cross-site" | "same-site")
    ) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "the admin API refuses requests a browser sends from another site",
        ));
    }
    let health = parts.method == http::Method::GET
        && matches!(
            parts.uri.path().trim_end_matches('/'),
            "/_emulator" | "/_emulator/health"
        );
    let AdminAccess::Token(token) = &emu.config.admin else {
        return Ok(());
    };
    if health {
        return Ok(());
    }
    let given = header(http::header::AUTHORIZATION).and_then(|a| a.strip_prefix("Bearer "));
    let matches = given.is_some_and(|g| {
        use subtle::ConstantTimeEq as _;
        g.len() == token.len() && bool::from(g.as_bytes().ct_eq(token.as_bytes()))
    });
    if matches {
        return Ok(());
    }
    Err(Refusal::new(
        StatusCode::UNAUTHORIZED,
        if given.is_some() {
            "wrong admin token"
        } else {
            "the admin API needs `Authorization: Bearer TOKEN` (the token `emulator serve` printed)"
        },
    ))
}

/// `localhost`, a name under `.localhost`, an IP address, or a name under a
/// configured host suffix, with any port. A DNS-rebinding page reaches the port
/// under its own domain name, which is none of these.
pub fn is_local_host(host: &str, suffixes: &[String]) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(h, _)| h)
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return false;
    }
    if name.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let under = |suffix: &str| {
        let suffix = suffix.to_ascii_lowercase();
        name == suffix
            || name
                .strip_suffix(suffix.as_str())
                .is_some_and(|front| front.ends_with('.'))
    };
    under("localhost") || suffixes.iter().any(|s| under(s))
}

fn clock(emu: &Emulator) -> Response<ResBody> {
    let settable = emu.clock.set(emu.clock.now()).is_ok();
    json_response(
        StatusCode::OK,
        &json!({ "now": rfc3339(emu.clock.now()), "settable": settable }),
    )
}

fn set_clock(emu: &Emulator, body: &[u8]) -> Response<ResBody> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Set {
        now: String,
    }
    let parsed: Set = match serde_json::from_slice(body) {
        Ok(s) => s,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"now\": \"RFC 3339\"}}: {e}"),
            )
        }
    };
    let at = match time::OffsetDateTime::parse(&parsed.now, &time::format_description::well_known::Rfc3339) {
        Ok(t) => t,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("`{}` is not RFC 3339: {e}", parsed.now),
            )
        }
    };
    match emu.clock.set(at) {
        Ok(()) => clock(emu),
        Err(e) => error(StatusCode::CONFLICT, e),
    }
}

fn advance_clock(emu: &Emulator, body: &[u8]) -> Response<ResBody> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Advance {
        seconds: Option<u64>,
        by: Option<String>,
    }
    let parsed: Advance = match serde_json::from_slice(body) {
        Ok(a) => a,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"seconds\": n}} or {{\"by\": \"1h\"}}: {e}"),
            )
        }
    };
    let by = match (parsed.seconds, parsed.by.as_deref()) {
        (Some(s), None) => Duration::from_secs(s),
        (None, Some(text)) => match parse_duration(text) {
            Some(d) => d,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!("`{text}` is not a duration like 90s, 15m, 1h30m"),
                )
            }
        },
        _ => return error(StatusCode::BAD_REQUEST, "give exactly one of `seconds` or `by`"),
    };
    match emu.clock.advance(by) {
        Ok(_) => clock(emu),
        Err(e) => error(StatusCode::CONFLICT, e),
    }
}

fn buckets(emu: &Emulator) -> Response<ResBody> {
    let world = emu.world();
    let list: Vec<_> = world
        .buckets
        .iter()
        .map(|b| {
            json!({
                "name": b.name,
                "account": b.account,
                "region": b.region,
                "objects": emu.store.list(&b.name, "", None, usize::MAX).len(),
            })
        })
        .collect();
    json_response(StatusCode::OK, &json!(list))
}

fn object(emu: &Emulator, bucket: &str, key: &str) -> Response<ResBody> {
    let Some(obj) = emu.store.get(bucket, key) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no object `{key}` in bucket `{bucket}`"),
        );
    };
    let data = match &obj.data {
        ObjectData::Memory(b) => b.clone(),
        ObjectData::File(f) => match std::fs::read(f.path()) {
            Ok(d) => Bytes::from(d),
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
        },
        ObjectData::Discarded => return error(StatusCode::CONFLICT, "the digest-only store keeps no bytes"),
    };
    let mut r = Response::new(full(data));
    if let Ok(v) = http::HeaderValue::from_str(obj.meta.etag.quoted().as_str()) {
        r.headers_mut().insert("etag", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Some(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("5m3"), None);
        assert_eq!(parse_duration("-5m"), None);
    }

    #[test]
    fn local_hosts() {
        let suffixes = vec!["localhost".to_string(), "amazonaws.com".to_string()];
        for ok in [
            "localhost",
            "localhost:9000",
            "lake.localhost:9000",
            "127.0.0.1:4566",
            "10.0.0.5:80",
            "[::1]:9000",
            "s3.amazonaws.com",
            "LAKE.S3.LOCALHOST.",
        ] {
            assert!(is_local_host(ok, &suffixes), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:9000",
            "localhost.evil.example",
            "notlocalhost",
            "amazonaws.com.evil.example",
        ] {
            assert!(!is_local_host(bad, &suffixes), "{bad}");
        }
    }
}
