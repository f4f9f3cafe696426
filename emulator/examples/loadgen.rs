//! A load generator for S3/STS endpoints on this machine.
//!
//! Every request is signed with the AWS SDK's own signer (`aws-sigv4`, the
//! settings aws-sdk-s3 and aws-sdk-sts use), never with the emulator's code, so
//! the same requests can drive the emulator, moto and a bare HTTP server.
//! Requests are signed before the clock starts (a pool, reused round-robin):
//! the generator shares two cores with the server it measures, and signing
//! inside the timed loop would measure the generator. Bodies are shared
//! `Bytes` handed out in 64 KiB frames, so a 1 GiB body is streamed, never
//! buffered.
//!
//! ```text
//! loadgen run --target http://127.0.0.1:PORT --op put --size 1024 --concurrency 8 --duration 5
//! loadgen run --target http://127.0.0.1:PORT --op put --size 1073741824 --requests 1 --concurrency 1
//! loadgen coldstart -- target/release/emulator serve --world W --listen 127.0.0.1:{port}
//! ```
//!
//! `--op multipart` is the exception: one "request" is a whole multipart upload
//! of `--size` bytes in `--part-size` parts (CreateMultipartUpload, the parts with
//! `UNSIGNED-PAYLOAD`, CompleteMultipartUpload), signed as it goes because each
//! step names the upload id the server chose; signing is a few HMACs per step,
//! small beside the megabytes each part carries. Compare it with
//! `--op put --unsigned-payload` of the same size. Against a server that answers
//! without an upload id (the ceiling), a fixed id stands in.
//!
//! `--op list` times ListObjectsV2 pages (`--max-keys`) over a prefix that a
//! `--op put` run filled (`--first` lets a large bucket be filled in batches):
//! its `--keys` pooled requests start after keys spread evenly over the
//! `--objects` keys there. A page that lists no key counts as an error.
//!
//! `run` stops at `--requests` or `--duration`, whichever comes first, and prints
//! requests/s, p50/p99 latency and errors (one JSON line with `--json`).
//! `coldstart` picks a free port, substitutes it for `{port}`, spawns the
//! command and times spawn → first answered request (`--expect` status).
//! Only `127.0.0.1` is accepted as a target.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations,
    reason = "a command-line tool outside the library: errors end the run with a message"
)]

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest};
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request};
use http_body::Frame;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use sha2::Digest;

const FRAME: usize = 64 * 1024;
const MAX_DURATION: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Put,
    Delete,
    AssumeRole,
    /// One `CreateBucket` in `--region` (moto starts empty; the emulator's
    /// buckets come from its world and it answers NotImplemented).
    CreateBucket,
    /// A whole multipart upload per request (see the module docs).
    Multipart,
    /// ListObjectsV2 pages of `--max-keys`, starting after keys spread evenly over
    /// the `--objects` keys a `--op put` run with the same `--prefix` wrote.
    List,
}

#[derive(Debug, Clone)]
struct Opts {
    host: String,
    op: Op,
    size: u64,
    concurrency: usize,
    requests: u64,
    duration: Duration,
    keys: usize,
    prefix: String,
    bucket: String,
    region: String,
    akid: String,
    secret: String,
    role_arn: String,
    external_id: String,
    unsigned: bool,
    json: bool,
    label: String,
    /// `--op multipart`: bytes per part (the last may be smaller).
    part_size: u64,
    /// `--op put|delete`: the first key's number (`--keys` keys from there), so a
    /// bucket can be filled in batches.
    first: usize,
    /// `--op list`: how many keys (numbered from 0) the listed prefix holds.
    objects: usize,
    /// `--op list`: `max-keys` of each page.
    max_keys: usize,
}

fn usage() -> ! {
    eprintln!(
        "usage:\n  loadgen run --target http://127.0.0.1:PORT --op put|delete|assume-role|create-bucket|multipart|list \
         [--size BYTES] [--concurrency N] [--requests N] [--duration SECS] [--keys N] [--first N] [--prefix P] \
         [--objects N] [--max-keys N] [--bucket B] \
         [--region R] [--access-key-id K] [--secret S] [--role-arn ARN] [--external-id X] \
         [--unsigned-payload] [--json] [--label L]\n  loadgen coldstart [--expect STATUS] [--path /P] \
         [--timeout SECS] [--json] -- COMMAND ARGS... (with {{port}} in ARGS)"
    );
    std::process::exit(2)
}

/// `http://127.0.0.1:PORT` → `127.0.0.1:PORT`; anything else ends the program.
fn loopback_target(target: &str) -> String {
    let rest = target.strip_prefix("http://").unwrap_or_else(|| {
        eprintln!("loadgen: target must be http://127.0.0.1:PORT, got `{target}`");
        std::process::exit(2)
    });
    let hostport = rest.trim_end_matches('/');
    match hostport.split_once(':') {
        Some(("127.0.0.1", port)) if port.parse::<u16>().is_ok_and(|p| p > 0) => hostport.to_string(),
        _ => {
            eprintln!("loadgen: refusing target `{target}`: only 127.0.0.1 is allowed");
            std::process::exit(2)
        }
    }
}

fn parse_run(args: &[String]) -> Opts {
    let mut o = Opts {
        host: String::new(),
        op: Op::Put,
        size: 1024,
        concurrency: 1,
        requests: u64::MAX,
        duration: Duration::from_secs(5),
        keys: 1000,
        prefix: "bench/".into(),
        bucket: "customer-lake".into(),
        region: "eu-west-1".into(),
        akid: "AKIAIOSFODNN7EXAMPLE".into(),
        secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        role_arn: "arn:aws:iam::111111111111:role/transfer-role".into(),
        external_id: "ext-123".into(),
        unsigned: false,
        part_size: 8 * 1024 * 1024,
        json: false,
        label: String::new(),
        first: 0,
        objects: 0,
        max_keys: 1000,
    };
    let mut it = args.iter();
    let mut target = None;
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().unwrap_or_else(|| usage());
        match a.as_str() {
            "--target" => target = Some(val()),
            "--op" => {
                o.op = match val().as_str() {
                    "put" => Op::Put,
                    "delete" => Op::Delete,
                    "assume-role" => Op::AssumeRole,
                    "create-bucket" => Op::CreateBucket,
                    "multipart" => Op::Multipart,
                    "list" => Op::List,
                    _ => usage(),
                }
            }
            "--size" => o.size = val().parse().unwrap_or_else(|_| usage()),
            "--part-size" => o.part_size = val().parse().unwrap_or_else(|_| usage()),
            "--concurrency" => o.concurrency = val().parse().unwrap_or_else(|_| usage()),
            "--requests" => o.requests = val().parse().unwrap_or_else(|_| usage()),
            "--duration" => o.duration = Duration::from_secs_f64(val().parse().unwrap_or_else(|_| usage())),
            "--keys" => o.keys = val().parse().unwrap_or_else(|_| usage()),
            "--prefix" => o.prefix = val(),
            "--bucket" => o.bucket = val(),
            "--region" => o.region = val(),
            "--access-key-id" => o.akid = val(),
            "--secret" => o.secret = val(),
            "--role-arn" => o.role_arn = val(),
            "--external-id" => o.external_id = val(),
            "--unsigned-payload" => o.unsigned = true,
            "--json" => o.json = true,
            "--label" => o.label = val(),
            "--first" => o.first = val().parse().unwrap_or_else(|_| usage()),
            "--objects" => o.objects = val().parse().unwrap_or_else(|_| usage()),
            "--max-keys" => o.max_keys = val().parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    o.host = loopback_target(&target.unwrap_or_else(|| usage()));
    if o.concurrency == 0 || o.keys == 0 || o.part_size == 0 || o.duration > MAX_DURATION {
        eprintln!("loadgen: --concurrency and --keys must be > 0, --duration at most 600 s");
        std::process::exit(2)
    }
    if o.op == Op::List && (o.objects == 0 || o.max_keys == 0) {
        eprintln!("loadgen: --op list needs --objects N (the keys under --prefix) and --max-keys > 0");
        std::process::exit(2)
    }
    o
}

/// A request body: `len` bytes of a shared buffer, in frames of at most 64 KiB.
/// Cloning the buffer is a reference count, so nothing is copied or buffered.
struct RepeatBody {
    chunk: Bytes,
    left: u64,
}

impl http_body::Body for RepeatBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(self.chunk.len() as u64) as usize;
        self.left -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(self.chunk.slice(..n)))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.left)
    }
}

/// One pre-signed request: method, path, headers; the body is shared.
struct Prepared {
    method: Method,
    path: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// What every request of a run carries.
struct Shared {
    opts: Opts,
    pool: Vec<Prepared>,
    /// The repeated body unit: the whole body when ≤ 64 KiB, else one frame.
    chunk: Bytes,
    body_len: u64,
}

/// Percent-encode all but the unreserved characters, as SigV4 canonicalises a
/// path (`/` kept) or a query value (`/` encoded).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn create_bucket_body(o: &Opts) -> String {
    format!(
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
        o.region
    )
}

fn body_unit(o: &Opts) -> (Bytes, u64) {
    match o.op {
        Op::AssumeRole | Op::Delete | Op::List => return (Bytes::new(), 0),
        Op::CreateBucket => {
            let b = create_bucket_body(o);
            let len = b.len() as u64;
            return (Bytes::from(b), len);
        }
        Op::Put | Op::Multipart => {}
    }
    let unit = o.size.min(FRAME as u64) as usize;
    let data: Vec<u8> = (0..unit).map(|i| (i % 251) as u8).collect();
    (Bytes::from(data), o.size)
}

/// Hex SHA-256 of the whole body, streamed through the hasher frame by frame.
fn body_sha256(chunk: &Bytes, len: u64) -> String {
    let mut h = sha2::Sha256::new();
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        h.update(&chunk[..n]);
        left -= n as u64;
    }
    hex::encode(h.finalize())
}

/// A request before signing: method, path, signing name, headers, body.
type Unsigned = (Method, String, &'static str, Vec<(String, String)>, Vec<u8>);

fn sign_one(o: &Opts, identity: &Identity, index: usize, payload_hash: &str, now: SystemTime) -> Prepared {
    let host = &o.host;
    let (method, path, service, mut headers, body): Unsigned = match o.op {
        Op::Put | Op::Delete | Op::Multipart => {
            let key = format!("{}{:08}", o.prefix, o.first + index);
            let path = format!("/{}/{}", o.bucket, encode(&key, true));
            let method = if o.op == Op::Put {
                Method::PUT
            } else {
                Method::DELETE
            };
            let mut h = vec![("host".to_string(), host.clone())];
            if o.op == Op::Put {
                h.push(("content-type".into(), "application/octet-stream".into()));
                h.push(("content-length".into(), o.size.to_string()));
            }
            (method, path, "s3", h, Vec::new())
        }
        Op::AssumeRole => {
            let form = assume_role_form(o, index);
            let h = vec![
                ("host".to_string(), host.clone()),
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded; charset=utf-8".into(),
                ),
                ("content-length".into(), form.len().to_string()),
            ];
            (Method::POST, "/".into(), "sts", h, form.into_bytes())
        }
        Op::List => {
            // Page `index` of `--keys` starts after key number index·objects/keys.
            let at = index * o.objects / o.keys;
            let path = format!(
                "/{}?list-type=2&max-keys={}&start-after={}",
                o.bucket,
                o.max_keys,
                encode(&format!("{}{at:08}", o.prefix), false)
            );
            (
                Method::GET,
                path,
                "s3",
                vec![("host".to_string(), host.clone())],
                Vec::new(),
            )
        }
        Op::CreateBucket => {
            let body = create_bucket_body(o);
            let h = vec![
                ("host".to_string(), host.clone()),
                ("content-length".into(), body.len().to_string()),
            ];
            (Method::PUT, format!("/{}", o.bucket), "s3", h, body.into_bytes())
        }
    };
    let settings = testkit::sign::like_sdk(service);
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region(&o.region)
        .name(service)
        .time(now)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable_body = match o.op {
        Op::AssumeRole | Op::CreateBucket => SignableBody::Bytes(&body),
        _ if o.unsigned => SignableBody::UnsignedPayload,
        _ => SignableBody::Precomputed(payload_hash.to_string()),
    };
    let uri = format!("http://{host}{path}");
    let signable = SignableRequest::new(
        method.as_str(),
        uri.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        signable_body,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    Prepared {
        method,
        path,
        headers: headers
            .into_iter()
            .map(|(n, v)| {
                (
                    HeaderName::from_bytes(n.as_bytes()).unwrap(),
                    HeaderValue::from_str(&v).unwrap(),
                )
            })
            .collect(),
    }
}

fn prepare(o: Opts) -> Shared {
    let (chunk, body_len) = body_unit(&o);
    let payload_hash = if o.op == Op::Put && !o.unsigned {
        body_sha256(&chunk, body_len)
    } else {
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string()
    };
    let identity: Identity = Credentials::new(&o.akid, &o.secret, None, None, "loadgen").into();
    let now = SystemTime::now();
    let pool_size = match o.op {
        Op::AssumeRole => o.keys.min(256),
        Op::CreateBucket | Op::Multipart => 1,
        _ => o.keys,
    };
    let pool = (0..pool_size)
        .map(|i| sign_one(&o, &identity, i, &payload_hash, now))
        .collect();
    Shared {
        opts: o,
        pool,
        chunk,
        body_len,
    }
}

fn request(shared: &Shared, i: usize) -> Request<RepeatBody> {
    let p = &shared.pool[i % shared.pool.len()];
    let body = match shared.opts.op {
        Op::AssumeRole => assume_role_body(shared, i),
        Op::Put | Op::CreateBucket | Op::Multipart => RepeatBody {
            chunk: shared.chunk.clone(),
            left: shared.body_len,
        },
        Op::Delete | Op::List => RepeatBody {
            chunk: Bytes::new(),
            left: 0,
        },
    };
    let mut req = Request::builder().method(p.method.clone()).uri(p.path.as_str());
    for (n, v) in &p.headers {
        req = req.header(n, v);
    }
    req.body(body).unwrap()
}

/// The AssumeRole form of pooled request `index` (its session name is `bench-INDEX`).
fn assume_role_form(o: &Opts, index: usize) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "AssumeRole")
        .append_pair("Version", "2011-06-15")
        .append_pair("RoleArn", &o.role_arn)
        .append_pair("RoleSessionName", &format!("bench-{index}"))
        .append_pair("ExternalId", &o.external_id)
        .finish()
}

/// AssumeRole bodies differ per pooled request (the session name): rebuild the
/// form the signature covers.
fn assume_role_body(shared: &Shared, i: usize) -> RepeatBody {
    let o = &shared.opts;
    let form = assume_role_form(o, i % shared.pool.len());
    let len = form.len() as u64;
    RepeatBody {
        chunk: Bytes::from(form),
        left: len,
    }
}

#[derive(Default)]
struct WorkerResult {
    latencies_us: Vec<u32>,
    errors: u64,
    statuses: std::collections::BTreeMap<u16, u64>,
    first_error: Option<String>,
}

async fn connect(host: &str) -> std::io::Result<hyper::client::conn::http1::SendRequest<RepeatBody>> {
    let stream = tokio::net::TcpStream::connect(host).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn worker(
    shared: Arc<Shared>,
    next: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    deadline: Instant,
) -> WorkerResult {
    let mut r = WorkerResult::default();
    let mut sender = None;
    let ok_status = |s: u16| (200..300).contains(&s);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= shared.opts.requests {
            break;
        }
        if sender.is_none() {
            match connect(&shared.opts.host).await {
                Ok(s) => sender = Some(s),
                Err(e) => {
                    r.errors += 1;
                    r.first_error.get_or_insert_with(|| format!("connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let start = Instant::now();
        if shared.opts.op == Op::Multipart {
            let outcome = multipart_once(&shared, &mut sender, i as usize).await;
            let took = start.elapsed();
            match outcome {
                Ok(()) => {
                    *r.statuses.entry(200).or_default() += 1;
                    r.latencies_us
                        .push(took.as_micros().min(u128::from(u32::MAX)) as u32);
                }
                Err(e) => {
                    r.errors += 1;
                    r.first_error.get_or_insert(e);
                    sender = None;
                }
            }
            continue;
        }
        let Some(s) = sender.as_mut() else { continue };
        let req = request(&shared, i as usize);
        let outcome = async {
            s.ready().await?;
            let res = s.send_request(req).await?;
            let status = res.status().as_u16();
            // A server that closes after each answer (moto's does) costs a
            // reconnect per request: that is part of its latency, not an error.
            let close = res
                .headers()
                .get(http::header::CONNECTION)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"))
                || res.version() == http::Version::HTTP_10;
            let body = res.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body, close))
        }
        .await;
        let took = start.elapsed();
        match outcome {
            Ok((status, body, close)) => {
                if close {
                    sender = None;
                }
                *r.statuses.entry(status).or_default() += 1;
                // A listing that answers 200 with no key listed nothing: the
                // page the run meant to time was not there.
                let empty_page = shared.opts.op == Op::List && !body.windows(5).any(|w| w == b"<Key>");
                if ok_status(status) && empty_page {
                    r.errors += 1;
                    r.first_error.get_or_insert_with(|| {
                        format!("HTTP {status} listing no key: {}", String::from_utf8_lossy(&body))
                    });
                } else if ok_status(status) {
                    r.latencies_us
                        .push(took.as_micros().min(u128::from(u32::MAX)) as u32);
                } else {
                    r.errors += 1;
                    r.first_error
                        .get_or_insert_with(|| format!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
                }
            }
            Err(e) => {
                r.errors += 1;
                r.first_error.get_or_insert_with(|| format!("{e}"));
                sender = None;
            }
        }
    }
    r
}

/// Sign one request now (`--op multipart`): method, path with query, headers,
/// and the body's signing form.
fn sign_now(
    o: &Opts,
    method: &Method,
    path: &str,
    mut headers: Vec<(String, String)>,
    body: SignableBody<'_>,
) -> Vec<(HeaderName, HeaderValue)> {
    let identity: Identity = Credentials::new(&o.akid, &o.secret, None, None, "loadgen").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&o.region)
        .name("s3")
        .time(SystemTime::now())
        .settings(testkit::sign::like_sdk("s3"))
        .build()
        .unwrap()
        .into();
    let uri = format!("http://{}{path}", o.host);
    let signable = SignableRequest::new(
        method.as_str(),
        uri.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        body,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    headers
        .into_iter()
        .map(|(n, v)| {
            (
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(&v).unwrap(),
            )
        })
        .collect()
}

/// Send one request on `conn` (connecting first when it is `None`, and leaving it
/// `None` after an answer that closes the connection, as moto's do); `Err` names a
/// transport failure or a non-2xx answer.
async fn send(
    conn: &mut Option<hyper::client::conn::http1::SendRequest<RepeatBody>>,
    host: &str,
    method: Method,
    path: &str,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: RepeatBody,
) -> Result<(http::HeaderMap, Bytes), String> {
    let mut req = Request::builder().method(method).uri(path);
    for (n, v) in headers {
        req = req.header(n, v);
    }
    let req = req.body(body).map_err(|e| e.to_string())?;
    if conn.is_none() {
        *conn = Some(connect(host).await.map_err(|e| format!("connect: {e}"))?);
    }
    let Some(s) = conn.as_mut() else {
        return Err("no connection".into());
    };
    s.ready().await.map_err(|e| e.to_string())?;
    let res = s.send_request(req).await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    if headers
        .get(http::header::CONNECTION)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"))
        || res.version() == http::Version::HTTP_10
    {
        *conn = None;
    }
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if (200..300).contains(&status) {
        Ok((headers, body))
    } else {
        Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))
    }
}

/// One whole multipart upload of `--size` bytes to key `i`.
async fn multipart_once(
    shared: &Shared,
    conn: &mut Option<hyper::client::conn::http1::SendRequest<RepeatBody>>,
    i: usize,
) -> Result<(), String> {
    let o = &shared.opts;
    let key = format!("{}{:08}", o.prefix, i % o.keys);
    let object = format!("/{}/{}", o.bucket, encode(&key, true));
    let empty = || RepeatBody {
        chunk: Bytes::new(),
        left: 0,
    };
    let host = || ("host".to_string(), o.host.clone());

    let path = format!("{object}?uploads=");
    let headers = sign_now(o, &Method::POST, &path, vec![host()], SignableBody::Bytes(&[]));
    let (_, body) = send(conn, &o.host, Method::POST, &path, headers, empty()).await?;
    let text = String::from_utf8_lossy(&body);
    let upload_id = text
        .split_once("<UploadId>")
        .and_then(|(_, rest)| rest.split_once("</UploadId>"))
        .map_or_else(|| "ceiling-upload".to_string(), |(id, _)| id.to_string());
    let encoded_id: String = form_urlencoded::byte_serialize(upload_id.as_bytes()).collect();

    let mut etags = Vec::new();
    let mut left = shared.body_len;
    let mut number = 1;
    while left > 0 {
        let len = left.min(o.part_size);
        let path = format!("{object}?partNumber={number}&uploadId={encoded_id}");
        let headers = sign_now(
            o,
            &Method::PUT,
            &path,
            vec![host(), ("content-length".into(), len.to_string())],
            SignableBody::UnsignedPayload,
        );
        let body = RepeatBody {
            chunk: shared.chunk.clone(),
            left: len,
        };
        let (answer, _) = send(conn, &o.host, Method::PUT, &path, headers, body).await?;
        let etag = answer
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("\"etag\"")
            .to_string();
        etags.push((number, etag));
        left -= len;
        number += 1;
    }

    let mut xml = String::from("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (n, etag) in &etags {
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    let path = format!("{object}?uploadId={encoded_id}");
    let headers = sign_now(
        o,
        &Method::POST,
        &path,
        vec![host(), ("content-length".into(), xml.len().to_string())],
        SignableBody::Bytes(xml.as_bytes()),
    );
    let len = xml.len() as u64;
    let (_, body) = send(
        conn,
        &o.host,
        Method::POST,
        &path,
        headers,
        RepeatBody {
            chunk: Bytes::from(xml),
            left: len,
        },
    )
    .await?;
    // CompleteMultipartUpload can answer 200 with an error inside (S3 API reference).
    if body.windows(7).any(|w| w == b"<Error>") {
        return Err(format!(
            "200 with an error body: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    Ok(())
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[idx.min(sorted.len() - 1)]) / 1000.0
}

async fn run(o: Opts) {
    let shared = Arc::new(prepare(o));
    let o = &shared.opts;
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let deadline = start + o.duration;
    let handles: Vec<_> = (0..o.concurrency)
        .map(|_| tokio::spawn(worker(shared.clone(), next.clone(), stop.clone(), deadline)))
        .collect();
    let mut all = WorkerResult::default();
    for h in handles {
        let r = h.await.unwrap_or_default();
        all.latencies_us.extend(r.latencies_us);
        all.errors += r.errors;
        for (s, n) in r.statuses {
            *all.statuses.entry(s).or_default() += n;
        }
        if all.first_error.is_none() {
            all.first_error = r.first_error;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    let ok = all.latencies_us.len() as u64;
    let rps = ok as f64 / elapsed;
    let p50 = percentile(&all.latencies_us, 0.50);
    let p99 = percentile(&all.latencies_us, 0.99);
    let mib_s = rps * shared.body_len as f64 / (1024.0 * 1024.0);
    let statuses: Vec<String> = all.statuses.iter().map(|(s, n)| format!("\"{s}\":{n}")).collect();
    if o.json {
        let first_error = serde_json::to_string(&all.first_error).unwrap_or_else(|_| "null".into());
        println!(
            "{{\"label\":{},\"op\":\"{:?}\",\"size\":{},\"concurrency\":{},\"ok\":{ok},\"errors\":{},\"seconds\":{elapsed:.3},\"rps\":{rps:.1},\"mib_s\":{mib_s:.1},\"p50_ms\":{p50:.3},\"p99_ms\":{p99:.3},\"statuses\":{{{}}},\"first_error\":{first_error}}}",
            serde_json::to_string(&o.label).unwrap_or_default(),
            o.op,
            shared.body_len,
            o.concurrency,
            all.errors,
            statuses.join(","),
        );
    } else {
        println!(
            "{:?} size={} concurrency={}: {ok} ok, {} errors in {elapsed:.2} s = {rps:.0} req/s ({mib_s:.1} MiB/s), p50 {p50:.3} ms, p99 {p99:.3} ms",
            o.op, shared.body_len, o.concurrency, all.errors
        );
        if let Some(e) = &all.first_error {
            println!("first error: {}", e.chars().take(400).collect::<String>());
        }
    }
}

/// A free loopback port: bind port 0, read it, let it go.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| {
            eprintln!("loadgen: no free port: {e}");
            std::process::exit(1)
        })
}

/// One raw HTTP/1.1 request; the status, if the server answered.
fn try_request(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    s.set_nodelay(true).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .ok()?;
    let mut buf = [0_u8; 64];
    let mut got = 0;
    while got < 12 {
        let n = s.read(&mut buf[got..]).ok()?;
        if n == 0 {
            return None;
        }
        got += n;
    }
    std::str::from_utf8(&buf[9..12]).ok()?.parse().ok()
}

fn coldstart(args: &[String]) {
    let mut expect: Option<u16> = None;
    let mut path = "/".to_string();
    let mut timeout = Duration::from_secs(30);
    let mut json = false;
    let mut it = args.iter();
    let mut command = Vec::new();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--expect" => expect = it.next().and_then(|v| v.parse().ok()),
            "--path" => path = it.next().cloned().unwrap_or_else(|| usage()),
            "--timeout" => {
                timeout = Duration::from_secs_f64(it.next().and_then(|v| v.parse().ok()).unwrap_or(30.0))
            }
            "--json" => json = true,
            "--" => {
                command = it.by_ref().cloned().collect();
                break;
            }
            _ => usage(),
        }
    }
    if command.is_empty() {
        usage()
    }
    let port = free_port();
    let command: Vec<String> = command
        .iter()
        .map(|a| a.replace("{port}", &port.to_string()))
        .collect();
    let start = Instant::now();
    let mut child = std::process::Command::new(&command[0])
        .args(&command[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            eprintln!("loadgen: cannot start `{}`: {e}", command[0]);
            std::process::exit(1)
        });
    let mut served = None;
    while start.elapsed() < timeout {
        if let Some(status) = try_request(port, &path) {
            if expect.is_none_or(|e| e == status) {
                served = Some((start.elapsed(), status));
                break;
            }
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    match served {
        Some((t, status)) if json => println!(
            "{{\"coldstart_ms\":{:.3},\"status\":{status}}}",
            t.as_secs_f64() * 1000.0
        ),
        Some((t, status)) => println!(
            "first answer (HTTP {status}) after {:.3} ms",
            t.as_secs_f64() * 1000.0
        ),
        None => {
            eprintln!(
                "loadgen: no answer from `{}` within {timeout:?}",
                command.join(" ")
            );
            std::process::exit(1)
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => {
            let o = parse_run(&args[1..]);
            // Two worker threads: the machine has two cores, shared with the server.
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(run(o));
        }
        Some("coldstart") => coldstart(&args[1..]),
        _ => usage(),
    }
}
