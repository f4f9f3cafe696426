//! AssumeRoleWithWebIdentity through the official SDK (unsigned, as it sends it):
//! tokens minted by the emulator's identity providers, verified as STS verifies
//! them, and the trust policy decided on their claims (misconfigs.md M18).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use common::EmulatorTime;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sts::error::ProvideErrorMetadata;
use emulator::{Clock, Config, ManualClock};
use serde_json::{json, Map, Value};
use time::macros::datetime;

const GOOGLE_ROLE: &str = "arn:aws:iam::222222222222:role/gcp-writer";
const GITHUB_ROLE: &str = "arn:aws:iam::222222222222:role/gha-writer";
/// The vendor's Google service account: its unique id is `sub` and `azp`.
const SA_ID: &str = "104455531234567890123";
const AUDIENCE: &str = "push-to-warehouse";

/// A world with a Google-trusting role (`google_condition` in its trust policy,
/// `action` its action) and a GitHub-trusting one, `github` saying whether the
/// customer account registered GitHub's provider.
fn world(google_condition: &str, action: &str, github: bool) -> String {
    let github_provider = if github {
        r#"
[[oidc_providers]]
url = "https://token.actions.githubusercontent.com"
account = "customer"
client_ids = ["sts.amazonaws.com"]
keys = [{ kid = "gh-1", alg = "RS256" }, { kid = "gh-ec", alg = "ES256" }]
"#
    } else {
        ""
    };
    format!(
        r#"
[[accounts]]
id = "222222222222"
name = "customer"

[[oidc_providers]]
url = "https://accounts.google.com"
{github_provider}
[[roles]]
account = "customer"
name = "gcp-writer"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"accounts.google.com"}},"Action":"{action}","Condition":{{"StringEquals":{google_condition}}}}}]}}'''
policies = [{{ name = "put", document = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::lake/*"}}]}}''' }}]

[[roles]]
account = "customer"
name = "gha-writer"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}},"StringLike":{{"token.actions.githubusercontent.com:sub":"repo:acme/pipeline:*"}}}}}}]}}'''

[[buckets]]
name = "lake"
account = "customer"
region = "eu-west-1"
"#
    )
}

/// The trust the setup guide asks for: `sub`, `aud` (the SA's id, from `azp`) and `oaud`.
fn right_condition() -> String {
    format!(
        r#"{{"accounts.google.com:sub":"{SA_ID}","accounts.google.com:aud":"{SA_ID}","accounts.google.com:oaud":"{AUDIENCE}"}}"#
    )
}

struct Env {
    emu: emulator::Running,
    clock: Arc<ManualClock>,
}

async fn start(world: &str) -> Env {
    let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 00:00:00 UTC)));
    let emu = common::start_with(world, clock.clone(), Config::default()).await;
    Env { emu, clock }
}

fn claims(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// A Google service account's ID token: `azp` and `sub` its id, `aud` the audience it asked for.
fn google_claims() -> Map<String, Value> {
    claims(
        json!({ "sub": SA_ID, "azp": SA_ID, "aud": AUDIENCE, "email": "sync@vendor.iam.gserviceaccount.com" }),
    )
}

fn github_claims(aud: &str) -> Map<String, Value> {
    claims(json!({ "sub": "repo:acme/pipeline:ref:refs/heads/main", "aud": aud }))
}

impl Env {
    fn mint(&self, issuer: &str, kid: Option<&str>, claims: Map<String, Value>) -> String {
        self.emu
            .emulator
            .mint_web_identity_token(issuer, kid, claims)
            .unwrap()
    }

    /// An STS client with no credentials at all: the action is unsigned.
    fn sts(&self) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("eu-west-1"))
            .endpoint_url(&self.emu.endpoint)
            .time_source(EmulatorTime(self.clock.clone()))
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    async fn assume(
        &self,
        role: &str,
        token: &str,
    ) -> Result<
        aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput,
        (String, String),
    > {
        self.sts()
            .assume_role_with_web_identity()
            .role_arn(role)
            .role_session_name("push-to-warehouse")
            .web_identity_token(token)
            .send()
            .await
            .map_err(|e| {
                (
                    e.code().unwrap_or("<none>").to_string(),
                    e.message().unwrap_or_default().to_string(),
                )
            })
    }

    async fn admin(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        common::admin(&self.emu, method, path, body).await
    }

    fn last_decision(&self) -> Value {
        let log = self.emu.emulator.log().recent(1, None);
        serde_json::to_value(log.last().unwrap()).unwrap()["decision"].clone()
    }
}

const NOT_AUTHORIZED: &str = "Not authorized to perform sts:AssumeRoleWithWebIdentity";

#[tokio::test]
async fn a_google_service_account_assumes_the_role_and_writes() {
    let env = start(&world(&right_condition(), "sts:AssumeRoleWithWebIdentity", false)).await;
    let token = env.mint("https://accounts.google.com", None, google_claims());
    let out = env.assume(GOOGLE_ROLE, &token).await.unwrap();
    assert_eq!(out.subject_from_web_identity_token(), Some(SA_ID));
    assert_eq!(out.provider(), Some("https://accounts.google.com"));
    assert_eq!(out.audience(), Some(SA_ID));
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        "arn:aws:sts::222222222222:assumed-role/gcp-writer/push-to-warehouse"
    );
    assert!(user.assumed_role_id().starts_with("AROA"), "{user:?}");
    let creds = out.credentials().unwrap();
    let expires = std::time::SystemTime::try_from(*creds.expiration()).unwrap();
    assert_eq!(
        expires,
        std::time::SystemTime::from(env.clock.now()) + Duration::from_secs(3600)
    );
    // The session's credentials write under the role's permissions.
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("eu-west-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_string()),
            None,
            "web-identity",
        ))
        .endpoint_url(&env.emu.endpoint)
        .force_path_style(true)
        .time_source(EmulatorTime(env.clock.clone()))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
        .put_object()
        .bucket("lake")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let d = env.last_decision();
    assert_eq!(d["effect"], "allow", "{d}");
}

/// M18's three mistakes: each answers the same bare AccessDenied; the decision
/// beside it says no trust statement matched.
#[tokio::test]
async fn each_trust_mistake_is_the_same_bare_access_denied() {
    let wrong_sub = format!(
        r#"{{"accounts.google.com:sub":"sync@vendor.iam.gserviceaccount.com","accounts.google.com:oaud":"{AUDIENCE}"}}"#
    );
    let swapped =
        format!(r#"{{"accounts.google.com:sub":"{SA_ID}","accounts.google.com:aud":"{AUDIENCE}"}}"#);
    for (condition, action) in [
        (wrong_sub.as_str(), "sts:AssumeRoleWithWebIdentity"),
        (swapped.as_str(), "sts:AssumeRoleWithWebIdentity"),
        (right_condition().as_str(), "sts:AssumeRole"),
    ] {
        let env = start(&world(condition, action, false)).await;
        let token = env.mint("accounts.google.com", None, google_claims());
        let (code, message) = env.assume(GOOGLE_ROLE, &token).await.unwrap_err();
        assert_eq!(
            (code.as_str(), message.as_str()),
            ("AccessDenied", NOT_AUTHORIZED),
            "{condition} {action}"
        );
        let d = env.last_decision();
        assert_eq!(d["effect"], "implicit-deny", "{d}");
        assert_eq!(d["denied_by"], "role-trust", "{d}");
        assert_eq!(d["action"], "sts:AssumeRoleWithWebIdentity", "{d}");
        assert_eq!(d["principal"], "accounts.google.com", "{d}");
    }
    // The explanation beside the wrong-sub denial names the claim and both values.
    let env = start(&world(&wrong_sub, "sts:AssumeRoleWithWebIdentity", false)).await;
    let token = env.mint("accounts.google.com", None, google_claims());
    env.assume(GOOGLE_ROLE, &token).await.unwrap_err();
    let missed = &env.last_decision()["closest"][0]["missed"][0];
    assert_eq!(missed["key"], "accounts.google.com:sub", "{missed}");
    assert_eq!(missed["actual"][0], SA_ID, "{missed}");
    // A role that does not exist answers the same.
    let env = start(&world(&right_condition(), "sts:AssumeRoleWithWebIdentity", false)).await;
    let token = env.mint("accounts.google.com", None, google_claims());
    let (code, message) = env
        .assume("arn:aws:iam::222222222222:role/no-such-role", &token)
        .await
        .unwrap_err();
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("AccessDenied", NOT_AUTHORIZED)
    );
}

#[tokio::test]
async fn an_expired_token_names_both_times() {
    let env = start(&world(&right_condition(), "sts:AssumeRoleWithWebIdentity", false)).await;
    let token = env.mint("accounts.google.com", None, google_claims());
    let exp = env.clock.now().unix_timestamp() + 3600;
    env.clock.advance(Duration::from_secs(3600)).unwrap();
    let now = env.clock.now().unix_timestamp();
    let (code, message) = env.assume(GOOGLE_ROLE, &token).await.unwrap_err();
    assert_eq!(code, "ExpiredTokenException");
    assert_eq!(
        message,
        format!("Token expired: current date/time {now} must be before the expiration date/time {exp}")
    );
}

#[tokio::test]
async fn a_registered_provider_checks_its_audience_and_keys() {
    let env = start(&world(&right_condition(), "sts:AssumeRoleWithWebIdentity", true)).await;
    let issuer = "https://token.actions.githubusercontent.com";
    for kid in [None, Some("gh-ec")] {
        let token = env.mint(issuer, kid, github_claims("sts.amazonaws.com"));
        let out = env.assume(GITHUB_ROLE, &token).await.unwrap();
        assert_eq!(out.audience(), Some("sts.amazonaws.com"), "{kid:?}");
    }
    let token = env.mint(issuer, None, github_claims("https://github.com/acme"));
    let err = env.assume(GITHUB_ROLE, &token).await.unwrap_err();
    assert_eq!(
        err,
        (
            "InvalidIdentityToken".to_string(),
            "Incorrect token audience".to_string()
        )
    );
    // Signed with a key the provider does not publish (rotated away).
    let token = env.mint(issuer, Some("gh-retired"), github_claims("sts.amazonaws.com"));
    let (code, message) = env.assume(GITHUB_ROLE, &token).await.unwrap_err();
    assert_eq!(code, "InvalidIdentityToken");
    assert_eq!(
        message,
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
    );
    // A claim changed after signing.
    let token = env.mint(issuer, None, github_claims("sts.amazonaws.com"));
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = {
        use base64::Engine as _;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut c: Value = serde_json::from_slice(&e.decode(parts[1]).unwrap()).unwrap();
        c["sub"] = json!("repo:acme/pipeline:ref:refs/heads/evil");
        e.encode(c.to_string())
    };
    parts[1] = &forged;
    let (code, message) = env.assume(GITHUB_ROLE, &parts.join(".")).await.unwrap_err();
    assert_eq!(code, "InvalidIdentityToken");
    assert!(
        message.starts_with("The web identity token that was passed could not be validated by AWS."),
        "{message}"
    );
    for garbage in ["not-a-jwt", "eyJhbGciOiJSUzI1NiJ9.e30.AAAA"] {
        let (code, _) = env.assume(GITHUB_ROLE, garbage).await.unwrap_err();
        assert_eq!(code, "InvalidIdentityToken", "{garbage}");
    }
}

#[tokio::test]
async fn a_provider_the_account_did_not_register_is_not_found() {
    // The token is GitHub's, but the customer account has no provider for it.
    let with = start(&world(&right_condition(), "sts:AssumeRoleWithWebIdentity", true)).await;
    let token = with.mint(
        "https://token.actions.githubusercontent.com",
        None,
        github_claims("sts.amazonaws.com"),
    );
    let without = start(&world(&right_condition(), "sts:AssumeRoleWithWebIdentity", false)).await;
    let (code, message) = without.assume(GITHUB_ROLE, &token).await.unwrap_err();
    assert_eq!(code, "InvalidIdentityToken");
    assert_eq!(
        message,
        "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com"
    );
}

#[tokio::test]
async fn parameters_are_validated_first() {
    let env = start(&world(&right_condition(), "sts:AssumeRoleWithWebIdentity", false)).await;
    let (code, message) = env.assume(GOOGLE_ROLE, "abc").await.unwrap_err();
    assert_eq!(code, "ValidationError");
    assert!(message.contains("'webIdentityToken'"), "{message}");
    let token = env.mint("accounts.google.com", None, google_claims());
    let err = env
        .sts()
        .assume_role_with_web_identity()
        .role_arn(GOOGLE_ROLE)
        .role_session_name("push-to-warehouse")
        .web_identity_token(&token)
        .duration_seconds(7200)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    );
}

/// `POST /_emulator/oidc/token` mints for clients outside the process.
#[tokio::test]
async fn the_admin_api_mints_tokens() {
    let env = start(&world(&right_condition(), "sts:AssumeRoleWithWebIdentity", false)).await;
    let body = json!({ "issuer": "https://accounts.google.com", "claims": google_claims() }).to_string();
    let (status, text) = env.admin("POST", "oidc/token", &body).await;
    assert_eq!(status, 200, "{text}");
    let token = serde_json::from_str::<Value>(&text).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    env.assume(GOOGLE_ROLE, &token).await.unwrap();
    let (status, text) = env
        .admin("POST", "oidc/token", r#"{"issuer":"https://example.com"}"#)
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("no OIDC provider"), "{text}");
    for (body, says) in [
        ("{", "token request"),
        (
            r#"{"issuer":"https://accounts.google.com","claims":[]}"#,
            "token request",
        ),
        (
            r#"{"issuer":"https://accounts.google.com","audience":"x"}"#,
            "unknown field",
        ),
    ] {
        let (status, text) = env.admin("POST", "oidc/token", body).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.contains(says), "{body}: {text}");
    }
}
