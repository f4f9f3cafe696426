//! A large batch as a multipart upload, exactly once.
//!
//! The object's key, checksum and ETag are known before anything is sent: the
//! key from the batch, the parts' CRC32s and MD5s from its bytes. Complete runs
//! with `If-None-Match: *`, so the upload can never replace an object. When an
//! answer is lost, the object that may have landed is checked against what this
//! batch would have made (the composite CRC32 `…-N` and the multipart ETag):
//!
//! - Complete answered 412: the key exists; delivered if it is this batch.
//! - Complete answered NoSuchUpload on a retry: an earlier Complete of this upload
//!   landed and its answer was lost; the object is checked the same way.
//! - A part or Complete keeps failing: the upload is aborted and the whole batch
//!   tried again, as a new upload, up to the outer attempts.
//!
//! An upload the connector cannot abort (the setup guide grants no
//! `s3:AbortMultipartUpload`, misconfigs.md M29) is never dropped silently: its id
//! goes into the error, and onboarding recommends a lifecycle rule.
//!
//! A 200 answer to Complete whose body is an `<Error>` (M68) is an error the SDK
//! retries like a 500.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use aws_smithy_async::rt::sleep::AsyncSleep as _;
use base64::Engine as _;
use md5::Digest as _;

use crate::diagnosis::{Diagnosis, Operation, Phase};
use crate::keys::ObjectKey;
use crate::onboarding::diagnose_s3;
use crate::sync::{crc32_base64, AppendWriter, BatchReport, Expected, SyncError};

/// The parts of a batch and what the completed object will carry.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Byte ranges of the parts, in order.
    pub parts: Vec<std::ops::Range<usize>>,
    /// Each part's CRC32, base64.
    pub part_crc32: Vec<String>,
    /// The composite CRC32 of the object: CRC32 of the parts' CRC32s, `-N`.
    pub crc32: String,
    /// The multipart ETag: MD5 of the parts' MD5s, hex, `-N`.
    pub etag: String,
}

impl Plan {
    pub(crate) fn new(body: &[u8], part_size: u64) -> Self {
        let size = usize::try_from(part_size).unwrap_or(usize::MAX).max(1);
        let parts: Vec<std::ops::Range<usize>> = (0..body.len())
            .step_by(size)
            .map(|start| start..(start + size).min(body.len()))
            .collect();
        let mut raw_crcs = Vec::with_capacity(parts.len() * 4);
        let mut md5s = md5::Md5::new();
        let mut part_crc32 = Vec::with_capacity(parts.len());
        for r in &parts {
            let bytes = body.get(r.clone()).unwrap_or_default();
            let crc = crc32_base64(bytes);
            raw_crcs.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(&crc)
                    .unwrap_or_default(),
            );
            part_crc32.push(crc);
            md5s.update(md5::Md5::digest(bytes));
        }
        let n = parts.len();
        Self {
            crc32: format!("{}-{n}", crc32_base64(&raw_crcs)),
            etag: format!("{}-{n}", hex::encode(md5s.finalize())),
            parts,
            part_crc32,
        }
    }
}

/// How one attempt at the whole upload ended, when it did not deliver.
enum Failure {
    /// Retry the batch as a new upload.
    Retry(Diagnosis),
    /// Give up.
    Final(SyncError),
}

/// Write `body` under `key` as a multipart upload (see the module docs).
pub(crate) async fn put(
    w: &AppendWriter,
    key: &ObjectKey,
    body: Vec<u8>,
    records: usize,
) -> Result<BatchReport, SyncError> {
    let key_text = key.to_string();
    let plan = Plan::new(&body, w.part_size());
    let dest = w.destination();
    let mut client = dest.s3().clone();
    let mut last: Option<Diagnosis> = None;
    let mut attempts = 0;
    for outer in 1..=w.outer_attempts() {
        if outer > 1 {
            let pause = w.outer_backoff().saturating_mul(1 << (outer - 2).min(4));
            tracing::warn!(key = %key_text, outer, ?pause, "retrying multipart batch");
            dest.sleep_impl().sleep(pause).await;
        }
        attempts += 1;
        match once(w, &client, key, &key_text, &body, &plan, records, attempts).await {
            Ok(report) => return Ok(report),
            Err(Failure::Final(e)) => return Err(e),
            Err(Failure::Retry(d)) => {
                if matches!(d, Diagnosis::ExpiredToken { .. }) {
                    client = dest.s3_with_fresh_credentials();
                }
                last = Some(d);
            }
        }
    }
    Err(SyncError::Rejected {
        key: key_text,
        attempts,
        diagnosis: Box::new(last.unwrap_or_else(|| Diagnosis::Unrecognized {
            found: Box::new(crate::diagnosis::Found {
                target: dest.target().clone(),
                evidence: None,
                artifact_left_behind: None,
            }),
        })),
        incomplete_upload: None,
    })
}

/// Whether the connector should try again after `d`.
fn retryable(d: &Diagnosis, status: Option<u16>) -> bool {
    status == Some(409)
        || matches!(d, Diagnosis::ExpiredToken { .. } | Diagnosis::ClockSkew { .. })
        || d.is_transient()
}

#[allow(
    clippy::too_many_arguments,
    reason = "one attempt of one batch; a struct would only rename them"
)]
async fn once(
    w: &AppendWriter,
    client: &aws_sdk_s3::Client,
    key: &ObjectKey,
    key_text: &str,
    body: &[u8],
    plan: &Plan,
    records: usize,
    attempts: u32,
) -> Result<BatchReport, Failure> {
    let dest = w.destination();
    let target = dest.target().clone().with_key(key_text);
    let owner = dest.expected_owner().map(str::to_owned);
    let created = client
        .create_multipart_upload()
        .bucket(dest.bucket())
        .key(key_text)
        .content_type(key.encoding.content_type())
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .set_expected_bucket_owner(owner.clone())
        .send()
        .await;
    let upload_id = match created {
        Ok(out) => out.upload_id().unwrap_or_default().to_owned(),
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            let d = diagnose_s3(Operation::CreateMultipartUpload, &e, &target, Phase::Sync);
            return Err(if retryable(&d, status) {
                Failure::Retry(d)
            } else {
                Failure::Final(rejected(key_text, attempts, d, None))
            });
        }
    };
    let mut done: Vec<CompletedPart> = Vec::with_capacity(plan.parts.len());
    for (i, range) in plan.parts.iter().enumerate() {
        let n = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let crc = plan.part_crc32.get(i).cloned().unwrap_or_default();
        let sent = client
            .upload_part()
            .bucket(dest.bucket())
            .key(key_text)
            .upload_id(&upload_id)
            .part_number(n)
            .checksum_crc32(&crc)
            .body(ByteStream::from(
                body.get(range.clone()).unwrap_or_default().to_vec(),
            ))
            .set_expected_bucket_owner(owner.clone())
            .send()
            .await;
        match sent {
            Ok(out) => done.push(
                CompletedPart::builder()
                    .part_number(n)
                    .set_e_tag(out.e_tag().map(str::to_owned))
                    .checksum_crc32(crc)
                    .build(),
            ),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let d = diagnose_s3(Operation::UploadPart, &e, &target, Phase::Sync);
                let left = abort(client, dest, key_text, &upload_id).await;
                return Err(if retryable(&d, status) && left.is_none() {
                    Failure::Retry(d)
                } else {
                    Failure::Final(rejected(key_text, attempts, d, left))
                });
            }
        }
    }
    let completed = client
        .complete_multipart_upload()
        .bucket(dest.bucket())
        .key(key_text)
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(done)).build())
        // Append-only: never replace an object (S3 conditional writes on Complete).
        .if_none_match("*")
        .set_expected_bucket_owner(owner)
        .send()
        .await;
    let err = match completed {
        Ok(_) => {
            return Ok(BatchReport {
                key: key_text.to_owned(),
                bytes: u64::try_from(body.len()).unwrap_or(u64::MAX),
                records,
                attempts,
                already_present: false,
                verified_by: None,
            })
        }
        Err(e) => e,
    };
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err
        .as_service_error()
        .and_then(aws_sdk_s3::error::ProvideErrorMetadata::code);
    // 412: the key exists. NoSuchUpload: an earlier Complete of this upload landed and
    // the SDK's retry found the upload gone. Either way, check what is there.
    if status == Some(412) || code == Some("NoSuchUpload") {
        if status == Some(412) {
            // The parts are ours and the key is taken: clean up before checking.
            let _ = abort(client, dest, key_text, &upload_id).await;
        }
        let expected = Expected {
            crc32: &plan.crc32,
            etag: &plan.etag,
        };
        return w
            .verify_existing(client, key, key_text, body, &expected, records, attempts)
            .await
            .map_err(Failure::Final);
    }
    let d = diagnose_s3(Operation::CompleteMultipartUpload, &err, &target, Phase::Sync);
    let left = abort(client, dest, key_text, &upload_id).await;
    Err(if retryable(&d, status) && left.is_none() {
        Failure::Retry(d)
    } else {
        Failure::Final(rejected(key_text, attempts, d, left))
    })
}

fn rejected(key: &str, attempts: u32, d: Diagnosis, incomplete_upload: Option<String>) -> SyncError {
    SyncError::Rejected {
        key: key.to_owned(),
        attempts,
        diagnosis: Box::new(d),
        incomplete_upload,
    }
}

/// Abort an upload; `Some(id)` when it could not be aborted and is left behind.
async fn abort(
    client: &aws_sdk_s3::Client,
    dest: &crate::client::Destination,
    key: &str,
    upload_id: &str,
) -> Option<String> {
    let out = client
        .abort_multipart_upload()
        .bucket(dest.bucket())
        .key(key)
        .upload_id(upload_id)
        .set_expected_bucket_owner(dest.expected_owner().map(str::to_owned))
        .send()
        .await;
    match out {
        Ok(_) => None,
        // Gone already (a Complete that landed, or a lifecycle rule).
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => None,
        Err(e) => {
            tracing::warn!(key, upload_id, error = %aws_sdk_s3::error::DisplayErrorContext(&e), "cannot abort the multipart upload");
            Some(upload_id.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_cut_parts_and_predict_etag_and_checksum() {
        let body: Vec<u8> = (0..25u8).collect();
        let p = Plan::new(&body, 10);
        assert_eq!(p.parts, vec![0..10, 10..20, 20..25]);
        assert!(p.etag.ends_with("-3") && p.crc32.ends_with("-3"));
        let mut md5s = md5::Md5::new();
        for r in &p.parts {
            md5s.update(md5::Md5::digest(&body[r.clone()]));
        }
        assert_eq!(p.etag, format!("{}-3", hex::encode(md5s.finalize())));
        assert_eq!(p.part_crc32[0], crc32_base64(&body[0..10]));
    }
}
