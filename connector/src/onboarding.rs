//! The onboarding probe: validate → assume role → put a test object → delete it, with a report of
//! every step and a [`Diagnosis`] on failure.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use aws_sdk_s3::config::{AsyncSleep, SharedAsyncSleep};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumAlgorithm;
use aws_smithy_async::time::SharedTimeSource;
use serde::Serialize;

use crate::client::{sdk_config, Destination};
use crate::config::{DestinationConfig, FindingAction, ServiceSettings};
use crate::credentials::RoleRequest;
use crate::diagnosis::{classify, Diagnosis, Evidence, Found, Operation, Phase, Target};
use crate::keys::connection_test_key;
use crate::validate::validate;

/// Longest session every role allows (STS default and role-chaining cap).
const FALLBACK_SESSION: Duration = Duration::from_secs(3600);

/// One onboarding step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Client-side validation of the input.
    Validate,
    /// `sts:AssumeRole` (role mode only).
    AssumeRole,
    /// Whether the role can be assumed without its ExternalId: AssumeRole with a
    /// random one, then with none (role mode only; [`crate::protect`]).
    ConfusedDeputyProbe,
    /// `PutObject` of the connection-test object.
    PutTestObject,
    /// `DeleteObject` of the connection-test object.
    DeleteTestObject,
    /// What large batches will need: `s3:AbortMultipartUpload` (probed with an upload
    /// id that cannot exist: 404 allowed, 403 not) and, on an SSE-KMS bucket,
    /// `kms:Decrypt` for the parts (a one-byte part of an upload that is then aborted).
    ProbeMultipart,
    /// Whether `s3:DeleteObject` is still granted: a DeleteObject of a key under the
    /// test prefix that was never written ([`crate::protect`]).
    LeastPrivilegeCheck,
}

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// It worked.
    Passed,
    /// It worked, with something to tell the customer.
    Warning,
    /// It failed; the report's diagnosis says why.
    Failed,
    /// Not run (an earlier step failed, or it does not apply).
    Skipped,
}

/// The record of one step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepReport {
    /// Which step.
    pub step: Step,
    /// How it ended.
    pub outcome: StepOutcome,
    /// Time taken on the injected clock, in milliseconds.
    pub duration_ms: u64,
    /// AWS request id of the last request, when one was answered.
    pub request_id: Option<String>,
    /// Human detail (key written, fallback taken, …).
    pub detail: Option<String>,
}

/// The overall result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every step passed.
    Passed,
    /// Every step passed; see the warnings.
    PassedWithWarnings,
    /// A step failed; see the diagnosis.
    Failed,
}

/// Everything onboarding found out.
#[derive(Clone, Debug, Serialize)]
pub struct OnboardingReport {
    /// Overall result.
    pub outcome: Outcome,
    /// Each step in order (skipped ones included).
    pub steps: Vec<StepReport>,
    /// Why it failed.
    pub diagnosis: Option<Diagnosis>,
    /// Further validation errors beyond the first.
    pub other_errors: Vec<Diagnosis>,
    /// Non-blocking findings (no ExternalId, session length fallback, versioned bucket).
    pub warnings: Vec<Diagnosis>,
    /// What protects the customer rather than the connection: a trust policy that
    /// ignores the ExternalId (`TrustPolicyIgnoresExternalId`), a delete permission
    /// that can go (`DeleteObjectStillAllowed`).
    pub findings: Vec<Diagnosis>,
    /// The connection-test object's key, once chosen.
    pub test_object_key: Option<String>,
    /// `true` once a PutObject succeeded: sync can write even if the cleanup failed.
    pub sync_ready: bool,
}

impl OnboardingReport {
    /// `true` unless a step failed.
    pub fn is_success(&self) -> bool {
        self.outcome != Outcome::Failed
    }

    /// The failure's kind, e.g. `Some("PolicyMissingPutObject")`.
    pub fn kind(&self) -> Option<&'static str> {
        self.diagnosis.as_ref().map(Diagnosis::kind)
    }

    /// The report of `step`.
    pub fn step(&self, step: Step) -> Option<&StepReport> {
        self.steps.iter().find(|s| s.step == step)
    }

    /// Adds the IAM-propagation wait, if there was one, to the warnings (a passed
    /// onboarding then passed with warnings).
    fn with_wait(mut self, wait: Option<Diagnosis>) -> Self {
        if let Some(w) = wait {
            self.warnings.insert(0, w);
            if self.outcome == Outcome::Passed {
                self.outcome = Outcome::PassedWithWarnings;
            }
        }
        self
    }
}

/// Runs the connection test against `dest`.
///
/// Never panics and never returns early without a report: every failure becomes a
/// [`Diagnosis`] on the report.
pub async fn onboard(dest: &DestinationConfig, settings: &ServiceSettings) -> OnboardingReport {
    let clock = settings.time_source();
    let mut run = Run {
        clock: clock.clone(),
        steps: Vec::new(),
        warnings: Vec::new(),
        findings: Vec::new(),
    };

    // 1. validate
    let started = clock.now();
    let validation = validate(dest, settings);
    run.warnings.extend(validation.warnings);
    let mut errors = validation.errors.into_iter();
    if let Some(first) = errors.next() {
        run.record(
            Step::Validate,
            StepOutcome::Failed,
            started,
            None,
            Some(first.summary()),
        );
        return run.finish(Some(first), errors.collect(), None, false);
    }
    let outcome = if run.warnings.is_empty() {
        StepOutcome::Passed
    } else {
        StepOutcome::Warning
    };
    run.record(Step::Validate, outcome, started, None, None);

    let sdk = sdk_config(dest, settings, settings.onboarding_max_attempts).await;
    let wait = Waiter {
        sleep: settings.runtime.wait_sleep.clone().or_else(|| sdk.sleep_impl()),
        budget: Duration::from_secs(settings.propagation_wait_seconds),
        state: std::sync::Mutex::new(WaitState::default()),
    };
    let report = onboard_with(dest, settings, &sdk, &wait, run).await;
    report.with_wait(wait.report(&Target::new(dest, settings)))
}

/// Steps 2–5, once validation passed.
async fn onboard_with(
    dest: &DestinationConfig,
    settings: &ServiceSettings,
    sdk: &aws_config::SdkConfig,
    wait: &Waiter,
    mut run: Run,
) -> OnboardingReport {
    let clock = settings.time_source();
    let target = Target::new(dest, settings);

    // 2. assume the role (role mode)
    let provider = match RoleRequest::new(dest, settings) {
        None => {
            run.skip(Step::AssumeRole, "HMAC mode");
            run.skip(Step::ConfusedDeputyProbe, "HMAC mode");
            None
        }
        Some(mut role) => {
            let started = clock.now();
            let sts = aws_sdk_sts::Client::new(sdk);
            match assume_role(&sts, &role, &target, wait).await {
                Ok(request_id) => {
                    run.record(Step::AssumeRole, StepOutcome::Passed, started, request_id, None)
                }
                Err(d) if falls_back(&d, &role) => {
                    role.duration = Some(FALLBACK_SESSION);
                    match assume_role(&sts, &role, &target, wait).await {
                        Ok(request_id) => {
                            let detail =
                                Some(format!("fell back to {} s sessions", FALLBACK_SESSION.as_secs()));
                            run.warnings.push(d);
                            run.record(
                                Step::AssumeRole,
                                StepOutcome::Warning,
                                started,
                                request_id,
                                detail,
                            );
                        }
                        Err(d2) => {
                            run.record(
                                Step::AssumeRole,
                                StepOutcome::Failed,
                                started,
                                request_id_of(&d2),
                                None,
                            );
                            run.skip(Step::PutTestObject, "assume role failed");
                            run.skip(Step::DeleteTestObject, "assume role failed");
                            return run.finish(Some(d2), Vec::new(), None, false);
                        }
                    }
                }
                Err(d) => {
                    run.record(
                        Step::AssumeRole,
                        StepOutcome::Failed,
                        started,
                        request_id_of(&d),
                        None,
                    );
                    run.skip(Step::PutTestObject, "assume role failed");
                    run.skip(Step::DeleteTestObject, "assume role failed");
                    return run.finish(Some(d), Vec::new(), None, false);
                }
            }
            // 2b. does the role insist on its ExternalId? (confused deputy)
            let started = clock.now();
            let probe = if role.web_identity_token_file.is_some() {
                None
            } else {
                crate::protect::confused_deputy(&sts, &role, &target, nonce(clock.now())).await
            };
            match probe {
                None if role.web_identity_token_file.is_some() => {
                    run.skip(
                        Step::ConfusedDeputyProbe,
                        "web identity mode: the trust policy's conditions name the service's token",
                    );
                }
                None if role.external_id.is_none() => {
                    run.skip(Step::ConfusedDeputyProbe, "no ExternalId configured");
                }
                None => run.record(
                    Step::ConfusedDeputyProbe,
                    StepOutcome::Passed,
                    started,
                    None,
                    None,
                ),
                Some(finding) if settings.confused_deputy == FindingAction::Refuse => {
                    run.record(
                        Step::ConfusedDeputyProbe,
                        StepOutcome::Failed,
                        started,
                        None,
                        Some(finding.summary()),
                    );
                    run.skip(Step::PutTestObject, "the role does not require its ExternalId");
                    run.skip(Step::DeleteTestObject, "the role does not require its ExternalId");
                    return run.finish(Some(finding), Vec::new(), None, false);
                }
                Some(finding) => {
                    run.record(
                        Step::ConfusedDeputyProbe,
                        StepOutcome::Warning,
                        started,
                        None,
                        Some(finding.summary()),
                    );
                    run.findings.push(finding);
                }
            }
            Some(role.provider(sdk).await)
        }
    };
    let destination = Destination::from_parts(dest, settings, sdk, provider);

    // 3. put the test object
    let key = connection_test_key(destination.prefix(), clock.now(), nonce(clock.now()));
    let target = target.with_key(&key);
    let started = clock.now();
    let kms = match put_test_object(&destination, &key, clock.now(), &target, wait).await {
        Ok((request_id, sse_kms)) => {
            run.record(
                Step::PutTestObject,
                StepOutcome::Passed,
                started,
                request_id,
                Some(format!("wrote `{key}`")),
            );
            sse_kms
        }
        Err(d) => {
            run.record(
                Step::PutTestObject,
                StepOutcome::Failed,
                started,
                request_id_of(&d),
                None,
            );
            run.skip(Step::ProbeMultipart, "the connection test did not pass");
            run.skip(Step::DeleteTestObject, "nothing to delete");
            return run.finish(Some(d), Vec::new(), Some(key), false);
        }
    };

    // 4. what large batches need (before the delete, so the connection test
    // ends with it, as the customer's setup guide describes)
    let started = clock.now();
    let probe_key = connection_test_key(destination.prefix(), clock.now(), nonce(clock.now()) ^ 1);
    let probe = probe_multipart(
        &destination,
        &probe_key,
        kms,
        &target.clone().with_key(&probe_key),
    )
    .await;
    let outcome = if probe.warnings.is_empty() {
        StepOutcome::Passed
    } else {
        StepOutcome::Warning
    };
    run.record(Step::ProbeMultipart, outcome, started, None, probe.detail);
    run.warnings.extend(probe.warnings);
    // 5. delete the test object
    let started = clock.now();
    let deleted = delete_test_object(&destination, &key, &target, wait).await;
    let (outcome, request_id, warning, failure) = match deleted {
        Ok((request_id, None)) => (StepOutcome::Passed, request_id, None, None),
        Ok((request_id, Some(w))) => (StepOutcome::Warning, request_id, Some(w), None),
        Err(d) => (StepOutcome::Failed, request_id_of(&d), None, Some(d)),
    };
    run.record(
        Step::DeleteTestObject,
        outcome,
        started,
        request_id,
        warning.as_ref().map(Diagnosis::summary),
    );
    let versioned = warning.is_some();
    run.warnings.extend(warning);
    if let Some(d) = failure {
        return run.finish(Some(d), Vec::new(), Some(key), true);
    }

    // 6. can s3:DeleteObject go now? (never on a versioned bucket, where even a
    // never-written key gets a delete marker)
    if !settings.least_privilege_reminder {
        run.skip(Step::LeastPrivilegeCheck, "turned off in the service's settings");
    } else if versioned {
        run.skip(Step::LeastPrivilegeCheck, "versioned bucket");
    } else {
        let started = clock.now();
        let probe_key = crate::protect::never_written_key(destination.prefix(), nonce(clock.now()));
        match crate::protect::delete_still_allowed(&destination, &probe_key).await {
            crate::protect::DeleteProbe::Refused => run.record(
                Step::LeastPrivilegeCheck,
                StepOutcome::Passed,
                started,
                None,
                Some("s3:DeleteObject is no longer granted".to_owned()),
            ),
            _ => {
                let reminder = crate::protect::delete_reminder(&target);
                run.record(
                    Step::LeastPrivilegeCheck,
                    StepOutcome::Passed,
                    started,
                    None,
                    Some(reminder.summary()),
                );
                run.findings.push(reminder);
            }
        }
    }
    run.finish(None, Vec::new(), Some(key), true)
}

/// What the multipart probe found.
struct Probe {
    warnings: Vec<Diagnosis>,
    detail: Option<String>,
}

/// An upload id that cannot exist: AbortMultipartUpload with it answers 404
/// NoSuchUpload when the caller may abort, 403 AccessDenied when it may not (S3
/// authorizes before it looks the upload up; inferred, as for DeleteObject).
const PROBE_UPLOAD_ID: &str = "push-to-warehouse-permission-probe-not-an-upload";

async fn probe_multipart(dest: &Destination, key: &str, kms: bool, target: &Target) -> Probe {
    let status_of = |e: &aws_smithy_runtime_api::http::Response| e.status().as_u16();
    let mut warnings = Vec::new();
    let aborted = dest
        .s3()
        .abort_multipart_upload()
        .bucket(dest.bucket())
        .key(key)
        .upload_id(PROBE_UPLOAD_ID)
        .set_expected_bucket_owner(dest.expected_owner().map(str::to_owned))
        .send()
        .await;
    let can_abort = match &aborted {
        Err(e) if e.raw_response().map(status_of) == Some(403) => {
            warnings.push(Diagnosis::MultipartAbortNotAllowed {
                found: Box::new(Found {
                    target: target.clone(),
                    evidence: Some(crate::diagnosis::Evidence::from_sdk_error(
                        Operation::AbortMultipartUpload,
                        e,
                    )),
                    artifact_left_behind: None,
                }),
            });
            false
        }
        _ => true,
    };
    if !kms {
        return Probe {
            warnings,
            detail: None,
        };
    }
    if !can_abort {
        return Probe {
            warnings,
            detail: Some(
                "kms:Decrypt for multipart parts not checked: a probe upload could not be aborted".into(),
            ),
        };
    }
    if let Some(d) = probe_kms_part(dest, key, target).await {
        warnings.push(d);
    }
    Probe {
        warnings,
        detail: None,
    }
}

/// A one-byte part of an upload that is aborted at once: whether the parts of an
/// SSE-KMS upload can be written (`kms:Decrypt`, M41).
async fn probe_kms_part(dest: &Destination, key: &str, target: &Target) -> Option<Diagnosis> {
    let owner = dest.expected_owner().map(str::to_owned);
    let created = dest
        .s3()
        .create_multipart_upload()
        .bucket(dest.bucket())
        .key(key)
        .set_expected_bucket_owner(owner.clone())
        .send()
        .await
        .ok()?;
    let id = created.upload_id()?.to_owned();
    let part = dest
        .s3()
        .upload_part()
        .bucket(dest.bucket())
        .key(key)
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"p"))
        .set_expected_bucket_owner(owner.clone())
        .send()
        .await;
    let _ = dest
        .s3()
        .abort_multipart_upload()
        .bucket(dest.bucket())
        .key(key)
        .upload_id(&id)
        .set_expected_bucket_owner(owner)
        .send()
        .await;
    match part {
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => {
            Some(diagnose_s3(Operation::UploadPart, &e, target, Phase::Onboarding))
        }
        _ => None,
    }
}

struct Run {
    clock: SharedTimeSource,
    steps: Vec<StepReport>,
    warnings: Vec<Diagnosis>,
    findings: Vec<Diagnosis>,
}

impl Run {
    fn record(
        &mut self,
        step: Step,
        outcome: StepOutcome,
        started: SystemTime,
        request_id: Option<String>,
        detail: Option<String>,
    ) {
        let elapsed = self.clock.now().duration_since(started).unwrap_or_default();
        let duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        self.steps.push(StepReport {
            step,
            outcome,
            duration_ms,
            request_id,
            detail,
        });
    }

    fn skip(&mut self, step: Step, why: &str) {
        self.steps.push(StepReport {
            step,
            outcome: StepOutcome::Skipped,
            duration_ms: 0,
            request_id: None,
            detail: Some(why.to_owned()),
        });
    }

    fn finish(
        self,
        diagnosis: Option<Diagnosis>,
        other_errors: Vec<Diagnosis>,
        test_object_key: Option<String>,
        sync_ready: bool,
    ) -> OnboardingReport {
        let outcome = match (&diagnosis, self.warnings.is_empty()) {
            (Some(_), _) => Outcome::Failed,
            (None, true) => Outcome::Passed,
            (None, false) => Outcome::PassedWithWarnings,
        };
        OnboardingReport {
            outcome,
            steps: self.steps,
            diagnosis,
            other_errors,
            warnings: self.warnings,
            findings: self.findings,
            test_object_key,
            sync_ready,
        }
    }
}

/// Retries the refusals IAM's eventual consistency explains (M15, M62) with
/// exponential backoff, until `budget` of waiting is spent across the whole
/// onboarding (AssumeRole and the test object share it).
struct Waiter {
    sleep: Option<SharedAsyncSleep>,
    budget: Duration,
    state: std::sync::Mutex<WaitState>,
}

#[derive(Debug, Default)]
struct WaitState {
    /// Waiting done so far (the pauses' sum: deterministic on any clock).
    waited: Duration,
    /// How the last retried refusal ended: it went away (`Some(true)`) or the
    /// budget ran out (`Some(false)`).
    cleared: Option<bool>,
}

/// The first pause; each next one doubles, up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(16);

impl Waiter {
    fn state(&self) -> std::sync::MutexGuard<'_, WaitState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn retry<T, F, Fut>(&self, mut attempt: F) -> Result<T, Diagnosis>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Diagnosis>>,
    {
        let mut pause = FIRST_PAUSE;
        let mut retried = false;
        loop {
            let d = match attempt().await {
                Ok(v) => {
                    if retried {
                        self.state().cleared = Some(true);
                    }
                    return Ok(v);
                }
                Err(d) => d,
            };
            let left = self.budget.saturating_sub(self.state().waited);
            let sleep = self
                .sleep
                .as_ref()
                .filter(|_| may_be_propagation(&d) && !left.is_zero());
            let Some(sleep) = sleep else {
                if retried {
                    self.state().cleared = Some(false);
                }
                return Err(d);
            };
            let this = pause.min(left);
            tracing::info!(
                kind = d.kind(),
                pause_ms = u64::try_from(this.as_millis()).unwrap_or(u64::MAX),
                "IAM changes take time to propagate; retrying"
            );
            sleep.sleep(this).await;
            self.state().waited += this;
            retried = true;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// The warning that says how long onboarding waited, if it waited at all.
    fn report(&self, target: &Target) -> Option<Diagnosis> {
        let state = self.state();
        (!state.waited.is_zero()).then(|| Diagnosis::WaitedForIamPropagation {
            waited_seconds: state.waited.as_secs(),
            bound_seconds: self.budget.as_secs(),
            cleared: state.cleared == Some(true),
            found: Box::new(Found {
                target: target.clone(),
                evidence: None,
                artifact_left_behind: None,
            }),
        })
    }
}

fn may_be_propagation(d: &Diagnosis) -> bool {
    matches!(
        d,
        Diagnosis::TrustPolicyDeniesAssumeRole { .. }
            | Diagnosis::ExternalIdMismatchOrMissing { .. }
            | Diagnosis::WebIdentityTrustDenies { .. }
            | Diagnosis::OidcProviderMissing { .. }
            | Diagnosis::OidcAudienceNotRegistered { .. }
            | Diagnosis::PolicyMissingPutObject { .. }
            | Diagnosis::PolicyMissingDeleteObject { .. }
            | Diagnosis::InvalidAccessKeyId { .. }
    )
}

fn falls_back(d: &Diagnosis, role: &RoleRequest) -> bool {
    let too_long = role.duration.is_some_and(|d| d > FALLBACK_SESSION);
    too_long
        && matches!(
            d,
            Diagnosis::MaxSessionDurationTooShort { .. } | Diagnosis::RoleChainingSessionLimit { .. }
        )
}

fn request_id_of(d: &Diagnosis) -> Option<String> {
    d.evidence().and_then(|e| e.request_id.clone())
}

async fn assume_role(
    sts: &aws_sdk_sts::Client,
    role: &RoleRequest,
    target: &Target,
    wait: &Waiter,
) -> Result<Option<String>, Diagnosis> {
    use aws_sdk_sts::operation::RequestId;
    let mut target = target.clone();
    if let crate::diagnosis::AuthSummary::AssumeRole { duration_seconds, .. } = &mut target.auth {
        *duration_seconds = role.duration.and_then(|d| u32::try_from(d.as_secs()).ok());
    }
    let target = &target;
    if let Some(file) = &role.web_identity_token_file {
        return assume_role_with_web_identity(sts, role, file, target, wait).await;
    }
    wait.retry(|| async move {
        match role.request(sts).send().await {
            Ok(out) => Ok(out.request_id().map(str::to_owned)),
            Err(e) => Err(classify(
                Evidence::from_sdk_error(Operation::AssumeRole, &e),
                target,
                Phase::Onboarding,
            )),
        }
    })
    .await
}

/// Web identity mode: the token file read afresh on each attempt (the platform may
/// rotate it), `sts:AssumeRoleWithWebIdentity`, and a trust denial filled in with the
/// conditions the service's token satisfies.
async fn assume_role_with_web_identity(
    sts: &aws_sdk_sts::Client,
    role: &RoleRequest,
    file: &std::path::Path,
    target: &Target,
    wait: &Waiter,
) -> Result<Option<String>, Diagnosis> {
    use aws_sdk_sts::operation::RequestId;
    wait.retry(|| async move {
        let token =
            crate::credentials::read_token(file).map_err(|e| Diagnosis::WebIdentityTokenUnreadable {
                reason: format!("{}: {e}", file.display()),
                found: Found::input(target.clone()),
            })?;
        match role.web_identity_request(sts, &token).send().await {
            Ok(out) => Ok(out.request_id().map(str::to_owned)),
            Err(e) => {
                let d = classify(
                    Evidence::from_sdk_error(Operation::AssumeRoleWithWebIdentity, &e),
                    target,
                    Phase::Onboarding,
                );
                Err(crate::credentials::with_token_claims(d, &token, &role.role_arn))
            }
        }
    })
    .await
}

/// `Ok((request id, whether the object was encrypted with SSE-KMS))`.
async fn put_test_object(
    dest: &Destination,
    key: &str,
    now: SystemTime,
    target: &Target,
    wait: &Waiter,
) -> Result<(Option<String>, bool), Diagnosis> {
    use aws_sdk_s3::operation::RequestId;
    let written = time::OffsetDateTime::from(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let body = format!("push-to-warehouse connection test\nwritten {written}\nsafe to delete\n");
    let body = &body;
    wait.retry(|| async move {
        let result = dest
            .s3()
            .put_object()
            .bucket(dest.bucket())
            .key(key)
            .body(ByteStream::from(body.clone().into_bytes()))
            .content_type("text/plain; charset=utf-8")
            // Append-only from the first write: never replace an existing object.
            .if_none_match("*")
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .set_expected_bucket_owner(dest.expected_owner().map(str::to_owned))
            .send()
            .await;
        match result {
            Ok(out) => {
                let kms = matches!(
                    out.server_side_encryption(),
                    Some(
                        aws_sdk_s3::types::ServerSideEncryption::AwsKms
                            | aws_sdk_s3::types::ServerSideEncryption::AwsKmsDsse
                    )
                );
                Ok((out.request_id().map(str::to_owned), kms))
            }
            Err(e) => Err(diagnose_s3(Operation::PutObject, &e, target, Phase::Onboarding)),
        }
    })
    .await
}

/// `Ok((request id, warning))`; the warning is set when the bucket kept a version.
async fn delete_test_object(
    dest: &Destination,
    key: &str,
    target: &Target,
    wait: &Waiter,
) -> Result<(Option<String>, Option<Diagnosis>), Diagnosis> {
    use aws_sdk_s3::operation::RequestId;
    wait.retry(|| async move {
        let result = dest
            .s3()
            .delete_object()
            .bucket(dest.bucket())
            .key(key)
            .set_expected_bucket_owner(dest.expected_owner().map(str::to_owned))
            .send()
            .await;
        match result {
            Ok(out) => {
                let warning =
                    (out.delete_marker() == Some(true)).then(|| Diagnosis::VersionedBucketKeepsTestObject {
                        found: Box::new(Found {
                            target: target.clone(),
                            evidence: None,
                            artifact_left_behind: Some(key.to_owned()),
                        }),
                    });
                Ok((out.request_id().map(str::to_owned), warning))
            }
            Err(e) => Err(diagnose_s3(
                Operation::DeleteObject,
                &e,
                target,
                Phase::Onboarding,
            )),
        }
    })
    .await
}

/// Classifies an S3 failure; when the role provider failed underneath, classifies its
/// `sts:AssumeRole` error instead.
pub(crate) fn diagnose_s3<E>(
    op: Operation,
    err: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
    target: &Target,
    phase: Phase,
) -> Diagnosis
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(sts_err) = find_web_identity_error(err) {
        return classify(
            Evidence::from_sdk_error(Operation::AssumeRoleWithWebIdentity, sts_err),
            target,
            phase,
        );
    }
    if let Some(sts_err) = find_assume_role_error(err) {
        return classify(
            Evidence::from_sdk_error(Operation::AssumeRole, sts_err),
            target,
            phase,
        );
    }
    classify(Evidence::from_sdk_error(op, err), target, phase)
}

type AssumeRoleSdkError = aws_smithy_runtime_api::client::result::SdkError<
    aws_sdk_sts::operation::assume_role::AssumeRoleError,
    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
>;

type WebIdentitySdkError = aws_smithy_runtime_api::client::result::SdkError<
    aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError,
    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
>;

fn find_web_identity_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a WebIdentitySdkError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<WebIdentitySdkError>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

fn find_assume_role_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a AssumeRoleSdkError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<AssumeRoleSdkError>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// A per-process unique nonce for connection-test keys (no extra randomness crate: std's
/// randomly seeded hasher, the clock and a counter).
fn nonce(now: SystemTime) -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        now.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_differ() {
        let t = SystemTime::UNIX_EPOCH;
        let a: std::collections::BTreeSet<u64> = (0..100).map(|_| nonce(t)).collect();
        assert_eq!(a.len(), 100);
    }
}
