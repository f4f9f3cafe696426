//! HTTPS beside HTTP on one port (`emulator::spawn_tls`, `serve --tls`): the
//! SDK trusts the generated CA and nothing else, and `aws:SecureTransport`
//! comes from the connection.

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
use aws_smithy_http_client::tls;
use common::{code, status};
use emulator::{Config, Emulator, SystemClock, World};

/// A bucket whose policy refuses anything not sent over TLS, the guardrail
/// customers copy from AWS's examples.
const WORLD: &str = r#"
[[accounts]]
id = "111111111111"
name = "customer"

[[users]]
account = "customer"
name = "writer"
access_keys = [{ id = "AKIAIOSFODNN7EXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }]
policies = [{ name = "all", document = '''
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}
''' }]

[[buckets]]
name = "lake"
account = "customer"
region = "eu-west-1"
policy = '''
{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*",
 "Action":"s3:*","Resource":["arn:aws:s3:::lake","arn:aws:s3:::lake/*"],
 "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}
'''
"#;

async fn client(endpoint: &str, ca_pem: Option<&str>) -> aws_sdk_s3::Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        ))
        .endpoint_url(endpoint)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1));
    if let Some(pem) = ca_pem {
        // Only the generated CA: no system roots, so success proves the chain.
        let trust = tls::TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(pem.as_bytes().to_vec());
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
            .tls_context(
                tls::TlsContext::builder()
                    .with_trust_store(trust)
                    .build()
                    .unwrap(),
            )
            .build_https();
        loader = loader.http_client(http);
    }
    let sdk = loader.load().await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    )
}

async fn put(s3: &aws_sdk_s3::Client, key: &str) -> Result<(), (u16, String)> {
    s3.put_object()
        .bucket("lake")
        .key(key)
        .body(ByteStream::from_static(b"over the wire"))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| match &e {
            aws_sdk_s3::error::SdkError::ServiceError(_) => (status(&e), code(&e)),
            other => (0, format!("{other:?}")),
        })
}

#[tokio::test]
async fn https_and_http_share_a_port_and_secure_transport_follows_the_connection() {
    let world = World::from_toml("tls world", WORLD).unwrap();
    let emu = Arc::new(Emulator::new(Config::default(), world, Arc::new(SystemClock)));
    let running = emulator::spawn_tls(emu).await.unwrap();
    assert!(
        running.endpoint.starts_with("https://127.0.0.1:"),
        "{}",
        running.endpoint
    );
    let pem = running.ca_pem.clone().expect("a CA");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");

    let secure = client(&running.endpoint, Some(&pem)).await;
    put(&secure, "over-tls").await.expect("HTTPS is secure transport");
    let logged = running.emulator.log().recent(1, None);
    assert_eq!(logged[0].status, 200);

    let plain_endpoint = running.endpoint.replacen("https://", "http://", 1);
    let plain = client(&plain_endpoint, None).await;
    let refused = put(&plain, "over-http").await.expect_err("HTTP is not");
    assert_eq!(refused, (403, "AccessDenied".to_string()));
    let logged = running.emulator.log().recent(1, None);
    let decision = logged[0].decision.as_ref().expect("a decision");
    assert_eq!(
        decision
            .decided_by
            .iter()
            .map(|s| s.sid.clone())
            .collect::<Vec<_>>(),
        [Some("DenyInsecureTransport".to_string())]
    );

    // A client that does not trust the generated CA fails the handshake: the
    // certificate is the emulator's own, not accepted by default.
    let untrusting = client(&running.endpoint, None).await;
    let e = put(&untrusting, "untrusted").await.expect_err("unknown CA");
    assert_eq!(e.0, 0, "a connection failure, not an HTTP answer: {e:?}");
    assert!(running.emulator.store().get("lake", "untrusted").is_none());
}

#[tokio::test]
async fn without_tls_the_world_file_says_what_transport_is() {
    // The default world models clients on HTTPS (AWS endpoints): the plain HTTP
    // listener of `spawn` does not trip the guardrail.
    let world = World::from_toml("tls world", WORLD).unwrap();
    let emu = Arc::new(Emulator::new(Config::default(), world, Arc::new(SystemClock)));
    let running = emulator::spawn(emu).await.unwrap();
    assert!(running.ca_pem.is_none());
    let plain = client(&running.endpoint, None).await;
    put(&plain, "plain")
        .await
        .expect("secure_transport defaults to true");
}
