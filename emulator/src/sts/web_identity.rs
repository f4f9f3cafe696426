//! AssumeRoleWithWebIdentity: an unsigned request carrying an OIDC ID token. STS
//! verifies the token against the identity provider ([`crate::oidc`]), then decides
//! the role's trust policy for the provider's federated principal, with the
//! token's claims as condition keys, and issues a role session.
//!
//! Order: parameters, the region, the token, the role, the trust policy, the
//! session's length. That the token is checked before the role is looked up is
//! inferred (a token for an unknown issuer fails with InvalidIdentityToken whatever
//! the role ARN in reports of it).

use std::sync::Arc;

use http::Response;

use super::assume_role::{self, AssumeRoleInput, Endpoint};
use super::{ok, Params};
use crate::api_error;
use crate::authn::Caller;
use crate::authz;
use crate::emulator::Emulator;
use crate::error::{ApiError, ApiResult};
use crate::iam::{Decision, Effect, PolicyType, Principal, RequestContext};
use crate::oidc::VerifiedToken;
use crate::protocol::xml::{Xml, STS_NS};
use crate::request::{Ctx, ResBody};
use crate::world::{arn::Arn, World};

/// `WebIdentityToken`: 4 to 20,000 characters (STS API reference).
const TOKEN_LEN: std::ops::RangeInclusive<usize> = 4..=20000;

/// The one AccessDenied text AssumeRoleWithWebIdentity sends, for a trust policy
/// that does not allow the token and for a role that does not exist (observed;
/// misconfigs.md M18).
const NOT_AUTHORIZED: &str = "Not authorized to perform sts:AssumeRoleWithWebIdentity";

fn token(params: &Params) -> ApiResult<&str> {
    let t = params.get("WebIdentityToken").ok_or_else(|| {
        api_error!(
            ValidationError,
            "1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null"
        )
    })?;
    let n = t.chars().count();
    if !TOKEN_LEN.contains(&n) {
        // The value is not echoed: it is a credential.
        let constraint = if n < *TOKEN_LEN.start() {
            "Member must have length greater than or equal to 4"
        } else {
            "Member must have length less than or equal to 20000"
        };
        return Err(api_error!(
            ValidationError,
            "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: {}",
            constraint
        ));
    }
    Ok(t)
}

/// The parameters' constraints, as the handler checks them first.
pub(crate) fn check_params(params: &Params) -> ApiResult<()> {
    AssumeRoleInput::parse(params)?;
    token(params).map(|_| ())
}

/// The trust policy's request context: the global keys, `sts:RoleSessionName`,
/// `aws:FederatedProvider` and the provider's claim keys.
fn trust_context(
    world: &World,
    ctx: &Ctx,
    verified: &VerifiedToken,
    session_name: &str,
    region: &str,
) -> RequestContext {
    let mut context = authz::global_context(world, ctx, &Caller::anonymous(), region, None)
        .set("sts:RoleSessionName", session_name)
        .set("aws:FederatedProvider", verified.provider.principal());
    for (key, values) in verified.condition_keys() {
        context = match values.as_slice() {
            [one] => context.set(key, one.clone()),
            _ => context.set_multi(key, values),
        };
    }
    context
}

fn not_authorized(decision: Decision, note: Option<String>) -> ApiError {
    let e = api_error!(AccessDenied, "{}", NOT_AUTHORIZED).with_decision(Arc::new(decision));
    match note {
        Some(n) => e.note(n),
        None => e,
    }
}

pub(crate) fn assume_role_with_web_identity(
    emu: &Emulator,
    ctx: &mut Ctx,
    world: &World,
    params: &Params,
    endpoint: &Endpoint<'_>,
) -> ApiResult<Response<ResBody>> {
    let mut input = AssumeRoleInput::parse(params)?;
    let token = token(params)?;
    // Session tags, a source identity and an external id are not parameters of this
    // action (tags and source identity come from the token's claims, which the
    // emulator does not model); the parser read them as AssumeRole's.
    input.tags.clear();
    input.transitive_tag_keys.clear();
    input.source_identity = None;
    input.external_id = None;
    let account = Arn::parse(input.role_arn).map_or(String::new(), |a| a.account.to_string());
    assume_role::check_region(world, &account, endpoint.region)?;
    let verified = crate::oidc::verify(&emu.oidc_keys, world, token, &account, ctx.now)?;
    let provider = verified.provider.principal();
    ctx.trace.principal = Some(provider.clone());
    let Some(role) = world.role_by_arn(input.role_arn) else {
        let decision = Decision {
            effect: Effect::ImplicitDeny,
            decided_by: Vec::new(),
            denied_by: Some(PolicyType::RoleTrust),
            closest: Vec::new(),
            action: "sts:AssumeRoleWithWebIdentity".into(),
            resource: input.role_arn.to_string(),
            principal: provider,
            notes: Vec::new(),
        };
        return Err(not_authorized(
            decision,
            Some(format!("no role `{}` in the world", input.role_arn)),
        ));
    };
    let context = trust_context(world, ctx, &verified, input.session_name, endpoint.region);
    let principal = Principal::web_identity(&provider);
    let decision = authz::sts::assume_role_with_web_identity(world, &principal, role, &context);
    if !decision.is_allowed() {
        return Err(not_authorized(decision, None));
    }
    ctx.trace.decision = Some(Arc::new(decision));
    let session_policies = assume_role::session_policies(world, &mut input)?;
    let duration = assume_role::session_duration(role, input.duration, false)?;
    let session = assume_role::issue(
        emu,
        ctx,
        &Caller::anonymous(),
        role,
        input,
        session_policies,
        duration,
        endpoint,
        false,
    );
    let session = emu.add_session(session);
    // The response's elements (STS API reference, AssumeRoleWithWebIdentity).
    let mut x = Xml::bare_with_capacity(2048);
    x.open_ns("AssumeRoleWithWebIdentityResponse", STS_NS)
        .open("AssumeRoleWithWebIdentityResult");
    if let Some(aud) = &verified.aud {
        x.elem("Audience", aud);
    }
    assume_role::session_elements(&mut x, &session, &role.id);
    x.elem("Provider", &verified.iss);
    if let Some(sub) = &verified.sub {
        x.elem("SubjectFromWebIdentityToken", sub);
    }
    if let Some(policy) = params.get("Policy") {
        // A percentage of the packed-size quota, as AssumeRole reports it.
        x.elem(
            "PackedPolicySize",
            &(policy.len() * 100 / 2048).min(100).to_string(),
        );
    }
    x.close("AssumeRoleWithWebIdentityResult")
        .open("ResponseMetadata")
        .elem("RequestId", ctx.ids.request_id())
        .close("ResponseMetadata")
        .close("AssumeRoleWithWebIdentityResponse");
    ok(x.finish())
}
