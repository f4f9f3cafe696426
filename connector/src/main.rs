//! `connector`: run the onboarding connection test or append records to a destination.
//!
//! Exit status: 0 on success, 1 when onboarding or sync failed (the diagnosis is printed),
//! 2 for usage and configuration-file errors.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use connector::config::{Auth, BaseCredentials, Secret};
use connector::diagnosis::Diagnosis;
use connector::format::{Encoding, Format};
use connector::onboarding::{OnboardingReport, StepOutcome};
use connector::sync::{AppendWriter, BatchReport, ReminderState};
use connector::{DestinationConfig, ServiceSettings};
use serde::Deserialize;
use serde_json::Value;

fn parse_date(text: &str) -> Result<time::Date, String> {
    time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|e| format!("`{text}` is not a YYYY-MM-DD date: {e}"))
}

/// `println!` that ignores a closed stdout (`connector kinds | head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

#[derive(Debug, Parser)]
#[command(
    name = "connector",
    version,
    about = "Onboard and sync a customer-owned S3 destination"
)]
struct Cli {
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the connection test: validate, assume the role, put a test object, delete it.
    Onboard {
        #[command(flatten)]
        dest: DestArgs,
    },
    /// Append JSON Lines records (from files or stdin) to a stream, one object per batch.
    Sync {
        #[command(flatten)]
        dest: DestArgs,
        /// Stream name (a key segment: a-z, 0-9, `_`, `-`, `.`).
        #[arg(long)]
        stream: String,
        /// Object format.
        #[arg(long, default_value = "jsonl")]
        format: Format,
        /// Gzip each object.
        #[arg(long)]
        gzip: bool,
        /// Records per batch (one object each).
        #[arg(long, default_value_t = 10_000)]
        batch_size: usize,
        /// The date the records belong to (YYYY-MM-DD): batches go under
        /// `{stream}/YYYY/MM/DD/`. Without it, under `{stream}/`. Keys never depend on
        /// the day of sending, so syncing the same input again writes nothing new.
        #[arg(long, value_parser = parse_date)]
        date: Option<time::Date>,
        /// JSON Lines input files; stdin when none or `-`.
        files: Vec<PathBuf>,
    },
    /// List the diagnosis kinds and the misconfigs.md entries each covers.
    Kinds,
}

#[derive(Debug, Args)]
struct DestArgs {
    /// TOML file with `bucket`, `region`, `prefix`, `[auth]` and an optional `[service]` table.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Bucket name.
    #[arg(long)]
    bucket: Option<String>,
    /// Bucket region, e.g. eu-west-1.
    #[arg(long)]
    region: Option<String>,
    /// Key prefix.
    #[arg(long)]
    prefix: Option<String>,
    /// Role mode: the customer's role ARN.
    #[arg(long, conflicts_with = "access_key_id")]
    role_arn: Option<String>,
    /// Role mode: the ExternalId the trust policy requires.
    #[arg(long)]
    external_id: Option<String>,
    /// HMAC mode: the IAM user's access key id.
    #[arg(long)]
    access_key_id: Option<String>,
    /// HMAC mode: the secret access key.
    #[arg(long, env = "CONNECTOR_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: Option<String>,
    /// RoleSessionName for assumed sessions.
    #[arg(long)]
    session_name: Option<String>,
    /// Requested session length in seconds.
    #[arg(long)]
    session_duration: Option<u32>,
    /// S3/STS endpoint override (emulator, S3-compatible store); path-style unless
    /// --virtual-hosted.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// With --endpoint-url, address the bucket as `BUCKET.HOST` (the host's bucket
    /// names must resolve).
    #[arg(long, requires = "endpoint_url")]
    virtual_hosted: bool,
    /// The principal customers trust (shown in remediations).
    #[arg(long)]
    service_principal: Option<String>,
    /// Seconds to keep retrying denials right after an IAM change.
    #[arg(long)]
    propagation_wait: Option<u64>,
    /// Role mode: the service's own access key id (default: the AWS provider chain).
    #[arg(long, requires = "base_secret_access_key")]
    base_access_key_id: Option<String>,
    /// Role mode: the service's own secret access key.
    #[arg(long, env = "CONNECTOR_BASE_SECRET_ACCESS_KEY", hide_env_values = true)]
    base_secret_access_key: Option<String>,
    /// Role mode: the service's own session token.
    #[arg(long, env = "CONNECTOR_BASE_SESSION_TOKEN", hide_env_values = true)]
    base_session_token: Option<String>,
    /// Role mode: assume the role with `sts:AssumeRoleWithWebIdentity` and the
    /// service's OIDC ID token in this file (read at every credential fetch).
    #[arg(
        long,
        env = "CONNECTOR_WEB_IDENTITY_TOKEN_FILE",
        conflicts_with = "base_access_key_id"
    )]
    web_identity_token_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    bucket: Option<String>,
    region: Option<String>,
    prefix: Option<String>,
    auth: Option<Auth>,
    service: Option<ServiceSettings>,
}

impl DestArgs {
    /// Merges the config file (if any) with the flags; flags win.
    fn resolve(self) -> Result<(DestinationConfig, ServiceSettings), String> {
        let file = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
                toml::from_str::<ConfigFile>(&text).map_err(|e| format!("`{}`: {e}", path.display()))?
            }
            None => ConfigFile::default(),
        };
        let mut settings = file.service.unwrap_or_default();
        let auth = match (self.role_arn, self.access_key_id) {
            (Some(role_arn), _) => {
                let file_id = match &file.auth {
                    Some(Auth::AssumeRole { external_id, .. }) => external_id.clone(),
                    _ => None,
                };
                Auth::AssumeRole {
                    role_arn,
                    external_id: self.external_id.or(file_id),
                }
            }
            (None, Some(access_key_id)) => {
                let secret = self
                    .secret_access_key
                    .ok_or("--access-key-id needs --secret-access-key")?;
                Auth::Hmac {
                    access_key_id,
                    secret_access_key: Secret::new(secret),
                }
            }
            (None, None) => match file.auth {
                Some(Auth::AssumeRole {
                    role_arn,
                    external_id,
                }) => Auth::AssumeRole {
                    role_arn,
                    external_id: self.external_id.or(external_id),
                },
                Some(hmac) => hmac,
                None => return Err("give --role-arn or --access-key-id (or [auth] in --config)".to_owned()),
            },
        };
        let dest = DestinationConfig {
            bucket: self.bucket.or(file.bucket).ok_or("--bucket is required")?,
            region: self.region.or(file.region).ok_or("--region is required")?,
            prefix: self.prefix.or(file.prefix),
            auth,
        };
        if let Some(v) = self.session_name {
            settings.role_session_name = v;
        }
        if let Some(v) = self.session_duration {
            settings.session_duration_seconds = Some(v);
        }
        if let Some(v) = self.endpoint_url {
            settings.endpoint_url = Some(v);
        }
        settings.virtual_hosted |= self.virtual_hosted;
        if let Some(v) = self.service_principal {
            settings.service_principal = Some(v);
        }
        if let Some(v) = self.propagation_wait {
            settings.propagation_wait_seconds = v;
        }
        if let (Some(id), Some(secret)) = (self.base_access_key_id, self.base_secret_access_key) {
            settings.base_credentials = BaseCredentials::Static {
                access_key_id: id,
                secret_access_key: Secret::new(secret),
                session_token: self.base_session_token.map(Secret::new),
            };
        }
        if let Some(file) = self.web_identity_token_file {
            settings.base_credentials = BaseCredentials::WebIdentity { token_file: file };
        }
        Ok((dest, settings))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let json = cli.json;
    match cli.command {
        Command::Kinds => kinds(json),
        Command::Onboard { dest } => match dest.resolve() {
            Ok((dest, settings)) => {
                let report = connector::onboard(&dest, &settings).await;
                print_onboarding(&dest, &report, json);
                if report.is_success() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => usage(&e),
        },
        Command::Sync {
            dest,
            stream,
            format,
            gzip,
            batch_size,
            date,
            files,
        } => match dest.resolve() {
            Ok((dest, settings)) => {
                let job = Job {
                    stream,
                    encoding: Encoding { format, gzip },
                    batch_size: batch_size.max(1),
                    date,
                };
                sync(&dest, &settings, &job, &files, json).await
            }
            Err(e) => usage(&e),
        },
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("connector: {message}");
    ExitCode::from(2)
}

fn kinds(json: bool) -> ExitCode {
    if json {
        let rows: Vec<Value> = Diagnosis::coverage()
            .iter()
            .map(|(k, m)| serde_json::json!({ "kind": k, "covers": m }))
            .collect();
        say!("{}", Value::Array(rows));
    } else {
        for (kind, covers) in Diagnosis::coverage() {
            say!("{kind:<40} {}", covers.join(" "));
        }
    }
    ExitCode::SUCCESS
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn print_diagnosis(label: &str, d: &Diagnosis) {
    say!("{label}: {} ({:?}): {}", d.kind(), d.blame(), d.summary());
    say!("{}", indent(&d.remediation()));
}

fn print_onboarding(dest: &DestinationConfig, report: &OnboardingReport, json: bool) {
    if json {
        say!("{}", serde_json::to_string_pretty(report).unwrap_or_default());
        return;
    }
    let prefix = dest
        .prefix
        .as_deref()
        .map(|p| format!("/{}", p.trim_matches('/')))
        .unwrap_or_default();
    let place = if dest.bucket.contains("://") {
        dest.bucket.clone()
    } else {
        format!("s3://{}{prefix}", dest.bucket)
    };
    say!("onboarding {place} ({})", dest.region);
    for s in &report.steps {
        let mark = match s.outcome {
            StepOutcome::Passed => "ok  ",
            StepOutcome::Warning => "warn",
            StepOutcome::Failed => "FAIL",
            StepOutcome::Skipped => "skip",
        };
        let step = serde_json::to_value(s.step)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut line = format!("  {mark} {step:<20} {:>6} ms", s.duration_ms);
        if let Some(r) = &s.request_id {
            line.push_str(&format!("  request {r}"));
        }
        if let Some(d) = &s.detail {
            line.push_str(&format!("  {d}"));
        }
        say!("{line}");
    }
    if let Some(d) = &report.diagnosis {
        print_diagnosis("FAILED", d);
    }
    for d in &report.other_errors {
        print_diagnosis("also", d);
    }
    for d in &report.warnings {
        print_diagnosis("warning", d);
    }
    for d in &report.findings {
        print_diagnosis("finding", d);
    }
    if report.is_success() {
        say!("connection test passed");
    } else if report.sync_ready {
        say!("sync can write (PutObject works), but the connection test did not pass");
    }
}

/// What `connector sync` writes: which stream, how, in what batches, under which date.
#[derive(Debug)]
struct Job {
    stream: String,
    encoding: Encoding,
    batch_size: usize,
    date: Option<time::Date>,
}

async fn sync(
    dest: &DestinationConfig,
    settings: &ServiceSettings,
    job: &Job,
    files: &[PathBuf],
    json: bool,
) -> ExitCode {
    let (stream, batch_size) = (job.stream.as_str(), job.batch_size);
    let writer = match AppendWriter::new(dest, settings, job.encoding).await {
        Ok(w) => w,
        Err(d) => {
            if json {
                say!("{}", serde_json::json!({ "ok": false, "diagnosis": d }));
            } else {
                print_diagnosis("FAILED", &d);
            }
            return ExitCode::from(1);
        }
    };
    let inputs: Vec<Option<&PathBuf>> = if files.is_empty() {
        vec![None]
    } else {
        files
            .iter()
            .map(|f| Some(f).filter(|f| f.as_os_str() != "-"))
            .collect()
    };
    let mut reports: Vec<BatchReport> = Vec::new();
    let mut batch: Vec<Value> = Vec::with_capacity(batch_size.min(100_000));
    let mut totals = (0usize, 0u64);
    for input in inputs {
        let reader: Box<dyn BufRead> = match input {
            Some(path) => match std::fs::File::open(path) {
                Ok(f) => Box::new(BufReader::new(f)),
                Err(e) => return usage(&format!("cannot read `{}`: {e}", path.display())),
            },
            None => Box::new(BufReader::new(std::io::stdin())),
        };
        let name = input.map_or_else(|| "stdin".to_owned(), |p| p.display().to_string());
        for (n, line) in reader.lines().enumerate() {
            let line = match line {
                Ok(l) => l,
                Err(e) => return usage(&format!("{name}: {e}")),
            };
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(&line) {
                Ok(v) => batch.push(v),
                Err(e) => return usage(&format!("{name}:{}: not JSON: {e}", n + 1)),
            }
            if batch.len() >= batch_size {
                if let Err(code) = flush(&writer, job, &mut batch, &mut reports, &mut totals, json).await {
                    return code;
                }
            }
        }
    }
    if !batch.is_empty() {
        if let Err(code) = flush(&writer, job, &mut batch, &mut reports, &mut totals, json).await {
            return code;
        }
    }
    let findings = reminders(dest, settings, &writer).await;
    if json {
        say!(
            "{}",
            serde_json::json!({ "ok": true, "batches": reports, "findings": findings })
        );
    } else {
        for d in &findings {
            print_diagnosis("finding", d);
        }
        say!(
            "synced {} batches ({} records, {} bytes) to s3://{}/{}",
            reports.len(),
            totals.0,
            totals.1,
            dest.bucket,
            writer
                .destination()
                .prefix()
                .map(|p| format!("{p}/"))
                .unwrap_or_default()
                + stream
        );
    }
    ExitCode::SUCCESS
}

/// Where `connector sync` remembers when it last ran the least-privilege reminder:
/// `$CONNECTOR_STATE_FILE`, else `$XDG_STATE_HOME/push-to-warehouse/reminders.json`,
/// else `~/.local/state/push-to-warehouse/reminders.json`.
fn state_file() -> PathBuf {
    if let Some(p) = std::env::var_os("CONNECTOR_STATE_FILE") {
        return PathBuf::from(p);
    }
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("push-to-warehouse").join("reminders.json")
}

/// The least-privilege reminder, at most once a day per destination (the state
/// file keeps the last run); a state file that cannot be read or written costs
/// at most one extra probe, never the sync.
async fn reminders(
    dest: &DestinationConfig,
    settings: &ServiceSettings,
    writer: &AppendWriter,
) -> Vec<Diagnosis> {
    if !settings.least_privilege_reminder {
        return Vec::new();
    }
    let path = state_file();
    let id = format!(
        "{}/{}",
        dest.bucket,
        dest.prefix.as_deref().unwrap_or("").trim_matches('/')
    );
    let mut all: std::collections::BTreeMap<String, ReminderState> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let (finding, next) = writer
        .delete_reminder(&all.get(&id).cloned().unwrap_or_default())
        .await;
    all.insert(id, next);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = std::fs::write(&path, serde_json::to_string_pretty(&all).unwrap_or_default()) {
        eprintln!(
            "connector: cannot keep the reminder state in {}: {e}",
            path.display()
        );
    }
    finding.into_iter().collect()
}

async fn flush(
    writer: &AppendWriter,
    job: &Job,
    batch: &mut Vec<Value>,
    reports: &mut Vec<BatchReport>,
    totals: &mut (usize, u64),
    json: bool,
) -> Result<(), ExitCode> {
    let written = match job.date {
        Some(date) => writer.append_dated(&job.stream, batch, None, date).await,
        None => writer.append(&job.stream, batch, None).await,
    };
    match written {
        Ok(r) => {
            totals.0 += r.records;
            totals.1 += r.bytes;
            let present = if r.already_present {
                ", already present"
            } else {
                ""
            };
            eprintln!(
                "[{}] {} ({} records, {} bytes, {} attempt(s){present}); total {} records",
                reports.len() + 1,
                r.key,
                r.records,
                r.bytes,
                r.attempts,
                totals.0
            );
            let _ = std::io::stderr().flush();
            reports.push(r);
            batch.clear();
            Ok(())
        }
        Err(e) => {
            if json {
                let diagnosis = e.diagnosis().map(|d| serde_json::to_value(d).unwrap_or_default());
                say!(
                    "{}",
                    serde_json::json!({
                        "ok": false, "kind": e.kind(), "error": e.to_string(),
                        "diagnosis": diagnosis, "batches": reports,
                    })
                );
            } else {
                say!("FAILED after {} batches: {e}", reports.len());
                if let Some(d) = e.diagnosis() {
                    print_diagnosis("diagnosis", d);
                }
            }
            Err(ExitCode::from(1))
        }
    }
}
