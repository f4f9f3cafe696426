//! Client-side validation of what the customer typed, before any AWS call.
//!
//! With an endpoint override (emulator, S3-compatible store) the AWS-specific shape rules for
//! regions and access keys are relaxed; bucket, prefix and role ARN rules always apply.

use crate::config::{Auth, DestinationConfig, ServiceSettings};
use crate::diagnosis::{Diagnosis, Found, Target};

/// The outcome of validation: errors block onboarding, warnings do not.
#[derive(Clone, Debug, Default)]
pub struct Validation {
    /// Problems that make the destination unusable.
    pub errors: Vec<Diagnosis>,
    /// Problems worth telling the customer about.
    pub warnings: Vec<Diagnosis>,
}

impl Validation {
    /// `true` when there is no error.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Validates every field of `dest`.
pub fn validate(dest: &DestinationConfig, settings: &ServiceSettings) -> Validation {
    let target = Target::new(dest, settings);
    let strict = settings.endpoint_url.is_none();
    let mut v = Validation::default();
    v.errors.extend(check_bucket(&dest.bucket, &target));
    v.errors.extend(check_prefix(dest.prefix.as_deref(), &target));
    v.errors.extend(check_region(&dest.region, strict, &target));
    match &dest.auth {
        Auth::AssumeRole {
            role_arn,
            external_id,
        } => {
            v.errors.extend(check_role_arn(role_arn, &target));
            // In web identity mode the trust policy's `sub` condition names the
            // service and STS takes no ExternalId: there is nothing to warn about.
            let web_identity = settings.base_credentials.web_identity_token_file().is_some();
            match external_id.as_deref() {
                None | Some("") if web_identity => {}
                None | Some("") => v.warnings.push(Diagnosis::ExternalIdMissing {
                    found: Found::input(target.clone()),
                }),
                Some(id) => v.errors.extend(check_external_id(id, &target)),
            }
        }
        Auth::Hmac {
            access_key_id,
            secret_access_key,
        } => {
            v.errors.extend(check_hmac(
                access_key_id,
                secret_access_key.expose(),
                strict,
                &target,
            ));
        }
    }
    v
}

// ---- bucket ----

const PLACEHOLDER_WORDS: &[&str] = &[
    "bucketname",
    "yourbucketname",
    "insertbucketname",
    "yourbucket",
    "mybucketname",
    "bucketnamehere",
    "enterbucketname",
    "yourbucketnamehere",
    "yours3bucketname",
    "s3bucketname",
    "examplebucket",
    "docexamplebucket",
    "amzns3demobucket",
    "nameofyourbucket",
];

fn is_placeholder(value: &str) -> bool {
    if value.contains(['<', '>', '{', '}', '[', ']']) {
        return true;
    }
    let squashed: String = value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    if PLACEHOLDER_WORDS.contains(&squashed.as_str()) {
        return true;
    }
    // `BUCKET_NAME`, `YOUR_BUCKET`: shouting with underscores.
    value.contains("BUCKET")
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c == '-')
}

fn check_bucket(value: &str, t: &Target) -> Option<Diagnosis> {
    let found = || Found::input(t.clone());
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    if ["s3://", "s3a://", "s3n://", "http://", "https://"]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        let (bucket, prefix, region) = parse_bucket_url(v);
        return Some(Diagnosis::BucketFieldIsUrl {
            value: value.to_owned(),
            bucket,
            prefix,
            region,
            found: found(),
        });
    }
    if lower.starts_with("arn:") {
        let (bucket, prefix) = parse_bucket_arn(v);
        return Some(Diagnosis::BucketFieldIsArn {
            value: value.to_owned(),
            bucket,
            prefix,
            found: found(),
        });
    }
    if is_placeholder(v) {
        return Some(Diagnosis::BucketNamePlaceholder {
            value: value.to_owned(),
            found: found(),
        });
    }
    if v.contains('/') {
        let mut parts = v.split('/').filter(|s| !s.is_empty());
        let bucket = parts.next().map(str::to_owned);
        let rest: Vec<&str> = parts.collect();
        let prefix = Some(rest.join("/")).filter(|p| !p.is_empty());
        return Some(Diagnosis::BucketFieldHasPath {
            value: value.to_owned(),
            bucket,
            prefix,
            found: found(),
        });
    }
    let reason = if v != value {
        Some("it has leading or trailing spaces".to_owned())
    } else {
        bucket_name_problem(v)
    };
    reason.map(|reason| Diagnosis::InvalidBucketName {
        value: value.to_owned(),
        reason,
        found: found(),
    })
}

/// The S3 general-purpose bucket naming rules
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>).
pub fn bucket_name_problem(name: &str) -> Option<String> {
    let len = name.len();
    if len == 0 {
        return Some("it is empty".to_owned());
    }
    if len < 3 {
        return Some("it is shorter than 3 characters".to_owned());
    }
    if len > 63 {
        return Some(format!("it has {len} characters; the maximum is 63"));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return Some("it has uppercase letters; bucket names are lowercase".to_owned());
    }
    if name.contains('_') {
        return Some("it has underscores; use hyphens".to_owned());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Some(format!(
            "it has the character `{c}`; only a-z, 0-9, `.` and `-` are allowed"
        ));
    }
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !name.starts_with(alnum) || !name.ends_with(alnum) {
        return Some("it must start and end with a letter or digit".to_owned());
    }
    if name.contains("..") {
        return Some("it has two adjacent periods".to_owned());
    }
    let octets: Vec<&str> = name.split('.').collect();
    if octets.len() == 4
        && octets
            .iter()
            .all(|o| !o.is_empty() && o.len() <= 3 && o.chars().all(|c| c.is_ascii_digit()))
    {
        return Some("it is formatted as an IP address".to_owned());
    }
    if let Some(p) = ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .find(|p| name.starts_with(**p))
    {
        return Some(format!("the prefix `{p}` is reserved"));
    }
    if let Some(s) = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
        .iter()
        .find(|s| name.ends_with(**s))
    {
        return Some(format!("the suffix `{s}` is reserved"));
    }
    None
}

/// Bucket, prefix and region inside an `s3://`, virtual-hosted, path-style or console URL.
fn parse_bucket_url(url: &str) -> (Option<String>, Option<String>, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (None, None, None);
    };
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let nonempty = |s: String| Some(s).filter(|s| !s.is_empty());
    if scheme.to_ascii_lowercase().starts_with("s3") {
        return (nonempty(host.to_owned()), nonempty(segs.join("/")), None);
    }
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let query_param = |name: &str| {
        query.split('&').find_map(|kv| {
            kv.split_once('=')
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| v.replace("%2F", "/"))
        })
    };
    if host.contains("console.aws.amazon.com") {
        // https://<region>.console.aws.amazon.com/s3/buckets/<bucket>?region=<r>&prefix=<p>
        let bucket = segs
            .iter()
            .position(|s| *s == "buckets")
            .and_then(|i| segs.get(i + 1))
            .map(|s| (*s).to_owned());
        let prefix = query_param("prefix")
            .map(|p| p.trim_matches('/').to_owned())
            .and_then(nonempty);
        return (bucket, prefix, query_param("region"));
    }
    let region = crate::diagnosis::region_from_endpoint(&host);
    if let Some((bucket, _)) = host.split_once(".s3.").or_else(|| host.split_once(".s3-")) {
        // virtual-hosted: <bucket>.s3.<region>.amazonaws.com/<key>
        return (nonempty(bucket.to_owned()), nonempty(segs.join("/")), region);
    }
    if host.starts_with("s3.") || host.starts_with("s3-") {
        // path-style: s3.<region>.amazonaws.com/<bucket>/<key>
        let bucket = segs.first().map(|s| (*s).to_owned());
        let prefix = nonempty(segs.iter().skip(1).copied().collect::<Vec<_>>().join("/"));
        return (bucket, prefix, region);
    }
    (None, None, None)
}

fn parse_bucket_arn(arn: &str) -> (Option<String>, Option<String>) {
    // arn:aws:s3:::bucket/prefix
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        [_, _, "s3", "", "", resource] => {
            let (bucket, prefix) = resource.split_once('/').unwrap_or((resource, ""));
            let prefix = prefix.trim_matches('/').trim_end_matches('*').trim_matches('/');
            (
                Some(bucket.to_owned()).filter(|b| !b.is_empty()),
                Some(prefix.to_owned()).filter(|p| !p.is_empty()),
            )
        }
        _ => (None, None),
    }
}

// ---- prefix ----

fn check_prefix(prefix: Option<&str>, t: &Target) -> Option<Diagnosis> {
    let raw = prefix?;
    let bad = |reason: &str| {
        Some(Diagnosis::PrefixMalformed {
            value: raw.to_owned(),
            reason: reason.to_owned(),
            found: Found::input(t.clone()),
        })
    };
    if raw.contains("://") || raw.to_ascii_lowercase().starts_with("arn:") {
        return bad("it is a URL or ARN; enter only the key prefix");
    }
    let p = crate::keys::normalize_prefix(Some(raw))?;
    if p.contains('\\') {
        return bad("it has backslashes; S3 prefixes use `/`");
    }
    if p.chars().any(char::is_control) {
        return bad("it has control characters");
    }
    if p.split('/').any(str::is_empty) {
        return bad("it has an empty segment (`//`)");
    }
    if p.split('/').any(|s| s == "." || s == "..") {
        return bad("it has `.` or `..` segments");
    }
    if p.len() > 512 {
        return bad("it is longer than 512 bytes");
    }
    None
}

// ---- region ----

/// Commercial-partition region codes and console names.
const REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "US East (N. Virginia)"),
    ("us-east-2", "US East (Ohio)"),
    ("us-west-1", "US West (N. California)"),
    ("us-west-2", "US West (Oregon)"),
    ("af-south-1", "Africa (Cape Town)"),
    ("ap-east-1", "Asia Pacific (Hong Kong)"),
    ("ap-east-2", "Asia Pacific (Taipei)"),
    ("ap-south-1", "Asia Pacific (Mumbai)"),
    ("ap-south-2", "Asia Pacific (Hyderabad)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
    ("ap-southeast-2", "Asia Pacific (Sydney)"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)"),
    ("ap-southeast-6", "Asia Pacific (New Zealand)"),
    ("ap-southeast-7", "Asia Pacific (Thailand)"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)"),
    ("ap-northeast-2", "Asia Pacific (Seoul)"),
    ("ap-northeast-3", "Asia Pacific (Osaka)"),
    ("ca-central-1", "Canada (Central)"),
    ("ca-west-1", "Canada West (Calgary)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-central-2", "Europe (Zurich)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("eu-west-2", "Europe (London)"),
    ("eu-west-3", "Europe (Paris)"),
    ("eu-south-1", "Europe (Milan)"),
    ("eu-south-2", "Europe (Spain)"),
    ("eu-north-1", "Europe (Stockholm)"),
    ("il-central-1", "Israel (Tel Aviv)"),
    ("me-south-1", "Middle East (Bahrain)"),
    ("me-central-1", "Middle East (UAE)"),
    ("mx-central-1", "Mexico (Central)"),
    ("sa-east-1", "South America (São Paulo)"),
];

/// Prefixes of region codes in partitions other than `aws`.
const OTHER_PARTITION_REGIONS: &[&str] = &["cn-", "us-gov-", "us-iso", "eusc-"];

/// `true` for a commercial-partition region code.
pub fn is_known_region(code: &str) -> bool {
    REGIONS.iter().any(|(c, _)| *c == code)
}

fn suggest_region(value: &str) -> Option<String> {
    let v = value.trim().to_ascii_lowercase();
    if is_known_region(&v) {
        return Some(v);
    }
    // Availability zone (`us-east-1a`).
    if let Some(stripped) = v.strip_suffix(|c: char| c.is_ascii_lowercase()) {
        if is_known_region(stripped) {
            return Some(stripped.to_owned());
        }
    }
    // `eu-west-1 (Ireland)`, or an S3 endpoint host.
    if let Some(code) = REGIONS
        .iter()
        .map(|(c, _)| *c)
        .find(|c| v.starts_with(&format!("{c} ")))
    {
        return Some(code.to_owned());
    }
    if let Some(r) = crate::diagnosis::region_from_endpoint(&v).filter(|r| is_known_region(r)) {
        return Some(r);
    }
    // Console names: `Europe (Ireland)`, `Ireland`, `N. Virginia`.
    REGIONS
        .iter()
        .find(|(_, name)| {
            let name = name.to_ascii_lowercase();
            let city = name
                .split_once('(')
                .map(|(_, c)| c.trim_end_matches(')').to_owned());
            v == name || city.as_deref() == Some(v.as_str())
        })
        .map(|(c, _)| (*c).to_owned())
}

fn check_region(value: &str, strict: bool, t: &Target) -> Option<Diagnosis> {
    let found = || Found::input(t.clone());
    let syntax_ok = !value.is_empty()
        && value.len() <= 32
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !strict {
        return (!syntax_ok).then(|| Diagnosis::UnknownRegion {
            value: value.to_owned(),
            suggestion: suggest_region(value),
            found: found(),
        });
    }
    if is_known_region(value) {
        return None;
    }
    if syntax_ok && OTHER_PARTITION_REGIONS.iter().any(|p| value.starts_with(p)) {
        return Some(Diagnosis::RegionInOtherPartition {
            value: value.to_owned(),
            found: found(),
        });
    }
    Some(Diagnosis::UnknownRegion {
        value: value.to_owned(),
        suggestion: suggest_region(value),
        found: found(),
    })
}

// ---- role ARN ----

fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

fn check_role_arn(value: &str, t: &Target) -> Option<Diagnosis> {
    let found = || Found::input(t.clone());
    let malformed = |reason: &str| {
        Some(Diagnosis::RoleArnMalformed {
            value: value.to_owned(),
            reason: reason.to_owned(),
            found: found(),
        })
    };
    if value.trim().is_empty() {
        return malformed("it is empty");
    }
    if value.chars().any(char::is_whitespace) {
        return malformed("it contains spaces or line breaks");
    }
    if value.contains(['<', '>', '{', '}']) {
        return malformed("it still holds a placeholder");
    }
    if !value.starts_with("arn:") {
        if value.len() == 12 && value.chars().all(|c| c.is_ascii_digit()) {
            return malformed(
                "this is an account id; the role ARN is `arn:aws:iam::<account id>:role/<name>`",
            );
        }
        let name = value.strip_prefix("role/").unwrap_or(value);
        if !name.is_empty() && name.len() <= 64 && name.chars().all(is_iam_name_char) {
            return Some(Diagnosis::RoleNameInsteadOfArn {
                value: value.to_owned(),
                found: found(),
            });
        }
        return malformed("it does not start with `arn:`");
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts.as_slice() else {
        return malformed("expected `arn:aws:iam::<account id>:role/<name>`");
    };
    if *partition != "aws" {
        if [
            "aws-cn",
            "aws-us-gov",
            "aws-iso",
            "aws-iso-b",
            "aws-iso-e",
            "aws-iso-f",
            "aws-eusc",
        ]
        .contains(partition)
        {
            return Some(Diagnosis::RoleArnWrongPartition {
                value: value.to_owned(),
                partition: (*partition).to_owned(),
                found: found(),
            });
        }
        return malformed("unknown partition; role ARNs start with `arn:aws:iam::`");
    }
    let not_a_role = |pasted: &str, suggestion: Option<String>| {
        Some(Diagnosis::NotARoleArn {
            value: value.to_owned(),
            pasted: pasted.to_owned(),
            suggestion,
            found: found(),
        })
    };
    let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    match *service {
        "iam" => {}
        "sts" => {
            let role = resource
                .strip_prefix("assumed-role/")
                .and_then(|r| r.split('/').next());
            let suggestion = role
                .filter(|_| account_ok)
                .map(|r| format!("arn:aws:iam::{account}:role/{r}"));
            return not_a_role("an assumed-role session ARN", suggestion);
        }
        "s3" => return not_a_role("a bucket ARN", None),
        other => return not_a_role(&format!("an ARN of service `{other}`"), None),
    }
    if !region.is_empty() {
        return malformed("IAM ARNs have no region: `arn:aws:iam::<account id>:role/<name>`");
    }
    if !account_ok {
        return malformed("the account id must be 12 digits");
    }
    let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
    match kind {
        "role" => {}
        "policy" => return not_a_role("a policy ARN", None),
        "user" => return not_a_role("a user ARN", None),
        "group" => return not_a_role("a group ARN", None),
        "instance-profile" => {
            let name = rest.rsplit('/').next().unwrap_or(rest);
            return not_a_role(
                "an instance profile ARN",
                Some(format!("arn:aws:iam::{account}:role/{name}")),
            );
        }
        "root" => return not_a_role("an account root ARN", None),
        "saml-provider" | "oidc-provider" => return not_a_role("an identity provider ARN", None),
        _ => return malformed("the resource must be `role/<name>`"),
    }
    let segments: Vec<&str> = rest.split('/').collect();
    let Some(name) = segments.last() else {
        return malformed("the role name is missing");
    };
    if name.is_empty() {
        return malformed("the role name is missing");
    }
    if name.len() > 64 {
        return malformed("role names have at most 64 characters");
    }
    if segments
        .iter()
        .any(|s| s.is_empty() || !s.chars().all(is_iam_name_char))
    {
        return malformed("role names and paths use letters, digits and `+=,.@_-`");
    }
    if value.len() > 2048 {
        return malformed("it is longer than 2048 characters");
    }
    None
}

// ---- ExternalId ----

fn check_external_id(id: &str, t: &Target) -> Option<Diagnosis> {
    let bad = |reason: &str| {
        Some(Diagnosis::ExternalIdMalformed {
            reason: reason.to_owned(),
            found: Found::input(t.clone()),
        })
    };
    if id.trim() != id {
        return bad("it has leading or trailing spaces");
    }
    if id.contains(['<', '>', '{', '}']) || id.to_ascii_uppercase().contains("PLACEHOLDER") {
        return bad("it still holds a placeholder");
    }
    if id.len() < 2 || id.len() > 1224 {
        return bad("STS accepts 2–1224 characters");
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(*c)))
    {
        return bad(&format!(
            "it has the character `{c}`; STS accepts letters, digits and `_+=,.@:/-`"
        ));
    }
    None
}

// ---- HMAC keys ----

fn looks_like_key_id(s: &str) -> bool {
    s.len() == 20
        && (s.starts_with("AKIA") || s.starts_with("ASIA"))
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn check_hmac(key_id: &str, secret: &str, strict: bool, t: &Target) -> Option<Diagnosis> {
    let found = || Found::input(t.clone());
    let key_bad = |reason: &str| {
        Some(Diagnosis::AccessKeyIdMalformed {
            reason: reason.to_owned(),
            found: found(),
        })
    };
    let secret_bad = |reason: &str| {
        Some(Diagnosis::SecretAccessKeyMalformed {
            reason: reason.to_owned(),
            found: found(),
        })
    };
    if looks_like_key_id(secret) && !looks_like_key_id(key_id) {
        return Some(Diagnosis::AccessKeyAndSecretSwapped { found: found() });
    }
    if key_id.is_empty() {
        return key_bad("it is empty");
    }
    if key_id.chars().any(char::is_whitespace) {
        return key_bad("it has spaces or line breaks");
    }
    if secret.is_empty() {
        return secret_bad("it is empty");
    }
    if secret.chars().any(char::is_whitespace) {
        return secret_bad("it has spaces or line breaks");
    }
    if key_id.starts_with("ASIA") {
        return Some(Diagnosis::TemporaryCredentialsPasted { found: found() });
    }
    if !strict {
        return None;
    }
    if key_id.len() != 20 {
        return key_bad(&format!(
            "it has {} characters; AWS access key ids have 20",
            key_id.chars().count()
        ));
    }
    if !key_id.starts_with("AKIA") {
        return key_bad("IAM user access key ids start with `AKIA`");
    }
    if !key_id
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return key_bad("access key ids have only uppercase letters and digits");
    }
    if secret.len() != 40 {
        return secret_bad(&format!(
            "it has {} characters; AWS secret access keys have 40",
            secret.chars().count()
        ));
    }
    if !secret
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+')
    {
        return secret_bad("secret access keys have only letters, digits, `/` and `+`");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    const ROLE: &str = "arn:aws:iam::222222222222:role/vendor-writer";
    const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn role_dest(bucket: &str, region: &str, role_arn: &str, external_id: Option<&str>) -> DestinationConfig {
        DestinationConfig {
            bucket: bucket.to_owned(),
            region: region.to_owned(),
            prefix: None,
            auth: Auth::AssumeRole {
                role_arn: role_arn.to_owned(),
                external_id: external_id.map(str::to_owned),
            },
        }
    }

    fn kinds(v: &Validation) -> Vec<&'static str> {
        v.errors.iter().map(Diagnosis::kind).collect()
    }

    fn one_error(dest: &DestinationConfig, settings: &ServiceSettings) -> Option<Diagnosis> {
        let v = validate(dest, settings);
        assert!(v.errors.len() <= 1, "{:?}", kinds(&v));
        v.errors.into_iter().next()
    }

    #[test]
    fn bucket_field_table() {
        #[rustfmt::skip]
        let rows: &[(&str, Option<&str>)] = &[
            ("lake", None),
            ("my.data-lake-01", None),
            ("abc", None),
            ("https://lake.s3.eu-west-1.amazonaws.com", Some("BucketFieldIsUrl")),
            ("https://s3.eu-west-1.amazonaws.com/lake/exports", Some("BucketFieldIsUrl")),
            ("s3://lake/exports/", Some("BucketFieldIsUrl")),
            ("S3://lake", Some("BucketFieldIsUrl")),
            ("http://localhost:9000/lake", Some("BucketFieldIsUrl")),
            ("https://eu-west-1.console.aws.amazon.com/s3/buckets/lake?region=eu-west-1&prefix=exports/", Some("BucketFieldIsUrl")),
            ("arn:aws:s3:::lake", Some("BucketFieldIsArn")),
            ("arn:aws:s3:::lake/exports/*", Some("BucketFieldIsArn")),
            ("lake/exports", Some("BucketFieldHasPath")),
            ("lake/", Some("BucketFieldHasPath")),
            ("/", Some("BucketFieldHasPath")),
            ("BUCKET_NAME", Some("BucketNamePlaceholder")),
            ("<bucket_name>", Some("BucketNamePlaceholder")),
            ("{your-bucket-name}", Some("BucketNamePlaceholder")),
            ("INSERTBUCKETNAME", Some("BucketNamePlaceholder")),
            ("your-bucket-name", Some("BucketNamePlaceholder")),
            ("amzn-s3-demo-bucket", Some("BucketNamePlaceholder")),
            ("DOC-EXAMPLE-BUCKET", Some("BucketNamePlaceholder")),
            ("", Some("InvalidBucketName")),
            ("ab", Some("InvalidBucketName")),
            (&"a".repeat(64), Some("InvalidBucketName")),
            ("Lake", Some("InvalidBucketName")),
            ("my_lake", Some("InvalidBucketName")),
            ("lake!", Some("InvalidBucketName")),
            ("-lake", Some("InvalidBucketName")),
            ("lake.", Some("InvalidBucketName")),
            ("my..lake", Some("InvalidBucketName")),
            ("192.168.5.4", Some("InvalidBucketName")),
            ("xn--lake", Some("InvalidBucketName")),
            ("sthree-lake", Some("InvalidBucketName")),
            ("lake-s3alias", Some("InvalidBucketName")),
            ("lake--ol-s3", Some("InvalidBucketName")),
            ("lake.mrap", Some("InvalidBucketName")),
            ("lake--x-s3", Some("InvalidBucketName")),
            (" lake", Some("InvalidBucketName")),
        ];
        let settings = ServiceSettings::default();
        for (bucket, want) in rows {
            let got = one_error(&role_dest(bucket, "eu-west-1", ROLE, Some("ext-123")), &settings);
            assert_eq!(got.as_ref().map(Diagnosis::kind), *want, "bucket `{bucket}`");
        }
    }

    #[test]
    fn bucket_field_suggestions() {
        let settings = ServiceSettings::default();
        let check = |input: &str, bucket: Option<&str>, prefix: Option<&str>| {
            let d = one_error(&role_dest(input, "eu-west-1", ROLE, Some("x1")), &settings).unwrap();
            let details = d.details();
            let get = |k: &str| details.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
            assert_eq!(get("bucket"), bucket, "{input}");
            assert_eq!(get("prefix"), prefix, "{input}");
            assert!(d.remediation().contains("only the bucket name"), "{input}");
        };
        check(
            "https://lake.s3.eu-west-1.amazonaws.com/exports/x",
            Some("lake"),
            Some("exports/x"),
        );
        check(
            "https://s3.eu-west-1.amazonaws.com/lake/exports",
            Some("lake"),
            Some("exports"),
        );
        check("s3://lake/exports/", Some("lake"), Some("exports"));
        check(
            "https://eu-west-1.console.aws.amazon.com/s3/buckets/lake?region=eu-west-1&prefix=exports/",
            Some("lake"),
            Some("exports"),
        );
        check("arn:aws:s3:::lake/exports/*", Some("lake"), Some("exports"));
        check("lake/exports/daily", Some("lake"), Some("exports/daily"));
        let d = one_error(
            &role_dest(
                "https://lake.s3.ap-south-1.amazonaws.com",
                "eu-west-1",
                ROLE,
                Some("x1"),
            ),
            &settings,
        )
        .unwrap();
        assert!(d.details().contains(&("region", "ap-south-1".to_owned())));
    }

    #[test]
    fn region_table() {
        #[rustfmt::skip]
        let rows: &[(&str, Option<&str>, Option<&str>)] = &[
            ("us-east-1", None, None),
            ("ap-southeast-4", None, None),
            ("eu-west-1a", Some("UnknownRegion"), Some("eu-west-1")),
            ("EU-WEST-1", Some("UnknownRegion"), Some("eu-west-1")),
            ("Europe (Ireland)", Some("UnknownRegion"), Some("eu-west-1")),
            ("N. Virginia", Some("UnknownRegion"), Some("us-east-1")),
            ("eu-west-1 (Ireland)", Some("UnknownRegion"), Some("eu-west-1")),
            ("s3.eu-central-1.amazonaws.com", Some("UnknownRegion"), Some("eu-central-1")),
            ("eu-west-9", Some("UnknownRegion"), None),
            ("", Some("UnknownRegion"), None),
            ("cn-north-1", Some("RegionInOtherPartition"), None),
            ("us-gov-west-1", Some("RegionInOtherPartition"), None),
        ];
        for (region, want, suggestion) in rows {
            let d = one_error(
                &role_dest("lake", region, ROLE, Some("x1")),
                &ServiceSettings::default(),
            );
            assert_eq!(d.as_ref().map(Diagnosis::kind), *want, "region `{region}`");
            if let Some(s) = suggestion {
                let d = d.unwrap();
                assert!(
                    d.details().contains(&("suggestion", (*s).to_owned())),
                    "{region}: {:?}",
                    d.details()
                );
            }
        }
    }

    #[test]
    fn endpoint_override_relaxes_region_and_key_shape() {
        let settings = ServiceSettings::default().with_endpoint_url("http://127.0.0.1:9000");
        assert!(validate(&role_dest("lake", "garage", ROLE, Some("x1")), &settings).is_ok());
        assert!(!validate(&role_dest("lake", "Bad Region", ROLE, Some("x1")), &settings).is_ok());
        let hmac = DestinationConfig {
            auth: Auth::Hmac {
                access_key_id: "minioadmin".to_owned(),
                secret_access_key: Secret::new("minioadmin"),
            },
            ..role_dest("lake", "us-east-1", ROLE, None)
        };
        assert!(validate(&hmac, &settings).is_ok());
        assert!(!validate(&hmac, &ServiceSettings::default()).is_ok());
    }

    #[test]
    fn role_arn_table() {
        #[rustfmt::skip]
        let rows: &[(&str, Option<&str>)] = &[
            (ROLE, None),
            ("arn:aws:iam::222222222222:role/service-role/transfer-role", None),
            ("arn:aws:iam::222222222222:role/a+b=c,d.e@f_g-h", None),
            ("transfer-role", Some("RoleNameInsteadOfArn")),
            ("role/transfer-role", Some("RoleNameInsteadOfArn")),
            ("MyRole", Some("RoleNameInsteadOfArn")),
            ("222222222222", Some("RoleArnMalformed")),
            ("", Some("RoleArnMalformed")),
            ("arn:aws:iam::222222222222:role/ transfer-role", Some("RoleArnMalformed")),
            ("arn:aws:iam::222222222222:role/transfer-role\n", Some("RoleArnMalformed")),
            ("arn:aws:iam::<account-id>:role/transfer-role", Some("RoleArnMalformed")),
            ("arn:aws:iam::123456:role/x", Some("RoleArnMalformed")),
            ("arn:aws:iam:us-east-1:222222222222:role/x", Some("RoleArnMalformed")),
            ("arn:aws:iam::222222222222:role/", Some("RoleArnMalformed")),
            ("arn:aws:iam::222222222222:role/bad*name", Some("RoleArnMalformed")),
            ("arn:aws:iam::222222222222", Some("RoleArnMalformed")),
            ("arn:aws:iam::222222222222:thing/x", Some("RoleArnMalformed")),
            ("arn:foo:iam::222222222222:role/x", Some("RoleArnMalformed")),
            ("arn:aws-cn:iam::222222222222:role/x", Some("RoleArnWrongPartition")),
            ("arn:aws-us-gov:iam::222222222222:role/x", Some("RoleArnWrongPartition")),
            ("arn:aws:iam::222222222222:policy/push-to-warehouse", Some("NotARoleArn")),
            ("arn:aws:iam::222222222222:user/transfer-service", Some("NotARoleArn")),
            ("arn:aws:iam::222222222222:instance-profile/transfer-role", Some("NotARoleArn")),
            ("arn:aws:iam::222222222222:root", Some("NotARoleArn")),
            ("arn:aws:sts::222222222222:assumed-role/transfer-role/session", Some("NotARoleArn")),
            ("arn:aws:s3:::lake", Some("NotARoleArn")),
        ];
        for (arn, want) in rows {
            let d = one_error(
                &role_dest("lake", "eu-west-1", arn, Some("ext-123")),
                &ServiceSettings::default(),
            );
            assert_eq!(d.as_ref().map(Diagnosis::kind), *want, "role `{arn:?}`");
        }
        let d = one_error(
            &role_dest(
                "lake",
                "eu-west-1",
                "arn:aws:sts::222222222222:assumed-role/transfer-role/s",
                Some("x1"),
            ),
            &ServiceSettings::default(),
        )
        .unwrap();
        assert!(d.details().contains(&(
            "suggestion",
            "arn:aws:iam::222222222222:role/transfer-role".to_owned()
        )));
    }

    #[test]
    fn external_id_table() {
        #[rustfmt::skip]
        let rows: &[(Option<&str>, Option<&str>, bool)] = &[
            (Some("ext-123"), None, false),
            (Some("a1b2c3d4-e5f6:tenant/42@x.y"), None, false),
            (None, None, true),
            (Some(""), None, true),
            (Some(" ext-123"), Some("ExternalIdMalformed"), false),
            (Some("ext-123\n"), Some("ExternalIdMalformed"), false),
            (Some("<<PLACEHOLDER_STORAGE_AWS_EXTERNAL_ID>>"), Some("ExternalIdMalformed"), false),
            (Some("{external_id}"), Some("ExternalIdMalformed"), false),
            (Some("x"), Some("ExternalIdMalformed"), false),
            (Some("ext#1"), Some("ExternalIdMalformed"), false),
        ];
        for (id, want, warns) in rows {
            let v = validate(
                &role_dest("lake", "eu-west-1", ROLE, *id),
                &ServiceSettings::default(),
            );
            assert_eq!(v.errors.first().map(Diagnosis::kind), *want, "external id {id:?}");
            let warned = v.warnings.iter().any(|w| w.kind() == "ExternalIdMissing");
            assert_eq!(warned, *warns, "external id {id:?}");
        }
    }

    #[test]
    fn hmac_table() {
        #[rustfmt::skip]
        let rows: &[(&str, &str, Option<&str>)] = &[
            (AKID, SECRET, None),
            ("ASIAIOSFODNN7EXAMPLE", SECRET, Some("TemporaryCredentialsPasted")),
            (SECRET, AKID, Some("AccessKeyAndSecretSwapped")),
            ("AKIAIOSFODNN7EXAMPL", SECRET, Some("AccessKeyIdMalformed")),
            ("AKIAIOSFODNN7EXAMPLE1", SECRET, Some("AccessKeyIdMalformed")),
            ("ABIAIOSFODNN7EXAMPLE", SECRET, Some("AccessKeyIdMalformed")),
            ("akiaiosfodnn7example", SECRET, Some("AccessKeyIdMalformed")),
            ("AKIAIOSFODNN7EXAMPLE ", SECRET, Some("AccessKeyIdMalformed")),
            ("", SECRET, Some("AccessKeyIdMalformed")),
            (AKID, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", Some("SecretAccessKeyMalformed")),
            (AKID, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE", Some("SecretAccessKeyMalformed")),
            (AKID, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE!", Some("SecretAccessKeyMalformed")),
            (AKID, "", Some("SecretAccessKeyMalformed")),
        ];
        for (key, secret, want) in rows {
            let dest = DestinationConfig {
                bucket: "lake".to_owned(),
                region: "eu-west-1".to_owned(),
                prefix: None,
                auth: Auth::Hmac {
                    access_key_id: (*key).to_owned(),
                    secret_access_key: Secret::new(*secret),
                },
            };
            let d = one_error(&dest, &ServiceSettings::default());
            assert_eq!(
                d.as_ref().map(Diagnosis::kind),
                *want,
                "key {key:?} secret {:?}",
                secret.len()
            );
        }
    }

    #[test]
    fn prefix_table() {
        let rows: &[(&str, Option<&str>)] = &[
            ("exports", None),
            ("/exports/warehouse/", None),
            ("/", None),
            ("s3://lake/exports", Some("PrefixMalformed")),
            ("arn:aws:s3:::lake/exports", Some("PrefixMalformed")),
            ("a//b", Some("PrefixMalformed")),
            ("a/../b", Some("PrefixMalformed")),
            ("a\\b", Some("PrefixMalformed")),
        ];
        for (prefix, want) in rows {
            let mut dest = role_dest("lake", "eu-west-1", ROLE, Some("x1"));
            dest.prefix = Some((*prefix).to_owned());
            let d = one_error(&dest, &ServiceSettings::default());
            assert_eq!(d.as_ref().map(Diagnosis::kind), *want, "prefix `{prefix}`");
        }
    }

    #[test]
    fn several_errors_are_all_reported() {
        let v = validate(
            &role_dest("s3://Lake", "eu-west", "MyRole", Some("<id>")),
            &ServiceSettings::default(),
        );
        assert_eq!(
            kinds(&v),
            [
                "BucketFieldIsUrl",
                "UnknownRegion",
                "RoleNameInsteadOfArn",
                "ExternalIdMalformed"
            ]
        );
        for d in &v.errors {
            assert!(d.evidence().is_none());
            assert!(!d.remediation().is_empty());
        }
    }
}
