//! The request pipeline, top to bottom: one place a request goes through.
//!
//! ```text
//! Emulator::handle
//!   ├─ /_emulator/…            → admin::handle (its own guard: token, host, origin)
//!   ├─ S3  (s3.rs)   route → header limits → SigV4 parse → bucket and region → faults
//!   │                → authn::authenticate_s3 → authz::s3::authorize (the operation's
//!   │                  required actions) → the operation's handler in crate::s3
//!   ├─ STS (sts.rs)  body → parameters → SigV4 parse and scope → faults
//!   │                → authn::authenticate_v4 → the action's handler in crate::sts
//!   │                  (AssumeRole asks authz::sts)
//!   └─ the one exit: Ok → common headers; Err(ApiError) → S3 or STS XML with the
//!      code's status; either way one log entry with the decision beside it
//! ```
//!
//! Which service a request addresses: STS by the credential scope's service, an
//! `sts.` host, or (unsigned) a form POST or `?Action=` to `/`; everything else is S3.

mod s3;
mod sts;

pub use s3::decide as decide_s3;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use compact_str::CompactString;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body::Body;

use crate::emulator::Emulator;
use crate::error::ApiError;
use crate::fault::{FaultAction, Fired};
use crate::log::LogEntry;
use crate::protocol::codes::Service;
use crate::protocol::names;
use crate::protocol::xml;
use crate::request::{empty, full, Ctx, ResBody, ResetConnection, Trace, WireIds};
use crate::route::{self, ServiceKind};
use crate::util::http_date;

impl Emulator {
    /// Answer one request. `Err` means: drop the connection without answering.
    pub async fn handle<B>(
        self: &Arc<Self>,
        req: Request<B>,
        peer: SocketAddr,
    ) -> Result<Response<ResBody>, ResetConnection>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display,
    {
        self.handle_on(req, peer, None).await
    }

    /// [`Emulator::handle`] for a request that came over a connection the server
    /// knows to be TLS (`Some(true)`) or plain (`Some(false)`): `aws:SecureTransport`
    /// then comes from it; with `None`, from the world file.
    pub async fn handle_on<B>(
        self: &Arc<Self>,
        req: Request<B>,
        peer: SocketAddr,
        secure: Option<bool>,
    ) -> Result<Response<ResBody>, ResetConnection>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: std::fmt::Display,
    {
        let path = req.uri().path();
        if path == "/_emulator" || path.starts_with("/_emulator/") {
            // Admin calls are not logged: the log is what clients did.
            return Ok(crate::admin::handle(self, req).await);
        }
        let host_header = host_of(&req);
        let host = route::parse_host(&host_header, &self.config.host_suffixes);
        let wire = if is_sts(&req, &host) {
            Service::Sts
        } else {
            Service::S3
        };
        let n = self.next_id();
        let mut ctx = Ctx {
            ids: match wire {
                Service::S3 => WireIds::S3 {
                    request_id: self.s3_request_id(n),
                    host_id: self.host_id(n),
                },
                Service::Sts => WireIds::Sts { uuid: self.uuid(n) },
            },
            now: self.clock.now(),
            peer,
            secure,
            trace: Trace::default(),
        };
        let method = CompactString::from(req.method().as_str());
        // A server request's target is origin-form (path and query): copied as it is
        // rather than through `Uri`'s Display.
        let uri = match (req.uri().authority(), req.uri().path_and_query()) {
            (None, Some(pq)) => pq.as_str().to_owned(),
            _ => req.uri().to_string(),
        };
        ctx.trace.trail.source_ip = Some(self.world().network.source_ip.unwrap_or_else(|| peer.ip()));
        ctx.trace.trail.user_agent = req
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        ctx.trace.trail.host = Some(host_header);
        let result = match wire {
            Service::Sts => {
                ctx.trace.service = Some(ServiceKind::Sts);
                sts::handle(self, &mut ctx, req, &host).await
            }
            Service::S3 => {
                ctx.trace.service = Some(ServiceKind::S3);
                s3::handle(self, &mut ctx, req, &host).await
            }
        };
        let (mut response, code, message) = match result {
            Ok(r) => (r, None, None),
            Err(e) => {
                ctx.trace.decision = ctx.trace.decision.take().or_else(|| e.decision.clone());
                if ctx.trace.note.is_none() {
                    ctx.trace.note = e.log_note();
                }
                self.note_pending(&mut ctx);
                let message = e.wire_message(wire).into_owned();
                (
                    error_response(&ctx, &e, method == "HEAD"),
                    Some(e.code.as_str().to_string()),
                    Some(message),
                )
            }
        };
        if let WireIds::S3 { host_id, .. } = ctx.ids {
            ctx.trace.trail.host_id = Some(host_id);
        }
        common_headers(&ctx, &mut response);
        let reset = ctx.trace.reset_after;
        self.record(ctx, method, uri, response.status().as_u16(), code, message);
        if reset {
            return Err(ResetConnection);
        }
        Ok(response)
    }

    /// A refused request made while an IAM change is still propagating says so
    /// beside its own note: it was decided on the world before the change.
    fn note_pending(&self, ctx: &mut Ctx) {
        let notes: Vec<String> = self
            .pending_changes()
            .iter()
            .filter(|c| c.visible_at > ctx.now)
            .map(|c| c.note(ctx.now))
            .collect();
        if notes.is_empty() {
            return;
        }
        let pending = notes.join("; ");
        ctx.trace.note = Some(match ctx.trace.note.take() {
            Some(n) => format!("{n}; {pending}"),
            None => pending,
        });
    }

    /// One log line and one log entry per request, with the decision beside the outcome.
    #[allow(
        clippy::too_many_arguments,
        reason = "the parts of one log entry, consumed once"
    )]
    fn record(
        &self,
        ctx: Ctx,
        method: CompactString,
        uri: String,
        status: u16,
        code: Option<String>,
        message: Option<String>,
    ) {
        // The id the client got: S3's `x-amz-request-id`, STS's UUID
        // (`x-amzn-RequestId`, `<RequestId>`), so a client's id finds its line.
        let request_id = ctx.ids.request_id();
        tracing::info!(
            target: "emulator::request",
            request_id = %request_id,
            method = %method,
            uri = %uri,
            operation = ctx.trace.operation.as_deref().unwrap_or("-"),
            principal = ctx.trace.principal.as_deref().unwrap_or("-"),
            status,
            code = code.as_deref().unwrap_or("-"),
            decision = ctx.trace.decision.as_ref().map_or("-", |d| d.effect.as_str()),
            note = ctx.trace.note.as_deref().unwrap_or(""),
            "request"
        );
        let t = ctx.trace;
        let entry = LogEntry {
            seq: 0,
            request_id: CompactString::from(request_id),
            time: ctx.now,
            method,
            uri,
            service: t.service.unwrap_or(ServiceKind::S3),
            operation: t.operation,
            bucket: t.bucket,
            key: t.key,
            principal: t.principal,
            access_key_id: t.access_key_id,
            status,
            code,
            message,
            decision: t.decision,
            note: t.note,
            faults: t.faults,
            trail: Some(t.trail),
        };
        if self.config.cloudtrail_log {
            if let Some(record) = crate::cloudtrail::record(&entry) {
                tracing::info!(target: "emulator::cloudtrail", "{record}");
            }
        }
        self.log.push(entry);
    }

    /// The faults chosen for an operation, applied once for both services: delays
    /// are awaited here; an error or a reset before the body ends the request; a
    /// reset after the store is remembered in the trace.
    pub(crate) async fn apply_faults(
        &self,
        ctx: &mut Ctx,
        operation: &str,
        bucket: Option<&str>,
        key: Option<&str>,
        service: Service,
    ) -> Result<(), ApiError> {
        let fired: Vec<Fired> = self.faults.check(operation, bucket, key);
        for f in fired {
            ctx.trace.faults.push(format!("{}: {:?}", f.rule, f.action));
            match f.action {
                FaultAction::Delay { ms } => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
                FaultAction::Error {
                    code,
                    status,
                    message,
                } => {
                    let mut e = ApiError::new(code).note("injected fault");
                    if let Some(s) = status {
                        e = e.status(s);
                    }
                    if let Some(m) = message {
                        e = e.message(m);
                    }
                    return Err(e);
                }
                FaultAction::ResetBeforeBody => {
                    ctx.trace.reset_after = true;
                    return Err(match service {
                        Service::S3 => crate::api_error!(InternalError)
                            .note("injected connection reset before the body was read"),
                        Service::Sts => crate::api_error!(InternalFailure).note("injected connection reset"),
                    });
                }
                FaultAction::ResetAfterStore => ctx.trace.reset_after = true,
            }
        }
        Ok(())
    }
}

/// The one place an error becomes a response.
fn error_response(ctx: &Ctx, e: &ApiError, is_head: bool) -> Response<ResBody> {
    let service = ctx.ids.service();
    let row = e
        .code
        .row(service)
        .or_else(|| e.code.row(Service::S3))
        .or_else(|| e.code.row(Service::Sts));
    let status = e
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .or_else(|| row.map(|r| r.status_code()))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (body, content_type) = match &ctx.ids {
        WireIds::S3 { request_id, host_id } => (xml::s3_error(e, request_id, host_id), "application/xml"),
        WireIds::Sts { uuid } => (xml::sts_error(e, status.as_u16(), uuid), "text/xml"),
    };
    let mut builder = Response::builder().status(status);
    for (name, value) in &e.headers {
        builder = builder.header(*name, value.as_str());
    }
    // A HEAD response carries the status and headers only (S3 sends no body).
    let body = if is_head { empty() } else { full(body) };
    let mut response = builder.body(body).unwrap_or_else(|_| Response::new(empty()));
    if !is_head {
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

fn common_headers(ctx: &Ctx, response: &mut Response<ResBody>) {
    let headers = response.headers_mut();
    // The Date header carries the emulator's clock, so SDK clock-skew
    // correction (which reads it) follows the injected clock.
    if let Some(date) = date_header(ctx.now) {
        headers.insert(http::header::DATE, date);
    }
    let mut set = |name: HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    match &ctx.ids {
        WireIds::S3 { request_id, host_id } => {
            set(names::X_AMZ_REQUEST_ID, request_id);
            set(names::X_AMZ_ID_2, host_id);
            headers.insert(http::header::SERVER, HeaderValue::from_static("AmazonS3"));
        }
        WireIds::Sts { uuid } => set(names::X_AMZN_REQUESTID, uuid),
    }
}

/// The `Date` value for `now`. It names whole seconds, so each thread keeps the
/// last one it wrote and formats again only when the second changes: a request
/// then clones a shared value instead of formatting and allocating one. Keyed by
/// the second itself, so an injected clock moved back or forth gets its own date.
fn date_header(now: time::OffsetDateTime) -> Option<HeaderValue> {
    thread_local!(static LAST: std::cell::RefCell<Option<(i64, HeaderValue)>> = const { std::cell::RefCell::new(None) });
    let second = now.unix_timestamp();
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((at, value)) = last.as_ref() {
            if *at == second {
                return Some(value.clone());
            }
        }
        let value = HeaderValue::from_maybe_shared(Bytes::from(http_date(now))).ok()?;
        *last = Some((second, value.clone()));
        Some(value)
    })
}

fn host_of<B>(req: &Request<B>) -> String {
    req.headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default()
}

/// STS is recognised by the credential scope's service, an `sts.` host, or — for
/// unsigned requests — a form POST or `?Action=` to `/`.
fn is_sts<B>(req: &Request<B>, host: &route::HostInfo) -> bool {
    if host.sts {
        return true;
    }
    let signed_for_sts =
        |credential: &str| crate::util::split_ascii::<b'/'>(credential).nth(3) == Some("sts");
    if let Some(auth) = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        // `memmem` rather than `str::find(&str)`, whose two-way searcher is built
        // anew for every request.
        if let Some(start) = memchr::memmem::find(auth.as_bytes(), b"Credential=") {
            let cred = auth.get(start + 11..).unwrap_or("");
            let end = memchr::memchr2(b',', b' ', cred.as_bytes()).unwrap_or(cred.len());
            return signed_for_sts(cred.get(..end).unwrap_or(""));
        }
    }
    let query = req.uri().query().unwrap_or("");
    // A query that does not decode is not STS's to judge: S3 answers it (InvalidURI).
    let pairs = route::query_pairs(query).unwrap_or_default();
    if let Some(cred) = route::query_get(&pairs, "X-Amz-Credential") {
        return signed_for_sts(cred);
    }
    if req.uri().path() != "/" || host.bucket.is_some() {
        return false;
    }
    let form = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    (req.method() == http::Method::POST && form) || query.split('&').any(|p| p.starts_with("Action="))
}
