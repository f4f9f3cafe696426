//! Record encodings for sync batches: JSON Lines and CSV, optionally gzip-compressed.

use std::fmt;
use std::io::{Read, Write};
use std::str::FromStr;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The record format of a batch object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One JSON value per line (`.jsonl`).
    #[serde(rename = "jsonl")]
    JsonLines,
    /// RFC 4180 CSV with a header row (`.csv`).
    Csv,
}

impl Format {
    /// The file extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::JsonLines => "jsonl",
            Self::Csv => "csv",
        }
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jsonl" | "ndjson" | "json-lines" => Ok(Self::JsonLines),
            "csv" => Ok(Self::Csv),
            other => Err(format!("unknown format `{other}` (expected `jsonl` or `csv`)")),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// Format plus compression: everything that decides an object's bytes and extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Encoding {
    /// Record format.
    pub format: Format,
    /// Whether the object is gzip-compressed (`.gz` suffix).
    pub gzip: bool,
}

impl Encoding {
    /// `jsonl`, `csv`, `jsonl.gz`, `csv.gz`.
    pub fn extension(self) -> String {
        if self.gzip {
            format!("{}.gz", self.format.extension())
        } else {
            self.format.extension().to_owned()
        }
    }

    /// The `Content-Type` stored with the object.
    pub fn content_type(self) -> &'static str {
        match (self.gzip, self.format) {
            (true, _) => "application/gzip",
            (false, Format::JsonLines) => "application/x-ndjson",
            (false, Format::Csv) => "text/csv; charset=utf-8",
        }
    }

    /// Encodes records, then compresses when `gzip` is set.
    pub fn encode(self, records: &[Value]) -> Result<Vec<u8>, EncodeError> {
        let plain = encode(records, self.format)?;
        if self.gzip {
            gzip(&plain).map_err(|e| EncodeError::Compression(e.to_string()))
        } else {
            Ok(plain)
        }
    }
}

/// Why a batch could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// CSV needs every record to be a JSON object.
    NotAnObject {
        /// Index of the offending record in the batch.
        index: usize,
    },
    /// The gzip encoder failed.
    Compression(String),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject { index } => write!(f, "record {index} is not a JSON object, which CSV needs"),
            Self::Compression(e) => write!(f, "gzip failed: {e}"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Encodes records in `format`, uncompressed.
pub fn encode(records: &[Value], format: Format) -> Result<Vec<u8>, EncodeError> {
    match format {
        Format::JsonLines => Ok(encode_jsonl(records)),
        Format::Csv => encode_csv(records),
    }
}

/// One compact JSON value per line, each line ending in `\n`.
pub fn encode_jsonl(records: &[Value]) -> Vec<u8> {
    let mut out = String::new();
    for r in records {
        // serde_json never emits a raw newline in compact form: newlines inside strings are escaped.
        out.push_str(&r.to_string());
        out.push('\n');
    }
    out.into_bytes()
}

/// CSV with a header row: the union of the records' keys, in order of first appearance.
///
/// Null is an empty field and the empty string is `""`, so the two stay distinguishable. Nested
/// arrays and objects are written as compact JSON. Fields holding `,`, `"`, CR or LF, or with
/// leading/trailing spaces, are quoted, and quotes are doubled (RFC 4180 §2.6–2.7).
pub fn encode_csv(records: &[Value]) -> Result<Vec<u8>, EncodeError> {
    let mut columns: Vec<&str> = Vec::new();
    for (index, r) in records.iter().enumerate() {
        let obj = r.as_object().ok_or(EncodeError::NotAnObject { index })?;
        for k in obj.keys() {
            if !columns.contains(&k.as_str()) {
                columns.push(k);
            }
        }
    }
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = String::new();
    let header: Vec<String> = columns.iter().map(|c| csv_field(c)).collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for r in records {
        let obj = r.as_object();
        let row: Vec<String> = columns
            .iter()
            .map(|c| match obj.and_then(|o| o.get(*c)) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => csv_field(s),
                Some(Value::Bool(b)) => b.to_string(),
                Some(Value::Number(n)) => n.to_string(),
                Some(nested) => csv_field(&nested.to_string()),
            })
            .collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    Ok(out.into_bytes())
}

fn csv_field(s: &str) -> String {
    let needs_quotes = s.is_empty()
        || s.contains([',', '"', '\n', '\r'])
        || s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace);
    if needs_quotes {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Gzip with a zero mtime, so equal input gives equal bytes (and equal content hashes).
pub fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes)?;
    enc.finish()
}

/// Decompresses a gzip stream.
pub fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// Parses JSON Lines input (blank lines skipped); the error names the 1-based line.
pub fn parse_jsonl(input: &str) -> Result<Vec<Value>, (usize, serde_json::Error)> {
    input
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| (i + 1, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn jsonl_is_one_line_per_record() {
        let records = vec![
            json!({"id": 1, "note": "two\nlines"}),
            json!({"id": 2, "nested": {"a": [1, 2]}}),
        ];
        let out = String::from_utf8(encode_jsonl(&records)).unwrap();
        assert_eq!(
            out,
            "{\"id\":1,\"note\":\"two\\nlines\"}\n{\"id\":2,\"nested\":{\"a\":[1,2]}}\n"
        );
        assert_eq!(parse_jsonl(&out).unwrap(), records);
    }

    #[test]
    fn csv_quoting() {
        let records = vec![
            json!({"id": 1, "name": "plain", "amount": 12.5, "ok": true}),
            json!({"id": 2, "name": "a,b", "memo": "she said \"hi\""}),
            json!({"id": 3, "name": "line\nbreak", "memo": "", "ok": null}),
            json!({"id": 4, "name": " padded ", "tags": ["x", "y"]}),
        ];
        let out = String::from_utf8(encode_csv(&records).unwrap()).unwrap();
        let want = concat!(
            "id,name,amount,ok,memo,tags\n",
            "1,plain,12.5,true,,\n",
            "2,\"a,b\",,,\"she said \"\"hi\"\"\",\n",
            "3,\"line\nbreak\",,,\"\",\n",
            "4,\" padded \",,,,\"[\"\"x\"\",\"\"y\"\"]\"\n",
        );
        assert_eq!(out, want);
    }

    #[test]
    fn csv_header_is_quoted_too_and_needs_objects() {
        let out = String::from_utf8(encode_csv(&[json!({"a,b": 1})]).unwrap()).unwrap();
        assert_eq!(out, "\"a,b\"\n1\n");
        assert_eq!(
            encode_csv(&[json!({"a": 1}), json!([1])]),
            Err(EncodeError::NotAnObject { index: 1 })
        );
        assert_eq!(encode_csv(&[]).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn gzip_round_trip_is_deterministic() {
        let records: Vec<Value> = (0..200)
            .map(|i| json!({"i": i, "s": "x".repeat(i % 7)}))
            .collect();
        let enc = Encoding {
            format: Format::JsonLines,
            gzip: true,
        };
        let a = enc.encode(&records).unwrap();
        let b = enc.encode(&records).unwrap();
        assert_eq!(a, b, "same input, same bytes");
        assert_eq!(a.get(..2), Some(&[0x1f, 0x8b][..]), "gzip magic");
        let plain = gunzip(&a).unwrap();
        assert_eq!(plain, encode_jsonl(&records));
        assert!(a.len() < plain.len());
    }

    #[test]
    fn extensions_and_content_types() {
        let rows = [
            (Format::JsonLines, false, "jsonl", "application/x-ndjson"),
            (Format::JsonLines, true, "jsonl.gz", "application/gzip"),
            (Format::Csv, false, "csv", "text/csv; charset=utf-8"),
            (Format::Csv, true, "csv.gz", "application/gzip"),
        ];
        for (format, gzip, ext, ct) in rows {
            let e = Encoding { format, gzip };
            assert_eq!(e.extension(), ext);
            assert_eq!(e.content_type(), ct);
        }
        assert_eq!("csv".parse::<Format>(), Ok(Format::Csv));
        assert!("xml".parse::<Format>().is_err());
    }

    #[test]
    fn parse_jsonl_reports_the_line() {
        let err = parse_jsonl("{\"a\":1}\n\n{oops}\n").unwrap_err();
        assert_eq!(err.0, 3);
    }
}
