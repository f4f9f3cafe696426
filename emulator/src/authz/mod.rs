//! Authorization: the layer between authentication and the handlers.
//!
//! It gathers the policies that apply (the caller's identity, boundary and
//! session policies; the bucket policy, trust policy or key policy; the
//! organization's SCPs and RCPs), builds the request context AWS builds for the
//! action, asks [`crate::iam::evaluate`], and on a deny returns AWS's
//! AccessDenied with the decision attached for the log. Handlers never evaluate
//! policy.
//!
//! One submodule per service, each with its own input: [`s3`] (the actions an S3
//! operation requires, its headers' condition keys, Block Public Access, SSE-KMS,
//! the NoSuchKey-or-AccessDenied rule) and [`sts`] (the trust decision). This
//! module holds what they share: the caller as a principal, the policies that
//! apply, the global condition keys and AWS's AccessDenied.

pub(crate) mod s3;
pub(crate) mod sts;

use std::sync::Arc;

use compact_str::ToCompactString as _;

use crate::authn::{Caller, Identity};
use crate::error::ApiError;
use crate::iam::{self, Decision, Policies, PolicyRef, PolicyType, Principal, RequestContext, Surface};
use crate::request::Ctx;
use crate::world::{PolicyDoc, SessionOwner, World};

/// The IAM principal for a caller, with its tags (session tags override role tags).
pub(crate) fn principal(world: &World, caller: &Caller) -> Principal {
    match &caller.identity {
        Identity::Anonymous => Principal::anonymous(),
        Identity::Root { account } => Principal::root(account),
        Identity::Service { name } => Principal::service(name),
        Identity::User(u) => {
            let mut p = Principal::user(&u.account, &u.path, &u.name, &u.id);
            for (k, v) in &u.tags {
                p = p.with_tag(k, v);
            }
            p
        }
        Identity::Session(s) => match &s.owner {
            SessionOwner::Role {
                account,
                role,
                session_name,
            } => {
                let r = world.role(account, role);
                let (path, id) = r.map_or(("/", "AROAUNKNOWNROLE00000"), |r| {
                    (r.path.as_str(), r.id.as_str())
                });
                let mut p = Principal::assumed_role(account, path, role, session_name, id);
                for (k, v) in r.map(|r| r.tags.iter()).into_iter().flatten() {
                    p = p.with_tag(k, v);
                }
                for (k, v) in &s.tags {
                    p = p.with_tag(k, v);
                }
                p
            }
            SessionOwner::User { account, user } => {
                let u = world.user(account, user);
                let (path, id) = u.map_or(("/", "AIDAUNKNOWNUSER00000"), |u| {
                    (u.path.as_str(), u.id.as_str())
                });
                Principal::user(account, path, user, id)
            }
        },
    }
}

/// The policies attached to the caller: identity, boundary, session.
pub(crate) struct CallerPolicies<'w> {
    pub identity: Vec<&'w PolicyDoc>,
    pub boundary: Option<&'w PolicyDoc>,
    pub session: Vec<&'w PolicyDoc>,
}

pub(crate) fn caller_policies<'w>(world: &'w World, caller: &'w Caller) -> CallerPolicies<'w> {
    let none = CallerPolicies {
        identity: Vec::new(),
        boundary: None,
        session: Vec::new(),
    };
    match &caller.identity {
        // Root is not governed by identity policies; a service brings none.
        Identity::Anonymous | Identity::Root { .. } | Identity::Service { .. } => none,
        Identity::User(u) => match world.user(&u.account, &u.name) {
            // The world's current policies, so edits mid-scenario take effect at once.
            Some(u) => CallerPolicies {
                identity: user_identity_policies(world, u),
                boundary: u.boundary.as_ref(),
                session: Vec::new(),
            },
            None => none,
        },
        Identity::Session(s) => {
            let session: Vec<&PolicyDoc> = s.policies.iter().collect();
            match &s.owner {
                SessionOwner::Role { account, role, .. } => match world.role(account, role) {
                    Some(r) => CallerPolicies {
                        identity: r.policies.iter().collect(),
                        boundary: r.boundary.as_ref(),
                        session,
                    },
                    None => CallerPolicies { session, ..none },
                },
                SessionOwner::User { account, user } => match world.user(account, user) {
                    Some(u) => CallerPolicies {
                        identity: user_identity_policies(world, u),
                        boundary: u.boundary.as_ref(),
                        session,
                    },
                    None => none,
                },
            }
        }
    }
}

/// A user's identity-based policies: its own (inline and attached), then its
/// groups' ("policies attached to a group apply to all users in it", IAM user
/// guide, "IAM user groups"), each named `group:NAME/POLICY` or `managed:NAME`.
fn user_identity_policies<'w>(world: &'w World, u: &'w crate::world::User) -> Vec<&'w PolicyDoc> {
    u.policies
        .iter()
        .chain(world.groups_of(u).flat_map(|g| g.policies.iter()))
        .collect()
}

fn refs<'a>(docs: &[&'a PolicyDoc], t: PolicyType) -> Vec<PolicyRef<'a>> {
    docs.iter().map(|d| PolicyRef::new(&d.id, t, &d.policy)).collect()
}

/// Every policy for one evaluation.
pub(crate) fn policies<'a>(
    world: &'a World,
    caller_account: Option<&str>,
    resource_account: &str,
    mine: &CallerPolicies<'a>,
    resource: Option<(&'a PolicyDoc, PolicyType)>,
) -> Policies<'a> {
    let mut p = Policies {
        identity: refs(&mine.identity, PolicyType::IdentityBased),
        boundary: mine
            .boundary
            .map(|b| PolicyRef::new(&b.id, PolicyType::PermissionsBoundary, &b.policy)),
        session: refs(&mine.session, PolicyType::Session),
        resource: resource.map(|(d, t)| PolicyRef::new(&d.id, t, &d.policy)),
        ..Policies::default()
    };
    if let Some(org) = &world.organization {
        if let Some(acct) = caller_account {
            p.scps = org
                .scps_for(acct)
                .iter()
                .map(|d| PolicyRef::new(&d.id, PolicyType::ServiceControl, &d.policy))
                .collect();
        }
        p.rcps = org
            .rcps_for(resource_account)
            .iter()
            .map(|d| PolicyRef::new(&d.id, PolicyType::ResourceControl, &d.policy))
            .collect();
    }
    p
}

/// The policy of the S3 gateway endpoint the requests come through, if the world
/// has one (misconfigs.md M53).
pub(crate) fn vpc_endpoint(world: &World) -> Option<PolicyRef<'_>> {
    world
        .network
        .vpc_endpoint_policy
        .as_ref()
        .map(|d| PolicyRef::new(&d.id, PolicyType::VpcEndpoint, &d.policy))
}

/// Global condition keys every request carries (IAM user guide, "AWS global
/// condition context keys"; shared/reference/iam.md §4.1).
pub(crate) fn global_context(
    world: &World,
    ctx: &Ctx,
    caller: &Caller,
    region: &str,
    user_agent: Option<&str>,
) -> RequestContext {
    // A request sets about a dozen keys; fourteen 72-byte entries stay within glibc's
    // thread cache (1,032 bytes), where a larger first block would not.
    let mut c = RequestContext::with_capacity(14)
        .with_new("aws:CurrentTime", crate::util::rfc3339(ctx.now))
        .with_new("aws:EpochTime", ctx.now.unix_timestamp().to_compact_string())
        .with_new(
            "aws:SecureTransport",
            if ctx.secure.unwrap_or(world.network.secure_transport) {
                "true"
            } else {
                "false"
            },
        )
        .with_new("aws:RequestedRegion", region)
        .with_new("aws:ViaAWSService", "false");
    // aws:SourceIp is absent for requests through a VPC endpoint (global keys page).
    if world.network.source_vpce.is_none() {
        let ip = world.network.source_ip.unwrap_or_else(|| ctx.peer.ip());
        c = c.with_new("aws:SourceIp", crate::util::ip_text(ip));
    }
    if let Some(v) = &world.network.source_vpce {
        c = c.with_new("aws:SourceVpce", v.clone());
    }
    if let Some(v) = &world.network.source_vpc {
        c = c.with_new("aws:SourceVpc", v.clone());
    }
    if let Some(ua) = user_agent {
        c = c.with_new("aws:UserAgent", ua);
    }
    // aws:PrincipalOrgID: "included in the request context only if the principal
    // is a member of an organization" (IAM user guide, global condition keys); RCP
    // data perimeters test it (misconfigs.md M17).
    if let (Some(org), Some(account)) = (&world.organization, caller.account()) {
        if org.accounts.iter().any(|a| a == account) {
            c = c.with_new("aws:PrincipalOrgID", org.id.clone());
        }
    }
    if let Identity::Session(s) = &caller.identity {
        c = c
            .with_new("aws:TokenIssueTime", crate::util::rfc3339(s.issued_at))
            .with_new("aws:MultiFactorAuthPresent", "false");
        if let Some(si) = &s.source_identity {
            c = c.with_new("aws:SourceIdentity", si.clone());
        }
    }
    c
}

/// Whether S3 gives the caller the enriched AccessDenied text: only callers in
/// the bucket owner's account or organization get it (S3 user guide,
/// "Troubleshoot access denied (403 Forbidden) errors").
///
/// Within one organization, "enhanced access denied messages aren't returned if a
/// denial occurs because of a virtual private cloud (VPC) endpoint policy" (same
/// page): a cross-account caller denied by the endpoint policy gets the bare text.
fn enriched(world: &World, caller: &Caller, owner: &str, d: &Decision) -> bool {
    match caller.account() {
        Some(a) if a == owner => true,
        Some(a) => world.same_organization(a, owner) && d.denied_by != Some(PolicyType::VpcEndpoint),
        None => false,
    }
}

pub(crate) fn denied(world: &World, caller: &Caller, owner: &str, d: Decision, surface: Surface) -> ApiError {
    let same = match surface {
        Surface::S3 => enriched(world, caller, owner, &d),
        // STS gives callers in the role's organization the enriched text too:
        // misconfigs.md M17 ("The same-org form is `… with an explicit deny in a
        // resource control policy`"), as iam::message's module doc says; callers
        // outside it get the bare `… on resource: <role-arn>`.
        Surface::Sts => caller
            .account()
            .is_some_and(|a| world.same_organization(a, owner)),
        Surface::Generic => caller.account() == Some(owner),
    };
    let message = iam::access_denied_message(&d, surface, same);
    // The log note is the decision's headline (`ApiError::log_note`).
    ApiError::new(crate::protocol::codes::Code::AccessDenied)
        .message(message)
        .with_decision(Arc::new(d))
}
