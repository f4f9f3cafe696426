//! Policy evaluation ([`emulator::iam::evaluate`]) per decision, on one core.
//!
//! - `seed/*`: the trust and permissions policies of the customer setup guide
//!   (`shared/seed/push-to-warehouse-s3-setup.txt`), placeholders filled in: the
//!   vendor's role assumes `transfer-role` (cross account: trust policy plus the
//!   vendor's own permission), then the session puts and deletes objects, and a
//!   put outside the bucket is implicitly denied.
//! - `fifty/*`: a 50-statement identity policy where every statement carries
//!   conditions, most on keys the request has, and only the last one allows
//!   (about 9 KB: over IAM's managed-policy quota, lifted for this worst case).
//!
//! The target (issue 6) is ≥ 1,000,000 decisions/s on one core for the seed's
//! policies; criterion prints `thrpt` in elements (decisions) per second.
//!
//! `cargo bench -p emulator --bench policy`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations,
    reason = "benchmark code: a failed unwrap is a broken benchmark"
)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use emulator::iam::{
    evaluate, Effect, ParseOptions, Policies, Policy, PolicyKind, PolicyRef, PolicyType, Principal, Request,
    RequestContext,
};

/// The seed's trust policy, `<some_service_account_identifier>` filled in.
const SEED_TRUST: &str = r#"{
"Version": "2012-10-17",
"Statement": [
{
"Effect": "Allow",
"Action": [
"sts:AssumeRole"
],
"Principal": {
"AWS": "arn:aws:iam::222222222222:role/vendor"
}
}
]
}"#;

/// The seed's permissions policy, `BUCKET_NAME` filled in.
const SEED_PERMISSIONS: &str = r#"{
"Version": "2012-10-17",
"Statement": [
{
"Effect": "Allow",
"Action": ["s3:PutObject", "s3:DeleteObject"],
"Resource": "arn:aws:s3:::customer-lake/*"
}
]
}"#;

/// What the vendor's own role may do (not in the seed; the guide assumes it).
const VENDOR: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;

/// An inline session policy as `harness fuzz` generates them (about the mean
/// size, 438 bytes).
const GENERATED_SESSION: &str = r#"{"Version":"2012-10-17","Statement":[{"Resource":"arn:aws:iam::333333333333:role/*/*","NotAction":["ec2:*","s3:PutObjectA*"],"Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24"]}},"Sid":"Trust0","Effect":"Allow"},{"Sid":"Allow1","Effect":"Allow","Action":"*","Resource":["*"]},{"Sid":"Trust2","Effect":"Allow","NotAction":"s3:PutObject","Resource":["*"]}]}"#;

/// 49 conditioned statements that do not apply to the request, then one that allows.
fn fifty_statements() -> String {
    let mut statements = Vec::new();
    for i in 0..49 {
        let s = match i % 7 {
            0 => format!(
                r#"{{"Sid":"S{i}","Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::bucket-{i}/*","Condition":{{"StringEquals":{{"aws:PrincipalAccount":"111111111111"}}}}}}"#
            ),
            1 => format!(
                r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::customer-lake/exports/*","Condition":{{"IpAddress":{{"aws:SourceIp":["10.{i}.0.0/16","192.168.{i}.0/24"]}}}}}}"#
            ),
            2 => format!(
                r#"{{"Sid":"S{i}","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::customer-lake/*","Condition":{{"Bool":{{"aws:SecureTransport":"false"}},"StringEquals":{{"aws:PrincipalTag/team":"team-{i}"}}}}}}"#
            ),
            3 => format!(
                r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:Put*","Resource":"arn:aws:s3:::customer-lake/*","Condition":{{"StringLike":{{"s3:prefix":["home/${{aws:username}}/{i}/*"]}}}}}}"#
            ),
            4 => format!(
                r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{{"DateLessThan":{{"aws:CurrentTime":"2020-01-{:02}T00:00:00Z"}}}}}}"#,
                i % 28 + 1
            ),
            5 => format!(
                r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::customer-lake/*","Condition":{{"StringEquals":{{"s3:x-amz-server-side-encryption":"aws:kms","s3:x-amz-acl":"private-{i}"}}}}}}"#
            ),
            _ => format!(
                r#"{{"Sid":"S{i}","Effect":"Allow","Action":["s3:PutObject"],"Resource":"arn:aws:s3:::customer-lake/*","Condition":{{"ArnLike":{{"aws:PrincipalArn":"arn:aws:iam::*:role/other-{i}"}},"NumericLessThan":{{"s3:signatureAge":"{i}"}}}}}}"#
            ),
        };
        statements.push(s);
    }
    statements.push(
        r#"{"Sid":"Last","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::customer-lake/exports/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111111111111"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"Bool":{"aws:SecureTransport":"false"}}}"#
            .to_string(),
    );
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn bench(c: &mut Criterion) {
    let trust = Policy::parse(SEED_TRUST, PolicyKind::Trust).unwrap();
    let permissions = Policy::parse(SEED_PERMISSIONS, PolicyKind::Identity).unwrap();
    let vendor_policy = Policy::parse(VENDOR, PolicyKind::Identity).unwrap();
    // Fifty conditioned statements do not fit IAM's 6,144-character quota for a
    // managed policy; the quota is lifted here because this is a worst case for
    // the matcher, not a policy IAM would store.
    let fifty = Policy::parse_with(
        &fifty_statements(),
        PolicyKind::Identity,
        &ParseOptions::default().with_max_size(64 * 1024),
    )
    .unwrap();

    let vendor = Principal::assumed_role("222222222222", "/", "vendor", "sync", "AROAEXAMPLEROLEID0001");
    let session = Principal::assumed_role(
        "111111111111",
        "/",
        "transfer-role",
        "sync",
        "AROAEXAMPLEROLEID0002",
    )
    .with_tag("team", "data");
    let assume_ctx = RequestContext::new()
        .set("aws:SourceIp", "203.0.113.10")
        .set("aws:SecureTransport", "false");
    let s3_ctx = RequestContext::new()
        .set("aws:SourceIp", "203.0.113.10")
        .set("aws:SecureTransport", "false")
        .set("aws:PrincipalAccount", "111111111111")
        .set("aws:PrincipalArn", "arn:aws:iam::111111111111:role/transfer-role")
        .set("aws:CurrentTime", "2026-11-27T18:06:30Z")
        .set("s3:signatureversion", "AWS4-HMAC-SHA256")
        .set("s3:signatureAge", "120")
        .set("s3:x-amz-content-sha256", "UNSIGNED-PAYLOAD");

    let assume_policies = Policies {
        identity: vec![PolicyRef::new(
            "role:vendor/assume",
            PolicyType::IdentityBased,
            &vendor_policy,
        )],
        resource: Some(PolicyRef::new(
            "role:transfer-role/trust",
            PolicyType::RoleTrust,
            &trust,
        )),
        ..Policies::default()
    };
    let write_policies = Policies {
        identity: vec![PolicyRef::new(
            "role:transfer-role/write",
            PolicyType::IdentityBased,
            &permissions,
        )],
        ..Policies::default()
    };
    let fifty_policies = Policies {
        identity: vec![PolicyRef::new(
            "role:transfer-role/fifty",
            PolicyType::IdentityBased,
            &fifty,
        )],
        ..Policies::default()
    };
    let assume = Request {
        principal: &vendor,
        action: "sts:AssumeRole",
        resource: "arn:aws:iam::111111111111:role/transfer-role",
        resource_account: None,
        context: &assume_ctx,
    };
    let put = Request {
        principal: &session,
        action: "s3:PutObject",
        resource: "arn:aws:s3:::customer-lake/exports/part-0001.parquet",
        resource_account: Some("111111111111"),
        context: &s3_ctx,
    };
    let delete = Request {
        action: "s3:DeleteObject",
        ..put
    };
    let outside = Request {
        resource: "arn:aws:s3:::other-bucket/exports/part-0001.parquet",
        ..put
    };

    // Check the outcomes once: a benchmark of the wrong answer is worthless.
    assert_eq!(evaluate(&assume, &assume_policies).effect, Effect::Allow);
    assert_eq!(evaluate(&put, &write_policies).effect, Effect::Allow);
    assert_eq!(evaluate(&delete, &write_policies).effect, Effect::Allow);
    assert_ne!(evaluate(&outside, &write_policies).effect, Effect::Allow);
    assert_eq!(evaluate(&put, &fifty_policies).effect, Effect::Allow);
    assert_ne!(evaluate(&delete, &fifty_policies).effect, Effect::Allow);

    let mut group = c.benchmark_group("policy");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_millis(500));
    group.throughput(Throughput::Elements(1));
    let cases: [(&str, &Request<'_>, &Policies<'_>); 6] = [
        ("seed/assume-role-allow", &assume, &assume_policies),
        ("seed/put-object-allow", &put, &write_policies),
        ("seed/delete-object-allow", &delete, &write_policies),
        ("seed/put-other-bucket-deny", &outside, &write_policies),
        ("fifty/put-object-allow-last", &put, &fifty_policies),
        ("fifty/delete-object-deny", &delete, &fifty_policies),
    ];
    for (name, req, policies) in cases {
        group.bench_function(name, |b| {
            b.iter(|| evaluate(std::hint::black_box(req), std::hint::black_box(policies)).effect);
        });
    }
    group.finish();

    // Parsing and validating, as every world load and every AssumeRole with a
    // session policy does. Throughput in bytes of policy text.
    let fifty_text = fifty_statements();
    let wide = ParseOptions::default().with_max_size(64 * 1024);
    let mut group = c.benchmark_group("parse");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_millis(500));
    let texts: [(&str, &str, PolicyKind); 4] = [
        ("generated/session", GENERATED_SESSION, PolicyKind::Session),
        ("seed/trust", SEED_TRUST, PolicyKind::Trust),
        ("seed/permissions", SEED_PERMISSIONS, PolicyKind::Identity),
        ("fifty/identity", &fifty_text, PolicyKind::Identity),
    ];
    for (name, text, kind) in texts {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                Policy::parse_with(std::hint::black_box(text), kind, &wide).map(|p| p.statements().len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
