//! The accept loop: HTTP/1.1 on a listener the caller bound, graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::emulator::Emulator;

/// How long the accept loop waits after `accept` fails (EMFILE, ENFILE, ENOBUFS):
/// retrying at once spins a core and floods the log while nothing can succeed.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The most header fields hyper parses in one request. S3's limit is on bytes (8 KiB,
/// checked in the pipeline); 256 fields hold any request whose user metadata fits
/// S3's 2 KiB. A request over this (or over hyper's 1 MiB buffer) gets S3's
/// RequestHeaderSectionTooLarge from [`HeaderLimitIo`] instead of hyper's bare 431.
const MAX_HEADER_FIELDS: usize = 256;

/// Serve `emulator` on `listener` until `shutdown` completes, then let in-flight
/// requests finish. Plain HTTP only; [`serve_tls`] adds HTTPS on the same port.
pub async fn serve(
    listener: TcpListener,
    emulator: Arc<Emulator>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_inner(listener, emulator, None, shutdown).await
}

/// [`serve`], with HTTPS beside HTTP on the same port: a connection whose first
/// byte opens a TLS handshake is served over TLS with `tls`'s certificate, any
/// other as plain HTTP, and `aws:SecureTransport` says which.
#[cfg(feature = "tls")]
pub async fn serve_tls(
    listener: TcpListener,
    emulator: Arc<Emulator>,
    tls: crate::tls::Tls,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_inner(listener, emulator, Some(tls), shutdown).await
}

#[cfg(not(feature = "tls"))]
type MaybeTls = Option<std::convert::Infallible>;
#[cfg(feature = "tls")]
type MaybeTls = Option<crate::tls::Tls>;

async fn serve_inner(
    listener: TcpListener,
    emulator: Arc<Emulator>,
    tls: MaybeTls,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    // Accept failures in a row, logged once when they start and once when they end.
    let mut failures = 0_u64;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        failures += 1;
                        if failures == 1 {
                            tracing::warn!(error = %e, "accept failed; retrying every {} ms", ACCEPT_BACKOFF.as_millis());
                        }
                        tokio::select! {
                            () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                            () = &mut shutdown => break,
                        }
                    }
                };
                if failures > 0 {
                    tracing::warn!(failures, "accepting again after {failures} failed accepts");
                    failures = 0;
                }
                let _ = stream.set_nodelay(true);
                let watcher = graceful.watcher();
                let emulator = emulator.clone();
                match &tls {
                    None => {
                        tokio::spawn(connection(stream, peer, None, emulator, watcher));
                    }
                    #[cfg(feature = "tls")]
                    Some(tls) => {
                        tokio::spawn(tls_or_plain(stream, peer, tls.clone(), emulator, watcher));
                    }
                    #[cfg(not(feature = "tls"))]
                    Some(never) => match *never {},
                }
            }
            () = &mut shutdown => break,
        }
    }
    // Closed now, not when in-flight requests are done: new clients are refused
    // at once instead of waiting in the backlog for a server that is leaving.
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Decide the connection's protocol from its first byte, then serve it. A client
/// that connects and sends nothing is dropped after the header read timeout, as
/// hyper would drop it; so is a TLS handshake that does not finish in that time.
#[cfg(feature = "tls")]
async fn tls_or_plain(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    tls: crate::tls::Tls,
    emulator: Arc<Emulator>,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let wait = emulator.config.header_read_timeout;
    let mut first = [0_u8; 1];
    match tokio::time::timeout(wait, stream.peek(&mut first)).await {
        Ok(Ok(1..)) => {}
        _ => return,
    }
    if first[0] != crate::tls::HANDSHAKE {
        return connection(stream, peer, Some(false), emulator, watcher).await;
    }
    match tokio::time::timeout(wait, tls.acceptor().accept(stream)).await {
        Ok(Ok(tls_stream)) => connection(tls_stream, peer, Some(true), emulator, watcher).await,
        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
    }
}

/// Serve one connection with hyper. `secure` is `Some(over TLS)` when the
/// emulator serves TLS, so that `aws:SecureTransport` comes from the connection.
async fn connection<S>(
    io: S,
    peer: SocketAddr,
    secure: Option<bool>,
    emulator: Arc<Emulator>,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let emu = emulator.clone();
    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let emu = emu.clone();
        let expects_continue = req
            .headers()
            .get(hyper::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let idle = emu.config.body_idle_timeout;
        let req = req.map(|body| DrainOnDrop::new(body, idle, expects_continue));
        async move { emu.handle_on(req, peer, secure).await }
    });
    let io = HeaderLimitIo {
        inner: io,
        pending: Vec::new(),
        emulator: emulator.clone(),
    };
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(emulator.config.header_read_timeout)
        .keep_alive(true)
        .max_buf_size(1024 * 1024)
        .max_headers(MAX_HEADER_FIELDS)
        .serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(%peer, error = %e, "connection ended");
    }
}

/// The connection as hyper sees it, with one change: hyper's own answer to a
/// request head it will not parse (too many fields, over its buffer) is a bare
/// `431` with no body, which no S3 client can explain. It is replaced by S3's
/// answer to headers over its limit, 400 RequestHeaderSectionTooLarge in S3's
/// XML. The emulator itself never answers 431, so a 431 head is always hyper's.
struct HeaderLimitIo<S> {
    inner: S,
    /// Replacement bytes still to write.
    pending: Vec<u8>,
    emulator: Arc<Emulator>,
}

impl<S: AsyncWrite + Unpin> HeaderLimitIo<S> {
    fn is_hypers_431(buf: &[u8]) -> bool {
        buf.starts_with(b"HTTP/1.1 431 ") || buf.starts_with(b"HTTP/1.0 431 ")
    }

    fn replacement(&self) -> Vec<u8> {
        let emu = &self.emulator;
        let n = emu.next_id();
        let (request_id, host_id) = (emu.s3_request_id(n), emu.host_id(n));
        let e = crate::api_error!(RequestHeaderSectionTooLarge)
            .extra("MaxSizeAllowed", emu.config.max_header_bytes.to_string());
        let body = crate::protocol::xml::s3_error(&e, &request_id, &host_id);
        tracing::warn!(
            target: "emulator::request",
            request_id = %request_id,
            status = 400,
            code = "RequestHeaderSectionTooLarge",
            "request head over {MAX_HEADER_FIELDS} fields or 1 MiB, refused before parsing"
        );
        format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\
             date: {}\r\nx-amz-request-id: {request_id}\r\nx-amz-id-2: {host_id}\r\n\
             server: AmazonS3\r\nconnection: close\r\n\r\n{body}",
            body.len(),
            crate::util::http_date(emu.clock.now()),
        )
        .into_bytes()
    }

    /// Write out the replacement; `Ready(Ok)` once nothing is pending.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while !self.pending.is_empty() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.pending.drain(..n.min(self.pending.len()));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeaderLimitIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeaderLimitIo<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        if Self::is_hypers_431(buf) {
            this.pending = this.replacement();
            // The replacement stands for hyper's bytes; it is written by the next
            // flush or write.
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        if bufs.first().is_some_and(|b| Self::is_hypers_431(b)) {
            this.pending = this.replacement();
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// The most of a refused request's body read after the answer (see [`DrainOnDrop`]).
const DRAIN_LIMIT: u64 = 1 << 30;

/// A request body that, dropped unread, is read to its end on a task of its own.
///
/// Without this, a request refused before its body is read (AccessDenied on an
/// 8 MiB part, an injected fault) makes hyper close the connection with the client
/// still sending: the client then sees either the answer or a reset, by a race,
/// and retries a reset as a network error. S3 may well close such connections too
/// (inferred: SDKs retry broken pipes on uploads); the emulator keeps reading so
/// that every client sees the answer it was given, and a scenario's outcome does
/// not depend on socket buffer sizes. A client that asked `Expect: 100-continue`
/// has not sent the body, so nothing is read for it (hyper then answers without
/// the `100`); reading stops after [`DRAIN_LIMIT`] bytes or a stall of the body
/// idle timeout, and hyper closes the connection as before.
struct DrainOnDrop {
    inner: Option<hyper::body::Incoming>,
    idle: Duration,
    expects_continue: bool,
}

impl DrainOnDrop {
    fn new(body: hyper::body::Incoming, idle: Duration, expects_continue: bool) -> Self {
        Self {
            inner: Some(body),
            idle,
            expects_continue,
        }
    }
}

impl hyper::body::Body for DrainOnDrop {
    type Data = bytes::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        match self.inner.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(hyper::body::Body::is_end_stream)
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.as_ref().map_or_else(
            || hyper::body::SizeHint::with_exact(0),
            hyper::body::Body::size_hint,
        )
    }
}

impl Drop for DrainOnDrop {
    fn drop(&mut self) {
        let Some(mut body) = self.inner.take() else { return };
        if self.expects_continue || hyper::body::Body::is_end_stream(&body) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let idle = self.idle;
        runtime.spawn(async move {
            use http_body_util::BodyExt;
            let mut read = 0_u64;
            while read < DRAIN_LIMIT {
                match tokio::time::timeout(idle, body.frame()).await {
                    Ok(Some(Ok(frame))) => {
                        read += frame.data_ref().map_or(0, |d| d.len() as u64);
                    }
                    _ => break,
                }
            }
        });
    }
}

/// An emulator running on a background task.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// `http://ADDR` (`https://ADDR` from [`spawn_tls`]), for clients.
    pub endpoint: String,
    /// The CA certificate (PEM) clients trust, when serving TLS.
    pub ca_pem: Option<String>,
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
        ca_pem: None,
        emulator,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Bind `127.0.0.1:0` and serve `emulator` over HTTPS and HTTP on that port, with
/// a CA generated now ([`crate::tls::Tls::for_emulator`]); `Running::ca_pem` is
/// what clients trust.
#[cfg(feature = "tls")]
pub async fn spawn_tls(emulator: Arc<Emulator>) -> std::io::Result<Running> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let tls = crate::tls::Tls::for_emulator(&emulator).map_err(std::io::Error::other)?;
    spawn_tls_on(listener, emulator, tls)
}

/// [`spawn_tls`] on a listener the caller bound, with a given certificate.
#[cfg(feature = "tls")]
pub fn spawn_tls_on(
    listener: TcpListener,
    emulator: Arc<Emulator>,
    tls: crate::tls::Tls,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let ca_pem = tls.ca_pem().to_string();
    let task = tokio::spawn(serve_tls(listener, emulator.clone(), tls, async move {
        let _ = stopped.await;
    }));
    Ok(Running {
        addr,
        endpoint: format!("https://{addr}"),
        ca_pem: Some(ca_pem),
        emulator,
        stop: Some(stop),
        task: Some(task),
    })
}
