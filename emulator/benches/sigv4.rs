//! SigV4 verification per request, in each payload mode, at 1 KiB and 1 MiB.
//!
//! Every request is signed once, up front, by the AWS SDK's own signer
//! (`aws-sigv4`, with the settings aws-sdk-s3 uses); chunk and trailer
//! signatures of aws-chunked bodies come from its `sign_chunk` and
//! `sign_trailer`. What is timed is the server's whole path for one request:
//! [`sigv4::parse`], the scope / signed-header / time checks, the payload mode,
//! [`AuthV4::verify`] (canonical request, key derivation, HMAC), then
//! [`BodyCheck`] fed the body in 64 KiB frames (what hyper hands the handler)
//! and finished. The header map is built outside the loop: hyper builds it.
//!
//! `cargo bench -p emulator --bench sigv4`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations,
    reason = "benchmark code: a failed unwrap is a broken benchmark"
)]

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest};
use aws_smithy_runtime_api::client::identity::Identity;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use emulator::sigv4::{
    self, Auth, AuthV4, BodyCheck, CredentialScope, PayloadMode, RequestHead, SigService, SigningKey,
};
use http::{HeaderMap, HeaderName, HeaderValue};

/// The `emulator` binary's allocator, so these figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const HOST: &str = "127.0.0.1:9000";
const PATH: &str = "/customer-lake/exports/part-0001.parquet";
/// 2026-11-27T18:06:30Z.
const T0: u64 = 1_795_802_790;
/// The aws-chunked chunk size the SDKs use.
const CHUNK: usize = 64 * 1024;
/// How hyper hands a body to the handler (its read buffer size, roughly).
const FRAME: usize = 64 * 1024;

#[derive(Clone, Copy, Debug)]
enum Mode {
    /// `x-amz-content-sha256: <hex>`.
    SignedPayload,
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    StreamingUnsignedTrailer,
}

impl Mode {
    const ALL: [Self; 5] = [
        Self::SignedPayload,
        Self::Unsigned,
        Self::StreamingSigned,
        Self::StreamingSignedTrailer,
        Self::StreamingUnsignedTrailer,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::SignedPayload => "signed-payload",
            Self::Unsigned => "unsigned-payload",
            Self::StreamingSigned => "streaming-signed",
            Self::StreamingSignedTrailer => "streaming-signed-trailer",
            Self::StreamingUnsignedTrailer => "streaming-unsigned-trailer",
        }
    }
}

/// A request as it arrives on the wire.
struct Signed {
    headers: HeaderMap,
    body: Vec<u8>,
    now: time::OffsetDateTime,
}

fn identity() -> Identity {
    Credentials::new(AKID, SECRET, None, None, "bench").into()
}

fn crc32_b64(data: &[u8]) -> String {
    use base64::Engine as _;
    let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, data) as u32;
    base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
}

fn sign_request(mode: Mode, payload: &[u8]) -> Signed {
    let time = UNIX_EPOCH + Duration::from_secs(T0);
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), HOST.into()),
        ("content-type".into(), "application/octet-stream".into()),
    ];
    let streaming = !matches!(mode, Mode::SignedPayload | Mode::Unsigned);
    let trailer = matches!(
        mode,
        Mode::StreamingSignedTrailer | Mode::StreamingUnsignedTrailer
    );
    if streaming {
        headers.push(("content-encoding".into(), "aws-chunked".into()));
        headers.push(("x-amz-decoded-content-length".into(), payload.len().to_string()));
    }
    if trailer {
        headers.push(("x-amz-trailer".into(), "x-amz-checksum-crc32".into()));
    }
    let settings = testkit::sign::s3(true);
    let id = identity();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&id)
        .region("eu-west-1")
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let body = match mode {
        Mode::SignedPayload => SignableBody::Bytes(payload),
        Mode::Unsigned => SignableBody::UnsignedPayload,
        Mode::StreamingSigned => SignableBody::Precomputed("STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into()),
        Mode::StreamingSignedTrailer => SignableBody::StreamingSignedPayloadTrailer,
        Mode::StreamingUnsignedTrailer => SignableBody::StreamingUnsignedPayloadTrailer,
    };
    let uri = format!("http://{HOST}{PATH}");
    let signable = SignableRequest::new(
        "PUT",
        uri.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        body,
    )
    .unwrap();
    let (instructions, seed) = sign(signable, &params).unwrap().into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }

    let wire = if streaming {
        let chunk_params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&id)
            .region("eu-west-1")
            .name("s3")
            .time(time)
            .settings(())
            .build()
            .unwrap();
        let signed_chunks = matches!(mode, Mode::StreamingSigned | Mode::StreamingSignedTrailer);
        let mut wire = Vec::with_capacity(payload.len() + 1024);
        let mut previous = seed;
        for data in payload.chunks(CHUNK).chain(std::iter::once(&[][..])) {
            wire.extend_from_slice(format!("{:x}", data.len()).as_bytes());
            if signed_chunks {
                let sig = aws_sigv4::sign::v4::sign_chunk(
                    &bytes::Bytes::copy_from_slice(data),
                    &previous,
                    &chunk_params,
                )
                .unwrap();
                previous = sig.into_parts().1;
                wire.extend_from_slice(format!(";chunk-signature={previous}").as_bytes());
            }
            wire.extend_from_slice(b"\r\n");
            if !data.is_empty() {
                wire.extend_from_slice(data);
                wire.extend_from_slice(b"\r\n");
            }
        }
        if trailer {
            let crc = crc32_b64(payload);
            wire.extend_from_slice(format!("x-amz-checksum-crc32:{crc}\r\n").as_bytes());
            if signed_chunks {
                let mut trailers = aws_smithy_runtime_api::http::Headers::new();
                trailers.insert("x-amz-checksum-crc32", crc);
                let sig = aws_sigv4::sign::v4::sign_trailer(&trailers, &previous, &chunk_params).unwrap();
                wire.extend_from_slice(
                    format!("x-amz-trailer-signature:{}\r\n", sig.into_parts().1).as_bytes(),
                );
            }
        }
        wire.extend_from_slice(b"\r\n");
        wire
    } else {
        payload.to_vec()
    };
    headers.push(("content-length".into(), wire.len().to_string()));

    let mut map = HeaderMap::new();
    for (n, v) in &headers {
        map.append(
            HeaderName::from_bytes(n.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    Signed {
        headers: map,
        body: wire,
        now: time::OffsetDateTime::from(time),
    }
}

/// The server's path for one request; returns the decoded body length. With `key`,
/// `kSigning` comes from a cache, as the emulator's pipeline keeps one per secret and
/// scope; without, it is derived (four HMACs).
fn verify(s: &Signed, out: &mut Vec<u8>, key: Option<&SigningKey>) -> usize {
    let head = RequestHead {
        method: "PUT",
        raw_path: PATH,
        raw_query: "",
        headers: &s.headers,
    };
    let Ok(Auth::V4(auth)) = sigv4::parse(&head, SigService::S3) else {
        panic!("not SigV4")
    };
    let auth: AuthV4 = auth;
    auth.check_scope(SigService::S3, Some("eu-west-1")).unwrap();
    auth.check_signed_headers(&head).unwrap();
    auth.check_time(s.now, SigService::S3).unwrap();
    let mode: PayloadMode = auth.payload_mode(SigService::S3).unwrap();
    let hash = mode.canonical_value().unwrap();
    let verified = match key {
        // As the pipeline does: the parsed authorization moves into `Verified`.
        Some(k) => auth
            .into_verified(&head, k.clone(), SigService::S3, &hash)
            .unwrap(),
        None => auth.verify(&head, SECRET, SigService::S3, &hash).unwrap(),
    };
    let mut check = BodyCheck::new(mode, &verified, &s.headers).unwrap();
    out.clear();
    for frame in s.body.chunks(FRAME) {
        check.push(frame, out).unwrap();
    }
    check.finish().unwrap();
    out.len()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sigv4_verify");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_millis(500));
    for size in [1024_usize, 1024 * 1024] {
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let label = if size == 1024 { "1KiB" } else { "1MiB" };
        group.throughput(Throughput::Bytes(size as u64));
        for mode in Mode::ALL {
            let signed = sign_request(mode, &payload);
            let mut out = Vec::with_capacity(size);
            // A broken request would make the timing meaningless: check once.
            assert_eq!(verify(&signed, &mut out, None), size, "{}", mode.name());
            assert_eq!(out, payload, "{}", mode.name());
            group.bench_with_input(BenchmarkId::new(mode.name(), label), &signed, |b, s| {
                b.iter(|| verify(std::hint::black_box(s), &mut out, None));
            });
            let key = SigningKey::derive(SECRET, &CredentialScope::new("20261127", "eu-west-1", "s3"));
            assert_eq!(verify(&signed, &mut out, Some(&key)), size, "{}", mode.name());
            group.bench_with_input(
                BenchmarkId::new(format!("{}/cached-key", mode.name()), label),
                &signed,
                |b, s| b.iter(|| verify(std::hint::black_box(s), &mut out, Some(&key))),
            );
        }
    }
    group.finish();
    floor(c);
}

/// The work a verification cannot avoid, on inputs the size of a 1 KiB PUT's: SHA-256
/// of a 300-byte canonical request, one HMAC-SHA256 of a 150-byte string to sign with
/// `kSigning` known, and hex of both; plus SHA-256 and MD5 of the 1 KiB body, which a
/// signed payload and the ETag need, apart and interleaved (`util::Md5Sha256`, as the
/// emulator hashes a body). The targets' floor, measured in the same run.
fn floor(c: &mut Criterion) {
    use hmac::{Hmac, Mac};
    use md5::Digest as _;
    let canonical = vec![b'c'; 300];
    let string_to_sign = vec![b's'; 150];
    let body = vec![b'b'; 1024];
    let key = [7u8; 32];
    let mut group = c.benchmark_group("floor");
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(300));
    group.bench_function("sha256-300B+hmac-150B+hex", |b| {
        b.iter(|| {
            let h = sha2::Sha256::digest(std::hint::black_box(&canonical));
            let mut m = <Hmac<sha2::Sha256>>::new_from_slice(&key).unwrap();
            m.update(std::hint::black_box(&string_to_sign));
            let sig = m.finalize().into_bytes();
            (sigv4::hex_lower(&h), sigv4::hex_lower(&sig))
        })
    });
    group.bench_function("sha256-1KiB", |b| {
        b.iter(|| sha2::Sha256::digest(std::hint::black_box(&body)))
    });
    group.bench_function("md5-1KiB", |b| {
        b.iter(|| md5::Md5::digest(std::hint::black_box(&body)))
    });
    // Both, as the emulator computes them: block by block in turn.
    group.bench_function("md5+sha256-1KiB-interleaved", |b| {
        b.iter(|| {
            let mut h = emulator::util::Md5Sha256::new();
            h.update(std::hint::black_box(&body));
            h.finish()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
