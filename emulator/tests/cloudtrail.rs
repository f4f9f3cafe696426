//! CloudTrail-shaped records: every request the SDK sends shows up in
//! `GET /_emulator/cloudtrail` as its trail would hold it, the error text the
//! client got included; `serve --log-format cloudtrail` prints the same records.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::sync::Arc;

use aws_credential_types::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use emulator::{Config, ManualClock};
use serde_json::Value;
use time::macros::datetime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WORLD: &str = r#"
[network]
source_ip = "203.0.113.10"

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
policies = [{ name = "assume", document = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}''' }]

[[users]]
account = "customer"
name = "writer"
access_keys = [{ id = "AKIAIOSFODNN7EXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }]
policies = [{ name = "put", document = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::lake/*"}]}''' }]

[[roles]]
account = "customer"
name = "transfer-role"
trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/sync"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}'''

[[buckets]]
name = "lake"
account = "customer"
region = "eu-west-1"
"#;

async fn trail(emu: &emulator::Running) -> Vec<Value> {
    let token = emu.emulator.admin_token().unwrap();
    let raw = format!(
        "GET /_emulator/cloudtrail HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    let mut s = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["Records"].as_array().unwrap().clone()
}

fn find<'a>(records: &'a [Value], name: &str, failed: bool) -> &'a Value {
    records
        .iter()
        .find(|r| r["eventName"] == name && r.get("errorCode").is_some() == failed)
        .unwrap_or_else(|| panic!("no {name} (failed: {failed}) in {records:#?}"))
}

#[tokio::test]
async fn every_request_has_the_record_its_trail_would_hold() {
    let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 12:00 UTC)));
    let emu = common::start_with(WORLD, clock, Config::default()).await;
    let writer = common::s3(
        &emu.endpoint,
        "eu-west-1",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    .await;
    writer
        .put_object()
        .bucket("lake")
        .key("exports/a.jsonl")
        .body(ByteStream::from_static(b"12345"))
        .send()
        .await
        .unwrap();
    let denied = writer
        .delete_object()
        .bucket("lake")
        .key("exports/a.jsonl")
        .send()
        .await
        .expect_err("no s3:DeleteObject");
    let denied_message = match &denied {
        aws_sdk_s3::error::SdkError::ServiceError(e) => {
            aws_sdk_s3::error::ProvideErrorMetadata::message(e.err())
                .unwrap()
                .to_string()
        }
        other => panic!("{other:?}"),
    };
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(Credentials::new(
            "AKIAVENDORSYNC000001",
            "vendor-secret-vendor-secret-vendor-secre",
            None,
            None,
            "t",
        ))
        .endpoint_url(&emu.endpoint)
        .load()
        .await;
    let sts = aws_sdk_sts::Client::new(&sdk);
    let role = "arn:aws:iam::222222222222:role/transfer-role";
    sts.assume_role()
        .role_arn(role)
        .role_session_name("push")
        .external_id("ext-123")
        .send()
        .await
        .unwrap();
    sts.assume_role()
        .role_arn(role)
        .role_session_name("push")
        .external_id("wrong")
        .send()
        .await
        .expect_err("wrong ExternalId");

    let records = trail(&emu).await;
    let put = find(&records, "PutObject", false);
    assert_eq!(put["eventSource"], "s3.amazonaws.com");
    assert_eq!(put["eventCategory"], "Data");
    assert_eq!(put["awsRegion"], "eu-west-1");
    assert_eq!(put["sourceIPAddress"], "203.0.113.10");
    assert_eq!(put["userIdentity"]["type"], "IAMUser");
    assert_eq!(
        put["userIdentity"]["arn"],
        "arn:aws:iam::222222222222:user/writer"
    );
    assert_eq!(put["userIdentity"]["accessKeyId"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(put["requestParameters"]["bucketName"], "lake");
    assert_eq!(put["requestParameters"]["key"], "exports/a.jsonl");
    assert_eq!(put["additionalEventData"]["bytesTransferredIn"], 5);
    assert_eq!(put["resources"][1]["accountId"], "222222222222");
    assert!(put["userAgent"].as_str().unwrap().starts_with('['), "{put}");
    assert_eq!(put["eventTime"], "2026-01-01T12:00:00Z");

    let delete = find(&records, "DeleteObject", true);
    assert_eq!(delete["errorCode"], "AccessDenied");
    assert_eq!(
        delete["errorMessage"],
        denied_message.as_str(),
        "the client's text"
    );
    assert!(delete["responseElements"].is_null());
    assert_eq!(
        delete["requestParameters"]["key"], "exports/a.jsonl",
        "S3 keeps them on errors"
    );

    let assumed = find(&records, "AssumeRole", false);
    assert_eq!(assumed["eventSource"], "sts.amazonaws.com");
    assert_eq!(assumed["managementEvent"], true);
    assert_eq!(assumed["requestParameters"]["roleArn"], role);
    assert_eq!(assumed["requestParameters"]["roleSessionName"], "push");
    assert_eq!(
        assumed["responseElements"]["assumedRoleUser"]["arn"],
        "arn:aws:sts::222222222222:assumed-role/transfer-role/push"
    );
    assert!(assumed["responseElements"]["credentials"]
        .get("secretAccessKey")
        .is_none());
    assert_eq!(assumed["resources"][0]["ARN"], role);
    assert_eq!(assumed["recipientAccountId"], "111111111111");

    // (The SDK's first AssumeRole of a run may be refused as expired and re-signed
    // with the emulator's clock: the record to check is the AccessDenied one.)
    let refused = records
        .iter()
        .find(|r| r["eventName"] == "AssumeRole" && r["errorCode"] == "AccessDenied")
        .unwrap_or_else(|| panic!("no denied AssumeRole in {records:#?}"));
    assert_eq!(refused["errorCode"], "AccessDenied");
    assert!(
        refused["errorMessage"].as_str().unwrap().starts_with(
            "User: arn:aws:iam::111111111111:user/sync is not authorized to perform: sts:AssumeRole"
        ),
        "{refused}"
    );
    assert!(
        refused["requestParameters"].is_null(),
        "a denied AssumeRole logs no parameters"
    );
    assert!(refused.get("resources").is_none());
}
