//! A local S3 + STS + IAM emulator that authenticates and authorizes requests the
//! way AWS does, and says why it decided what it decided.
//!
//! # Layout
//!
//! - [`clock`]: the injectable clock every time read goes through.
//! - [`protocol`]: protocol facts as tables (error codes) and the XML the emulator speaks.
//! - [`error`]: [`ApiError`], the one wire error type, and [`api_error!`].
//! - [`sigv4`]: Signature Version 4 parsing and verification, aws-chunked decoding.
//! - [`iam`]: the policy language, the statement matcher, the combiner, decisions.

pub mod clock;
pub mod error;
pub mod iam;
pub mod protocol;
pub mod sigv4;

pub use error::{ApiError, ApiResult};
