//! Running a scenario: start an emulator on `127.0.0.1:0` with the scenario's world and
//! a manual clock, run the steps in order, check each against its expectation, and
//! stop at the first step that does not match.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_smithy_async::time::{SharedTimeSource, TimeSource};
use emulator::log::LogEntry;
use emulator::{Clock, Config, Emulator, ManualClock, Running};

use crate::expect::{check, Mismatch};
use crate::report::{ScenarioReport, StepReport, StepStatus};
use crate::scenario::{Actor, Scenario, StepFile};
use crate::steps;

/// Where the clock starts when the world does not say (`now`).
pub use testkit::DEFAULT_START;

/// The SDK's clock, reading the emulator's [`ManualClock`]: signing dates and the
/// expiry of cached credentials follow `clock.advance`, never the machine's clock.
/// `offset_seconds` models a client host whose clock is off.
#[derive(Debug, Clone)]
pub struct EmulatorTime {
    /// The emulator's clock.
    pub clock: Arc<ManualClock>,
    /// How far the client's clock is off (negative: behind).
    pub offset_seconds: i64,
}

impl TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        let now = SystemTime::from(self.clock.now());
        let by = Duration::from_secs(self.offset_seconds.unsigned_abs());
        if self.offset_seconds >= 0 {
            now + by
        } else {
            now - by
        }
    }
}

/// A sleep that advances the emulator's clock and returns at once: the connector's
/// own waits (IAM propagation) pass in simulated time, so a scenario's minute of
/// retrying costs no wall-clock time and the emulator sees the minute go by.
#[derive(Debug, Clone)]
pub struct ClockSleep(pub Arc<ManualClock>);

impl aws_smithy_async::rt::sleep::AsyncSleep for ClockSleep {
    fn sleep(&self, duration: Duration) -> aws_smithy_async::rt::sleep::Sleep {
        // Advancing a manual clock cannot fail; a clock that refused would leave
        // the wait at zero length, which the retry bound still ends.
        let _ = self.0.advance(duration);
        aws_smithy_async::rt::sleep::Sleep::new(std::future::ready(()))
    }
}

/// Credentials a step acts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// Access key id.
    pub access_key_id: String,
    /// Secret.
    pub secret: String,
    /// Session token (temporary credentials).
    pub session_token: Option<String>,
}

/// What one step produced, before it is compared with its expectation.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Whether the step succeeded.
    pub ok: bool,
    /// A one-line description of the failure (an SDK error, a diagnosis summary).
    pub detail: Option<String>,
    /// Connector steps: the diagnosis kind.
    pub error_kind: Option<String>,
    /// Connector steps: the remediation shown to the customer.
    pub remediation: Option<String>,
    /// Connector steps: warning kinds.
    pub warnings: Vec<String>,
    /// Connector steps: finding kinds (`TrustPolicyIgnoresExternalId`, `DeleteObjectStillAllowed`).
    pub findings: Vec<String>,
    /// The requests the emulator logged while the step ran, oldest first.
    pub entries: Vec<LogEntry>,
    /// Checks the step made itself (`assert.objects`).
    pub mismatches: Vec<Mismatch>,
}

/// A scenario being run: the emulator, its clock, and the sessions saved so far.
#[derive(Debug)]
pub struct Run<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The emulator on its port.
    pub running: Running,
    /// The clock the emulator and every SDK client read.
    pub clock: Arc<ManualClock>,
    /// Credentials saved by `sts.assume_role` steps (`save = "name"`).
    pub sessions: HashMap<String, Keys>,
    /// Version ids saved by `s3.put_object` steps (`save = "name"`).
    pub versions: HashMap<String, String>,
}

impl Run<'_> {
    /// The emulator.
    pub fn emulator(&self) -> &Arc<Emulator> {
        &self.running.emulator
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.running.endpoint
    }

    /// The SDK time source for this run.
    pub fn time_source(&self) -> SharedTimeSource {
        SharedTimeSource::new(EmulatorTime {
            clock: self.clock.clone(),
            offset_seconds: 0,
        })
    }

    /// The credentials of `as`; `None` for anonymous.
    pub fn keys(&self, step: &StepFile) -> Result<Option<Keys>, String> {
        let Some(actor) = &step.actor else {
            return Err("this step needs `as = ...` (who acts)".to_string());
        };
        match actor.get_ref() {
            Actor::Keys(k) => Ok(Some(Keys {
                access_key_id: k.access_key_id.clone(),
                secret: k.secret.clone(),
                session_token: k.session_token.clone(),
            })),
            Actor::Named(name) if name == "anonymous" => Ok(None),
            Actor::Named(name) => {
                if let Some(session) = name.strip_prefix("session:") {
                    return self.sessions.get(session).cloned().map(Some).ok_or_else(|| {
                        format!("no session `{session}`: an earlier sts.assume_role step must `save = \"{session}\"`")
                    });
                }
                self.user_keys(name).map(Some)
            }
        }
    }

    /// The first active key of `account/user` (else its first key, so a deactivated
    /// key is still sent), looked up in the current world, then in the initial one (a
    /// user deleted mid-scenario keeps its old keys).
    pub fn user_keys(&self, name: &str) -> Result<Keys, String> {
        let (account, user) = name
            .split_once('/')
            .ok_or_else(|| format!("`{name}` must be `account/user`"))?;
        let current = self.emulator().newest_world();
        for world in [&*current, &self.scenario.world] {
            let Some(acct) = world.account(account) else {
                continue;
            };
            let Some(u) = world.user(&acct.id, user) else {
                continue;
            };
            let key = u
                .access_keys
                .iter()
                .find(|k| k.status == emulator::world::KeyStatus::Active)
                .or_else(|| u.access_keys.first())
                .ok_or_else(|| format!("user `{name}` has no access keys"))?;
            return Ok(Keys {
                access_key_id: key.id.clone(),
                secret: key.secret.clone(),
                session_token: None,
            });
        }
        Err(format!("unknown user `{name}`"))
    }
}

/// Run a scenario on the current tokio runtime. `explain` keeps every logged request
/// and its decision in the report.
pub async fn run(scenario: &Scenario, explain: bool) -> ScenarioReport {
    let started = Instant::now();
    let mut report = ScenarioReport::new(scenario);
    let start = scenario.world.now.unwrap_or(DEFAULT_START);
    let clock = Arc::new(ManualClock::new(start));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let emu = Arc::new(Emulator::new(
        Config::default(),
        scenario.world.clone(),
        dyn_clock,
    ));
    let running = match emulator::spawn(emu).await {
        Ok(r) => r,
        Err(e) => {
            report.error = Some(format!("cannot start the emulator: {e}"));
            report.duration = started.elapsed();
            return report;
        }
    };
    let mut run = Run {
        scenario,
        running,
        clock,
        sessions: HashMap::new(),
        versions: HashMap::new(),
    };
    let mut failed = false;
    for (step, action) in scenario.file.steps.iter().zip(&scenario.actions) {
        let line = scenario.source.line_col(step.span().start).0;
        let s = step.get_ref();
        let mut sr = StepReport {
            id: s.id.get_ref().clone(),
            kind: s.kind.get_ref().clone(),
            line,
            status: StepStatus::Skipped,
            mismatches: Vec::new(),
            outcome: None,
            explain: Vec::new(),
            duration: Duration::ZERO,
        };
        if failed {
            report.steps.push(sr);
            continue;
        }
        let t = Instant::now();
        let seq = run.emulator().log().next_seq();
        let mut outcome = match steps::execute(&mut run, s, action).await {
            Ok(o) => o,
            Err(e) => Outcome {
                ok: false,
                detail: Some(e),
                ..Outcome::default()
            },
        };
        outcome.entries = run
            .emulator()
            .log()
            .recent(usize::MAX, Some(seq.saturating_sub(1)));
        let expect = s.expect.as_ref().map(|e| e.get_ref().clone()).unwrap_or_default();
        let mut mismatches = std::mem::take(&mut outcome.mismatches);
        mismatches.extend(check(&expect, &outcome));
        sr.duration = t.elapsed();
        sr.status = if mismatches.is_empty() {
            StepStatus::Passed
        } else {
            failed = true;
            StepStatus::Failed
        };
        if explain || failed {
            sr.explain = crate::report::explain_entries(&outcome.entries);
        }
        sr.mismatches = mismatches;
        sr.outcome = Some(outcome);
        report.steps.push(sr);
    }
    if let Err(e) = run.running.shutdown().await {
        report
            .error
            .get_or_insert_with(|| format!("emulator shutdown: {e}"));
    }
    report.duration = started.elapsed();
    report
}

/// Run a scenario on a fresh single-threaded runtime (what each test trial does).
pub fn run_blocking(scenario: &Scenario, explain: bool) -> ScenarioReport {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt.block_on(run(scenario, explain)),
        Err(e) => {
            let mut report = ScenarioReport::new(scenario);
            report.error = Some(format!("cannot start a tokio runtime: {e}"));
            report
        }
    }
}
