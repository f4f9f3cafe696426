//! The ceiling: a bare hyper HTTP/1.1 server that reads every request body and
//! answers 200 with an empty body. It shares the emulator's stack (tokio
//! multi-thread runtime, hyper `http1`, `TCP_NODELAY`, keep-alive) and does
//! nothing else, so "emulator / ceiling" is the share of the machine's HTTP
//! throughput the emulator keeps after authentication, authorization and storage.
//!
//! `cargo run --release -p emulator --example ceiling -- [127.0.0.1:PORT]`
//! prints `http://ADDR` on stdout, then serves until killed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark fixture outside the library"
)]

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

async fn answer(req: Request<hyper::body::Incoming>) -> Result<Response<Empty<Bytes>>, Infallible> {
    // Drain the body frame by frame (as the emulator does), keeping nothing.
    let mut body = req.into_body();
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            break;
        }
    }
    Ok(Response::new(Empty::new()))
}

fn main() {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
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
                    .serve_connection(TokioIo::new(stream), service_fn(answer))
                    .await;
            });
        }
    });
}
