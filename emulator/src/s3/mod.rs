//! The S3 operations' handlers. Each gets an [`S3Request`]: routed, authenticated
//! and authorized by [`crate::pipeline`]; a handler validates its own headers and
//! body, talks to the store and builds the response, and never evaluates policy.

pub(crate) mod bucket;
pub mod checksum;
pub(crate) mod copy;
pub(crate) mod delete;
pub(crate) mod multipart;
pub(crate) mod put;
pub(crate) mod read;

use std::sync::Arc;

use bytes::Bytes;
use http_body::Body;

use crate::api_error;
use crate::authn::Caller;
use crate::emulator::Emulator;
use crate::error::ApiResult;
use crate::route::S3Target;
use crate::world::{Bucket, World};

/// Everything a handler needs about an authorized request.
#[derive(Debug)]
pub(crate) struct S3Request<'a> {
    pub emu: &'a Arc<Emulator>,
    pub world: &'a World,
    pub parts: &'a http::request::Parts,
    pub query: &'a [(String, String)],
    pub target: &'a S3Target,
    pub bucket: Option<&'a Bucket>,
    pub caller: &'a Caller,
}

impl S3Request<'_> {
    /// A request header as text.
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A small XML request body, read whole: MaxMessageLengthExceeded past `max`
/// bytes, RequestTimeout when it stalls, IncompleteBody when the connection ends.
pub(crate) async fn read_small_body<B>(emu: &Emulator, mut body: B, max: usize) -> ApiResult<Vec<u8>>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    use http_body_util::BodyExt as _;
    let mut buf = Vec::new();
    let idle = emu.config().body_idle_timeout;
    loop {
        match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(api_error!(RequestTimeout).note("request body stalled")),
            Ok(None) => return Ok(buf),
            Ok(Some(Err(e))) => return Err(api_error!(IncompleteBody).note(format!("request body: {e}"))),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > max {
                        return Err(api_error!(MaxMessageLengthExceeded)
                            .extra("MaxMessageLengthBytes", max.to_string()));
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
}
