//! Small helpers every layer shares: time formats, durations, request ids and
//! the mixer behind them, string joins.

use time::OffsetDateTime;

/// RFC 3339 text of an instant (`2026-01-01T00:00:00Z`).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// HTTP date (RFC 7231 IMF-fixdate) of an instant: `Fri, 27 Nov 2026 18:06:30 GMT`.
pub fn http_date(t: OffsetDateTime) -> String {
    const FMT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC).format(FMT).unwrap_or_default()
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
pub(crate) fn s3_request_id(n: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut x = n;
    (0..16)
        .map(|_| {
            let c = ALPHABET.get((x % 36) as usize).copied().unwrap_or(b'0');
            x = splitmix(x);
            char::from(c)
        })
        .collect()
}

/// An S3 host id (`x-amz-id-2`): base64 of 48 pseudo-random bytes drawn from `n`.
pub(crate) fn host_id(n: u64) -> String {
    use base64::Engine as _;
    let mut bytes = Vec::with_capacity(48);
    let mut x = n;
    for _ in 0..6 {
        x = splitmix(x);
        bytes.extend_from_slice(&x.to_be_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An STS request id: a UUID drawn from `n`.
pub(crate) fn uuid(n: u64) -> String {
    let a = splitmix(n);
    let b = splitmix(a);
    // The 32 hex digits of `a` then `b`, cut 8-4-4-4-12, with the version (4)
    // and variant (a) digits written over digits 12 and 16.
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

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
}
