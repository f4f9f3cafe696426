//! What every layer of the pipeline shares about the request in hand: its
//! [`Ctx`] (ids, time, peer, and the [`Trace`] the log is written from) and the
//! response body type with its two constructors. Handlers import this module,
//! never the dispatcher ([`crate::pipeline`]).

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use time::OffsetDateTime;

use crate::iam::Decision;
use crate::protocol::codes::Service;
use crate::route::ServiceKind;
use crate::util::StackText;

/// The response body type.
pub type ResBody = BoxBody<Bytes, std::io::Error>;

/// A body of bytes.
pub fn full(bytes: impl Into<Bytes>) -> ResBody {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// An empty body.
pub fn empty() -> ResBody {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// A request the server must answer by dropping the connection (an injected reset).
#[derive(Debug)]
pub struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ResetConnection {}

/// What the pipeline learned about a request, for the log.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    /// Operation.
    pub operation: Option<compact_str::CompactString>,
    /// Bucket.
    pub bucket: Option<compact_str::CompactString>,
    /// Key.
    pub key: Option<String>,
    /// Caller ARN.
    pub principal: Option<String>,
    /// Access key id.
    pub access_key_id: Option<compact_str::CompactString>,
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
    /// What the CloudTrail record needs. Boxed: its 552 bytes would otherwise sit
    /// in every request's future (moved whole by hyper) and in each of the log's
    /// entries, where it ends up.
    pub trail: Box<crate::cloudtrail::TrailFacts>,
}

/// The ids a request's answer carries, by the service that answers it. Each
/// service's answer can only render its own: an S3 client never sees a UUID, an
/// STS client never an S3 host id, and neither is computed for the other.
#[derive(Debug, Clone, Copy)]
pub enum WireIds {
    /// `x-amz-request-id` and `x-amz-id-2` (the host id), in headers and in
    /// an error's `<RequestId>` and `<HostId>`.
    S3 {
        /// The request id.
        request_id: StackText<16>,
        /// The host id.
        host_id: StackText<64>,
    },
    /// `x-amzn-RequestId` and `<RequestId>`: a UUID.
    Sts {
        /// The request id.
        uuid: StackText<36>,
    },
}

impl WireIds {
    /// The request id the client got.
    pub fn request_id(&self) -> &str {
        match self {
            Self::S3 { request_id, .. } => request_id,
            Self::Sts { uuid } => uuid,
        }
    }

    /// The service whose answer carries these ids.
    pub fn service(&self) -> Service {
        match self {
            Self::S3 { .. } => Service::S3,
            Self::Sts { .. } => Service::Sts,
        }
    }
}

impl Default for WireIds {
    /// Empty S3 ids, for a context whose answer is never rendered
    /// (`emulator explain`, the direct API).
    fn default() -> Self {
        Self::S3 {
            request_id: StackText::default(),
            host_id: StackText::default(),
        }
    }
}

/// Per-request context shared by every layer.
#[derive(Debug)]
pub struct Ctx {
    /// The ids the answer carries.
    pub ids: WireIds,
    /// Emulator time when the request arrived.
    pub now: OffsetDateTime,
    /// The peer address of the socket.
    pub peer: SocketAddr,
    /// Whether the connection is TLS, when the server serves TLS (else the world
    /// file's `secure_transport` stands for it).
    pub secure: Option<bool>,
    /// What the pipeline learned.
    pub trace: Trace,
}
