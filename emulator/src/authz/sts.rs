//! STS authorization: AssumeRole (and `sts:TagSession`, `sts:SetSourceIdentity`)
//! decided against the role's trust policy and the caller's own policies.

use super::{caller_policies, denied, policies, principal};
use crate::authn::Caller;
use crate::error::ApiError;
use crate::iam::{self, Decision, PolicyType, RequestContext, Surface};
use crate::world::World;

/// Decide `action` on a role for AssumeRole (and sts:TagSession, sts:SetSourceIdentity).
pub(crate) fn assume_role(
    world: &World,
    caller: &Caller,
    role: &crate::world::Role,
    action: &str,
    context: &RequestContext,
) -> Result<Decision, ApiError> {
    let principal = principal(world, caller);
    let mine = caller_policies(world, caller);
    let pols = policies(
        world,
        caller.account(),
        &role.account,
        &mine,
        Some((&role.trust, PolicyType::RoleTrust)),
    );
    let arn = role.arn();
    let d = iam::evaluate(
        &iam::Request {
            principal: &principal,
            action,
            resource: &arn,
            resource_account: Some(&role.account),
            context,
        },
        &pols,
    );
    if d.is_allowed() {
        Ok(d)
    } else {
        Err(denied(world, caller, &role.account, d, Surface::Sts))
    }
}

/// Decide `sts:AssumeRoleWithWebIdentity` for a token's federated principal: the
/// role's trust policy alone (the caller has no identity policies and no account,
/// so no SCP applies), with the role account's RCPs. The caller answers a deny.
pub(crate) fn assume_role_with_web_identity(
    world: &World,
    principal: &iam::Principal,
    role: &crate::world::Role,
    context: &RequestContext,
) -> Decision {
    let none = super::CallerPolicies {
        identity: Vec::new(),
        boundary: None,
        session: Vec::new(),
    };
    let pols = policies(
        world,
        None,
        &role.account,
        &none,
        Some((&role.trust, PolicyType::RoleTrust)),
    );
    let arn = role.arn();
    iam::evaluate(
        &iam::Request {
            principal,
            action: "sts:AssumeRoleWithWebIdentity",
            resource: &arn,
            resource_account: Some(&role.account),
            context,
        },
        &pols,
    )
}
