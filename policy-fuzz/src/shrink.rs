//! Shrinking: greedily delete organizations, entities, policies, statements,
//! conditions, values and request parameters, and simplify what is left
//! (`Version` 2012, no Sids, the plainest JSON), keeping each change only while
//! the same disagreement persists (same model decision, same emulator
//! decision and status at the last step of the request's chain).

use super::gen::{Caller, Op, Policy, Request, Statement, Version, World};
use super::{run_request, Backend, Found, Step};

/// The most candidates tried for one disagreement.
const ATTEMPTS: usize = 4000;

/// Runs a candidate: the last step of the request's chain, when the whole
/// chain ran.
pub(crate) trait Check {
    /// Load `world`, send `request` and its chain.
    async fn last_step(&mut self, world: &World, request: &Request) -> Option<Step>;
}

impl Check for Backend {
    async fn last_step(&mut self, world: &World, request: &Request) -> Option<Step> {
        self.load(world).await.ok()?;
        let steps = run_request(self, world, request, None).await;
        if steps.len() != request.chain().len() {
            return None;
        }
        steps.into_iter().last()
    }
}

/// Shrink a disagreement; the result disagrees the same way.
pub(crate) async fn shrink(check: &mut impl Check, f: &Found) -> Found {
    let mut cur = f.clone();
    let mut attempts = 0;
    'outer: loop {
        let mut progressed = false;
        for (w, r) in candidates(&cur.world, &cur.request) {
            if attempts >= ATTEMPTS {
                break 'outer;
            }
            attempts += 1;
            if let Some(next) = reproduces(check, &cur, w, r).await {
                cur = next;
                progressed = true;
                break;
            }
        }
        if !progressed {
            break;
        }
    }
    cur
}

/// The disagreement on the candidate, if it is the same one.
async fn reproduces(check: &mut impl Check, f: &Found, world: World, request: Request) -> Option<Found> {
    let last = check.last_step(&world, &request).await?;
    let same = last.answer.decision == f.model.decision
        && last.observed.effect == f.observed.effect
        && last.observed.status == f.observed.status
        && !last.observed.agrees(&last.answer);
    same.then(|| Found {
        case: f.case,
        check: f.check.clone(),
        world,
        request,
        model: last.answer,
        observed: last.observed,
        before: f.before.clone(),
    })
}

fn chain_ops_mut(r: &mut Request) -> Vec<&mut Op> {
    let mut out = Vec::new();
    let mut at = Some(r);
    while let Some(req) = at {
        out.push(&mut req.op);
        at = match &mut req.caller {
            Caller::Session(inner) => Some(inner.as_mut()),
            _ => None,
        };
    }
    out
}

fn chain_users(r: &Request) -> Vec<usize> {
    r.chain()
        .iter()
        .filter_map(|x| match x.caller {
            Caller::User(i) => Some(i),
            _ => None,
        })
        .collect()
}

fn chain_roles(r: &Request) -> Vec<String> {
    r.chain()
        .iter()
        .filter_map(|x| match &x.op {
            Op::AssumeRole(a) => Some(a.role_arn.clone()),
            _ => None,
        })
        .collect()
}

fn chain_buckets(r: &Request) -> Vec<String> {
    r.chain()
        .iter()
        .flat_map(|x| match &x.op {
            Op::Put(o) | Op::Delete(o) | Op::Abort(o) => vec![o.bucket.clone()],
            Op::Copy(c) => vec![c.dest.bucket.clone(), c.source_bucket.clone()],
            Op::AssumeRole(_) => Vec::new(),
        })
        .collect()
}

fn remap_users(r: &mut Request, removed: usize) {
    let mut at = Some(r);
    while let Some(req) = at {
        match &mut req.caller {
            Caller::User(i) if *i > removed => *i -= 1,
            _ => {}
        }
        at = match &mut req.caller {
            Caller::Session(inner) => Some(inner.as_mut()),
            _ => None,
        };
    }
}

/// Drop principal values `gone` names; statements left naming no one go too.
/// `false` when a trust policy would be left without statements.
fn strip_principals(w: &mut World, gone: &dyn Fn(&str) -> bool) -> bool {
    let mut ok = true;
    let strip = |p: &mut Policy| {
        for s in &mut p.statements {
            if let Some(pr) = &mut s.principal {
                pr.aws.retain(|v| !gone(v));
            }
        }
        p.statements.retain(|s| {
            s.principal
                .as_ref()
                .is_none_or(|p| p.star || !p.aws.is_empty() || !p.service.is_empty())
        });
    };
    for r in &mut w.roles {
        strip(&mut r.trust);
        ok &= !r.trust.statements.is_empty();
    }
    for b in &mut w.buckets {
        if let Some(p) = &mut b.policy {
            strip(p);
            if p.statements.is_empty() {
                b.policy = None;
            }
        }
    }
    ok
}

type Cand = (World, Request);

/// Every one-step simplification of (world, request).
/// Every one-step simplification of a case, most drastic first: the organization,
/// entities the request does not use, attachments, statements and their parts,
/// the request's parameters.
fn candidates(w: &World, req: &Request) -> Vec<Cand> {
    let mut out: Vec<Cand> = Vec::new();
    organization_candidates(w, req, &mut out);
    unused_entity_candidates(w, req, &mut out);
    attachment_candidates(w, req, &mut out);
    statement_candidates(w, req, &mut out);
    request_candidates(w, req, &mut out);
    out
}

fn push_world(w: &World, req: &Request, out: &mut Vec<Cand>, f: &dyn Fn(&mut World) -> bool) {
    let mut w2 = w.clone();
    if f(&mut w2) && w2 != *w {
        out.push((w2, req.clone()));
    }
}

/// Without the organization, one of its policies, or with FullAWSAccess attached.
fn organization_candidates(w: &World, req: &Request, out: &mut Vec<Cand>) {
    // The organization.
    if let Some(org) = &w.org {
        push_world(w, req, out, &|w2| {
            w2.org = None;
            true
        });
        for i in 0..org.scps.len() {
            push_world(w, req, out, &|w2| {
                if let Some(o) = &mut w2.org {
                    o.scps.remove(i);
                }
                true
            });
        }
        for i in 0..org.rcps.len() {
            push_world(w, req, out, &|w2| {
                if let Some(o) = &mut w2.org {
                    o.rcps.remove(i);
                }
                true
            });
        }
        push_world(w, req, out, &|w2| {
            if let Some(o) = &mut w2.org {
                o.full_aws_access = true;
            }
            true
        });
    }
}

/// Without a bucket, user or role the request does not use (and the principals naming them).
fn unused_entity_candidates(w: &World, req: &Request, out: &mut Vec<Cand>) {
    // Entities the request does not use.
    let used_buckets = chain_buckets(req);
    for (i, b) in w.buckets.iter().enumerate() {
        if !used_buckets.contains(&b.name) {
            push_world(w, req, out, &|w2| {
                w2.buckets.remove(i);
                true
            });
        }
        if b.policy.is_some() {
            push_world(w, req, out, &|w2| {
                if let Some(b) = w2.buckets.get_mut(i) {
                    b.policy = None;
                }
                true
            });
        }
    }
    let used_users = chain_users(req);
    for (i, u) in w.users.iter().enumerate() {
        if used_users.contains(&i) {
            continue;
        }
        let arn = u.arn();
        let id = u.id.clone();
        let mut w2 = w.clone();
        w2.users.remove(i);
        if strip_principals(&mut w2, &|v| v == arn || v == id) {
            let mut r2 = req.clone();
            remap_users(&mut r2, i);
            out.push((w2, r2));
        }
    }
    let used_roles = chain_roles(req);
    for (i, x) in w.roles.iter().enumerate() {
        let arn = x.arn();
        if used_roles.contains(&arn) {
            continue;
        }
        let id = x.id.clone();
        let session_prefix = format!(
            "arn:aws:sts::{}:assumed-role/{}/",
            super::gen::account_id(x.account),
            x.name
        );
        let mut w2 = w.clone();
        w2.roles.remove(i);
        if strip_principals(&mut w2, &|v| {
            v == arn || v == id || v.starts_with(&session_prefix)
        }) {
            out.push((w2, req.clone()));
        }
    }
}

/// Without an attachment, boundary, inline policy or tag; without unused managed policies.
fn attachment_candidates(w: &World, req: &Request, out: &mut Vec<Cand>) {
    // Attachments, boundaries, inline policies, tags.
    for i in 0..w.users.len() {
        entity_candidates(w, req, out, i, true);
    }
    for i in 0..w.roles.len() {
        entity_candidates(w, req, out, i, false);
    }
    for (i, m) in w.managed.iter().enumerate() {
        let used = w.users.iter().any(|u| {
            u.account == m.account && (u.managed.contains(&m.name) || u.boundary.as_ref() == Some(&m.name))
        }) || w.roles.iter().any(|r| {
            r.account == m.account && (r.managed.contains(&m.name) || r.boundary.as_ref() == Some(&m.name))
        });
        if !used {
            push_world(w, req, out, &|w2| {
                w2.managed.remove(i);
                true
            });
        }
    }
    if !w.secure_transport {
        push_world(w, req, out, &|w2| {
            w2.secure_transport = true;
            true
        });
    }
}

/// Each policy of the world with a statement, or a part of one, simplified.
fn statement_candidates(w: &World, req: &Request, out: &mut Vec<Cand>) {
    // Statements and what is inside them, in every policy of the world.
    let count = w.policies().len();
    for pi in 0..count {
        let Some((_, p)) = w.policies().into_iter().nth(pi) else {
            continue;
        };
        for (w2, ok) in policy_variants(p).into_iter().map(|np| {
            let mut w2 = w.clone();
            let mut ok = true;
            if let Some((_, slot)) = w2.policies_mut().into_iter().nth(pi) {
                if np.statements.is_empty() {
                    ok = false;
                }
                *slot = np;
            }
            (w2, ok)
        }) {
            if ok {
                out.push((w2, req.clone()));
            }
        }
    }
}

/// The request's parameters and session policies, one removed or simplified.
fn request_candidates(w: &World, req: &Request, out: &mut Vec<Cand>) {
    // The request's parameters and session policies.
    let n_ops = req.chain().len();
    for k in 0..n_ops {
        let variants: Vec<Request> = {
            let mut base = req.clone();
            let ops = chain_ops_mut(&mut base);
            let Some(op) = ops.into_iter().nth(k) else {
                continue;
            };
            let op0 = op.clone();
            let mut vs: Vec<Op> = Vec::new();
            match &op0 {
                Op::Put(o) => {
                    if o.acl.is_some() {
                        let mut o2 = o.clone();
                        o2.acl = None;
                        vs.push(Op::Put(o2));
                    }
                    if o.sse.is_some() {
                        let mut o2 = o.clone();
                        o2.sse = None;
                        vs.push(Op::Put(o2));
                    }
                }
                Op::Delete(_) | Op::Abort(_) => {}
                Op::Copy(c) => {
                    if c.dest.acl.is_some() {
                        let mut c2 = c.clone();
                        c2.dest.acl = None;
                        vs.push(Op::Copy(c2));
                    }
                    if c.dest.sse.is_some() {
                        let mut c2 = c.clone();
                        c2.dest.sse = None;
                        vs.push(Op::Copy(c2));
                    }
                }
                Op::AssumeRole(a) => {
                    if a.external_id.is_some() {
                        let mut a2 = a.clone();
                        a2.external_id = None;
                        vs.push(Op::AssumeRole(a2));
                    }
                    if a.source_identity.is_some() {
                        let mut a2 = a.clone();
                        a2.source_identity = None;
                        vs.push(Op::AssumeRole(a2));
                    }
                    for t in 0..a.tags.len() {
                        let mut a2 = a.clone();
                        a2.tags.remove(t);
                        vs.push(Op::AssumeRole(a2));
                    }
                    if let Some(p) = &a.policy {
                        let mut a2 = a.clone();
                        a2.policy = None;
                        vs.push(Op::AssumeRole(a2));
                        for np in policy_variants(p) {
                            if np.statements.is_empty() {
                                continue;
                            }
                            let mut a2 = a.clone();
                            a2.policy = Some(np);
                            vs.push(Op::AssumeRole(a2));
                        }
                    }
                }
            }
            vs.into_iter()
                .filter_map(|v| {
                    let mut r2 = req.clone();
                    let slot = chain_ops_mut(&mut r2).into_iter().nth(k)?;
                    *slot = v;
                    Some(r2)
                })
                .collect()
        };
        for r2 in variants {
            out.push((w.clone(), r2));
        }
    }
}

fn entity_candidates(w: &World, req: &Request, out: &mut Vec<Cand>, i: usize, user: bool) {
    let mut push = |f: &dyn Fn(&mut World)| {
        let mut w2 = w.clone();
        f(&mut w2);
        if w2 != *w {
            out.push((w2, req.clone()));
        }
    };
    let (n_inline, n_managed, n_tags) = if user {
        w.users
            .get(i)
            .map_or((0, 0, 0), |u| (u.policies.len(), u.managed.len(), u.tags.len()))
    } else {
        w.roles
            .get(i)
            .map_or((0, 0, 0), |r| (r.policies.len(), r.managed.len(), r.tags.len()))
    };
    for j in 0..n_inline {
        push(&|w2| {
            if user {
                if let Some(u) = w2.users.get_mut(i) {
                    u.policies.remove(j);
                }
            } else if let Some(r) = w2.roles.get_mut(i) {
                r.policies.remove(j);
            }
        });
    }
    for j in 0..n_managed {
        push(&|w2| {
            if user {
                if let Some(u) = w2.users.get_mut(i) {
                    u.managed.remove(j);
                }
            } else if let Some(r) = w2.roles.get_mut(i) {
                r.managed.remove(j);
            }
        });
    }
    for j in 0..n_tags {
        push(&|w2| {
            if user {
                if let Some(u) = w2.users.get_mut(i) {
                    u.tags.remove(j);
                }
            } else if let Some(r) = w2.roles.get_mut(i) {
                r.tags.remove(j);
            }
        });
    }
    push(&|w2| {
        if user {
            if let Some(u) = w2.users.get_mut(i) {
                u.boundary = None;
            }
        } else if let Some(r) = w2.roles.get_mut(i) {
            r.boundary = None;
        }
    });
}

/// One-step simplifications of a policy (possibly leaving it empty, which the
/// caller refuses where a policy cannot be empty).
fn policy_variants(p: &Policy) -> Vec<Policy> {
    let mut out: Vec<Policy> = Vec::new();
    if p.statements.len() > 1 {
        for k in 0..p.statements.len() {
            let mut np = p.clone();
            np.statements.remove(k);
            out.push(np);
        }
    }
    for k in 0..p.statements.len() {
        let Some(s) = p.statements.get(k) else { continue };
        for ns in statement_variants(s) {
            let mut np = p.clone();
            if let Some(slot) = np.statements.get_mut(k) {
                *slot = ns;
            }
            out.push(np);
        }
    }
    if p.version != Version::V2012 {
        let mut np = p.clone();
        np.version = Version::V2012;
        out.push(np);
    }
    if p.shape != 0 {
        let mut np = p.clone();
        np.shape = 0;
        out.push(np);
    }
    out
}

fn statement_variants(s: &Statement) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::new();
    for c in 0..s.conditions.len() {
        let mut ns = s.clone();
        ns.conditions.remove(c);
        out.push(ns);
        if let Some(cond) = s.conditions.get(c) {
            if cond.values.len() > 1 {
                for v in 0..cond.values.len() {
                    let mut ns = s.clone();
                    if let Some(nc) = ns.conditions.get_mut(c) {
                        nc.values.remove(v);
                    }
                    out.push(ns);
                }
            }
            if cond.if_exists {
                let mut ns = s.clone();
                if let Some(nc) = ns.conditions.get_mut(c) {
                    nc.if_exists = false;
                }
                out.push(ns);
            }
        }
    }
    if s.actions.len() > 1 {
        for a in 0..s.actions.len() {
            let mut ns = s.clone();
            ns.actions.remove(a);
            out.push(ns);
        }
    }
    if let Some(res) = &s.resources {
        if res.len() > 1 {
            for k in 0..res.len() {
                let mut ns = s.clone();
                if let Some(r) = &mut ns.resources {
                    r.remove(k);
                }
                out.push(ns);
            }
        }
    }
    if let Some(p) = &s.principal {
        let total = p.aws.len() + p.service.len();
        if total > 1 {
            for k in 0..p.aws.len() {
                let mut ns = s.clone();
                if let Some(np) = &mut ns.principal {
                    np.aws.remove(k);
                }
                out.push(ns);
            }
            for k in 0..p.service.len() {
                let mut ns = s.clone();
                if let Some(np) = &mut ns.principal {
                    np.service.remove(k);
                }
                out.push(ns);
            }
        }
    }
    if s.sid.is_some() {
        let mut ns = s.clone();
        ns.sid = None;
        out.push(ns);
    }
    out
}
