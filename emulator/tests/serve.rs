//! `emulator serve` as a process: what only a real process shows. Its admin token
//! and who may use it, a second server refused on a directory store another one
//! holds, SIGTERM finishing the upload in flight, the accept loop backing off when
//! descriptors run out, and listen addresses other hosts can reach.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest};

/// A scratch directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("emulator-serve-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("world.toml"), common::WORLD).unwrap();
        Self(dir)
    }

    fn world(&self) -> PathBuf {
        self.0.join("world.toml")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `emulator serve`, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    token: Option<String>,
    stderr: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn emulator(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_emulator"));
    cmd.arg("serve").args(args).env_remove("EMULATOR_ADMIN_TOKEN");
    cmd
}

/// Start `cmd` (an `emulator serve`), read the endpoint and token it prints.
fn start(mut cmd: Command, stderr: &Path) -> Server {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut endpoint = String::new();
    out.read_line(&mut endpoint).unwrap();
    let mut token_line = String::new();
    out.read_line(&mut token_line).unwrap();
    let addr = endpoint
        .trim()
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("no endpoint on stdout: {endpoint:?}, stderr: {}", read(stderr)))
        .parse()
        .unwrap();
    let token = token_line
        .trim()
        .strip_prefix("admin token: ")
        .filter(|t| !t.starts_with("none"))
        .map(str::to_string);
    Server {
        child,
        addr,
        token,
        stderr: stderr.to_path_buf(),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// One request on a fresh connection; the status and body of the answer.
fn exchange(addr: SocketAddr, raw: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw).unwrap();
    read_response(&mut s)
}

fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 8192];
    loop {
        let n = s.read(&mut chunk).unwrap();
        assert!(
            n > 0,
            "connection closed before a full answer: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let len = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .and_then(|v| v.trim().parse::<usize>().ok())
            })
            .unwrap_or(0);
        if buf.len() >= end + 4 + len {
            let status = head.split(' ').nth(1).unwrap().parse().unwrap();
            return (
                status,
                String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned(),
            );
        }
    }
}

fn admin_get(server: &Server, path: &str, token: Option<&str>) -> (u16, String) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let raw = format!("GET /_emulator/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n");
    exchange(server.addr, raw.as_bytes())
}

/// The head of a PUT of `body` to `/lake/{key}` signed now with the world's user key.
fn signed_put_head(addr: SocketAddr, key: &str, body: &[u8]) -> Vec<u8> {
    let host = addr.to_string();
    let uri = format!("http://{host}/lake/{key}");
    let mut headers = vec![
        ("host".to_string(), host),
        ("content-length".to_string(), body.len().to_string()),
    ];
    let settings = testkit::sign::s3(true);
    let identity = Credentials::new(common::AKID, common::SECRET, None, None, "serve").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("s3")
        .time(SystemTime::now())
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
    let mut head = format!("PUT /lake/{key} HTTP/1.1\r\n");
    for (n, v) in &headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Poll `done` every 20 ms for up to `limit`; the waits here are for another
/// process to act, not for a clock to pass.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn serve_prints_an_admin_token_and_the_admin_api_requires_it() {
    let dir = Scratch::new("token");
    let world = dir.world();
    let server = start(
        emulator(&["--world", world.to_str().unwrap()]),
        &dir.0.join("stderr"),
    );
    let token = server.token.clone().expect("a generated token on stdout");
    assert_eq!(token.len(), 32, "{token}");
    assert_eq!(admin_get(&server, "log", None).0, 401);
    assert_eq!(
        admin_get(&server, "log", Some("0123456789abcdef0123456789abcdef")).0,
        401
    );
    assert_eq!(admin_get(&server, "log", Some(&token)).0, 200);
    assert_eq!(admin_get(&server, "health", None).0, 200, "health needs no token");
    drop(server);

    // A token of one's own, from the environment (or --admin-token).
    let mut cmd = emulator(&["--world", world.to_str().unwrap()]);
    cmd.env("EMULATOR_ADMIN_TOKEN", "my-own-token-of-some-length");
    let server = start(cmd, &dir.0.join("stderr2"));
    assert_eq!(server.token.as_deref(), Some("my-own-token-of-some-length"));
    assert_eq!(
        admin_get(&server, "log", Some("my-own-token-of-some-length")).0,
        200
    );
    drop(server);

    // The explicit opt-out.
    let server = start(
        emulator(&["--world", world.to_str().unwrap(), "--no-admin-token"]),
        &dir.0.join("stderr3"),
    );
    assert_eq!(server.token, None);
    assert_eq!(admin_get(&server, "log", None).0, 200);
    drop(server);

    let out = emulator(&["--world", world.to_str().unwrap(), "--admin-token", "short"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 16"));
}

#[test]
fn a_listen_address_other_hosts_can_reach_needs_allow_remote() {
    let dir = Scratch::new("remote");
    let world = dir.world();
    let out = emulator(&["--world", world.to_str().unwrap(), "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("reachable from other hosts") && err.contains("--allow-remote"),
        "{err}"
    );

    let server = start(
        emulator(&[
            "--world",
            world.to_str().unwrap(),
            "--listen",
            "0.0.0.0:0",
            "--allow-remote",
        ]),
        &dir.0.join("stderr"),
    );
    assert!(server.token.is_some());
    let warned = wait_for(Duration::from_secs(5), || {
        read(&server.stderr).contains("WARNING")
    });
    assert!(warned, "{}", read(&server.stderr));
    let local = SocketAddr::from(([127, 0, 0, 1], server.addr.port()));
    let (status, _) = exchange(
        local,
        b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
}

#[test]
fn a_second_server_on_the_same_store_directory_is_refused() {
    let dir = Scratch::new("lock");
    let world = dir.world();
    let store = format!("dir:{}", dir.0.join("store").display());
    let first = start(
        emulator(&["--world", world.to_str().unwrap(), "--store", &store]),
        &dir.0.join("stderr"),
    );
    let out = emulator(&["--world", world.to_str().unwrap(), "--store", &store])
        .output()
        .unwrap();
    assert!(!out.status.success(), "the second server must not start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("in use by another emulator") && err.contains(&format!("process {}", first.child.id())),
        "{err}"
    );
    // The first one is untouched: it stores and serves its own bytes.
    let body = b"first server's bytes";
    let mut raw = signed_put_head(first.addr, "mine.txt", body);
    raw.extend_from_slice(body);
    assert_eq!(exchange(first.addr, &raw).0, 200);
    let (status, got) = admin_get(&first, "buckets/lake/objects/mine.txt", first.token.as_deref());
    assert_eq!((status, got.as_bytes()), (200, &body[..]));
}

#[test]
fn sigterm_lets_the_upload_in_flight_finish_and_keeps_it() {
    let dir = Scratch::new("sigterm");
    let world = dir.world();
    let store = format!("dir:{}", dir.0.join("store").display());
    let mut server = start(
        emulator(&["--world", world.to_str().unwrap(), "--store", &store]),
        &dir.0.join("stderr"),
    );
    let body: Vec<u8> = (0..256 * 1024_u32).map(|i| b'a' + (i % 26) as u8).collect();
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&signed_put_head(server.addr, "in-flight.bin", &body))
        .unwrap();
    s.write_all(&body[..1000]).unwrap();
    // Give the server a moment to parse the head and start reading the body, so
    // the signal lands mid-request (an idle connection would be closed instead).
    std::thread::sleep(Duration::from_millis(200));
    signal(&server.child, "TERM");
    // Once the signal is handled the listener is closed: new connections fail.
    let stopped_accepting = wait_for(Duration::from_secs(5), || {
        TcpStream::connect(server.addr).is_err()
    });
    assert!(stopped_accepting, "SIGTERM did not stop the accept loop");
    s.write_all(&body[1000..]).unwrap();
    let (status, answer) = read_response(&mut s);
    assert_eq!(status, 200, "the upload in flight is answered: {answer}");
    drop(s);
    let exited = wait_for(Duration::from_secs(10), || {
        matches!(server.child.try_wait(), Ok(Some(_)))
    });
    assert!(exited, "the server exits once in-flight requests are done");
    assert_eq!(server.child.try_wait().unwrap().and_then(|s| s.code()), Some(0));

    // The object is there after a restart on the same directory.
    let again = start(
        emulator(&["--world", world.to_str().unwrap(), "--store", &store]),
        &dir.0.join("stderr2"),
    );
    let (status, got) = admin_get(
        &again,
        "buckets/lake/objects/in-flight.bin",
        again.token.as_deref(),
    );
    assert_eq!(status, 200);
    assert!(
        got.as_bytes() == body.as_slice(),
        "the stored body is the uploaded one"
    );
}

/// Seconds of CPU (user + system) a process has used, from /proc.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after ") ".
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

#[test]
fn the_accept_loop_backs_off_when_descriptors_run_out() {
    if !Path::new("/proc/self/stat").exists() {
        eprintln!("SKIP: no /proc to read CPU time from");
        return;
    }
    let dir = Scratch::new("emfile");
    let world = dir.world();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!(
        "ulimit -n 64 && exec '{}' serve --world '{}'",
        env!("CARGO_BIN_EXE_emulator"),
        world.display()
    ));
    let server = start(cmd, &dir.0.join("stderr"));
    let pid = server.child.id();
    // More connections than descriptors: the kernel completes them into the
    // listen backlog; accept(2) fails with EMFILE while they are held.
    let held: Vec<TcpStream> = (0..120)
        .filter_map(|_| TcpStream::connect(server.addr).ok())
        .collect();
    assert!(held.len() > 64, "only {} connections", held.len());
    let before = cpu_seconds(pid).unwrap();
    // A wall-clock window is the point here: what the server does while it can do nothing.
    std::thread::sleep(Duration::from_millis(1500));
    let burned = cpu_seconds(pid).unwrap() - before;
    assert!(
        burned < 0.5,
        "the server burned {burned:.2} CPU-seconds in 1.5 s of EMFILE"
    );
    let log = read(&server.stderr);
    let failures = log.matches("accept failed").count();
    assert!(failures >= 1, "the first failure is logged: {log}");
    assert!(
        failures <= 2,
        "one line per burst, not one per retry: {failures} lines"
    );
    drop(held);
    // Once descriptors are free again it serves, and says how many accepts failed.
    let served = wait_for(Duration::from_secs(10), || {
        TcpStream::connect(server.addr).is_ok_and(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .is_ok()
                && {
                    let mut buf = [0_u8; 12];
                    s.read_exact(&mut buf).is_ok() && &buf == b"HTTP/1.1 200"
                }
        })
    });
    assert!(served, "{}", read(&server.stderr));
    let recovered = wait_for(Duration::from_secs(5), || {
        read(&server.stderr).contains("accepting again after")
    });
    assert!(recovered, "{}", read(&server.stderr));
}

#[test]
fn serve_tls_writes_its_ca_and_answers_https_and_http_on_one_port() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};

    let dir = Scratch::new("tls");
    let ca_file = dir.0.join("ca.pem");
    let mut child = emulator(&[
        "--world",
        dir.world().to_str().unwrap(),
        "--tls",
        "--ca-file",
        ca_file.to_str().unwrap(),
    ])
    .stdout(Stdio::piped())
    .stderr(std::fs::File::create(dir.0.join("stderr")).unwrap())
    .spawn()
    .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        lines.push(line.trim().to_string());
    }
    let server = Server {
        child,
        addr: lines[0]
            .strip_prefix("https://")
            .unwrap_or_else(|| panic!("an https endpoint first: {lines:?}"))
            .parse()
            .unwrap(),
        token: None,
        stderr: dir.0.join("stderr"),
    };
    assert!(lines[1].starts_with("admin token: "), "{lines:?}");
    assert_eq!(lines[2], format!("ca bundle: {}", ca_file.display()));
    let pem = std::fs::read(&ca_file).expect("the CA file");

    // HTTPS, trusting that CA alone.
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(&pem).expect("a PEM certificate"))
        .unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(server.addr).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("the handshake verifies against the printed CA");
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Plain HTTP on the same port.
    let (status, _) = exchange(
        server.addr,
        b"GET /_emulator/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200, "stderr: {}", read(&server.stderr));
}

/// Each request's log line carries the request id its client got: S3's
/// `x-amz-request-id`, STS's UUID (the `<RequestId>` of either error body).
#[test]
fn the_log_line_names_the_request_id_the_client_got() {
    let dir = Scratch::new("log-ids");
    let stderr = dir.0.join("stderr");
    let server = start(emulator(&["--world", dir.world().to_str().unwrap()]), &stderr);
    let request_id = |body: &str| {
        let (_, rest) = body
            .split_once("<RequestId>")
            .unwrap_or_else(|| panic!("no RequestId: {body}"));
        rest.split_once("</RequestId>").unwrap().0.to_string()
    };
    let (status, s3) = exchange(
        server.addr,
        b"PUT /lake/anon.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 403, "{s3}");
    let (status, sts) = exchange(
        server.addr,
        b"GET /?Action=GetCallerIdentity&Version=2011-06-15 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        sts.contains("<ErrorResponse"),
        "not an STS answer ({status}): {sts}"
    );
    let (s3_id, sts_id) = (request_id(&s3), request_id(&sts));
    assert_eq!((s3_id.len(), sts_id.len()), (16, 36), "{s3_id} {sts_id}");
    for id in [s3_id, sts_id] {
        let needle = format!("request_id={id} ");
        assert!(
            wait_for(Duration::from_secs(5), || read(&stderr).contains(&needle)),
            "no log line with {needle}: {}",
            read(&stderr)
        );
    }
}

#[test]
fn log_format_cloudtrail_prints_one_record_per_request() {
    let dir = Scratch::new("cloudtrail");
    let stderr = dir.0.join("stderr");
    let server = start(
        emulator(&[
            "--world",
            dir.world().to_str().unwrap(),
            "--log-format",
            "cloudtrail",
        ]),
        &stderr,
    );
    let mut raw = signed_put_head(server.addr, "trail.txt", b"hello");
    raw.extend_from_slice(b"hello");
    assert_eq!(exchange(server.addr, &raw).0, 200);
    assert_eq!(
        exchange(
            server.addr,
            b"PUT /lake/anon.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
        )
        .0,
        403
    );
    let lines = || {
        read(&stderr)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert!(
        wait_for(Duration::from_secs(5), || lines().len() >= 2),
        "{:?}",
        lines()
    );
    let records: Vec<serde_json::Value> = lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON record: {e}: {l}")))
        .collect();
    assert_eq!(records[0]["eventName"], "PutObject");
    assert_eq!(records[0]["userIdentity"]["type"], "IAMUser");
    assert!(records[0].get("errorCode").is_none());
    assert_eq!(records[1]["userIdentity"]["accountId"], "anonymous");
    assert_eq!(records[1]["errorCode"], "AccessDenied");
}
