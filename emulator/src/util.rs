//! Small helpers every layer shares: time formats, durations, id mixing, string joins.

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
