//! OpenID Connect identity providers: the issuers whose ID tokens
//! `AssumeRoleWithWebIdentity` accepts, as a world declares them.
//!
//! A provider registered in an account (IAM `CreateOpenIDConnectProvider`) has an
//! ARN, `arn:aws:iam::ACCOUNT:oidc-provider/<issuer without https://>`, which trust
//! policies name as their `Federated` principal, and a client-ID list the token's
//! `aud` must be on. A few issuers need no registration: "you don't need to create
//! an IAM OIDC identity provider" for Google, Amazon Cognito, Facebook and Login with
//! Amazon (IAM user guide, "Create a role for web identity or OIDC"); their trust
//! policies name the bare host (`"Federated": "accounts.google.com"`). Facebook and
//! Login with Amazon issue OAuth access tokens, not JWTs, so only Google and Cognito
//! are built in here.
//!
//! The keys are named, not stored: a world says which key ids (and algorithms) the
//! provider publishes; the emulator's keyring ([`crate::oidc`]) holds the key pairs,
//! so a world edit does not invalidate tokens already minted.

use toml::Spanned;

use super::file::{OidcKeyFile, OidcProviderFile};
use super::Builder;
use crate::world::FileError;

/// Issuers AWS knows without an IAM OIDC provider in the account.
pub const BUILT_IN_ISSUERS: &[&str] = &["accounts.google.com", "cognito-identity.amazonaws.com"];

/// A JWS algorithm a provider signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OidcAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Google, GitHub Actions, EKS).
    Rs256,
    /// ECDSA P-256 with SHA-256.
    Es256,
}

impl OidcAlg {
    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }
}

/// A key the provider publishes in its JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcKey {
    /// `kid`.
    pub kid: String,
    /// `alg`.
    pub alg: OidcAlg,
}

/// An OIDC identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// The account it is registered in; `None` for a built-in issuer.
    pub account: Option<String>,
    /// The issuer without its scheme (`token.actions.githubusercontent.com`,
    /// `oidc.eks.us-east-1.amazonaws.com/id/ABC`): the condition-key prefix.
    pub issuer: String,
    /// The client-ID list (audiences) a registered provider accepts.
    pub client_ids: Vec<String>,
    /// The keys it publishes.
    pub keys: Vec<OidcKey>,
}

impl OidcProvider {
    /// The provider's ARN, for a registered provider.
    pub fn arn(&self) -> Option<String> {
        self.account
            .as_ref()
            .map(|a| format!("arn:aws:iam::{a}:oidc-provider/{}", self.issuer))
    }

    /// The `Federated` principal trust policies name: the ARN, or the bare issuer
    /// for a built-in one (also `aws:FederatedProvider`).
    pub fn principal(&self) -> String {
        self.arn().unwrap_or_else(|| self.issuer.clone())
    }

    /// Whether this is Google, whose `aud` and `azp` claims map to condition keys
    /// differently (IAM user guide, "Available keys for AWS OIDC federation").
    pub fn is_google(&self) -> bool {
        self.issuer == "accounts.google.com"
    }

    /// The key `kid` names.
    pub fn key(&self, kid: &str) -> Option<&OidcKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

/// An issuer as a token's `iss` claim or a world's `url` gives it, without the
/// `https://` scheme (Google's tokens have carried both forms).
pub fn issuer_of(iss: &str) -> &str {
    iss.strip_prefix("https://").unwrap_or(iss)
}

impl super::World {
    /// The provider for a token's `iss` that a role in `account` can trust: one
    /// registered in that account, or a built-in issuer.
    pub fn oidc_provider(&self, iss: &str, account: &str) -> Option<&OidcProvider> {
        let issuer = issuer_of(iss);
        self.oidc_providers
            .iter()
            .filter(|p| p.issuer == issuer)
            .find(|p| p.account.as_deref().is_none_or(|a| a == account))
    }
}

impl Builder<'_> {
    pub(super) fn oidc_provider(&mut self, p: &OidcProviderFile) -> Result<(), FileError> {
        let url = p.url.get_ref();
        let Some(issuer) = url.strip_prefix("https://") else {
            return Err(self.err(
                &p.url,
                format!("`{url}` is not an issuer URL: it must start with https:// (IAM CreateOpenIDConnectProvider)"),
            ));
        };
        if issuer.is_empty() || issuer.ends_with('/') || issuer.contains(['?', '#', ' ']) {
            return Err(self.err(
                &p.url,
                format!("`{url}` is not an issuer URL: a host and optional path, no trailing `/`, query or fragment"),
            ));
        }
        let account = match &p.account {
            Some(a) => Some(self.account_id(a)?),
            None if BUILT_IN_ISSUERS.contains(&issuer) => None,
            None => {
                return Err(self.err(
                    &p.url,
                    format!(
                        "`{url}` needs `account`: only {} are trusted without an IAM OIDC provider",
                        BUILT_IN_ISSUERS.join(" and ")
                    ),
                ))
            }
        };
        if self
            .world
            .oidc_providers
            .iter()
            .any(|q| q.issuer == issuer && q.account == account)
        {
            return Err(self.err(
                &p.url,
                format!("provider `{url}` is declared twice for one account"),
            ));
        }
        let keys = if p.keys.is_empty() {
            vec![OidcKey {
                kid: "key-1".to_string(),
                alg: OidcAlg::Rs256,
            }]
        } else {
            let mut keys: Vec<OidcKey> = Vec::new();
            for k in &p.keys {
                let key = self.oidc_key(k)?;
                if keys.iter().any(|q| q.kid == key.kid) {
                    return Err(self.err(&k.kid, format!("key id `{}` is published twice", key.kid)));
                }
                keys.push(key);
            }
            keys
        };
        self.world.oidc_providers.push(OidcProvider {
            account,
            issuer: issuer.to_string(),
            client_ids: p.client_ids.clone(),
            keys,
        });
        Ok(())
    }

    fn oidc_key(&self, k: &OidcKeyFile) -> Result<OidcKey, FileError> {
        if k.kid.get_ref().is_empty() {
            return Err(self.err(&k.kid, "a key id (`kid`) is not empty"));
        }
        let alg = match k.alg.as_ref().map(|a| a.get_ref().as_str()) {
            None | Some("RS256") => OidcAlg::Rs256,
            Some("ES256") => OidcAlg::Es256,
            Some(other) => {
                let at: &Spanned<String> = k.alg.as_ref().unwrap_or(&k.kid);
                return Err(self.err(at, format!("algorithm `{other}` must be `RS256` or `ES256`")));
            }
        };
        Ok(OidcKey {
            kid: k.kid.get_ref().clone(),
            alg,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::world::World;

    const ACCOUNT: &str = "[[accounts]]\nid = \"222222222222\"\nname = \"customer\"\n";

    fn load(providers: &str) -> Result<World, String> {
        World::from_toml("oidc", &format!("{ACCOUNT}{providers}")).map_err(|e| e.to_string())
    }

    #[test]
    fn providers_have_arns_principals_and_default_keys() {
        let w = load(
            "[[oidc_providers]]\nurl = \"https://accounts.google.com\"\n\
             [[oidc_providers]]\nurl = \"https://oidc.eks.eu-west-1.amazonaws.com/id/ABC\"\naccount = \"customer\"\n\
             client_ids = [\"sts.amazonaws.com\"]\nkeys = [{ kid = \"a\", alg = \"ES256\" }]\n",
        )
        .unwrap();
        let google = w
            .oidc_provider("https://accounts.google.com", "222222222222")
            .unwrap();
        assert_eq!(google.principal(), "accounts.google.com");
        assert_eq!(google.keys[0].kid, "key-1");
        let eks = w
            .oidc_provider("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "222222222222")
            .unwrap();
        assert_eq!(
            eks.principal(),
            "arn:aws:iam::222222222222:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
        );
        assert_eq!(eks.key("a").map(|k| k.alg), Some(super::OidcAlg::Es256));
        // A registered provider serves only its own account's roles.
        assert!(w
            .oidc_provider("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC", "111111111111")
            .is_none());
    }

    #[test]
    fn mistakes_are_refused_with_their_line() {
        for (providers, line, says) in [
            ("[[oidc_providers]]\nurl = \"token.actions.githubusercontent.com\"\naccount = \"customer\"\n", 5, "must start with https://"),
            ("[[oidc_providers]]\nurl = \"https://token.actions.githubusercontent.com\"\n", 5, "needs `account`"),
            ("[[oidc_providers]]\nurl = \"https://accounts.google.com/\"\n", 5, "no trailing"),
            ("[[oidc_providers]]\nurl = \"https://accounts.google.com\"\nkeys = [{ kid = \"k\", alg = \"HS256\" }]\n", 6, "must be `RS256` or `ES256`"),
            ("[[oidc_providers]]\nurl = \"https://accounts.google.com\"\nkeys = [{ kid = \"k\" }, { kid = \"k\" }]\n", 6, "published twice"),
            ("[[oidc_providers]]\nurl = \"https://accounts.google.com\"\naudiences = []\n", 6, "unknown field"),
        ] {
            let e = load(providers).unwrap_err();
            assert!(e.contains(&format!(":{line}:")) && e.contains(says), "{e}");
        }
    }
}
