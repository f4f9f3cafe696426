//! Scenario harness: load scenario files, run each against its own in-process
//! emulator, check every step, and report.
//!
//! # Layout
//!
//! - [`scenario`]: the file format (serde model, `deny_unknown_fields` everywhere) and
//!   loading with file, line and column on every error.
//! - [`run`]: one emulator per scenario on `127.0.0.1:0`, a manual clock shared with the
//!   SDK clients, the steps in order.
//! - [`steps`]: one function per step kind (`s3.*`, `sts.*`, `clock.*`, `fault.*`,
//!   `assert.objects`).
//! - [`raw`]: hand-signed requests the SDK will not send.
//! - [`edit`]: `world.edit`, changing the world mid-scenario.
//! - [`connector`]: `connector.onboard` and `connector.sync` through the real connector.
//! - [`expect`]: comparing a step's outcome with its `expect`.
//! - [`report`]: failure display, `--explain`, text / JSON / JUnit output.
//! - [`discover`]: finding scenario files under folders.
//! - [`reproduce`]: a scenario from a customer's AWS CLI output.
//!
//! `harness fuzz` runs the differential policy fuzzer of the `policy-fuzz` crate.

pub mod connector;
pub mod discover;
pub mod edit;
pub mod expect;
pub mod raw;
pub mod report;
pub mod reproduce;
pub mod run;
pub mod scenario;
pub mod steps;

pub use report::ScenarioReport;
pub use run::{run, run_blocking};
pub use scenario::{load, Scenario};
