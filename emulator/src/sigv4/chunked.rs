//! The aws-chunked body decoder: an incremental state machine over arbitrary input
//! splits, with bounded memory.
//!
//! ```text
//! body    = *chunk last-chunk trailer CRLF
//! chunk   = hex(size) [";chunk-signature=" sig] CRLF data CRLF
//! last    = "0" [";chunk-signature=" sig] CRLF
//! trailer = *(name ":" value CRLF) ["x-amz-trailer-signature:" sig CRLF]
//! ```
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html>)
//!
//! Data is emitted as it arrives; a chunk's signature is checked when the chunk ends, and
//! the trailer signature, the declared trailer names and the decoded length when the body
//! ends. The caller must store nothing until [`AwsChunkedDecoder::finish`] succeeds.

use sha2::{Digest, Sha256};

use super::canonical::{CredentialScope, StringToSign};
use super::error::SigError;
use super::key::SigningKey;
use super::payload::Trailers;
use std::sync::Arc;

/// The longest chunk-size line accepted, CRLF included (a signed line is ~90 bytes).
pub const MAX_LINE: usize = 4096;
/// The largest trailer section accepted, in bytes.
pub const MAX_TRAILER_SECTION: usize = 16 * 1024;
/// The largest chunk accepted: 5 GiB, the largest single PUT.
pub const MAX_CHUNK_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// Every signed chunk but the last must carry at least this many bytes [S3-STREAM].
const MIN_SIGNED_CHUNK: u64 = 8192;
/// The longest hex size field: 16 digits hold any u64.
const MAX_SIZE_DIGITS: usize = 16;

/// What chunk signatures chain from.
#[derive(Debug, Clone)]
pub struct ChunkSigning {
    /// `kSigning` of the request.
    pub key: SigningKey,
    /// The request time, `yyyymmddThhmmssZ`.
    pub amz_date: compact_str::CompactString,
    /// The credential scope.
    pub scope: CredentialScope,
    /// The request (seed) signature.
    pub seed_signature: String,
}

/// How a stream is framed and protected.
#[derive(Debug, Clone)]
pub struct DecoderConfig {
    /// Chunk signatures to verify (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`); `None`
    /// for `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, whose chunks carry no signature.
    pub signing: Option<Arc<ChunkSigning>>,
    /// Whether a trailer section may follow the last chunk (the `-TRAILER` modes). With
    /// signing, the trailer section must end with `x-amz-trailer-signature`.
    pub trailers: bool,
    /// The lowercase names `x-amz-trailer` declared; the trailers received must be exactly these.
    pub declared_trailers: Vec<String>,
    /// `x-amz-decoded-content-length`, when sent.
    pub decoded_length: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line into `line`.
    SizeLine,
    /// Inside chunk data, `remaining` bytes to go.
    Data { remaining: u64 },
    /// After chunk data: expecting CR (`seen == 0`) then LF.
    DataEnd { seen: u8 },
    /// Reading trailer lines into `line`.
    Trailers,
    /// The final CRLF arrived and every check passed.
    Done,
    /// An error was returned; the body is rejected.
    Failed,
}

/// Incremental aws-chunked decoder. Feed it with [`push`](Self::push), end with
/// [`finish`](Self::finish). Never panics, whatever the input; memory stays bounded by
/// [`MAX_LINE`] and [`MAX_TRAILER_SECTION`].
#[derive(Debug)]
pub struct AwsChunkedDecoder {
    config: DecoderConfig,
    state: State,
    /// The partial chunk-size or trailer line.
    line: Vec<u8>,
    /// The current chunk's position, from 0.
    index: u64,
    /// The current chunk's size.
    size: u64,
    /// The current chunk's `chunk-signature`.
    signature: Option<String>,
    /// SHA-256 of the current chunk's data so far.
    hasher: Sha256,
    /// The signature the next string to sign chains from.
    previous: String,
    /// Data bytes decoded so far.
    decoded: u64,
    /// The last data chunk, when it was smaller than 8 KiB: an error if another data chunk follows.
    small_chunk: Option<(u64, u64)>,
    /// Trailer section bytes read so far.
    trailer_bytes: usize,
    /// Trailers received, lowercase names, trimmed values.
    trailers: Vec<(String, String)>,
    /// `x-amz-trailer-signature`.
    trailer_signature: Option<String>,
    /// Buffers reused from chunk to chunk: the string to sign, and a signature's
    /// text (the previous one, once the next has replaced it).
    sts: String,
    spare: String,
}

fn malformed(reason: &'static str) -> SigError {
    SigError::MalformedChunk { reason }
}

impl AwsChunkedDecoder {
    /// A decoder for one body.
    pub fn new(config: DecoderConfig) -> Self {
        let previous = config
            .signing
            .as_ref()
            .map(|s| s.seed_signature.clone())
            .unwrap_or_default();
        Self {
            config,
            state: State::SizeLine,
            line: Vec::new(),
            index: 0,
            size: 0,
            signature: None,
            hasher: Sha256::new(),
            previous,
            decoded: 0,
            small_chunk: None,
            trailer_bytes: 0,
            trailers: Vec::new(),
            trailer_signature: None,
            sts: String::new(),
            spare: String::new(),
        }
    }

    /// Decode `wire`, appending chunk data to `out` as it arrives. After an error every
    /// further call fails.
    pub fn push(&mut self, wire: &[u8], out: &mut Vec<u8>) -> Result<(), SigError> {
        if self.state == State::Failed {
            return Err(malformed("the body was already rejected"));
        }
        let result = self.push_inner(wire, out);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    /// The body ended: the trailers, if the stream was complete and every check passed.
    pub fn finish(self) -> Result<Trailers, SigError> {
        match (self.state, self.config.decoded_length) {
            (State::Done, _) => Ok(Trailers(self.trailers)),
            (State::Failed, _) => Err(malformed("the body was already rejected")),
            (_, Some(expected)) if self.decoded < expected => Err(SigError::IncompleteBody {
                expected,
                provided: self.decoded,
            }),
            _ => Err(malformed("the body ended before the final chunk")),
        }
    }

    /// Data bytes decoded so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    fn push_inner(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), SigError> {
        while !input.is_empty() {
            input = match self.state {
                State::SizeLine | State::Trailers => {
                    let limit = if self.state == State::SizeLine {
                        MAX_LINE
                    } else {
                        MAX_TRAILER_SECTION
                    };
                    let (complete, rest) = self.take_line(input, limit)?;
                    if complete {
                        if self.state == State::SizeLine {
                            self.size_line()?;
                        } else {
                            self.trailer_line()?;
                        }
                    }
                    rest
                }
                State::Data { remaining } => {
                    let n = usize::try_from(remaining).unwrap_or(usize::MAX).min(input.len());
                    let (data, rest) = input.split_at_checked(n).unwrap_or((input, &[]));
                    // Only signed chunks need their hash: hashing unsigned streams cost
                    // as much as the rest of the decoder together.
                    if self.config.signing.is_some() {
                        self.hasher.update(data);
                    }
                    out.extend_from_slice(data);
                    // INVARIANT: n <= remaining, and decoded + size was checked against the
                    // declared length when the size line arrived.
                    let n = n as u64;
                    self.decoded = self.decoded.saturating_add(n);
                    self.state = match remaining - n {
                        0 => State::DataEnd { seen: 0 },
                        left => State::Data { remaining: left },
                    };
                    rest
                }
                State::DataEnd { seen } => {
                    let Some((&b, rest)) = input.split_first() else {
                        break;
                    };
                    match (seen, b) {
                        (0, b'\r') => self.state = State::DataEnd { seen: 1 },
                        (1, b'\n') => {
                            self.end_chunk()?;
                            self.state = State::SizeLine;
                        }
                        _ => return Err(malformed("chunk data is not followed by CRLF")),
                    }
                    rest
                }
                State::Done => return Err(malformed("bytes after the end of the aws-chunked body")),
                State::Failed => return Err(malformed("the body was already rejected")),
            };
        }
        Ok(())
    }

    /// Move bytes up to and including the next LF into `line`; `true` when the line is complete.
    fn take_line<'a>(&mut self, input: &'a [u8], limit: usize) -> Result<(bool, &'a [u8]), SigError> {
        let (part, rest, complete) = match input.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let (part, rest) = input.split_at_checked(i + 1).unwrap_or((input, &[]));
                (part, rest, true)
            }
            None => (input, &[][..], false),
        };
        let too_long = self.line.len().saturating_add(part.len()) > limit;
        if self.state == State::Trailers {
            self.trailer_bytes = self.trailer_bytes.saturating_add(part.len());
        }
        if too_long || self.trailer_bytes > MAX_TRAILER_SECTION {
            return Err(if self.state == State::Trailers {
                SigError::MalformedTrailer {
                    reason: "the trailer section is too long".to_owned(),
                }
            } else {
                malformed("chunk-size line too long")
            });
        }
        self.line.extend_from_slice(part);
        Ok((complete, rest))
    }

    /// The completed line in `line` without its CRLF (bare LF is rejected).
    fn line_text(&mut self) -> Result<Vec<u8>, SigError> {
        let mut line = std::mem::take(&mut self.line);
        if line.pop() != Some(b'\n') || line.pop() != Some(b'\r') {
            return Err(malformed("line not terminated by CRLF"));
        }
        Ok(line)
    }

    /// `hex(size)[;chunk-signature=sig]`.
    fn size_line(&mut self) -> Result<(), SigError> {
        let line = self.line_text()?;
        let (size, extension) = match line.iter().position(|&b| b == b';') {
            Some(i) => {
                let (size, ext) = line.split_at_checked(i).unwrap_or((&line, &[]));
                (size, Some(ext.get(1..).unwrap_or_default()))
            }
            None => (line.as_slice(), None),
        };
        if size.is_empty() || size.len() > MAX_SIZE_DIGITS || !size.iter().all(u8::is_ascii_hexdigit) {
            return Err(malformed("chunk size is not hex"));
        }
        let size = std::str::from_utf8(size)
            .ok()
            .and_then(|s| u64::from_str_radix(s, 16).ok())
            .ok_or(malformed("chunk size is not hex"))?;
        if size > MAX_CHUNK_SIZE {
            return Err(malformed("chunk larger than 5 GiB"));
        }
        self.signature = match (extension, self.config.signing.is_some()) {
            (Some(ext), true) => match ext.strip_prefix(b"chunk-signature=") {
                Some(sig) if !sig.is_empty() => {
                    let mut text = std::mem::take(&mut self.spare);
                    text.clear();
                    text.push_str(&String::from_utf8_lossy(sig));
                    Some(text)
                }
                _ => return Err(malformed("expected a chunk-signature extension")),
            },
            (None, true) => return Err(malformed("signed stream chunk without chunk-signature")),
            (Some(_), false) => return Err(malformed("chunk extension in an unsigned stream")),
            (None, false) => None,
        };
        // The line's buffer serves the next line.
        let mut line = line;
        line.clear();
        self.line = line;
        if size > 0 {
            if let Some((index, size)) = self.small_chunk {
                return Err(SigError::ChunkTooSmall { index, size });
            }
        }
        let provided = self.decoded.saturating_add(size);
        if let Some(expected) = self.config.decoded_length.filter(|e| provided > *e) {
            return Err(SigError::BodyTooLong { expected, provided });
        }
        self.size = size;
        self.hasher = Sha256::new();
        if size == 0 {
            self.end_chunk()?;
            self.state = State::Trailers;
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    /// A chunk's data ended: check its signature and chain.
    fn end_chunk(&mut self) -> Result<(), SigError> {
        if let Some(signing) = &self.config.signing {
            let mut hash = [0u8; 64];
            let digest = std::mem::take(&mut self.hasher).finalize();
            hex::encode_to_slice(digest, &mut hash).map_err(|_| malformed("chunk digest"))?;
            let hash = std::str::from_utf8(&hash).map_err(|_| malformed("chunk digest"))?;
            let provided = self.signature.take().unwrap_or_default();
            StringToSign::chunk_text_into(
                &mut self.sts,
                &signing.amz_date,
                &signing.scope,
                &self.previous,
                hash,
            );
            if !signing.key.verify(self.sts.as_bytes(), &provided) {
                return Err(SigError::ChunkSignatureDoesNotMatch {
                    index: self.index,
                    string_to_sign: self.sts.clone(),
                    provided,
                });
            }
            self.spare = std::mem::replace(&mut self.previous, provided);
            if self.size > 0 && self.size < MIN_SIGNED_CHUNK {
                self.small_chunk = Some((self.index, self.size));
            }
        }
        self.index = self.index.saturating_add(1);
        Ok(())
    }

    /// One `name:value` trailer line, or the empty line that ends the body.
    fn trailer_line(&mut self) -> Result<(), SigError> {
        let bad = |reason: &str| SigError::MalformedTrailer {
            reason: reason.to_owned(),
        };
        let line = self.line_text()?;
        if line.is_empty() {
            return self.complete();
        }
        if !self.config.trailers {
            return Err(bad("trailers in a stream that declared none"));
        }
        if self.trailer_signature.is_some() {
            return Err(bad("a trailer after x-amz-trailer-signature"));
        }
        let line = String::from_utf8_lossy(&line);
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad("trailer line without `:`"))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_owned();
        if name.is_empty() {
            return Err(bad("trailer without a name"));
        }
        if name == "x-amz-trailer-signature" {
            if self.config.signing.is_none() {
                return Err(bad("x-amz-trailer-signature in an unsigned stream"));
            }
            self.trailer_signature = Some(value);
        } else if self.trailers.iter().any(|(n, _)| *n == name) {
            return Err(SigError::MalformedTrailer {
                reason: format!("trailer `{name}` repeated"),
            });
        } else {
            self.trailers.push((name, value));
        }
        Ok(())
    }

    /// The final CRLF arrived: trailer signature, declared names, decoded length.
    fn complete(&mut self) -> Result<(), SigError> {
        if let (Some(signing), true) = (&self.config.signing, self.config.trailers) {
            // Canonical trailers: `lowercase(name):trim(value)\n` sorted by name, LF not CRLF,
            // x-amz-trailer-signature excluded (smithy-rs `sign_trailer`; aws-c-auth).
            let mut sorted: Vec<&(String, String)> = self.trailers.iter().collect();
            sorted.sort();
            let canonical: String = sorted.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
            let hash = super::key::sha256_hex(canonical.as_bytes());
            let sts = StringToSign::trailer_text(&signing.amz_date, &signing.scope, &self.previous, &hash);
            let provided = self.trailer_signature.clone().unwrap_or_default();
            if !signing.key.verify(sts.as_bytes(), &provided) {
                return Err(SigError::TrailerSignatureDoesNotMatch {
                    string_to_sign: sts,
                    provided,
                });
            }
        }
        if self.config.trailers {
            let mut received: Vec<&str> = self.trailers.iter().map(|(n, _)| n.as_str()).collect();
            let mut declared: Vec<&str> = self.config.declared_trailers.iter().map(String::as_str).collect();
            received.sort_unstable();
            declared.sort_unstable();
            if received != declared {
                return Err(SigError::MalformedTrailer {
                    reason: format!("x-amz-trailer declared {declared:?} but the body carried {received:?}"),
                });
            }
        }
        if let Some(expected) = self.config.decoded_length.filter(|e| *e != self.decoded) {
            return Err(SigError::IncompleteBody {
                expected,
                provided: self.decoded,
            });
        }
        self.state = State::Done;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsigned(declared: &[&str], decoded_length: Option<u64>) -> DecoderConfig {
        DecoderConfig {
            signing: None,
            trailers: true,
            declared_trailers: declared.iter().map(|s| (*s).to_owned()).collect(),
            decoded_length,
        }
    }

    fn decode_whole(config: DecoderConfig, wire: &[u8]) -> Result<(Vec<u8>, Trailers), SigError> {
        let mut d = AwsChunkedDecoder::new(config);
        let mut out = Vec::new();
        d.push(wire, &mut out)?;
        d.finish().map(|t| (out, t))
    }

    const HELLO: &[u8] = b"B\r\nHello world\r\n0\r\nx-amz-checksum-crc32:i9aeUg==\r\n\r\n";

    #[test]
    #[expect(
        clippy::indexing_slicing,
        reason = "split points are within the slice by construction"
    )]
    fn unsigned_trailer_stream_decodes_at_every_split() {
        for split in 0..=HELLO.len() {
            for split2 in split..=HELLO.len() {
                let mut d = AwsChunkedDecoder::new(unsigned(&["x-amz-checksum-crc32"], Some(11)));
                let mut out = Vec::new();
                d.push(&HELLO[..split], &mut out).unwrap();
                d.push(&HELLO[split..split2], &mut out).unwrap();
                d.push(&HELLO[split2..], &mut out).unwrap();
                let trailers = d.finish().unwrap();
                assert_eq!(out, b"Hello world");
                assert_eq!(trailers.get("x-amz-checksum-crc32"), Some("i9aeUg=="));
            }
        }
    }

    #[test]
    fn lowercase_and_uppercase_hex_sizes() {
        let wire = b"a\r\n0123456789\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
        let (out, trailers) = decode_whole(unsigned(&[], Some(36)), wire).unwrap();
        assert_eq!(out.len(), 36);
        assert!(trailers.0.is_empty());
    }

    #[test]
    fn small_unsigned_chunks_are_fine() {
        let wire = b"1\r\na\r\n1\r\nb\r\n0\r\n\r\n";
        assert_eq!(decode_whole(unsigned(&[], None), wire).unwrap().0, b"ab");
    }

    #[test]
    fn broken_framing_is_rejected() {
        let cases: &[&[u8]] = &[
            b"B\nHello world\r\n0\r\n\r\n",             // bare LF after the size
            b"B\r\nHello worldX\r\n0\r\n\r\n",          // data longer than the size
            b"B\r\nHello worl\r\n0\r\n\r\n",            // data shorter than the size
            b"G\r\n",                                   // not hex
            b"\r\n",                                    // empty size
            b"B;chunk-signature=ab\r\nHello world\r\n", // signature in an unsigned stream
            b"B\r\nHello world\r\n0\r\nno-colon\r\n\r\n",
            b"B\r\nHello world\r\n0\r\n\r\nextra",
            b"11111111111111111\r\n", // 17 hex digits
            b"140000001\r\n",         // above 5 GiB
        ];
        for wire in cases {
            assert!(
                decode_whole(unsigned(&[], None), wire).is_err(),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    #[test]
    fn truncated_bodies_are_incomplete() {
        assert_eq!(
            decode_whole(unsigned(&[], Some(11)), b"B\r\nHello").unwrap_err(),
            SigError::IncompleteBody {
                expected: 11,
                provided: 5
            }
        );
        assert!(matches!(
            decode_whole(unsigned(&[], None), b"B\r\nHello"),
            Err(SigError::MalformedChunk { .. })
        ));
        assert_eq!(
            decode_whole(unsigned(&[], Some(12)), b"B\r\nHello world\r\n0\r\n\r\n").unwrap_err(),
            SigError::IncompleteBody {
                expected: 12,
                provided: 11
            }
        );
        assert_eq!(
            decode_whole(unsigned(&[], Some(10)), b"B\r\nHello world\r\n0\r\n\r\n").unwrap_err(),
            SigError::BodyTooLong {
                expected: 10,
                provided: 11
            }
        );
    }

    #[test]
    fn declared_trailers_must_match() {
        assert!(matches!(
            decode_whole(unsigned(&["x-amz-checksum-crc32c"], None), HELLO),
            Err(SigError::MalformedTrailer { .. })
        ));
        assert!(matches!(
            decode_whole(unsigned(&[], None), HELLO),
            Err(SigError::MalformedTrailer { .. })
        ));
        let no_trailers = DecoderConfig {
            trailers: false,
            ..unsigned(&[], None)
        };
        assert!(matches!(
            decode_whole(no_trailers, HELLO),
            Err(SigError::MalformedTrailer { .. })
        ));
    }

    #[test]
    fn long_lines_are_rejected_without_buffering() {
        let mut d = AwsChunkedDecoder::new(unsigned(&[], None));
        let mut out = Vec::new();
        let junk = vec![b'a'; MAX_LINE + 1];
        assert!(d.push(&junk, &mut out).is_err());
        assert!(
            d.push(b"\r\n", &mut out).is_err(),
            "a failed decoder stays failed"
        );

        let mut d = AwsChunkedDecoder::new(unsigned(&["x"], None));
        d.push(b"0\r\n", &mut out).unwrap();
        let line = [b"x:".as_slice(), &vec![b'v'; 1000], b"\r\n"].concat();
        let mut failed = false;
        for _ in 0..20 {
            if d.push(&line, &mut out).is_err() {
                failed = true;
                break;
            }
        }
        assert!(
            failed,
            "a trailer section above {MAX_TRAILER_SECTION} bytes is rejected"
        );
    }
}
