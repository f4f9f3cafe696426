//! The emulator's authentication pipeline on one request head, for S3 and for STS:
//! [`emulator::sigv4::parse`], then every check on the result, then the signature with
//! the key's known secret, then the body checker on the body.
//!
//! Every stage runs whatever the previous check answered (a wrong region does not stop
//! the signature from being computed), so one input reaches as far as it can; every
//! error is rendered as both services would send it.

use emulator::sigv4::{
    self, Auth, AuthV2Query, AuthV4, BodyCheck, PayloadMode, RequestHead, SigService, UriRules,
};
use time::OffsetDateTime;

use crate::http_request::Request;
use crate::{check, render, secret_for};

/// The clock the time checks run against besides the request's own time: the instant
/// the wire captures were signed.
const CAPTURE_TIME: OffsetDateTime = time::macros::datetime!(2026-11-27 18:06:30 UTC);

/// Run the pipeline for both services.
pub fn exercise(request: &Request) {
    let head = request.head();
    for service in [SigService::S3, SigService::Sts] {
        match sigv4::parse(&head, service) {
            Err(e) => render::sig_error(&e),
            Ok(Auth::Anonymous) => {}
            Ok(Auth::V4(auth)) => v4(request, &head, &auth, service),
            Ok(Auth::V2Query(auth)) => v2(&head, &auth),
        }
    }
}

fn report<T>(result: Result<T, sigv4::SigError>) -> Option<T> {
    result.map_err(|e| render::sig_error(&e)).ok()
}

fn v4(request: &Request, head: &RequestHead<'_>, auth: &AuthV4, service: SigService) {
    check!(
        auth.service == service,
        "parsed for {service:?}, labelled {:?}",
        auth.service
    );
    report(auth.check_scope(service, None));
    report(auth.check_scope(service, Some("eu-west-1")));
    report(auth.check_signed_headers(head));
    report(auth.check_time(auth.timestamp, service));
    report(auth.check_time(CAPTURE_TIME, service));

    let mode = match service {
        SigService::S3 => report(auth.payload_mode(service)),
        SigService::Sts => Some(PayloadMode::BodySha256),
    };
    let payload_hash = mode
        .and_then(|m| m.canonical_value())
        .map_or_else(|| sigv4::sha256_hex(&request.body), |line| line.to_string());

    for rules in [UriRules::S3, UriRules::Normalized] {
        if let Some(canonical) = report(auth.canonical_request(head, rules, &payload_hash)) {
            // `Display` is the exact hashed text whenever that text is UTF-8.
            if let Ok(exact) = String::from_utf8(canonical.to_bytes()) {
                check!(
                    canonical.to_string() == exact,
                    "the canonical request's Display differs from the hashed bytes"
                );
            }
            let _ = canonical.redacted();
            let _ = auth.string_to_sign(&canonical).to_string();
        }
    }

    let secret = secret_for(&auth.access_key_id);
    let Some(verified) = report(auth.verify(head, secret, service, &payload_hash)) else {
        return;
    };
    check!(
        verified.signing.seed_signature == auth.signature,
        "the seed signature is not the request's"
    );
    let Some(mode) = mode else {
        return;
    };
    let Some(mut body) = report(BodyCheck::new(mode, &verified, head.headers)) else {
        return;
    };
    let mut out = Vec::new();
    let pushed = report(body.push(&request.body, &mut out));
    check!(
        out.len() <= request.body.len(),
        "the body checker produced {} bytes from {}",
        out.len(),
        request.body.len()
    );
    if pushed.is_some() {
        report(body.finish());
    }
}

fn v2(head: &RequestHead<'_>, auth: &AuthV2Query) {
    report(auth.check_time(CAPTURE_TIME));
    let _ = auth.string_to_sign(head, None).to_string();
    let _ = auth.string_to_sign(head, Some("test-bucket")).to_string();
    report(auth.verify(head, secret_for(&auth.access_key_id), None));
}
