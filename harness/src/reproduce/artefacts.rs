//! Reading a customer's artefacts: the AWS CLI's JSON output, one file per
//! command, into a [`Setup`].
//!
//! IAM documents come as the CLI prints them (JSON objects: botocore decodes IAM's
//! URL-encoded documents), or as strings, URL-encoded or not (raw API output, or a
//! decode that failed); other services' policies (S3, KMS, Organizations) are JSON
//! text in a string. Keys may be in any order and absent; paginated output comes
//! merged. Every lookup here is tolerant of that.

use std::path::PathBuf;

use connector::DestinationConfig;
use serde_json::Value;

use super::setup::{
    BucketSetup, Doc, GroupSetup, Key, KmsSetup, OrgSetup, RoleSetup, Setup, UserSetup, MANAGEMENT_ACCOUNT,
};

/// The artefacts folder.
pub struct Artefacts {
    /// The folder.
    pub dir: PathBuf,
}

impl Artefacts {
    /// One file's JSON, `None` when the file is absent.
    pub fn json(&self, name: &str) -> Result<Option<Value>, String> {
        let path = self.dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))
    }

    /// Every `<prefix>*.json`, with the part of the name after the prefix.
    pub fn all(&self, prefix: &str) -> Result<Vec<(String, Value)>, String> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(prefix) && n.ends_with(".json"))
            .collect();
        names.sort();
        for n in names {
            let rest = n
                .trim_start_matches(prefix)
                .trim_end_matches(".json")
                .trim_start_matches('-')
                .to_string();
            if let Some(v) = self.json(&n)? {
                out.push((rest, v));
            }
        }
        Ok(out)
    }

    /// What the customer entered: `onboarding.json` or `onboarding.toml`.
    pub fn onboarding(&self) -> Result<DestinationConfig, String> {
        let json = self.dir.join("onboarding.json");
        let toml_path = self.dir.join("onboarding.toml");
        if json.exists() {
            let text = std::fs::read_to_string(&json).map_err(|e| format!("{}: {e}", json.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json.display()))
        } else if toml_path.exists() {
            let text =
                std::fs::read_to_string(&toml_path).map_err(|e| format!("{}: {e}", toml_path.display()))?;
            toml::from_str(&text).map_err(|e| format!("{}: {e}", toml_path.display()))
        } else {
            Err(format!(
                "{}: needs onboarding.json or onboarding.toml (what the customer entered)",
                self.dir.display()
            ))
        }
    }

    /// The customer's failed CloudTrail record, if `cloudtrail*.json` holds one (a
    /// single record, or a trail file's `{"Records": [...]}`, whose first record
    /// with an `errorCode` is taken).
    pub fn cloudtrail(&self) -> Result<Option<Value>, String> {
        for (_, v) in self.all("cloudtrail")? {
            let records: Vec<Value> = match v.get("Records").and_then(Value::as_array) {
                Some(list) => list.clone(),
                None => vec![v],
            };
            if let Some(r) = records.into_iter().find(|r| r.get("errorCode").is_some()) {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }
}

/// A policy document as the CLI prints it: a JSON object, or (raw API output) a
/// URL-encoded or plain JSON string. Returned as pretty JSON text.
pub fn document(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => {
            let decoded = if s.trim_start().starts_with('%') {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .map_err(|e| format!("policy document is not UTF-8: {e}"))?
                    .into_owned()
            } else {
                s.clone()
            };
            let parsed: Value =
                serde_json::from_str(&decoded).map_err(|e| format!("policy document is not JSON: {e}"))?;
            serde_json::to_string_pretty(&parsed).map_err(|e| e.to_string())
        }
        other => serde_json::to_string_pretty(other).map_err(|e| e.to_string()),
    }
}

/// The string at `path` under `v`.
pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn list<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// `arn:aws:iam::ACCOUNT:KIND/PATH/NAME` → (account, kind, name).
pub fn iam_arn(arn: &str) -> Option<(String, String, String)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, _, _, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let (kind, rest) = resource.split_once('/')?;
    let name = rest.rsplit('/').next()?.to_string();
    Some((account.to_string(), kind.to_string(), name))
}

/// The name of an attached managed policy, from its ARN.
fn policy_name(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

/// Inline policies from `get-*-policy*.json` files (each names its policy), or
/// from an authorization-details list.
fn inline_docs(values: impl Iterator<Item = Value>, key: &str) -> Result<Vec<Doc>, String> {
    let mut out: Vec<Doc> = Vec::new();
    for (i, v) in values.enumerate() {
        let name = str_at(&v, &["PolicyName"]).map_or_else(|| format!("inline-{i}"), str::to_string);
        let doc = v
            .get(key)
            .ok_or_else(|| format!("inline policy `{name}` has no {key}"))?;
        if !out.iter().any(|d| d.name == name) {
            out.push(Doc {
                name,
                text: document(doc)?,
            });
        }
    }
    Ok(out)
}

/// `AttachedPolicies` / `AttachedManagedPolicies` names.
fn attached(v: &Value, key: &str) -> Vec<String> {
    list(v, key)
        .filter_map(|p| str_at(p, &["PolicyArn"]).map(policy_name))
        .collect()
}

fn boundary(v: &Value) -> Option<String> {
    str_at(v, &["PermissionsBoundary", "PermissionsBoundaryArn"]).map(policy_name)
}

fn merge(into: &mut Vec<String>, more: Vec<String>) {
    for m in more {
        if !into.contains(&m) {
            into.push(m);
        }
    }
}

/// Read the folder into a setup. `vendor` is the service's principal (an IAM
/// user ARN); `entered` what the customer typed.
pub fn read(a: &Artefacts, vendor: &str, entered: &DestinationConfig, bucket: &str) -> Result<Setup, String> {
    let (vendor_account, vendor_kind, vendor_user) = iam_arn(vendor)
        .filter(|(_, kind, _)| kind == "user")
        .ok_or_else(|| format!("--vendor-principal `{vendor}` must be an IAM user ARN"))?;
    let _ = vendor_kind;
    let details = a.json("get-account-authorization-details.json")?;
    let detail_list = |key: &str| -> Vec<Value> {
        details
            .as_ref()
            .map(|d| list(d, key).cloned().collect())
            .unwrap_or_default()
    };
    let trail = a.cloudtrail()?;

    // Managed policies: get-policy-version-<name>.json, then authorization details.
    let mut managed: Vec<Doc> = Vec::new();
    let mut aws_managed: Vec<String> = Vec::new();
    for (name, v) in a.all("get-policy-version")? {
        let doc = v
            .get("PolicyVersion")
            .and_then(|p| p.get("Document"))
            .ok_or_else(|| format!("get-policy-version-{name}.json has no PolicyVersion.Document"))?;
        managed.push(Doc {
            name,
            text: document(doc)?,
        });
    }
    for p in detail_list("Policies") {
        let Some(arn) = str_at(&p, &["Arn"]) else { continue };
        let name = str_at(&p, &["PolicyName"]).map_or_else(|| policy_name(arn), str::to_string);
        if managed.iter().any(|d| d.name == name) {
            continue;
        }
        let default = list(&p, "PolicyVersionList")
            .find(|v| v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
            .and_then(|v| v.get("Document"));
        if let Some(doc) = default {
            managed.push(Doc {
                name: name.clone(),
                text: document(doc)?,
            });
            if arn.starts_with("arn:aws:iam::aws:policy/") {
                aws_managed.push(name);
            }
        }
    }

    // The role: get-role.json, else the authorization details' role whose name
    // the entered ARN names (any case, any path: the near-miss is reported later).
    let entered_role_name = entered
        .auth
        .role_arn()
        .and_then(|arn| arn.trim().rsplit('/').next().map(str::to_string));
    let role_value = match a.json("get-role.json")? {
        Some(r) => r.get("Role").cloned(),
        None => entered_role_name.as_ref().and_then(|want| {
            let roles = detail_list("RoleDetailList");
            roles
                .iter()
                .find(|r| str_at(r, &["RoleName"]) == Some(want.as_str()))
                .or_else(|| {
                    roles
                        .iter()
                        .find(|r| str_at(r, &["RoleName"]).is_some_and(|n| n.eq_ignore_ascii_case(want)))
                })
                .cloned()
        }),
    };
    let role = match role_value {
        Some(r) => Some(role_setup(a, &r, &details)?),
        None => None,
    };

    // The user (HMAC mode): get-user.json, else the one list-access-keys or the
    // trail names, else the only user of the authorization details.
    let user_name = a
        .json("get-user.json")?
        .and_then(|u| str_at(&u, &["User", "UserName"]).map(str::to_string))
        .or(a.json("list-access-keys.json")?.and_then(|k| {
            list(&k, "AccessKeyMetadata")
                .find_map(|m| str_at(m, &["UserName"]))
                .map(str::to_string)
        }))
        .or_else(|| {
            trail
                .as_ref()
                .and_then(|t| str_at(t, &["userIdentity", "userName"]).map(str::to_string))
        })
        .or_else(|| {
            let users = detail_list("UserDetailList");
            (users.len() == 1)
                .then(|| str_at(&users[0], &["UserName"]).map(str::to_string))
                .flatten()
        });
    let user = match (&entered.auth, user_name) {
        (connector::config::Auth::Hmac { .. }, Some(name)) => Some(user_setup(a, &name, &details, entered)?),
        _ => None,
    };

    // Groups of that user.
    let mut groups: Vec<GroupSetup> = Vec::new();
    if let Some(u) = &user {
        for g in &u.groups {
            groups.push(group_setup(a, g, &details)?);
        }
    }

    let customer_account = role
        .as_ref()
        .and_then(|r| iam_arn(&r.arn))
        .map(|(acct, _, _)| acct)
        .or_else(|| {
            a.json("get-user.json")
                .ok()
                .flatten()
                .and_then(|u| str_at(&u, &["User", "Arn"]).and_then(iam_arn))
                .map(|(acct, _, _)| acct)
        })
        .or_else(|| {
            entered
                .auth
                .role_arn()
                .and_then(|arn| iam_arn(arn.trim()))
                .map(|(acct, _, _)| acct)
        })
        .or_else(|| {
            trail
                .as_ref()
                .and_then(|t| str_at(t, &["recipientAccountId"]).map(str::to_string))
                .filter(|acct| *acct != vendor_account)
        })
        .unwrap_or_else(|| "222222222222".to_string());
    if customer_account == vendor_account {
        return Err("the customer's account is the vendor's account; pass another --vendor-principal".into());
    }

    let kms = kms_setup(a, bucket)?;
    let bucket = bucket_setup(a, bucket)?;
    let org = org_setup(a)?;
    let source_ip = trail
        .as_ref()
        .and_then(|t| str_at(t, &["sourceIPAddress"]))
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        .map(str::to_string);
    let mut notes = Vec::new();
    for name in &aws_managed {
        notes.push(format!(
            "AWS managed policy `{name}` is recreated from the authorization details as a policy of the customer's account"
        ));
    }
    Ok(Setup {
        vendor_account,
        vendor_user,
        customer_account,
        managed,
        groups,
        role,
        user,
        kms,
        bucket,
        org,
        source_ip,
        notes,
    })
}

fn role_setup(a: &Artefacts, r: &Value, details: &Option<Value>) -> Result<RoleSetup, String> {
    let name = str_at(r, &["RoleName"])
        .ok_or("the role has no RoleName")?
        .to_string();
    let trust = r
        .get("AssumeRolePolicyDocument")
        .ok_or("the role has no AssumeRolePolicyDocument")?;
    let arn = str_at(r, &["Arn"]).map(str::to_string).unwrap_or_default();
    let mut inline = inline_docs(
        a.all("get-role-policy")?.into_iter().map(|(_, v)| v),
        "PolicyDocument",
    )?;
    let mut managed = Vec::new();
    if let Some(v) = a.json("list-attached-role-policies.json")? {
        managed = attached(&v, "AttachedPolicies");
    }
    // The same role in the authorization details adds what its own files lack.
    let detail = details.as_ref().and_then(|d| {
        list(d, "RoleDetailList")
            .find(|x| str_at(x, &["RoleName"]) == Some(name.as_str()))
            .cloned()
    });
    if let Some(d) = &detail {
        for extra in inline_docs(list(d, "RolePolicyList").cloned(), "PolicyDocument")? {
            if !inline.iter().any(|x| x.name == extra.name) {
                inline.push(extra);
            }
        }
        merge(&mut managed, attached(d, "AttachedManagedPolicies"));
    }
    Ok(RoleSetup {
        path: str_at(r, &["Path"]).unwrap_or("/").to_string(),
        id: str_at(r, &["RoleId"]).map(str::to_string),
        trust: document(trust)?,
        inline,
        managed,
        boundary: boundary(r).or_else(|| detail.as_ref().and_then(boundary)),
        max_session: r.get("MaxSessionDuration").and_then(Value::as_i64),
        explicit_attachments: a.json("list-attached-role-policies.json")?.is_some() || detail.is_some(),
        name,
        arn,
    })
}

fn user_setup(
    a: &Artefacts,
    name: &str,
    details: &Option<Value>,
    entered: &DestinationConfig,
) -> Result<UserSetup, String> {
    let get_user = a.json("get-user.json")?;
    let detail = details.as_ref().and_then(|d| {
        list(d, "UserDetailList")
            .find(|x| str_at(x, &["UserName"]) == Some(name))
            .cloned()
    });
    let u = get_user.as_ref().and_then(|g| g.get("User")).or(detail.as_ref());
    let mut inline = inline_docs(
        a.all("get-user-policy")?.into_iter().map(|(_, v)| v),
        "PolicyDocument",
    )?;
    let mut managed = Vec::new();
    if let Some(v) = a.json("list-attached-user-policies.json")? {
        managed = attached(&v, "AttachedPolicies");
    }
    let mut groups: Vec<String> = Vec::new();
    if let Some(v) = a.json("list-groups-for-user.json")? {
        merge(
            &mut groups,
            list(&v, "Groups")
                .filter_map(|g| str_at(g, &["GroupName"]).map(str::to_string))
                .collect(),
        );
    }
    for (_, g) in a.all("get-group")? {
        let member = list(&g, "Users").any(|m| str_at(m, &["UserName"]) == Some(name));
        if let (true, Some(gname)) = (member, str_at(&g, &["Group", "GroupName"])) {
            merge(&mut groups, vec![gname.to_string()]);
        }
    }
    if let Some(d) = &detail {
        for extra in inline_docs(list(d, "UserPolicyList").cloned(), "PolicyDocument")? {
            if !inline.iter().any(|x| x.name == extra.name) {
                inline.push(extra);
            }
        }
        merge(&mut managed, attached(d, "AttachedManagedPolicies"));
        merge(
            &mut groups,
            list(d, "GroupList")
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect(),
        );
    }
    // Keys: what list-access-keys shows; the entered key gets the entered secret.
    let entered_key = match &entered.auth {
        connector::config::Auth::Hmac {
            access_key_id,
            secret_access_key,
        } => Some((access_key_id.clone(), secret_access_key.expose().to_string())),
        connector::config::Auth::AssumeRole { .. } => None,
    };
    let mut keys = Vec::new();
    if let Some(list_keys) = a.json("list-access-keys.json")? {
        for k in list(&list_keys, "AccessKeyMetadata") {
            let id = str_at(k, &["AccessKeyId"]).unwrap_or_default().to_string();
            let status = str_at(k, &["Status"]).unwrap_or("Active").to_string();
            let secret = match &entered_key {
                Some((eid, s)) if *eid == id => s.clone(),
                _ => format!("unknown-secret-of-{id}"),
            };
            keys.push(Key { id, secret, status });
        }
    } else if let Some((id, secret)) = &entered_key {
        keys.push(Key {
            id: id.clone(),
            secret: secret.clone(),
            status: "Active".to_string(),
        });
    }
    Ok(UserSetup {
        name: name.to_string(),
        path: u.and_then(|u| str_at(u, &["Path"])).unwrap_or("/").to_string(),
        id: u.and_then(|u| str_at(u, &["UserId"])).map(str::to_string),
        keys,
        inline,
        managed,
        boundary: u.and_then(boundary),
        groups,
        explicit_attachments: a.json("list-attached-user-policies.json")?.is_some() || detail.is_some(),
    })
}

fn group_setup(a: &Artefacts, name: &str, details: &Option<Value>) -> Result<GroupSetup, String> {
    let own: Vec<Value> = a
        .all("get-group-policy")?
        .into_iter()
        .map(|(_, v)| v)
        .filter(|v| str_at(v, &["GroupName"]).is_none_or(|g| g == name))
        .collect();
    let mut inline = inline_docs(own.into_iter(), "PolicyDocument")?;
    let mut managed = Vec::new();
    for (suffix, v) in a.all("list-attached-group-policies")? {
        if suffix == name || suffix.is_empty() {
            merge(&mut managed, attached(&v, "AttachedPolicies"));
        }
    }
    if let Some(d) = details.as_ref().and_then(|d| {
        list(d, "GroupDetailList")
            .find(|x| str_at(x, &["GroupName"]) == Some(name))
            .cloned()
    }) {
        for extra in inline_docs(list(&d, "GroupPolicyList").cloned(), "PolicyDocument")? {
            if !inline.iter().any(|x| x.name == extra.name) {
                inline.push(extra);
            }
        }
        merge(&mut managed, attached(&d, "AttachedManagedPolicies"));
    }
    Ok(GroupSetup {
        name: name.to_string(),
        inline,
        managed,
    })
}

fn kms_setup(a: &Artefacts, _bucket: &str) -> Result<Option<KmsSetup>, String> {
    let Some(rule) = encryption_rule(a)? else {
        return Ok(None);
    };
    let Some(key) = str_at(&rule, &["ApplyServerSideEncryptionByDefault", "KMSMasterKeyID"]) else {
        return Ok(None);
    };
    let id = key.rsplit('/').next().unwrap_or(key).to_string();
    let policy = match a.json("get-key-policy.json")? {
        Some(p) => p.get("Policy").map(document).transpose()?,
        None => None,
    };
    let state = a
        .json("describe-key.json")?
        .and_then(|d| str_at(&d, &["KeyMetadata", "KeyState"]).map(str::to_string));
    Ok(Some(KmsSetup {
        id,
        region: bucket_region(a)?,
        policy,
        state,
    }))
}

fn encryption_rule(a: &Artefacts) -> Result<Option<Value>, String> {
    Ok(a.json("get-bucket-encryption.json")?.and_then(|e| {
        e.get("ServerSideEncryptionConfiguration")?
            .get("Rules")?
            .as_array()?
            .first()
            .cloned()
    }))
}

fn bucket_region(a: &Artefacts) -> Result<String, String> {
    Ok(a.json("get-bucket-location.json")?
        .and_then(|l| {
            l.get("LocationConstraint")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .map(|r| if r == "EU" { "eu-west-1".to_string() } else { r })
        .unwrap_or_else(|| "us-east-1".to_string()))
}

fn bucket_setup(a: &Artefacts, name: &str) -> Result<BucketSetup, String> {
    let rule = encryption_rule(a)?;
    let encryption = rule.as_ref().and_then(|r| {
        let alg = str_at(r, &["ApplyServerSideEncryptionByDefault", "SSEAlgorithm"])?;
        let key = str_at(r, &["ApplyServerSideEncryptionByDefault", "KMSMasterKeyID"])
            .map(|k| k.rsplit('/').next().unwrap_or(k).to_string());
        Some((alg.to_string(), key))
    });
    let policy = match a.json("get-bucket-policy.json")? {
        Some(p) => p.get("Policy").map(document).transpose()?,
        None => None,
    };
    let ownership = a.json("get-bucket-ownership-controls.json")?.and_then(|o| {
        o.get("OwnershipControls")
            .and_then(|c| c.get("Rules"))
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(|r| str_at(r, &["ObjectOwnership"]))
            .map(str::to_string)
    });
    let versioning = a
        .json("get-bucket-versioning.json")?
        .and_then(|v| str_at(&v, &["Status"]).map(str::to_string));
    let requester_pays = a
        .json("get-bucket-request-payment.json")?
        .is_some_and(|p| str_at(&p, &["Payer"]) == Some("Requester"));
    // get-public-access-block: the four switches; no file (or the CLI's
    // NoSuchPublicAccessBlockConfiguration) means none are set.
    let public_access_block = a.json("get-public-access-block.json")?.and_then(|p| {
        let c = p.get("PublicAccessBlockConfiguration")?;
        let flag = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
        Some([
            flag("BlockPublicAcls"),
            flag("IgnorePublicAcls"),
            flag("BlockPublicPolicy"),
            flag("RestrictPublicBuckets"),
        ])
    });
    Ok(BucketSetup {
        name: name.to_string(),
        region: bucket_region(a)?,
        policy,
        ownership,
        encryption,
        versioning,
        requester_pays,
        public_access_block,
    })
}

/// SCPs and RCPs attached to the customer's account: `list-policies-for-target*`
/// names them, `describe-policy*` holds their text (`Content`, a JSON string).
/// When the list leaves out AWS's FullAWSAccess, the organization is an allow-list.
fn org_setup(a: &Artefacts) -> Result<Option<OrgSetup>, String> {
    let lists = a.all("list-policies-for-target")?;
    let described = a.all("describe-policy")?;
    if lists.is_empty() && described.is_empty() {
        return Ok(None);
    }
    let attached: Vec<(String, String)> = lists
        .iter()
        .flat_map(|(_, v)| list(v, "Policies"))
        .filter_map(|p| Some((str_at(p, &["Id"])?.to_string(), str_at(p, &["Type"])?.to_string())))
        .collect();
    let mut org = OrgSetup {
        scps: Vec::new(),
        rcps: Vec::new(),
        full_aws_access: lists.is_empty() || attached.iter().any(|(id, _)| id == "p-FullAWSAccess"),
        management_account: MANAGEMENT_ACCOUNT.to_string(),
    };
    for (_, d) in &described {
        let Some(p) = d.get("Policy") else { continue };
        let id = str_at(p, &["PolicySummary", "Id"]).unwrap_or_default();
        if id == "p-FullAWSAccess" || id == "p-RCPFullAWSAccess" {
            continue;
        }
        if !lists.is_empty() && !attached.iter().any(|(a, _)| a == id) {
            continue;
        }
        let Some(content) = p.get("Content") else { continue };
        let doc = Doc {
            name: str_at(p, &["PolicySummary", "Name"]).unwrap_or(id).to_string(),
            text: document(content)?,
        };
        match str_at(p, &["PolicySummary", "Type"]) {
            Some("RESOURCE_CONTROL_POLICY") => org.rcps.push(doc),
            _ => org.scps.push(doc),
        }
    }
    Ok(Some(org))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_in_every_cli_shape() {
        let obj = serde_json::json!({"Version": "2012-10-17", "Statement": []});
        let from_obj = document(&obj).unwrap();
        let from_str = document(&Value::String(obj.to_string())).unwrap();
        let from_url = document(&Value::String(
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D".to_string(),
        ))
        .unwrap();
        assert_eq!(from_obj, from_str);
        assert_eq!(from_obj, from_url);
    }

    #[test]
    fn arns() {
        assert_eq!(
            iam_arn("arn:aws:iam::222222222222:role/service-role/transfer-role"),
            Some(("222222222222".into(), "role".into(), "transfer-role".into()))
        );
        assert_eq!(iam_arn("transfer-role"), None);
    }
}
