//! From a failed onboarding to its exact cause and a fix: the artefacts hold the
//! values AWS's errors leave out (the role's real ARN, the trust policy's
//! principals and ExternalId, the statements that nearly matched), so the report
//! can say "you entered X; the role's ARN is Y" instead of a list of things to
//! check. Each cause carries a fix that the next round applies, until onboarding
//! passes or no fix is known.

use connector::config::Auth;
use connector::DestinationConfig;
use emulator::iam::Miss;
use emulator::log::LogEntry;
use serde_json::Value;
use testkit::toml_text::{basic as q, document as lit};

use super::setup::{Doc, Setup};

/// One cause of a failed onboarding.
#[derive(Debug, Clone)]
pub struct Cause {
    /// The connector's diagnosis kind.
    pub kind: String,
    /// What is wrong, with the exact values.
    pub summary: String,
    /// Why those values differ.
    pub details: Vec<String>,
    /// What fixes it.
    pub fix: Fix,
}

/// Who gets a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The customer's role (by name).
    Role(String),
    /// The customer's user (by name).
    User(String),
}

/// A change that removes one cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Enter this role ARN in onboarding.
    EnterRoleArn(String),
    /// Replace the role's trust policy.
    TrustPolicy {
        /// The role.
        role: String,
        /// The new document.
        document: String,
        /// What changed, for the report.
        change: String,
    },
    /// Add (or replace) an inline policy.
    PutPolicy {
        /// Who.
        target: Target,
        /// Policy name.
        name: String,
        /// The document.
        document: String,
    },
    /// Activate this access key.
    ActivateKey {
        /// The user.
        user: String,
        /// The key.
        key: String,
    },
}

impl Fix {
    /// One line for the report.
    pub fn describe(&self) -> String {
        match self {
            Self::EnterRoleArn(arn) => format!("enter the role's ARN exactly as IAM shows it: `{arn}`"),
            Self::TrustPolicy { role, change, .. } => format!("in role `{role}`'s trust policy, {change}"),
            Self::PutPolicy { target, name, .. } => {
                let who = match target {
                    Target::Role(r) => format!("role `{r}`"),
                    Target::User(u) => format!("user `{u}`"),
                };
                format!("give {who} the permissions policy `{name}` (below, in the scenario)")
            }
            Self::ActivateKey { user, key } => {
                format!("activate access key `{key}` of user `{user}` (or create a new one and enter it)")
            }
        }
    }

    /// Apply to the working copy.
    pub fn apply(&self, setup: &mut Setup, entered: &mut DestinationConfig) {
        match self {
            Self::EnterRoleArn(arn) => {
                if let Auth::AssumeRole { role_arn, .. } = &mut entered.auth {
                    role_arn.clone_from(arn);
                }
            }
            Self::TrustPolicy { document, .. } => {
                if let Some(r) = &mut setup.role {
                    r.trust.clone_from(document);
                }
            }
            Self::PutPolicy {
                target,
                name,
                document,
            } => {
                let doc = Doc {
                    name: name.clone(),
                    text: document.clone(),
                };
                let list = match target {
                    Target::Role(_) => setup.role.as_mut().map(|r| &mut r.inline),
                    Target::User(_) => setup.user.as_mut().map(|u| &mut u.inline),
                };
                if let Some(list) = list {
                    list.retain(|d| d.name != *name);
                    list.push(doc);
                }
            }
            Self::ActivateKey { key, .. } => {
                if let Some(u) = &mut setup.user {
                    for k in u.keys.iter_mut().filter(|k| k.id == *key) {
                        k.status = "Active".to_string();
                    }
                }
            }
        }
    }

    /// The scenario step that makes this change to the world (`None` when it
    /// changes what is entered: the next onboarding step carries it).
    pub fn step(&self, id: &str) -> Option<String> {
        let with = match self {
            Self::EnterRoleArn(_) => return None,
            Self::TrustPolicy { role, document, .. } => {
                format!(
                    "with = {{ role = {}, trust_policy = {} }}",
                    q(&format!("customer/{role}")),
                    lit(document)
                )
            }
            Self::PutPolicy {
                target,
                name,
                document,
            } => {
                let who = match target {
                    Target::Role(r) => format!("role = {}", q(&format!("customer/{r}"))),
                    Target::User(u) => format!("user = {}", q(&format!("customer/{u}"))),
                };
                format!(
                    "with = {{ {who}, put_policy = {{ name = {}, document = {} }} }}",
                    q(name),
                    lit(document)
                )
            }
            Self::ActivateKey { user, key } => format!(
                "with = {{ user = {}, key_status = {{ id = {}, status = \"Active\" }} }}",
                q(&format!("customer/{user}")),
                q(key)
            ),
        };
        Some(format!(
            "\n[[steps]]\nid = {}\ndo = \"world.edit\"\n{with}\n",
            q(id)
        ))
    }
}

/// The cause of a failed onboarding, when the artefacts show it and a fix is known.
pub fn find(
    setup: &Setup,
    entered: &DestinationConfig,
    vendor: &str,
    kind: &str,
    entries: &[LogEntry],
) -> Option<Cause> {
    match kind {
        "TrustPolicyDeniesAssumeRole" | "ExternalIdMismatchOrMissing" => trust(setup, entered, vendor, kind),
        "PolicyMissingPutObject" | "PolicyMissingDeleteObject" | "PolicyMissingAction" => {
            permissions(setup, kind, entries)
        }
        "KmsKeyDenied" => kms(setup, kind),
        "AccessKeyInactiveOrDeleted" | "InvalidAccessKeyId" => key(setup, entered, kind),
        _ => None,
    }
}

// ---- trust: the role ARN, the principal, the ExternalId -----------------------

/// `arn:PARTITION:SERVICE::ACCOUNT:KIND/PATH/NAME`, split.
#[derive(Debug, PartialEq, Eq)]
struct IamArn<'a> {
    partition: &'a str,
    account: &'a str,
    kind: &'a str,
    path: &'a str,
    name: &'a str,
}

fn parse_arn(arn: &str) -> Option<IamArn<'_>> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let partition = parts.next()?;
    let _service = parts.next()?;
    let _region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    let (kind, tail) = resource.split_once('/').unwrap_or((resource, ""));
    let (path, name) = match tail.rfind('/') {
        Some(i) => (&tail[..=i], &tail[i + 1..]),
        None => ("", tail),
    };
    Some(IamArn {
        partition,
        account,
        kind,
        path,
        name,
    })
}

/// Why the ARN entered is not the role's ARN.
fn arn_difference(entered: &str, actual: &str) -> Vec<String> {
    let mut why = Vec::new();
    if entered.trim() != entered {
        why.push("the entered ARN has surrounding whitespace".to_string());
    }
    let (Some(e), Some(a)) = (parse_arn(entered.trim()), parse_arn(actual)) else {
        why.push("the entered value is not a role ARN".to_string());
        return why;
    };
    if e.partition != a.partition {
        why.push(format!(
            "the partition is `{}`; the role's is `{}`",
            e.partition, a.partition
        ));
    }
    if e.account != a.account {
        why.push(format!(
            "account `{}` was entered; the role lives in account `{}`",
            e.account, a.account
        ));
    }
    if e.path != a.path {
        let shown = |p: &str| {
            if p.is_empty() {
                "/".to_string()
            } else {
                format!("/{p}")
            }
        };
        why.push(format!(
            "the role's path `{}` is part of its ARN; the entered ARN has `{}`",
            shown(a.path),
            shown(e.path)
        ));
    }
    if e.name != a.name {
        if e.name.eq_ignore_ascii_case(a.name) {
            why.push(format!(
                "the role name differs only in case (`{}` vs `{}`); ARNs are matched exactly",
                e.name, a.name
            ));
        } else {
            why.push(format!("the role name is `{}`, not `{}`", a.name, e.name));
        }
    }
    why
}

fn as_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

fn covers_assume_role(st: &Value) -> bool {
    as_list(st.get("Action")).iter().any(|a| {
        let a = a.to_ascii_lowercase();
        a == "sts:assumerole" || a == "sts:*" || a == "*" || a == "sts:assume*"
    })
}

fn statements(doc: &Value) -> Vec<Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Whether a principal value admits `vendor` (its ARN, its account's root, or
/// its account id, or anyone).
fn admits(p: &str, vendor: &str) -> bool {
    let account = parse_arn(vendor).map_or("", |a| a.account);
    p == "*" || p == vendor || p == account || p == format!("arn:aws:iam::{account}:root")
}

fn aws_principals(st: &Value) -> Vec<String> {
    match st.get("Principal") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(o)) => as_list(o.get("AWS")),
        _ => Vec::new(),
    }
}

/// Why a trust policy's principal is not the service's.
fn principal_difference(p: &str, vendor: &str, customer: &str) -> String {
    if p.trim() == vendor {
        return format!("`{p}` has surrounding whitespace");
    }
    if p.eq_ignore_ascii_case(vendor) {
        return format!("`{p}` differs from `{vendor}` only in case; principal ARNs are matched exactly");
    }
    if p.starts_with("AIDA") || p.starts_with("AROA") {
        return format!(
            "`{p}` is a unique id: IAM replaces a principal's ARN with its unique id when the principal is deleted, and a principal created again gets a new id, so the statement admits no one. Name `{vendor}` again"
        );
    }
    let (Some(have), Some(want)) = (parse_arn(p), parse_arn(vendor)) else {
        return format!("`{p}` is not the service's principal `{vendor}`");
    };
    if have.partition != want.partition {
        return format!(
            "`{p}` is in partition `{}`; the service is in `{}`",
            have.partition, want.partition
        );
    }
    if have.account != want.account {
        if have.account == customer {
            return format!(
                "`{p}` names your own account ({customer}), not the service's ({}): it admits your principals, not the service",
                want.account
            );
        }
        return format!(
            "`{p}` names account `{}`; the service's account is `{}`",
            have.account, want.account
        );
    }
    if have.kind != want.kind {
        return format!(
            "`{p}` names a {} (`{}`); the service calls as the IAM {} `{vendor}`",
            have.kind, have.name, want.kind
        );
    }
    if have.path != want.path {
        return format!(
            "`{p}` has path `/{}`; the service's user has `/{}`",
            have.path, want.path
        );
    }
    format!(
        "`{p}` names `{}`; the service's user is `{}`",
        have.name, want.name
    )
}

/// Why an ExternalId condition value does not admit `sent`, or `None` if it does.
fn external_id_difference(op: &str, expected: &str, sent: &str) -> Option<String> {
    let base = op.trim_end_matches("IfExists");
    let matches = match base {
        "StringEquals" => expected == sent,
        "StringEqualsIgnoreCase" => expected.eq_ignore_ascii_case(sent),
        "StringLike" => glob(expected, sent),
        _ => return None,
    };
    if matches {
        return None;
    }
    let head = format!("the trust policy requires `sts:ExternalId` `{expected}`; the service sends `{sent}`");
    Some(if base == "StringEquals" && expected.eq_ignore_ascii_case(sent) {
        format!("{head}; they differ only in case and `StringEquals` is case-sensitive")
    } else if expected.trim() == sent.trim() {
        format!("{head}; they differ only in surrounding whitespace")
    } else if base == "StringEquals"
        && (expected.contains('*') || expected.contains('?'))
        && glob(expected, sent)
    {
        format!("{head}; `StringEquals` compares literally, so `*` and `?` are not wildcards (`StringLike` would match)")
    } else {
        format!("{head}; they differ")
    })
}

fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn trust(setup: &Setup, entered: &DestinationConfig, vendor: &str, kind: &str) -> Option<Cause> {
    let role = setup.role.as_ref()?;
    let (entered_arn, external_id) = match &entered.auth {
        Auth::AssumeRole {
            role_arn,
            external_id,
        } => (role_arn.as_str(), external_id.as_deref()),
        Auth::Hmac { .. } => return None,
    };
    // 1. The ARN entered is not the role's.
    if !role.arn.is_empty() && entered_arn != role.arn {
        return Some(Cause {
            kind: kind.to_string(),
            summary: format!("you entered `{entered_arn}`; the role's ARN is `{}`", role.arn),
            details: arn_difference(entered_arn, &role.arn),
            fix: Fix::EnterRoleArn(role.arn.clone()),
        });
    }
    let mut doc: Value = serde_json::from_str(&role.trust).ok()?;
    let sts: Vec<Value> = statements(&doc);
    let allows: Vec<(usize, &Value)> = sts
        .iter()
        .enumerate()
        .filter(|(_, s)| s.get("Effect").and_then(Value::as_str) == Some("Allow") && covers_assume_role(s))
        .collect();
    // 2. No statement admits the service's principal.
    let admitting: Vec<usize> = allows
        .iter()
        .filter(|(_, s)| aws_principals(s).iter().any(|p| admits(p, vendor)))
        .map(|(i, _)| *i)
        .collect();
    if admitting.is_empty() {
        let (first, st) = *allows.first()?;
        let principals = aws_principals(st);
        let details: Vec<String> = principals
            .iter()
            .map(|p| principal_difference(p, vendor, &setup.customer_account))
            .collect();
        set_statement(&mut doc, first, |s| {
            s["Principal"] = serde_json::json!({ "AWS": vendor });
        });
        return Some(Cause {
            kind: kind.to_string(),
            summary: format!(
                "the trust policy admits {}; the service calls as `{vendor}`",
                principals
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            details,
            fix: Fix::TrustPolicy {
                role: role.name.clone(),
                document: pretty(&doc),
                change: format!("name `{vendor}` as the principal"),
            },
        });
    }
    // 3. The ExternalId condition of the admitting statements.
    let sent = external_id?;
    for i in admitting {
        let st = sts.get(i)?;
        let Some(Value::Object(conditions)) = st.get("Condition") else {
            continue;
        };
        for (op, block) in conditions {
            let Some(Value::Object(keys)) = Some(block) else {
                continue;
            };
            for (key, values) in keys {
                if !key.eq_ignore_ascii_case("sts:ExternalId") {
                    continue;
                }
                let expected = as_list(Some(values));
                let differences: Vec<String> = expected
                    .iter()
                    .filter_map(|v| external_id_difference(op, v, sent))
                    .collect();
                if differences.len() < expected.len() || expected.is_empty() {
                    continue;
                }
                let (op, key) = (op.clone(), key.clone());
                set_statement(&mut doc, i, |s| {
                    s["Condition"][op.as_str()][key.as_str()] = Value::String(sent.to_string());
                });
                return Some(Cause {
                    kind: kind.to_string(),
                    summary: differences[0].clone(),
                    details: differences[1..].to_vec(),
                    fix: Fix::TrustPolicy {
                        role: role.name.clone(),
                        document: pretty(&doc),
                        change: format!(
                            "set `sts:ExternalId` to exactly `{sent}`, the value the service sends"
                        ),
                    },
                });
            }
        }
    }
    None
}

/// Change statement `i` of a policy whose `Statement` is a list or one object.
fn set_statement(doc: &mut Value, i: usize, f: impl FnOnce(&mut Value)) {
    match doc.get_mut("Statement") {
        Some(Value::Array(a)) => {
            if let Some(s) = a.get_mut(i) {
                f(s);
            }
        }
        Some(s @ Value::Object(_)) if i == 0 => f(s),
        _ => {}
    }
}

// ---- permissions: the statement that nearly matched ---------------------------

/// The principal whose permissions policies onboarding needs.
fn target(setup: &Setup) -> Option<Target> {
    setup
        .role
        .as_ref()
        .map(|r| Target::Role(r.name.clone()))
        .or_else(|| setup.user.as_ref().map(|u| Target::User(u.name.clone())))
}

/// The JSON of the policy a decision names (`role:R/P`, `user:U/P`,
/// `group:G/P`, `managed:P`).
fn policy_text<'s>(setup: &'s Setup, id: &str) -> Option<&'s str> {
    let (kind, rest) = id.split_once(':')?;
    let find = |docs: &'s [Doc], name: &str| docs.iter().find(|d| d.name == name).map(|d| d.text.as_str());
    match kind {
        "role" => find(&setup.role.as_ref()?.inline, rest.split_once('/')?.1),
        "user" => find(&setup.user.as_ref()?.inline, rest.split_once('/')?.1),
        "group" => {
            let (g, p) = rest.split_once('/')?;
            find(&setup.groups.iter().find(|x| x.name == g)?.inline, p)
        }
        "managed" => find(&setup.managed, rest),
        _ => None,
    }
}

/// Why a statement's `Resource` does not cover `requested`.
fn resource_difference(patterns: &[String], requested: &str, bucket: &str) -> Vec<String> {
    let mut why = Vec::new();
    for p in patterns {
        let upper = p.to_ascii_uppercase();
        if upper.contains("BUCKET_NAME") || upper.contains("YOUR-BUCKET") || p.contains('<') {
            why.push(format!(
                "`{p}` still holds the setup guide's placeholder; the bucket is `{bucket}`"
            ));
        } else if p == &format!("arn:aws:s3:::{bucket}") {
            why.push(format!(
                "`{p}` is the bucket itself; objects need `arn:aws:s3:::{bucket}/*` (the `/*` is missing)"
            ));
        } else if let Some(other) = p
            .strip_prefix("arn:aws:s3:::")
            .map(|r| r.split('/').next().unwrap_or(r))
        {
            if other != bucket && !other.contains('*') {
                why.push(format!("`{p}` names bucket `{other}`; the bucket is `{bucket}`"));
            } else if !glob(p, requested) {
                why.push(format!(
                    "`{p}` does not cover `{requested}` (a prefix the connection test does not write under?)"
                ));
            }
        } else {
            why.push(format!("`{p}` does not cover `{requested}`"));
        }
    }
    why
}

fn permissions(setup: &Setup, kind: &str, entries: &[LogEntry]) -> Option<Cause> {
    let denied = entries
        .iter()
        .rev()
        .find(|e| e.status == 403 && e.decision.is_some())?;
    let decision = denied.decision.as_deref()?;
    let requested = decision.resource.clone();
    let mut details = Vec::new();
    for near in &decision.closest {
        let text = policy_text(setup, &near.statement.policy);
        let statement = text
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .and_then(|doc| statements(&doc).get(near.statement.index).cloned());
        let name = match &near.statement.sid {
            Some(sid) => format!("{}#{sid}", near.statement.policy),
            None => format!("{}#{}", near.statement.policy, near.statement.index),
        };
        for miss in &near.missed {
            match miss {
                Miss::Resource { .. } => {
                    let patterns = statement
                        .as_ref()
                        .map(|s| as_list(s.get("Resource")))
                        .unwrap_or_default();
                    for why in resource_difference(&patterns, &requested, &setup.bucket.name) {
                        details.push(format!("{name}: {why}"));
                    }
                }
                Miss::Action { requested } => {
                    details.push(format!("{name}: does not list `{requested}`"));
                }
                Miss::Condition {
                    operator,
                    key,
                    actual,
                    expected,
                    reading,
                } => details.push(match reading {
                    Some(r) => format!("{name}: {r}"),
                    None => format!(
                        "{name}: condition `{operator}` on `{key}` wants {expected:?}, the request has {actual:?}"
                    ),
                }),
                Miss::Principal { caller } => details.push(format!("{name}: does not name `{caller}`")),
            }
        }
    }
    let who = target(setup)?;
    Some(Cause {
        kind: kind.to_string(),
        summary: format!(
            "no permissions policy allows `{}` on `{requested}`",
            decision.action
        ),
        details,
        fix: Fix::PutPolicy {
            target: who,
            name: "push-to-warehouse".to_string(),
            document: connector::diagnosis::permissions_policy(&setup.bucket.name),
        },
    })
}

fn kms(setup: &Setup, kind: &str) -> Option<Cause> {
    let key = setup.kms.as_ref()?;
    let arn = format!(
        "arn:aws:kms:{}:{}:key/{}",
        key.region, setup.customer_account, key.id
    );
    let document = pretty(&serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{ "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": arn }]
    }));
    Some(Cause {
        kind: kind.to_string(),
        summary: format!("the bucket encrypts with KMS key `{arn}`, and no policy lets the writer use it"),
        details: Vec::new(),
        fix: Fix::PutPolicy {
            target: target(setup)?,
            name: "use-bucket-key".to_string(),
            document,
        },
    })
}

fn key(setup: &Setup, entered: &DestinationConfig, kind: &str) -> Option<Cause> {
    let Auth::Hmac { access_key_id, .. } = &entered.auth else {
        return None;
    };
    let user = setup.user.as_ref()?;
    let k = user.keys.iter().find(|k| k.id == *access_key_id)?;
    (k.status != "Active").then(|| Cause {
        kind: kind.to_string(),
        summary: format!(
            "access key `{}` of user `{}` is {} (list-access-keys)",
            k.id, user.name, k.status
        ),
        details: vec![
            "AWS answers a request signed with an inactive key as if the key did not exist (InvalidAccessKeyId)".to_string(),
        ],
        fix: Fix::ActivateKey {
            user: user.name.clone(),
            key: k.id.clone(),
        },
    })
}

/// Statements of the customer's policies whose effect depends on an undocumented
/// IAM corner (the emulator takes the reading with the strongest evidence; AWS may
/// differ): `${aws:username}` where the service calls as a role session (which has
/// none), `ForAnyValue:…IfExists`, a plain operator on a multivalued key.
pub fn corner_notes(setup: &Setup) -> Vec<String> {
    const MULTIVALUED: &[&str] = &[
        "aws:tagkeys",
        "aws:calledvia",
        "aws:principalservicenameslist",
        "s3:requestobjecttagkeys",
        "sts:transitivetagkeys",
    ];
    let mut docs: Vec<(String, &str)> = Vec::new();
    if let Some(r) = &setup.role {
        docs.extend(
            r.inline
                .iter()
                .map(|d| (format!("role `{}` policy `{}`", r.name, d.name), d.text.as_str())),
        );
    }
    if let Some(u) = &setup.user {
        docs.extend(
            u.inline
                .iter()
                .map(|d| (format!("user `{}` policy `{}`", u.name, d.name), d.text.as_str())),
        );
    }
    for g in &setup.groups {
        docs.extend(
            g.inline
                .iter()
                .map(|d| (format!("group `{}` policy `{}`", g.name, d.name), d.text.as_str())),
        );
    }
    docs.extend(
        setup
            .managed
            .iter()
            .map(|d| (format!("managed policy `{}`", d.name), d.text.as_str())),
    );
    if let Some(p) = &setup.bucket.policy {
        docs.push((
            format!("the bucket policy of `{}`", setup.bucket.name),
            p.as_str(),
        ));
    }
    let mut out = Vec::new();
    for (name, text) in docs {
        let Ok(doc) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        for (i, st) in statements(&doc).iter().enumerate() {
            let label = st
                .get("Sid")
                .and_then(Value::as_str)
                .map_or_else(|| format!("statement {i}"), |s| format!("statement `{s}`"));
            let raw = st.to_string();
            if setup.role.is_some() && raw.contains("${aws:username}") {
                out.push(format!(
                    "{name}, {label}: uses `${{aws:username}}`, which the service's role session does not have; the emulator reads a value-less variable as matching nothing (so `NotResource` excludes nothing and negated operators are true), as the IAM guide's \"Policy variables with no value\" says"
                ));
            }
            let Some(Value::Object(ops)) = st.get("Condition") else {
                continue;
            };
            for (op, keys) in ops {
                let Value::Object(keys) = keys else { continue };
                if op.starts_with("ForAnyValue:") && op.ends_with("IfExists") {
                    out.push(format!(
                        "{name}, {label}: `{op}` is false when the request lacks the key, `IfExists` or not (observed on AWS)"
                    ));
                }
                let plain = !op.starts_with("ForAnyValue:") && !op.starts_with("ForAllValues:");
                for key in keys.keys() {
                    if plain && MULTIVALUED.contains(&key.to_ascii_lowercase().as_str()) {
                        out.push(format!(
                            "{name}, {label}: `{op}` on the multivalued `{key}` without `ForAnyValue:`/`ForAllValues:` never matches (the emulator's reading, from re:Inforce 2025 IAM431)"
                        ));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_differences_are_named() {
        let why = arn_difference(
            "arn:aws:iam::310987654321:role/ptw-writer",
            "arn:aws:iam::310987654321:role/service-roles/ptw-writer",
        );
        assert_eq!(
            why,
            ["the role's path `/service-roles/` is part of its ARN; the entered ARN has `/`"]
        );
        let why = arn_difference(" arn:aws:iam::1:role/A ", "arn:aws:iam::2:role/a");
        assert!(why[0].contains("whitespace"), "{why:?}");
        assert!(why.iter().any(|w| w.contains("account `1`")), "{why:?}");
        assert!(why.iter().any(|w| w.contains("only in case")), "{why:?}");
    }

    #[test]
    fn external_id_differences_are_named() {
        let case = external_id_difference("StringEquals", "PTW-91B0C77E2D", "ptw-91b0c77e2d").unwrap();
        assert!(
            case.ends_with("they differ only in case and `StringEquals` is case-sensitive"),
            "{case}"
        );
        let wild = external_id_difference("StringEquals", "ptw-*", "ptw-91b0").unwrap();
        assert!(wild.contains("StringLike"), "{wild}");
        assert_eq!(external_id_difference("StringLike", "ptw-*", "ptw-91b0"), None);
        let space = external_id_difference("StringEquals", "ptw-1 ", "ptw-1").unwrap();
        assert!(space.contains("whitespace"), "{space}");
    }

    #[test]
    fn principal_differences_are_named() {
        let vendor = "arn:aws:iam::111111111111:user/sync";
        for (p, want) in [
            ("arn:aws:iam::222222222222:root", "your own account"),
            ("arn:aws:iam::111111111111:role/sync", "names a role"),
            ("AROAEXAMPLEEXAMPLE01", "unique id"),
            (
                "arn:aws:iam::111111111112:user/sync",
                "names account `111111111112`",
            ),
            ("arn:aws-cn:iam::111111111111:user/sync", "partition"),
            ("arn:aws:iam::111111111111:user/Sync", "only in case"),
        ] {
            let why = principal_difference(p, vendor, "222222222222");
            assert!(why.contains(want), "{p}: {why}");
        }
        assert!(admits("arn:aws:iam::111111111111:root", vendor));
        assert!(admits("111111111111", vendor));
    }
}
