//! A store that keeps bodies in files under one directory and survives a restart.
//!
//! Layout under the root:
//!
//! ```text
//! .lock                                the holder's lock (and its process id)
//! .tmp/N-RUN.part                      bodies while they stream in
//! BUCKET/KEYHASH.VERSION.json          the sidecar: the key, the metadata, the order
//!                                      (SEQ) and the body's file name
//! BUCKET/KEYHASH.VERSION.SEQ-RUN.data  the body (KEYHASH: hex SHA-256 of the key, since
//!                                      keys are up to 1024 bytes of anything; RUN:
//!                                      random per open, so two writers never pick
//!                                      one name)
//! ```
//!
//! One process at a time: [`DirStore::open`] takes an exclusive advisory lock on
//! `.lock` for the store's life and refuses to open a directory another process
//! holds, naming it. (Two servers on one directory each start their counters at
//! the same number and read each other's bodies under their own ETags.)
//!
//! Every commit has a body file of its own (SEQ-RUN is unique), so overwriting the
//! `null` version never writes over a file a reader may be reading: the old body
//! is retired and removed when its last reader is done ([`BodyFile`]). Bodies that
//! no sidecar names (a crash between the rename and the sidecar, or before a
//! retired body was removed) are collected when the store opens.
//!
//! A body goes to a temp file as it streams (memory stays flat for any size),
//! and [`Store::commit`] renames it into place and writes the sidecar (itself
//! through a temp file and a rename, so a crash leaves either the old or the new
//! record). Nothing is fsynced: this is an emulator, and a crash may lose the
//! last writes but never leaves a half-written record. The index of keys and
//! versions lives in memory and is rebuilt from the sidecars by [`DirStore::open`].

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use sha2::Digest as _;
use time::OffsetDateTime;

use super::{
    check_condition, current, listed, page_of, BodyFile, DeleteOutcome, ListPage, ListQuery, ObjectData,
    ObjectMeta, ObjectWriter, Store, StoreError, StoredObject, Version, VersionId, WriteCondition,
};

/// What a sidecar file records.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Sidecar {
    /// Order of versions of one key (higher is newer).
    seq: u64,
    bucket: String,
    key: String,
    /// The body's file name in the bucket's directory (absent in stores written
    /// before names carried a run id: then `KEYHASH.VERSION.SEQ.data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(flatten)]
    entry: Entry,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Entry {
    Object {
        meta: Box<ObjectMeta>,
    },
    DeleteMarker {
        version_id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

/// One version in the index, with its sequence number for ordering.
type Versions = Vec<(u64, Version)>;
type Keys = BTreeMap<Arc<str>, Versions>;

/// Keeps bodies in files under a directory; see the module docs.
#[derive(Debug)]
pub struct DirStore {
    root: PathBuf,
    buckets: RwLock<HashMap<String, Keys>>,
    /// Next sequence number; also numbers version ids and temp files.
    counter: AtomicU64,
    /// Random per open: part of every file name this store writes.
    run: String,
    /// Held for the store's life: the exclusive lock on `.lock`.
    _lock: std::fs::File,
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Io(e.to_string())
}

/// A directory name for a bucket: the name itself when it is a plain S3 name,
/// else its hex (world files are validated, but the store should not trust that).
fn bucket_dir(bucket: &str) -> String {
    let plain = !bucket.is_empty()
        && bucket != "."
        && bucket != ".."
        && !bucket.starts_with(".tmp")
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    if plain {
        bucket.to_string()
    } else {
        format!("x-{}", hex::encode(bucket))
    }
}

fn key_hash(key: &str) -> String {
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

/// `stem` + `.ext`: appended, since the stem's version id looks like an extension.
fn with_ext(stem: &Path, ext: &str) -> PathBuf {
    let mut s = stem.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

fn version_of(v: &Version) -> std::borrow::Cow<'_, str> {
    match v {
        Version::Object(o) => o.meta.version_id.to_string().into(),
        Version::DeleteMarker { version_id, .. } => version_id.as_str().into(),
    }
}

impl DirStore {
    /// Open (or create) a store at `root`, loading every object committed there
    /// before. Refused while another process (or another `DirStore`) holds the
    /// directory. Leftover temp files and bodies no sidecar names are removed.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(io)?;
        let lock = lock(&root)?;
        let tmp = root.join(".tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(io)?;
        }
        std::fs::create_dir_all(&tmp).map_err(io)?;
        let mut buckets: HashMap<String, Keys> = HashMap::new();
        let mut max_seq = 0_u64;
        for dir in std::fs::read_dir(&root).map_err(io)? {
            let dir = dir.map_err(io)?;
            if dir.file_name() == ".tmp" || !dir.file_type().map_err(io)?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(dir.path()).map_err(io)? {
                let path = file.map_err(io)?.path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let Some(record) = std::fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Sidecar>(&b).ok())
                else {
                    tracing::warn!(path = %path.display(), "skipping an unreadable sidecar");
                    continue;
                };
                max_seq = max_seq.max(record.seq);
                let version = match record.entry {
                    Entry::Object { meta } => {
                        let data = match &record.body {
                            Some(name) if is_plain_file_name(name) => dir.path().join(name),
                            Some(_) => {
                                tracing::warn!(path = %path.display(), "skipping a sidecar naming a body elsewhere");
                                continue;
                            }
                            None => with_ext(&path.with_extension(""), &format!("{}.data", record.seq)),
                        };
                        if !data.is_file() {
                            tracing::warn!(path = %path.display(), "skipping a sidecar without its body");
                            continue;
                        }
                        Version::Object(Arc::new(StoredObject {
                            meta: *meta,
                            data: ObjectData::File(Arc::new(BodyFile::new(data))),
                        }))
                    }
                    Entry::DeleteMarker { version_id, at } => Version::DeleteMarker { version_id, at },
                };
                buckets
                    .entry(record.bucket)
                    .or_default()
                    .entry(Arc::from(record.key))
                    .or_default()
                    .push((record.seq, version));
            }
        }
        for keys in buckets.values_mut() {
            for versions in keys.values_mut() {
                versions.sort_by_key(|(seq, _)| *seq);
            }
        }
        let collected = collect_orphans(&root, &buckets)?;
        if collected > 0 {
            tracing::info!(root = %root.display(), collected, "removed bodies no sidecar names (left by a crash)");
        }
        let mut run = [0_u8; 4];
        if getrandom::fill(&mut run).is_err() {
            run = std::process::id().to_le_bytes();
        }
        Ok(Self {
            root,
            buckets: RwLock::new(buckets),
            counter: AtomicU64::new(max_seq + 1),
            run: hex::encode(run),
            _lock: lock,
        })
    }

    /// The directory the store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
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

    /// `BUCKET/KEYHASH.VERSION` without extension.
    fn stem(&self, bucket: &str, key: &str, version_id: &str) -> PathBuf {
        self.root
            .join(bucket_dir(bucket))
            .join(format!("{}.{version_id}", key_hash(key)))
    }

    fn write_sidecar(&self, stem: &Path, record: &Sidecar) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(record).map_err(|e| StoreError::Io(e.to_string()))?;
        let tmp = self.root.join(".tmp").join(format!("{}.json", self.next()));
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, with_ext(stem, "json")).map_err(io)
    }

    /// Remove a version's sidecar now and its body once no reader holds it
    /// (a missing file is fine: the goal is its absence).
    fn remove_version(&self, bucket: &str, key: &str, version: &Version) {
        let _ = std::fs::remove_file(with_ext(&self.stem(bucket, key, &version_of(version)), "json"));
        if let Version::Object(o) = version {
            if let ObjectData::File(body) = &o.data {
                body.retire();
            }
        }
    }
}

/// Take the store's lock, or say who holds it.
fn lock(root: &Path) -> Result<std::fs::File, StoreError> {
    let path = root.join(".lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            return Err(StoreError::Io(format!(
                "{} is in use by another emulator ({}); two servers on one directory would \
                 read each other's bodies. Stop it or use another directory.",
                root.display(),
                if holder.is_empty() {
                    "process unknown".to_string()
                } else {
                    format!("process {holder}")
                }
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(StoreError::Io(format!("cannot lock {}: {e}", path.display())))
        }
    }
    file.set_len(0).map_err(io)?;
    file.write_all(std::process::id().to_string().as_bytes())
        .map_err(io)?;
    Ok(file)
}

/// A file name with no directory part.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\'])
}

/// Remove `.data` files under the bucket directories that no loaded version
/// holds; a stem whose sidecar could not be read keeps its files (they are not
/// ours to judge). Returns how many were removed.
fn collect_orphans(root: &Path, buckets: &HashMap<String, Keys>) -> Result<usize, StoreError> {
    let mut live: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    for keys in buckets.values() {
        for versions in keys.values() {
            for (_, v) in versions {
                if let Version::Object(o) = v {
                    if let ObjectData::File(f) = &o.data {
                        live.insert(f.path().to_path_buf());
                    }
                }
            }
        }
    }
    let mut removed = 0;
    for dir in std::fs::read_dir(root).map_err(io)? {
        let dir = dir.map_err(io)?;
        if dir.file_name() == ".tmp" || !dir.file_type().map_err(io)?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(dir.path()).map_err(io)? {
            let path = file.map_err(io)?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !name.ends_with(".data") || live.contains(&path) {
                continue;
            }
            // KEYHASH.VERSION.SEQ[-RUN].data: the sidecar is KEYHASH.VERSION.json.
            let mut parts = name.splitn(3, '.');
            let (Some(hash), Some(version)) = (parts.next(), parts.next()) else {
                continue;
            };
            let sidecar = dir.path().join(format!("{hash}.{version}.json"));
            let sidecar_unreadable = sidecar.is_file()
                && std::fs::read(&sidecar)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Sidecar>(&b).ok())
                    .is_none();
            if sidecar_unreadable {
                continue;
            }
            if std::fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// A body on its way to a temp file; dropped unfinished, the file goes away.
#[derive(Debug)]
struct DirWriter {
    file: Option<std::fs::File>,
    path: PathBuf,
}

impl ObjectWriter for DirWriter {
    fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        match &mut self.file {
            Some(f) => f.write_all(data).map_err(io),
            None => Err(StoreError::Io("writer already finished".into())),
        }
    }

    fn finish(mut self: Box<Self>) -> Result<ObjectData, StoreError> {
        // Closing the file hands it to commit, which renames or removes it.
        self.file = None;
        Ok(ObjectData::File(Arc::new(BodyFile::new(std::mem::take(
            &mut self.path,
        )))))
    }
}

impl Drop for DirWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Store for DirStore {
    fn writer(&self, _bucket: &str, _key: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        let path = self
            .root
            .join(".tmp")
            .join(format!("{}-{}.part", self.next(), self.run));
        let file = std::fs::File::create(&path).map_err(io)?;
        Ok(Box::new(DirWriter {
            file: Some(file),
            path,
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
        let discard = |data: &ObjectData| {
            if let ObjectData::File(tmp) = data {
                let _ = std::fs::remove_file(tmp.path());
            }
        };
        let mut buckets = self.write_lock();
        let Some(keys) = buckets.get_mut(bucket) else {
            discard(&data);
            return Err(StoreError::NoSuchBucket);
        };
        // Most keys only ever have one version: a default `Vec` would reserve four.
        let versions = keys
            .entry(Arc::clone(&meta.key))
            .or_insert_with(|| Vec::with_capacity(1));
        let existing = versions
            .last()
            .and_then(|(_, v)| current(std::slice::from_ref(v)));
        if let Err(e) = check_condition(existing, condition) {
            discard(&data);
            return Err(e);
        }
        let seq = self.next();
        meta.version_id = if versioned {
            VersionId::numbered(seq)
        } else {
            VersionId::NULL
        };
        let stem = self.stem(bucket, &meta.key, meta.version_id.text().as_str());
        let body_path = with_ext(&stem, &format!("{seq}-{}.data", self.run));
        let body_name = body_path.file_name().and_then(|n| n.to_str()).map(str::to_string);
        let written = match &data {
            ObjectData::File(tmp) => std::fs::rename(tmp.path(), &body_path),
            // Another store's data (tests hand in bytes): write it out.
            ObjectData::Memory(bytes) => std::fs::write(&body_path, bytes),
            ObjectData::Discarded => std::fs::write(&body_path, []),
        };
        if let Err(e) = written {
            discard(&data);
            return Err(io(e));
        }
        let record = Sidecar {
            seq,
            bucket: bucket.to_string(),
            key: meta.key.to_string(),
            body: body_name,
            entry: Entry::Object { meta: Box::new(meta) },
        };
        if let Err(e) = self.write_sidecar(&stem, &record) {
            let _ = std::fs::remove_file(&body_path);
            return Err(e);
        }
        let Entry::Object { meta } = record.entry else {
            return Err(StoreError::Io("sidecar changed kind".into()));
        };
        let stored = Arc::new(StoredObject {
            meta: *meta,
            data: ObjectData::File(Arc::new(BodyFile::new(body_path))),
        });
        if !versioned {
            // The new "null" version's sidecar replaced the old one's; its body
            // goes once readers of the old version are done.
            versions.retain(|(_, v)| {
                let replaced = version_of(v) == "null";
                if replaced {
                    if let Version::Object(o) = v {
                        if let ObjectData::File(body) = &o.data {
                            body.retire();
                        }
                    }
                }
                !replaced
            });
        }
        versions.push((seq, Version::Object(stored.clone())));
        Ok(stored)
    }

    fn get(&self, bucket: &str, key: &str) -> Option<Arc<StoredObject>> {
        let buckets = self.read();
        let (_, last) = buckets.get(bucket)?.get(key)?.last()?;
        current(std::slice::from_ref(last)).cloned()
    }

    fn delete(&self, bucket: &str, key: &str, versioned: bool, at: OffsetDateTime) -> DeleteOutcome {
        let mut buckets = self.write_lock();
        let Some(keys) = buckets.get_mut(bucket) else {
            return DeleteOutcome::default();
        };
        if versioned {
            let seq = self.next();
            let version_id = VersionId::numbered(seq).to_string();
            let record = Sidecar {
                seq,
                bucket: bucket.to_string(),
                key: key.to_string(),
                body: None,
                entry: Entry::DeleteMarker {
                    version_id: version_id.clone(),
                    at,
                },
            };
            if let Err(e) = self.write_sidecar(&self.stem(bucket, key, &version_id), &record) {
                // The marker still applies for this run; it just will not survive a restart.
                tracing::warn!(bucket, key, error = ?e, "delete marker not persisted");
            }
            keys.entry(Arc::from(key)).or_default().push((
                seq,
                Version::DeleteMarker {
                    version_id: version_id.clone(),
                    at,
                },
            ));
            return DeleteOutcome {
                delete_marker: Some(version_id),
                removed: false,
            };
        }
        let Some(versions) = keys.remove(key) else {
            return DeleteOutcome::default();
        };
        let removed = versions
            .last()
            .is_some_and(|(_, v)| matches!(v, Version::Object(_)));
        for (_, v) in &versions {
            self.remove_version(bucket, key, v);
        }
        DeleteOutcome {
            delete_marker: None,
            removed,
        }
    }

    fn delete_version(&self, bucket: &str, key: &str, version_id: &str) -> bool {
        let mut buckets = self.write_lock();
        let Some(keys) = buckets.get_mut(bucket) else {
            return false;
        };
        let Some(versions) = keys.get_mut(key) else {
            return false;
        };
        let Some(at) = versions.iter().position(|(_, v)| version_of(v) == version_id) else {
            return false;
        };
        let (_, gone) = versions.remove(at);
        self.remove_version(bucket, key, &gone);
        let removed = true;
        if versions.is_empty() {
            keys.remove(key);
        }
        removed
    }

    fn list(&self, bucket: &str, prefix: &str, start_after: Option<&str>, limit: usize) -> Vec<ObjectMeta> {
        let buckets = self.read();
        let Some(keys) = buckets.get(bucket) else {
            return Vec::new();
        };
        listed(keys, prefix, start_after)
            .filter_map(|v| {
                let (_, last) = v.last()?;
                current(std::slice::from_ref(last)).map(|o| o.meta.clone())
            })
            .take(limit)
            .collect()
    }

    fn list_page(&self, bucket: &str, query: &ListQuery<'_>) -> ListPage {
        let buckets = self.read();
        match buckets.get(bucket) {
            Some(keys) => page_of(
                keys,
                |v| {
                    let (_, last) = v.last()?;
                    current(std::slice::from_ref(last))
                },
                query,
            ),
            None => ListPage::default(),
        }
    }

    fn create_bucket(&self, bucket: &str) {
        if let Err(e) = std::fs::create_dir_all(self.root.join(bucket_dir(bucket))) {
            tracing::warn!(bucket, error = %e, "cannot create the bucket's directory");
        }
        self.write_lock().entry(bucket.to_string()).or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::meta;
    use super::*;
    use time::macros::datetime;

    /// A fresh directory under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            static N: AtomicU64 = AtomicU64::new(0);
            let path = std::env::temp_dir().join(format!(
                "emulator-dirstore-{name}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&path);
            Self(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn put(s: &DirStore, key: &str, body: &[u8], versioned: bool) -> Result<Arc<StoredObject>, StoreError> {
        let mut w = s.writer("b", key)?;
        for part in body.chunks(3) {
            w.write(part)?;
        }
        let data = w.finish()?;
        s.commit("b", meta(key), data, &WriteCondition::default(), versioned)
    }

    fn body(o: &StoredObject) -> Vec<u8> {
        match &o.data {
            ObjectData::File(f) => std::fs::read(f.path()).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    fn tmp_files(s: &DirStore) -> usize {
        std::fs::read_dir(s.root().join(".tmp")).unwrap().count()
    }

    #[test]
    fn bodies_stream_to_a_file_and_survive_a_restart() {
        let dir = TempDir::new("restart");
        {
            let s = DirStore::open(&dir.0).unwrap();
            s.create_bucket("b");
            put(&s, "a/one.txt", b"hello world", false).unwrap();
            put(&s, "a/two.txt", b"second", false).unwrap();
            put(&s, "a/one.txt", b"replaced", false).unwrap();
            assert_eq!(body(&s.get("b", "a/one.txt").unwrap()), b"replaced");
            assert_eq!(tmp_files(&s), 0, "temp files are renamed into place");
        }
        let s = DirStore::open(&dir.0).unwrap();
        s.create_bucket("b");
        let one = s.get("b", "a/one.txt").unwrap();
        assert_eq!(body(&one), b"replaced");
        assert_eq!(&*one.meta.key, "a/one.txt");
        assert!(one.meta.version_id.is_null());
        assert_eq!(body(&s.get("b", "a/two.txt").unwrap()), b"second");
        let keys: Vec<String> = s
            .list("b", "a/", None, 10)
            .into_iter()
            .map(|m| m.key.to_string())
            .collect();
        assert_eq!(keys, ["a/one.txt", "a/two.txt"]);
        // One data file and one sidecar per object: the replaced body is gone.
        let files = std::fs::read_dir(dir.0.join("b")).unwrap().count();
        assert_eq!(files, 4);
    }

    #[test]
    fn an_unfinished_or_refused_write_leaves_nothing() {
        let dir = TempDir::new("refused");
        let s = DirStore::open(&dir.0).unwrap();
        s.create_bucket("b");
        {
            let mut w = s.writer("b", "k").unwrap();
            w.write(b"partial").unwrap();
            assert_eq!(tmp_files(&s), 1);
        }
        assert_eq!(tmp_files(&s), 0, "a dropped writer removes its temp file");
        assert!(s.get("b", "k").is_none());

        put(&s, "k", b"first", false).unwrap();
        let mut w = s.writer("b", "k").unwrap();
        w.write(b"second").unwrap();
        let data = w.finish().unwrap();
        let cond = WriteCondition {
            if_none_match_any: true,
            if_match: None,
        };
        assert_eq!(
            s.commit("b", meta("k"), data, &cond, false).unwrap_err(),
            StoreError::PreconditionFailed
        );
        assert_eq!(tmp_files(&s), 0, "a refused commit removes the temp file");
        assert_eq!(body(&s.get("b", "k").unwrap()), b"first");
        assert_eq!(
            s.commit(
                "b",
                meta("k"),
                ObjectData::Discarded,
                &WriteCondition::default(),
                false
            )
            .map(|_| ())
            .ok(),
            Some(())
        );
        assert!(put(&s, "k", b"x", false).is_ok());
        let missing = s.writer("nope", "k").unwrap().finish().unwrap();
        assert_eq!(
            s.commit("nope", meta("k"), missing, &WriteCondition::default(), false)
                .unwrap_err(),
            StoreError::NoSuchBucket
        );
        assert_eq!(tmp_files(&s), 0);
    }

    #[test]
    fn versions_and_delete_markers_survive_a_restart() {
        let dir = TempDir::new("versions");
        let (v1, v2);
        {
            let s = DirStore::open(&dir.0).unwrap();
            s.create_bucket("b");
            v1 = put(&s, "k", b"one", true).unwrap().meta.version_id.to_string();
            v2 = put(&s, "k", b"two", true).unwrap().meta.version_id.to_string();
            assert_ne!(v1, v2);
            let out = s.delete("b", "k", true, datetime!(2026-01-01 00:00 UTC));
            assert!(out.delete_marker.is_some());
            assert!(s.get("b", "k").is_none());
        }
        let s = DirStore::open(&dir.0).unwrap();
        s.create_bucket("b");
        assert!(s.get("b", "k").is_none(), "the delete marker is still on top");
        let marker = {
            let buckets = s.read();
            let versions = buckets.get("b").unwrap().get("k").unwrap();
            assert_eq!(versions.len(), 3);
            version_of(&versions.last().unwrap().1).to_string()
        };
        assert!(s.delete_version("b", "k", &marker));
        assert_eq!(body(&s.get("b", "k").unwrap()), b"two");
        assert!(s.delete_version("b", "k", &v2));
        assert_eq!(body(&s.get("b", "k").unwrap()), b"one");
        // New versions number after the loaded ones.
        let v3 = put(&s, "k", b"three", true).unwrap().meta.version_id.to_string();
        assert!(v3 > v1 && v3 > v2, "{v3} after {v1}, {v2}");
    }

    #[test]
    fn unversioned_delete_removes_the_files() {
        let dir = TempDir::new("delete");
        let s = DirStore::open(&dir.0).unwrap();
        s.create_bucket("b");
        put(&s, "k", b"body", false).unwrap();
        let out = s.delete("b", "k", false, datetime!(2026-01-01 00:00 UTC));
        assert!(out.removed);
        assert_eq!(std::fs::read_dir(dir.0.join("b")).unwrap().count(), 0);
        drop(s);
        let s = DirStore::open(&dir.0).unwrap();
        assert!(s.get("b", "k").is_none());
        assert!(!s.delete("b", "k", false, datetime!(2026-01-01 00:00 UTC)).removed);
    }

    #[test]
    fn a_reader_of_an_overwritten_object_keeps_its_bytes() {
        let dir = TempDir::new("overwrite");
        let s = DirStore::open(&dir.0).unwrap();
        s.create_bucket("b");
        put(&s, "k", b"old", false).unwrap();
        let held = s.get("b", "k").unwrap(); // a GET looked the object up...
        put(&s, "k", b"new", false).unwrap(); // ...then a PUT replaced it
        assert_eq!(
            body(&held),
            b"old",
            "the bytes match the metadata the reader holds"
        );
        assert_eq!(body(&s.get("b", "k").unwrap()), b"new");
        let data_files = || {
            std::fs::read_dir(dir.0.join("b"))
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .path()
                        .extension()
                        .is_some_and(|x| x == "data")
                })
                .count()
        };
        assert_eq!(data_files(), 2, "the old body lives while it is read");
        drop(held);
        assert_eq!(data_files(), 1, "and goes when its last reader is done");
        drop(s);
        let s = DirStore::open(&dir.0).unwrap();
        assert_eq!(body(&s.get("b", "k").unwrap()), b"new");
    }

    #[test]
    fn a_second_store_on_the_same_directory_is_refused() {
        let dir = TempDir::new("lock");
        let first = DirStore::open(&dir.0).unwrap();
        let StoreError::Io(why) = DirStore::open(&dir.0).unwrap_err() else {
            panic!("expected an I/O refusal");
        };
        assert!(why.contains("in use by another emulator"), "{why}");
        assert!(why.contains(&format!("process {}", std::process::id())), "{why}");
        drop(first);
        assert!(DirStore::open(&dir.0).is_ok(), "the lock goes with the store");
    }

    #[test]
    fn body_names_carry_the_run_so_two_runs_never_collide() {
        let dir = TempDir::new("names");
        let names = |s: &DirStore| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(s.root().join("b"))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n.ends_with(".data"))
                .collect();
            v.sort();
            v
        };
        let first = {
            let s = DirStore::open(&dir.0).unwrap();
            s.create_bucket("b");
            put(&s, "k", b"one", true).unwrap();
            names(&s)
        };
        let s = DirStore::open(&dir.0).unwrap();
        s.create_bucket("b");
        put(&s, "k", b"two", true).unwrap();
        let both = names(&s);
        assert_eq!(both.len(), 2);
        assert!(both.contains(&first[0]));
        let runs: std::collections::HashSet<&str> = both
            .iter()
            .map(|n| n.rsplit_once('-').unwrap().1.trim_end_matches(".data"))
            .collect();
        assert_eq!(runs.len(), 2, "each open writes under its own run id: {both:?}");
    }

    #[test]
    fn bodies_no_sidecar_names_are_collected_at_open() {
        let dir = TempDir::new("orphans");
        {
            let s = DirStore::open(&dir.0).unwrap();
            s.create_bucket("b");
            put(&s, "kept", b"kept", false).unwrap();
        }
        let bucket = dir.0.join("b");
        // What a kill between the rename and the sidecar leaves, an old-style
        // orphan, and a body whose sidecar is not ours to read.
        std::fs::write(
            bucket.join(format!("{}.null.77-abcd0123.data", key_hash("lost"))),
            b"x",
        )
        .unwrap();
        std::fs::write(bucket.join(format!("{}.null.78.data", key_hash("old"))), b"x").unwrap();
        let foreign = format!("{}.null", key_hash("foreign"));
        std::fs::write(bucket.join(format!("{foreign}.json")), b"not json").unwrap();
        std::fs::write(bucket.join(format!("{foreign}.79.data")), b"x").unwrap();
        let s = DirStore::open(&dir.0).unwrap();
        s.create_bucket("b");
        let mut left: Vec<String> = std::fs::read_dir(&bucket)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left.len(), 4, "{left:?}");
        assert!(left.iter().any(|n| n == &format!("{foreign}.79.data")));
        assert_eq!(body(&s.get("b", "kept").unwrap()), b"kept");
    }

    #[test]
    fn stores_written_before_run_ids_still_open() {
        let dir = TempDir::new("legacy");
        let bucket = dir.0.join("b");
        std::fs::create_dir_all(&bucket).unwrap();
        let stem = format!("{}.null", key_hash("k"));
        let mut m = meta("k");
        m.version_id = VersionId::NULL;
        let record = Sidecar {
            seq: 5,
            bucket: "b".into(),
            key: "k".into(),
            body: None,
            entry: Entry::Object { meta: Box::new(m) },
        };
        std::fs::write(
            bucket.join(format!("{stem}.json")),
            serde_json::to_vec(&record).unwrap(),
        )
        .unwrap();
        std::fs::write(bucket.join(format!("{stem}.5.data")), b"legacy").unwrap();
        let s = DirStore::open(&dir.0).unwrap();
        assert_eq!(body(&s.get("b", "k").unwrap()), b"legacy");
    }

    #[test]
    fn odd_bucket_names_get_safe_directories() {
        assert_eq!(bucket_dir("customer-lake"), "customer-lake");
        assert_eq!(bucket_dir(".."), "x-2e2e");
        assert_eq!(bucket_dir("A/b"), "x-412f62");
        assert_eq!(key_hash("k").len(), 64);
    }
}
