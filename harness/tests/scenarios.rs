//! Every scenario file under `scenarios/` is one test, named by its path relative to
//! that folder: `cargo test -p harness -- trust/` runs the trust scenarios.

use std::path::PathBuf;

use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
    let found = match harness::discover::find(std::slice::from_ref(&root)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot list {}: {e}", root.display());
            std::process::exit(2);
        }
    };
    let mut trials: Vec<Trial> = found
        .into_iter()
        .map(|f| {
            let name = f.name.clone();
            Trial::test(name, move || {
                let scenario = harness::load(&f.path, &f.name).map_err(|e| Failed::from(e.to_string()))?;
                let report = harness::run_blocking(&scenario, false);
                if report.passed() {
                    Ok(())
                } else {
                    Err(Failed::from(report.failure()))
                }
            })
        })
        .collect();
    trials.extend(reproduce_trials());
    libtest_mimic::run(&args, trials).exit();
}

/// `harness reproduce` on each example artefact folder: the scenario it writes must load
/// and pass when run again (the observed outcome is pinned as its expectation).
fn reproduce_trials() -> Vec<Trial> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/artefacts"));
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = format!(
                "reproduce/{}",
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
            Trial::test(name.clone(), move || {
                let args = harness::reproduce::Args {
                    from: dir.clone(),
                    out: None,
                    bucket: None,
                    vendor_principal: "arn:aws:iam::111111111111:user/sync".to_string(),
                };
                let text = harness::reproduce::reproduce(&args)
                    .map_err(Failed::from)?
                    .scenario;
                let source = emulator::world::Source::new(name.clone(), text);
                let scenario = harness::scenario::from_source(&dir, &name, source)
                    .map_err(|e| Failed::from(e.to_string()))?;
                let report = harness::run_blocking(&scenario, false);
                if report.passed() {
                    Ok(())
                } else {
                    Err(Failed::from(report.failure()))
                }
            })
        })
        .collect()
}
