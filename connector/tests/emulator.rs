//! The connector against an in-process emulator over real HTTP: the setup guide in HMAC and
//! role mode, append-only sync (lost responses, throttling, clock skew, session expiry), and
//! the diagnoses of the misconfigurations the emulator reproduces with its policy engine.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "fixture helpers outside #[test] fns fail the test loudly, like the tests themselves"
)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use connector::config::{Auth, Secret};
use connector::diagnosis::Diagnosis;
use connector::format::{gunzip, Encoding, Format};
use connector::keys::{BatchId, ObjectKey};
use connector::onboarding::{Outcome, Step, StepOutcome};
use connector::sync::{AppendWriter, SyncError, Verification};
use connector::{onboard, DestinationConfig, ServiceSettings};
use emulator::fault::{FaultAction, FaultRule};
use emulator::store::ObjectData;
use emulator::{Clock, Config, Emulator, ManualClock, Running, World};
use serde_json::{json, Value};
use time::macros::datetime;

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The setup guide, HMAC variant: a bucket, the guide's policy with the real bucket name
/// attached to an IAM user with an access key. A second user in another account, an
/// inactive key, and a reader statement for the sync world.
const SEED_WORLD: &str = r#"
[[accounts]]
id = "222222222222"
name = "customer"

[[accounts]]
id = "333333333333"
name = "stranger"

[[users]]
account = "customer"
name = "transfer-service"
access_keys = [
  { id = "AKIAIOSFODNN7EXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  { id = "AKIAINACTIVEEXAMPLE1", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYINACTIVE01", status = "Inactive" },
]
policies = [{ name = "push-to-warehouse", document = '''
{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": "arn:aws:s3:::customer-lake/*" },
    { "Sid": "ReadBackForRetries", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::customer-lake/*" }
  ]
}
''' }]

[[users]]
account = "stranger"
name = "someone"
access_keys = [{ id = "AKIASTRANGEREXAMPLE1", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSTRANGER01" }]

[[buckets]]
name = "customer-lake"
account = "customer"
region = "eu-west-1"
"#;

/// Role mode: the service's user in its own account assumes the customer's role.
const ROLE_WORLD: &str = testkit::fixtures::VENDOR_CUSTOMER;

/// The emulator's manual clock as the SDK's time source: signing, expiry checks, key dates.
#[derive(Debug)]
struct EmulatorTime(Arc<ManualClock>);

impl TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        SystemTime::from(self.0.now())
    }
}

/// The emulator's clock shifted by `skew` (the service host's clock is off).
#[derive(Debug)]
struct SkewedTime(Arc<ManualClock>, Duration);

impl TimeSource for SkewedTime {
    fn now(&self) -> SystemTime {
        SystemTime::from(self.0.now()) + self.1
    }
}

struct Fixture {
    emu: Running,
    clock: Arc<ManualClock>,
}

impl Fixture {
    async fn start(world: &str) -> Self {
        let clock = Arc::new(ManualClock::new(datetime!(2025-01-01 12:00 UTC)));
        let world = World::from_toml("test world", world).expect("world");
        let emulator = Emulator::new(Config::default(), world, clock.clone() as Arc<dyn Clock>);
        let emu = emulator::spawn(Arc::new(emulator)).await.expect("spawn");
        Self { emu, clock }
    }

    fn settings(&self) -> ServiceSettings {
        let mut s = ServiceSettings::default()
            .with_endpoint_url(&self.emu.endpoint)
            .with_time_source(SharedTimeSource::new(EmulatorTime(self.clock.clone())))
            .with_wait_sleep(aws_sdk_s3::config::SharedAsyncSleep::new(ClockSleep(
                self.clock.clone(),
            )));
        s.retry_initial_backoff_ms = 10;
        s
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        let listed = self
            .emu
            .emulator
            .store()
            .list("customer-lake", prefix, None, 1000);
        listed.into_iter().map(|o| o.key.to_string()).collect()
    }

    fn object(&self, key: &str) -> Vec<u8> {
        let stored = self
            .emu
            .emulator
            .store()
            .get("customer-lake", key)
            .expect("stored object");
        match &stored.data {
            ObjectData::Memory(bytes) => bytes.to_vec(),
            other => panic!("object kept as {other:?}"),
        }
    }
}

fn hmac(bucket: &str, region: &str, key_id: &str, secret: &str) -> DestinationConfig {
    DestinationConfig {
        bucket: bucket.to_owned(),
        region: region.to_owned(),
        prefix: Some("exports".to_owned()),
        auth: Auth::Hmac {
            access_key_id: key_id.to_owned(),
            secret_access_key: Secret::new(secret),
        },
    }
}

/// The seed's policy grants PutObject and DeleteObject only: the connection test
/// passes, and the report recommends the abort permission or a lifecycle rule
/// (M29), nothing else.
fn assert_passes_as_the_seed_does(report: &connector::OnboardingReport) {
    assert_eq!(
        report.outcome,
        Outcome::PassedWithWarnings,
        "{:#?}",
        report.diagnosis
    );
    let kinds: Vec<&str> = report.warnings.iter().map(Diagnosis::kind).collect();
    assert_eq!(kinds, ["MultipartAbortNotAllowed"]);
    assert!(report.sync_ready);
}

fn records(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"id": i, "amount": i * 100, "memo": format!("payment, #{i}")}))
        .collect()
}

#[tokio::test]
async fn seed_setup_hmac_onboarding_passes_and_cleans_up() {
    let f = Fixture::start(SEED_WORLD).await;
    let report = onboard(&hmac("customer-lake", "eu-west-1", AKID, SECRET), &f.settings()).await;
    assert_passes_as_the_seed_does(&report);
    let outcomes: Vec<(Step, StepOutcome)> = report.steps.iter().map(|s| (s.step, s.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            (Step::Validate, StepOutcome::Passed),
            (Step::AssumeRole, StepOutcome::Skipped),
            (Step::ConfusedDeputyProbe, StepOutcome::Skipped),
            (Step::PutTestObject, StepOutcome::Passed),
            (Step::ProbeMultipart, StepOutcome::Warning),
            (Step::DeleteTestObject, StepOutcome::Passed),
            (Step::LeastPrivilegeCheck, StepOutcome::Passed),
        ]
    );
    let key = report.test_object_key.clone().expect("test key");
    assert!(
        key.starts_with("exports/_connection_test/20250101T120000Z-"),
        "{key}"
    );
    assert!(report
        .step(Step::PutTestObject)
        .and_then(|s| s.request_id.as_ref())
        .is_some());
    assert!(f.keys("exports/").is_empty(), "the test object was deleted");
    assert!(report.sync_ready);
}

#[tokio::test]
async fn hmac_misconfigurations_are_diagnosed() {
    let f = Fixture::start(SEED_WORLD).await;
    let settings = f.settings();
    let cases = [
        (
            hmac("customer-lake", "eu-west-1", "AKIAUNKNOWNEXAMPLE01", SECRET),
            "InvalidAccessKeyId",
        ),
        (
            hmac(
                "customer-lake",
                "eu-west-1",
                AKID,
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGSECRE",
            ),
            "SignatureMismatchWrongSecret",
        ),
        (
            hmac(
                "customer-lake",
                "eu-west-1",
                "AKIAINACTIVEEXAMPLE1",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYINACTIVE01",
            ),
            "InvalidAccessKeyId",
        ),
        (
            hmac(
                "customer-lake",
                "eu-west-1",
                "AKIASTRANGEREXAMPLE1",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSTRANGER01",
            ),
            "BucketOwnedByAnotherAccount",
        ),
        (hmac("no-such-lake", "eu-west-1", AKID, SECRET), "NoSuchBucket"),
        (
            hmac("customer-lake", "us-east-1", AKID, SECRET),
            "BucketInOtherRegion",
        ),
        (
            hmac("s3://customer-lake/exports", "eu-west-1", AKID, SECRET),
            "BucketFieldIsUrl",
        ),
        (
            hmac("BUCKET_NAME", "eu-west-1", AKID, SECRET),
            "BucketNamePlaceholder",
        ),
        (
            hmac("customer-lake", "eu-west-1", "ASIAIOSFODNN7EXAMPLE", SECRET),
            "TemporaryCredentialsPasted",
        ),
    ];
    for (dest, want) in cases {
        let report = onboard(&dest, &settings).await;
        assert_eq!(report.kind(), Some(want), "{dest:?}: {:#?}", report.diagnosis);
        let d = report.diagnosis.as_ref().expect("diagnosis");
        assert!(!d.remediation().is_empty());
        if let Some(ev) = d.evidence() {
            assert!(ev.status.is_some(), "{want}: {ev:?}");
        }
    }
    let report = onboard(&hmac("customer-lake", "us-east-1", AKID, SECRET), &settings).await;
    let Some(Diagnosis::BucketInOtherRegion { actual, .. }) = &report.diagnosis else {
        panic!("{:?}", report.diagnosis);
    };
    assert_eq!(actual.as_deref(), Some("eu-west-1"));
    assert!(f.keys("").is_empty(), "no failed onboarding left an object");
}

#[tokio::test]
async fn onboarding_survives_a_skewed_service_clock() {
    let f = Fixture::start(SEED_WORLD).await;
    // The service host's clock is 20 minutes fast: S3 answers RequestTimeTooSkewed and the
    // SDK's clock-skew correction (from the response's Date header) re-signs.
    let settings = f.settings().with_time_source(SharedTimeSource::new(SkewedTime(
        f.clock.clone(),
        Duration::from_secs(20 * 60),
    )));
    let report = onboard(&hmac("customer-lake", "eu-west-1", AKID, SECRET), &settings).await;
    assert_passes_as_the_seed_does(&report);
    let codes: Vec<(Option<String>, u16)> = f
        .emu
        .emulator
        .log()
        .recent(10, None)
        .into_iter()
        .map(|e| (e.operation.map(String::from), e.status))
        .collect();
    let skewed = f
        .emu
        .emulator
        .log()
        .recent(10, None)
        .iter()
        .any(|e| e.code.as_deref() == Some("RequestTimeTooSkewed"));
    assert!(
        skewed,
        "the first attempt should have been refused as skewed: {codes:?}"
    );
}

#[tokio::test]
async fn sync_writes_keys_from_the_injected_clock_and_never_overwrites() {
    let f = Fixture::start(SEED_WORLD).await;
    let settings = f.settings();
    let dest = hmac("customer-lake", "eu-west-1", AKID, SECRET);
    let writer = AppendWriter::new(
        &dest,
        &settings,
        Encoding {
            format: Format::JsonLines,
            gzip: true,
        },
    )
    .await
    .expect("writer");
    let batch = records(25);
    let first = writer
        .append("payments", &batch, None)
        .await
        .expect("first append");
    assert!(!first.already_present);
    assert_eq!(first.attempts, 1);
    let key = ObjectKey::parse(&first.key).expect("our key scheme");
    assert_eq!(key.prefix.as_deref(), Some("exports"));
    assert_eq!(key.stream.as_str(), "payments");
    assert_eq!(key.date, None, "nothing in the key comes from the clock");
    assert!(key.batch_id.is_content_hash());
    let stored = f.object(&first.key);
    assert_eq!(stored.len() as u64, first.bytes);
    assert_eq!(gunzip(&stored).unwrap(), connector::format::encode_jsonl(&batch));

    // The same batch again: same key, recognised as delivered by its checksum.
    let again = writer.append("payments", &batch, None).await.expect("re-append");
    assert_eq!(again.key, first.key);
    assert!(again.already_present);
    assert_eq!(again.verified_by, Some(Verification::Checksum));

    // A different batch under a caller-given id that is already taken: a conflict naming the key.
    let seq = writer
        .append("payments", &batch, Some(BatchId::sequence(7)))
        .await
        .expect("seq 7");
    let err = writer
        .append("payments", &records(3), Some(BatchId::sequence(7)))
        .await
        .unwrap_err();
    match &err {
        SyncError::Conflict { key, .. } => assert_eq!(key, &seq.key),
        other => panic!("expected a conflict, got {other}"),
    }
    assert_eq!(
        gunzip(&f.object(&seq.key)).unwrap(),
        connector::format::encode_jsonl(&batch),
        "not overwritten"
    );

    // A re-run after midnight: the same input lands on the same keys, nothing new is written.
    let before = f.keys("exports/");
    f.clock.advance(Duration::from_secs(24 * 3600)).unwrap();
    let tomorrow = writer.append("payments", &batch, None).await.expect("next day");
    assert_eq!(tomorrow.key, first.key);
    assert!(tomorrow.already_present);
    let seq_again = writer
        .append("payments", &batch, Some(BatchId::sequence(7)))
        .await
        .expect("seq 7 again");
    assert_eq!(
        (seq_again.key.as_str(), seq_again.already_present),
        (seq.key.as_str(), true)
    );
    assert_eq!(f.keys("exports/"), before, "zero new objects after midnight");

    // A date partition is the data's date, given by the caller, whatever the clock says.
    let dated = writer
        .append_dated("payments", &batch, None, time::macros::date!(2024 - 12 - 31))
        .await
        .expect("dated");
    assert!(
        dated.key.starts_with("exports/payments/2024/12/31/h"),
        "{}",
        dated.key
    );
    f.clock.advance(Duration::from_secs(3 * 24 * 3600)).unwrap();
    let dated_again = writer
        .append_dated("payments", &batch, None, time::macros::date!(2024 - 12 - 31))
        .await
        .expect("dated again");
    assert_eq!(dated_again.key, dated.key);
    assert!(dated_again.already_present);
}

#[tokio::test]
async fn sync_csv_round_trips_through_the_store() {
    let f = Fixture::start(SEED_WORLD).await;
    let dest = hmac("customer-lake", "eu-west-1", AKID, SECRET);
    let writer = AppendWriter::new(
        &dest,
        &f.settings(),
        Encoding {
            format: Format::Csv,
            gzip: false,
        },
    )
    .await
    .expect("writer");
    let report = writer
        .append("orders", &records(3), Some(BatchId::sequence(1)))
        .await
        .expect("append");
    assert_eq!(report.key, "exports/orders/00000000000000000001.csv");
    let text = String::from_utf8(f.object(&report.key)).unwrap();
    assert_eq!(
        text,
        "id,amount,memo\n0,0,\"payment, #0\"\n1,100,\"payment, #1\"\n2,200,\"payment, #2\"\n"
    );
}

#[tokio::test]
async fn a_lost_response_is_recognised_as_delivered() {
    let f = Fixture::start(SEED_WORLD).await;
    // The first PUT is stored, then the connection drops: the SDK retries, gets 412, and the
    // writer checks the stored checksum.
    f.emu.emulator.faults().add(FaultRule {
        name: Some("lost response".to_owned()),
        operation: Some("PutObject".to_owned()),
        bucket: None,
        key: None,
        nth: Some(1),
        probability: None,
        seed: 0,
        times: Some(1),
        action: FaultAction::ResetAfterStore,
    });
    let dest = hmac("customer-lake", "eu-west-1", AKID, SECRET);
    let writer = AppendWriter::new(
        &dest,
        &f.settings(),
        Encoding {
            format: Format::JsonLines,
            gzip: false,
        },
    )
    .await
    .expect("writer");
    let report = writer
        .append("payments", &records(10), None)
        .await
        .expect("delivered");
    assert!(report.already_present, "{report:?}");
    assert_eq!(report.verified_by, Some(Verification::Checksum));
    assert!(report.attempts >= 2, "{report:?}");
    assert_eq!(f.keys("exports/payments/").len(), 1);
}

#[tokio::test]
async fn throttling_server_errors_and_resets_are_retried() {
    let f = Fixture::start(SEED_WORLD).await;
    // Every matching rule fires on a request, so each fault gets its own request number.
    use emulator::protocol::codes::Code;
    for (nth, code) in [
        (1, Code::SlowDown),
        (2, Code::SlowDown),
        (3, Code::SlowDown),
        (4, Code::InternalError),
        (5, Code::InternalError),
    ] {
        f.emu.emulator.faults().add(FaultRule {
            name: Some(format!("{} #{nth}", code.as_str())),
            operation: Some("PutObject".to_owned()),
            bucket: None,
            key: None,
            nth: Some(nth),
            probability: None,
            seed: 0,
            times: None,
            action: FaultAction::Error {
                code,
                status: None,
                message: None,
            },
        });
    }
    let dest = hmac("customer-lake", "eu-west-1", AKID, SECRET);
    let writer = AppendWriter::new(
        &dest,
        &f.settings(),
        Encoding {
            format: Format::JsonLines,
            gzip: false,
        },
    )
    .await
    .expect("writer");
    // And a connection reset before the body was read (nothing stored).
    f.emu.emulator.faults().add(FaultRule {
        name: Some("reset".to_owned()),
        operation: Some("PutObject".to_owned()),
        bucket: None,
        key: None,
        nth: Some(6),
        probability: None,
        seed: 0,
        times: None,
        action: FaultAction::ResetBeforeBody,
    });
    let report = writer
        .append("payments", &records(5), None)
        .await
        .expect("delivered after retries");
    assert_eq!(report.attempts, 7, "{report:?}");
    assert!(!report.already_present);
}

#[tokio::test]
async fn persistent_throttling_gives_up_with_a_transient_diagnosis() {
    let f = Fixture::start(SEED_WORLD).await;
    f.emu.emulator.faults().add(FaultRule {
        name: Some("always slow".to_owned()),
        operation: Some("PutObject".to_owned()),
        bucket: None,
        key: None,
        nth: None,
        probability: None,
        seed: 0,
        times: None,
        action: FaultAction::Error {
            code: emulator::protocol::codes::Code::SlowDown,
            status: None,
            message: None,
        },
    });
    let mut settings = f.settings();
    settings.sync_max_attempts = 2;
    settings.sync_outer_attempts = 2;
    let dest = hmac("customer-lake", "eu-west-1", AKID, SECRET);
    let writer = AppendWriter::new(
        &dest,
        &settings,
        Encoding {
            format: Format::JsonLines,
            gzip: false,
        },
    )
    .await
    .expect("writer");
    let err = writer.append("payments", &records(5), None).await.unwrap_err();
    assert_eq!(err.kind(), "SlowDown");
    match err {
        SyncError::Rejected {
            attempts, diagnosis, ..
        } => {
            assert_eq!(attempts, 4);
            assert!(diagnosis.is_transient());
            assert_eq!(diagnosis.evidence().and_then(|e| e.status), Some(503));
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_key_deactivated_after_onboarding_is_reported_as_such() {
    let f = Fixture::start(SEED_WORLD).await;
    let dest = hmac(
        "customer-lake",
        "eu-west-1",
        "AKIAINACTIVEEXAMPLE1",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYINACTIVE01",
    );
    let writer = AppendWriter::new(
        &dest,
        &f.settings(),
        Encoding {
            format: Format::JsonLines,
            gzip: false,
        },
    )
    .await
    .expect("writer");
    let err = writer.append("payments", &records(1), None).await.unwrap_err();
    assert_eq!(err.kind(), "AccessKeyInactiveOrDeleted", "{err}");
}

fn role_dest(external_id: Option<&str>) -> DestinationConfig {
    DestinationConfig {
        bucket: "customer-lake".to_owned(),
        region: "eu-west-1".to_owned(),
        prefix: Some("exports".to_owned()),
        auth: Auth::AssumeRole {
            role_arn: "arn:aws:iam::222222222222:role/transfer-role".to_owned(),
            external_id: external_id.map(str::to_owned),
        },
    }
}

fn role_settings(f: &Fixture) -> ServiceSettings {
    f.settings().with_static_credentials(
        "AKIAVENDORSYNC000001",
        "vendor-secret-vendor-secret-vendor-secre",
        None,
    )
}

#[tokio::test]
async fn seed_setup_role_onboarding_passes() {
    let f = Fixture::start(ROLE_WORLD).await;
    let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
    assert_passes_as_the_seed_does(&report);
    assert_eq!(
        report.step(Step::AssumeRole).map(|s| s.outcome),
        Some(StepOutcome::Passed)
    );
    assert!(f.keys("exports/").is_empty());
}

#[tokio::test]
async fn role_mode_without_external_id_is_diagnosed() {
    let f = Fixture::start(ROLE_WORLD).await;
    let report = onboard(&role_dest(None), &role_settings(&f)).await;
    assert_eq!(
        report.kind(),
        Some("ExternalIdMismatchOrMissing"),
        "{:#?}",
        report.diagnosis
    );
    let report = onboard(&role_dest(Some("ext-999")), &role_settings(&f)).await;
    assert_eq!(
        report.kind(),
        Some("TrustPolicyDeniesAssumeRole"),
        "{:#?}",
        report.diagnosis
    );
}

#[tokio::test]
async fn role_sync_keeps_working_across_session_expiry() {
    let f = Fixture::start(ROLE_WORLD).await;
    let writer = AppendWriter::new(
        &role_dest(Some("ext-123")),
        &role_settings(&f),
        Encoding {
            format: Format::JsonLines,
            gzip: true,
        },
    )
    .await
    .expect("writer");
    writer
        .append("payments", &records(5), Some(BatchId::sequence(1)))
        .await
        .expect("first hour");
    // Past the 1 h session: the SDK's identity cache notices the expiry on the shared clock and
    // the provider re-assumes the role.
    f.clock.advance(Duration::from_secs(2 * 3600)).unwrap();
    let later = writer
        .append("payments", &records(5), Some(BatchId::sequence(2)))
        .await
        .expect("third hour");
    assert!(!later.already_present);
    assert_eq!(f.keys("exports/payments/").len(), 2);
}

// ---- role mode: the setup guide with one thing wrong at a time ----

const TRUST_OK: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole"],
  "Principal":{"AWS":"arn:aws:iam::111111111111:user/sync"},
  "Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}"#;

fn seed_policy(resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"{resource}"}}]}}"#
    )
}

/// The role world with a given trust policy, permissions policy and extra TOML for the role,
/// the customer account, the bucket, and the end of the file.
struct RoleWorld<'a> {
    trust: &'a str,
    policy: String,
    account_extra: &'a str,
    role_extra: &'a str,
    bucket_extra: &'a str,
    tail: &'a str,
}

impl Default for RoleWorld<'_> {
    fn default() -> Self {
        Self {
            trust: TRUST_OK,
            policy: seed_policy("arn:aws:s3:::customer-lake/*"),
            account_extra: "",
            role_extra: "",
            bucket_extra: "",
            tail: "",
        }
    }
}

impl RoleWorld<'_> {
    fn toml(&self) -> String {
        format!(
            r#"
[[accounts]]
id = "111111111111"
name = "vendor"

[[accounts]]
id = "222222222222"
name = "customer"
{account_extra}

[[users]]
account = "vendor"
name = "sync"
access_keys = [{{ id = "AKIAVENDORSYNC000001", secret = "vendor-secret-vendor-secret-vendor-secre" }}]
policies = [{{ name = "assume", document = '''
{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"*"}}]}}
''' }}]

[[roles]]
account = "customer"
name = "transfer-role"
trust_policy = '''{trust}'''
policies = [{{ name = "push-to-warehouse", document = '''{policy}''' }}]
{role_extra}

[[buckets]]
name = "customer-lake"
account = "customer"
region = "eu-west-1"
{bucket_extra}
{tail}
"#,
            account_extra = self.account_extra,
            trust = self.trust,
            policy = self.policy,
            role_extra = self.role_extra,
            bucket_extra = self.bucket_extra,
            tail = self.tail,
        )
    }
}

#[tokio::test]
async fn role_misconfigurations_are_diagnosed() {
    let trust_wrong_principal = TRUST_OK.replace("111111111111:user/sync", "222222222222:root");
    let kms_tail = r#"
[[kms_keys]]
account = "customer"
id = "1234abcd-12ab-34cd-56ef-1234567890ab"
region = "eu-west-1"
"#;
    let only_delete = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::customer-lake/*"}]}"#;
    let boundary = r#"
[[policies]]
account = "customer"
name = "read-only-boundary"
document = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'''
"#;
    let deny_unencrypted = r#"policy = '''{"Version":"2012-10-17","Statement":[{"Sid":"DenyUnencrypted","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::customer-lake/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}'''"#;
    let cases: Vec<(&str, RoleWorld<'_>, &str)> = vec![
        (
            "M01 trust names the customer's own root",
            RoleWorld {
                trust: &trust_wrong_principal,
                ..RoleWorld::default()
            },
            "TrustPolicyDeniesAssumeRole",
        ),
        (
            "M13 STS off in the region",
            RoleWorld {
                account_extra: r#"sts_disabled_regions = ["eu-west-1"]"#,
                ..RoleWorld::default()
            },
            "RegionDisabledForSts",
        ),
        (
            "M19 bucket ARN without /*",
            RoleWorld {
                policy: seed_policy("arn:aws:s3:::customer-lake"),
                ..RoleWorld::default()
            },
            "PolicyMissingPutObject",
        ),
        (
            "M20 placeholder left in",
            RoleWorld {
                policy: seed_policy("arn:aws:s3:::BUCKET_NAME/*"),
                ..RoleWorld::default()
            },
            "PolicyMissingPutObject",
        ),
        (
            "M21 another bucket",
            RoleWorld {
                policy: seed_policy("arn:aws:s3:::customer-lake-dev/*"),
                ..RoleWorld::default()
            },
            "PolicyMissingPutObject",
        ),
        (
            "M22 prefix-restricted policy",
            RoleWorld {
                policy: seed_policy("arn:aws:s3:::customer-lake/other/*"),
                ..RoleWorld::default()
            },
            "PolicyMissingPutObject",
        ),
        (
            "M24 no PutObject",
            RoleWorld {
                policy: only_delete.to_owned(),
                ..RoleWorld::default()
            },
            "PolicyMissingPutObject",
        ),
        (
            "M26 permissions boundary",
            RoleWorld {
                role_extra: r#"permissions_boundary = "arn:aws:iam::222222222222:policy/read-only-boundary""#,
                tail: boundary,
                ..RoleWorld::default()
            },
            "PermissionsBoundaryDeniesPutObject",
        ),
        (
            "M39 KMS default encryption without kms:GenerateDataKey",
            RoleWorld {
                bucket_extra: r#"encryption = { algorithm = "aws:kms", kms_key = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab" }"#,
                tail: kms_tail,
                ..RoleWorld::default()
            },
            "KmsKeyDenied",
        ),
        (
            "M49 bucket policy requires an SSE header",
            RoleWorld {
                bucket_extra: deny_unencrypted,
                ..RoleWorld::default()
            },
            "BucketPolicyExplicitDeny",
        ),
    ];
    for (name, world, want) in cases {
        let f = Fixture::start(&world.toml()).await;
        let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
        assert_eq!(report.kind(), Some(want), "{name}: {:#?}", report.diagnosis);
        let d = report.diagnosis.as_ref().expect("diagnosis");
        assert!(
            d.evidence().and_then(|e| e.request_id.as_ref()).is_some(),
            "{name}: request id"
        );
        assert!(f.keys("").is_empty(), "{name}: nothing written");
        if want == "PolicyMissingPutObject" {
            let policy = connector::diagnosis::permissions_policy("customer-lake");
            assert!(d.remediation().contains(&policy), "{name}");
        }
    }
}

#[tokio::test]
async fn a_prefix_restricted_policy_passes_with_the_matching_prefix() {
    let world = RoleWorld {
        policy: seed_policy("arn:aws:s3:::customer-lake/other/*"),
        ..RoleWorld::default()
    };
    let f = Fixture::start(&world.toml()).await;
    let mut dest = role_dest(Some("ext-123"));
    dest.prefix = Some("other".to_owned());
    let report = onboard(&dest, &role_settings(&f)).await;
    assert_passes_as_the_seed_does(&report);
}

/// The seed's actions plus the multipart housekeeping ones, and KMS statements as given.
fn policy_with_abort(kms_actions: &str) -> String {
    let kms = if kms_actions.is_empty() {
        String::new()
    } else {
        format!(
            r#",{{"Effect":"Allow","Action":[{kms_actions}],"Resource":"arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}"#
        )
    };
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload"],"Resource":"arn:aws:s3:::customer-lake/*"}}{kms}]}}"#
    )
}

const KMS_KEY_TOML: &str = r#"
[[kms_keys]]
account = "customer"
id = "1234abcd-12ab-34cd-56ef-1234567890ab"
region = "eu-west-1"
"#;

const KMS_BUCKET: &str =
    r#"encryption = { algorithm = "aws:kms", kms_key = "1234abcd-12ab-34cd-56ef-1234567890ab" }"#;

#[tokio::test]
async fn granting_the_abort_permission_leaves_no_warning() {
    let world = RoleWorld {
        policy: policy_with_abort(""),
        ..RoleWorld::default()
    };
    let f = Fixture::start(&world.toml()).await;
    let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
    assert_eq!(report.outcome, Outcome::Passed, "{:#?}", report.warnings);
    assert_eq!(
        report.step(Step::ProbeMultipart).map(|s| s.outcome),
        Some(StepOutcome::Passed)
    );
    assert!(
        f.emu.emulator.uploads().list(None).is_empty(),
        "the probe leaves no upload"
    );
}

#[tokio::test]
async fn an_sse_kms_bucket_without_kms_decrypt_is_found_before_the_first_large_batch() {
    // M41: the one-byte PutObject passes with kms:GenerateDataKey alone; the parts of
    // a multipart upload also need kms:Decrypt.
    let world = RoleWorld {
        policy: policy_with_abort(r#""kms:GenerateDataKey""#),
        bucket_extra: KMS_BUCKET,
        tail: KMS_KEY_TOML,
        ..RoleWorld::default()
    };
    let f = Fixture::start(&world.toml()).await;
    let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
    assert_eq!(
        report.outcome,
        Outcome::PassedWithWarnings,
        "{:#?}",
        report.diagnosis
    );
    let kinds: Vec<&str> = report.warnings.iter().map(Diagnosis::kind).collect();
    assert_eq!(kinds, ["KmsKeyDenied"]);
    let warning = &report.warnings[0];
    assert!(warning.summary().contains("kms:Decrypt"), "{}", warning.summary());
    assert!(
        warning.remediation().contains("kms:Decrypt"),
        "{}",
        warning.remediation()
    );
    assert!(
        f.emu.emulator.uploads().list(None).is_empty(),
        "the probe upload was aborted"
    );

    // With kms:Decrypt as well, nothing is left to say.
    let world = RoleWorld {
        policy: policy_with_abort(r#""kms:GenerateDataKey","kms:Decrypt""#),
        bucket_extra: KMS_BUCKET,
        tail: KMS_KEY_TOML,
        ..RoleWorld::default()
    };
    let f = Fixture::start(&world.toml()).await;
    let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
    assert_eq!(report.outcome, Outcome::Passed, "{:#?}", report.warnings);
}

#[tokio::test]
async fn a_missing_delete_permission_fails_the_test_but_leaves_sync_ready() {
    let only_put = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::customer-lake/*"}]}"#;
    let worm = r#"policy = '''{"Version":"2012-10-17","Statement":[{"Sid":"Worm","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::customer-lake/*"}]}'''"#;
    for (name, world, want) in [
        (
            "M23 no DeleteObject",
            RoleWorld {
                policy: only_put.to_owned(),
                ..RoleWorld::default()
            },
            "PolicyMissingDeleteObject",
        ),
        (
            "M55 bucket policy denies deletes",
            RoleWorld {
                bucket_extra: worm,
                ..RoleWorld::default()
            },
            "BucketPolicyDeniesDeleteObject",
        ),
    ] {
        let f = Fixture::start(&world.toml()).await;
        let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
        assert_eq!(report.kind(), Some(want), "{name}: {:#?}", report.diagnosis);
        assert_eq!(
            report.step(Step::PutTestObject).map(|s| s.outcome),
            Some(StepOutcome::Passed)
        );
        assert_eq!(
            report.step(Step::DeleteTestObject).map(|s| s.outcome),
            Some(StepOutcome::Failed)
        );
        assert!(report.sync_ready, "{name}");
        let key = report.test_object_key.clone().expect("key");
        let d = report.diagnosis.as_ref().expect("diagnosis");
        assert_eq!(d.artifact_left_behind(), Some(key.as_str()), "{name}");
        assert!(d.remediation().contains(&key), "{name}");
        assert_eq!(
            f.keys("exports/_connection_test/"),
            [key],
            "{name}: the artifact is really there"
        );
    }
}

#[tokio::test]
async fn session_options_the_trust_policy_must_allow() {
    let f = Fixture::start(&RoleWorld::default().toml()).await;
    let mut settings = role_settings(&f);
    settings
        .session_tags
        .insert("tenant".to_owned(), "acme".to_owned());
    let report = onboard(&role_dest(Some("ext-123")), &settings).await;
    assert_eq!(
        report.kind(),
        Some("SessionTagsNotAllowed"),
        "{:#?}",
        report.diagnosis
    );
    assert!(report
        .diagnosis
        .as_ref()
        .unwrap()
        .remediation()
        .contains("sts:TagSession"));

    let mut settings = role_settings(&f);
    settings.source_identity = Some("push-to-warehouse".to_owned());
    let report = onboard(&role_dest(Some("ext-123")), &settings).await;
    assert_eq!(
        report.kind(),
        Some("SourceIdentityNotAllowed"),
        "{:#?}",
        report.diagnosis
    );

    // Allowed by the trust policy: both work, through the SDK's provider and the custom one.
    let trust = TRUST_OK.replace(
        r#"["sts:AssumeRole"]"#,
        r#"["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]"#,
    );
    let f = Fixture::start(
        &RoleWorld {
            trust: &trust,
            ..RoleWorld::default()
        }
        .toml(),
    )
    .await;
    for (tags, source_identity) in [(true, false), (true, true)] {
        let mut settings = role_settings(&f);
        if tags {
            settings
                .session_tags
                .insert("tenant".to_owned(), "acme".to_owned());
        }
        if source_identity {
            settings.source_identity = Some("push-to-warehouse".to_owned());
        }
        let report = onboard(&role_dest(Some("ext-123")), &settings).await;
        assert_passes_as_the_seed_does(&report);
    }
}

#[tokio::test]
async fn a_short_max_session_duration_falls_back_to_one_hour() {
    let f = Fixture::start(&RoleWorld::default().toml()).await;
    let mut settings = role_settings(&f);
    settings.session_duration_seconds = Some(7200);
    let report = onboard(&role_dest(Some("ext-123")), &settings).await;
    assert_eq!(
        report.outcome,
        Outcome::PassedWithWarnings,
        "{:#?}",
        report.diagnosis
    );
    let kinds: Vec<&str> = report.warnings.iter().map(Diagnosis::kind).collect();
    assert_eq!(kinds, ["MaxSessionDurationTooShort", "MultipartAbortNotAllowed"]);
    assert_eq!(
        report.step(Step::AssumeRole).map(|s| s.outcome),
        Some(StepOutcome::Warning)
    );

    let world = RoleWorld {
        role_extra: "max_session_duration = 7200",
        ..RoleWorld::default()
    };
    let f = Fixture::start(&world.toml()).await;
    let mut settings = role_settings(&f);
    settings.session_duration_seconds = Some(7200);
    let report = onboard(&role_dest(Some("ext-123")), &settings).await;
    assert_passes_as_the_seed_does(&report);
}

#[tokio::test]
async fn a_versioned_bucket_keeps_the_test_object_as_a_warning() {
    let world = RoleWorld {
        bucket_extra: r#"versioning = "Enabled""#,
        policy: policy_with_abort(""),
        ..RoleWorld::default()
    };
    let f = Fixture::start(&world.toml()).await;
    let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
    assert_eq!(
        report.outcome,
        Outcome::PassedWithWarnings,
        "{:#?}",
        report.diagnosis
    );
    let kinds: Vec<&str> = report.warnings.iter().map(Diagnosis::kind).collect();
    assert_eq!(kinds, ["VersionedBucketKeepsTestObject"]);
    assert_eq!(
        report.warnings[0].artifact_left_behind(),
        report.test_object_key.as_deref()
    );
}

#[tokio::test]
async fn sync_reports_the_assume_role_error_when_the_trust_changes_later() {
    let f = Fixture::start(&RoleWorld::default().toml()).await;
    let writer = AppendWriter::new(
        &role_dest(Some("ext-123")),
        &role_settings(&f),
        Encoding {
            format: Format::JsonLines,
            gzip: false,
        },
    )
    .await
    .expect("writer");
    writer
        .append("payments", &records(2), None)
        .await
        .expect("works at first");
    // The customer regenerates the ExternalId condition; the cached session expires.
    let trust = TRUST_OK.replace("ext-123", "ext-456");
    let world = World::from_toml(
        "edited",
        &RoleWorld {
            trust: &trust,
            ..RoleWorld::default()
        }
        .toml(),
    )
    .expect("world");
    f.emu.emulator.replace_world(world);
    f.clock.advance(Duration::from_secs(2 * 3600)).unwrap();
    let err = writer.append("payments", &records(3), None).await.unwrap_err();
    assert_eq!(err.kind(), "TrustPolicyDeniesAssumeRole", "{err}");
    let d = err.diagnosis().expect("diagnosis");
    assert_eq!(
        d.evidence().and_then(|e| e.operation),
        Some(connector::diagnosis::Operation::AssumeRole)
    );
}

/// The connector's own waits (IAM propagation) pass on the manual clock: the sleep
/// advances it and returns at once, so the emulator sees the time go by.
#[derive(Debug)]
struct ClockSleep(Arc<ManualClock>);

impl aws_sdk_s3::config::AsyncSleep for ClockSleep {
    fn sleep(&self, duration: Duration) -> aws_sdk_s3::config::Sleep {
        self.0.advance(duration).expect("advance");
        aws_sdk_s3::config::Sleep::new(std::future::ready(()))
    }
}

#[tokio::test]
async fn onboarding_waits_for_iam_propagation_within_its_budget() {
    let only_delete = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::customer-lake/*"}]}"#;
    let f = Fixture::start(
        &RoleWorld {
            policy: only_delete.to_owned(),
            ..RoleWorld::default()
        }
        .toml(),
    )
    .await;
    // The customer attaches the write policy; IAM takes 10 s to propagate it.
    let fixed = World::from_toml("fixed", &RoleWorld::default().toml()).expect("world");
    f.emu.emulator.replace_world_propagating(
        fixed,
        "put policy",
        emulator::propagation::Propagation::fixed(Duration::from_secs(10)),
    );
    let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
    assert!(report.is_success(), "{:#?}", report.diagnosis);
    let kinds: Vec<&str> = report.warnings.iter().map(Diagnosis::kind).collect();
    assert_eq!(kinds, ["WaitedForIamPropagation", "MultipartAbortNotAllowed"]);
    let waited = &report.warnings[0];
    assert_eq!(
        waited.details(),
        [
            ("waited_seconds", "15".to_owned()),
            ("bound_seconds", "60".to_owned()),
            ("cleared", "true".to_owned())
        ],
        "backoff 1 + 2 + 4 + 8 s, then the policy had arrived"
    );
    assert!(
        waited.remediation().contains("Nothing to change"),
        "{}",
        waited.remediation()
    );
    let put = report.step(Step::PutTestObject).expect("put step");
    assert_eq!(put.duration_ms, 15_000, "durations come from the injected clock");

    // A delay longer than the bound: the denial stands, beside a warning that says
    // how long onboarding waited and to wait before editing.
    let f = Fixture::start(
        &RoleWorld {
            policy: only_delete.to_owned(),
            ..RoleWorld::default()
        }
        .toml(),
    )
    .await;
    let fixed = World::from_toml("fixed", &RoleWorld::default().toml()).expect("world");
    f.emu.emulator.replace_world_propagating(
        fixed,
        "put policy",
        emulator::propagation::Propagation::fixed(Duration::from_secs(300)),
    );
    let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
    assert_eq!(report.kind(), Some("PolicyMissingPutObject"));
    let waited = report
        .warnings
        .iter()
        .find(|w| w.kind() == "WaitedForIamPropagation")
        .expect("the wait is reported");
    assert!(waited.details().contains(&("waited_seconds", "60".to_owned())));
    assert!(waited.details().contains(&("cleared", "false".to_owned())));
    assert!(
        waited
            .remediation()
            .contains("wait a few minutes and run the connection test again before editing"),
        "{}",
        waited.remediation()
    );

    // Without a budget the same denial is reported at once.
    let f = Fixture::start(
        &RoleWorld {
            policy: only_delete.to_owned(),
            ..RoleWorld::default()
        }
        .toml(),
    )
    .await;
    let mut settings = role_settings(&f);
    settings.propagation_wait_seconds = 0;
    let report = onboard(&role_dest(Some("ext-123")), &settings).await;
    assert_eq!(report.kind(), Some("PolicyMissingPutObject"));
    assert!(report
        .warnings
        .iter()
        .all(|w| w.kind() != "WaitedForIamPropagation"));
}

fn lose_first_response(f: &Fixture) {
    f.emu.emulator.faults().add(FaultRule {
        name: Some("lost response".to_owned()),
        operation: Some("PutObject".to_owned()),
        bucket: None,
        key: None,
        nth: Some(1),
        probability: None,
        seed: 0,
        times: Some(1),
        action: FaultAction::ResetAfterStore,
    });
}

#[tokio::test]
async fn a_lost_response_without_read_permission_relies_on_the_content_hash() {
    // The setup guide's policy grants no s3:GetObject, so the read-back is denied.
    let encoding = Encoding {
        format: Format::Csv,
        gzip: true,
    };
    let f = Fixture::start(&RoleWorld::default().toml()).await;
    lose_first_response(&f);
    let writer = AppendWriter::new(&role_dest(Some("ext-123")), &role_settings(&f), encoding)
        .await
        .expect("writer");
    let report = writer
        .append("payments", &records(4), None)
        .await
        .expect("delivered");
    assert!(report.already_present);
    assert_eq!(report.verified_by, Some(Verification::ContentAddressedKey));

    // A caller-given id proves nothing about the content: the writer says it cannot tell.
    let f = Fixture::start(&RoleWorld::default().toml()).await;
    lose_first_response(&f);
    let writer = AppendWriter::new(&role_dest(Some("ext-123")), &role_settings(&f), encoding)
        .await
        .expect("writer");
    let err = writer
        .append("payments", &records(4), Some(BatchId::sequence(9)))
        .await
        .unwrap_err();
    match err {
        SyncError::Unverifiable { key, detail } => {
            assert!(key.ends_with("/00000000000000000009.csv.gz"), "{key}");
            assert!(detail.contains("403"), "{detail}");
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn the_confused_deputy_probe_finds_a_trust_policy_that_ignores_the_external_id() {
    let guide_trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
  "Principal":{"AWS":"arn:aws:iam::111111111111:user/sync"}}]}"#;
    let world = RoleWorld {
        trust: guide_trust,
        ..RoleWorld::default()
    };
    let f = Fixture::start(&world.toml()).await;
    let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
    assert!(report.is_success(), "{:#?}", report.diagnosis);
    let kinds: Vec<&str> = report.findings.iter().map(Diagnosis::kind).collect();
    assert_eq!(
        kinds,
        ["TrustPolicyIgnoresExternalId", "DeleteObjectStillAllowed"]
    );
    let remediation = report.findings[0].remediation();
    assert!(
        remediation.contains(r#""Condition": { "StringEquals": { "sts:ExternalId": "ext-123" } }"#),
        "{remediation}"
    );
    assert_eq!(
        report.step(Step::ConfusedDeputyProbe).map(|s| s.outcome),
        Some(StepOutcome::Warning)
    );
    // The probe's sessions are named for what they are in the customer's trail.
    let records = emulator::cloudtrail::records(&f.emu.emulator.log().recent(100, None));
    let names: Vec<&str> = records["Records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["eventName"] == "AssumeRole")
        .filter_map(|r| r["requestParameters"]["roleSessionName"].as_str())
        .collect();
    assert!(names.contains(&connector::protect::PROBE_SESSION), "{names:?}");

    // The same role with the condition: both probe calls are refused, nothing found.
    let f = Fixture::start(&RoleWorld::default().toml()).await;
    let report = onboard(&role_dest(Some("ext-123")), &role_settings(&f)).await;
    let kinds: Vec<&str> = report.findings.iter().map(Diagnosis::kind).collect();
    assert_eq!(kinds, ["DeleteObjectStillAllowed"]);

    // A service that refuses such roles fails onboarding before writing anything.
    let f = Fixture::start(&world.toml()).await;
    let mut settings = role_settings(&f);
    settings.confused_deputy = connector::config::FindingAction::Refuse;
    let report = onboard(&role_dest(Some("ext-123")), &settings).await;
    assert_eq!(report.kind(), Some("TrustPolicyIgnoresExternalId"));
    assert!(!report.sync_ready);
    assert!(f.keys("").is_empty());
}

#[tokio::test]
async fn the_sync_reminder_runs_at_most_once_a_day_and_deletes_nothing() {
    let f = Fixture::start(SEED_WORLD).await;
    let writer = AppendWriter::new(
        &hmac("customer-lake", "eu-west-1", AKID, SECRET),
        &f.settings(),
        Encoding {
            format: Format::JsonLines,
            gzip: false,
        },
    )
    .await
    .expect("writer");
    writer.append("payments", &records(3), None).await.expect("batch");
    let before = f.keys("");
    let (finding, state) = writer.delete_reminder(&Default::default()).await;
    assert_eq!(
        finding.as_ref().map(Diagnosis::kind),
        Some("DeleteObjectStillAllowed")
    );
    assert!(state.last_checked_unix.is_some());
    assert_eq!(f.keys(""), before, "the probe deleted nothing and wrote nothing");
    // Within the day: no request at all.
    let seen = f.emu.emulator.log().next_seq();
    f.clock.advance(Duration::from_secs(23 * 3600)).unwrap();
    let (finding, same) = writer.delete_reminder(&state).await;
    assert!(finding.is_none());
    assert_eq!(same, state);
    assert!(f.emu.emulator.log().recent(10, Some(seen - 1)).is_empty());
    // A day later it checks again.
    f.clock.advance(Duration::from_secs(2 * 3600)).unwrap();
    let (finding, _) = writer.delete_reminder(&state).await;
    assert!(finding.is_some());
}
