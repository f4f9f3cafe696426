//! The customer's setup as the artefacts describe it, and the world file that
//! recreates it. Fixes change a copy of it; the scenario keeps the original
//! world and applies each fix as a step.

use std::fmt::Write as _;

use testkit::toml_text::{basic as q, document as lit};

/// The account an organization's management role falls to when the artefacts
/// show SCPs (SCPs do not apply to the management account, so it cannot be the
/// customer's).
pub const MANAGEMENT_ACCOUNT: &str = "999999999999";

/// A named policy document (pretty JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    /// The policy name.
    pub name: String,
    /// The JSON.
    pub text: String,
}

/// An access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Key id.
    pub id: String,
    /// Secret (the entered one for the entered key).
    pub secret: String,
    /// `Active` or `Inactive`.
    pub status: String,
}

/// The customer's role.
#[derive(Debug, Clone)]
pub struct RoleSetup {
    /// Name.
    pub name: String,
    /// Path.
    pub path: String,
    /// The ARN the artefacts show.
    pub arn: String,
    /// `RoleId` (`AROA…`).
    pub id: Option<String>,
    /// Trust policy.
    pub trust: String,
    /// Inline policies.
    pub inline: Vec<Doc>,
    /// Attached managed policies (names).
    pub managed: Vec<String>,
    /// Permissions boundary (a managed policy's name).
    pub boundary: Option<String>,
    /// `MaxSessionDuration`.
    pub max_session: Option<i64>,
    /// Whether the attachments were listed (else every exported managed policy
    /// but the boundary is taken as attached).
    pub explicit_attachments: bool,
}

/// The customer's HMAC user.
#[derive(Debug, Clone)]
pub struct UserSetup {
    /// Name.
    pub name: String,
    /// Path.
    pub path: String,
    /// `UserId` (`AIDA…`).
    pub id: Option<String>,
    /// Access keys.
    pub keys: Vec<Key>,
    /// Inline policies.
    pub inline: Vec<Doc>,
    /// Attached managed policies (names).
    pub managed: Vec<String>,
    /// Permissions boundary.
    pub boundary: Option<String>,
    /// Groups.
    pub groups: Vec<String>,
    /// Whether the attachments were listed.
    pub explicit_attachments: bool,
}

/// A group of the user.
#[derive(Debug, Clone)]
pub struct GroupSetup {
    /// Name.
    pub name: String,
    /// Inline policies.
    pub inline: Vec<Doc>,
    /// Attached managed policies (names).
    pub managed: Vec<String>,
}

/// The bucket's KMS key.
#[derive(Debug, Clone)]
pub struct KmsSetup {
    /// Key id.
    pub id: String,
    /// Region.
    pub region: String,
    /// Key policy.
    pub policy: Option<String>,
    /// `KeyState`.
    pub state: Option<String>,
}

/// The bucket.
#[derive(Debug, Clone)]
pub struct BucketSetup {
    /// Name.
    pub name: String,
    /// Region.
    pub region: String,
    /// Bucket policy.
    pub policy: Option<String>,
    /// Object ownership.
    pub ownership: Option<String>,
    /// Default encryption: algorithm and key.
    pub encryption: Option<(String, Option<String>)>,
    /// Versioning status.
    pub versioning: Option<String>,
    /// Requester Pays.
    pub requester_pays: bool,
    /// Block Public Access: BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy,
    /// RestrictPublicBuckets.
    pub public_access_block: Option<[bool; 4]>,
}

/// The customer account's organization policies.
#[derive(Debug, Clone)]
pub struct OrgSetup {
    /// SCPs attached to the account.
    pub scps: Vec<Doc>,
    /// RCPs attached to the account.
    pub rcps: Vec<Doc>,
    /// Whether FullAWSAccess is attached beside them.
    pub full_aws_access: bool,
    /// The management account.
    pub management_account: String,
}

/// Everything the artefacts describe.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The service's account.
    pub vendor_account: String,
    /// The service's user.
    pub vendor_user: String,
    /// The customer's account.
    pub customer_account: String,
    /// Managed policies with documents.
    pub managed: Vec<Doc>,
    /// The user's groups.
    pub groups: Vec<GroupSetup>,
    /// The role (role mode).
    pub role: Option<RoleSetup>,
    /// The user (HMAC mode).
    pub user: Option<UserSetup>,
    /// The bucket's KMS key.
    pub kms: Option<KmsSetup>,
    /// The bucket.
    pub bucket: BucketSetup,
    /// Organization policies.
    pub org: Option<OrgSetup>,
    /// The customer's CloudTrail `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// What was approximated, for the report.
    pub notes: Vec<String>,
}

/// The vendor's own policy: it may assume customers' roles.
const VENDOR_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Sid": "AssumeCustomerRoles", "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], "Resource": "*" }
  ]
}"#;

fn inline_list(w: &mut String, docs: &[Doc]) {
    if docs.is_empty() {
        return;
    }
    w.push_str("policies = [\n");
    for d in docs {
        let _ = writeln!(w, "  {{ name = {}, document = {} }},", q(&d.name), lit(&d.text));
    }
    w.push_str("]\n");
}

fn name_list(w: &mut String, key: &str, names: &[String]) {
    if !names.is_empty() {
        let quoted: Vec<String> = names.iter().map(|n| q(n)).collect();
        let _ = writeln!(w, "{key} = [{}]", quoted.join(", "));
    }
}

impl Setup {
    /// Attached managed policies that have a document (the rest cannot be
    /// recreated; the report names them).
    fn attached(&self, listed: &[String], explicit: bool, boundary: Option<&String>) -> Vec<String> {
        if explicit {
            listed
                .iter()
                .filter(|n| self.managed.iter().any(|d| &d.name == *n))
                .cloned()
                .collect()
        } else {
            self.managed
                .iter()
                .map(|d| d.name.clone())
                .filter(|n| Some(n) != boundary)
                .collect()
        }
    }

    /// Managed policies attached somewhere that have no document in the artefacts.
    pub fn missing_documents(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |names: &[String]| {
            for n in names {
                if !self.managed.iter().any(|d| &d.name == n) && !out.contains(n) {
                    out.push(n.clone());
                }
            }
        };
        if let Some(r) = &self.role {
            check(&r.managed);
        }
        if let Some(u) = &self.user {
            check(&u.managed);
        }
        for g in &self.groups {
            check(&g.managed);
        }
        out
    }

    /// The `[world]` tables of the scenario.
    pub fn world_toml(&self) -> String {
        let mut w = String::from("[world]\nnow = \"2026-01-01T00:00:00Z\"\n\n");
        if let Some(ip) = &self.source_ip {
            let _ = writeln!(w, "[world.network]\nsource_ip = {}\n", q(ip));
        }
        let _ = writeln!(
            w,
            "[[world.accounts]]\nid = {}\nname = \"vendor\"\n\n[[world.accounts]]\nid = {}\nname = \"customer\"\n",
            q(&self.vendor_account),
            q(&self.customer_account)
        );
        if self.org.is_some() {
            let _ = writeln!(
                w,
                "[[world.accounts]]\nid = {}\nname = \"management\"\n",
                q(MANAGEMENT_ACCOUNT)
            );
        }
        let _ = writeln!(
            w,
            "[[world.users]]\naccount = \"vendor\"\nname = {}\naccess_keys = [{{ id = \"AKIAVENDORSERVICE001\", secret = \"vendor-service-secret-000000000000000001\" }}]\npolicies = [{{ name = \"assume-customer-roles\", document = {} }}]\n",
            q(&self.vendor_user),
            lit(VENDOR_POLICY)
        );
        for d in &self.managed {
            let _ = writeln!(
                w,
                "[[world.policies]]\naccount = \"customer\"\nname = {}\ndocument = {}\n",
                q(&d.name),
                lit(&d.text)
            );
        }
        for g in &self.groups {
            let _ = writeln!(
                w,
                "[[world.groups]]\naccount = \"customer\"\nname = {}",
                q(&g.name)
            );
            inline_list(&mut w, &g.inline);
            name_list(&mut w, "managed_policies", &self.attached(&g.managed, true, None));
            w.push('\n');
        }
        if let Some(r) = &self.role {
            let _ = writeln!(
                w,
                "[[world.roles]]\naccount = \"customer\"\nname = {}",
                q(&r.name)
            );
            if r.path != "/" {
                let _ = writeln!(w, "path = {}", q(&r.path));
            }
            if let Some(id) = &r.id {
                let _ = writeln!(w, "id = {}", q(id));
            }
            let _ = writeln!(w, "trust_policy = {}", lit(&r.trust));
            inline_list(&mut w, &r.inline);
            name_list(
                &mut w,
                "managed_policies",
                &self.attached(&r.managed, r.explicit_attachments, r.boundary.as_ref()),
            );
            if let Some(b) = &r.boundary {
                let _ = writeln!(w, "permissions_boundary = {}", q(b));
            }
            if let Some(d) = r.max_session {
                let _ = writeln!(w, "max_session_duration = {d}");
            }
            w.push('\n');
        }
        if let Some(u) = &self.user {
            let _ = writeln!(
                w,
                "[[world.users]]\naccount = \"customer\"\nname = {}",
                q(&u.name)
            );
            if u.path != "/" {
                let _ = writeln!(w, "path = {}", q(&u.path));
            }
            if let Some(id) = &u.id {
                let _ = writeln!(w, "id = {}", q(id));
            }
            let keys: Vec<String> = u
                .keys
                .iter()
                .map(|k| {
                    format!(
                        "{{ id = {}, secret = {}, status = {} }}",
                        q(&k.id),
                        q(&k.secret),
                        q(&k.status)
                    )
                })
                .collect();
            let _ = writeln!(w, "access_keys = [{}]", keys.join(", "));
            inline_list(&mut w, &u.inline);
            name_list(
                &mut w,
                "managed_policies",
                &self.attached(&u.managed, u.explicit_attachments, u.boundary.as_ref()),
            );
            if let Some(b) = &u.boundary {
                let _ = writeln!(w, "permissions_boundary = {}", q(b));
            }
            name_list(&mut w, "groups", &u.groups);
            w.push('\n');
        }
        if let Some(k) = &self.kms {
            let _ = writeln!(
                w,
                "[[world.kms_keys]]\naccount = \"customer\"\nid = {}\nregion = {}",
                q(&k.id),
                q(&k.region)
            );
            if let Some(p) = &k.policy {
                let _ = writeln!(w, "policy = {}", lit(p));
            }
            if let Some(s) = &k.state {
                let _ = writeln!(w, "state = {}", q(s));
            }
            w.push('\n');
        }
        let b = &self.bucket;
        let _ = writeln!(
            w,
            "[[world.buckets]]\nname = {}\naccount = \"customer\"\nregion = {}",
            q(&b.name),
            q(&b.region)
        );
        if let Some(p) = &b.policy {
            let _ = writeln!(w, "policy = {}", lit(p));
        }
        if let Some(o) = &b.ownership {
            let _ = writeln!(w, "object_ownership = {}", q(o));
        }
        if let Some([acls, ignore, policy, restrict]) = b.public_access_block {
            let _ = writeln!(
                w,
                "public_access_block = {{ block_public_acls = {acls}, ignore_public_acls = {ignore}, block_public_policy = {policy}, restrict_public_buckets = {restrict} }}"
            );
        }
        match &b.encryption {
            Some((alg, Some(k))) => {
                let _ = writeln!(w, "encryption = {{ algorithm = {}, kms_key = {} }}", q(alg), q(k));
            }
            Some((alg, None)) => {
                let _ = writeln!(w, "encryption = {{ algorithm = {} }}", q(alg));
            }
            None => {}
        }
        if let Some(v) = &b.versioning {
            let _ = writeln!(w, "versioning = {}", q(v));
        }
        if b.requester_pays {
            let _ = writeln!(w, "requester_pays = true");
        }
        w.push('\n');
        if let Some(o) = &self.org {
            let _ = writeln!(
                w,
                "[world.organization]\nmanagement_account = \"management\"\naccounts = [\"customer\"]\nfull_aws_access = {}",
                o.full_aws_access
            );
            for (kind, docs) in [("scps", &o.scps), ("rcps", &o.rcps)] {
                for d in docs {
                    let _ = writeln!(
                        w,
                        "\n[[world.organization.{kind}]]\nname = {}\naccounts = [\"customer\"]\ndocument = {}",
                        q(&d.name),
                        lit(&d.text)
                    );
                }
            }
            w.push('\n');
        }
        w
    }
}
