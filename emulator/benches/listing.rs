//! Listing pages over a large bucket (memory store): a 1,000-key page and a
//! `max-keys=1` page at the start, middle and end of 10,000, 100,000 and 1,000,000
//! keys, with and without a delimiter, beside the baseline the listing used to be
//! (every key from the start point materialised, then a page kept), in the same run.
//!
//! `cargo bench -p emulator --bench listing`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations,
    reason = "benchmark code: a failed unwrap is a broken benchmark"
)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use emulator::store::record::ChecksumAlgorithm;
use emulator::store::{
    Checksums, ETag, ListQuery, MemoryStore, ObjectData, ObjectMeta, StorageClass, Store, WriteCondition,
};

/// `d0000/k000000`: 100 keys per folder, so a delimiter listing has common prefixes.
fn key(i: usize) -> String {
    format!("d{:04}/k{i:07}", i / 100)
}

/// What a 100-byte PUT from aws-sdk-s3 leaves in the store: the ETag, the hex SHA-256,
/// the SDK's default CRC32 checksum, the default content type, owner, storage class.
fn meta(i: usize) -> ObjectMeta {
    let mut checksums = Checksums::new();
    checksums.insert(ChecksumAlgorithm::Crc32, "AAAAAA==");
    let mut md5 = [0u8; 16];
    md5[..8].copy_from_slice(&(i as u64).to_be_bytes());
    let mut sha256 = [0u8; 32];
    sha256[..8].copy_from_slice(&(i as u64).to_be_bytes());
    ObjectMeta {
        key: key(i).into(),
        size: 100,
        etag: ETag::of_md5(md5),
        sha256,
        last_modified: time::OffsetDateTime::UNIX_EPOCH,
        content_type: Some("binary/octet-stream".into()),
        checksums,
        sse: None,
        version_id: Default::default(),
        owner: "111111111111".into(),
        storage_class: StorageClass::Standard,
        extras: None,
    }
}

/// Resident memory of this process, in bytes (`/proc/self/statm`, pages of 4 KiB).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4096)
}

/// A digest-only store of `n` objects; prints the memory each object took beyond
/// its key (bodies are not kept), measured as the growth of resident memory.
fn store(n: usize) -> MemoryStore {
    let s = MemoryStore::digest_only();
    s.create_bucket("b");
    let before = rss();
    let mut key_bytes = 0;
    for i in 0..n {
        let m = meta(i);
        key_bytes += m.key.len();
        s.commit("b", m, ObjectData::Discarded, &WriteCondition::default(), false)
            .unwrap();
    }
    let grown = rss().saturating_sub(before);
    eprintln!(
        "memory store, {n} objects: resident memory grew {} MiB, {} bytes an object beyond its {}-byte key",
        grown / (1 << 20),
        grown.saturating_sub(key_bytes as u64) / n as u64,
        key_bytes / n
    );
    s
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("list_page");
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(300));
    group.sample_size(20);
    for n in [10_000, 100_000, 1_000_000] {
        let s = store(n);
        for (at, start) in [
            ("start", None),
            ("middle", Some(key(n / 2))),
            ("end", Some(key(n - 1001))),
        ] {
            for (max, delimiter) in [(1000, None), (1, None), (1000, Some("/"))] {
                let label = format!(
                    "{n}/{at}/max{max}{}",
                    if delimiter.is_some() { "/delim" } else { "" }
                );
                let q = ListQuery {
                    prefix: "",
                    delimiter,
                    start_after: start.as_deref(),
                    max,
                };
                group.bench_function(BenchmarkId::new("walk", &label), |b| {
                    b.iter(|| s.list_page("b", &q).entries.len())
                });
                // The baseline: what a page cost before the walk (every key from
                // the start point cloned, then a page kept); too slow to run at 1M.
                if n <= 100_000 && delimiter.is_none() {
                    group.bench_function(BenchmarkId::new("materialise", &label), |b| {
                        b.iter(|| {
                            let all = s.list("b", "", start.as_deref(), usize::MAX);
                            all.into_iter().take(max).count()
                        })
                    });
                }
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
