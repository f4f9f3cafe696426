//! The field types of an object's record, sized for a million objects in memory.
//!
//! Every stored object carries an [`super::ObjectMeta`]; at a million objects its
//! layout is the store's memory. Each type here keeps what S3 returns exactly while
//! holding it in the fewest bytes: digests as bytes rather than hex, the closed sets
//! S3 defines (storage class, server-side encryption) as one-byte enums, short
//! strings (version ids, owners, content types, checksum values) inline, and the
//! fields most objects never carry (user metadata, tags, stored headers, a part
//! list) behind one pointer. What the record costs, measured: `cargo bench -p
//! emulator --bench listing` prints it (docs/benchmarks.md).

use std::collections::BTreeMap;
use std::fmt;

use compact_str::CompactString;

pub use crate::s3::checksum::Algorithm as ChecksumAlgorithm;

/// An object's ETag: the MD5 of its body, or for a multipart object the MD5 of its
/// parts' MD5s with the part count (`"…-N"`). These are the only forms this
/// emulator writes, so the ETag is 20 bytes rather than a 34-byte string on the heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ETag {
    md5: [u8; 16],
    /// 0 for a body written in one piece.
    parts: u32,
}

pub use crate::util::StackText;

/// An ETag's text, quoted (at most `"` + 32 + `-` + 5 digits + `"`).
pub type QuotedETag = StackText<48>;

/// A version id's text (`null` or `v` + 31 digits).
pub type VersionText = StackText<32>;

impl ETag {
    /// The ETag of a body written in one piece: its MD5.
    pub fn of_md5(md5: [u8; 16]) -> Self {
        Self { md5, parts: 0 }
    }

    /// A multipart object's ETag: the MD5 of its parts' MD5s, and how many parts.
    pub fn multipart(md5_of_md5s: [u8; 16], parts: u32) -> Self {
        Self {
            md5: md5_of_md5s,
            parts,
        }
    }

    /// The ETag as S3 sends it, quoted.
    pub fn quoted(&self) -> QuotedETag {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = QuotedETag::new();
        out.push(b'"');
        for b in self.md5 {
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        }
        if self.parts > 0 {
            out.push(b'-');
            out.push_decimal(u64::from(self.parts), 1);
        }
        out.push(b'"');
        out
    }

    /// Read an ETag in the forms [`Self::quoted`] writes, quotes optional.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        let (hex_part, parts) = match text.split_once('-') {
            Some((h, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                (h, n.parse::<u32>().ok().filter(|n| *n > 0)?)
            }
            Some(_) => return None,
            None => (text, 0),
        };
        let mut md5 = [0u8; 16];
        hex::decode_to_slice(hex_part, &mut md5).ok()?;
        // Lowercase only, as written: a record must read back byte for byte.
        if hex_part.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        Some(Self { md5, parts })
    }
}

/// An object's version id: `null` (written while versioning was off or
/// suspended) or one the store numbered, `v` and 31 digits (S3's ids are opaque
/// 32-character strings; numbered ones sort in write order). Eight bytes, not a
/// string: the id is rendered when a response carries it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct VersionId(Option<std::num::NonZeroU64>);

impl VersionId {
    /// The `null` version.
    pub const NULL: Self = Self(None);

    /// The store's `n`th version id (`v` and `n` in 31 digits).
    pub fn numbered(n: u64) -> Self {
        Self(std::num::NonZeroU64::new(n.saturating_add(1)))
    }

    /// Whether this is the `null` version.
    pub fn is_null(self) -> bool {
        self.0.is_none()
    }

    /// The id as S3 sends it.
    pub fn text(self) -> VersionText {
        let mut out = VersionText::new();
        match self.0 {
            None => out.push_ascii(b"null"),
            Some(n) => {
                out.push(b'v');
                out.push_decimal(n.get() - 1, 31);
            }
        }
        out
    }

    /// Read an id in the forms [`Self::text`] writes.
    pub fn parse(text: &str) -> Option<Self> {
        if text == "null" {
            return Some(Self::NULL);
        }
        let digits = text
            .strip_prefix('v')
            .filter(|d| d.len() == 31 && d.bytes().all(|b| b.is_ascii_digit()))?;
        let n: u64 = digits.parse().ok()?;
        (n < u64::MAX).then(|| Self::numbered(n))
    }
}

impl PartialEq<str> for VersionId {
    fn eq(&self, other: &str) -> bool {
        self.text().as_str() == other
    }
}

impl PartialEq<&str> for VersionId {
    fn eq(&self, other: &&str) -> bool {
        self.text().as_str() == *other
    }
}

/// `Display`, `Serialize` and `Deserialize` of a field kept compact but shown as its
/// wire text: `render` gives the text, `parse` reads it back (`None`: refused, as
/// `what` says).
macro_rules! text_form {
    ($name:ty, $render:expr, $parse:expr, $what:literal) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(($render)(self).as_ref())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(($render)(self).as_ref())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                ($parse)(&text)
                    .ok_or_else(|| serde::de::Error::custom(format!(concat!("not ", $what, ": {}"), text)))
            }
        }
    };
}

text_form!(ETag, ETag::quoted, ETag::parse, "an MD5 ETag");
text_form!(
    VersionId,
    |v: &VersionId| v.text(),
    VersionId::parse,
    "a version id"
);

/// A table of S3's names for a closed set: the wire text of each value.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in the table's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The value's text on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The value a wire text names (exactly, as S3 compares them).
            pub fn from_wire(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        text_form!($name, |v: &$name| v.as_str(), $name::from_wire, $what);
    };
}

wire_enum! {
    /// `x-amz-storage-class`: the values of the S3 API's `StorageClass` type (API
    /// reference, PutObject). Any other value is `InvalidStorageClass` (S3 error
    /// table). Whether a general purpose bucket refuses the classes of other bucket
    /// kinds (`OUTPOSTS`, `SNOW`, `EXPRESS_ONEZONE`, `FSX_OPENZFS`) is not documented
    /// on the PutObject page; they are accepted rather than refused on a guess.
    StorageClass, "a storage class" {
        /// `STANDARD`, the default.
        Standard = "STANDARD",
        /// `REDUCED_REDUNDANCY`.
        ReducedRedundancy = "REDUCED_REDUNDANCY",
        /// `STANDARD_IA`.
        StandardIa = "STANDARD_IA",
        /// `ONEZONE_IA`.
        OnezoneIa = "ONEZONE_IA",
        /// `INTELLIGENT_TIERING`.
        IntelligentTiering = "INTELLIGENT_TIERING",
        /// `GLACIER`.
        Glacier = "GLACIER",
        /// `DEEP_ARCHIVE`.
        DeepArchive = "DEEP_ARCHIVE",
        /// `OUTPOSTS`.
        Outposts = "OUTPOSTS",
        /// `GLACIER_IR`.
        GlacierIr = "GLACIER_IR",
        /// `SNOW`.
        Snow = "SNOW",
        /// `EXPRESS_ONEZONE`.
        ExpressOnezone = "EXPRESS_ONEZONE",
        /// `FSX_OPENZFS`.
        FsxOpenzfs = "FSX_OPENZFS",
    }
}

wire_enum! {
    /// `x-amz-server-side-encryption`: the algorithms S3 accepts on a write.
    Sse, "a server-side encryption algorithm" {
        /// SSE-S3.
        Aes256 = "AES256",
        /// SSE-KMS.
        Kms = "aws:kms",
        /// DSSE-KMS.
        KmsDsse = "aws:kms:dsse",
    }
}

/// An object's stored checksums, in algorithm-name order. Nearly every object has
/// one (the SDKs' default CRC), which is kept inline; the values are base64 (with
/// `-N` for a composite multipart checksum), inline up to 24 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checksums(ChecksumSet);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum ChecksumSet {
    #[default]
    None,
    One(ChecksumAlgorithm, CompactString),
    Many(Vec<(ChecksumAlgorithm, CompactString)>),
}

impl Checksums {
    /// No checksums.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set `algorithm`'s value, replacing any earlier one.
    pub fn insert(&mut self, algorithm: ChecksumAlgorithm, value: &str) {
        let value = CompactString::from(value);
        self.0 = match std::mem::take(&mut self.0) {
            ChecksumSet::None => ChecksumSet::One(algorithm, value),
            ChecksumSet::One(a, _) if a == algorithm => ChecksumSet::One(a, value),
            ChecksumSet::One(a, v) => {
                let mut all = vec![(a, v), (algorithm, value)];
                all.sort_by_key(|(a, _)| a.name());
                ChecksumSet::Many(all)
            }
            ChecksumSet::Many(mut all) => {
                match all.binary_search_by_key(&algorithm.name(), |(a, _)| a.name()) {
                    Ok(i) => {
                        if let Some(slot) = all.get_mut(i) {
                            slot.1 = value;
                        }
                    }
                    Err(i) => all.insert(i, (algorithm, value)),
                }
                ChecksumSet::Many(all)
            }
        };
    }

    /// The value stored for `algorithm`.
    pub fn get(&self, algorithm: ChecksumAlgorithm) -> Option<&str> {
        self.iter().find(|(a, _)| *a == algorithm).map(|(_, v)| v)
    }

    /// `(algorithm, value)` pairs, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (ChecksumAlgorithm, &str)> {
        let (one, many) = match &self.0 {
            ChecksumSet::None => (None, [].as_slice()),
            ChecksumSet::One(a, v) => (Some((*a, v.as_str())), [].as_slice()),
            ChecksumSet::Many(all) => (None, all.as_slice()),
        };
        one.into_iter().chain(many.iter().map(|(a, v)| (*a, v.as_str())))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        matches!(self.0, ChecksumSet::None)
    }
}

impl FromIterator<(ChecksumAlgorithm, String)> for Checksums {
    fn from_iter<I: IntoIterator<Item = (ChecksumAlgorithm, String)>>(iter: I) -> Self {
        let mut out = Self::new();
        for (a, v) in iter {
            out.insert(a, &v);
        }
        out
    }
}

impl serde::Serialize for Checksums {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter().map(|(a, v)| (a.name(), v)))
    }
}

impl<'de> serde::Deserialize<'de> for Checksums {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(deserializer)?;
        let mut out = Self::new();
        for (name, value) in map {
            let algorithm = ChecksumAlgorithm::from_name(&name)
                .ok_or_else(|| serde::de::Error::custom(format!("not a checksum algorithm: {name}")))?;
            out.insert(algorithm, &value);
        }
        Ok(out)
    }
}

/// What few objects carry: kept behind one pointer in [`super::ObjectMeta`], absent
/// when every field is empty (168 bytes inline otherwise, on every object).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectExtras {
    /// `Content-Encoding` with `aws-chunked` removed.
    pub content_encoding: Option<String>,
    /// KMS key ARN for SSE-KMS.
    pub sse_kms_key: Option<String>,
    /// Other standard headers S3 stores and returns.
    pub headers: BTreeMap<String, String>,
    /// `x-amz-meta-*`, names lowercased without the prefix.
    pub metadata: BTreeMap<String, String>,
    /// The object's tag set (`x-amz-tagging`).
    pub tags: BTreeMap<String, String>,
    /// A multipart object's part sizes, in part order (GetObject `partNumber`);
    /// empty for an object written in one piece.
    pub parts: Vec<u64>,
}

/// The extras of an object that has none.
pub(super) static NO_EXTRAS: ObjectExtras = ObjectExtras {
    content_encoding: None,
    sse_kms_key: None,
    headers: BTreeMap::new(),
    metadata: BTreeMap::new(),
    tags: BTreeMap::new(),
    parts: Vec::new(),
};

impl ObjectExtras {
    /// Boxed, or `None` when every field is empty.
    pub fn boxed(self) -> Option<Box<Self>> {
        (self != NO_EXTRAS).then(|| Box::new(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_read_back_as_written() {
        let single = ETag::of_md5([0xab; 16]);
        assert_eq!(single.quoted().as_str(), format!("\"{}\"", "ab".repeat(16)));
        let multi = ETag::multipart([0x01; 16], 10_000);
        assert_eq!(multi.to_string(), format!("\"{}-10000\"", "01".repeat(16)));
        for e in [single, multi] {
            assert_eq!(ETag::parse(e.quoted().as_str()), Some(e));
        }
        assert_eq!(ETag::parse(&"ab".repeat(16)), Some(single), "quotes are optional");
    }

    #[test]
    fn etags_that_would_not_read_back_exactly_are_refused() {
        for bad in [
            String::new(),
            "\"\"".into(),
            format!("\"{}\"", "AB".repeat(16)),
            format!("\"{}-\"", "ab".repeat(16)),
            format!("\"{}-0\"", "ab".repeat(16)),
            format!("\"{}-x\"", "ab".repeat(16)),
            format!("\"{}\"", "ab".repeat(15)),
            "W/\"abc\"".into(),
        ] {
            assert_eq!(ETag::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn checksums_keep_name_order_and_replace() {
        let mut c = Checksums::new();
        assert!(c.is_empty());
        c.insert(ChecksumAlgorithm::Sha256, "s");
        c.insert(ChecksumAlgorithm::Crc32, "a");
        c.insert(ChecksumAlgorithm::Crc32, "b");
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            [(ChecksumAlgorithm::Crc32, "b"), (ChecksumAlgorithm::Sha256, "s")]
        );
        assert_eq!(c.get(ChecksumAlgorithm::Sha256), Some("s"));
        assert_eq!(c.get(ChecksumAlgorithm::Sha1), None);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"CRC32":"b","SHA256":"s"}"#);
        assert_eq!(serde_json::from_str::<Checksums>(&json).unwrap(), c);
        assert!(serde_json::from_str::<Checksums>(r#"{"MD4":"x"}"#).is_err());
    }

    #[test]
    fn version_ids_read_back_as_written() {
        assert_eq!(VersionId::NULL.text().as_str(), "null");
        assert_eq!(VersionId::numbered(0).to_string(), format!("v{}", "0".repeat(31)));
        assert_eq!(
            VersionId::numbered(42).to_string(),
            format!("v{}42", "0".repeat(29))
        );
        for v in [
            VersionId::NULL,
            VersionId::numbered(0),
            VersionId::numbered(u64::MAX - 1),
        ] {
            assert_eq!(VersionId::parse(v.text().as_str()), Some(v));
            assert!(v == v.to_string().as_str());
        }
        for bad in [
            "",
            "Null",
            "v1",
            "v00000000000000000000000000000x1",
            "3HL4kqtJlcpXroDTDmJ+rmSp",
        ] {
            assert_eq!(VersionId::parse(bad), None, "{bad}");
        }
        assert_eq!(std::mem::size_of::<VersionId>(), 8);
    }

    #[test]
    fn wire_enums_read_their_own_text_only() {
        for c in StorageClass::ALL {
            assert_eq!(StorageClass::from_wire(c.as_str()), Some(*c));
        }
        assert_eq!(StorageClass::from_wire("standard"), None);
        assert_eq!(Sse::from_wire("aws:kms"), Some(Sse::Kms));
        assert_eq!(Sse::from_wire("AES-256"), None);
    }

    #[test]
    fn empty_extras_are_not_boxed() {
        assert!(ObjectExtras::default().boxed().is_none());
        let tagged = ObjectExtras {
            tags: [("a".into(), "b".into())].into(),
            ..ObjectExtras::default()
        };
        assert!(tagged.boxed().is_some());
    }
}
