//! Onboarding and append-only sync into a customer-owned S3 bucket, on the AWS SDK for Rust.
//!
//! # Layout
//!
//! - [`config`]: [`DestinationConfig`] (what the customer types) and [`ServiceSettings`] (what
//!   the service brings: base credentials, session name, endpoint override, injectable clock).
//! - [`validate`]: client-side checks of every field before any AWS call.
//! - [`diagnosis`]: one [`Diagnosis`] variant per customer misconfiguration, the classifier from
//!   AWS status/code/message to a variant, and each variant's remediation.
//! - [`keys`]: the object key scheme (sync batches and connection-test objects).
//! - [`format`](mod@format): JSON Lines / CSV encoding and gzip.
//! - `credentials`: the `sts:AssumeRole` request and the SDK's refreshing role provider.
//! - [`client`]: SDK config and S3 client for a destination ([`Destination`]); nothing else.
//! - [`onboarding`]: [`onboard`]: validate → assume role → put test object → delete it.
//! - [`sync`]: [`AppendWriter`]: append-only batch writes with conditional PUTs.
//! - `multipart`: batches over the multipart threshold, exactly once, as multipart uploads.

#![deny(missing_docs)]

pub mod client;
pub mod config;
mod credentials;
pub mod diagnosis;
pub mod format;
pub mod keys;
mod multipart;
pub mod onboarding;
pub mod protect;
pub mod sync;
pub mod validate;

pub use client::Destination;
pub use config::{Auth, DestinationConfig, ServiceSettings};
pub use diagnosis::Diagnosis;
pub use onboarding::{onboard, OnboardingReport};
pub use sync::{AppendWriter, BatchReport, SyncError};
