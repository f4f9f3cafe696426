//! HTTPS beside HTTP on one port: a certificate authority generated at start, a
//! server certificate it signs for the names clients use, and the first byte of
//! each connection deciding which protocol it speaks.
//!
//! Real clients default to HTTPS, and `aws:SecureTransport` is a condition key
//! customers write into bucket policies ("deny unless TLS"). With TLS on, the
//! emulator sets that key from the connection (`true` over HTTPS, `false` over
//! plain HTTP on the same port) instead of from the world file. The crypto is
//! rustls and rcgen on aws-lc-rs, the provider the AWS SDKs already use.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The first byte of a TLS connection: a handshake record (RFC 8446 §5.1,
/// `ContentType.handshake = 22`). No HTTP/1.1 request line starts with it.
pub(crate) const HANDSHAKE: u8 = 0x16;

/// A generated CA, the server certificate it signed, and the acceptor serving it.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    ca_pem: String,
    names: Vec<String>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// What went wrong generating the certificates or the TLS configuration.
#[derive(Debug)]
pub struct TlsError(String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TLS setup failed: {}", self.0)
    }
}

impl std::error::Error for TlsError {}

fn err(e: impl std::fmt::Display) -> TlsError {
    TlsError(e.to_string())
}

impl Tls {
    /// A fresh CA and a server certificate for `127.0.0.1`, `::1`, `localhost`,
    /// `*.localhost` and, for each of `suffixes` and `regions`, the S3 and STS
    /// endpoint names and their virtual-hosted buckets (`*.s3.eu-west-1.localhost`:
    /// a wildcard covers one label, so each regional endpoint is named).
    pub fn generate(suffixes: &[String], regions: &[String]) -> Result<Self, TlsError> {
        let names = server_names(suffixes, regions);
        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.distinguished_name
            .push(DnType::CommonName, "S3 emulator local CA (generated at start)");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;

        let leaf_key = KeyPair::generate().map_err(err)?;
        let mut leaf = CertificateParams::new(names.clone()).map_err(err)?;
        leaf.distinguished_name.push(DnType::CommonName, "localhost");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).map_err(err)?;

        let chain: Vec<CertificateDer<'static>> = vec![leaf_cert.der().clone(), ca_cert.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(err)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(err)?;
        // The server speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem: ca_cert.pem(),
            names,
        })
    }

    /// [`Tls::generate`] for the emulator's host suffixes and its world's regions.
    pub fn for_emulator(emulator: &crate::emulator::Emulator) -> Result<Self, TlsError> {
        let mut regions: Vec<String> = emulator
            .world()
            .buckets
            .iter()
            .map(|b| b.region.clone())
            .collect();
        regions.extend(["us-east-1".to_string(), "eu-west-1".to_string()]);
        regions.sort();
        regions.dedup();
        Self::generate(&emulator.config.host_suffixes, &regions)
    }

    /// The CA certificate, PEM: what clients trust (`AWS_CA_BUNDLE`, `--ca-bundle`,
    /// boto3's `verify=`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The names the server certificate covers.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

fn server_names(suffixes: &[String], regions: &[String]) -> Vec<String> {
    let mut names = vec![
        "127.0.0.1".to_string(),
        "::1".to_string(),
        "localhost".to_string(),
        "*.localhost".to_string(),
    ];
    // Never a real AWS domain: the CA's key lives only in this process, but a
    // certificate for `*.amazonaws.com` has no business existing at all.
    for suffix in suffixes.iter().filter(|s| !s.ends_with("amazonaws.com")) {
        names.push(suffix.clone());
        names.push(format!("*.{suffix}"));
        names.push(format!("*.s3.{suffix}"));
        for region in regions {
            for service in ["s3", "sts"] {
                names.push(format!("{service}.{region}.{suffix}"));
            }
            names.push(format!("*.s3.{region}.{suffix}"));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_regional_endpoints_and_their_buckets_once() {
        let names = server_names(
            &["localhost".to_string(), "amazonaws.com".to_string()],
            &["eu-west-1".to_string(), "eu-west-1".to_string()],
        );
        for want in [
            "127.0.0.1",
            "localhost",
            "*.localhost",
            "*.s3.localhost",
            "s3.eu-west-1.localhost",
            "sts.eu-west-1.localhost",
            "*.s3.eu-west-1.localhost",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("amazonaws")), "{names:?}");
        let unique: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
    }
}
