//! Small helpers every layer shares: time formats, durations, request ids and
//! the mixer behind them, string joins, byte splits, and the body's MD5 and SHA-256
//! computed together.

use md5::digest::core_api::{Buffer, FixedOutputCore as _, UpdateCore as _, VariableOutputCore as _};
use time::OffsetDateTime;

/// RFC 3339 text of an instant (`2026-01-01T00:00:00Z`, `…:00.5Z`): the `time`
/// crate's `Rfc3339` form, written by hand for UTC instants with four-digit years
/// (every request puts one in its condition context as `aws:CurrentTime`), through
/// the crate otherwise.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let Some(year) = four_digit_year(t).filter(|_| t.offset().is_utc()) else {
        return t
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
    };
    let mut out = String::with_capacity(30);
    push_date_time(&mut out, year, t);
    if t.nanosecond() != 0 {
        // The fraction's nine digits without their trailing zeros.
        let mut fraction = StackText::<9>::new();
        fraction.push_decimal(u64::from(t.nanosecond()), 9);
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// HTTP date (RFC 7231 IMF-fixdate) of an instant: `Fri, 27 Nov 2026 18:06:30 GMT`.
/// Every response carries one (`Date`): written by hand, not through the `time`
/// crate's formatter, which cost a request a dozen formatting calls.
pub fn http_date(t: OffsetDateTime) -> String {
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let t = t.to_offset(time::UtcOffset::UTC);
    let Some(year) = four_digit_year(t) else {
        const FMT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        return t.format(FMT).unwrap_or_default();
    };
    let mut out = String::with_capacity(29);
    out.push_str(WEEKDAYS[usize::from(t.weekday().number_days_from_monday())]);
    out.push_str(", ");
    push_two(&mut out, t.day());
    out.push(' ');
    out.push_str(MONTHS[usize::from(u8::from(t.month()) - 1)]);
    out.push(' ');
    push_four(&mut out, year);
    out.push(' ');
    push_clock(&mut out, t);
    out.push_str(" GMT");
    out
}

/// ISO 8601 in UTC to the second: `2026-11-27T18:06:30Z` (STS `Expiration`).
pub fn iso8601(t: OffsetDateTime) -> String {
    iso8601_with(t, false)
}

/// ISO 8601 in UTC to the millisecond: `2026-11-27T18:06:30.123Z` (S3 XML dates).
pub fn iso8601_ms(t: OffsetDateTime) -> String {
    iso8601_with(t, true)
}

fn iso8601_with(t: OffsetDateTime, millis: bool) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let Some(year) = four_digit_year(t) else {
        const SECONDS: &[time::format_description::FormatItem<'static>] =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        const MILLIS: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        return t
            .format(if millis { MILLIS } else { SECONDS })
            .unwrap_or_default();
    };
    let mut out = String::with_capacity(24);
    push_date_time(&mut out, year, t);
    if millis {
        let ms = t.millisecond();
        out.push('.');
        out.push(char::from(b'0' + u8::try_from(ms / 100).unwrap_or(0)));
        push_two(&mut out, u8::try_from(ms % 100).unwrap_or(0));
    }
    out.push('Z');
    out
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The year when it has four digits (the hand-written formats assume it; the
/// `time` crate's formatter writes the others).
fn four_digit_year(t: OffsetDateTime) -> Option<u16> {
    u16::try_from(t.year()).ok().filter(|y| *y <= 9999)
}

fn push_two(out: &mut String, n: u8) {
    out.push(char::from(b'0' + n / 10 % 10));
    out.push(char::from(b'0' + n % 10));
}

fn push_four(out: &mut String, n: u16) {
    push_two(out, u8::try_from(n / 100).unwrap_or(0));
    push_two(out, u8::try_from(n % 100).unwrap_or(0));
}

/// `YYYY-MM-DDTHH:MM:SS`.
fn push_date_time(out: &mut String, year: u16, t: OffsetDateTime) {
    push_four(out, year);
    out.push('-');
    push_two(out, u8::from(t.month()));
    out.push('-');
    push_two(out, t.day());
    out.push('T');
    push_clock(out, t);
}

/// `HH:MM:SS`.
fn push_clock(out: &mut String, t: OffsetDateTime) {
    push_two(out, t.hour());
    out.push(':');
    push_two(out, t.minute());
    out.push(':');
    push_two(out, t.second());
}

/// An HTTP date in every form a recipient must accept: IMF-fixdate (`Sun, 06 Nov
/// 1994 08:49:37 GMT`), the obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and
/// asctime (`Sun Nov  6 08:49:37 1994`) forms (RFC 9110 §5.6.7), and RFC 2822 dates
/// with a numeric zone (`Thu, 01 Jan 2026 00:00:00 -0000`, which botocore signs when
/// the caller sets `Date`; S3 accepts it, as a conformance suite run against S3 shows).
/// Each form is a case in this module's tests.
pub fn parse_http_date(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc2822;
    use time::PrimitiveDateTime;
    let s = s.trim();
    // RFC 2822's `-0000` means UTC with no local offset known; `time` reads `+0000`.
    let utc = s.strip_suffix(" -0000").map(|head| format!("{head} +0000"));
    if let Ok(t) = OffsetDateTime::parse(utc.as_deref().unwrap_or(s), &Rfc2822) {
        return Some(t.to_offset(time::UtcOffset::UTC));
    }
    const ASCTIME: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[weekday repr:short] [month repr:short] [day padding:space] [hour]:[minute]:[second] [year]"
    );
    if let Ok(t) = PrimitiveDateTime::parse(s, ASCTIME) {
        return Some(t.assume_utc());
    }
    rfc850(s)
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`: a two-digit year more than 50 years ahead is in
/// the past century (RFC 9110 §5.6.7).
fn rfc850(s: &str) -> Option<OffsetDateTime> {
    let (_, rest) = s.split_once(", ")?;
    let rest = rest.strip_suffix(" GMT")?;
    let (date, clock) = rest.split_once(' ')?;
    let mut d = date.split('-');
    let (day, month, yy) = (d.next()?, d.next()?, d.next()?);
    if d.next().is_some() || yy.len() != 2 {
        return None;
    }
    let yy: i32 = yy.parse().ok()?;
    let this_year = 2026; // the century pivot needs no clock: only 2-digit years use it
    let mut year = this_year / 100 * 100 + yy;
    if year > this_year + 50 {
        year -= 100;
    }
    let full = format!("{day} {month} {year} {clock} +0000");
    const FMT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[day] [month repr:short] [year] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    OffsetDateTime::parse(&full, FMT).ok()
}

/// `1h`, `90s`, `15m`, `1h30m`, `2d`, optionally with a leading `-` or `+`, as
/// seconds. A unit is required (`15` alone is not a duration). The one duration
/// grammar of the admin API, world files and scenario files.
pub fn parse_duration(text: &str) -> Option<i64> {
    let (sign, body) = match text.trim().strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.trim().trim_start_matches('+')),
    };
    if body.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut number: Option<i64> = None;
    for c in body.chars() {
        if let Some(d) = c.to_digit(10) {
            number = Some(number.unwrap_or(0).checked_mul(10)?.checked_add(i64::from(d))?);
            continue;
        }
        let n = number.take()?;
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    if number.is_some() {
        return None;
    }
    Some(sign * total)
}

/// SplitMix64: a tiny bijective mixer, enough to make ids look random and to
/// drive seeded fault probabilities.
pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An S3 request id: 16 uppercase letters and digits, drawn from `n`.
pub(crate) fn s3_request_id(n: u64) -> StackText<16> {
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = StackText::new();
    let mut x = n;
    for _ in 0..16 {
        out.push(ALPHABET[(x % 36) as usize]);
        x = splitmix(x);
    }
    out
}

/// An S3 host id (`x-amz-id-2`): base64 of 48 pseudo-random bytes drawn from `n`.
/// Each three bytes are four letters, written here directly: 48 bytes are exactly
/// 64 letters without padding, and the base64 crate's general engine (its checks,
/// its tail handling) cost three times as much for this one fixed size
/// (`tests::a_host_id_is_the_base64_of_six_mixed_words` pins the two as equal).
pub(crate) fn host_id(n: u64) -> StackText<64> {
    const LETTERS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = [0u8; 48];
    let mut x = n;
    for chunk in bytes.chunks_exact_mut(8) {
        x = splitmix(x);
        chunk.copy_from_slice(&x.to_be_bytes());
    }
    let mut out = StackText::new();
    let (triples, _) = bytes.as_chunks::<3>();
    for &[a, b, c] in triples {
        let word = u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c);
        for shift in [18, 12, 6, 0] {
            // `& 63` is below 64: no bounds check, no panic.
            out.push(LETTERS[(word >> shift & 63) as usize]);
        }
    }
    out
}

/// An STS request id: a UUID drawn from `n`.
pub(crate) fn uuid(n: u64) -> StackText<36> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let a = splitmix(n);
    let b = splitmix(a);
    // The 32 hex digits of `a` then `b`, cut 8-4-4-4-12, with the version (4)
    // and variant (a) digits written over digits 12 and 16.
    let mut digits = [0u8; 32];
    for (i, d) in digits.iter_mut().enumerate() {
        let word = if i < 16 { a } else { b };
        *d = HEX[((word >> (60 - 4 * (i % 16))) & 0xf) as usize];
    }
    digits[12] = b'4';
    digits[16] = b'a';
    let mut out = StackText::new();
    for (i, d) in digits.iter().enumerate() {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push(b'-');
        }
        out.push(*d);
    }
    out
}

/// An IP address as text, IPv4 written by hand: every request puts its source
/// address in the condition context (`aws:SourceIp`), and `Display` goes through
/// the formatting machinery.
pub(crate) fn ip_text(ip: std::net::IpAddr) -> compact_str::CompactString {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let mut out = StackText::<15>::new();
            for (i, octet) in v4.octets().iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                out.push_decimal(u64::from(*octet), 1);
            }
            compact_str::CompactString::from(out.as_str())
        }
        std::net::IpAddr::V6(_) => compact_str::ToCompactString::to_compact_string(&ip),
    }
}

/// A short ASCII text on the stack, `N` bytes at most: ids and the record's
/// compact fields are rendered into a response without an allocation.
#[derive(Clone, Copy)]
pub struct StackText<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackText<N> {
    /// Empty.
    pub fn new() -> Self {
        Self { buf: [0; N], len: 0 }
    }

    /// Append one ASCII byte (each use sizes `N` for its longest text).
    pub(crate) fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    /// Append ASCII bytes (each use sizes `N` for its longest text).
    pub(crate) fn push_ascii(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|b| self.push(*b));
    }

    /// Append `n` in decimal, zero-padded to `width` digits.
    pub fn push_decimal(&mut self, n: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let shown = &digits[at..];
        (shown.len()..width).for_each(|_| self.push(b'0'));
        shown.iter().for_each(|b| self.push(*b));
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever pushed.
        std::str::from_utf8(self.buf.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

impl<const N: usize> Default for StackText<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> std::ops::Deref for StackText<N> {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> AsRef<str> for StackText<N> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> std::fmt::Debug for StackText<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> std::fmt::Display for StackText<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> PartialEq<&str> for StackText<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The parts joined with one allocation: ARNs and ids are built on every
/// request, where `format!` costs several times more.
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// `s.split(SEP)` for an ASCII separator, by a byte scan. `str::split(char)` sets up
/// a char searcher for every piece, several times the work on the short strings
/// SigV4 splits on every request (the credential, the path, the signed-header list):
/// about 170 instructions a piece by callgrind. `SEP` must be ASCII (checked when
/// compiled), so every split falls on a char boundary.
pub fn split_ascii<const SEP: u8>(s: &str) -> AsciiSplit<'_, SEP> {
    const { assert!(SEP.is_ascii(), "the separator must be ASCII") };
    AsciiSplit { rest: Some(s) }
}

/// `s.split_once(SEP)` for an ASCII separator, found by `memchr` ([`split_ascii`]).
pub fn split_once_ascii<const SEP: u8>(s: &str) -> Option<(&str, &str)> {
    const { assert!(SEP.is_ascii(), "the separator must be ASCII") };
    let i = memchr::memchr(SEP, s.as_bytes())?;
    let (head, tail) = s.split_at_checked(i)?;
    Some((head, tail.get(1..)?))
}

/// The iterator of [`split_ascii`]: the same pieces as `str::split`.
#[derive(Debug, Clone)]
pub struct AsciiSplit<'a, const SEP: u8> {
    rest: Option<&'a str>,
}

impl<'a, const SEP: u8> Iterator for AsciiSplit<'a, SEP> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        let (piece, tail) = split_once_ascii::<SEP>(rest).unzip();
        self.rest = tail;
        Some(piece.unwrap_or(rest))
    }
}

/// MD5 and SHA-256 of one body, 64-byte block by block in turn. Each hash is a
/// chain of dependent steps (MD5 in software, SHA-256 on the CPU's SHA extensions
/// where it has them, else in software); alternating blocks gives the CPU the
/// other chain's work while one waits, so the pair costs little more than MD5
/// alone: 2.46 → 2.07 µs a KiB and 2.35 → 1.99 ms a MiB on this project's bench
/// machine (docs/perf-log.md). Both hashes use their crates' own block functions
/// and padding (the `digest` core API; MD5 and SHA-256 share the 64-byte block and
/// the eager buffer), so the bytes are `md5::Md5`'s and `sha2::Sha256`'s, which
/// the tests compare at every length around the block boundaries.
#[derive(Clone)]
pub struct Md5Sha256 {
    md5: md5::Md5Core,
    sha256: sha2::Sha256VarCore,
    /// The bytes of a block not yet complete.
    buffer: Buffer<md5::Md5Core>,
}

impl std::fmt::Debug for Md5Sha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Md5Sha256 { .. }")
    }
}

impl Md5Sha256 {
    /// Both hashes, empty.
    pub fn new() -> Self {
        Self {
            md5: md5::Md5Core::default(),
            sha256: sha2::Sha256VarCore::new(32)
                .unwrap_or_else(|_| unreachable!("32 is SHA-256's output size")),
            buffer: Buffer::<md5::Md5Core>::default(),
        }
    }

    /// Feed bytes.
    pub fn update(&mut self, data: &[u8]) {
        let Self { md5, sha256, buffer } = self;
        buffer.digest_blocks(data, |blocks| {
            for block in blocks {
                md5.update_blocks(std::slice::from_ref(block));
                sha256.update_blocks(std::slice::from_ref(block));
            }
        });
    }

    /// The MD5 and the SHA-256, each padded by its own crate.
    pub fn finish(mut self) -> ([u8; 16], [u8; 32]) {
        let mut md5 = Default::default();
        self.md5.finalize_fixed_core(&mut self.buffer.clone(), &mut md5);
        let mut sha256 = Default::default();
        self.sha256.finalize_variable_core(&mut self.buffer, &mut sha256);
        (md5.into(), sha256.into())
    }
}

impl Default for Md5Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// The interleaved pair gives `md5::Md5`'s and `sha2::Sha256`'s bytes at every
    /// length from 0 to three blocks and past, whole or fed in uneven pieces.
    #[test]
    fn md5_sha256_are_the_crates_hashes() {
        use sha2::Digest as _;
        let data: Vec<u8> = (0..300_u32).map(|i| (i.wrapping_mul(151) >> 3) as u8).collect();
        for len in (0..=200).chain([255, 256, 257, 300]) {
            let body = &data[..len];
            let want = (
                <[u8; 16]>::from(md5::Md5::digest(body)),
                <[u8; 32]>::from(sha2::Sha256::digest(body)),
            );
            let mut whole = Md5Sha256::new();
            whole.update(body);
            assert_eq!(whole.finish(), want, "whole, {len} bytes");
            for piece in [1, 7, 63, 64, 65] {
                let mut pieces = Md5Sha256::new();
                for chunk in body.chunks(piece) {
                    pieces.update(chunk);
                }
                pieces.update(&[]);
                assert_eq!(pieces.finish(), want, "{len} bytes in pieces of {piece}");
            }
        }
    }

    #[test]
    fn split_ascii_is_str_split() {
        for s in [
            "",
            "/",
            "//",
            "a/",
            "/a",
            "a//b",
            "abc",
            "\u{e9}/\u{fc}\u{df}/",
            "AKID/20261206/eu-west-1/s3/aws4_request",
        ] {
            assert_eq!(
                split_ascii::<b'/'>(s).collect::<Vec<_>>(),
                s.split('/').collect::<Vec<_>>(),
                "{s:?}"
            );
        }
        for s in ["host;x-amz-date", "", ";", "host", "a;;b;"] {
            assert_eq!(
                split_ascii::<b';'>(s).collect::<Vec<_>>(),
                s.split(';').collect::<Vec<_>>(),
                "{s:?}"
            );
        }
        for s in ["", "=", "a=", "=b", "a=b=c", "abc", "\u{e9}=\u{fc}"] {
            assert_eq!(split_once_ascii::<b'='>(s), s.split_once('='), "{s:?}");
        }
    }

    #[test]
    fn ip_text_is_display() {
        for ip in [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.12.3",
            "127.0.0.1",
            "192.168.100.7",
            "::1",
            "2001:db8::42",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            assert_eq!(ip_text(ip).as_str(), ip.to_string());
        }
    }

    #[test]
    fn a_host_id_is_the_base64_of_six_mixed_words() {
        use base64::Engine as _;
        for n in [0, 1, 42, u64::MAX] {
            let mut bytes = Vec::new();
            let mut x = n;
            for _ in 0..6 {
                x = splitmix(x);
                bytes.extend_from_slice(&x.to_be_bytes());
            }
            let expected = base64::engine::general_purpose::STANDARD.encode(bytes);
            assert_eq!(host_id(n).as_str(), expected);
            assert_eq!(host_id(n).len(), 64);
        }
    }

    #[test]
    fn a_request_id_is_sixteen_draws_from_the_alphabet() {
        for n in [0, 1, 42, u64::MAX] {
            let mut x = n;
            let expected: String = (0..16)
                .map(|_| {
                    let c = char::from(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(x % 36) as usize]);
                    x = splitmix(x);
                    c
                })
                .collect();
            assert_eq!(s3_request_id(n).as_str(), expected);
        }
    }

    #[test]
    fn every_http_date_form_is_read() {
        let t = datetime!(1994-11-06 08:49:37 UTC);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 -0000",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun, 06 Nov 1994 09:49:37 +0100",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(form), Some(t), "{form}");
        }
        for bad in [
            "06 Nov 1994",
            "Sun, 06 Nov 1994 08:49:37",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
        assert_eq!(parse_http_date(&http_date(t)), Some(t));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Some(3600));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("-20m"), Some(-1200));
        assert_eq!(parse_duration("+2d"), Some(172_800));
        assert_eq!(parse_duration("90s"), Some(90));
        for bad in ["15", "h", "", "5m3", "1x", "-", "1h-2m", "99999999999999999999s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn time_formats() {
        assert_eq!(
            http_date(datetime!(2026-11-27 18:06:30 UTC)),
            "Fri, 27 Nov 2026 18:06:30 GMT"
        );
        assert_eq!(rfc3339(datetime!(2026-01-01 00:00 UTC)), "2026-01-01T00:00:00Z");
    }

    /// The hand-written formats give what the `time` crate's formatter gives, at
    /// instants spread over four centuries (every weekday, month, leap day, and
    /// the milliseconds), and at the edges of four-digit years.
    #[test]
    fn hand_written_dates_match_the_time_crate() {
        use time::macros::format_description;
        let http = format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        let millis =
            format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
        let start = datetime!(1800-01-01 00:00 UTC);
        let mut t = start;
        let step = time::Duration::seconds(7 * 3600 + 13 * 60 + 17) + time::Duration::milliseconds(7);
        let mut n = 0;
        while t < datetime!(2200-01-01 00:00 UTC) {
            assert_eq!(http_date(t), t.format(http).unwrap(), "{t}");
            assert_eq!(iso8601(t), t.format(seconds).unwrap(), "{t}");
            assert_eq!(iso8601_ms(t), t.format(millis).unwrap(), "{t}");
            t += step;
            n += 1;
        }
        assert!(n > 400_000, "{n}");
        // RFC 3339 keeps every digit of the fraction up to the last non-zero one.
        let mut t = start;
        let mut nanos: u32 = 0;
        while t < datetime!(2200-01-01 00:00 UTC) {
            nanos = nanos.wrapping_mul(2_654_435_761).wrapping_add(12_345) % 1_000_000_000;
            for n in [
                0,
                nanos,
                nanos / 1000 * 1000,
                nanos / 1_000_000 * 1_000_000,
                500_000_000,
                1,
                999_999_999,
            ] {
                let at = t.replace_nanosecond(n).unwrap();
                let expected = at.format(&time::format_description::well_known::Rfc3339).unwrap();
                assert_eq!(rfc3339(at), expected, "{at}");
            }
            t += step * 40;
        }
        for edge in [
            datetime!(0000-01-01 00:00:00.999 UTC),
            datetime!(2026-12-06 09:27:04.123 +02:00),
        ] {
            let expected = edge
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            assert_eq!(rfc3339(edge), expected, "{edge}");
        }
        for edge in [
            datetime!(0000-01-01 00:00:00.999 UTC),
            datetime!(9999-12-31 23:59:59.5 UTC),
            datetime!(2024-02-29 12:00:00.05 UTC),
            datetime!(2026-12-06 09:27:04.123 +02:00),
        ] {
            let utc = edge.to_offset(time::UtcOffset::UTC);
            assert_eq!(http_date(edge), utc.format(http).unwrap());
            assert_eq!(iso8601_ms(edge), utc.format(millis).unwrap());
        }
    }
}
