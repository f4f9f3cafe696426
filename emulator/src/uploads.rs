//! Multipart uploads in progress: what CreateMultipartUpload started, the parts
//! received so far, and what the completed object will carry. Parts keep their
//! bytes as the store's writers produced them (in memory, in a file, or only
//! their digests), so a 1 GiB upload to a directory store stays on disk.
//!
//! Uploads live as long as the emulator process (an upload in progress does not
//! survive a restart); `GET /_emulator/uploads` lists them, since AWS keeps
//! charging for an upload nobody completes or aborts (misconfigs.md M29).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use crate::s3::checksum::Algorithm;
use crate::store::ObjectData;

/// How a multipart object's checksum is computed (S3 user guide, "Checking object
/// integrity": `x-amz-checksum-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChecksumType {
    /// The checksum of the parts' checksums, with `-N` (SHA-1, SHA-256, CRC32, CRC32C).
    Composite,
    /// The checksum of the whole object's bytes (CRC32, CRC32C, CRC64NVME).
    FullObject,
}

/// What the completed object will carry, fixed when the upload starts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Template {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// Other stored headers.
    pub headers: BTreeMap<String, String>,
    /// `x-amz-meta-*`.
    pub metadata: BTreeMap<String, String>,
    /// `x-amz-tagging`.
    pub tags: BTreeMap<String, String>,
    /// Server-side encryption.
    pub sse: Option<crate::store::Sse>,
    /// The SSE-KMS key.
    pub sse_kms_key: Option<String>,
    /// Storage class.
    pub storage_class: crate::store::StorageClass,
    /// The object's owner (account id).
    pub owner: String,
    /// The checksum every part must carry, and how the object's is built.
    #[serde(skip)]
    pub checksum: Option<(Algorithm, ChecksumType)>,
}

/// One part received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Part {
    /// 1 to 10,000.
    pub number: u32,
    /// Quoted MD5 hex of the part's bytes.
    pub etag: String,
    /// The MD5 itself (the multipart ETag is the MD5 of these).
    #[serde(skip)]
    pub md5: [u8; 16],
    /// Bytes.
    pub size: u64,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    pub last_modified: OffsetDateTime,
    /// The part's checksum in the upload's algorithm, base64.
    pub checksum: Option<String>,
    /// The bytes.
    #[serde(skip)]
    pub data: ObjectData,
}

/// An upload in progress.
#[derive(Debug, serde::Serialize)]
pub struct Upload {
    /// Its id.
    pub id: String,
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// When CreateMultipartUpload ran.
    #[serde(with = "time::serde::rfc3339")]
    pub initiated: OffsetDateTime,
    /// Who started it (ARN).
    pub initiator: String,
    /// What the object will carry.
    pub template: Template,
    /// Parts by number; a part uploaded again replaces the earlier one.
    pub parts: BTreeMap<u32, Part>,
}

/// The uploads in progress, by id.
#[derive(Debug, Default)]
pub struct Uploads {
    map: Mutex<BTreeMap<String, Arc<Mutex<Upload>>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Uploads {
    /// Record a new upload.
    pub fn start(&self, upload: Upload) {
        lock(&self.map).insert(upload.id.clone(), Arc::new(Mutex::new(upload)));
    }

    /// The upload `id` of `bucket`/`key`, if it is in progress there.
    pub fn get(&self, id: &str, bucket: &str, key: &str) -> Option<Arc<Mutex<Upload>>> {
        let found = lock(&self.map).get(id).cloned()?;
        let matches = {
            let u = lock(&found);
            u.bucket == bucket && u.key == key
        };
        matches.then_some(found)
    }

    /// Forget an upload (completed or aborted); `true` if it was there.
    pub fn remove(&self, id: &str) -> bool {
        lock(&self.map).remove(id).is_some()
    }

    /// Add or replace a part of an upload.
    pub fn put_part(upload: &Mutex<Upload>, part: Part) {
        lock(upload).parts.insert(part.number, part);
    }

    /// A snapshot of every upload of `bucket` (all buckets when `None`), in
    /// key then initiation order, as ListMultipartUploads sorts them.
    pub fn list(&self, bucket: Option<&str>) -> Vec<UploadSummary> {
        let mut out: Vec<UploadSummary> = lock(&self.map)
            .values()
            .filter_map(|u| {
                let u = lock(u);
                bucket.is_none_or(|b| b == u.bucket).then(|| UploadSummary {
                    id: u.id.clone(),
                    bucket: u.bucket.clone(),
                    key: u.key.clone(),
                    initiated: u.initiated,
                    initiator: u.initiator.clone(),
                    owner: u.template.owner.clone(),
                    storage_class: u.template.storage_class,
                    parts: u.parts.len(),
                    bytes: u.parts.values().map(|p| p.size).sum(),
                    checksum_algorithm: u.template.checksum.map(|(a, _)| a.name()),
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.key, a.initiated, &a.id).cmp(&(&b.key, b.initiated, &b.id)));
        out
    }
}

/// What ListMultipartUploads and the admin API show of an upload.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UploadSummary {
    /// Upload id.
    pub id: String,
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// When it started.
    #[serde(with = "time::serde::rfc3339")]
    pub initiated: OffsetDateTime,
    /// Who started it.
    pub initiator: String,
    /// The owner account.
    pub owner: String,
    /// Storage class.
    pub storage_class: crate::store::StorageClass,
    /// Parts received.
    pub parts: usize,
    /// Bytes received.
    pub bytes: u64,
    /// The checksum algorithm every part carries.
    pub checksum_algorithm: Option<&'static str>,
}
