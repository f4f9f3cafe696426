//! The SigV4 `Authorization` header and presigned `X-Amz-*` query parameters, parsed
//! into a typed [`AuthV4`], and the checks that need no secret: scope, signed headers,
//! time and payload mode.
//!
//! ```text
//! Authorization: AWS4-HMAC-SHA256 Credential=<AKID>/<yyyymmdd>/<region>/<service>/aws4_request,
//!                SignedHeaders=<h1;h2;…>, Signature=<64 lowercase hex>
//! ?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…&X-Amz-Date=…&X-Amz-Expires=…
//!  &X-Amz-SignedHeaders=…[&X-Amz-Security-Token=…]&X-Amz-Signature=…
//! ```

use compact_str::CompactString;
use http::HeaderName;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::canonical::CredentialScope;
use super::error::{SigError, MAX_SKEW_MILLIS};
use super::payload::PayloadMode;
use super::{Location, QueryParams, RequestHead, SigService};
use crate::protocol::names;

/// The longest presign validity S3 accepts: 7 days.
const MAX_EXPIRES_SECS: i64 = 604_800;

/// Which header gave the request time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateSource {
    /// `X-Amz-Date` (ISO 8601 basic).
    XAmzDate,
    /// `Date` (RFC 1123), used only when `X-Amz-Date` is absent.
    Date,
    /// The `X-Amz-Date` query parameter of a presigned request.
    Query,
}

/// A parsed SigV4 authentication, from the header or the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthV4 {
    /// Header or query.
    pub location: Location,
    /// The service the request was parsed for.
    pub service: SigService,
    /// The access key id from the credential.
    pub access_key_id: CompactString,
    /// The credential scope (date, region, service).
    pub scope: CredentialScope,
    /// The `SignedHeaders` list, `;`-separated, as sent ([`AuthV4::signed_header_names`]).
    pub signed_headers: String,
    /// The signature, as sent.
    pub signature: String,
    /// The request time as `yyyymmddThhmmssZ` (converted when it came from `Date`).
    pub amz_date: CompactString,
    /// The request time as sent (the `X-Amz-Date` or `Date` text), for `RequestTime`.
    pub request_time: CompactString,
    /// Where the request time came from.
    pub date_source: DateSource,
    /// The request time.
    pub timestamp: OffsetDateTime,
    /// `X-Amz-Expires` for presigned requests.
    pub expires_secs: Option<u32>,
    /// `x-amz-security-token` (header) or `X-Amz-Security-Token` (query).
    pub session_token: Option<String>,
    /// The raw `x-amz-content-sha256` header (header auth) or `X-Amz-Content-Sha256`
    /// parameter (query auth).
    pub content_sha256: Option<CompactString>,
}

/// The credential split into its five parts.
struct Credential {
    access_key_id: CompactString,
    scope: CredentialScope,
}

fn parse_credential(credential: &str, location: Location, amz_date: &str) -> Result<Credential, SigError> {
    let malformed = || SigError::MalformedCredential {
        location,
        credential: credential.to_owned(),
    };
    let mut parts = crate::util::split_ascii::<b'/'>(credential);
    let (Some(akid), Some(date), Some(region), Some(service), Some(terminator), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(malformed());
    };
    if parse_scope_date(date).is_none() {
        return Err(SigError::InvalidScopeDate {
            location,
            date: date.to_owned(),
            amz_date: amz_date.to_owned(),
        });
    }
    if terminator != "aws4_request" {
        return Err(SigError::InvalidTerminator {
            location,
            terminator: terminator.to_owned(),
        });
    }
    Ok(Credential {
        access_key_id: akid.into(),
        scope: CredentialScope::new(date, region, service),
    })
}

/// The non-empty pieces of `s` between commas and spaces, as
/// `s.split([',', ' ']).filter(|t| !t.is_empty())` gives them: `memchr2` finds
/// the separators many bytes at a time instead of `str::split` decoding chars
/// (the `Authorization` header, 64 hex digits of signature included, is split on
/// every request). Cutting at ASCII bytes keeps every piece valid UTF-8.
fn comma_space_tokens(s: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    memchr::memchr2_iter(b',', b' ', s.as_bytes())
        .chain(std::iter::once(s.len()))
        .filter_map(move |i| {
            let piece = s.get(start..i).filter(|p| !p.is_empty());
            start = i + 1;
            piece
        })
}

/// `n` ASCII digits at the front of `s` as a number.
fn digits(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0_u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// A calendar date from `yyyymmdd`.
fn parse_scope_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 8 {
        return None;
    }
    let year = i32::try_from(digits(b.get(0..4)?)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(b.get(4..6)?)?).ok()?).ok()?;
    let day = u8::try_from(digits(b.get(6..8)?)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// `yyyymmddThhmmssZ` (ISO 8601 basic, UTC), strictly.
pub(crate) fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let date = parse_scope_date(s.get(0..8)?)?;
    let hour = u8::try_from(digits(b.get(9..11)?)?).ok()?;
    let minute = u8::try_from(digits(b.get(11..13)?)?).ok()?;
    let second = u8::try_from(digits(b.get(13..15)?)?).ok()?;
    let time = Time::from_hms(hour, minute, second).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

fn header_str<T: From<String> + for<'s> From<&'s str>>(
    head: &RequestHead<'_>,
    name: &HeaderName,
) -> Option<T> {
    let value = head.headers.get(name)?;
    // The common case, a visible-ASCII value, without the lossy decoder's pass.
    Some(match value.to_str() {
        Ok(text) => text.into(),
        Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned().into(),
    })
}

/// The request time of a header-signed request: `X-Amz-Date`, else `Date`.
fn header_time(head: &RequestHead<'_>) -> Option<(OffsetDateTime, CompactString, DateSource)> {
    if let Some(raw) = header_str::<CompactString>(head, &names::X_AMZ_DATE) {
        return parse_amz_date(raw.trim()).map(|t| (t, raw, DateSource::XAmzDate));
    }
    let raw: CompactString = header_str(head, &http::header::DATE)?;
    crate::util::parse_http_date(&raw).map(|t| (t, raw, DateSource::Date))
}

impl AuthV4 {
    /// Parse an `Authorization` header value.
    ///
    /// Components are separated by commas and/or spaces: the S3 doc examples omit the
    /// space after `,` (aws-c-auth notes the typo), and STS's own parser splits on both
    /// (`Credential= AKIA…` yields "'AKIA…' not a valid key=value pair", boto/boto3#2280).
    pub(crate) fn parse_header(
        head: &RequestHead<'_>,
        authorization: &str,
        service: SigService,
    ) -> Result<Self, SigError> {
        let (scheme, rest) =
            crate::util::split_once_ascii::<b' '>(authorization).unwrap_or((authorization, ""));
        match scheme {
            "AWS4-HMAC-SHA256" => {}
            "AWS" => return Err(SigError::SigV2NotSupported),
            _ => {
                return Err(SigError::UnsupportedAuthorizationType {
                    authorization: authorization.to_owned(),
                })
            }
        }
        let malformed = |component: &str| SigError::MalformedComponent {
            component: component.to_owned(),
            authorization: authorization.to_owned(),
        };
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for token in comma_space_tokens(rest) {
            let (key, value) =
                crate::util::split_once_ascii::<b'='>(token).ok_or_else(|| malformed(token))?;
            let slot = match key {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                _ => return Err(malformed(token)),
            };
            if slot.is_some() {
                return Err(malformed(token));
            }
            *slot = Some(value).filter(|v| !v.is_empty());
        }
        let time = header_time(head);
        let (Some(credential), Some(signed_headers), Some(signature)) =
            (credential, signed_headers, signature)
        else {
            let missing = [
                ("Credential", credential),
                ("Signature", signature),
                ("SignedHeaders", signed_headers),
            ]
            .into_iter()
            .filter_map(|(name, v)| v.is_none().then_some(name))
            .collect();
            return Err(SigError::MissingComponents {
                authorization: authorization.to_owned(),
                missing,
                date_missing: time.is_none(),
            });
        };
        let Some((timestamp, request_time, date_source)) = time else {
            return Err(SigError::MissingDate {
                authorization: authorization.to_owned(),
            });
        };
        // `X-Amz-Date` parsed strictly as `yyyymmddThhmmssZ` is already the string to
        // sign's form; only a `Date` header needs converting.
        let amz_date: CompactString = match date_source {
            DateSource::XAmzDate => request_time.trim().into(),
            _ => super::error::iso_basic(timestamp).into(),
        };
        let Credential { access_key_id, scope } = parse_credential(credential, Location::Header, &amz_date)?;
        Ok(Self {
            location: Location::Header,
            service,
            access_key_id,
            scope,
            signed_headers: signed_headers.to_owned(),
            signature: signature.to_owned(),
            amz_date,
            request_time,
            date_source,
            timestamp,
            expires_secs: None,
            session_token: header_str(head, &names::X_AMZ_SECURITY_TOKEN),
            content_sha256: header_str(head, &names::X_AMZ_CONTENT_SHA256),
        })
    }

    /// Parse presigned `X-Amz-*` query parameters (`X-Amz-Algorithm` is present).
    pub(crate) fn parse_query(params: &QueryParams, service: SigService) -> Result<Self, SigError> {
        let algorithm = params.get("X-Amz-Algorithm").unwrap_or_default();
        if algorithm != "AWS4-HMAC-SHA256" {
            return Err(SigError::UnsupportedQueryAlgorithm {
                algorithm: algorithm.to_owned(),
            });
        }
        let required = [
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
            "X-Amz-Expires",
        ];
        let missing: Vec<&'static str> = required.into_iter().filter(|n| params.get(n).is_none()).collect();
        let (Some(credential), Some(signature), Some(amz_date), Some(signed_headers), Some(expires)) = (
            params.get("X-Amz-Credential"),
            params.get("X-Amz-Signature"),
            params.get("X-Amz-Date"),
            params.get("X-Amz-SignedHeaders"),
            params.get("X-Amz-Expires"),
        ) else {
            return Err(SigError::MissingQueryParameters { missing });
        };
        let Credential { access_key_id, scope } = parse_credential(credential, Location::Query, amz_date)?;
        let timestamp = parse_amz_date(amz_date).ok_or_else(|| SigError::InvalidQueryDate {
            value: amz_date.to_owned(),
        })?;
        let expires: i64 = expires.parse().map_err(|_| SigError::InvalidExpires {
            value: expires.to_owned(),
        })?;
        let expires_secs = u32::try_from(expires)
            .ok()
            .filter(|e| (1..=MAX_EXPIRES_SECS).contains(&i64::from(*e)))
            .ok_or(SigError::ExpiresOutOfRange { value: expires })?;
        Ok(Self {
            location: Location::Query,
            service,
            access_key_id,
            scope,
            signed_headers: signed_headers.to_owned(),
            signature: signature.to_owned(),
            amz_date: amz_date.into(),
            request_time: amz_date.into(),
            date_source: DateSource::Query,
            timestamp,
            expires_secs: Some(expires_secs),
            session_token: params.get("X-Amz-Security-Token").map(str::to_owned),
            content_sha256: params.get("X-Amz-Content-Sha256").map(CompactString::from),
        })
    }

    /// The `SignedHeaders` names, in the order sent.
    pub fn signed_header_names(&self) -> crate::util::AsciiSplit<'_, b';'> {
        crate::util::split_ascii(&self.signed_headers)
    }

    /// The scope must name `service` and, when the resource has a region (an S3 bucket),
    /// that region. STS accepts every region a client configures (`shared/reference/clients.md` §1).
    pub fn check_scope(&self, service: SigService, region: Option<&str>) -> Result<(), SigError> {
        if self.scope.service != service.name() {
            return Err(SigError::WrongService {
                location: self.location,
                service: self.scope.service.to_string(),
                expected: service,
            });
        }
        match region {
            Some(expected) if expected != self.scope.region => Err(SigError::WrongRegion {
                location: self.location,
                region: self.scope.region.to_string(),
                expected: expected.to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// Headers that must be signed are, and every signed header is present.
    ///
    /// Always `host` [S3-HDR; IAM-SIGN], and the `Date` header when it supplied the request
    /// time [IAM-SIGN]. For S3 also every `x-amz-*` header present — except
    /// `x-amz-content-sha256`, whose value is already the HashedPayload ([S3-HDR]: "you don't
    /// need to include it as a canonical header"); unsigned ones give AccessDenied +
    /// `HeadersNotSigned`. Other services accept unsigned `x-amz-*` headers (the CRT suite's
    /// `post-sts-header-after` adds `X-Amz-Security-Token` after signing).
    pub fn check_signed_headers(&self, head: &RequestHead<'_>) -> Result<(), SigError> {
        // Split once: the list is searched for every `x-amz-*` header the request has.
        let signed: Vec<&str> = self.signed_header_names().collect();
        let is_signed = |name: &str| signed.iter().any(|s| s.eq_ignore_ascii_case(name));
        let mut unsigned: Vec<String> = Vec::new();
        let mut require = |name: &str| {
            if !is_signed(name) && !unsigned.iter().any(|u| u == name) {
                unsigned.push(name.to_owned());
            }
        };
        require("host");
        if self.date_source == DateSource::Date {
            require("date");
        }
        if self.service == SigService::S3 {
            for name in head.headers.keys() {
                let name = name.as_str();
                if name.starts_with("x-amz-") && name != "x-amz-content-sha256" {
                    require(name);
                }
            }
        }
        if !unsigned.is_empty() {
            return Err(SigError::HeadersNotSigned { names: unsigned });
        }
        // Names compared with the request's (always lowercase ASCII) rather than
        // looked up: a lookup by `&str` parses and hashes the name each time.
        match signed
            .iter()
            .find(|s| !head.headers.keys().any(|k| k.as_str().eq_ignore_ascii_case(s)))
        {
            Some(name) => Err(SigError::SignedHeaderMissing {
                name: name.to_ascii_lowercase(),
            }),
            None => Ok(()),
        }
    }

    /// The scope date is the request date; a header-signed request is within 15 minutes of
    /// `now`; a presigned one is neither expired nor more than 15 minutes in the future.
    ///
    /// Both services apply the same windows; `service` only matters for the wire error
    /// ([`SigError::to_api_error`]): S3 `RequestTimeTooSkewed`, STS `SignatureDoesNotMatch`
    /// "Signature expired: …".
    pub fn check_time(&self, now: OffsetDateTime, _service: SigService) -> Result<(), SigError> {
        if self.amz_date.get(..8) != Some(self.scope.date.as_str()) {
            return Err(SigError::ScopeDateMismatch {
                location: self.location,
                scope_date: self.scope.date.to_string(),
                amz_date: self.amz_date.to_string(),
            });
        }
        let window = time::Duration::milliseconds(MAX_SKEW_MILLIS);
        match self.expires_secs {
            None if (now - self.timestamp).abs() > window => Err(SigError::RequestTimeTooSkewed {
                request_time: self.request_time.to_string(),
                signed_at: self.timestamp,
                server_time: now,
            }),
            None => Ok(()),
            Some(expires) => {
                let expires_at = self.timestamp + time::Duration::seconds(i64::from(expires));
                if self.timestamp - now > window {
                    Err(SigError::PresignNotYetValid {
                        signed_at: self.timestamp,
                        expires_at,
                        server_time: now,
                    })
                } else if now > expires_at {
                    Err(SigError::PresignExpired {
                        x_amz_expires: Some(expires),
                        expires_at,
                        server_time: now,
                    })
                } else {
                    Ok(())
                }
            }
        }
    }

    /// How the payload is protected.
    ///
    /// S3 header auth requires `x-amz-content-sha256`; a presigned S3 request is
    /// `UNSIGNED-PAYLOAD` unless it carries `X-Amz-Content-Sha256` [S3-QUERY]. STS hashes the
    /// body itself ([`PayloadMode::BodySha256`]).
    pub fn payload_mode(&self, service: SigService) -> Result<PayloadMode, SigError> {
        match (service, self.location, &self.content_sha256) {
            (SigService::Sts, _, _) => Ok(PayloadMode::BodySha256),
            (SigService::S3, _, Some(value)) => PayloadMode::parse(value),
            (SigService::S3, Location::Header, None) => Err(SigError::MissingContentSha256),
            (SigService::S3, Location::Query, None) => Ok(PayloadMode::Unsigned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn comma_space_tokens_are_split_and_filter() {
        for s in [
            "",
            ",",
            "  ,, ",
            "a",
            "Credential=A/B, SignedHeaders=host;x-amz-date, Signature=abc",
            "Credential=A/B,SignedHeaders=h,Signature=s",
            ", a ,b,, c ",
            "é,ü ñ",
        ] {
            let expected: Vec<&str> = s.split([',', ' ']).filter(|t| !t.is_empty()).collect();
            assert_eq!(comma_space_tokens(s).collect::<Vec<_>>(), expected, "{s:?}");
        }
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            parse_amz_date("20130524T000000Z"),
            Some(datetime!(2013-05-24 00:00 UTC))
        );
        assert_eq!(
            parse_amz_date("20130524T235959Z"),
            Some(datetime!(2013-05-24 23:59:59 UTC))
        );
        for bad in [
            "20130524T000000",
            "2013-05-24T00:00:00Z",
            "20131324T000000Z",
            "20130524T240000Z",
            "",
            "2013052aT000000Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
        assert_eq!(
            crate::util::parse_http_date("Fri, 24 May 2013 00:00:00 GMT"),
            Some(datetime!(2013-05-24 00:00 UTC))
        );
        assert_eq!(crate::util::parse_http_date("24 May 2013"), None);
        assert!(parse_scope_date("20130229").is_none());
        assert!(parse_scope_date("20120229").is_some());
    }
}
