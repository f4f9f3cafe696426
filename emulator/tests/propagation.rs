//! IAM's eventual consistency through the admin API: `PUT /_emulator/world?propagation=…`
//! queues the new world; requests are decided on the old one, and their log entries
//! say so, until the delay has passed on the emulator's clock (misconfigs.md M15, M62).

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

use aws_credential_types::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use emulator::propagation::Propagation;
use emulator::{Clock, Config, ManualClock};
use serde_json::Value;
use time::macros::datetime;

const OLD_KEY: (&str, &str) = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
const NEW_KEY: (&str, &str) = ("AKIANEWKEY0000000002", "new-secret-new-secret-new-secret-new-sec");

/// The world, with `keys` for the writer and `external_id` in the role's trust policy.
fn world(keys: &[(&str, &str)], external_id: &str) -> String {
    let keys: Vec<String> = keys
        .iter()
        .map(|(id, secret)| format!(r#"{{ id = "{id}", secret = "{secret}" }}"#))
        .collect();
    format!(
        r#"
[[accounts]]
id = "111111111111"
name = "vendor"

[[accounts]]
id = "222222222222"
name = "customer"

[[users]]
account = "vendor"
name = "sync"
access_keys = [{{ id = "AKIAVENDORSYNC000001", secret = "vendor-secret-vendor-secret-vendor-secre" }}]
policies = [{{ name = "assume", document = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}]}}''' }}]

[[users]]
account = "customer"
name = "writer"
access_keys = [{keys}]
policies = [{{ name = "put", document = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:PutObject","s3:CreateBucket"],"Resource":["arn:aws:s3:::lake/*","arn:aws:s3:::lake-2"]}}]}}''' }}]

[[roles]]
account = "customer"
name = "transfer-role"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111111111111:user/sync"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"{external_id}"}}}}}}]}}'''

[[buckets]]
name = "lake"
account = "customer"
region = "eu-west-1"
"#,
        keys = keys.join(", ")
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

impl Env {
    /// One admin call over HTTP: status and body.
    async fn admin(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        common::admin(&self.emu, method, path, body).await
    }

    async fn pending(&self) -> Vec<Value> {
        let (status, body) = self.admin("GET", "world/pending", "").await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    fn s3(&self, key: (&str, &str)) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("eu-west-1"))
            .credentials_provider(Credentials::new(key.0, key.1, None, None, "test"))
            .endpoint_url(&self.emu.endpoint)
            .force_path_style(true)
            .time_source(EmulatorTime(self.clock.clone()))
            .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    fn sts(&self) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("eu-west-1"))
            .credentials_provider(Credentials::new(
                "AKIAVENDORSYNC000001",
                "vendor-secret-vendor-secret-vendor-secre",
                None,
                None,
                "test",
            ))
            .endpoint_url(&self.emu.endpoint)
            .time_source(EmulatorTime(self.clock.clone()))
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_sts::Client::from_conf(conf)
    }

    async fn put(&self, key: (&str, &str)) -> Result<(), String> {
        self.s3(key)
            .put_object()
            .bucket("lake")
            .key("k")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| common::code(&e))
    }

    async fn assume(&self) -> Result<(), String> {
        self.sts()
            .assume_role()
            .role_arn("arn:aws:iam::222222222222:role/transfer-role")
            .role_session_name("push-to-warehouse")
            .external_id("ext-new")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                use aws_sdk_sts::error::ProvideErrorMetadata;
                e.code().unwrap_or("<none>").to_string()
            })
    }

    fn last_note(&self) -> String {
        let log = self.emu.emulator.log().recent(1, None);
        log.last().and_then(|e| e.note.clone()).unwrap_or_default()
    }
}

/// M62: a key added a moment ago is unknown (InvalidAccessKeyId) until it
/// propagates; the log says why; the old key keeps working throughout.
#[tokio::test]
async fn a_new_key_is_unknown_until_the_change_propagates() {
    let env = start(&world(&[OLD_KEY], "ext-123")).await;
    let (status, body) = env
        .admin(
            "PUT",
            "world?propagation=20s&label=CreateAccessKey%20writer",
            &world(&[OLD_KEY, NEW_KEY], "ext-123"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let pending = env.pending().await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["label"], "CreateAccessKey writer");
    assert_eq!(pending[0]["made_at"], "2026-01-01T00:00:00Z");
    assert_eq!(pending[0]["visible_at"], "2026-01-01T00:00:20Z");

    assert_eq!(env.put(NEW_KEY).await, Err("InvalidAccessKeyId".to_string()));
    let note = env.last_note();
    assert!(
        note.contains("IAM change `CreateAccessKey writer` is 0 s old and not yet visible (in 20 s)"),
        "{note}"
    );
    env.put(OLD_KEY).await.expect("the old key is unaffected");

    env.clock.advance(Duration::from_secs(19)).unwrap();
    assert_eq!(env.put(NEW_KEY).await, Err("InvalidAccessKeyId".to_string()));
    assert!(env
        .last_note()
        .contains("is 19 s old and not yet visible (in 1 s)"));
    env.clock.advance(Duration::from_secs(1)).unwrap();
    env.put(NEW_KEY).await.expect("propagated");
    assert!(env.pending().await.is_empty());
}

/// M15: a trust-policy edit: AssumeRole is decided on the old trust policy until the
/// edit propagates.
#[tokio::test]
async fn a_trust_edit_answers_with_the_old_policy_until_it_propagates() {
    let env = start(&world(&[OLD_KEY], "ext-old")).await;
    assert_eq!(env.assume().await, Err("AccessDenied".to_string()));
    let (status, body) = env
        .admin("PUT", "world?propagation=45s", &world(&[OLD_KEY], "ext-new"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(env.assume().await, Err("AccessDenied".to_string()));
    assert!(
        env.last_note().contains("world replaced (admin API)"),
        "{}",
        env.last_note()
    );
    env.clock.advance(Duration::from_secs(45)).unwrap();
    env.assume().await.expect("the edited trust policy answers");
}

/// A seeded range picks the same delay for the same seed, within the range.
#[tokio::test]
async fn a_seeded_range_picks_a_reproducible_delay() {
    let env = start(&world(&[OLD_KEY], "ext-123")).await;
    let (status, body) = env
        .admin(
            "PUT",
            "world?propagation=5s..30s&seed=7",
            &world(&[OLD_KEY, NEW_KEY], "ext-123"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let delay = Propagation::parse("5s..30s", Some(7)).unwrap().delay();
    assert!(delay >= Duration::from_secs(5) && delay <= Duration::from_secs(30));
    let visible = env.pending().await[0]["visible_at"].as_str().unwrap().to_string();
    let expected = datetime!(2026-01-01 00:00:00 UTC) + delay;
    assert_eq!(
        visible,
        expected
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    env.clock.advance(delay - Duration::from_secs(1)).unwrap();
    assert_eq!(env.put(NEW_KEY).await, Err("InvalidAccessKeyId".to_string()));
    env.clock.advance(Duration::from_secs(1)).unwrap();
    env.put(NEW_KEY).await.expect("visible at the drawn delay");
}

/// A bucket CreateBucket makes while a change is pending is not undone when the
/// change is seen: S3's own writes are immediate, and pending worlds get them too.
#[tokio::test]
async fn an_immediate_write_survives_a_pending_change() {
    let env = start(&world(&[OLD_KEY], "ext-123")).await;
    env.admin(
        "PUT",
        "world?propagation=10s",
        &world(&[OLD_KEY, NEW_KEY], "ext-123"),
    )
    .await;
    env.s3(OLD_KEY)
        .create_bucket()
        .bucket("lake-2")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create bucket");
    env.clock.advance(Duration::from_secs(10)).unwrap();
    let world = env.emu.emulator.world();
    assert!(
        world.bucket("lake-2").is_some(),
        "the new bucket outlived the change"
    );
    assert!(world
        .users
        .iter()
        .any(|u| u.access_keys.iter().any(|k| k.id == NEW_KEY.0)));
}

/// Bad parameters are refused with what is wrong, and change nothing.
#[tokio::test]
async fn bad_propagation_parameters_are_refused() {
    let env = start(&world(&[OLD_KEY], "ext-123")).await;
    let w = world(&[OLD_KEY, NEW_KEY], "ext-123");
    for (query, says) in [
        ("propagation=soon", "is not a duration"),
        ("propagation=30s..5s", "ends before it starts"),
        ("seed=3", "give one"),
        ("propagation=5s..9s&seed=x", "whole number"),
    ] {
        let (status, body) = env.admin("PUT", &format!("world?{query}"), &w).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains(says), "{query}: {body}");
    }
    assert!(env.pending().await.is_empty());
    assert_eq!(env.put(NEW_KEY).await, Err("InvalidAccessKeyId".to_string()));
}
