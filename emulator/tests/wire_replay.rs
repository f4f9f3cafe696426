//! Byte-exact captures of real clients (boto3, the AWS CLI, aws-sdk-rust; default,
//! when_required and https modes) replayed to a running emulator whose clock is
//! set to each capture's `X-Amz-Date`: every one is accepted and stores the known
//! body; every mutation MANIFEST.md lists is rejected with AWS's code, while an
//! added unsigned header or reordered header lines are still accepted.
//!
//! The captures are read from `../shared/vectors/wire` (never copied here).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use emulator::{Clock, ManualClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BODY_20B_SHA256: &str = "58c26b9b964eee6ab38bf4aac385d1b8e483ac58f54cad4a7bfaf9190041320f";
const BODY_200K_SHA256: &str = "8c6627e25bfbdef2bba5abc03123ea8e9b60d892f7f180a8b9b5079fb3233c54";
const TOKEN: &str =
    "IQoJb3JpZ2luX2VjEXAMPLE/SESSION+TOKEN/for/sigv4/wire/vectors/0123456789abcdefghijklmnopqrstuvwxyz==";

/// The world every capture was made against, with `test-bucket` in `region`;
/// session captures use the same key id as temporary credentials.
fn world(region: &str, session: bool) -> String {
    let creds = if session {
        format!(
            r#"
[[credentials]]
access_key_id = "AKIAIOSFODNN7EXAMPLE"
secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
session_token = "{TOKEN}"
expires = "2027-01-01T00:00:00Z"
role = "vectors/vector-caller"
session_name = "vector-session"
issued_in_region = "{region}"
"#
        )
    } else {
        String::new()
    };
    format!(
        r#"
[[accounts]]
id = "123456789012"
name = "vectors"

[[users]]
account = "vectors"
name = "vector-user"
access_keys = [{{ id = "{}", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }}]
policies = [{{ name = "all", document = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:*","sts:AssumeRole"],"Resource":"*"}}]}}''' }}]

[[roles]]
account = "vectors"
name = "vector-caller"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:root"}},"Action":"sts:AssumeRole"}}]}}'''
policies = [{{ name = "all", document = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:*","sts:AssumeRole"],"Resource":"*"}}]}}''' }}]

[[roles]]
account = "vectors"
name = "vector-role"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::123456789012:root"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"vector-external-id"}}}}}}]}}'''

[[buckets]]
name = "test-bucket"
account = "vectors"
region = "{region}"
sigv2 = true
{creds}
"#,
        // A session capture's key id belongs to the session, not to a user.
        if session {
            "AKIAUSERUNUSEDEXAMPL"
        } else {
            "AKIAIOSFODNN7EXAMPLE"
        }
    )
}

#[derive(Debug, Clone)]
struct Capture {
    path: PathBuf,
    case: String,
    region: String,
    session: bool,
    head: Vec<String>,
    body: Vec<u8>,
}

impl Capture {
    fn load(path: &Path) -> Self {
        let raw = std::fs::read(path).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of head");
        let head = String::from_utf8(raw[..split].to_vec())
            .unwrap()
            .split("\r\n")
            .map(str::to_string)
            .collect();
        let body = raw[split + 4..].to_vec();
        let name = path.file_name().unwrap().to_str().unwrap();
        let parts: Vec<&str> = name.split('.').collect();
        Self {
            path: path.to_path_buf(),
            case: parts[0].to_string(),
            region: parts[1].to_string(),
            session: parts[2] == "session",
            head,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = self.head.join("\r\n").into_bytes();
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    fn is_sts(&self) -> bool {
        self.case.starts_with("sts-")
    }

    fn amz_date(&self) -> time::OffsetDateTime {
        let d = self.header("x-amz-date").expect("X-Amz-Date");
        let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        time::PrimitiveDateTime::parse(d, fmt).unwrap().assume_utc()
    }

    fn key(&self) -> String {
        let target = self.head[0].split(' ').nth(1).unwrap();
        let path = target.split('?').next().unwrap();
        let key = path.trim_start_matches("/test-bucket/");
        percent_encoding::percent_decode_str(key)
            .decode_utf8()
            .unwrap()
            .into_owned()
    }

    fn with_header(&self, name: &str, f: impl Fn(&str) -> Option<String>) -> Self {
        let mut c = self.clone();
        c.head = c
            .head
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                if i == 0 {
                    return Some(l.clone());
                }
                match l.split_once(':') {
                    Some((n, v)) if n.eq_ignore_ascii_case(name) => {
                        f(v.trim()).map(|nv| format!("{n}: {nv}"))
                    }
                    _ => Some(l.clone()),
                }
            })
            .collect();
        c
    }
}

/// Change one character so the value keeps its length and alphabet.
fn tweak(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let i = chars.len() / 2;
    chars[i] = match chars[i] {
        '0'..='8' | 'a'..='y' | 'A'..='Y' => char::from(chars[i] as u8 + 1),
        _ => '0',
    };
    chars.into_iter().collect()
}

/// Send raw bytes and read one final (non-1xx) response: status, headers, body.
async fn send(addr: std::net::SocketAddr, bytes: &[u8]) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 65536];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut chunk))
            .await
            .expect("response in time")
            .unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        // Drop interim 100 Continue responses.
        while buf.starts_with(b"HTTP/1.1 100") {
            match buf.windows(4).position(|w| w == b"\r\n\r\n") {
                Some(p) => {
                    buf.drain(..p + 4);
                }
                None => break,
            }
        }
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..p]).to_string();
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= p + 4 + len {
                let status = head.split(' ').nth(1).unwrap().parse().unwrap();
                let body = String::from_utf8_lossy(&buf[p + 4..p + 4 + len]).to_string();
                return (status, head, body);
            }
        }
    }
    panic!(
        "connection closed before a full response: {}",
        String::from_utf8_lossy(&buf)
    );
}

/// Send a capture (or a mutation of it) and assert the status and code.
async fn expect(addr: std::net::SocketAddr, m: Capture, want: (u16, &str), what: &str) {
    let (status, _, body) = send(addr, &m.bytes()).await;
    let code = error_code(&body);
    assert_eq!(
        (status, code.as_str()),
        want,
        "{} [{what}]: {body}",
        m.path.display()
    );
}

fn error_code(body: &str) -> String {
    body.split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or("")
        .to_string()
}

fn captures(kind: &str) -> Vec<Capture> {
    let Some(shared) = common::shared_dir("vectors/wire") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for folder in std::fs::read_dir(shared.join("vectors/wire")).unwrap() {
        let folder = folder.unwrap().path();
        if !folder.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&folder).unwrap() {
            let p = f.unwrap().path();
            if p.extension().and_then(|e| e.to_str()) == Some(kind) {
                out.push(p);
            }
        }
    }
    out.sort();
    out.iter().map(|p| Capture::load(p)).collect()
}

/// What a body-byte flip is caught by, per payload mode (MANIFEST.md).
fn body_flip_expectation(c: &Capture) -> Option<(u16, &'static str)> {
    if c.is_sts() {
        return Some((403, "SignatureDoesNotMatch"));
    }
    let mode = c.header("x-amz-content-sha256")?;
    match mode {
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" | "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => {
            Some((403, "SignatureDoesNotMatch"))
        }
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Some((400, "BadDigest")),
        "UNSIGNED-PAYLOAD"
            if c.head
                .iter()
                .any(|l| l.to_ascii_lowercase().starts_with("x-amz-checksum-")) =>
        {
            Some((400, "BadDigest"))
        }
        // UNSIGNED-PAYLOAD with no checksum: nothing on the wire can catch a changed byte.
        "UNSIGNED-PAYLOAD" => None,
        _ => Some((400, "XAmzContentSHA256Mismatch")),
    }
}

/// Flip a byte of the payload (not of any framing): a byte of the 20-byte body's
/// text, or of the 200 KiB body's counting pattern, or of the STS form.
fn flip_body(c: &Capture) -> Option<Capture> {
    let needle: &[u8] = if c.is_sts() {
        b"Action="
    } else if c.body.windows(20).any(|w| w == b"Hello, SigV4 world!\n") {
        b"SigV4"
    } else {
        &[0x10, 0x11, 0x12, 0x13]
    };
    let pos = c.body.windows(needle.len()).position(|w| w == needle)?;
    let mut m = c.clone();
    m.body[pos + 1] ^= 0x01;
    Some(m)
}

#[tokio::test]
async fn every_capture_is_accepted_and_every_mutation_rejected() {
    let all = captures("http");
    if all.is_empty() {
        return;
    }
    let mut checked = 0;
    let mut mutations = 0;
    for c in &all {
        let clock = Arc::new(ManualClock::new(c.amz_date()));
        let emu = common::start(&world(&c.region, c.session), clock.clone()).await;
        let (status, _, body) = send(emu.addr, &c.bytes()).await;
        assert!(
            (200..300).contains(&status),
            "{}: {status} {body}",
            c.path.display()
        );
        if c.case.starts_with("put-object") || c.case.starts_with("s3-cp") {
            let stored = emu
                .emulator
                .store()
                .get("test-bucket", &c.key())
                .unwrap_or_else(|| panic!("{}: not stored", c.path.display()));
            let want = if c.case.contains("200k") {
                BODY_200K_SHA256
            } else {
                BODY_20B_SHA256
            };
            assert_eq!(stored.meta.sha256_hex(), want, "{}", c.path.display());
        }
        checked += 1;

        let ok_status = if c.case == "delete-object" { 204 } else { 200 };
        // Unsigned additions and reordering are accepted.
        let mut added = c.clone();
        added
            .head
            .insert(1, "X-Unsigned-Extra: added after signing".into());
        expect(emu.addr, added, (ok_status, ""), "add unsigned header").await;
        let mut reordered = c.clone();
        reordered.head[1..].reverse();
        expect(emu.addr, reordered, (ok_status, ""), "reorder headers").await;
        mutations += 2;

        // Signed parts.
        expect(
            emu.addr,
            c.with_header("host", |_| Some("127.0.0.1:18081".into())),
            (403, "SignatureDoesNotMatch"),
            "host",
        )
        .await;
        let one_second_off = |d: &str| {
            let last = (d.as_bytes()[14] - b'0' + 1) % 10;
            Some(format!("{}{last}Z", &d[..14]))
        };
        expect(
            emu.addr,
            c.with_header("x-amz-date", one_second_off),
            (403, "SignatureDoesNotMatch"),
            "x-amz-date",
        )
        .await;
        mutations += 2;
        if c.session {
            let bad = if c.is_sts() {
                (403, "InvalidClientTokenId")
            } else {
                (400, "InvalidToken")
            };
            expect(
                emu.addr,
                c.with_header("x-amz-security-token", |t| Some(tweak(t))),
                bad,
                "token altered",
            )
            .await;
            let gone = if c.is_sts() {
                (403, "InvalidClientTokenId")
            } else {
                (403, "InvalidAccessKeyId")
            };
            expect(
                emu.addr,
                c.with_header("x-amz-security-token", |_| None),
                gone,
                "token dropped",
            )
            .await;
            mutations += 2;
        }
        if c.header("x-amz-decoded-content-length").is_some() {
            expect(
                emu.addr,
                c.with_header("x-amz-decoded-content-length", |v| {
                    Some((v.parse::<u64>().unwrap() + 1).to_string())
                }),
                (403, "SignatureDoesNotMatch"),
                "decoded length",
            )
            .await;
            mutations += 1;
        }
        if let (Some(m), Some(want)) = (flip_body(c), body_flip_expectation(c)) {
            expect(emu.addr, m, want, "body byte").await;
            mutations += 1;
        }
        if let Some(pos) = c.body.windows(16).position(|w| w == b"chunk-signature=") {
            let mut m = c.clone();
            let i = pos + 16 + 10;
            m.body[i] = if m.body[i] == b'0' { b'1' } else { b'0' };
            expect(emu.addr, m, (403, "SignatureDoesNotMatch"), "chunk signature").await;
            mutations += 1;
        }
        if let Some(pos) = c.body.windows(21).position(|w| w == b"x-amz-checksum-crc32:") {
            let mut m = c.clone();
            let i = pos + 21 + 2;
            m.body[i] = if m.body[i] == b'A' { b'B' } else { b'A' };
            let signed = c.body.windows(24).any(|w| w == b"x-amz-trailer-signature:");
            let want = if signed {
                (403, "SignatureDoesNotMatch")
            } else {
                (400, "BadDigest")
            };
            expect(emu.addr, m, want, "trailer value").await;
            mutations += 1;
        }
        // The same bytes 16 minutes later: outside the skew window.
        clock.advance(Duration::from_secs(16 * 60)).unwrap();
        let skewed = if c.is_sts() {
            (403, "SignatureDoesNotMatch")
        } else {
            (403, "RequestTimeTooSkewed")
        };
        expect(emu.addr, c.clone(), skewed, "clock skew").await;
        mutations += 1;
        emu.shutdown().await.unwrap();
    }
    eprintln!("{checked} captures accepted, {mutations} mutations checked");
    assert!(checked >= 300, "only {checked} captures found");
}

#[tokio::test]
async fn presigned_urls_are_accepted_until_they_expire() {
    let urls = {
        let Some(shared) = common::shared_dir("vectors/wire") else {
            return;
        };
        let mut v = Vec::new();
        for folder in std::fs::read_dir(shared.join("vectors/wire")).unwrap() {
            let folder = folder.unwrap().path();
            if !folder.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&folder).unwrap() {
                let p = f.unwrap().path();
                if p.extension().and_then(|e| e.to_str()) == Some("url") {
                    v.push(p);
                }
            }
        }
        v.sort();
        v
    };
    let mut checked = 0;
    for path in urls {
        let url = std::fs::read_to_string(&path).unwrap().trim().to_string();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let region = name.split('.').nth(1).unwrap().to_string();
        let session = name.contains(".session.");
        let target = url.splitn(4, '/').nth(3).map(|t| format!("/{t}")).unwrap();
        let host = url.split('/').nth(2).unwrap();
        let query: Vec<(String, String)> =
            emulator::route::query_pairs(target.split_once('?').unwrap().1).unwrap();
        let q = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        // SigV4: valid from X-Amz-Date for X-Amz-Expires; SigV2: until Expires.
        let (start, end) = match q("X-Amz-Date") {
            Some(d) => {
                let fmt = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
                let t = time::PrimitiveDateTime::parse(&d, fmt).unwrap().assume_utc();
                (
                    t,
                    t + time::Duration::seconds(q("X-Amz-Expires").unwrap().parse().unwrap()),
                )
            }
            None => {
                let e = time::OffsetDateTime::from_unix_timestamp(q("Expires").unwrap().parse().unwrap())
                    .unwrap();
                (e - time::Duration::seconds(3600), e)
            }
        };
        let clock = Arc::new(ManualClock::new(start + time::Duration::seconds(1)));
        let emu = common::start(&world(&region, session), clock.clone()).await;
        let put = name.starts_with("presign-put");
        let request = |target: &str| {
            if put {
                format!("PUT {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 20\r\n\r\nHello, SigV4 world!\n").into_bytes()
            } else {
                format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes()
            }
        };
        let (status, _, body) = send(emu.addr, &request(&target)).await;
        // A GET of a key nobody wrote answers NoSuchKey, which S3 sends only after
        // the signature verified.
        let ok = if put {
            status == 200
        } else {
            status == 404 && error_code(&body) == "NoSuchKey"
        };
        assert!(ok, "{name}: {status} {body}");
        // A changed signature is refused.
        let tampered = if target.contains("X-Amz-Signature=") {
            let sig = q("X-Amz-Signature").unwrap();
            target.replace(&sig, &tweak(&sig))
        } else {
            let sig = target
                .split("Signature=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap()
                .to_string();
            target.replace(&sig, &tweak(&sig))
        };
        let (status, _, body) = send(emu.addr, &request(&tampered)).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "SignatureDoesNotMatch"),
            "{name} tampered"
        );
        // After expiry: AccessDenied "Request has expired".
        clock.set(end + time::Duration::seconds(1)).unwrap();
        let (status, _, body) = send(emu.addr, &request(&target)).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "AccessDenied"),
            "{name} expired: {body}"
        );
        assert!(body.contains("Request has expired"), "{name}: {body}");
        checked += 1;
        emu.shutdown().await.unwrap();
    }
    if checked > 0 {
        assert!(checked >= 60, "only {checked} presigned URLs");
    }
}
