//! `harness reproduce`: turn a customer's artefacts into a scenario, run onboarding
//! against it, print the diagnosis, and keep the scenario (with the observed outcome
//! as its expectation) as a regression test.
//!
//! The artefacts are the AWS CLI's JSON output, one file per command, in one folder:
//!
//! | file | command |
//! |---|---|
//! | `onboarding.json` / `onboarding.toml` | what the customer entered (the connector's `DestinationConfig`) |
//! | `get-role.json` | `aws iam get-role --role-name R` |
//! | `get-role-policy*.json` | `aws iam get-role-policy --role-name R --policy-name P` |
//! | `get-user.json` | `aws iam get-user --user-name U` (HMAC mode) |
//! | `get-user-policy*.json` | `aws iam get-user-policy --user-name U --policy-name P` |
//! | `list-access-keys.json` | `aws iam list-access-keys --user-name U` |
//! | `get-policy-version-<name>.json` | `aws iam get-policy-version --policy-arn ARN --version-id V` of an attached policy (or the permissions boundary) named `<name>` |
//! | `get-bucket-location.json` | `aws s3api get-bucket-location --bucket B` |
//! | `get-bucket-policy.json` | `aws s3api get-bucket-policy --bucket B` |
//! | `get-bucket-encryption.json` | `aws s3api get-bucket-encryption --bucket B` |
//! | `get-bucket-ownership-controls.json` | `aws s3api get-bucket-ownership-controls --bucket B` |
//! | `get-bucket-versioning.json` | `aws s3api get-bucket-versioning --bucket B` |
//! | `get-bucket-request-payment.json` | `aws s3api get-bucket-request-payment --bucket B` |
//! | `get-key-policy.json`, `describe-key.json` | `aws kms get-key-policy` / `describe-key` of the bucket's key |
//!
//! Only `onboarding.*` is required; what is missing is left at AWS's defaults.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use testkit::toml_text::{basic as q, document as lit};

use connector::config::Auth;
use connector::DestinationConfig;
use emulator::world::Source;
use serde_json::Value;

use crate::run::Outcome;

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
/// (whatever it found), 2 when the artefacts could not be turned into a scenario.
pub fn main(args: &Args) -> ExitCode {
    match reproduce(args) {
        Ok(r) => {
            if let Some(path) = &args.out {
                eprintln!("wrote {}", path.display());
            } else {
                crate::report::out(&r.scenario);
            }
            r.print();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("harness reproduce: {e}");
            ExitCode::from(2)
        }
    }
}

/// The artefacts folder.
struct Artefacts {
    dir: PathBuf,
}

impl Artefacts {
    fn json(&self, name: &str) -> Result<Option<Value>, String> {
        let path = self.dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))
    }

    /// Every `<prefix>*.json`, with the part of the name after the prefix.
    fn all(&self, prefix: &str) -> Result<Vec<(String, Value)>, String> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(prefix) && n.ends_with(".json"))
            .collect();
        names.sort();
        for n in names {
            let rest = n
                .trim_start_matches(prefix)
                .trim_end_matches(".json")
                .trim_start_matches('-')
                .to_string();
            if let Some(v) = self.json(&n)? {
                out.push((rest, v));
            }
        }
        Ok(out)
    }

    fn onboarding(&self) -> Result<DestinationConfig, String> {
        let json = self.dir.join("onboarding.json");
        let toml_path = self.dir.join("onboarding.toml");
        if json.exists() {
            let text = std::fs::read_to_string(&json).map_err(|e| format!("{}: {e}", json.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json.display()))
        } else if toml_path.exists() {
            let text =
                std::fs::read_to_string(&toml_path).map_err(|e| format!("{}: {e}", toml_path.display()))?;
            toml::from_str(&text).map_err(|e| format!("{}: {e}", toml_path.display()))
        } else {
            Err(format!(
                "{}: needs onboarding.json or onboarding.toml (what the customer entered)",
                self.dir.display()
            ))
        }
    }
}

/// A policy document as the CLI prints it: a JSON object, or (raw API output) a
/// URL-encoded or plain JSON string. Returned as pretty JSON text.
fn document(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => {
            let decoded = if s.trim_start().starts_with('%') {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .map_err(|e| format!("policy document is not UTF-8: {e}"))?
                    .into_owned()
            } else {
                s.clone()
            };
            let parsed: Value =
                serde_json::from_str(&decoded).map_err(|e| format!("policy document is not JSON: {e}"))?;
            serde_json::to_string_pretty(&parsed).map_err(|e| e.to_string())
        }
        other => serde_json::to_string_pretty(other).map_err(|e| e.to_string()),
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// `arn:aws:iam::ACCOUNT:KIND/PATH/NAME` → (account, kind, name).
fn iam_arn(arn: &str) -> Option<(String, String, String)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, _, _, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let (kind, rest) = resource.split_once('/')?;
    let name = rest.rsplit('/').next()?.to_string();
    Some((account.to_string(), kind.to_string(), name))
}

/// Build the scenario text.
fn build(args: &Args, a: &Artefacts, dest: &DestinationConfig) -> Result<String, String> {
    let bucket = args.bucket.clone().unwrap_or_else(|| dest.bucket.clone());
    let (vendor_account, vendor_kind, vendor_name) = iam_arn(&args.vendor_principal)
        .filter(|(_, kind, _)| kind == "user")
        .ok_or_else(|| {
            format!(
                "--vendor-principal `{}` must be an IAM user ARN",
                args.vendor_principal
            )
        })?;
    let _ = vendor_kind;

    let role = a.json("get-role.json")?;
    let user = a.json("get-user.json")?;
    let customer_account = role
        .as_ref()
        .and_then(|r| str_at(r, &["Role", "Arn"]))
        .or_else(|| user.as_ref().and_then(|u| str_at(u, &["User", "Arn"])))
        .and_then(iam_arn)
        .map(|(acct, _, _)| acct)
        .or_else(|| dest.auth.role_arn().and_then(iam_arn).map(|(acct, _, _)| acct))
        .unwrap_or_else(|| "222222222222".to_string());
    if customer_account == vendor_account {
        return Err("the customer's account is the vendor's account; pass another --vendor-principal".into());
    }

    let mut w = String::new();
    let _ = writeln!(
        w,
        "description = {}",
        q(&format!("reproduced from {}", a.dir.display()))
    );
    let _ = writeln!(
        w,
        "tags = [\"reproduced\"]\ncatalogue = []\n\n[world]\nnow = \"2026-01-01T00:00:00Z\"\n"
    );
    let _ = writeln!(
        w,
        "[[world.accounts]]\nid = {}\nname = \"vendor\"\n\n[[world.accounts]]\nid = {}\nname = \"customer\"\n",
        q(&vendor_account),
        q(&customer_account)
    );
    let vendor_policy = r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Sid": "AssumeCustomerRoles", "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], "Resource": "*" }
  ]
}"#;
    let _ = writeln!(
        w,
        "[[world.users]]\naccount = \"vendor\"\nname = {}\naccess_keys = [{{ id = \"AKIAVENDORSERVICE001\", secret = \"vendor-service-secret-000000000000000001\" }}]\npolicies = [{{ name = \"assume-customer-roles\", document = {} }}]\n",
        q(&vendor_name),
        lit(vendor_policy)
    );

    // Managed policies exported with get-policy-version-<name>.json.
    let managed = a.all("get-policy-version")?;
    let boundary_of = |v: Option<&Value>, kind: &str| {
        v.and_then(|x| str_at(x, &[kind, "PermissionsBoundary", "PermissionsBoundaryArn"]))
            .and_then(iam_arn)
            .map(|(_, _, name)| name)
    };
    let role_boundary = boundary_of(role.as_ref(), "Role");
    let user_boundary = boundary_of(user.as_ref(), "User");
    for (name, v) in &managed {
        let doc = v
            .get("PolicyVersion")
            .and_then(|p| p.get("Document"))
            .ok_or_else(|| format!("get-policy-version-{name}.json has no PolicyVersion.Document"))?;
        let _ = writeln!(
            w,
            "[[world.policies]]\naccount = \"customer\"\nname = {}\ndocument = {}\n",
            q(name),
            lit(&document(doc)?)
        );
    }
    let attached = |boundary: &Option<String>| -> Vec<String> {
        managed
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| Some(n) != boundary.as_ref())
            .collect()
    };
    let inline = |prefix: &str, key: &str| -> Result<String, String> {
        let mut out = String::new();
        for (i, (_, v)) in a.all(prefix)?.iter().enumerate() {
            let name = str_at(v, &["PolicyName"]).map_or_else(|| format!("inline-{i}"), str::to_string);
            let doc = v.get(key).ok_or_else(|| format!("{prefix}*.json has no {key}"))?;
            let _ = writeln!(
                out,
                "  {{ name = {}, document = {} }},",
                q(&name),
                lit(&document(doc)?)
            );
        }
        Ok(out)
    };

    if let Some(r) = &role {
        let name = str_at(r, &["Role", "RoleName"]).ok_or("get-role.json has no Role.RoleName")?;
        let trust = r
            .get("Role")
            .and_then(|x| x.get("AssumeRolePolicyDocument"))
            .ok_or("get-role.json has no Role.AssumeRolePolicyDocument")?;
        let _ = writeln!(w, "[[world.roles]]\naccount = \"customer\"\nname = {}", q(name));
        if let Some(path) = str_at(r, &["Role", "Path"]).filter(|p| *p != "/") {
            let _ = writeln!(w, "path = {}", q(path));
        }
        let _ = writeln!(w, "trust_policy = {}", lit(&document(trust)?));
        let policies = inline("get-role-policy", "PolicyDocument")?;
        if !policies.is_empty() {
            let _ = writeln!(w, "policies = [\n{policies}]");
        }
        let list = attached(&role_boundary);
        if !list.is_empty() {
            let quoted: Vec<String> = list.iter().map(|n| q(n)).collect();
            let _ = writeln!(w, "managed_policies = [{}]", quoted.join(", "));
        }
        if let Some(b) = &role_boundary {
            let _ = writeln!(w, "permissions_boundary = {}", q(b));
        }
        if let Some(d) = r
            .get("Role")
            .and_then(|x| x.get("MaxSessionDuration"))
            .and_then(Value::as_i64)
        {
            let _ = writeln!(w, "max_session_duration = {d}");
        }
        w.push('\n');
    }
    if let Some(u) = &user {
        let name = str_at(u, &["User", "UserName"]).ok_or("get-user.json has no User.UserName")?;
        let _ = writeln!(w, "[[world.users]]\naccount = \"customer\"\nname = {}", q(name));
        // Keys: what list-access-keys shows; the entered key gets the entered secret.
        let entered = match &dest.auth {
            Auth::Hmac {
                access_key_id,
                secret_access_key,
            } => Some((access_key_id.clone(), secret_access_key.expose().to_string())),
            Auth::AssumeRole { .. } => None,
        };
        let mut keys = Vec::new();
        if let Some(list) = a.json("list-access-keys.json")? {
            for k in list
                .get("AccessKeyMetadata")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let id = str_at(k, &["AccessKeyId"]).unwrap_or_default().to_string();
                let status = str_at(k, &["Status"]).unwrap_or("Active").to_string();
                let secret = match &entered {
                    Some((eid, s)) if *eid == id => s.clone(),
                    _ => format!("unknown-secret-of-{id}"),
                };
                keys.push(format!(
                    "{{ id = {}, secret = {}, status = {} }}",
                    q(&id),
                    q(&secret),
                    q(&status)
                ));
            }
        } else if let Some((id, secret)) = &entered {
            keys.push(format!("{{ id = {}, secret = {} }}", q(id), q(secret)));
        }
        let _ = writeln!(w, "access_keys = [{}]", keys.join(", "));
        let policies = inline("get-user-policy", "PolicyDocument")?;
        if !policies.is_empty() {
            let _ = writeln!(w, "policies = [\n{policies}]");
        }
        let list = attached(&user_boundary);
        if !list.is_empty() {
            let quoted: Vec<String> = list.iter().map(|n| q(n)).collect();
            let _ = writeln!(w, "managed_policies = [{}]", quoted.join(", "));
        }
        if let Some(b) = &user_boundary {
            let _ = writeln!(w, "permissions_boundary = {}", q(b));
        }
        w.push('\n');
    }

    // KMS key of the bucket's default encryption.
    let encryption = a.json("get-bucket-encryption.json")?;
    let rule = encryption.as_ref().and_then(|e| {
        e.get("ServerSideEncryptionConfiguration")?
            .get("Rules")?
            .as_array()?
            .first()
            .cloned()
    });
    let algorithm = rule
        .as_ref()
        .and_then(|r| str_at(r, &["ApplyServerSideEncryptionByDefault", "SSEAlgorithm"]))
        .map(str::to_string);
    let kms_key = rule
        .as_ref()
        .and_then(|r| str_at(r, &["ApplyServerSideEncryptionByDefault", "KMSMasterKeyID"]))
        .map(|k| k.rsplit('/').next().unwrap_or(k).to_string());
    let region = a
        .json("get-bucket-location.json")?
        .and_then(|l| {
            l.get("LocationConstraint")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .map(|r| if r == "EU" { "eu-west-1".to_string() } else { r })
        .unwrap_or_else(|| "us-east-1".to_string());
    if let Some(key) = &kms_key {
        let _ = writeln!(
            w,
            "[[world.kms_keys]]\naccount = \"customer\"\nid = {}\nregion = {}",
            q(key),
            q(&region)
        );
        if let Some(p) = a.json("get-key-policy.json")? {
            if let Some(doc) = p.get("Policy") {
                let _ = writeln!(w, "policy = {}", lit(&document(doc)?));
            }
        }
        if let Some(d) = a.json("describe-key.json")? {
            if let Some(state) = str_at(&d, &["KeyMetadata", "KeyState"]) {
                let _ = writeln!(w, "state = {}", q(state));
            }
        }
        w.push('\n');
    }

    let _ = writeln!(
        w,
        "[[world.buckets]]\nname = {}\naccount = \"customer\"\nregion = {}",
        q(&bucket),
        q(&region)
    );
    if let Some(p) = a.json("get-bucket-policy.json")? {
        if let Some(doc) = p.get("Policy") {
            let _ = writeln!(w, "policy = {}", lit(&document(doc)?));
        }
    }
    if let Some(o) = a.json("get-bucket-ownership-controls.json")? {
        let own = o
            .get("OwnershipControls")
            .and_then(|c| c.get("Rules"))
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(|r| str_at(r, &["ObjectOwnership"]));
        if let Some(own) = own {
            let _ = writeln!(w, "object_ownership = {}", q(own));
        }
    }
    if let Some(alg) = &algorithm {
        match &kms_key {
            Some(k) => {
                let _ = writeln!(w, "encryption = {{ algorithm = {}, kms_key = {} }}", q(alg), q(k));
            }
            None => {
                let _ = writeln!(w, "encryption = {{ algorithm = {} }}", q(alg));
            }
        }
    }
    if let Some(v) = a.json("get-bucket-versioning.json")? {
        if let Some(status) = str_at(&v, &["Status"]) {
            let _ = writeln!(w, "versioning = {}", q(status));
        }
    }
    if let Some(p) = a.json("get-bucket-request-payment.json")? {
        if str_at(&p, &["Payer"]) == Some("Requester") {
            let _ = writeln!(w, "requester_pays = true");
        }
    }
    w.push('\n');

    // The onboarding step: exactly what the customer entered.
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
            format!("as = {}\n", q(&format!("vendor/{vendor_name}")))
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
    let _ = write!(
        w,
        "[[steps]]\nid = \"onboard\"\ndo = \"connector.onboard\"\n{actor}with = {{ {} }}\n",
        with.join(", ")
    );
    Ok(w)
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

/// What `reproduce` found.
#[derive(Debug, Clone)]
pub struct Reproduced {
    /// The scenario, with the observed onboarding outcome pinned as its expectation.
    pub scenario: String,
    /// The onboarding outcome.
    pub outcome: Outcome,
    /// What the emulator logged, and why it decided so.
    pub explain: Vec<String>,
}

impl Reproduced {
    /// Print the diagnosis, its remediation and the emulator's explanation.
    pub fn print(&self) {
        let o = &self.outcome;
        let mut t = String::from("\n");
        if o.ok {
            t.push_str("onboarding passes against the reproduced setup\n");
        } else {
            let _ = writeln!(
                t,
                "onboarding fails: {}",
                o.error_kind.as_deref().unwrap_or("(no diagnosis)")
            );
        }
        for w in &o.warnings {
            let _ = writeln!(t, "warning: {w}");
        }
        if let Some(d) = &o.detail {
            let _ = writeln!(t, "{d}");
        }
        if let Some(r) = &o.remediation {
            let _ = writeln!(t, "\nremediation:\n{r}");
        }
        t.push_str("\nwhat the emulator saw:\n");
        for line in &self.explain {
            let _ = writeln!(t, "  {line}");
        }
        crate::report::out(&t);
    }
}

/// Build the scenario from the artefacts, run onboarding against it, and write the
/// scenario (to `--out`, when given) with the observed outcome pinned as its
/// expectation.
pub fn reproduce(args: &Args) -> Result<Reproduced, String> {
    let a = Artefacts {
        dir: args.from.clone(),
    };
    let dest = a.onboarding()?;
    let text = build(args, &a, &dest)?;
    let name = args
        .out
        .as_ref()
        .map_or_else(|| "reproduced.toml".to_string(), |p| p.display().to_string());
    let scenario =
        crate::scenario::from_source(Path::new(&name), &name, Source::new(name.clone(), text.clone()))
            .map_err(|e| format!("the generated scenario does not load: {e}\n{text}"))?;
    let report = crate::run::run_blocking(&scenario, true);
    let Some(step) = report.steps.first() else {
        return Err(report.error.unwrap_or_else(|| "nothing ran".to_string()));
    };
    let Some(outcome) = &step.outcome else {
        return Err("onboarding did not run".to_string());
    };
    let pinned = format!("{text}{}", expectation(outcome));
    if let Some(path) = &args.out {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, &pinned).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(Reproduced {
        scenario: pinned,
        outcome: outcome.clone(),
        explain: step.explain.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_in_every_cli_shape() {
        let obj = serde_json::json!({"Version": "2012-10-17", "Statement": []});
        let from_obj = document(&obj).unwrap();
        let from_str = document(&Value::String(obj.to_string())).unwrap();
        let from_url = document(&Value::String(
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D".to_string(),
        ))
        .unwrap();
        assert_eq!(from_obj, from_str);
        assert_eq!(from_obj, from_url);
    }

    #[test]
    fn arns() {
        assert_eq!(
            iam_arn("arn:aws:iam::222222222222:role/service-role/transfer-role"),
            Some(("222222222222".into(), "role".into(), "transfer-role".into()))
        );
        assert_eq!(iam_arn("transfer-role"), None);
    }
}
