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
    let trials = found
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
    libtest_mimic::run(&args, trials).exit();
}
