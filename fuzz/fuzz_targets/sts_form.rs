//! STS query-protocol parameters: `Action`, `Version`, and AssumeRole's `RoleArn`,
//! `RoleSessionName`, `ExternalId`, `SourceIdentity`, `DurationSeconds`, `Policy`,
//! `PolicyArns.member.N.arn`, `Tags.member.N.Key`/`Value`, `TransitiveTagKeys.member.N`.
//!
//! Input: a form body. It is checked as a POST body and, as text, as a query string.
//! Seeds: the bodies of the wire captures' STS requests.
//!
//! Properties: no panic; every error renders as well-formed STS XML.

#![no_main]

use emulator::protocol::codes::Service;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = emulator::fuzzing::sts_params("", true, data) {
        fuzz::render::api_error(&e, Service::Sts);
    }
    if let Ok(query) = std::str::from_utf8(data) {
        if let Err(e) = emulator::fuzzing::sts_params(query, false, b"") {
            fuzz::render::api_error(&e, Service::Sts);
        }
    }
});
