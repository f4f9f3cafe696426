//! `emulator`: serve a world file on a local port.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::{Parser, Subcommand};
use emulator::store::{DirStore, MemoryStore, Store};
use emulator::{Clock, Config, Emulator, ManualClock, SystemClock, World};

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
        /// Address to listen on; port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
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

/// The store `--store` names.
fn open_store(spec: &str) -> Result<Arc<dyn Store>, String> {
    match spec {
        "memory" => Ok(Arc::new(MemoryStore::new())),
        "digest" => Ok(Arc::new(MemoryStore::digest_only())),
        _ => match spec.strip_prefix("dir:") {
            Some(path) if !path.is_empty() => DirStore::open(path)
                .map(|s| Arc::new(s) as Arc<dyn Store>)
                .map_err(|e| format!("cannot open the directory store: {e:?}")),
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
            match emulator::authz::explain(&w, &principal, &action, &resource, &extra, now) {
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
            clock,
            host_suffixes,
            log_format,
            store,
        } => {
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
            let mut config = Config::default();
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
                // The endpoint goes to stdout, alone on its line, so scripts can read it.
                println!("http://{addr}");
                let shutdown = async {
                    let _ = tokio::signal::ctrl_c().await;
                };
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
