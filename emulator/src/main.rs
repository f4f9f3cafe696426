//! `emulator`: serve a world file on a local port.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::{Parser, Subcommand};
use emulator::store::{DirStore, MemoryStore, Store};
use emulator::{AdminAccess, Clock, Config, Emulator, ManualClock, SystemClock, World};

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
    Serve {
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
            conflicts_with = "no_admin_token"
        )]
        admin_token: Option<String>,
        /// Serve the admin API without a token (host and origin checks remain).
        #[arg(long)]
        no_admin_token: bool,
        /// Freeze the clock at this instant (RFC 3339); it then moves only through
        /// the admin API. Without it the clock is the system's.
        #[arg(long)]
        clock: Option<String>,
        /// Extra host suffix for virtual-hosted-style addressing (repeatable).
        #[arg(long = "host-suffix")]
        host_suffixes: Vec<String>,
        /// Log format: `text` or `json`.
        #[arg(long, default_value = "text")]
        log_format: String,
        /// Where objects live: `memory` (bodies in memory), `digest` (sizes and
        /// digests only: load tests, huge bodies) or `dir:PATH` (bodies in files
        /// under PATH, kept across restarts).
        #[arg(long, default_value = "memory")]
        store: String,
    },
    /// Decide a request against a world's policies and say why.
    Explain {
        /// The world file (TOML).
        #[arg(long)]
        world: PathBuf,
        /// Who: a user ARN, a role or assumed-role ARN, or `anonymous`.
        #[arg(long)]
        principal: String,
        /// The action, e.g. `s3:PutObject` or `sts:AssumeRole`.
        #[arg(long)]
        action: String,
        /// The resource ARN.
        #[arg(long)]
        resource: String,
        /// Extra condition keys, `KEY=VALUE` (repeatable), e.g. `sts:ExternalId=ext-123`.
        #[arg(long = "context")]
        context: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check a world file and print what it holds.
    Check {
        /// The world file (TOML).
        world: PathBuf,
    },
}

/// Log lines collected for stderr: one `write(2)` per 50 ms (or per 64 KiB)
/// instead of one per request, which under load cost as much as a SigV4 check.
/// Lines are at most 50 ms late; [`flush_logs`] runs before the process exits.
#[derive(Debug, Default)]
struct LogBuffer(Mutex<Vec<u8>>);

/// Flush at this size without waiting for the timer.
const LOG_FLUSH_BYTES: usize = 64 * 1024;

static LOG_BUFFER: LogBuffer = LogBuffer(Mutex::new(Vec::new()));

impl LogBuffer {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Write out what is buffered; the lock is not held during the write.
    fn flush(&self) {
        let pending = std::mem::take(&mut *self.lock());
        if !pending.is_empty() {
            let _ = std::io::stderr().lock().write_all(&pending);
        }
    }
}

/// The writer the fmt layer gets for each event.
struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let full = {
            let mut buf = LOG_BUFFER.lock();
            buf.extend_from_slice(data);
            buf.len() >= LOG_FLUSH_BYTES
        };
        if full {
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

fn init_logging(format: &str) {
    std::thread::spawn(|| loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
        LOG_BUFFER.flush();
    });
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: escape codes in a log file are noise, and
    // writing them cost a fifth of the per-request logging time.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(|| LogWriter);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
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

/// The store `--store` names.
fn open_store(spec: &str) -> Result<Arc<dyn Store>, String> {
    match spec {
        "memory" => Ok(Arc::new(MemoryStore::new())),
        "digest" => Ok(Arc::new(MemoryStore::digest_only())),
        _ => match spec.strip_prefix("dir:") {
            Some(path) if !path.is_empty() => DirStore::open(path)
                .map(|s| Arc::new(s) as Arc<dyn Store>)
                .map_err(|e| match e {
                    emulator::store::StoreError::Io(m) => m,
                    other => format!("{other:?}"),
                }),
            _ => Err("expected `memory`, `digest` or `dir:PATH`".to_string()),
        },
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Explain {
            world,
            principal,
            action,
            resource,
            context,
            json,
        } => {
            let w = match World::load(&world) {
                Ok(w) => w,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let mut extra = Vec::new();
            for kv in context {
                match kv.split_once('=') {
                    Some((k, v)) => extra.push((k.to_string(), v.to_string())),
                    None => {
                        eprintln!("error: --context `{kv}` must be KEY=VALUE");
                        return ExitCode::FAILURE;
                    }
                }
            }
            let now = w.now.unwrap_or_else(time::OffsetDateTime::now_utc);
            match emulator::explain::explain(&w, &principal, &action, &resource, &extra, now) {
                Ok(d) => {
                    if json {
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
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check { world } => match World::load(&world) {
            Ok(w) => {
                println!(
                    "{}: {} accounts, {} users, {} roles, {} buckets",
                    world.display(),
                    w.accounts.len(),
                    w.users.len(),
                    w.roles.len(),
                    w.buckets.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Serve {
            world,
            listen,
            allow_remote,
            admin_token,
            no_admin_token,
            clock,
            host_suffixes,
            log_format,
            store,
        } => {
            if !listen.ip().is_loopback() && !allow_remote {
                eprintln!(
                    "error: --listen {listen} is reachable from other hosts; the emulator accepts \
                     the world's published keys and serves its objects to anyone who reaches it. \
                     Listen on 127.0.0.1 (the default), or pass --allow-remote if that is what you want."
                );
                return ExitCode::FAILURE;
            }
            let admin = match (admin_token, no_admin_token) {
                (_, true) => AdminAccess::Open,
                (Some(t), false) if t.len() >= 16 && t.bytes().all(|b| b.is_ascii_graphic()) => {
                    AdminAccess::Token(t)
                }
                (Some(_), false) => {
                    eprintln!("error: --admin-token must be at least 16 printable ASCII characters");
                    return ExitCode::FAILURE;
                }
                (None, false) => AdminAccess::generated(),
            };
            init_logging(&log_format);
            let store = match open_store(&store) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: --store `{store}`: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let world = match World::load(&world) {
                Ok(w) => w,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let clock: Arc<dyn Clock> = match clock {
                Some(text) => {
                    match time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339) {
                        Ok(at) => Arc::new(ManualClock::new(at)),
                        Err(e) => {
                            eprintln!("error: --clock `{text}` is not an RFC 3339 time: {e}");
                            return ExitCode::FAILURE;
                        }
                    }
                }
                None => Arc::new(SystemClock),
            };
            let mut config = Config::default().with_admin(admin);
            for s in host_suffixes {
                config = config.with_host_suffix(s);
            }
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::bind(listen).await {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("error: cannot listen on {listen}: {e}");
                        return ExitCode::FAILURE;
                    }
                };
                let addr = listener
                    .local_addr()
                    .map_or_else(|_| listen.to_string(), |a| a.to_string());
                let emulator = Arc::new(Emulator::with_store(config, world, clock, store));
                // The endpoint goes to stdout, alone on the first line, so scripts can
                // read it; the admin token follows on the second.
                println!("http://{addr}");
                match emulator.admin_token() {
                    Some(token) => println!("admin token: {token}"),
                    None => println!("admin token: none (--no-admin-token)"),
                }
                let _ = std::io::stdout().flush();
                if !listen.ip().is_loopback() {
                    eprintln!(
                        "WARNING: listening on {addr}, reachable from other hosts: S3 and STS accept \
                         the world's keys from anyone, and the admin API {}.",
                        if emulator.admin_token().is_some() {
                            "answers anyone who has the token printed on stdout"
                        } else {
                            "answers ANYONE (--no-admin-token)"
                        }
                    );
                }
                let shutdown = shutdown_signal();
                let served = emulator::serve(listener, emulator, shutdown).await;
                flush_logs();
                match served {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("error: {e}");
                        ExitCode::FAILURE
                    }
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_flag_names_the_three_stores() {
        assert!(open_store("memory").is_ok());
        assert!(open_store("digest").is_ok());
        let dir = std::env::temp_dir().join(format!("emulator-store-flag-{}", std::process::id()));
        let store = open_store(&format!("dir:{}", dir.display()));
        assert!(store.is_ok());
        assert!(dir.join(".tmp").is_dir(), "the directory store made its layout");
        let _ = std::fs::remove_dir_all(&dir);
        for bad in ["", "dir:", "disk", "memory:x"] {
            assert!(open_store(bad).is_err(), "{bad}");
        }
    }
}
