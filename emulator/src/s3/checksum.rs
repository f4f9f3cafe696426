//! Body digests: the ETag's MD5, SHA-256 for the admin API, and the
//! `x-amz-checksum-*` algorithms S3 accepts, all computed in one pass.

use base64::Engine as _;
use crc_fast::{CrcAlgorithm, Digest as Crc};
use md5::digest::core_api::{Buffer, FixedOutputCore as _, UpdateCore as _, VariableOutputCore as _};
use md5::Digest as _;

/// A flexible-checksum algorithm S3 supports on PutObject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// CRC-32 (ISO-HDLC, as zlib).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

/// Every algorithm, with its header name and the byte length of its digest.
pub const ALGORITHMS: &[(Algorithm, &str, &str, usize)] = &[
    (Algorithm::Crc32, "CRC32", "x-amz-checksum-crc32", 4),
    (Algorithm::Crc32c, "CRC32C", "x-amz-checksum-crc32c", 4),
    (Algorithm::Crc64Nvme, "CRC64NVME", "x-amz-checksum-crc64nvme", 8),
    (Algorithm::Sha1, "SHA1", "x-amz-checksum-sha1", 20),
    (Algorithm::Sha256, "SHA256", "x-amz-checksum-sha256", 32),
];

impl Algorithm {
    /// `CRC32`, `CRC32C`, …: the name in `x-amz-sdk-checksum-algorithm` and in messages.
    pub fn name(self) -> &'static str {
        ALGORITHMS
            .iter()
            .find(|(a, ..)| *a == self)
            .map_or("", |(_, n, ..)| n)
    }

    /// The header carrying this checksum.
    pub fn header(self) -> &'static str {
        ALGORITHMS
            .iter()
            .find(|(a, ..)| *a == self)
            .map_or("", |(_, _, h, _)| h)
    }

    /// [`Self::header`] as a `HeaderName`, for lookups on the request path.
    pub fn header_name(self) -> http::HeaderName {
        use crate::protocol::names;
        match self {
            Self::Crc32 => names::X_AMZ_CHECKSUM_CRC32,
            Self::Crc32c => names::X_AMZ_CHECKSUM_CRC32C,
            Self::Crc64Nvme => names::X_AMZ_CHECKSUM_CRC64NVME,
            Self::Sha1 => names::X_AMZ_CHECKSUM_SHA1,
            Self::Sha256 => names::X_AMZ_CHECKSUM_SHA256,
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        ALGORITHMS
            .iter()
            .find(|(a, ..)| *a == self)
            .map_or(0, |(.., l)| *l)
    }

    /// The algorithm a header names (`x-amz-checksum-crc32`), case-insensitively.
    pub fn from_header(name: &str) -> Option<Self> {
        ALGORITHMS
            .iter()
            .find(|(_, _, h, _)| h.eq_ignore_ascii_case(name))
            .map(|(a, ..)| *a)
    }

    /// The algorithm an `x-amz-sdk-checksum-algorithm` value names.
    pub fn from_name(name: &str) -> Option<Self> {
        ALGORITHMS
            .iter()
            .find(|(_, n, ..)| n.eq_ignore_ascii_case(name))
            .map(|(a, ..)| *a)
    }
}

/// Whether `value` is base64 of a digest of the right length for `alg`.
pub fn well_formed(alg: Algorithm, value: &str) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .is_ok_and(|b| b.len() == alg.digest_len())
}

/// Every digest of one body, updated chunk by chunk.
#[derive(Debug)]
pub struct Digests {
    md5_sha256: Md5Sha256,
    crc32: Option<Crc>,
    crc32c: Option<Crc>,
    crc64: Option<Crc>,
    sha1: Option<sha1::Sha1>,
}

/// The finished digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// MD5 of the body.
    pub md5: [u8; 16],
    /// SHA-256 of the body.
    pub sha256: [u8; 32],
    /// Requested flexible checksums, base64, by algorithm.
    pub checksums: Vec<(Algorithm, String)>,
}

impl Digests {
    /// Digests computing MD5, SHA-256 and the listed algorithms.
    pub fn new(algorithms: &[Algorithm]) -> Self {
        let want = |a| algorithms.contains(&a);
        Self {
            md5_sha256: Md5Sha256::new(),
            crc32: want(Algorithm::Crc32).then(|| Crc::new(CrcAlgorithm::Crc32IsoHdlc)),
            crc32c: want(Algorithm::Crc32c).then(|| Crc::new(CrcAlgorithm::Crc32Iscsi)),
            crc64: want(Algorithm::Crc64Nvme).then(|| Crc::new(CrcAlgorithm::Crc64Nvme)),
            sha1: want(Algorithm::Sha1).then(sha1::Sha1::new),
        }
    }

    /// Feed bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.md5_sha256.update(data);
        for c in [&mut self.crc32, &mut self.crc32c, &mut self.crc64]
            .into_iter()
            .flatten()
        {
            c.update(data);
        }
        if let Some(s) = &mut self.sha1 {
            sha1::Digest::update(s, data);
        }
    }

    /// Finish.
    pub fn finish(self) -> Finished {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let (md5, sha256) = self.md5_sha256.finish();
        let mut checksums = Vec::new();
        if let Some(c) = self.crc32 {
            checksums.push((Algorithm::Crc32, b64(&(c.finalize() as u32).to_be_bytes())));
        }
        if let Some(c) = self.crc32c {
            checksums.push((Algorithm::Crc32c, b64(&(c.finalize() as u32).to_be_bytes())));
        }
        if let Some(c) = self.crc64 {
            checksums.push((Algorithm::Crc64Nvme, b64(&c.finalize().to_be_bytes())));
        }
        if let Some(s) = self.sha1 {
            checksums.push((Algorithm::Sha1, b64(&sha1::Digest::finalize(s))));
        }
        checksums.push((Algorithm::Sha256, b64(&sha256)));
        Finished {
            md5,
            sha256,
            checksums,
        }
    }
}

/// MD5 and SHA-256 of one body, 64-byte block by block in turn. Each hash is a
/// chain of dependent steps (MD5 in software, SHA-256 on the CPU's SHA extensions
/// where it has them, else in software); alternating blocks gives the CPU the
/// other chain's work while one waits, so the pair costs little more than MD5
/// alone: 2.46 → 2.07 µs a KiB and 2.35 → 1.99 ms a MiB on this project's bench
/// machine (docs/perf-log.md). Both hashes use their crates' own block functions
/// and padding (the `digest` core API; MD5 and SHA-256 share the 64-byte block and
/// the eager buffer), so the bytes are `md5::Md5`'s and `sha2::Sha256`'s, which
/// the tests compare at every length around the block boundaries.
#[derive(Clone)]
struct Md5Sha256 {
    md5: md5::Md5Core,
    sha256: sha2::Sha256VarCore,
    /// The bytes of a block not yet complete.
    buffer: Buffer<md5::Md5Core>,
}

impl std::fmt::Debug for Md5Sha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Md5Sha256 { .. }")
    }
}

impl Md5Sha256 {
    fn new() -> Self {
        Self {
            md5: md5::Md5Core::default(),
            sha256: sha2::Sha256VarCore::new(32)
                .unwrap_or_else(|_| unreachable!("32 is SHA-256's output size")),
            buffer: Buffer::<md5::Md5Core>::default(),
        }
    }

    fn update(&mut self, data: &[u8]) {
        let Self { md5, sha256, buffer } = self;
        buffer.digest_blocks(data, |blocks| {
            for block in blocks {
                md5.update_blocks(std::slice::from_ref(block));
                sha256.update_blocks(std::slice::from_ref(block));
            }
        });
    }

    /// The MD5 and the SHA-256, each padded by its own crate.
    fn finish(mut self) -> ([u8; 16], [u8; 32]) {
        let mut md5 = Default::default();
        self.md5.finalize_fixed_core(&mut self.buffer.clone(), &mut md5);
        let mut sha256 = Default::default();
        self.sha256.finalize_variable_core(&mut self.buffer, &mut sha256);
        (md5.into(), sha256.into())
    }
}

impl Finished {
    /// The base64 checksum for `alg`, if it was computed.
    pub fn get(&self, alg: Algorithm) -> Option<&str> {
        self.checksums
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header names are written twice, as text in `ALGORITHMS` and as
    /// `HeaderName` constants for lookups: they must agree.
    #[test]
    fn header_names_are_the_table_s() {
        for (alg, ..) in ALGORITHMS {
            assert_eq!(alg.header_name().as_str(), alg.header());
        }
    }

    /// The interleaved pair gives `md5::Md5`'s and `sha2::Sha256`'s bytes at every
    /// length from 0 to three blocks and past, whole or fed in uneven pieces.
    #[test]
    fn md5_sha256_are_the_crates_hashes() {
        use sha2::Digest as _;
        let data: Vec<u8> = (0..300_u32).map(|i| (i.wrapping_mul(151) >> 3) as u8).collect();
        for len in (0..=200).chain([255, 256, 257, 300]) {
            let body = &data[..len];
            let want = (
                <[u8; 16]>::from(md5::Md5::digest(body)),
                <[u8; 32]>::from(sha2::Sha256::digest(body)),
            );
            let mut whole = Md5Sha256::new();
            whole.update(body);
            assert_eq!(whole.finish(), want, "whole, {len} bytes");
            for piece in [1, 7, 63, 64, 65] {
                let mut pieces = Md5Sha256::new();
                for chunk in body.chunks(piece) {
                    pieces.update(chunk);
                }
                pieces.update(&[]);
                assert_eq!(pieces.finish(), want, "{len} bytes in pieces of {piece}");
            }
        }
    }

    #[test]
    fn documented_values() {
        // sigv4.md §4.5: CRC32 of 66560 × 'a' = sK4Y7A==, CRC32C = sOO8/Q==.
        let mut d = Digests::new(&[Algorithm::Crc32, Algorithm::Crc32c]);
        d.update(&vec![b'a'; 66560]);
        let f = d.finish();
        assert_eq!(f.get(Algorithm::Crc32), Some("sK4Y7A=="));
        assert_eq!(f.get(Algorithm::Crc32c), Some("sOO8/Q=="));
    }

    #[test]
    fn wire_capture_body() {
        // MANIFEST.md: the 20-byte body's CRC32 is Hy7NkA== and its SHA-256 58c26b9b….
        let mut d = Digests::new(&[Algorithm::Crc32, Algorithm::Crc64Nvme, Algorithm::Sha1]);
        d.update(b"Hello, SigV4 world!\n");
        let f = d.finish();
        assert_eq!(f.get(Algorithm::Crc32), Some("Hy7NkA=="));
        assert_eq!(
            crate::sigv4::hex_lower(&f.sha256),
            "58c26b9b964eee6ab38bf4aac385d1b8e483ac58f54cad4a7bfaf9190041320f"
        );
        assert!(well_formed(
            Algorithm::Crc64Nvme,
            f.get(Algorithm::Crc64Nvme).unwrap()
        ));
        assert!(well_formed(Algorithm::Sha1, f.get(Algorithm::Sha1).unwrap()));
        assert!(!well_formed(Algorithm::Crc32, "AAAA"));
    }
}
