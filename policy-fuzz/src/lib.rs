//! The differential policy fuzzer behind `harness fuzz`: the emulator's
//! authorization against an independent reference model, and metamorphic
//! relations. (Not the libFuzzer targets in `fuzz/`, which fuzz the parsers.)
//!
//! Each case is a generated world ([`gen`]) and the requests sent to it. Every
//! request is answered twice: by the emulator, and by an independent reference
//! model of AWS's logic ([`model`]). Every world is also changed by one
//! metamorphic relation ([`relations`]) and the requests sent again: reordering
//! statements or policies, renaming Sids, changing the case of action names or
//! condition keys, or reshaping the JSON must not change a decision; adding an
//! `Allow` never turns an explicit deny into an allow, adding a `Deny` never
//! turns a deny into an allow. Any disagreement is shrunk ([`shrink`]) and written
//! as a scenario file ([`write`]) whose last step expects the model's answer.
//!
//! Two modes:
//! - `inprocess`: the emulator's own post-authentication path
//!   ([`emulator::direct`]), for volume;
//! - `http`: an emulator per worker on `127.0.0.1:0`, requests signed with the
//!   `aws-sigv4` crate over keep-alive connections, worlds swapped through the
//!   admin API (`PUT /_emulator/world`), decisions read from the request log.
//!
//! # Layout
//!
//! - [`gen`]: the seeded generator and the abstract world.
//! - [`model`]: the reference model.
//! - [`relations`]: the metamorphic relations.
//! - [`shrink`]: greedy shrinking of a disagreement.
//! - [`write`]: policies as JSON, worlds as world files, scenario files.
//! - [`coverage`]: what the cases exercised.

pub mod coverage;
pub mod gen;
pub mod model;
pub mod relations;
pub mod shrink;
pub mod write;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest};
use bytes::Bytes;
use emulator::authn::Caller as EmuCaller;
use emulator::emulator::Session as EmuSession;
use emulator::protocol::codes::Service;
use emulator::{Clock, Config, Emulator, ManualClock, Running};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use coverage::Coverage;
use gen::{account_id, Assume, Caller, Case, Focus, Op, Request, Rng, World};
use model::{Answer, Decision, Who};
use relations::Relation;
use testkit::http::{encode_key, encode_pairs};

/// How requests reach the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// The emulator's post-authentication decision path, called directly.
    #[default]
    Inprocess,
    /// Signed HTTP requests to emulators on `127.0.0.1`.
    Http,
    /// No emulator: each request is answered by the model alone and nothing is
    /// compared. The side-by-side baseline of the throughput benchmark
    /// (`policy-fuzz/benches/fuzz.rs`): what the generator and the model cost. Not
    /// offered on the command line, where it would look like a clean run.
    #[value(skip)]
    ModelOnly,
}

impl Mode {
    /// As the CLI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inprocess => "inprocess",
            Self::Http => "http",
            Self::ModelOnly => "model-only",
        }
    }

    /// Concurrent workers when none are asked for: one per CPU in process; over
    /// HTTP four per CPU, so the emulator's side always has requests in flight.
    pub fn default_workers(self) -> usize {
        let cpus = std::thread::available_parallelism().map_or(2, usize::from);
        match self {
            Self::Http => 4 * cpus,
            Self::Inprocess | Self::ModelOnly => cpus,
        }
    }

    /// Requests per world when none are asked for: in process, loading a world
    /// costs about as much as 60 requests, so more requests share each; over HTTP
    /// the world swap is one request among many anyway.
    pub fn default_per_world(self) -> usize {
        match self {
            Self::Http => 32,
            Self::Inprocess | Self::ModelOnly => 128,
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The seed; case `n` of a seed is always the same world.
    pub seed: u64,
    /// Stop after this many cases (worlds).
    pub cases: Option<u64>,
    /// Stop after this long.
    pub time: Option<Duration>,
    /// Mode.
    pub mode: Mode,
    /// Generator focus.
    pub focus: Focus,
    /// Where to write scenario files for disagreements.
    pub out: Option<PathBuf>,
    /// Concurrent workers.
    pub workers: usize,
    /// Requests per world.
    pub per_world: usize,
    /// Apply a metamorphic relation to every world.
    pub relations: bool,
    /// Print a progress line.
    pub progress: bool,
    /// How many distinct disagreements to shrink and write.
    pub max_reports: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: 1,
            cases: Some(100),
            time: None,
            mode: Mode::Inprocess,
            focus: Focus::All,
            out: None,
            workers: 2,
            per_world: 32,
            relations: true,
            progress: false,
            max_reports: 10,
        }
    }
}

/// What the emulator answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// HTTP status.
    pub status: u16,
    /// Error code, empty on success.
    pub code: String,
    /// The decision, when one was taken.
    pub effect: Option<Decision>,
    /// The policy type the emulator names for a deny.
    pub denied_by: Option<String>,
    /// Something unexpected (a transport failure), for reports.
    pub detail: Option<String>,
}

impl Observed {
    fn line(&self) -> String {
        let effect = self.effect.map_or("no decision", Decision::as_str);
        let code = if self.code.is_empty() {
            "(no error)"
        } else {
            &self.code
        };
        let by = self
            .denied_by
            .as_ref()
            .map(|b| format!(", denied by the {b} policies"))
            .unwrap_or_default();
        let detail = self
            .detail
            .as_ref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        format!("{effect} {} {code}{by}{detail}", self.status)
    }

    fn agrees(&self, a: &Answer) -> bool {
        self.status == a.status && self.code == a.code && self.effect == Some(a.decision)
    }
}

/// A disagreement.
#[derive(Debug, Clone)]
pub struct Found {
    /// Case number.
    pub case: u64,
    /// What was compared: `model`, `model after <relation>`, or `relation <name>`.
    pub check: String,
    /// The world (with the relation applied, when there was one).
    pub world: World,
    /// The request that disagreed, with the chain it needs.
    pub request: Request,
    /// The model's answer.
    pub model: Answer,
    /// The emulator's answer.
    pub observed: Observed,
    /// For a relation: the emulator's answer before the change.
    pub before: Option<Observed>,
}

impl Found {
    /// What identifies this kind of disagreement (for deduplication).
    fn signature(&self) -> String {
        let op = match &self.request.op {
            Op::Put(_) => "put",
            Op::Delete(_) => "delete",
            Op::Abort(_) => "abort",
            Op::Copy(_) => "copy",
            Op::AssumeRole(_) => "assume",
        };
        let check = if self.check.starts_with("relation") {
            self.check.as_str()
        } else {
            "model"
        };
        format!(
            "{check}/{op}/{}/{}",
            self.model.decision.as_str(),
            self.observed.effect.map_or("none", Decision::as_str)
        )
    }
}

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct Summary {
    /// Cases (worlds) run.
    pub cases: u64,
    /// Decisions compared with the model.
    pub decisions: u64,
    /// Of which on worlds changed by a relation.
    pub relation_decisions: u64,
    /// Relation checks: name → (checks, violations).
    pub relation_checks: BTreeMap<&'static str, (u64, u64)>,
    /// Requests not sent because an earlier `AssumeRole` of their chain was denied.
    pub chains_cut: u64,
    /// Worlds the emulator refused to load (a generator or loader bug).
    pub rejected: u64,
    /// The first few refusals.
    pub rejected_samples: Vec<String>,
    /// Disagreements found (all of them counted, the first ones kept).
    pub disagreements: u64,
    /// The kept disagreements.
    pub found: Vec<Found>,
    /// Scenario files written.
    pub written: Vec<PathBuf>,
    /// Wall time.
    pub elapsed: Duration,
    /// Coverage.
    pub coverage: Coverage,
    /// CPU time the process used during the run (Linux), when known.
    pub cpu: Option<Duration>,
    /// HTTP mode: requests sent (world swaps included) and connections opened.
    pub http: Option<(u64, u64)>,
    /// Agreed denies whose policy type (the one AWS's message names) differs
    /// between the model and the emulator: informational, not compared.
    pub attribution: u64,
    /// The first few of them.
    pub attribution_samples: Vec<String>,
}

/// The process's user + system CPU time, from `/proc/self/stat` (clock ticks of
/// 1/100 s, Linux's USER_HZ).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the `(comm)`, which may hold spaces: state is field 3, utime 14, stime 15.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

impl Summary {
    /// Decisions per second.
    pub fn rate(&self) -> f64 {
        self.decisions as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The closing report.
    pub fn report(&self, opts: &Options) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let secs = self.elapsed.as_secs_f64();
        let _ = writeln!(
            o,
            "fuzz: seed {}, mode {}, focus {:?}, {} workers, {} requests per world",
            opts.seed,
            opts.mode.as_str(),
            opts.focus,
            opts.workers,
            opts.per_world
        );
        let _ = writeln!(
            o,
            "  {} cases (worlds) in {secs:.1} s: {} decisions compared with the model ({} on worlds changed by a relation), {:.0} decisions/s, {:.1} cases/s",
            self.cases,
            self.decisions,
            self.relation_decisions,
            self.rate(),
            self.cases as f64 / secs.max(1e-9)
        );
        if let Some(cpu) = self.cpu {
            let cpus = std::thread::available_parallelism().map_or(1, usize::from);
            let _ = writeln!(
                o,
                "  CPU time {:.1} s ({:.0}% of {cpus} CPUs): {:.0} decisions per CPU-second",
                cpu.as_secs_f64(),
                100.0 * cpu.as_secs_f64() / secs.max(1e-9) / cpus as f64,
                self.decisions as f64 / cpu.as_secs_f64().max(1e-9)
            );
        }
        if let Some((requests, connections)) = self.http {
            let _ = writeln!(
                o,
                "  HTTP: {requests} requests ({:.0}/s, world and clock swaps included) over {connections} keep-alive connections",
                requests as f64 / secs.max(1e-9)
            );
        }
        let checks: u64 = self.relation_checks.values().map(|(c, _)| c).sum();
        let violations: u64 = self.relation_checks.values().map(|(_, v)| v).sum();
        let _ = writeln!(o, "  metamorphic checks: {checks}, violations: {violations}");
        for (name, (c, v)) in &self.relation_checks {
            let _ = writeln!(o, "    {name}: {c} checks, {v} violations");
        }
        let _ = writeln!(
            o,
            "  requests not sent (an AssumeRole earlier in their chain was denied): {}",
            self.chains_cut
        );
        if self.rejected > 0 {
            let _ = writeln!(o, "  worlds the emulator refused to load: {}", self.rejected);
            for s in &self.rejected_samples {
                let _ = writeln!(o, "    {s}");
            }
        }
        let _ = writeln!(
            o,
            "  agreed denies attributed to another policy type than the model's (informational): {}",
            self.attribution
        );
        for a in &self.attribution_samples {
            let _ = writeln!(o, "    {a}");
        }
        let _ = writeln!(o, "  disagreements: {}", self.disagreements);
        for f in self.found.iter().take(20) {
            let _ = writeln!(
                o,
                "    case {} ({}): {}: model {} {} {}, emulator {}",
                f.case,
                f.check,
                write::describe(&f.world, &f.request),
                f.model.decision.as_str(),
                f.model.status,
                f.model.code,
                f.observed.line()
            );
        }
        for p in &self.written {
            let _ = writeln!(o, "  wrote {}", p.display());
        }
        let _ = writeln!(o, "coverage:");
        o.push_str(&self.coverage.report());
        o
    }
}

// ---------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------

/// Credentials a request is sent with.
#[derive(Debug, Clone)]
enum Creds {
    User(usize),
    Anonymous,
    Direct(Arc<EmuSession>),
    Keys {
        access_key_id: String,
        secret: String,
        token: String,
    },
}

/// The emulator's decision path, called directly.
#[derive(Debug)]
pub(crate) struct Direct {
    emu: Arc<Emulator>,
    clock: Arc<ManualClock>,
    users: Vec<Option<EmuCaller>>,
}

/// Emulators on `127.0.0.1:0` reached over keep-alive HTTP.
#[derive(Debug)]
pub(crate) struct Http {
    running: Option<Running>,
    clock: Arc<ManualClock>,
    sender: Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>>,
    loads: u64,
}

/// Where requests go.
#[derive(Debug)]
pub(crate) enum Backend {
    Direct(Direct),
    Http(Box<Http>),
    /// [`Mode::ModelOnly`]: nothing to send to.
    Model,
}

fn to_decision(e: emulator::iam::Effect) -> Decision {
    match e {
        emulator::iam::Effect::Allow => Decision::Allow,
        emulator::iam::Effect::ExplicitDeny => Decision::ExplicitDeny,
        emulator::iam::Effect::ImplicitDeny => Decision::ImplicitDeny,
    }
}

fn observed_error(e: &emulator::ApiError, service: Service) -> Observed {
    Observed {
        status: e.code.row(service).map_or(500, |r| r.status),
        code: e.code.as_str().to_string(),
        effect: e.decision.as_ref().map(|d| to_decision(d.effect)),
        denied_by: e
            .decision
            .as_ref()
            .and_then(|d| d.denied_by)
            .map(|t| t.message_name().to_string()),
        detail: None,
    }
}

fn clock_time(t: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t).unwrap_or(testkit::DEFAULT_START)
}

/// The AssumeRole form, borrowing from the request where it can.
fn assume_params(a: &Assume) -> Vec<(Cow<'static, str>, Cow<'_, str>)> {
    let mut p: Vec<(Cow<'static, str>, Cow<'_, str>)> = vec![
        ("Action".into(), "AssumeRole".into()),
        ("Version".into(), "2011-06-15".into()),
        ("RoleArn".into(), a.role_arn.as_str().into()),
        ("RoleSessionName".into(), a.session_name.as_str().into()),
    ];
    if let Some(e) = &a.external_id {
        p.push(("ExternalId".into(), e.as_str().into()));
    }
    if let Some(s) = &a.source_identity {
        p.push(("SourceIdentity".into(), s.as_str().into()));
    }
    if let Some(pol) = &a.policy {
        p.push(("Policy".into(), write::policy_json(pol).into()));
    }
    for (i, (k, v)) in a.tags.iter().enumerate() {
        p.push((format!("Tags.member.{}.Key", i + 1).into(), k.as_str().into()));
        p.push((format!("Tags.member.{}.Value", i + 1).into(), v.as_str().into()));
    }
    p
}

impl Direct {
    fn new() -> Self {
        let clock = Arc::new(ManualClock::new(testkit::DEFAULT_START));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        Self {
            emu: Arc::new(Emulator::new(
                Config::default(),
                emulator::World::default(),
                dyn_clock,
            )),
            clock,
            users: Vec::new(),
        }
    }

    fn load(&mut self, toml: &str, w: &World) -> Result<(), String> {
        let world = emulator::World::from_toml("fuzz world", toml).map_err(|e| e.to_string())?;
        self.users = w
            .users
            .iter()
            .map(|u| emulator::direct::user(&world, account_id(u.account), &u.name))
            .collect();
        self.emu.replace_world(world);
        self.clock.set(clock_time(w.now)).map_err(|e| e.to_string())
    }

    fn caller(&self, c: &Creds) -> Option<EmuCaller> {
        match c {
            Creds::User(i) => self.users.get(*i).cloned().flatten(),
            Creds::Anonymous => Some(EmuCaller::anonymous()),
            Creds::Direct(s) => Some(emulator::direct::session(s.clone())),
            Creds::Keys { .. } => None,
        }
    }

    fn send(&self, c: &Creds, op: &Op) -> (Observed, Option<Creds>) {
        let Some(caller) = self.caller(c) else {
            return (failure("no such caller"), None);
        };
        match op {
            Op::Put(o) | Op::Delete(o) => {
                let put = matches!(op, Op::Put(_));
                let mut headers: Vec<(&str, &str)> = Vec::new();
                if put {
                    if let Some(a) = &o.acl {
                        headers.push(("x-amz-acl", a));
                    }
                    if let Some(s) = &o.sse {
                        headers.push(("x-amz-server-side-encryption", s));
                    }
                }
                let method = if put { "PUT" } else { "DELETE" };
                match emulator::direct::s3(&self.emu, &caller, method, &o.bucket, &o.key, &headers) {
                    Ok(d) => (
                        Observed {
                            status: if put { 200 } else { 204 },
                            code: String::new(),
                            effect: d.map(|d| to_decision(d.effect)),
                            denied_by: None,
                            detail: None,
                        },
                        None,
                    ),
                    Err(e) => (observed_error(&e, Service::S3), None),
                }
            }
            // The handler does not run in process: an allowed request is given the
            // answer the handler gives next, for an upload or source that does not
            // exist (as over the wire).
            Op::Abort(o) => {
                let query = format!("uploadId={}", gen::NO_SUCH_UPLOAD);
                match emulator::direct::s3_query(&self.emu, &caller, "DELETE", &o.bucket, &o.key, &query, &[])
                {
                    Ok(d) => (not_found(d, "NoSuchUpload"), None),
                    Err(e) => (observed_error(&e, Service::S3), None),
                }
            }
            Op::Copy(c) => {
                let source = c.header();
                let mut headers: Vec<(&str, &str)> = vec![("x-amz-copy-source", &source)];
                if let Some(a) = &c.dest.acl {
                    headers.push(("x-amz-acl", a));
                }
                if let Some(s) = &c.dest.sse {
                    headers.push(("x-amz-server-side-encryption", s));
                }
                match emulator::direct::s3(&self.emu, &caller, "PUT", &c.dest.bucket, &c.dest.key, &headers) {
                    Ok(d) => (not_found(d, "NoSuchKey"), None),
                    Err(e) => (observed_error(&e, Service::S3), None),
                }
            }
            Op::AssumeRole(a) => {
                let params = assume_params(a);
                let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (&**k, &**v)).collect();
                match emulator::direct::assume_role(&self.emu, &caller, &refs) {
                    Ok((d, session)) => (
                        Observed {
                            status: 200,
                            code: String::new(),
                            effect: Some(to_decision(d.effect)),
                            denied_by: None,
                            detail: None,
                        },
                        Some(Creds::Direct(Arc::new(session))),
                    ),
                    Err(e) => (observed_error(&e, Service::Sts), None),
                }
            }
        }
    }
}

/// The region a request to `bucket` is signed for (us-east-1 for none).
fn bucket_region(w: &World, bucket: &str) -> String {
    w.bucket(bucket)
        .map_or_else(|| "us-east-1".to_string(), |b| b.region.clone())
}

/// An allowed request whose handler answers 404 `code`.
fn not_found(d: Option<Arc<emulator::iam::Decision>>, code: &str) -> Observed {
    Observed {
        status: 404,
        code: code.to_string(),
        effect: d.map(|d| to_decision(d.effect)),
        denied_by: None,
        detail: None,
    }
}

fn failure(detail: impl Into<String>) -> Observed {
    Observed {
        status: 0,
        code: String::new(),
        effect: None,
        denied_by: None,
        detail: Some(detail.into()),
    }
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text.get(start..)?.find(close)? + start;
    text.get(start..end)
}

/// HTTP connections the workers opened (process-wide), and requests sent.
static CONNECTIONS: AtomicU64 = AtomicU64::new(0);
static HTTP_REQUESTS: AtomicU64 = AtomicU64::new(0);

/// A request before signing.
#[derive(Debug)]
struct Wire {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    region: String,
    service: &'static str,
}

/// After this many worlds an HTTP worker starts a fresh emulator, so the
/// sessions AssumeRole issued do not pile up.
const RECYCLE_AFTER: u64 = 500;

impl Http {
    async fn new() -> Result<Self, String> {
        let clock = Arc::new(ManualClock::new(testkit::DEFAULT_START));
        let mut h = Self {
            running: None,
            clock,
            sender: None,
            loads: 0,
        };
        h.restart().await?;
        Ok(h)
    }

    async fn restart(&mut self) -> Result<(), String> {
        if let Some(r) = self.running.take() {
            self.sender = None;
            r.shutdown()
                .await
                .map_err(|e| format!("emulator shutdown: {e}"))?;
        }
        let dyn_clock: Arc<dyn Clock> = self.clock.clone();
        let emu = Arc::new(Emulator::new(
            Config::default(),
            emulator::World::default(),
            dyn_clock,
        ));
        self.running = Some(
            emulator::spawn(emu)
                .await
                .map_err(|e| format!("cannot start the emulator: {e}"))?,
        );
        Ok(())
    }

    fn addr(&self) -> Option<SocketAddr> {
        self.running.as_ref().map(|r| r.addr)
    }

    async fn sender(&mut self) -> Result<&mut hyper::client::conn::http1::SendRequest<Full<Bytes>>, String> {
        let usable = match &mut self.sender {
            Some(s) => s.ready().await.is_ok(),
            None => false,
        };
        if !usable {
            let addr = self.addr().ok_or("no emulator")?;
            let stream = tokio::net::TcpStream::connect(addr)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let _ = stream.set_nodelay(true);
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(conn);
            CONNECTIONS.fetch_add(1, Ordering::Relaxed);
            self.sender = Some(sender);
        }
        self.sender.as_mut().ok_or_else(|| "no connection".to_string())
    }

    async fn roundtrip(&mut self, req: http::Request<Full<Bytes>>) -> Result<(u16, Bytes), String> {
        let sender = self.sender().await?;
        HTTP_REQUESTS.fetch_add(1, Ordering::Relaxed);
        let resp = sender.send_request(req).await.map_err(|e| format!("send: {e}"));
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                self.sender = None;
                return Err(e);
            }
        };
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok((status, body))
    }

    async fn load(&mut self, toml: &str, w: &World) -> Result<(), String> {
        self.loads += 1;
        if self.loads.is_multiple_of(RECYCLE_AFTER) {
            self.restart().await?;
        }
        let host = self.addr().map(|a| a.to_string()).unwrap_or_default();
        let bearer = format!(
            "Bearer {}",
            self.running
                .as_ref()
                .and_then(|r| r.emulator.admin_token())
                .unwrap_or_default()
        );
        let put = |path: &str, body: String| {
            http::Request::builder()
                .method("PUT")
                .uri(path)
                .header("host", host.as_str())
                .header("authorization", bearer.as_str())
                .body(Full::new(Bytes::from(body)))
                .map_err(|e| e.to_string())
        };
        let (status, body) = self.roundtrip(put("/_emulator/world", toml.to_string())?).await?;
        if status != 200 {
            return Err(String::from_utf8_lossy(&body).into_owned());
        }
        let now = serde_json::json!({ "now": write::rfc3339(w.now) }).to_string();
        let (status, body) = self.roundtrip(put("/_emulator/clock", now)?).await?;
        if status != 200 {
            return Err(format!("clock: {}", String::from_utf8_lossy(&body)));
        }
        Ok(())
    }

    fn keys(w: &World, c: &Creds) -> Option<(String, String, Option<String>)> {
        match c {
            Creds::User(i) => w.users.get(*i).map(|u| (u.key_id(), u.secret(), None)),
            Creds::Keys {
                access_key_id,
                secret,
                token,
            } => Some((access_key_id.clone(), secret.clone(), Some(token.clone()))),
            Creds::Anonymous | Creds::Direct(_) => None,
        }
    }

    async fn send(&mut self, w: &World, c: &Creds, op: &Op) -> (Observed, Option<Creds>) {
        match self.send_inner(w, c, op).await {
            Ok(x) => x,
            Err(e) => (failure(e), None),
        }
    }

    async fn send_inner(
        &mut self,
        w: &World,
        c: &Creds,
        op: &Op,
    ) -> Result<(Observed, Option<Creds>), String> {
        let host = self.addr().map(|a| a.to_string()).ok_or("no emulator")?;
        let keys = Self::keys(w, c);
        let Wire {
            method,
            path,
            mut headers,
            body,
            region,
            service,
        } = match op {
            Op::Put(o) | Op::Delete(o) => {
                let put = matches!(op, Op::Put(_));
                let mut headers = vec![("host".to_string(), host)];
                if put {
                    headers.push(("content-length".to_string(), "0".to_string()));
                    if let Some(a) = &o.acl {
                        headers.push(("x-amz-acl".to_string(), a.clone()));
                    }
                    if let Some(s) = &o.sse {
                        headers.push(("x-amz-server-side-encryption".to_string(), s.clone()));
                    }
                }
                let region = w
                    .bucket(&o.bucket)
                    .map_or_else(|| "us-east-1".to_string(), |b| b.region.clone());
                Wire {
                    method: if put { "PUT" } else { "DELETE" },
                    path: format!("/{}/{}", encode_key(&o.bucket), encode_key(&o.key)),
                    headers,
                    body: Vec::new(),
                    region,
                    service: "s3",
                }
            }
            Op::Abort(o) => Wire {
                method: "DELETE",
                path: format!(
                    "/{}/{}?uploadId={}",
                    encode_key(&o.bucket),
                    encode_key(&o.key),
                    gen::NO_SUCH_UPLOAD
                ),
                headers: vec![("host".to_string(), host)],
                body: Vec::new(),
                region: bucket_region(w, &o.bucket),
                service: "s3",
            },
            Op::Copy(c) => {
                let mut headers = vec![
                    ("host".to_string(), host),
                    ("content-length".to_string(), "0".to_string()),
                    ("x-amz-copy-source".to_string(), c.header()),
                ];
                if let Some(a) = &c.dest.acl {
                    headers.push(("x-amz-acl".to_string(), a.clone()));
                }
                if let Some(s) = &c.dest.sse {
                    headers.push(("x-amz-server-side-encryption".to_string(), s.clone()));
                }
                Wire {
                    method: "PUT",
                    path: format!("/{}/{}", encode_key(&c.dest.bucket), encode_key(&c.dest.key)),
                    headers,
                    body: Vec::new(),
                    region: bucket_region(w, &c.dest.bucket),
                    service: "s3",
                }
            }
            Op::AssumeRole(a) => {
                let params = assume_params(a);
                let body = encode_pairs(params.iter().map(|(k, v)| (&**k, &**v))).into_bytes();
                let headers = vec![
                    ("host".to_string(), host),
                    (
                        "content-type".to_string(),
                        "application/x-www-form-urlencoded; charset=utf-8".to_string(),
                    ),
                ];
                Wire {
                    method: "POST",
                    path: "/".to_string(),
                    headers,
                    body,
                    region: "us-east-1".to_string(),
                    service: "sts",
                }
            }
        };
        if let Some((akid, secret, token)) = keys {
            let settings = testkit::sign::like_sdk(service);
            let identity = Credentials::new(akid, secret, token, None, "fuzz").into();
            let params = aws_sigv4::sign::v4::SigningParams::builder()
                .identity(&identity)
                .region(&region)
                .name(service)
                .time(SystemTime::from(clock_time(w.now)))
                .settings(settings)
                .build()
                .map_err(|e| format!("signing parameters: {e}"))?
                .into();
            let uri = format!("http://localhost{path}");
            let signable = SignableRequest::new(
                method,
                uri.as_str(),
                headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                SignableBody::Bytes(&body),
            )
            .map_err(|e| format!("signable request: {e}"))?;
            let (instructions, _) = sign(signable, &params)
                .map_err(|e| format!("signing: {e}"))?
                .into_parts();
            for (name, value) in instructions.headers() {
                headers.push((name.to_string(), value.to_string()));
            }
        }
        let mut builder = http::Request::builder().method(method).uri(path.as_str());
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let req = builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("request: {e}"))?;
        let (status, body) = self.roundtrip(req).await?;
        let text = String::from_utf8_lossy(&body);
        let code = if status >= 300 {
            between(&text, "<Code>", "</Code>")
                .unwrap_or_default()
                .to_string()
        } else {
            String::new()
        };
        let entry = self
            .running
            .as_ref()
            .and_then(|r| r.emulator.log().recent(1, None).pop());
        let decision = entry.and_then(|e| e.decision);
        let observed = Observed {
            status,
            code,
            effect: decision.as_ref().map(|d| to_decision(d.effect)),
            denied_by: decision
                .as_ref()
                .and_then(|d| d.denied_by)
                .map(|t| t.message_name().to_string()),
            detail: None,
        };
        let creds = if matches!(op, Op::AssumeRole(_)) && status == 200 {
            match (
                between(&text, "<AccessKeyId>", "</AccessKeyId>"),
                between(&text, "<SecretAccessKey>", "</SecretAccessKey>"),
                between(&text, "<SessionToken>", "</SessionToken>"),
            ) {
                (Some(a), Some(s), Some(t)) => Some(Creds::Keys {
                    access_key_id: a.to_string(),
                    secret: s.to_string(),
                    token: t.to_string(),
                }),
                _ => None,
            }
        } else {
            None
        };
        Ok((observed, creds))
    }
}

impl Backend {
    async fn new(mode: Mode) -> Result<Self, String> {
        Ok(match mode {
            Mode::Inprocess => Self::Direct(Direct::new()),
            Mode::Http => Self::Http(Box::new(Http::new().await?)),
            Mode::ModelOnly => Self::Model,
        })
    }

    async fn load(&mut self, w: &World) -> Result<(), String> {
        match self {
            Self::Direct(d) => d.load(&write::world_toml(w, "", false), w),
            Self::Http(h) => h.load(&write::world_toml(w, "", false), w).await,
            Self::Model => Ok(()),
        }
    }

    /// Send one step; `answer` is the model's, echoed by [`Backend::Model`].
    async fn send(&mut self, w: &World, c: &Creds, op: &Op, answer: &Answer) -> (Observed, Option<Creds>) {
        match self {
            Self::Direct(d) => d.send(c, op),
            Self::Http(h) => h.send(w, c, op).await,
            Self::Model => (
                Observed {
                    status: answer.status,
                    code: answer.code.to_string(),
                    effect: Some(answer.decision),
                    denied_by: (!answer.by.is_empty()).then(|| answer.by.to_string()),
                    detail: None,
                },
                // The chain goes on as the model's session says; no credentials exist.
                Some(Creds::Anonymous),
            ),
        }
    }

    async fn stop(self) {
        if let Self::Http(h) = self {
            if let Some(r) = h.running {
                let _ = r.shutdown().await;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Running cases
// ---------------------------------------------------------------------------

/// One step of a request chain: the model's answer and the emulator's.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub answer: Answer,
    pub observed: Observed,
}

/// Send a request and the `AssumeRole` chain its caller needs, comparing each
/// step with the model. The chain stops at the first `AssumeRole` either side
/// denies.
pub(crate) async fn run_request(
    backend: &mut Backend,
    w: &World,
    req: &Request,
    mut cov: Option<&mut Coverage>,
) -> Vec<Step> {
    let chain = req.chain();
    let mut who: Who<'_> = match chain.first().map(|r| &r.caller) {
        Some(Caller::User(i)) => match w.users.get(*i) {
            Some(u) => Who::User(u),
            None => return Vec::new(),
        },
        _ => Who::Anonymous,
    };
    let mut creds = match chain.first().map(|r| &r.caller) {
        Some(Caller::User(i)) => Creds::User(*i),
        _ => Creds::Anonymous,
    };
    let mut out = Vec::with_capacity(chain.len());
    for (depth, step) in chain.iter().enumerate() {
        let answer = model::evaluate(w, &who, &step.op);
        if let Some(c) = cov.as_deref_mut() {
            c.request(w, step, depth, &answer);
        }
        let (observed, issued) = backend.send(w, &creds, &step.op, &answer).await;
        let allowed = answer.decision == Decision::Allow && observed.effect == Some(Decision::Allow);
        out.push(Step { answer, observed });
        if depth + 1 == chain.len() {
            break;
        }
        let Op::AssumeRole(a) = &step.op else { break };
        match (allowed, issued, model::session_after(w, &who, a)) {
            (true, Some(c), Some(s)) => {
                creds = c;
                who = Who::Session(s);
            }
            _ => break,
        }
    }
    out
}

/// Whether the request needs more than one action allowed.
fn several_actions(op: &Op) -> bool {
    match op {
        Op::Put(o) => o.acl.is_some(),
        Op::Delete(_) | Op::Abort(_) => false,
        Op::Copy(_) => true,
        Op::AssumeRole(a) => !a.tags.is_empty() || a.source_identity.is_some(),
    }
}

/// The request of `chain` position `i`, with the chain it needs.
fn chain_prefix(req: &Request, i: usize) -> Request {
    req.chain().get(i).map_or_else(|| req.clone(), |r| (*r).clone())
}

/// State shared by the workers.
#[derive(Debug)]
struct Shared {
    opts: Options,
    next: AtomicU64,
    stop: AtomicBool,
    deadline: Option<Instant>,
    cases: AtomicU64,
    decisions: AtomicU64,
    relation_decisions: AtomicU64,
    chains_cut: AtomicU64,
    rejected: AtomicU64,
    disagreements: AtomicU64,
    rejected_samples: Mutex<Vec<String>>,
    attribution: AtomicU64,
    attribution_samples: Mutex<Vec<String>>,
    found: Mutex<Vec<Found>>,
    relation_checks: Mutex<BTreeMap<&'static str, (u64, u64)>>,
}

/// How many disagreements are kept in full.
const KEEP: usize = 200;

impl Shared {
    fn record(&self, f: Found) {
        self.disagreements.fetch_add(1, Ordering::Relaxed);
        let mut found = self
            .found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if found.len() < KEEP {
            found.push(f);
        }
    }

    fn claim(&self) -> Option<u64> {
        if self.stop.load(Ordering::Relaxed) {
            return None;
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.stop.store(true, Ordering::Relaxed);
            return None;
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        if self.opts.cases.is_some_and(|max| n >= max) {
            self.stop.store(true, Ordering::Relaxed);
            return None;
        }
        Some(n)
    }
}

/// Salt of the generator that picks and applies relations.
const RELATION_SALT: u64 = 0x00C0_FFEE;

async fn worker(shared: Arc<Shared>) -> Coverage {
    let mut cov = Coverage::default();
    let mut backend = match Backend::new(shared.opts.mode).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("fuzz worker: {e}");
            return cov;
        }
    };
    while let Some(n) = shared.claim() {
        let case = gen::case(shared.opts.seed, n, shared.opts.per_world, shared.opts.focus);
        cov.world(&case);
        let Some(before) = run_case(&shared, &mut backend, n, &case, None, Some(&mut cov)).await else {
            continue;
        };
        shared.cases.fetch_add(1, Ordering::Relaxed);
        if !shared.opts.relations {
            continue;
        }
        let mut r = Rng::for_case(shared.opts.seed ^ RELATION_SALT, n);
        let rel = r.pick(&relations::ALL).unwrap_or(Relation::Reshape);
        let changed = relations::apply(rel, &case, &mut r);
        let Some(after) = run_case(&shared, &mut backend, n, &changed, Some(rel), None).await else {
            continue;
        };
        let mut checks = 0;
        let mut violations = 0;
        for (i, (b, a)) in before.iter().zip(after.iter()).enumerate() {
            for (j, (sb, sa)) in b.iter().zip(a.iter()).enumerate() {
                let (Some(eb), Some(ea)) = (sb.observed.effect, sa.observed.effect) else {
                    continue;
                };
                checks += 1;
                let same_wire =
                    sb.observed.status == sa.observed.status && sb.observed.code == sa.observed.code;
                let several = changed
                    .requests
                    .get(i)
                    .and_then(|r| r.chain().get(j).map(|s| several_actions(&s.op)))
                    .unwrap_or(false);
                let holds = rel.holds(eb, ea, several) && (!rel.invariant() || same_wire);
                // A violation the model also sees is recorded as a model
                // disagreement already; record the rest.
                let model_saw = !sa.observed.agrees(&sa.answer) || !sb.observed.agrees(&sb.answer);
                if !holds {
                    violations += 1;
                    if !model_saw {
                        if let Some(req) = changed.requests.get(i) {
                            shared.record(Found {
                                case: n,
                                check: format!("relation {}", rel.name()),
                                world: changed.world.clone(),
                                request: chain_prefix(req, j),
                                model: sa.answer.clone(),
                                observed: sa.observed.clone(),
                                before: Some(sb.observed.clone()),
                            });
                        }
                    }
                }
            }
        }
        let mut rc = shared
            .relation_checks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let e = rc.entry(rel.name()).or_insert((0, 0));
        e.0 += checks;
        e.1 += violations;
    }
    backend.stop().await;
    cov
}

/// Load a case's world and send its requests; `None` when the world is refused.
async fn run_case(
    shared: &Shared,
    backend: &mut Backend,
    n: u64,
    case: &Case,
    relation: Option<Relation>,
    mut cov: Option<&mut Coverage>,
) -> Option<Vec<Vec<Step>>> {
    if let Err(e) = backend.load(&case.world).await {
        shared.rejected.fetch_add(1, Ordering::Relaxed);
        let mut s = shared
            .rejected_samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if s.len() < 5 {
            s.push(format!("case {n}: {}", e.lines().next().unwrap_or_default()));
        }
        return None;
    }
    let mut all = Vec::with_capacity(case.requests.len());
    for req in &case.requests {
        let steps = run_request(backend, &case.world, req, cov.as_deref_mut()).await;
        let total = req.chain().len();
        shared
            .chains_cut
            .fetch_add((total - steps.len()) as u64, Ordering::Relaxed);
        shared.decisions.fetch_add(steps.len() as u64, Ordering::Relaxed);
        if relation.is_some() {
            shared
                .relation_decisions
                .fetch_add(steps.len() as u64, Ordering::Relaxed);
        }
        for (j, s) in steps.iter().enumerate() {
            if s.observed.agrees(&s.answer) && s.answer.decision != Decision::Allow {
                let emulator = s.observed.denied_by.as_deref().unwrap_or_default();
                if !same_policy_type(emulator, s.answer.by) {
                    shared.attribution.fetch_add(1, Ordering::Relaxed);
                    let mut samples = shared
                        .attribution_samples
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if samples.len() < 5 {
                        samples.push(format!(
                            "case {n}: {}: {} by the model's `{}`, the emulator's `{emulator}`",
                            write::describe(&case.world, req),
                            s.answer.decision.as_str(),
                            s.answer.by
                        ));
                    }
                }
            }
            if !s.observed.agrees(&s.answer) {
                shared.record(Found {
                    case: n,
                    check: relation
                        .map_or_else(|| "model".to_string(), |r| format!("model after {}", r.name())),
                    world: case.world.clone(),
                    request: chain_prefix(req, j),
                    model: s.answer.clone(),
                    observed: s.observed.clone(),
                    before: None,
                });
            }
        }
        all.push(steps);
    }
    Some(all)
}

/// Whether two names of a policy type are the same, ignoring case, spaces and
/// hyphens ("permissions boundary" and "permissions-boundary").
fn same_policy_type(a: &str, b: &str) -> bool {
    fn norm(x: &str) -> impl Iterator<Item = u8> + '_ {
        x.bytes()
            .filter(|b| *b != b'-' && *b != b' ')
            .map(|b| b.to_ascii_lowercase())
    }
    norm(a).eq(norm(b))
}

fn progress(shared: &Shared, started: Instant, tty: bool) -> String {
    let secs = started.elapsed().as_secs_f64();
    let d = shared.decisions.load(Ordering::Relaxed);
    let line = format!(
        "[{secs:.0}s] {} cases, {d} decisions ({:.0}/s), {} disagreements",
        shared.cases.load(Ordering::Relaxed),
        d as f64 / secs.max(1e-9),
        shared.disagreements.load(Ordering::Relaxed)
    );
    if tty {
        format!("\r\x1b[K{line}")
    } else {
        format!("{line}\n")
    }
}

/// Run the fuzzer on a fresh runtime.
pub fn run(opts: Options) -> Result<Summary, String> {
    let threads = std::thread::available_parallelism().map_or(2, usize::from).max(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    rt.block_on(run_async(opts))
}

/// Run the fuzzer on the current (multi-thread) runtime.
pub async fn run_async(opts: Options) -> Result<Summary, String> {
    let started = Instant::now();
    let cpu_before = cpu_time();
    let http_before = (
        HTTP_REQUESTS.load(Ordering::Relaxed),
        CONNECTIONS.load(Ordering::Relaxed),
    );
    let shared = Arc::new(Shared {
        deadline: opts.time.map(|t| started + t),
        opts: opts.clone(),
        next: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        cases: AtomicU64::new(0),
        decisions: AtomicU64::new(0),
        relation_decisions: AtomicU64::new(0),
        chains_cut: AtomicU64::new(0),
        rejected: AtomicU64::new(0),
        disagreements: AtomicU64::new(0),
        rejected_samples: Mutex::new(Vec::new()),
        attribution: AtomicU64::new(0),
        attribution_samples: Mutex::new(Vec::new()),
        found: Mutex::new(Vec::new()),
        relation_checks: Mutex::new(BTreeMap::new()),
    });
    // The progress line runs on its own thread: in-process workers never yield.
    let done = Arc::new(AtomicBool::new(false));
    let reporter = opts.progress.then(|| {
        let shared = shared.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let tty = std::io::stderr().is_terminal();
            let every = if tty {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(10)
            };
            let mut last = Instant::now();
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if last.elapsed() >= every {
                    last = Instant::now();
                    eprint!("{}", progress(&shared, started, tty));
                    let _ = std::io::stderr().flush();
                }
            }
            if tty {
                eprint!("\r\x1b[K");
            }
        })
    });
    let mut handles = Vec::new();
    for _ in 0..opts.workers.max(1) {
        handles.push(tokio::spawn(worker(shared.clone())));
    }
    let mut coverage = Coverage::default();
    for h in handles {
        match h.await {
            Ok(c) => coverage.merge(&c),
            Err(e) => return Err(format!("fuzz worker failed: {e}")),
        }
    }
    let elapsed = started.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    done.store(true, Ordering::Relaxed);
    if let Some(r) = reporter {
        let _ = r.join();
    }
    let found = std::mem::take(
        &mut *shared
            .found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let mut summary = Summary {
        cases: shared.cases.load(Ordering::Relaxed),
        decisions: shared.decisions.load(Ordering::Relaxed),
        relation_decisions: shared.relation_decisions.load(Ordering::Relaxed),
        relation_checks: shared
            .relation_checks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone(),
        chains_cut: shared.chains_cut.load(Ordering::Relaxed),
        rejected: shared.rejected.load(Ordering::Relaxed),
        rejected_samples: shared
            .rejected_samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone(),
        disagreements: shared.disagreements.load(Ordering::Relaxed),
        found,
        written: Vec::new(),
        elapsed,
        coverage,
        cpu,
        attribution: shared.attribution.load(Ordering::Relaxed),
        attribution_samples: shared
            .attribution_samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone(),
        http: (opts.mode == Mode::Http).then(|| {
            (
                HTTP_REQUESTS.load(Ordering::Relaxed) - http_before.0,
                CONNECTIONS.load(Ordering::Relaxed) - http_before.1,
            )
        }),
    };
    summary.found.sort_by_key(|f| f.case);
    if let Some(out) = &opts.out {
        if !summary.found.is_empty() {
            summary.written = report_found(&opts, &summary.found, out).await?;
        }
    }
    Ok(summary)
}

/// Shrink the first disagreement of each kind and write it as a scenario.
async fn report_found(
    opts: &Options,
    found: &[Found],
    out: &std::path::Path,
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut seen: Vec<String> = Vec::new();
    let mut written = Vec::new();
    let mut backend = Backend::new(opts.mode).await?;
    for f in found {
        let sig = f.signature();
        if seen.contains(&sig) || seen.len() >= opts.max_reports {
            continue;
        }
        seen.push(sig);
        let shrunk = if f.check.starts_with("relation") {
            f.clone()
        } else {
            shrink::shrink(&mut backend, f).await
        };
        let header = write::Header {
            seed: opts.seed,
            case: f.case,
            mode: opts.mode.as_str().to_string(),
            check: f.check.clone(),
            model: shrunk.model.clone(),
            emulator: match &shrunk.before {
                Some(b) => format!("{} (before the change: {})", shrunk.observed.line(), b.line()),
                None => shrunk.observed.line(),
            },
        };
        let case = Case {
            world: shrunk.world.clone(),
            requests: vec![shrunk.request.clone()],
        };
        let text = write::scenario(&case, &shrunk.request, &header);
        let path = out.join(format!(
            "fuzz_seed{}_case{}_{}.toml",
            opts.seed,
            f.case,
            written.len() + 1
        ));
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    backend.stop().await;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::gen::{Effect, Kind};
    use super::shrink::Check;
    use super::*;

    fn opts(mode: Mode, cases: u64) -> Options {
        Options {
            seed: 20_260_101,
            cases: Some(cases),
            mode,
            workers: 2,
            per_world: 24,
            relations: true,
            progress: false,
            ..Options::default()
        }
    }

    fn assert_clean(s: &Summary, o: &Options) {
        assert_eq!(s.rejected, 0, "{}", s.report(o));
        assert_eq!(s.disagreements, 0, "{}", s.report(o));
        let checks: u64 = s.relation_checks.values().map(|(c, _)| c).sum();
        assert!(checks > 0, "{}", s.report(o));
    }

    /// The model comparison and every relation, in process, on a fixed seed.
    #[test]
    fn inprocess_decisions_agree_with_the_model() {
        let o = opts(Mode::Inprocess, 60);
        let s = run(o.clone()).unwrap();
        assert_clean(&s, &o);
        assert!(s.decisions > 1500, "{}", s.report(&o));
        for rel in relations::ALL {
            assert!(
                s.relation_checks.contains_key(rel.name()),
                "{} never ran",
                rel.name()
            );
        }
        let worlds = s.coverage.counts.get("world").unwrap();
        assert!(worlds.contains_key("user in a group"), "no groups in {worlds:?}");
        let outcomes = s.coverage.counts.get("outcome").unwrap();
        for want in [
            "PutObject: allow",
            "DeleteObject: explicit-deny",
            "AssumeRole: implicit-deny",
            "AbortMultipartUpload: allow",
            "AbortMultipartUpload: implicit-deny",
            "CopyObject: allow",
            "CopyObject: implicit-deny",
        ] {
            assert!(outcomes.contains_key(want), "no `{want}` in {outcomes:?}");
        }
    }

    /// The benchmark's baseline does the in-process run's work minus the
    /// emulator: with nothing disagreeing, the same cases give the same
    /// decisions, chains cut and relation checks.
    #[test]
    fn the_model_only_baseline_makes_the_same_decisions() {
        let inprocess = run(opts(Mode::Inprocess, 20)).unwrap();
        let o = opts(Mode::ModelOnly, 20);
        let model = run(o.clone()).unwrap();
        assert_clean(&model, &o);
        assert!(model.decisions > 500, "{}", model.report(&o));
        assert_eq!(model.decisions, inprocess.decisions);
        assert_eq!(model.chains_cut, inprocess.chains_cut);
        assert_eq!(model.relation_checks, inprocess.relation_checks);
        assert_eq!(model.attribution, 0, "the model agrees with itself on who denied");
    }

    /// The same through signed HTTP requests.
    #[test]
    fn http_decisions_agree_with_the_model() {
        let o = opts(Mode::Http, 6);
        let s = run(o.clone()).unwrap();
        assert_clean(&s, &o);
        assert!(s.decisions > 150, "{}", s.report(&o));
    }

    /// A disagreement written as a scenario runs under `harness run`: here the
    /// emulator agrees with the model, so the written scenarios pass, setup
    /// AssumeRole chains, session tags and session policies included.
    #[test]
    fn written_scenarios_run_and_pass() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut written = 0;
        let mut kinds: Vec<&str> = Vec::new();
        for n in 0..40 {
            let case = gen::case(77, n, 12, Focus::All);
            let mut backend = Backend::Direct(Direct::new());
            rt.block_on(backend.load(&case.world)).unwrap();
            for req in &case.requests {
                let kind = match (&req.caller, &req.op) {
                    (Caller::Session(inner), _)
                        if inner.caller != Caller::Anonymous
                            && matches!(inner.caller, Caller::Session(_)) =>
                    {
                        "chained session"
                    }
                    (Caller::Session(_), Op::Put(_)) => "session put",
                    (_, Op::AssumeRole(a)) if !a.tags.is_empty() && a.policy.is_some() => {
                        "assume with tags and policy"
                    }
                    (Caller::Anonymous, _) => "anonymous",
                    (_, Op::Delete(_)) => "delete",
                    (_, Op::Abort(_)) => "abort",
                    (_, Op::Copy(c)) if c.dest.acl.is_some() => "copy with acl",
                    _ => continue,
                };
                if kinds.contains(&kind) {
                    continue;
                }
                let steps = rt.block_on(run_request(&mut backend, &case.world, req, None));
                if steps.len() != req.chain().len() {
                    continue;
                }
                let Some(last) = steps.last() else { continue };
                let header = write::Header {
                    seed: 77,
                    case: n,
                    mode: "inprocess".into(),
                    check: "test".into(),
                    model: last.answer.clone(),
                    emulator: last.observed.line(),
                };
                let one = Case {
                    world: case.world.clone(),
                    requests: vec![req.clone()],
                };
                let text = write::scenario(&one, req, &header);
                let source = emulator::world::Source::new(format!("{kind}.toml"), text.clone());
                let scenario = harness::scenario::from_source(std::path::Path::new("t.toml"), kind, source)
                    .unwrap_or_else(|e| panic!("{e}\n{text}"));
                let report = harness::run_blocking(&scenario, false);
                assert!(report.passed(), "{}\n{text}", report.failure());
                kinds.push(kind);
                written += 1;
            }
            if kinds.len() == 7 {
                break;
            }
        }
        assert_eq!(kinds.len(), 7, "found only {kinds:?}");
        assert_eq!(written, 7);
    }

    /// A stand-in emulator that "disagrees" exactly when some bucket policy
    /// holds a `Deny` naming `s3:DeleteObject`.
    struct Planted;

    impl Check for Planted {
        async fn last_step(&mut self, world: &World, request: &Request) -> Option<Step> {
            let planted = world.buckets.iter().any(|b| {
                b.policy.as_ref().is_some_and(|p| {
                    p.statements
                        .iter()
                        .any(|s| s.effect == Effect::Deny && s.actions.iter().any(|a| a == "s3:DeleteObject"))
                })
            });
            let answer = model::Answer {
                decision: Decision::Allow,
                status: 204,
                code: "",
                by: "",
            };
            let observed = Observed {
                status: if planted { 403 } else { 204 },
                code: if planted {
                    "AccessDenied".into()
                } else {
                    String::new()
                },
                effect: Some(if planted {
                    Decision::ExplicitDeny
                } else {
                    Decision::Allow
                }),
                denied_by: None,
                detail: None,
            };
            let _ = request;
            Some(Step { answer, observed })
        }
    }

    #[test]
    fn the_shrinker_keeps_only_what_the_disagreement_needs() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut r = Rng::new(5);
        let mut case = gen::case(5, 3, 4, Focus::Principals);
        let mut deny = gen::statement_of(&mut r, &case.world, Kind::Bucket, Effect::Deny);
        deny.actions = vec!["s3:DeleteObject".into(), "s3:PutObject".into()];
        deny.conditions.clear();
        let bucket = case.world.buckets.first_mut().unwrap();
        let mut policy = bucket
            .policy
            .clone()
            .unwrap_or_else(|| gen::policy_of(&mut r, &case.world, Kind::Bucket));
        policy.statements.insert(0, deny);
        case.world.buckets.first_mut().unwrap().policy = Some(policy);
        let request = case.requests.last().unwrap().clone();
        let mut planted = Planted;
        let first = rt.block_on(planted.last_step(&case.world, &request)).unwrap();
        let found = Found {
            case: 3,
            check: "model".into(),
            world: case.world.clone(),
            request: request.clone(),
            model: first.answer,
            observed: first.observed,
            before: None,
        };
        let shrunk = rt.block_on(shrink::shrink(&mut planted, &found));
        let w = &shrunk.world;
        assert!(w.org.is_none());
        let policies: Vec<_> = w.buckets.iter().filter_map(|b| b.policy.as_ref()).collect();
        assert_eq!(policies.len(), 1, "{w:#?}");
        let st = &policies[0].statements;
        assert_eq!(st.len(), 1, "{w:#?}");
        assert_eq!(st[0].actions, vec!["s3:DeleteObject".to_string()]);
        assert!(st[0].conditions.is_empty() && st[0].sid.is_none());
        assert!(w
            .users
            .iter()
            .all(|u| u.policies.is_empty() && u.managed.is_empty() && u.tags.is_empty()));
    }

    /// The model itself is invariant under the invariant relations, and every
    /// changed world still loads in the emulator.
    #[test]
    fn relations_keep_the_model_and_the_loader_happy() {
        for n in 0..30 {
            let case = gen::case(9, n, 10, Focus::All);
            let mut r = Rng::new(n);
            for rel in relations::ALL {
                let changed = relations::apply(rel, &case, &mut r);
                let toml = write::world_toml(&changed.world, "", false);
                emulator::World::from_toml("t", &toml)
                    .unwrap_or_else(|e| panic!("{}: {e}\n{toml}", rel.name()));
                if !rel.invariant() {
                    continue;
                }
                for (a, b) in case.requests.iter().zip(changed.requests.iter()) {
                    let who_a = model_who(&case.world, a);
                    let who_b = model_who(&changed.world, b);
                    if let (Some(wa), Some(wb)) = (who_a, who_b) {
                        assert_eq!(
                            model::evaluate(&case.world, &wa, &a.op).decision,
                            model::evaluate(&changed.world, &wb, &b.op).decision,
                            "{} changed the model's answer (case {n})",
                            rel.name()
                        );
                    }
                }
            }
        }
    }

    fn model_who<'w>(w: &'w World, r: &Request) -> Option<Who<'w>> {
        match &r.caller {
            Caller::User(i) => w.users.get(*i).map(Who::User),
            Caller::Anonymous => Some(Who::Anonymous),
            Caller::Session(_) => None,
        }
    }
}
