//! Exactly once under faults: 1,000 batches synced in role mode across 200 seeded
//! random fault schedules (503 SlowDown, 500 InternalError, connection resets before
//! the body is read, resets after the object was stored so the response is lost, a
//! session that expires mid-sync as the clock moves, a service host whose clock is
//! 20 minutes off). After every schedule the bucket holds every batch once,
//! byte-identical, and nothing else. The closing line prints the lost and duplicated
//! counts, which must be zero.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use connector::config::Auth;
use connector::format::{Encoding, Format};
use connector::sync::AppendWriter;
use connector::{DestinationConfig, ServiceSettings};
use emulator::fault::{FaultAction, FaultRule};
use emulator::store::ObjectData;
use emulator::{Clock, Config, Emulator, ManualClock, World};
use serde_json::{json, Value};

const SCHEDULES: u64 = 200;
const BATCHES: u64 = 5;

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
access_keys = [{ id = "AKIAVENDORSYNC000001", secret = "vendor-secret-vendor-secret-vendor-secre" }]
policies = [{ name = "assume", document = '''
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}
''' }]

[[roles]]
account = "customer"
name = "transfer-role"
trust_policy = '''
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
  "Principal":{"AWS":"arn:aws:iam::111111111111:user/sync"},
  "Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}
'''
policies = [{ name = "push-to-warehouse", document = '''
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],
  "Resource":"arn:aws:s3:::customer-lake/*"}]}
''' }]

[[buckets]]
name = "customer-lake"
account = "customer"
region = "eu-west-1"
"#;

/// The service host's clock: the emulator's, shifted by `skew`.
#[derive(Debug)]
struct HostTime(Arc<ManualClock>, Duration);

impl TimeSource for HostTime {
    fn now(&self) -> SystemTime {
        SystemTime::from(self.0.now()) + self.1
    }
}

fn rule(name: &str, seed: u64, probability: f64, action: FaultAction) -> FaultRule {
    FaultRule {
        name: Some(name.to_owned()),
        operation: Some("PutObject".to_owned()),
        bucket: None,
        key: None,
        nth: None,
        probability: Some(probability),
        seed,
        times: None,
        action,
    }
}

fn error(code: emulator::protocol::codes::Code) -> FaultAction {
    FaultAction::Error {
        code,
        status: None,
        message: None,
    }
}

fn batch(schedule: u64, n: u64) -> Vec<Value> {
    (0..3)
        .map(|i| json!({"schedule": schedule, "batch": n, "row": i, "memo": "exactly, once"}))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_batch_lands_once_under_seeded_fault_schedules() {
    let encoding = Encoding {
        format: Format::JsonLines,
        gzip: false,
    };
    let (mut delivered, mut lost, mut duplicated, mut faults_fired) = (0u64, 0u64, 0u64, 0u64);
    for seed in 0..SCHEDULES {
        let clock = Arc::new(ManualClock::new(time::macros::datetime!(2025-03-01 09:00 UTC)));
        let world = World::from_toml("exactly-once world", WORLD).expect("world");
        let emu = emulator::spawn(Arc::new(Emulator::new(
            Config::default(),
            world,
            clock.clone() as Arc<dyn Clock>,
        )))
        .await
        .expect("spawn");
        let faults = emu.emulator.faults();
        faults.add(rule(
            "slowdown",
            seed,
            0.12,
            error(emulator::protocol::codes::Code::SlowDown),
        ));
        faults.add(rule(
            "internal",
            seed.wrapping_mul(3) + 1,
            0.06,
            error(emulator::protocol::codes::Code::InternalError),
        ));
        faults.add(rule(
            "reset-before-body",
            seed.wrapping_mul(5) + 2,
            0.06,
            FaultAction::ResetBeforeBody,
        ));
        faults.add(rule(
            "reset-after-store",
            seed.wrapping_mul(7) + 3,
            0.10,
            FaultAction::ResetAfterStore,
        ));
        // Every fourth schedule runs on a host whose clock is 20 minutes fast.
        let skew = if seed % 4 == 3 {
            Duration::from_secs(20 * 60)
        } else {
            Duration::ZERO
        };
        let mut settings = ServiceSettings::default()
            .with_endpoint_url(&emu.endpoint)
            .with_time_source(SharedTimeSource::new(HostTime(clock.clone(), skew)))
            .with_static_credentials(
                "AKIAVENDORSYNC000001",
                "vendor-secret-vendor-secret-vendor-secre",
                None,
            );
        settings.retry_initial_backoff_ms = 1;
        let dest = DestinationConfig {
            bucket: "customer-lake".to_owned(),
            region: "eu-west-1".to_owned(),
            prefix: Some(format!("s{seed}")),
            auth: Auth::AssumeRole {
                role_arn: "arn:aws:iam::222222222222:role/transfer-role".to_owned(),
                external_id: Some("ext-123".to_owned()),
            },
        };
        let writer = AppendWriter::new(&dest, &settings, encoding)
            .await
            .expect("writer");
        let mut expected: Vec<(String, Vec<u8>)> = Vec::new();
        for n in 0..BATCHES {
            // Every third schedule moves the clock past the one-hour session halfway.
            if seed % 3 == 0 && n == BATCHES / 2 {
                clock.advance(Duration::from_secs(61 * 60)).expect("manual clock");
            }
            let records = batch(seed, n);
            let report = writer
                .append("payments", &records, None)
                .await
                .unwrap_or_else(|e| panic!("schedule {seed}, batch {n}: {e:?}"));
            expected.push((report.key.clone(), encoding.encode(&records).expect("encode")));
        }
        let stored = emu.emulator.store().list("customer-lake", "", None, usize::MAX);
        for (key, bytes) in &expected {
            match emu.emulator.store().get("customer-lake", key) {
                Some(o) => match &o.data {
                    ObjectData::Memory(b) if b.as_ref() == bytes.as_slice() => delivered += 1,
                    _ => panic!("schedule {seed}: `{key}` holds other bytes"),
                },
                None => lost += 1,
            }
        }
        duplicated += stored
            .iter()
            .filter(|m| !expected.iter().any(|(k, _)| *k == *m.key))
            .count() as u64;
        faults_fired += faults.list().iter().map(|(_, _, fired)| fired).sum::<u64>();
        emu.shutdown().await.expect("shutdown");
    }
    println!(
        "exactly once: {SCHEDULES} schedules, {delivered} batches delivered, {faults_fired} faults injected, lost {lost}, duplicated {duplicated}"
    );
    assert_eq!(delivered, SCHEDULES * BATCHES);
    assert_eq!((lost, duplicated), (0, 0));
    assert!(
        faults_fired >= SCHEDULES,
        "the schedules must actually inject faults ({faults_fired})"
    );
}
