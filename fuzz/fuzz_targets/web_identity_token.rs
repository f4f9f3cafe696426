//! Web identity tokens as STS verifies them for `AssumeRoleWithWebIdentity`: the JWT
//! header and claims, the issuer's provider, the key id, the signature, `exp`,
//! `nbf` and the audience.
//!
//! Input: bytes. As text, a token (no input can verify: the fuzzer has no provider
//! key). As a JSON object, the claims of a token the registered provider signs with
//! its RS256 or ES256 key (by the input's length), so claims of every shape reach the
//! checks behind the signature.
//!
//! Properties: no panic; an unsigned token never verifies; every error renders as
//! well-formed STS XML.

#![no_main]

use emulator::protocol::codes::Service;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        match emulator::fuzzing::web_identity_token(token) {
            Ok(()) => panic!("a token no provider signed verified: {token:?}"),
            Err(e) => fuzz::render::api_error(&e, Service::Sts),
        }
    }
    let kid = if data.len() % 2 == 0 { "r" } else { "e" };
    if let Some(Err(e)) = emulator::fuzzing::web_identity_claims(data, kid) {
        fuzz::render::api_error(&e, Service::Sts);
    }
});
