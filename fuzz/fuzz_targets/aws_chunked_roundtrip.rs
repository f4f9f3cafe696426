//! aws-chunked encodings built from structured input: chunk sizes, trailers, payload
//! mode, hex case and how the body is split on arrival. The encoder signs chunks and
//! the trailer section the way the S3 docs describe (seed signature, chained chunk
//! signatures, `x-amz-trailer-signature` over the sorted canonical trailers).
//!
//! Properties: a valid encoding decodes, in the chosen pieces, to exactly the payload
//! and the trailers; a signed stream whose data chunk before the last is under 8 KiB is
//! refused with `ChunkTooSmall` naming that chunk; with one byte changed the decoder
//! neither panics nor hangs and answers the same in pieces as whole.

#![no_main]

use arbitrary::Arbitrary;
use emulator::sigv4::{
    sha256_hex, AwsChunkedDecoder, ChunkSigning, CredentialScope, DecoderConfig, SigError, SigningKey,
    StringToSign, Trailers,
};
use fuzz::check;
use libfuzzer_sys::fuzz_target;

/// Every signed chunk but the last carries at least this many bytes.
const MIN_SIGNED_CHUNK: usize = 8192;
/// At most this many data chunks, to keep one run short.
const MAX_CHUNKS: usize = 6;

#[derive(Debug, Clone, Copy, Arbitrary)]
enum Mode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    SignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    UnsignedTrailer,
}

#[derive(Debug, Clone, Copy, Arbitrary)]
enum TrailerName {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
    /// `x-amz-meta-<n>`.
    Meta(u8),
}

impl TrailerName {
    fn as_string(self) -> String {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32".to_owned(),
            Self::Crc32c => "x-amz-checksum-crc32c".to_owned(),
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme".to_owned(),
            Self::Sha1 => "x-amz-checksum-sha1".to_owned(),
            Self::Sha256 => "x-amz-checksum-sha256".to_owned(),
            Self::Meta(n) => format!("x-amz-meta-{n}"),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    mode: Mode,
    /// Data chunk lengths; a zero becomes one (a zero-length chunk ends the stream).
    chunks: Vec<u16>,
    /// The byte the payload's pattern starts from.
    fill: u8,
    trailers: Vec<(TrailerName, String)>,
    /// Write the trailer names in upper case (the decoder lowercases them).
    shout_names: bool,
    uppercase_hex: bool,
    send_decoded_length: bool,
    /// The lengths of the pieces the body arrives in, cycled; empty: all at once.
    pieces: Vec<u16>,
    /// Change one byte: (position, xor mask).
    mutation: Option<(u32, u8)>,
}

fuzz_target!(|input: Input| {
    let scope = CredentialScope::new("20130524", "us-east-1", "s3");
    let signing = ChunkSigning {
        key: SigningKey::derive(fuzz::DOC_SECRET, &scope),
        amz_date: "20130524T000000Z".into(),
        scope,
        seed_signature: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".to_owned(),
    };
    let signed = !matches!(input.mode, Mode::UnsignedTrailer);
    let with_trailers = !matches!(input.mode, Mode::Signed);

    let lengths: Vec<usize> = input
        .chunks
        .iter()
        .take(MAX_CHUNKS)
        .map(|&n| usize::from(n).max(1))
        .collect();
    let payload: Vec<u8> = (0..lengths.iter().sum::<usize>())
        .map(|i| input.fill.wrapping_add(i as u8))
        .collect();
    // Distinct names, values the decoder keeps as they are (no CR/LF, trimmed).
    let mut trailers: Vec<(String, String)> = Vec::new();
    if with_trailers {
        for (name, value) in &input.trailers {
            let name = name.as_string();
            let value: String = value.chars().filter(|c| !c.is_control()).collect();
            let value = value.trim().to_owned();
            if !trailers.iter().any(|(n, _)| *n == name) {
                trailers.push((name, value));
            }
        }
    }

    let wire = encode(&input, &lengths, &payload, &trailers, signed.then_some(&signing));
    let config = DecoderConfig {
        signing: signed.then(|| std::sync::Arc::new(signing.clone())),
        trailers: with_trailers,
        declared_trailers: trailers.iter().map(|(n, _)| n.clone()).collect(),
        decoded_length: input.send_decoded_length.then_some(payload.len() as u64),
    };

    let (result, out) = decode(&config, &wire, &input.pieces);
    let too_small = lengths
        .iter()
        .enumerate()
        .take(lengths.len().saturating_sub(1))
        .find(|(_, &n)| n < MIN_SIGNED_CHUNK)
        .filter(|_| signed);
    match (too_small, &result) {
        (Some((index, &size)), Err(SigError::ChunkTooSmall { index: i, size: s }))
            if *i == index as u64 && *s == size as u64 => {}
        (Some((index, size)), _) => fuzz::fail(format_args!(
            "chunk {index} of {size} bytes before the last was not refused: {result:?}"
        )),
        (None, Ok(got)) => {
            check!(out == payload, "decoded data differs from the payload");
            check!(
                got.0 == trailers,
                "trailers differ: sent {trailers:?}, decoded {:?}",
                got.0
            );
        }
        (None, Err(e)) => fuzz::fail(format_args!("a valid encoding was refused: {e:?}")),
    }

    if let Some((at, mask)) = input.mutation {
        let mut bent = wire.clone();
        if let Some(b) = bent.get_mut(at as usize % wire.len().max(1)) {
            *b ^= mask.max(1);
        }
        let whole = decode(&config, &bent, &[]);
        let pieces = decode(&config, &bent, &input.pieces);
        check!(
            whole == pieces,
            "a changed body decodes differently in pieces:\nwhole:  {whole:?}\npieces: {pieces:?}"
        );
    }
});

fn encode(
    input: &Input,
    lengths: &[usize],
    payload: &[u8],
    trailers: &[(String, String)],
    signing: Option<&ChunkSigning>,
) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut previous = signing.map(|s| s.seed_signature.clone()).unwrap_or_default();
    let mut rest = payload;
    let hex = |n: usize| {
        if input.uppercase_hex {
            format!("{n:X}")
        } else {
            format!("{n:x}")
        }
    };
    for &n in lengths.iter().chain(std::iter::once(&0)) {
        let (data, tail) = rest.split_at(n.min(rest.len()));
        rest = tail;
        wire.extend_from_slice(hex(n).as_bytes());
        if let Some(s) = signing {
            let sts = StringToSign::chunk(&s.amz_date, &s.scope, &previous, &sha256_hex(data));
            previous = s.key.sign(sts.to_string().as_bytes());
            wire.extend_from_slice(format!(";chunk-signature={previous}").as_bytes());
        }
        wire.extend_from_slice(b"\r\n");
        if n > 0 {
            wire.extend_from_slice(data);
            wire.extend_from_slice(b"\r\n");
        }
    }
    let with_trailers = !matches!(input.mode, Mode::Signed);
    if with_trailers {
        for (name, value) in trailers {
            let name = if input.shout_names {
                name.to_ascii_uppercase()
            } else {
                name.clone()
            };
            wire.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
        }
        if let Some(s) = signing {
            let mut sorted: Vec<&(String, String)> = trailers.iter().collect();
            sorted.sort();
            let canonical: String = sorted.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
            let sts = StringToSign::trailer(
                &s.amz_date,
                &s.scope,
                &previous,
                &sha256_hex(canonical.as_bytes()),
            );
            let signature = s.key.sign(sts.to_string().as_bytes());
            wire.extend_from_slice(format!("x-amz-trailer-signature:{signature}\r\n").as_bytes());
        }
    }
    wire.extend_from_slice(b"\r\n");
    wire
}

fn decode(config: &DecoderConfig, mut wire: &[u8], pieces: &[u16]) -> (Result<Trailers, SigError>, Vec<u8>) {
    let mut decoder = AwsChunkedDecoder::new(config.clone());
    let mut out = Vec::new();
    // Empty pieces are pushed too, but only between pieces that make progress.
    let pieces: &[u16] = if pieces.iter().all(|&n| n == 0) {
        &[]
    } else {
        pieces
    };
    let mut lengths = pieces.iter().map(|&n| usize::from(n)).cycle();
    while !wire.is_empty() {
        let n = lengths.next().unwrap_or(wire.len()).min(wire.len());
        let (piece, rest) = wire.split_at(n);
        wire = rest;
        if let Err(e) = decoder.push(piece, &mut out) {
            return (Err(e), out);
        }
    }
    (decoder.finish(), out)
}
