//! The combiner: given which statements of which policies apply, decide as AWS
//! does (`reference_policies_evaluation-logic.html`,
//! `reference_policies_evaluation-logic_policy-eval-denyallow.html`,
//! `reference_policies_evaluation-logic-cross-account.html`; iam.md §1.2–1.6).
//!
//! 1. `sts:GetCallerIdentity` is always allowed; an explicit deny is ignored.
//! 2. Deny pass: a matching `Deny` in an SCP, RCP, the resource policy, an
//!    identity policy, the boundary or a session policy → explicit deny.
//! 3. RCPs (resource's account), then SCPs (caller's account, not for anonymous or
//!    service callers), then the policy of the VPC endpoint the request came
//!    through: each policy must allow → otherwise implicit deny.
//! 4. Same account: a resource-policy grant naming the caller's own ARN (user,
//!    session, federated user) or `*` allows despite implicit denies in the
//!    identity policies, boundary and session policy; one naming the role ARN
//!    (or the user that federated) still needs the boundary and session policy;
//!    one naming only the account delegates to identity policies. Otherwise the
//!    identity policies must allow, within the boundary and the session policy.
//!    A trust policy or KMS key policy must always allow the caller itself.
//! 5. Cross account (and anonymous or service callers): the resource policy must
//!    grant (naming the caller, its role, its account or `*`) *and* the caller's
//!    identity policies (within boundary and session policy) must allow.
//!
//! The matcher ([`super::statement`]) never combines; this module never looks
//! inside a statement.

use super::condition::MultiValueMode;
use super::context::{Env, RequestContext};
use super::decision::{Decision, Effect, NearMiss, PolicyType, StatementEffect, StatementRef};
use super::policy::{Policy, PolicyKind};
use super::principal::{Principal, PrincipalKind, PrincipalMatch};
use super::statement::{applies, misses, Applies, MatchCtx};

/// A policy handed to the engine, with the id decisions name it by.
#[derive(Debug, Clone, Copy)]
pub struct PolicyRef<'a> {
    /// How decisions name the policy: `bucket:lake`, `role:writer/write`,
    /// `user:sync/inline`.
    pub id: &'a str,
    /// Which slot it fills (and how messages name it).
    pub policy_type: PolicyType,
    /// The policy.
    pub policy: &'a Policy,
}

impl<'a> PolicyRef<'a> {
    /// A reference with an id and type.
    pub fn new(id: &'a str, policy_type: PolicyType, policy: &'a Policy) -> Self {
        Self {
            id,
            policy_type,
            policy,
        }
    }
}

/// Knobs for behaviour the documentation leaves open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalOptions {
    /// Whether a trust policy that names the caller still needs the caller's
    /// permissions boundary to allow `sts:AssumeRole`. `true` follows
    /// `troubleshoot_roles.html` ("check the user's permissions boundary … it must
    /// allow the sts:AssumeRole action"); `false` follows the general rule that a
    /// resource policy naming the user bypasses the boundary
    /// (`reference_policies_evaluation-logic.html`). iam.md §8 open question 1.
    pub boundary_limits_trust_grants: bool,
    /// How an operator without `ForAllValues:`/`ForAnyValue:` treats a
    /// multivalued key (undocumented; iam.md §8 open question 6): never matches,
    /// by default ([`crate::iam::condition`] gives the evidence).
    pub multi_value: MultiValueMode,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            boundary_limits_trust_grants: true,
            multi_value: MultiValueMode::Never,
        }
    }
}

/// Every policy that applies to one request.
#[derive(Debug, Clone, Default)]
pub struct Policies<'a> {
    /// The caller's identity policies (user inline, managed, group; role inline
    /// and managed). Statements OR together across them.
    pub identity: Vec<PolicyRef<'a>>,
    /// The caller's permissions boundary.
    pub boundary: Option<PolicyRef<'a>>,
    /// Session policies of a role or federated-user session (inline and managed
    /// together; any of them may allow).
    pub session: Vec<PolicyRef<'a>>,
    /// The resource's policy: bucket policy, role trust policy, KMS key policy.
    pub resource: Option<PolicyRef<'a>>,
    /// SCPs of the caller's account, one per level of the organization (root,
    /// OUs, account); each must allow.
    pub scps: Vec<PolicyRef<'a>>,
    /// RCPs of the resource's account, one per level; each must allow.
    pub rcps: Vec<PolicyRef<'a>>,
    /// The policy of the VPC endpoint the request arrived through; it must allow
    /// too ("VPC endpoint policies … don't grant any permissions", they only
    /// limit: AWS PrivateLink guide, "Control access to VPC endpoints using
    /// endpoint policies"). `None` is the default full-access policy.
    pub vpc_endpoint: Option<PolicyRef<'a>>,
    /// Behaviour switches.
    pub options: EvalOptions,
}

impl Policies<'_> {
    /// Every policy in the set.
    fn all(&self) -> impl Iterator<Item = &PolicyRef<'_>> {
        self.identity
            .iter()
            .chain(self.boundary.iter())
            .chain(self.session.iter())
            .chain(self.resource.iter())
            .chain(self.scps.iter())
            .chain(self.rcps.iter())
            .chain(self.vpc_endpoint.iter())
    }

    /// Whether a decision against these policies can read the request context
    /// ([`Policy::reads_context`]); where none can, a caller may pass an empty one
    /// and the decision is the same.
    pub fn read_context(&self) -> bool {
        self.all().any(|r| r.policy.reads_context())
    }
}

/// One request to decide.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// The action, e.g. `s3:PutObject`.
    pub action: &'a str,
    /// The resource ARN.
    pub resource: &'a str,
    /// The account owning the resource. `None` takes it from the resource ARN
    /// (S3 ARNs carry none: pass the bucket owner's account for S3); when that is
    /// empty too the resource is taken to be in the caller's account.
    pub resource_account: Option<&'a str>,
    /// Condition keys.
    pub context: &'a RequestContext,
}

#[derive(Debug, Clone, Copy)]
struct Hit<'p> {
    pol: &'p PolicyRef<'p>,
    index: usize,
    how: Applies,
    effect: StatementEffect,
}

impl Hit<'_> {
    fn to_ref(self) -> StatementRef {
        StatementRef {
            policy: self.pol.id.to_owned(),
            policy_type: self.pol.policy_type,
            sid: self
                .pol
                .policy
                .statements()
                .get(self.index)
                .and_then(|s| s.sid.clone()),
            index: self.index,
        }
    }
}

/// What scanning one policy type found: a range of the shared hit list (one
/// allocation per decision, not one per type) and counts.
#[derive(Debug, Clone, Copy, Default)]
struct Scan {
    start: usize,
    end: usize,
    allows: usize,
    /// How many of the scanned policies had at least one applicable `Allow`.
    policies_allowing: usize,
    policies: usize,
}

impl Scan {
    fn every_policy_allows(&self) -> bool {
        self.policies_allowing == self.policies
    }
}

/// Every applicable statement of a request, grouped by [`Scan`] ranges.
#[derive(Debug, Default)]
struct Hits<'p>(Vec<Hit<'p>>);

impl<'p> Hits<'p> {
    fn scan(&mut self, refs: &'p [PolicyRef<'p>], cx: &MatchCtx<'_>) -> Scan {
        let mut out = Scan {
            start: self.0.len(),
            policies: refs.len(),
            ..Scan::default()
        };
        for pol in refs {
            let mut allowed = false;
            for (index, st) in pol.policy.statements().iter().enumerate() {
                if let Some(how) = applies(st, cx) {
                    self.0.push(Hit {
                        pol,
                        index,
                        how,
                        effect: st.effect,
                    });
                    if st.effect == StatementEffect::Allow {
                        allowed = true;
                        out.allows += 1;
                    }
                }
            }
            out.policies_allowing += usize::from(allowed);
        }
        out.end = self.0.len();
        out
    }

    fn of(&self, scan: Scan, effect: StatementEffect) -> impl Iterator<Item = Hit<'p>> + '_ {
        self.0
            .get(scan.start..scan.end)
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(move |h| h.effect == effect)
    }
}

/// How much a resource-policy grant is worth (evaluation-logic step 3 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Grant {
    /// Names only the account: delegates to identity policies.
    Account,
    /// Names the role ARN or the user that federated: boundary and session
    /// policy still apply.
    Limited,
    /// Names the caller's own ARN, or `*`: implicit denies elsewhere do not apply.
    Full,
}

fn grant_of(how: Applies) -> Grant {
    match how {
        Some(PrincipalMatch::Account) => Grant::Account,
        Some(PrincipalMatch::Role | PrincipalMatch::SourceUser) => Grant::Limited,
        // A resource-policy statement without a principal element (not valid for
        // bucket or trust policies) is taken to name the caller.
        Some(PrincipalMatch::Exact | PrincipalMatch::Wildcard | PrincipalMatch::NotListed) | None => {
            Grant::Full
        }
    }
}

/// The account field of an ARN, if non-empty.
fn arn_account(arn: &str) -> Option<&str> {
    crate::util::split_ascii::<b':'>(arn)
        .nth(4)
        .filter(|a| !a.is_empty())
}

fn decision(
    req: &Request<'_>,
    effect: Effect,
    decided_by: Vec<StatementRef>,
    denied_by: Option<PolicyType>,
) -> Decision {
    Decision {
        effect,
        decided_by,
        denied_by,
        closest: Vec::new(),
        action: req.action.into(),
        resource: req.resource.to_owned(),
        principal: req.principal.arn.clone(),
        notes: Vec::new(),
    }
}

/// How many near misses an implicit deny reports.
const CLOSEST: usize = 3;

/// The statements of `refs` that allow but did not apply, fewest misses first.
fn near_misses(refs: &[PolicyRef<'_>], cx: &MatchCtx<'_>) -> Vec<NearMiss> {
    let mut out: Vec<NearMiss> = Vec::new();
    for pol in refs {
        for (index, st) in pol.policy.statements().iter().enumerate() {
            if st.effect != StatementEffect::Allow {
                continue;
            }
            let missed = misses(st, cx);
            if missed.is_empty() {
                continue;
            }
            let statement = Hit {
                pol,
                index,
                how: None,
                effect: st.effect,
            }
            .to_ref();
            out.push(NearMiss {
                statement,
                effect: st.effect,
                missed,
            });
        }
    }
    out.sort_by_key(|n| n.missed.len());
    out.truncate(CLOSEST);
    out
}

/// Decide one request: explicit denies first, then the guardrails (RCPs, SCPs,
/// the VPC endpoint policy), then the caller's side against the resource's side
/// (evaluation-logic steps 1–5, iam.md §3). Where an undocumented corner decided
/// a statement, the decision's `notes` name the reading taken.
pub fn evaluate(req: &Request<'_>, policies: &Policies<'_>) -> Decision {
    let mut d = decide(req, policies);
    if policies.all().any(|r| r.policy.has_corners()) {
        let cx = MatchCtx {
            env: Env::new(req.principal, req.context),
            action: req.action,
            resource: req.resource,
            has_boundary: policies.boundary.is_some(),
            mode: policies.options.multi_value,
        };
        for r in policies.all().filter(|r| r.policy.has_corners()) {
            for (index, st) in r.policy.statements().iter().enumerate() {
                for reading in super::statement::readings(st, &cx) {
                    let name = match &st.sid {
                        Some(sid) => format!("{}#{sid}", r.id),
                        None => format!("{}#{index}", r.id),
                    };
                    let note = format!("{name}: {reading}");
                    if !d.notes.contains(&note) {
                        d.notes.push(note);
                    }
                }
            }
        }
    }
    d
}

fn decide(req: &Request<'_>, policies: &Policies<'_>) -> Decision {
    let p = req.principal;
    let cx = MatchCtx {
        env: Env::new(p, req.context),
        action: req.action,
        resource: req.resource,
        has_boundary: policies.boundary.is_some(),
        mode: policies.options.multi_value,
    };

    // "sts:GetCallerIdentity needs no permission; an explicit deny on it is
    // ignored" (API_GetCallerIdentity.html).
    if req.action.eq_ignore_ascii_case("sts:GetCallerIdentity") {
        return decision(req, Effect::Allow, Vec::new(), None);
    }

    // SCPs cap principals of member accounts, root included; they do not apply to
    // anonymous callers (iam-simulate's "anonymous ignores SCP", unverified) or to
    // service principals, which belong to no account of the organization.
    let scps: &[PolicyRef<'_>] = if p.has_identity() { &policies.scps } else { &[] };
    let mut hits = Hits::default();
    let scans = Scans {
        scp: hits.scan(scps, &cx),
        rcp: hits.scan(&policies.rcps, &cx),
        vpce: hits.scan(policies.vpc_endpoint.as_slice(), &cx),
        resource: hits.scan(policies.resource.as_slice(), &cx),
        identity: if p.has_identity() {
            hits.scan(&policies.identity, &cx)
        } else {
            Scan::default()
        },
        boundary: hits.scan(policies.boundary.as_slice(), &cx),
        session: hits.scan(&policies.session, &cx),
    };

    // 1. Explicit deny anywhere; `hits` is in the order SCP, RCP, VPC endpoint,
    // resource, identity, boundary, session, so the first deny names the
    // reported type.
    let mut denies = hits
        .0
        .iter()
        .filter(|h| h.effect == StatementEffect::Deny)
        .peekable();
    if let Some(first) = denies.peek() {
        let denied_by = first.pol.policy_type;
        let decided_by = denies.map(|h| h.to_ref()).collect();
        return decision(req, Effect::ExplicitDeny, decided_by, Some(denied_by));
    }

    let implicit = |denied_by: PolicyType, refs: &[PolicyRef<'_>]| {
        let mut d = decision(req, Effect::ImplicitDeny, Vec::new(), Some(denied_by));
        d.closest = near_misses(refs, &cx);
        d
    };

    // 2. RCPs, then SCPs, then the VPC endpoint policy: every one must allow.
    if !scans.rcp.every_policy_allows() {
        return implicit(PolicyType::ResourceControl, &policies.rcps);
    }
    if !scans.scp.every_policy_allows() {
        return implicit(PolicyType::ServiceControl, scps);
    }
    if !scans.vpce.every_policy_allows() {
        return implicit(PolicyType::VpcEndpoint, policies.vpc_endpoint.as_slice());
    }

    let caller = CallerSide::of(p, policies, &scans);
    let sides = Sides::of(req, policies, &hits, &scans, &caller);
    if !(sides.via_resource || sides.via_caller) {
        let (denied_by, refs) = sides.implicit_deny_cause(p, policies, &caller);
        return implicit(denied_by, refs);
    }

    let allows = |scan: Scan| hits.of(scan, StatementEffect::Allow).map(Hit::to_ref);
    let mut decided_by: Vec<StatementRef> = allows(scans.scp)
        .chain(allows(scans.rcp))
        .chain(allows(scans.vpce))
        .collect();
    if sides.via_resource || sides.required || !sides.same_account {
        decided_by.extend(allows(scans.resource));
    }
    if sides.via_caller {
        decided_by.extend(
            allows(scans.identity)
                .chain(allows(scans.boundary))
                .chain(allows(scans.session)),
        );
    }
    decision(req, Effect::Allow, decided_by, None)
}

/// The applicable statements of each policy type, as ranges of [`Hits`].
#[derive(Debug, Clone, Copy)]
struct Scans {
    scp: Scan,
    rcp: Scan,
    vpce: Scan,
    resource: Scan,
    identity: Scan,
    boundary: Scan,
    session: Scan,
}

/// The caller's side: identity ∩ boundary ∩ session.
#[derive(Debug, Clone, Copy)]
struct CallerSide {
    boundary_ok: bool,
    session_ok: bool,
    /// Every part of the caller's side allows.
    allows: bool,
    /// The first part that does not allow, for an implicit deny's attribution.
    failure: PolicyType,
}

impl CallerSide {
    fn of(p: &Principal, policies: &Policies<'_>, scans: &Scans) -> Self {
        let identity_ok = p.kind == PrincipalKind::Root || scans.identity.allows > 0;
        let boundary_ok = policies.boundary.is_none() || scans.boundary.allows > 0;
        let session_ok = match p.kind {
            // A role session without a session policy is not limited by one.
            PrincipalKind::AssumedRole => policies.session.is_empty() || scans.session.allows > 0,
            // A federated-user session without a session policy has no permissions.
            PrincipalKind::FederatedUser => scans.session.allows > 0,
            _ => true,
        };
        let failure = if !identity_ok {
            PolicyType::IdentityBased
        } else if !boundary_ok {
            PolicyType::PermissionsBoundary
        } else {
            PolicyType::Session
        };
        Self {
            boundary_ok,
            session_ok,
            allows: p.has_identity() && identity_ok && boundary_ok && session_ok,
            failure,
        }
    }

    fn refs<'a>(&self, policies: &'a Policies<'a>) -> &'a [PolicyRef<'a>] {
        match self.failure {
            PolicyType::IdentityBased => &policies.identity,
            PolicyType::PermissionsBoundary => policies.boundary.as_slice(),
            _ => &policies.session,
        }
    }
}

/// The caller's side against the resource's side.
#[derive(Debug, Clone, Copy)]
struct Sides {
    same_account: bool,
    /// The resource policy must allow (a trust policy, a key policy).
    required: bool,
    /// How much the resource policy grants, if it grants.
    grant: Option<Grant>,
    resource_type: PolicyType,
    /// Allowed through the resource policy.
    via_resource: bool,
    /// Allowed through the caller's own policies.
    via_caller: bool,
}

impl Sides {
    fn of(
        req: &Request<'_>,
        policies: &Policies<'_>,
        hits: &Hits<'_>,
        scans: &Scans,
        caller: &CallerSide,
    ) -> Self {
        let p = req.principal;
        let resource_ref = policies.resource.as_ref();
        let resource_type = resource_ref.map_or(PolicyType::ResourceBased, |r| r.policy_type);
        let is_trust = resource_ref
            .is_some_and(|r| r.policy_type == PolicyType::RoleTrust || r.policy.kind() == PolicyKind::Trust);
        let required = is_trust || resource_ref.is_some_and(|r| r.policy.kind().always_required());
        let grant = hits
            .of(scans.resource, StatementEffect::Allow)
            .map(|h| grant_of(h.how))
            .max();
        let resource_account = req.resource_account.or_else(|| arn_account(req.resource));
        let same_account =
            p.has_identity() && resource_account.is_none_or(|a| p.account.as_deref() == Some(a));
        let (via_resource, via_caller) = if same_account {
            let via_resource = match grant {
                Some(Grant::Full) => {
                    !(is_trust && policies.options.boundary_limits_trust_grants && !caller.boundary_ok)
                }
                Some(Grant::Limited) => caller.boundary_ok && caller.session_ok,
                Some(Grant::Account) | None => false,
            };
            (via_resource, caller.allows && (!required || grant.is_some()))
        } else {
            let caller_ok = !p.has_identity() || caller.allows;
            let both = grant.is_some() && caller_ok;
            (both, both && p.has_identity())
        };
        Self {
            same_account,
            required,
            grant,
            resource_type,
            via_resource,
            via_caller,
        }
    }

    /// Which policy type an implicit deny names, and whose statements are its near misses.
    fn implicit_deny_cause<'a>(
        &self,
        p: &Principal,
        policies: &'a Policies<'a>,
        caller: &CallerSide,
    ) -> (PolicyType, &'a [PolicyRef<'a>]) {
        match (self.same_account, self.grant) {
            (_, None) if self.required || !self.same_account => {
                if self.same_account || !p.has_identity() || caller.allows {
                    (self.resource_type, policies.resource.as_slice())
                } else {
                    (caller.failure, caller.refs(policies))
                }
            }
            (true, Some(Grant::Full | Grant::Limited)) if !caller.boundary_ok => {
                (PolicyType::PermissionsBoundary, policies.boundary.as_slice())
            }
            (true, Some(Grant::Full | Grant::Limited)) => (PolicyType::Session, &policies.session),
            _ => (caller.failure, caller.refs(policies)),
        }
    }
}
