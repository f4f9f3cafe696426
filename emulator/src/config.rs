//! Settings of an emulator instance that are not part of the world.

use std::time::Duration;

/// How the emulator behaves on the wire.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Host suffixes for virtual-hosted-style addressing: with `localhost`, the
    /// hosts `bucket.localhost`, `bucket.s3.localhost` and
    /// `bucket.s3.eu-west-1.localhost` address `bucket`, and `s3.eu-west-1.localhost`
    /// is the eu-west-1 regional endpoint.
    pub host_suffixes: Vec<String>,
    /// The maximum difference between a request's date and the clock (S3: 15 minutes).
    pub max_skew: Duration,
    /// How long a request body may stall before the request fails with RequestTimeout.
    pub body_idle_timeout: Duration,
    /// How long a client may take to send its request headers.
    pub header_read_timeout: Duration,
    /// The largest single PUT (S3: 5 GiB).
    pub max_put_size: u64,
    /// How many recent requests the log keeps for the admin API.
    pub log_capacity: usize,
    /// The largest total size of request headers S3 accepts on a PUT (8 KiB).
    pub max_header_bytes: usize,
    /// The largest STS request body the emulator reads.
    pub max_sts_body: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host_suffixes: vec!["localhost".to_string(), "amazonaws.com".to_string()],
            max_skew: Duration::from_secs(15 * 60),
            body_idle_timeout: Duration::from_secs(20),
            header_read_timeout: Duration::from_secs(20),
            max_put_size: 5 * 1024 * 1024 * 1024,
            log_capacity: 1000,
            max_header_bytes: 8 * 1024,
            max_sts_body: 256 * 1024,
        }
    }
}

impl Config {
    /// Default settings with another body idle timeout (tests use a short one).
    #[must_use]
    pub fn with_body_idle_timeout(mut self, timeout: Duration) -> Self {
        self.body_idle_timeout = timeout;
        self
    }

    /// Default settings plus a virtual-host suffix.
    #[must_use]
    pub fn with_host_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.host_suffixes.push(suffix.into());
        self
    }

    /// Another maximum PUT size (tests of EntityTooLarge use a small one).
    #[must_use]
    pub fn with_max_put_size(mut self, bytes: u64) -> Self {
        self.max_put_size = bytes;
        self
    }
}
