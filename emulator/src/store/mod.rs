//! Object storage behind the S3 handlers.
//!
//! A body reaches the store in two steps: the handler streams it into an
//! [`ObjectWriter`] while SigV4 and checksums are checked, then calls
//! [`Store::commit`] only when every check passed. A request that fails midway
//! drops its writer and nothing is stored. `commit` evaluates the write
//! conditions (`If-None-Match: *`, `If-Match`) atomically with the write, as S3
//! does when it completes an upload.
//!
//! Three stores: [`MemoryStore::new`] keeps bodies in memory (the default),
//! [`MemoryStore::digest_only`] keeps only sizes and digests (load tests, huge
//! bodies), and [`DirStore`] writes bodies to files and survives a restart.

mod dir;
pub mod record;

pub use dir::DirStore;
pub use record::{Checksums, ETag, ObjectExtras, Sse, StorageClass, VersionId};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use compact_str::CompactString;
use time::OffsetDateTime;

/// What S3 keeps about an object besides its bytes: the record a million objects
/// are held in, so each field is as small as what it must return exactly allows
/// ([`record`] says how). Serialised (directory store sidecars, admin API) in the
/// same JSON as when every field was a string.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "MetaRecord", try_from = "MetaRecord")]
pub struct ObjectMeta {
    /// The key, shared with the store's index (one allocation, not two).
    pub key: Arc<str>,
    /// Size in bytes.
    pub size: u64,
    /// The ETag: MD5 of the body for single-part PUTs.
    pub etag: ETag,
    /// SHA-256 of the body (not an S3 field; the admin API shows it in hex).
    pub sha256: [u8; 32],
    /// When it was written.
    pub last_modified: OffsetDateTime,
    /// `Content-Type`.
    pub content_type: Option<CompactString>,
    /// Stored checksums, in algorithm-name order.
    pub checksums: Checksums,
    /// Server-side encryption.
    pub sse: Option<Sse>,
    /// The version id (`null` in unversioned buckets).
    pub version_id: VersionId,
    /// The account that owns the object.
    pub owner: CompactString,
    /// Storage class.
    pub storage_class: StorageClass,
    /// What few objects carry (user metadata, tags, stored headers, parts, the
    /// content encoding and KMS key); `None` when all of it is empty.
    pub extras: Option<Box<ObjectExtras>>,
}

impl ObjectMeta {
    /// The object's extras, empty ones when it has none.
    pub fn extras(&self) -> &ObjectExtras {
        self.extras.as_deref().unwrap_or(&record::NO_EXTRAS)
    }

    /// The SHA-256 of the body, in hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// [`ObjectMeta`] as it is written to JSON: the flat, all-string form it had
/// before the record was compacted, so stores written then still open.
#[derive(serde::Serialize, serde::Deserialize)]
struct MetaRecord {
    key: String,
    size: u64,
    etag: ETag,
    sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    last_modified: OffsetDateTime,
    content_type: Option<CompactString>,
    content_encoding: Option<String>,
    headers: BTreeMap<String, String>,
    metadata: BTreeMap<String, String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    checksums: Checksums,
    sse: Option<Sse>,
    sse_kms_key: Option<String>,
    version_id: VersionId,
    owner: CompactString,
    storage_class: StorageClass,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    parts: Vec<u64>,
}

impl From<ObjectMeta> for MetaRecord {
    fn from(m: ObjectMeta) -> Self {
        let sha256 = m.sha256_hex();
        let extras = m.extras.map(|e| *e).unwrap_or_default();
        Self {
            key: m.key.to_string(),
            size: m.size,
            etag: m.etag,
            sha256,
            last_modified: m.last_modified,
            content_type: m.content_type,
            content_encoding: extras.content_encoding,
            headers: extras.headers,
            metadata: extras.metadata,
            tags: extras.tags,
            checksums: m.checksums,
            sse: m.sse,
            sse_kms_key: extras.sse_kms_key,
            version_id: m.version_id,
            owner: m.owner,
            storage_class: m.storage_class,
            parts: extras.parts,
        }
    }
}

impl TryFrom<MetaRecord> for ObjectMeta {
    type Error = String;

    fn try_from(r: MetaRecord) -> Result<Self, String> {
        let mut sha256 = [0u8; 32];
        hex::decode_to_slice(&r.sha256, &mut sha256)
            .map_err(|_| format!("sha256 is not 64 hex digits: {:?}", r.sha256))?;
        Ok(Self {
            key: r.key.into(),
            size: r.size,
            etag: r.etag,
            sha256,
            last_modified: r.last_modified,
            content_type: r.content_type,
            checksums: r.checksums,
            sse: r.sse,
            version_id: r.version_id,
            owner: r.owner,
            storage_class: r.storage_class,
            extras: ObjectExtras {
                content_encoding: r.content_encoding,
                sse_kms_key: r.sse_kms_key,
                headers: r.headers,
                metadata: r.metadata,
                tags: r.tags,
                parts: r.parts,
            }
            .boxed(),
        })
    }
}

/// A stored version of a key: data or a delete marker.
#[derive(Debug, Clone)]
pub enum Version {
    /// An object.
    Object(Arc<StoredObject>),
    /// A delete marker.
    DeleteMarker {
        /// Its version id.
        version_id: String,
        /// When it was placed.
        at: OffsetDateTime,
    },
}

/// An object and its data.
#[derive(Debug)]
pub struct StoredObject {
    /// Metadata.
    pub meta: ObjectMeta,
    /// The data, when the store keeps it.
    pub data: ObjectData,
}

/// How a store holds an object's bytes.
#[derive(Debug, Clone)]
pub enum ObjectData {
    /// In memory.
    Memory(Bytes),
    /// Only size and digests are kept (load tests, very large objects).
    Discarded,
    /// In a file.
    File(Arc<BodyFile>),
}

/// A body kept in a file by [`dir::DirStore`].
///
/// Every commit writes a file of its own, and a version that is overwritten or
/// deleted is only *retired*: its file goes when the last reader holding the
/// version lets go. So a GET that looked up the old version just before an
/// overwrite still reads the bytes its metadata (ETag, length) describes.
#[derive(Debug)]
pub struct BodyFile {
    path: std::path::PathBuf,
    retired: std::sync::atomic::AtomicBool,
}

impl BodyFile {
    pub(crate) fn new(path: std::path::PathBuf) -> Self {
        Self {
            path,
            retired: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Where the bytes are.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The store no longer lists this body: remove the file once unused.
    pub(crate) fn retire(&self) {
        self.retired.store(true, std::sync::atomic::Ordering::Release);
    }
}

impl Drop for BodyFile {
    fn drop(&mut self) {
        if self.retired.load(std::sync::atomic::Ordering::Acquire) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Conditions on a write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteCondition {
    /// `If-None-Match: *`: fail if the key exists.
    pub if_none_match_any: bool,
    /// `If-Match: "etag"`: fail unless the current ETag is this one.
    pub if_match: Option<String>,
}

/// Why a write or delete did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The write condition did not hold (412).
    PreconditionFailed,
    /// The key does not exist (for `If-Match`).
    NoSuchKey,
    /// The bucket is unknown to the store.
    NoSuchBucket,
    /// An I/O error (directory store).
    Io(String),
}

/// Receives a body as it streams in.
pub trait ObjectWriter: Send + std::fmt::Debug {
    /// The body's announced length, before the first write (a hint: the body
    /// may still fail or differ, and a client may announce more than it sends).
    fn reserve(&mut self, _len: u64) {}
    /// Append bytes.
    fn write(&mut self, data: &[u8]) -> Result<(), StoreError>;
    /// The finished data, handed to [`Store::commit`].
    fn finish(self: Box<Self>) -> Result<ObjectData, StoreError>;
}

/// Where objects live.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// A writer for a new body.
    fn writer(&self, bucket: &str, key: &str) -> Result<Box<dyn ObjectWriter>, StoreError>;
    /// Store an object if `condition` holds; `versioned` keeps earlier versions.
    fn commit(
        &self,
        bucket: &str,
        meta: ObjectMeta,
        data: ObjectData,
        condition: &WriteCondition,
        versioned: bool,
    ) -> Result<Arc<StoredObject>, StoreError>;
    /// The current version of a key, if it is an object.
    fn get(&self, bucket: &str, key: &str) -> Option<Arc<StoredObject>>;
    /// Delete a key. In a versioned bucket this places a delete marker and returns
    /// its version id; otherwise the object is removed (absent keys are fine).
    fn delete(&self, bucket: &str, key: &str, versioned: bool, at: OffsetDateTime) -> DeleteOutcome;
    /// Permanently delete one version of a key; `true` if it existed.
    fn delete_version(&self, bucket: &str, key: &str, version_id: &str) -> bool;
    /// Current objects whose keys start with `prefix`, in key order, after `start_after`.
    fn list(&self, bucket: &str, prefix: &str, start_after: Option<&str>, limit: usize) -> Vec<ObjectMeta>;
    /// One page of a listing ([`ListQuery`]): a walk of the key index that stops at
    /// the page and seeks past each common prefix, so a page costs O(page), not
    /// O(bucket).
    fn list_page(&self, bucket: &str, query: &ListQuery<'_>) -> ListPage;
    /// Make sure a bucket exists in the store.
    fn create_bucket(&self, bucket: &str);
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteOutcome {
    /// A delete marker was placed, with this version id.
    pub delete_marker: Option<String>,
    /// An object was removed.
    pub removed: bool,
}

/// A key's versions in the memory store: 16 bytes in the index. Most keys only
/// ever have one object, held without a vector (a vector of one is a 64-byte
/// allocation on every key); the versions of a versioned key, or of one with
/// delete markers, are a boxed slice.
#[derive(Debug)]
enum Slot {
    /// One version, an object.
    One(Arc<StoredObject>),
    /// Versions, oldest first; empty only while a change is being made.
    Many(Box<[Version]>),
}

impl Slot {
    /// The current version, if it is an object.
    fn current(&self) -> Option<&Arc<StoredObject>> {
        match self {
            Self::One(o) => Some(o),
            Self::Many(versions) => current(versions),
        }
    }

    /// Change the versions as a vector, then keep them in the smallest form.
    fn update<T>(&mut self, change: impl FnOnce(&mut Vec<Version>) -> T) -> T {
        let mut versions = match std::mem::replace(self, Self::Many(Box::default())) {
            Self::One(o) => vec![Version::Object(o)],
            Self::Many(all) => all.into_vec(),
        };
        let out = change(&mut versions);
        *self = match <[Version; 1]>::try_from(versions) {
            Ok([Version::Object(o)]) => Self::One(o),
            Ok(one) => Self::Many(Box::new(one)),
            Err(versions) => Self::Many(versions.into_boxed_slice()),
        };
        out
    }

    fn is_empty(&self) -> bool {
        matches!(self, Self::Many(v) if v.is_empty())
    }
}

/// The index: each key once, shared with its objects' records.
type Keys = BTreeMap<Arc<str>, Slot>;

/// Keeps every object in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    buckets: RwLock<HashMap<String, Keys>>,
    keep_data: bool,
    version_counter: std::sync::atomic::AtomicU64,
}

impl MemoryStore {
    /// A store that keeps bodies.
    pub fn new() -> Self {
        Self {
            keep_data: true,
            ..Self::default()
        }
    }

    /// A store that keeps only sizes and digests, for load tests and huge objects.
    pub fn digest_only() -> Self {
        Self {
            keep_data: false,
            ..Self::default()
        }
    }

    fn next_version_id(&self) -> VersionId {
        let n = self
            .version_counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        VersionId::numbered(n)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Keys>> {
        self.buckets
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write_lock(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Keys>> {
        self.buckets
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Debug)]
struct MemoryWriter {
    buf: Option<Vec<u8>>,
}

/// The most a memory writer reserves up front: an announced length is the
/// client's word, and a body that never comes should not cost gigabytes.
const MAX_RESERVE: u64 = 16 * 1024 * 1024;

impl ObjectWriter for MemoryWriter {
    fn reserve(&mut self, len: u64) {
        if let Some(buf) = &mut self.buf {
            // Growing by doubling copied a 1 MiB body about twice over.
            buf.reserve(usize::try_from(len.min(MAX_RESERVE)).unwrap_or(0));
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        if let Some(buf) = &mut self.buf {
            buf.extend_from_slice(data);
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<ObjectData, StoreError> {
        Ok(match self.buf {
            Some(buf) => ObjectData::Memory(Bytes::from(buf)),
            None => ObjectData::Discarded,
        })
    }
}

/// What one listing page asks for (ListObjects, ListObjectsV2).
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    /// Keys must start with this.
    pub prefix: &'a str,
    /// Keys with this after the prefix roll up into one common prefix.
    pub delimiter: Option<&'a str>,
    /// The page starts after this key (marker, start-after, continuation token).
    pub start_after: Option<&'a str>,
    /// At most this many entries, objects and common prefixes together.
    pub max: usize,
}

/// One entry of a listing page.
#[derive(Debug, Clone)]
pub enum ListEntry {
    /// An object, its current version (shared with the store, not copied).
    Object(Arc<StoredObject>),
    /// A common prefix (`CommonPrefixes`), ending with the delimiter.
    Prefix(String),
}

impl ListEntry {
    /// The key or the common prefix: where the next page starts after.
    pub fn marker(&self) -> &str {
        match self {
            Self::Object(o) => &o.meta.key,
            Self::Prefix(p) => p,
        }
    }
}

/// A listing page: its entries in key order, and whether any key or common prefix
/// remains after them.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    /// Objects and common prefixes, in key order.
    pub entries: Vec<ListEntry>,
    /// Whether an entry remains after the page (S3's `IsTruncated`).
    pub truncated: bool,
}

/// The common prefix `key` rolls up into: the prefix, then everything up to and
/// including the first delimiter after it.
fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: &str) -> Option<&'k str> {
    let pos = key.get(prefix.len()..)?.find(delimiter)?;
    key.get(..prefix.len() + pos + delimiter.len())
}

/// The least string above every string that starts with `s`: its last character
/// replaced by the next one (strings order by code point, as UTF-8 bytes do).
/// `None` when nothing is above (every character is `char::MAX`).
fn successor(s: &str) -> Option<String> {
    let mut chars: Vec<char> = s.chars().collect();
    while let Some(c) = chars.pop() {
        let next = match c as u32 + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(n) = next {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// One listing page over a key index, walking it in order from the start point:
/// keys without a current version (deleted, or only delete markers) are skipped,
/// keys under a common prefix become that prefix once and the walk seeks past it.
/// A start point that is itself a common prefix (a `NextMarker` S3 gave) starts
/// past every key under it.
fn page_of<'a, K: Ord + std::borrow::Borrow<str>, V>(
    keys: &'a BTreeMap<K, V>,
    current: impl Fn(&'a V) -> Option<&'a Arc<StoredObject>>,
    q: &ListQuery<'_>,
) -> ListPage {
    use std::ops::Bound;
    let mut page = ListPage::default();
    // S3 answers max-keys=0 with an empty, untruncated page.
    if q.max == 0 {
        return page;
    }
    let mut lower = match q.start_after {
        Some(s) if s >= q.prefix => match q.delimiter.and_then(|d| common_prefix(s, q.prefix, d)) {
            Some(cp) if cp == s => match successor(cp) {
                Some(next) => Bound::Included(next),
                None => return page,
            },
            _ => Bound::Excluded(s.to_string()),
        },
        _ => Bound::Included(q.prefix.to_string()),
    };
    loop {
        let mut seek = None;
        for (key, v) in keys.range::<str, _>((lower.as_ref().map(String::as_str), Bound::Unbounded)) {
            let key: &str = key.borrow();
            if !key.starts_with(q.prefix) {
                return page;
            }
            let Some(object) = current(v) else { continue };
            if page.entries.len() >= q.max {
                page.truncated = true;
                return page;
            }
            if let Some(cp) = q.delimiter.and_then(|d| common_prefix(key, q.prefix, d)) {
                page.entries.push(ListEntry::Prefix(cp.to_string()));
                match successor(cp) {
                    Some(next) => seek = Some(next),
                    None => return page,
                }
                break;
            }
            page.entries.push(ListEntry::Object(Arc::clone(object)));
        }
        match seek {
            Some(next) => lower = Bound::Included(next),
            None => return page,
        }
    }
}

/// The entries of `keys` a listing walks, in key order: those under `prefix`,
/// after `start_after` when it sorts at or after the prefix (ListObjectsV2).
fn listed<'a, K: Ord + std::borrow::Borrow<str>, V>(
    keys: &'a BTreeMap<K, V>,
    prefix: &'a str,
    start_after: Option<&'a str>,
) -> impl Iterator<Item = &'a V> + 'a {
    let lower = match start_after {
        Some(s) if s >= prefix => std::ops::Bound::Excluded(s),
        _ => std::ops::Bound::Included(prefix),
    };
    keys.range::<str, _>((lower, std::ops::Bound::Unbounded))
        .take_while(move |(k, _)| k.borrow().starts_with(prefix))
        .map(|(_, v)| v)
}

fn current(versions: &[Version]) -> Option<&Arc<StoredObject>> {
    match versions.last() {
        Some(Version::Object(o)) => Some(o),
        _ => None,
    }
}

impl Store for MemoryStore {
    fn writer(&self, _bucket: &str, _key: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        Ok(Box::new(MemoryWriter {
            buf: self.keep_data.then(Vec::new),
        }))
    }

    fn commit(
        &self,
        bucket: &str,
        mut meta: ObjectMeta,
        data: ObjectData,
        condition: &WriteCondition,
        versioned: bool,
    ) -> Result<Arc<StoredObject>, StoreError> {
        let version_id = if versioned {
            self.next_version_id()
        } else {
            VersionId::NULL
        };
        let mut buckets = self.write_lock();
        let keys = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        check_condition(keys.get(&meta.key).and_then(Slot::current), condition)?;
        meta.version_id = version_id;
        let key = Arc::clone(&meta.key);
        let stored = Arc::new(StoredObject { meta, data });
        match keys.entry(key) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(Slot::One(Arc::clone(&stored)));
            }
            std::collections::btree_map::Entry::Occupied(e) => {
                e.into_mut().update(|versions| {
                    if !versioned {
                        versions.retain(|v| match v {
                            Version::Object(o) => !o.meta.version_id.is_null(),
                            Version::DeleteMarker { version_id, .. } => version_id != "null",
                        });
                    }
                    versions.push(Version::Object(Arc::clone(&stored)));
                });
            }
        }
        Ok(stored)
    }

    fn get(&self, bucket: &str, key: &str) -> Option<Arc<StoredObject>> {
        self.read().get(bucket)?.get(key).and_then(Slot::current).cloned()
    }

    fn delete(&self, bucket: &str, key: &str, versioned: bool, at: OffsetDateTime) -> DeleteOutcome {
        let mut buckets = self.write_lock();
        let Some(keys) = buckets.get_mut(bucket) else {
            return DeleteOutcome::default();
        };
        if versioned {
            let version_id = self.next_version_id().to_string();
            keys.entry(Arc::from(key))
                .or_insert(Slot::Many(Box::default()))
                .update(|versions| {
                    versions.push(Version::DeleteMarker {
                        version_id: version_id.clone(),
                        at,
                    })
                });
            return DeleteOutcome {
                delete_marker: Some(version_id),
                removed: false,
            };
        }
        let removed = keys.remove(key).is_some_and(|slot| slot.current().is_some());
        DeleteOutcome {
            delete_marker: None,
            removed,
        }
    }

    fn delete_version(&self, bucket: &str, key: &str, version_id: &str) -> bool {
        let mut buckets = self.write_lock();
        let Some(slot) = buckets.get_mut(bucket).and_then(|k| k.get_mut(key)) else {
            return false;
        };
        let removed = slot.update(|versions| {
            let before = versions.len();
            versions.retain(|v| match v {
                Version::Object(o) => o.meta.version_id != version_id,
                Version::DeleteMarker { version_id: id, .. } => id != version_id,
            });
            versions.len() != before
        });
        if slot.is_empty() {
            if let Some(keys) = buckets.get_mut(bucket) {
                keys.remove(key);
            }
        }
        removed
    }

    fn list(&self, bucket: &str, prefix: &str, start_after: Option<&str>, limit: usize) -> Vec<ObjectMeta> {
        let buckets = self.read();
        let Some(keys) = buckets.get(bucket) else {
            return Vec::new();
        };
        listed(keys, prefix, start_after)
            .filter_map(|slot| slot.current().map(|o| o.meta.clone()))
            .take(limit)
            .collect()
    }

    fn list_page(&self, bucket: &str, query: &ListQuery<'_>) -> ListPage {
        let buckets = self.read();
        match buckets.get(bucket) {
            Some(keys) => page_of(keys, Slot::current, query),
            None => ListPage::default(),
        }
    }

    fn create_bucket(&self, bucket: &str) {
        self.write_lock().entry(bucket.to_string()).or_default();
    }
}

/// Whether a write under `condition` may replace `existing` (the current object).
fn check_condition(
    existing: Option<&Arc<StoredObject>>,
    condition: &WriteCondition,
) -> Result<(), StoreError> {
    if condition.if_none_match_any && existing.is_some() {
        return Err(StoreError::PreconditionFailed);
    }
    if let Some(want) = &condition.if_match {
        match existing {
            None => return Err(StoreError::NoSuchKey),
            Some(o) if !etag_matches(want, &o.meta.etag) => return Err(StoreError::PreconditionFailed),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Compare an `If-Match` value with a stored ETag: quotes optional, `*` matches any.
pub fn etag_matches(wanted: &str, etag: &ETag) -> bool {
    fn strip(s: &str) -> &str {
        s.trim().trim_start_matches("W/").trim_matches('"')
    }
    let quoted = etag.quoted();
    let etag = strip(quoted.as_str());
    wanted.split(',').any(|w| w.trim() == "*" || strip(w) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    pub(super) fn meta(key: &str) -> ObjectMeta {
        ObjectMeta {
            key: key.into(),
            size: 1,
            etag: ETag::of_md5([0xab; 16]),
            sha256: [0xcd; 32],
            last_modified: datetime!(2026-01-01 00:00 UTC),
            content_type: None,
            checksums: Checksums::new(),
            sse: None,
            version_id: VersionId::NULL,
            owner: "111111111111".into(),
            storage_class: StorageClass::Standard,
            extras: None,
        }
    }

    #[test]
    fn if_none_match_star_refuses_an_existing_key() {
        let s = MemoryStore::new();
        s.create_bucket("b");
        let cond = WriteCondition {
            if_none_match_any: true,
            if_match: None,
        };
        s.commit(
            "b",
            meta("k"),
            ObjectData::Memory(Bytes::from_static(b"x")),
            &cond,
            false,
        )
        .unwrap();
        let again = s.commit(
            "b",
            meta("k"),
            ObjectData::Memory(Bytes::from_static(b"y")),
            &cond,
            false,
        );
        assert_eq!(again.unwrap_err(), StoreError::PreconditionFailed);
        match &s.get("b", "k").unwrap().data {
            ObjectData::Memory(b) => assert_eq!(&b[..], b"x"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn if_match_needs_the_same_etag() {
        let s = MemoryStore::new();
        s.create_bucket("b");
        let none = WriteCondition::default();
        s.commit("b", meta("k"), ObjectData::Discarded, &none, false)
            .unwrap();
        let wrong = WriteCondition {
            if_none_match_any: false,
            if_match: Some("\"zzz\"".into()),
        };
        assert_eq!(
            s.commit("b", meta("k"), ObjectData::Discarded, &wrong, false)
                .unwrap_err(),
            StoreError::PreconditionFailed
        );
        let right = WriteCondition {
            if_none_match_any: false,
            if_match: Some("ab".repeat(16)),
        };
        assert!(s
            .commit("b", meta("k"), ObjectData::Discarded, &right, false)
            .is_ok());
        let missing = s.commit("b", meta("other"), ObjectData::Discarded, &right, false);
        assert_eq!(missing.unwrap_err(), StoreError::NoSuchKey);
    }

    #[test]
    fn versioned_delete_places_a_marker_and_hides_the_object() {
        let s = MemoryStore::new();
        s.create_bucket("b");
        s.commit(
            "b",
            meta("k"),
            ObjectData::Discarded,
            &WriteCondition::default(),
            true,
        )
        .unwrap();
        let out = s.delete("b", "k", true, datetime!(2026-01-01 00:00 UTC));
        assert!(out.delete_marker.is_some());
        assert!(s.get("b", "k").is_none());
        assert!(s.list("b", "", None, 10).is_empty());
    }

    /// A page: its entries as `key` or `prefix/`, and whether it is truncated.
    fn page(
        s: &MemoryStore,
        prefix: &str,
        delimiter: Option<&str>,
        start: Option<&str>,
        max: usize,
    ) -> (Vec<String>, bool) {
        let p = s.list_page(
            "b",
            &ListQuery {
                prefix,
                delimiter,
                start_after: start,
                max,
            },
        );
        (
            p.entries.iter().map(|e| e.marker().to_string()).collect(),
            p.truncated,
        )
    }

    fn store_with(keys: &[&str]) -> MemoryStore {
        let s = MemoryStore::new();
        s.create_bucket("b");
        for k in keys {
            s.commit(
                "b",
                meta(k),
                ObjectData::Discarded,
                &WriteCondition::default(),
                false,
            )
            .unwrap();
        }
        s
    }

    /// The delimiter walk of a widely used S3 conformance suite (its
    /// `test_bucket_list_delimiter_prefix`): a page that ends on a common prefix
    /// names the prefix, the next page starts past every key under it, and the last
    /// page is not truncated.
    #[test]
    fn pages_end_on_common_prefixes_as_s3_pages_do() {
        let s = store_with(&["asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"]);
        let d = Some("/");
        assert_eq!(page(&s, "", d, None, 1), (vec!["asdf".into()], true));
        assert_eq!(page(&s, "", d, Some("asdf"), 1), (vec!["boo/".into()], true));
        assert_eq!(page(&s, "", d, Some("boo/"), 1), (vec!["cquux/".into()], false));
        assert_eq!(
            page(&s, "", d, None, 2),
            (vec!["asdf".into(), "boo/".into()], true)
        );
        assert_eq!(page(&s, "", d, Some("boo/"), 2), (vec!["cquux/".into()], false));
        assert_eq!(
            page(&s, "", d, None, 3),
            (vec!["asdf".into(), "boo/".into(), "cquux/".into()], false)
        );
        assert_eq!(page(&s, "boo/", d, None, 1), (vec!["boo/bar".into()], true));
        assert_eq!(
            page(&s, "boo/", d, Some("boo/bar"), 1),
            (vec!["boo/baz/".into()], false)
        );
        // max-keys=0: empty and not truncated.
        assert_eq!(page(&s, "", d, None, 0), (vec![], false));
        // No delimiter: keys one by one; the last page is not truncated.
        assert_eq!(
            page(&s, "", None, Some("cquux/bla"), 1),
            (vec!["cquux/thud".into()], false)
        );
        // A start below the prefix starts at the prefix.
        assert_eq!(page(&s, "c", None, Some("a"), 5).0, ["cquux/bla", "cquux/thud"]);
    }

    /// The compact record is written as the flat, all-string JSON it always was,
    /// and reads back equal: stores written before it still open.
    #[test]
    fn the_record_keeps_its_json() {
        let mut m = meta("k");
        m.checksums.insert(record::ChecksumAlgorithm::Crc32, "AAAAAA==");
        m.version_id = VersionId::NULL;
        m.extras = ObjectExtras {
            tags: [("stage".to_string(), "raw".to_string())].into(),
            parts: vec![5, 1],
            ..ObjectExtras::default()
        }
        .boxed();
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["etag"], format!("\"{}\"", "ab".repeat(16)));
        assert_eq!(json["sha256"], "cd".repeat(32));
        assert_eq!(json["storage_class"], "STANDARD");
        assert_eq!(json["checksums"]["CRC32"], "AAAAAA==");
        assert_eq!(json["tags"]["stage"], "raw");
        assert_eq!(json["parts"], serde_json::json!([5, 1]));
        assert_eq!(json["headers"], serde_json::json!({}));
        assert_eq!(json["sse"], serde_json::Value::Null);
        let back: ObjectMeta = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, m);
        // No extras when every extra is empty, whatever the JSON held.
        let mut plain = json;
        plain["tags"] = serde_json::json!({});
        plain["parts"] = serde_json::json!([]);
        assert!(serde_json::from_value::<ObjectMeta>(plain)
            .unwrap()
            .extras
            .is_none());
    }

    /// A record that could not be written back exactly is refused, not repaired.
    #[test]
    fn a_record_with_a_malformed_field_is_refused() {
        let good = serde_json::to_value(meta("k")).unwrap();
        for (field, bad) in [
            ("sha256", serde_json::json!("")),
            ("etag", serde_json::json!("\"xyz\"")),
            ("storage_class", serde_json::json!("COLD")),
            ("sse", serde_json::json!("aws:kms:other")),
        ] {
            let mut v = good.clone();
            v[field] = bad;
            assert!(serde_json::from_value::<ObjectMeta>(v).is_err(), "{field}");
        }
    }

    /// A key goes from one version to several and back (delete markers, versions
    /// removed one by one), and the current version follows.
    #[test]
    fn a_key_moves_between_one_and_many_versions() {
        let s = MemoryStore::new();
        s.create_bucket("b");
        let put = |versioned| {
            s.commit(
                "b",
                meta("k"),
                ObjectData::Discarded,
                &WriteCondition::default(),
                versioned,
            )
            .unwrap()
            .meta
            .version_id
            .to_string()
        };
        let v1 = put(true);
        let v2 = put(true);
        assert_eq!(s.get("b", "k").unwrap().meta.version_id, v2.as_str());
        let marker = s
            .delete("b", "k", true, datetime!(2026-01-02 00:00 UTC))
            .delete_marker
            .unwrap();
        assert!(s.get("b", "k").is_none());
        assert!(s.delete_version("b", "k", &marker));
        assert_eq!(s.get("b", "k").unwrap().meta.version_id, v2.as_str());
        assert!(s.delete_version("b", "k", &v2));
        assert_eq!(s.get("b", "k").unwrap().meta.version_id, v1.as_str());
        // An unversioned write replaces the null version and keeps the others.
        let null = put(false);
        assert_eq!(null, "null");
        let null_again = put(false);
        assert_eq!(null_again, "null");
        assert!(s.delete_version("b", "k", "null"));
        assert_eq!(s.get("b", "k").unwrap().meta.version_id, v1.as_str());
        assert!(s.delete_version("b", "k", &v1));
        assert!(s.get("b", "k").is_none());
        assert!(!s.delete_version("b", "k", &v1));
        assert!(s.list("b", "", None, usize::MAX).is_empty());
    }

    /// A write whose condition fails leaves no trace of the key.
    #[test]
    fn a_refused_write_leaves_no_empty_key() {
        let s = MemoryStore::new();
        s.create_bucket("b");
        let cond = WriteCondition {
            if_none_match_any: false,
            if_match: Some("\"x\"".into()),
        };
        let err = s
            .commit("b", meta("k"), ObjectData::Discarded, &cond, false)
            .unwrap_err();
        assert_eq!(err, StoreError::NoSuchKey);
        assert!(s.read().get("b").unwrap().is_empty());
    }

    /// Keys whose only versions are delete markers do not make a page, nor a prefix.
    #[test]
    fn deleted_keys_are_neither_entries_nor_prefixes() {
        let s = store_with(&["a/1", "b", "c/1"]);
        s.delete("b", "a/1", true, time::OffsetDateTime::UNIX_EPOCH);
        s.delete("b", "b", true, time::OffsetDateTime::UNIX_EPOCH);
        assert_eq!(page(&s, "", Some("/"), None, 1), (vec!["c/".into()], false));
    }

    #[test]
    fn the_successor_bounds_every_string_with_the_prefix() {
        assert_eq!(successor("boo/").as_deref(), Some("boo0"));
        assert_eq!(successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor("\u{10FFFF}"), None);
        let s = store_with(&["x\u{10FFFF}/a", "x\u{10FFFF}/b", "y"]);
        assert_eq!(
            page(&s, "", Some("/"), None, 5),
            (vec!["x\u{10FFFF}/".into(), "y".into()], false)
        );
    }

    #[test]
    fn list_honours_prefix_and_start_after() {
        let s = MemoryStore::new();
        s.create_bucket("b");
        for k in ["a/1", "a/2", "a/3", "b/1"] {
            s.commit(
                "b",
                meta(k),
                ObjectData::Discarded,
                &WriteCondition::default(),
                false,
            )
            .unwrap();
        }
        let keys: Vec<String> = s
            .list("b", "a/", Some("a/1"), 10)
            .into_iter()
            .map(|m| m.key.to_string())
            .collect();
        assert_eq!(keys, ["a/2", "a/3"]);
        assert_eq!(s.list("b", "", None, 2).len(), 2);
    }
}
