//! Every capture of real clients (boto3, AWS CLI v1, aws-sdk-rust) in
//! `shared/vectors/wire/` verified at this layer, then mutated per its MANIFEST.md:
//! signed parts changed must be rejected with the right error; an added unsigned header
//! or reordered header lines must not be.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::path::Path;

use common::{amz_time, crc32_base64, read, shared_dir, ParsedRequest};
use emulator::protocol::codes::{Code, Service};
use emulator::sigv4::{self, Auth, BodyCheck, PayloadMode, SigError, SigService, Trailers};
use serde_json::Value;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

thread_local! {
    /// Mutations checked by the running test (each test runs on its own thread).
    static CHECKED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn checked() {
    CHECKED.with(|c| c.set(c.get() + 1));
}

fn report(test: &str) {
    eprintln!("{test}: {} mutations checked", CHECKED.with(std::cell::Cell::get));
}

/// One capture's request as the server receives it (HTTP chunking already undone).
#[derive(Clone)]
struct Wire {
    method: String,
    target: String,
    header_lines: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Wire {
    fn from_http(raw: &[u8]) -> Self {
        let req = ParsedRequest::parse(raw);
        let body = req.decoded_http_body();
        Self {
            method: req.method,
            target: req.target,
            header_lines: req.header_lines,
            body,
        }
    }

    fn from_url(url: &str, method: &str) -> Self {
        let rest = &url[url.find("://").unwrap() + 3..];
        let (host, target) = rest.split_at(rest.find('/').unwrap());
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            header_lines: vec![("Host".to_owned(), host.as_bytes().to_vec())],
            body: Vec::new(),
        }
    }

    fn parsed(&self) -> ParsedRequest {
        ParsedRequest {
            method: self.method.clone(),
            target: self.target.clone(),
            header_lines: self.header_lines.clone(),
            body: self.body.clone(),
        }
    }

    fn set_header(&mut self, name: &str, value: &[u8]) {
        let line = self
            .header_lines
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap();
        line.1 = value.to_vec();
    }

    fn header(&self, name: &str) -> Option<String> {
        self.parsed().header(name)
    }
}

/// What a capture decoded to.
#[derive(Debug)]
struct Accepted {
    payload: Vec<u8>,
    trailers: Trailers,
    mode: Option<PayloadMode>,
}

/// The whole verification path a server runs, at clock `now`.
fn verify(
    wire: &Wire,
    service: SigService,
    region: Option<&str>,
    now: time::OffsetDateTime,
) -> Result<Accepted, SigError> {
    let req = wire.parsed();
    let headers = req.headers();
    let head = common::head(&req, &headers);
    match sigv4::parse(&head, service)? {
        Auth::V4(auth) => {
            auth.check_scope(service, region)?;
            auth.check_signed_headers(&head)?;
            auth.check_time(now, service)?;
            let mode = auth.payload_mode(service)?;
            let payload_hash = mode
                .canonical_value()
                .map_or_else(|| sigv4::sha256_hex(&wire.body), |line| line.to_string());
            let verified = auth.verify(&head, SECRET, service, &payload_hash)?;
            let mut check = BodyCheck::new(mode, &verified, &headers)?;
            let mut payload = Vec::new();
            // Feed in uneven pieces, as a socket would deliver them.
            for piece in wire.body.chunks(7919) {
                check.push(piece, &mut payload)?;
            }
            let trailers = check.finish()?;
            Ok(Accepted {
                payload,
                trailers,
                mode: Some(mode),
            })
        }
        Auth::V2Query(auth) => {
            auth.check_time(now)?;
            auth.verify(&head, SECRET, None)?;
            Ok(Accepted {
                payload: wire.body.clone(),
                trailers: Trailers::default(),
                mode: None,
            })
        }
        Auth::Anonymous => panic!("capture parsed as anonymous"),
    }
}

/// A capture from manifest.json.
struct Capture<'m> {
    entry: &'m Value,
    file: String,
    service: SigService,
    region: Option<String>,
    now: time::OffsetDateTime,
    wire: Wire,
}

fn load<'m>(root: &Path, entry: &'m Value) -> Capture<'m> {
    let file = entry["file"].as_str().unwrap().to_owned();
    let service = if entry["case"].as_str().unwrap().starts_with("sts-") {
        SigService::Sts
    } else {
        SigService::S3
    };
    let region = match service {
        // S3 checks the scope against the bucket's region; STS takes any region.
        SigService::S3 => entry["credential_scope_region"].as_str().map(str::to_owned),
        SigService::Sts => None,
    };
    let (wire, now) = if file.ends_with(".url") {
        let wire = Wire::from_url(entry["url"].as_str().unwrap(), entry["method"].as_str().unwrap());
        let now = match entry["x_amz_date"].as_str() {
            Some(d) => amz_time(d),
            // SigV2 URLs are valid until Expires; replay a minute before it.
            None => time::OffsetDateTime::from_unix_timestamp(
                entry["expires"].as_str().unwrap().parse::<i64>().unwrap() - 60,
            )
            .unwrap(),
        };
        (wire, now)
    } else {
        (
            Wire::from_http(&read(&root.join(&file))),
            amz_time(entry["x_amz_date"].as_str().unwrap()),
        )
    };
    Capture {
        entry,
        file,
        service,
        region,
        now,
        wire,
    }
}

impl Capture<'_> {
    fn verify(&self, wire: &Wire) -> Result<Accepted, SigError> {
        verify(wire, self.service, self.region.as_deref(), self.now)
    }

    fn expect_code(&self, what: &str, wire: &Wire, code: Code) {
        checked();
        let svc: Service = self.service.into();
        match self.verify(wire) {
            Ok(_) => panic!("{}: {what}: accepted", self.file),
            Err(e) => assert_eq!(e.code(svc), code, "{}: {what}: {e:?}", self.file),
        }
    }

    fn signed_headers(&self) -> Vec<String> {
        match self.entry["signed_headers"].as_array() {
            Some(a) => a.iter().map(|h| h.as_str().unwrap().to_owned()).collect(),
            None => Vec::new(),
        }
    }
}

/// The body a capture must decode to (shared/vectors/wire/MANIFEST.md "How to verify").
fn expected_payload(c: &Capture<'_>) -> Option<Vec<u8>> {
    let len = c.entry["decoded_payload_len"].as_u64()?;
    match len {
        0 => Some(Vec::new()),
        20 => Some(b"Hello, SigV4 world!\n".to_vec()),
        204_800 => Some((0..204_800_u32).map(|i| (i % 256) as u8).collect()),
        _ => None, // STS forms: the length is checked instead
    }
}

fn captures() -> Option<(std::path::PathBuf, Value)> {
    let shared = shared_dir("vectors/wire/manifest.json")?;
    let root = shared.join("vectors/wire");
    let manifest: Value = serde_json::from_slice(&read(&root.join("manifest.json"))).unwrap();
    Some((root, manifest))
}

#[test]
fn every_capture_verifies() {
    let Some((root, manifest)) = captures() else {
        return;
    };
    let entries = manifest["captures"].as_array().unwrap();
    let (mut http, mut v4_urls, mut v2_urls, mut chunked) = (0, 0, 0, 0);
    for entry in entries {
        let c = load(&root, entry);
        let accepted = c
            .verify(&c.wire)
            .unwrap_or_else(|e| panic!("{}: {e}\n{e:?}", c.file));
        if c.file.ends_with(".url") {
            if c.wire.target.contains("X-Amz-Algorithm=") {
                v4_urls += 1;
                assert_eq!(accepted.mode, Some(PayloadMode::Unsigned), "{}", c.file);
            } else {
                v2_urls += 1;
            }
            continue;
        }
        http += 1;
        if let Some(expected) = expected_payload(&c) {
            assert!(accepted.payload == expected, "{}: decoded body differs", c.file);
        }
        assert_eq!(
            accepted.payload.len() as u64,
            entry["decoded_payload_len"].as_u64().unwrap(),
            "{}",
            c.file
        );
        let expected_trailers: Vec<(String, String)> = entry["aws_trailers"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(accepted.trailers.0, expected_trailers, "{}", c.file);
        if accepted.mode.is_some_and(|m| m.is_aws_chunked()) {
            chunked += 1;
        }
        // Whatever carries the checksum (header or trailer) is the CRC32 of the payload.
        let crc = accepted
            .trailers
            .get("x-amz-checksum-crc32")
            .map(str::to_owned)
            .or_else(|| c.wire.header("x-amz-checksum-crc32"));
        if let Some(crc) = crc {
            assert_eq!(crc32_base64(&accepted.payload), crc, "{}", c.file);
        }
    }
    eprintln!("wire: {http} .http captures ({chunked} aws-chunked), {v4_urls} SigV4 and {v2_urls} SigV2 presigned URLs verified");
    assert_eq!(http + v4_urls + v2_urls, entries.len());
    assert_eq!(http, 336);
    assert_eq!(v2_urls, 24);
}

/// Offset of the first payload byte in an aws-chunked body (after the first size line).
fn first_data_byte(body: &[u8]) -> usize {
    common::find(body, b"\r\n").unwrap() + 2
}

#[test]
fn mutated_payloads_are_caught_where_they_can_be() {
    let Some((root, manifest)) = captures() else {
        return;
    };
    for entry in manifest["captures"].as_array().unwrap() {
        let c = load(&root, entry);
        if c.file.ends_with(".url") || c.wire.body.is_empty() {
            continue;
        }
        let mode = c.verify(&c.wire).unwrap().mode.unwrap();
        let mut wire = c.wire.clone();
        let at = if mode.is_aws_chunked() {
            first_data_byte(&wire.body) + 5
        } else {
            wire.body.len() / 2
        };
        wire.body[at] ^= 0x20;
        let svc: Service = c.service.into();
        match mode {
            PayloadMode::Hex(_) => c.expect_code("flipped body byte", &wire, Code::XAmzContentSHA256Mismatch),
            PayloadMode::StreamingSigned | PayloadMode::StreamingSignedTrailer => {
                let err = c.verify(&wire).unwrap_err();
                checked();
                assert!(
                    matches!(err, SigError::ChunkSignatureDoesNotMatch { index: 0, .. }),
                    "{}: {err:?}",
                    c.file
                );
                assert_eq!(err.code(svc), Code::SignatureDoesNotMatch);
            }
            PayloadMode::BodySha256 => c.expect_code("flipped form byte", &wire, Code::SignatureDoesNotMatch),
            PayloadMode::StreamingUnsignedTrailer | PayloadMode::Unsigned => {
                // Nothing signs these payload bytes: decoding succeeds, and only the checksum
                // the server compares (if the client sent one) can catch the change.
                let accepted = c.verify(&wire).unwrap_or_else(|e| panic!("{}: {e}", c.file));
                checked();
                let expected = expected_payload(&c).unwrap();
                assert_ne!(accepted.payload, expected, "{}", c.file);
                if let Some(crc) = accepted.trailers.get("x-amz-checksum-crc32") {
                    assert_ne!(
                        crc32_base64(&accepted.payload),
                        crc,
                        "{}: the trailer checksum no longer matches",
                        c.file
                    );
                    assert_eq!(crc32_base64(&expected), crc, "{}", c.file);
                }
            }
        }
    }
    report("payload");
}

#[test]
fn mutated_signed_parts_are_rejected() {
    let Some((root, manifest)) = captures() else {
        return;
    };
    for entry in manifest["captures"].as_array().unwrap() {
        let c = load(&root, entry);
        let svc: Service = c.service.into();
        let v2 = c.file.ends_with(".url") && !c.wire.target.contains("X-Amz-Algorithm=");

        // Method, path and query are signed.
        let mut wire = c.wire.clone();
        wire.method = if wire.method == "PUT" {
            "POST".into()
        } else {
            "PUT".into()
        };
        c.expect_code("method", &wire, Code::SignatureDoesNotMatch);
        let mut wire = c.wire.clone();
        wire.target = wire.target.replacen("/", "/x", 1);
        c.expect_code("path", &wire, Code::SignatureDoesNotMatch);
        if c.service == SigService::S3 && !v2 {
            let mut wire = c.wire.clone();
            wire.target = if wire.target.contains('?') {
                format!("{}&extra=1", wire.target)
            } else {
                format!("{}?extra=1", wire.target)
            };
            c.expect_code("query", &wire, Code::SignatureDoesNotMatch);
        }

        // Every signed header's value.
        for name in c.signed_headers() {
            if name == "x-amz-date" || name == "x-amz-content-sha256" {
                continue; // below
            }
            let mut wire = c.wire.clone();
            let mut value = wire.header(&name).unwrap().into_bytes();
            value.push(b'x');
            wire.set_header(&name, &value);
            c.expect_code(
                &format!("signed header {name}"),
                &wire,
                Code::SignatureDoesNotMatch,
            );
        }

        // The session token: altered, or dropped.
        if c.entry["has_security_token"].as_bool() == Some(true) {
            let mut wire = c.wire.clone();
            if c.file.ends_with(".url") {
                let token_param = if v2 {
                    "x-amz-security-token="
                } else {
                    "X-Amz-Security-Token="
                };
                wire.target = wire.target.replace(token_param, &format!("{token_param}x"));
                c.expect_code("token altered", &wire, Code::SignatureDoesNotMatch);
                let mut wire = c.wire.clone();
                let (path, query) = wire.target.split_once('?').unwrap();
                let kept: Vec<&str> = query.split('&').filter(|p| !p.starts_with(token_param)).collect();
                wire.target = format!("{path}?{}", kept.join("&"));
                c.expect_code("token dropped", &wire, Code::SignatureDoesNotMatch);
            } else {
                let mut value = wire.header("x-amz-security-token").unwrap().into_bytes();
                value.insert(0, b'x');
                wire.set_header("x-amz-security-token", &value);
                c.expect_code("token altered", &wire, Code::SignatureDoesNotMatch);
                let mut wire = c.wire.clone();
                wire.header_lines
                    .retain(|(n, _)| !n.eq_ignore_ascii_case("x-amz-security-token"));
                let err = c.verify(&wire).unwrap_err();
                checked();
                assert!(
                    matches!(err, SigError::SignedHeaderMissing { ref name } if name == "x-amz-security-token"),
                    "{}: {err:?}",
                    c.file
                );
                assert_eq!(err.code(svc), Code::SignatureDoesNotMatch);
            }
        }

        if c.file.ends_with(".url") {
            // Presigned URLs: past their expiry.
            let late = if v2 {
                c.now + time::Duration::seconds(61)
            } else {
                c.now + time::Duration::seconds(3601)
            };
            let err = verify(&c.wire, c.service, c.region.as_deref(), late).unwrap_err();
            checked();
            assert!(
                matches!(err, SigError::PresignExpired { .. }),
                "{}: {err:?}",
                c.file
            );
            assert_eq!(err.code(svc), Code::AccessDenied);
            continue;
        }

        // X-Amz-Date one second later: still in the window, but signed.
        let date = c.wire.header("x-amz-date").unwrap();
        let mut wire = c.wire.clone();
        let later = amz_time(&date) + time::Duration::seconds(1);
        wire.set_header("x-amz-date", sigv4_basic(later).as_bytes());
        c.expect_code("x-amz-date", &wire, Code::SignatureDoesNotMatch);
        // The clock 16 minutes away.
        for minutes in [-16, 16] {
            let err = verify(
                &c.wire,
                c.service,
                c.region.as_deref(),
                c.now + time::Duration::minutes(minutes),
            )
            .unwrap_err();
            checked();
            assert!(
                matches!(err, SigError::RequestTimeTooSkewed { .. }),
                "{}: {err:?}",
                c.file
            );
            let expected = if c.service == SigService::S3 {
                Code::RequestTimeTooSkewed
            } else {
                Code::SignatureDoesNotMatch
            };
            assert_eq!(err.code(svc), expected);
        }
        // Wrong region for an S3 bucket.
        if c.service == SigService::S3 {
            let err = verify(&c.wire, c.service, Some("ap-south-2"), c.now).unwrap_err();
            checked();
            assert_eq!(err.code(svc), Code::AuthorizationHeaderMalformed, "{}", c.file);
        }
        // x-amz-content-sha256 changed to another valid hash (it is the HashedPayload).
        if let Some(sha) = c.wire.header("x-amz-content-sha256") {
            let mut wire = c.wire.clone();
            let other = if sha == sigv4::sha256_hex(b"") {
                sigv4::sha256_hex(b"x")
            } else {
                sigv4::sha256_hex(b"")
            };
            wire.set_header("x-amz-content-sha256", other.as_bytes());
            c.expect_code("x-amz-content-sha256", &wire, Code::SignatureDoesNotMatch);
        }
    }
    report("signed parts");
}

fn sigv4_basic(t: time::OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[test]
fn mutated_aws_chunked_framing_is_rejected() {
    let Some((root, manifest)) = captures() else {
        return;
    };
    let mut seen = 0;
    for entry in manifest["captures"].as_array().unwrap() {
        let c = load(&root, entry);
        if c.file.ends_with(".url") {
            continue;
        }
        let Some(mode) = c
            .verify(&c.wire)
            .unwrap()
            .mode
            .filter(PayloadMode::is_aws_chunked)
        else {
            continue;
        };
        seen += 1;
        let signed = mode != PayloadMode::StreamingUnsignedTrailer;
        let svc: Service = c.service.into();
        let body = &c.wire.body;

        // The first chunk-size line: one more byte than sent.
        let mut wire = c.wire.clone();
        let size_end = body.iter().position(|b| *b == b';' || *b == b'\r').unwrap();
        let size = u64::from_str_radix(std::str::from_utf8(&body[..size_end]).unwrap(), 16).unwrap();
        let mut new_body = format!("{:x}", size + 1).into_bytes();
        new_body.extend_from_slice(&body[size_end..]);
        wire.body = new_body;
        let err = c.verify(&wire).unwrap_err();
        checked();
        assert!(
            matches!(
                err,
                SigError::MalformedChunk { .. }
                    | SigError::ChunkSignatureDoesNotMatch { .. }
                    | SigError::BodyTooLong { .. }
            ),
            "{}: chunk size: {err:?}",
            c.file
        );

        // Truncated: the last bytes never arrive.
        let mut wire = c.wire.clone();
        wire.body.truncate(body.len() - 3);
        c.expect_code("truncated body", &wire, Code::IncompleteBody);

        // Bytes after the end.
        let mut wire = c.wire.clone();
        wire.body.extend_from_slice(b"0\r\n\r\n");
        c.expect_code("trailing bytes", &wire, Code::IncompleteBody);

        // The trailer value.
        let trailer_at =
            common::find(body, b"x-amz-checksum-crc32:").unwrap() + "x-amz-checksum-crc32:".len();
        let mut wire = c.wire.clone();
        wire.body[trailer_at] = if body[trailer_at] == b'A' { b'B' } else { b'A' };
        if signed {
            let err = c.verify(&wire).unwrap_err();
            checked();
            assert!(
                matches!(err, SigError::TrailerSignatureDoesNotMatch { .. }),
                "{}: {err:?}",
                c.file
            );
            assert_eq!(err.code(svc), Code::SignatureDoesNotMatch);
        } else {
            let accepted = c.verify(&wire).unwrap();
            let crc = accepted.trailers.get("x-amz-checksum-crc32").unwrap();
            assert_ne!(
                crc32_base64(&accepted.payload),
                crc,
                "{}: the server's checksum comparison fails",
                c.file
            );
        }

        if signed {
            // A chunk signature.
            let sig_at = common::find(body, b"chunk-signature=").unwrap() + "chunk-signature=".len();
            let mut wire = c.wire.clone();
            wire.body[sig_at] = if body[sig_at] == b'0' { b'1' } else { b'0' };
            let err = c.verify(&wire).unwrap_err();
            checked();
            assert!(
                matches!(err, SigError::ChunkSignatureDoesNotMatch { index: 0, .. }),
                "{}: {err:?}",
                c.file
            );
            // The trailer signature.
            let tsig_at =
                common::find(body, b"x-amz-trailer-signature:").unwrap() + "x-amz-trailer-signature:".len();
            let mut wire = c.wire.clone();
            wire.body[tsig_at] = if body[tsig_at] == b'0' { b'1' } else { b'0' };
            let err = c.verify(&wire).unwrap_err();
            checked();
            assert!(
                matches!(err, SigError::TrailerSignatureDoesNotMatch { .. }),
                "{}: {err:?}",
                c.file
            );
            // The trailer signature line dropped.
            let mut wire = c.wire.clone();
            let line_end = tsig_at + common::find(&body[tsig_at..], b"\r\n").unwrap() + 2;
            wire.body
                .drain(tsig_at - "x-amz-trailer-signature:".len()..line_end);
            let err = c.verify(&wire).unwrap_err();
            checked();
            assert!(
                matches!(err, SigError::TrailerSignatureDoesNotMatch { ref provided, .. } if provided.is_empty()),
                "{}: {err:?}",
                c.file
            );
        }

        // x-amz-decoded-content-length: signed, so changing it fails the seed signature...
        let declared: u64 = c
            .wire
            .header("x-amz-decoded-content-length")
            .unwrap()
            .parse()
            .unwrap();
        let mut wire = c.wire.clone();
        wire.set_header(
            "x-amz-decoded-content-length",
            (declared + 1).to_string().as_bytes(),
        );
        c.expect_code("decoded length", &wire, Code::SignatureDoesNotMatch);
        // ...and the decoder itself holds the body to whatever length the request declares.
        for (other, expected) in [
            (
                declared + 1,
                SigError::IncompleteBody {
                    expected: declared + 1,
                    provided: declared,
                },
            ),
            (
                declared - 1,
                SigError::BodyTooLong {
                    expected: declared - 1,
                    provided: 0,
                },
            ),
        ] {
            let req = c.wire.parsed();
            let headers = req.headers();
            let head = common::head(&req, &headers);
            let Ok(Auth::V4(auth)) = sigv4::parse(&head, c.service) else {
                panic!()
            };
            let verified = auth
                .verify(&head, SECRET, c.service, &mode.canonical_value().unwrap())
                .unwrap();
            let mut mutated = headers.clone();
            mutated.insert("x-amz-decoded-content-length", other.to_string().parse().unwrap());
            let mut check = BodyCheck::new(mode, &verified, &mutated).unwrap();
            let mut out = Vec::new();
            let result = check.push(body, &mut out).and_then(|()| check.finish());
            let err = result.unwrap_err();
            checked();
            match expected {
                SigError::BodyTooLong { .. } => assert!(
                    matches!(err, SigError::BodyTooLong { expected: e, .. } if e == other),
                    "{}: {err:?}",
                    c.file
                ),
                _ => assert_eq!(err, expected, "{}", c.file),
            }
            assert_eq!(err.code(svc), Code::IncompleteBody);
        }
    }
    assert_eq!(seen, 60, "56 unsigned-trailer and 4 signed-trailer captures");
    report("aws-chunked framing");
}

#[test]
fn unsigned_headers_and_header_order_do_not_matter() {
    let Some((root, manifest)) = captures() else {
        return;
    };
    for entry in manifest["captures"].as_array().unwrap() {
        let c = load(&root, entry);
        let mut wire = c.wire.clone();
        wire.header_lines
            .push(("X-Unsigned-Test".into(), b"added by a proxy".to_vec()));
        wire.header_lines.reverse();
        let accepted = c.verify(&wire).unwrap_or_else(|e| panic!("{}: {e}", c.file));
        if let Some(expected) = expected_payload(&c).filter(|_| !c.file.ends_with(".url")) {
            assert!(accepted.payload == expected, "{}", c.file);
        }
        // S3 insists on signing every x-amz-* header (x-amz-content-sha256 excepted).
        if c.service == SigService::S3 && !c.file.ends_with(".url") {
            let mut wire = c.wire.clone();
            wire.header_lines
                .push(("x-amz-meta-unsigned".into(), b"1".to_vec()));
            let err = c.verify(&wire).unwrap_err();
            checked();
            assert_eq!(
                err,
                SigError::HeadersNotSigned {
                    names: vec!["x-amz-meta-unsigned".into()]
                },
                "{}",
                c.file
            );
            assert_eq!(err.code(Service::S3), Code::AccessDenied);
        }
    }
}
