//! AssumeRole: validate every parameter as STS does, decide the trust policy (and,
//! where AWS requires it, the caller's own policies), then issue temporary
//! credentials that expire on the emulator's clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use http::Response;

use super::{ok, Params};
use crate::api_error;
use crate::authn::{Caller, Identity};
use crate::authz;
use crate::emulator::{Emulator, Session};
use crate::error::{ApiError, ApiResult};
use crate::iam::{Decision, Effect, Policy, PolicyKind, PolicyType, RequestContext};
use crate::protocol::xml::{Xml, STS_NS};
use crate::request::{Ctx, ResBody};
use crate::world::{arn::Arn, PolicyDoc, Role, SessionOwner, World};

/// STS parameter limits (STS API reference, AssumeRole; iam.md §1.6).
const SESSION_NAME_LEN: std::ops::RangeInclusive<usize> = 2..=64;
const EXTERNAL_ID_LEN: std::ops::RangeInclusive<usize> = 2..=1224;
const SOURCE_IDENTITY_LEN: std::ops::RangeInclusive<usize> = 2..=64;
const DURATION: std::ops::RangeInclusive<i64> = 900..=43200;
const ROLE_ARN_LEN: std::ops::RangeInclusive<usize> = 20..=2048;
const MAX_SESSION_POLICY: usize = 2048;
const MAX_POLICY_ARNS: usize = 10;
const MAX_TAGS: usize = 50;
/// A role session assuming a role (role chaining) is limited to one hour.
const CHAINED_MAX: i64 = 3600;

fn validation(field: &str, value: &str, constraint: &str) -> ApiError {
    api_error!(
        ValidationError,
        "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: {}",
        value,
        field,
        constraint
    )
}

/// `[\w+=,.@-]*` (and `:/` for ExternalId).
fn charset_ok(s: &str, extra: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) || extra.contains(c))
}

/// The letters of temporary access key ids (after `ASIA`).
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// The letters of secrets and session tokens.
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `prefix` and then `len` letters of `alphabet` drawn from the emulator's ids.
/// The alphabet's size is a power of two (every one here has 32 or 64 letters), so
/// a mask and a shift take a letter's bits from a word.
fn random_token<const N: usize>(emu: &Emulator, prefix: &str, len: usize, alphabet: &[u8; N]) -> String {
    const { assert!(N.is_power_of_two() && N <= 256) };
    let shift = N.trailing_zeros();
    let mask = (N - 1) as u64;
    let mut out = Vec::with_capacity(prefix.len() + len);
    out.extend_from_slice(prefix.as_bytes());
    out.resize(prefix.len() + len, 0);
    // One id from the emulator's counter seeds the token (so tokens never repeat);
    // the rest of its words come from the mixer, not from the shared counter. Each
    // word gives eight letters.
    let mut word = emu.next_id();
    let mut letters = |chunk: &mut [u8]| {
        let mut x = word;
        word = crate::util::splitmix(word);
        for b in chunk {
            // `& mask` is below N: no bounds check, no panic.
            *b = alphabet[(x & mask) as usize];
            x >>= shift;
        }
    };
    // Whole chunks of eight as arrays, which the compiler unrolls; then the rest.
    let (eights, rest) = out[prefix.len()..].as_chunks_mut::<8>();
    for chunk in eights {
        letters(chunk);
    }
    if !rest.is_empty() {
        letters(rest);
    }
    // The alphabets are ASCII (`tests::tokens_are_drawn_from_their_alphabets`).
    String::from_utf8(out).unwrap_or_default()
}

/// The STS endpoint a request reached.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint<'a> {
    /// The region STS runs in for this request.
    pub region: &'a str,
    /// Whether it is the global endpoint (`sts.amazonaws.com`).
    pub global: bool,
}

/// AssumeRole's parameters, each checked as STS checks them before it looks at any
/// role: lengths, character sets, the duration range, the inline session policy,
/// how many policy ARNs and tags.
#[derive(Debug)]
pub(crate) struct AssumeRoleInput<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub external_id: Option<&'a str>,
    pub source_identity: Option<&'a str>,
    pub duration: Option<i64>,
    /// The inline session policy, parsed, and its text.
    pub policy: Option<(Policy, &'a str)>,
    /// `PolicyArns.member.N.arn`, in N order; whether each exists is the caller's check.
    pub policy_arns: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub transitive_tag_keys: Vec<String>,
}

impl<'a> AssumeRoleInput<'a> {
    /// Validate the parameters. The first violation is the error, in STS's order.
    pub(crate) fn parse(params: &'a Params) -> ApiResult<Self> {
        let (role_arn, session_name, external_id, source_identity) = names(params)?;
        let duration = duration(params)?;
        let policy = inline_policy(params)?;
        let policy_arns: Vec<String> = params
            .members("PolicyArns", Some("arn"))
            .into_iter()
            .map(|(_, arn)| arn)
            .collect();
        if policy_arns.len() > MAX_POLICY_ARNS {
            return Err(validation(
                "policyArns",
                &policy_arns.len().to_string(),
                "Member must have length less than or equal to 10",
            ));
        }
        let tags = session_tags(params)?;
        let transitive_tag_keys: Vec<String> = params
            .members("TransitiveTagKeys", None)
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        Ok(Self {
            role_arn,
            session_name,
            external_id,
            source_identity,
            duration,
            policy,
            policy_arns,
            tags,
            transitive_tag_keys,
        })
    }
}

/// `RoleArn`, `RoleSessionName`, `ExternalId`, `SourceIdentity`: lengths and patterns.
#[allow(clippy::type_complexity, reason = "four parameters, named at the one call")]
fn names(params: &Params) -> ApiResult<(&str, &str, Option<&str>, Option<&str>)> {
    let role_arn = params.get("RoleArn").ok_or_else(|| api_error!(ValidationError, "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"))?;
    if !ROLE_ARN_LEN.contains(&role_arn.len()) {
        return Err(validation(
            "roleArn",
            role_arn,
            "Member must have length greater than or equal to 20",
        )
        .note("RoleArn is not a full role ARN (misconfigs.md M10)"));
    }
    let session_name = params.get("RoleSessionName").ok_or_else(|| api_error!(ValidationError, "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"))?;
    if !SESSION_NAME_LEN.contains(&session_name.len()) || !charset_ok(session_name, "") {
        return Err(validation(
            "roleSessionName",
            session_name,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    let external_id = params.get("ExternalId");
    if let Some(e) = external_id {
        if !EXTERNAL_ID_LEN.contains(&e.len()) || !charset_ok(e, ":/") {
            return Err(validation(
                "externalId",
                e,
                "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
            ));
        }
    }
    let source_identity = params.get("SourceIdentity");
    if let Some(s) = source_identity {
        if !SOURCE_IDENTITY_LEN.contains(&s.len())
            || !charset_ok(s, "")
            || s.to_ascii_lowercase().starts_with("aws:")
        {
            return Err(validation(
                "sourceIdentity",
                s,
                "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
            ));
        }
    }
    Ok((role_arn, session_name, external_id, source_identity))
}

/// `DurationSeconds`: 900 to 43200.
fn duration(params: &Params) -> ApiResult<Option<i64>> {
    let Some(d) = params.get("DurationSeconds") else {
        return Ok(None);
    };
    let n: i64 = d.parse().map_err(|_| {
        api_error!(
            ValidationError,
            "Value '{}' for parameter DurationSeconds is invalid",
            d
        )
    })?;
    if !DURATION.contains(&n) {
        return Err(validation(
            "durationSeconds",
            d,
            if n < 900 {
                "Member must have value greater than or equal to 900"
            } else {
                "Member must have value less than or equal to 43200"
            },
        ));
    }
    Ok(Some(n))
}

/// The inline session policy (`Policy`), parsed and validated as a session policy.
fn inline_policy(params: &Params) -> ApiResult<Option<(Policy, &str)>> {
    let Some(text) = params.get("Policy") else {
        return Ok(None);
    };
    if text.chars().count() > MAX_SESSION_POLICY {
        return Err(api_error!(PackedPolicyTooLarge).note(format!(
            "inline session policy of {} characters",
            text.chars().count()
        )));
    }
    let policy = Policy::parse(text, PolicyKind::Session).map_err(|e| {
        api_error!(MalformedPolicyDocument, "{}", e.message)
            .note(format!("session policy line {} column {}", e.line, e.column))
    })?;
    Ok(Some((policy, text)))
}

/// `Tags.member.N.Key`/`Value`: at most 50, keys 1–128 and values up to 256 characters.
fn session_tags(params: &Params) -> ApiResult<BTreeMap<String, String>> {
    let keys = params.members("Tags", Some("Key"));
    let values = params.members("Tags", Some("Value"));
    if keys.len() > MAX_TAGS {
        return Err(validation(
            "tags",
            &keys.len().to_string(),
            "Member must have length less than or equal to 50",
        ));
    }
    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    for (n, k) in &keys {
        let v = values
            .iter()
            .find(|(m, _)| m == n)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if k.is_empty() || k.len() > 128 || v.len() > 256 {
            return Err(validation(
                "tags",
                k,
                "Member must have length less than or equal to 128",
            ));
        }
        tags.insert(k.clone(), v);
    }
    Ok(tags)
}

/// What a granted AssumeRole yields, before the session is recorded.
#[derive(Debug)]
pub(crate) struct Granted {
    /// The `sts:AssumeRole` decision.
    pub decision: Decision,
    /// The session to issue.
    pub session: Session,
    /// The role's unique id (`AssumedRoleId` is `<id>:<session name>`).
    pub role_id: String,
}

/// Validate the parameters, decide the request and build the session, without
/// recording it or answering.
pub(crate) fn grant(
    emu: &Emulator,
    ctx: &Ctx,
    world: &World,
    caller: &Caller,
    params: &Params,
    endpoint: &Endpoint<'_>,
) -> ApiResult<Granted> {
    let mut input = AssumeRoleInput::parse(params)?;
    let session_policies = session_policies(world, &mut input)?;
    let role = find_role(world, caller, input.role_arn, endpoint.region)?;
    let chained =
        matches!(&caller.identity, Identity::Session(s) if matches!(s.owner, SessionOwner::Role { .. }));
    let duration = session_duration(role, input.duration, chained)?;
    let context = trust_context(world, ctx, caller, &input, endpoint.region);
    let decision = authz::sts::assume_role(world, caller, role, "sts:AssumeRole", &context)?;
    // Tags need sts:TagSession, a source identity sts:SetSourceIdentity, both
    // allowed the same way (IAM user guide, "Passing session tags").
    if !input.tags.is_empty() || !input.transitive_tag_keys.is_empty() {
        authz::sts::assume_role(world, caller, role, "sts:TagSession", &context)?;
    }
    if input.source_identity.is_some() {
        authz::sts::assume_role(world, caller, role, "sts:SetSourceIdentity", &context)?;
    }
    let session = issue(
        emu,
        ctx,
        caller,
        role,
        input,
        session_policies,
        duration,
        endpoint,
        chained,
    );
    Ok(Granted {
        decision,
        session,
        role_id: role.id.clone(),
    })
}

/// The inline session policy and the managed ones `PolicyArns` names.
pub(super) fn session_policies(world: &World, input: &mut AssumeRoleInput<'_>) -> ApiResult<Vec<PolicyDoc>> {
    let mut docs: Vec<PolicyDoc> = Vec::new();
    if let Some((policy, text)) = input.policy.take() {
        docs.push(PolicyDoc {
            id: format!("session:{}", input.session_name),
            policy: Arc::new(policy),
            text: text.to_string(),
        });
    }
    for arn in &input.policy_arns {
        let Some(mp) = world.managed_policies.iter().find(|p| p.arn() == *arn) else {
            return Err(api_error!(
                InvalidParameterValue,
                "Policy {} does not exist or is not attachable.",
                arn
            ));
        };
        let mut doc = mp.doc.clone();
        doc.id = format!("session:{}", mp.name);
        docs.push(doc);
    }
    Ok(docs)
}

/// The role `RoleArn` names. A role that does not exist, or in another partition,
/// is denied exactly like a trust-policy mismatch (misconfigs.md M09, M11).
fn find_role<'w>(world: &'w World, caller: &Caller, role_arn: &str, region: &str) -> ApiResult<&'w Role> {
    let parsed = Arn::parse(role_arn);
    let account = parsed.as_ref().map_or("", |a| a.account).to_string();
    check_region(world, &account, region)?;
    if let Some(role) = world.role_by_arn(role_arn) {
        return Ok(role);
    }
    let why = match &parsed {
        Some(a) if a.partition != "aws" => {
            format!("partition `{}` is not this emulator's (`aws`)", a.partition)
        }
        Some(a) if a.service != "iam" || !a.resource.starts_with("role/") => {
            format!("`{role_arn}` is not a role ARN")
        }
        _ => format!("no role `{role_arn}` in the world (role names and paths are case-sensitive here)"),
    };
    // AWS answers for a role that does not exist exactly as for a trust policy
    // that does not name the caller (misconfigs.md M09, M11), so the log records
    // the same decision: an implicit deny, no role trust policy allowing (there
    // is none). The note says what was missing.
    let caller_arn = caller.arn();
    let decision = Decision {
        effect: Effect::ImplicitDeny,
        decided_by: Vec::new(),
        denied_by: Some(PolicyType::RoleTrust),
        closest: Vec::new(),
        action: "sts:AssumeRole".into(),
        resource: role_arn.to_string(),
        principal: caller_arn.clone(),
        notes: Vec::new(),
    };
    Err(api_error!(
        AccessDenied,
        "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
        caller_arn,
        role_arn
    )
    .with_decision(Arc::new(decision))
    .note(why))
}

/// RegionDisabledException when the role's account deactivated STS in `region`.
pub(super) fn check_region(world: &World, account: &str, region: &str) -> ApiResult<()> {
    if world
        .account(account)
        .is_some_and(|a| a.sts_disabled_regions.iter().any(|r| r == region))
    {
        return Err(api_error!(
            RegionDisabledException,
            "STS is not activated in this region for account:{}. Your account administrator can activate STS in this region using the IAM Console.",
            account
        ));
    }
    Ok(())
}

/// The session's length: 1 h by default, at most the role's maximum, and at most
/// 1 h for role chaining.
pub(super) fn session_duration(role: &Role, requested: Option<i64>, chained: bool) -> ApiResult<i64> {
    let duration = requested.unwrap_or(3600);
    if chained && duration > CHAINED_MAX {
        return Err(api_error!(
            ValidationError,
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        ));
    }
    if duration > role.max_session_duration {
        return Err(api_error!(
            ValidationError,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
        .note(format!(
            "requested {duration} s, the role allows {} s",
            role.max_session_duration
        )));
    }
    Ok(duration)
}

/// The request context for the trust policy (SAR, sts AssumeRole keys; iam.md §4.3).
fn trust_context(
    world: &World,
    ctx: &Ctx,
    caller: &Caller,
    input: &AssumeRoleInput<'_>,
    region: &str,
) -> RequestContext {
    let mut context = authz::global_context(world, ctx, caller, region, None)
        .set("sts:RoleSessionName", input.session_name);
    if let Some(e) = input.external_id {
        context = context.set("sts:ExternalId", e);
    }
    if let Some(s) = input.source_identity {
        context = context.set("sts:SourceIdentity", s);
    }
    for (k, v) in &input.tags {
        context = context.set(format!("aws:RequestTag/{k}"), v.clone());
    }
    if !input.tags.is_empty() {
        context = context.set_multi("aws:TagKeys", input.tags.keys().cloned());
    }
    if !input.transitive_tag_keys.is_empty() {
        context = context.set_multi("sts:TransitiveTagKeys", input.transitive_tag_keys.iter().cloned());
    }
    context
}

/// The session to issue: fresh credentials, the session's policies and tags
/// (a chained session's transitive tags carry over).
#[allow(
    clippy::too_many_arguments,
    reason = "the parts of one session, gathered once"
)]
pub(super) fn issue(
    emu: &Emulator,
    ctx: &Ctx,
    caller: &Caller,
    role: &Role,
    input: AssumeRoleInput<'_>,
    policies: Vec<PolicyDoc>,
    duration: i64,
    endpoint: &Endpoint<'_>,
    chained: bool,
) -> Session {
    let mut tags = input.tags;
    if let Identity::Session(s) = &caller.identity {
        for k in &s.transitive_tag_keys {
            if let Some(v) = s.tags.get(k) {
                tags.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    let access_key_id = random_token(emu, "ASIA", 16, BASE32);
    let secret = random_token(emu, "", 40, BASE64);
    let token = random_token(emu, "IQoJb3JpZ2luX2Vj", 300, BASE64);
    Session {
        access_key_id,
        secret,
        token,
        issued_at: ctx.now,
        expires: ctx.now + time::Duration::seconds(duration),
        owner: SessionOwner::Role {
            account: role.account.clone(),
            role: role.name.clone(),
            session_name: input.session_name.to_string(),
        },
        policies,
        tags,
        transitive_tag_keys: input.transitive_tag_keys,
        source_identity: input
            .source_identity
            .map(str::to_string)
            .or_else(|| match &caller.identity {
                Identity::Session(s) => s.source_identity.clone(),
                _ => None,
            }),
        // The global endpoint's tokens are version 1 (valid only in regions
        // enabled by default) unless the account set version 2; authn checks that.
        issued_in_region: (!endpoint.global).then(|| endpoint.region.to_string()),
        chained,
    }
}

/// `<AssumedRoleUser>` and `<Credentials>` of a role session, as AssumeRole and
/// AssumeRoleWithWebIdentity answer them (STS API reference).
pub(super) fn session_elements(x: &mut Xml, session: &Session, role_id: &str) {
    let Some(assumed_role_id) = crate::authn::assumed_role_id(session, role_id) else {
        return;
    };
    let expiration = crate::util::iso8601(session.expires);
    x.open("AssumedRoleUser")
        .elem("AssumedRoleId", &assumed_role_id)
        .elem("Arn", &crate::authn::session_arn(session))
        .close("AssumedRoleUser")
        .open("Credentials")
        .elem("AccessKeyId", &session.access_key_id)
        .elem("SecretAccessKey", &session.secret)
        .elem("SessionToken", &session.token)
        .elem("Expiration", &expiration)
        .close("Credentials");
}

pub(crate) fn assume_role(
    emu: &Emulator,
    ctx: &mut Ctx,
    world: &World,
    caller: &Caller,
    params: &Params,
    endpoint: &Endpoint<'_>,
) -> ApiResult<Response<ResBody>> {
    let granted = grant(emu, ctx, world, caller, params, endpoint)?;
    ctx.trace.decision = Some(Arc::new(granted.decision));
    let session = emu.add_session(granted.session);
    let SessionOwner::Role { account, role, .. } = &session.owner else {
        return Err(api_error!(InternalFailure).note("AssumeRole issued a session without a role"));
    };
    // CloudTrail: the response without the secret (rendered when read).
    ctx.trace.trail.role = world.role(account, role).map(|r| (account.clone(), r.arn()));
    ctx.trace.trail.response = Some(crate::cloudtrail::TrailResponse::AssumeRole {
        session: Arc::clone(&session),
        role_id: granted.role_id.clone(),
    });
    let mut x = Xml::bare_with_capacity(2048);
    x.open_ns("AssumeRoleResponse", STS_NS).open("AssumeRoleResult");
    if let Some(s) = &session.source_identity {
        x.elem("SourceIdentity", s);
    }
    session_elements(&mut x, &session, &granted.role_id);
    if params.get("Policy").is_some() || !session.tags.is_empty() {
        // A percentage of the packed-size quota; the emulator reports a proportional estimate.
        let used = params.get("Policy").map_or(0, str::len)
            + session.tags.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        x.elem("PackedPolicySize", &(used * 100 / 2048).min(100).to_string());
    }
    x.close("AssumeRoleResult")
        .open("ResponseMetadata")
        .elem("RequestId", ctx.ids.request_id())
        .close("ResponseMetadata")
        .close("AssumeRoleResponse");
    ok(x.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_drawn_from_their_alphabets() {
        let emu = Emulator::new(
            crate::config::Config::default(),
            crate::world::World::default(),
            std::sync::Arc::new(crate::clock::ManualClock::new(
                time::macros::datetime!(2026-01-01 00:00 UTC),
            )),
        );
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let key = random_token(&emu, "ASIA", 16, BASE32);
            assert_eq!(key.len(), 20);
            assert!(key.starts_with("ASIA"));
            assert!(key[4..].bytes().all(|b| BASE32.contains(&b)), "{key}");
            let token = random_token(&emu, "IQoJb3JpZ2luX2Vj", 300, BASE64);
            assert_eq!(token.len(), 316);
            assert!(token[16..].bytes().all(|b| BASE64.contains(&b)), "{token}");
            assert!(seen.insert(token), "a session token repeated");
        }
        // Over 200 tokens of 300 letters, every letter of the alphabet turns up.
        let letters: std::collections::HashSet<u8> = seen.iter().flat_map(|t| t.bytes().skip(16)).collect();
        assert_eq!(letters.len(), 64);
    }
}
