//! What the fuzz targets in `fuzz_targets/` share.
//!
//! # Layout
//!
//! - [`http_request`]: a lenient HTTP/1.1 request reader, standing in for hyper, so a
//!   target's input can be a raw request as a client wrote it (the seed corpora are
//!   byte-exact captures).
//! - [`sigv4`]: the SigV4/SigV2 pipeline the emulator runs on a request head, every
//!   stage driven whatever the previous one said.
//! - [`render`]: every error becomes S3's and STS's wire answer, which must be
//!   well-formed XML with valid header values.
//!
//! A failed property is a panic with a message, which libFuzzer reports as a crash
//! and saves as an input under `fuzz/artifacts/<target>/`.

pub mod http_request;
pub mod render;
pub mod sigv4;

/// The secret of the SigV4 suites' `AKIDEXAMPLE` (aws-c-auth, smithy-rs, botocore):
/// AWS's documentation example value.
pub const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// The secret of `AKIAIOSFODNN7EXAMPLE`, the key of the wire captures and the S3
/// documentation examples: AWS's documentation example value.
pub const DOC_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The secret to verify `access_key_id`'s signatures with, so that seeds signed by
/// a known key get past the signature into what follows it.
pub fn secret_for(access_key_id: &str) -> &'static str {
    if access_key_id == "AKIDEXAMPLE" {
        SUITE_SECRET
    } else {
        DOC_SECRET
    }
}

/// Fail the run with `message` (libFuzzer saves the input as a crash).
#[expect(
    clippy::panic,
    reason = "a fuzz target reports a broken property by panicking"
)]
pub fn fail(message: std::fmt::Arguments<'_>) -> ! {
    panic!("{message}")
}

/// Fail unless `cond` holds.
#[macro_export]
macro_rules! check {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            $crate::fail(format_args!($($fmt)+));
        }
    };
}

/// A located error (world or scenario file) points inside `text`: the line exists and
/// the column is at most one past that line's last character.
pub fn check_position(text: &str, line: usize, column: usize, error: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    check!(
        line >= 1 && line <= lines.len(),
        "error on line {line} of a {}-line text: {error}",
        lines.len()
    );
    let width = lines.get(line.saturating_sub(1)).map_or(0, |l| l.chars().count());
    check!(
        column >= 1 && column <= width + 1,
        "error at column {column} of a {width}-character line: {error}"
    );
}
