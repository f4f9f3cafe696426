//! The request pipeline: route → authenticate → authorize → handle, and the one
//! exit where an [`ApiError`] becomes bytes on the wire.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use time::OffsetDateTime;

use crate::emulator::Emulator;
use crate::error::ApiError;
use crate::fault::{FaultAction, Fired};
use crate::iam::Decision;
use crate::log::LogEntry;
use crate::protocol::codes::{Code, Service};
use crate::protocol::xml;
use crate::route::{self, ServiceKind};

/// The response body type.
pub type ResBody = BoxBody<Bytes, std::io::Error>;

/// A request the server must answer by dropping the connection (an injected reset).
#[derive(Debug)]
pub struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ResetConnection {}

/// A body of bytes.
pub fn full(bytes: impl Into<Bytes>) -> ResBody {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// An empty body.
pub fn empty() -> ResBody {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// What the pipeline learned about a request, for the log.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    /// Operation.
    pub operation: Option<String>,
    /// Bucket.
    pub bucket: Option<String>,
    /// Key.
    pub key: Option<String>,
    /// Caller ARN.
    pub principal: Option<String>,
    /// Access key id.
    pub access_key_id: Option<String>,
    /// The decision, if one was taken.
    pub decision: Option<Arc<Decision>>,
    /// Notes.
    pub note: Option<String>,
    /// Faults.
    pub faults: Vec<String>,
    /// The service the request addressed.
    pub service: Option<ServiceKind>,
    /// Reset the connection after the handler ran (the response is lost).
    pub reset_after: bool,
}

/// Per-request context shared by every layer.
#[derive(Debug)]
pub struct Ctx {
    /// Request id sent back.
    pub request_id: String,
    /// S3 host id.
    pub host_id: String,
    /// STS-style request id (UUID).
    pub uuid: String,
    /// Emulator time when the request arrived.
    pub now: OffsetDateTime,
    /// The peer address of the socket.
    pub peer: SocketAddr,
    /// What the pipeline learned.
    pub trace: Trace,
}

/// HTTP date (RFC 7231) of an instant.
pub fn http_date(t: OffsetDateTime) -> String {
    const FMT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC).format(FMT).unwrap_or_default()
}

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
        let n = self.next_id();
        let mut ctx = Ctx {
            request_id: self.s3_request_id(n),
            host_id: self.host_id(n),
            uuid: self.uuid(n),
            now: self.clock.now(),
            peer,
            trace: Trace::default(),
        };
        let method = req.method().to_string();
        let uri = req.uri().to_string();
        let path = req.uri().path().to_string();
        let result = if path == "/_emulator" || path.starts_with("/_emulator/") {
            ctx.trace.service = Some(ServiceKind::Admin);
            let response = crate::admin::handle(self, req).await;
            // Admin calls are not logged: the log is what clients did.
            return Ok(response);
        } else {
            let host = host_of(&req);
            let host_info = route::parse_host(&host, &self.config.host_suffixes);
            if is_sts(&req, &host_info) {
                ctx.trace.service = Some(ServiceKind::Sts);
                crate::sts::handle(self, &mut ctx, req, &host_info).await
            } else {
                ctx.trace.service = Some(ServiceKind::S3);
                crate::s3::handle(self, &mut ctx, req, &host_info).await
            }
        };
        let service = ctx.trace.service.unwrap_or(ServiceKind::S3);
        let wire = if service == ServiceKind::Sts {
            Service::Sts
        } else {
            Service::S3
        };
        let is_head = method == "HEAD";
        let (mut response, code, message) = match result {
            Ok(r) => (r, None, None),
            Err(e) => {
                ctx.trace.decision = ctx.trace.decision.take().or_else(|| e.decision.clone());
                if ctx.trace.note.is_none() {
                    ctx.trace.note = e.log_note();
                }
                let svc = e.service.unwrap_or(wire);
                let message = e.wire_message(svc).into_owned();
                (
                    self.error_response(&ctx, &e, svc, is_head),
                    Some(e.code.as_str().to_string()),
                    Some(message),
                )
            }
        };
        self.common_headers(&ctx, wire, &mut response);
        let status = response.status().as_u16();
        tracing::info!(
            target: "emulator::request",
            request_id = %ctx.request_id,
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
        let reset = ctx.trace.reset_after;
        self.log.push(LogEntry {
            seq: 0,
            request_id: if wire == Service::Sts {
                ctx.uuid.clone()
            } else {
                ctx.request_id.clone()
            },
            time: ctx.now,
            method,
            uri,
            service,
            operation: ctx.trace.operation,
            bucket: ctx.trace.bucket,
            key: ctx.trace.key,
            principal: ctx.trace.principal,
            access_key_id: ctx.trace.access_key_id,
            status,
            code,
            message,
            decision: ctx.trace.decision,
            note: ctx.trace.note,
            faults: ctx.trace.faults,
        });
        if reset {
            return Err(ResetConnection);
        }
        Ok(response)
    }

    /// The one place an error becomes a response.
    fn error_response(&self, ctx: &Ctx, e: &ApiError, service: Service, is_head: bool) -> Response<ResBody> {
        let row = e
            .code
            .row(service)
            .or_else(|| e.code.row(Service::S3))
            .or_else(|| e.code.row(Service::Sts));
        let status = row.map_or(StatusCode::INTERNAL_SERVER_ERROR, |r| r.status_code());
        let (body, content_type) = match service {
            Service::S3 => (xml::s3_error(e, &ctx.request_id, &ctx.host_id), "application/xml"),
            Service::Sts => (xml::sts_error(e, status.as_u16(), &ctx.uuid), "text/xml"),
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

    fn common_headers(&self, ctx: &Ctx, service: Service, response: &mut Response<ResBody>) {
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(name, v);
            }
        };
        // The Date header carries the emulator's clock, so SDK clock-skew
        // correction (which reads it) follows the injected clock.
        set("date", &http_date(ctx.now));
        match service {
            Service::S3 => {
                set("x-amz-request-id", &ctx.request_id);
                set("x-amz-id-2", &ctx.host_id);
                set("server", "AmazonS3");
            }
            Service::Sts => set("x-amzn-requestid", &ctx.uuid),
        }
    }

    /// Apply the faults chosen for a request: delays are awaited here; an error or
    /// a reset before the body is returned; a reset after the store is remembered.
    pub(crate) async fn apply_faults(&self, ctx: &mut Ctx, fired: Vec<Fired>) -> Result<(), FaultOutcome> {
        for f in fired {
            ctx.trace.faults.push(format!("{}: {:?}", f.rule, f.action));
            match f.action {
                FaultAction::Delay { ms } => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
                FaultAction::Error {
                    code,
                    status: _,
                    message,
                } => {
                    let code = Code::ALL
                        .iter()
                        .copied()
                        .find(|c| c.as_str() == code)
                        .unwrap_or(Code::InternalError);
                    let mut e = ApiError::new(code).note("injected fault");
                    if let Some(m) = message {
                        e = e.message(m);
                    }
                    return Err(FaultOutcome::Error(e));
                }
                FaultAction::ResetBeforeBody => return Err(FaultOutcome::Reset),
                FaultAction::ResetAfterStore => ctx.trace.reset_after = true,
            }
        }
        Ok(())
    }
}

/// What an injected fault does to the pipeline.
#[derive(Debug)]
pub(crate) enum FaultOutcome {
    /// Answer with this error.
    Error(ApiError),
    /// Drop the connection now.
    Reset,
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
    let scope_service = |credential: &str| credential.split('/').nth(3).map(str::to_string);
    if let Some(auth) = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(start) = auth.find("Credential=") {
            let cred = auth
                .get(start + 11..)
                .unwrap_or("")
                .split([',', ' '])
                .next()
                .unwrap_or("");
            return scope_service(cred).as_deref() == Some("sts");
        }
    }
    let query = req.uri().query().unwrap_or("");
    // A query that does not decode is not STS's to judge: S3 answers it (InvalidURI).
    let pairs = route::query_pairs(query).unwrap_or_default();
    if let Some(cred) = route::query_get(&pairs, "X-Amz-Credential") {
        return scope_service(cred).as_deref() == Some("sts");
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date(datetime!(2026-11-27 18:06:30 UTC)),
            "Fri, 27 Nov 2026 18:06:30 GMT"
        );
    }
}
