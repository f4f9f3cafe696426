//! The canonical request, the credential scope and the string to sign: each one
//! `impl Display` as the exact text the spec defines, so a test can compare it with a
//! vector file and an error can quote it.
//!
//! ```text
//! CanonicalRequest = HTTPMethod \n CanonicalURI \n CanonicalQueryString \n
//!                    CanonicalHeaders \n SignedHeaders \n HashedPayload
//! StringToSign     = AWS4-HMAC-SHA256 \n <yyyymmddThhmmssZ> \n <scope> \n hex(sha256(CanonicalRequest))
//! ```
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>)

use std::borrow::Cow;
use std::fmt;

use compact_str::CompactString;

use percent_encoding::{percent_decode_str, percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::error::SigError;
use super::key::EMPTY_SHA256;

/// UriEncode: every byte but the unreserved `A-Z a-z 0-9 - . _ ~` becomes `%XY`, uppercase hex.
const URI_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// UriEncode for a path: as [`URI_ENCODE`], but `/` stays.
const URI_ENCODE_PATH: &AsciiSet = &URI_ENCODE.remove(b'/');

/// How the canonical URI is derived from the path as it arrived on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UriRules {
    /// Amazon S3: `UriEncode(percent-decode(path))` with `/` kept, no dot-segment removal,
    /// no collapsing of `//`, a single encoding pass. "Each path segment must be
    /// URI-encoded twice (except for Amazon S3 which only gets URI-encoded once)" [IAM-SIGN];
    /// botocore's `S3SigV4Auth._normalize_url_path` returns the path unchanged, and S3's
    /// endpoint rules set `disableDoubleEncoding`. Decoding first makes the doc example's
    /// `test$file.text` sign as `/test%24file.text`; for SDK traffic (already RFC 3986
    /// encoded) the decode/encode round trip is the identity.
    S3,
    /// Every other service (STS): RFC 3986 remove-dot-segments, collapse `//`, then
    /// `UriEncode` the still-encoded wire path, so `%3A` signs as `%253A` ("encoded
    /// twice": once by the client's serializer, once by its signer).
    Normalized,
}

/// Append the UriEncode of `bytes` to `out`, keeping `/` when `keep_slash`.
fn uri_encode_into(bytes: &[u8], keep_slash: bool, out: &mut String) {
    let set = if keep_slash { URI_ENCODE_PATH } else { URI_ENCODE };
    out.extend(percent_encode(bytes, set));
}

/// `UriEncode(bytes)`, `/` encoded as `%2F`.
pub fn uri_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    uri_encode_into(bytes, false, &mut out);
    out
}

/// Percent-decode leniently: a `%` not followed by two hex digits stays as it is.
pub(crate) fn percent_decode(s: &str) -> Vec<u8> {
    percent_decode_str(s).collect()
}

/// The canonical URI for `raw_path` (as on the wire, still percent-encoded).
pub fn canonical_uri(raw_path: &str, rules: UriRules) -> String {
    canonical_uri_of(raw_path, rules).into_owned()
}

/// [`canonical_uri`], borrowed when it is the wire path itself: an S3 path of
/// unreserved characters and `/` only (decoding and encoding it is the identity), or
/// the root (which normalising leaves alone). Every SDK request's path is one.
fn canonical_uri_of(raw_path: &str, rules: UriRules) -> Cow<'_, str> {
    let unchanged = match rules {
        UriRules::S3 => {
            !raw_path.is_empty()
                && raw_path
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/'))
        }
        UriRules::Normalized => raw_path == "/",
    };
    if unchanged {
        return Cow::Borrowed(raw_path);
    }
    Cow::Owned(canonical_uri_owned(raw_path, rules))
}

fn canonical_uri_owned(raw_path: &str, rules: UriRules) -> String {
    let mut out = String::with_capacity(raw_path.len() + 8);
    match rules {
        UriRules::S3 => uri_encode_into(&percent_decode(raw_path), true, &mut out),
        UriRules::Normalized => uri_encode_into(remove_dot_segments(raw_path).as_bytes(), true, &mut out),
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// RFC 3986 §5.2.4 remove-dot-segments plus collapsing of empty segments (`//`), the
/// normalisation every SigV4 service but S3 applies (CRT suite `get-slashes-normalized`:
/// `//example//` → `/example/`; `get-relative-relative-normalized`: `/example1/example2/../..` → `/`).
fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in crate::util::split_ascii::<b'/'>(path) {
        trailing_slash = false;
        match segment {
            "" => trailing_slash = true,
            "." => trailing_slash = true,
            ".." => {
                segments.pop();
                trailing_slash = true;
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if trailing_slash || segments.is_empty() {
        out.push('/');
    }
    out
}

/// The canonical query string: split on `&`, each parameter on its first `=` (no `=`
/// means an empty value, S3 `?lifecycle` → `lifecycle=`), percent-decode then UriEncode
/// name and value, sort by name then value (bytes), join with `&`. `skip` drops a
/// parameter by (decoded) name: `X-Amz-Signature` for presigned requests.
///
/// A literal `+` is kept as `+` (encoded `%2B`), not read as a space: SDKs never send an
/// unencoded `+`, and AWS's handling of one is undocumented.
pub fn canonical_query(raw_query: &str, skip: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for param in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        let name = percent_decode(name);
        if skip.is_some_and(|s| s.as_bytes() == name.as_slice()) {
            continue;
        }
        pairs.push((uri_encode(&name), uri_encode(&percent_decode(value))));
    }
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Trimall on one header value: strip leading and trailing spaces and collapse each run of
/// spaces to one, inside quotes too (`"a   b   c"` → `"a b c"`, CRT `get-header-value-trim`).
/// Only the space character counts: S3 "ONLY trims spaces" (smithy-rs `trim_all`) and the
/// IAM guide speaks of "sequential spaces"; botocore collapses tabs too (an open question,
/// shared/reference/sigv4.md §9.2).
fn trim_all_into(value: &[u8], out: &mut Vec<u8>) {
    let mut pending_space = false;
    let start = out.len();
    for &b in value {
        if b == b' ' {
            pending_space = out.len() > start;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(b);
        }
    }
}

/// `name` in lowercase, borrowed when it already is (SignedHeaders lists are lowercase
/// in every client's requests: no allocation per header on the hot path).
pub(crate) fn lowercase(name: &str) -> std::borrow::Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// The canonical value of the header `name` (lowercase): every received value, trimmed,
/// joined with `,` in received order (CRT `get-header-value-order`: `value4,value1,value3,value2`).
/// `None` when the request does not carry the header.
pub(crate) fn canonical_header_value<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<Cow<'h, [u8]>> {
    // A scan comparing names rather than `get_all(&str)`, which validates, lowercases
    // and hashes the name on every call: a request has a dozen headers, and this runs
    // once per signed header. `iter` yields a name's values in received order, as
    // `get_all` does.
    let named = || headers.iter().filter(|(n, _)| n.as_str() == name).map(|(_, v)| v);
    let mut values = named();
    let first = values.next()?;
    if values.next().is_none() && trim_all_is_identity(first.as_bytes()) {
        return Some(Cow::Borrowed(first.as_bytes()));
    }
    let mut out = Vec::new();
    for (i, value) in named().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        trim_all_into(value.as_bytes(), &mut out);
    }
    Some(Cow::Owned(out))
}

/// Whether trimall leaves `value` as it is: no space at either end, no run of two.
fn trim_all_is_identity(value: &[u8]) -> bool {
    value.first() != Some(&b' ') && value.last() != Some(&b' ') && !value.windows(2).any(|w| w == b"  ")
}

/// Lowercase hex of each byte, separated by spaces: S3's `StringToSignBytes` and
/// `CanonicalRequestBytes` (`41 57 53 34 …`).
pub fn hex_spaced(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&hex::encode([*b]));
    }
    out
}

/// A SigV4 canonical request. `Display` is the exact text that is hashed (header values
/// that are not UTF-8 are shown lossily; [`CanonicalRequest::to_bytes`] is exact).
///
/// Each part borrows from the request where it is the request's own text (the method,
/// an SDK's path, an empty query, a header value with nothing to trim, lowercase
/// names): building one used to cost about eighteen allocations a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest<'a> {
    /// The HTTP method, as sent.
    pub method: &'a str,
    /// The canonical URI.
    pub uri: Cow<'a, str>,
    /// The canonical query string.
    pub query: Cow<'a, str>,
    /// `(lowercase name, canonical value)` for each signed header, in `SignedHeaders` order.
    pub headers: Vec<(Cow<'a, str>, Cow<'a, [u8]>)>,
    /// The `SignedHeaders` list, `;`-joined, as the client sent it.
    pub signed_headers: &'a str,
    /// HashedPayload: hex SHA-256 of the body or the literal `x-amz-content-sha256` value.
    pub payload_hash: &'a str,
}

/// The parts of a request a canonical request is built from.
#[derive(Debug, Clone, Copy)]
pub struct CanonicalInput<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path as on the wire.
    pub raw_path: &'a str,
    /// The query as on the wire, without `?`.
    pub raw_query: &'a str,
    /// The request headers.
    pub headers: &'a http::HeaderMap,
    /// The `SignedHeaders` list as sent, `;`-separated.
    pub signed_headers: &'a str,
    /// HashedPayload.
    pub payload_hash: &'a str,
    /// How the canonical URI is derived.
    pub rules: UriRules,
    /// A query parameter left out of the canonical query (`X-Amz-Signature`).
    pub skip_param: Option<&'a str>,
}

impl<'a> CanonicalRequest<'a> {
    /// Build the canonical request. Fails with [`SigError::SignedHeaderMissing`] when a
    /// header named in `SignedHeaders` is not in the request.
    pub fn build(input: &CanonicalInput<'a>) -> Result<Self, SigError> {
        let mut headers = Vec::with_capacity(input.signed_headers.bytes().filter(|b| *b == b';').count() + 1);
        for name in crate::util::split_ascii::<b';'>(input.signed_headers) {
            let lower = lowercase(name);
            let value = canonical_header_value(input.headers, &lower).ok_or_else(|| {
                SigError::SignedHeaderMissing {
                    name: lower.clone().into_owned(),
                }
            })?;
            headers.push((lower, value));
        }
        Ok(Self {
            method: input.method,
            uri: canonical_uri_of(input.raw_path, input.rules),
            query: if input.raw_query.is_empty() {
                Cow::Borrowed("")
            } else {
                Cow::Owned(canonical_query(input.raw_query, input.skip_param))
            },
            headers,
            signed_headers: input.signed_headers,
            payload_hash: input.payload_hash,
        })
    }

    /// The exact bytes that are hashed.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes_with(|_, v| v)
    }

    fn bytes_with<'s>(&'s self, value: impl Fn(&str, &'s [u8]) -> &'s [u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_with(value, |part| out.extend_from_slice(part));
        out
    }

    /// The canonical request's bytes, piece by piece, into `sink`: hashed as they come
    /// rather than first copied into one buffer.
    fn write_with<'s>(&'s self, value: impl Fn(&str, &'s [u8]) -> &'s [u8], mut sink: impl FnMut(&[u8])) {
        // <HTTPMethod>\n<CanonicalURI>\n<CanonicalQueryString>\n
        for line in [self.method, &self.uri, &self.query] {
            sink(line.as_bytes());
            sink(b"\n");
        }
        // <CanonicalHeaders>\n — each header line ends in \n, so an empty line follows
        for (name, v) in &self.headers {
            sink(name.as_bytes());
            sink(b":");
            sink(value(name, v));
            sink(b"\n");
        }
        sink(b"\n");
        // <SignedHeaders>\n<HashedPayload>, no trailing newline
        sink(self.signed_headers.as_bytes());
        sink(b"\n");
        sink(self.payload_hash.as_bytes());
    }

    /// Lowercase hex SHA-256 of the canonical request (line 4 of the string to sign).
    pub fn sha256_hex(&self) -> String {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        self.write_with(|_, v| v, |part| hasher.update(part));
        super::key::hex_lower(&hasher.finalize())
    }

    /// The canonical request with session tokens masked, for logs.
    pub fn redacted(&self) -> String {
        const MASK: &[u8] = b"<redacted>";
        let mut copy = self.clone();
        copy.query = Cow::Owned(redact_query(&self.query));
        let bytes = copy.bytes_with(|name, v| if name == "x-amz-security-token" { MASK } else { v });
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((n, _)) if n.eq_ignore_ascii_case("X-Amz-Security-Token") => format!("{n}=<redacted>"),
            _ => p.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl fmt::Display for CanonicalRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// `<yyyymmdd>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CredentialScope {
    /// `yyyymmdd`.
    pub date: CompactString,
    /// The region the client signed for.
    pub region: CompactString,
    /// The signing name (`s3`, `sts`).
    pub service: CompactString,
}

impl CredentialScope {
    /// A scope from its parts.
    pub fn new(
        date: impl Into<CompactString>,
        region: impl Into<CompactString>,
        service: impl Into<CompactString>,
    ) -> Self {
        Self {
            date: date.into(),
            region: region.into(),
            service: service.into(),
        }
    }
}

impl fmt::Display for CredentialScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}/aws4_request", self.date, self.region, self.service)
    }
}

/// A string to sign: the seed (request) form, or the chunk and trailer forms of
/// aws-chunked uploads. `Display` is the exact signed text.
///
/// ```text
/// AWS4-HMAC-SHA256         \n <ts> \n <scope> \n hex(sha256(canonical request))
/// AWS4-HMAC-SHA256-PAYLOAD \n <ts> \n <scope> \n <previous sig> \n hex(sha256("")) \n hex(sha256(chunk))
/// AWS4-HMAC-SHA256-TRAILER \n <ts> \n <scope> \n <previous sig> \n hex(sha256(canonical trailers))
/// ```
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringToSign {
    /// `AWS4-HMAC-SHA256`, `AWS4-HMAC-SHA256-PAYLOAD` or `AWS4-HMAC-SHA256-TRAILER`.
    pub algorithm: &'static str,
    /// The request timestamp, `yyyymmddThhmmssZ`.
    pub amz_date: String,
    /// The credential scope.
    pub scope: CredentialScope,
    /// The remaining lines.
    pub lines: Vec<String>,
}

impl StringToSign {
    /// The string to sign of a request.
    pub fn request(amz_date: &str, scope: &CredentialScope, canonical: &CanonicalRequest<'_>) -> Self {
        Self {
            algorithm: "AWS4-HMAC-SHA256",
            amz_date: amz_date.to_owned(),
            scope: scope.clone(),
            lines: vec![canonical.sha256_hex()],
        }
    }

    /// The string to sign of one aws-chunked chunk.
    pub fn chunk(amz_date: &str, scope: &CredentialScope, previous: &str, chunk_sha256_hex: &str) -> Self {
        Self {
            algorithm: "AWS4-HMAC-SHA256-PAYLOAD",
            amz_date: amz_date.to_owned(),
            scope: scope.clone(),
            lines: vec![
                previous.to_owned(),
                EMPTY_SHA256.to_owned(),
                chunk_sha256_hex.to_owned(),
            ],
        }
    }

    /// The string to sign of the trailer section.
    pub fn trailer(
        amz_date: &str,
        scope: &CredentialScope,
        previous: &str,
        trailers_sha256_hex: &str,
    ) -> Self {
        Self {
            algorithm: "AWS4-HMAC-SHA256-TRAILER",
            amz_date: amz_date.to_owned(),
            scope: scope.clone(),
            lines: vec![previous.to_owned(), trailers_sha256_hex.to_owned()],
        }
    }
}

impl StringToSign {
    /// The exact signed text, built in one allocation (the verifier's hot path: the
    /// `Display` machinery cost a measurable share of a 1 KiB PUT's verification).
    pub fn render(&self) -> String {
        render(
            self.algorithm,
            &self.amz_date,
            &self.scope,
            self.lines.iter().map(String::as_str),
        )
    }

    /// [`StringToSign::chunk`]'s text without building the value (once per chunk).
    pub fn chunk_text(
        amz_date: &str,
        scope: &CredentialScope,
        previous: &str,
        chunk_sha256_hex: &str,
    ) -> String {
        let mut out = String::new();
        Self::chunk_text_into(&mut out, amz_date, scope, previous, chunk_sha256_hex);
        out
    }

    /// [`StringToSign::chunk_text`] into `out` (cleared first): a decoder reuses one
    /// buffer for every chunk of a body.
    pub fn chunk_text_into(
        out: &mut String,
        amz_date: &str,
        scope: &CredentialScope,
        previous: &str,
        chunk_sha256_hex: &str,
    ) {
        out.clear();
        render_into(
            out,
            "AWS4-HMAC-SHA256-PAYLOAD",
            amz_date,
            scope,
            [previous, EMPTY_SHA256, chunk_sha256_hex].into_iter(),
        );
    }

    /// [`StringToSign::trailer`]'s text without building the value.
    pub fn trailer_text(
        amz_date: &str,
        scope: &CredentialScope,
        previous: &str,
        trailers_sha256_hex: &str,
    ) -> String {
        render(
            "AWS4-HMAC-SHA256-TRAILER",
            amz_date,
            scope,
            [previous, trailers_sha256_hex].into_iter(),
        )
    }

    /// [`StringToSign::request`]'s text without building the value: the seed string
    /// to sign for a canonical request whose hex SHA-256 is `canonical_sha256_hex`.
    pub fn request_text(amz_date: &str, scope: &CredentialScope, canonical_sha256_hex: &str) -> String {
        render(
            "AWS4-HMAC-SHA256",
            amz_date,
            scope,
            std::iter::once(canonical_sha256_hex),
        )
    }
}

/// `algorithm \n amz_date \n date/region/service/aws4_request [\n line]*`.
fn render<'l>(
    algorithm: &str,
    amz_date: &str,
    scope: &CredentialScope,
    lines: impl Iterator<Item = &'l str> + Clone,
) -> String {
    let mut out = String::new();
    render_into(&mut out, algorithm, amz_date, scope, lines);
    out
}

/// [`render`], appended to `out`.
fn render_into<'l>(
    out: &mut String,
    algorithm: &str,
    amz_date: &str,
    scope: &CredentialScope,
    lines: impl Iterator<Item = &'l str> + Clone,
) {
    const TERMINATOR: &str = "/aws4_request";
    let len = algorithm.len()
        + amz_date.len()
        + scope.date.len()
        + scope.region.len()
        + scope.service.len()
        + TERMINATOR.len()
        + 4
        + lines.clone().map(|l| l.len() + 1).sum::<usize>();
    out.reserve(len);
    for part in [
        algorithm,
        "\n",
        amz_date,
        "\n",
        &scope.date,
        "/",
        &scope.region,
        "/",
        &scope.service,
        TERMINATOR,
    ] {
        out.push_str(part);
    }
    for line in lines {
        out.push('\n');
        out.push_str(line);
    }
}

impl fmt::Display for StringToSign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

#[cfg(test)]
mod tests {

    /// The one-allocation renderer writes exactly the documented layout.
    #[test]
    fn strings_to_sign_render_the_documented_layout() {
        let scope = CredentialScope::new("20130524", "us-east-1", "s3");
        let hash = "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972";
        let expected =
            format!("AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n{hash}");
        assert_eq!(
            StringToSign::request_text("20130524T000000Z", &scope, hash),
            expected
        );
        let chunk = StringToSign::chunk("20130524T000000Z", &scope, "prev", "body");
        assert_eq!(
            chunk.render(),
            format!("AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\nprev\n{EMPTY_SHA256}\nbody")
        );
        assert_eq!(chunk.to_string(), chunk.render());
        assert_eq!(
            StringToSign::chunk_text("20130524T000000Z", &scope, "prev", "body"),
            chunk.render()
        );
        let trailer = StringToSign::trailer("20130524T000000Z", &scope, "prev", "t");
        assert_eq!(
            StringToSign::trailer_text("20130524T000000Z", &scope, "prev", "t"),
            trailer.render()
        );
    }

    use super::*;

    #[test]
    fn s3_uri_is_decoded_then_encoded_once_without_normalisation() {
        assert_eq!(
            canonical_uri("/test$file.text", UriRules::S3),
            "/test%24file.text"
        );
        assert_eq!(
            canonical_uri("/test%24file.text", UriRules::S3),
            "/test%24file.text"
        );
        assert_eq!(canonical_uri("//example//./..", UriRules::S3), "//example//./..");
        assert_eq!(canonical_uri("/a%20b+c~d", UriRules::S3), "/a%20b%2Bc~d");
        assert_eq!(canonical_uri("", UriRules::S3), "/");
        assert_eq!(canonical_uri("/%E1%88%B4", UriRules::S3), "/%E1%88%B4");
    }

    #[test]
    fn other_services_normalise_and_encode_the_wire_path() {
        assert_eq!(canonical_uri("//example//", UriRules::Normalized), "/example/");
        assert_eq!(canonical_uri("/example/..", UriRules::Normalized), "/");
        assert_eq!(
            canonical_uri("/example1/example2/../..", UriRules::Normalized),
            "/"
        );
        assert_eq!(canonical_uri("/./example", UriRules::Normalized), "/example");
        assert_eq!(canonical_uri("/a/b/..", UriRules::Normalized), "/a/");
        assert_eq!(canonical_uri("/a/./b", UriRules::Normalized), "/a/b");
        assert_eq!(canonical_uri("/../a", UriRules::Normalized), "/a");
        assert_eq!(canonical_uri("", UriRules::Normalized), "/");
        assert_eq!(canonical_uri("/arn%3Aaws", UriRules::Normalized), "/arn%253Aaws");
    }

    #[test]
    fn query_is_decoded_encoded_and_sorted() {
        assert_eq!(canonical_query("lifecycle", None), "lifecycle=");
        assert_eq!(
            canonical_query("Param2=value2&Param1=value1", None),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(
            canonical_query("Param1=value2&Param1=Value1", None),
            "Param1=Value1&Param1=value2"
        );
        assert_eq!(
            canonical_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", None),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(
            canonical_query("a=1&&b=x%2Fy&X-Amz-Signature=abc", Some("X-Amz-Signature")),
            "a=1&b=x%2Fy"
        );
        assert_eq!(canonical_query("k=a+b c", None), "k=a%2Bb%20c");
        assert_eq!(canonical_query("", None), "");
    }

    #[test]
    fn trim_all_collapses_spaces_only() {
        let mut out = Vec::new();
        trim_all_into(b"  \"a   b   c\"  ", &mut out);
        assert_eq!(out, b"\"a b c\"");
        out.clear();
        trim_all_into(b"a\t\tb", &mut out);
        assert_eq!(out, b"a\t\tb");
        out.clear();
        trim_all_into(b"   ", &mut out);
        assert_eq!(out, b"");
    }

    #[test]
    fn repeated_headers_keep_received_order() {
        let mut h = http::HeaderMap::new();
        for v in ["value4", "value1", " value3 ", "value2"] {
            h.append("my-header1", http::HeaderValue::from_static(v));
            h.append("my-header2", http::HeaderValue::from_static("other"));
        }
        assert_eq!(
            canonical_header_value(&h, "my-header1").unwrap().as_ref(),
            b"value4,value1,value3,value2"
        );
        assert_eq!(
            canonical_header_value(&h, "my-header2").unwrap().as_ref(),
            b"other,other,other,other"
        );
        assert_eq!(canonical_header_value(&h, "absent"), None);
        assert_eq!(
            canonical_header_value(&h, "My-Header1"),
            None,
            "names arrive lowercased"
        );
    }

    /// A value is borrowed only when trimall would not change it; the others are
    /// rebuilt, and both give the canonical text.
    #[test]
    fn header_values_are_borrowed_only_when_already_canonical() {
        for (raw, want, borrowed) in [
            ("abc", "abc", true),
            ("a b c", "a b c", true),
            ("", "", true),
            (" abc", "abc", false),
            ("abc ", "abc", false),
            ("a  b", "a b", false),
            ("\"a   b   c\"", "\"a b c\"", false),
            ("a\tb", "a\tb", true),
        ] {
            let mut h = http::HeaderMap::new();
            h.insert("x", http::HeaderValue::from_str(raw).unwrap());
            let got = canonical_header_value(&h, "x").unwrap();
            assert_eq!(got.as_ref(), want.as_bytes(), "{raw:?}");
            assert_eq!(matches!(got, Cow::Borrowed(_)), borrowed, "{raw:?}");
        }
    }

    /// The canonical URI is the wire path itself exactly when decoding and encoding it
    /// (S3) or normalising it (other services) would not change it.
    #[test]
    fn canonical_uris_are_borrowed_only_when_unchanged() {
        for (raw, rules, want, borrowed) in [
            ("/bucket/key-1_a.b~c", UriRules::S3, "/bucket/key-1_a.b~c", true),
            ("/", UriRules::Normalized, "/", true),
            ("/b/a%20b", UriRules::S3, "/b/a%20b", false),
            ("/b/a$b", UriRules::S3, "/b/a%24b", false),
            ("", UriRules::S3, "/", false),
            ("//x/../y", UriRules::Normalized, "/y", false),
        ] {
            let got = canonical_uri_of(raw, rules);
            assert_eq!(got, want, "{raw}");
            assert_eq!(got, canonical_uri_owned(raw, rules), "{raw}");
            assert_eq!(matches!(got, Cow::Borrowed(_)), borrowed, "{raw}");
        }
    }

    #[test]
    fn hex_spaced_is_lowercase_and_spaced() {
        assert_eq!(hex_spaced(b"AWS4\n"), "41 57 53 34 0a");
        assert_eq!(hex_spaced(b""), "");
    }

    #[test]
    fn redaction_masks_tokens() {
        let creq = CanonicalRequest {
            method: "GET",
            uri: "/".into(),
            query: "X-Amz-Security-Token=secret&a=b".into(),
            headers: vec![
                ("host".into(), Cow::Borrowed(&b"h"[..])),
                ("x-amz-security-token".into(), Cow::Borrowed(&b"tok"[..])),
            ],
            signed_headers: "host;x-amz-security-token",
            payload_hash: "UNSIGNED-PAYLOAD",
        };
        let red = creq.redacted();
        assert!(!red.contains("secret") && !red.contains("tok\n"), "{red}");
        assert_eq!(
            creq.to_string(),
            "GET\n/\nX-Amz-Security-Token=secret&a=b\nhost:h\nx-amz-security-token:tok\n\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD"
        );
    }
}
