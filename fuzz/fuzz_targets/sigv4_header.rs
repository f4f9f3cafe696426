//! The SigV4 `Authorization` header (and everything a header-signed request carries:
//! `X-Amz-Date`/`Date`, `x-amz-content-sha256`, the security token, the body).
//!
//! Input: a raw HTTP/1.1 request. Seeds: the wire captures (`*.http`) and the SigV4
//! suites' requests. A seed signed by a known key verifies, so mutations of its body
//! reach the aws-chunked decoder with real chunk signatures.
//!
//! Properties: no panic; every error renders as well-formed S3 and STS XML; the body
//! checker never emits more bytes than it was given.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(request) = fuzz::http_request::parse(data) {
        fuzz::sigv4::exercise(&request);
    }
});
