//! Payload modes (`x-amz-content-sha256`) and the sans-IO body checker.
//!
//! | `x-amz-content-sha256` | body | protected by |
//! |---|---|---|
//! | 64 lowercase hex | as is | its SHA-256 |
//! | `UNSIGNED-PAYLOAD` | as is | nothing (a trailing checksum header, if any) |
//! | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` | aws-chunked | chunk signatures |
//! | `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` | aws-chunked + trailers | chunk and trailer signatures |
//! | `STREAMING-UNSIGNED-PAYLOAD-TRAILER` | aws-chunked + trailers | only the trailing checksum |
//!
//! ([S3-AUTH] <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html>)

use crate::protocol::names;
use crate::util::StackText;
use sha2::{Digest, Sha256};

use super::chunked::{AwsChunkedDecoder, DecoderConfig};
use super::error::SigError;
use super::verify::Verified;
use std::sync::Arc;

/// How the body is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadMode {
    /// `x-amz-content-sha256: <hex>`: the body must hash to this.
    Hex([u8; 32]),
    /// `UNSIGNED-PAYLOAD`.
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked, signed chunks.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and a signed trailer.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked, unsigned chunks, trailing checksum.
    StreamingUnsignedTrailer,
    /// Non-S3 services: HashedPayload is hex SHA-256 of the body, which the caller computes
    /// (STS bodies are small forms) and passes to [`super::AuthV4::verify`].
    BodySha256,
}

impl PayloadMode {
    /// Parse an S3 `x-amz-content-sha256` value.
    ///
    /// A hash must be 64 *lowercase* hex digits: the header value is used verbatim as
    /// HashedPayload, and every signer writes lowercase (inferred; S3's answer to uppercase
    /// hex is not documented). The SigV4a modes (`STREAMING-AWS4-ECDSA-P256-SHA256-…`) are
    /// not supported and rejected like any unknown value.
    pub fn parse(value: &str) -> Result<Self, SigError> {
        match value {
            "UNSIGNED-PAYLOAD" => Ok(Self::Unsigned),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => Ok(Self::StreamingSigned),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" => Ok(Self::StreamingSignedTrailer),
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Ok(Self::StreamingUnsignedTrailer),
            hex_value => super::key::lower_hex_32(hex_value).map(Self::Hex).ok_or_else(|| {
                SigError::InvalidContentSha256 {
                    value: value.to_owned(),
                }
            }),
        }
    }

    /// The HashedPayload line of the canonical request, or `None` for [`Self::BodySha256`]
    /// (the caller hashes the body). On the stack: 64 hex digits or a mode's name.
    pub fn canonical_value(&self) -> Option<StackText<64>> {
        let text = match self {
            Self::Hex(hash) => {
                let mut digits = [0u8; 64];
                let mut out = StackText::new();
                // Cannot fail: 64 bytes hold the hex of 32.
                if hex::encode_to_slice(hash, &mut digits).is_ok() {
                    out.push_ascii(&digits);
                }
                return Some(out);
            }
            Self::Unsigned => "UNSIGNED-PAYLOAD",
            Self::StreamingSigned => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            Self::StreamingSignedTrailer => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            Self::StreamingUnsignedTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            Self::BodySha256 => return None,
        };
        let mut out = StackText::new();
        out.push_ascii(text.as_bytes());
        Some(out)
    }

    /// Whether the body is aws-chunked.
    pub fn is_aws_chunked(&self) -> bool {
        matches!(
            self,
            Self::StreamingSigned | Self::StreamingSignedTrailer | Self::StreamingUnsignedTrailer
        )
    }
}

/// Trailers from an aws-chunked body: lowercase names, trimmed values, in received order
/// (`x-amz-trailer-signature` excluded). The server checks checksum values itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trailers(pub Vec<(String, String)>);

impl Trailers {
    /// The value of trailer `name` (lowercase).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Sans-IO body checker: the server feeds it the body bytes (HTTP chunking already
/// removed) as they arrive, and stores nothing until [`BodyCheck::finish`] succeeds.
#[derive(Debug)]
pub enum BodyCheck {
    /// Hash the body and compare with `x-amz-content-sha256` at the end.
    Hex {
        /// The hash the client declared.
        expected: [u8; 32],
        /// The running hash; `None` after [`BodyCheck::caller_hashes`], when the
        /// caller hands the body's SHA-256 to [`BodyCheck::finish_with_sha256`].
        hasher: Option<Sha256>,
    },
    /// Nothing to check: `UNSIGNED-PAYLOAD`, SigV2 presigned, anonymous, or a body the
    /// caller hashed before verifying (STS).
    PassThrough,
    /// Decode aws-chunked framing, verifying signatures as chunks end.
    Chunked(Box<AwsChunkedDecoder>),
}

/// A header value as a string, if present and UTF-8.
fn header<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl BodyCheck {
    /// The checker for `mode`. aws-chunked modes read `x-amz-decoded-content-length`
    /// (required for signed streams; optional for unsigned-trailer streams, which boto3
    /// sends without it when the length is unknown) and `x-amz-trailer`.
    pub fn new(mode: PayloadMode, verified: &Verified, headers: &http::HeaderMap) -> Result<Self, SigError> {
        let (signing, trailers) = match mode {
            PayloadMode::Hex(expected) => {
                return Ok(Self::Hex {
                    expected,
                    hasher: Some(Sha256::new()),
                })
            }
            PayloadMode::Unsigned | PayloadMode::BodySha256 => return Ok(Self::PassThrough),
            PayloadMode::StreamingSigned => (Some(Arc::clone(&verified.signing)), false),
            PayloadMode::StreamingSignedTrailer => (Some(Arc::clone(&verified.signing)), true),
            PayloadMode::StreamingUnsignedTrailer => (None, true),
        };
        let decoded_length = match header(headers, "x-amz-decoded-content-length") {
            Some(v) => Some(
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| SigError::InvalidDecodedContentLength { value: v.to_owned() })?,
            ),
            None if headers.contains_key(names::X_AMZ_DECODED_CONTENT_LENGTH) => {
                return Err(SigError::InvalidDecodedContentLength { value: String::new() })
            }
            None if signing.is_some() => return Err(SigError::MissingDecodedContentLength),
            None => None,
        };
        let declared_trailers = header(headers, "x-amz-trailer")
            .map(|v| {
                v.split(',')
                    .map(|n| n.trim().to_ascii_lowercase())
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self::Chunked(Box::new(AwsChunkedDecoder::new(DecoderConfig {
            signing,
            trailers,
            declared_trailers,
            decoded_length,
        }))))
    }

    /// A checker that passes the body through (SigV2 presigned and anonymous requests).
    pub fn pass_through() -> Self {
        Self::PassThrough
    }

    /// Leave the body's SHA-256 to the caller, for a caller that computes it anyway
    /// (S3 does, beside the ETag's MD5, the two interleaved): a `Hex` check stops
    /// hashing and compares, in [`BodyCheck::finish_with_sha256`], the hash it is
    /// given. True when the check is `Hex` and so needs that hash.
    pub fn caller_hashes(&mut self) -> bool {
        match self {
            Self::Hex { hasher, .. } => {
                *hasher = None;
                true
            }
            Self::PassThrough | Self::Chunked(_) => false,
        }
    }

    /// Feed body bytes; the payload (decoded, for aws-chunked) is appended to `out`.
    pub fn push(&mut self, wire: &[u8], out: &mut Vec<u8>) -> Result<(), SigError> {
        match self {
            Self::Chunked(decoder) => decoder.push(wire, out),
            Self::Hex { .. } | Self::PassThrough => {
                out.extend_from_slice(self.payload(wire, &mut Vec::new())?);
                Ok(())
            }
        }
    }

    /// Feed body bytes and get the payload they carry: `wire` itself, without a
    /// copy, unless the body is aws-chunked, whose payload is decoded into `out`
    /// (cleared first) and returned from there.
    pub fn payload<'a>(&mut self, wire: &'a [u8], out: &'a mut Vec<u8>) -> Result<&'a [u8], SigError> {
        match self {
            Self::Hex { hasher, .. } => {
                if let Some(hasher) = hasher {
                    hasher.update(wire);
                }
                Ok(wire)
            }
            Self::PassThrough => Ok(wire),
            Self::Chunked(decoder) => {
                out.clear();
                // The payload is never longer than the framing that carries it.
                out.reserve(wire.len());
                decoder.push(wire, out)?;
                Ok(out)
            }
        }
    }

    /// The body ended. Errors if the hash, the framing, a signature or the length is wrong.
    pub fn finish(self) -> Result<Trailers, SigError> {
        self.finish_with_sha256(None)
    }

    /// [`BodyCheck::finish`], with the body's SHA-256 as the caller computed it
    /// after [`BodyCheck::caller_hashes`]. A `Hex` check left with no hash at all
    /// (a caller's mistake) refuses the body rather than pass it unchecked.
    pub fn finish_with_sha256(self, body_sha256: Option<[u8; 32]>) -> Result<Trailers, SigError> {
        match self {
            Self::Hex { expected, hasher } => {
                let computed: Option<[u8; 32]> = match hasher {
                    Some(h) => Some(h.finalize().into()),
                    None => body_sha256,
                };
                let Some(computed) = computed else {
                    return Err(SigError::ContentSha256Mismatch {
                        client: hex::encode(expected),
                        computed: String::new(),
                    });
                };
                if computed == expected {
                    Ok(Trailers::default())
                } else {
                    Err(SigError::ContentSha256Mismatch {
                        client: hex::encode(expected),
                        computed: hex::encode(computed),
                    })
                }
            }
            Self::PassThrough => Ok(Trailers::default()),
            Self::Chunked(decoder) => decoder.finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse() {
        assert_eq!(PayloadMode::parse("UNSIGNED-PAYLOAD"), Ok(PayloadMode::Unsigned));
        assert_eq!(
            PayloadMode::parse("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            Ok(PayloadMode::StreamingUnsignedTrailer)
        );
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let mode = PayloadMode::parse(empty).unwrap();
        assert_eq!(mode.canonical_value().as_deref(), Some(empty));
        for name in [
            "UNSIGNED-PAYLOAD",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        ] {
            let mode = PayloadMode::parse(name).unwrap();
            assert_eq!(mode.canonical_value().as_deref(), Some(name));
        }
        for bad in [
            "",
            "unsigned-payload",
            &empty.to_uppercase(),
            &empty[..63],
            "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        ] {
            assert!(
                matches!(
                    PayloadMode::parse(bad),
                    Err(SigError::InvalidContentSha256 { .. })
                ),
                "{bad}"
            );
        }
        assert!(PayloadMode::BodySha256.canonical_value().is_none());
    }

    /// A `Hex` check whose caller hashes compares the hash it is given, and refuses
    /// a body when it is given none.
    #[test]
    fn hex_body_check_with_the_callers_hash() {
        let abc: [u8; 32] = Sha256::digest(b"abc").into();
        let check = |given: Option<[u8; 32]>| {
            let mut check = BodyCheck::Hex {
                expected: abc,
                hasher: Some(Sha256::new()),
            };
            assert!(check.caller_hashes());
            let mut out = Vec::new();
            check.push(b"abc", &mut out).unwrap();
            assert_eq!(out, b"abc");
            check.finish_with_sha256(given)
        };
        assert_eq!(check(Some(abc)), Ok(Trailers::default()));
        let wrong: [u8; 32] = Sha256::digest(b"abd").into();
        assert_eq!(
            check(Some(wrong)),
            Err(SigError::ContentSha256Mismatch {
                client: hex::encode(abc),
                computed: hex::encode(wrong),
            })
        );
        assert!(!BodyCheck::PassThrough.caller_hashes());
    }

    /// `payload` hands a plain body's frame back as it came (no copy) and an
    /// aws-chunked body's decoded bytes from `out`, cleared for every frame.
    #[test]
    fn payload_is_the_frame_or_its_decoded_bytes() {
        let frame = b"Hello world";
        let mut out = Vec::new();
        let got = BodyCheck::PassThrough.payload(frame, &mut out).unwrap();
        assert!(std::ptr::eq(got, frame.as_slice()));
        let mut hex = BodyCheck::Hex {
            expected: Sha256::digest(frame).into(),
            hasher: Some(Sha256::new()),
        };
        assert!(std::ptr::eq(
            hex.payload(frame, &mut out).unwrap(),
            frame.as_slice()
        ));
        assert_eq!(hex.finish(), Ok(Trailers::default()));

        let mut chunked = BodyCheck::Chunked(Box::new(AwsChunkedDecoder::new(DecoderConfig {
            signing: None,
            trailers: true,
            declared_trailers: Vec::new(),
            decoded_length: Some(11),
        })));
        let mut decoded = Vec::new();
        for part in [&b"6\r\nHello \r\n"[..], b"5\r\nworld\r\n", b"0\r\n\r\n"] {
            decoded.extend_from_slice(chunked.payload(part, &mut out).unwrap());
        }
        assert_eq!(decoded, frame);
        assert!(chunked.finish().is_ok());
    }

    /// Without the caller's hash the check refuses the body.
    #[test]
    fn hex_body_check_without_a_hash_refuses() {
        let mut check = BodyCheck::Hex {
            expected: [0; 32],
            hasher: Some(Sha256::new()),
        };
        check.caller_hashes();
        assert!(matches!(
            check.finish_with_sha256(None),
            Err(SigError::ContentSha256Mismatch { .. })
        ));
    }

    #[test]
    fn hex_body_check_reports_both_hashes() {
        let mut check = BodyCheck::Hex {
            expected: [0; 32],
            hasher: Some(Sha256::new()),
        };
        let mut out = Vec::new();
        check.push(b"abc", &mut out).unwrap();
        assert_eq!(out, b"abc");
        let err = check.finish().unwrap_err();
        assert_eq!(
            err,
            SigError::ContentSha256Mismatch {
                client: "0".repeat(64),
                computed: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into()
            }
        );
    }
}
