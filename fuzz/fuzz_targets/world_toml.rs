//! World files (`emulator/src/world/file.rs` and the world builder).
//!
//! Input: TOML text. Seeds: `scripts/worlds/*.toml` and the `[world]` tables of the
//! scenario files, rewritten as world files.
//!
//! Properties: no panic; an error names a line and a column inside the text.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = emulator::World::from_toml("fuzz.toml", text) {
        fuzz::check_position(text, e.line, e.column, &e.to_string());
    }
});
