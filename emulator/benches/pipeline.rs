//! The emulator's whole request pipeline without the network: `Emulator::handle`
//! on requests signed up front with `aws-sigv4` — routing, SigV4, policy
//! evaluation, the handler, the store, the request log and the response head.
//! What a request costs the emulator beyond what hyper and the kernel cost (the
//! ceiling in `scripts/bench.sh` measures those); per-request CPU time here is
//! stable on a shared machine where throughput is not.
//!
//! `cargo bench -p emulator --bench pipeline`
//!
//! Instruction counts, which a shared machine's noise does not move: with
//! `PIPELINE_COUNT=N` the bench runs each request N times and exits, so under
//! callgrind two runs (N and 2N) differ by N requests' instructions:
//!
//! ```text
//! cargo bench -p emulator --bench pipeline --no-run
//! PIPELINE_COUNT=1000 valgrind --tool=callgrind --callgrind-out-file=a.out target/release/deps/pipeline-* --bench
//! PIPELINE_COUNT=2000 valgrind --tool=callgrind --callgrind-out-file=b.out target/release/deps/pipeline-* --bench
//! ```
//!
//! (`scripts/instructions.sh` does this and prints instructions per request.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations,
    reason = "benchmark code: a failed unwrap is a broken benchmark"
)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest};
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use http_body_util::{BodyExt, Full};

/// The `emulator` binary's allocator, so these figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const HOST: &str = "127.0.0.1:9000";

struct Prepared {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

fn prepare(
    method: &'static str,
    path: &str,
    service: &str,
    body: Vec<u8>,
    mut headers: Vec<(String, String)>,
) -> Prepared {
    headers.push(("host".into(), HOST.into()));
    headers.push(("content-length".into(), body.len().to_string()));
    let settings = testkit::sign::like_sdk(service);
    let identity: Identity = Credentials::new(AKID, SECRET, None, None, "bench").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name(service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let uri = format!("http://{HOST}{path}");
    let signable = SignableRequest::new(
        method,
        uri.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(&body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (n, v) in instructions.headers() {
        headers.push((n.to_owned(), v.to_owned()));
    }
    Prepared {
        method,
        path: path.to_owned(),
        headers,
        body: Bytes::from(body),
    }
}

fn request(p: &Prepared) -> http::Request<Full<Bytes>> {
    let mut b = http::Request::builder().method(p.method).uri(p.path.as_str());
    for (n, v) in &p.headers {
        b = b.header(n.as_str(), v.as_str());
    }
    b.body(Full::new(p.body.clone())).unwrap()
}

fn bench(c: &mut Criterion) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/worlds/clients.toml"
    ))
    .unwrap();
    let world = emulator::World::from_toml("clients.toml", &text).unwrap();
    let emu = Arc::new(emulator::Emulator::with_store(
        emulator::Config::default(),
        world,
        Arc::new(emulator::SystemClock),
        Arc::new(emulator::store::MemoryStore::digest_only()),
    ));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let peer: std::net::SocketAddr = "127.0.0.1:40000".parse().unwrap();

    let put_1k = prepare(
        "PUT",
        "/customer-lake/bench/object-0001",
        "s3",
        (0..1024).map(|i| (i % 251) as u8).collect(),
        vec![("content-type".into(), "application/octet-stream".into())],
    );
    let delete = prepare(
        "DELETE",
        "/customer-lake/bench/object-0001",
        "s3",
        Vec::new(),
        Vec::new(),
    );
    let form = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Ftransfer-role&RoleSessionName=bench&ExternalId=ext-123";
    let assume = prepare(
        "POST",
        "/",
        "sts",
        form.as_bytes().to_vec(),
        vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        )],
    );

    let cases = [
        ("put-object-1KiB", &put_1k, 200),
        ("delete-object", &delete, 204),
        ("assume-role", &assume, 200),
    ];
    if let Some(n) = std::env::var("PIPELINE_COUNT")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        let only = std::env::var("PIPELINE_ONLY").ok();
        for (name, p, want) in cases {
            if only.as_deref().is_some_and(|o| o != name) {
                continue;
            }
            for _ in 0..n {
                let status = rt.block_on(async {
                    let res = emu.handle(request(p), peer).await.unwrap();
                    let status = res.status().as_u16();
                    res.into_body().collect().await.unwrap();
                    status
                });
                assert_eq!(status, want, "{name}");
            }
        }
        std::process::exit(0);
    }

    let mut group = c.benchmark_group("pipeline");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_millis(500));
    group.throughput(Throughput::Elements(1));
    for (name, p, want) in cases {
        let status = rt.block_on(async {
            let res = emu.handle(request(p), peer).await.unwrap();
            let status = res.status().as_u16();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(status, want, "{name}: {}", String::from_utf8_lossy(&body));
            status
        });
        assert_eq!(status, want);
        // The request is built outside the timing (`iter_batched`), as hyper
        // parses it before the emulator sees it: the builder below parses each
        // name and copies each value, work the server's figure counts in hyper
        // (the ceiling) and not in the emulator. The `request-build` row times that
        // construction alone, so the figure before this split is the two summed.
        group.bench_function(name, |b| {
            b.iter_batched(
                || request(p),
                |req| {
                    rt.block_on(async {
                        let res = emu.handle(req, peer).await.unwrap();
                        res.into_body().collect().await.unwrap().to_bytes().len()
                    })
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.bench_function("request-build/put-object-1KiB", |b| {
        b.iter(|| request(&put_1k));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
