//! Throughput check, on one core: alternately a cross-account `AssumeRole`
//! (one-statement trust policy with an ExternalId condition, one-statement
//! permissions policy on the caller) and a `PutObject` by the session (the same
//! one-statement permissions policy).
//!
//! Ignored by default (timing is meaningless in debug builds and on a shared
//! machine). Run with
//! `cargo test --release -p emulator --test iam_perf -- --ignored --nocapture`.

use std::time::Instant;

use emulator::iam::{
    evaluate, Effect, Policies, Policy, PolicyKind, PolicyRef, PolicyType, Principal, Request, RequestContext,
};

#[test]
#[ignore = "timing; run in release"]
fn decisions_per_second() {
    let trust = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/vendor"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x-123"}}}]}"#,
        PolicyKind::Trust,
    )
    .unwrap();
    let permissions = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","s3:PutObject","s3:DeleteObject"],"Resource":["arn:aws:iam::111111111111:role/writer","arn:aws:s3:::lake/exports/*"]}]}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    let vendor = Principal::assumed_role("222222222222", "/", "vendor", "sync", "AROAEXAMPLEROLEID0001");
    let session = Principal::assumed_role("111111111111", "/", "writer", "sync", "AROAEXAMPLEROLEID0002");
    let assume_ctx = RequestContext::new().set("sts:ExternalId", "x-123");
    let put_ctx = RequestContext::new().set("aws:SecureTransport", "true");

    let n = 1_000_000u32;
    let start = Instant::now();
    let mut allowed = 0u32;
    for i in 0..n {
        let d = if i % 2 == 0 {
            let policies = Policies {
                identity: vec![PolicyRef::new(
                    "role:vendor/assume",
                    PolicyType::IdentityBased,
                    &permissions,
                )],
                resource: Some(PolicyRef::new("role:writer/trust", PolicyType::RoleTrust, &trust)),
                ..Policies::default()
            };
            evaluate(
                &Request {
                    principal: &vendor,
                    action: "sts:AssumeRole",
                    resource: "arn:aws:iam::111111111111:role/writer",
                    resource_account: None,
                    context: &assume_ctx,
                },
                &policies,
            )
        } else {
            let policies = Policies {
                identity: vec![PolicyRef::new(
                    "role:writer/write",
                    PolicyType::IdentityBased,
                    &permissions,
                )],
                ..Policies::default()
            };
            evaluate(
                &Request {
                    principal: &session,
                    action: "s3:PutObject",
                    resource: "arn:aws:s3:::lake/exports/part-0001.parquet",
                    resource_account: Some("111111111111"),
                    context: &put_ctx,
                },
                &policies,
            )
        };
        allowed += u32::from(d.effect == Effect::Allow);
    }
    let elapsed = start.elapsed();
    let rate = f64::from(n) / elapsed.as_secs_f64();
    println!("{n} decisions in {elapsed:?}: {rate:.0} decisions/s");
    assert_eq!(allowed, n);
}
