//! Table-driven conformance cases for the IAM engine.
//!
//! Each row cites the rule it checks: the number in iam.md §7 ("Conformance
//! edge cases") and the AWS documentation key from iam.md §0 (EV =
//! reference_policies_evaluation-logic.html, XA = …-cross-account.html, PR =
//! …elements_principal.html, NP = …elements_notprincipal.html, ACT/NACT, RES/NRES,
//! OPS = …condition_operators.html, MV = multivalued keys, GCK = global condition
//! keys, VAR = policy variables, VER = version, PB = permissions boundaries, SP =
//! session policies, STSAPI = AssumeRole API, TR = troubleshoot_roles.html, GCI =
//! GetCallerIdentity, AD = troubleshoot_access-denied.html, S3403 = S3
//! troubleshoot-403, GR = grammar, Q = quotas, EFF/SID = elements pages, RCP =
//! Organizations RCP evaluation). Rows asserting behaviour iam.md marks inferred
//! or unverified say so.
//!
//! Every evaluation row asserts the effect, `decided_by` (as `policy#sid-or-index`)
//! and `denied_by`; every validation row asserts the error code, the exact message
//! and the line and column.

use emulator::iam::{
    access_denied_message, check_principals_exist, evaluate, Effect, EvalOptions, ParseOptions, Policies,
    Policy, PolicyErrorCode, PolicyKind, PolicyRef, PolicyType, Principal, Request, RequestContext, Surface,
};

const A: &str = "111111111111";
const B: &str = "222222222222";
const U: &str = "arn:aws:iam::111111111111:user/u";
const R: &str = "arn:aws:iam::111111111111:role/r";
const S: &str = "arn:aws:sts::111111111111:assumed-role/r/s";
const OBJ: &str = "arn:aws:s3:::b/k";
const ROLE_ID: &str = "AROAEXAMPLEROLEID0001";

fn user() -> Principal {
    Principal::user(A, "/", "u", "AIDAEXAMPLEUSERID0001")
}
fn user_b() -> Principal {
    Principal::user(B, "/", "u", "AIDAEXAMPLEUSERID0002")
}
fn session() -> Principal {
    Principal::assumed_role(A, "/", "r", "s", ROLE_ID)
}

/// `Allow` (or `Deny`) of `action` on `resource` as an identity policy.
fn id(effect: &str, action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":"{action}","Resource":"{resource}"}}]}}"#
    )
}
fn allow(action: &str, resource: &str) -> String {
    id("Allow", action, resource)
}
/// A bucket policy granting `action` on `b/*` to `principal` (JSON).
fn bucket(principal: &str, action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"{action}","Resource":"arn:aws:s3:::b/*"}}]}}"#
    )
}
fn trust(principal: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}]}}"#
    )
}

/// One evaluation case.
struct Case {
    name: &'static str,
    rule: &'static str,
    principal: Principal,
    action: String,
    resource: String,
    resource_account: Option<String>,
    context: RequestContext,
    identity: Vec<String>,
    boundary: Option<String>,
    session: Vec<String>,
    resource_policy: Option<(PolicyKind, String)>,
    scps: Vec<String>,
    rcps: Vec<String>,
    options: EvalOptions,
    effect: Effect,
    decided_by: Vec<&'static str>,
    denied_by: Option<PolicyType>,
}

fn case(name: &'static str, rule: &'static str) -> Case {
    Case {
        name,
        rule,
        principal: user(),
        action: "s3:PutObject".into(),
        resource: OBJ.into(),
        resource_account: Some(A.into()),
        context: RequestContext::new().set("aws:SecureTransport", "true"),
        identity: Vec::new(),
        boundary: None,
        session: Vec::new(),
        resource_policy: None,
        scps: Vec::new(),
        rcps: Vec::new(),
        options: EvalOptions::default(),
        effect: Effect::ImplicitDeny,
        decided_by: Vec::new(),
        denied_by: None,
    }
}

impl Case {
    fn who(mut self, p: Principal) -> Self {
        self.principal = p;
        self
    }
    fn req(mut self, action: &str, resource: &str, account: Option<&str>) -> Self {
        self.action = action.into();
        self.resource = resource.into();
        self.resource_account = account.map(Into::into);
        self
    }
    fn ctx(mut self, c: RequestContext) -> Self {
        self.context = c;
        self
    }
    fn identity(mut self, p: impl Into<String>) -> Self {
        self.identity.push(p.into());
        self
    }
    fn boundary(mut self, p: impl Into<String>) -> Self {
        self.boundary = Some(p.into());
        self
    }
    fn session(mut self, p: impl Into<String>) -> Self {
        self.session.push(p.into());
        self
    }
    fn bucket(mut self, p: impl Into<String>) -> Self {
        self.resource_policy = Some((PolicyKind::Bucket, p.into()));
        self
    }
    fn trust(mut self, p: impl Into<String>) -> Self {
        self.resource_policy = Some((PolicyKind::Trust, p.into()));
        self.action = "sts:AssumeRole".into();
        self.resource = "arn:aws:iam::111111111111:role/target".into();
        self.resource_account = None;
        self
    }
    fn key_policy(mut self, p: impl Into<String>) -> Self {
        self.resource_policy = Some((PolicyKind::KmsKey, p.into()));
        self
    }
    fn scp(mut self, p: impl Into<String>) -> Self {
        self.scps.push(p.into());
        self
    }
    fn rcp(mut self, p: impl Into<String>) -> Self {
        self.rcps.push(p.into());
        self
    }
    fn options(mut self, o: EvalOptions) -> Self {
        self.options = o;
        self
    }
    fn allow(mut self, by: &[&'static str]) -> Self {
        self.effect = Effect::Allow;
        self.decided_by = by.to_vec();
        self.denied_by = None;
        self
    }
    fn explicit(mut self, t: PolicyType, by: &[&'static str]) -> Self {
        self.effect = Effect::ExplicitDeny;
        self.decided_by = by.to_vec();
        self.denied_by = Some(t);
        self
    }
    fn implicit(mut self, t: PolicyType) -> Self {
        self.effect = Effect::ImplicitDeny;
        self.decided_by = Vec::new();
        self.denied_by = Some(t);
        self
    }

    /// Run the case; `Err` describes a mismatch.
    fn run(&self) -> Result<emulator::iam::Decision, String> {
        let parse = |text: &str, kind| {
            Policy::parse(text, kind).map_err(|e| format!("{}: policy did not parse: {e}\n{text}", self.name))
        };
        let identity: Vec<Policy> = self
            .identity
            .iter()
            .map(|t| parse(t, PolicyKind::Identity))
            .collect::<Result<_, _>>()?;
        let boundary = self
            .boundary
            .as_deref()
            .map(|t| parse(t, PolicyKind::Boundary))
            .transpose()?;
        let session: Vec<Policy> = self
            .session
            .iter()
            .map(|t| parse(t, PolicyKind::Session))
            .collect::<Result<_, _>>()?;
        let resource = self
            .resource_policy
            .as_ref()
            .map(|(k, t)| parse(t, *k))
            .transpose()?;
        let scps: Vec<Policy> = self
            .scps
            .iter()
            .map(|t| parse(t, PolicyKind::Scp))
            .collect::<Result<_, _>>()?;
        let rcps: Vec<Policy> = self
            .rcps
            .iter()
            .map(|t| parse(t, PolicyKind::Rcp))
            .collect::<Result<_, _>>()?;
        let ids: Vec<String> = (0..identity.len()).map(|i| format!("identity:{i}")).collect();
        let sids: Vec<String> = (0..session.len()).map(|i| format!("session:{i}")).collect();
        let scp_ids: Vec<String> = (0..scps.len()).map(|i| format!("scp:{i}")).collect();
        let rcp_ids: Vec<String> = (0..rcps.len()).map(|i| format!("rcp:{i}")).collect();
        let resource_ref = match (&self.resource_policy, &resource) {
            (Some((PolicyKind::Trust, _)), Some(p)) => {
                Some(PolicyRef::new("trust", PolicyType::RoleTrust, p))
            }
            (Some((PolicyKind::KmsKey, _)), Some(p)) => {
                Some(PolicyRef::new("key", PolicyType::ResourceBased, p))
            }
            (_, Some(p)) => Some(PolicyRef::new("bucket", PolicyType::ResourceBased, p)),
            _ => None,
        };
        let policies = Policies {
            identity: identity
                .iter()
                .zip(&ids)
                .map(|(p, i)| PolicyRef::new(i, PolicyType::IdentityBased, p))
                .collect(),
            boundary: boundary
                .as_ref()
                .map(|p| PolicyRef::new("boundary", PolicyType::PermissionsBoundary, p)),
            session: session
                .iter()
                .zip(&sids)
                .map(|(p, i)| PolicyRef::new(i, PolicyType::Session, p))
                .collect(),
            resource: resource_ref,
            scps: scps
                .iter()
                .zip(&scp_ids)
                .map(|(p, i)| PolicyRef::new(i, PolicyType::ServiceControl, p))
                .collect(),
            rcps: rcps
                .iter()
                .zip(&rcp_ids)
                .map(|(p, i)| PolicyRef::new(i, PolicyType::ResourceControl, p))
                .collect(),
            vpc_endpoint: None,
            options: self.options,
        };
        let req = Request {
            principal: &self.principal,
            action: &self.action,
            resource: &self.resource,
            resource_account: self.resource_account.as_deref(),
            context: &self.context,
        };
        let d = evaluate(&req, &policies);
        let got: Vec<String> = d.decided_by.iter().map(ToString::to_string).collect();
        if d.effect != self.effect || got != self.decided_by || d.denied_by != self.denied_by {
            return Err(format!(
                "{} [{}]\n  expected {:?} {:?} {:?}\n  got      {:?} {:?} {:?}",
                self.name,
                self.rule,
                self.effect,
                self.decided_by,
                self.denied_by,
                d.effect,
                got,
                d.denied_by
            ));
        }
        Ok(d)
    }
}

fn tag_keys(keys: &[&str]) -> RequestContext {
    RequestContext::new().set_multi("aws:TagKeys", keys.iter().copied())
}

fn cond(effect: &str, action: &str, condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":"{action}","Resource":"*","Condition":{condition}}}]}}"#
    )
}

fn evaluation_cases() -> Vec<Case> {
    use PolicyType::*;
    let all_s3 = allow("s3:*", "*");
    let put = allow("s3:PutObject", "arn:aws:s3:::b/*");
    vec![
        // ---- Combination ----
        case("no policies at all", "§7.1 [EVD] default implicit deny").implicit(IdentityBased),
        case("identity allow + identity deny", "§7.2 [EV] explicit deny overrides allow")
            .identity(allow("s3:*", "arn:aws:s3:::b/*"))
            .identity(id("Deny", "s3:PutObject", "*"))
            .explicit(IdentityBased, &["identity:1#0"]),
        case("same account, bucket names user ARN, no identity policy", "§7.3 [EV] Carlos example")
            .bucket(bucket(&format!("{{\"AWS\":\"{U}\"}}"), "s3:PutObject"))
            .allow(&["bucket#0"]),
        case("same account, bucket names only the account", "§7.4 [PR] account principals delegate")
            .bucket(bucket(&format!("{{\"AWS\":\"{A}\"}}"), "s3:PutObject"))
            .implicit(IdentityBased),
        case("same account, account principal + identity allow", "§7.4 [PR] account principals delegate")
            .bucket(bucket(&format!("{{\"AWS\":\"{A}\"}}"), "s3:PutObject"))
            .identity(put.clone())
            .allow(&["identity:0#0"]),
        case("same account, bucket Principal *", "§7.5 [PR] all principals, no other permissions required")
            .bucket(bucket("\"*\"", "s3:PutObject"))
            .allow(&["bucket#0"]),
        case("cross account, bucket allows user, no identity policy", "§7.6 [XA] both sides must allow")
            .who(user_b())
            .bucket(bucket("{\"AWS\":\"arn:aws:iam::222222222222:user/u\"}", "s3:PutObject"))
            .implicit(IdentityBased),
        case("cross account, identity allows, no bucket policy", "§7.7 [XA] both sides must allow")
            .who(user_b())
            .identity(put.clone())
            .implicit(ResourceBased),
        case("cross account, both allow", "§7.8 [XA]")
            .who(user_b())
            .identity(put.clone())
            .bucket(bucket(&format!("{{\"AWS\":\"{B}\"}}"), "s3:PutObject"))
            .allow(&["bucket#0", "identity:0#0"]),
        case("cross account, both allow, caller-side deny", "§7.8 [XA] explicit deny on either side")
            .who(user_b())
            .identity(put.clone())
            .identity(id("Deny", "s3:PutObject", "*"))
            .bucket(bucket(&format!("{{\"AWS\":\"{B}\"}}"), "s3:PutObject"))
            .explicit(IdentityBased, &["identity:1#0"]),
        case("anonymous, bucket Principal *", "§7.9 [PR] * includes anonymous")
            .who(Principal::anonymous())
            .req("s3:GetObject", OBJ, Some(A))
            .bucket(bucket("\"*\"", "s3:GetObject"))
            .allow(&["bucket#0"]),
        case("anonymous, bucket names the account", "§7.9 [PR] account does not cover anonymous")
            .who(Principal::anonymous())
            .req("s3:GetObject", OBJ, Some(A))
            .bucket(bucket(&format!("{{\"AWS\":\"{A}\"}}"), "s3:GetObject"))
            .implicit(ResourceBased),
        case("root user, same account, no policies", "[EVD] root has full access in its account")
            .who(Principal::root(A))
            .allow(&[]),
        case("root user, cross account, bucket names the account", "[XA][PR] root ARN ≡ account")
            .who(Principal::root(B))
            .bucket(bucket(&format!("{{\"AWS\":\"arn:aws:iam::{B}:root\"}}"), "s3:PutObject"))
            .allow(&["bucket#0"]),
        // ---- Matching ----
        case("action case-insensitive", "§7.10 [ACT]").identity(allow("S3:PUTOBJECT", "arn:aws:s3:::b/*")).allow(&["identity:0#0"]),
        case("action wildcard in the middle", "§7.11 [ACT]")
            .req("s3:PutObjectAcl", OBJ, Some(A))
            .identity(allow("s3:*Object*", "*"))
            .allow(&["identity:0#0"]),
        case("object action on the bucket ARN", "§7.12 [RES] misconfigs M19")
            .identity(allow("s3:PutObject", "arn:aws:s3:::b"))
            .implicit(IdentityBased),
        case("wildcard spans slashes", "§7.13 [RES]")
            .req("s3:PutObject", "arn:aws:s3:::b/1/2/test/x.jpg", Some(A))
            .identity(allow("s3:PutObject", "arn:aws:s3:::b/*/test/*"))
            .allow(&["identity:0#0"]),
        case("wildcard needs the middle segment", "§7.13 [RES]")
            .req("s3:PutObject", "arn:aws:s3:::b/test/x.jpg", Some(A))
            .identity(allow("s3:PutObject", "arn:aws:s3:::b/*/test/*"))
            .implicit(IdentityBased),
        case("resource is case-sensitive", "§7.14 [RES] (S3 part inferred)")
            .req("s3:PutObject", "arn:aws:s3:::b/reports/x", Some(A))
            .identity(allow("s3:PutObject", "arn:aws:s3:::b/Reports/*"))
            .implicit(IdentityBased),
        case("trailing * crosses colons", "§7.15 [RES 2024]")
            .req("sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:q", None)
            .identity(allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:*"))
            .allow(&["identity:0#0"]),
        case("StringLike crosses segments", "§7.16 [OPS] finance example")
            .ctx(RequestContext::new().set(
                "aws:SourceArn",
                "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
            ))
            .identity(cond("Allow", "s3:PutObject", r#"{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#))
            .allow(&["identity:0#0"]),
        case("ArnLike is per segment", "§7.16 [OPS] finance example")
            .ctx(RequestContext::new().set(
                "aws:SourceArn",
                "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
            ))
            .identity(cond("Allow", "s3:PutObject", r#"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#))
            .implicit(IdentityBased),
        case("NotAction allows the rest", "§7.17 [NACT]")
            .identity(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#)
            .allow(&["identity:0#0"]),
        case("NotAction still needs the resource", "§7.18 [NACT]")
            .req("sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:q", None)
            .identity(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"arn:aws:s3:::*"}}"#)
            .implicit(IdentityBased),
        case("NotResource deny outside payroll", "§7.19 [NRES]")
            .req("s3:PutObject", "arn:aws:s3:::b/x", Some(A))
            .identity(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b/Payroll","arn:aws:s3:::b/Payroll/*"]},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#)
            .explicit(IdentityBased, &["identity:0#0"]),
        case("NotResource deny spares payroll", "§7.19 [NRES]")
            .req("s3:PutObject", "arn:aws:s3:::b/Payroll/x", Some(A))
            .identity(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b/Payroll","arn:aws:s3:::b/Payroll/*"]},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#)
            .allow(&["identity:0#1"]),
        // ---- Conditions ----
        case("missing key fails a positive operator", "§7.20 [OPS]")
            .identity(cond("Allow", "s3:PutObject", r#"{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}"#))
            .implicit(IdentityBased),
        case("deny unencrypted uploads without header", "§7.21 [OPS][S3ENC] (inferred) misconfigs M49")
            .identity(all_s3.clone())
            .bucket(r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyUnencrypted","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}"#)
            .explicit(ResourceBased, &["bucket#DenyUnencrypted"]),
        case("deny unencrypted uploads, header present", "§7.21 [OPS]")
            .ctx(RequestContext::new().set("s3:x-amz-server-side-encryption", "aws:kms"))
            .identity(all_s3.clone())
            .bucket(r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyUnencrypted","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}"#)
            .allow(&["identity:0#0"]),
        case("negated IfExists denies on a missing key", "§7.22 [OPS IfExists]")
            .identity(all_s3.clone())
            .identity(cond("Deny", "s3:*", r#"{"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"x"}}"#))
            .explicit(IdentityBased, &["identity:1#0"]),
        case("IfExists allows on a missing key", "§7.23 [OPS]")
            .identity(cond("Allow", "s3:PutObject", r#"{"StringEqualsIfExists":{"aws:PrincipalTag/team":"x"}}"#))
            .allow(&["identity:0#0"]),
        case("values of one key OR", "§7.24 [MV]")
            .who(user().with_tag("dept", "b"))
            .identity(cond("Allow", "s3:PutObject", r#"{"StringEquals":{"aws:PrincipalTag/dept":["a","b"]}}"#))
            .allow(&["identity:0#0"]),
        case("keys under one operator AND", "§7.24 [MV]")
            .who(user().with_tag("dept", "b"))
            .identity(cond("Allow", "s3:PutObject", r#"{"StringEquals":{"aws:PrincipalTag/dept":"b","aws:PrincipalTag/team":"x"}}"#))
            .implicit(IdentityBased),
        case("negated operator is NOR over values", "§7.25 [MV]")
            .identity(all_s3.clone())
            .identity(cond("Deny", "s3:*", &format!(r#"{{"StringNotEquals":{{"aws:PrincipalAccount":["{A}","{B}"]}}}}"#)))
            .allow(&["identity:0#0"]),
        case("ForAllValues with no tags is true", "§7.26 [MV] do not use ForAllValues with Allow")
            .ctx(tag_keys(&[]))
            .identity(cond("Allow", "s3:PutObject", r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}"#))
            .allow(&["identity:0#0"]),
        case("ForAllValues with an extra tag is false", "§7.26 [MV]")
            .ctx(tag_keys(&["a", "c"]))
            .identity(cond("Allow", "s3:PutObject", r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}"#))
            .implicit(IdentityBased),
        case("ForAnyValue with no tags is false", "§7.27 [MV]")
            .identity(cond("Allow", "s3:PutObject", r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}"#))
            .implicit(IdentityBased),
        case("Null true for a long-term key", "§7.28 [OPS Null]")
            .identity(cond("Allow", "s3:PutObject", r#"{"Null":{"aws:TokenIssueTime":"true"}}"#))
            .allow(&["identity:0#0"]),
        case("Null true fails for a session", "§7.28 [OPS Null]")
            .who(session())
            .ctx(RequestContext::new().set("aws:TokenIssueTime", "2024-01-01T00:00:00Z"))
            .identity(cond("Allow", "s3:PutObject", r#"{"Null":{"aws:TokenIssueTime":"true"}}"#))
            .implicit(IdentityBased),
        case("MFA trap: Bool false does not deny a long-term key", "§7.29 [GCK]")
            .identity(all_s3.clone())
            .identity(cond("Deny", "s3:*", r#"{"Bool":{"aws:MultiFactorAuthPresent":"false"}}"#))
            .allow(&["identity:0#0"]),
        case("MFA trap: BoolIfExists false denies", "§7.29 [GCK]")
            .identity(all_s3.clone())
            .identity(cond("Deny", "s3:*", r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#))
            .explicit(IdentityBased, &["identity:1#0"]),
        case("NotIpAddress deny without SourceIp", "§7.30 [GCK][OPS] VPC endpoint request")
            .identity(all_s3.clone())
            .bucket(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#)
            .explicit(ResourceBased, &["bucket#0"]),
        case("bare IP is /32 (match)", "§7.31 [OPS]")
            .ctx(RequestContext::new().set("aws:SourceIp", "203.0.113.5"))
            .identity(cond("Allow", "s3:PutObject", r#"{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}"#))
            .allow(&["identity:0#0"]),
        case("bare IP is /32 (neighbour)", "§7.31 [OPS]")
            .ctx(RequestContext::new().set("aws:SourceIp", "203.0.113.6"))
            .identity(cond("Allow", "s3:PutObject", r#"{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}"#))
            .implicit(IdentityBased),
        case("condition key names ignore case", "§7.32 [COND]")
            .ctx(RequestContext::new().set("aws:SourceIp", "203.0.113.5"))
            .identity(cond("Allow", "s3:PutObject", r#"{"IpAddress":{"AWS:SOURCEIP":"203.0.113.0/24"}}"#))
            .allow(&["identity:0#0"]),
        case("StringEquals values are case-sensitive", "§7.32 [COND]")
            .who(Principal::user(A, "/", "JohnDoe", "AIDAEXAMPLEUSERID0003"))
            .identity(cond("Allow", "s3:PutObject", r#"{"StringEquals":{"aws:username":"johndoe"}}"#))
            .implicit(IdentityBased),
        case("DateGreaterThan with ISO date", "§7.33 [OPS]")
            .ctx(RequestContext::new().set("aws:CurrentTime", "2024-05-01T12:00:00Z"))
            .identity(cond("Allow", "s3:PutObject", r#"{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:01Z"}}"#))
            .allow(&["identity:0#0"]),
        case("DateGreaterThan with epoch seconds", "§7.33 [OPS]")
            .ctx(RequestContext::new().set("aws:CurrentTime", "2019-05-01T12:00:00Z"))
            .identity(cond("Allow", "s3:PutObject", r#"{"DateGreaterThan":{"aws:CurrentTime":"1577836801"}}"#))
            .implicit(IdentityBased),
        case(
            "multivalued key without a set operator never matches",
            "§8 q6; re:Inforce 2025 IAM431 via cloud-copilot/iam-simulate; boogy/iam-policy-validator#161",
        )
        .ctx(tag_keys(&["c", "a"]))
        .identity(cond("Allow", "s3:PutObject", r#"{"StringEquals":{"aws:TagKeys":"a"}}"#))
        .implicit(IdentityBased),
        case("multivalued key without a set operator: one value, still no match", "IAM431")
            .ctx(tag_keys(&["a"]))
            .identity(cond("Allow", "s3:PutObject", r#"{"StringEquals":{"aws:TagKeys":"a"}}"#))
            .implicit(IdentityBased),
        case("multivalued key, negated operator without a set operator: no match either", "IAM431")
            .ctx(tag_keys(&["a"]))
            .identity(allow("s3:PutObject", "*"))
            .identity(cond("Deny", "s3:PutObject", r#"{"StringNotEquals":{"aws:TagKeys":"team"}}"#))
            .allow(&["identity:0#0"]),
        case(
            "ForAnyValue:…IfExists on an absent key is false",
            "re:Post QU9HFmDzP0QGuU-fd7rS6B7w (a test against AWS)",
        )
        .identity(cond(
            "Allow",
            "s3:PutObject",
            r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"team"}}"#,
        ))
        .implicit(IdentityBased),
        // ---- Variables and version ----
        case("variable without a value matches nothing", "§7.34 [VAR] role sessions have no aws:username")
            .who(session())
            .req("s3:PutObject", "arn:aws:s3:::b/home/s/x", Some(A))
            .identity(allow("s3:PutObject", "arn:aws:s3:::b/home/${aws:username}/*"))
            .implicit(IdentityBased),
        case(
            "a variable with no value in NotResource excludes nothing",
            "IAM user guide, \"Policy variables with no value\": the resource \"will not match any resource\"",
        )
        .who(session())
        .req("s3:PutObject", "arn:aws:s3:::b/anything/x", Some(A))
        .identity(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","NotResource":"arn:aws:s3:::b/home/${aws:username}/*"}]}"#)
        .allow(&["identity:0#0"]),
        case(
            "a variable with no value makes a negated operator true",
            "IAM user guide: inverted operators \"do match against a null value\"",
        )
        .who(session())
        .identity(allow("s3:PutObject", "*"))
        .identity(r#"{"Version":"2012-10-17","Statement":[{"Sid":"OnlyOwnName","Effect":"Deny","Action":"s3:PutObject","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:role/${aws:username}"}}}]}"#)
        .explicit(IdentityBased, &["identity:1#OnlyOwnName"]),
        case("variable substituted", "[VAR]")
            .who(Principal::user(A, "/", "bob", "AIDAEXAMPLEUSERID0004"))
            .req("s3:PutObject", "arn:aws:s3:::b/home/bob/x", Some(A))
            .identity(allow("s3:PutObject", "arn:aws:s3:::b/home/${aws:username}/*"))
            .allow(&["identity:0#0"]),
        case("2008-10-17 keeps variables literal", "§7.35 [VER]")
            .who(Principal::user(A, "/", "bob", "AIDAEXAMPLEUSERID0004"))
            .req("s3:PutObject", "arn:aws:s3:::b/home/bob/x", Some(A))
            .bucket(r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/bob"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}]}"#)
            .implicit(IdentityBased),
        case("${*} is a literal star (match)", "§7.36 [VAR]")
            .req("s3:PutObject", "arn:aws:s3:::b/*", Some(A))
            .identity(allow("s3:PutObject", "arn:aws:s3:::b/${*}"))
            .allow(&["identity:0#0"]),
        case("${*} is a literal star (no match)", "§7.36 [VAR]")
            .req("s3:PutObject", "arn:aws:s3:::b/abc", Some(A))
            .identity(allow("s3:PutObject", "arn:aws:s3:::b/${*}"))
            .implicit(IdentityBased),
        case("variable default", "§7.37 [VAR]")
            .req("s3:PutObject", "arn:aws:s3:::b-company-wide/k", Some(A))
            .identity(allow("s3:PutObject", "arn:aws:s3:::b-${aws:PrincipalTag/team, 'company-wide'}/*"))
            .allow(&["identity:0#0"]),
        // ---- Boundaries and sessions ----
        case("boundary narrower than identity", "§7.38 [PB][AD] misconfigs M26")
            .identity(all_s3.clone())
            .boundary(allow("s3:GetObject", "*"))
            .implicit(PermissionsBoundary),
        case("boundary + identity both allow", "[PB] identity ∩ boundary")
            .identity(all_s3.clone())
            .boundary(allow("s3:*", "*"))
            .allow(&["identity:0#0", "boundary#0"]),
        case("bucket names user ARN, boundary does not apply", "§7.39 [EV table]")
            .boundary(allow("sts:GetCallerIdentity", "*"))
            .bucket(bucket(&format!("{{\"AWS\":\"{U}\"}}"), "s3:PutObject"))
            .allow(&["bucket#0"]),
        case("bucket names role ARN, boundary still applies", "§7.39 [EV table] gist george-angel")
            .who(session())
            .boundary(allow("sts:GetCallerIdentity", "*"))
            .bucket(bucket(&format!("{{\"AWS\":\"{R}\"}}"), "s3:PutObject"))
            .implicit(PermissionsBoundary),
        case("bucket names session ARN, boundary does not apply", "§7.40 [EV table]")
            .who(session())
            .boundary(allow("sts:GetCallerIdentity", "*"))
            .bucket(bucket(&format!("{{\"AWS\":\"{S}\"}}"), "s3:PutObject"))
            .allow(&["bucket#0"]),
        case("NotPrincipal+Deny always denies a bounded principal", "§7.41 [PB Important]")
            .identity(all_s3.clone())
            .boundary(allow("s3:*", "*"))
            .bucket(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","NotPrincipal":{{"AWS":["{U}","arn:aws:iam::{A}:root"]}},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}]}}"#))
            .explicit(ResourceBased, &["bucket#0"]),
        case("NotPrincipal+Deny spares a listed principal without boundary", "§7.41 [NP]")
            .identity(all_s3.clone())
            .bucket(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","NotPrincipal":{{"AWS":["{U}","arn:aws:iam::{A}:root"]}},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}]}}"#))
            .allow(&["identity:0#0"]),
        case("NotPrincipal+Deny listing only the session still denies", "[NP] list account, role and session")
            .who(session())
            .identity(all_s3.clone())
            .bucket(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","NotPrincipal":{{"AWS":"{S}"}},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}]}}"#))
            .explicit(ResourceBased, &["bucket#0"]),
        case("session policy narrower than role", "§7.42 [SP][STSAPI]")
            .who(session())
            .identity(all_s3.clone())
            .session(allow("s3:GetObject", "*"))
            .implicit(Session),
        case("role identity narrower than session policy", "§7.42 [SP]")
            .who(session())
            .identity(allow("s3:GetObject", "*"))
            .session(all_s3.clone())
            .implicit(IdentityBased),
        case("session + identity allow", "§7.42 [SP] identity ∩ session")
            .who(session())
            .identity(all_s3.clone())
            .session(all_s3.clone())
            .allow(&["identity:0#0", "session:0#0"]),
        case("session policy limits a role-ARN grant", "§7.43 [SP][EV]")
            .who(session())
            .session(allow("s3:GetObject", "*"))
            .bucket(bucket(&format!("{{\"AWS\":\"{R}\"}}"), "s3:PutObject"))
            .implicit(Session),
        case("session-ARN grant ignores the session policy", "§7.43 [SP][EV] (iam-simulate disagrees; verify live)")
            .who(session())
            .session(allow("s3:GetObject", "*"))
            .bucket(bucket(&format!("{{\"AWS\":\"{S}\"}}"), "s3:PutObject"))
            .allow(&["bucket#0"]),
        case("federated user without session policy", "§7.44 [EV step 7]")
            .who(Principal::federated_user(A, "f", Some(U)))
            .identity(all_s3.clone())
            .implicit(Session),
        case("federated user with session policy", "[EV step 7]")
            .who(Principal::federated_user(A, "f", Some(U)))
            .identity(all_s3.clone())
            .session(all_s3.clone())
            .allow(&["identity:0#0", "session:0#0"]),
        // ---- STS AssumeRole ----
        case("trust names the user, no identity policy", "§7.45 [STSAPI]")
            .trust(trust(&format!("{{\"AWS\":\"{U}\"}}")))
            .allow(&["trust#0"]),
        case("trust names the account, no identity policy", "§7.46 [STSAPI][PR]")
            .trust(trust(&format!("{{\"AWS\":\"arn:aws:iam::{A}:root\"}}")))
            .implicit(IdentityBased),
        case("trust names the account, identity allows", "§7.46 [STSAPI][PR]")
            .trust(trust(&format!("{{\"AWS\":\"arn:aws:iam::{A}:root\"}}")))
            .identity(allow("sts:AssumeRole", "arn:aws:iam::111111111111:role/target"))
            .allow(&["trust#0", "identity:0#0"]),
        case("trust is mandatory in the same account", "§7.47 [EV exceptions]")
            .trust(trust("{\"AWS\":\"arn:aws:iam::111111111111:user/other\"}"))
            .identity(allow("sts:AssumeRole", "*"))
            .implicit(RoleTrust),
        case("trust deny with Principal *", "§7.48 [EV] moto regression")
            .trust(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{U}"}},"Action":"sts:AssumeRole"}},{{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}}]}}"#))
            .explicit(RoleTrust, &["trust#1"]),
        case("cross-account trust names the user, no identity policy", "§7.49 [XA][STSAPI]")
            .who(user_b())
            .trust(trust("{\"AWS\":\"arn:aws:iam::222222222222:user/u\"}"))
            .implicit(IdentityBased),
        case("cross-account trust + identity", "§7.49 [XA][STSAPI]")
            .who(user_b())
            .trust(trust("{\"AWS\":\"arn:aws:iam::222222222222:user/u\"}"))
            .identity(allow("sts:AssumeRole", "arn:aws:iam::111111111111:role/target"))
            .allow(&["trust#0", "identity:0#0"]),
        case("trust names the role; its session assumes (chaining)", "§7.50 [TR][STSAPI]")
            .who(Principal::assumed_role(A, "/", "r2", "s", "AROAEXAMPLEROLEID0002"))
            .trust(trust("{\"AWS\":\"arn:aws:iam::111111111111:role/r2\"}"))
            .allow(&["trust#0"]),
        case("trust holds the old unique id of a re-created role", "§7.51 [PR]")
            .who(Principal::assumed_role(A, "/", "r2", "s", "AROAEXAMPLEROLEID0003"))
            .trust(trust("{\"AWS\":\"AROAEXAMPLEROLEID0002\"}"))
            .implicit(RoleTrust),
        case("trust unique id of the live role", "[PR] IAM stores unique ids")
            .who(Principal::assumed_role(A, "/", "r2", "s", "AROAEXAMPLEROLEID0002"))
            .trust(trust("{\"AWS\":\"AROAEXAMPLEROLEID0002\"}"))
            .allow(&["trust#0"]),
        case("ExternalId missing", "§7.52 [STSK][OPS] misconfigs M03")
            .trust(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{U}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"X"}}}}}}]}}"#))
            .implicit(RoleTrust),
        case("ExternalId wrong", "§7.52 [STSK][OPS] misconfigs M02")
            .ctx(RequestContext::new().set("sts:ExternalId", "Y"))
            .trust(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{U}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"X"}}}}}}]}}"#))
            .implicit(RoleTrust),
        case("ExternalId right", "§7.52 [STSK][OPS]")
            .ctx(RequestContext::new().set("sts:ExternalId", "X"))
            .trust(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{U}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"X"}}}}}}]}}"#))
            .allow(&["trust#0"]),
        case("session tags need sts:TagSession in the trust", "§7.53 [TAGS] misconfigs M05")
            .trust(trust(&format!("{{\"AWS\":\"{U}\"}}")))
            .req("sts:TagSession", "arn:aws:iam::111111111111:role/target", None)
            .implicit(RoleTrust),
        case("SourceIdentity needs sts:SetSourceIdentity", "§7.54 [STSK] misconfigs M06")
            .trust(trust(&format!("{{\"AWS\":\"{U}\"}}")))
            .req("sts:SetSourceIdentity", "arn:aws:iam::111111111111:role/target", None)
            .implicit(RoleTrust),
        case("boundary must allow AssumeRole even when named in trust", "§7.55 [TR] (unverified; configurable)")
            .boundary(allow("s3:*", "*"))
            .trust(trust(&format!("{{\"AWS\":\"{U}\"}}")))
            .implicit(PermissionsBoundary),
        case("boundary ignored for trust grants when configured", "§8 q1 [EV] alternative")
            .boundary(allow("s3:*", "*"))
            .trust(trust(&format!("{{\"AWS\":\"{U}\"}}")))
            .options(EvalOptions { boundary_limits_trust_grants: false, ..EvalOptions::default() })
            .allow(&["trust#0"]),
        case("GetCallerIdentity ignores an explicit deny", "§7.57 [GCI]")
            .req("sts:GetCallerIdentity", "*", None)
            .identity(id("Deny", "*", "*"))
            .allow(&[]),
        // ---- S3 write context ----
        case("ACL header needs s3:PutObjectAcl", "§7.60 [PUTOBJ] misconfigs M27")
            .req("s3:PutObjectAcl", OBJ, Some(A))
            .identity(put.clone())
            .implicit(IdentityBased),
        case("KMS key policy must allow even with identity allow", "§7.61 [EV exceptions] misconfigs M40")
            .req("kms:GenerateDataKey", "arn:aws:kms:us-east-1:111111111111:key/k", None)
            .identity(allow("kms:GenerateDataKey", "*"))
            .key_policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/other"},"Action":"kms:*","Resource":"*"}]}"#)
            .implicit(ResourceBased),
        case("KMS key policy delegating to the account + identity", "§7.61 [EV][PR] account principal delegates")
            .req("kms:GenerateDataKey", "arn:aws:kms:us-east-1:111111111111:key/k", None)
            .identity(allow("kms:GenerateDataKey", "*"))
            .key_policy(r#"{"Version":"2012-10-17","Statement":[{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}"#)
            .allow(&["key#EnableIAMUserPermissions", "identity:0#0"]),
        case("KMS key policy without identity grant", "§7.61 misconfigs M39")
            .req("kms:GenerateDataKey", "arn:aws:kms:us-east-1:111111111111:key/k", None)
            .key_policy(r#"{"Version":"2012-10-17","Statement":[{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}"#)
            .implicit(IdentityBased),
        // ---- SCP / RCP ----
        case("SCP without an allow for the action", "[EV][AD] SCP implicit deny")
            .identity(all_s3.clone())
            .scp(allow("ec2:*", "*"))
            .implicit(ServiceControl),
        case("SCP explicit deny", "[EV] misconfigs M54")
            .identity(all_s3.clone())
            .scp(allow("*", "*"))
            .scp(id("Deny", "s3:PutObject", "*"))
            .explicit(ServiceControl, &["scp:1#0"]),
        case("SCP allows, identity allows", "[EV] SCP ∩ identity")
            .identity(all_s3.clone())
            .scp(allow("*", "*"))
            .allow(&["scp:0#0", "identity:0#0"]),
        case("SCP caps the root user", "[EV] SCPs apply to root")
            .who(Principal::root(A))
            .scp(id("Deny", "s3:*", "*"))
            .explicit(ServiceControl, &["scp:0#0"]),
        case("anonymous callers ignore SCPs", "§1.7 iam-simulate anonymous (unverified)")
            .who(Principal::anonymous())
            .scp(id("Deny", "*", "*"))
            .bucket(bucket("\"*\"", "s3:PutObject"))
            .allow(&["bucket#0"]),
        case("RCP deny blocks anonymous callers", "§1.7 [RCP] (unverified)")
            .who(Principal::anonymous())
            .rcp(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#)
            .bucket(bucket("\"*\"", "s3:PutObject"))
            .explicit(ResourceControl, &["rcp:0#0"]),
    ]
}

#[test]
fn evaluation_edge_cases() {
    let cases = evaluation_cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let failures: Vec<String> = cases.iter().filter_map(|c| c.run().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The message forms of §7.62 [S3403][AD] and misconfigs §0, from real decisions.
#[test]
fn access_denied_messages_from_decisions() {
    let d = case("m", "§7.62")
        .identity(allow("s3:GetObject", "*"))
        .implicit(PolicyType::IdentityBased)
        .run()
        .unwrap();
    assert_eq!(
        access_denied_message(&d, Surface::S3, true),
        "User: arn:aws:iam::111111111111:user/u is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::b/k\" because no identity-based policy allows the s3:PutObject action"
    );
    assert_eq!(access_denied_message(&d, Surface::S3, false), "Access Denied");
    let d = case("t", "§7.47")
        .trust(trust("{\"AWS\":\"arn:aws:iam::111111111111:user/other\"}"))
        .implicit(PolicyType::RoleTrust)
        .run()
        .unwrap();
    assert_eq!(
        access_denied_message(&d, Surface::Sts, true),
        "User: arn:aws:iam::111111111111:user/u is not authorized to perform: sts:AssumeRole because no role trust policy allows the sts:AssumeRole action"
    );
    assert_eq!(
        access_denied_message(&d, Surface::Sts, false),
        "User: arn:aws:iam::111111111111:user/u is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/target"
    );
    // Near misses name what the closest statement missed (ExternalId, M02).
    let d = case("x", "§7.52")
        .ctx(RequestContext::new().set("sts:ExternalId", "Y"))
        .trust(format!(r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Vendor","Effect":"Allow","Principal":{{"AWS":"{U}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"X"}}}}}}]}}"#))
        .implicit(PolicyType::RoleTrust)
        .run()
        .unwrap();
    assert_eq!(d.closest.len(), 1);
    assert_eq!(d.closest[0].statement.to_string(), "trust#Vendor");
    let text = emulator::iam::explain_text(&d);
    assert!(text.contains("sts:ExternalId"), "{text}");
    assert!(text.contains("expected `X`, got `Y`"), "{text}");
    let json = emulator::iam::explain_json(&d);
    assert_eq!(json["effect"], "implicit-deny");
    assert_eq!(json["denied_by"], "role-trust");
    assert_eq!(json["closest"][0]["missed"][0]["element"], "condition");
}

/// One validation case: the policy must be rejected with this code, message and
/// position.
struct Invalid {
    name: &'static str,
    rule: &'static str,
    kind: PolicyKind,
    text: String,
    code: PolicyErrorCode,
    message: String,
    line: usize,
    column: usize,
}

fn invalid(
    name: &'static str,
    rule: &'static str,
    kind: PolicyKind,
    text: impl Into<String>,
    code: PolicyErrorCode,
    message: impl Into<String>,
    (line, column): (usize, usize),
) -> Invalid {
    Invalid {
        name,
        rule,
        kind,
        text: text.into(),
        code,
        message: message.into(),
        line,
        column,
    }
}

/// A managed policy with exactly `n` characters once whitespace is removed.
fn sized_policy(n: usize) -> String {
    let head = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::"#;
    let tail = r#""}]}"#;
    let pad = n - head.len() - tail.len();
    format!("{head}{}{tail}", "b".repeat(pad))
}

fn trust_sized(n: usize) -> String {
    let head = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/"#;
    let tail = r#""},"Action":"sts:AssumeRole"}]}"#;
    format!("{head}{}{tail}", "u".repeat(n - head.len() - tail.len()))
}

fn validation_cases() -> Vec<Invalid> {
    use PolicyErrorCode::*;
    use PolicyKind::*;
    const SYNTAX: &str = "Syntax errors in policy.";
    vec![
        invalid("lowercase effect", "§7.63 [EFF]", Identity,
            "{\"Version\":\"2012-10-17\",\n \"Statement\":{\"Effect\":\"allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}}",
            MalformedPolicyDocument, "The policy failed legacy parsing", (2, 24)),
        invalid("duplicate Effect", "§7.63 [GR] no repeated keys (message inferred)", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}"#,
            MalformedPolicyDocument, SYNTAX, (1, 55)),
        invalid("Action and NotAction", "§7.63 [ACT][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"}}"#,
            MalformedPolicyDocument, SYNTAX, (1, 79)),
        invalid("identity policy with Principal", "§7.64 [GR]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}"#,
            MalformedPolicyDocument, "Has prohibited field Principal", (1, 55)),
        invalid("trust policy with Resource", "§7.64 [GR][moto]", Trust,
            format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{U}"}},"Action":"sts:AssumeRole","Resource":"*"}}}}"#),
            MalformedPolicyDocument, "Has prohibited field Resource.", (1, 136)),
        invalid("managed policy over 6144", "§7.64 [Q]", Identity, sized_policy(6145),
            LimitExceeded, "Cannot exceed quota for PolicySize: 6144", (1, 1)),
        invalid("trust policy over 2048", "[Q] ACLSizePerRole", Trust, trust_sized(2049),
            LimitExceeded, "Cannot exceed quota for ACLSizePerRole: 2048", (1, 1)),
        invalid("no Version", "[VER][moto]", Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            MalformedPolicyDocument, "Policy document must be version 2012-10-17 or greater.", (1, 1)),
        invalid("2008 Version in an identity policy", "[VER][moto]", Identity,
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            MalformedPolicyDocument, "Policy document must be version 2012-10-17 or greater.", (1, 12)),
        invalid("unknown Version", "[GR][moto]", Identity,
            r#"{"Version":"2013-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            MalformedPolicyDocument, SYNTAX, (1, 12)),
        invalid("empty Statement", "[STM][moto]", Identity, r#"{"Version":"2012-10-17","Statement":[]}"#,
            MalformedPolicyDocument, SYNTAX, (1, 37)),
        invalid("duplicate Sid", "[SID][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"a","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            MalformedPolicyDocument, "Statement IDs (SID) in a single policy must be unique.", (1, 113)),
        invalid("Sid with a hyphen", "[SID] IAM allows only [A-Za-z0-9]", Identity,
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"my-sid","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            MalformedPolicyDocument, "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*", (1, 45)),
        invalid("action without vendor", "[ACT][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"invalid","Resource":"*"}}"#,
            MalformedPolicyDocument, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", (1, 64)),
        invalid("action with two colons", "[ACT][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:List:Bucket","Resource":"*"}}"#,
            MalformedPolicyDocument, "Actions/Condition can contain only one colon.", (1, 64)),
        invalid("bad vendor", "[ACT][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a a:ListBucket","Resource":"*"}}"#,
            MalformedPolicyDocument, "Vendor a a is not valid", (1, 64)),
        invalid("resource not an ARN", "[RES][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"invalid resource"}}"#,
            MalformedPolicyDocument, "Resource invalid resource must be in ARN format or \"*\".", (1, 91)),
        invalid("bad partition", "[RES][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:error:s3:::b"}}"#,
            MalformedPolicyDocument, "Partition \"error\" is not valid for resource \"arn:error:s3:::b\".", (1, 91)),
        invalid("IAM resource with a region", "[RES][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam:us-east-1::user/x"}}"#,
            MalformedPolicyDocument, "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information.", (1, 89)),
        invalid("missing resources", "[RES][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket"}}"#,
            MalformedPolicyDocument, "Policy statement must contain resources.", (1, 37)),
        invalid("missing actions", "[ACT][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}"#,
            MalformedPolicyDocument, "Policy statement must contain actions.", (1, 37)),
        invalid("bad date value", "[OPS][moto] legacy parsing", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"sdfdsf"}}}}"#,
            MalformedPolicyDocument, "The policy failed legacy parsing", (1, 145)),
        invalid("unknown condition operator", "[OPS][moto]", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}}"#,
            MalformedPolicyDocument, SYNTAX, (1, 108)),
        invalid("Null with IfExists", "[OPS] IfExists on any operator except Null", Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"NullIfExists":{"a":"true"}}}}"#,
            MalformedPolicyDocument, SYNTAX, (1, 108)),
        invalid("JSON error position", "[GR] errors carry line and column", Identity,
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [ {\"Effect\": \"Allow\",, } ]\n}",
            MalformedPolicyDocument, SYNTAX, (3, 37)),
        invalid("character outside the policy charset", "[Q] U+0009, U+000A, U+000D, U+0020–U+00FF", Identity,
            "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/\u{263A}\"}}",
            ValidationError,
            "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
            (1, 106)),
        invalid("session policy over 2048 characters", "§1.6 [STSAPI] plaintext ≤ 2048", Session,
            sized_policy(2049),
            ValidationError,
            "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048",
            (1, 1)),
        invalid("trust principal with a partial wildcard", "[PR] no partial wildcards", Trust,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/*"},"Action":"sts:AssumeRole"}}"#,
            MalformedPolicyDocument, "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111111111111:user/*\"", (1, 74)),
        invalid("trust policy with an S3 action", "§2 trust actions (moto text; unverified)", Trust,
            format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{U}"}},"Action":"s3:PutObject"}}}}"#),
            MalformedPolicyDocument, "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity", (1, 119)),
        invalid("trust policy with NotPrincipal", "[NP] not allowed in trust policies (message inferred)", Trust,
            format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","NotPrincipal":{{"AWS":"{U}"}},"Action":"sts:AssumeRole"}}}}"#),
            MalformedPolicyDocument, "Has prohibited field NotPrincipal", (1, 55)),
        // S3 PutBucketPolicy (MalformedPolicy)
        invalid("bucket: object action on bucket ARN", "§7.12 [RES][versitygw]", Bucket,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b"}]}"#,
            MalformedPolicy, "Action does not apply to any resource(s) in statement", (1, 81)),
        invalid("bucket: missing Principal", "[GR] principal required in resource policies", Bucket,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            MalformedPolicy, "Missing required field Principal", (1, 38)),
        invalid("bucket: partial-wildcard principal", "[PR] no partial wildcards", Bucket,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            MalformedPolicy, "Invalid principal in policy", (1, 68)),
        invalid("bucket: first byte", "§2 S3 rejects", Bucket, " {}",
            MalformedPolicy, "Policies must be valid JSON and the first byte must be '{'", (1, 1)),
        invalid("bucket: missing Statement", "§2 S3 rejects", Bucket, r#"{"Version":"2012-10-17"}"#,
            MalformedPolicy, "Missing required field Statement", (1, 1)),
        invalid("bucket: empty Statement", "§2 S3 rejects", Bucket, r#"{"Version":"2012-10-17","Statement":[]}"#,
            MalformedPolicy, "Could not parse the policy: Statement is empty!", (1, 37)),
        invalid("bucket: invalid JSON", "§2 S3 rejects", Bucket, r#"{"Version":"2012-10-17",}"#,
            MalformedPolicy, "This policy contains invalid Json", (1, 25)),
        invalid("bucket: non-S3 action", "§2 S3 rejects", Bucket,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"arn:aws:s3:::b/*"}]}"#,
            MalformedPolicy, "Policy has invalid action", (1, 81)),
        invalid("bucket: over 20 KB", "[S3BP] 20 KB", Bucket, format!("{{{}}}", " ".repeat(20480)),
            MalformedPolicy, "Policy exceeds the maximum allowed document size.", (1, 1)),
    ]
}

#[test]
fn validation_edge_cases() {
    let cases = validation_cases();
    let mut failures = Vec::new();
    for c in &cases {
        match Policy::parse(&c.text, c.kind) {
            Ok(_) => failures.push(format!("{} [{}]: accepted", c.name, c.rule)),
            Err(e) => {
                if e.code != c.code || e.message != c.message || (e.line, e.column) != (c.line, c.column) {
                    failures.push(format!(
                        "{} [{}]\n  expected {:?} {:?} at {}:{}\n  got      {:?} {:?} at {}:{}",
                        c.name,
                        c.rule,
                        c.code,
                        c.message,
                        c.line,
                        c.column,
                        e.code,
                        e.message,
                        e.line,
                        e.column
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn sizes_at_the_limit_are_accepted() {
    assert!(Policy::parse(&sized_policy(6144), PolicyKind::Identity).is_ok());
    // Whitespace is not counted (GR notes).
    let spaced = sized_policy(6144).replace(',', " ,\n ");
    assert!(Policy::parse(&spaced, PolicyKind::Identity).is_ok());
    assert!(Policy::parse(&trust_sized(2048), PolicyKind::Trust).is_ok());
    // A raised trust quota (Q: 2048 default, 4096 max).
    let opts = ParseOptions::default().with_max_size(4096);
    assert!(Policy::parse_with(&trust_sized(2049), PolicyKind::Trust, &opts).is_ok());
    // Bucket policies accept both versions and no version (§2, VER).
    for v in ["\"Version\":\"2008-10-17\",", "\"Version\":\"2012-10-17\",", ""] {
        let text = format!(
            r#"{{{v}"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}]}}"#
        );
        assert!(Policy::parse(&text, PolicyKind::Bucket).is_ok(), "{text}");
    }
}

#[test]
fn save_time_checks_that_need_the_world() {
    // Bucket policies must name their own bucket ("Policy has invalid resource").
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#;
    let e = Policy::parse_with(
        text,
        PolicyKind::Bucket,
        &ParseOptions::default().with_bucket("b"),
    )
    .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str(), e.column),
        (
            PolicyErrorCode::MalformedPolicy,
            "Policy has invalid resource",
            107
        )
    );
    assert!(Policy::parse_with(
        text,
        PolicyKind::Bucket,
        &ParseOptions::default().with_bucket("other")
    )
    .is_ok());
    // A principal that does not exist (misconfigs M12).
    let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:iam::111111111111:role/NonExistent"]},"Action":"sts:AssumeRole"}}"#;
    let p = Policy::parse(text, PolicyKind::Trust).unwrap();
    let e = check_principals_exist(&p, &|arn| arn.ends_with("/Exists")).unwrap_err();
    assert_eq!(
        e.message,
        "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111111111111:role/NonExistent\""
    );
    assert_eq!((e.line, e.column), (1, 90));
    assert!(check_principals_exist(&p, &|_| true).is_ok());
}
