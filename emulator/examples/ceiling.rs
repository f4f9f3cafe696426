//! The ceiling: a bare hyper HTTP/1.1 server that reads every request body and
//! answers 200 with an empty body. It shares the emulator's stack (tokio
//! multi-thread runtime, hyper `http1`, `TCP_NODELAY`, keep-alive) and does
//! nothing else, so "emulator / ceiling" is the share of the machine's HTTP
//! throughput the emulator keeps after authentication, authorization and storage.
//!
//! With `--floor` it also does the work no SigV4-verifying server can skip, on the
//! request it received: a canonical request built from the method, path, query and
//! every header but `Authorization` (sorted), its SHA-256, the HMAC-SHA256 of a
//! string to sign with an already derived key, and SHA-256 and MD5 over the body
//! (the payload hash and the ETag; the two interleaved block by block, as the
//! emulator computes them). "floor / ceiling" is then the most a verifying
//! server on this stack could keep; it checks nothing and answers 200 regardless.
//!
//! With `--work-us N` it also does about N microseconds of arithmetic per request
//! (a fixed number of steps, calibrated at start-up and printed on stderr; after
//! the floor's work when both are given): a stand-in for the rest of a server's
//! per-request work, to measure on this machine how the throughput ratio falls as
//! that work grows (docs/benchmarks.md, "What a request may cost").
//!
//! `cargo run --release -p emulator --example ceiling -- [127.0.0.1:PORT] [--floor] [--work-us N]`
//! prints `http://ADDR` on stdout, then serves until killed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark fixture outside the library"
)]

use std::convert::Infallible;

use bytes::Bytes;
use emulator::util::Md5Sha256;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Empty};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};

async fn answer(
    req: Request<hyper::body::Incoming>,
    floor: bool,
    work: u64,
) -> Result<Response<Empty<Bytes>>, Infallible> {
    if floor {
        std::hint::black_box(signature_work(&req));
    }
    spin(work);
    let mut hashes = Md5Sha256::new();
    // Drain the body frame by frame (as the emulator does), keeping nothing.
    let mut body = req.into_body();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { break };
        if let (true, Some(data)) = (floor, frame.data_ref()) {
            hashes.update(data);
        }
    }
    if floor {
        std::hint::black_box(hashes.finish());
    }
    Ok(Response::new(Empty::new()))
}

/// A fixed amount of arithmetic, `rounds` steps of a dependent multiply-add chain
/// (about a nanosecond each; [`calibrate`] says how many make a microsecond here).
fn spin(rounds: u64) {
    let mut x = 0_u64;
    for _ in 0..rounds {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

/// How many [`spin`] rounds take a microsecond on this machine: the best of five
/// timings of ten million rounds, taken at start-up before any load.
fn calibrate() -> f64 {
    let rounds = 10_000_000;
    (0..5)
        .map(|_| {
            let t = std::time::Instant::now();
            spin(rounds);
            rounds as f64 / t.elapsed().as_secs_f64() / 1e6
        })
        .fold(0.0, f64::max)
}

/// The request's canonical text, hashed, and the string to sign's HMAC.
fn signature_work(req: &Request<hyper::body::Incoming>) -> [u8; 32] {
    let mut headers: Vec<(&str, &[u8])> = req
        .headers()
        .iter()
        .filter(|(name, _)| *name != hyper::header::AUTHORIZATION)
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    headers.sort_unstable_by_key(|(name, _)| *name);
    let mut canonical = Vec::with_capacity(512);
    canonical.extend_from_slice(req.method().as_str().as_bytes());
    canonical.push(b'\n');
    canonical.extend_from_slice(req.uri().path().as_bytes());
    canonical.push(b'\n');
    canonical.extend_from_slice(req.uri().query().unwrap_or("").as_bytes());
    canonical.push(b'\n');
    for (name, value) in &headers {
        canonical.extend_from_slice(name.as_bytes());
        canonical.push(b':');
        canonical.extend_from_slice(value);
        canonical.push(b'\n');
    }
    canonical.push(b'\n');
    for (i, (name, _)) in headers.iter().enumerate() {
        if i > 0 {
            canonical.push(b';');
        }
        canonical.extend_from_slice(name.as_bytes());
    }
    canonical.push(b'\n');
    canonical.extend_from_slice(
        req.headers()
            .get("x-amz-content-sha256")
            .map_or(&b"UNSIGNED-PAYLOAD"[..], |v| v.as_bytes()),
    );
    let hashed = hex::encode(Sha256::digest(&canonical));
    let mut mac = Hmac::<Sha256>::new_from_slice(&[7u8; 32]).unwrap();
    mac.update(b"AWS4-HMAC-SHA256\n20261206T000000Z\n20261206/us-east-1/s3/aws4_request\n");
    mac.update(hashed.as_bytes());
    mac.finalize().into_bytes().into()
}

fn main() {
    const USAGE: &str = "usage: ceiling [127.0.0.1:PORT] [--floor] [--work-us N]";
    let mut floor = false;
    let mut work_us = 0_u64;
    let mut listen = "127.0.0.1:0".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--floor" => floor = true,
            "--work-us" => match args.next().and_then(|n| n.parse::<u64>().ok()) {
                Some(n) => work_us = n,
                None => {
                    eprintln!("ceiling: --work-us needs a whole number of microseconds ({USAGE})");
                    std::process::exit(2);
                }
            },
            a if a.starts_with("--") => {
                eprintln!("ceiling: unknown option `{a}` ({USAGE})");
                std::process::exit(2);
            }
            a => listen = a.to_string(),
        }
    }
    let work = if work_us == 0 {
        0
    } else {
        let per_us = calibrate();
        eprintln!(
            "ceiling: --work-us {work_us}: {:.0} rounds a request ({per_us:.0} a microsecond)",
            per_us * work_us as f64
        );
        (per_us * work_us as f64) as u64
    };
    if !listen.starts_with("127.0.0.1:") {
        eprintln!("ceiling: listens on 127.0.0.1 only, got `{listen}`");
        std::process::exit(2);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen).await.unwrap();
        println!("http://{}", listener.local_addr().unwrap());
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(
                        TokioIo::new(stream),
                        service_fn(move |req| answer(req, floor, work)),
                    )
                    .await;
            });
        }
    });
}
