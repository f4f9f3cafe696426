//! The `connector` binary against an in-process emulator: flags, `--config`, `--json`, exit
//! status, and sync's progress lines.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "fixture helpers outside #[test] fns fail the test loudly, like the tests themselves"
)]

use std::process::{Command, Output};
use std::sync::Arc;

use emulator::{Clock, Config, Emulator, Running, SystemClock, World};
use serde_json::Value;

/// The setup guide done right, in role and HMAC mode (`testkit::fixtures`).
const WORLD: &str = testkit::fixtures::VENDOR_CUSTOMER;

async fn start() -> Running {
    let world = World::from_toml("cli world", WORLD).expect("world");
    let emulator = Emulator::new(Config::default(), world, Arc::new(SystemClock) as Arc<dyn Clock>);
    emulator::spawn(Arc::new(emulator)).await.expect("spawn")
}

/// Runs the binary off the runtime thread, so the in-process emulator keeps serving.
async fn connector(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_connector"))
            .args(args)
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_PROFILE")
            .env("RUST_LOG", "off")
            .env("CONNECTOR_STATE_FILE", state_file())
            .output()
            .expect("run connector")
    })
    .await
    .expect("join")
}

/// The sync reminder's state file for this test process (never the user's own).
fn state_file() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("connector-cli-state-{}.json", std::process::id()))
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn hmac_flags(endpoint: &str, region: &str) -> Vec<String> {
    args(&[
        "--bucket",
        "customer-lake",
        "--region",
        region,
        "--prefix",
        "exports",
        "--access-key-id",
        "AKIAIOSFODNN7EXAMPLE",
        "--secret-access-key",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "--endpoint-url",
        endpoint,
    ])
}

#[tokio::test]
async fn onboard_with_flags_prints_json_and_exits_zero() {
    let emu = start().await;
    let mut a = args(&["--json", "onboard"]);
    a.extend(hmac_flags(&emu.endpoint, "eu-west-1"));
    let out = connector(a).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json(&out);
    // The setup guide's policy has no s3:AbortMultipartUpload (M29): a warning with
    // the lifecycle rule to add, and the connection test still passes.
    assert_eq!(report["outcome"], "passed_with_warnings");
    assert_eq!(report["steps"].as_array().map(Vec::len), Some(7));
    assert!(report["diagnosis"].is_null());
    // The least-privilege reminder: a finding with a stable kind, apart from warnings.
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["kind"], "DeleteObjectStillAllowed");
    assert!(
        findings[0]["remediation"]
            .as_str()
            .unwrap_or_default()
            .contains("you can remove `s3:DeleteObject`"),
        "{report}"
    );
    let warnings = report["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{report}");
    assert_eq!(warnings[0]["kind"], "MultipartAbortNotAllowed");
    let remediation = warnings[0]["remediation"].as_str().unwrap_or_default();
    assert!(
        remediation.contains("s3:AbortMultipartUpload") && remediation.contains("lifecycle rule"),
        "{remediation}"
    );
}

#[tokio::test]
async fn onboard_failure_prints_the_diagnosis_and_exits_one() {
    let emu = start().await;
    let mut a = args(&["--json", "onboard"]);
    a.extend(hmac_flags(&emu.endpoint, "us-east-1"));
    let out = connector(a).await;
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["diagnosis"]["kind"], "BucketInOtherRegion");
    assert_eq!(report["diagnosis"]["details"]["actual"], "eu-west-1");
    assert_eq!(report["diagnosis"]["evidence"]["status"], 400);

    let mut a = args(&["onboard"]);
    a.extend(hmac_flags(&emu.endpoint, "us-east-1"));
    let out = connector(a).await;
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAILED: BucketInOtherRegion"), "{text}");
    assert!(text.contains("from `us-east-1` to `eu-west-1`"), "{text}");
}

#[tokio::test]
async fn onboard_role_mode_from_a_config_file() {
    let emu = start().await;
    let dir = std::env::temp_dir().join(format!("connector-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("destination.toml");
    let config = format!(
        r#"
bucket = "customer-lake"
region = "eu-west-1"
prefix = "exports"

[auth]
type = "assume_role"
role_arn = "arn:aws:iam::222222222222:role/transfer-role"
external_id = "ext-123"

[service]
endpoint_url = "{}"
role_session_name = "cli-test"

[service.base_credentials]
type = "static"
access_key_id = "AKIAVENDORSYNC000001"
secret_access_key = "vendor-secret-vendor-secret-vendor-secre"
"#,
        emu.endpoint
    );
    std::fs::write(&path, config).expect("write config");
    let config_arg = path.display().to_string();

    let out = connector(args(&["onboard", "--config", &config_arg])).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("connection test passed"), "{text}");

    // A flag overrides the file: the wrong ExternalId is diagnosed. No waiting for
    // IAM propagation (`--propagation-wait 0`): this process runs on the real clock.
    let out = connector(args(&[
        "--json",
        "onboard",
        "--config",
        &config_arg,
        "--external-id",
        "ext-999",
        "--propagation-wait",
        "0",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["diagnosis"]["kind"], "TrustPolicyDeniesAssumeRole");
    let warnings = report["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().all(|w| w["kind"] != "WaitedForIamPropagation"),
        "{report}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn sync_batches_a_file_and_reports_progress_on_stderr() {
    let emu = start().await;
    let _ = std::fs::remove_file(state_file());
    let dir = std::env::temp_dir().join(format!("connector-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let input = dir.join("records.jsonl");
    let lines: Vec<String> = (0..25)
        .map(|i| format!("{{\"id\":{i},\"memo\":\"row {i}\"}}"))
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").expect("write input");

    let mut a = args(&[
        "--json",
        "sync",
        "--stream",
        "payments",
        "--gzip",
        "--batch-size",
        "10",
    ]);
    a.extend(hmac_flags(&emu.endpoint, "eu-west-1"));
    a.push(input.display().to_string());
    let out = connector(a).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result = json(&out);
    let batches = result["batches"].as_array().expect("batches");
    let sizes: Vec<u64> = batches.iter().filter_map(|b| b["records"].as_u64()).collect();
    assert_eq!(sizes, [10, 10, 5]);
    // The least-privilege reminder: the first sync of the day says s3:DeleteObject can go.
    let kinds: Vec<&str> = result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["DeleteObjectStillAllowed"], "{result}");
    for b in batches {
        let key = b["key"].as_str().expect("key");
        assert!(
            key.starts_with("exports/payments/") && key.ends_with(".jsonl.gz"),
            "{key}"
        );
        assert!(
            emu.emulator.store().get("customer-lake", key).is_some(),
            "{key} stored"
        );
    }
    let progress = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        progress.lines().filter(|l| l.starts_with('[')).count(),
        3,
        "{progress}"
    );

    // The same input again: every batch is recognised as already delivered.
    let mut a = args(&[
        "--json",
        "sync",
        "--stream",
        "payments",
        "--gzip",
        "--batch-size",
        "10",
    ]);
    a.extend(hmac_flags(&emu.endpoint, "eu-west-1"));
    a.push(input.display().to_string());
    let out = connector(a).await;
    assert_eq!(out.status.code(), Some(0));
    let again = json(&out);
    assert_eq!(
        again["findings"].as_array().map(Vec::len),
        Some(0),
        "once a day at most: {again}"
    );
    let present: Vec<bool> = again["batches"]
        .as_array()
        .expect("batches")
        .iter()
        .filter_map(|b| b["already_present"].as_bool())
        .collect();
    assert_eq!(present, [true, true, true]);

    // `--date` files the batches under the data's date, and a re-run finds them there.
    let dated = |emu: &Running, input: &std::path::Path| {
        let mut a = args(&[
            "--json",
            "sync",
            "--stream",
            "payments",
            "--batch-size",
            "10",
            "--date",
            "2026-02-28",
        ]);
        a.extend(hmac_flags(&emu.endpoint, "eu-west-1"));
        a.push(input.display().to_string());
        a
    };
    let out = connector(dated(&emu, &input)).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = json(&out);
    let keys: Vec<&str> = first["batches"]
        .as_array()
        .expect("batches")
        .iter()
        .filter_map(|b| b["key"].as_str())
        .collect();
    assert_eq!(keys.len(), 3);
    assert!(
        keys.iter().all(|k| k.starts_with("exports/payments/2026/02/28/")),
        "{keys:?}"
    );
    let objects = emu
        .emulator
        .store()
        .list("customer-lake", "", None, usize::MAX)
        .len();
    let out = connector(dated(&emu, &input)).await;
    let again = json(&out);
    assert!(again["batches"]
        .as_array()
        .expect("batches")
        .iter()
        .all(|b| b["already_present"] == true));
    assert_eq!(
        emu.emulator
            .store()
            .list("customer-lake", "", None, usize::MAX)
            .len(),
        objects
    );
    let mut bad = args(&["sync", "--stream", "payments", "--date", "2026-02-30"]);
    bad.extend(hmac_flags(&emu.endpoint, "eu-west-1"));
    let out = connector(bad).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn usage_errors_exit_two() {
    let out = connector(args(&[
        "onboard",
        "--bucket",
        "customer-lake",
        "--region",
        "eu-west-1",
    ]))
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--role-arn or --access-key-id"));
    let out = connector(args(&["sync", "--stream", "x"])).await;
    assert_eq!(out.status.code(), Some(2));
}
