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

/// What each XML-reading operation understood of one body.
#[derive(Debug)]
pub struct XmlBodies {
    /// CompleteMultipartUpload: how many parts it lists.
    pub parts: Result<usize, ApiError>,
    /// DeleteObjects: how many keys it names.
    pub keys: Result<usize, ApiError>,
    /// CreateBucketConfiguration: the region it names.
    pub region: Result<Option<String>, ApiError>,
}

/// The XML request bodies the emulator reads, each as its operation reads it:
/// CompleteMultipartUpload's part list, DeleteObjects' keys, and
/// CreateBucketConfiguration's region.
pub fn xml_bodies(body: &[u8]) -> XmlBodies {
    XmlBodies {
        parts: crate::s3::multipart::fuzz_listed_parts(body),
        keys: crate::s3::delete::fuzz_named(body),
        region: crate::s3::bucket::fuzz_location(body),
    }
}

/// The generic reader behind them: `None` for anything but one well-formed element.
pub fn xml_tree(body: &[u8]) -> Option<crate::protocol::xml::Element> {
    crate::protocol::xml::parse(body)
}
