//! `emulator`: serve a world file on a local port, explain a decision, check a world.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::{Args, Parser, Subcommand, ValueEnum};
use emulator::store::{DirStore, MemoryStore, Store, StoreError};
use emulator::{AdminAccess, Clock, Config, Emulator, ManualClock, SystemClock, World};
use time::OffsetDateTime;

mod log_fields;

/// mimalloc, not glibc's allocator: a request allocates 50-70 times (header maps,
/// the log entry, an AssumeRole's session), and with glibc that was 15% of an
/// AssumeRole's instructions beside the hashing. Callgrind of the whole server,
/// 1,000 requests after 200: AssumeRole 115.8k → 109.8k instructions, DeleteObject
/// 82.9k → 79.8k, PutObject 1 KiB 178.3k → 174.7k; resident memory unchanged with
/// the workspace's `no_thp` (docs/perf-log.md, 2026-12-07 (evening)).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "emulator",
    version,
    about = "A local S3 + STS + IAM emulator that says why"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve a world on a local address.
    Serve(ServeArgs),
    /// Decide a request against a world's policies and say why.
    Explain(ExplainArgs),
    /// Check a world file and print what it holds.
    Check {
        /// The world file (TOML).
        world: PathBuf,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// The world file (TOML).
    #[arg(long)]
    world: PathBuf,
    /// Address to listen on; port 0 picks a free one. Only loopback addresses
    /// unless --allow-remote is given.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Allow --listen on an address other hosts can reach. Anyone who can reach
    /// it can then sign requests with the world's keys, and call the admin API
    /// if they learn its token.
    #[arg(long)]
    allow_remote: bool,
    /// The admin API's token (default: a random one, printed at start). Clients
    /// send it as `Authorization: Bearer TOKEN` to /_emulator/.
    #[arg(
        long,
        env = "EMULATOR_ADMIN_TOKEN",
        hide_env_values = true,
        conflicts_with = "no_admin_token",
        value_parser = admin_token
    )]
    admin_token: Option<String>,
    /// Serve the admin API without a token (host and origin checks remain).
    #[arg(long)]
    no_admin_token: bool,
    /// Freeze the clock at this instant (RFC 3339); it then moves only through
    /// the admin API. Without it the clock is the system's.
    #[arg(long, value_parser = rfc3339)]
    clock: Option<OffsetDateTime>,
    /// Extra host suffix for virtual-hosted-style addressing (repeatable).
    #[arg(long = "host-suffix")]
    host_suffixes: Vec<String>,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Where objects live: `memory` (bodies in memory), `digest` (sizes and
    /// digests only: load tests, huge bodies) or `dir:PATH` (bodies in files
    /// under PATH, kept across restarts).
    #[arg(long, default_value = "memory", value_parser = StoreSpec::parse)]
    store: StoreSpec,
    /// Serve HTTPS too, on the same port (each connection's first byte decides),
    /// with a certificate from a CA generated at start; aws:SecureTransport then
    /// comes from the connection. The endpoint printed is https://.
    #[arg(long)]
    tls: bool,
    /// Where --tls writes the CA certificate (PEM) for clients to trust
    /// (default: emulator-PORT-ca.pem in the temp directory). Printed at start.
    #[arg(long, requires = "tls")]
    ca_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ExplainArgs {
    /// The world file (TOML).
    #[arg(long)]
    world: PathBuf,
    /// Who: a user ARN, a role or assumed-role ARN, `arn:aws:iam::ACCOUNT:root`, a
    /// service principal (`cloudtrail.amazonaws.com`), or `anonymous`.
    #[arg(long)]
    principal: String,
    /// The action, e.g. `s3:PutObject` or `sts:AssumeRole`.
    #[arg(long)]
    action: String,
    /// The resource ARN (`*` for actions on no resource, such as s3:ListAllMyBuckets).
    #[arg(long)]
    resource: String,
    /// Condition keys the request carries, `KEY=VALUE` (repeatable), e.g.
    /// `sts:ExternalId=ext-123`, `aws:SourceAccount=111111111111`; a key given
    /// twice is multivalued (`aws:TagKeys=a --context aws:TagKeys=b`).
    #[arg(long = "context", value_parser = key_value)]
    context: Vec<(String, String)>,
    /// A role session's inline session policy: JSON, or `@FILE`.
    #[arg(long, value_parser = text_or_file)]
    session_policy: Option<String>,
    /// A role session's managed session policy, by ARN (repeatable; the world's policies).
    #[arg(long = "session-policy-arn")]
    session_policy_arns: Vec<String>,
    /// A role session's tag, `KEY=VALUE` (repeatable).
    #[arg(long = "session-tag", value_parser = key_value)]
    session_tags: Vec<(String, String)>,
    /// A role session's source identity.
    #[arg(long)]
    source_identity: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// How request log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// One human-readable line per request.
    Text,
    /// One JSON object per line.
    Json,
    /// One CloudTrail record (JSON) per request and line, nothing else.
    Cloudtrail,
}

/// Where `serve` keeps objects.
#[derive(Debug, Clone, PartialEq, Eq)]
enum StoreSpec {
    Memory,
    Digest,
    Dir(PathBuf),
}

impl StoreSpec {
    fn parse(spec: &str) -> Result<Self, String> {
        match spec {
            "memory" => Ok(Self::Memory),
            "digest" => Ok(Self::Digest),
            _ => match spec.strip_prefix("dir:") {
                Some(path) if !path.is_empty() => Ok(Self::Dir(PathBuf::from(path))),
                _ => Err("expected `memory`, `digest` or `dir:PATH`".to_string()),
            },
        }
    }

    fn open(&self) -> Result<Arc<dyn Store>, String> {
        match self {
            Self::Memory => Ok(Arc::new(MemoryStore::new())),
            Self::Digest => Ok(Arc::new(MemoryStore::digest_only())),
            Self::Dir(path) => DirStore::open(path)
                .map(|s| Arc::new(s) as Arc<dyn Store>)
                .map_err(|e| match e {
                    StoreError::Io(m) => m,
                    other => format!("{other:?}"),
                }),
        }
    }
}

fn rfc3339(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("`{text}` is not an RFC 3339 time: {e}"))
}

fn key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{text}` must be KEY=VALUE"))
}

/// `@FILE` reads the file; anything else is the text itself.
fn text_or_file(text: &str) -> Result<String, String> {
    match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}")),
        None => Ok(text.to_string()),
    }
}

fn admin_token(text: &str) -> Result<String, String> {
    if text.len() >= 16 && text.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(text.to_string())
    } else {
        Err("the admin token must be at least 16 printable ASCII characters".to_string())
    }
}

/// Log lines collected for stderr: one `write(2)` per 50 ms (or per 64 KiB)
/// instead of one per request, which under load cost as much as a SigV4 check.
/// Lines are at most 50 ms late; [`flush_logs`] runs before the process exits.
///
/// Two buffers take turns: a flush swaps the filled one for the empty spare, writes
/// it out and keeps it as the next spare, so neither gives up its capacity. (Taking
/// the buffer and leaving an empty `Vec` made each 64 KiB regrow from nothing, a
/// dozen reallocations and copies into fresh memory a cycle.) The spare's lock is
/// held from the swap to the end of the write, so two flushes at once (the timer's
/// and a full buffer's) write their lines in the order they were collected.
#[derive(Debug)]
struct LogBuffer {
    filling: Mutex<Vec<u8>>,
    spare: Mutex<Vec<u8>>,
}

/// Flush at this size without waiting for the timer.
const LOG_FLUSH_BYTES: usize = 64 * 1024;

static LOG_BUFFER: LogBuffer = LogBuffer::new();

fn lock_buffer(buffer: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
    buffer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LogBuffer {
    const fn new() -> Self {
        Self {
            filling: Mutex::new(Vec::new()),
            spare: Mutex::new(Vec::new()),
        }
    }

    /// Add `data`; whether the buffer is now due a flush.
    fn push(&self, data: &[u8]) -> bool {
        let mut buf = lock_buffer(&self.filling);
        buf.extend_from_slice(data);
        buf.len() >= LOG_FLUSH_BYTES
    }

    /// Write out what is buffered to stderr.
    fn flush(&self) {
        self.flush_to(|lines| {
            let _ = std::io::stderr().lock().write_all(lines);
        });
    }

    /// Hand what is buffered to `write`; the filling buffer's lock is not held
    /// meanwhile, so requests keep logging.
    fn flush_to(&self, write: impl FnOnce(&[u8])) {
        let mut out = lock_buffer(&self.spare);
        std::mem::swap(&mut *out, &mut *lock_buffer(&self.filling));
        if !out.is_empty() {
            write(&out);
            out.clear();
        }
    }
}

/// The writer the fmt layer gets for each event.
struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if LOG_BUFFER.push(data) {
            LOG_BUFFER.flush();
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn flush_logs() {
    LOG_BUFFER.flush();
}

fn init_logging(format: LogFormat) {
    std::thread::spawn(|| loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
        LOG_BUFFER.flush();
    });
    if format == LogFormat::Cloudtrail {
        // The records alone, one per line: the JSON is the event's message.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("emulator::cloudtrail=info"));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .without_time()
            .with_level(false)
            .with_target(false)
            .with_writer(|| LogWriter)
            .init();
        return;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: escape codes in a log file are noise, and
    // writing them cost a fifth of the per-request logging time.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(|| LogWriter);
    if format == LogFormat::Json {
        builder.json().init();
    } else if ansi {
        builder.init();
    } else {
        builder
            .fmt_fields(log_fields::PlainFields)
            .event_format(log_fields::PlainLine::default())
            .init();
    }
}

/// Ctrl-C (SIGINT) or SIGTERM (what `kill`, `docker stop` and systemd send):
/// either stops accepting and lets in-flight requests finish.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Explain(args) => explain(&args),
        Command::Check { world } => check(&world),
        Command::Serve(args) => serve(args),
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

/// `emulator explain`: exit 0 when allowed, 2 when denied, 1 on an error.
fn explain(args: &ExplainArgs) -> ExitCode {
    let w = match World::load(&args.world) {
        Ok(w) => w,
        Err(e) => return fail(e),
    };
    let now = w.now.unwrap_or_else(OffsetDateTime::now_utc);
    let query = emulator::explain::Query {
        principal: args.principal.clone(),
        action: args.action.clone(),
        resource: args.resource.clone(),
        context: args.context.clone(),
        session_policy: args.session_policy.clone(),
        session_policy_arns: args.session_policy_arns.clone(),
        session_tags: args.session_tags.clone(),
        source_identity: args.source_identity.clone(),
    };
    match emulator::explain::explain(&w, &query, now) {
        Ok(d) => {
            if args.json {
                println!("{}", emulator::iam::explain_json(&d));
            } else {
                print!("{}", emulator::iam::explain_text(&d));
            }
            if d.is_allowed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            }
        }
        Err(e) => fail(e),
    }
}

fn check(path: &std::path::Path) -> ExitCode {
    match World::load(path) {
        Ok(w) => {
            println!(
                "{}: {} accounts, {} users, {} roles, {} buckets",
                path.display(),
                w.accounts.len(),
                w.users.len(),
                w.roles.len(),
                w.buckets.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let listen = args.listen;
    if !listen.ip().is_loopback() && !args.allow_remote {
        return fail(format!(
            "--listen {listen} is reachable from other hosts; the emulator accepts the world's \
             published keys and serves its objects to anyone who reaches it. Listen on 127.0.0.1 \
             (the default), or pass --allow-remote if that is what you want."
        ));
    }
    let admin = match (args.admin_token, args.no_admin_token) {
        (_, true) => AdminAccess::Open,
        (Some(t), false) => AdminAccess::Token(t),
        (None, false) => AdminAccess::generated(),
    };
    init_logging(args.log_format);
    let store = match args.store.open() {
        Ok(s) => s,
        Err(e) => return fail(format!("--store: {e}")),
    };
    let world = match World::load(&args.world) {
        Ok(w) => w,
        Err(e) => return fail(e),
    };
    let clock: Arc<dyn Clock> = match args.clock {
        Some(at) => Arc::new(ManualClock::new(at)),
        None => Arc::new(SystemClock),
    };
    let mut config = Config::default()
        .with_admin(admin)
        .with_cloudtrail_log(args.log_format == LogFormat::Cloudtrail);
    for s in args.host_suffixes {
        config = config.with_host_suffix(s);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    let emulator = Arc::new(Emulator::with_store(config, world, clock, store));
    let tls = args.tls.then_some(args.ca_file);
    runtime.block_on(run(listen, emulator, tls))
}

/// Bind, print the endpoint and the admin token (and with `tls`, the CA file's
/// path, writing it where `Some(Some(path))` says), serve until a signal.
async fn run(listen: SocketAddr, emulator: Arc<Emulator>, tls: Option<Option<PathBuf>>) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => return fail(format!("cannot listen on {listen}: {e}")),
    };
    let local = listener.local_addr();
    let addr = local
        .as_ref()
        .map_or_else(|_| listen.to_string(), ToString::to_string);
    let tls = match tls {
        None => None,
        Some(path) => {
            let port = local.as_ref().map_or(listen.port(), SocketAddr::port);
            let path = path.unwrap_or_else(|| std::env::temp_dir().join(format!("emulator-{port}-ca.pem")));
            let tls = match emulator::tls::Tls::for_emulator(&emulator) {
                Ok(t) => t,
                Err(e) => return fail(e),
            };
            if let Err(e) = std::fs::write(&path, tls.ca_pem()) {
                return fail(format!("--ca-file {}: {e}", path.display()));
            }
            Some((tls, path))
        }
    };
    // The endpoint goes to stdout, alone on the first line, so scripts can read
    // it; the admin token follows on the second, the CA file (--tls) on the third.
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("{scheme}://{addr}");
    match emulator.admin_token() {
        Some(token) => println!("admin token: {token}"),
        None => println!("admin token: none (--no-admin-token)"),
    }
    if let Some((_, path)) = &tls {
        println!("ca bundle: {}", path.display());
    }
    let _ = std::io::stdout().flush();
    if !listen.ip().is_loopback() {
        eprintln!(
            "WARNING: listening on {addr}, reachable from other hosts: S3 and STS accept the \
             world's keys from anyone, and the admin API {}.",
            if emulator.admin_token().is_some() {
                "answers anyone who has the token printed on stdout"
            } else {
                "answers ANYONE (--no-admin-token)"
            }
        );
    }
    let served = match tls {
        Some((tls, _)) => emulator::serve_tls(listener, emulator, tls, shutdown_signal()).await,
        None => emulator::serve(listener, emulator, shutdown_signal()).await,
    };
    flush_logs();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_buffers_keep_their_capacity_and_their_order() {
        let log = LogBuffer::new();
        let mut out = Vec::new();
        assert!(!log.push(b"a\n"));
        log.push(b"b\n");
        log.flush_to(|lines| out.extend_from_slice(lines));
        log.push(b"c\n");
        log.flush_to(|lines| out.extend_from_slice(lines));
        assert_eq!(out, b"a\nb\nc\n");
        // After two turns each buffer has been filled once: neither starts from nothing.
        assert!(lock_buffer(&log.filling).capacity() >= 4);
        assert!(lock_buffer(&log.spare).capacity() >= 2);
        assert!(
            log.push(&vec![b'x'; LOG_FLUSH_BYTES]),
            "a full buffer asks for a flush"
        );
        log.flush_to(|_| {});

        // One thread logs numbered lines while two flush at once: the lines come out
        // whole and in order (a flush holds the spare from the swap to the write).
        let sink = Mutex::new(Vec::new());
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    while !done.load(std::sync::atomic::Ordering::Acquire) {
                        log.flush_to(|lines| lock_buffer(&sink).extend_from_slice(lines));
                    }
                });
            }
            for n in 0..20_000 {
                log.push(format!("{n}\n").as_bytes());
            }
            done.store(true, std::sync::atomic::Ordering::Release);
        });
        log.flush_to(|lines| lock_buffer(&sink).extend_from_slice(lines));
        let text = String::from_utf8(sink.into_inner().unwrap()).unwrap();
        let numbers: Vec<usize> = text.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(numbers, (0..20_000).collect::<Vec<_>>());
    }

    #[test]
    fn store_flag_names_the_three_stores() {
        assert!(StoreSpec::parse("memory").unwrap().open().is_ok());
        assert!(StoreSpec::parse("digest").unwrap().open().is_ok());
        let dir = std::env::temp_dir().join(format!("emulator-store-flag-{}", std::process::id()));
        let spec = StoreSpec::parse(&format!("dir:{}", dir.display())).unwrap();
        assert_eq!(spec, StoreSpec::Dir(dir.clone()));
        assert!(spec.open().is_ok());
        assert!(dir.join(".tmp").is_dir(), "the directory store made its layout");
        let _ = std::fs::remove_dir_all(&dir);
        for bad in ["", "dir:", "disk", "memory:x"] {
            assert!(StoreSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_parse_into_their_types() {
        let cli = Cli::try_parse_from([
            "emulator",
            "serve",
            "--world",
            "w.toml",
            "--log-format",
            "json",
            "--store",
            "digest",
            "--clock",
            "2026-01-01T00:00:00Z",
        ])
        .unwrap();
        let Command::Serve(a) = cli.command else {
            panic!("serve")
        };
        assert_eq!((a.log_format, a.store), (LogFormat::Json, StoreSpec::Digest));
        assert!(a.clock.is_some());
        for bad in [
            &["--log-format", "yaml"][..],
            &["--store", "disk"],
            &["--clock", "yesterday"],
            &["--admin-token", "short"],
        ] {
            let mut argv = vec!["emulator", "serve", "--world", "w.toml"];
            argv.extend_from_slice(bad);
            assert!(Cli::try_parse_from(argv).is_err(), "{bad:?}");
        }
    }
}
