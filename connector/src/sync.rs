//! Append-only sync: each batch becomes one new object, written with `If-None-Match: *` and never
//! deleted or overwritten.
//!
//! Retries: the SDK's standard retry mode (`sync_max_attempts`, exponential backoff with jitter,
//! throttling and 5xx and connection errors, clock-skew correction) handles each request; when it
//! gives up on a transient error, the whole idempotent put is tried again, up to
//! `sync_outer_attempts` times. A `412 PreconditionFailed` means the key already exists, usually
//! because an earlier attempt landed and its response was lost: the stored object is checked and
//! the batch counts as delivered when it matches.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::config::{AsyncSleep, ConfigBag, RuntimeComponents};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ServerSideEncryption};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;
use time::Date;

use crate::client::Destination;
use crate::config::{DestinationConfig, ServiceSettings};
use crate::diagnosis::{Diagnosis, Operation, Phase};
use crate::format::{EncodeError, Encoding};
use crate::keys::{BatchId, KeyError, ObjectKey, StreamName};
use crate::onboarding::diagnose_s3;

/// How a re-sent batch was recognised as already delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// The stored object's CRC32 checksum equals the batch's.
    Checksum,
    /// The stored object's ETag equals the batch's MD5 (single-part, not SSE-KMS).
    Etag,
    /// The key embeds a hash of the records, and the stored object could not be read back.
    ContentAddressedKey,
}

/// The result of one delivered batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    /// Object key.
    pub key: String,
    /// Object size in bytes (compressed when gzip).
    pub bytes: u64,
    /// Records in the batch.
    pub records: usize,
    /// PutObject attempts, SDK retries included.
    pub attempts: u32,
    /// `true` when the object was already there with the same content.
    pub already_present: bool,
    /// How "already present" was established.
    pub verified_by: Option<Verification>,
}

/// Why a batch was not delivered.
#[derive(Debug)]
#[non_exhaustive]
pub enum SyncError {
    /// The batch has no records.
    EmptyBatch,
    /// The stream name or batch id is not valid in a key.
    Key(KeyError),
    /// The records could not be encoded.
    Encode(EncodeError),
    /// Another object already holds this key.
    Conflict {
        /// The conflicting key.
        key: String,
        /// How it differs.
        detail: String,
    },
    /// The key exists and its content could not be compared.
    Unverifiable {
        /// The key.
        key: String,
        /// Why.
        detail: String,
    },
    /// AWS refused the write (or kept failing after every retry).
    Rejected {
        /// The key.
        key: String,
        /// PutObject attempts, SDK retries included (for a multipart upload: uploads
        /// started, each part retried by the SDK within one).
        attempts: u32,
        /// What is wrong.
        diagnosis: Box<Diagnosis>,
        /// A multipart upload of this batch that could not be aborted (its id): its
        /// parts stay, and are billed, until a lifecycle rule or someone aborts it.
        incomplete_upload: Option<String>,
    },
}

impl SyncError {
    /// A stable name: `EmptyBatch`, `Key`, `Encode`, `Conflict`, `Unverifiable`, or the
    /// diagnosis kind of a rejection.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::EmptyBatch => "EmptyBatch",
            Self::Key(_) => "Key",
            Self::Encode(_) => "Encode",
            Self::Conflict { .. } => "Conflict",
            Self::Unverifiable { .. } => "Unverifiable",
            Self::Rejected { diagnosis, .. } => diagnosis.kind(),
        }
    }

    /// The diagnosis of a rejection.
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            Self::Rejected { diagnosis, .. } => Some(diagnosis),
            _ => None,
        }
    }
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyBatch => write!(f, "the batch has no records"),
            Self::Key(e) => write!(f, "{e}"),
            Self::Encode(e) => write!(f, "{e}"),
            Self::Conflict { key, detail } => {
                write!(f, "key `{key}` already holds a different object: {detail}")
            }
            Self::Unverifiable { key, detail } => {
                write!(
                    f,
                    "key `{key}` already exists and could not be compared: {detail}"
                )
            }
            Self::Rejected {
                key,
                attempts,
                diagnosis,
                incomplete_upload,
            } => {
                let plural = if *attempts == 1 { "" } else { "s" };
                write!(
                    f,
                    "writing `{key}` failed after {attempts} attempt{plural}: {diagnosis}"
                )?;
                if let Some(id) = incomplete_upload {
                    write!(
                        f,
                        "; multipart upload `{id}` could not be aborted and is left incomplete (grant \
                         s3:AbortMultipartUpload or add a lifecycle rule that aborts incomplete uploads)"
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SyncError {}

impl From<KeyError> for SyncError {
    fn from(e: KeyError) -> Self {
        Self::Key(e)
    }
}

impl From<EncodeError> for SyncError {
    fn from(e: EncodeError) -> Self {
        Self::Encode(e)
    }
}

/// Counts SDK attempts of one operation (retries included).
#[derive(Clone, Debug, Default)]
struct AttemptCounter(Arc<AtomicU32>);

impl AttemptCounter {
    fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intercept for AttemptCounter {
    fn name(&self) -> &'static str {
        "AttemptCounter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// When the least-privilege reminder last ran ([`AppendWriter::delete_reminder`]);
/// `connector sync` keeps it in its state file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReminderState {
    /// Unix seconds of the last probe.
    pub last_checked_unix: Option<i64>,
    /// The bucket is versioned: the probe does not run there.
    pub versioned: bool,
}

impl ReminderState {
    /// Once a day at most.
    pub const INTERVAL_SECONDS: i64 = 24 * 3600;
}

/// A nonce for the probe key from the time and the process: unpredictable enough
/// that no writer could have used the key.
fn reminder_nonce(now_unix: i64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(now_unix);
    h.write_u32(std::process::id());
    h.finish()
}

/// Writes batches of records for named streams into the destination, append-only.
#[derive(Clone, Debug)]
pub struct AppendWriter {
    dest: Destination,
    encoding: Encoding,
    outer_attempts: u32,
    outer_backoff: Duration,
    multipart_threshold: u64,
    part_size: u64,
}

impl AppendWriter {
    /// Validates `dest` and builds the clients (SDK retry: `settings.sync_max_attempts`).
    pub async fn new(
        dest: &DestinationConfig,
        settings: &ServiceSettings,
        encoding: Encoding,
    ) -> Result<Self, Diagnosis> {
        let destination = Destination::connect(dest, settings, settings.sync_max_attempts).await?;
        Ok(Self::from_destination(
            destination,
            encoding,
            settings.sync_outer_attempts,
            settings.retry_initial_backoff(),
        )
        .with_multipart(settings.multipart_threshold_bytes, settings.multipart_part_bytes))
    }

    /// A writer on an already connected destination: `outer_attempts` whole-put attempts, the
    /// n-th retry after `outer_backoff · 2ⁿ⁻¹`.
    pub fn from_destination(
        dest: Destination,
        encoding: Encoding,
        outer_attempts: u32,
        outer_backoff: Duration,
    ) -> Self {
        Self {
            dest,
            encoding,
            outer_attempts: outer_attempts.max(1),
            outer_backoff,
            multipart_threshold: 8 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
        }
    }

    /// Batches over `threshold` bytes go as multipart uploads of `part_size` parts
    /// (the last part may be smaller).
    #[must_use]
    pub fn with_multipart(mut self, threshold: u64, part_size: u64) -> Self {
        self.multipart_threshold = threshold;
        self.part_size = part_size.max(1);
        self
    }

    /// The destination.
    pub fn destination(&self) -> &Destination {
        &self.dest
    }

    /// The least-privilege reminder of sync ([`crate::protect`]): whether
    /// `s3:DeleteObject` is still granted, probed with a DeleteObject of a key under
    /// the test prefix that was never written. At most once a day: `state` says when
    /// it last ran (by the destination's clock) and whether the bucket turned out to
    /// be versioned (where even that probe leaves a delete marker, so it runs no
    /// more). Returns the finding, if any, and the state to keep.
    pub async fn delete_reminder(&self, state: &ReminderState) -> (Option<Diagnosis>, ReminderState) {
        let now = self.dest.time_source().now();
        let now_unix = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let recent = state
            .last_checked_unix
            .is_some_and(|t| now_unix.saturating_sub(t) < ReminderState::INTERVAL_SECONDS);
        if state.versioned || recent {
            return (None, state.clone());
        }
        let key = crate::protect::never_written_key(self.dest.prefix(), reminder_nonce(now_unix));
        let probe = crate::protect::delete_still_allowed(&self.dest, &key).await;
        let next = ReminderState {
            last_checked_unix: Some(now_unix),
            versioned: probe == crate::protect::DeleteProbe::AllowedVersioned,
        };
        let finding = (probe != crate::protect::DeleteProbe::Refused)
            .then(|| crate::protect::delete_reminder(self.dest.target()));
        (finding, next)
    }

    pub(crate) fn part_size(&self) -> u64 {
        self.part_size
    }

    pub(crate) fn outer_attempts(&self) -> u32 {
        self.outer_attempts
    }

    pub(crate) fn outer_backoff(&self) -> Duration {
        self.outer_backoff
    }

    /// The key `records` would be written to (content-hash id unless `id` is given),
    /// under `date`'s folder if given. The same arguments give the same key on any day.
    pub fn key_for(
        &self,
        stream: &str,
        records: &[Value],
        id: Option<BatchId>,
        date: Option<Date>,
    ) -> Result<ObjectKey, SyncError> {
        Ok(self.prepare(stream, records, id, date)?.0)
    }

    fn prepare(
        &self,
        stream: &str,
        records: &[Value],
        id: Option<BatchId>,
        date: Option<Date>,
    ) -> Result<(ObjectKey, Vec<u8>), SyncError> {
        let stream = StreamName::new(stream)?;
        if records.is_empty() {
            return Err(SyncError::EmptyBatch);
        }
        let plain = crate::format::encode(records, self.encoding.format)?;
        let batch_id = id.unwrap_or_else(|| BatchId::content_hash(&plain));
        let body = if self.encoding.gzip {
            crate::format::gzip(&plain).map_err(|e| EncodeError::Compression(e.to_string()))?
        } else {
            plain
        };
        let key = ObjectKey::new(self.dest.prefix(), stream, date, batch_id, self.encoding);
        Ok((key, body))
    }

    /// Writes one batch of `records` to stream `stream`, at
    /// `{prefix}/{stream}/{batch-id}.{ext}`.
    ///
    /// `id` names the batch (e.g. [`BatchId::sequence`]); by default it is a hash of the encoded
    /// records, so re-sending the same batch, today or any later day, maps to the same key and
    /// is recognised as delivered. Nothing in the key comes from the clock.
    pub async fn append(
        &self,
        stream: &str,
        records: &[Value],
        id: Option<BatchId>,
    ) -> Result<BatchReport, SyncError> {
        let (key, body) = self.prepare(stream, records, id, None)?;
        self.put(&key, body, records.len()).await
    }

    /// As [`AppendWriter::append`], in the folder of the date the data belongs to:
    /// `{prefix}/{stream}/{yyyy}/{mm}/{dd}/{batch-id}.{ext}`. The date is the
    /// caller's (a partition of the data), never the date of sending.
    pub async fn append_dated(
        &self,
        stream: &str,
        records: &[Value],
        id: Option<BatchId>,
        date: Date,
    ) -> Result<BatchReport, SyncError> {
        let (key, body) = self.prepare(stream, records, id, Some(date))?;
        self.put(&key, body, records.len()).await
    }

    async fn put(&self, key: &ObjectKey, body: Vec<u8>, records: usize) -> Result<BatchReport, SyncError> {
        if u64::try_from(body.len()).unwrap_or(u64::MAX) > self.multipart_threshold {
            return crate::multipart::put(self, key, body, records).await;
        }
        let key_text = key.to_string();
        let target = self.dest.target().clone().with_key(&key_text);
        let crc32 = crc32_base64(&body);
        let bytes = u64::try_from(body.len()).unwrap_or(u64::MAX);
        let attempts = AttemptCounter::default();
        let mut client = self.dest.s3().clone();
        let mut last: Option<Diagnosis> = None;

        for outer in 1..=self.outer_attempts {
            if outer > 1 {
                let pause = self.outer_backoff.saturating_mul(1 << (outer - 2).min(4));
                tracing::warn!(key = %key_text, outer, ?pause, "retrying batch put");
                self.dest.sleep_impl().sleep(pause).await;
            }
            let result = client
                .put_object()
                .bucket(self.dest.bucket())
                .key(&key_text)
                .body(ByteStream::from(body.clone()))
                .content_type(key.encoding.content_type())
                // Append-only: never replace an object (S3 conditional writes).
                .if_none_match("*")
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                .set_expected_bucket_owner(self.dest.expected_owner().map(str::to_owned))
                .customize()
                .interceptor(attempts.clone())
                .send()
                .await;
            let err = match result {
                Ok(_) => {
                    return Ok(BatchReport {
                        key: key_text,
                        bytes,
                        records,
                        attempts: attempts.get(),
                        already_present: false,
                        verified_by: None,
                    });
                }
                Err(err) => err,
            };
            let status = err.raw_response().map(|r| r.status().as_u16());
            if status == Some(412) {
                let expected = Expected {
                    crc32: &crc32,
                    etag: &md5_hex(&body),
                };
                return self
                    .verify_existing(&client, key, &key_text, &body, &expected, records, attempts.get())
                    .await;
            }
            let diagnosis = diagnose_s3(Operation::PutObject, &err, &target, Phase::Sync);
            let retry = match &diagnosis {
                // Someone else's conditional write raced ours (409 ConditionalRequestConflict).
                _ if status == Some(409) => true,
                Diagnosis::ExpiredToken { .. } => {
                    client = self.dest.s3_with_fresh_credentials();
                    true
                }
                Diagnosis::ClockSkew { .. } => true,
                d => d.is_transient(),
            };
            tracing::warn!(key = %key_text, kind = diagnosis.kind(), retry, "batch put failed");
            if !retry {
                return Err(SyncError::Rejected {
                    key: key_text,
                    attempts: attempts.get(),
                    diagnosis: Box::new(diagnosis),
                    incomplete_upload: None,
                });
            }
            last = Some(diagnosis);
        }
        let diagnosis = last.map_or_else(
            || {
                Box::new(Diagnosis::Unrecognized {
                    found: Box::new(crate::diagnosis::Found {
                        target,
                        evidence: None,
                        artifact_left_behind: None,
                    }),
                })
            },
            Box::new,
        );
        Err(SyncError::Rejected {
            key: key_text,
            attempts: attempts.get(),
            diagnosis,
            incomplete_upload: None,
        })
    }

    /// The key exists: delivered if the stored object is ours, otherwise a conflict.
    #[expect(
        clippy::too_many_arguments,
        reason = "one private call site; a struct would only rename them"
    )]
    pub(crate) async fn verify_existing(
        &self,
        client: &aws_sdk_s3::Client,
        key: &ObjectKey,
        key_text: &str,
        body: &[u8],
        expected: &Expected<'_>,
        records: usize,
        attempts: u32,
    ) -> Result<BatchReport, SyncError> {
        let crc32 = expected.crc32;
        let delivered = |verified_by| BatchReport {
            key: key_text.to_owned(),
            bytes: u64::try_from(body.len()).unwrap_or(u64::MAX),
            records,
            attempts,
            already_present: true,
            verified_by: Some(verified_by),
        };
        let conflict = |detail: String| SyncError::Conflict {
            key: key_text.to_owned(),
            detail,
        };
        let content_addressed = key.batch_id.is_content_hash();
        let head = client
            .head_object()
            .bucket(self.dest.bucket())
            .key(key_text)
            .checksum_mode(ChecksumMode::Enabled)
            .set_expected_bucket_owner(self.dest.expected_owner().map(str::to_owned))
            .send()
            .await;
        let head = match head {
            Ok(h) => h,
            Err(e) => {
                // The setup guide grants no s3:GetObject, so HeadObject is usually denied.
                if content_addressed {
                    return Ok(delivered(Verification::ContentAddressedKey));
                }
                let status = e.raw_response().map(|r| r.status().as_u16());
                return Err(SyncError::Unverifiable {
                    key: key_text.to_owned(),
                    detail: format!(
                        "HeadObject answered {}; grant s3:GetObject on the prefix or use content-hash batch ids",
                        status.map_or_else(|| "nothing".to_owned(), |s| s.to_string())
                    ),
                });
            }
        };
        if let Some(len) = head.content_length() {
            if u64::try_from(len).ok() != u64::try_from(body.len()).ok() {
                return Err(conflict(format!(
                    "stored object has {len} bytes, this batch {}",
                    body.len()
                )));
            }
        }
        if let Some(stored) = head.checksum_crc32() {
            return if stored == crc32 {
                Ok(delivered(Verification::Checksum))
            } else {
                Err(conflict(format!("stored CRC32 {stored}, this batch {crc32}")))
            };
        }
        let kms = matches!(
            head.server_side_encryption(),
            Some(ServerSideEncryption::AwsKms | ServerSideEncryption::AwsKmsDsse)
        );
        if let (Some(etag), false) = (head.e_tag(), kms) {
            let etag = etag.trim_matches('"');
            let (digest, _) = etag.split_once('-').unwrap_or((etag, ""));
            if digest.len() == 32 && digest.chars().all(|c| c.is_ascii_hexdigit()) {
                let want = expected.etag;
                return if etag.eq_ignore_ascii_case(want) {
                    Ok(delivered(Verification::Etag))
                } else {
                    Err(conflict(format!("stored ETag {etag}, this batch's {want}")))
                };
            }
        }
        if content_addressed {
            return Ok(delivered(Verification::ContentAddressedKey));
        }
        Err(SyncError::Unverifiable {
            key: key_text.to_owned(),
            detail: "the stored object has no CRC32 checksum and no plain MD5 ETag".to_owned(),
        })
    }
}

/// What the object of a delivered batch carries: its CRC32 (whole-object, or
/// composite `…-N` for a multipart object) and its ETag (MD5 hex, or `…-N`).
#[derive(Debug)]
pub(crate) struct Expected<'a> {
    pub crc32: &'a str,
    pub etag: &'a str,
}

/// S3's `x-amz-checksum-crc32`: big-endian CRC-32 (IEEE), base64.
pub fn crc32_base64(bytes: &[u8]) -> String {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    base64::engine::general_purpose::STANDARD.encode(crc.sum().to_be_bytes())
}

pub(crate) fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_s3_examples() {
        // CRC-32/ISO-HDLC("123456789") = 0xCBF43926.
        assert_eq!(
            crc32_base64(b"123456789"),
            base64::engine::general_purpose::STANDARD.encode([0xcb, 0xf4, 0x39, 0x26])
        );
        // The empty body: the `AAAAAA==` JS SDK v3 signs into presigned PUTs.
        assert_eq!(crc32_base64(b""), "AAAAAA==");
    }

    #[test]
    fn md5_hex_is_the_single_part_etag() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn sync_error_kinds() {
        assert_eq!(SyncError::EmptyBatch.kind(), "EmptyBatch");
        let e = SyncError::Conflict {
            key: "k".to_owned(),
            detail: "d".to_owned(),
        };
        assert_eq!(e.kind(), "Conflict");
        assert!(e.to_string().contains("`k`"));
    }
}
