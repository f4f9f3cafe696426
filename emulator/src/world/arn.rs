//! Names and ARNs: S3 bucket-name rules, region shapes, ARN parsing.

/// Why a bucket name breaks S3's general-purpose bucket naming rules
/// (S3 user guide, "General purpose bucket naming rules").
pub fn check_bucket_name(name: &str) -> Result<(), &'static str> {
    let bytes = name.as_bytes();
    if !(3..=63).contains(&bytes.len()) {
        return Err("must be 3 to 63 characters long");
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
    {
        return Err("may contain only lowercase letters, digits, `.` and `-`");
    }
    let first = bytes.first().copied().unwrap_or(b'-');
    let last = bytes.last().copied().unwrap_or(b'-');
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return Err("must begin and end with a letter or digit");
    }
    if name.contains("..") {
        return Err("must not contain two adjacent periods");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("must not be formatted as an IP address");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Err("must not start with a reserved prefix (`xn--`, `sthree-`, `amzn-s3-demo-`)");
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return Err("must not end with a reserved suffix (`-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`)");
        }
    }
    Ok(())
}

/// Whether a string has the shape of an AWS region name (`eu-west-1`, `us-gov-west-1`).
pub fn looks_like_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// A parsed ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: &'a str,
    /// `iam`, `s3`, `sts`, `kms`, …
    pub service: &'a str,
    /// Empty for global services.
    pub region: &'a str,
    /// Empty for S3 bucket ARNs.
    pub account: &'a str,
    /// Everything after the fifth colon.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Split an ARN into its six parts; `None` if it has fewer.
    pub fn parse(s: &'a str) -> Option<Self> {
        let mut it = s.splitn(6, ':');
        if it.next()? != "arn" {
            return None;
        }
        Some(Self {
            partition: it.next()?,
            service: it.next()?,
            region: it.next()?,
            account: it.next()?,
            resource: it.next()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket.logs", "a1b", "customer-lake-2026"] {
            assert_eq!(check_bucket_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ab",
            "My-Bucket",
            "my_bucket",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "abc-s3alias",
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
        assert!(check_bucket_name(&"a".repeat(64)).is_err());
    }

    #[test]
    fn regions() {
        assert!(looks_like_region("eu-west-1"));
        assert!(looks_like_region("us-gov-west-1"));
        assert!(!looks_like_region("europe"));
        assert!(!looks_like_region("EU-WEST-1"));
    }

    #[test]
    fn arns() {
        let a = Arn::parse("arn:aws:iam::111111111111:role/path/name").unwrap();
        assert_eq!(
            (a.service, a.account, a.resource),
            ("iam", "111111111111", "role/path/name")
        );
        let b = Arn::parse("arn:aws:s3:::bucket/key:with:colons").unwrap();
        assert_eq!(b.resource, "bucket/key:with:colons");
        assert!(Arn::parse("bucket").is_none());
    }
}
