//! aws-sdk-sts and aws-sdk-s3 against a running emulator: the vendor assumes the
//! customer's role cross-account with an ExternalId, writes with the session, and
//! the session expires when the emulator's clock passes its expiry. The SDK's
//! clock follows the emulator's manual clock, so nothing sleeps.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_async::time::SharedTimeSource;
use emulator::{Clock, ManualClock};

const WORLD: &str = r#"
[[accounts]]
id = "111111111111"
name = "vendor"

[[accounts]]
id = "222222222222"
name = "customer"

[[users]]
account = "vendor"
name = "sync"
access_keys = [{ id = "AKIAVENDORSYNC000001", secret = "vendor-secret" }]
policies = [{ name = "assume", document = '''
{"Version":"2012-10-17","Statement":[{"Sid":"Assume","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}
''' }]

[[roles]]
account = "customer"
name = "transfer-role"
trust_policy = '''
{"Version":"2012-10-17","Statement":[{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/sync"},
  "Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}
'''
policies = [{ name = "write", document = '''
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::customer-lake/*"}]}
''' }]

[[buckets]]
name = "customer-lake"
account = "customer"
region = "eu-west-1"
"#;

async fn sdk(endpoint: &str, clock: &Arc<ManualClock>, creds: Credentials) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(creds)
        .endpoint_url(endpoint)
        .time_source(SharedTimeSource::new(common::EmulatorTime(clock.clone())))
        .load()
        .await
}

fn s3(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// The status and code S3 refuses a PutObject with (it must be refused).
async fn put_refused(client: &aws_sdk_s3::Client) -> (u16, String) {
    let err = client
        .put_object()
        .bucket("customer-lake")
        .key("exports/b.jsonl")
        .body(ByteStream::from_static(b"{}\n"))
        .send()
        .await
        .unwrap_err();
    (common::status(&err), common::code(&err))
}

#[tokio::test]
async fn assume_role_cross_account_then_write_then_expire() {
    let start = time::macros::datetime!(2026-06-01 12:00 UTC);
    let clock = Arc::new(ManualClock::new(start));
    let emu = common::start(WORLD, clock.clone()).await;
    let vendor = sdk(
        &emu.endpoint,
        &clock,
        Credentials::new("AKIAVENDORSYNC000001", "vendor-secret", None, None, "v"),
    )
    .await;
    let sts = aws_sdk_sts::Client::new(&vendor);

    let who = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some("arn:aws:iam::111111111111:user/sync"));
    assert_eq!(who.account(), Some("111111111111"));

    // Wrong ExternalId: the cross-account form, with no reason clause.
    let err = sts
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/transfer-role")
        .role_session_name("onboarding")
        .external_id("wrong")
        .send()
        .await
        .unwrap_err();
    let meta = err
        .as_service_error()
        .map(aws_sdk_sts::error::ProvideErrorMetadata::meta)
        .unwrap();
    assert_eq!(meta.code(), Some("AccessDenied"));
    assert_eq!(
        meta.message(),
        Some("User: arn:aws:iam::111111111111:user/sync is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/transfer-role")
    );
    let logged = emu.emulator.log().recent(1, None);
    let decision = logged[0]
        .decision
        .as_ref()
        .expect("the denial's decision is logged");
    assert_eq!(decision.effect, emulator::iam::Effect::ImplicitDeny);
    assert!(
        decision.closest.iter().any(|m| m
            .missed
            .iter()
            .any(|x| matches!(x, emulator::iam::Miss::Condition { key, .. } if key == "sts:ExternalId"))),
        "the explanation names the ExternalId condition: {decision:?}"
    );

    let out = sts
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/transfer-role")
        .role_session_name("onboarding")
        .external_id("ext-123")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    assert!(c.access_key_id().starts_with("ASIA"));
    assert_eq!(
        out.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::222222222222:assumed-role/transfer-role/onboarding"
    );
    let expires = SystemTime::try_from(*c.expiration()).unwrap();
    assert_eq!(
        expires,
        SystemTime::UNIX_EPOCH + Duration::from_secs((start.unix_timestamp() + 900) as u64)
    );

    let session = sdk(
        &emu.endpoint,
        &clock,
        Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "s",
        ),
    )
    .await;
    let writer = s3(&session);
    writer
        .put_object()
        .bucket("customer-lake")
        .key("exports/a.jsonl")
        .body(ByteStream::from_static(b"{}\n"))
        .send()
        .await
        .unwrap();
    writer
        .delete_object()
        .bucket("customer-lake")
        .key("exports/a.jsonl")
        .send()
        .await
        .unwrap();
    // Reading is not in the role's policy.
    let err = writer
        .get_object()
        .bucket("customer-lake")
        .key("exports/a.jsonl")
        .send()
        .await
        .unwrap_err();
    assert_eq!(common::code(&err), "AccessDenied");

    // Past the session's 900 seconds, S3 says ExpiredToken (400).
    clock.advance(Duration::from_secs(901)).unwrap();
    assert_eq!(put_refused(&writer).await, (400, "ExpiredToken".to_string()));

    // The next AssumeRole retires the expired session to its key id, the digest
    // of its token and its expiry (emulator/src/sessions.rs). Its credentials
    // still answer ExpiredToken, on S3 and on STS; the same key id with a token
    // that is not its own still answers InvalidToken.
    let (live, retired) = emu.emulator.session_counts();
    sts.assume_role()
        .role_arn("arn:aws:iam::222222222222:role/transfer-role")
        .role_session_name("onboarding")
        .external_id("ext-123")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    assert_eq!(emu.emulator.session_counts(), (live, retired + 1));
    assert!(emu.emulator.session(c.access_key_id()).is_none());
    assert_eq!(put_refused(&writer).await, (400, "ExpiredToken".to_string()));
    let err = aws_sdk_sts::Client::new(&session)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    let meta = err
        .as_service_error()
        .map(aws_sdk_sts::error::ProvideErrorMetadata::meta)
        .unwrap();
    assert_eq!(meta.code(), Some("ExpiredToken"));
    let forged = sdk(
        &emu.endpoint,
        &clock,
        Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(format!("{}x", c.session_token())),
            None,
            "f",
        ),
    )
    .await;
    assert_eq!(put_refused(&s3(&forged)).await, (400, "InvalidToken".to_string()));
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn assume_role_parameter_validation() {
    let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-06-01 12:00 UTC)));
    let emu = common::start(WORLD, clock.clone()).await;
    let vendor = sdk(
        &emu.endpoint,
        &clock,
        Credentials::new("AKIAVENDORSYNC000001", "vendor-secret", None, None, "v"),
    )
    .await;
    let sts = aws_sdk_sts::Client::new(&vendor);
    let attempt = |arn: &str, duration: Option<i32>| {
        let mut b = sts
            .assume_role()
            .role_arn(arn)
            .role_session_name("s1")
            .external_id("ext-123");
        if let Some(d) = duration {
            b = b.duration_seconds(d);
        }
        b.send()
    };
    // The role allows 3600 s; asking for more is a ValidationError (misconfigs.md M07).
    let err = attempt("arn:aws:iam::222222222222:role/transfer-role", Some(7200))
        .await
        .unwrap_err();
    let meta = err
        .as_service_error()
        .map(aws_sdk_sts::error::ProvideErrorMetadata::meta)
        .unwrap();
    assert_eq!(meta.code(), Some("ValidationError"));
    assert_eq!(
        meta.message(),
        Some("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    );
    // A role that does not exist reads exactly like a trust mismatch (M09).
    let err = attempt("arn:aws:iam::222222222222:role/no-such-role", None)
        .await
        .unwrap_err();
    let meta = err
        .as_service_error()
        .map(aws_sdk_sts::error::ProvideErrorMetadata::meta)
        .unwrap();
    assert_eq!(meta.code(), Some("AccessDenied"));
}
