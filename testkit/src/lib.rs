//! Dev-only helpers shared by the workspace's tests, benchmarks, examples and the
//! harness, so each fact lives in one place:
//!
//! - [`sign`]: SigV4 signing settings as aws-sdk-s3 configures them (the signer
//!   itself is the `aws-sigv4` crate, never the emulator's code);
//! - [`fixtures`]: the common world of the setup guide (the service's account and
//!   the customer's, the role, the HMAC user, the bucket) and its keys;
//! - [`start`], [`start_with`]: an emulator on `127.0.0.1:0` from a world's TOML;
//! - [`http`]: percent-encoding for hand-built requests; [`toml_text`]: the TOML
//!   writer `harness reproduce` and the policy fuzzer share.

pub mod toml_text;

use std::sync::Arc;

use emulator::{Clock, Config, Emulator, Running, World};
use time::macros::datetime;
use time::OffsetDateTime;

/// Where a scenario's or a generated world's clock starts when the world does not say (`now`).
pub const DEFAULT_START: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

/// Percent-encoding for hand-built requests.
pub mod http {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

    /// RFC 3986 unreserved characters stay; everything else is encoded.
    pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');

    /// An object key as a path: each `/`-separated segment percent-encoded.
    pub fn encode_key(key: &str) -> String {
        key.split('/')
            .map(|seg| utf8_percent_encode(seg, UNRESERVED).to_string())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// `k=v&…` with keys and values percent-encoded (an STS form body).
    pub fn encode_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        pairs
            .into_iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(k, UNRESERVED),
                    utf8_percent_encode(v, UNRESERVED)
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// SigV4 signing settings.
pub mod sign {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SigningSettings, UriPathNormalizationMode,
    };

    /// What aws-sdk-s3 configures: no path normalisation, single percent-encoding
    /// (S3's canonical URI rules), and `x-amz-content-sha256` sent when
    /// `payload_header` (every SDK upload does).
    pub fn s3(payload_header: bool) -> SigningSettings {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        if payload_header {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        settings
    }

    /// The settings the SDK uses for `service`: aws-sdk-s3's for `s3`, the
    /// defaults (normalised paths, double encoding) for every other service.
    pub fn like_sdk(service: &str) -> SigningSettings {
        if service == "s3" {
            s3(true)
        } else {
            SigningSettings::default()
        }
    }
}

/// The worlds and keys tests share.
pub mod fixtures {
    /// The service's (vendor's) IAM user key, in account 111111111111.
    pub const VENDOR_AKID: &str = "AKIAVENDORSYNC000001";
    /// Its secret.
    pub const VENDOR_SECRET: &str = "vendor-secret-vendor-secret-vendor-secre";
    /// The customer's HMAC user key (`transfer-service`, account 222222222222).
    pub const CUSTOMER_AKID: &str = "AKIAIOSFODNN7EXAMPLE";
    /// Its secret.
    pub const CUSTOMER_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    /// The role the customer made for the service.
    pub const ROLE_ARN: &str = "arn:aws:iam::222222222222:role/transfer-role";
    /// The ExternalId its trust policy requires.
    pub const EXTERNAL_ID: &str = "ext-123";

    /// The setup guide done right, both ways: the vendor's user `sync` may assume
    /// any role; the customer's `transfer-role` trusts it with ExternalId
    /// `ext-123`; the customer's HMAC user `transfer-service`; both may put and
    /// delete objects in `customer-lake` (eu-west-1).
    pub const VENDOR_CUSTOMER: &str = r#"
[[accounts]]
id = "111111111111"
name = "vendor"

[[accounts]]
id = "222222222222"
name = "customer"

[[users]]
account = "vendor"
name = "sync"
access_keys = [{ id = "AKIAVENDORSYNC000001", secret = "vendor-secret-vendor-secret-vendor-secre" }]
policies = [{ name = "assume", document = '''
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}
''' }]

[[users]]
account = "customer"
name = "transfer-service"
access_keys = [{ id = "AKIAIOSFODNN7EXAMPLE", secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }]
policies = [{ name = "push-to-warehouse", document = '''
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],
  "Resource":"arn:aws:s3:::customer-lake/*"}]}
''' }]

[[roles]]
account = "customer"
name = "transfer-role"
trust_policy = '''
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
  "Principal":{"AWS":"arn:aws:iam::111111111111:user/sync"},
  "Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}
'''
policies = [{ name = "push-to-warehouse", document = '''
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],
  "Resource":"arn:aws:s3:::customer-lake/*"}]}
''' }]

[[buckets]]
name = "customer-lake"
account = "customer"
region = "eu-west-1"
"#;
}

/// The AWS SDKs' time source, reading the emulator's manual clock: with it,
/// advancing the clock moves the clients' signing time too.
#[derive(Debug)]
pub struct EmulatorTime(pub Arc<emulator::ManualClock>);

impl aws_smithy_async::time::TimeSource for EmulatorTime {
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::from(self.0.now())
    }
}

/// An emulator serving `world` (TOML) on `127.0.0.1:0`, reading time from `clock`.
///
/// # Errors
/// The world file's error, or why the listener could not be bound.
pub async fn start(world: &str, clock: Arc<dyn Clock>) -> Result<Running, String> {
    start_with(world, clock, Config::default()).await
}

/// As [`start`], with another configuration.
///
/// # Errors
/// The world file's error, or why the listener could not be bound.
pub async fn start_with(world: &str, clock: Arc<dyn Clock>, config: Config) -> Result<Running, String> {
    let world = World::from_toml("test world", world).map_err(|e| e.to_string())?;
    emulator::spawn(Arc::new(Emulator::new(config, world, clock)))
        .await
        .map_err(|e| format!("cannot start the emulator: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_is_a_valid_world_naming_its_keys() {
        let w = World::from_toml("fixture", fixtures::VENDOR_CUSTOMER).unwrap();
        assert!(w.role_by_arn(fixtures::ROLE_ARN).is_some());
        let keys: Vec<&str> = w
            .users
            .iter()
            .flat_map(|u| u.access_keys.iter().map(|k| k.id.as_str()))
            .collect();
        assert_eq!(keys, [fixtures::VENDOR_AKID, fixtures::CUSTOMER_AKID]);
        assert!(fixtures::VENDOR_CUSTOMER.contains(fixtures::VENDOR_SECRET));
        assert!(fixtures::VENDOR_CUSTOMER.contains(fixtures::CUSTOMER_SECRET));
        assert!(fixtures::VENDOR_CUSTOMER.contains(fixtures::EXTERNAL_ID));
    }

    #[test]
    fn s3_settings_are_the_sdks() {
        use aws_sigv4::http_request::{PercentEncodingMode, UriPathNormalizationMode};
        let s = sign::like_sdk("s3");
        assert_eq!(s.percent_encoding_mode, PercentEncodingMode::Single);
        assert_eq!(s.uri_path_normalization_mode, UriPathNormalizationMode::Disabled);
        let sts = sign::like_sdk("sts");
        assert_eq!(sts.percent_encoding_mode, PercentEncodingMode::Double);
    }
}
