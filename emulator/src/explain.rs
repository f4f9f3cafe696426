//! `emulator explain`: decide a hypothetical request against a world's policies
//! without sending it, and say why.

use std::sync::Arc;

use crate::authn::{AuthFacts, Caller, Identity};
use crate::authz::{caller_policies, policies, principal, vpc_endpoint};
use crate::iam::{self, Decision, PolicyType, RequestContext};
use crate::world::{PolicyDoc, SessionOwner, World};

/// Decide a hypothetical request without sending it: who (`principal_arn`: a user,
/// an `assumed-role` session or a role ARN, or `anonymous`), what, on which
/// resource, with which extra condition keys. The resource policy is found from
/// the resource: a bucket's policy, a role's trust policy, a KMS key's policy.
/// Used by `emulator explain`.
pub fn explain(
    world: &World,
    principal_arn: &str,
    action: &str,
    resource: &str,
    extra: &[(String, String)],
    now: time::OffsetDateTime,
) -> Result<Decision, String> {
    let identity = identity_for(world, principal_arn)?;
    let caller = Caller {
        identity,
        access_key_id: None,
        facts: AuthFacts::default(),
        verified: None,
        payload: None,
    };
    let (resource_policy, owner): (Option<(&PolicyDoc, PolicyType)>, String) =
        if let Some(rest) = resource.strip_prefix("arn:aws:s3:::") {
            let bucket = rest.split('/').next().unwrap_or(rest);
            match world.bucket(bucket) {
                Some(b) => (
                    b.policy.as_ref().map(|d| (d, PolicyType::ResourceBased)),
                    b.account.clone(),
                ),
                None => return Err(format!("no bucket `{bucket}` in the world")),
            }
        } else if let Some(role) = world.role_by_arn(resource) {
            (Some((&role.trust, PolicyType::RoleTrust)), role.account.clone())
        } else if let Some(key) = world.kms_key(resource) {
            (
                Some((&key.policy, PolicyType::ResourceBased)),
                key.account.clone(),
            )
        } else {
            (
                None,
                crate::world::arn::Arn::parse(resource)
                    .map(|a| a.account.to_string())
                    .unwrap_or_default(),
            )
        };
    let principal = principal(world, &caller);
    let mine = caller_policies(world, &caller);
    let mut pols = policies(world, caller.account(), &owner, &mine, resource_policy);
    if resource.starts_with("arn:aws:s3:::") {
        pols.vpc_endpoint = vpc_endpoint(world);
    }
    let mut context = RequestContext::new()
        .set("aws:CurrentTime", crate::util::rfc3339(now))
        .set("aws:EpochTime", now.unix_timestamp().to_string())
        .set(
            "aws:SecureTransport",
            if world.network.secure_transport {
                "true"
            } else {
                "false"
            },
        );
    if let Some(ip) = world.network.source_ip {
        context = context.set("aws:SourceIp", ip.to_string());
    }
    for (k, v) in extra {
        context = context.set(k.clone(), v.clone());
    }
    Ok(iam::evaluate(
        &iam::Request {
            principal: &principal,
            action,
            resource,
            resource_account: Some(&owner),
            context: &context,
        },
        &pols,
    ))
}

fn identity_for(world: &World, arn: &str) -> Result<Identity, String> {
    if arn == "anonymous" || arn == "*" {
        return Ok(Identity::Anonymous);
    }
    if let Some(u) = world.users.iter().find(|u| u.arn() == arn) {
        return Ok(Identity::User(Arc::new(u.clone())));
    }
    let session_of = |role: &crate::world::Role, session_name: &str| {
        Identity::Session(Arc::new(crate::emulator::Session {
            access_key_id: String::new(),
            secret: String::new(),
            token: String::new(),
            issued_at: time::OffsetDateTime::UNIX_EPOCH,
            expires: time::OffsetDateTime::UNIX_EPOCH,
            owner: SessionOwner::Role {
                account: role.account.clone(),
                role: role.name.clone(),
                session_name: session_name.to_string(),
            },
            policies: Vec::new(),
            tags: std::collections::BTreeMap::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            issued_in_region: None,
            chained: false,
        }))
    };
    if let Some(role) = world.role_by_arn(arn) {
        return Ok(session_of(role, "explain"));
    }
    if let Some(rest) = arn.strip_prefix("arn:aws:sts::") {
        if let Some((account, path)) = rest.split_once(":assumed-role/") {
            if let Some((role, session)) = path.split_once('/') {
                if let Some(r) = world.role(account, role) {
                    return Ok(session_of(r, session));
                }
            }
        }
    }
    Err(format!("no user or role `{arn}` in the world (give a user ARN, a role ARN, an assumed-role ARN or `anonymous`)"))
}
