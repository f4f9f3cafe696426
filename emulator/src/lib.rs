//! A local S3 + STS + IAM emulator that authenticates and authorizes requests the
//! way AWS does, and says why it decided what it decided.
//!
//! # Layout
//!
//! - [`clock`]: the injectable clock every time read goes through.
//! - [`config`]: wire settings that are not part of the world (host suffixes, limits).
//! - [`world`]: accounts, users, roles, policies, credentials, buckets; the world file.
//! - [`protocol`]: protocol facts as tables (error codes) and the XML the emulator speaks.
//! - [`error`]: [`ApiError`], the one wire error type, and [`api_error!`].
//! - [`route`]: which service and operation a request addresses.
//! - [`sigv4`]: Signature Version 4 (and SigV2 query) verification, aws-chunked decoding.
//! - [`authn`]: from a signed request to a typed [`authn::Caller`].
//! - [`authz`]: the policy decision for a request (never in handlers), and `explain`.
//! - [`direct`]: the decisions the server takes after authentication, called without the wire.
//! - [`iam`]: the policy language, the statement matcher, the combiner, decisions.
//! - `s3`, `sts`: the operations' handlers.
//! - [`store`]: where objects live; bodies are committed only after every check.
//! - [`fault`]: injected failures (503, 500, delays, connection resets).
//! - [`log`]: recent requests with their outcome and decision.
//! - `admin`: the `/_emulator/` API.
//! - [`service`]: the pipeline and the one exit where errors become bytes.
//! - [`server`]: the accept loop on a caller-bound listener.
//! - [`emulator`]: the state one instance holds.
//! - `fuzzing`: entry points for the fuzz targets in `fuzz/` (hidden, not a stable API).

pub mod admin;
pub mod authn;
pub mod authz;
pub mod clock;
pub mod config;
pub mod direct;
pub mod emulator;
pub mod error;
pub mod fault;
#[doc(hidden)]
pub mod fuzzing;
pub mod iam;
pub mod log;
pub mod protocol;
pub mod route;
mod s3;
pub mod server;
pub mod service;
pub mod sigv4;
pub mod store;
mod sts;
pub mod world;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AdminAccess, Config};
pub use emulator::Emulator;
pub use error::{ApiError, ApiResult};
pub use server::{serve, spawn, spawn_on, Running};
pub use world::World;

/// The parts joined with one allocation: ARNs and ids are built on every
/// request, where `format!` costs several times more.
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}
