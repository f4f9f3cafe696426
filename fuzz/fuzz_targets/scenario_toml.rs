//! Scenario files (`harness/src/scenario.rs`): the file model, the embedded world,
//! and the checks of every step's `with` arguments.
//!
//! Input: TOML text. Seeds: `scenarios/**/*.toml`, `harness/gaps/*.toml`.
//!
//! Properties: no panic; an error names a line and a column inside the text.

#![no_main]

use std::path::Path;

use emulator::world::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = Source::new("fuzz.toml", text);
    if let Err(e) = harness::scenario::from_source(Path::new("fuzz.toml"), "fuzz", source) {
        fuzz::check_position(text, e.line, e.column, &e.to_string());
    }
});
