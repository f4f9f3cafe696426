//! Bad input through a running emulator: every malformed request gets S3's
//! error, never a panic or a hang, and the server keeps serving afterwards.
//! Requests are signed with the `aws-sigv4` crate (the AWS SDK's signer), then
//! bent the way a broken client would.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, PayloadChecksumKind, SignableBody, SignableRequest};
use emulator::{Clock, Config, ManualClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const T0: &str = "2026-06-01T12:00:00Z";

fn t0() -> time::OffsetDateTime {
    time::OffsetDateTime::parse(T0, &time::format_description::well_known::Rfc3339).unwrap()
}

fn world_with_session() -> String {
    format!(
        "{}\n{}",
        common::WORLD,
        r#"
[[roles]]
account = "customer"
name = "writer-role"
trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}'''
policies = [{ name = "w", document = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::lake/*"}]}''' }]

[[credentials]]
access_key_id = "ASIATEMPORARYEXAMPLE"
secret = "temporary-secret"
session_token = "session-token-for-the-robustness-test"
expires = "2026-06-01T13:00:00Z"
role = "customer/writer-role"
session_name = "robust"
issued_in_region = "eu-west-1"
"#
    )
}

/// Sign a PUT to `/lake/{key}` at `at` with the SDK's signer; return the head lines and body.
fn signed_put(
    key: &str,
    body: &[u8],
    extra: &[(&str, &str)],
    at: SystemTime,
    creds: (&str, &str, Option<&str>),
) -> (Vec<String>, Vec<u8>) {
    signed_put_as(key, body, extra, at, creds, None)
}

/// As [`signed_put`], with a precomputed payload hash (`STREAMING-…` modes).
fn signed_put_as(
    key: &str,
    body: &[u8],
    extra: &[(&str, &str)],
    at: SystemTime,
    creds: (&str, &str, Option<&str>),
    payload: Option<&str>,
) -> (Vec<String>, Vec<u8>) {
    signed(
        key,
        body,
        extra,
        at,
        creds,
        payload,
        PayloadChecksumKind::XAmzSha256,
    )
}

fn signed(
    key: &str,
    body: &[u8],
    extra: &[(&str, &str)],
    at: SystemTime,
    creds: (&str, &str, Option<&str>),
    payload: Option<&str>,
    hash_header: PayloadChecksumKind,
) -> (Vec<String>, Vec<u8>) {
    let host = "127.0.0.1:9";
    let uri = format!("http://{host}/lake/{key}");
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.into()),
        ("content-length".into(), body.len().to_string()),
    ];
    headers.extend(extra.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())));
    let mut settings = testkit::sign::s3(false);
    settings.payload_checksum_kind = hash_header;
    let identity = Credentials::new(creds.0, creds.1, creds.2.map(str::to_string), None, "robust").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("s3")
        .time(at)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable_body = match payload {
        Some(p) => SignableBody::Precomputed(p.to_string()),
        None => SignableBody::Bytes(body),
    };
    let signable = SignableRequest::new(
        "PUT",
        uri.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        signable_body,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (n, v) in instructions.headers() {
        headers.push((n.to_string(), v.to_string()));
    }
    let mut head = vec![format!("PUT /lake/{key} HTTP/1.1")];
    head.extend(headers.iter().map(|(n, v)| format!("{n}: {v}")));
    (head, body.to_vec())
}

fn at_t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(t0().unix_timestamp() as u64)
}

fn user() -> (&'static str, &'static str, Option<&'static str>) {
    (common::AKID, common::SECRET, None)
}

fn bytes(head: &[String], body: &[u8]) -> Vec<u8> {
    let mut out = head.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
    out
}

/// Write `raw`, then read one response (status, body); `None` if the server closed.
async fn exchange(addr: SocketAddr, raw: &[u8]) -> Option<(u16, String)> {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(raw).await.unwrap();
    read_response(&mut s).await
}

/// Read one response (status, body) from `s`; `None` if the server closed.
async fn read_response(s: &mut tokio::net::TcpStream) -> Option<(u16, String)> {
    let mut buf = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut chunk = [0u8; 8192];
        let n = match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Err(_) => panic!("no response within 10 s: the server hangs"),
            Ok(Err(_)) | Ok(Ok(0)) => break,
            Ok(Ok(n)) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..p]).to_string();
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                })
                .unwrap_or(0);
            if buf.len() >= p + 4 + len {
                let status = head.split(' ').nth(1)?.parse().ok()?;
                return Some((
                    status,
                    String::from_utf8_lossy(&buf[p + 4..p + 4 + len]).to_string(),
                ));
            }
        }
    }
    None
}

fn code(body: &str) -> &str {
    body.split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or("")
}

async fn expect(addr: SocketAddr, raw: Vec<u8>, status: u16, want: &str) -> String {
    let (s, body) = exchange(addr, &raw)
        .await
        .unwrap_or_else(|| panic!("connection closed, expected {status} {want}"));
    assert_eq!((s, code(&body)), (status, want), "{body}");
    body
}

/// The server still answers a good request (nothing panicked or wedged).
async fn still_serving(addr: SocketAddr) {
    let (head, body) = signed_put("alive.txt", b"ok", &[], at_t0(), user());
    expect(addr, bytes(&head, &body), 200, "").await;
}

async fn start(config: Config) -> (emulator::Running, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(t0()));
    (
        common::start_with(&world_with_session(), clock.clone(), config).await,
        clock,
    )
}

#[tokio::test]
async fn malformed_authorization_headers_get_s3_errors() {
    let (emu, _) = start(Config::default()).await;
    let (head, body) = signed_put("k", b"data", &[], at_t0(), user());
    let replace_auth = |value: &str| {
        let mut h: Vec<String> = head
            .iter()
            .filter(|l| !l.to_ascii_lowercase().starts_with("authorization:"))
            .cloned()
            .collect();
        h.push(format!("Authorization: {value}"));
        bytes(&h, &body)
    };
    expect(
        emu.addr,
        replace_auth("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260601/eu-west-1/s3/aws4_request"),
        400,
        "AuthorizationHeaderMalformed",
    )
    .await;
    expect(
        emu.addr,
        replace_auth("Basic dXNlcjpwYXNz"),
        400,
        "InvalidArgument",
    )
    .await;
    expect(
        emu.addr,
        replace_auth("AWS AKIAIOSFODNN7EXAMPLE:c2lnbmF0dXJl"),
        400,
        "InvalidRequest",
    )
    .await;
    expect(
        emu.addr,
        replace_auth("AWS4-HMAC-SHA256 Credential=short, SignedHeaders=host, Signature=00"),
        400,
        "AuthorizationHeaderMalformed",
    )
    .await;
    expect(
        emu.addr,
        replace_auth(&"AWS4-HMAC-SHA256 ".repeat(400)),
        400,
        "AuthorizationHeaderMalformed",
    )
    .await;
    // Over 8 KiB of headers, the size is what S3 answers first.
    expect(
        emu.addr,
        replace_auth(&"AWS4-HMAC-SHA256 ".repeat(500)),
        400,
        "RequestHeaderSectionTooLarge",
    )
    .await;
    still_serving(emu.addr).await;
}

#[tokio::test]
async fn bad_dates_and_skew() {
    let (emu, clock) = start(Config::default()).await;
    let (head, body) = signed_put("k", b"data", &[], at_t0(), user());
    let with_date = |d: &str| {
        let h: Vec<String> = head
            .iter()
            .map(|l| {
                if l.to_ascii_lowercase().starts_with("x-amz-date:") {
                    format!("x-amz-date: {d}")
                } else {
                    l.clone()
                }
            })
            .collect();
        bytes(&h, &body)
    };
    // Not a date at all: no valid date header, S3 answers 403 AccessDenied.
    let b = expect(emu.addr, with_date("yesterday"), 403, "AccessDenied").await;
    assert!(b.contains("valid Date or x-amz-date"), "{b}");
    // A real date that is not the signed one: the signature breaks.
    expect(
        emu.addr,
        with_date("20260601T120001Z"),
        403,
        "SignatureDoesNotMatch",
    )
    .await;
    // The clock 16 minutes ahead of the signature.
    clock.advance(Duration::from_secs(16 * 60)).unwrap();
    let b = expect(emu.addr, bytes(&head, &body), 403, "RequestTimeTooSkewed").await;
    assert!(
        b.contains("<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>"),
        "{b}"
    );
    clock.set(t0()).unwrap();
    still_serving(emu.addr).await;
}

#[tokio::test]
async fn missing_payload_hash_and_unsigned_amz_headers() {
    let (emu, _) = start(Config::default()).await;
    // A client that neither sends nor signs x-amz-content-sha256 (aws/aws-cli#2138).
    let (without, body) = signed(
        "k",
        b"data",
        &[],
        at_t0(),
        user(),
        None,
        PayloadChecksumKind::NoHeader,
    );
    assert!(!without
        .iter()
        .any(|l| l.to_ascii_lowercase().starts_with("x-amz-content-sha256")));
    let b = expect(emu.addr, bytes(&without, &body), 400, "InvalidRequest").await;
    assert!(
        b.contains("Missing required header for this request: x-amz-content-sha256"),
        "{b}"
    );
    let (mut with_unsigned, body) = signed_put("k", b"data", &[], at_t0(), user());
    with_unsigned.push("x-amz-acl: bucket-owner-full-control".into());
    let b = expect(emu.addr, bytes(&with_unsigned, &body), 403, "AccessDenied").await;
    assert!(
        b.contains("<HeadersNotSigned>x-amz-acl</HeadersNotSigned>"),
        "{b}"
    );
}

#[tokio::test]
async fn expired_session_tokens_are_refused_once_the_clock_passes_expiry() {
    let (emu, clock) = start(Config::default()).await;
    let creds = (
        "ASIATEMPORARYEXAMPLE",
        "temporary-secret",
        Some("session-token-for-the-robustness-test"),
    );
    let (head, body) = signed_put("session.txt", b"data", &[], at_t0(), creds);
    expect(emu.addr, bytes(&head, &body), 200, "").await;
    // One hour later the session has expired; sign anew so only expiry is at fault.
    clock.advance(Duration::from_secs(3600)).unwrap();
    let later = at_t0() + Duration::from_secs(3600);
    let (head, body) = signed_put("session.txt", b"data", &[], later, creds);
    let b = expect(emu.addr, bytes(&head, &body), 400, "ExpiredToken").await;
    assert!(
        b.contains("<Token-0>session-token-for-the-robustness-test</Token-0>"),
        "{b}"
    );
}

#[tokio::test]
async fn broken_and_oversized_chunk_framing() {
    let (emu, _) = start(Config::default()).await;
    // A correctly signed STREAMING-UNSIGNED-PAYLOAD-TRAILER request whose aws-chunked
    // body is broken: the signature passes, the framing does not.
    let stream = |body: &[u8]| {
        let (head, body) = signed_put_as(
            "chunked",
            body,
            &[
                ("content-encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "5"),
                ("x-amz-trailer", "x-amz-checksum-crc32"),
            ],
            at_t0(),
            user(),
            Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        );
        bytes(&head, &body)
    };
    let good = b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
    expect(emu.addr, stream(good), 200, "").await;
    // Bad hex in the size line, a size line longer than any real one, a chunk size
    // beyond 5 GiB: each is refused with an error, not buffered or hung on.
    for body in [
        b"zz\r\nhello\r\n0\r\n\r\n".to_vec(),
        format!("{}\r\n", "f".repeat(10_000)).into_bytes(),
        b"ffffffffff\r\nhello".to_vec(),
        b"5\r\nhel".to_vec(),
    ] {
        let (status, resp) = exchange(emu.addr, &stream(&body)).await.expect("an answer");
        assert!((400..500).contains(&status), "{status} {resp}");
        assert!(!code(&resp).is_empty(), "{resp}");
    }
    assert!(emu
        .emulator
        .store()
        .get("lake", "chunked")
        .is_some_and(|o| o.meta.size == 5));
    still_serving(emu.addr).await;
}

#[tokio::test]
async fn huge_headers_get_an_error_not_a_crash() {
    let (emu, _) = start(Config::default()).await;
    let big = "x".repeat(9 * 1024);
    let (head, body) = signed_put("k", b"data", &[("x-amz-meta-big", &big)], at_t0(), user());
    let b = expect(emu.addr, bytes(&head, &body), 400, "RequestHeaderSectionTooLarge").await;
    assert!(b.contains("<MaxSizeAllowed>8192</MaxSizeAllowed>"), "{b}");
    // Unsigned: S3's limit comes before authentication, so an anonymous request
    // gets the size error, not AccessDenied.
    let unsigned = format!("GET /lake/k HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    expect(
        emu.addr,
        unsigned.into_bytes(),
        400,
        "RequestHeaderSectionTooLarge",
    )
    .await;
    // Past what the HTTP layer parses (1 MiB, or more fields than it indexes):
    // S3's error in S3's XML, not the HTTP library's bare 431.
    let mut raw = b"PUT /lake/k HTTP/1.1\r\nHost: x\r\nX-Huge: ".to_vec();
    raw.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
    raw.extend_from_slice(b"\r\n\r\n");
    let (s, b) = exchange(emu.addr, &raw)
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!((s, code(&b)), (400, "RequestHeaderSectionTooLarge"), "{b}");
    assert!(
        b.contains("<RequestId>") && b.contains("<MaxSizeAllowed>8192</MaxSizeAllowed>"),
        "{b}"
    );
    let many: String = (0..300).map(|i| format!("x-h{i}: v\r\n")).collect();
    let raw = format!("GET /lake/k HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    let (s, b) = exchange(emu.addr, raw.as_bytes()).await.expect("an answer");
    assert_eq!((s, code(&b)), (400, "RequestHeaderSectionTooLarge"), "{b}");
    // 200 small fields are under both limits: a request like any other.
    let fields: Vec<(String, String)> = (0..200).map(|i| (format!("x-f{i}"), "v".to_string())).collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (head, body) = signed_put("many-fields", b"data", &fields, at_t0(), user());
    expect(emu.addr, bytes(&head, &body), 200, "").await;
    still_serving(emu.addr).await;
}

/// The admin API's bytes of an object, with the token.
async fn admin_object(emu: &emulator::Running, key: &str) -> (u16, String) {
    let token = emu.emulator.admin_token().unwrap();
    let raw = format!(
        "GET /_emulator/buckets/lake/objects/{key} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    exchange(emu.addr, raw.as_bytes()).await.unwrap()
}

#[tokio::test]
async fn keys_that_are_not_utf8_are_refused_never_merged() {
    let (emu, _) = start(Config::default()).await;
    // Signed PUTs of two keys whose bytes differ only in an invalid UTF-8 byte:
    // a lossy decoder maps both to `bad-\u{FFFD}` and the second overwrites the first.
    for key in ["bad-%FF", "bad-%FE", "%C3", "ok/%E2%82"] {
        let (head, body) = signed_put(key, key.as_bytes(), &[], at_t0(), user());
        let b = expect(emu.addr, bytes(&head, &body), 400, "InvalidURI").await;
        assert!(
            b.contains("<Message>Couldn&apos;t parse the specified URI.</Message>")
                || b.contains("<Message>Couldn't parse the specified URI.</Message>"),
            "{b}"
        );
        let get = format!("GET /lake/{key} HTTP/1.1\r\nHost: x\r\n\r\n");
        expect(emu.addr, get.into_bytes(), 400, "InvalidURI").await;
    }
    let listed = emu.emulator.store().list("lake", "", None, usize::MAX);
    assert!(listed.iter().all(|m| !m.key.contains('\u{FFFD}')), "{listed:?}");
    // Valid UTF-8 keys are keys like any other, each its own object.
    for (key, body) in [("caf%C3%A9", "one"), ("cafe%CC%81", "two")] {
        let (head, b) = signed_put(key, body.as_bytes(), &[], at_t0(), user());
        expect(emu.addr, bytes(&head, &b), 200, "").await;
    }
    assert_eq!(admin_object(&emu, "caf%C3%A9").await, (200, "one".to_string()));
    assert_eq!(admin_object(&emu, "cafe%CC%81").await, (200, "two".to_string()));
    // A query parameter is refused the same way.
    let list = "GET /lake?list-type=2&prefix=%FF HTTP/1.1\r\nHost: x\r\n\r\n";
    expect(emu.addr, list.as_bytes().to_vec(), 400, "InvalidURI").await;
}

#[tokio::test]
async fn keys_over_1024_bytes_get_key_too_long() {
    let (emu, _) = start(Config::default()).await;
    let at_limit = "k".repeat(1024);
    let (head, body) = signed_put(&at_limit, b"x", &[], at_t0(), user());
    expect(emu.addr, bytes(&head, &body), 200, "").await;
    let over = "k".repeat(1025);
    let (head, body) = signed_put(&over, b"x", &[], at_t0(), user());
    let b = expect(emu.addr, bytes(&head, &body), 400, "KeyTooLongError").await;
    assert!(b.contains("<Message>Your key is too long</Message>"), "{b}");
    // Bytes, not characters: 512 two-byte characters and one more byte.
    let wide = format!("{}k", "%C3%A9".repeat(512));
    let (head, body) = signed_put(&wide, b"x", &[], at_t0(), user());
    expect(emu.addr, bytes(&head, &body), 400, "KeyTooLongError").await;
    assert_eq!(emu.emulator.store().list("lake", "kk", None, usize::MAX).len(), 1);
}

#[tokio::test]
async fn a_client_that_stops_sending_gets_incomplete_body_or_request_timeout() {
    let (emu, _) = start(Config::default().with_body_idle_timeout(Duration::from_millis(300))).await;
    let (head, body) = signed_put("partial", b"0123456789", &[], at_t0(), user());
    // Half the body, then nothing, connection kept open: RequestTimeout.
    let mut raw = bytes(&head, &body);
    raw.truncate(raw.len() - 5);
    let b = expect(emu.addr, raw.clone(), 400, "RequestTimeout").await;
    assert!(!b.is_empty());
    // Half the body, then the client hangs up: IncompleteBody, nothing stored.
    {
        let mut s = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
        s.write_all(&raw).await.unwrap();
        s.shutdown().await.unwrap();
        let mut sink = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut sink)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let last = emu.emulator.log().recent(1, None);
    assert_eq!(last[0].code.as_deref(), Some("IncompleteBody"), "{last:?}");
    assert!(
        emu.emulator.store().get("lake", "partial").is_none(),
        "a partial body was stored"
    );
    still_serving(emu.addr).await;
}

#[tokio::test]
async fn a_large_body_refused_before_it_is_read_still_gets_its_answer() {
    // Refused at authentication, before the body is read: the emulator keeps
    // reading, so the client finishes sending 16 MiB, reads the 403, and the
    // connection stays usable (hyper alone would close it mid-upload).
    let (emu, _) = start(Config::default()).await;
    let body = vec![b'x'; 16 << 20];
    let (head, body) = signed_put(
        "refused",
        &body,
        &[],
        at_t0(),
        (common::AKID, "not-the-secret", None),
    );
    let mut s = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
    s.write_all(&bytes(&head, &body))
        .await
        .expect("the whole body is read, not reset");
    let (status, answer) = read_response(&mut s).await.expect("an answer");
    assert_eq!(
        (status, code(&answer)),
        (403, "SignatureDoesNotMatch"),
        "{answer}"
    );
    let (head, body) = signed_put("after", b"ok", &[], at_t0(), user());
    s.write_all(&bytes(&head, &body)).await.unwrap();
    let (status, answer) = read_response(&mut s)
        .await
        .expect("the same connection answers again");
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn entity_too_large_before_reading_the_body() {
    let (emu, _) = start(Config::default().with_max_put_size(16)).await;
    let (head, body) = signed_put("big", &[7u8; 32], &[], at_t0(), user());
    let b = expect(emu.addr, bytes(&head, &body), 400, "EntityTooLarge").await;
    assert!(b.contains("<MaxSizeAllowed>16</MaxSizeAllowed>"), "{b}");
}

#[tokio::test]
async fn garbage_bytes_do_not_take_the_server_down() {
    let (emu, _) = start(Config::default()).await;
    for garbage in [
        &b"\x00\x01\x02\x03\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"PUT /lake/k HTTP/9.9\r\n\r\n",
        b"\r\n\r\n\r\n",
    ] {
        // The client sends its bytes and stops writing: the server answers or closes.
        let mut s = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
        s.write_all(garbage).await.unwrap();
        s.shutdown().await.unwrap();
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
            .await
            .expect("the server hangs")
            .ok();
        let text = String::from_utf8_lossy(&out).to_string();
        let answer = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .map(|c| (c, text.clone()));
        assert!(answer.as_ref().is_none_or(|(s, _)| *s >= 400), "{answer:?}");
    }
    still_serving(emu.addr).await;
}

#[tokio::test]
async fn admin_api_drives_the_clock_and_shows_objects_and_decisions() {
    let (emu, _) = start(Config::default()).await;
    let (head, body) = signed_put("admin/seen.txt", b"hello", &[], at_t0(), user());
    expect(emu.addr, bytes(&head, &body), 200, "").await;
    let token = emu.emulator.admin_token().unwrap().to_string();
    let get = |path: &str| {
        format!("GET /_emulator/{path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\r\n")
            .into_bytes()
    };
    let (s, objects) = exchange(emu.addr, &get("buckets/lake/objects?prefix=admin/"))
        .await
        .unwrap();
    assert_eq!(s, 200);
    let objects: serde_json::Value = serde_json::from_str(&objects).unwrap();
    assert_eq!(objects[0]["key"], "admin/seen.txt");
    assert_eq!(objects[0]["size"], 5);
    let (_, raw) = exchange(emu.addr, &get("buckets/lake/objects/admin%2Fseen.txt"))
        .await
        .unwrap();
    assert_eq!(raw, "hello");
    let advance = format!(
        "POST /_emulator/clock/advance HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Length: 13\r\n\r\n{{\"by\": \"90m\"}}"
    );
    let (s, clock) = exchange(emu.addr, advance.as_bytes()).await.unwrap();
    assert_eq!(s, 200, "{clock}");
    assert!(clock.contains("2026-06-01T13:30:00Z"), "{clock}");
    // A denied request's decision and reason are in the log, not on the wire.
    let (head, body) = signed_put(
        "k",
        b"x",
        &[],
        at_t0() + Duration::from_secs(5400),
        ("AKIASTRANGEREXAMPLE1", "stranger-secret", None),
    );
    let wire = expect(emu.addr, bytes(&head, &body), 403, "AccessDenied").await;
    assert!(
        wire.contains("<Message>Access Denied</Message>"),
        "cross-account callers get the bare message: {wire}"
    );
    let (_, log) = exchange(emu.addr, &get("log?limit=1")).await.unwrap();
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    assert_eq!(log[0]["code"], "AccessDenied");
    assert_eq!(log[0]["decision"]["effect"], "implicit-deny", "{log}");
    let (s, _) = exchange(emu.addr, &get("nope")).await.unwrap();
    assert_eq!(s, 404);
}

#[tokio::test]
async fn the_admin_api_needs_its_token_a_local_host_and_a_same_origin_caller() {
    let (emu, _) = start(Config::default()).await;
    let (head, body) = signed_put("secret.txt", b"customer data", &[], at_t0(), user());
    expect(emu.addr, bytes(&head, &body), 200, "").await;
    let token = emu.emulator.admin_token().unwrap().to_string();
    let req = |method: &str, path: &str, extra: &str, body: &str| {
        format!(
            "{method} /_emulator/{path} HTTP/1.1\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let status = |raw: Vec<u8>| {
        let addr = emu.addr;
        async move { exchange(addr, &raw).await.unwrap() }
    };
    let auth = format!("Host: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n");
    let fault = r#"{"operation":"PutObject","action":{"kind":"error","code":"SlowDown"}}"#;
    // Without the token: objects, the log, faults and the world are closed; health is open.
    for (method, path, body) in [
        ("GET", "buckets/lake/objects/secret.txt", ""),
        ("GET", "log", ""),
        ("POST", "faults", fault),
        (
            "PUT",
            "world",
            "[[accounts]]\nid = \"999999999999\"\nname = \"x\"\n",
        ),
    ] {
        let (s, b) = status(req(method, path, "Host: 127.0.0.1\r\n", body)).await;
        assert_eq!(s, 401, "{method} {path}: {b}");
        let (s, b) = status(req(
            method,
            path,
            "Host: 127.0.0.1\r\nAuthorization: Bearer wrong-token\r\n",
            body,
        ))
        .await;
        assert_eq!(s, 401, "{method} {path}: {b}");
    }
    assert!(emu.emulator.faults().list().is_empty(), "no fault rule was added");
    assert_eq!(
        status(req("GET", "health", "Host: localhost:1\r\n", "")).await.0,
        200
    );
    let (s, b) = status(req("GET", "buckets/lake/objects/secret.txt", &auth, "")).await;
    assert_eq!((s, b.as_str()), (200, "customer data"));
    // A page's cross-origin `text/plain` POST (no preflight), even one that knew the token.
    let cross = format!("{auth}Origin: http://evil.example\r\nContent-Type: text/plain\r\n");
    assert_eq!(status(req("POST", "faults", &cross, fault)).await.0, 403);
    let fetch = format!("{auth}Sec-Fetch-Site: cross-site\r\n");
    assert_eq!(status(req("POST", "faults", &fetch, fault)).await.0, 403);
    assert!(emu.emulator.faults().list().is_empty(), "no fault rule was added");
    // DNS rebinding: the page's own name resolves to 127.0.0.1, its Host stays its name.
    let rebound = format!(
        "Host: evil.example:{}\r\nAuthorization: Bearer {token}\r\n",
        emu.addr.port()
    );
    assert_eq!(status(req("GET", "health", &rebound, "")).await.0, 403);
    assert_eq!(status(req("GET", "log", &rebound, "")).await.0, 403);
    // Same origin and the token: in.
    let same = format!("{auth}Origin: http://127.0.0.1\r\n");
    assert_eq!(status(req("POST", "faults", &same, fault)).await.0, 200);
    assert_eq!(emu.emulator.faults().list().len(), 1);
    // Bodies over 8 MiB are refused from the announced length, before reading them.
    let huge = format!(
        "PUT /_emulator/world HTTP/1.1\r\n{auth}Content-Length: {}\r\n\r\n",
        9 * 1024 * 1024
    );
    assert_eq!(status(huge.into_bytes()).await.0, 413);
    // ...and when the length is not announced, as soon as they pass the cap.
    let mut chunked =
        format!("PUT /_emulator/world HTTP/1.1\r\n{auth}Transfer-Encoding: chunked\r\n\r\n").into_bytes();
    let chunk = vec![b'#'; 1024 * 1024];
    for _ in 0..9 {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(status(chunked).await.0, 413);
}

#[tokio::test]
async fn an_open_admin_api_still_checks_host_and_origin() {
    let (emu, _) = start(Config::default().with_admin(emulator::AdminAccess::Open)).await;
    assert_eq!(emu.emulator.admin_token(), None);
    let get = |extra: &str| format!("GET /_emulator/log HTTP/1.1\r\n{extra}\r\n").into_bytes();
    assert_eq!(
        exchange(emu.addr, &get("Host: localhost\r\n")).await.unwrap().0,
        200
    );
    assert_eq!(
        exchange(emu.addr, &get("Host: evil.example\r\n"))
            .await
            .unwrap()
            .0,
        403
    );
    let cross = get("Host: localhost\r\nOrigin: http://evil.example\r\n");
    assert_eq!(exchange(emu.addr, &cross).await.unwrap().0, 403);
}

/// Sign a PUT to an arbitrary host (virtual-hosted style) and path.
fn signed_to_host(host: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let uri = format!("http://{host}{path}");
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.into()),
        ("content-length".into(), body.len().to_string()),
    ];
    let settings = testkit::sign::s3(true);
    let identity = Credentials::new(common::AKID, common::SECRET, None, None, "vh").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("s3")
        .time(at_t0())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "PUT",
        uri.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (n, v) in instructions.headers() {
        headers.push((n.to_string(), v.to_string()));
    }
    let mut head = vec![format!("PUT {path} HTTP/1.1")];
    head.extend(headers.iter().map(|(n, v)| format!("{n}: {v}")));
    bytes(&head, body)
}

#[tokio::test]
async fn virtual_hosted_style_and_regional_endpoints() {
    let (emu, _) = start(Config::default()).await;
    // bucket.s3.REGION.localhost addresses the bucket; the key is the whole path.
    expect(
        emu.addr,
        signed_to_host("lake.s3.eu-west-1.localhost:9", "/vh/key.txt", b"vh"),
        200,
        "",
    )
    .await;
    assert!(emu.emulator.store().get("lake", "vh/key.txt").is_some());
    expect(
        emu.addr,
        signed_to_host("lake.localhost:9", "/vh/short.txt", b"vh"),
        200,
        "",
    )
    .await;
    // The us-west-2 regional endpoint for an eu-west-1 bucket: 301 PermanentRedirect.
    let b = expect(
        emu.addr,
        signed_to_host("s3.us-west-2.localhost:9", "/lake/k", b"x"),
        301,
        "PermanentRedirect",
    )
    .await;
    assert!(
        b.contains("<Endpoint>lake.s3.eu-west-1.amazonaws.com</Endpoint>")
            && b.contains("<Bucket>lake</Bucket>"),
        "{b}"
    );
}

#[tokio::test]
async fn content_md5_and_checksum_headers_are_checked_against_the_body() {
    let (emu, _) = start(Config::default()).await;
    // MD5("data") = 8d777f385d3dfec8815d20f7496026dc
    let (head, body) = signed_put(
        "md5",
        b"data",
        &[("content-md5", "jXd/OF09/siBXSD3SWAm3A==")],
        at_t0(),
        user(),
    );
    expect(emu.addr, bytes(&head, &body), 200, "").await;
    let (head, body) = signed_put(
        "md5",
        b"data",
        &[("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==")],
        at_t0(),
        user(),
    );
    expect(emu.addr, bytes(&head, &body), 400, "BadDigest").await;
    let (head, body) = signed_put("md5", b"data", &[("content-md5", "not-base64")], at_t0(), user());
    expect(emu.addr, bytes(&head, &body), 400, "InvalidDigest").await;
    // CRC32("data") = rfPzYw== ; a wrong one is BadDigest naming the algorithm.
    let (head, body) = signed_put(
        "crc",
        b"data",
        &[("x-amz-checksum-crc32", "AAAAAA==")],
        at_t0(),
        user(),
    );
    let b = expect(emu.addr, bytes(&head, &body), 400, "BadDigest").await;
    assert!(
        b.contains("The CRC32 you specified did not match the calculated checksum."),
        "{b}"
    );
    let (head, body) = signed_put(
        "crc",
        b"data",
        &[("x-amz-sdk-checksum-algorithm", "CRC32")],
        at_t0(),
        user(),
    );
    expect(emu.addr, bytes(&head, &body), 400, "InvalidRequest").await;
    assert!(emu.emulator.store().get("lake", "crc").is_none());
}

/// `x-amz-storage-class` must name one of the API's storage classes: anything
/// else is 400 InvalidStorageClass and nothing is stored; a real one is kept and
/// returned on a read.
#[tokio::test]
async fn storage_classes_outside_the_api_s_list_are_refused() {
    let (emu, _) = start(Config::default()).await;
    for bad in ["COLD", "standard", "GLACIER-IR"] {
        let (head, body) = signed_put("sc", b"data", &[("x-amz-storage-class", bad)], at_t0(), user());
        let b = expect(emu.addr, bytes(&head, &body), 400, "InvalidStorageClass").await;
        assert!(b.contains("The storage class you specified is not valid."), "{b}");
    }
    assert!(emu.emulator.store().get("lake", "sc").is_none());
    let (head, body) = signed_put(
        "sc",
        b"data",
        &[("x-amz-storage-class", "GLACIER_IR")],
        at_t0(),
        user(),
    );
    expect(emu.addr, bytes(&head, &body), 200, "").await;
    let stored = emu.emulator.store().get("lake", "sc").unwrap();
    assert_eq!(stored.meta.storage_class.as_str(), "GLACIER_IR");
}

#[tokio::test]
async fn fault_rules_can_be_declared_in_the_world_file() {
    let world = format!(
        "{}\n{}",
        world_with_session(),
        r#"
[[faults]]
name = "first put throttled"
operation = "PutObject"
nth = 1
action = { kind = "error", code = "SlowDown" }
"#
    );
    let clock = Arc::new(ManualClock::new(t0()));
    let emu = common::start_with(&world, clock, Config::default()).await;
    let (head, body) = signed_put("k", b"data", &[], at_t0(), user());
    let b = expect(emu.addr, bytes(&head, &body), 503, "SlowDown").await;
    assert!(b.contains("Please reduce your request rate."), "{b}");
    expect(emu.addr, bytes(&head, &body), 200, "").await;
    let log = emu.emulator.log().recent(2, None);
    assert_eq!(log[0].faults.len(), 1, "the injected fault is logged: {log:?}");
}
