//! Printing: policies as JSON (shaped by each policy's `shape` seed: key order,
//! scalar or one-element array, a lone statement as an object, bare booleans and
//! integers), worlds as world files, and a disagreement as a scenario file that
//! `harness run` runs.

use super::gen::{
    account_id, Caller, Case, Cond, Effect, Op, Policy, Request, Rng, Statement, Version, World, ACCOUNTS,
    ACCOUNT_NAMES, ORG_ID,
};
use super::model::Answer;
use std::borrow::Cow;
use std::fmt::Write as _;

use testkit::toml_text::{basic as quote, document, escape};

/// A JSON value with members in the order written (a lighter `serde_json::Value`),
/// borrowing its strings from the policy it prints.
#[derive(Debug, Clone)]
enum J<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    Num(u64),
    Arr(Vec<J<'a>>),
    Obj(Vec<(Cow<'a, str>, J<'a>)>),
}

impl J<'_> {
    /// Print; `indent` is `Some(depth)` for two-space indentation.
    fn write(&self, out: &mut String, indent: Option<usize>) {
        let newline = |out: &mut String, depth: usize| {
            out.push('\n');
            for _ in 0..depth {
                out.push_str("  ");
            }
        };
        match self {
            J::Str(s) => escape(out, s),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => {
                let _ = write!(out, "{n}");
            }
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(d) = indent {
                        newline(out, d + 1);
                    }
                    item.write(out, indent.map(|d| d + 1));
                }
                if let (Some(d), false) = (indent, items.is_empty()) {
                    newline(out, d);
                }
                out.push(']');
            }
            J::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(d) = indent {
                        newline(out, d + 1);
                    }
                    escape(out, k);
                    out.push(':');
                    if indent.is_some() {
                        out.push(' ');
                    }
                    v.write(out, indent.map(|d| d + 1));
                }
                if let (Some(d), false) = (indent, members.is_empty()) {
                    newline(out, d);
                }
                out.push('}');
            }
        }
    }
}

fn list<'a>(r: &mut Rng, items: &'a [String]) -> J<'a> {
    match items {
        [one] if r.chance(60) => J::Str(one.into()),
        _ => J::Arr(items.iter().map(|i| J::Str(i.into())).collect()),
    }
}

fn literal<'a>(r: &mut Rng, v: &'a str) -> J<'a> {
    if (v == "true" || v == "false") && r.chance(30) {
        return J::Bool(v == "true");
    }
    if !v.is_empty()
        && v.len() < 10
        && v.bytes().all(|b| b.is_ascii_digit())
        && !v.starts_with('0')
        && r.chance(30)
    {
        if let Ok(n) = v.parse::<u64>() {
            return J::Num(n);
        }
    }
    J::Str(v.into())
}

fn conditions<'a>(r: &mut Rng, conds: &'a [Cond]) -> J<'a> {
    let mut by_op: Vec<(Cow<'a, str>, J<'a>)> = Vec::new();
    for c in conds {
        let values: Vec<J> = c.values.iter().map(|v| literal(r, v)).collect();
        let value = match values.as_slice() {
            [one] if r.chance(60) => one.clone(),
            _ => J::Arr(values),
        };
        let op = c.operator();
        match by_op.iter_mut().find(|(k, _)| *k == op) {
            Some((_, J::Obj(m))) => m.push((c.key.as_str().into(), value)),
            _ => by_op.push((op.into(), J::Obj(vec![(c.key.as_str().into(), value)]))),
        }
    }
    J::Obj(by_op)
}

fn statement<'a>(r: &mut Rng, s: &'a Statement) -> J<'a> {
    let mut fields: Vec<(Cow<'a, str>, J<'a>)> = Vec::new();
    if let Some(sid) = &s.sid {
        fields.push(("Sid".into(), J::Str(sid.into())));
    }
    fields.push((
        "Effect".into(),
        J::Str(match s.effect {
            Effect::Allow => "Allow".into(),
            Effect::Deny => "Deny".into(),
        }),
    ));
    if let Some(p) = &s.principal {
        let key = if p.not { "NotPrincipal" } else { "Principal" };
        let value = if p.star {
            J::Str("*".into())
        } else {
            let mut m = Vec::new();
            if !p.aws.is_empty() {
                m.push(("AWS".into(), list(r, &p.aws)));
            }
            if !p.service.is_empty() {
                m.push(("Service".into(), list(r, &p.service)));
            }
            J::Obj(m)
        };
        fields.push((key.into(), value));
    }
    let action_key = if s.not_action { "NotAction" } else { "Action" };
    fields.push((action_key.into(), list(r, &s.actions)));
    if let Some(res) = &s.resources {
        let key = if s.not_resource { "NotResource" } else { "Resource" };
        fields.push((key.into(), list(r, res)));
    }
    if !s.conditions.is_empty() {
        fields.push(("Condition".into(), conditions(r, &s.conditions)));
    }
    // Key order is irrelevant to IAM; vary it.
    if r.chance(30) {
        r.shuffle(&mut fields);
    }
    J::Obj(fields)
}

/// The policy as a JSON tree, shaped by its `shape` seed.
fn policy_tree(p: &Policy) -> J<'_> {
    let mut r = Rng::new(p.shape);
    let statements: Vec<J> = p.statements.iter().map(|s| statement(&mut r, s)).collect();
    let statement = match statements.as_slice() {
        [one] if r.chance(30) => one.clone(),
        _ => J::Arr(statements),
    };
    let mut top: Vec<(Cow<'_, str>, J<'_>)> = Vec::new();
    match p.version {
        Version::V2012 => top.push(("Version".into(), J::Str("2012-10-17".into()))),
        Version::V2008 => top.push(("Version".into(), J::Str("2008-10-17".into()))),
        Version::Absent => {}
    }
    top.push(("Statement".into(), statement));
    if r.chance(20) {
        top.reverse();
    }
    J::Obj(top)
}

/// Compact JSON.
pub fn policy_json(p: &Policy) -> String {
    let mut out = String::new();
    policy_tree(p).write(&mut out, None);
    out
}

/// Indented JSON, for scenario files (the same shape as [`policy_json`]).
pub fn policy_pretty(p: &Policy) -> String {
    let mut out = String::new();
    policy_tree(p).write(&mut out, Some(0));
    out
}

fn account_name(i: usize) -> &'static str {
    ACCOUNT_NAMES.get(i).copied().unwrap_or("alpha")
}

fn tags_inline(tags: &[(String, String)]) -> String {
    let parts: Vec<String> = tags
        .iter()
        .map(|(k, v)| format!("{} = {}", quote(k), quote(v)))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

/// An instant as RFC 3339.
pub fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// The world as a world file. `prefix` is `""` for a world file, `"world."` for
/// a scenario's `[world]` table; `pretty` indents the policies.
pub fn world_toml(w: &World, prefix: &str, pretty: bool) -> String {
    let json = |p: &Policy| {
        if pretty {
            policy_pretty(p)
        } else {
            policy_json(p)
        }
    };
    let mut o = String::new();
    if !prefix.is_empty() {
        let _ = writeln!(o, "[{}]", prefix.trim_end_matches('.'));
    }
    let _ = writeln!(o, "now = {}", quote(&rfc3339(w.now)));
    let _ = writeln!(o, "\n[{prefix}network]\nsource_ip = {}", quote(&w.source_ip));
    if !w.secure_transport {
        let _ = writeln!(o, "secure_transport = false");
    }
    for (i, id) in ACCOUNTS.iter().enumerate() {
        let _ = writeln!(
            o,
            "\n[[{prefix}accounts]]\nid = \"{id}\"\nname = \"{}\"",
            account_name(i)
        );
    }
    for m in &w.managed {
        let _ = writeln!(
            o,
            "\n[[{prefix}policies]]\naccount = \"{}\"\nname = {}\ndocument = {}",
            account_name(m.account),
            quote(&m.name),
            document(&json(&m.policy))
        );
    }
    for g in &w.groups {
        let _ = writeln!(
            o,
            "\n[[{prefix}groups]]\naccount = \"{}\"\nname = {}",
            account_name(g.account),
            quote(&g.name)
        );
        if !g.managed.is_empty() {
            let names: Vec<String> = g.managed.iter().map(|m| quote(m)).collect();
            let _ = writeln!(o, "managed_policies = [{}]", names.join(", "));
        }
        for p in &g.policies {
            let _ = writeln!(
                o,
                "\n[[{prefix}groups.policies]]\nname = {}\ndocument = {}",
                quote(&p.name),
                document(&json(&p.policy))
            );
        }
    }
    for u in &w.users {
        let _ = writeln!(
            o,
            "\n[[{prefix}users]]\naccount = \"{}\"\nname = {}\nid = {}\naccess_keys = [{{ id = {}, secret = {} }}]",
            account_name(u.account),
            quote(&u.name),
            quote(&u.id),
            quote(&u.key_id()),
            quote(&u.secret())
        );
        if !u.tags.is_empty() {
            let _ = writeln!(o, "tags = {}", tags_inline(&u.tags));
        }
        if !u.managed.is_empty() {
            let names: Vec<String> = u.managed.iter().map(|m| quote(m)).collect();
            let _ = writeln!(o, "managed_policies = [{}]", names.join(", "));
        }
        if let Some(b) = &u.boundary {
            let _ = writeln!(o, "permissions_boundary = {}", quote(b));
        }
        if !u.groups.is_empty() {
            let names: Vec<String> = u.groups.iter().map(|g| quote(g)).collect();
            let _ = writeln!(o, "groups = [{}]", names.join(", "));
        }
        for p in &u.policies {
            let _ = writeln!(
                o,
                "\n[[{prefix}users.policies]]\nname = {}\ndocument = {}",
                quote(&p.name),
                document(&json(&p.policy))
            );
        }
    }
    for r in &w.roles {
        let _ = writeln!(
            o,
            "\n[[{prefix}roles]]\naccount = \"{}\"\nname = {}\nid = {}",
            account_name(r.account),
            quote(&r.name),
            quote(&r.id)
        );
        if r.path != "/" {
            let _ = writeln!(o, "path = {}", quote(&r.path));
        }
        if !r.tags.is_empty() {
            let _ = writeln!(o, "tags = {}", tags_inline(&r.tags));
        }
        if !r.managed.is_empty() {
            let names: Vec<String> = r.managed.iter().map(|m| quote(m)).collect();
            let _ = writeln!(o, "managed_policies = [{}]", names.join(", "));
        }
        if let Some(b) = &r.boundary {
            let _ = writeln!(o, "permissions_boundary = {}", quote(b));
        }
        let _ = writeln!(o, "trust_policy = {}", document(&json(&r.trust)));
        for p in &r.policies {
            let _ = writeln!(
                o,
                "\n[[{prefix}roles.policies]]\nname = {}\ndocument = {}",
                quote(&p.name),
                document(&json(&p.policy))
            );
        }
    }
    for b in &w.buckets {
        let _ = writeln!(
            o,
            "\n[[{prefix}buckets]]\nname = {}\naccount = \"{}\"\nregion = {}",
            quote(&b.name),
            account_name(b.account),
            quote(&b.region)
        );
        // Block Public Access off: the decisions are the policies' alone.
        let _ = writeln!(
            o,
            "public_access_block = {{ block_public_acls = false, ignore_public_acls = false, block_public_policy = false, restrict_public_buckets = false }}"
        );
        if let Some(p) = &b.policy {
            let _ = writeln!(o, "policy = {}", document(&json(p)));
        }
    }
    if let Some(org) = &w.org {
        let members: Vec<String> = org
            .members
            .iter()
            .map(|a| format!("\"{}\"", account_name(*a)))
            .collect();
        let _ = writeln!(
            o,
            "\n[{prefix}organization]\nid = \"{ORG_ID}\"\nmanagement_account = \"{}\"\naccounts = [{}]",
            account_name(org.management),
            members.join(", ")
        );
        if !org.full_aws_access {
            let _ = writeln!(o, "full_aws_access = false");
        }
        for (table, list) in [("scps", &org.scps), ("rcps", &org.rcps)] {
            for p in list {
                let accounts: Vec<String> = p
                    .accounts
                    .iter()
                    .map(|a| format!("\"{}\"", account_name(*a)))
                    .collect();
                let _ = writeln!(
                    o,
                    "\n[[{prefix}organization.{table}]]\nname = {}\naccounts = [{}]\ndocument = {}",
                    quote(&p.name),
                    accounts.join(", "),
                    document(&json(&p.policy))
                );
            }
        }
    }
    o
}

/// What a reproduced disagreement says in its header.
#[derive(Debug, Clone)]
pub struct Header {
    /// The run's seed.
    pub seed: u64,
    /// The case number.
    pub case: u64,
    /// The mode it was found in.
    pub mode: String,
    /// What was compared (the model, or a metamorphic relation).
    pub check: String,
    /// The model's answer for the last request.
    pub model: Answer,
    /// The emulator's answer, one line.
    pub emulator: String,
}

fn caller_as(w: &World, c: &Caller, sessions: &[String]) -> String {
    match c {
        Caller::User(i) => w.users.get(*i).map_or_else(
            || "anonymous".to_string(),
            |u| format!("{}/{}", account_name(u.account), u.name),
        ),
        Caller::Anonymous => "anonymous".to_string(),
        Caller::Session(_) => format!("session:{}", sessions.last().cloned().unwrap_or_default()),
    }
}

fn expect_line(a: &Answer) -> String {
    if a.code.is_empty() {
        format!(
            "{{ ok = true, status = {}, effect = \"{}\" }}",
            a.status,
            a.decision.as_str()
        )
    } else {
        format!(
            "{{ status = {}, code = \"{}\", effect = \"{}\" }}",
            a.status,
            a.code,
            a.decision.as_str()
        )
    }
}

/// A scenario reproducing `request` against `case.world`: the setup
/// `AssumeRole` steps its caller needs (expected to succeed), then the request,
/// expected to get the model's answer.
pub fn scenario(case: &Case, request: &Request, h: &Header) -> String {
    let w = &case.world;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Found by `harness fuzz --seed {} --mode {}`, case {}.",
        h.seed, h.mode, h.case
    );
    let _ = writeln!(o, "# Check: {}.", h.check);
    let _ = writeln!(
        o,
        "# Reference model: {} {} {}{}.",
        h.model.decision.as_str(),
        h.model.status,
        if h.model.code.is_empty() {
            "(no error)"
        } else {
            h.model.code
        },
        if h.model.by.is_empty() {
            String::new()
        } else {
            format!(", decided by the {} policies", h.model.by)
        }
    );
    let _ = writeln!(o, "# Emulator: {}.", h.emulator);
    let _ = writeln!(o, "# The last step expects the reference model's answer.");
    let _ = writeln!(
        o,
        "description = {}",
        quote(&format!(
            "policy fuzzing: seed {} case {}: the emulator answered {} where the reference model says {}",
            h.seed,
            h.case,
            h.emulator,
            h.model.decision.as_str()
        ))
    );
    let _ = writeln!(o, "tags = [\"fuzz\"]\n");
    o.push_str(&world_toml(w, "world.", true));
    let chain = request.chain();
    let mut sessions: Vec<String> = Vec::new();
    let last = chain.len().saturating_sub(1);
    for (i, step) in chain.iter().enumerate() {
        let who = caller_as(w, &step.caller, &sessions);
        let id = if i == last {
            "request".to_string()
        } else {
            format!("setup-{}", i + 1)
        };
        let _ = writeln!(o, "\n[[steps]]\nid = \"{id}\"");
        match &step.op {
            Op::Put(x) | Op::Delete(x) => {
                let kind = if matches!(step.op, Op::Put(_)) {
                    "s3.put_object"
                } else {
                    "s3.delete_object"
                };
                let mut with = vec![
                    format!("bucket = {}", quote(&x.bucket)),
                    format!("key = {}", quote(&x.key)),
                ];
                if matches!(step.op, Op::Put(_)) {
                    with.push("body = \"x\"".to_string());
                    if let Some(acl) = &x.acl {
                        with.push(format!("acl = {}", quote(acl)));
                    }
                    if let Some(sse) = &x.sse {
                        with.push(format!("sse = {}", quote(sse)));
                    }
                }
                let _ = writeln!(
                    o,
                    "do = \"{kind}\"\nas = {}\nwith = {{ {} }}",
                    quote(&who),
                    with.join(", ")
                );
            }
            // No step kind sends these: a hand-signed `raw` request does.
            Op::Abort(x) => {
                let _ = writeln!(
                    o,
                    "do = \"raw\"\nas = {}\nwith = {{ method = \"DELETE\", bucket = {}, key = {}, query = {} }}",
                    quote(&who),
                    quote(&x.bucket),
                    quote(&x.key),
                    quote(&format!("uploadId={}", crate::gen::NO_SUCH_UPLOAD))
                );
            }
            Op::Copy(c) => {
                let mut headers = vec![format!("\"x-amz-copy-source\" = {}", quote(&c.header()))];
                if let Some(acl) = &c.dest.acl {
                    headers.push(format!("\"x-amz-acl\" = {}", quote(acl)));
                }
                if let Some(sse) = &c.dest.sse {
                    headers.push(format!("\"x-amz-server-side-encryption\" = {}", quote(sse)));
                }
                let _ = writeln!(
                    o,
                    "do = \"raw\"\nas = {}\nwith = {{ method = \"PUT\", bucket = {}, key = {}, body = \"\", headers = {{ {} }} }}",
                    quote(&who),
                    quote(&c.dest.bucket),
                    quote(&c.dest.key),
                    headers.join(", ")
                );
            }
            Op::AssumeRole(a) => {
                let _ = writeln!(o, "do = \"sts.assume_role\"\nas = {}", quote(&who));
                let mut with = vec![
                    format!("role_arn = {}", quote(&a.role_arn)),
                    format!("session_name = {}", quote(&a.session_name)),
                ];
                if let Some(e) = &a.external_id {
                    with.push(format!("external_id = {}", quote(e)));
                }
                if !a.tags.is_empty() {
                    with.push(format!("tags = {}", tags_inline(&a.tags)));
                }
                if let Some(s) = &a.source_identity {
                    with.push(format!("source_identity = {}", quote(s)));
                }
                if let Some(p) = &a.policy {
                    with.push(format!("policy = {}", quote(&policy_json(p))));
                }
                let _ = writeln!(o, "with = {{ {} }}", with.join(", "));
                if i < last {
                    let name = format!("s{}", i + 1);
                    let _ = writeln!(o, "save = \"{name}\"");
                    sessions.push(name);
                }
            }
        }
        if i == last {
            let _ = writeln!(o, "expect = {}", expect_line(&h.model));
        } else {
            let _ = writeln!(o, "expect = {{ ok = true }}");
        }
    }
    o
}

/// One line naming a request, for reports.
pub fn describe(w: &World, r: &Request) -> String {
    let who = |c: &Caller| match c {
        Caller::User(i) => w.users.get(*i).map_or_else(
            || "?".to_string(),
            |u| format!("user {}/{}", account_id(u.account), u.name),
        ),
        Caller::Anonymous => "anonymous".to_string(),
        Caller::Session(inner) => match &inner.op {
            Op::AssumeRole(a) => format!("session {} of {}", a.session_name, a.role_arn),
            _ => "session".to_string(),
        },
    };
    match &r.op {
        Op::Put(o) => format!("{} PutObject {}/{}", who(&r.caller), o.bucket, o.key),
        Op::Delete(o) => format!("{} DeleteObject {}/{}", who(&r.caller), o.bucket, o.key),
        Op::Abort(o) => format!("{} AbortMultipartUpload {}/{}", who(&r.caller), o.bucket, o.key),
        Op::Copy(c) => format!(
            "{} CopyObject {}/{} to {}/{}",
            who(&r.caller),
            c.source_bucket,
            c.source_key,
            c.dest.bucket,
            c.dest.key
        ),
        Op::AssumeRole(a) => format!("{} AssumeRole {}", who(&r.caller), a.role_arn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Escaped strings read back as what was written, quotes, backslashes,
    /// control and multi-byte characters included.
    #[test]
    fn strings_escape_and_read_back() {
        for text in ["", "plain", "a\"b\\c", "\n\r\t\u{1}\u{1f}", "é€😀\"x\u{7f}", "\\"] {
            let mut out = String::new();
            escape(&mut out, text);
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), text, "{out}");
        }
        let mut out = String::new();
        escape(&mut out, "é\"\u{1}\\n\n");
        assert_eq!(out, r#""é\"\u0001\\n\n""#);
    }

    /// Compact and indented printing agree with serde_json on the same tree.
    #[test]
    fn policies_print_as_json() {
        for n in 0..50 {
            let case = crate::gen::case(3, n, 2, crate::gen::Focus::All);
            for (_, p) in case.world.policies() {
                let compact: serde_json::Value = serde_json::from_str(&policy_json(p)).unwrap();
                let pretty: serde_json::Value = serde_json::from_str(&policy_pretty(p)).unwrap();
                assert_eq!(compact, pretty);
                assert_eq!(serde_json::to_string_pretty(&pretty).unwrap(), policy_pretty(p));
            }
        }
        let mut out = String::new();
        escape(&mut out, "a\"b\\c\n\u{1}");
        assert_eq!(out, r#""a\"b\\c\n\u0001""#);
    }
}
