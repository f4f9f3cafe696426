//! In-process start: how long from "I have a world" to the first served request
//! when a test embeds the emulator with [`emulator::spawn`].
//!
//! Timed, `--runs N` times (default 20) on one runtime: `Emulator::new` with an
//! already-parsed world, `emulator::spawn` (bind 127.0.0.1:0, start the accept
//! loop), then one raw HTTP/1.1 request (`GET /_emulator/health`) answered with
//! 200. Parsing the world file is timed separately: a test usually has it
//! already, and it does not depend on the server. Prints the median and the
//! minimum in milliseconds (one JSON line with `--json`).
//!
//! `cargo run --release -p emulator --example inproc_start -- --world scripts/worlds/clients.toml`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark fixture outside the library"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn first_request(addr: std::net::SocketAddr) -> u16 {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(b"GET /_emulator/health HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0_u8; 12];
    s.read_exact(&mut buf).await.unwrap();
    std::str::from_utf8(&buf[9..12]).unwrap().parse().unwrap()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut world_path = "scripts/worlds/clients.toml".to_string();
    let mut runs = 20_usize;
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--world" => world_path = args.next().unwrap(),
            "--runs" => runs = args.next().unwrap().parse().unwrap(),
            "--json" => json = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let text = std::fs::read_to_string(&world_path).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut parse_ms = Vec::new();
    let mut start_ms = Vec::new();
    rt.block_on(async {
        for _ in 0..runs {
            let t = Instant::now();
            let world = emulator::World::from_toml(&world_path, &text).unwrap();
            parse_ms.push(t.elapsed().as_secs_f64() * 1000.0);

            let t = Instant::now();
            let emu = Arc::new(emulator::Emulator::new(
                emulator::Config::default(),
                world,
                Arc::new(emulator::SystemClock),
            ));
            let running = emulator::spawn(emu).await.unwrap();
            let status = first_request(running.addr).await;
            start_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(status, 200);
            running.shutdown().await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    let min = start_ms.iter().copied().fold(f64::INFINITY, f64::min);
    let med = median(&mut start_ms);
    let parse = median(&mut parse_ms);
    if json {
        println!("{{\"inproc_start_ms\":{med:.3},\"inproc_start_min_ms\":{min:.3},\"world_parse_ms\":{parse:.3},\"runs\":{runs}}}");
    } else {
        println!("in-process start to first served request: median {med:.3} ms, min {min:.3} ms over {runs} runs (world parse {parse:.3} ms, not included)");
    }
}
