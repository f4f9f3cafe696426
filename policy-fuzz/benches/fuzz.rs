//! `harness fuzz` throughput against its targets, with a side-by-side baseline.
//!
//! Three runs per round, interleaved so that a noisy neighbour hits all alike,
//! each for the same time on the same seed, with the CLI's defaults (workers and
//! requests per world):
//!
//! - **model alone** (the baseline): the generator, the metamorphic relation and
//!   the reference model, no emulator ([`Mode::ModelOnly`]). What the fuzzer
//!   costs by itself; the in-process figure can never exceed it.
//! - **in process**: every decision also taken by the emulator's own decision
//!   path, and compared (target ≥ 100,000 decisions/s).
//! - **HTTP**: every decision a signed request to an emulator on `127.0.0.1:0`
//!   (target ≥ 5,000 decisions/s, an end-to-end case each).
//!
//! Round `r` uses seed `r` (seeds weigh differently); the table gives every
//! round, the median, the in-process share of the baseline and PASS/MISS.
//!
//! ```text
//! cargo bench -p policy-fuzz --bench fuzz                       # 3 rounds of 10 s runs, ~2 minutes
//! FUZZ_BENCH_SECONDS=20 FUZZ_BENCH_ROUNDS=5 cargo bench -p policy-fuzz --bench fuzz
//! ```
//!
//! A run with a disagreement, a rejected world or a relation violation is a
//! failure, not a figure: the benchmark exits non-zero.

use std::process::ExitCode;
use std::time::Duration;

use policy_fuzz::{Mode, Options, Summary};

/// As in the `harness` binary: the fuzzer allocates millions of small strings.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What one row measures.
struct Row {
    name: &'static str,
    mode: Mode,
    target: Option<f64>,
}

const ROWS: [Row; 3] = [
    Row {
        name: "model alone (baseline)",
        mode: Mode::ModelOnly,
        target: None,
    },
    Row {
        name: "in process",
        mode: Mode::Inprocess,
        target: Some(100_000.0),
    },
    Row {
        name: "HTTP",
        mode: Mode::Http,
        target: Some(5_000.0),
    },
];

fn env_u64(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{name}={v}: expected a positive whole number")),
        Err(_) => Ok(default),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

fn run(mode: Mode, seed: u64, seconds: u64) -> Result<Summary, String> {
    let opts = Options {
        seed,
        cases: None,
        time: Some(Duration::from_secs(seconds)),
        mode,
        out: None,
        workers: mode.default_workers(),
        per_world: mode.default_per_world(),
        progress: false,
        ..Options::default()
    };
    let s = policy_fuzz::run(opts)?;
    let violations: u64 = s.relation_checks.values().map(|(_, v)| v).sum();
    if s.disagreements > 0 || s.rejected > 0 || violations > 0 {
        return Err(format!(
            "{} seed {seed}: {} disagreements, {} rejected worlds, {violations} relation violations \
             (run `harness fuzz --mode {} --seed {seed}` to see them)",
            mode.as_str(),
            s.disagreements,
            s.rejected,
            mode.as_str()
        ));
    }
    Ok(s)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn thousands(x: f64) -> String {
    let n = x.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; a name filter is accepted and ignored.
    let settings = env_u64("FUZZ_BENCH_SECONDS", 10).and_then(|s| Ok((s, env_u64("FUZZ_BENCH_ROUNDS", 3)?)));
    let (seconds, rounds) = match settings {
        Ok(x) => x,
        Err(e) => {
            eprintln!("fuzz bench: {e}");
            return ExitCode::from(2);
        }
    };
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "fuzz bench: {rounds} rounds of {seconds} s per mode, {cpus} CPUs, load {} at the start",
        load_average()
    );
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); ROWS.len()];
    for round in 1..=rounds {
        for (i, row) in ROWS.iter().enumerate() {
            let s = match run(row.mode, round, seconds) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("fuzz bench: {e}");
                    return ExitCode::FAILURE;
                }
            };
            println!(
                "  round {round} seed {round}: {:<24} {:>9} decisions/s ({} decisions, {} cases, load {})",
                row.name,
                thousands(s.rate()),
                s.decisions,
                s.cases,
                load_average()
            );
            rates[i].push(s.rate());
        }
    }
    println!();
    let rounds_head: Vec<String> = (1..=rounds).map(|r| format!("seed {r}")).collect();
    println!("| mode | {} | median | target | |", rounds_head.join(" | "));
    println!("|---|{}---|---|---|", "---|".repeat(rates[0].len()));
    for (row, r) in ROWS.iter().zip(&rates) {
        let m = median(r);
        let each: Vec<String> = r.iter().map(|x| thousands(*x)).collect();
        let (target, verdict) = match row.target {
            Some(t) => (thousands(t), if m >= t { "PASS" } else { "MISS" }),
            None => (String::new(), ""),
        };
        println!(
            "| {} | {} | {} | {target} | {verdict} |",
            row.name,
            each.join(" | "),
            thousands(m)
        );
    }
    let base = median(&rates[0]);
    if base > 0.0 {
        println!(
            "\nin process runs at {:.0}% of the model-alone baseline (the emulator's share of the time: {:.0}%)",
            100.0 * median(&rates[1]) / base,
            100.0 * (1.0 - median(&rates[1]) / base)
        );
    }
    ExitCode::SUCCESS
}
