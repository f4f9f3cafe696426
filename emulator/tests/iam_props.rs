//! Property tests for the IAM engine (proptest, fixed case counts).
//!
//! - The combiner against a small reference model written straight from iam.md
//!   §1.2 (the Cedar DRT idea, on abstract statements).
//! - The wildcard matcher and the ARN matcher against `regex` oracles, with
//!   strings generated from the pattern so that matches are common.
//! - parse → print → parse round trips, and key order / whitespace / scalar-vs-
//!   array invariance.
//! - An explicit deny anywhere always denies; statement order, policy order, Sid
//!   renaming, action case and condition-key case never change a decision.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail loudly on impossible inputs"
)]

use emulator::iam::pattern::{tokenize, wildcard_match, ArnMode, ArnPattern, Wildcard};
use emulator::iam::variables::NoVariables;
use emulator::iam::{
    evaluate, Decision, Effect, Policies, Policy, PolicyKind, PolicyRef, PolicyType, Principal, Request,
    RequestContext,
};
use proptest::prelude::*;

const A: &str = "111111111111";
const B: &str = "222222222222";

// ---------------------------------------------------------------------------
// Abstract worlds
// ---------------------------------------------------------------------------

/// An abstract statement: does it allow or deny, and does it apply?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::enum_variant_names,
    reason = "the names the design uses for abstract statements"
)]
enum St {
    AllowMatch,
    AllowNoMatch,
    DenyMatch,
    DenyNoMatch,
}

/// How a resource-policy statement names the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Naming {
    /// The caller's own ARN (user or session).
    Own,
    /// The role ARN (for a user caller: the user ARN again).
    Role,
    /// The caller's account.
    Account,
    /// `"*"`.
    Star,
}

#[derive(Debug, Clone)]
struct World {
    session_caller: bool,
    cross_account: bool,
    trust: bool,
    scps: Vec<Vec<St>>,
    rcps: Vec<Vec<St>>,
    resource: Option<Vec<(St, Naming)>>,
    identity: Vec<Vec<St>>,
    boundary: Option<Vec<St>>,
    session: Option<Vec<St>>,
}

/// Allows are more common than denies so that all branches are reached.
fn st_weighted() -> impl Strategy<Value = St> {
    prop_oneof![4 => Just(St::AllowMatch), 3 => Just(St::AllowNoMatch), 1 => Just(St::DenyMatch), 2 => Just(St::DenyNoMatch)]
}

fn naming() -> impl Strategy<Value = Naming> {
    prop_oneof![
        Just(Naming::Own),
        Just(Naming::Role),
        Just(Naming::Account),
        Just(Naming::Star)
    ]
}

/// A statement list that contains an applicable `Allow` with probability `p`,
/// so that every branch of the combiner is reached often (SCPs and RCPs must
/// allow at every level before anything else matters).
fn list(p: f64) -> impl Strategy<Value = Vec<St>> {
    (
        prop::collection::vec(st_weighted(), 0..3),
        prop::bool::weighted(p),
    )
        .prop_map(|(mut v, add)| {
            if add {
                v.push(St::AllowMatch);
            }
            v
        })
}

fn world() -> impl Strategy<Value = World> {
    (
        (any::<bool>(), any::<bool>(), any::<bool>()),
        prop::collection::vec(list(0.9), 0..2),
        prop::collection::vec(list(0.9), 0..2),
        prop::option::of(prop::collection::vec((st_weighted(), naming()), 0..3)),
        prop::collection::vec(list(0.3), 0..3),
        prop::option::of(list(0.6)),
        prop::option::of(list(0.6)),
    )
        .prop_map(
            |((session_caller, cross_account, trust), scps, rcps, resource, identity, boundary, session)| {
                World {
                    session_caller,
                    cross_account,
                    trust,
                    scps,
                    rcps,
                    // A role always has a trust policy.
                    resource: if trust {
                        Some(resource.unwrap_or_default())
                    } else {
                        resource
                    },
                    identity,
                    boundary,
                    session: if session_caller { session } else { None },
                }
            },
        )
}

// ---------------------------------------------------------------------------
// The reference model (iam.md §1.2–1.6), deliberately naive
// ---------------------------------------------------------------------------

fn has(list: &[St], s: St) -> bool {
    list.contains(&s)
}

/// Returns (effect, denied_by).
fn model(w: &World) -> (Effect, Option<PolicyType>) {
    use PolicyType::*;
    let res_type = if w.trust { RoleTrust } else { ResourceBased };
    let res: Vec<St> = w.resource.iter().flatten().map(|(s, _)| *s).collect();
    // 1. Any matching Deny, in the order SCP, RCP, resource, identity, boundary, session.
    let deny_order: [(Vec<St>, PolicyType); 6] = [
        (w.scps.concat(), ServiceControl),
        (w.rcps.concat(), ResourceControl),
        (res.clone(), res_type),
        (w.identity.concat(), IdentityBased),
        (w.boundary.clone().unwrap_or_default(), PermissionsBoundary),
        (w.session.clone().unwrap_or_default(), Session),
    ];
    if let Some((_, t)) = deny_order.iter().find(|(l, _)| has(l, St::DenyMatch)) {
        return (Effect::ExplicitDeny, Some(*t));
    }
    // 2. RCPs then SCPs: every policy must allow.
    if !w.rcps.iter().all(|p| has(p, St::AllowMatch)) {
        return (Effect::ImplicitDeny, Some(ResourceControl));
    }
    if !w.scps.iter().all(|p| has(p, St::AllowMatch)) {
        return (Effect::ImplicitDeny, Some(ServiceControl));
    }
    // Caller side: identity ∩ boundary ∩ session.
    let id = w.identity.iter().any(|p| has(p, St::AllowMatch));
    let bd = w.boundary.as_ref().is_none_or(|b| has(b, St::AllowMatch));
    let sp = w.session.as_ref().is_none_or(|s| has(s, St::AllowMatch));
    let caller = id && bd && sp;
    let caller_failure = if !id {
        IdentityBased
    } else if !bd {
        PermissionsBoundary
    } else {
        Session
    };
    // Resource grant strength: 0 account, 1 role (limited), 2 own ARN or *.
    let strength = |n: Naming| match n {
        Naming::Account => 0,
        Naming::Role if w.session_caller => 1,
        _ => 2,
    };
    let grant = w
        .resource
        .iter()
        .flatten()
        .filter(|(s, _)| *s == St::AllowMatch)
        .map(|(_, n)| strength(*n))
        .max();
    if w.cross_account {
        // 4. Cross account: both sides must allow.
        return match (grant.is_some(), caller) {
            (true, true) => (Effect::Allow, None),
            (_, false) => (Effect::ImplicitDeny, Some(caller_failure)),
            (false, true) => (Effect::ImplicitDeny, Some(res_type)),
        };
    }
    // 3. Same account: the resource grant's naming decides what still applies.
    let via_resource = match grant {
        Some(2) => !w.trust || bd, // TR: the boundary still limits a trust grant
        Some(1) => bd && sp,
        _ => false,
    };
    let via_caller = caller && (!w.trust || grant.is_some());
    if via_resource || via_caller {
        return (Effect::Allow, None);
    }
    let t = match grant {
        None if w.trust => res_type,
        Some(1 | 2) if !bd => PermissionsBoundary,
        Some(1 | 2) => Session,
        _ => caller_failure,
    };
    (Effect::ImplicitDeny, Some(t))
}

// ---------------------------------------------------------------------------
// Concretising a world
// ---------------------------------------------------------------------------

struct Concrete {
    principal: Principal,
    action: &'static str,
    resource: &'static str,
    resource_account: Option<&'static str>,
    context: RequestContext,
    scps: Vec<Policy>,
    rcps: Vec<Policy>,
    resource_policy: Option<Policy>,
    identity: Vec<Policy>,
    boundary: Option<Policy>,
    session: Vec<Policy>,
    trust: bool,
}

/// Knobs for the invariance properties.
#[derive(Debug, Clone, Copy, Default)]
struct Variant {
    reverse_statements: bool,
    reverse_policies: bool,
    sid_prefix: Option<&'static str>,
    upper_action: bool,
    upper_key: bool,
}

fn statement_json(
    s: St,
    i: usize,
    w: &World,
    v: Variant,
    principal: Option<String>,
    resource_kind: bool,
) -> String {
    let (effect, matches) = match s {
        St::AllowMatch => ("Allow", true),
        St::AllowNoMatch => ("Allow", false),
        St::DenyMatch => ("Deny", true),
        St::DenyNoMatch => ("Deny", false),
    };
    // Non-matching actions stay valid for every policy kind (trust policies only
    // take `sts:` actions, bucket policies only `s3:` ones).
    let mut action = match (matches, w.trust) {
        (true, true) => "sts:AssumeRole",
        (true, false) => "s3:PutObject",
        (false, true) => "sts:TagSession",
        (false, false) => "s3:GetObject",
    }
    .to_owned();
    if v.upper_action {
        action = action.to_uppercase();
    }
    let key = if v.upper_key {
        "AWS:SECURETRANSPORT"
    } else {
        "aws:SecureTransport"
    };
    let sid = match v.sid_prefix {
        Some(p) => format!("\"Sid\":\"{p}{i}\","),
        None => format!("\"Sid\":\"S{i}\","),
    };
    let principal = principal
        .map(|p| format!("\"Principal\":{p},"))
        .unwrap_or_default();
    let resource = match (resource_kind, w.trust) {
        (true, true) => String::new(),
        (true, false) => ",\"Resource\":\"arn:aws:s3:::b/*\"".to_owned(),
        (false, _) => ",\"Resource\":\"*\"".to_owned(),
    };
    format!(
        r#"{{{sid}"Effect":"{effect}",{principal}"Action":"{action}"{resource},"Condition":{{"Bool":{{"{key}":"true"}}}}}}"#
    )
}

fn policy_json(stmts: Vec<String>, v: Variant) -> String {
    let mut stmts = stmts;
    if v.reverse_statements {
        stmts.reverse();
    }
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, stmts.join(","))
}

/// A policy with no statements is not valid JSON policy; use one that never
/// applies instead (same meaning as "no allow").
fn plain(list: &[St], w: &World, v: Variant, kind: PolicyKind) -> Policy {
    let mut stmts: Vec<String> = list
        .iter()
        .enumerate()
        .map(|(i, s)| statement_json(*s, i, w, v, None, false))
        .collect();
    if stmts.is_empty() {
        stmts.push(statement_json(St::DenyNoMatch, 99, w, v, None, false));
    }
    let text = policy_json(stmts, v);
    Policy::parse(&text, kind).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn concretise(w: &World, v: Variant) -> Concrete {
    let principal = if w.session_caller {
        Principal::assumed_role(A, "/", "r", "s", "AROAEXAMPLEROLEID0001")
    } else {
        Principal::user(A, "/", "u", "AIDAEXAMPLEUSERID0001")
    };
    let naming = |n: Naming| -> String {
        match n {
            Naming::Own => format!("{{\"AWS\":\"{}\"}}", principal.arn),
            Naming::Role if w.session_caller => "{\"AWS\":\"arn:aws:iam::111111111111:role/r\"}".to_owned(),
            Naming::Role => format!("{{\"AWS\":[\"{}\"]}}", principal.arn),
            Naming::Account => format!("{{\"AWS\":\"{A}\"}}"),
            Naming::Star => "\"*\"".to_owned(),
        }
    };
    let resource_policy = w.resource.as_ref().map(|list| {
        let mut stmts: Vec<String> = list
            .iter()
            .enumerate()
            .map(|(i, (s, n))| statement_json(*s, i, w, v, Some(naming(*n)), true))
            .collect();
        if stmts.is_empty() {
            stmts.push(statement_json(
                St::DenyNoMatch,
                99,
                w,
                v,
                Some("\"*\"".into()),
                true,
            ));
        }
        let kind = if w.trust {
            PolicyKind::Trust
        } else {
            PolicyKind::Bucket
        };
        let text = policy_json(stmts, v);
        Policy::parse(&text, kind).unwrap_or_else(|e| panic!("{e}\n{text}"))
    });
    let rcp = |list: &Vec<St>| {
        let mut stmts: Vec<String> = list
            .iter()
            .enumerate()
            .map(|(i, s)| statement_json(*s, i, w, v, Some("\"*\"".into()), false))
            .collect();
        if stmts.is_empty() {
            stmts.push(statement_json(
                St::DenyNoMatch,
                99,
                w,
                v,
                Some("\"*\"".into()),
                false,
            ));
        }
        Policy::parse(&policy_json(stmts, v), PolicyKind::Rcp).unwrap_or_else(|e| panic!("{e}"))
    };
    let mut identity: Vec<Policy> = w
        .identity
        .iter()
        .map(|l| plain(l, w, v, PolicyKind::Identity))
        .collect();
    let mut scps: Vec<Policy> = w.scps.iter().map(|l| plain(l, w, v, PolicyKind::Scp)).collect();
    let mut rcps: Vec<Policy> = w.rcps.iter().map(rcp).collect();
    if v.reverse_policies {
        identity.reverse();
        scps.reverse();
        rcps.reverse();
    }
    Concrete {
        principal,
        action: if w.trust { "sts:AssumeRole" } else { "s3:PutObject" },
        resource: if w.trust {
            if w.cross_account {
                "arn:aws:iam::222222222222:role/target"
            } else {
                "arn:aws:iam::111111111111:role/target"
            }
        } else {
            "arn:aws:s3:::b/k"
        },
        resource_account: if w.trust {
            None
        } else {
            Some(if w.cross_account { B } else { A })
        },
        context: RequestContext::new().set("aws:SecureTransport", "true"),
        scps,
        rcps,
        resource_policy,
        identity,
        boundary: w.boundary.as_ref().map(|l| plain(l, w, v, PolicyKind::Boundary)),
        session: w
            .session
            .iter()
            .map(|l| plain(l, w, v, PolicyKind::Session))
            .collect(),
        trust: w.trust,
    }
}

fn run(c: &Concrete) -> Decision {
    let ids: Vec<String> = (0..c.identity.len()).map(|i| format!("identity:{i}")).collect();
    let policies = Policies {
        identity: c
            .identity
            .iter()
            .zip(&ids)
            .map(|(p, i)| PolicyRef::new(i, PolicyType::IdentityBased, p))
            .collect(),
        boundary: c
            .boundary
            .as_ref()
            .map(|p| PolicyRef::new("boundary", PolicyType::PermissionsBoundary, p)),
        session: c
            .session
            .iter()
            .map(|p| PolicyRef::new("session", PolicyType::Session, p))
            .collect(),
        resource: c.resource_policy.as_ref().map(|p| {
            let t = if c.trust {
                PolicyType::RoleTrust
            } else {
                PolicyType::ResourceBased
            };
            PolicyRef::new("resource", t, p)
        }),
        scps: c
            .scps
            .iter()
            .map(|p| PolicyRef::new("scp", PolicyType::ServiceControl, p))
            .collect(),
        rcps: c
            .rcps
            .iter()
            .map(|p| PolicyRef::new("rcp", PolicyType::ResourceControl, p))
            .collect(),
        ..Policies::default()
    };
    let req = Request {
        principal: &c.principal,
        action: c.action,
        resource: c.resource,
        resource_account: c.resource_account,
        context: &c.context,
    };
    evaluate(&req, &policies)
}

/// `decided_by` as a set of (policy, type, index-in-unreversed-order) cannot be
/// compared across reorderings; compare its size and types instead.
fn shape(d: &Decision) -> (Effect, Option<PolicyType>, Vec<PolicyType>) {
    let mut types: Vec<PolicyType> = d.decided_by.iter().map(|s| s.policy_type).collect();
    types.sort();
    (d.effect, d.denied_by, types)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, .. ProptestConfig::default() })]

    /// The engine agrees with the reference model on effect and denied_by.
    #[test]
    fn combiner_matches_the_reference_model(w in world()) {
        let d = run(&concretise(&w, Variant::default()));
        prop_assert_eq!((d.effect, d.denied_by), model(&w), "{:#?}", w);
        if d.effect == Effect::ExplicitDeny {
            prop_assert!(!d.decided_by.is_empty());
        }
    }

    /// Adding a matching Deny to any applicable policy makes the decision an
    /// explicit deny.
    #[test]
    fn an_explicit_deny_anywhere_denies(mut w in world(), slot in 0usize..6) {
        match slot {
            0 => w.identity.push(vec![St::DenyMatch]),
            1 => w.scps.push(vec![St::DenyMatch, St::AllowMatch]),
            2 => w.rcps.push(vec![St::AllowMatch, St::DenyMatch]),
            3 => w.resource.get_or_insert_with(Vec::new).push((St::DenyMatch, Naming::Star)),
            4 => w.boundary.get_or_insert_with(Vec::new).push(St::DenyMatch),
            _ => w.identity.insert(0, vec![St::AllowMatch, St::DenyMatch]),
        }
        let d = run(&concretise(&w, Variant::default()));
        prop_assert_eq!(d.effect, Effect::ExplicitDeny);
    }

    /// Order, Sids and case do not matter.
    #[test]
    fn order_sids_and_case_do_not_matter(
        w in world(),
        reverse_statements in any::<bool>(),
        reverse_policies in any::<bool>(),
        rename in any::<bool>(),
        upper_action in any::<bool>(),
        upper_key in any::<bool>(),
    ) {
        let base = run(&concretise(&w, Variant::default()));
        let v = Variant {
            reverse_statements,
            reverse_policies,
            sid_prefix: rename.then_some("Renamed"),
            upper_action,
            upper_key,
        };
        let other = run(&concretise(&w, v));
        prop_assert_eq!(shape(&base), shape(&other));
    }

    /// Adding an Allow never turns an allow into a deny; an explicit deny stays.
    #[test]
    fn adding_an_allow_is_monotone(w in world()) {
        let before = run(&concretise(&w, Variant::default())).effect;
        let mut more = w.clone();
        more.identity.push(vec![St::AllowMatch]);
        let after = run(&concretise(&more, Variant::default())).effect;
        if before == Effect::Allow {
            prop_assert_eq!(after, Effect::Allow);
        }
        if before == Effect::ExplicitDeny {
            prop_assert_eq!(after, Effect::ExplicitDeny);
        }
    }
}

// ---------------------------------------------------------------------------
// Wildcards against a regex oracle
// ---------------------------------------------------------------------------

fn pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('a'),
            Just('b'),
            Just(':'),
            Just('/'),
            Just('*'),
            Just('?'),
            Just('é')
        ],
        0..9,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// ARN-shaped patterns: 3 to 7 colon-separated segments, so the per-segment
/// paths (six segments, literal prefixes, short patterns) are all exercised.
fn arn_pattern() -> impl Strategy<Value = String> {
    let seg = prop::collection::vec(
        prop_oneof![3 => Just('a'), 1 => Just('b'), 1 => Just('/'), 1 => Just('*'), 1 => Just('?')],
        0..3,
    )
    .prop_map(|v| v.into_iter().collect::<String>());
    prop::collection::vec(seg, 3..8).prop_map(|segs| segs.join(":"))
}

fn any_pattern() -> impl Strategy<Value = String> {
    prop_oneof![pattern(), arn_pattern()]
}

/// A string produced from `p`: `*` expands to 0–3 characters, `?` to one; then
/// maybe one mutation so non-matches are covered too.
fn from_pattern(p: String) -> impl Strategy<Value = (String, String)> {
    let n = p.chars().count();
    (
        prop::collection::vec(
            prop::collection::vec(
                prop_oneof![Just('a'), Just('b'), Just(':'), Just('/'), Just('é')],
                0..4,
            ),
            n,
        ),
        prop::option::weighted(0.3, (0usize..12, prop_oneof![Just('a'), Just(':'), Just('x')])),
    )
        .prop_map(move |(fills, mutation)| {
            let mut s = String::new();
            for (c, fill) in p.chars().zip(fills) {
                match c {
                    '*' => s.extend(fill),
                    '?' => s.push(fill.first().copied().unwrap_or('b')),
                    c => s.push(c),
                }
            }
            if let Some((at, c)) = mutation {
                let mut chars: Vec<char> = s.chars().collect();
                let at = at.min(chars.len());
                if at < chars.len() && at % 2 == 0 {
                    chars.remove(at);
                } else {
                    chars.insert(at, c);
                }
                s = chars.into_iter().collect();
            }
            (p.clone(), s)
        })
}

fn oracle(p: &str, fold: bool) -> regex::Regex {
    let mut re = String::from(if fold { "(?is)^" } else { "(?s)^" });
    for c in p.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).unwrap()
}

/// Per-segment oracle for `ArnLike`: the first five `:`-separated segments
/// cannot contain `:`, the sixth (resource part) can.
fn arn_oracle(p: &str) -> regex::Regex {
    let mut re = String::from("(?s)^");
    for (i, seg) in p.splitn(6, ':').enumerate() {
        if i > 0 {
            re.push(':');
        }
        for c in seg.chars() {
            match (c, i) {
                ('*', 5) => re.push_str(".*"),
                ('?', 5) => re.push('.'),
                ('*', _) => re.push_str("[^:]*"),
                ('?', _) => re.push_str("[^:]"),
                (c, _) => re.push_str(&regex::escape(&c.to_string())),
            }
        }
    }
    re.push('$');
    regex::Regex::new(&re).unwrap()
}

/// Oracle for the `Resource` element: as [`arn_oracle`], except that when the
/// pattern has fewer than six segments and its last one ends in `*`, that last
/// segment matches the rest of the value, colons included (the 2024 rule as this
/// engine reads it; see `pattern.rs`).
fn resource_oracle(p: &str) -> regex::Regex {
    let segs: Vec<&str> = p.splitn(6, ':').collect();
    let crossing = segs.len() < 6 && segs.last().is_some_and(|s| s.ends_with('*'));
    let mut re = String::from("(?s)^");
    for (i, seg) in segs.iter().enumerate() {
        if i > 0 {
            re.push(':');
        }
        let free = i == 5 || (crossing && i + 1 == segs.len());
        for c in seg.chars() {
            match (c, free) {
                ('*', true) => re.push_str(".*"),
                ('?', true) => re.push('.'),
                ('*', false) => re.push_str("[^:]*"),
                ('?', false) => re.push_str("[^:]"),
                (c, _) => re.push_str(&regex::escape(&c.to_string())),
            }
        }
    }
    re.push('$');
    regex::Regex::new(&re).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, .. ProptestConfig::default() })]

    #[test]
    fn resource_matches_its_oracle((p, s) in any_pattern().prop_flat_map(from_pattern)) {
        let got = ArnPattern::new(&p, false).matches(&s, &NoVariables, ArnMode::Resource);
        prop_assert_eq!(got, p == "*" || resource_oracle(&p).is_match(&s), "{:?} vs {:?}", p, s);
    }

    #[test]
    fn wildcard_matches_the_regex_oracle((p, s) in pattern().prop_flat_map(from_pattern)) {
        prop_assert_eq!(wildcard_match(&tokenize(&p), &s, false), oracle(&p, false).is_match(&s), "{:?} vs {:?}", p, s);
        prop_assert_eq!(Wildcard::new(&p).matches(&s), oracle(&p, false).is_match(&s));
    }

    #[test]
    fn action_matching_folds_case((p, s) in pattern().prop_flat_map(from_pattern)) {
        let upper = s.to_ascii_uppercase();
        prop_assert_eq!(Wildcard::new(&p).matches_fold(&upper), oracle(&p, true).is_match(&upper));
    }

    #[test]
    fn arn_like_matches_the_per_segment_oracle((p, s) in any_pattern().prop_flat_map(from_pattern)) {
        let got = ArnPattern::new(&p, false).matches(&s, &NoVariables, ArnMode::Condition);
        prop_assert_eq!(got, p == "*" || arn_oracle(&p).is_match(&s), "{:?} vs {:?}", p, s);
    }
}

// ---------------------------------------------------------------------------
// parse → print → parse
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct GenStatement {
    sid: Option<String>,
    deny: bool,
    principal: Option<Vec<(String, Vec<String>)>>,
    star_principal: bool,
    not_action: bool,
    actions: Vec<String>,
    resources: Option<(bool, Vec<String>)>,
    condition: Vec<(String, Entries)>,
}

/// Condition keys and their values under one operator.
type Entries = Vec<(String, Vec<String>)>;

fn arr(values: &[String], scalar_if_one: bool) -> String {
    if scalar_if_one && values.len() == 1 {
        return values[0].clone();
    }
    format!("[{}]", values.join(","))
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Render with a chosen member order, whitespace and scalar-vs-array choice.
fn render(stmts: &[GenStatement], reverse_keys: bool, ws: &str, scalar: bool) -> String {
    let mut out_stmts = Vec::new();
    for s in stmts {
        let mut members: Vec<String> = Vec::new();
        if let Some(sid) = &s.sid {
            members.push(format!("\"Sid\":{ws}{}", q(sid)));
        }
        members.push(format!(
            "\"Effect\":{}",
            if s.deny { "\"Deny\"" } else { "\"Allow\"" }
        ));
        if s.star_principal {
            members.push("\"Principal\":\"*\"".to_owned());
        } else if let Some(map) = &s.principal {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        q(k),
                        arr(&v.iter().map(|x| q(x)).collect::<Vec<_>>(), scalar)
                    )
                })
                .collect();
            members.push(format!("\"Principal\":{{{}}}", entries.join(",")));
        }
        let acts: Vec<String> = s.actions.iter().map(|a| q(a)).collect();
        members.push(format!(
            "\"{}\":{ws}{}",
            if s.not_action { "NotAction" } else { "Action" },
            arr(&acts, scalar)
        ));
        if let Some((neg, res)) = &s.resources {
            let rs: Vec<String> = res.iter().map(|r| q(r)).collect();
            members.push(format!(
                "\"{}\":{}",
                if *neg { "NotResource" } else { "Resource" },
                arr(&rs, scalar)
            ));
        }
        if !s.condition.is_empty() {
            let ops: Vec<String> = s
                .condition
                .iter()
                .map(|(op, entries)| {
                    let es: Vec<String> = entries
                        .iter()
                        .map(|(k, v)| {
                            format!(
                                "{}:{}",
                                q(k),
                                arr(&v.iter().map(|x| q(x)).collect::<Vec<_>>(), scalar)
                            )
                        })
                        .collect();
                    format!("{}:{ws}{{{}}}", q(op), es.join(","))
                })
                .collect();
            members.push(format!("\"Condition\":{{{}}}", ops.join(",")));
        }
        if reverse_keys {
            members.reverse();
        }
        out_stmts.push(format!("{{{ws}{}{ws}}}", members.join(&format!(",{ws}"))));
    }
    let statement = if scalar && out_stmts.len() == 1 {
        out_stmts[0].clone()
    } else {
        format!("[{}]", out_stmts.join(","))
    };
    if reverse_keys {
        format!("{{{ws}\"Statement\":{statement},{ws}\"Version\":\"2012-10-17\"}}")
    } else {
        format!("{{\"Version\":{ws}\"2012-10-17\",\"Statement\":{ws}{statement}}}")
    }
}

fn gen_statement(with_principal: bool) -> impl Strategy<Value = GenStatement> {
    let action = prop_oneof![
        Just("s3:GetObject".to_owned()),
        Just("s3:*".to_owned()),
        Just("*".to_owned()),
        Just("sts:AssumeRole".to_owned()),
        "[a-z]{1,4}:[A-Za-z*?]{1,6}",
    ];
    let resource = prop_oneof![
        Just("*".to_owned()),
        Just("arn:aws:s3:::b/${aws:username}/*".to_owned()),
        "arn:aws:s3:::[a-z*?]{1,5}(/[a-z*]{0,4})?",
    ];
    let aws_principal = prop_oneof![
        Just("111111111111".to_owned()),
        Just("arn:aws:iam::111111111111:root".to_owned()),
        Just("arn:aws:iam::111111111111:role/r".to_owned()),
        Just("arn:aws:sts::111111111111:assumed-role/r/s".to_owned()),
        Just("*".to_owned()),
    ];
    let value = prop_oneof!["[a-zA-Z0-9 *:/]{0,6}", Just("${aws:username}".to_owned())];
    let op = prop_oneof![
        Just("StringEquals".to_owned()),
        Just("StringLike".to_owned()),
        Just("ForAnyValue:StringNotEqualsIfExists".to_owned()),
        Just("ArnLike".to_owned()),
        Just("Bool".to_owned()),
        Just("IpAddress".to_owned()),
    ];
    (
        prop::option::of("[A-Za-z0-9]{1,6}"),
        any::<bool>(),
        prop::collection::vec(aws_principal, 1..3),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(action, 1..3),
        prop::option::of((any::<bool>(), prop::collection::vec(resource, 1..3))),
        prop::collection::vec(
            (
                op,
                prop::collection::vec(
                    ("[a-z]{1,3}:[A-Za-z]{1,5}", prop::collection::vec(value, 1..3)),
                    1..3,
                ),
            ),
            0..3,
        ),
    )
        .prop_map(
            move |(sid, deny, aws, star, not_action, actions, resources, condition)| {
                // Distinct keys (repeated JSON keys are rejected by design).
                let mut seen_ops = std::collections::HashSet::new();
                let condition = condition
                    .into_iter()
                    .filter(|(op, _)| seen_ops.insert(op.clone()))
                    .map(|(op, entries)| {
                        let mut seen = std::collections::HashSet::new();
                        (
                            op,
                            entries
                                .into_iter()
                                .filter(|(k, _)| seen.insert(k.clone()))
                                .collect(),
                        )
                    })
                    .collect();
                GenStatement {
                    sid,
                    deny,
                    principal: with_principal.then(|| vec![("AWS".to_owned(), aws)]),
                    star_principal: with_principal && star,
                    not_action,
                    actions,
                    resources,
                    condition,
                }
            },
        )
}

fn dedupe_sids(mut v: Vec<GenStatement>) -> Vec<GenStatement> {
    let mut seen = std::collections::HashSet::new();
    for s in &mut v {
        if let Some(sid) = &s.sid {
            if !seen.insert(sid.clone()) {
                s.sid = None;
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// parse → print → parse gives an equal policy, and printing is a fixpoint.
    #[test]
    fn parse_print_parse_round_trips(
        stmts in prop::collection::vec(gen_statement(true), 1..4).prop_map(dedupe_sids),
        reverse_keys in any::<bool>(),
        scalar in any::<bool>(),
    ) {
        let text = render(&stmts, reverse_keys, "", scalar);
        let p = Policy::parse(&text, PolicyKind::KmsKey).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let printed = p.to_json();
        let again = Policy::parse(&printed, PolicyKind::KmsKey).map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
        prop_assert_eq!(&p, &again);
        prop_assert_eq!(printed, again.to_json());
        let pretty = Policy::parse(&p.to_json_pretty(), PolicyKind::KmsKey).unwrap();
        prop_assert_eq!(&p, &pretty);
    }

    /// JSON key order, whitespace and scalar-vs-one-element-array do not change
    /// the parsed policy.
    #[test]
    fn shape_of_the_json_is_irrelevant(
        stmts in prop::collection::vec(gen_statement(false), 1..4).prop_map(dedupe_sids),
    ) {
        let stmts: Vec<GenStatement> = stmts.into_iter().map(|mut s| { s.resources.get_or_insert((false, vec!["*".into()])); s }).collect();
        let a = Policy::parse(&render(&stmts, false, "", true), PolicyKind::Scp);
        let b = Policy::parse(&render(&stmts, true, "\n  ", false), PolicyKind::Scp);
        match (a, b) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert_eq!(a.err().map(|e| e.message), b.err().map(|e| e.message)),
        }
    }
}
