//! aws-sdk-s3 (the real Rust SDK) against a running emulator: every payload mode
//! it sends, the reads, conditional writes, and the rejections with AWS's codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use common::*;
use emulator::SystemClock;

fn body_200k() -> Vec<u8> {
    (0..204_800u32).map(|i| (i % 256) as u8).collect()
}

#[tokio::test]
async fn put_get_head_delete_with_an_in_memory_body() {
    let emu = start(WORLD, Arc::new(SystemClock)).await;
    let s3 = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    let put = s3
        .put_object()
        .bucket("lake")
        .key("dir/hello world.txt")
        .content_type("text/plain")
        .metadata("stream", "orders")
        .body(ByteStream::from_static(b"Hello, SigV4 world!\n"))
        .send()
        .await
        .expect("put");
    assert_eq!(put.e_tag(), Some("\"82d8b9f295895e1b540063a0c6a0cc5c\""));
    assert_eq!(put.checksum_crc32(), Some("Hy7NkA=="));

    let head = s3
        .head_object()
        .bucket("lake")
        .key("dir/hello world.txt")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_length(), Some(20));
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(
        head.metadata().and_then(|m| m.get("stream")).map(String::as_str),
        Some("orders")
    );

    let got = s3
        .get_object()
        .bucket("lake")
        .key("dir/hello world.txt")
        .send()
        .await
        .expect("get");
    let bytes = got.body.collect().await.expect("body").into_bytes();
    assert_eq!(&bytes[..], b"Hello, SigV4 world!\n");

    s3.delete_object()
        .bucket("lake")
        .key("dir/hello world.txt")
        .send()
        .await
        .expect("delete");
    let err = s3
        .get_object()
        .bucket("lake")
        .key("dir/hello world.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    // Deleting a key that is not there is still 204.
    s3.delete_object()
        .bucket("lake")
        .key("never-written")
        .send()
        .await
        .expect("delete missing");
    emu.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn put_a_streamed_file_body_in_signed_aws_chunked_mode() {
    let emu = start(WORLD, Arc::new(SystemClock)).await;
    let dir = std::env::temp_dir().join(format!("emu-sdk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("body.bin");
    std::fs::write(&path, body_200k()).unwrap();
    let s3 = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    s3.put_object()
        .bucket("lake")
        .key("streamed.bin")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .expect("streamed put");
    let log = emu.emulator.log().recent(1, None);
    assert_eq!(log[0].status, 200, "{log:?}");
    let stored = emu.emulator.store().get("lake", "streamed.bin").expect("stored");
    assert_eq!(stored.meta.size, 204_800);
    assert_eq!(
        stored.meta.sha256_hex(),
        "8c6627e25bfbdef2bba5abc03123ea8e9b60d892f7f180a8b9b5079fb3233c54"
    );
    assert_eq!(
        stored.meta.extras().content_encoding,
        None,
        "aws-chunked must not be stored"
    );

    // when_required: the same file goes as UNSIGNED-PAYLOAD with no checksum.
    let s3_wr = s3_with(
        &emu.endpoint,
        "eu-west-1",
        aws_credential_types::Credentials::new(AKID, SECRET, None, None, "t"),
        true,
    )
    .await;
    s3_wr
        .put_object()
        .bucket("lake")
        .key("unsigned.bin")
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .expect("unsigned put");
    let stored = emu.emulator.store().get("lake", "unsigned.bin").expect("stored");
    assert_eq!(
        stored.meta.sha256_hex(),
        "8c6627e25bfbdef2bba5abc03123ea8e9b60d892f7f180a8b9b5079fb3233c54"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn if_none_match_refuses_an_overwrite_with_412() {
    let emu = start(WORLD, Arc::new(SystemClock)).await;
    let s3 = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    let put = |body: &'static [u8]| {
        s3.put_object()
            .bucket("lake")
            .key("batch-1.jsonl")
            .if_none_match("*")
            .body(ByteStream::from_static(body))
            .send()
    };
    put(b"first").await.expect("first write");
    let err = put(b"second").await.unwrap_err();
    assert_eq!((status(&err), code(&err).as_str()), (412, "PreconditionFailed"));
    let got = s3
        .get_object()
        .bucket("lake")
        .key("batch-1.jsonl")
        .send()
        .await
        .unwrap();
    assert_eq!(&got.body.collect().await.unwrap().into_bytes()[..], b"first");
}

#[tokio::test]
async fn lists_and_bucket_reads() {
    let emu = start(WORLD, Arc::new(SystemClock)).await;
    let s3 = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    for k in ["a/1", "a/2", "b/1", "top"] {
        s3.put_object()
            .bucket("lake")
            .key(k)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let all = s3.list_objects_v2().bucket("lake").send().await.unwrap();
    let keys: Vec<&str> = all.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a/1", "a/2", "b/1", "top"]);
    let grouped = s3
        .list_objects_v2()
        .bucket("lake")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<&str> = grouped
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["a/", "b/"]);
    assert_eq!(grouped.contents().len(), 1);
    // Pagination with max-keys and continuation tokens.
    let mut pages = s3
        .list_objects_v2()
        .bucket("lake")
        .max_keys(1)
        .into_paginator()
        .send();
    let mut seen = Vec::new();
    while let Some(page) = pages.next().await {
        seen.extend(
            page.unwrap()
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
    }
    assert_eq!(seen, ["a/1", "a/2", "b/1", "top"]);

    s3.head_bucket().bucket("lake").send().await.expect("head bucket");
    let loc = s3.get_bucket_location().bucket("lake").send().await.unwrap();
    assert_eq!(loc.location_constraint().map(|c| c.as_str()), Some("eu-west-1"));
    let us = s3
        .get_bucket_location()
        .bucket("test-bucket")
        .send()
        .await
        .unwrap();
    assert_eq!(us.location_constraint().map(|c| c.as_str()).unwrap_or(""), "");
}

#[tokio::test]
async fn rejections_carry_aws_status_and_code() {
    let emu = start(WORLD, Arc::new(SystemClock)).await;
    let put = |s3: aws_sdk_s3::Client, bucket: &'static str| async move {
        s3.put_object()
            .bucket(bucket)
            .key("k")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
    };
    let wrong_secret = put(
        s3(&emu.endpoint, "eu-west-1", AKID, "not-the-secret").await,
        "lake",
    )
    .await
    .unwrap_err();
    assert_eq!(
        (status(&wrong_secret), code(&wrong_secret).as_str()),
        (403, "SignatureDoesNotMatch")
    );
    let unknown = put(
        s3(&emu.endpoint, "eu-west-1", "AKIAUNKNOWNEXAMPLE00", SECRET).await,
        "lake",
    )
    .await
    .unwrap_err();
    assert_eq!(
        (status(&unknown), code(&unknown).as_str()),
        (403, "InvalidAccessKeyId")
    );
    let inactive = put(
        s3(
            &emu.endpoint,
            "eu-west-1",
            "AKIAINACTIVEEXAMPLE1",
            "inactive-secret",
        )
        .await,
        "lake",
    )
    .await
    .unwrap_err();
    assert_eq!(
        (status(&inactive), code(&inactive).as_str()),
        (403, "InvalidAccessKeyId")
    );
    let region = put(s3(&emu.endpoint, "us-east-1", AKID, SECRET).await, "lake")
        .await
        .unwrap_err();
    assert_eq!(
        (status(&region), code(&region).as_str()),
        (400, "AuthorizationHeaderMalformed")
    );
    if let aws_sdk_s3::error::SdkError::ServiceError(e) = &region {
        assert_eq!(e.raw().headers().get("x-amz-bucket-region"), Some("eu-west-1"));
    }
    let missing = put(
        s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await,
        "no-such-bucket",
    )
    .await
    .unwrap_err();
    assert_eq!((status(&missing), code(&missing).as_str()), (404, "NoSuchBucket"));
}
