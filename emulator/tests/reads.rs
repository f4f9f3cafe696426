//! Reads and listings as S3 answers them, through the official SDK and its
//! paginators: delimiter pages that end on common prefixes, `max-keys=0`,
//! ListBuckets paging, GetObject `partNumber`, stored header values byte for byte,
//! non-ASCII user metadata returned RFC 2047-encoded.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use common::{code, s3, status};
use emulator::{Config, SystemClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn world() -> String {
    let mut w = String::from(
        r#"
[[accounts]]
id = "111111111111"
name = "customer"

[[users]]
account = "customer"
name = "reader"
access_keys = [{ id = "AKIAIOSFODNN7EXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }]
policies = [{ name = "all", document = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}''' }]
"#,
    );
    for (name, region) in [
        ("lake", "eu-west-1"),
        ("lake-archive", "eu-west-1"),
        ("lake-us", "us-east-1"),
        ("other", "eu-west-1"),
    ] {
        w.push_str(&format!(
            "\n[[buckets]]\nname = \"{name}\"\naccount = \"customer\"\nregion = \"{region}\"\n"
        ));
    }
    w
}

async fn start() -> (emulator::Running, aws_sdk_s3::Client) {
    let emu = common::start_with(&world(), Arc::new(SystemClock), Config::default()).await;
    let client = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    (emu, client)
}

async fn put(c: &aws_sdk_s3::Client, key: &str) {
    c.put_object()
        .bucket("lake")
        .key(key)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
}

/// Keys whose page boundaries land on common prefixes at every page size.
const TREE: &[&str] = &[
    "a.txt", "b/1", "b/2", "b/c/3", "c.txt", "d/1", "d/2", "d/3", "e/1", "f.txt", "g/1", "g/2",
];

/// Every page size from 1 to 6, through the SDK's ListObjectsV2 paginator: no page
/// is empty, no key or prefix appears twice, and together they are the whole listing.
#[tokio::test]
async fn v2_pages_never_repeat_or_come_back_empty() {
    let (_emu, c) = start().await;
    for k in TREE {
        put(&c, k).await;
    }
    let want: Vec<String> = ["a.txt", "b/", "c.txt", "d/", "e/", "f.txt", "g/"]
        .map(String::from)
        .to_vec();
    for max in 1..=6 {
        let mut pages = c
            .list_objects_v2()
            .bucket("lake")
            .delimiter("/")
            .max_keys(max)
            .into_paginator()
            .send();
        let mut seen = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.unwrap();
            let mut entries: Vec<String> = page
                .contents()
                .iter()
                .map(|o| o.key().unwrap().to_string())
                .chain(
                    page.common_prefixes()
                        .iter()
                        .map(|p| p.prefix().unwrap().to_string()),
                )
                .collect();
            assert!(!entries.is_empty(), "an empty page at max-keys={max}");
            assert_eq!(page.key_count(), Some(entries.len() as i32));
            entries.sort();
            seen.extend(entries);
        }
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "a repeat at max-keys={max}: {seen:?}");
        seen.sort();
        assert_eq!(seen, want, "max-keys={max}");
    }
}

/// ListObjects v1: `NextMarker` is the common prefix a page ends on, and a marker
/// that is a common prefix starts past every key under it (a conformance suite's
/// `test_bucket_list_delimiter_prefix` walk, run against S3).
#[tokio::test]
async fn v1_next_marker_is_the_common_prefix() {
    let (_emu, c) = start().await;
    for k in ["asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"] {
        put(&c, k).await;
    }
    let page = |marker: Option<&str>| {
        c.list_objects()
            .bucket("lake")
            .delimiter("/")
            .max_keys(1)
            .set_marker(marker.map(str::to_string))
            .send()
    };
    let first = page(None).await.unwrap();
    assert_eq!(first.contents()[0].key(), Some("asdf"));
    assert_eq!(
        (first.is_truncated(), first.next_marker()),
        (Some(true), Some("asdf"))
    );
    let second = page(Some("asdf")).await.unwrap();
    assert_eq!(second.common_prefixes()[0].prefix(), Some("boo/"));
    assert_eq!(
        (second.is_truncated(), second.next_marker()),
        (Some(true), Some("boo/"))
    );
    let third = page(Some("boo/")).await.unwrap();
    assert_eq!(third.common_prefixes()[0].prefix(), Some("cquux/"));
    assert_eq!((third.is_truncated(), third.next_marker()), (Some(false), None));
    // max-keys=0: empty and not truncated.
    let none = c
        .list_objects_v2()
        .bucket("lake")
        .max_keys(0)
        .send()
        .await
        .unwrap();
    assert_eq!((none.is_truncated(), none.key_count()), (Some(false), Some(0)));
    assert!(none.next_continuation_token().is_none());
}

/// ListBuckets pages with `max-buckets` and filters by `prefix` and `bucket-region`;
/// the SDK's paginator follows the continuation token.
#[tokio::test]
async fn list_buckets_pages_and_filters() {
    let (_emu, c) = start().await;
    let mut pages = c.list_buckets().max_buckets(1).into_paginator().send();
    let mut names = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        assert_eq!(page.buckets().len(), 1);
        names.extend(page.buckets().iter().map(|b| b.name().unwrap().to_string()));
        count += 1;
    }
    assert_eq!(names, ["lake", "lake-archive", "lake-us", "other"]);
    assert_eq!(count, 4);
    let filtered = c
        .list_buckets()
        .prefix("lake")
        .bucket_region("eu-west-1")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = filtered.buckets().iter().map(|b| b.name().unwrap()).collect();
    assert_eq!(names, ["lake", "lake-archive"]);
    assert_eq!(filtered.prefix(), Some("lake"));
    assert!(filtered.continuation_token().is_none());
    let e = c.list_buckets().max_buckets(0).send().await.unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidArgument"));
    let e = c
        .list_buckets()
        .continuation_token("not base64!")
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidArgument"));
}

/// `partNumber`: part 1 of a one-piece object is the whole object, part 2 is
/// InvalidPart; a multipart object's part is served as a range with the part count.
#[tokio::test]
async fn part_numbers_follow_the_stored_parts() {
    let (_emu, c) = start().await;
    c.put_object()
        .bucket("lake")
        .key("single")
        .body(ByteStream::from_static(b"whole body"))
        .send()
        .await
        .unwrap();
    let whole = c
        .get_object()
        .bucket("lake")
        .key("single")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(whole.parts_count(), None);
    assert_eq!(
        whole.body.collect().await.unwrap().into_bytes().as_ref(),
        b"whole body"
    );
    let e = c
        .get_object()
        .bucket("lake")
        .key("single")
        .part_number(2)
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidPart"));
    // Outside 1–10,000: S3's InvalidArgument, as for UploadPart.
    for bad in [0, 10_001] {
        let e = c
            .get_object()
            .bucket("lake")
            .key("single")
            .part_number(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidArgument"), "{bad}");
    }

    let first = vec![b'a'; 5 * 1024 * 1024];
    let second = b"the last part".to_vec();
    let up = c
        .create_multipart_upload()
        .bucket("lake")
        .key("multi")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let mut done = Vec::new();
    for (n, data) in [(1, first.clone()), (2, second.clone())] {
        let part = c
            .upload_part()
            .bucket("lake")
            .key("multi")
            .upload_id(id)
            .part_number(n)
            .body(ByteStream::from(data))
            .send()
            .await
            .unwrap();
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(part.e_tag().unwrap())
                .build(),
        );
    }
    c.complete_multipart_upload()
        .bucket("lake")
        .key("multi")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .unwrap();
    let part = c
        .get_object()
        .bucket("lake")
        .key("multi")
        .part_number(2)
        .send()
        .await
        .unwrap();
    assert_eq!(part.parts_count(), Some(2));
    let end = first.len() + second.len() - 1;
    assert_eq!(
        part.content_range(),
        Some(format!("bytes {}-{end}/{}", first.len(), end + 1).as_str())
    );
    assert_eq!(
        part.body.collect().await.unwrap().into_bytes().as_ref(),
        second.as_slice()
    );
    let head = c
        .head_object()
        .bucket("lake")
        .key("multi")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (head.parts_count(), head.content_length()),
        (Some(2), Some(first.len() as i64))
    );
    let e = c
        .get_object()
        .bucket("lake")
        .key("multi")
        .part_number(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidPart"));
}

/// `Content-Encoding` comes back byte for byte; non-ASCII user metadata comes back
/// as an RFC 2047 encoded word (signed with the SDK's signer, sent raw, since the
/// SDK will not put raw UTF-8 in a header).
#[tokio::test]
async fn stored_header_values_come_back_as_s3_returns_them() {
    let (emu, c) = start().await;
    c.put_object()
        .bucket("lake")
        .key("enc")
        .content_encoding("deflate, gzip")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let head = c.head_object().bucket("lake").key("enc").send().await.unwrap();
    assert_eq!(head.content_encoding(), Some("deflate, gzip"));

    let at = std::time::SystemTime::now();
    let raw = signed_request("PUT", "/lake/meta", &[("x-amz-meta-note", "café")], b"x", at);
    let answer = send(&emu, &raw).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let raw = signed_request("GET", "/lake/meta", &[], b"", at);
    let answer = send(&emu, &raw).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .lines()
            .any(|l| l.eq_ignore_ascii_case("x-amz-meta-note: =?UTF-8?B?Y2Fmw6k=?=")),
        "{answer}"
    );
}

/// A request signed with the SDK's signer, as raw bytes.
fn signed_request(
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
    at: std::time::SystemTime,
) -> Vec<u8> {
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest};
    let host = "127.0.0.1:9";
    let uri = format!("http://{host}{path}");
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.into()),
        ("content-length".into(), body.len().to_string()),
    ];
    headers.extend(extra.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())));
    let identity = aws_credential_types::Credentials::new(AKID, SECRET, None, None, "reads").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-1")
        .name("s3")
        .time(at)
        .settings(testkit::sign::s3(true))
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        method,
        uri.as_str(),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (n, v) in instructions.headers() {
        headers.push((n.to_string(), v.to_string()));
    }
    let mut out = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
    for (n, v) in &headers {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"connection: close\r\n\r\n");
    out.extend_from_slice(body);
    out
}

async fn send(emu: &emulator::Running, raw: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(emu.addr).await.unwrap();
    s.write_all(raw).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}
