//! Web identity tokens: the identity providers' signing keys (a keyring the
//! emulator keeps across world changes), minting tokens as a provider would, and
//! verifying them as STS does for `AssumeRoleWithWebIdentity`.
//!
//! Key generation and signing are aws-lc-rs's; verification, header and claim
//! decoding are the `jsonwebtoken` crate's (on the same aws-lc-rs). What is the
//! emulator's own is STS's order of checks and its errors:
//!
//! | check (in this order; the order is inferred)   | error (400)                                                   |
//! |------------------------------------------------|---------------------------------------------------------------|
//! | a JWT with a JSON header and an `iss` claim    | InvalidIdentityToken, the API reference's text                |
//! | a provider for `iss` in the role's account     | InvalidIdentityToken `No OpenIDConnect provider found in your account for <iss>` (observed) |
//! | the header's `kid` among the provider's keys   | InvalidIdentityToken `Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements` (observed, two spaces: aws/aws-sdk-js-v3#3052) |
//! | the signature, with the key's algorithm        | InvalidIdentityToken, the API reference's text                |
//! | `exp` after now (the injected clock)           | ExpiredTokenException `Token expired: current date/time <now> must be before the expiration date/time <exp>` (observed: aws/aws-sdk-java-v2#5709) |
//! | `nbf` not after now                            | InvalidIdentityToken, the API reference's text (inferred)     |
//! | `aud` on the client-ID list (registered providers) | InvalidIdentityToken `Incorrect token audience` (observed) |
//!
//! No leeway is given on `exp` (none is documented). IDPRejectedClaim (STS refusing
//! a token's claims) has no documented OIDC trigger and is not modelled.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair as _};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::api_error;
use crate::error::{ApiError, ApiResult};
use crate::world::oidc::{OidcAlg, OidcProvider};
use crate::world::World;

/// One provider key pair.
enum KeyPair {
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ec(signature::EcdsaKeyPair),
}

impl KeyPair {
    fn generate(alg: OidcAlg) -> Result<Self, String> {
        match alg {
            OidcAlg::Rs256 => aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map(Self::Rsa)
                .map_err(|e| format!("RSA key generation: {e}")),
            OidcAlg::Es256 => signature::EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                .map(Self::Ec)
                .map_err(|e| format!("EC key generation: {e}")),
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let rng = SystemRandom::new();
        match self {
            Self::Rsa(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(|e| format!("RSA signing: {e}"))?;
                Ok(sig)
            }
            Self::Ec(k) => k
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| format!("EC signing: {e}")),
        }
    }

    /// The public key as `jsonwebtoken` reads a JWK's components.
    fn decoding_key(&self) -> Result<jsonwebtoken::DecodingKey, String> {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        match self {
            Self::Rsa(k) => {
                let public = k.public_key();
                jsonwebtoken::DecodingKey::from_rsa_components(
                    &b64(public.modulus().big_endian_without_leading_zero()),
                    &b64(public.exponent().big_endian_without_leading_zero()),
                )
            }
            Self::Ec(k) => {
                // An uncompressed P-256 point: 0x04, then x and y, 32 bytes each.
                let point = k.public_key().as_ref();
                let (x, y) = point
                    .get(1..)
                    .unwrap_or_default()
                    .split_at(point.len().saturating_sub(1) / 2);
                jsonwebtoken::DecodingKey::from_ec_components(&b64(x), &b64(y))
            }
        }
        .map_err(|e| format!("public key: {e}"))
    }
}

/// The identity providers' key pairs, by issuer, key id and algorithm; generated
/// on first use and kept for the emulator's life.
#[derive(Default)]
pub struct Keyring {
    keys: Mutex<HashMap<(String, String, OidcAlg), Arc<KeyPair>>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.keys.lock().map_or(0, |k| k.len());
        write!(f, "Keyring({n} keys)")
    }
}

impl Keyring {
    fn get(&self, issuer: &str, kid: &str, alg: OidcAlg) -> Result<Arc<KeyPair>, String> {
        let mut keys = self
            .keys
            .lock()
            .map_err(|_| "keyring lock poisoned".to_string())?;
        let id = (issuer.to_string(), kid.to_string(), alg);
        if let Some(k) = keys.get(&id) {
            return Ok(Arc::clone(k));
        }
        let k = Arc::new(KeyPair::generate(alg)?);
        keys.insert(id, Arc::clone(&k));
        Ok(k)
    }

    /// A token from `provider`, signed with its key `kid` (its first key when
    /// `None`; a key id it does not publish signs with a key STS cannot fetch, as
    /// after a rotation). `iss` defaults to `https://<issuer>`, `iat` to `now` and
    /// `exp` to an hour later; every other claim is the caller's.
    pub fn mint(
        &self,
        provider: &OidcProvider,
        kid: Option<&str>,
        mut claims: Map<String, Value>,
        now: OffsetDateTime,
    ) -> Result<String, String> {
        let (kid, alg) = match kid {
            Some(kid) => (
                kid.to_string(),
                provider.key(kid).map_or(OidcAlg::Rs256, |k| k.alg),
            ),
            None => {
                let first = provider
                    .keys
                    .first()
                    .ok_or_else(|| format!("provider `{}` publishes no key", provider.issuer))?;
                (first.kid.clone(), first.alg)
            }
        };
        claims
            .entry("iss")
            .or_insert_with(|| Value::from(format!("https://{}", provider.issuer)));
        claims
            .entry("iat")
            .or_insert_with(|| Value::from(now.unix_timestamp()));
        claims
            .entry("exp")
            .or_insert_with(|| Value::from(now.unix_timestamp() + 3600));
        let header = serde_json::json!({ "alg": alg.name(), "kid": kid, "typ": "JWT" });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string())
        );
        let key = self.get(&provider.issuer, &kid, alg)?;
        let sig = key.sign(signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

/// A token STS accepted: its provider and the claims trust policies can test.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedToken {
    pub provider: OidcProvider,
    /// `iss` as sent (the response's `Provider`).
    pub iss: String,
    pub sub: Option<String>,
    /// The value of `<issuer>:aud`: Google's `azp` when present, else `aud` (for a
    /// registered provider, the audience on its client-ID list).
    pub aud: Option<String>,
    /// Google's `aud` when the token also has `azp` (`accounts.google.com:oaud`).
    pub oaud: Option<String>,
    /// `amr` (Cognito), for `<issuer>:amr`.
    pub amr: Vec<String>,
}

impl VerifiedToken {
    /// The provider-specific condition keys (IAM user guide, "Available keys for AWS
    /// OIDC federation"), each with its values.
    pub(crate) fn condition_keys(&self) -> Vec<(String, Vec<String>)> {
        let p = &self.provider.issuer;
        let mut keys = Vec::new();
        if let Some(sub) = &self.sub {
            keys.push((format!("{p}:sub"), vec![sub.clone()]));
        }
        if let Some(aud) = &self.aud {
            keys.push((format!("{p}:aud"), vec![aud.clone()]));
        }
        if let Some(oaud) = &self.oaud {
            keys.push((format!("{p}:oaud"), vec![oaud.clone()]));
        }
        if !self.amr.is_empty() {
            keys.push((format!("{p}:amr"), self.amr.clone()));
        }
        keys
    }
}

fn invalid(note: impl Into<String>) -> ApiError {
    api_error!(InvalidIdentityToken).note(note.into())
}

/// `aud` as a list (a string or an array of strings).
fn audiences(claims: &Map<String, Value>) -> Vec<String> {
    match claims.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn string_claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims.get(name).and_then(Value::as_str).map(str::to_string)
}

/// A NumericDate claim (seconds, an integer or a fraction).
fn seconds_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, ApiError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().map(|f| f.floor() as i64))
            .map(Some)
            .ok_or_else(|| invalid(format!("claim `{name}` is not a number of seconds"))),
    }
}

/// Verify `token` for a role in `account`, at `now`, in STS's order.
pub(crate) fn verify(
    keyring: &Keyring,
    world: &World,
    token: &str,
    account: &str,
    now: OffsetDateTime,
) -> ApiResult<VerifiedToken> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| invalid(format!("not a JWT: {e}")))?;
    let unverified = jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token)
        .map_err(|e| invalid(format!("the claims are not a JSON object: {e}")))?
        .claims;
    let iss = string_claim(&unverified, "iss").ok_or_else(|| invalid("the token has no `iss` claim"))?;
    let Some(provider) = world.oidc_provider(&iss, account) else {
        return Err(api_error!(
            InvalidIdentityToken,
            "No OpenIDConnect provider found in your account for {}",
            iss
        )
        .note(format!(
            "no [[oidc_providers]] entry for issuer `{}` in account {account} (IAM CreateOpenIDConnectProvider)",
            crate::world::oidc::issuer_of(&iss)
        )));
    };
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| provider.key(kid))
        .ok_or_else(|| {
            api_error!(
                InvalidIdentityToken,
                "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
            )
            .note(format!(
                "the token's key id {:?} is not among the keys `{}` publishes",
                header.kid,
                provider.issuer
            ))
        })?;
    let pair = keyring
        .get(&provider.issuer, &key.kid, key.alg)
        .map_err(|e| api_error!(InternalFailure).note(e))?;
    let decoding = pair
        .decoding_key()
        .map_err(|e| api_error!(InternalFailure).note(e))?;
    let alg = match key.alg {
        OidcAlg::Rs256 => jsonwebtoken::Algorithm::RS256,
        OidcAlg::Es256 => jsonwebtoken::Algorithm::ES256,
    };
    // Signature and algorithm only: times are checked below on the emulator's clock.
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    if jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none() {
        return Err(api_error!(InternalFailure).note("no JWT crypto provider (a build misconfiguration)"));
    }
    let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &decoding, &validation)
        .map_err(|e| invalid(format!("signature: {e}")))?
        .claims;
    let t = now.unix_timestamp();
    let exp = seconds_claim(&claims, "exp")?.ok_or_else(|| invalid("the token has no `exp` claim"))?;
    if t >= exp {
        return Err(api_error!(
            ExpiredTokenException,
            "Token expired: current date/time {} must be before the expiration date/time {}",
            t,
            exp
        ));
    }
    if let Some(nbf) = seconds_claim(&claims, "nbf")? {
        if nbf > t {
            return Err(invalid(format!("the token is not valid before {nbf} (now {t})")));
        }
    }
    let auds = audiences(&claims);
    let (aud, oaud) = if provider.is_google() {
        // `aud` is `azp` when the token has one, and `oaud` its `aud` then ("Available
        // keys for AWS OIDC federation"): a service account's token carries both.
        match string_claim(&claims, "azp") {
            Some(azp) => (Some(azp), auds.first().cloned()),
            None => (auds.first().cloned(), None),
        }
    } else if provider.account.is_some() {
        let Some(matched) = auds.iter().find(|a| provider.client_ids.contains(a)) else {
            return Err(
                api_error!(InvalidIdentityToken, "Incorrect token audience").note(format!(
                    "the token's audience {auds:?} is not on the provider's client-ID list {:?}",
                    provider.client_ids
                )),
            );
        };
        (Some(matched.clone()), None)
    } else {
        (auds.first().cloned(), None)
    };
    let amr = match claims.get("amr") {
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    Ok(VerifiedToken {
        provider: provider.clone(),
        iss,
        sub: string_claim(&claims, "sub"),
        aud,
        oaud,
        amr,
    })
}
