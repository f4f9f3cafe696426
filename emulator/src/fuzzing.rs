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
/// `Tags.member.N.Key`/`Value` counts, `TransitiveTagKeys.member.N`), and for
/// `Action=AssumeRoleWithWebIdentity` those it shares plus `WebIdentityToken`'s length.
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

/// The identity providers the web identity entry points verify against: Google (built
/// in) and a provider registered in account 222222222222 with an RS256 and an ES256 key.
fn oidc_fixture() -> &'static (crate::world::World, crate::oidc::Keyring) {
    static FIXTURE: std::sync::OnceLock<(crate::world::World, crate::oidc::Keyring)> =
        std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let world = crate::world::World::from_toml(
            "fuzz",
            "[[accounts]]\nid = \"222222222222\"\nname = \"c\"\n\
             [[oidc_providers]]\nurl = \"https://accounts.google.com\"\n\
             [[oidc_providers]]\nurl = \"https://token.actions.githubusercontent.com\"\naccount = \"c\"\n\
             client_ids = [\"sts.amazonaws.com\"]\nkeys = [{ kid = \"r\" }, { kid = \"e\", alg = \"ES256\" }]\n",
        )
        .unwrap_or_default();
        (world, crate::oidc::Keyring::default())
    })
}

/// The fixed instant the web identity entry points verify at.
const FUZZ_NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// STS's verification of `token` for a role in account 222222222222 ([`crate::oidc`]),
/// against [`oidc_fixture`]'s providers, at 2026-01-01T00:00:00Z. Without the
/// providers' private keys no input can verify.
pub fn web_identity_token(token: &str) -> Result<(), ApiError> {
    let (world, keyring) = oidc_fixture();
    let now = time::OffsetDateTime::from_unix_timestamp(FUZZ_NOW).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    crate::oidc::verify(keyring, world, token, "222222222222", now).map(|_| ())
}

/// `claims` (a JSON object) signed by the registered provider's key `kid` (`r` or `e`),
/// then verified as [`web_identity_token`] does: what STS makes of claims of any shape
/// once the signature holds. `None` when `claims` is not a JSON object.
pub fn web_identity_claims(claims: &[u8], kid: &str) -> Option<Result<(), ApiError>> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(claims).ok()?;
    let (world, keyring) = oidc_fixture();
    let provider = world.oidc_providers.iter().find(|p| p.account.is_some())?;
    let now = time::OffsetDateTime::from_unix_timestamp(FUZZ_NOW).ok()?;
    let token = keyring.mint(provider, Some(kid), map, now).ok()?;
    Some(web_identity_token(&token))
}
