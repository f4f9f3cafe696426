//! The log of recent requests and their outcomes, read through the admin API.
//!
//! Each entry keeps what AWS sent on the wire (status, code) and, beside it, what
//! AWS does not say: the policy decision and the emulator's note on why.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use compact_str::CompactString;
use serde::Serialize;
use time::OffsetDateTime;

use crate::iam::Decision;
use crate::route::ServiceKind;

/// One request and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// The request id sent to the client.
    pub request_id: CompactString,
    /// Emulator clock time when the request arrived.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// HTTP method.
    pub method: CompactString,
    /// Path and query as received.
    pub uri: String,
    /// S3, STS or admin.
    pub service: ServiceKind,
    /// The operation (`PutObject`, `AssumeRole`, …), once routed.
    pub operation: Option<CompactString>,
    /// Bucket, for S3.
    pub bucket: Option<CompactString>,
    /// Key, for S3 object operations.
    pub key: Option<String>,
    /// The caller's ARN, once authenticated.
    pub principal: Option<String>,
    /// The access key id the request was signed with.
    pub access_key_id: Option<CompactString>,
    /// HTTP status sent.
    pub status: u16,
    /// AWS error code sent, if any.
    pub code: Option<String>,
    /// The error message sent, if any.
    pub message: Option<String>,
    /// The policy decision, when one was taken.
    pub decision: Option<Arc<Decision>>,
    /// The emulator's note on what it saw (never sent to the client).
    pub note: Option<String>,
    /// Faults injected into this request.
    pub faults: Vec<String>,
    /// What a CloudTrail record of the request needs beyond the above
    /// ([`crate::cloudtrail::record`]); the log's JSON leaves it out.
    #[serde(skip)]
    pub trail: Option<Box<crate::cloudtrail::TrailFacts>>,
}

/// How many shards the log keeps at most: one per thread that records requests (the
/// runtime's workers, one per core), wrapping around past this. Each shard may hold
/// `capacity` entries, so this also bounds the log's memory at this many times one
/// shared queue's.
const MAX_SHARDS: usize = 4;

/// A bounded log shared by every connection: the last `capacity` requests.
///
/// Each thread records into a shard of its own, so an entry is built, kept and
/// finally dropped by the same thread, under a lock no other worker takes. With one
/// shared queue the oldest entry was dropped by whichever worker recorded next, half
/// the time not the one that had built it, and both workers took the queue's lock on
/// every request; on two cores the shards saved 2–3 µs of an AssumeRole's server CPU
/// (docs/perf-log.md, "2026-12-07 (day)"). Each shard keeps up to `capacity` entries;
/// reads merge the shards by sequence number and show only the last `capacity` of
/// all, so what the log shows does not depend on the sharding.
#[derive(Debug)]
pub struct RequestLog {
    shards: Box<[Mutex<VecDeque<LogEntry>>]>,
    capacity: usize,
    seq: std::sync::atomic::AtomicU64,
}

/// This thread's shard number, given out in the order threads first record.
fn shard_index() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed));
    INDEX.with(|i| *i)
}

impl RequestLog {
    /// A log keeping the last `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_shards(capacity, cores.clamp(1, MAX_SHARDS))
    }

    fn with_shards(capacity: usize, shards: usize) -> Self {
        Self {
            shards: (0..shards.max(1)).map(|_| Mutex::new(VecDeque::new())).collect(),
            capacity: capacity.max(1),
            seq: std::sync::atomic::AtomicU64::new(1),
        }
    }

    fn lock(shard: &Mutex<VecDeque<LogEntry>>) -> std::sync::MutexGuard<'_, VecDeque<LogEntry>> {
        shard.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Record an entry (its `seq` is assigned here) and return the sequence number.
    pub fn push(&self, entry: LogEntry) -> u64 {
        self.push_on(shard_index(), entry)
    }

    fn push_on(&self, shard: usize, mut entry: LogEntry) -> u64 {
        let shard = &self.shards[shard % self.shards.len()];
        let mut entries = Self::lock(shard);
        // Numbered under the shard's lock, so a shard's entries are in order.
        let seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        entry.seq = seq;
        let evicted = if entries.len() >= self.capacity {
            entries.pop_front()
        } else {
            None
        };
        entries.push_back(entry);
        drop(entries);
        // The oldest entry's allocations are freed after the lock is let go.
        drop(evicted);
        seq
    }

    /// Clones of the entries among the last `capacity` recorded that `keep` accepts,
    /// oldest first. Every shard is locked at once (in order; a push takes one lock
    /// only), so the window is exact even while other threads record.
    fn select(&self, keep: impl Fn(&LogEntry) -> bool) -> Vec<LogEntry> {
        let shards: Vec<_> = self.shards.iter().map(|s| Self::lock(s)).collect();
        let mut seqs: Vec<u64> = shards.iter().flat_map(|s| s.iter().map(|e| e.seq)).collect();
        // The window's first entry: the `capacity`-th newest of all.
        let first = match seqs.len().checked_sub(self.capacity) {
            Some(older) if older > 0 => *seqs.select_nth_unstable(older).1,
            _ => 0,
        };
        let mut out: Vec<LogEntry> = shards
            .iter()
            .flat_map(|s| s.iter())
            .filter(|e| e.seq >= first && keep(e))
            .cloned()
            .collect();
        drop(shards);
        out.sort_unstable_by_key(|e| e.seq);
        out
    }

    /// The last `limit` entries, oldest first, optionally only those after `since`.
    pub fn recent(&self, limit: usize, since: Option<u64>) -> Vec<LogEntry> {
        let mut selected = self.select(|e| since.is_none_or(|s| e.seq > s));
        let skip = selected.len().saturating_sub(limit);
        selected.drain(..skip);
        selected
    }

    /// The entry with this request id (the newest, should two share it).
    pub fn find(&self, request_id: &str) -> Option<LogEntry> {
        self.select(|e| e.request_id == request_id).pop()
    }

    /// Forget every entry.
    pub fn clear(&self) {
        for shard in &self.shards {
            Self::lock(shard).clear();
        }
    }

    /// The sequence number the next entry will get.
    pub fn next_seq(&self) -> u64 {
        self.seq.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(request_id: &str) -> LogEntry {
        LogEntry {
            seq: 0,
            request_id: request_id.into(),
            time: OffsetDateTime::UNIX_EPOCH,
            method: "PUT".into(),
            uri: "/b/k".into(),
            service: ServiceKind::S3,
            operation: None,
            bucket: None,
            key: None,
            principal: None,
            access_key_id: None,
            status: 200,
            code: None,
            message: None,
            decision: None,
            note: None,
            faults: Vec::new(),
            trail: None,
        }
    }

    /// `n` entries from each of `threads` threads at once, named `T-I`.
    fn record_from_threads(log: &RequestLog, threads: usize, n: usize) {
        std::thread::scope(|s| {
            for t in 0..threads {
                s.spawn(move || {
                    for i in 0..n {
                        log.push(entry(&format!("{t}-{i}")));
                    }
                });
            }
        });
    }

    #[test]
    fn shows_the_last_capacity_entries_of_all_threads_in_order() {
        let log = RequestLog::new(10);
        record_from_threads(&log, 3, 50);
        let shown = log.recent(usize::MAX, None);
        let seqs: Vec<u64> = shown.iter().map(|e| e.seq).collect();
        // 150 entries were numbered 1..=150; the last ten are shown, oldest first.
        assert_eq!(seqs, (141..=150).collect::<Vec<_>>());
        assert_eq!(log.next_seq(), 151);
        assert_eq!(
            log.recent(3, None).iter().map(|e| e.seq).collect::<Vec<_>>(),
            [148, 149, 150]
        );
        assert_eq!(
            log.recent(100, Some(147))
                .iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>(),
            [148, 149, 150]
        );
    }

    #[test]
    fn an_entry_pushed_out_of_the_window_is_not_found_though_its_shard_keeps_it() {
        let log = RequestLog::with_shards(4, 2);
        log.push_on(0, entry("old"));
        for i in 0..4 {
            log.push_on(1, entry(&format!("new-{i}")));
        }
        // Shard 0 still holds "old", but it is the fifth-newest of all.
        assert_eq!(RequestLog::lock(&log.shards[0]).len(), 1);
        assert!(log.find("old").is_none());
        assert!(log.recent(usize::MAX, None).iter().all(|e| e.request_id != "old"));
        assert_eq!(log.find("new-0").map(|e| e.seq), Some(2));
        log.clear();
        assert!(log.recent(usize::MAX, None).is_empty());
        assert!(log.find("new-3").is_none());
    }

    #[test]
    fn one_thread_keeps_capacity_entries() {
        let log = RequestLog::new(5);
        for i in 0..12 {
            log.push(entry(&format!("r{i}")));
        }
        let ids: Vec<String> = log
            .recent(usize::MAX, None)
            .into_iter()
            .map(|e| e.request_id.to_string())
            .collect();
        assert_eq!(ids, ["r7", "r8", "r9", "r10", "r11"]);
        assert_eq!(log.find("r9").map(|e| e.seq), Some(10));
    }
}
