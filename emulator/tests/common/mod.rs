//! Test-only helpers shared by the SigV4 vector and wire tests: find the shared vector
//! directory, parse request text into a head and a body, undo HTTP chunking.

#![allow(dead_code, reason = "each test crate uses a different subset of the helpers")]

use std::path::{Path, PathBuf};

use emulator::sigv4::RequestHead;
use http::{HeaderMap, HeaderName, HeaderValue};

/// `$SHARED_DIR`, else `<workspace>/../shared`. `None` (after a visible SKIP line) when
/// absent; panics instead when `CI` is set, so CI never passes by skipping.
pub fn shared_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    if dir.join(what).exists() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{} not found under {} and CI is set", what, dir.display());
    }
    eprintln!(
        "SKIP: {} not found under {} (set SHARED_DIR)",
        what,
        dir.display()
    );
    None
}

/// A request parsed from text: what a server would hand the verifier.
#[derive(Debug, Clone)]
pub struct ParsedRequest {
    pub method: String,
    /// The request target as written (path and query).
    pub target: String,
    /// Header lines in order, names as written, values with OWS trimmed.
    pub header_lines: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl ParsedRequest {
    /// Parse `METHOD TARGET [HTTP/x]` + header lines + blank line + body. Lines end in CRLF
    /// or LF; a line starting with whitespace continues the previous header (obs-fold,
    /// replaced by one space as RFC 9112 §5.2 allows). The target may contain spaces (the
    /// CRT suite's `GET /example space/ HTTP/1.1`).
    pub fn parse(raw: &[u8]) -> Self {
        let (head, body) = match find(raw, b"\r\n\r\n") {
            Some(i) => (&raw[..i], raw[i + 4..].to_vec()),
            None => match find(raw, b"\n\n") {
                Some(i) => (&raw[..i], raw[i + 2..].to_vec()),
                None => (raw, Vec::new()),
            },
        };
        let head = String::from_utf8_lossy(head).into_owned();
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let request_line = lines.next().unwrap();
        let (method, rest) = request_line.split_once(' ').unwrap();
        let target = match rest.rsplit_once(' ') {
            Some((t, v)) if v.starts_with("HTTP/") => t,
            _ => rest,
        };
        let mut header_lines: Vec<(String, Vec<u8>)> = Vec::new();
        for line in lines {
            if line.is_empty() {
                continue; // a head ending in a single newline (no body)
            }
            if line.starts_with([' ', '\t']) {
                let last = header_lines
                    .last_mut()
                    .expect("continuation line without a header");
                last.1.push(b' ');
                last.1.extend_from_slice(line.trim().as_bytes());
                continue;
            }
            let (name, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("bad header line {line:?}"));
            header_lines.push((name.to_owned(), value.trim().as_bytes().to_vec()));
        }
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            header_lines,
            body,
        }
    }

    /// The headers as a map (names lowercased by `http`), repeated headers in order.
    pub fn headers(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in &self.header_lines {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        map
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.header_lines
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }

    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(p, _)| p)
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The body with HTTP `Transfer-Encoding: chunked` removed (what hyper hands the server).
    pub fn decoded_http_body(&self) -> Vec<u8> {
        match self.header("transfer-encoding") {
            Some(te) if te.to_ascii_lowercase().contains("chunked") => dechunk_http(&self.body),
            _ => self.body.clone(),
        }
    }
}

/// A [`RequestHead`] borrowing from the parsed request and a header map.
pub fn head<'a>(req: &'a ParsedRequest, headers: &'a HeaderMap) -> RequestHead<'a> {
    RequestHead {
        method: &req.method,
        raw_path: req.path(),
        raw_query: req.query(),
        headers,
    }
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Undo HTTP/1.1 chunked transfer coding (sizes, extensions ignored, trailers dropped).
pub fn dechunk_http(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let eol = pos + find(&body[pos..], b"\r\n").expect("chunk-size line");
        let line = std::str::from_utf8(&body[pos..eol]).unwrap();
        let size = usize::from_str_radix(line.split(';').next().unwrap().trim(), 16).unwrap();
        pos = eol + 2;
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[pos..pos + size]);
        assert_eq!(
            &body[pos + size..pos + size + 2],
            b"\r\n",
            "HTTP chunk not followed by CRLF"
        );
        pos += size + 2;
    }
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn read_string(path: &Path) -> String {
    String::from_utf8(read(path)).unwrap()
}

/// The `yyyymmddThhmmssZ` instant.
pub fn amz_time(s: &str) -> time::OffsetDateTime {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, format).unwrap().assume_utc()
}

/// base64 of the big-endian CRC32 (ISO-HDLC) of `data`: the `x-amz-checksum-crc32` value.
/// A bitwise test oracle, independent of the server's checksum code.
pub fn crc32_base64(data: &[u8]) -> String {
    use base64::Engine as _;
    let mut crc = 0xFFFF_FFFF_u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    base64::engine::general_purpose::STANDARD.encode((!crc).to_be_bytes())
}

// ---- helpers for tests that drive a running emulator ----------------------------

use std::sync::Arc;

use aws_credential_types::Credentials;
use emulator::{Clock, Config, Running};

pub const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A world with one account, a user with an active and an inactive key, and two buckets.
pub const WORLD: &str = r#"
[[accounts]]
id = "111111111111"
name = "customer"

[[accounts]]
id = "222222222222"
name = "other"

[[users]]
account = "customer"
name = "writer"
access_keys = [
  { id = "AKIAIOSFODNN7EXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  { id = "AKIAINACTIVEEXAMPLE1", secret = "inactive-secret", status = "Inactive" },
]
policies = [{ name = "lake", document = '''
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation"],
   "Resource": ["arn:aws:s3:::lake", "arn:aws:s3:::lake/*", "arn:aws:s3:::test-bucket", "arn:aws:s3:::test-bucket/*"]}
]}
''' }]

[[users]]
account = "other"
name = "stranger"
access_keys = [{ id = "AKIASTRANGEREXAMPLE1", secret = "stranger-secret" }]

[[buckets]]
name = "lake"
account = "customer"
region = "eu-west-1"

[[buckets]]
name = "test-bucket"
account = "customer"
region = "us-east-1"
"#;

/// Start an emulator on 127.0.0.1:0.
pub async fn start(world: &str, clock: Arc<dyn Clock>) -> Running {
    start_with(world, clock, Config::default()).await
}

/// Start an emulator with a config.
pub async fn start_with(world: &str, clock: Arc<dyn Clock>, config: Config) -> Running {
    testkit::start_with(world, clock, config)
        .await
        .expect("start the emulator")
}

/// An S3 client for the emulator.
pub async fn s3(endpoint: &str, region: &str, akid: &str, secret: &str) -> aws_sdk_s3::Client {
    s3_with(
        endpoint,
        region,
        Credentials::new(akid, secret, None, None, "test"),
        false,
    )
    .await
}

/// An S3 client with explicit credentials and checksum mode.
pub async fn s3_with(
    endpoint: &str,
    region: &str,
    creds: Credentials,
    when_required: bool,
) -> aws_sdk_s3::Client {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(creds)
        .endpoint_url(endpoint)
        .load()
        .await;
    let mut b = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true);
    if when_required {
        b = b
            .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

/// The AWS error code of an SDK error, or a panic naming what came back instead.
pub fn code<E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug>(
    err: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> String {
    match err {
        aws_sdk_s3::error::SdkError::ServiceError(e) => e.err().code().unwrap_or("<none>").to_string(),
        other => panic!("expected a service error, got {other:?}"),
    }
}

/// HTTP status of an SDK service error.
pub fn status<E>(err: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>) -> u16 {
    match err {
        aws_sdk_s3::error::SdkError::ServiceError(e) => e.raw().status().as_u16(),
        aws_sdk_s3::error::SdkError::ResponseError(e) => e.raw().status().as_u16(),
        _ => 0,
    }
}

/// The SDKs' time source on the emulator's manual clock (shared with examples).
#[allow(
    unused_imports,
    reason = "each test crate uses a different subset of the helpers"
)]
pub use testkit::EmulatorTime;

/// One admin-API call over HTTP with the emulator's token: status and body.
pub async fn admin(running: &Running, method: &str, path: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let token = running.emulator.admin_token().unwrap_or_default();
    let raw = format!(
        "{method} /_emulator/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let Ok(mut s) = tokio::net::TcpStream::connect(running.addr).await else {
        return (0, "connect failed".into());
    };
    if s.write_all(raw.as_bytes()).await.is_err() {
        return (0, "write failed".into());
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    (status, body)
}
