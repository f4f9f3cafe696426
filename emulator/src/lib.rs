//! A local S3 + STS + IAM emulator that authenticates and authorizes requests the
//! way AWS does, and says why it decided what it decided.
//!
//! # Layout
//!
//! A request goes through [`pipeline`] top to bottom (its module docs draw it):
//! route → authenticate → authorize → the operation's handler → the one exit.
//!
//! - [`server`]: the accept loop on a caller-bound listener; `tls` (feature
//!   `tls`): HTTPS beside HTTP on the same port, with a CA generated at start.
//! - [`pipeline`]: `Emulator::handle`, the S3 and STS flows, faults, the exit
//!   where an [`ApiError`] becomes bytes and the log entry is written.
//! - [`request`]: the per-request context and response bodies every layer shares.
//! - [`route`]: which service and operation a request addresses, and the IAM
//!   actions each operation requires.
//! - [`sigv4`]: Signature Version 4 (and SigV2 query) verification, aws-chunked decoding.
//! - [`authn`]: from a signed request to a typed [`authn::Caller`].
//! - [`authz`]: the policy decision for a request, per service (never in handlers).
//! - [`iam`]: the policy language, the statement matcher, the combiner, decisions.
//! - `s3`, `sts`: the operations' handlers.
//! - [`store`]: where objects live; bodies are committed only after every check.
//! - [`uploads`]: multipart uploads in progress and their parts.
//! - [`admin`]: the `/_emulator/` API and its guard.
//! - [`explain`]: `emulator explain`, a decision without a request.
//! - [`direct`]: the decisions the server takes after authentication, called without the wire.
//! - [`world`]: accounts, users, roles, policies, credentials, buckets; the world file.
//!   [`propagation`]: world changes that requests see only after a delay (IAM's
//!   eventual consistency).
//! - [`emulator`]: the state one instance holds; [`config`]: wire settings; [`clock`].
//! - [`protocol`]: protocol facts as tables (error codes) and the XML the emulator speaks.
//! - [`error`]: [`ApiError`], the one wire error type, and [`api_error!`].
//! - [`fault`]: injected failures; [`log`]: recent requests with their decisions;
//!   [`cloudtrail`]: the CloudTrail record of each.
//! - [`util`]: time formats, durations, id mixing.
//! - `fuzzing`: entry points for the fuzz targets in `fuzz/` (hidden, not a stable API).

pub mod admin;
pub mod authn;
pub mod authz;
pub mod clock;
pub mod cloudtrail;
pub mod config;
pub mod direct;
pub mod emulator;
pub mod error;
pub mod explain;
pub mod fault;
#[doc(hidden)]
pub mod fuzzing;
pub mod iam;
pub mod log;
pub mod oidc;
pub mod pipeline;
pub mod propagation;
pub mod protocol;
pub mod request;
pub mod route;
mod s3;
pub mod server;
mod sessions;
pub mod sigv4;
pub mod store;
mod sts;
#[cfg(feature = "tls")]
pub mod tls;
pub mod uploads;
pub mod util;
pub mod world;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AdminAccess, Config};
pub use emulator::Emulator;
pub use error::{ApiError, ApiResult};
pub use server::{serve, spawn, spawn_on, Running};
#[cfg(feature = "tls")]
pub use server::{serve_tls, spawn_tls, spawn_tls_on};
pub use world::World;
