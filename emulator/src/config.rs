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
    /// Who may use the admin API (`/_emulator/`).
    pub admin: AdminAccess,
    /// The largest admin request body (a world file): 8 MiB.
    pub max_admin_body: usize,
    /// The smallest multipart part but the last (S3: 5 MiB; tests use less).
    pub min_part_size: u64,
    /// Emit each request's CloudTrail record as a `tracing` event (target
    /// `emulator::cloudtrail`, the JSON as its message): `serve --log-format cloudtrail`.
    pub cloudtrail_log: bool,
}

/// Who may use the admin API. Whatever this says, the admin API also refuses
/// requests whose `Host` is not a loopback name, an IP address or a configured
/// host suffix (DNS rebinding), and requests a browser marks as coming from
/// another site (`Origin`, `Sec-Fetch-Site`).
#[derive(Clone, PartialEq, Eq)]
pub enum AdminAccess {
    /// Requests must carry `Authorization: Bearer TOKEN` (`GET /_emulator/health` excepted).
    Token(String),
    /// No token (`serve --no-admin-token`): anyone who can reach the port may
    /// read objects and the log, move the clock and replace the world.
    Open,
}

impl std::fmt::Debug for AdminAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(…)"),
            Self::Open => f.write_str("Open"),
        }
    }
}

impl AdminAccess {
    /// A token of 32 random hex digits from the operating system's generator.
    pub fn generated() -> Self {
        let mut bytes = [0_u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            // No OS randomness: fall back to the clock and the process id, mixed;
            // weaker, but the admin API still needs a token nobody else chose.
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
                ^ u64::from(std::process::id()).rotate_left(32);
            let a = crate::util::splitmix(seed);
            bytes[..8].copy_from_slice(&a.to_le_bytes());
            bytes[8..].copy_from_slice(&crate::util::splitmix(a).to_le_bytes());
        }
        Self::Token(hex::encode(bytes))
    }

    /// The token, when one is required.
    pub fn token(&self) -> Option<&str> {
        match self {
            Self::Token(t) => Some(t),
            Self::Open => None,
        }
    }
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
            admin: AdminAccess::generated(),
            max_admin_body: 8 * 1024 * 1024,
            min_part_size: 5 * 1024 * 1024,
            cloudtrail_log: false,
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

    /// Another admin access rule (the admin API's token, or none).
    #[must_use]
    pub fn with_admin(mut self, admin: AdminAccess) -> Self {
        self.admin = admin;
        self
    }

    /// Emit each request's CloudTrail record through `tracing` (target
    /// `emulator::cloudtrail`).
    #[must_use]
    pub fn with_cloudtrail_log(mut self, on: bool) -> Self {
        self.cloudtrail_log = on;
        self
    }

    /// Another smallest multipart part size.
    #[must_use]
    pub fn with_min_part_size(mut self, bytes: u64) -> Self {
        self.min_part_size = bytes;
        self
    }

    /// Another maximum PUT size (tests of EntityTooLarge use a small one).
    #[must_use]
    pub fn with_max_put_size(mut self, bytes: u64) -> Self {
        self.max_put_size = bytes;
        self
    }
}
