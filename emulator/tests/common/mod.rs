//! Shared helpers for the emulator's integration tests.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::PathBuf;
use std::sync::Arc;

use aws_credential_types::Credentials;
use emulator::{Clock, Config, Emulator, Running, World};

pub const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A world with one account, a user with an active and an inactive key, and two buckets.
pub const WORLD: &str = r#"
[[accounts]]
id = "111111111111"
name = "customer"

[[accounts]]
id = "222222222222"
name = "other"

[[users]]
account = "customer"
name = "writer"
access_keys = [
  { id = "AKIAIOSFODNN7EXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  { id = "AKIAINACTIVEEXAMPLE1", secret = "inactive-secret", status = "Inactive" },
]

[[users]]
account = "other"
name = "stranger"
access_keys = [{ id = "AKIASTRANGEREXAMPLE1", secret = "stranger-secret" }]

[[buckets]]
name = "lake"
account = "customer"
region = "eu-west-1"

[[buckets]]
name = "test-bucket"
account = "customer"
region = "us-east-1"
"#;

/// Start an emulator on 127.0.0.1:0.
pub async fn start(world: &str, clock: Arc<dyn Clock>) -> Running {
    start_with(world, clock, Config::default()).await
}

/// Start an emulator with a config.
pub async fn start_with(world: &str, clock: Arc<dyn Clock>, config: Config) -> Running {
    let world = World::from_toml("test world", world).expect("world");
    emulator::spawn(Arc::new(Emulator::new(config, world, clock)))
        .await
        .expect("spawn")
}

/// An S3 client for the emulator.
pub async fn s3(endpoint: &str, region: &str, akid: &str, secret: &str) -> aws_sdk_s3::Client {
    s3_with(
        endpoint,
        region,
        Credentials::new(akid, secret, None, None, "test"),
        false,
    )
    .await
}

/// An S3 client with explicit credentials and checksum mode.
pub async fn s3_with(
    endpoint: &str,
    region: &str,
    creds: Credentials,
    when_required: bool,
) -> aws_sdk_s3::Client {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(creds)
        .endpoint_url(endpoint)
        .load()
        .await;
    let mut b = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true);
    if when_required {
        b = b
            .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

/// The `shared/` folder beside the project, or `None` (tests then say so, and fail in CI).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")));
    if dir.join("vectors").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: {} not found: the shared vectors live beside the project",
            dir.display()
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "shared vectors are required in CI"
        );
        None
    }
}

/// The AWS error code of an SDK error, or a panic naming what came back instead.
pub fn code<E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug>(
    err: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> String {
    match err {
        aws_sdk_s3::error::SdkError::ServiceError(e) => e.err().code().unwrap_or("<none>").to_string(),
        other => panic!("expected a service error, got {other:?}"),
    }
}

/// HTTP status of an SDK service error.
pub fn status<E>(err: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>) -> u16 {
    match err {
        aws_sdk_s3::error::SdkError::ServiceError(e) => e.raw().status().as_u16(),
        aws_sdk_s3::error::SdkError::ResponseError(e) => e.raw().status().as_u16(),
        _ => 0,
    }
}
