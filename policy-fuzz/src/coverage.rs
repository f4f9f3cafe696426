//! What the generated cases exercised: operators, qualifiers, principal forms,
//! context keys, policy features, request shapes and outcomes, with counts.

use std::collections::BTreeMap;

use super::gen::{Caller, Case, Effect, Kind, Op, Policy, Qualifier, Request, Version, World};
use super::model::Answer;

/// Counts per category.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// category → item → count.
    pub counts: BTreeMap<&'static str, BTreeMap<String, u64>>,
    /// Where [`Coverage::add_parts`] joins an item's parts: counting runs per
    /// decision, and most items are seen before, so nothing is allocated for them.
    scratch: String,
}

impl Coverage {
    fn add(&mut self, category: &'static str, item: &str) {
        let items = self.counts.entry(category).or_default();
        match items.get_mut(item) {
            Some(n) => *n += 1,
            None => {
                items.insert(item.to_string(), 1);
            }
        }
    }

    /// [`Coverage::add`] for an item written as the concatenation of `parts`.
    fn add_parts(&mut self, category: &'static str, parts: &[&str]) {
        let mut item = std::mem::take(&mut self.scratch);
        item.clear();
        for p in parts {
            item.push_str(p);
        }
        self.add(category, &item);
        self.scratch = item;
    }

    /// Add another coverage's counts.
    pub fn merge(&mut self, other: &Coverage) {
        for (cat, items) in &other.counts {
            let mine = self.counts.entry(cat).or_default();
            for (item, n) in items {
                *mine.entry(item.clone()).or_insert(0) += n;
            }
        }
    }

    /// Count what a world's policies use.
    pub fn world(&mut self, case: &Case) {
        let w = &case.world;
        for (kind, p) in w.policies() {
            self.policy(w, kind, p);
        }
        for p in case.session_policies() {
            self.policy(w, Kind::Session, p);
        }
        self.add(
            "world",
            if w.org.is_some() {
                "organization"
            } else {
                "no organization"
            },
        );
        if w.users.iter().any(|u| u.boundary.is_some()) || w.roles.iter().any(|r| r.boundary.is_some()) {
            self.add("world", "permissions boundary");
        }
        if !w.secure_transport {
            self.add("world", "plain HTTP");
        }
        if w.users.iter().any(|u| !u.groups.is_empty()) {
            self.add("world", "user in a group");
        }
        self.add(
            "world",
            if w.source_ip.contains(':') {
                "IPv6 source"
            } else {
                "IPv4 source"
            },
        );
    }

    fn policy(&mut self, w: &World, kind: Kind, p: &Policy) {
        self.add("policy kind", kind.name());
        self.add(
            "version",
            match p.version {
                Version::V2012 => "2012-10-17",
                Version::V2008 => "2008-10-17",
                Version::Absent => "absent",
            },
        );
        for s in &p.statements {
            self.add(
                "effect",
                match s.effect {
                    Effect::Allow => "Allow",
                    Effect::Deny => "Deny",
                },
            );
            if s.not_action {
                self.add("element", "NotAction");
            }
            if s.not_resource {
                self.add("element", "NotResource");
            }
            for a in &s.actions {
                if a.contains(['*', '?']) {
                    self.add("element", "action wildcard");
                }
            }
            for r in s.resources.iter().flatten() {
                if r.contains("${") {
                    self.add(
                        "variables",
                        if p.version == Version::V2012 {
                            "in Resource (substituted)"
                        } else {
                            "in Resource (literal, pre-2012)"
                        },
                    );
                }
                if r != "*" && r.contains(['*', '?']) {
                    self.add("element", "resource wildcard");
                }
            }
            if let Some(pr) = &s.principal {
                let label = if pr.not { "NotPrincipal " } else { "" };
                if pr.star {
                    self.add_parts("principal form", &[label, "\"*\""]);
                }
                for v in &pr.aws {
                    let form = principal_form(w, v);
                    self.add_parts("principal form", &[label, form]);
                }
                for _ in &pr.service {
                    self.add_parts("principal form", &[label, "Service"]);
                }
            }
            for c in &s.conditions {
                let (q, e) = c.operator_parts();
                self.add_parts("operator", &[q, &c.op, e]);
                self.add(
                    "qualifier",
                    match c.qualifier {
                        Qualifier::None => "none",
                        Qualifier::ForAll => "ForAllValues",
                        Qualifier::ForAny => "ForAnyValue",
                    },
                );
                if c.if_exists {
                    self.add("qualifier", "IfExists");
                }
                let key = canonical_key(&c.key);
                self.add("context key", &key);
                if c.values.iter().any(|v| v.contains("${")) {
                    self.add(
                        "variables",
                        if p.version == Version::V2012 {
                            "in Condition (substituted)"
                        } else {
                            "in Condition (literal, pre-2012)"
                        },
                    );
                }
            }
        }
    }

    /// Count one request step and the model's answer.
    pub fn request(&mut self, w: &World, r: &Request, depth: usize, a: &Answer) {
        let op = match &r.op {
            Op::Put(o) if o.acl.is_some() => "PutObject with ACL",
            Op::Put(_) => "PutObject",
            Op::Delete(_) => "DeleteObject",
            Op::Abort(_) => "AbortMultipartUpload",
            Op::Copy(_) => "CopyObject",
            Op::AssumeRole(_) => "AssumeRole",
        };
        self.add("request", op);
        let caller = match (&r.caller, depth) {
            (Caller::User(_), _) => "user",
            (Caller::Anonymous, _) => "anonymous",
            (Caller::Session(_), 0 | 1) => "role session",
            (Caller::Session(_), _) => "chained role session",
        };
        self.add("caller", caller);
        let caller_account = super::gen::caller_account(w, &r.caller);
        let resource_account = match &r.op {
            Op::Put(o) | Op::Delete(o) | Op::Abort(o) => w.bucket(&o.bucket).map(|b| b.account),
            Op::Copy(c) => w.bucket(&c.dest.bucket).map(|b| b.account),
            Op::AssumeRole(a) => w.role_by_arn(&a.role_arn).map(|x| x.account),
        };
        self.add(
            "accounts",
            match (caller_account, resource_account) {
                (None, _) => "anonymous",
                (Some(a), Some(b)) if a == b => "same account",
                _ => "cross-account",
            },
        );
        if let Op::AssumeRole(x) = &r.op {
            if x.external_id.is_some() {
                self.add("request", "AssumeRole with ExternalId");
            }
            if !x.tags.is_empty() {
                self.add("request", "AssumeRole with session tags");
            }
            if x.policy.is_some() {
                self.add("request", "AssumeRole with session policy");
            }
            if x.source_identity.is_some() {
                self.add("request", "AssumeRole with SourceIdentity");
            }
        }
        self.add_parts("outcome", &[op, ": ", a.decision.as_str()]);
        if !a.by.is_empty() {
            self.add_parts("denied by", &[a.by, " (", a.decision.as_str(), ")"]);
        }
    }

    /// The summary table.
    pub fn report(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        for (cat, items) in &self.counts {
            let total: u64 = items.values().sum();
            let _ = writeln!(o, "  {cat} ({} kinds, {total} uses):", items.len());
            let mut sorted: Vec<(&String, &u64)> = items.iter().collect();
            sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let line: Vec<String> = sorted.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let mut row = String::from("    ");
            for item in line {
                if row.len() + item.len() > 104 {
                    let _ = writeln!(o, "{}", row.trim_end_matches([',', ' ']));
                    row = String::from("    ");
                }
                row.push_str(&item);
                row.push_str(", ");
            }
            let _ = writeln!(o, "{}", row.trim_end_matches([',', ' ']));
        }
        o
    }
}

fn principal_form(w: &World, v: &str) -> &'static str {
    if v == "*" {
        return "{\"AWS\": \"*\"}";
    }
    if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
        return "account id";
    }
    if v.ends_with(":root") {
        return "account root ARN";
    }
    if v.starts_with("AIDA") {
        return "user unique id";
    }
    if v.starts_with("AROA") {
        return "role unique id";
    }
    if v.contains(":user/") {
        return "user ARN";
    }
    if v.contains(":assumed-role/") {
        return "assumed-role session ARN";
    }
    if v.contains(":role/") {
        if w.roles.iter().any(|r| r.is_arn(v) && r.path != "/") {
            return "role ARN with path";
        }
        return "role ARN";
    }
    "other"
}

/// A key in its documented case, tag keys kept as written.
fn canonical_key(k: &str) -> std::borrow::Cow<'static, str> {
    const KNOWN: &[&str] = &[
        "aws:SourceIp",
        "aws:SecureTransport",
        "aws:MultiFactorAuthPresent",
        "aws:ViaAWSService",
        "aws:PrincipalIsAWSService",
        "aws:TagKeys",
        "sts:ExternalId",
        "sts:RoleSessionName",
        "sts:SourceIdentity",
        "s3:x-amz-acl",
        "s3:x-amz-server-side-encryption",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:TokenIssueTime",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:username",
        "aws:userid",
        "aws:PrincipalType",
        "aws:PrincipalOrgID",
        "aws:RequestedRegion",
        "s3:ResourceAccount",
        "aws:SourceVpce",
    ];
    for known in KNOWN {
        if known.eq_ignore_ascii_case(k) {
            return (*known).into();
        }
    }
    for prefix in ["aws:PrincipalTag/", "aws:RequestTag/", "aws:ResourceTag/"] {
        if let (Some(head), Some(tag)) = (k.get(..prefix.len()), k.get(prefix.len()..)) {
            if head.eq_ignore_ascii_case(prefix) && !tag.is_empty() {
                return format!("{prefix}{}", tag.to_ascii_lowercase()).into();
            }
        }
    }
    k.to_string().into()
}
