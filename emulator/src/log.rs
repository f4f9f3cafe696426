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

/// A bounded log shared by every connection.
#[derive(Debug)]
pub struct RequestLog {
    entries: Mutex<VecDeque<LogEntry>>,
    capacity: usize,
    seq: std::sync::atomic::AtomicU64,
}

impl RequestLog {
    /// A log keeping the last `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::new()),
            capacity,
            seq: std::sync::atomic::AtomicU64::new(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<LogEntry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Record an entry (its `seq` is assigned here) and return the sequence number.
    pub fn push(&self, mut entry: LogEntry) -> u64 {
        let seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        entry.seq = seq;
        let evicted = {
            let mut entries = self.lock();
            let evicted = if entries.len() >= self.capacity.max(1) {
                entries.pop_front()
            } else {
                None
            };
            entries.push_back(entry);
            evicted
        };
        // The oldest entry's dozen allocations are freed after the lock is let go:
        // every connection's request waits on this lock.
        drop(evicted);
        seq
    }

    /// The last `limit` entries, oldest first, optionally only those after `since`.
    pub fn recent(&self, limit: usize, since: Option<u64>) -> Vec<LogEntry> {
        let entries = self.lock();
        let selected: Vec<&LogEntry> = entries
            .iter()
            .filter(|e| since.is_none_or(|s| e.seq > s))
            .collect();
        let skip = selected.len().saturating_sub(limit);
        selected.into_iter().skip(skip).cloned().collect()
    }

    /// The entry with this request id.
    pub fn find(&self, request_id: &str) -> Option<LogEntry> {
        self.lock()
            .iter()
            .rev()
            .find(|e| e.request_id == request_id)
            .cloned()
    }

    /// Forget every entry.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The sequence number the next entry will get.
    pub fn next_seq(&self) -> u64 {
        self.seq.load(std::sync::atomic::Ordering::Relaxed)
    }
}
