//! The S3 operations' handlers. Each gets an [`S3Request`]: routed, authenticated
//! and authorized by [`crate::pipeline`]; a handler validates its own headers and
//! body, talks to the store and builds the response, and never evaluates policy.

pub mod checksum;
pub(crate) mod delete;
pub(crate) mod put;
pub(crate) mod read;

use std::sync::Arc;

use crate::authn::Caller;
use crate::emulator::Emulator;
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
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
