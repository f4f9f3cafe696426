//! Large batches as multipart uploads, exactly once, against an in-process
//! emulator: the object the parts make, a re-sent batch recognised as delivered,
//! a lost Complete answer, Complete's 200-with-an-error-body (M68), retried parts,
//! and an upload that cannot be aborted (M29) reported instead of dropped.

#![expect(
    clippy::expect_used,
    reason = "fixture helpers outside #[test] fns fail the test loudly, like the tests themselves"
)]

use std::sync::Arc;
use std::time::SystemTime;

use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use connector::config::{Auth, Secret};
use connector::format::{Encoding, Format};
use connector::{AppendWriter, DestinationConfig, ServiceSettings, SyncError};
use emulator::fault::{FaultAction, FaultRule};
use emulator::protocol::codes::Code;
use emulator::{Clock, Config, Emulator, ManualClock, Running, World};
use serde_json::{json, Value};
use time::macros::datetime;

const WORLD: &str = r#"
[[accounts]]
id = "222222222222"
name = "customer"

[[users]]
account = "customer"
name = "writer"
access_keys = [{ id = "AKIAWRITERMULTIPART1", secret = "writer-secret-writer-secret-writer-secr" }]
policies = [{ name = "w", document = '''
{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject","s3:GetObject","s3:AbortMultipartUpload"],"Resource":"arn:aws:s3:::customer-lake/*"}
]}
''' }]

[[users]]
account = "customer"
name = "guide"
access_keys = [{ id = "AKIAGUIDEMULTIPART01", secret = "guide-secret-guide-secret-guide-secret0" }]
policies = [{ name = "push-to-warehouse", document = '''
{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::customer-lake/*"}
]}
''' }]

[[buckets]]
name = "customer-lake"
account = "customer"
region = "eu-west-1"
"#;

/// Parts of 16 KiB (the emulator's minimum part size is lowered to match).
const PART: u64 = 16 * 1024;

#[derive(Debug)]
struct EmulatorTime(Arc<ManualClock>);

impl TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        SystemTime::from(self.0.now())
    }
}

struct Fixture {
    emu: Running,
    clock: Arc<ManualClock>,
}

impl Fixture {
    async fn start() -> Self {
        let clock = Arc::new(ManualClock::new(datetime!(2025-01-01 12:00 UTC)));
        let world = World::from_toml("multipart world", WORLD).expect("world");
        let config = Config::default().with_min_part_size(PART);
        let emulator = Emulator::new(config, world, clock.clone() as Arc<dyn Clock>);
        let emu = emulator::spawn(Arc::new(emulator)).await.expect("spawn");
        Self { emu, clock }
    }

    async fn writer(&self, key_id: &str, secret: &str) -> AppendWriter {
        let mut settings = ServiceSettings::default()
            .with_endpoint_url(&self.emu.endpoint)
            .with_time_source(SharedTimeSource::new(EmulatorTime(self.clock.clone())));
        settings.retry_initial_backoff_ms = 5;
        settings.sync_max_attempts = 3;
        settings.multipart_threshold_bytes = 2 * PART;
        settings.multipart_part_bytes = PART;
        let dest = DestinationConfig {
            bucket: "customer-lake".to_owned(),
            region: "eu-west-1".to_owned(),
            prefix: Some("exports".to_owned()),
            auth: Auth::Hmac {
                access_key_id: key_id.to_owned(),
                secret_access_key: Secret::new(secret),
            },
        };
        let encoding = Encoding {
            format: Format::JsonLines,
            gzip: false,
        };
        AppendWriter::new(&dest, &settings, encoding)
            .await
            .expect("writer")
    }

    fn fault(&self, name: &str, operation: &str, nth: Option<u64>, times: Option<u64>, action: FaultAction) {
        self.emu.emulator.faults().add(FaultRule {
            name: Some(name.to_owned()),
            operation: Some(operation.to_owned()),
            bucket: None,
            key: None,
            nth,
            probability: None,
            seed: 0,
            times,
            action,
        });
    }

    fn objects(&self) -> Vec<(String, String)> {
        self.emu
            .emulator
            .store()
            .list("customer-lake", "exports/", None, usize::MAX)
            .into_iter()
            .map(|m| (m.key.to_string(), m.etag.to_string()))
            .collect()
    }
}

/// About 40 KiB of JSON Lines: three parts of 16 KiB.
fn big_batch(tag: &str) -> Vec<Value> {
    (0..400)
        .map(|i| json!({"id": i, "tag": tag, "memo": format!("row {i} {}", "x".repeat(80))}))
        .collect()
}

fn error(code: Code, status: Option<u16>) -> FaultAction {
    FaultAction::Error {
        code,
        status,
        message: None,
    }
}

#[tokio::test]
async fn a_large_batch_goes_as_multipart_and_a_resend_is_recognised() {
    let f = Fixture::start().await;
    let w = f
        .writer("AKIAWRITERMULTIPART1", "writer-secret-writer-secret-writer-secr")
        .await;
    let batch = big_batch("a");
    let first = w.append("orders", &batch, None).await.expect("append");
    assert!(!first.already_present);
    let objects = f.objects();
    assert_eq!(objects.len(), 1);
    assert!(
        objects[0].1.ends_with("-3\""),
        "a three-part ETag: {}",
        objects[0].1
    );
    assert_eq!(first.bytes, objects_size(&f));
    let again = w.append("orders", &batch, None).await.expect("re-append");
    assert!(
        again.already_present,
        "the same batch is recognised by its composite checksum"
    );
    assert_eq!(f.objects().len(), 1, "exactly once");
    assert!(
        f.emu.emulator.uploads().list(None).is_empty(),
        "no upload left behind"
    );
}

fn objects_size(f: &Fixture) -> u64 {
    f.emu
        .emulator
        .store()
        .list("customer-lake", "exports/", None, usize::MAX)
        .iter()
        .map(|m| m.size)
        .sum()
}

#[tokio::test]
async fn a_lost_complete_answer_and_a_200_error_body_still_deliver_once() {
    let f = Fixture::start().await;
    let w = f
        .writer("AKIAWRITERMULTIPART1", "writer-secret-writer-secret-writer-secr")
        .await;
    // The first Complete lands, then the connection drops: the SDK's retry finds
    // the upload gone (NoSuchUpload) and the connector checks the object.
    f.fault(
        "lost",
        "CompleteMultipartUpload",
        Some(1),
        Some(1),
        FaultAction::ResetAfterStore,
    );
    let report = w
        .append("orders", &big_batch("lost"), None)
        .await
        .expect("delivered");
    assert!(report.already_present, "recognised as the batch that landed");
    assert_eq!(f.objects().len(), 1);
    // M68: Complete answers 200 with an <Error> body; nothing was completed.
    f.emu.emulator.faults().clear();
    f.fault(
        "m68",
        "CompleteMultipartUpload",
        Some(1),
        Some(1),
        error(Code::InternalError, Some(200)),
    );
    let report = w
        .append("orders", &big_batch("m68"), None)
        .await
        .expect("delivered after the retry");
    assert!(!report.already_present);
    assert_eq!(f.objects().len(), 2);
    // A part throttled twice goes through on the SDK's retries.
    f.emu.emulator.faults().clear();
    f.fault(
        "slow",
        "UploadPart",
        Some(2),
        Some(2),
        error(Code::SlowDown, None),
    );
    w.append("orders", &big_batch("slow"), None)
        .await
        .expect("delivered");
    assert_eq!(f.objects().len(), 3);
    assert!(f.emu.emulator.uploads().list(None).is_empty());
}

#[tokio::test]
async fn an_upload_that_cannot_be_aborted_is_reported_not_dropped() {
    // misconfigs.md M29: the setup guide grants no s3:AbortMultipartUpload.
    let f = Fixture::start().await;
    let w = f
        .writer("AKIAGUIDEMULTIPART01", "guide-secret-guide-secret-guide-secret0")
        .await;
    f.fault(
        "broken",
        "UploadPart",
        None,
        None,
        error(Code::InternalError, None),
    );
    let err = w
        .append("orders", &big_batch("x"), None)
        .await
        .expect_err("parts keep failing");
    let SyncError::Rejected {
        incomplete_upload, ..
    } = &err
    else {
        panic!("expected a rejection, got {err}");
    };
    let id = incomplete_upload
        .clone()
        .expect("the upload left behind is named");
    let uploads = f.emu.emulator.uploads().list(None);
    assert_eq!(uploads.len(), 1, "one upload left, not one per retry");
    assert_eq!(uploads[0].id, id);
    assert!(err.to_string().contains("lifecycle rule"), "{err}");
    assert!(f.objects().is_empty());
}
