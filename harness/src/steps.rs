//! One function per step kind. Each turns a step's `with` into requests (through the
//! real `aws-sdk-s3`/`aws-sdk-sts` clients, the real connector, or the raw requester)
//! or into a change of the emulator's clock, world or fault rules, and returns an
//! [`Outcome`] for [`crate::expect`] to check.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_types::retry::RetryConfig;
use emulator::fault::FaultRule;
use emulator::store::ObjectData;
use emulator::world::{FileError, Source};
use emulator::Clock;
use serde::Deserialize;

use crate::expect::Mismatch;
use crate::run::{Keys, Outcome, Run};
use crate::scenario::{parse_duration, with_args, StepFile};

/// Arguments of the `s3.*` steps.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Args {
    /// Bucket name.
    pub bucket: String,
    /// Object key (object operations).
    #[serde(default)]
    pub key: Option<String>,
    /// `s3.put_object`: the body, as text.
    #[serde(default)]
    pub body: Option<String>,
    /// The client's region (default: the bucket's region in the world).
    #[serde(default)]
    pub region: Option<String>,
    /// The endpoint's host name (e.g. `s3.us-west-2.localhost`, another region's
    /// endpoint); it resolves to the emulator. Default `127.0.0.1`.
    #[serde(default)]
    pub host: Option<String>,
    /// Address the bucket by name under `host` (`BUCKET.s3.localhost`) instead of
    /// path-style, as an SDK without an endpoint override does.
    #[serde(default)]
    pub virtual_hosted: bool,
    /// `s3.list_objects`: key prefix.
    #[serde(default)]
    pub prefix: Option<String>,
    /// `Content-Type`.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Canned ACL (`x-amz-acl`).
    #[serde(default)]
    pub acl: Option<String>,
    /// `x-amz-server-side-encryption` (`AES256`, `aws:kms`).
    #[serde(default)]
    pub sse: Option<String>,
    /// `x-amz-server-side-encryption-aws-kms-key-id`.
    #[serde(default)]
    pub sse_kms_key_id: Option<String>,
    /// Flexible checksum: `crc32` (the SDK default), `sha256`, or `none` (send none).
    #[serde(default)]
    pub checksum: Option<String>,
    /// Send `Content-MD5`.
    #[serde(default)]
    pub content_md5: bool,
    /// `If-None-Match` (`*`).
    #[serde(default)]
    pub if_none_match: Option<String>,
    /// `x-amz-expected-bucket-owner`.
    #[serde(default)]
    pub expected_bucket_owner: Option<String>,
    /// `x-amz-request-payer: requester`.
    #[serde(default)]
    pub request_payer: bool,
    /// `versionId` (delete, get, head).
    #[serde(default)]
    pub version_id: Option<String>,
    /// `versionId` saved by an earlier `s3.put_object` with `save = "<name>"`.
    #[serde(default)]
    pub version_from: Option<String>,
    /// `x-amz-meta-*`.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// Arguments of `sts.assume_role`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssumeRoleArgs {
    /// `RoleArn`.
    pub role_arn: String,
    /// `RoleSessionName` (default `harness`).
    #[serde(default)]
    pub session_name: Option<String>,
    /// `ExternalId`.
    #[serde(default)]
    pub external_id: Option<String>,
    /// `DurationSeconds`.
    #[serde(default)]
    pub duration_seconds: Option<i32>,
    /// Session tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// `SourceIdentity`.
    #[serde(default)]
    pub source_identity: Option<String>,
    /// Inline session policy (JSON).
    #[serde(default)]
    pub policy: Option<String>,
    /// The client's region (default `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// The endpoint's host name (`sts.amazonaws.com`, `sts.eu-west-1.amazonaws.com`);
    /// it resolves to the emulator. Default `127.0.0.1`.
    #[serde(default)]
    pub host: Option<String>,
}

/// Arguments of `sts.get_caller_identity`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallerIdentityArgs {
    /// The client's region (default `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// The endpoint's host name; it resolves to the emulator. Default `127.0.0.1`.
    #[serde(default)]
    pub host: Option<String>,
}

/// Arguments of `clock.advance`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceArgs {
    /// How far: `1h`, `15m`, `90s`, `1h30m`, `2d`.
    pub by: String,
}

/// Arguments of `clock.set`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetArgs {
    /// RFC 3339 instant.
    pub to: String,
}

/// Arguments of `fault.clear` (none).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// Arguments of `assert.objects`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectsArgs {
    /// Bucket name.
    pub bucket: String,
    /// Only keys under this prefix.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Exactly this many objects.
    #[serde(default)]
    pub count: Option<usize>,
    /// Exactly these keys (`*` and `?` match volatile parts such as dates and nonces).
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    /// Every listed object holds exactly this text.
    #[serde(default)]
    pub content: Option<String>,
}

/// Arguments of `assert.uploads`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadsArgs {
    /// Bucket name.
    pub bucket: String,
    /// Only uploads of keys under this prefix.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Exactly this many incomplete multipart uploads.
    pub count: usize,
}

/// The kinds of step, each with its `do = "…"` name: the one list the loader,
/// the README and the runner read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// `s3.put_object`.
    S3PutObject,
    /// `s3.delete_object`.
    S3DeleteObject,
    /// `s3.get_object`.
    S3GetObject,
    /// `s3.head_object`.
    S3HeadObject,
    /// `s3.list_objects`.
    S3ListObjects,
    /// `sts.assume_role`.
    StsAssumeRole,
    /// `sts.get_caller_identity`.
    StsGetCallerIdentity,
    /// `connector.onboard`.
    ConnectorOnboard,
    /// `connector.sync`.
    ConnectorSync,
    /// `raw`.
    Raw,
    /// `clock.advance`.
    ClockAdvance,
    /// `clock.set`.
    ClockSet,
    /// `world.edit`.
    WorldEdit,
    /// `fault.add`.
    FaultAdd,
    /// `fault.clear`.
    FaultClear,
    /// `assert.objects`.
    AssertObjects,
    /// `assert.uploads`.
    AssertUploads,
}

impl StepKind {
    /// Every kind, in the order the README lists them.
    pub const ALL: &'static [StepKind] = &[
        Self::S3PutObject,
        Self::S3DeleteObject,
        Self::S3GetObject,
        Self::S3HeadObject,
        Self::S3ListObjects,
        Self::StsAssumeRole,
        Self::StsGetCallerIdentity,
        Self::ConnectorOnboard,
        Self::ConnectorSync,
        Self::Raw,
        Self::ClockAdvance,
        Self::ClockSet,
        Self::WorldEdit,
        Self::FaultAdd,
        Self::FaultClear,
        Self::AssertObjects,
        Self::AssertUploads,
    ];

    /// The name a scenario file writes in `do`.
    pub fn name(self) -> &'static str {
        match self {
            Self::S3PutObject => "s3.put_object",
            Self::S3DeleteObject => "s3.delete_object",
            Self::S3GetObject => "s3.get_object",
            Self::S3HeadObject => "s3.head_object",
            Self::S3ListObjects => "s3.list_objects",
            Self::StsAssumeRole => "sts.assume_role",
            Self::StsGetCallerIdentity => "sts.get_caller_identity",
            Self::ConnectorOnboard => "connector.onboard",
            Self::ConnectorSync => "connector.sync",
            Self::Raw => "raw",
            Self::ClockAdvance => "clock.advance",
            Self::ClockSet => "clock.set",
            Self::WorldEdit => "world.edit",
            Self::FaultAdd => "fault.add",
            Self::FaultClear => "fault.clear",
            Self::AssertObjects => "assert.objects",
            Self::AssertUploads => "assert.uploads",
        }
    }

    /// The kind a `do` names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Whether the step acts as someone (`as = …`).
    pub fn needs_actor(self) -> bool {
        matches!(
            self,
            Self::S3PutObject
                | Self::S3DeleteObject
                | Self::S3GetObject
                | Self::S3HeadObject
                | Self::S3ListObjects
                | Self::StsAssumeRole
                | Self::StsGetCallerIdentity
                | Self::Raw
        )
    }

    /// Whether `save = "…"` applies.
    pub fn can_save(self) -> bool {
        matches!(self, Self::StsAssumeRole | Self::S3PutObject)
    }
}

/// What a step does, parsed once from its `do` and `with` when the file loads.
#[derive(Debug, Clone)]
pub enum Action {
    /// An `s3.*` call through aws-sdk-s3.
    S3(StepKind, S3Args),
    /// `sts.assume_role` through aws-sdk-sts.
    AssumeRole(AssumeRoleArgs),
    /// `sts.get_caller_identity`.
    CallerIdentity(CallerIdentityArgs),
    /// `connector.onboard`.
    Onboard(crate::connector::ConnectorArgs),
    /// `connector.sync`.
    Sync(crate::connector::ConnectorArgs),
    /// A hand-built request.
    Raw(crate::raw::RawArgs),
    /// Move the clock forward by this many seconds.
    ClockAdvance(u64),
    /// Set the clock.
    ClockSet(time::OffsetDateTime),
    /// Change the world.
    WorldEdit(crate::edit::EditArgs),
    /// Add a fault rule.
    FaultAdd(FaultRule),
    /// Remove every fault rule.
    FaultClear,
    /// Check the bucket's objects.
    AssertObjects(ObjectsArgs),
    /// Check the bucket's incomplete multipart uploads.
    AssertUploads(UploadsArgs),
}

impl Action {
    /// Parse the step's `with` for its kind, with every error located in the file.
    pub fn parse(src: &Source, step: &StepFile, kind: StepKind) -> Result<Self, FileError> {
        if kind.needs_actor() && step.actor.is_none() {
            return Err(src.error_in(
                &step.id,
                format!(
                    "step `{}` ({}) needs `as = ...`: `account/user`, `session:<name>` or `anonymous`",
                    step.id.get_ref(),
                    kind.name()
                ),
            ));
        }
        let at = |msg: String| match &step.with {
            Some(w) => src.error_in(w, msg),
            None => src.error_in(&step.id, msg),
        };
        Ok(match kind {
            StepKind::S3PutObject
            | StepKind::S3DeleteObject
            | StepKind::S3GetObject
            | StepKind::S3HeadObject
            | StepKind::S3ListObjects => {
                let a: S3Args = with_args(src, step)?;
                if kind != StepKind::S3ListObjects && a.key.is_none() {
                    return Err(at(format!(
                        "step `{}`: `{}` needs `key`",
                        step.id.get_ref(),
                        kind.name()
                    )));
                }
                if let Some(c) = &a.checksum {
                    if !["crc32", "sha256", "none"].contains(&c.as_str()) {
                        return Err(at(format!("checksum `{c}` must be crc32, sha256 or none")));
                    }
                }
                Self::S3(kind, a)
            }
            StepKind::StsAssumeRole => Self::AssumeRole(with_args(src, step)?),
            StepKind::StsGetCallerIdentity => Self::CallerIdentity(with_args(src, step)?),
            StepKind::ClockAdvance => {
                let a: AdvanceArgs = with_args(src, step)?;
                match parse_duration(&a.by).and_then(|s| u64::try_from(s).ok()) {
                    Some(secs) => Self::ClockAdvance(secs),
                    None => {
                        return Err(at(format!(
                            "`by = \"{}\"` is not a duration like `1h`, `15m`, `1h30m`",
                            a.by
                        )))
                    }
                }
            }
            StepKind::ClockSet => {
                let a: SetArgs = with_args(src, step)?;
                match rfc3339(&a.to) {
                    Some(to) => Self::ClockSet(to),
                    None => return Err(at(format!("`to = \"{}\"` is not an RFC 3339 time", a.to))),
                }
            }
            StepKind::FaultAdd => Self::FaultAdd(with_args(src, step)?),
            StepKind::FaultClear => {
                let _: NoArgs = with_args(src, step)?;
                Self::FaultClear
            }
            StepKind::AssertObjects => Self::AssertObjects(with_args(src, step)?),
            StepKind::AssertUploads => Self::AssertUploads(with_args(src, step)?),
            StepKind::WorldEdit => {
                let a: crate::edit::EditArgs = with_args(src, step)?;
                a.validate().map_err(at)?;
                Self::WorldEdit(a)
            }
            StepKind::Raw => {
                let a: crate::raw::RawArgs = with_args(src, step)?;
                a.validate().map_err(at)?;
                Self::Raw(a)
            }
            StepKind::ConnectorOnboard => Self::Onboard(crate::connector::parse_args(src, step)?),
            StepKind::ConnectorSync => Self::Sync(crate::connector::parse_args(src, step)?),
        })
    }
}

fn rfc3339(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Run one step.
pub async fn execute(run: &mut Run<'_>, step: &StepFile, action: &Action) -> Result<Outcome, String> {
    match action {
        Action::S3(kind, a) => s3_step(run, step, *kind, a).await,
        Action::AssumeRole(a) => assume_role(run, step, a).await,
        Action::CallerIdentity(a) => caller_identity(run, step, a).await,
        Action::ClockAdvance(secs) => {
            run.clock
                .advance(Duration::from_secs(*secs))
                .map_err(|e| e.to_string())?;
            Ok(ok())
        }
        Action::ClockSet(to) => {
            run.clock.set(*to).map_err(|e| e.to_string())?;
            Ok(ok())
        }
        Action::FaultAdd(rule) => {
            run.emulator().faults().add(rule.clone());
            Ok(ok())
        }
        Action::FaultClear => {
            run.emulator().faults().clear();
            Ok(ok())
        }
        Action::AssertObjects(a) => Ok(assert_objects(run, a)),
        Action::AssertUploads(a) => Ok(assert_uploads(run, a)),
        Action::WorldEdit(a) => {
            crate::edit::apply(run, a)?;
            Ok(ok())
        }
        Action::Raw(a) => {
            let keys = run.keys(step)?;
            crate::raw::send(run, keys, a).await
        }
        Action::Onboard(a) => crate::connector::onboard(run, step, a).await,
        Action::Sync(a) => crate::connector::sync(run, step, a).await,
    }
}

fn ok() -> Outcome {
    Outcome {
        ok: true,
        ..Outcome::default()
    }
}

fn failed(detail: String) -> Outcome {
    Outcome {
        ok: false,
        detail: Some(detail),
        ..Outcome::default()
    }
}

/// The region of a bucket in the current world (default `us-east-1`).
pub fn bucket_region(run: &Run<'_>, bucket: &str) -> String {
    run.emulator()
        .world()
        .bucket(bucket)
        .map_or_else(|| "us-east-1".to_string(), |b| b.region.clone())
}

fn credentials(keys: &Keys) -> Credentials {
    Credentials::new(
        keys.access_key_id.clone(),
        keys.secret.clone(),
        keys.session_token.clone(),
        None,
        "harness",
    )
}

/// Every host name resolves to the emulator's loopback address, so a step can address
/// `s3.us-west-2.localhost` or `sts.amazonaws.com` the way a client would.
#[derive(Debug, Clone, Copy)]
struct ToLoopback;

impl aws_smithy_runtime_api::client::dns::ResolveDns for ToLoopback {
    fn resolve_dns<'a>(&'a self, _name: &'a str) -> aws_smithy_runtime_api::client::dns::DnsFuture<'a> {
        aws_smithy_runtime_api::client::dns::DnsFuture::ready(Ok(vec![std::net::IpAddr::V4(
            std::net::Ipv4Addr::LOCALHOST,
        )]))
    }
}

/// The SDK's own hyper client, with [`ToLoopback`] as its resolver.
///
/// The emulator speaks plain HTTP, so the trust store is empty: with the default
/// one, every client the SDK builds reads the system's ~150 root certificates
/// from disk: a scenario took 71 ms (median) with it and 23 ms without.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    let no_roots = tls::TlsContext::builder()
        .with_trust_store(tls::TrustStore::empty())
        .build();
    let mut b = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
    if let Ok(ctx) = no_roots {
        b = b.tls_context(ctx);
    }
    b.build_with_resolver(ToLoopback)
}

/// The endpoint URL: the emulator's address, or `host` on the emulator's port.
pub fn endpoint_url(run: &Run<'_>, host: Option<&str>) -> String {
    match host {
        Some(h) => format!("http://{h}:{}", run.running.addr.port()),
        None => run.endpoint().to_string(),
    }
}

/// An S3 client for the emulator: path-style unless `virtual_hosted`, the emulator's
/// clock, no retries (one step, one request), and the SDK's default CRC32 checksums
/// unless `checksum` says.
pub fn s3_client(
    run: &Run<'_>,
    keys: Option<&Keys>,
    region: &str,
    host: Option<&str>,
    virtual_hosted: bool,
    checksum: Option<&str>,
) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(region.to_string()))
        .endpoint_url(endpoint_url(run, host))
        .force_path_style(!virtual_hosted)
        .http_client(http_client())
        .time_source(run.time_source())
        .retry_config(RetryConfig::disabled());
    match keys {
        Some(k) => b = b.credentials_provider(credentials(k)),
        None => b = b.allow_no_auth(),
    }
    if checksum == Some("none") {
        b = b
            .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

/// An STS client for the emulator.
pub fn sts_client(
    run: &Run<'_>,
    keys: Option<&Keys>,
    region: &str,
    host: Option<&str>,
) -> aws_sdk_sts::Client {
    let mut b = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(region.to_string()))
        .endpoint_url(endpoint_url(run, host))
        .http_client(http_client())
        .time_source(run.time_source())
        .retry_config(RetryConfig::disabled());
    match keys {
        Some(k) => b = b.credentials_provider(credentials(k)),
        None => b = b.allow_no_auth(),
    }
    aws_sdk_sts::Client::from_conf(b.build())
}

/// A one-line description of an SDK error: the AWS code and message, or the
/// dispatch/construction failure.
pub fn sdk_error<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        aws_sdk_s3::error::SdkError::ServiceError(e) => {
            let meta = e.err();
            format!(
                "{}: {}",
                meta.code().unwrap_or("<no code>"),
                meta.message().unwrap_or("<no message>")
            )
        }
        other => aws_sdk_s3::error::DisplayErrorContext(other).to_string(),
    }
}

async fn s3_step(run: &mut Run<'_>, step: &StepFile, kind: StepKind, a: &S3Args) -> Result<Outcome, String> {
    let keys = run.keys(step)?;
    let mut a = a.clone();
    if let Some(name) = &a.version_from {
        let v = run.versions.get(name).ok_or_else(|| {
            format!("no version `{name}`: an earlier s3.put_object must `save = \"{name}\"`")
        })?;
        a.version_id = Some(v.clone());
    }
    let a = &a;
    let region = a.region.clone().unwrap_or_else(|| bucket_region(run, &a.bucket));
    let client = s3_client(
        run,
        keys.as_ref(),
        &region,
        a.host.as_deref(),
        a.virtual_hosted,
        a.checksum.as_deref(),
    );
    let key = a.key.clone().unwrap_or_default();
    let result = match kind {
        StepKind::S3PutObject => match put_object(&client, a, &key).await {
            Ok(Some(version)) => {
                if let Some(name) = &step.save {
                    run.versions.insert(name.get_ref().clone(), version);
                }
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        },
        StepKind::S3DeleteObject => delete_object(&client, a, &key).await,
        StepKind::S3GetObject => get_object(&client, a, &key).await,
        StepKind::S3HeadObject => client
            .head_object()
            .bucket(&a.bucket)
            .key(&key)
            .set_version_id(a.version_id.clone())
            .set_expected_bucket_owner(a.expected_bucket_owner.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&e)),
        _ => client
            .list_objects_v2()
            .bucket(&a.bucket)
            .set_prefix(a.prefix.clone())
            .set_expected_bucket_owner(a.expected_bucket_owner.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error(&e)),
    };
    Ok(match result {
        Ok(()) => ok(),
        Err(e) => failed(e),
    })
}

/// `s3.put_object`; `Ok` carries the new version id, if the bucket is versioned.
async fn put_object(client: &aws_sdk_s3::Client, a: &S3Args, key: &str) -> Result<Option<String>, String> {
    let body = a.body.clone().unwrap_or_default();
    let mut r = client
        .put_object()
        .bucket(&a.bucket)
        .key(key)
        .set_content_type(a.content_type.clone())
        .set_if_none_match(a.if_none_match.clone())
        .set_expected_bucket_owner(a.expected_bucket_owner.clone())
        .set_ssekms_key_id(a.sse_kms_key_id.clone());
    if let Some(acl) = &a.acl {
        r = r.acl(aws_sdk_s3::types::ObjectCannedAcl::from(acl.as_str()));
    }
    if let Some(sse) = &a.sse {
        r = r.server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::from(sse.as_str()));
    }
    if a.checksum.as_deref() == Some("sha256") {
        r = r.checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Sha256);
    }
    if a.content_md5 {
        use base64::Engine as _;
        use md5::Digest as _;
        let digest = md5::Md5::digest(body.as_bytes());
        r = r.content_md5(base64::engine::general_purpose::STANDARD.encode(digest));
    }
    if a.request_payer {
        r = r.request_payer(aws_sdk_s3::types::RequestPayer::Requester);
    }
    for (k, v) in &a.metadata {
        r = r.metadata(k, v);
    }
    match r.body(ByteStream::from(body.into_bytes())).send().await {
        Ok(out) => Ok(out.version_id().map(str::to_string)),
        Err(e) => Err(sdk_error(&e)),
    }
}

async fn delete_object(client: &aws_sdk_s3::Client, a: &S3Args, key: &str) -> Result<(), String> {
    let mut r = client
        .delete_object()
        .bucket(&a.bucket)
        .key(key)
        .set_version_id(a.version_id.clone())
        .set_expected_bucket_owner(a.expected_bucket_owner.clone());
    if a.request_payer {
        r = r.request_payer(aws_sdk_s3::types::RequestPayer::Requester);
    }
    r.send().await.map(|_| ()).map_err(|e| sdk_error(&e))
}

async fn get_object(client: &aws_sdk_s3::Client, a: &S3Args, key: &str) -> Result<(), String> {
    let r = client
        .get_object()
        .bucket(&a.bucket)
        .key(key)
        .set_version_id(a.version_id.clone())
        .set_expected_bucket_owner(a.expected_bucket_owner.clone())
        .send()
        .await;
    match r {
        Ok(out) => out.body.collect().await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(sdk_error(&e)),
    }
}

async fn assume_role(run: &mut Run<'_>, step: &StepFile, a: &AssumeRoleArgs) -> Result<Outcome, String> {
    let keys = run.keys(step)?;
    let region = a.region.clone().unwrap_or_else(|| "us-east-1".to_string());
    let client = sts_client(run, keys.as_ref(), &region, a.host.as_deref());
    let mut r = client
        .assume_role()
        .role_arn(&a.role_arn)
        .role_session_name(a.session_name.clone().unwrap_or_else(|| "harness".to_string()))
        .set_external_id(a.external_id.clone())
        .set_duration_seconds(a.duration_seconds)
        .set_source_identity(a.source_identity.clone())
        .set_policy(a.policy.clone());
    for (k, v) in &a.tags {
        let tag = aws_sdk_sts::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .map_err(|e| e.to_string())?;
        r = r.tags(tag);
    }
    match r.send().await {
        Ok(out) => {
            let Some(c) = out.credentials() else {
                return Ok(failed("AssumeRole answered without credentials".to_string()));
            };
            if let Some(name) = &step.save {
                run.sessions.insert(
                    name.get_ref().clone(),
                    Keys {
                        access_key_id: c.access_key_id().to_string(),
                        secret: c.secret_access_key().to_string(),
                        session_token: Some(c.session_token().to_string()),
                    },
                );
            }
            Ok(ok())
        }
        Err(e) => Ok(failed(sts_error(&e))),
    }
}

fn sts_error<E, R>(err: &aws_sdk_sts::error::SdkError<E, R>) -> String
where
    E: aws_sdk_sts::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        aws_sdk_sts::error::SdkError::ServiceError(e) => {
            let meta = e.err();
            format!(
                "{}: {}",
                meta.code().unwrap_or("<no code>"),
                meta.message().unwrap_or("<no message>")
            )
        }
        other => aws_sdk_sts::error::DisplayErrorContext(other).to_string(),
    }
}

async fn caller_identity(run: &Run<'_>, step: &StepFile, a: &CallerIdentityArgs) -> Result<Outcome, String> {
    let keys = run.keys(step)?;
    let region = a.region.clone().unwrap_or_else(|| "us-east-1".to_string());
    let client = sts_client(run, keys.as_ref(), &region, a.host.as_deref());
    Ok(match client.get_caller_identity().send().await {
        Ok(_) => ok(),
        Err(e) => failed(sts_error(&e)),
    })
}

/// `*` matches any run of characters, `?` one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None, 0usize);
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

fn assert_uploads(run: &Run<'_>, a: &UploadsArgs) -> Outcome {
    let prefix = a.prefix.as_deref().unwrap_or("");
    let uploads: Vec<String> = run
        .emulator()
        .uploads()
        .list(Some(&a.bucket))
        .into_iter()
        .filter(|u| u.key.starts_with(prefix))
        .map(|u| format!("{} ({} parts)", u.key, u.parts))
        .collect();
    let mut mismatches = Vec::new();
    if uploads.len() != a.count {
        mismatches.push(Mismatch::new(
            "uploads.count",
            a.count.to_string(),
            format!("{} [{}]", uploads.len(), uploads.join(", ")),
        ));
    }
    Outcome {
        ok: true,
        mismatches,
        ..Outcome::default()
    }
}

fn assert_objects(run: &Run<'_>, a: &ObjectsArgs) -> Outcome {
    let store = run.emulator().store();
    let listed = store.list(&a.bucket, a.prefix.as_deref().unwrap_or(""), None, usize::MAX);
    let keys: Vec<String> = listed.iter().map(|m| m.key.to_string()).collect();
    let mut mismatches = Vec::new();
    let shown = || format!("[{}]", keys.join(", "));
    if let Some(n) = a.count {
        if n != keys.len() {
            mismatches.push(Mismatch::new(
                "objects.count",
                n.to_string(),
                format!("{} {}", keys.len(), shown()),
            ));
        }
    }
    if let Some(want) = &a.keys {
        let unmatched_patterns: Vec<&String> =
            want.iter().filter(|p| !keys.iter().any(|k| glob(p, k))).collect();
        let unexpected: Vec<&String> = keys.iter().filter(|k| !want.iter().any(|p| glob(p, k))).collect();
        if !unmatched_patterns.is_empty() || !unexpected.is_empty() || want.len() != keys.len() {
            mismatches.push(Mismatch::new(
                "objects.keys",
                format!("[{}]", want.join(", ")),
                shown(),
            ));
        }
    }
    if let Some(content) = &a.content {
        for k in &keys {
            let actual = match store.get(&a.bucket, k).map(|o| o.data.clone()) {
                Some(ObjectData::Memory(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
                Some(_) => "<not kept in memory>".to_string(),
                None => "<absent>".to_string(),
            };
            if &actual != content {
                mismatches.push(Mismatch::new(
                    format!("objects.content[{k}]"),
                    content.clone(),
                    actual,
                ));
            }
        }
    }
    Outcome {
        ok: true,
        mismatches,
        ..Outcome::default()
    }
}
