//! `world.edit`: change the world mid-scenario, as a customer does in the console
//! (prune `s3:DeleteObject` after onboarding, tighten a bucket policy, deactivate a
//! key, delete a user). Policies are re-parsed with the emulator's own parser, under
//! the ids the world file would have given them, so decisions name them the same way.

use std::sync::Arc;

use emulator::iam::{Policy, PolicyKind};
use emulator::propagation::Propagation;
use emulator::world::{KeyStatus, PolicyDoc, World};
use serde::Deserialize;

use crate::run::Run;

/// An inline policy to add or replace.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlinePolicy {
    /// Policy name.
    pub name: String,
    /// JSON document, verbatim.
    pub document: String,
}

/// A new access key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// Access key id (`AKIA…`).
    pub id: String,
    /// Secret.
    pub secret: String,
}

/// A key status change.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyStatusChange {
    /// Access key id.
    pub id: String,
    /// `Active` or `Inactive`.
    pub status: String,
}

/// Arguments of `world.edit`: one target (`role`, `user` or `bucket`) and the changes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditArgs {
    /// `account/role-name`.
    #[serde(default)]
    pub role: Option<String>,
    /// `account/user-name`.
    #[serde(default)]
    pub user: Option<String>,
    /// Bucket name.
    #[serde(default)]
    pub bucket: Option<String>,
    /// Role or user: add or replace this inline policy.
    #[serde(default)]
    pub put_policy: Option<InlinePolicy>,
    /// Role or user: remove the inline or attached policy of this name.
    #[serde(default)]
    pub delete_policy: Option<String>,
    /// Role: replace the trust policy.
    #[serde(default)]
    pub trust_policy: Option<String>,
    /// Role: the maximum session duration in seconds.
    #[serde(default)]
    pub max_session_duration: Option<i64>,
    /// Bucket: replace the bucket policy.
    #[serde(default)]
    pub bucket_policy: Option<String>,
    /// Bucket: remove the bucket policy.
    #[serde(default)]
    pub delete_bucket_policy: bool,
    /// Bucket: hand the bucket to another account (name or id), as when a deleted
    /// bucket's name is registered again by someone else.
    #[serde(default)]
    pub owner: Option<String>,
    /// User: activate or deactivate a key.
    #[serde(default)]
    pub key_status: Option<KeyStatusChange>,
    /// User: delete this access key.
    #[serde(default)]
    pub delete_key: Option<String>,
    /// Delete the role, user or bucket itself (objects of a deleted bucket stay in the store).
    #[serde(default)]
    pub delete: bool,
    /// Role: create it (with `trust_policy`, and `put_policy`, `max_session_duration`
    /// if given), as the customer does in the console.
    #[serde(default)]
    pub create: bool,
    /// User: add an access key (`CreateAccessKey`).
    #[serde(default)]
    pub add_key: Option<NewKey>,
    /// IAM is eventually consistent: requests see this change only after this delay
    /// on the emulator's clock (`15s`, or a range `5s..30s` that `seed` picks from),
    /// and are decided on the world before it until then. Default: at once.
    #[serde(default)]
    pub propagation: Option<String>,
    /// Picks the delay from a `propagation` range (default 0).
    #[serde(default)]
    pub seed: Option<u64>,
}

impl EditArgs {
    /// Exactly one target, and only changes that apply to it.
    pub fn validate(&self) -> Result<(), String> {
        let targets = [self.role.is_some(), self.user.is_some(), self.bucket.is_some()];
        if targets.iter().filter(|t| **t).count() != 1 {
            return Err("world.edit names exactly one of `role`, `user`, `bucket`".to_string());
        }
        let any_iam = self.put_policy.is_some() || self.delete_policy.is_some();
        let changes = any_iam
            || self.trust_policy.is_some()
            || self.max_session_duration.is_some()
            || self.bucket_policy.is_some()
            || self.delete_bucket_policy
            || self.owner.is_some()
            || self.key_status.is_some()
            || self.delete_key.is_some()
            || self.add_key.is_some()
            || self.create
            || self.delete;
        if !changes {
            return Err("world.edit changes nothing".to_string());
        }
        if self.bucket.is_some() && (any_iam || self.trust_policy.is_some() || self.key_status.is_some()) {
            return Err(
                "a bucket takes `bucket_policy`, `delete_bucket_policy`, `owner` or `delete`".to_string(),
            );
        }
        if self.bucket.is_none()
            && (self.bucket_policy.is_some() || self.delete_bucket_policy || self.owner.is_some())
        {
            return Err(
                "`bucket_policy`, `delete_bucket_policy` and `owner` need `bucket = ...`".to_string(),
            );
        }
        if self.user.is_some() && (self.trust_policy.is_some() || self.max_session_duration.is_some()) {
            return Err("`trust_policy` and `max_session_duration` apply to roles".to_string());
        }
        if self.role.is_some()
            && (self.key_status.is_some() || self.delete_key.is_some() || self.add_key.is_some())
        {
            return Err("`key_status`, `delete_key` and `add_key` apply to users".to_string());
        }
        if self.create && (self.role.is_none() || self.trust_policy.is_none() || self.delete) {
            return Err(
                "`create` makes a role: `role = ...` with a `trust_policy`, not `delete`".to_string(),
            );
        }
        if self.add_key.is_some() && self.user.is_none() {
            return Err("`add_key` needs `user = ...`".to_string());
        }
        if let Some(p) = &self.propagation {
            emulator::propagation::Propagation::parse(p, self.seed)?;
        } else if self.seed.is_some() {
            return Err("`seed` picks a `propagation` delay: give one".to_string());
        }
        if let Some(k) = &self.key_status {
            if k.status != "Active" && k.status != "Inactive" {
                return Err(format!(
                    "key status `{}` must be `Active` or `Inactive`",
                    k.status
                ));
            }
        }
        for text in [
            self.put_policy
                .as_ref()
                .map(|p| (&p.document, PolicyKind::Identity)),
            self.trust_policy.as_ref().map(|t| (t, PolicyKind::Trust)),
            self.bucket_policy.as_ref().map(|b| (b, PolicyKind::Bucket)),
        ]
        .into_iter()
        .flatten()
        {
            Policy::parse(text.0, text.1).map_err(|e| {
                format!(
                    "{} at line {}, column {} of the policy: {}",
                    emulator::world::service_error(text.1, e.code),
                    e.line,
                    e.column,
                    e.message
                )
            })?;
        }
        Ok(())
    }
}

/// Whether a principal a resource policy names exists, as IAM and S3 check when the
/// policy is saved: user, role and role-session ARNs and unique ids (`AIDA…`,
/// `AROA…`) must name an entity of the world; other forms are not checked.
fn principal_exists(world: &World, p: &str) -> bool {
    if p.starts_with("AIDA") {
        return world.users.iter().any(|u| u.id == p);
    }
    if p.starts_with("AROA") {
        return world.roles.iter().any(|r| r.id == p);
    }
    let Some(rest) = p.strip_prefix("arn:aws:") else {
        return true;
    };
    let mut parts = rest.splitn(4, ':');
    let (service, _region, account, resource) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    match (service, resource.split_once('/')) {
        ("iam", Some(("user", _))) => world.users.iter().any(|u| u.arn() == p),
        ("iam", Some(("role", _))) => world.roles.iter().any(|r| r.arn() == p),
        ("sts", Some(("assumed-role", role_session))) => {
            let role = role_session.split('/').next().unwrap_or("");
            world.role(account, role).is_some()
        }
        _ => true,
    }
}

/// Parse a policy the way IAM does when it is saved: the grammar, and for resource
/// policies (trust, bucket) that every named principal exists.
fn doc(world: &World, id: String, text: &str, kind: PolicyKind) -> Result<PolicyDoc, String> {
    let policy = Policy::parse(text, kind)
        .map_err(|e| format!("{}: {}", emulator::world::service_error(kind, e.code), e.message))?;
    if matches!(kind, PolicyKind::Trust | PolicyKind::Bucket) {
        emulator::iam::check_principals_exist(&policy, &|p| principal_exists(world, p))
            .map_err(|e| format!("the policy is refused on save: {}", e.message))?;
    }
    Ok(PolicyDoc {
        id,
        policy: Arc::new(policy),
        text: text.to_string(),
    })
}

fn account_id(world: &World, name: &str) -> Result<String, String> {
    world
        .account(name)
        .map(|a| a.id.clone())
        .ok_or_else(|| format!("unknown account `{name}`"))
}

/// The policy list entry named `name` among `owner`'s policies (`role:x/name`,
/// `user:x/name`, or a managed policy ending in `:name`).
fn remove_named(policies: &mut Vec<PolicyDoc>, owner: &str, name: &str) -> Result<(), String> {
    let inline = format!("{owner}/{name}");
    let managed = format!("managed:{name}");
    let before = policies.len();
    policies.retain(|p| p.id != inline && p.id != managed);
    if policies.len() == before {
        return Err(format!("{owner} has no policy `{name}`"));
    }
    Ok(())
}

/// Apply an edit to the running emulator's world.
pub fn apply(run: &Run<'_>, a: &EditArgs) -> Result<(), String> {
    a.validate()?;
    // The newest world, changes still propagating included: the customer edits what
    // the console shows them, not what requests see yet.
    let world = run.emulator().newest_world();
    // Build everything first, so a failed edit leaves the world untouched.
    let mut next = (*world).clone();
    if let (true, Some(target)) = (a.create, &a.role) {
        create_role(&mut next, target, a)?;
    } else if let Some(target) = &a.role {
        let (acct, name) = target
            .split_once('/')
            .ok_or_else(|| format!("role `{target}` must be `account/role-name`"))?;
        let acct = account_id(&next, acct)?;
        let idx = next
            .roles
            .iter()
            .position(|r| r.account == acct && r.name == name)
            .ok_or_else(|| format!("unknown role `{target}`"))?;
        if a.delete {
            next.roles.remove(idx);
        } else if let Some(role) = next.roles.get_mut(idx) {
            let owner = format!("role:{name}");
            if let Some(p) = &a.put_policy {
                let new = doc(
                    &world,
                    format!("{owner}/{}", p.name),
                    &p.document,
                    PolicyKind::Identity,
                )?;
                match role.policies.iter_mut().find(|d| d.id == new.id) {
                    Some(existing) => *existing = new,
                    None => role.policies.push(new),
                }
            }
            if let Some(n) = &a.delete_policy {
                remove_named(&mut role.policies, &owner, n)?;
            }
            if let Some(t) = &a.trust_policy {
                role.trust = doc(&world, format!("trust:{name}"), t, PolicyKind::Trust)?;
            }
            if let Some(d) = a.max_session_duration {
                role.max_session_duration = d;
            }
        }
    }
    if let Some(target) = &a.user {
        let (acct, name) = target
            .split_once('/')
            .ok_or_else(|| format!("user `{target}` must be `account/user-name`"))?;
        let acct = account_id(&next, acct)?;
        let idx = next
            .users
            .iter()
            .position(|u| u.account == acct && u.name == name)
            .ok_or_else(|| format!("unknown user `{target}`"))?;
        if a.delete {
            next.users.remove(idx);
        } else if let Some(user) = next.users.get_mut(idx).map(std::sync::Arc::make_mut) {
            let owner = format!("user:{name}");
            if let Some(p) = &a.put_policy {
                let new = doc(
                    &world,
                    format!("{owner}/{}", p.name),
                    &p.document,
                    PolicyKind::Identity,
                )?;
                match user.policies.iter_mut().find(|d| d.id == new.id) {
                    Some(existing) => *existing = new,
                    None => user.policies.push(new),
                }
            }
            if let Some(n) = &a.delete_policy {
                remove_named(&mut user.policies, &owner, n)?;
            }
            if let Some(k) = &a.key_status {
                let key = user
                    .access_keys
                    .iter_mut()
                    .find(|x| x.id == k.id)
                    .ok_or_else(|| format!("user `{target}` has no key `{}`", k.id))?;
                key.status = if k.status == "Active" {
                    KeyStatus::Active
                } else {
                    KeyStatus::Inactive
                };
            }
            if let Some(k) = &a.add_key {
                if world
                    .users
                    .iter()
                    .any(|u| u.access_keys.iter().any(|x| x.id == k.id))
                {
                    return Err(format!("access key `{}` already exists", k.id));
                }
                user.access_keys.push(emulator::world::AccessKey {
                    id: k.id.clone(),
                    secret: k.secret.clone(),
                    status: KeyStatus::Active,
                });
            }
            if let Some(id) = &a.delete_key {
                let before = user.access_keys.len();
                user.access_keys.retain(|x| &x.id != id);
                if user.access_keys.len() == before {
                    return Err(format!("user `{target}` has no key `{id}`"));
                }
            }
        }
    }
    if let Some(name) = &a.bucket {
        let idx = next
            .buckets
            .iter()
            .position(|b| &b.name == name)
            .ok_or_else(|| format!("unknown bucket `{name}`"))?;
        if a.delete {
            next.buckets.remove(idx);
        } else if let Some(bucket) = next.buckets.get_mut(idx) {
            if a.delete_bucket_policy {
                bucket.policy = None;
            }
            if let Some(p) = &a.bucket_policy {
                bucket.policy = Some(doc(&world, format!("bucket:{name}"), p, PolicyKind::Bucket)?);
            }
            if let Some(owner) = &a.owner {
                bucket.account = account_id(&world, owner)?;
            }
        }
    }
    let propagation = match &a.propagation {
        Some(p) => Propagation::parse(p, a.seed)?,
        None => Propagation::fixed(std::time::Duration::ZERO),
    };
    run.emulator()
        .replace_world_propagating(next, a.label(), propagation);
    Ok(())
}

impl EditArgs {
    /// What the change is called in the emulator's notes (`world.edit role customer/transfer-role`).
    fn label(&self) -> String {
        let target = match (&self.role, &self.user, &self.bucket) {
            (Some(r), _, _) => format!("role {r}"),
            (_, Some(u), _) => format!("user {u}"),
            (_, _, Some(b)) => format!("bucket {b}"),
            _ => String::new(),
        };
        let what = if self.create {
            "create"
        } else if self.add_key.is_some() {
            "add access key to"
        } else if self.trust_policy.is_some() {
            "edit trust policy of"
        } else if self.put_policy.is_some() {
            "put policy on"
        } else if self.delete {
            "delete"
        } else {
            "edit"
        };
        format!("{what} {target}")
    }
}

/// A role as IAM's CreateRole makes it: path `/`, a unique id, the trust policy,
/// and the inline policy and session limit the edit names.
fn create_role(next: &mut World, target: &str, a: &EditArgs) -> Result<(), String> {
    let (acct, name) = target
        .split_once('/')
        .ok_or_else(|| format!("role `{target}` must be `account/role-name`"))?;
    let account = account_id(next, acct)?;
    if next.roles.iter().any(|r| r.account == account && r.name == name) {
        return Err(format!("role `{target}` already exists"));
    }
    let owner = format!("role:{name}");
    let trust_text = a.trust_policy.as_deref().unwrap_or_default();
    let trust = doc(next, format!("trust:{name}"), trust_text, PolicyKind::Trust)?;
    let mut policies = Vec::new();
    if let Some(p) = &a.put_policy {
        policies.push(doc(
            next,
            format!("{owner}/{}", p.name),
            &p.document,
            PolicyKind::Identity,
        )?);
    }
    let arn = format!("arn:aws:iam::{account}:role/{name}");
    next.roles.push(emulator::world::Role {
        id: emulator::world::derived_unique_id("AROA", &arn),
        account,
        name: name.to_string(),
        path: "/".to_string(),
        trust,
        policies,
        boundary: None,
        max_session_duration: a.max_session_duration.unwrap_or(3600),
        tags: std::collections::BTreeMap::new(),
    });
    Ok(())
}
