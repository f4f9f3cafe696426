//! Recompute a SigV4 signature and compare it, in constant time, with the one sent.

use super::canonical::{CanonicalInput, CanonicalRequest, StringToSign, UriRules};
use super::chunked::ChunkSigning;
use super::error::{SigError, SignatureMismatch};
use super::key::SigningKey;
use super::{AuthV4, Location, RequestHead, SigService};
use std::sync::Arc;

/// A request whose signature verified: what the body checker needs to verify
/// aws-chunked chunk and trailer signatures, which chain from the seed signature.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The access key id that signed.
    pub access_key_id: compact_str::CompactString,
    /// The scope, time, seed signature and key the chunk signatures chain from; shared
    /// with the body's decoder rather than copied into it.
    pub signing: Arc<ChunkSigning>,
}

impl AuthV4 {
    /// The canonical request of `head` under `rules`, with `payload_hash` as HashedPayload.
    /// Presigned requests leave `X-Amz-Signature` out of the canonical query.
    pub fn canonical_request<'a>(
        &'a self,
        head: &RequestHead<'a>,
        rules: UriRules,
        payload_hash: &'a str,
    ) -> Result<CanonicalRequest<'a>, SigError> {
        CanonicalRequest::build(&CanonicalInput {
            method: head.method,
            raw_path: head.raw_path,
            raw_query: head.raw_query,
            headers: head.headers,
            signed_headers: &self.signed_headers,
            payload_hash,
            rules,
            skip_param: (self.location == Location::Query).then_some("X-Amz-Signature"),
        })
    }

    /// The string to sign for `canonical`.
    pub fn string_to_sign(&self, canonical: &CanonicalRequest<'_>) -> StringToSign {
        StringToSign::request(&self.amz_date, &self.scope, canonical)
    }

    /// Rebuild the canonical request and string to sign, derive the key from
    /// `secret_access_key` and compare signatures in constant time.
    ///
    /// `payload_hash` is the HashedPayload: [`super::PayloadMode::canonical_value`] for S3,
    /// hex SHA-256 of the body for STS. The scope's own service and region feed the key;
    /// whether they are the right ones is [`AuthV4::check_scope`]'s job.
    pub fn verify(
        &self,
        head: &RequestHead<'_>,
        secret_access_key: &str,
        service: SigService,
        payload_hash: &str,
    ) -> Result<Verified, SigError> {
        self.verify_with_key(
            head,
            SigningKey::derive(secret_access_key, &self.scope),
            service,
            payload_hash,
        )
    }

    /// [`AuthV4::verify`] with `kSigning` already derived for this request's scope
    /// (a server may cache keys: deriving one costs four HMACs per request).
    pub fn verify_with_key(
        &self,
        head: &RequestHead<'_>,
        signing_key: SigningKey,
        service: SigService,
        payload_hash: &str,
    ) -> Result<Verified, SigError> {
        self.clone()
            .into_verified(head, signing_key, service, payload_hash)
    }

    /// [`AuthV4::verify_with_key`] for a server done with the parsed authorization:
    /// what the body checker needs moves into [`Verified`] rather than being copied
    /// (five allocations a request).
    pub fn into_verified(
        self,
        head: &RequestHead<'_>,
        signing_key: SigningKey,
        service: SigService,
        payload_hash: &str,
    ) -> Result<Verified, SigError> {
        self.check_signature(head, &signing_key, service, payload_hash)?;
        Ok(Verified {
            access_key_id: self.access_key_id,
            signing: Arc::new(ChunkSigning {
                key: signing_key,
                amz_date: self.amz_date,
                scope: self.scope,
                seed_signature: self.signature,
            }),
        })
    }

    /// Recompute the signature with `signing_key` and compare it in constant time.
    fn check_signature(
        &self,
        head: &RequestHead<'_>,
        signing_key: &SigningKey,
        service: SigService,
        payload_hash: &str,
    ) -> Result<(), SigError> {
        let canonical = self.canonical_request(head, service.uri_rules(), payload_hash)?;
        let string_to_sign = StringToSign::request_text(&self.amz_date, &self.scope, &canonical.sha256_hex());
        if signing_key.verify(string_to_sign.as_bytes(), &self.signature) {
            return Ok(());
        }
        let redacted = canonical.redacted();
        tracing::debug!(access_key_id = %self.access_key_id, canonical_request = %redacted, "sigv4 signature mismatch");
        Err(SigError::SignatureDoesNotMatch(Box::new(SignatureMismatch {
            access_key_id: self.access_key_id.to_string(),
            string_to_sign,
            signature_provided: self.signature.clone(),
            canonical_request: canonical.to_bytes(),
            redacted_canonical_request: redacted,
        })))
    }
}
