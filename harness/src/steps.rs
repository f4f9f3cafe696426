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

/// Parse the step's `with` once at load time, so a typo fails before anything runs.
pub fn check_with(src: &Source, step: &StepFile) -> Result<(), FileError> {
    let kind = step.kind.get_ref().as_str();
    let needs_actor = kind.starts_with("s3.") || kind.starts_with("sts.") || kind == "raw";
    if needs_actor && step.actor.is_none() {
        return Err(src.error_in(
            &step.id,
            format!(
                "step `{}` ({kind}) needs `as = ...`: `account/user`, `session:<name>` or `anonymous`",
                step.id.get_ref()
            ),
        ));
    }
    let at = |msg: String| match &step.with {
        Some(w) => src.error_in(w, msg),
        None => src.error_in(&step.id, msg),
    };
    match kind {
        "s3.put_object" | "s3.delete_object" | "s3.get_object" | "s3.head_object" | "s3.list_objects" => {
            let a: S3Args = with_args(src, step)?;
            if kind != "s3.list_objects" && a.key.is_none() {
                return Err(at(format!("step `{}`: `{kind}` needs `key`", step.id.get_ref())));
            }
            if let Some(c) = &a.checksum {
                if !["crc32", "sha256", "none"].contains(&c.as_str()) {
                    return Err(at(format!("checksum `{c}` must be crc32, sha256 or none")));
                }
            }
        }
        "sts.assume_role" => {
            let _: AssumeRoleArgs = with_args(src, step)?;
        }
        "sts.get_caller_identity" => {
            let _: CallerIdentityArgs = with_args(src, step)?;
        }
        "clock.advance" => {
            let a: AdvanceArgs = with_args(src, step)?;
            if parse_duration(&a.by).is_none_or(|s| s < 0) {
                return Err(at(format!(
                    "`by = \"{}\"` is not a duration like `1h`, `15m`, `1h30m`",
                    a.by
                )));
            }
        }
        "clock.set" => {
            let a: SetArgs = with_args(src, step)?;
            if rfc3339(&a.to).is_none() {
                return Err(at(format!("`to = \"{}\"` is not an RFC 3339 time", a.to)));
            }
        }
        "fault.add" => {
            let _: FaultRule = with_args(src, step)?;
        }
        "fault.clear" => {
            let _: NoArgs = with_args(src, step)?;
        }
        "assert.objects" => {
            let _: ObjectsArgs = with_args(src, step)?;
        }
        "world.edit" => {
            let a: crate::edit::EditArgs = with_args(src, step)?;
            a.validate().map_err(at)?;
        }
        "raw" => {
            let a: crate::raw::RawArgs = with_args(src, step)?;
            a.validate().map_err(at)?;
        }
        "connector.onboard" | "connector.sync" => crate::connector::check_with(src, step)?,
        _ => {}
    }
    Ok(())
}

fn rfc3339(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Run one step.
pub async fn execute(run: &mut Run<'_>, step: &StepFile) -> Result<Outcome, String> {
    let src = &run.scenario.source;
    let args_err = |e: FileError| e.to_string();
    match step.kind.get_ref().as_str() {
        "s3.put_object" | "s3.delete_object" | "s3.get_object" | "s3.head_object" | "s3.list_objects" => {
            let a: S3Args = with_args(src, step).map_err(args_err)?;
            s3_step(run, step, &a).await
        }
        "sts.assume_role" => {
            let a: AssumeRoleArgs = with_args(src, step).map_err(args_err)?;
            assume_role(run, step, &a).await
        }
        "sts.get_caller_identity" => {
            let a: CallerIdentityArgs = with_args(src, step).map_err(args_err)?;
            caller_identity(run, step, &a).await
        }
        "clock.advance" => {
            let a: AdvanceArgs = with_args(src, step).map_err(args_err)?;
            let secs = parse_duration(&a.by).unwrap_or(0).max(0);
            run.clock
                .advance(Duration::from_secs(secs.unsigned_abs()))
                .map_err(|e| e.to_string())?;
            Ok(ok())
        }
        "clock.set" => {
            let a: SetArgs = with_args(src, step).map_err(args_err)?;
            let to = rfc3339(&a.to).ok_or_else(|| format!("`{}` is not an RFC 3339 time", a.to))?;
            run.clock.set(to).map_err(|e| e.to_string())?;
            Ok(ok())
        }
        "fault.add" => {
            let rule: FaultRule = with_args(src, step).map_err(args_err)?;
            run.emulator().faults().add(rule);
            Ok(ok())
        }
        "fault.clear" => {
            run.emulator().faults().clear();
            Ok(ok())
        }
        "assert.objects" => {
            let a: ObjectsArgs = with_args(src, step).map_err(args_err)?;
            Ok(assert_objects(run, &a))
        }
        "world.edit" => {
            let a: crate::edit::EditArgs = with_args(src, step).map_err(args_err)?;
            crate::edit::apply(run, &a)?;
            Ok(ok())
        }
        "raw" => {
            let a: crate::raw::RawArgs = with_args(src, step).map_err(args_err)?;
            let keys = run.keys(step)?;
            crate::raw::send(run, keys, &a).await
        }
        "connector.onboard" => crate::connector::onboard(run, step).await,
        "connector.sync" => crate::connector::sync(run, step).await,
        other => Err(format!("unknown step kind `{other}`")),
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

/// An S3 client for the emulator: path-style, the emulator's clock, no retries (one
/// step, one request), and the SDK's default CRC32 checksums unless `checksum` says.
pub fn s3_client(
    run: &Run<'_>,
    keys: Option<&Keys>,
    region: &str,
    host: Option<&str>,
    checksum: Option<&str>,
) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(region.to_string()))
        .endpoint_url(endpoint_url(run, host))
        .force_path_style(true)
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

async fn s3_step(run: &mut Run<'_>, step: &StepFile, a: &S3Args) -> Result<Outcome, String> {
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
        a.checksum.as_deref(),
    );
    let key = a.key.clone().unwrap_or_default();
    let result: Result<(), String> = match step.kind.get_ref().as_str() {
        "s3.put_object" => {
            let body = a.body.clone().unwrap_or_default();
            let mut r = client
                .put_object()
                .bucket(&a.bucket)
                .key(&key)
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
                Ok(out) => {
                    if let (Some(name), Some(v)) = (&step.save, out.version_id()) {
                        run.versions.insert(name.get_ref().clone(), v.to_string());
                    }
                    Ok(())
                }
                Err(e) => Err(sdk_error(&e)),
            }
        }
        "s3.delete_object" => {
            let mut r = client
                .delete_object()
                .bucket(&a.bucket)
                .key(&key)
                .set_version_id(a.version_id.clone())
                .set_expected_bucket_owner(a.expected_bucket_owner.clone());
            if a.request_payer {
                r = r.request_payer(aws_sdk_s3::types::RequestPayer::Requester);
            }
            r.send().await.map(|_| ()).map_err(|e| sdk_error(&e))
        }
        "s3.get_object" => {
            let r = client
                .get_object()
                .bucket(&a.bucket)
                .key(&key)
                .set_version_id(a.version_id.clone())
                .set_expected_bucket_owner(a.expected_bucket_owner.clone())
                .send()
                .await;
            match r {
                Ok(out) => out.body.collect().await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(sdk_error(&e)),
            }
        }
        "s3.head_object" => client
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

fn assert_objects(run: &Run<'_>, a: &ObjectsArgs) -> Outcome {
    let store = run.emulator().store();
    let listed = store.list(&a.bucket, a.prefix.as_deref().unwrap_or(""), None, usize::MAX);
    let keys: Vec<String> = listed.iter().map(|m| m.key.clone()).collect();
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
