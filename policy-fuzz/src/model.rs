//! The reference model: AWS's evaluation logic for the language the generator
//! writes, kept deliberately plain and separate from the emulator's engine (it
//! shares no code with `emulator::iam`: its own wildcard matcher, its own
//! operators, its own combiner), written from `shared/reference/iam.md` and the
//! IAM user guide pages it cites:
//!
//! - evaluation order and the combination rules: iam.md §1.2–1.7
//!   (`reference_policies_evaluation-logic.html`, `…-cross-account.html`,
//!   `access_policies_boundaries.html`, the RCP and SCP guides);
//! - principals and `NotPrincipal`: §1.6 (`reference_policies_elements_principal.html`,
//!   `…_notprincipal.html`);
//! - operators, missing keys, set operators: §3
//!   (`reference_policies_elements_condition_operators.html`,
//!   `reference_policies_condition-single-vs-multi-valued-context-keys.html`);
//! - which keys a request carries: §4 (`reference_policies_condition-keys.html`,
//!   the Service Authorization Reference for S3 and STS);
//! - variables and versions: §2 (`reference_policies_variables.html`,
//!   `reference_policies_elements_version.html`).
//!
//! Where iam.md leaves a choice open the model takes the one iam.md recommends
//! (a trust policy naming the caller still needs the caller's boundary, §1.6).

use std::borrow::Cow;

use super::gen::{
    account_id, Assume, Bucket, Cond, Effect, ObjectOp, Op, Org, Policy, Principal, Qualifier, Role,
    Statement, User, Version, World, ORG_ID,
};

/// The three outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// A `Deny` statement applied.
    ExplicitDeny,
    /// Nothing (of what was required) allowed.
    ImplicitDeny,
}

impl Decision {
    /// As scenario files write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::ExplicitDeny => "explicit-deny",
            Self::ImplicitDeny => "implicit-deny",
        }
    }
}

/// What AWS answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The decision.
    pub decision: Decision,
    /// HTTP status.
    pub status: u16,
    /// Error code, empty on success.
    pub code: &'static str,
    /// Which policy type decided a deny (for reports).
    pub by: &'static str,
}

/// A role session as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session<'w> {
    /// The role.
    pub role: &'w Role,
    /// `RoleSessionName`.
    pub name: String,
    /// Principal tags: the role's, overridden by the session's (any case).
    pub tags: Vec<(String, String)>,
    /// The inline session policy.
    pub policy: Option<Policy>,
    /// `aws:SourceIdentity`.
    pub source_identity: Option<String>,
    /// When it was issued (Unix seconds).
    pub issued: i64,
}

/// Who calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who<'w> {
    /// No credentials.
    Anonymous,
    /// An IAM user's long-term key.
    User(&'w User),
    /// A role session.
    Session(Session<'w>),
}

impl Who<'_> {
    fn account(&self) -> Option<usize> {
        match self {
            Who::Anonymous => None,
            Who::User(u) => Some(u.account),
            Who::Session(s) => Some(s.role.account),
        }
    }
}

// ---------------------------------------------------------------------------
// The request context
// ---------------------------------------------------------------------------

/// Condition keys of one request (keys compare case-insensitively). Values
/// borrow from the world and the caller where they can: a context is built
/// for every decision.
#[derive(Debug, Clone, Default)]
pub struct Ctx<'a> {
    keys: Vec<(Cow<'static, str>, Value<'a>)>,
}

#[derive(Debug, Clone)]
enum Value<'a> {
    /// Kept as a one-element slice, so [`Ctx::get`] can lend either form.
    Single([Cow<'a, str>; 1]),
    Multi(Vec<Cow<'a, str>>),
}

impl<'a> Ctx<'a> {
    fn set(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Cow<'a, str>>) {
        self.keys.push((key.into(), Value::Single([value.into()])));
    }

    fn set_multi(&mut self, key: impl Into<Cow<'static, str>>, values: Vec<Cow<'a, str>>) {
        self.keys.push((key.into(), Value::Multi(values)));
    }

    fn entry(&self, key: &str) -> Option<&Value<'a>> {
        self.keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// The values of a key; `None` when absent or an empty set.
    fn get(&self, key: &str) -> Option<&[Cow<'a, str>]> {
        match self.entry(key)? {
            Value::Single(v) => Some(v),
            Value::Multi(v) => Some(v.as_slice()).filter(|v| !v.is_empty()),
        }
    }

    /// The value of a single-valued key (variables cannot name multivalued keys).
    fn single(&self, key: &str) -> Option<&str> {
        match self.entry(key) {
            Some(Value::Single([v])) => Some(v),
            _ => None,
        }
    }
}

fn iso(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

fn in_org(org: Option<&Org>, account: usize) -> bool {
    org.is_some_and(|o| o.members.contains(&account))
}

/// Keys every request carries, and the caller's (iam.md §4.1).
fn base_context<'a>(w: &'a World, who: &'a Who<'_>, region: &'a str) -> Ctx<'a> {
    // Room for every key a request sets, so the list never grows.
    let mut c = Ctx {
        keys: Vec::with_capacity(32),
    };
    c.set("aws:CurrentTime", iso(w.now));
    c.set("aws:EpochTime", w.now.to_string());
    c.set(
        "aws:SecureTransport",
        if w.secure_transport { "true" } else { "false" },
    );
    c.set("aws:SourceIp", w.source_ip.as_str());
    c.set("aws:RequestedRegion", region);
    c.set("aws:ViaAWSService", "false");
    match who {
        Who::Anonymous => {
            c.set("aws:PrincipalAccount", "anonymous");
            c.set("aws:PrincipalType", "Anonymous");
            c.set("aws:userid", "anonymous");
        }
        Who::User(u) => {
            c.set("aws:PrincipalArn", u.arn());
            c.set("aws:PrincipalAccount", account_id(u.account));
            c.set("aws:PrincipalType", "User");
            c.set("aws:userid", u.id.as_str());
            c.set("aws:username", u.name.as_str());
            c.set("aws:PrincipalIsAWSService", "false");
            for (k, v) in &u.tags {
                c.set(super::gen::concat(&["aws:PrincipalTag/", k]), v.as_str());
            }
            if in_org(w.org.as_ref(), u.account) {
                c.set("aws:PrincipalOrgID", ORG_ID);
            }
        }
        Who::Session(s) => {
            c.set("aws:PrincipalArn", s.role.arn());
            c.set("aws:PrincipalAccount", account_id(s.role.account));
            c.set("aws:PrincipalType", "AssumedRole");
            c.set("aws:userid", super::gen::concat(&[&s.role.id, ":", &s.name]));
            c.set("aws:PrincipalIsAWSService", "false");
            for (k, v) in &s.tags {
                c.set(super::gen::concat(&["aws:PrincipalTag/", k]), v.as_str());
            }
            if in_org(w.org.as_ref(), s.role.account) {
                c.set("aws:PrincipalOrgID", ORG_ID);
            }
            c.set("aws:TokenIssueTime", iso(s.issued));
            c.set("aws:MultiFactorAuthPresent", "false");
            if let Some(si) = &s.source_identity {
                c.set("aws:SourceIdentity", si.as_str());
            }
        }
    }
    c
}

// ---------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Star,
    One,
}

/// Whole-string glob match; `fold` ignores ASCII case.
fn glob(p: &[Tok], t: &[char], fold: bool) -> bool {
    let eq = |a: char, b: char| if fold { a.eq_ignore_ascii_case(&b) } else { a == b };
    // reach[j]: the pattern prefix matched so far can end at text position j.
    let mut reach = vec![false; t.len() + 1];
    reach[0] = true;
    for tok in p {
        let mut next = vec![false; t.len() + 1];
        match tok {
            Tok::Star => {
                let mut on = false;
                for j in 0..=t.len() {
                    on = on || reach[j];
                    next[j] = on;
                }
            }
            Tok::One => {
                next[1..=t.len()].copy_from_slice(&reach[..t.len()]);
            }
            Tok::Lit(c) => {
                for j in 0..t.len() {
                    next[j + 1] = reach[j] && eq(*c, t[j]);
                }
            }
        }
        reach = next;
    }
    reach[t.len()]
}

/// Tokens of a policy string: `${key}` and `${key, 'default'}` substituted
/// (when `vars`), `${*}`/`${?}`/`${$}` as literal characters, `*`/`?` as
/// wildcards (when `wild`). `None` when a variable has no value: the value then
/// matches nothing (iam.md §2 "Policy variables").
fn tokens(s: &str, vars: bool, wild: bool, ctx: &Ctx<'_>) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if vars && rest.starts_with("${") {
            if let Some(end) = rest.find('}') {
                let inner = &rest[2..end];
                rest = &rest[end + 1..];
                match inner {
                    "*" => out.push(Tok::Lit('*')),
                    "?" => out.push(Tok::Lit('?')),
                    "$" => out.push(Tok::Lit('$')),
                    _ => {
                        let (key, default) = match inner.split_once(',') {
                            Some((k, d)) => {
                                let d = d.trim();
                                match d.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')) {
                                    Some(d) => (k.trim(), Some(d)),
                                    None => (inner, None),
                                }
                            }
                            None => (inner.trim(), None),
                        };
                        let value = ctx.single(key).or(default)?;
                        out.extend(value.chars().map(Tok::Lit));
                    }
                }
                continue;
            }
        }
        rest = &rest[c.len_utf8()..];
        out.push(match c {
            '*' if wild => Tok::Star,
            '?' if wild => Tok::One,
            c => Tok::Lit(c),
        });
    }
    Some(out)
}

/// `*`/`?` glob without variables: the classic matcher that backtracks to the
/// last `*` only (a later `*` can absorb anything an earlier one could).
fn plain_glob(pattern: &str, text: &str, fold: bool) -> bool {
    let eq = |p: &[u8], t: &[u8]| if fold { p.eq_ignore_ascii_case(t) } else { p == t };
    // The common shapes first: a literal, and a literal followed by one `*`
    // (`s3:Put*`). Comparing bytes is comparing characters here: ASCII case
    // folding never touches the bytes of a multi-byte character.
    let wild = |b: &u8| matches!(b, b'*' | b'?');
    match pattern.as_bytes().split_last() {
        None => return text.is_empty(),
        Some((b'*', head)) if !head.iter().any(wild) => {
            return text.as_bytes().get(..head.len()).is_some_and(|t| eq(head, t));
        }
        _ if !pattern.as_bytes().iter().any(wild) => return eq(pattern.as_bytes(), text.as_bytes()),
        _ => {}
    }
    if pattern.is_ascii() && text.is_ascii() {
        glob_units(pattern.as_bytes(), text.as_bytes(), fold, b'*', b'?')
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        glob_units(&p, &t, fold, '*', '?')
    }
}

trait Unit: Copy + PartialEq {
    fn same(self, other: Self, fold: bool) -> bool;
}

impl Unit for u8 {
    fn same(self, other: Self, fold: bool) -> bool {
        if fold {
            self.eq_ignore_ascii_case(&other)
        } else {
            self == other
        }
    }
}

impl Unit for char {
    fn same(self, other: Self, fold: bool) -> bool {
        if fold {
            self.eq_ignore_ascii_case(&other)
        } else {
            self == other
        }
    }
}

fn glob_units<U: Unit>(p: &[U], t: &[U], fold: bool, star_u: U, one_u: U) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = t.get(ti) {
        match p.get(pi) {
            Some(&x) if x == star_u => {
                star = Some((pi + 1, ti));
                pi += 1;
            }
            Some(&x) if x == one_u || x.same(c, fold) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((after, from)) => {
                    pi = after;
                    ti = from + 1;
                    star = Some((after, from + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|c| *c == star_u)
}

/// Whether `s` holds `${` (a byte loop: `str::contains(&str)` sets up a
/// substring searcher, which costs more than these short strings).
fn has_variable(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w == b"${")
}

fn like(pattern: &str, value: &str, vars: bool, ctx: &Ctx<'_>) -> bool {
    if !(vars && has_variable(pattern)) {
        return plain_glob(pattern, value, false);
    }
    let chars: Vec<char> = value.chars().collect();
    tokens(pattern, vars, true, ctx).is_some_and(|p| glob(&p, &chars, false))
}

fn resolve(pattern: &str, vars: bool, ctx: &Ctx<'_>) -> Option<String> {
    if !(vars && has_variable(pattern)) {
        return Some(pattern.to_string());
    }
    let toks = tokens(pattern, vars, false, ctx)?;
    Some(
        toks.iter()
            .map(|t| match t {
                Tok::Lit(c) => *c,
                Tok::Star => '*',
                Tok::One => '?',
            })
            .collect(),
    )
}

/// ARN match: six colon-separated segments, each a glob; the last keeps its
/// colons; `*` never crosses a colon between segments (iam.md §2 "Wildcards").
fn arn_match(pattern: &str, value: &str, vars: bool, ctx: &Ctx<'_>) -> bool {
    if pattern == "*" {
        return true;
    }
    // No wildcard and no variable: every segment must be equal, so the whole
    // strings are, and both have the six segments.
    if !pattern.bytes().any(|b| matches!(b, b'*' | b'?' | b'$')) {
        return pattern == value && pattern.bytes().filter(|b| *b == b':').count() >= 5;
    }
    // Split at bytes: `str::split_once(char)` costs more than the matching here.
    fn cut(s: &str) -> Option<(&str, &str)> {
        let i = s.bytes().position(|b| b == b':')?;
        Some((s.get(..i)?, s.get(i + 1..)?))
    }
    let (mut p, mut v) = (pattern, value);
    for _ in 0..5 {
        let (Some((ps, p_rest)), Some((vs, v_rest))) = (cut(p), cut(v)) else {
            return false;
        };
        if !like(ps, vs, vars, ctx) {
            return false;
        }
        (p, v) = (p_rest, v_rest);
    }
    like(p, v, vars, ctx)
}

fn action_match(pattern: &str, action: &str) -> bool {
    plain_glob(pattern, action, true)
}

// ---------------------------------------------------------------------------
// Condition operators (iam.md §3)
// ---------------------------------------------------------------------------

fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    if s.len() == 10 {
        let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
        return Some(d.midnight().assume_utc().unix_timestamp());
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

fn parse_num(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Does `cidr` (or a bare address, a /32 or /128) contain `ip`?
fn ip_in(cidr: &str, ip: &str) -> bool {
    let Ok(addr) = ip.trim().parse::<std::net::IpAddr>() else {
        return false;
    };
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr.trim(), None),
    };
    let Ok(net) = net.parse::<std::net::IpAddr>() else {
        return false;
    };
    match (net, addr) {
        (std::net::IpAddr::V4(n), std::net::IpAddr::V4(a)) => {
            let bits = bits.unwrap_or(32);
            if bits > 32 {
                return false;
            }
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (std::net::IpAddr::V6(n), std::net::IpAddr::V6(a)) => {
            let bits = bits.unwrap_or(128);
            if bits > 128 {
                return false;
            }
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// The positive test of an operator for one policy value and one request value,
/// and whether the operator is the negated form.
fn test(op: &str, policy: &str, value: &str, vars: bool, ctx: &Ctx<'_>) -> Option<(bool, bool)> {
    let num = |f: fn(f64, f64) -> bool| match (parse_num(value), parse_num(policy)) {
        (Some(v), Some(p)) => f(v, p),
        _ => false,
    };
    let date = |f: fn(i64, i64) -> bool| match (parse_date(value), parse_date(policy)) {
        (Some(v), Some(p)) => f(v, p),
        _ => false,
    };
    let lower = |s: &str| s.to_lowercase();
    Some(match op {
        "StringEquals" => (resolve(policy, vars, ctx).is_some_and(|p| p == value), false),
        "StringNotEquals" => (resolve(policy, vars, ctx).is_some_and(|p| p == value), true),
        "StringEqualsIgnoreCase" => (
            resolve(policy, vars, ctx).is_some_and(|p| lower(&p) == lower(value)),
            false,
        ),
        "StringNotEqualsIgnoreCase" => (
            resolve(policy, vars, ctx).is_some_and(|p| lower(&p) == lower(value)),
            true,
        ),
        "StringLike" => (like(policy, value, vars, ctx), false),
        "StringNotLike" => (like(policy, value, vars, ctx), true),
        "NumericEquals" => (num(|v, p| v == p), false),
        "NumericNotEquals" => (num(|v, p| v == p), true),
        "NumericLessThan" => (num(|v, p| v < p), false),
        "NumericLessThanEquals" => (num(|v, p| v <= p), false),
        "NumericGreaterThan" => (num(|v, p| v > p), false),
        "NumericGreaterThanEquals" => (num(|v, p| v >= p), false),
        "DateEquals" => (date(|v, p| v == p), false),
        "DateNotEquals" => (date(|v, p| v == p), true),
        "DateLessThan" => (date(|v, p| v < p), false),
        "DateLessThanEquals" => (date(|v, p| v <= p), false),
        "DateGreaterThan" => (date(|v, p| v > p), false),
        "DateGreaterThanEquals" => (date(|v, p| v >= p), false),
        "Bool" => (
            policy.eq_ignore_ascii_case("true") && value.eq_ignore_ascii_case("true")
                || policy.eq_ignore_ascii_case("false") && value.eq_ignore_ascii_case("false"),
            false,
        ),
        "IpAddress" => (ip_in(policy, value), false),
        "NotIpAddress" => (ip_in(policy, value), true),
        "ArnLike" | "ArnEquals" => (arn_match(policy, value, vars, ctx), false),
        "ArnNotLike" | "ArnNotEquals" => (arn_match(policy, value, vars, ctx), true),
        _ => return None,
    })
}

fn negated(op: &str) -> bool {
    op.contains("Not")
}

/// One `Operator: { key: values }` entry.
fn holds(c: &Cond, vars: bool, ctx: &Ctx<'_>) -> bool {
    if c.op == "Null" {
        // "true": the key is absent; "false": it is present.
        let present = ctx.get(&c.key).is_some();
        return c
            .values
            .iter()
            .any(|v| (v == "true" && !present) || (v == "false" && present));
    }
    let Some(values) = ctx.get(&c.key) else {
        // A missing key: positive operators fail, negated ones hold, IfExists
        // holds; ForAllValues holds and ForAnyValue fails, IfExists or not
        // (iam.md §3; re:Post QU9HFmDzP0QGuU-fd7rS6B7w, a test against AWS).
        return match c.qualifier {
            Qualifier::ForAll => true,
            Qualifier::ForAny => false,
            Qualifier::None => c.if_exists || negated(&c.op),
        };
    };
    // A multivalued key under a plain operator never matches (re:Inforce 2025
    // IAM431, as reported by cloud-copilot/iam-simulate; IAM Access Analyzer's
    // MISSING_QUALIFIER).
    if c.qualifier == Qualifier::None && matches!(ctx.entry(&c.key), Some(Value::Multi(_))) {
        return false;
    }
    // For one request value: a positive operator holds when some policy value
    // matches; a negated one when none does.
    let one = |value: &str| -> bool {
        let mut any = false;
        let mut neg = false;
        for p in &c.values {
            if let Some((hit, n)) = test(&c.op, p, value, vars, ctx) {
                any |= hit;
                neg = n;
            }
        }
        any != neg
    };
    match c.qualifier {
        Qualifier::ForAll => values.iter().all(|v| one(v)),
        Qualifier::ForAny => values.iter().any(|v| one(v)),
        // A single-valued key (multivalued ones returned above).
        Qualifier::None => values.iter().any(|v| one(v)),
    }
}

// ---------------------------------------------------------------------------
// Principals
// ---------------------------------------------------------------------------

/// How a resource-policy statement named the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Named {
    /// The caller's account only: delegates to its identity policies.
    Account,
    /// The role of a session (boundary and session policy still apply).
    Role,
    /// The caller itself, or everyone.
    Caller,
}

#[cfg(test)]
fn session_arn(s: &Session<'_>) -> String {
    format!(
        "arn:aws:sts::{}:assumed-role/{}/{}",
        account_id(s.role.account),
        s.role.name,
        s.name
    )
}

/// Whether `v` is [`session_arn`] (without building it).
fn is_session_arn(v: &str, s: &Session<'_>) -> bool {
    v.strip_prefix("arn:aws:sts::")
        .and_then(|r| r.strip_prefix(account_id(s.role.account)))
        .and_then(|r| r.strip_prefix(":assumed-role/"))
        .and_then(|r| r.strip_prefix(s.role.name.as_str()))
        .and_then(|r| r.strip_prefix('/'))
        == Some(s.name.as_str())
}

fn account_named(v: &str, account: usize) -> bool {
    let id = account_id(account);
    v == id || v.strip_prefix("arn:aws:iam::").and_then(|r| r.strip_prefix(id)) == Some(":root")
}

/// How one `AWS` value covers the caller.
fn covers(v: &str, who: &Who<'_>) -> Option<Named> {
    if v == "*" {
        return Some(Named::Caller);
    }
    match who {
        Who::Anonymous => None,
        Who::User(u) => {
            if u.is_arn(v) || v == u.id {
                Some(Named::Caller)
            } else if account_named(v, u.account) {
                Some(Named::Account)
            } else {
                None
            }
        }
        Who::Session(s) => {
            if is_session_arn(v, s) {
                Some(Named::Caller)
            } else if s.role.is_arn(v) || v == s.role.id {
                Some(Named::Role)
            } else if account_named(v, s.role.account) {
                Some(Named::Account)
            } else {
                None
            }
        }
    }
}

/// `Principal`: the strongest way it names the caller.
fn principal_names(p: &Principal, who: &Who<'_>) -> Option<Named> {
    if p.star {
        return Some(Named::Caller);
    }
    // Service principals never name our callers.
    p.aws.iter().filter_map(|v| covers(v, who)).max()
}

/// `NotPrincipal` (with `Deny`): is the caller excepted? Only when every level
/// of it is listed: its account, then its role, then the session or user
/// (`reference_policies_elements_notprincipal.html`: "AWS verifies the
/// account, then the role, then the assumed-role user").
fn not_principal_excepts(p: &Principal, who: &Who<'_>) -> bool {
    if p.star || p.aws.iter().any(|v| v == "*") {
        return true;
    }
    let listed = |f: &dyn Fn(&str) -> bool| p.aws.iter().any(|v| f(v));
    match who {
        Who::Anonymous => false,
        Who::User(u) => listed(&|v| account_named(v, u.account)) && listed(&|v| u.is_arn(v) || v == u.id),
        Who::Session(s) => {
            listed(&|v| account_named(v, s.role.account))
                && listed(&|v| s.role.is_arn(v) || v == s.role.id)
                && listed(&|v| is_session_arn(v, s))
        }
    }
}

// ---------------------------------------------------------------------------
// Statements and the combiner
// ---------------------------------------------------------------------------

struct Eval<'a, 'w> {
    who: &'a Who<'w>,
    action: &'a str,
    resource: &'a str,
    ctx: &'a Ctx<'a>,
    has_boundary: bool,
}

/// Does the statement apply? `Some(how it named the caller)`; statements
/// without a principal element name the caller by being attached to it.
fn applies(st: &Statement, version: Version, e: &Eval<'_, '_>) -> Option<Named> {
    let vars = version == Version::V2012;
    if st.actions.iter().any(|a| action_match(a, e.action)) == st.not_action {
        return None;
    }
    if let Some(resources) = &st.resources {
        if resources.iter().any(|r| arn_match(r, e.resource, vars, e.ctx)) == st.not_resource {
            return None;
        }
    }
    let named = match &st.principal {
        None => Named::Caller,
        Some(p) if p.not => {
            // "NotPrincipal with Deny always denies a principal that has a
            // permissions boundary" (access_policies_boundaries.html).
            let excepted = !e.has_boundary && not_principal_excepts(p, e.who);
            if excepted {
                return None;
            }
            Named::Caller
        }
        Some(p) => principal_names(p, e.who)?,
    };
    st.conditions
        .iter()
        .all(|c| holds(c, vars, e.ctx))
        .then_some(named)
}

fn denies(p: &Policy, e: &Eval<'_, '_>) -> bool {
    p.statements
        .iter()
        .any(|s| s.effect == Effect::Deny && applies(s, p.version, e).is_some())
}

/// The strongest way an applicable `Allow` of the policy names the caller.
fn allows(p: &Policy, e: &Eval<'_, '_>) -> Option<Named> {
    p.statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .filter_map(|s| applies(s, p.version, e))
        .max()
}

/// One level of SCPs or RCPs: the policy, and whether AWS's FullAWSAccess
/// (`RCPFullAWSAccess` for RCPs, which cannot be detached) sits beside it, in
/// which case the level allows everything its denies leave.
#[derive(Debug, Clone, Copy)]
struct Level<'w> {
    policy: &'w Policy,
    full_access: bool,
}

/// SCPs of the caller's account, RCPs of the resource's. Neither applies to
/// the management account (Organizations user guide: "SCPs don't affect users
/// or roles in the management account"; "RCPs don't affect resources in the
/// management account").
fn org_levels(org: Option<&Org>, account: usize, rcp: bool) -> Vec<Level<'_>> {
    let Some(o) = org else {
        return Vec::new();
    };
    if !o.members.contains(&account) || o.management == account {
        return Vec::new();
    }
    let list = if rcp { &o.rcps } else { &o.scps };
    list.iter()
        .filter(|p| p.accounts.is_empty() || p.accounts.contains(&account))
        .map(|p| Level {
            policy: &p.policy,
            full_access: rcp || o.full_aws_access,
        })
        .collect()
}

/// The resource policy and whether it is a trust policy (which must name the
/// caller even in its own account).
struct Resource<'a> {
    arn: String,
    account: usize,
    policy: Option<&'a Policy>,
    trust: bool,
}

fn identity_policies<'w>(w: &'w World, who: &Who<'w>) -> (Vec<&'w Policy>, Option<&'w Policy>) {
    let (account, inline, managed, boundary) = match who {
        Who::Anonymous => return (Vec::new(), None),
        Who::User(u) => (u.account, &u.policies, &u.managed, &u.boundary),
        Who::Session(s) => (
            s.role.account,
            &s.role.policies,
            &s.role.managed,
            &s.role.boundary,
        ),
    };
    let mut out: Vec<&Policy> = inline.iter().map(|n| &n.policy).collect();
    out.extend(
        managed
            .iter()
            .filter_map(|m| w.managed_policy(account, m).map(|m| &m.policy)),
    );
    // A user's groups' policies are its identity-based policies too (IAM user
    // guide, "IAM user groups"); a role has no groups.
    if let Who::User(u) = who {
        for g in w
            .groups
            .iter()
            .filter(|g| g.account == u.account && u.groups.contains(&g.name))
        {
            out.extend(g.policies.iter().map(|n| &n.policy));
            out.extend(
                g.managed
                    .iter()
                    .filter_map(|m| w.managed_policy(g.account, m).map(|m| &m.policy)),
            );
        }
    }
    let boundary = boundary
        .as_ref()
        .and_then(|b| w.managed_policy(account, b).map(|m| &m.policy));
    (out, boundary)
}

/// Decide one action (iam.md §1.2–1.7).
fn decide(
    w: &World,
    who: &Who<'_>,
    action: &str,
    res: &Resource<'_>,
    ctx: &Ctx<'_>,
) -> (Decision, &'static str) {
    let (identity, boundary) = identity_policies(w, who);
    let session_policy = match who {
        Who::Session(s) => s.policy.as_ref(),
        _ => None,
    };
    let e = Eval {
        who,
        action,
        resource: &res.arn,
        ctx,
        has_boundary: boundary.is_some(),
    };
    let scps = who
        .account()
        .map(|a| org_levels(w.org.as_ref(), a, false))
        .unwrap_or_default();
    let rcps = org_levels(w.org.as_ref(), res.account, true);

    // 1. An explicit deny anywhere.
    let checks: [(&'static str, Vec<&Policy>); 6] = [
        ("service-control", scps.iter().map(|l| l.policy).collect()),
        ("resource-control", rcps.iter().map(|l| l.policy).collect()),
        (
            if res.trust { "role-trust" } else { "resource-based" },
            res.policy.into_iter().collect(),
        ),
        ("identity-based", identity.clone()),
        ("permissions-boundary", boundary.into_iter().collect()),
        ("session", session_policy.into_iter().collect()),
    ];
    for (by, list) in &checks {
        if list.iter().any(|p| denies(p, &e)) {
            return (Decision::ExplicitDeny, by);
        }
    }
    // 2. Every RCP and SCP level must allow.
    let level_allows = |l: &Level<'_>| l.full_access || allows(l.policy, &e).is_some();
    if !rcps.iter().all(level_allows) {
        return (Decision::ImplicitDeny, "resource-control");
    }
    if !scps.iter().all(level_allows) {
        return (Decision::ImplicitDeny, "service-control");
    }
    // 3. The caller's side: identity ∩ boundary ∩ session policy.
    let identity_ok = identity.iter().any(|p| allows(p, &e).is_some());
    let boundary_ok = boundary.is_none_or(|p| allows(p, &e).is_some());
    let session_ok = session_policy.is_none_or(|p| allows(p, &e).is_some());
    let caller_ok = !matches!(who, Who::Anonymous) && identity_ok && boundary_ok && session_ok;
    let caller_fail = if !identity_ok {
        "identity-based"
    } else if !boundary_ok {
        "permissions-boundary"
    } else {
        "session"
    };
    // 4. The resource's side.
    let named = res.policy.and_then(|p| allows(p, &e));
    let resource_type = if res.trust { "role-trust" } else { "resource-based" };
    let same_account = who.account() == Some(res.account);
    let allowed = if same_account {
        if res.trust {
            // The trust policy must name the caller; naming it still leaves the
            // boundary in force (troubleshoot_roles.html, iam.md §1.6).
            match named {
                None => false,
                Some(Named::Caller) => boundary_ok,
                Some(Named::Role) => boundary_ok && session_ok,
                Some(Named::Account) => caller_ok,
            }
        } else {
            // Either side may allow; a grant naming the caller itself ignores
            // implicit denies in identity, boundary and session policies, one
            // naming its role still needs the boundary and session policy, one
            // naming only the account delegates (iam.md §1.2 step 4).
            caller_ok
                || match named {
                    Some(Named::Caller) => true,
                    Some(Named::Role) => boundary_ok && session_ok,
                    Some(Named::Account) | None => false,
                }
        }
    } else {
        // Cross-account and anonymous: both sides must allow (iam.md §1.4).
        named.is_some() && (matches!(who, Who::Anonymous) || caller_ok)
    };
    if allowed {
        return (Decision::Allow, "");
    }
    let by = if named.is_none()
        && (res.trust || !same_account)
        && (same_account || caller_ok || matches!(who, Who::Anonymous))
    {
        resource_type
    } else {
        caller_fail
    };
    (Decision::ImplicitDeny, by)
}

fn answer(d: (Decision, &'static str), ok_status: u16) -> Answer {
    match d.0 {
        Decision::Allow => Answer {
            decision: Decision::Allow,
            status: ok_status,
            code: "",
            by: "",
        },
        other => Answer {
            decision: other,
            status: 403,
            code: "AccessDenied",
            by: d.1,
        },
    }
}

/// No such bucket: S3 answers before any decision.
const NO_SUCH_BUCKET: Answer = Answer {
    decision: Decision::ImplicitDeny,
    status: 404,
    code: "NoSuchBucket",
    by: "",
};

/// The context of an S3 object request on bucket `b`: the global keys, the
/// resource account, and the headers' keys (S3 sets the same keys for every
/// decision a request takes, a copy's source included).
fn object_context<'a>(
    w: &'a World,
    who: &'a Who<'_>,
    b: &'a Bucket,
    o: &'a ObjectOp,
    copy_source: Option<&'a str>,
) -> Ctx<'a> {
    let mut ctx = base_context(w, who, &b.region);
    ctx.set("s3:ResourceAccount", account_id(b.account));
    if let Some(acl) = &o.acl {
        ctx.set("s3:x-amz-acl", acl.as_str());
    }
    if let Some(sse) = &o.sse {
        ctx.set("s3:x-amz-server-side-encryption", sse.as_str());
    }
    if let Some(src) = copy_source {
        ctx.set("s3:x-amz-copy-source", src);
    }
    ctx
}

fn object_resource<'a>(b: &'a Bucket, key: &str) -> Resource<'a> {
    Resource {
        arn: super::gen::concat(&["arn:aws:s3:::", &b.name, "/", key]),
        account: b.account,
        policy: b.policy.as_ref(),
        trust: false,
    }
}

/// A write of `o` (PutObject, or a copy's destination): `s3:PutObject`, and
/// `s3:PutObjectAcl` with an ACL header (S3 API reference, PutObject).
fn write_decision(
    w: &World,
    who: &Who<'_>,
    b: &Bucket,
    o: &ObjectOp,
    ctx: &Ctx<'_>,
) -> (Decision, &'static str) {
    let res = object_resource(b, &o.key);
    let d = decide(w, who, "s3:PutObject", &res, ctx);
    if d.0 == Decision::Allow && o.acl.is_some() {
        return decide(w, who, "s3:PutObjectAcl", &res, ctx);
    }
    d
}

/// What AWS answers for `op` sent by `who`.
pub fn evaluate(w: &World, who: &Who<'_>, op: &Op) -> Answer {
    match op {
        Op::Abort(o) => {
            let Some(b) = w.bucket(&o.bucket) else {
                return NO_SUCH_BUCKET;
            };
            let ctx = object_context(w, who, b, o, None);
            let d = decide(
                w,
                who,
                "s3:AbortMultipartUpload",
                &object_resource(b, &o.key),
                &ctx,
            );
            // Authorized first, then the upload looked up: none exists.
            match answer(d, 204) {
                Answer {
                    decision: Decision::Allow,
                    ..
                } => Answer {
                    decision: Decision::Allow,
                    status: 404,
                    code: "NoSuchUpload",
                    by: "",
                },
                denied => denied,
            }
        }
        Op::Copy(c) => {
            // The destination is decided first, then the source (`s3:GetObject`),
            // then the source is looked up: it does not exist.
            let Some(b) = w.bucket(&c.dest.bucket) else {
                return NO_SUCH_BUCKET;
            };
            let header = c.header();
            let ctx = object_context(w, who, b, &c.dest, Some(&header));
            let d = write_decision(w, who, b, &c.dest, &ctx);
            if d.0 != Decision::Allow {
                return answer(d, 200);
            }
            let Some(src) = w.bucket(&c.source_bucket) else {
                return NO_SUCH_BUCKET;
            };
            let ctx = object_context(w, who, src, &c.dest, Some(&header));
            let d = decide(w, who, "s3:GetObject", &object_resource(src, &c.source_key), &ctx);
            match answer(d, 200) {
                Answer {
                    decision: Decision::Allow,
                    ..
                } => Answer {
                    decision: Decision::Allow,
                    status: 404,
                    code: "NoSuchKey",
                    by: "",
                },
                denied => denied,
            }
        }
        Op::Put(o) | Op::Delete(o) => {
            let Some(b) = w.bucket(&o.bucket) else {
                return NO_SUCH_BUCKET;
            };
            if matches!(op, Op::Delete(_)) {
                // A delete sends no ACL or SSE header.
                let plain = ObjectOp {
                    acl: None,
                    sse: None,
                    ..o.clone()
                };
                let ctx = object_context(w, who, b, &plain, None);
                return answer(
                    decide(w, who, "s3:DeleteObject", &object_resource(b, &o.key), &ctx),
                    204,
                );
            }
            let ctx = object_context(w, who, b, o, None);
            answer(write_decision(w, who, b, o, &ctx), 200)
        }
        Op::AssumeRole(a) => {
            let Some(role) = w.role_by_arn(&a.role_arn) else {
                // A role that does not exist is denied like a trust policy that
                // does not name the caller.
                return Answer {
                    decision: Decision::ImplicitDeny,
                    status: 403,
                    code: "AccessDenied",
                    by: "role-trust",
                };
            };
            let ctx = assume_context(w, who, a);
            let res = Resource {
                arn: role.arn(),
                account: role.account,
                policy: Some(&role.trust),
                trust: true,
            };
            let d = decide(w, who, "sts:AssumeRole", &res, &ctx);
            if d.0 != Decision::Allow {
                return answer(d, 200);
            }
            // Session tags need sts:TagSession, a source identity
            // sts:SetSourceIdentity (id_session-tags.html; iam.md §1.6).
            if !a.tags.is_empty() {
                let d = decide(w, who, "sts:TagSession", &res, &ctx);
                if d.0 != Decision::Allow {
                    return answer(d, 200);
                }
            }
            if a.source_identity.is_some() {
                let d = decide(w, who, "sts:SetSourceIdentity", &res, &ctx);
                if d.0 != Decision::Allow {
                    return answer(d, 200);
                }
            }
            answer(d, 200)
        }
    }
}

fn assume_context<'a>(w: &'a World, who: &'a Who<'_>, a: &'a Assume) -> Ctx<'a> {
    let mut ctx = base_context(w, who, "us-east-1");
    ctx.set("sts:RoleSessionName", a.session_name.as_str());
    if let Some(e) = &a.external_id {
        ctx.set("sts:ExternalId", e.as_str());
    }
    if let Some(s) = &a.source_identity {
        ctx.set("sts:SourceIdentity", s.as_str());
    }
    for (k, v) in &a.tags {
        ctx.set(super::gen::concat(&["aws:RequestTag/", k]), v.as_str());
    }
    if !a.tags.is_empty() {
        ctx.set_multi(
            "aws:TagKeys",
            a.tags.iter().map(|(k, _)| k.as_str().into()).collect(),
        );
    }
    ctx
}

/// Whether every step of a request's chain is allowed.
pub fn chain_allowed(w: &World, req: &super::gen::Request) -> bool {
    let chain = req.chain();
    let mut who = match chain.first().map(|r| &r.caller) {
        Some(super::gen::Caller::User(i)) => match w.users.get(*i) {
            Some(u) => Who::User(u),
            None => return false,
        },
        _ => Who::Anonymous,
    };
    for step in chain {
        if evaluate(w, &who, &step.op).decision != Decision::Allow {
            return false;
        }
        if let Op::AssumeRole(a) = &step.op {
            match session_after(w, &who, a) {
                Some(s) => who = Who::Session(s),
                None => return false,
            }
        }
    }
    true
}

/// The session an allowed `AssumeRole` issues.
pub fn session_after<'w>(w: &'w World, who: &Who<'w>, a: &Assume) -> Option<Session<'w>> {
    let role = w.role_by_arn(&a.role_arn)?;
    let mut tags = role.tags.clone();
    for (k, v) in &a.tags {
        tags.retain(|(x, _)| !x.eq_ignore_ascii_case(k));
        tags.push((k.clone(), v.clone()));
    }
    let inherited = match who {
        Who::Session(s) => s.source_identity.clone(),
        _ => None,
    };
    Some(Session {
        role,
        name: a.session_name.clone(),
        tags,
        policy: a.policy.clone(),
        source_identity: a.source_identity.clone().or(inherited),
        issued: w.now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(pairs: &[(&'static str, &'a str)]) -> Ctx<'a> {
        let mut c = Ctx::default();
        for (k, v) in pairs {
            c.set(*k, *v);
        }
        c
    }

    /// The literal and trailing-`*` shortcuts agree with the general matcher.
    #[test]
    fn glob_shortcuts_agree_with_the_matcher() {
        let general = |p: &str, t: &str, fold: bool| {
            let p: Vec<char> = p.chars().collect();
            let t: Vec<char> = t.chars().collect();
            glob_units(&p, &t, fold, '*', '?')
        };
        let patterns = [
            "",
            "*",
            "s3:*",
            "S3:put*",
            "s3:PutObject",
            "é*",
            "É",
            "a?",
            "*a",
            "a*b",
            "ab**",
        ];
        let texts = [
            "",
            "s3:PutObject",
            "S3:putobject",
            "s3:",
            "é",
            "éx",
            "É",
            "a",
            "ab",
            "abb",
            "s",
        ];
        for p in patterns {
            for t in texts {
                for fold in [false, true] {
                    assert_eq!(plain_glob(p, t, fold), general(p, t, fold), "{p:?} {t:?} {fold}");
                }
            }
        }
    }

    /// An ARN pattern without wildcards or variables matches itself only, and
    /// only when it has the six segments.
    #[test]
    fn literal_arns_match_only_themselves_with_six_segments() {
        let c = Ctx::default();
        for (p, v, want) in [
            ("arn:aws:s3:::b/k", "arn:aws:s3:::b/k", true),
            ("arn:aws:s3:::b/k", "arn:aws:s3:::b/K", false),
            ("arn:aws:s3::b", "arn:aws:s3::b", false),
            ("a:b:c:d:e:f:g", "a:b:c:d:e:f:g", true),
            ("a:b:c:d:e:f:g", "a:b:c:d:e:f", false),
            ("arn:aws:s3:::b", "arn:aws:s3:::b/", false),
            ("arn:aws:s3:::b/*", "arn:aws:s3:::b/k", true),
            ("arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/alice", false),
        ] {
            assert_eq!(arn_match(p, v, true, &c), want, "{p} {v}");
        }
        assert!(arn_match("arn:aws:s3:::b/${x}", "arn:aws:s3:::b/${x}", false, &c));
    }

    /// The comparisons that do not build ARNs agree with building them.
    #[test]
    fn names_compare_as_the_built_arns() {
        for n in 0..40 {
            let w = crate::gen::case(5, n, 1, crate::gen::Focus::All).world;
            for r in &w.roles {
                let s = Session {
                    role: r,
                    name: format!("s{n}"),
                    tags: Vec::new(),
                    policy: None,
                    source_identity: None,
                    issued: 0,
                };
                let arn = session_arn(&s);
                assert!(is_session_arn(&arn, &s), "{arn}");
                assert!(!is_session_arn(&format!("{arn}x"), &s), "{arn}");
                assert!(!is_session_arn(&arn[..arn.len() - 1], &s), "{arn}");
                assert!(!is_session_arn(&arn.replace("sts", "iam"), &s), "{arn}");
            }
            for u in &w.users {
                let arn = u.arn();
                assert!(u.is_arn(&arn), "{arn}");
                assert!(
                    !u.is_arn(&format!("{arn}x")) && !u.is_arn(&arn[..arn.len() - 1]),
                    "{arn}"
                );
                for other in w.users.iter().filter(|o| o.arn() != arn) {
                    assert!(!other.is_arn(&arn), "{arn} taken for {}", other.arn());
                }
            }
        }
        for a in 0..3 {
            let id = account_id(a);
            assert!(account_named(id, a));
            assert!(account_named(&format!("arn:aws:iam::{id}:root"), a));
            assert!(!account_named(&format!("arn:aws:iam::{id}:rootx"), a));
            assert!(!account_named(&format!("arn:aws:iam::{id}:user/root"), a));
            assert!(!account_named(&format!("arn:aws:sts::{id}:root"), a));
            assert!(!account_named(account_id(a + 1), a));
        }
    }

    fn cond(op: &str, q: Qualifier, if_exists: bool, key: &str, values: &[&str]) -> Cond {
        Cond {
            op: op.into(),
            qualifier: q,
            if_exists,
            key: key.into(),
            values: values.iter().map(|v| (*v).to_string()).collect(),
        }
    }

    #[test]
    fn wildcards() {
        assert!(action_match("s3:*Object", "s3:PutObject"));
        assert!(action_match("S3:PUTOBJECT", "s3:PutObject"));
        assert!(action_match("s3:?utObject", "s3:PutObject"));
        assert!(!action_match("s3:Put", "s3:PutObject"));
        let c = Ctx::default();
        // iam.md §7 rows 13 and 14.
        assert!(arn_match(
            "arn:aws:s3:::b/*/test/*",
            "arn:aws:s3:::b/1/2/test/x.jpg",
            true,
            &c
        ));
        assert!(!arn_match(
            "arn:aws:s3:::b/*/test/*",
            "arn:aws:s3:::b/test/x.jpg",
            true,
            &c
        ));
        assert!(!arn_match(
            "arn:aws:s3:::b/Reports/*",
            "arn:aws:s3:::b/reports/x",
            true,
            &c
        ));
        assert!(arn_match(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111111111111:role/svc/w",
            true,
            &c
        ));
        // A `*` never crosses a colon between segments (row 16).
        assert!(!arn_match(
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
            true,
            &c
        ));
        assert!(like(
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
            true,
            &c
        ));
    }

    #[test]
    fn variables_and_versions() {
        let c = ctx(&[("aws:username", "bob")]);
        assert!(arn_match(
            "arn:aws:s3:::b/home/${aws:username}/*",
            "arn:aws:s3:::b/home/bob/x",
            true,
            &c
        ));
        // Row 35: literal before 2012-10-17.
        assert!(!arn_match(
            "arn:aws:s3:::b/home/${aws:username}/*",
            "arn:aws:s3:::b/home/bob/x",
            false,
            &c
        ));
        assert!(arn_match(
            "arn:aws:s3:::b/home/${aws:username}/*",
            "arn:aws:s3:::b/home/${aws:username}/x",
            false,
            &c
        ));
        // Row 34: no value, no match; row 36: `${*}` is a literal star; row 37: default.
        assert!(!arn_match(
            "arn:aws:s3:::b/${aws:PrincipalTag/t}/*",
            "arn:aws:s3:::b//x",
            true,
            &c
        ));
        assert!(arn_match("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", true, &c));
        assert!(!arn_match("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/abc", true, &c));
        assert!(arn_match(
            "arn:aws:s3:::b-${aws:PrincipalTag/team, 'company-wide'}/*",
            "arn:aws:s3:::b-company-wide/x",
            true,
            &c
        ));
    }

    #[test]
    fn operators_on_missing_and_multivalued_keys() {
        let q = Qualifier::None;
        let none = Ctx::default();
        // iam.md §3 and §7 rows 20, 22, 23, 26-31.
        assert!(!holds(
            &cond("StringEquals", q, false, "s3:x-amz-acl", &["a"]),
            true,
            &none
        ));
        assert!(holds(
            &cond("StringNotEquals", q, false, "s3:x-amz-acl", &["a"]),
            true,
            &none
        ));
        assert!(holds(
            &cond("StringEquals", q, true, "s3:x-amz-acl", &["a"]),
            true,
            &none
        ));
        assert!(holds(&cond("StringNotEquals", q, true, "k", &["x"]), true, &none));
        assert!(holds(
            &cond("StringEquals", Qualifier::ForAll, false, "aws:TagKeys", &["a"]),
            true,
            &none
        ));
        assert!(!holds(
            &cond("StringEquals", Qualifier::ForAny, false, "aws:TagKeys", &["a"]),
            true,
            &none
        ));
        let mut tags = Ctx::default();
        tags.set_multi("aws:TagKeys", vec!["a".into(), "c".into()]);
        assert!(!holds(
            &cond("StringEquals", Qualifier::ForAll, false, "aws:TagKeys", &["a"]),
            true,
            &tags
        ));
        assert!(holds(
            &cond("StringEquals", Qualifier::ForAny, false, "AWS:tagkeys", &["a"]),
            true,
            &tags
        ));
        assert!(holds(
            &cond("Null", q, false, "aws:TokenIssueTime", &["true"]),
            true,
            &none
        ));
        assert!(!holds(
            &cond("Bool", q, false, "aws:MultiFactorAuthPresent", &["false"]),
            true,
            &none
        ));
        assert!(holds(
            &cond("Bool", q, true, "aws:MultiFactorAuthPresent", &["false"]),
            true,
            &none
        ));
        assert!(holds(
            &cond("NotIpAddress", q, false, "aws:SourceIp", &["203.0.113.0/24"]),
            true,
            &none
        ));
        let ip = ctx(&[("aws:SourceIp", "203.0.113.6")]);
        assert!(!holds(
            &cond("IpAddress", q, false, "aws:SourceIp", &["203.0.113.5"]),
            true,
            &ip
        ));
        assert!(holds(
            &cond("IpAddress", q, false, "aws:sourceip", &["203.0.113.0/29"]),
            true,
            &ip
        ));
        assert!(holds(
            &cond("IpAddress", q, false, "aws:SourceIp", &["0.0.0.0/0"]),
            true,
            &ip
        ));
        assert!(!holds(
            &cond("IpAddress", q, false, "aws:SourceIp", &["::/0"]),
            true,
            &ip
        ));
        // Row 25: a negated operator is NOR over the values.
        let acct = ctx(&[("aws:PrincipalAccount", "111111111111")]);
        assert!(!holds(
            &cond(
                "StringNotEquals",
                q,
                false,
                "aws:PrincipalAccount",
                &["111111111111", "222222222222"]
            ),
            true,
            &acct
        ));
        // Row 33: dates in ISO 8601 or epoch seconds.
        let t = ctx(&[("aws:CurrentTime", "2021-06-01T00:00:00Z")]);
        assert!(holds(
            &cond(
                "DateGreaterThan",
                q,
                false,
                "aws:CurrentTime",
                &["2020-01-01T00:00:01Z"]
            ),
            true,
            &t
        ));
        assert!(holds(
            &cond("DateGreaterThan", q, false, "aws:CurrentTime", &["1577836801"]),
            true,
            &t
        ));
        assert!(holds(
            &cond("DateLessThan", q, false, "aws:CurrentTime", &["2021-06-02"]),
            true,
            &t
        ));
    }
}
