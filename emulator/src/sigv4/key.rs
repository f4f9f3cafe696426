//! The SigV4 signing key and the HMAC/SHA-256 primitives around it.
//!
//! Signatures are compared with [`hmac::Mac::verify_slice`], which is constant-time;
//! nothing in this module compares a MAC with `==`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::canonical::CredentialScope;

type HmacSha256 = Hmac<Sha256>;

/// Lowercase hex SHA-256 of the empty string, the "previous chunk" hash every chunk
/// string to sign carries.
pub(crate) const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A fresh HMAC-SHA256 keyed with `key`.
#[expect(
    clippy::expect_used,
    reason = "HMAC accepts keys of any length; `new_from_slice` cannot fail"
)]
fn mac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// `HMAC-SHA256(key, msg)`.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut m = mac(key);
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_lower(&Sha256::digest(bytes))
}

/// Lowercase hex of `bytes`, two digits a byte written into one buffer: every
/// SigV4 request hex-encodes its canonical request's hash, and
/// `hex::encode_to_slice`'s per-byte checks cost twice as much.
pub fn hex_lower(bytes: &[u8]) -> String {
    fn digit(n: u8) -> u8 {
        if n < 10 {
            b'0' + n
        } else {
            b'a' + n - 10
        }
    }
    let mut out = vec![0u8; bytes.len() * 2];
    let (pairs, _) = out.as_chunks_mut::<2>();
    for (pair, b) in pairs.iter_mut().zip(bytes) {
        *pair = [digit(b >> 4), digit(b & 0xf)];
    }
    // Every byte written is an ASCII digit or letter.
    String::from_utf8(out).unwrap_or_default()
}

/// The 32 bytes written as exactly 64 lowercase hex digits (a SHA-256 or a
/// SigV4 signature as signers send them), checked and decoded in one pass; any
/// other text is `None`. The `hex` crate's decoder, after a separate check for
/// lowercase, cost a request about 1,700 instructions for its two 64-digit values.
pub(crate) fn lower_hex_32(text: &str) -> Option<[u8; 32]> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let (pairs, rest) = text.as_bytes().as_chunks::<2>();
    if pairs.len() != 32 || !rest.is_empty() {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, &[high, low]) in out.iter_mut().zip(pairs) {
        *byte = nibble(high)? << 4 | nibble(low)?;
    }
    Some(out)
}

/// The derived key `kSigning` for one credential scope (one day, region and service).
///
/// ```text
/// kSecret  = your secret access key
/// kDate    = HMAC("AWS4" + kSecret, Date)        Date = yyyymmdd from the scope
/// kRegion  = HMAC(kDate, Region)
/// kService = HMAC(kRegion, Service)
/// kSigning = HMAC(kService, "aws4_request")
/// signature = hex(HMAC(kSigning, StringToSign))
/// ```
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>)
///
/// `Debug` never prints the key. Beside the key it keeps the HMAC already keyed with
/// it: keying hashes the inner and outer pads (two SHA-256 compressions), which every
/// signature check would otherwise repeat (three times for a 1 KiB aws-chunked PUT).
#[derive(Clone)]
pub struct SigningKey {
    key: [u8; 32],
    keyed: HmacSha256,
}

impl SigningKey {
    /// Derive `kSigning` from the secret access key and the credential scope.
    pub fn derive(secret_access_key: &str, scope: &CredentialScope) -> Self {
        let mut k_secret = Vec::with_capacity(4 + secret_access_key.len());
        k_secret.extend_from_slice(b"AWS4");
        k_secret.extend_from_slice(secret_access_key.as_bytes());
        let k_date = hmac_sha256(&k_secret, scope.date.as_bytes());
        let k_region = hmac_sha256(&k_date, scope.region.as_bytes());
        let k_service = hmac_sha256(&k_region, scope.service.as_bytes());
        let key = hmac_sha256(&k_service, b"aws4_request");
        Self {
            key,
            keyed: mac(&key),
        }
    }

    /// The key bytes as lowercase hex (the S3 doc example key for `20130524/us-east-1/s3` is
    /// `dbb893ac…`); for tests and vectors, never for logs.
    pub fn to_hex(&self) -> String {
        hex_lower(&self.key)
    }

    /// `hex(HMAC(kSigning, string_to_sign))`.
    pub fn sign(&self, string_to_sign: &[u8]) -> String {
        let mut m = self.keyed.clone();
        m.update(string_to_sign);
        hex_lower(&m.finalize().into_bytes())
    }

    /// Whether `provided` is the lowercase hex signature of `string_to_sign`, compared in
    /// constant time. Signers emit lowercase hex ([S3-AUTH]); anything else does not match.
    pub fn verify(&self, string_to_sign: &[u8], provided: &str) -> bool {
        let Some(bytes) = lower_hex_32(provided) else {
            return false;
        };
        let mut m = self.keyed.clone();
        m.update(string_to_sign);
        m.verify_slice(&bytes).is_ok()
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(** redacted **)")
    }
}

/// Verify a SigV2 signature: `provided` is base64 of `HMAC-SHA1(secret, string_to_sign)`,
/// compared in constant time.
pub(crate) fn verify_v2(secret_access_key: &str, string_to_sign: &[u8], provided: &str) -> bool {
    use base64::Engine as _;
    let Ok(provided) = base64::engine::general_purpose::STANDARD.decode(provided) else {
        return false;
    };
    let mut m = v2_mac(secret_access_key);
    m.update(string_to_sign);
    m.verify_slice(&provided).is_ok()
}

/// base64 of `HMAC-SHA1(secret, string_to_sign)`: what a SigV2 signer sends.
pub fn sign_v2(secret_access_key: &str, string_to_sign: &[u8]) -> String {
    use base64::Engine as _;
    let mut m = v2_mac(secret_access_key);
    m.update(string_to_sign);
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

#[expect(
    clippy::expect_used,
    reason = "HMAC accepts keys of any length; `new_from_slice` cannot fail"
)]
fn v2_mac(secret_access_key: &str) -> Hmac<sha1::Sha1> {
    Hmac::<sha1::Sha1>::new_from_slice(secret_access_key.as_bytes()).expect("HMAC accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_hex_32_reads_64_lowercase_digits_only() {
        let digest: Vec<u8> = (0..32).map(|i| i * 7 + 3).collect();
        let text = hex::encode(&digest);
        assert_eq!(lower_hex_32(&text).map(Vec::from), Some(digest));
        assert_eq!(lower_hex_32(&"0".repeat(64)), Some([0; 32]));
        assert_eq!(lower_hex_32(&"f".repeat(64)), Some([0xff; 32]));
        for bad in [
            text.to_uppercase(),
            text[..63].to_string(),
            format!("{text}0"),
            text[..62].to_string(),
            format!("{}g", &text[..63]),
            format!("{} ", &text[..63]),
            String::new(),
            "é".repeat(32),
        ] {
            assert_eq!(lower_hex_32(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hex_lower_is_the_hex_crate_s_lowercase() {
        for bytes in [
            &[][..],
            &[0x00],
            &[0xff, 0x0a, 0xb7],
            &[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
        ] {
            assert_eq!(hex_lower(bytes), hex::encode(bytes));
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(hex_lower(&all), hex::encode(&all));
    }

    #[test]
    fn doc_example_signing_key() {
        // S3 API Reference, sig-v4-header-based-auth: the key for 20130524/us-east-1/s3.
        let scope = CredentialScope::new("20130524", "us-east-1", "s3");
        let key = SigningKey::derive("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &scope);
        assert_eq!(
            key.to_hex(),
            "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378"
        );
        assert_eq!(format!("{key:?}"), "SigningKey(** redacted **)");
    }

    #[test]
    fn verify_accepts_only_the_signature() {
        let key = SigningKey::derive("secret", &CredentialScope::new("20240101", "us-east-1", "s3"));
        let sig = key.sign(b"hello");
        assert!(key.verify(b"hello", &sig));
        assert!(!key.verify(b"hello", &sig.to_uppercase()));
        assert!(!key.verify(b"hellO", &sig));
        assert!(!key.verify(b"hello", &sig[..62]));
        assert!(!key.verify(b"hello", "zz"));
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }

    #[test]
    fn v2_round_trip() {
        let sig = sign_v2("secret", b"GET\n\n\n1\n/b/k");
        assert!(verify_v2("secret", b"GET\n\n\n1\n/b/k", &sig));
        assert!(!verify_v2("secret", b"GET\n\n\n2\n/b/k", &sig));
        assert!(!verify_v2("secret", b"GET\n\n\n1\n/b/k", "not base64!"));
    }
}
