//! `harness reproduce`: build a scenario from a customer's artefacts.
//!
//! PLACEHOLDER: lands after the connector steps.

use std::process::ExitCode;

/// Command-line arguments of `harness reproduce`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `harness reproduce`.
pub fn main(_args: &Args) -> ExitCode {
    eprintln!("harness reproduce is not implemented yet");
    ExitCode::from(2)
}
