//! `connector.onboard` and `connector.sync`: the real connector against the emulator.
//!
//! PLACEHOLDER until the connector crate lands on main.

use emulator::world::{FileError, Source};

use crate::run::{Outcome, Run};
use crate::scenario::StepFile;

/// Check a connector step's `with` at load time.
pub fn check_with(src: &Source, step: &StepFile) -> Result<(), FileError> {
    Err(src.error_in(
        &step.kind,
        "connector steps need the connector crate, which has not landed yet",
    ))
}

/// Run `connector.onboard`.
pub async fn onboard(_run: &mut Run<'_>, _step: &StepFile) -> Result<Outcome, String> {
    Err("the connector crate has not landed yet".to_string())
}

/// Run `connector.sync`.
pub async fn sync(_run: &mut Run<'_>, _step: &StepFile) -> Result<Outcome, String> {
    Err("the connector crate has not landed yet".to_string())
}
