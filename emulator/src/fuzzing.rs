//! Entry points for the fuzz targets in `fuzz/`, for parsers the public API does not
//! reach on their own. Not a stable API: it changes whenever a target needs it to.
//!
//! Everything else the targets drive is public already: [`crate::sigv4::parse`] and the
//! checks on [`crate::sigv4::AuthV4`], [`crate::sigv4::AwsChunkedDecoder`],
//! [`crate::iam::Policy::parse`] and [`crate::World::from_toml`].

use crate::error::ApiError;

/// The STS handler's checks of a request's parameters, before any signature or world
/// lookup: the query (presigned `X-Amz-*` parameters left out) and, when `post`, the
/// form body are decoded into parameters; then the API version; then, for
/// `Action=AssumeRole`, every parameter's constraints (lengths, character sets,
/// `DurationSeconds`, the inline session `Policy`, `PolicyArns.member.N.arn` and
/// `Tags.member.N.Key`/`Value` counts, `TransitiveTagKeys.member.N`).
pub fn sts_params(raw_query: &str, post: bool, body: &[u8]) -> Result<(), ApiError> {
    crate::sts::check_params(raw_query, post, body)
}
