//! Error rendering: [`emulator::protocol::xml::s3_error`] for the common shapes,
//! from a bare code to a SignatureDoesNotMatch with its string to sign and
//! canonical request.
//!
//! `cargo bench -p emulator --bench errors`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations,
    reason = "benchmark code: a failed unwrap is a broken benchmark"
)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use emulator::api_error;
use emulator::protocol::xml;

const REQUEST_ID: &str = "4442587FB7D0A2F9";
const HOST_ID: &str = "Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==";

fn bench(c: &mut Criterion) {
    let no_such_key = api_error!(NoSuchKey).extra("Key", "exports/part-0001.parquet");
    let access_denied = api_error!(
        AccessDenied,
        "User: arn:aws:sts::111111111111:assumed-role/transfer-role/sync is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::customer-lake/exports/part-0001.parquet\" because no identity-based policy allows the s3:PutObject action"
    );
    let canonical = "PUT\n/customer-lake/exports/part-0001.parquet\n\ncontent-type:application/octet-stream\nhost:127.0.0.1:9000\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20261127T180630Z\n\ncontent-type;host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD";
    let sts = "AWS4-HMAC-SHA256\n20261127T180630Z\n20261127/eu-west-1/s3/aws4_request\n0f0e1a3c8a4a4b1f9d6b5e0c2a7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let mismatch = api_error!(SignatureDoesNotMatch)
        .extra("AWSAccessKeyId", "AKIAIOSFODNN7EXAMPLE")
        .extra("StringToSign", sts)
        .extra(
            "SignatureProvided",
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        )
        .extra("StringToSignBytes", xml::spaced_hex(sts.as_bytes()))
        .extra("CanonicalRequest", canonical)
        .extra("CanonicalRequestBytes", xml::spaced_hex(canonical.as_bytes()));

    let mut group = c.benchmark_group("s3_error");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_millis(500));
    group.throughput(Throughput::Elements(1));
    for (name, err) in [
        ("NoSuchKey", &no_such_key),
        ("AccessDenied", &access_denied),
        ("SignatureDoesNotMatch", &mismatch),
    ] {
        let body = xml::s3_error(err, REQUEST_ID, HOST_ID);
        assert!(body.contains("<Code>"), "{body}");
        group.bench_function(name, |b| {
            b.iter(|| xml::s3_error(std::hint::black_box(err), REQUEST_ID, HOST_ID));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
