//! What real writers do with real data, through aws-sdk-s3 against a running
//! emulator: multipart uploads (and their errors and permissions), CopyObject,
//! DeleteObjects, CreateBucket, and the honest refusal of what is not modelled.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration, Delete,
    ObjectIdentifier,
};
use common::{code, s3, status};
use emulator::{Config, SystemClock};

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const GUIDE_AKID: &str = "AKIAGUIDEONLYEXAMPLE";
const GUIDE_SECRET: &str = "guide-only-secret-guide-only-secret-0000";
const COPIER_AKID: &str = "AKIACOPIERONLYEXAMPL";
const COPIER_SECRET: &str = "copier-only-secret-copier-only-secret-00";
const OTHER_AKID: &str = "AKIAOTHERACCOUNTEXAM";
const OTHER_SECRET: &str = "other-account-secret-other-account-00000";

/// A writer allowed everything on `lake` and `vault`, a user with only the setup
/// guide's PutObject and DeleteObject (no multipart housekeeping, no kms:Decrypt),
/// another account, and an SSE-KMS bucket whose key lets both users generate data
/// keys but only the writer decrypt.
const WORLD: &str = r#"
[[accounts]]
id = "111111111111"
name = "customer"

[[accounts]]
id = "222222222222"
name = "other"

[[users]]
account = "customer"
name = "writer"
access_keys = [{ id = "AKIAIOSFODNN7EXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }]
policies = [{ name = "all", document = '''
{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::lake","arn:aws:s3:::lake/*","arn:aws:s3:::vault","arn:aws:s3:::vault/*","arn:aws:s3:::new-*"]},
  {"Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*"}
]}
''' }]

[[users]]
account = "customer"
name = "guide"
access_keys = [{ id = "AKIAGUIDEONLYEXAMPLE", secret = "guide-only-secret-guide-only-secret-0000" }]
policies = [{ name = "push-to-warehouse", document = '''
{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::lake/*","arn:aws:s3:::vault/*"]},
  {"Effect":"Allow","Action":"kms:GenerateDataKey","Resource":"*"}
]}
''' }]

[[users]]
account = "customer"
name = "copier"
access_keys = [{ id = "AKIACOPIERONLYEXAMPL", secret = "copier-only-secret-copier-only-secret-00" }]
policies = [{ name = "copy", document = '''
{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::lake/*"}
]}
''' }]

[[users]]
account = "customer"
name = "tagger"
access_keys = [{ id = "AKIATAGGERONLYEXAMPL", secret = "tagger-only-secret-tagger-only-secret-00" }]
policies = [{ name = "copy", document = '''
{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::lake/*"}
]}
''' }]

[[users]]
account = "other"
name = "stranger"
access_keys = [{ id = "AKIAOTHERACCOUNTEXAM", secret = "other-account-secret-other-account-00000" }]
policies = [{ name = "all", document = '''
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}
''' }]

[[kms_keys]]
account = "customer"
id = "1234abcd-12ab-34cd-56ef-1234567890ab"
region = "eu-west-1"

[[buckets]]
name = "lake"
account = "customer"
region = "eu-west-1"

[[buckets]]
name = "shared"
account = "customer"
region = "eu-west-1"
policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::shared/*"}]}'''

[[buckets]]
name = "vault"
account = "customer"
region = "eu-west-1"
encryption = { algorithm = "aws:kms", kms_key = "1234abcd-12ab-34cd-56ef-1234567890ab" }
"#;

/// Parts smaller than S3's 5 MiB keep the tests fast; the limit is a setting.
const MIN_PART: u64 = 1024;

async fn start() -> emulator::Running {
    common::start_with(
        WORLD,
        Arc::new(SystemClock),
        Config::default().with_min_part_size(MIN_PART),
    )
    .await
}

fn part(n: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| n.wrapping_add(i as u8)).collect()
}

#[tokio::test]
async fn multipart_upload_assembles_parts_with_the_multipart_etag() {
    let emu = start().await;
    let s3 = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    let created = s3
        .create_multipart_upload()
        .bucket("lake")
        .key("big/file.parquet")
        .content_type("application/vnd.apache.parquet")
        .metadata("stream", "orders")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .expect("create");
    let id = created.upload_id().expect("upload id").to_string();
    let bodies = [part(1, 2048), part(2, 2048), part(3, 100)];
    let mut done = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        let n = i as i32 + 1;
        let out = s3
            .upload_part()
            .bucket("lake")
            .key("big/file.parquet")
            .upload_id(&id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(b.clone()))
            .send()
            .await
            .expect("part");
        done.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .checksum_crc32(out.checksum_crc32().unwrap())
                .build(),
        );
    }
    let listed = s3
        .list_parts()
        .bucket("lake")
        .key("big/file.parquet")
        .upload_id(&id)
        .send()
        .await
        .expect("list parts");
    assert_eq!(listed.parts().len(), 3);
    assert_eq!(listed.parts()[2].size(), Some(100));
    let uploads = s3
        .list_multipart_uploads()
        .bucket("lake")
        .send()
        .await
        .expect("list uploads");
    assert_eq!(uploads.uploads().len(), 1);
    assert_eq!(
        emu.emulator.uploads().list(None).len(),
        1,
        "the admin view sees it too"
    );

    let completed = s3
        .complete_multipart_upload()
        .bucket("lake")
        .key("big/file.parquet")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        .send()
        .await
        .expect("complete");
    let etag = completed.e_tag().unwrap();
    assert!(etag.ends_with("-3\""), "{etag}");
    assert!(completed.checksum_crc32().is_some_and(|c| c.ends_with("-3")));
    assert!(
        emu.emulator.uploads().list(None).is_empty(),
        "completed uploads are gone"
    );

    let got = s3
        .get_object()
        .bucket("lake")
        .key("big/file.parquet")
        .send()
        .await
        .expect("get");
    assert_eq!(got.e_tag(), Some(etag));
    assert_eq!(got.content_type(), Some("application/vnd.apache.parquet"));
    assert_eq!(
        got.metadata().and_then(|m| m.get("stream")).map(String::as_str),
        Some("orders")
    );
    let bytes = got.body.collect().await.expect("body").into_bytes();
    assert_eq!(bytes.to_vec(), bodies.concat());
    // The multipart ETag: MD5 of the parts' MD5s, with the part count.
    use md5::Digest as _;
    let mut outer = md5::Md5::new();
    for b in &bodies {
        outer.update(md5::Md5::digest(b));
    }
    assert_eq!(etag, format!("\"{}-3\"", hex::encode(outer.finalize())));
    // The COMPOSITE CRC-32: the CRC-32 of the parts' CRC-32s, with the count.
    let crc = |b: &[u8]| crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32IsoHdlc, b) as u32;
    let raw: Vec<u8> = bodies.iter().flat_map(|b| crc(b).to_be_bytes()).collect();
    let composite = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        crc(&raw).to_be_bytes(),
    );
    assert_eq!(
        completed.checksum_crc32(),
        Some(format!("{composite}-3").as_str())
    );
    // The record's SHA-256 (the admin API's content fingerprint) is the whole
    // assembled body's.
    let stored = emu
        .emulator
        .store()
        .get("lake", "big/file.parquet")
        .expect("stored");
    assert_eq!(
        stored.meta.sha256_hex(),
        hex::encode(sha2::Sha256::digest(bodies.concat()))
    );
}

#[tokio::test]
async fn completion_checks_the_part_list() {
    let emu = start().await;
    let s3 = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    let id = s3
        .create_multipart_upload()
        .bucket("lake")
        .key("k")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string();
    let mut etags = Vec::new();
    for (n, len) in [(1, 100), (2, 2048)] {
        let out = s3
            .upload_part()
            .bucket("lake")
            .key("k")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(part(n as u8, len)))
            .send()
            .await
            .unwrap();
        etags.push(out.e_tag().unwrap().to_string());
    }
    let complete = |parts: Vec<(i32, &str)>| {
        let s3 = s3.clone();
        let id = id.clone();
        let parts: Vec<CompletedPart> = parts
            .into_iter()
            .map(|(n, e)| CompletedPart::builder().part_number(n).e_tag(e).build())
            .collect();
        async move {
            s3.complete_multipart_upload()
                .bucket("lake")
                .key("k")
                .upload_id(id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                .send()
                .await
        }
    };
    let e = complete(vec![(2, &etags[1]), (1, &etags[0])]).await.unwrap_err();
    assert_eq!(code(&e), "InvalidPartOrder");
    let e = complete(vec![(1, &etags[1])]).await.unwrap_err();
    assert_eq!(code(&e), "InvalidPart");
    let e = complete(vec![(3, &etags[1])]).await.unwrap_err();
    assert_eq!(code(&e), "InvalidPart", "part 3 was never uploaded");
    // Part 1 is 100 bytes and not the last: under the minimum part size.
    let e = complete(vec![(1, &etags[0]), (2, &etags[1])]).await.unwrap_err();
    assert_eq!(code(&e), "EntityTooSmall");
    // Only the last part may be small.
    complete(vec![(2, &etags[1])])
        .await
        .expect("a single small last part is fine");
    let e = complete(vec![(2, &etags[1])]).await.unwrap_err();
    assert_eq!((code(&e).as_str(), status(&e)), ("NoSuchUpload", 404));
    let e = s3
        .upload_part()
        .bucket("lake")
        .key("k")
        .upload_id("no-such-upload")
        .part_number(1)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchUpload");
}

#[tokio::test]
async fn multipart_housekeeping_needs_its_own_actions() {
    // misconfigs.md M29: the setup guide grants PutObject and DeleteObject, which
    // cover create, part and complete, but not abort or the listings.
    let emu = start().await;
    let s3 = s3(&emu.endpoint, "eu-west-1", GUIDE_AKID, GUIDE_SECRET).await;
    let id = s3
        .create_multipart_upload()
        .bucket("lake")
        .key("k")
        .send()
        .await
        .expect("create needs only s3:PutObject")
        .upload_id()
        .unwrap()
        .to_string();
    s3.upload_part()
        .bucket("lake")
        .key("k")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .expect("parts need only s3:PutObject");
    let e = s3
        .abort_multipart_upload()
        .bucket("lake")
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e).as_str(), status(&e)), ("AccessDenied", 403));
    let message = e
        .into_service_error()
        .meta()
        .message()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("s3:AbortMultipartUpload")
            && message.contains("because no identity-based policy allows"),
        "{message}"
    );
    let e = s3
        .list_parts()
        .bucket("lake")
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let e = s3
        .list_multipart_uploads()
        .bucket("lake")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let log = emu.emulator.log().recent(1, None);
    let decision = log[0].decision.as_ref().expect("a decision");
    assert_eq!(decision.action, "s3:ListBucketMultipartUploads");
    // The writer, who may, aborts it.
    let writer = common::s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    writer
        .abort_multipart_upload()
        .bucket("lake")
        .key("k")
        .upload_id(&id)
        .send()
        .await
        .expect("abort");
    assert!(emu.emulator.uploads().list(None).is_empty());
}

#[tokio::test]
async fn sse_kms_multipart_parts_need_kms_decrypt() {
    // misconfigs.md M41: GenerateDataKey is enough for PutObject, not for parts.
    let emu = start().await;
    let s3 = s3(&emu.endpoint, "eu-west-1", GUIDE_AKID, GUIDE_SECRET).await;
    s3.put_object()
        .bucket("vault")
        .key("small")
        .body(ByteStream::from_static(b"fits in one PUT"))
        .send()
        .await
        .expect("a single PUT needs kms:GenerateDataKey only");
    let id = s3
        .create_multipart_upload()
        .bucket("vault")
        .key("big")
        .send()
        .await
        .expect("create")
        .upload_id()
        .unwrap()
        .to_string();
    let e = s3
        .upload_part()
        .bucket("vault")
        .key("big")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"part"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let message = e
        .into_service_error()
        .meta()
        .message()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("kms:Decrypt") && message.contains("arn:aws:kms:eu-west-1:111111111111:key/"),
        "{message}"
    );
}

/// aws-sdk-s3 sends a storage class it does not know as given: S3 answers 400
/// InvalidStorageClass with its error-table message, on PutObject,
/// CreateMultipartUpload and CopyObject alike, and stores nothing; a class it knows
/// comes back on HeadObject.
#[tokio::test]
async fn unknown_storage_classes_are_refused_through_the_sdk() {
    use aws_sdk_s3::error::ProvideErrorMetadata as _;
    use aws_sdk_s3::types::StorageClass;
    let emu = start().await;
    let s3 = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    let bogus = StorageClass::from("COLD");
    let put = s3
        .put_object()
        .bucket("lake")
        .key("sc/put")
        .storage_class(bogus.clone())
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&put), code(&put).as_str()), (400, "InvalidStorageClass"));
    assert_eq!(
        put.as_service_error().and_then(|e| e.message()),
        Some("The storage class you specified is not valid.")
    );
    let mpu = s3
        .create_multipart_upload()
        .bucket("lake")
        .key("sc/mpu")
        .storage_class(bogus.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!((status(&mpu), code(&mpu).as_str()), (400, "InvalidStorageClass"));
    s3.put_object()
        .bucket("lake")
        .key("sc/src")
        .storage_class(StorageClass::StandardIa)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let copy = s3
        .copy_object()
        .bucket("lake")
        .key("sc/copy")
        .copy_source("lake/sc/src")
        .storage_class(bogus)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (status(&copy), code(&copy).as_str()),
        (400, "InvalidStorageClass")
    );
    for key in ["sc/put", "sc/mpu", "sc/copy"] {
        assert!(emu.emulator.store().get("lake", key).is_none(), "{key}");
    }
    let head = s3
        .head_object()
        .bucket("lake")
        .key("sc/src")
        .send()
        .await
        .unwrap();
    assert_eq!(head.storage_class(), Some(&StorageClass::StandardIa));
}

#[tokio::test]
async fn copy_object_copies_bytes_and_metadata_and_checks_the_source() {
    let emu = start().await;
    let s3 = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    s3.put_object()
        .bucket("lake")
        .key("src/a b+c.txt")
        .content_type("text/plain")
        .metadata("origin", "source")
        .body(ByteStream::from_static(b"copy me"))
        .send()
        .await
        .unwrap();
    let out = s3
        .copy_object()
        .bucket("vault")
        .key("dst.txt")
        .copy_source("lake/src/a%20b%2Bc.txt")
        .send()
        .await
        .expect("copy across buckets");
    let etag = out
        .copy_object_result()
        .and_then(|r| r.e_tag())
        .unwrap()
        .to_string();
    let got = s3
        .get_object()
        .bucket("vault")
        .key("dst.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(
        got.metadata().and_then(|m| m.get("origin")).map(String::as_str),
        Some("source")
    );
    assert_eq!(
        got.server_side_encryption().map(|s| s.as_str()),
        Some("aws:kms"),
        "the destination bucket's default encryption applies"
    );
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"copy me"
    );

    // REPLACE takes the request's metadata.
    s3.copy_object()
        .bucket("lake")
        .key("replaced.txt")
        .copy_source("lake/src/a%20b%2Bc.txt")
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .metadata("origin", "request")
        .send()
        .await
        .unwrap();
    let head = s3
        .head_object()
        .bucket("lake")
        .key("replaced.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.metadata().and_then(|m| m.get("origin")).map(String::as_str),
        Some("request")
    );

    // Onto itself without a change, a missing source, a failed condition.
    let e = s3
        .copy_object()
        .bucket("lake")
        .key("src/a b+c.txt")
        .copy_source("lake/src/a%20b%2Bc.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidRequest");
    let e = s3
        .copy_object()
        .bucket("lake")
        .key("x")
        .copy_source("lake/nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NoSuchKey");
    let e = s3
        .copy_object()
        .bucket("lake")
        .key("x")
        .copy_source("lake/src/a%20b%2Bc.txt")
        .copy_source_if_match("\"not-the-etag\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e).as_str(), status(&e)), ("PreconditionFailed", 412));
    assert!(
        emu.emulator.store().get("lake", "x").is_none(),
        "nothing was stored"
    );

    // The source needs s3:GetObject: the guide's user has PutObject only.
    let guide = common::s3(&emu.endpoint, "eu-west-1", GUIDE_AKID, GUIDE_SECRET).await;
    let e = guide
        .copy_object()
        .bucket("lake")
        .key("stolen.txt")
        .copy_source("lake/src/a%20b%2Bc.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    let message = e
        .into_service_error()
        .meta()
        .message()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("s3:GetObject"), "{message}");
    assert!(emu.emulator.store().get("lake", "stolen.txt").is_none());
}

#[tokio::test]
async fn tags_are_kept_counted_and_copied_with_their_permissions() {
    let emu = start().await;
    let s3 = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    s3.put_object()
        .bucket("lake")
        .key("tagged")
        .tagging("team=data&stage=raw%20files")
        .body(ByteStream::from_static(b"t"))
        .send()
        .await
        .expect("put with tags");
    let stored = emu.emulator.store().get("lake", "tagged").unwrap();
    assert_eq!(
        stored.meta.extras().tags.get("stage").map(String::as_str),
        Some("raw files")
    );
    let got = s3.get_object().bucket("lake").key("tagged").send().await.unwrap();
    assert_eq!(got.tag_count(), Some(2));

    // COPY (the default) carries the tags; REPLACE takes the request's.
    s3.copy_object()
        .bucket("lake")
        .key("copied")
        .copy_source("lake/tagged")
        .send()
        .await
        .expect("copy");
    assert_eq!(
        emu.emulator
            .store()
            .get("lake", "copied")
            .unwrap()
            .meta
            .extras()
            .tags
            .len(),
        2
    );
    s3.copy_object()
        .bucket("lake")
        .key("retagged")
        .copy_source("lake/tagged")
        .tagging_directive(aws_sdk_s3::types::TaggingDirective::Replace)
        .tagging("team=ops")
        .send()
        .await
        .expect("copy with new tags");
    let retagged = emu.emulator.store().get("lake", "retagged").unwrap();
    assert_eq!(
        retagged.meta.extras().tags.iter().collect::<Vec<_>>(),
        [(&"team".to_string(), &"ops".to_string())]
    );

    // Copying a tagged object needs s3:GetObjectTagging on the source (and
    // s3:PutObjectTagging on the destination); an untagged one does not.
    let copier = s3_as(&emu, COPIER_AKID, COPIER_SECRET).await;
    let e = copier
        .copy_object()
        .bucket("lake")
        .key("copy-by-copier")
        .copy_source("lake/tagged")
        .send()
        .await
        .expect_err("tags need GetObjectTagging");
    assert_eq!((status(&e), code(&e).as_str()), (403, "AccessDenied"));
    let denied_action = |emu: &emulator::Running| {
        let logged = emu.emulator.log().recent(1, None);
        logged[0].decision.as_ref().map(|d| d.action.clone())
    };
    assert_eq!(denied_action(&emu).as_deref(), Some("s3:PutObjectTagging"));
    let tagger = s3_as(
        &emu,
        "AKIATAGGERONLYEXAMPL",
        "tagger-only-secret-tagger-only-secret-00",
    )
    .await;
    let e = tagger
        .copy_object()
        .bucket("lake")
        .key("copy-by-tagger")
        .copy_source("lake/tagged")
        .send()
        .await
        .expect_err("the source's tags need GetObjectTagging");
    assert_eq!((status(&e), code(&e).as_str()), (403, "AccessDenied"));
    assert_eq!(denied_action(&emu).as_deref(), Some("s3:GetObjectTagging"));
    s3.put_object()
        .bucket("lake")
        .key("plain")
        .body(ByteStream::from_static(b"p"))
        .send()
        .await
        .unwrap();
    copier
        .copy_object()
        .bucket("lake")
        .key("copy-of-plain")
        .copy_source("lake/plain")
        .send()
        .await
        .expect("an untagged source needs only GetObject and PutObject");

    // Tag sets S3 will not store.
    for (tagging, why) in [
        ("a=1&a=2", "a key twice"),
        ("k=%FF", "not UTF-8"),
        ("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11", "eleven tags"),
    ] {
        let e = s3
            .put_object()
            .bucket("lake")
            .key("bad-tags")
            .tagging(tagging)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect_err(why);
        assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidTag"), "{why}");
    }
    let e = s3
        .copy_object()
        .bucket("lake")
        .key("x")
        .copy_source("lake/tagged")
        .tagging_directive(aws_sdk_s3::types::TaggingDirective::from("MERGE"))
        .send()
        .await
        .expect_err("unknown directive");
    assert_eq!((status(&e), code(&e).as_str()), (400, "InvalidArgument"));
    assert!(emu.emulator.store().get("lake", "bad-tags").is_none());
}

async fn s3_as(emu: &emulator::Running, akid: &str, secret: &str) -> aws_sdk_s3::Client {
    s3(&emu.endpoint, "eu-west-1", akid, secret).await
}

/// ACLs disabled (Bucket owner enforced, the default): `private` is the bucket
/// owner's full control when the writer is in the bucket owner's account, and
/// something else from another account.
#[tokio::test]
async fn a_private_canned_acl_is_accepted_from_the_bucket_owners_account_only() {
    let emu = start().await;
    let put = |client: aws_sdk_s3::Client, bucket: &'static str, acl: aws_sdk_s3::types::ObjectCannedAcl| async move {
        client
            .put_object()
            .bucket(bucket)
            .key("acl")
            .acl(acl)
            .body(ByteStream::from_static(b"a"))
            .send()
            .await
    };
    use aws_sdk_s3::types::ObjectCannedAcl as Acl;
    let owner = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    put(owner.clone(), "lake", Acl::Private)
        .await
        .expect("private from the owner's account");
    let e = put(owner, "lake", Acl::PublicRead)
        .await
        .expect_err("public-read");
    assert_eq!(
        (status(&e), code(&e).as_str()),
        (400, "AccessControlListNotSupported")
    );

    let stranger = s3(&emu.endpoint, "eu-west-1", OTHER_AKID, OTHER_SECRET).await;
    let e = put(stranger.clone(), "shared", Acl::Private)
        .await
        .expect_err("private from another account");
    assert_eq!(
        (status(&e), code(&e).as_str()),
        (400, "AccessControlListNotSupported")
    );
    put(stranger.clone(), "shared", Acl::BucketOwnerFullControl)
        .await
        .expect("bucket-owner-full-control from another account");
}

#[tokio::test]
async fn delete_objects_deletes_each_key_it_may_and_reports_the_rest() {
    let emu = start().await;
    let writer = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    for k in ["a", "b", "c"] {
        writer
            .put_object()
            .bucket("lake")
            .key(k)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .unwrap();
    }
    let ids = |keys: &[&str]| {
        Delete::builder()
            .set_objects(Some(
                keys.iter()
                    .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
                    .collect(),
            ))
            .build()
            .unwrap()
    };
    let out = writer
        .delete_objects()
        .bucket("lake")
        .delete(ids(&["a", "missing"]))
        .send()
        .await
        .expect("delete objects");
    assert_eq!(out.deleted().len(), 2, "a key that is not there is deleted too");
    assert!(out.errors().is_empty());
    assert!(emu.emulator.store().get("lake", "a").is_none());

    // A key denied by policy is an <Error> entry, the others still go.
    let stranger = s3(&emu.endpoint, "eu-west-1", OTHER_AKID, OTHER_SECRET).await;
    let out = stranger
        .delete_objects()
        .bucket("lake")
        .delete(ids(&["b"]))
        .send()
        .await
        .expect("a 200 with per-key errors");
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].code(), Some("AccessDenied"));
    assert!(emu.emulator.store().get("lake", "b").is_some());
    let guide = s3(&emu.endpoint, "eu-west-1", GUIDE_AKID, GUIDE_SECRET).await;
    let out = guide
        .delete_objects()
        .bucket("lake")
        .delete(
            Delete::builder()
                .quiet(true)
                .set_objects(ids(&["b", "c"]).objects().to_vec().into())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(out.deleted().is_empty(), "quiet: only errors are listed");
    assert!(
        emu.emulator.store().get("lake", "b").is_none() && emu.emulator.store().get("lake", "c").is_none()
    );
}

#[tokio::test]
async fn create_bucket_answers_as_s3_for_names_taken_and_new() {
    let emu = start().await;
    let writer = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    let eu = || {
        CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
            .build()
    };
    let e = writer
        .create_bucket()
        .bucket("lake")
        .create_bucket_configuration(eu())
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e).as_str(), status(&e)), ("BucketAlreadyOwnedByYou", 409));
    let stranger = s3(&emu.endpoint, "eu-west-1", OTHER_AKID, OTHER_SECRET).await;
    let e = stranger
        .create_bucket()
        .bucket("lake")
        .create_bucket_configuration(eu())
        .send()
        .await
        .unwrap_err();
    assert_eq!((code(&e).as_str(), status(&e)), ("BucketAlreadyExists", 409));
    // The guide's user may not create buckets, but its own bucket is still "yours".
    let guide = s3(&emu.endpoint, "eu-west-1", GUIDE_AKID, GUIDE_SECRET).await;
    let e = guide
        .create_bucket()
        .bucket("lake")
        .create_bucket_configuration(eu())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "BucketAlreadyOwnedByYou");
    let e = guide
        .create_bucket()
        .bucket("new-guide")
        .create_bucket_configuration(eu())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "AccessDenied");
    writer
        .create_bucket()
        .bucket("new-lake")
        .create_bucket_configuration(eu())
        .send()
        .await
        .expect("created");
    let world = emu.emulator.world();
    let b = world.bucket("new-lake").expect("in the world");
    assert_eq!(
        (b.account.as_str(), b.region.as_str()),
        ("111111111111", "eu-west-1")
    );
    writer
        .put_object()
        .bucket("new-lake")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("usable at once");
    // No constraint from eu-west-1: the us-east-1 default does not match the endpoint.
    let e = writer
        .create_bucket()
        .bucket("new-other")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "IllegalLocationConstraintException");
}

#[tokio::test]
async fn operations_not_modelled_are_refused_by_name() {
    let emu = start().await;
    let s3 = s3(&emu.endpoint, "eu-west-1", AKID, SECRET).await;
    let e = s3.get_bucket_policy().bucket("lake").send().await.unwrap_err();
    assert_eq!((code(&e).as_str(), status(&e)), ("NotImplemented", 501));
    let message = e
        .into_service_error()
        .meta()
        .message()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("GetBucketPolicy") && message.contains("not implemented by this emulator"),
        "{message}"
    );
    let e = s3
        .put_object_acl()
        .bucket("lake")
        .key("k")
        .send()
        .await
        .unwrap_err();
    let message = e
        .into_service_error()
        .meta()
        .message()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("PutObjectAcl"), "{message}");
}
