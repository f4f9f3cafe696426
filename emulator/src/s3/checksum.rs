//! Body digests: the ETag's MD5, SHA-256 for the admin API, and the
//! `x-amz-checksum-*` algorithms S3 accepts, all computed in one pass.

use base64::Engine as _;
use crc_fast::{CrcAlgorithm, Digest as Crc};
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
    md5_sha256: crate::util::Md5Sha256,
    /// The flexible checksums asked for, if any: boxed, because the three CRC
    /// states take 888 bytes that every PUT's future would otherwise carry (and
    /// move) while only requests naming a checksum use them.
    flexible: Option<Box<Flexible>>,
}

/// The digests of an object assembled from its parts (CompleteMultipartUpload):
/// SHA-256 and the algorithms asked for, but no MD5, which the assembled object
/// does not need (its ETag is the MD5 of the parts' MD5s). MD5 in software is
/// the slowest of the hashes here, about 0.6 GiB/s against SHA-256's 1.5 on the
/// CPU's SHA extensions, so leaving it out takes about two thirds off hashing a
/// large assembled object (docs/perf-log.md, "2026-12-07 (morning)").
#[derive(Debug)]
pub struct AssemblyDigests {
    sha256: sha2::Sha256,
    flexible: Option<Box<Flexible>>,
}

#[derive(Debug, Default)]
struct Flexible {
    crc32: Option<Crc>,
    crc32c: Option<Crc>,
    crc64: Option<Crc>,
    sha1: Option<sha1::Sha1>,
}

impl Flexible {
    /// The states for the listed algorithms; none when none is listed (SHA-256
    /// is always computed beside them).
    fn new(algorithms: &[Algorithm]) -> Option<Box<Self>> {
        let want = |a| algorithms.contains(&a);
        let flexible = Self {
            crc32: want(Algorithm::Crc32).then(|| Crc::new(CrcAlgorithm::Crc32IsoHdlc)),
            crc32c: want(Algorithm::Crc32c).then(|| Crc::new(CrcAlgorithm::Crc32Iscsi)),
            crc64: want(Algorithm::Crc64Nvme).then(|| Crc::new(CrcAlgorithm::Crc64Nvme)),
            sha1: want(Algorithm::Sha1).then(sha1::Sha1::new),
        };
        let any = flexible.crc32.is_some()
            || flexible.crc32c.is_some()
            || flexible.crc64.is_some()
            || flexible.sha1.is_some();
        any.then(|| Box::new(flexible))
    }

    fn update(this: &mut Option<Box<Self>>, data: &[u8]) {
        let Some(f) = this else { return };
        for c in [&mut f.crc32, &mut f.crc32c, &mut f.crc64].into_iter().flatten() {
            c.update(data);
        }
        if let Some(s) = &mut f.sha1 {
            sha1::Digest::update(s, data);
        }
    }

    fn finish(this: Option<Box<Self>>, sha256: [u8; 32]) -> Sums {
        let f = this.map(|b| *b).unwrap_or_default();
        Sums {
            sha256,
            // CRC-32 and CRC-32C are 32-bit values in a 64-bit result.
            crc32: f.crc32.map(|c| c.finalize() as u32),
            crc32c: f.crc32c.map(|c| c.finalize() as u32),
            crc64: f.crc64.map(|c| c.finalize()),
            sha1: f.sha1.map(|s| sha1::Digest::finalize(s).into()),
        }
    }
}

/// SHA-256 and the flexible checksums of one body, finished; rendered (base64)
/// when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sums {
    /// SHA-256 of the body.
    pub sha256: [u8; 32],
    crc32: Option<u32>,
    crc32c: Option<u32>,
    crc64: Option<u64>,
    sha1: Option<[u8; 20]>,
}

/// Every digest of one body, finished: its MD5 beside [`Sums`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// MD5 of the body.
    pub md5: [u8; 16],
    sums: Sums,
}

impl Digests {
    /// Digests computing MD5, SHA-256 and the listed algorithms.
    pub fn new(algorithms: &[Algorithm]) -> Self {
        Self {
            md5_sha256: crate::util::Md5Sha256::new(),
            flexible: Flexible::new(algorithms),
        }
    }

    /// Feed bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.md5_sha256.update(data);
        Flexible::update(&mut self.flexible, data);
    }

    /// Finish.
    pub fn finish(self) -> Finished {
        let (md5, sha256) = self.md5_sha256.finish();
        Finished {
            md5,
            sums: Flexible::finish(self.flexible, sha256),
        }
    }
}

impl AssemblyDigests {
    /// Digests computing SHA-256 and the listed algorithms.
    pub fn new(algorithms: &[Algorithm]) -> Self {
        Self {
            sha256: sha2::Sha256::new(),
            flexible: Flexible::new(algorithms),
        }
    }

    /// Feed bytes.
    pub fn update(&mut self, data: &[u8]) {
        sha2::Digest::update(&mut self.sha256, data);
        Flexible::update(&mut self.flexible, data);
    }

    /// Finish.
    pub fn finish(self) -> Sums {
        Flexible::finish(self.flexible, self.sha256.finalize().into())
    }
}

impl Sums {
    /// The base64 checksum for `alg`, if it was computed (SHA-256 always is).
    pub fn get(&self, alg: Algorithm) -> Option<String> {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        match alg {
            Algorithm::Crc32 => self.crc32.map(|c| b64(&c.to_be_bytes())),
            Algorithm::Crc32c => self.crc32c.map(|c| b64(&c.to_be_bytes())),
            Algorithm::Crc64Nvme => self.crc64.map(|c| b64(&c.to_be_bytes())),
            Algorithm::Sha1 => self.sha1.map(|s| b64(&s)),
            Algorithm::Sha256 => Some(b64(&self.sha256)),
        }
    }
}

impl Finished {
    /// SHA-256 of the body.
    pub fn sha256(&self) -> [u8; 32] {
        self.sums.sha256
    }

    /// The base64 checksum for `alg`, if it was computed (SHA-256 always is).
    pub fn get(&self, alg: Algorithm) -> Option<String> {
        self.sums.get(alg)
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

    #[test]
    fn documented_values() {
        // sigv4.md §4.5: CRC32 of 66560 × 'a' = sK4Y7A==, CRC32C = sOO8/Q==.
        let mut d = Digests::new(&[Algorithm::Crc32, Algorithm::Crc32c]);
        d.update(&vec![b'a'; 66560]);
        let f = d.finish();
        assert_eq!(f.get(Algorithm::Crc32).as_deref(), Some("sK4Y7A=="));
        assert_eq!(f.get(Algorithm::Crc32c).as_deref(), Some("sOO8/Q=="));
    }

    /// An assembled object's digests are the body's, less its MD5: the same
    /// SHA-256 and flexible checksums, fed whole or in pieces.
    #[test]
    fn assembly_digests_are_digests_without_md5() {
        let every: Vec<Algorithm> = ALGORITHMS.iter().map(|(a, ..)| *a).collect();
        let body: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut whole = Digests::new(&every);
        whole.update(&body);
        let whole = whole.finish();
        let mut assembled = AssemblyDigests::new(&every);
        body.chunks(4_099).for_each(|c| assembled.update(c));
        let assembled = assembled.finish();
        assert_eq!(assembled, whole.sums);
        assert_eq!(assembled.sha256, whole.sha256());
        for alg in every {
            assert!(assembled.get(alg).is_some(), "{alg:?}");
        }
        // Only what was asked for (SHA-256 always).
        let crc = AssemblyDigests::new(&[Algorithm::Crc32]).finish();
        assert!(crc.get(Algorithm::Crc32).is_some() && crc.get(Algorithm::Sha256).is_some());
        assert!(crc.get(Algorithm::Crc32c).is_none() && crc.get(Algorithm::Sha1).is_none());
    }

    #[test]
    fn wire_capture_body() {
        // MANIFEST.md: the 20-byte body's CRC32 is Hy7NkA== and its SHA-256 58c26b9b….
        let mut d = Digests::new(&[Algorithm::Crc32, Algorithm::Crc64Nvme, Algorithm::Sha1]);
        d.update(b"Hello, SigV4 world!\n");
        let f = d.finish();
        assert_eq!(f.get(Algorithm::Crc32).as_deref(), Some("Hy7NkA=="));
        assert_eq!(
            crate::sigv4::hex_lower(&f.sha256()),
            "58c26b9b964eee6ab38bf4aac385d1b8e483ac58f54cad4a7bfaf9190041320f"
        );
        assert!(well_formed(
            Algorithm::Crc64Nvme,
            &f.get(Algorithm::Crc64Nvme).unwrap()
        ));
        assert!(well_formed(Algorithm::Sha1, &f.get(Algorithm::Sha1).unwrap()));
        assert!(!well_formed(Algorithm::Crc32, "AAAA"));
    }
}
