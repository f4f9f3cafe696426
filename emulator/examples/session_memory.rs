//! Memory per STS session, live and retired: how the emulator's resident set grows
//! with AssumeRole, and what an expired session costs once it is retired
//! (emulator/src/sessions.rs).
//!
//! An in-process emulator (`scripts/worlds/clients.toml`, manual clock) takes
//! `--sessions N` AssumeRole calls (900-second sessions) from aws-sdk-sts three
//! times; between rounds the clock moves one hour, so each round's first call
//! retires the previous round's sessions. Prints VmRSS after each round, the
//! growth per session, and the live and retired counts. Round 1 is the cost of a
//! live session; round 3, once the freed memory is reused, that of a retired one
//! (the map and its entry) plus the allocator's slack.
//!
//! `cargo run --release -p emulator --example session_memory -- --sessions 20000`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark fixture outside the library"
)]

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_smithy_async::time::SharedTimeSource;
use emulator::clock::{Clock, ManualClock};
use testkit::EmulatorTime;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn main() {
    let mut sessions = 20_000u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sessions" => sessions = args.next().and_then(|v| v.parse().ok()).expect("--sessions N"),
            other => panic!("unknown argument {other}; usage: session_memory [--sessions N]"),
        }
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/worlds/clients.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let world = emulator::World::from_toml(path, &text).unwrap();
    let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-06-01 12:00 UTC)));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let emu = Arc::new(emulator::Emulator::new(
        emulator::Config::default(),
        world,
        dyn_clock,
    ));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let running = emulator::spawn(emu.clone()).await.unwrap();
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(Credentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                None,
                None,
                "example",
            ))
            .endpoint_url(format!("http://{}", running.addr))
            .time_source(SharedTimeSource::new(EmulatorTime(clock.clone())))
            .load()
            .await;
        let sts = aws_sdk_sts::Client::new(&config);
        let mut before = rss_kib();
        println!("| round | sessions issued | live | retired | VmRSS (MiB) | growth per session (B) |");
        println!("|---:|---:|---:|---:|---:|---:|");
        for round in 1..=3 {
            for _ in 0..sessions {
                sts.assume_role()
                    .role_arn("arn:aws:iam::111111111111:role/transfer-role")
                    .role_session_name("memory")
                    .external_id("ext-123")
                    .duration_seconds(900)
                    .send()
                    .await
                    .unwrap();
            }
            let after = rss_kib();
            let (live, retired) = emu.session_counts();
            #[allow(clippy::cast_precision_loss, reason = "a printed figure")]
            let per = (after.saturating_sub(before) * 1024) as f64 / sessions as f64;
            println!(
                "| {round} | {} | {live} | {retired} | {:.1} | {per:.0} |",
                round * sessions,
                after as f64 / 1024.0
            );
            before = after;
            clock.advance(Duration::from_secs(3600)).unwrap();
        }
        running.shutdown().await.unwrap();
    });
}
