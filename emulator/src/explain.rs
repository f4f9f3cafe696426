//! `emulator explain`: decide a hypothetical request against a world's policies
//! without sending it, and say why.
//!
//! It is the server's decision, not a second one: the caller becomes the same
//! [`Caller`] authentication would build (a signed SigV4 request), the policies
//! come from [`crate::authz`]'s own collectors, and the context from the same
//! global keys the server sets. Only what a request would carry and a question
//! does not (the headers behind S3's keys, STS's parameters) is given as
//! `--context`. `emulator/tests/explain.rs` sends every case whose action the
//! server serves through the server too and requires the same decision.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::authn::{AuthFacts, Caller, Identity};
use crate::authz::{caller_policies, global_context, policies, principal, vpc_endpoint};
use crate::iam::{self, Decision, PolicyType, RequestContext};
use crate::request::{Ctx, Trace, WireIds};
use crate::world::{arn::Arn, PolicyDoc, SessionOwner, World};

/// A request that is not sent: who, what, on which resource, and what the
/// request would carry.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// A user ARN, a role or `assumed-role` session ARN, `arn:aws:iam::A:root`,
    /// `anonymous`, or a service principal (`cloudtrail.amazonaws.com`).
    pub principal: String,
    /// The action, e.g. `s3:PutObject`.
    pub action: String,
    /// The resource ARN (`*` for actions on no resource).
    pub resource: String,
    /// Condition keys; a key given more than once is multivalued.
    pub context: Vec<(String, String)>,
    /// A role session's inline session policy (JSON).
    pub session_policy: Option<String>,
    /// A role session's managed session policies (ARNs of the world's policies).
    pub session_policy_arns: Vec<String>,
    /// A role session's tags.
    pub session_tags: Vec<(String, String)>,
    /// A role session's source identity.
    pub source_identity: Option<String>,
}

impl Query {
    /// Who, what, where; no context and no session options.
    pub fn new(principal: &str, action: &str, resource: &str) -> Self {
        Self {
            principal: principal.to_string(),
            action: action.to_string(),
            resource: resource.to_string(),
            ..Self::default()
        }
    }

    fn has_session_options(&self) -> bool {
        self.session_policy.is_some()
            || !self.session_policy_arns.is_empty()
            || !self.session_tags.is_empty()
            || self.source_identity.is_some()
    }
}

/// Decide `q` at `now`. The resource's policy is found from the resource: a
/// bucket's policy, a role's trust policy, a KMS key's policy. A resource with
/// no account of its own (`*`, `arn:aws:s3:::`-less ARNs without one, AWS-owned
/// ARNs such as `arn:aws:iam::aws:policy/…`) has no resource policy, and the
/// caller's own policies decide, as the server decides `ListBuckets` on `*`.
pub fn explain(world: &World, q: &Query, now: time::OffsetDateTime) -> Result<Decision, String> {
    let identity = identity_for(world, q)?;
    let facts = match identity {
        // An unsigned request carries no signature facts.
        Identity::Anonymous | Identity::Service { .. } => AuthFacts::default(),
        _ => AuthFacts {
            signature_version: Some("AWS4-HMAC-SHA256"),
            auth_type: Some("REST-HEADER"),
            signature_age_ms: Some(0),
            content_sha256: None,
            scope_region: None,
        },
    };
    let caller = Caller {
        identity,
        access_key_id: None,
        facts,
        verified: None,
        payload: None,
    };
    let found = resource_of(world, &q.resource, caller.account())?;
    let principal = principal(world, &caller);
    let mine = caller_policies(world, &caller);
    let mut pols = policies(world, caller.account(), &found.owner, &mine, found.policy);
    if found.s3 {
        pols.vpc_endpoint = vpc_endpoint(world);
    }
    let ctx = Ctx {
        ids: WireIds::default(),
        now,
        peer: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        secure: None,
        trace: Trace::default(),
    };
    let mut context = global_context(world, &ctx, &caller, &found.region, None);
    if found.s3 {
        context = crate::authz::s3::s3_auth_keys(context, &caller.facts);
        if !found.owner.is_empty() && q.resource.starts_with("arn:aws:s3:::") && found.bucket {
            context = context.set("s3:ResourceAccount", found.owner.clone());
        }
    }
    context = with_given(context, &q.context);
    Ok(iam::evaluate(
        &iam::Request {
            principal: &principal,
            action: &q.action,
            resource: &q.resource,
            resource_account: Some(&found.owner),
            context: &context,
        },
        &pols,
    ))
}

/// The given condition keys over the computed ones; repeated keys are multivalued.
fn with_given(mut context: RequestContext, given: &[(String, String)]) -> RequestContext {
    let mut grouped: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (k, v) in given {
        grouped.entry(k.as_str()).or_default().push(v.clone());
    }
    for (k, mut values) in grouped {
        context = if values.len() == 1 {
            context.set(k.to_string(), values.remove(0))
        } else {
            context.set_multi(k.to_string(), values)
        };
    }
    context
}

/// What the resource brings to the decision.
struct Found<'w> {
    policy: Option<(&'w PolicyDoc, PolicyType)>,
    owner: String,
    region: String,
    /// An S3 resource (a bucket, an object, or `*` for S3 actions is not one).
    s3: bool,
    /// A bucket of the world (its account is the owner).
    bucket: bool,
}

fn resource_of<'w>(
    world: &'w World,
    resource: &str,
    caller_account: Option<&str>,
) -> Result<Found<'w>, String> {
    if let Some(rest) = resource.strip_prefix("arn:aws:s3:::") {
        let name = rest.split('/').next().unwrap_or(rest);
        let b = world
            .bucket(name)
            .ok_or_else(|| format!("no bucket `{name}` in the world"))?;
        return Ok(Found {
            policy: b.policy.as_ref().map(|d| (d, PolicyType::ResourceBased)),
            owner: b.account.clone(),
            region: b.region.clone(),
            s3: true,
            bucket: true,
        });
    }
    if let Some(role) = world.role_by_arn(resource) {
        return Ok(Found {
            policy: Some((&role.trust, PolicyType::RoleTrust)),
            owner: role.account.clone(),
            region: "us-east-1".to_string(),
            s3: false,
            bucket: false,
        });
    }
    if let Some(key) = world.kms_key(resource) {
        return Ok(Found {
            policy: Some((&key.policy, PolicyType::ResourceBased)),
            owner: key.account.clone(),
            region: key.region.clone(),
            s3: false,
            bucket: false,
        });
    }
    let parsed = Arn::parse(resource);
    let account = parsed.as_ref().map_or("", |a| a.account);
    let region = parsed
        .as_ref()
        .map(|a| a.region)
        .filter(|r| !r.is_empty())
        .unwrap_or("us-east-1");
    // No account of its own (`*`, `arn:aws:iam::aws:policy/…`, `arn:aws:s3:::`-style
    // ARNs of services without accounts): no resource policy exists, so the
    // request is decided as within the caller's account.
    let owner = if account.is_empty() || account == "aws" || account == "*" {
        caller_account.unwrap_or_default().to_string()
    } else {
        account.to_string()
    };
    Ok(Found {
        policy: None,
        owner,
        region: region.to_string(),
        s3: false,
        bucket: false,
    })
}

fn identity_for(world: &World, q: &Query) -> Result<Identity, String> {
    let arn = q.principal.as_str();
    let sessionless = |identity: Identity| {
        if q.has_session_options() {
            Err(format!(
                "session policies, session tags and a source identity belong to role sessions; `{arn}` is not one (give a role or assumed-role ARN)"
            ))
        } else {
            Ok(identity)
        }
    };
    if arn == "anonymous" || arn == "*" {
        return sessionless(Identity::Anonymous);
    }
    if !arn.starts_with("arn:") && arn.ends_with(".amazonaws.com") {
        return sessionless(Identity::Service {
            name: arn.to_string(),
        });
    }
    if let Some(account) = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.strip_suffix(":root"))
    {
        if world.account(account).is_none() {
            return Err(format!("no account `{account}` in the world"));
        }
        return sessionless(Identity::Root {
            account: account.to_string(),
        });
    }
    if let Some(u) = world.users.iter().find(|u| u.arn() == arn) {
        return sessionless(Identity::User(Arc::clone(u)));
    }
    let role_and_session = world.role_by_arn(arn).map(|r| (r, "explain")).or_else(|| {
        let rest = arn.strip_prefix("arn:aws:sts::")?;
        let (account, path) = rest.split_once(":assumed-role/")?;
        let (role, session) = path.split_once('/')?;
        world.role(account, role).map(|r| (r, session))
    });
    let Some((role, session_name)) = role_and_session else {
        return Err(format!(
            "no user or role `{arn}` in the world (give a user ARN, a role ARN, an assumed-role ARN, arn:aws:iam::ACCOUNT:root, a service principal such as cloudtrail.amazonaws.com, or `anonymous`)"
        ));
    };
    let mut policies = Vec::new();
    if let Some(text) = &q.session_policy {
        let policy = iam::Policy::parse(text, iam::PolicyKind::Session)
            .map_err(|e| format!("--session-policy: {e}"))?;
        policies.push(PolicyDoc {
            id: format!("session:{session_name}"),
            policy: Arc::new(policy),
            text: text.clone(),
        });
    }
    for want in &q.session_policy_arns {
        let mp = world
            .managed_policies
            .iter()
            .find(|p| p.arn() == *want)
            .ok_or_else(|| format!("--session-policy-arn: no managed policy `{want}` in the world"))?;
        let mut doc = mp.doc.clone();
        doc.id = format!("session:{}", mp.name);
        policies.push(doc);
    }
    Ok(Identity::Session(Arc::new(crate::emulator::Session {
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
        policies,
        tags: q.session_tags.iter().cloned().collect(),
        transitive_tag_keys: Vec::new(),
        source_identity: q.source_identity.clone(),
        issued_in_region: None,
        chained: false,
    })))
}
