//! `harness reproduce`: turn a customer's artefacts into a scenario, run onboarding
//! against it, and find every cause in order: after a failure whose cause the
//! artefacts show, apply its fix and run again, until onboarding passes or no fix
//! is known. The scenario it writes has one failing onboarding step and one fix
//! per cause, then the last onboarding, pinned to what was observed.
//!
//! The artefacts are the AWS CLI's JSON output, one file per command, in one folder:
//!
//! | file | command |
//! |---|---|
//! | `onboarding.json` / `onboarding.toml` | what the customer entered (the connector's `DestinationConfig`) |
//! | `get-account-authorization-details.json` | `aws iam get-account-authorization-details`: users, groups, roles and managed policies in one file |
//! | `get-role.json` | `aws iam get-role --role-name R` |
//! | `get-role-policy*.json` | `aws iam get-role-policy --role-name R --policy-name P` |
//! | `list-attached-role-policies.json` | `aws iam list-attached-role-policies --role-name R` |
//! | `get-user.json` | `aws iam get-user --user-name U` (HMAC mode) |
//! | `get-user-policy*.json` | `aws iam get-user-policy --user-name U --policy-name P` |
//! | `list-attached-user-policies.json` | `aws iam list-attached-user-policies --user-name U` |
//! | `list-access-keys.json` | `aws iam list-access-keys --user-name U` |
//! | `list-groups-for-user.json`, `get-group*.json` | `aws iam list-groups-for-user --user-name U`, `aws iam get-group --group-name G` |
//! | `get-group-policy*.json` | `aws iam get-group-policy --group-name G --policy-name P` |
//! | `list-attached-group-policies-<group>.json` | `aws iam list-attached-group-policies --group-name G` |
//! | `get-policy-version-<name>.json` | `aws iam get-policy-version --policy-arn ARN --version-id V` of managed policy `<name>` |
//! | `get-bucket-location.json`, `get-bucket-policy.json`, `get-bucket-encryption.json`, `get-bucket-ownership-controls.json`, `get-bucket-versioning.json`, `get-bucket-request-payment.json`, `get-public-access-block.json` | `aws s3api get-bucket-… --bucket B` |
//! | `get-key-policy.json`, `describe-key.json` | `aws kms get-key-policy` / `describe-key` of the bucket's key |
//! | `list-policies-for-target*.json`, `describe-policy*.json` | `aws organizations list-policies-for-target --target-id ACCOUNT --filter SERVICE_CONTROL_POLICY` (or `RESOURCE_CONTROL_POLICY`), `aws organizations describe-policy --policy-id P` |
//! | `cloudtrail*.json` | the customer's CloudTrail record of the failed call (one record, or a trail file's `{"Records": […]}`) |
//!
//! Only `onboarding.*` is required; what is missing is left at AWS's defaults.

mod artefacts;
mod causes;
mod setup;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use connector::config::Auth;
use connector::DestinationConfig;
use emulator::world::Source;
use serde_json::Value;
use testkit::toml_text::basic as q;

use crate::run::Outcome;
pub use causes::{Cause, Fix};

/// At most this many causes are looked for (each one is a full onboarding run).
const MAX_ROUNDS: usize = 8;

/// Command-line arguments of `harness reproduce`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder holding the customer's artefacts.
    #[arg(long)]
    pub from: PathBuf,
    /// Where to write the scenario (default: print it).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The bucket's real name (default: the bucket the customer entered).
    #[arg(long)]
    pub bucket: Option<String>,
    /// The service's own principal, the one customers are told to trust.
    #[arg(long, default_value = "arn:aws:iam::111111111111:user/sync")]
    pub vendor_principal: String,
}

/// Run `harness reproduce`: exit 0 once the scenario was built and onboarding ran
/// (whatever it found), 2 when the artefacts could not be turned into a scenario,
/// 3 when a CloudTrail record was given and the reproduction does not match it.
pub fn main(args: &Args) -> ExitCode {
    match reproduce(args) {
        Ok(r) => {
            if let Some(path) = &args.out {
                eprintln!("wrote {}", path.display());
            } else {
                crate::report::out(&r.scenario);
            }
            r.print();
            if r.trail.as_ref().is_some_and(|t| !t.matches()) {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("harness reproduce: {e}");
            ExitCode::from(2)
        }
    }
}

/// The customer's CloudTrail record set beside the reproduced one.
#[derive(Debug, Clone)]
pub struct TrailCheck {
    /// `eventName`, `errorCode`, `errorMessage` of the customer's record.
    pub customer: [String; 3],
    /// The same fields of the reproduced failure's record, if one was found.
    pub reproduced: Option<[String; 3]>,
}

impl TrailCheck {
    /// Whether the reproduced failure is the customer's (request ids aside; the
    /// connection-test key in S3 messages is the one part that differs by run).
    pub fn matches(&self) -> bool {
        self.reproduced
            .as_ref()
            .is_some_and(|r| (0..3).all(|i| normalize(&r[i]) == normalize(&self.customer[i])))
    }
}

/// A message with its connection-test object key masked.
fn normalize(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("_connection_test/") {
        out.push_str(&rest[..i]);
        out.push_str("_connection_test/*");
        let tail = &rest[i + "_connection_test/".len()..];
        let end = tail.find(['"', ' ', '\'']).unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// What `reproduce` found.
#[derive(Debug, Clone)]
pub struct Reproduced {
    /// The scenario: the customer's world, one failing onboarding and one fix per
    /// cause, then the last onboarding with the observed outcome as its expectation.
    pub scenario: String,
    /// The last onboarding's outcome.
    pub outcome: Outcome,
    /// What the emulator logged in the last onboarding, and why it decided so.
    pub explain: Vec<String>,
    /// Every cause found, in order.
    pub causes: Vec<Cause>,
    /// The first onboarding's outcome (before any fix).
    pub first: Outcome,
    /// The customer's CloudTrail record beside the reproduced one.
    pub trail: Option<TrailCheck>,
    /// What was approximated in building the world.
    pub notes: Vec<String>,
}

impl Reproduced {
    /// The report: every cause with its fix, what is left, the CloudTrail check.
    pub fn report(&self) -> String {
        let mut t = String::from("\n");
        for n in &self.notes {
            let _ = writeln!(t, "note: {n}");
        }
        if self.causes.is_empty() && self.first.ok {
            t.push_str("onboarding passes against the reproduced setup\n");
        }
        for (i, c) in self.causes.iter().enumerate() {
            let _ = writeln!(t, "cause {} ({}): {}", i + 1, c.kind, c.summary);
            for d in &c.details {
                let _ = writeln!(t, "  - {d}");
            }
            let _ = writeln!(t, "  fix: {}", c.fix.describe());
        }
        let o = &self.outcome;
        if !self.causes.is_empty() {
            if o.ok {
                let _ = writeln!(
                    t,
                    "with {} fixed, onboarding passes",
                    if self.causes.len() == 1 { "that" } else { "these" }
                );
            } else {
                let _ = writeln!(
                    t,
                    "with {} fixed, onboarding still fails: {}",
                    if self.causes.len() == 1 { "that" } else { "these" },
                    o.error_kind.as_deref().unwrap_or("(no diagnosis)")
                );
            }
        } else if !o.ok {
            let _ = writeln!(
                t,
                "onboarding fails: {}",
                o.error_kind.as_deref().unwrap_or("(no diagnosis)")
            );
        }
        for w in &o.warnings {
            let _ = writeln!(t, "warning: {w}");
        }
        if !o.ok {
            if let Some(d) = &o.detail {
                let _ = writeln!(t, "{d}");
            }
            if let Some(r) = &o.remediation {
                let _ = writeln!(t, "\nremediation:\n{r}");
            }
        }
        if let Some(tc) = &self.trail {
            t.push('\n');
            if tc.matches() {
                let _ = writeln!(
                    t,
                    "the customer's CloudTrail record is reproduced: {} {}: {}",
                    tc.customer[0], tc.customer[1], tc.customer[2]
                );
            } else {
                t.push_str("these artefacts do not reproduce the customer's failure:\n");
                let names = ["eventName", "errorCode", "errorMessage"];
                match &tc.reproduced {
                    Some(r) => {
                        for i in 0..3 {
                            if normalize(&r[i]) != normalize(&tc.customer[i]) {
                                let _ = writeln!(
                                    t,
                                    "  {}: -customer {}\n  {}  +reproduced {}",
                                    names[i],
                                    tc.customer[i],
                                    " ".repeat(names[i].len()),
                                    r[i]
                                );
                            }
                        }
                    }
                    None => {
                        let _ = writeln!(
                            t,
                            "  the customer's trail shows {} failing with {}; the reproduced onboarding sent no such failing request",
                            tc.customer[0], tc.customer[1]
                        );
                    }
                }
            }
        }
        t.push_str("\nwhat the emulator saw (last onboarding):\n");
        for line in &self.explain {
            let _ = writeln!(t, "  {line}");
        }
        t
    }

    /// Print [`Reproduced::report`].
    pub fn print(&self) {
        crate::report::out(&self.report());
    }
}

/// The `expect` line that pins an observed onboarding outcome.
fn expectation(o: &Outcome) -> String {
    let mut fields = Vec::new();
    if o.ok {
        fields.push("ok = true".to_string());
    }
    if let Some(k) = &o.error_kind {
        fields.push(format!("error = {}", q(k)));
    }
    let warnings: Vec<String> = o.warnings.iter().map(|w| q(w)).collect();
    fields.push(format!("warnings = [{}]", warnings.join(", ")));
    if !o.ok {
        if let Some(e) = o.entries.last() {
            fields.push(format!("status = {}", e.status));
            if let Some(c) = &e.code {
                fields.push(format!("code = {}", q(c)));
            }
            fields.push(format!("effect = {}", q(&crate::expect::effect_of(e))));
        }
    }
    format!("expect = {{ {} }}\n", fields.join(", "))
}

/// The onboarding step for what is entered.
fn onboard_step(id: &str, vendor_user: &str, dest: &DestinationConfig) -> String {
    let mut with = vec![
        format!("bucket = {}", q(&dest.bucket)),
        format!("region = {}", q(&dest.region)),
    ];
    if let Some(p) = &dest.prefix {
        with.push(format!("prefix = {}", q(p)));
    }
    let actor = match &dest.auth {
        Auth::AssumeRole {
            role_arn,
            external_id,
        } => {
            with.push(format!("role_arn = {}", q(role_arn)));
            if let Some(e) = external_id {
                with.push(format!("external_id = {}", q(e)));
            }
            format!("as = {}\n", q(&format!("vendor/{vendor_user}")))
        }
        Auth::Hmac {
            access_key_id,
            secret_access_key,
        } => {
            with.push(format!("access_key_id = {}", q(access_key_id)));
            with.push(format!("secret_access_key = {}", q(secret_access_key.expose())));
            String::new()
        }
    };
    format!(
        "\n[[steps]]\nid = {}\ndo = \"connector.onboard\"\n{actor}with = {{ {} }}\n",
        q(id),
        with.join(", ")
    )
}

/// Run a scenario text; the last step's outcome and its explanation.
fn run_text(name: &str, text: &str) -> Result<(Outcome, Vec<String>), String> {
    let scenario = crate::scenario::from_source(
        Path::new(name),
        name,
        Source::new(name.to_string(), text.to_string()),
    )
    .map_err(|e| format!("the generated scenario does not load: {e}\n{text}"))?;
    let report = crate::run::run_blocking(&scenario, true);
    let Some(step) = report.steps.last() else {
        return Err(report.error.unwrap_or_else(|| "nothing ran".to_string()));
    };
    let Some(outcome) = &step.outcome else {
        return Err(report
            .error
            .unwrap_or_else(|| "the onboarding step did not run".to_string()));
    };
    Ok((outcome.clone(), step.explain.clone()))
}

/// The customer's record beside the emulator's record of the same failed call in
/// the first onboarding (before any fix).
fn trail_check(customer: &Value, first: &Outcome) -> TrailCheck {
    let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let name = field(customer, "eventName");
    let reproduced = first
        .entries
        .iter()
        .rev()
        .filter(|e| e.operation.as_deref() == Some(name.as_str()) && e.code.is_some())
        .find_map(emulator::cloudtrail::record)
        .map(|r| {
            [
                field(&r, "eventName"),
                field(&r, "errorCode"),
                field(&r, "errorMessage"),
            ]
        });
    TrailCheck {
        customer: [
            name,
            field(customer, "errorCode"),
            field(customer, "errorMessage"),
        ],
        reproduced,
    }
}

/// Build the scenario from the artefacts, run onboarding, and fix cause after
/// cause; write the scenario (to `--out`, when given).
pub fn reproduce(args: &Args) -> Result<Reproduced, String> {
    let a = artefacts::Artefacts {
        dir: args.from.clone(),
    };
    let entered = a.onboarding()?;
    let trail = a.cloudtrail()?;
    // The caller the customer's trail names is the service's principal, when it
    // is an IAM user of another account than the bucket's.
    let vendor = trail
        .as_ref()
        .filter(|t| artefacts::str_at(t, &["userIdentity", "type"]) == Some("IAMUser"))
        .and_then(|t| artefacts::str_at(t, &["userIdentity", "arn"]))
        .filter(|arn| matches!(entered.auth, Auth::AssumeRole { .. }) && arn.contains(":user/"))
        .map_or_else(|| args.vendor_principal.clone(), str::to_string);
    let bucket = args.bucket.clone().unwrap_or_else(|| entered.bucket.clone());
    let original = artefacts::read(&a, &vendor, &entered, &bucket)?;
    let mut notes = original.notes.clone();
    notes.extend(causes::corner_notes(&original));
    for missing in original.missing_documents() {
        notes.push(format!(
            "managed policy `{missing}` is attached but its document is not in the artefacts; it is left out (export it with get-policy-version)"
        ));
    }
    if vendor != args.vendor_principal {
        notes.push(format!(
            "the service's principal is `{vendor}`, as the customer's CloudTrail record names it"
        ));
    }
    let name = args
        .out
        .as_ref()
        .map_or_else(|| "reproduced.toml".to_string(), |p| p.display().to_string());

    let mut head = String::new();
    let _ = writeln!(
        head,
        "description = {}",
        q(&format!("reproduced from {}", a.dir.display()))
    );
    head.push_str("tags = [\"reproduced\"]\ncatalogue = []\n\n");
    head.push_str(&original.world_toml());

    let mut working = original.clone();
    let mut now_entered = entered.clone();
    let mut steps = String::new();
    let mut causes: Vec<Cause> = Vec::new();
    let mut first: Option<Outcome> = None;
    let (outcome, explain, last_step) = loop {
        let n = causes.len() + 1;
        let step = onboard_step(&format!("onboard-{n}"), &original.vendor_user, &now_entered);
        let (outcome, explain) = run_text(&name, &format!("{head}{steps}{step}"))?;
        first.get_or_insert_with(|| outcome.clone());
        let next = if outcome.ok || causes.len() >= MAX_ROUNDS {
            None
        } else {
            outcome
                .error_kind
                .as_deref()
                .and_then(|kind| causes::find(&working, &now_entered, &vendor, kind, &outcome.entries))
        };
        let Some(cause) = next else {
            break (outcome, explain, step);
        };
        // The failing step stays, pinned; the fix follows it.
        steps.push_str(&step);
        steps.push_str(&expectation(&outcome));
        if let Some(fix) = cause.fix.step(&format!("fix-{n}")) {
            steps.push_str(&fix);
        }
        cause.fix.apply(&mut working, &mut now_entered);
        causes.push(cause);
    };
    let pinned = format!("{head}{steps}{last_step}{}", expectation(&outcome));
    if let Some(path) = &args.out {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, &pinned).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let first = first.unwrap_or_else(|| outcome.clone());
    Ok(Reproduced {
        scenario: pinned,
        trail: trail.as_ref().map(|t| trail_check(t, &first)),
        first,
        outcome,
        explain,
        causes,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_compare_without_the_test_object_key() {
        let a = r#"... resource: "arn:aws:s3:::lake/_connection_test/20260101T000000Z-aa.txt" because no identity-based policy allows"#;
        let b = r#"... resource: "arn:aws:s3:::lake/_connection_test/20251203T101500Z-bb.txt" because no identity-based policy allows"#;
        assert_eq!(normalize(a), normalize(b));
        assert_ne!(
            normalize(a),
            normalize(&a.replace("identity-based", "resource-based"))
        );
    }
}
