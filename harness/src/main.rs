//! `harness`: run scenario files against in-process emulators and report.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc: `harness fuzz` builds and drops millions of small strings a
/// minute, and spends half its time in the system allocator otherwise.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use harness::report::{closing_line, junit, out, ScenarioReport};

#[derive(Debug, Parser)]
#[command(
    name = "harness",
    about = "Run S3/STS misconfiguration scenarios against the emulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Junit,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenario files (or every `*.toml` under folders); default `scenarios`.
    Run {
        /// Files or folders.
        paths: Vec<PathBuf>,
        /// Print the emulator's reason for every decision of every step.
        #[arg(long)]
        explain: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Scenarios run at once (default: the number of CPUs).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Load scenario files and report the first error of each, without running them.
    Check {
        /// Files or folders.
        paths: Vec<PathBuf>,
    },
    /// Build a scenario from a customer's AWS CLI output and onboarding input, run
    /// onboarding against it, and print the diagnosis.
    Reproduce(harness::reproduce::Args),
    /// Compare the emulator's decisions on generated worlds with a reference model
    /// of AWS's logic and with metamorphic relations; write each disagreement,
    /// shrunk, as a scenario file.
    Fuzz(FuzzArgs),
}

#[derive(Debug, clap::Args)]
struct FuzzArgs {
    /// The seed; case N of a seed is always the same world and requests.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run this many cases (worlds, each with `--per-world` requests). Default 1000.
    #[arg(long, conflicts_with = "time")]
    cases: Option<u64>,
    /// Run for this long instead: `30s`, `10m`, `1h`.
    #[arg(long, value_parser = parse_time)]
    time: Option<Duration>,
    /// `http`: signed requests to emulators on 127.0.0.1; `inprocess`: the
    /// emulator's decision path called directly.
    #[arg(long, value_enum, default_value_t = policy_fuzz::Mode::Http)]
    mode: policy_fuzz::Mode,
    /// Where the generator puts more weight.
    #[arg(long, value_enum, default_value_t = policy_fuzz::gen::Focus::All)]
    focus: policy_fuzz::gen::Focus,
    /// Where disagreements are written as scenario files.
    #[arg(long, default_value = "fuzz-out")]
    out: PathBuf,
    /// Concurrent workers (default: the number of CPUs; four times that in http mode).
    #[arg(long)]
    workers: Option<usize>,
    /// Requests per generated world (default 128 in process, 32 over HTTP).
    #[arg(long)]
    per_world: Option<usize>,
    /// Skip the metamorphic relations.
    #[arg(long)]
    no_relations: bool,
    /// How many distinct disagreements to shrink and write.
    #[arg(long, default_value_t = 10)]
    max_reports: usize,
}

fn parse_time(s: &str) -> Result<Duration, String> {
    match harness::scenario::parse_duration(s) {
        Some(n) if n > 0 => Ok(Duration::from_secs(n.unsigned_abs())),
        _ => Err(format!("`{s}` is not a duration like `30s`, `10m` or `1h`")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            paths,
            explain,
            format,
            jobs,
        } => run(paths, explain, format, jobs),
        Command::Check { paths } => check(paths),
        Command::Reproduce(args) => harness::reproduce::main(&args),
        Command::Fuzz(args) => fuzz(args),
    }
}

fn fuzz(args: FuzzArgs) -> ExitCode {
    let opts = policy_fuzz::Options {
        seed: args.seed,
        cases: if args.time.is_some() {
            None
        } else {
            Some(args.cases.unwrap_or(1000))
        },
        time: args.time,
        mode: args.mode,
        focus: args.focus,
        out: Some(args.out),
        workers: args.workers.unwrap_or(args.mode.default_workers()).max(1),
        per_world: args.per_world.unwrap_or(args.mode.default_per_world()).max(1),
        relations: !args.no_relations,
        progress: true,
        max_reports: args.max_reports,
    };
    match policy_fuzz::run(opts.clone()) {
        Ok(summary) => {
            out(&summary.report(&opts));
            if summary.disagreements == 0 && summary.rejected == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths
    }
}

fn check(paths: Vec<PathBuf>) -> ExitCode {
    let found = match harness::discover::find(&default_paths(paths)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut bad = 0;
    for f in &found {
        if let Err(e) = harness::load(&f.path, &f.name) {
            bad += 1;
            out(&format!("{e}\n"));
        }
    }
    out(&format!("{} files, {} with errors\n", found.len(), bad));
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run(paths: Vec<PathBuf>, explain: bool, format: Format, jobs: Option<usize>) -> ExitCode {
    let found = match harness::discover::find(&default_paths(paths)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let jobs = jobs
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(2)
        .max(1);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start a tokio runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let total = found.len();
    let reports: Vec<ScenarioReport> = rt.block_on(async move {
        let limit = Arc::new(tokio::sync::Semaphore::new(jobs));
        let mut handles = Vec::new();
        for f in found {
            let limit = limit.clone();
            handles.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                match harness::load(&f.path, &f.name) {
                    Ok(s) => harness::run(&s, explain).await,
                    Err(e) => ScenarioReport::load_error(&f.name, f.path.clone(), e.to_string()),
                }
            }));
        }
        let started = Instant::now();
        let mut last_progress = Instant::now();
        let tty = std::io::stderr().is_terminal();
        let mut reports = Vec::with_capacity(total);
        for (i, h) in handles.into_iter().enumerate() {
            let report = match h.await {
                Ok(r) => r,
                Err(e) => {
                    ScenarioReport::load_error("?", PathBuf::new(), format!("scenario task failed: {e}"))
                }
            };
            reports.push(report);
            let failed = reports.iter().filter(|r| !r.passed()).count();
            if tty {
                eprint!("\r[{}/{total}] {failed} failed", i + 1);
                let _ = std::io::stderr().flush();
            } else if started.elapsed() > Duration::from_secs(3)
                && last_progress.elapsed() > Duration::from_secs(3)
            {
                eprintln!("progress: {}/{total} scenarios, {failed} failed", i + 1);
                last_progress = Instant::now();
            }
        }
        if tty {
            eprint!("\r\x1b[K");
        }
        reports
    });
    match format {
        Format::Text => {
            for r in &reports {
                out(&r.text(explain));
            }
            out(&format!("{}\n", closing_line(&reports)));
        }
        Format::Json => {
            let all: Vec<serde_json::Value> = reports.iter().map(ScenarioReport::json).collect();
            let passed = reports.iter().filter(|r| r.passed()).count();
            let doc = serde_json::json!({
                "scenarios": all,
                "passed": passed,
                "failed": reports.len() - passed,
            });
            out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            ));
            eprintln!("{}", closing_line(&reports));
        }
        Format::Junit => {
            out(&junit(&reports));
            eprintln!("{}", closing_line(&reports));
        }
    }
    if reports.iter().all(ScenarioReport::passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
