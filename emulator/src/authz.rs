//! Authorization: the layer between authentication and the handlers.
//!
//! It gathers the policies that apply (the caller's identity, boundary and
//! session policies; the bucket policy, trust policy or key policy; the
//! organization's SCPs and RCPs), builds the request context AWS builds for the
//! action, asks [`crate::iam::evaluate`], and on a deny returns AWS's
//! AccessDenied with the decision attached for the log. Handlers never evaluate
//! policy.

use std::sync::Arc;

use crate::api_error;
use crate::authn::{AuthFacts, Caller, Identity};
use crate::error::{ApiError, ApiResult};
use crate::iam::{self, Decision, Policies, PolicyRef, PolicyType, Principal, RequestContext, Surface};
use crate::s3::S3Request;
use crate::service::Ctx;
use crate::world::{Bucket, Encryption, KmsKeyState, ObjectOwnership, PolicyDoc, SessionOwner, World};

/// The IAM principal for a caller, with its tags (session tags override role tags).
pub(crate) fn principal(world: &World, caller: &Caller) -> Principal {
    match &caller.identity {
        Identity::Anonymous => Principal::anonymous(),
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
        Identity::Anonymous => none,
        Identity::User(u) => match world.user(&u.account, &u.name) {
            // The world's current policies, so edits mid-scenario take effect at once.
            Some(u) => CallerPolicies {
                identity: u.policies.iter().collect(),
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
                        identity: u.policies.iter().collect(),
                        boundary: u.boundary.as_ref(),
                        session,
                    },
                    None => none,
                },
            }
        }
    }
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
fn vpc_endpoint(world: &World) -> Option<PolicyRef<'_>> {
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
    let mut c = RequestContext::new()
        .set("aws:CurrentTime", crate::authn::rfc3339(ctx.now))
        .set("aws:EpochTime", ctx.now.unix_timestamp().to_string())
        .set(
            "aws:SecureTransport",
            if world.network.secure_transport {
                "true"
            } else {
                "false"
            },
        )
        .set("aws:RequestedRegion", region)
        .set("aws:ViaAWSService", "false");
    // aws:SourceIp is absent for requests through a VPC endpoint (global keys page).
    if world.network.source_vpce.is_none() {
        let ip = world.network.source_ip.unwrap_or_else(|| ctx.peer.ip());
        c = c.set("aws:SourceIp", ip.to_string());
    }
    if let Some(v) = &world.network.source_vpce {
        c = c.set("aws:SourceVpce", v.clone());
    }
    if let Some(v) = &world.network.source_vpc {
        c = c.set("aws:SourceVpc", v.clone());
    }
    if let Some(ua) = user_agent {
        c = c.set("aws:UserAgent", ua);
    }
    // aws:PrincipalOrgID: "included in the request context only if the principal
    // is a member of an organization" (IAM user guide, global condition keys); RCP
    // data perimeters test it (misconfigs.md M17).
    if let (Some(org), Some(account)) = (&world.organization, caller.account()) {
        if org.accounts.iter().any(|a| a == account) {
            c = c.set("aws:PrincipalOrgID", org.id.clone());
        }
    }
    if let Identity::Session(s) = &caller.identity {
        c = c
            .set("aws:TokenIssueTime", crate::authn::rfc3339(s.issued_at))
            .set("aws:MultiFactorAuthPresent", "false");
        if let Some(si) = &s.source_identity {
            c = c.set("aws:SourceIdentity", si.clone());
        }
    }
    c
}

fn s3_auth_keys(mut c: RequestContext, facts: &AuthFacts) -> RequestContext {
    if let Some(v) = facts.signature_version {
        c = c.set("s3:signatureversion", v);
    }
    if let Some(v) = facts.auth_type {
        c = c.set("s3:authType", v);
    }
    if let Some(v) = facts.signature_age_ms {
        c = c.set("s3:signatureAge", v.to_string());
    }
    if let Some(v) = &facts.content_sha256 {
        c = c.set("s3:x-amz-content-sha256", v.clone());
    }
    c
}

/// Header-derived S3 keys exist only when the header is sent: default bucket
/// encryption does not populate `s3:x-amz-server-side-encryption` (iam.md §4.2).
const S3_HEADER_KEYS: &[(&str, &str)] = &[
    ("x-amz-acl", "s3:x-amz-acl"),
    ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
    (
        "x-amz-server-side-encryption-aws-kms-key-id",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
    ),
    (
        "x-amz-server-side-encryption-customer-algorithm",
        "s3:x-amz-server-side-encryption-customer-algorithm",
    ),
    ("x-amz-storage-class", "s3:x-amz-storage-class"),
    ("x-amz-grant-full-control", "s3:x-amz-grant-full-control"),
    ("x-amz-grant-read", "s3:x-amz-grant-read"),
    ("x-amz-grant-read-acp", "s3:x-amz-grant-read-acp"),
    ("x-amz-grant-write-acp", "s3:x-amz-grant-write-acp"),
    (
        "x-amz-website-redirect-location",
        "s3:x-amz-website-redirect-location",
    ),
    ("x-amz-copy-source", "s3:x-amz-copy-source"),
    ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
    ("if-none-match", "s3:if-none-match"),
    ("if-match", "s3:if-match"),
];

fn s3_context(r: &S3Request<'_>, ctx: &Ctx, region: &str) -> RequestContext {
    let mut c = global_context(r.world, ctx, r.caller, region, r.header("user-agent"));
    c = s3_auth_keys(c, &r.caller.facts);
    if let Some(b) = r.bucket {
        c = c.set("s3:ResourceAccount", b.account.clone());
    }
    // One pass over the request's headers rather than a lookup per table row
    // (each `HeaderMap::get(&str)` parses the name; see benches/pipeline.rs).
    for name in r.parts.headers.keys() {
        let Some((_, key)) = S3_HEADER_KEYS.iter().find(|(h, _)| *h == name.as_str()) else {
            continue;
        };
        if let Some(v) = r.parts.headers.get(name).and_then(|v| v.to_str().ok()) {
            c = c.set(*key, v);
        }
    }
    if let Some(tagging) = r.header("x-amz-tagging") {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(tagging.as_bytes()).into_owned().collect();
        for (k, v) in &pairs {
            c = c.set(format!("s3:RequestObjectTag/{k}"), v.clone());
        }
        c = c.set_multi("s3:RequestObjectTagKeys", pairs.into_iter().map(|(k, _)| k));
    }
    for name in ["prefix", "delimiter", "max-keys"] {
        if let Some(v) = crate::route::query_get(r.query, name) {
            c = c.set(format!("s3:{name}"), v);
        }
    }
    if let crate::route::S3Op::DeleteObject { version_id: Some(v) } = &r.target.op {
        c = c.set("s3:versionid", v.clone());
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

fn denied(world: &World, caller: &Caller, owner: &str, d: Decision, surface: Surface) -> ApiError {
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

/// The canned ACLs that grant to AllUsers or AuthenticatedUsers (S3 user guide,
/// "The meaning of public").
const PUBLIC_ACLS: &[&str] = &["public-read", "public-read-write", "authenticated-read"];

/// Decide an S3 request; `Ok` carries the allow decision for the log.
pub(crate) fn authorize_s3(r: &S3Request<'_>, ctx: &mut Ctx) -> ApiResult<Option<Arc<Decision>>> {
    let world = r.world;
    let caller = r.caller;
    let action = r.target.op.action();
    let (resource, owner, region) = match (r.bucket, &r.target.key) {
        (Some(b), Some(k)) if r.target.op.is_object_op() => (
            format!("arn:aws:s3:::{}/{k}", b.name),
            b.account.as_str(),
            b.region.as_str(),
        ),
        (Some(b), _) => (
            format!("arn:aws:s3:::{}", b.name),
            b.account.as_str(),
            b.region.as_str(),
        ),
        (None, _) => ("*".to_string(), caller.account().unwrap_or_default(), "us-east-1"),
    };
    let principal = principal(world, caller);
    let mine = caller_policies(world, caller);
    let bucket_policy = r
        .bucket
        .and_then(|b| b.policy.as_ref())
        .map(|d| (d, PolicyType::ResourceBased));
    let mut pols = policies(world, caller.account(), owner, &mine, bucket_policy);
    pols.vpc_endpoint = vpc_endpoint(world);
    let context = s3_context(r, ctx, region);

    let decide = |action: &str| {
        iam::evaluate(
            &iam::Request {
                principal: &principal,
                action,
                resource: &resource,
                resource_account: Some(owner),
                context: &context,
            },
            &pols,
        )
    };
    let decision = decide(action);
    if !decision.is_allowed() {
        return Err(denied(world, caller, owner, decision, Surface::S3));
    }
    // PutObject with ACL or tagging headers also needs s3:PutObjectAcl /
    // s3:PutObjectTagging (S3 API reference, PutObject "Permissions").
    if r.target.op == crate::route::S3Op::PutObject {
        let acl = r.header("x-amz-acl").is_some()
            || r.parts
                .headers
                .keys()
                .any(|k| k.as_str().starts_with("x-amz-grant-"));
        if acl {
            let d = decide("s3:PutObjectAcl");
            if !d.is_allowed() {
                return Err(denied(world, caller, owner, d, Surface::S3));
            }
        }
        if r.header("x-amz-tagging").is_some() {
            let d = decide("s3:PutObjectTagging");
            if !d.is_allowed() {
                return Err(denied(world, caller, owner, d, Surface::S3));
            }
        }
        if let Some(b) = r.bucket {
            bucket_settings(r, b, &principal, &resource)?;
            kms(r, ctx, b, &principal)?;
        }
    }
    if let Some(b) = r.bucket {
        // Requester Pays: a caller from another account must say it pays
        // (S3 user guide, "Using Requester Pays buckets").
        if b.requester_pays
            && caller.account() != Some(b.account.as_str())
            && r.header("x-amz-request-payer") != Some("requester")
        {
            // Not a policy decision: the allow above stays out of this denial's log entry.
            return Err(api_error!(AccessDenied).note(
                "Requester Pays bucket and a caller from another account without x-amz-request-payer: requester",
            ));
        }
    }
    Ok(Some(Arc::new(decision)))
}

/// What S3 answers for a GetObject/HeadObject of a key that does not exist: 404
/// NoSuchKey when the caller may list the bucket, else 403 AccessDenied, so that
/// callers cannot probe for keys (S3 API reference, GetObject, "Permissions").
/// The denial carries the `s3:ListBucket` decision (its message follows the
/// AccessDenied grammar for that action: inferred, no capture found).
pub(crate) fn missing_key(r: &S3Request<'_>, ctx: &Ctx, not_found: ApiError) -> ApiError {
    let Some(b) = r.bucket else { return not_found };
    let caller = r.caller;
    let principal = principal(r.world, caller);
    let mine = caller_policies(r.world, caller);
    let pols = policies(
        r.world,
        caller.account(),
        &b.account,
        &mine,
        b.policy.as_ref().map(|d| (d, PolicyType::ResourceBased)),
    );
    let context = s3_context(r, ctx, &b.region);
    let resource = format!("arn:aws:s3:::{}", b.name);
    let d = iam::evaluate(
        &iam::Request {
            principal: &principal,
            action: "s3:ListBucket",
            resource: &resource,
            resource_account: Some(&b.account),
            context: &context,
        },
        &pols,
    );
    if d.is_allowed() {
        not_found
    } else {
        denied(r.world, caller, &b.account, d, Surface::S3)
            .note("the key does not exist and the caller may not list the bucket")
    }
}

/// Block Public Access against public ACLs on ACL-enabled buckets (ACL-disabled
/// buckets already refused every ACL but bucket-owner-full-control).
fn bucket_settings(r: &S3Request<'_>, b: &Bucket, principal: &Principal, resource: &str) -> ApiResult<()> {
    let public = r.header("x-amz-acl").is_some_and(|a| PUBLIC_ACLS.contains(&a))
        || r.parts.headers.iter().any(|(k, v)| {
            k.as_str().starts_with("x-amz-grant-")
                && v.to_str().is_ok_and(|v| {
                    v.contains("acs.amazonaws.com/groups/global/AllUsers") || v.contains("AuthenticatedUsers")
                })
        });
    if public
        && b.object_ownership != ObjectOwnership::BucketOwnerEnforced
        && b.public_access_block.block_public_acls
    {
        return Err(api_error!(
            AccessDenied,
            "User: {} is not authorized to perform: s3:PutObject on resource: \"{resource}\" because public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access.",
            principal.arn
        )
        .note("BlockPublicAcls is on and the request carries a public ACL"));
    }
    Ok(())
}

/// SSE-KMS: the caller also needs `kms:GenerateDataKey` on the key, allowed by
/// the key policy (which must always allow, like a trust policy) and its own
/// policies (S3 user guide, "Using server-side encryption with AWS KMS keys").
fn kms(r: &S3Request<'_>, ctx: &Ctx, b: &Bucket, principal: &Principal) -> ApiResult<()> {
    let world = r.world;
    let header = r.header("x-amz-server-side-encryption");
    let key_arn = match (header, &b.encryption) {
        (Some("aws:kms" | "aws:kms:dsse"), enc) => r
            .header("x-amz-server-side-encryption-aws-kms-key-id")
            .map(str::to_string)
            .or_else(|| match enc {
                Encryption::SseKms { key_arn, .. } => key_arn.clone(),
                Encryption::SseS3 => None,
            }),
        (Some(_), _) => return Ok(()),
        (None, Encryption::SseKms { key_arn, .. }) => key_arn.clone(),
        (None, Encryption::SseS3) => return Ok(()),
    };
    let uses_kms =
        header.is_some_and(|h| h.starts_with("aws:kms")) || matches!(b.encryption, Encryption::SseKms { .. });
    if !uses_kms {
        return Ok(());
    }
    let Some(key_arn) = key_arn else {
        // The AWS managed key aws/s3 cannot be used from another account
        // (misconfigs.md M43; S3 troubleshoot-403).
        if r.caller.account() != Some(b.account.as_str()) {
            return Err(api_error!(KmsNotFound, "Invalid keyId aws/s3")
                .note("the bucket's default key is the AWS managed aws/s3 key"));
        }
        return Ok(());
    };
    let Some(key) = world.kms_key(&key_arn) else {
        return Err(api_error!(KmsNotFound, "Invalid keyId {}", key_arn).note("no such KMS key in the world"));
    };
    match key.state {
        KmsKeyState::Enabled => {}
        KmsKeyState::Disabled => {
            return Err(api_error!(KmsDisabled, "{} is disabled.", key.arn())
                .note("the bucket's KMS key is disabled"))
        }
        KmsKeyState::PendingDeletion => {
            return Err(ApiError::new(crate::protocol::codes::Code::KmsInvalidState)
                .message(format!("{} is pending deletion.", key.arn()))
                .note("the bucket's KMS key is pending deletion"))
        }
    }
    let mine = caller_policies(world, r.caller);
    let pols = policies(
        world,
        r.caller.account(),
        &key.account,
        &mine,
        Some((&key.policy, PolicyType::ResourceBased)),
    );
    let context = global_context(world, ctx, r.caller, &key.region, r.header("user-agent"))
        .set("kms:ViaService", format!("s3.{}.amazonaws.com", b.region))
        .set("kms:CallerAccount", r.caller.account().unwrap_or_default());
    let arn = key.arn();
    let d = iam::evaluate(
        &iam::Request {
            principal,
            action: "kms:GenerateDataKey",
            resource: &arn,
            resource_account: Some(&key.account),
            context: &context,
        },
        &pols,
    );
    if !d.is_allowed() {
        // S3 relays KMS's message, with the key ARN unquoted (misconfigs.md M39-M40).
        return Err(denied(world, r.caller, &key.account, d, Surface::Generic));
    }
    Ok(())
}

/// Decide `action` on a role for AssumeRole (and sts:TagSession, sts:SetSourceIdentity).
pub(crate) fn authorize_assume_role(
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
        .set("aws:CurrentTime", crate::authn::rfc3339(now))
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
