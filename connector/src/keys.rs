//! Object key scheme.
//!
//! Sync batches: `{prefix}/{stream}/[{yyyy}/{mm}/{dd}/]{batch-id}.{jsonl|csv}[.gz]`.
//! Connection test: `{prefix}/_connection_test/{yyyymmddThhmmssZ}-{random}.txt`.
//! Stream names cannot start with `_`, so the two never collide.
//!
//! A batch's key comes from the batch alone: its stream, its id (a hash of its
//! records unless the caller names it) and, when the layout wants one, the date
//! the data belongs to, given by the caller. Never from the clock at send time:
//! the same input synced again after midnight must land on the same keys, where
//! the conditional write recognises it as delivered, not on new ones (duplicates).

use std::fmt;
use std::time::SystemTime;

use serde::Serialize;
use time::{Date, Month, OffsetDateTime};

use crate::format::{Encoding, Format};

/// Folder (under the prefix) holding connection-test objects.
pub const CONNECTION_TEST_DIR: &str = "_connection_test";

/// Strips leading/trailing `/` and whitespace; `None` when nothing is left.
pub fn normalize_prefix(prefix: Option<&str>) -> Option<String> {
    let p = prefix?.trim().trim_matches('/');
    Some(p.to_owned()).filter(|p| !p.is_empty())
}

fn join(prefix: Option<&str>, rest: &str) -> String {
    match prefix {
        Some(p) => format!("{p}/{rest}"),
        None => rest.to_owned(),
    }
}

/// The key of a connection-test object written at `now`, made unique by `nonce`.
pub fn connection_test_key(prefix: Option<&str>, now: SystemTime, nonce: u64) -> String {
    let t = OffsetDateTime::from(now);
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    join(prefix, &format!("{CONNECTION_TEST_DIR}/{stamp}-{nonce:016x}.txt"))
}

/// Why a stream name, batch id or key was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// Stream names: 1–128 of `a-z 0-9 _ - .`, starting with a letter or digit.
    InvalidStream(String),
    /// Batch ids: 1–128 of `A-Z a-z 0-9 _ -`.
    InvalidBatchId(String),
    /// The key does not follow the batch key scheme.
    NotABatchKey {
        /// The key.
        key: String,
        /// Which part is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidStream(s) => write!(
                f,
                "invalid stream name `{s}`: use 1–128 of a-z, 0-9, `_`, `-`, `.`, starting with a letter or digit"
            ),
            Self::InvalidBatchId(s) => write!(f, "invalid batch id `{s}`: use 1–128 of A-Z, a-z, 0-9, `_`, `-`"),
            Self::NotABatchKey { key, reason } => write!(f, "`{key}` is not a batch key: {reason}"),
        }
    }
}

impl std::error::Error for KeyError {}

/// A validated stream name (one key segment).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct StreamName(String);

impl StreamName {
    /// Validates a stream name.
    pub fn new(name: &str) -> Result<Self, KeyError> {
        let ok = (1..=128).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(KeyError::InvalidStream(name.to_owned()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated batch id (the file stem).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct BatchId(String);

impl BatchId {
    /// Validates a batch id.
    pub fn new(id: &str) -> Result<Self, KeyError> {
        let ok = (1..=128).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if ok {
            Ok(Self(id.to_owned()))
        } else {
            Err(KeyError::InvalidBatchId(id.to_owned()))
        }
    }

    /// A caller-given sequence number, zero-padded so keys sort numerically.
    pub fn sequence(n: u64) -> Self {
        Self(format!("{n:020}"))
    }

    /// A content hash: `h` + the first 32 hex digits of SHA-256 of the uncompressed body.
    pub fn content_hash(uncompressed: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(uncompressed);
        let hex = hex::encode(digest);
        Self(format!("h{}", hex.get(..32).unwrap_or(&hex)))
    }

    /// `true` for ids made by [`BatchId::content_hash`]: equal key means equal content.
    pub fn is_content_hash(&self) -> bool {
        self.0.len() == 33 && self.0.starts_with('h') && self.0.chars().skip(1).all(|c| c.is_ascii_hexdigit())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key of one sync batch.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ObjectKey {
    /// Normalised destination prefix.
    pub prefix: Option<String>,
    /// Stream.
    pub stream: StreamName,
    /// The date the batch's data belongs to (a `yyyy/mm/dd` folder), when the
    /// caller partitions by date; never the date of sending.
    pub date: Option<Date>,
    /// Batch id.
    pub batch_id: BatchId,
    /// Format and compression.
    pub encoding: Encoding,
}

impl ObjectKey {
    /// The key of a batch: `date` is the date its data belongs to, if the layout
    /// partitions by date.
    pub fn new(
        prefix: Option<&str>,
        stream: StreamName,
        date: Option<Date>,
        batch_id: BatchId,
        encoding: Encoding,
    ) -> Self {
        Self {
            prefix: normalize_prefix(prefix),
            stream,
            date,
            batch_id,
            encoding,
        }
    }

    /// Parses a key written by [`fmt::Display`]. When the three segments before the
    /// file name read as a `yyyy/mm/dd` date the key is dated (the segment before
    /// them is the stream); otherwise the segment before the file name is the stream.
    /// Everything before the stream is the prefix.
    pub fn parse(key: &str) -> Result<Self, KeyError> {
        let bad = |reason| KeyError::NotABatchKey {
            key: key.to_owned(),
            reason,
        };
        let mut segments: Vec<&str> = key.split('/').collect();
        if segments.len() < 2 {
            return Err(bad("fewer than two segments"));
        }
        let file = segments.pop().ok_or_else(|| bad("no file name"))?;
        let date = match segments.as_slice() {
            [.., _, yyyy, mm, dd] => parse_date(yyyy, mm, dd),
            _ => None,
        };
        if date.is_some() {
            segments.truncate(segments.len() - 3);
        }
        let stream = segments.pop().ok_or_else(|| bad("no stream"))?;
        let prefix = if segments.is_empty() {
            None
        } else if segments.iter().any(|s| s.is_empty()) {
            return Err(bad("empty prefix segment"));
        } else {
            Some(segments.join("/"))
        };

        let stream = StreamName::new(stream).map_err(|_| bad("invalid stream name"))?;

        let (stem, gzip) = match file.strip_suffix(".gz") {
            Some(stem) => (stem, true),
            None => (file, false),
        };
        let (id, format) = if let Some(id) = stem.strip_suffix(".jsonl") {
            (id, Format::JsonLines)
        } else if let Some(id) = stem.strip_suffix(".csv") {
            (id, Format::Csv)
        } else {
            return Err(bad("extension is not .jsonl or .csv"));
        };
        let batch_id = BatchId::new(id).map_err(|_| bad("invalid batch id"))?;
        Ok(Self {
            prefix,
            stream,
            date,
            batch_id,
            encoding: Encoding { format, gzip },
        })
    }
}

/// `yyyy/mm/dd` as a date, when the three segments are one.
fn parse_date(yyyy: &str, mm: &str, dd: &str) -> Option<Date> {
    let fixed = |s: &str, n: usize| s.len() == n && s.bytes().all(|c| c.is_ascii_digit());
    if !fixed(yyyy, 4) || !fixed(mm, 2) || !fixed(dd, 2) {
        return None;
    }
    let month = Month::try_from(mm.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(yyyy.parse().ok()?, month, dd.parse().ok()?).ok()
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.prefix {
            write!(f, "{p}/")?;
        }
        write!(f, "{}/", self.stream.0)?;
        if let Some(date) = self.date {
            write!(
                f,
                "{:04}/{:02}/{:02}/",
                date.year(),
                u8::from(date.month()),
                date.day()
            )?;
        }
        write!(f, "{}.{}", self.batch_id.0, self.encoding.extension())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn batch_key_format() {
        let gz = Encoding {
            format: Format::JsonLines,
            gzip: true,
        };
        let payments = || StreamName::new("payments").unwrap();
        let dated = ObjectKey::new(
            Some("/exports/warehouse/"),
            payments(),
            Some(time::macros::date!(2025 - 01 - 01)),
            BatchId::sequence(42),
            gz,
        );
        assert_eq!(
            dated.to_string(),
            "exports/warehouse/payments/2025/01/01/00000000000000000042.jsonl.gz"
        );
        let undated = ObjectKey::new(Some("exports"), payments(), None, BatchId::sequence(42), gz);
        assert_eq!(
            undated.to_string(),
            "exports/payments/00000000000000000042.jsonl.gz"
        );
    }

    #[test]
    fn parse_format_round_trip() {
        let encodings = [
            Encoding {
                format: Format::JsonLines,
                gzip: false,
            },
            Encoding {
                format: Format::JsonLines,
                gzip: true,
            },
            Encoding {
                format: Format::Csv,
                gzip: false,
            },
            Encoding {
                format: Format::Csv,
                gzip: true,
            },
        ];
        let prefixes = [None, Some("p"), Some("a/b/c"), Some("2025/01/01")];
        let ids = [
            BatchId::sequence(0),
            BatchId::content_hash(b"x"),
            BatchId::new("run-7_b").unwrap(),
        ];
        let dates = [
            None,
            Some(time::macros::date!(1970 - 01 - 01)),
            Some(time::macros::date!(2024 - 02 - 29)),
            Some(time::macros::date!(2099 - 12 - 31)),
        ];
        for enc in encodings {
            for prefix in prefixes {
                for id in &ids {
                    for t in dates {
                        let key =
                            ObjectKey::new(prefix, StreamName::new("orders.v2").unwrap(), t, id.clone(), enc);
                        let text = key.to_string();
                        assert_eq!(ObjectKey::parse(&text), Ok(key), "{text}");
                    }
                }
            }
        }
    }

    #[test]
    fn parse_rejects_foreign_keys() {
        for key in [
            "x.jsonl",
            "payments/2025/01/01",
            "payments/2025/01/01/x.parquet",
            "payments/2025/01/01/x.y.jsonl",
            "p//payments/2025/01/01/x.jsonl",
            "Payments/x.jsonl",
            "_connection_test/2025/01/01/x.jsonl",
            "exports/_connection_test/20250101T000000Z-00000000000000ff.txt",
        ] {
            assert!(ObjectKey::parse(key).is_err(), "{key}");
        }
    }

    #[test]
    fn dates_that_are_not_dates_are_folders_of_the_prefix() {
        // `2025/1/01` and `2025/02/30` are no dates: the stream is the last folder.
        let k = ObjectKey::parse("payments/2025/02/30/x.jsonl").unwrap();
        assert_eq!(
            (k.prefix.as_deref(), k.stream.as_str(), k.date),
            (Some("payments/2025/02"), "30", None)
        );
        let k = ObjectKey::parse("payments/x.jsonl").unwrap();
        assert_eq!((k.prefix, k.stream.as_str(), k.date), (None, "payments", None));
    }

    #[test]
    fn names_and_ids() {
        for ok in ["payments", "a", "orders.v2", "x_y-z", "0day"] {
            assert!(StreamName::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "_connection_test",
            "Payments",
            "a/b",
            ".hidden",
            "sp ace",
            &"a".repeat(129),
        ] {
            assert!(StreamName::new(bad).is_err(), "{bad}");
        }
        assert!(BatchId::new("a.b").is_err());
        assert!(BatchId::new("").is_err());
        let h = BatchId::content_hash(b"hello");
        assert!(h.is_content_hash());
        assert_eq!(h.as_str(), "h2cf24dba5fb0a30e26e83b2ac5b9e29e");
        assert!(!BatchId::sequence(3).is_content_hash());
    }

    #[test]
    fn connection_test_keys() {
        let k = connection_test_key(Some("exports"), at(1_735_689_600 + 3661), 0xff);
        assert_eq!(
            k,
            "exports/_connection_test/20250101T010101Z-00000000000000ff.txt"
        );
        assert_eq!(
            connection_test_key(None, at(0), 1),
            "_connection_test/19700101T000000Z-0000000000000001.txt"
        );
    }

    #[test]
    fn prefixes_normalise() {
        assert_eq!(normalize_prefix(Some("/a/b/")), Some("a/b".to_owned()));
        assert_eq!(normalize_prefix(Some(" / ")), None);
        assert_eq!(normalize_prefix(None), None);
    }
}
