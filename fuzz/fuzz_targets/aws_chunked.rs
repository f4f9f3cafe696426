//! The aws-chunked decoder on arbitrary bytes, pushed in fuzzer-chosen pieces.
//!
//! Input: a 9-byte header, then the body as it arrives after HTTP framing.
//!
//! | bytes | meaning |
//! |---|---|
//! | 0 | bits 0–1: 0/3 `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, 1 `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, 2 `…-TRAILER`; bit 2: `x-amz-trailer: x-amz-checksum-crc32`; bit 3: send `x-amz-decoded-content-length` |
//! | 1–4 | `x-amz-decoded-content-length`, little-endian |
//! | 5–8 | the seed of the piece lengths, little-endian |
//!
//! Seeds: the aws-chunked bodies of the wire captures, with their own mode, trailer and
//! decoded length in the header (signed bodies fail at their first chunk signature:
//! `sigv4_header` reaches past it with the real key).
//!
//! Properties: no panic, no hang (libFuzzer's `-timeout`); the outcome (the error, or
//! the data and trailers) is the same whole, in the chosen pieces and byte by byte;
//! the decoder never emits more bytes than it was given.

#![no_main]

use arbitrary::Unstructured;
use emulator::sigv4::{
    AwsChunkedDecoder, ChunkSigning, CredentialScope, DecoderConfig, SigError, SigningKey, Trailers,
};
use fuzz::check;
use libfuzzer_sys::fuzz_target;

/// Inputs longer than this are not also fed byte by byte.
const BYTE_BY_BYTE_MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let (Ok(flags), Ok(decoded_length), Ok(seed)) =
        (u.arbitrary::<u8>(), u.arbitrary::<u32>(), u.arbitrary::<u32>())
    else {
        return;
    };
    let wire = u.take_rest();
    let config = config(flags, decoded_length);

    let whole = decode(&config, wire, &mut std::iter::once(wire.len()));
    let mut lengths = PieceLengths(seed | 1);
    let pieces = decode(
        &config,
        wire,
        &mut std::iter::from_fn(|| Some(lengths.next_len())),
    );
    check!(
        pieces == whole,
        "the outcome depends on how the body is split (seed {seed}):\nwhole:  {whole:?}\npieces: {pieces:?}"
    );
    if wire.len() <= BYTE_BY_BYTE_MAX {
        let bytes = decode(&config, wire, &mut std::iter::repeat(1));
        check!(
            bytes == whole,
            "the outcome differs byte by byte:\nwhole: {whole:?}\nbytes: {bytes:?}"
        );
    }
    if let Err(e) = &whole.0 {
        fuzz::render::sig_error(e);
    }
});

fn config(flags: u8, decoded_length: u32) -> DecoderConfig {
    let scope = CredentialScope::new("20130524", "us-east-1", "s3");
    let signing = ChunkSigning {
        key: SigningKey::derive(fuzz::DOC_SECRET, &scope),
        amz_date: "20130524T000000Z".into(),
        scope,
        // The S3 documentation's streaming example's seed signature.
        seed_signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".to_owned(),
    };
    let (signing, trailers) = match flags & 0b11 {
        1 => (Some(std::sync::Arc::new(signing)), false),
        2 => (Some(std::sync::Arc::new(signing)), true),
        _ => (None, true),
    };
    DecoderConfig {
        signing,
        trailers,
        declared_trailers: if flags & 0b100 != 0 {
            vec!["x-amz-checksum-crc32".to_owned()]
        } else {
            Vec::new()
        },
        decoded_length: (flags & 0b1000 != 0).then_some(u64::from(decoded_length)),
    }
}

/// The outcome of one decode: finish's result (or the first push error) and the data
/// emitted up to the end or the error.
type Outcome = (Result<Trailers, SigError>, Vec<u8>);

fn decode(config: &DecoderConfig, mut wire: &[u8], lengths: &mut dyn Iterator<Item = usize>) -> Outcome {
    let mut decoder = AwsChunkedDecoder::new(config.clone());
    let mut out = Vec::new();
    let total = wire.len();
    while !wire.is_empty() {
        let n = lengths.next().unwrap_or(wire.len()).min(wire.len());
        let (piece, rest) = wire.split_at(n);
        wire = rest;
        let pushed = decoder.push(piece, &mut out);
        check!(
            out.len() <= total,
            "{} bytes of data out of a {total}-byte body",
            out.len()
        );
        check!(
            decoder.decoded_len() == out.len() as u64,
            "decoded_len {} but {} bytes emitted",
            decoder.decoded_len(),
            out.len()
        );
        if let Err(e) = pushed {
            check!(
                decoder.push(b"", &mut out).is_err(),
                "a failed decoder accepted more input"
            );
            return (Err(e), out);
        }
    }
    (decoder.finish(), out)
}

/// Piece lengths from a seed (xorshift32): mostly short pieces, so that boundaries
/// fall inside size lines, signatures, CRLFs and trailers; sometimes empty ones.
struct PieceLengths(u32);

impl PieceLengths {
    fn next_len(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        match self.0 % 16 {
            0 => 0,
            1..=11 => (self.0 >> 8) as usize % 8 + 1,
            _ => (self.0 >> 8) as usize % 512 + 1,
        }
    }
}
