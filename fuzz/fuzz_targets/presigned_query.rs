//! Presigned URLs: the SigV4 `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
//! `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Security-Token`, `X-Amz-Signature`
//! query parameters, and SigV2's `AWSAccessKeyId`, `Signature`, `Expires`.
//!
//! Input: a URL or a request target (`/path?query`), first line only; the host is
//! the URL's or the captures' `127.0.0.1:18080`. Seeds: the wire captures' presigned
//! URLs (`*.url`) and the SigV4 suites' `query-signed-request.txt` request targets.
//!
//! Properties: as `sigv4_header`.

#![no_main]

use fuzz::http_request::{add_header, split_target, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let line = text.lines().next().unwrap_or("").trim();
    let (host, path, query) = split_target(line);
    let mut request = Request {
        method: "PUT".to_owned(),
        raw_path: path.to_owned(),
        raw_query: query.to_owned(),
        ..Request::default()
    };
    add_header(
        &mut request.headers,
        b"host",
        host.unwrap_or("127.0.0.1:18080").as_bytes(),
    );
    fuzz::sigv4::exercise(&request);
    request.method = "GET".to_owned();
    fuzz::sigv4::exercise(&request);
});
