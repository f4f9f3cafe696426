//! `connector.onboard` and `connector.sync`: the real connector (`connector::onboard`,
//! `connector::AppendWriter`) pointed at the scenario's emulator, on its clock.
//!
//! `with` holds what the customer typed in onboarding (bucket, region, prefix, role ARN
//! and ExternalId, or an access key) plus the few service settings scenarios vary
//! (session tags, SourceIdentity, session length). `as` names the service's own
//! identity, whose keys are the base credentials for `sts:AssumeRole` in role mode.

use std::collections::BTreeMap;

use connector::config::{Auth, ExpectedBucketOwner, Secret};
use connector::format::{Encoding, Format};
use connector::keys::BatchId;
use connector::{AppendWriter, DestinationConfig, Diagnosis, ServiceSettings};
use emulator::world::{FileError, Source};
use serde::Deserialize;

use aws_smithy_async::rt::sleep::SharedAsyncSleep;
use aws_smithy_async::time::SharedTimeSource;

use crate::expect::mask;
use crate::run::{ClockSleep, EmulatorTime, Outcome, Run};
use crate::scenario::{parse_duration, with_args, StepFile};
use crate::steps::{bucket_region, endpoint_url, http_client};

/// Arguments of `connector.onboard` and `connector.sync`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorArgs {
    /// The bucket field, as typed.
    pub bucket: String,
    /// The region field, as typed (default: the bucket's region in the world).
    #[serde(default)]
    pub region: Option<String>,
    /// The prefix field.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Role mode: the role ARN field.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Role mode: the ExternalId the service issued.
    #[serde(default)]
    pub external_id: Option<String>,
    /// HMAC mode: the access key id field.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// HMAC mode: the secret field.
    #[serde(default)]
    pub secret_access_key: Option<String>,
    /// HMAC mode: take the key of this world user (`account/user`), as pasted.
    #[serde(default)]
    pub hmac_user: Option<String>,
    /// Service setting: session tags passed on AssumeRole.
    #[serde(default)]
    pub session_tags: BTreeMap<String, String>,
    /// Service setting: `SourceIdentity` passed on AssumeRole.
    #[serde(default)]
    pub source_identity: Option<String>,
    /// Service setting: `DurationSeconds` requested.
    #[serde(default)]
    pub duration_seconds: Option<u32>,
    /// Service setting: `x-amz-expected-bucket-owner`: `role_account` (default), `off`,
    /// or an account id.
    #[serde(default)]
    pub expected_bucket_owner: Option<String>,
    /// The endpoint host the service calls (resolves to the emulator).
    #[serde(default)]
    pub host: Option<String>,
    /// Service setting: address the bucket as `BUCKET.host` instead of path-style.
    #[serde(default)]
    pub virtual_hosted: bool,
    /// Service setting: how long onboarding keeps retrying refusals IAM propagation
    /// explains (`0s` reports at once; default the connector's 60 s). The waits
    /// advance the emulator's clock.
    #[serde(default)]
    pub propagation_wait: Option<String>,
    /// The service host's clock is off by this much (`-20m`, `16m`): its SDK signs
    /// and names objects with the emulator's clock plus this offset.
    #[serde(default)]
    pub clock_offset: Option<String>,
    /// `connector.sync`: the stream name (default `orders`).
    #[serde(default)]
    pub stream: Option<String>,
    /// `connector.sync`: the records of each batch (default `[{ id = n }]`).
    #[serde(default)]
    pub records: Option<Vec<serde_json::Value>>,
    /// `connector.sync`: how many batches to append (default 1).
    #[serde(default)]
    pub batches: Option<u64>,
    /// `connector.sync`: name batches by sequence number from here (`BatchId::sequence`);
    /// by default batches are named by a hash of their content, the connector's default.
    #[serde(default)]
    pub first_batch: Option<u64>,
    /// `connector.sync`: pad each batch with one filler record to at least this many
    /// MiB, so it crosses the connector's multipart threshold (8 MiB).
    #[serde(default)]
    pub batch_mib: Option<u64>,
    /// `connector.sync`: run the least-privilege reminder after the batches, as
    /// `connector sync` does at most once a day (an extra DeleteObject of a key that
    /// was never written); its finding is `DeleteObjectStillAllowed`.
    #[serde(default)]
    pub reminder: bool,
    /// Service setting: what a role that ignores its ExternalId does to onboarding,
    /// `warn` (default) or `refuse`.
    #[serde(default)]
    pub confused_deputy: Option<connector::config::FindingAction>,
    /// Web identity mode: the service's identity is an OIDC ID token the world's
    /// provider signs (minted into a token file); the role is assumed with
    /// `sts:AssumeRoleWithWebIdentity`. Replaces `as`.
    #[serde(default)]
    pub web_identity: Option<WebIdentityArgs>,
}

/// The service's web identity token: which provider signs it, and its claims.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebIdentityArgs {
    /// The provider's issuer URL (`https://accounts.google.com`), as in `[[oidc_providers]]`.
    pub issuer: String,
    /// The token's claims (`sub`, `aud`, `azp`, …); `iss`, `iat` and `exp` are filled in.
    #[serde(default)]
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// Sign with this key id (default: the provider's first; one it does not publish
    /// is a key STS cannot fetch).
    #[serde(default)]
    pub kid: Option<String>,
    /// `exp` this long after the scenario's now (default `1h`; `-5m` is already expired).
    #[serde(default)]
    pub expires_in: Option<String>,
}

/// A minted token's file, removed when the step ends.
struct TokenFile(std::path::PathBuf);

impl Drop for TokenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Mint the step's token into a fresh file.
fn token_file(run: &Run<'_>, w: &WebIdentityArgs) -> Result<TokenFile, String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut claims = w.claims.clone();
    let lifetime = match &w.expires_in {
        Some(e) => {
            parse_duration(e).ok_or_else(|| format!("expires_in `{e}` is not a duration like `1h`"))?
        }
        None => 3600,
    };
    let now = emulator::Clock::now(&*run.clock).unix_timestamp();
    claims
        .entry("exp")
        .or_insert_with(|| serde_json::Value::from(now + lifetime));
    let token = run
        .emulator()
        .mint_web_identity_token(&w.issuer, w.kid.as_deref(), claims)?;
    let path = std::env::temp_dir().join(format!(
        "harness-web-identity-{}-{}.jwt",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, token).map_err(|e| format!("token file {}: {e}", path.display()))?;
    Ok(TokenFile(path))
}

impl ConnectorArgs {
    fn check(&self) -> Result<(), String> {
        if self.batch_mib.is_some_and(|m| m > 64) {
            return Err("`batch_mib` is at most 64: batches are built in memory".into());
        }
        if let Some(o) = &self.clock_offset {
            if parse_duration(o).is_none() {
                return Err(format!("clock_offset `{o}` is not a duration like `-20m`"));
            }
        }
        if let Some(e) = self.web_identity.as_ref().and_then(|w| w.expires_in.as_ref()) {
            if parse_duration(e).is_none() {
                return Err(format!(
                    "web_identity.expires_in `{e}` is not a duration like `1h`"
                ));
            }
        }
        if self.web_identity.is_some() && self.role_arn.is_none() {
            return Err("`web_identity` is role mode: give `role_arn`".into());
        }
        let role = self.role_arn.is_some() || self.external_id.is_some();
        let hmac =
            self.access_key_id.is_some() || self.secret_access_key.is_some() || self.hmac_user.is_some();
        match (role, hmac) {
            (true, true) => {
                Err("give either `role_arn` (role mode) or an access key (HMAC mode), not both".into())
            }
            (false, false) => {
                Err("give `role_arn` (role mode) or `access_key_id`/`hmac_user` (HMAC mode)".into())
            }
            _ if self.hmac_user.is_some()
                && (self.access_key_id.is_some() || self.secret_access_key.is_some()) =>
            {
                Err("`hmac_user` takes the user's key; do not also give `access_key_id`".into())
            }
            _ if self.access_key_id.is_some() != self.secret_access_key.is_some() => {
                Err("`access_key_id` and `secret_access_key` go together".into())
            }
            _ => Ok(()),
        }
    }
}

/// Parse and check a connector step's `with` at load time.
pub fn parse_args(src: &Source, step: &StepFile) -> Result<ConnectorArgs, FileError> {
    let a: ConnectorArgs = with_args(src, step)?;
    a.check().map_err(|m| match &step.with {
        Some(w) => src.error_in(w, format!("step `{}`: {m}", step.id.get_ref())),
        None => src.error_in(&step.id, format!("step `{}`: {m}", step.id.get_ref())),
    })?;
    if a.web_identity.is_some() && step.actor.is_some() {
        return Err(src.error_in(
            &step.id,
            format!(
                "step `{}`: with `web_identity` the token is the service's identity: drop `as`",
                step.id.get_ref()
            ),
        ));
    }
    if a.role_arn.is_some() && a.web_identity.is_none() && step.actor.is_none() {
        return Err(src.error_in(
            &step.id,
            format!(
                "step `{}`: role mode needs `as = ...`, the service identity that calls sts:AssumeRole",
                step.id.get_ref()
            ),
        ));
    }
    Ok(a)
}

/// The destination and settings a step describes.
fn destination(
    run: &Run<'_>,
    step: &StepFile,
    a: &ConnectorArgs,
) -> Result<(DestinationConfig, ServiceSettings, Option<TokenFile>), String> {
    let auth = match (&a.role_arn, &a.hmac_user, &a.access_key_id) {
        (Some(arn), _, _) => Auth::AssumeRole {
            role_arn: arn.clone(),
            external_id: a.external_id.clone(),
        },
        (None, Some(user), _) => {
            let k = run.user_keys(user)?;
            Auth::Hmac {
                access_key_id: k.access_key_id,
                secret_access_key: Secret::new(k.secret),
            }
        }
        (None, None, Some(id)) => Auth::Hmac {
            access_key_id: id.clone(),
            secret_access_key: Secret::new(a.secret_access_key.clone().unwrap_or_default()),
        },
        (None, None, None) => return Err("no role ARN and no access key".into()),
    };
    let dest = DestinationConfig {
        bucket: a.bucket.clone(),
        region: a.region.clone().unwrap_or_else(|| bucket_region(run, &a.bucket)),
        prefix: a.prefix.clone(),
        auth,
    };
    let offset = match &a.clock_offset {
        Some(o) => {
            parse_duration(o).ok_or_else(|| format!("clock_offset `{o}` is not a duration like `-20m`"))?
        }
        None => 0,
    };
    let time = SharedTimeSource::new(EmulatorTime {
        clock: run.clock.clone(),
        offset_seconds: offset,
    });
    let mut settings = ServiceSettings::default()
        .with_endpoint_url(endpoint_url(run, a.host.as_deref()))
        .with_virtual_hosted(a.virtual_hosted)
        .with_wait_sleep(SharedAsyncSleep::new(ClockSleep(run.clock.clone())))
        .with_time_source(time)
        .with_http_client(http_client());
    if step.actor.is_some() {
        if let Some(k) = run.keys(step)? {
            settings = settings.with_static_credentials(k.access_key_id, k.secret, k.session_token);
        }
    }
    if let Some(w) = &a.propagation_wait {
        let s = parse_duration(w)
            .ok_or_else(|| format!("propagation_wait `{w}` is not a duration like `30s`"))?;
        settings.propagation_wait_seconds =
            u64::try_from(s).map_err(|_| format!("propagation_wait `{w}` is negative"))?;
    }
    settings.session_tags = a.session_tags.clone();
    settings.source_identity = a.source_identity.clone();
    settings.session_duration_seconds = a.duration_seconds;
    if let Some(action) = a.confused_deputy {
        settings.confused_deputy = action;
    }
    settings.expected_bucket_owner = match a.expected_bucket_owner.as_deref() {
        None | Some("role_account") => ExpectedBucketOwner::RoleAccount,
        Some("off") => ExpectedBucketOwner::Off,
        Some(id) => ExpectedBucketOwner::Account(id.to_string()),
    };
    let token = match &a.web_identity {
        Some(w) => {
            let file = token_file(run, w)?;
            settings = settings.with_web_identity_token_file(&file.0);
            Some(file)
        }
        None => None,
    };
    // Retries stay (the connector's behaviour is under test) but back off briefly:
    // scenarios wait on the wall clock only for the SDK's backoff sleeps.
    settings.retry_initial_backoff_ms = 1;
    Ok((dest, settings, token))
}

fn failure(d: &Diagnosis) -> Outcome {
    Outcome {
        ok: false,
        detail: Some(mask(&d.to_string())),
        error_kind: Some(d.kind().to_string()),
        remediation: Some(mask(&d.remediation())),
        ..Outcome::default()
    }
}

/// Run `connector.onboard`.
pub async fn onboard(run: &mut Run<'_>, step: &StepFile, a: &ConnectorArgs) -> Result<Outcome, String> {
    let (dest, settings, _token) = destination(run, step, a)?;
    let report = connector::onboard(&dest, &settings).await;
    let warnings: Vec<String> = report.warnings.iter().map(|w| w.kind().to_string()).collect();
    let mut outcome = match &report.diagnosis {
        Some(d) if !report.is_success() => failure(d),
        _ => Outcome {
            ok: report.is_success(),
            ..Outcome::default()
        },
    };
    if outcome.remediation.is_none() {
        outcome.remediation = report.warnings.first().map(|w| mask(&w.remediation()));
    }
    outcome.warnings = warnings;
    outcome.findings = report.findings.iter().map(|f| f.kind().to_string()).collect();
    Ok(outcome)
}

/// `records` plus one `{"filler": "…"}` record bringing the batch to at least `mib` MiB.
fn pad(mut records: Vec<serde_json::Value>, mib: Option<u64>) -> Vec<serde_json::Value> {
    if let Some(mib) = mib {
        let bytes = usize::try_from(mib)
            .unwrap_or(usize::MAX / 2)
            .saturating_mul(1 << 20);
        records.push(serde_json::json!({ "filler": "x".repeat(bytes) }));
    }
    records
}

/// Run `connector.sync`: append `batches` batches to `stream`, stopping at the first
/// failure.
pub async fn sync(run: &mut Run<'_>, step: &StepFile, a: &ConnectorArgs) -> Result<Outcome, String> {
    let (dest, settings, _token) = destination(run, step, a)?;
    let encoding = Encoding {
        format: Format::JsonLines,
        gzip: false,
    };
    let writer = match AppendWriter::new(&dest, &settings, encoding).await {
        Ok(w) => w,
        Err(d) => return Ok(failure(&d)),
    };
    let stream = a.stream.clone().unwrap_or_else(|| "orders".to_string());
    let first = a.first_batch.unwrap_or(1);
    for n in first..first + a.batches.unwrap_or(1) {
        let records = a
            .records
            .clone()
            .unwrap_or_else(|| vec![serde_json::json!({ "id": n })]);
        let records = pad(records, a.batch_mib);
        let id = a.first_batch.map(|_| BatchId::sequence(n));
        if let Err(e) = writer.append(&stream, &records, id).await {
            return Ok(Outcome {
                ok: false,
                detail: Some(mask(&e.to_string())),
                error_kind: Some(e.kind().to_string()),
                remediation: e.diagnosis().map(|d| mask(&d.remediation())),
                ..Outcome::default()
            });
        }
    }
    // The least-privilege reminder, as the first sync of a day runs it.
    let finding = if a.reminder {
        writer
            .delete_reminder(&connector::sync::ReminderState::default())
            .await
            .0
    } else {
        None
    };
    Ok(Outcome {
        ok: true,
        findings: finding.iter().map(|f| f.kind().to_string()).collect(),
        ..Outcome::default()
    })
}
