//! Metamorphic relations: changes to a world that must not change a decision,
//! or may change it only one way (iam.md §7 "Property invariants";
//! `access_policies.html`: statement and policy order are irrelevant; action
//! names and condition-key names are case-insensitive; evaluation-logic: an
//! explicit deny overrides every allow).

use super::gen::{self, Case, Effect, Kind, Rng};
use super::model::Decision;

/// A change to a case's world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// Shuffle the statements of every policy.
    ShuffleStatements,
    /// Shuffle the policies attached to every user and role, and the SCP and RCP levels.
    ShufflePolicies,
    /// Give every statement a new `Sid` (or none).
    RenameSids,
    /// Change the case of every action name.
    ActionCase,
    /// Change the case of every condition-key name.
    KeyCase,
    /// Print every policy in another JSON shape (key order, scalars, a lone statement as an object).
    Reshape,
    /// Add an `Allow` statement to one policy: an explicit deny stays one, an allow stays one.
    AddAllow,
    /// Add a `Deny` statement to one policy: a deny never becomes an allow.
    AddDeny,
}

/// Every relation, in the order reports list them.
pub const ALL: [Relation; 8] = [
    Relation::ShuffleStatements,
    Relation::ShufflePolicies,
    Relation::RenameSids,
    Relation::ActionCase,
    Relation::KeyCase,
    Relation::Reshape,
    Relation::AddAllow,
    Relation::AddDeny,
];

impl Relation {
    /// Short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::ShuffleStatements => "shuffle-statements",
            Self::ShufflePolicies => "shuffle-policies",
            Self::RenameSids => "rename-sids",
            Self::ActionCase => "action-case",
            Self::KeyCase => "condition-key-case",
            Self::Reshape => "json-shape",
            Self::AddAllow => "add-allow",
            Self::AddDeny => "add-deny",
        }
    }

    /// Whether the decision must stay exactly the same (status and code too).
    pub fn invariant(self) -> bool {
        !matches!(self, Self::AddAllow | Self::AddDeny)
    }

    /// Does the pair of decisions (before, after) respect the relation?
    /// `several_actions`: the request needs more than one action allowed (an
    /// ACL header adds `s3:PutObjectAcl`, session tags `sts:TagSession`, a
    /// source identity `sts:SetSourceIdentity`); then an `Allow` that lets the
    /// first action through may reveal an explicit deny of the next.
    pub fn holds(self, before: Decision, after: Decision, several_actions: bool) -> bool {
        match self {
            Self::AddAllow => match before {
                Decision::ExplicitDeny => after == Decision::ExplicitDeny,
                Decision::Allow => after == Decision::Allow,
                Decision::ImplicitDeny => several_actions || after != Decision::ExplicitDeny,
            },
            Self::AddDeny => match before {
                Decision::ExplicitDeny => after == Decision::ExplicitDeny,
                Decision::ImplicitDeny => after != Decision::Allow,
                Decision::Allow => true,
            },
            _ => before == after,
        }
    }
}

fn random_case(r: &mut Rng, s: &str) -> String {
    s.chars()
        .map(|c| {
            if r.chance(50) {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Apply `rel` to a copy of `case`.
pub fn apply(rel: Relation, case: &Case, r: &mut Rng) -> Case {
    let mut out = case.clone();
    match rel {
        Relation::ShuffleStatements => {
            for_each_policy(&mut out, |p, _| r.shuffle(&mut p.statements));
        }
        Relation::ShufflePolicies => {
            for u in &mut out.world.users {
                r.shuffle(&mut u.policies);
                r.shuffle(&mut u.managed);
            }
            for x in &mut out.world.roles {
                r.shuffle(&mut x.policies);
                r.shuffle(&mut x.managed);
            }
            r.shuffle(&mut out.world.managed);
            r.shuffle(&mut out.world.buckets);
            if let Some(org) = &mut out.world.org {
                r.shuffle(&mut org.scps);
                r.shuffle(&mut org.rcps);
            }
        }
        Relation::RenameSids => {
            for_each_policy(&mut out, |p, _| {
                for (i, s) in p.statements.iter_mut().enumerate() {
                    s.sid = r.chance(60).then(|| format!("Renamed{}x{i}", r.below(1000)));
                }
            });
        }
        Relation::ActionCase => {
            for_each_policy(&mut out, |p, _| {
                for s in &mut p.statements {
                    for a in &mut s.actions {
                        *a = random_case(r, a);
                    }
                }
            });
        }
        Relation::KeyCase => {
            for_each_policy(&mut out, |p, _| {
                for s in &mut p.statements {
                    for c in &mut s.conditions {
                        c.key = random_case(r, &c.key);
                    }
                }
            });
        }
        Relation::Reshape => {
            for_each_policy(&mut out, |p, _| p.shape = r.next_u64());
        }
        Relation::AddAllow | Relation::AddDeny => {
            let effect = if rel == Relation::AddAllow {
                Effect::Allow
            } else {
                Effect::Deny
            };
            add_statement(&mut out, r, effect);
        }
    }
    out
}

/// Call `f` on every policy of the world and of the requests' session policies.
fn for_each_policy(case: &mut Case, mut f: impl FnMut(&mut gen::Policy, Kind)) {
    for (kind, p) in case.world.policies_mut() {
        f(p, kind);
    }
    for p in case.session_policies_mut() {
        f(p, Kind::Session);
    }
}

fn add_statement(case: &mut Case, r: &mut Rng, effect: Effect) {
    let world = case.world.clone();
    // Sometimes give a bucket without a policy one holding just the new statement.
    if r.chance(15) {
        if let Some(b) = case.world.buckets.iter_mut().find(|b| b.policy.is_none()) {
            let mut p = gen::policy_of(r, &world, Kind::Bucket);
            p.statements = vec![gen::statement_of(r, &world, Kind::Bucket, effect)];
            b.policy = Some(p);
            return;
        }
    }
    let mut targets: Vec<(Kind, &mut gen::Policy)> = case.world.policies_mut();
    targets.extend(
        gen::session_policies_mut(&mut case.requests)
            .into_iter()
            .map(|p| (Kind::Session, p)),
    );
    // RCPs hold only denies (Allow is supported only in RCPFullAWSAccess).
    if effect == Effect::Allow {
        targets.retain(|(k, _)| *k != Kind::Rcp);
    }
    let i = r.below(targets.len());
    if let Some((kind, p)) = targets.into_iter().nth(i) {
        let s = gen::statement_of(r, &world, kind, effect);
        let at = r.below(p.statements.len() + 1);
        p.statements.insert(at.min(p.statements.len()), s);
    }
}
