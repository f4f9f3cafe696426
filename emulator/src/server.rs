//! The accept loop: HTTP/1.1 on a listener the caller bound, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::emulator::Emulator;

/// Serve `emulator` on `listener` until `shutdown` completes, then let in-flight
/// requests finish.
pub async fn serve(
    listener: TcpListener,
    emulator: Arc<Emulator>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Accept errors (e.g. EMFILE) are transient; keep serving.
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let emu = emulator.clone();
                let service = service_fn(move |req| {
                    let emu = emu.clone();
                    async move { emu.handle(req, peer).await }
                });
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(emulator.config.header_read_timeout)
                    .keep_alive(true)
                    .max_buf_size(1024 * 1024)
                    .serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = watched.await {
                        tracing::debug!(%peer, error = %e, "connection ended");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    graceful.shutdown().await;
    Ok(())
}

/// An emulator running on a background task.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// `http://ADDR`, for clients.
    pub endpoint: String,
    /// The emulator, to drive time and inspect state.
    pub emulator: Arc<Emulator>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Stop accepting, finish in-flight requests, and wait.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Bind `127.0.0.1:0` and serve `emulator` on a background task.
pub async fn spawn(emulator: Arc<Emulator>) -> std::io::Result<Running> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    spawn_on(listener, emulator)
}

/// Serve `emulator` on a listener the caller bound, on a background task.
pub fn spawn_on(listener: TcpListener, emulator: Arc<Emulator>) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, emulator.clone(), async move {
        let _ = stopped.await;
    }));
    Ok(Running {
        addr,
        endpoint: format!("http://{addr}"),
        emulator,
        stop: Some(stop),
        task: Some(task),
    })
}
