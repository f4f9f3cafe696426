//! Validation at save time, per policy kind, with the messages IAM and S3 send.
//!
//! IAM (`MalformedPolicyDocument`): the stages and their order follow the
//! AWS-captured cases in moto's `tests/test_iam/test_iam_policies.py` and
//! `moto/iam/policy_validation.py` (iam.md §2): syntax → version → legacy
//! parsing → Sid uniqueness → actions present → resource format → action vendor
//! → per-kind rules (resources present, trust actions, prohibited fields) →
//! principals → size quota. Every error carries the line and column of the value
//! it is about (1:1 when it is about the whole document).
//!
//! S3 (`MalformedPolicy`): the messages mirrored in `versity/versitygw`
//! `auth/bucket_policy.go` (iam.md §2 "S3 PutBucketPolicy rejects").
//!
//! Inferred (not found documented; see each constant): the message for a
//! duplicate key (we treat it as a syntax error), S3's messages for an unknown
//! statement field, a bad `Effect` and an unknown condition operator, and the
//! size quotas and messages for SCPs, RCPs and KMS key policies.

use std::borrow::Cow;

use super::condition::{parse_date, Family, Operator};
use super::json::{self, minified_len, Json, Member, Node, Pos};
use super::policy::{
    build_principal, is_literal_list, is_principal, is_string_list, literal_list, statement_nodes,
    string_list, Policy, PolicyKind,
};
use super::principal::{AwsPrincipal, PrincipalSpec};

/// The AWS error code a validation failure is reported with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyErrorCode {
    /// IAM/STS/KMS: the document is not a valid policy (400).
    MalformedPolicyDocument,
    /// S3 `PutBucketPolicy`: the document is not a valid bucket policy (400).
    MalformedPolicy,
    /// IAM: the document exceeds a size quota (409).
    LimitExceeded,
    /// An API-level constraint (length, character set) failed (400).
    ValidationError,
}

impl PolicyErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedPolicyDocument => "MalformedPolicyDocument",
            Self::MalformedPolicy => "MalformedPolicy",
            Self::LimitExceeded => "LimitExceeded",
            Self::ValidationError => "ValidationError",
        }
    }
}

/// Why a policy was rejected, with AWS's exact message and the position of the
/// offending JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// The AWS error code.
    pub code: PolicyErrorCode,
    /// The message AWS sends.
    pub message: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
}

impl PolicyError {
    fn new(code: PolicyErrorCode, message: impl Into<String>, pos: Pos) -> Self {
        Self {
            code,
            message: message.into(),
            line: pos.line.max(1),
            column: pos.column.max(1),
        }
    }
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} (line {}, column {})",
            self.code.as_str(),
            self.message,
            self.line,
            self.column
        )
    }
}

impl std::error::Error for PolicyError {}

/// Options for [`Policy::parse_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseOptions {
    max_size: Option<usize>,
    bucket: Option<String>,
}

impl ParseOptions {
    /// Override the kind's size quota (e.g. 10240 for a role's inline policies,
    /// 4096 for a trust policy after a quota increase).
    #[must_use]
    pub fn with_max_size(mut self, max: usize) -> Self {
        self.max_size = Some(max);
        self
    }

    /// For a bucket policy: the bucket it is attached to; every `Resource` must
    /// name it ("Policy has invalid resource").
    #[must_use]
    pub fn with_bucket(mut self, bucket: &str) -> Self {
        self.bucket = Some(bucket.to_owned());
        self
    }
}

// ---- messages ---------------------------------------------------------------

const SYNTAX: &str = "Syntax errors in policy.";
const VERSION_2012: &str = "Policy document must be version 2012-10-17 or greater.";
const LEGACY: &str = "The policy failed legacy parsing";
const SID_UNIQUE: &str = "Statement IDs (SID) in a single policy must be unique.";
/// Widely reported IAM text (e.g. CloudTrail `CreatePolicy` failures).
const SID_ALNUM: &str =
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
const NEED_ACTIONS: &str = "Policy statement must contain actions.";
const NEED_RESOURCES: &str = "Policy statement must contain resources.";
const NO_VENDOR: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
const ONE_COLON: &str = "Actions/Condition can contain only one colon.";
const VENDOR_REGEX: &str = "Resource vendor must be fully qualified and cannot contain regexes.";
const PROHIBITED_RESOURCE: &str = "Has prohibited field Resource.";
/// moto's text (note the double space), cited by iam.md as unverified against AWS.
const TRUST_ACTIONS: &str = "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity";
const IAM_PATH_PREFIXES: [&str; 13] = [
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];
const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];
/// The `sts:` actions moto's trust validator accepts.
const TRUST_ACTION_NAMES: [&str; 11] = [
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:decodeauthorizationmessage",
    "sts:getaccesskeyinfo",
    "sts:getcalleridentity",
    "sts:getfederationtoken",
    "sts:getservicebearertoken",
    "sts:getsessiontoken",
    "sts:setsourceidentity",
    "sts:tagsession",
];

const S3_TOO_LARGE: &str = "Policy exceeds the maximum allowed document size.";
const S3_FIRST_BYTE: &str = "Policies must be valid JSON and the first byte must be '{'";
const S3_INVALID_JSON: &str = "This policy contains invalid Json";
const S3_MISSING_STATEMENT: &str = "Missing required field Statement";
const S3_EMPTY_STATEMENT: &str = "Could not parse the policy: Statement is empty!";
const S3_BAD_VERSION: &str = "The policy must contain a valid version string";
const S3_INVALID_PRINCIPAL: &str = "Invalid principal in policy";
const S3_INVALID_ACTION: &str = "Policy has invalid action";
const S3_INVALID_RESOURCE: &str = "Policy has invalid resource";
const S3_MISMATCH: &str = "Action does not apply to any resource(s) in statement";

const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// The error for a document that cannot be read at all.
pub(crate) fn syntax_error(kind: PolicyKind, pos: Pos) -> PolicyError {
    match kind {
        PolicyKind::Bucket => PolicyError::new(PolicyErrorCode::MalformedPolicy, S3_INVALID_JSON, pos),
        _ => PolicyError::new(PolicyErrorCode::MalformedPolicyDocument, SYNTAX, pos),
    }
}

const ORIGIN: Pos = Pos { line: 1, column: 1 };

/// Validate `text` as a policy of `kind`; on success return the JSON tree.
pub(crate) fn check<'t>(
    text: &'t str,
    kind: PolicyKind,
    options: &ParseOptions,
) -> Result<Node<'t>, PolicyError> {
    match kind {
        PolicyKind::Bucket => check_s3(text, options),
        _ => check_iam(text, kind, options),
    }
}

fn position_of_char(text: &str, index: usize) -> Pos {
    let mut pos = ORIGIN;
    for c in text.chars().take(index) {
        if c == '\n' {
            pos.line += 1;
            pos.column = 1;
        } else {
            pos.column += 1;
        }
    }
    pos
}

fn malformed(message: impl Into<String>, pos: Pos) -> PolicyError {
    PolicyError::new(PolicyErrorCode::MalformedPolicyDocument, message, pos)
}

/// The API parameter the document travels in, for `ValidationError` texts.
fn parameter(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Trust => "assumeRolePolicyDocument",
        PolicyKind::Session => "policy",
        PolicyKind::Scp | PolicyKind::Rcp => "content",
        PolicyKind::KmsKey => "policy",
        PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Bucket => "policyDocument",
    }
}

/// The size quota of `kind`.
fn quota(kind: PolicyKind, options: &ParseOptions) -> usize {
    let default = match kind {
        PolicyKind::Identity | PolicyKind::Boundary => 6144,
        PolicyKind::Trust | PolicyKind::Session => 2048,
        // Organizations' documented 5,120-character policy limit (inferred wording).
        PolicyKind::Scp | PolicyKind::Rcp => 5120,
        // KMS key policies: 32 KB (inferred wording).
        PolicyKind::KmsKey => 32768,
        PolicyKind::Bucket => 20480,
    };
    options.max_size.unwrap_or(default)
}

/// The error for a document of `kind` over its quota `max` (built only when one is).
fn too_large(kind: PolicyKind, max: usize) -> PolicyError {
    let (code, message) = match kind {
        PolicyKind::Trust => (
            PolicyErrorCode::LimitExceeded,
            format!("Cannot exceed quota for ACLSizePerRole: {max}"),
        ),
        PolicyKind::Session => (
            PolicyErrorCode::ValidationError,
            format!(
                "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ),
        ),
        PolicyKind::Bucket => (PolicyErrorCode::MalformedPolicy, S3_TOO_LARGE.to_owned()),
        _ => (
            PolicyErrorCode::LimitExceeded,
            format!("Cannot exceed quota for PolicySize: {max}"),
        ),
    };
    PolicyError::new(code, message, ORIGIN)
}

// ---- IAM --------------------------------------------------------------------

/// IAM's checks of an IAM-grammar policy (identity, boundary, session, trust,
/// SCP, RCP, key), one stage after another in the order IAM reports them: the
/// first failing stage is the error.
fn check_iam<'t>(text: &'t str, kind: PolicyKind, options: &ParseOptions) -> Result<Node<'t>, PolicyError> {
    charset(text, kind)?;
    let max = quota(kind, options);
    // Session policies: an API length constraint on the plaintext, checked first.
    // A text of at most `max` bytes has at most `max` characters: count only longer ones.
    if kind == PolicyKind::Session && text.len() > max && text.chars().count() > max {
        return Err(too_large(kind, max));
    }

    let root = json::parse(text).map_err(|e| malformed(SYNTAX, e.pos))?;
    let statements = iam_syntax(&root).map_err(|pos| malformed(SYNTAX, pos))?;
    version(&root, kind)?;
    principal_fields(&statements, kind)?;
    legacy(&statements)?;
    resource_legacy(&statements)?;
    sids(&statements, kind)?;
    for st in &statements {
        let actions = st.get("Action").or(st.get("NotAction"));
        if actions
            .and_then(|m| string_list(&m.value))
            .is_none_or(|l| l.is_empty())
        {
            return Err(malformed(NEED_ACTIONS, actions.map_or(st.pos, |m| m.value.pos)));
        }
    }
    if let Some(e) = first_resource_format_error(&statements) {
        return Err(e);
    }
    for key in ["Action", "NotAction"] {
        for st in &statements {
            if let Some(m) = st.get(key) {
                for (action, pos) in strings_with_pos(&m.value) {
                    if let Some(msg) = action_prefix_error(action) {
                        return Err(malformed(msg, pos));
                    }
                }
            }
        }
    }
    resources_and_trust_actions(&statements, kind)?;
    if kind.is_resource_policy() {
        for st in &statements {
            if let Some(m) = st.get("Principal").or(st.get("NotPrincipal")) {
                iam_principal_errors(&m.value, kind)?;
            }
        }
    }
    // The minified length never exceeds the byte length.
    if text.len() > max && minified_len(text) > max {
        return Err(too_large(kind, max));
    }
    Ok(root)
}

/// The API's character-set constraint on policy documents (reference_iam-quotas.html).
fn charset(text: &str, kind: PolicyKind) -> Result<(), PolicyError> {
    // Most documents are printable ASCII: one pass over bytes settles them.
    let ascii_ok = text
        .bytes()
        .all(|b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7F));
    let bad = if ascii_ok {
        None
    } else {
        text.chars()
            .position(|c| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}'))
    };
    match bad {
        Some(i) => Err(PolicyError::new(
            PolicyErrorCode::ValidationError,
            format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
                parameter(kind)
            ),
            position_of_char(text, i),
        )),
        None => Ok(()),
    }
}

/// Identity, boundary and session policies must say `"Version": "2012-10-17"`.
fn version(root: &Node<'_>, kind: PolicyKind) -> Result<(), PolicyError> {
    let identity_like = matches!(
        kind,
        PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session
    );
    if !identity_like {
        return Ok(());
    }
    match root.get("Version") {
        Some(v) if v.value.as_str() == Some("2012-10-17") => Ok(()),
        Some(v) => Err(malformed(VERSION_2012, v.value.pos)),
        None => Err(malformed(VERSION_2012, ORIGIN)),
    }
}

/// Principal / NotPrincipal where the kind forbids or requires them.
fn principal_fields(statements: &[&Node<'_>], kind: PolicyKind) -> Result<(), PolicyError> {
    for st in statements {
        let principal = st.get("Principal");
        let not_principal = st.get("NotPrincipal");
        match kind {
            PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session | PolicyKind::Scp => {
                if let Some(m) = principal.or(not_principal) {
                    return Err(malformed(format!("Has prohibited field {}", m.key), m.key_pos));
                }
            }
            PolicyKind::Trust | PolicyKind::Rcp | PolicyKind::KmsKey => {
                // NotPrincipal is not allowed in trust policies
                // (reference_policies_elements_notprincipal.html); message inferred.
                if let (PolicyKind::Trust, Some(m)) = (kind, not_principal) {
                    return Err(malformed("Has prohibited field NotPrincipal", m.key_pos));
                }
                if principal.is_none() && not_principal.is_none() {
                    return Err(malformed("Missing required field Principal", st.pos));
                }
            }
            PolicyKind::Bucket => {}
        }
    }
    Ok(())
}

/// Sids are unique; IAM allows only [A-Za-z0-9] in a Sid
/// (reference_policies_elements_sid.html), other services' resource policies more.
fn sids(statements: &[&Node<'_>], kind: PolicyKind) -> Result<(), PolicyError> {
    let mut seen: Vec<&str> = Vec::new();
    for st in statements {
        if let Some(m) = st.get("Sid") {
            let sid = m.value.as_str().unwrap_or_default();
            if sid.is_empty() {
                continue;
            }
            if seen.contains(&sid) {
                return Err(malformed(SID_UNIQUE, m.value.pos));
            }
            seen.push(sid);
        }
    }
    if matches!(
        kind,
        PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session | PolicyKind::Trust
    ) {
        for st in statements {
            if let Some(m) = st.get("Sid") {
                if !m
                    .value
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric())
                {
                    return Err(malformed(SID_ALNUM, m.value.pos));
                }
            }
        }
    }
    Ok(())
}

/// Identity-like policies and organization policies need resources; trust
/// policies allow only the sts actions and no resources.
fn resources_and_trust_actions(statements: &[&Node<'_>], kind: PolicyKind) -> Result<(), PolicyError> {
    match kind {
        PolicyKind::Identity
        | PolicyKind::Boundary
        | PolicyKind::Session
        | PolicyKind::Scp
        | PolicyKind::Rcp => {
            for st in statements {
                let res = st.get("Resource").or(st.get("NotResource"));
                if res
                    .and_then(|m| string_list(&m.value))
                    .is_none_or(|l| l.is_empty())
                {
                    return Err(malformed(NEED_RESOURCES, res.map_or(st.pos, |m| m.value.pos)));
                }
            }
        }
        PolicyKind::Trust => {
            for st in statements {
                for key in ["Action", "NotAction"] {
                    if let Some(m) = st.get(key) {
                        for (action, pos) in strings_with_pos(&m.value) {
                            if !trust_action_allowed(action) {
                                return Err(malformed(TRUST_ACTIONS, pos));
                            }
                        }
                    }
                }
            }
            for st in statements {
                if let Some(m) = st.get("Resource").or(st.get("NotResource")) {
                    return Err(malformed(PROHIBITED_RESOURCE, m.key_pos));
                }
            }
        }
        PolicyKind::KmsKey | PolicyKind::Bucket => {}
    }
    Ok(())
}

/// Stage 1: the shape of the document. Returns the statement objects or the
/// position of the first problem ("Syntax errors in policy.").
fn iam_syntax<'a, 't>(root: &'a Node<'t>) -> Result<Vec<&'a Node<'t>>, Pos> {
    let top = root.as_object().ok_or(root.pos)?;
    if let Some(d) = root.first_duplicate_key() {
        // "Individual elements must not contain multiple instances of the same key"
        // (grammar notes); the message is inferred.
        return Err(d.key_pos);
    }
    if let Some(m) = top
        .iter()
        .find(|m| !matches!(&*m.key, "Version" | "Id" | "Statement"))
    {
        return Err(m.key_pos);
    }
    if let Some(v) = root.get("Version") {
        if !matches!(v.value.as_str(), Some("2008-10-17" | "2012-10-17")) {
            return Err(v.value.pos);
        }
    }
    if let Some(id) = root.get("Id") {
        if id.value.as_str().is_none() {
            return Err(id.value.pos);
        }
    }
    let st = root.get("Statement").ok_or(root.pos)?;
    let nodes = statement_nodes(&st.value).ok_or(st.value.pos)?;
    if nodes.is_empty() {
        return Err(st.value.pos);
    }
    for n in &nodes {
        statement_syntax(n)?;
    }
    Ok(nodes)
}

fn statement_syntax(n: &Node) -> Result<(), Pos> {
    let members = n.as_object().ok_or(n.pos)?;
    if let Some(m) = members.iter().find(|m| !STATEMENT_KEYS.contains(&&*m.key)) {
        return Err(m.key_pos);
    }
    for (a, b) in [
        ("Resource", "NotResource"),
        ("Action", "NotAction"),
        ("Principal", "NotPrincipal"),
    ] {
        if let (Some(_), Some(m)) = (n.get(a), n.get(b)) {
            return Err(m.key_pos);
        }
    }
    let effect = n.get("Effect").ok_or(n.pos)?;
    match effect.value.as_str() {
        Some(e) if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") => {}
        _ => return Err(effect.value.pos),
    }
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        match n.get(key) {
            Some(m) if !is_string_list(&m.value) => return Err(m.value.pos),
            _ => {}
        }
    }
    for key in ["Principal", "NotPrincipal"] {
        match n.get(key) {
            Some(m) if !is_principal(&m.value) => return Err(m.value.pos),
            _ => {}
        }
    }
    if let Some(c) = n.get("Condition") {
        for op in c.value.as_object().ok_or(c.value.pos)? {
            let entries = op.value.as_object().ok_or(op.value.pos)?;
            if let Some(e) = entries.iter().find(|e| !is_literal_list(&e.value)) {
                return Err(e.value.pos);
            }
            let operator = Operator::parse(&op.key);
            match operator.def {
                // An unknown operator is accepted only with an empty map (moto cases).
                None if !entries.is_empty() => return Err(op.key_pos),
                Some(d) if d.family == Family::Null && operator.if_exists => return Err(op.key_pos),
                _ => {}
            }
        }
    }
    if let Some(m) = n.get("Sid") {
        m.value.as_str().ok_or(m.value.pos)?;
    }
    Ok(())
}

/// Stage 3: `Effect` case, date values ("The policy failed legacy parsing").
fn legacy(statements: &[&Node]) -> Result<(), PolicyError> {
    for st in statements {
        if let Some(m) = st.get("Effect") {
            if !matches!(m.value.as_str(), Some("Allow" | "Deny")) {
                return Err(malformed(LEGACY, m.value.pos));
            }
        }
        if let Some(c) = st.get("Condition") {
            for op in c.value.as_object().unwrap_or_default() {
                if Operator::parse(&op.key).def.map(|d| d.family) != Some(Family::Date) {
                    continue;
                }
                for e in op.value.as_object().unwrap_or_default() {
                    for (value, pos) in scalars_with_pos(&e.value) {
                        if parse_date(&value).is_none() {
                            return Err(malformed(LEGACY, pos));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The strings of a string or an array (other items skipped), with positions.
fn strings_with_pos<'a>(node: &'a Node<'_>) -> impl Iterator<Item = (&'a str, Pos)> {
    let items = match &node.value {
        Json::Array(items) => items.as_slice(),
        _ => std::slice::from_ref(node),
    };
    items.iter().filter_map(|n| n.as_str().map(|s| (s, n.pos)))
}

fn scalars_with_pos<'a>(node: &'a Node<'_>) -> Vec<(Cow<'a, str>, Pos)> {
    let one = |n: &'a Node<'_>| match &n.value {
        Json::String(s) => Some((Cow::Borrowed(&**s), n.pos)),
        Json::Number(s) => Some((Cow::Borrowed(*s), n.pos)),
        Json::Bool(b) => Some((Cow::Owned(b.to_string()), n.pos)),
        _ => None,
    };
    match &node.value {
        Json::Array(items) => items.iter().filter_map(one).collect(),
        _ => one(node).into_iter().collect(),
    }
}

/// The first `Resource`/`NotResource` format error (IAM's specific messages).
fn first_resource_format_error(statements: &[&Node]) -> Option<PolicyError> {
    for key in ["Resource", "NotResource"] {
        for st in statements {
            let Some(m) = st.get(key) else {
                continue;
            };
            for (r, pos) in strings_with_pos(&m.value) {
                if let Some(msg) = resource_format_error(r) {
                    return Some(malformed(msg, pos));
                }
            }
        }
    }
    None
}

/// The legacy resource rule, applied (as moto's captured validator does) only
/// while no resource has had a format error.
fn resource_legacy(statements: &[&Node]) -> Result<(), PolicyError> {
    for key in ["Resource", "NotResource"] {
        for st in statements {
            let Some(m) = st.get(key) else {
                continue;
            };
            if strings_with_pos(&m.value).any(|(r, _)| resource_format_error(r).is_some()) {
                return Ok(());
            }
            if let Some((_, pos)) = strings_with_pos(&m.value).find(|(r, _)| !resource_legacy_ok(r)) {
                return Err(malformed(LEGACY, pos));
            }
        }
    }
    Ok(())
}

/// IAM's resource-format checks, in moto's order.
fn resource_format_error(r: &str) -> Option<String> {
    if r == "*" {
        return None;
    }
    let Some((_, rest)) = r.split_once(':') else {
        return Some(format!("Resource {r} must be in ARN format or \"*\"."));
    };
    let (partition, after_partition) = match rest.split_once(':') {
        Some((p, a)) => (p, Some(a)),
        None => (rest, None),
    };
    if !PARTITIONS.contains(&partition) {
        let remaining: Vec<&str> = after_partition.unwrap_or_default().split(':').collect();
        let at = |i: usize| remaining.get(i).copied();
        let arn1 = match at(0) {
            Some(s) if !s.is_empty() || remaining.len() > 1 => s,
            _ => "*",
        };
        let arn2 = at(1).unwrap_or("*");
        let arn3 = at(2).unwrap_or("*");
        let arn4 = if remaining.len() > 3 {
            remaining.get(3..).unwrap_or_default().join(":")
        } else {
            "*".to_owned()
        };
        return Some(format!(
            "Partition \"{partition}\" is not valid for resource \"arn:{partition}:{arn1}:{arn2}:{arn3}:{arn4}\"."
        ));
    }
    let Some(after_partition) = after_partition else {
        return Some(VENDOR_REGEX.to_owned());
    };
    let (service, after_service) = after_partition.split_once(':').unwrap_or((after_partition, ""));
    if service.contains(['*', '?']) {
        return Some(VENDOR_REGEX.to_owned());
    }
    // As moto's captured rule: anything but `:` right after the service is a region.
    let region_present = !after_service.starts_with(':');
    let resource_part = after_service.splitn(3, ':').nth(2).unwrap_or_default();
    match service {
        "iam" if region_present => {
            return Some(format!("IAM resource {r} cannot contain region information."))
        }
        "s3" if region_present && !resource_part.starts_with("accesspoint/") => {
            return Some(format!("Resource {r} can not contain region information."))
        }
        "iam" if !IAM_PATH_PREFIXES.iter().any(|p| resource_part.starts_with(p)) && resource_part != "*" => {
            return Some(format!(
                "IAM resource path must either be \"*\" or start with {}.",
                IAM_PATH_PREFIXES.join(", ")
            ))
        }
        _ => {}
    }
    None
}

/// moto's legacy rule: a short ARN must not contain `::`, and the service must
/// not be empty.
fn resource_legacy_ok(r: &str) -> bool {
    if r == "*" {
        return true;
    }
    // On bytes (`:` is ASCII): this runs for every resource of every policy.
    let b = r.as_bytes();
    let mut colons = b.iter().enumerate().filter(|(_, c)| **c == b':').map(|(i, _)| i);
    let second = colons.nth(1);
    let count = second.map_or(0, |_| 2 + colons.count());
    // The third `:`-separated field, when there is one, is empty.
    let service_empty = second.is_some_and(|i| matches!(b.get(i + 1), None | Some(b':')));
    (count >= 5 || !b.windows(2).any(|w| w == b"::")) && !service_empty
}

fn action_prefix_error(action: &str) -> Option<String> {
    let mut parts = action.split(':');
    let vendor = parts.next().unwrap_or_default();
    let count = 1 + parts.count();
    if count == 1 && vendor != "*" {
        return Some(NO_VENDOR.to_owned());
    }
    if count > 2 {
        return Some(ONE_COLON.to_owned());
    }
    if vendor != "*"
        && !vendor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Some(format!("Vendor {vendor} is not valid"));
    }
    None
}

fn trust_action_allowed(action: &str) -> bool {
    let lc = action.to_ascii_lowercase();
    TRUST_ACTION_NAMES.contains(&lc.as_str()) || lc == "*" || lc == "sts:*"
}

/// `Invalid principal in policy: "AWS":"…"` (IAM's text, widely reported; the
/// upper-case `SERVICE`/`FEDERATED`/`CANONICALUSER` keys are inferred).
fn iam_principal_errors(node: &Node, kind: PolicyKind) -> Result<(), PolicyError> {
    let Some(PrincipalSpec::Map(map)) = build_principal(node) else {
        return Ok(());
    };
    if let Some(e) = map.aws.iter().find(|e| e.kind == AwsPrincipal::Invalid) {
        return Err(malformed(
            format!("Invalid principal in policy: \"AWS\":\"{}\"", e.raw),
            e.pos,
        ));
    }
    let bad = |label: &str, s: &str| {
        malformed(
            format!("Invalid principal in policy: \"{label}\":\"{s}\""),
            node.pos,
        )
    };
    if let Some(s) = map.service.iter().find(|s| !valid_service(s)) {
        return Err(bad("SERVICE", s));
    }
    if let Some(s) = map.federated.iter().find(|s| s.is_empty() || s.contains('*')) {
        return Err(bad("FEDERATED", s));
    }
    // CanonicalUser is S3-only (grammar notes).
    if let (Some(s), true) = (map.canonical_user.first(), kind != PolicyKind::Bucket) {
        return Err(bad("CANONICALUSER", s));
    }
    Ok(())
}

fn valid_service(s: &str) -> bool {
    s == "*" || (!s.is_empty() && s.contains('.') && !s.contains(['*', '?', ' ']))
}

// ---- S3 ---------------------------------------------------------------------

fn s3_error(message: impl Into<String>, pos: Pos) -> PolicyError {
    PolicyError::new(PolicyErrorCode::MalformedPolicy, message, pos)
}

fn check_s3<'t>(text: &'t str, options: &ParseOptions) -> Result<Node<'t>, PolicyError> {
    let max = quota(PolicyKind::Bucket, options);
    if text.len() > max {
        return Err(too_large(PolicyKind::Bucket, max));
    }
    if !text.starts_with('{') {
        return Err(s3_error(S3_FIRST_BYTE, ORIGIN));
    }
    let root = json::parse(text).map_err(|e| s3_error(S3_INVALID_JSON, e.pos))?;
    if let Some(d) = root.first_duplicate_key() {
        return Err(s3_error(S3_INVALID_JSON, d.key_pos));
    }
    let top = root.as_object().unwrap_or_default();
    if let Some(m) = top
        .iter()
        .find(|m| !matches!(&*m.key, "Version" | "Id" | "Statement"))
    {
        // Inferred wording.
        return Err(s3_error(format!("Unknown field {}", m.key), m.key_pos));
    }
    if let Some(v) = root.get("Version") {
        if !matches!(v.value.as_str(), Some("2008-10-17" | "2012-10-17")) {
            return Err(s3_error(S3_BAD_VERSION, v.value.pos));
        }
    }
    let st = root
        .get("Statement")
        .ok_or_else(|| s3_error(S3_MISSING_STATEMENT, ORIGIN))?;
    let statements = statement_nodes(&st.value).ok_or_else(|| s3_error(S3_INVALID_JSON, st.value.pos))?;
    if statements.is_empty() {
        return Err(s3_error(S3_EMPTY_STATEMENT, st.value.pos));
    }
    for n in &statements {
        s3_statement(n, options)?;
    }
    Ok(root)
}

fn s3_statement(n: &Node, options: &ParseOptions) -> Result<(), PolicyError> {
    let members = n.as_object().ok_or_else(|| s3_error(S3_INVALID_JSON, n.pos))?;
    if let Some(m) = members.iter().find(|m| !STATEMENT_KEYS.contains(&&*m.key)) {
        return Err(s3_error(format!("Unknown field {}", m.key), m.key_pos));
    }
    for (a, b) in [
        ("Resource", "NotResource"),
        ("Action", "NotAction"),
        ("Principal", "NotPrincipal"),
    ] {
        if let (Some(_), Some(m)) = (n.get(a), n.get(b)) {
            return Err(s3_error(S3_INVALID_JSON, m.key_pos));
        }
    }
    let effect = n
        .get("Effect")
        .ok_or_else(|| s3_error("Missing required field Effect", n.pos))?;
    if !matches!(effect.value.as_str(), Some("Allow" | "Deny")) {
        let shown = effect.value.as_str().unwrap_or_default();
        return Err(s3_error(format!("Invalid effect: {shown}"), effect.value.pos));
    }
    let principal = n
        .get("Principal")
        .or(n.get("NotPrincipal"))
        .ok_or_else(|| s3_error("Missing required field Principal", n.pos))?;
    match build_principal(&principal.value) {
        Some(PrincipalSpec::Any) => {}
        Some(PrincipalSpec::Map(map))
            if !map.aws.iter().any(|e| e.kind == AwsPrincipal::Invalid)
                && map.service.iter().all(|s| valid_service(s))
                && map.federated.is_empty()
                && map.present.iter().any(|p| *p) => {}
        _ => return Err(s3_error(S3_INVALID_PRINCIPAL, principal.value.pos)),
    }
    let actions = n
        .get("Action")
        .or(n.get("NotAction"))
        .ok_or_else(|| s3_error("Missing required field Action", n.pos))?;
    let action_list: Vec<(&str, Pos)> = strings_with_pos(&actions.value).collect();
    if string_list(&actions.value).is_none_or(|l| l.is_empty()) {
        return Err(s3_error(S3_INVALID_ACTION, actions.value.pos));
    }
    for (a, pos) in &action_list {
        if !s3_action_valid(a) {
            return Err(s3_error(S3_INVALID_ACTION, *pos));
        }
    }
    let resources = n
        .get("Resource")
        .or(n.get("NotResource"))
        .ok_or_else(|| s3_error("Missing required field Resource", n.pos))?;
    let resource_list: Vec<(&str, Pos)> = strings_with_pos(&resources.value).collect();
    if string_list(&resources.value).is_none_or(|l| l.is_empty()) {
        return Err(s3_error(S3_INVALID_RESOURCE, resources.value.pos));
    }
    for (r, pos) in &resource_list {
        if !s3_resource_valid(r, options.bucket.as_deref()) {
            return Err(s3_error(S3_INVALID_RESOURCE, *pos));
        }
    }
    if actions.key == "Action" && resources.key == "Resource" {
        s3_action_levels(&action_list, &resource_list)?;
    }
    if let Some(c) = n.get("Condition") {
        s3_condition(c)?;
    }
    if let Some(m) = n.get("Sid") {
        m.value
            .as_str()
            .ok_or_else(|| s3_error(S3_INVALID_JSON, m.value.pos))?;
    }
    Ok(())
}

/// Every object action needs an object resource and every bucket action a
/// bucket resource ("Action does not apply to any resource(s) in statement").
fn s3_action_levels(actions: &[(&str, Pos)], resources: &[(&str, Pos)]) -> Result<(), PolicyError> {
    let parts: Vec<&str> = resources.iter().map(|(r, _)| s3_resource_part(r)).collect();
    let object_ok = parts.iter().any(|p| p.contains(['/', '*']));
    let bucket_ok = parts.iter().any(|p| !p.contains('/'));
    for (a, pos) in actions {
        let applies = match s3_action_level(a) {
            Some(Level::Object) => object_ok,
            Some(Level::Bucket) => bucket_ok,
            None => true,
        };
        if !applies {
            return Err(s3_error(S3_MISMATCH, *pos));
        }
    }
    Ok(())
}

/// A bucket policy's `Condition`: known operators (no `IfExists` on `Null`), lists of literals.
fn s3_condition(c: &Member<'_>) -> Result<(), PolicyError> {
    let ops = c
        .value
        .as_object()
        .ok_or_else(|| s3_error(S3_INVALID_JSON, c.value.pos))?;
    for op in ops {
        let operator = Operator::parse(&op.key);
        if operator.def.is_none()
            || (operator.if_exists && operator.def.is_some_and(|d| d.family == Family::Null))
        {
            // Inferred wording.
            return Err(s3_error(
                format!("Invalid Condition type : {}", op.key),
                op.key_pos,
            ));
        }
        for e in op
            .value
            .as_object()
            .ok_or_else(|| s3_error(S3_INVALID_JSON, op.value.pos))?
        {
            literal_list(&e.value).ok_or_else(|| s3_error(S3_INVALID_JSON, e.value.pos))?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Object,
    Bucket,
}

/// Which resource type an exact S3 action applies to; `None` when unknown or
/// wildcarded (then it is assumed to apply). A coarse stand-in for the Service
/// Authorization Reference's action → resource table.
fn s3_action_level(action: &str) -> Option<Level> {
    let (vendor, name) = action.split_once(':')?;
    if !vendor.eq_ignore_ascii_case("s3") || name.contains(['*', '?']) {
        return None;
    }
    let name = name.to_ascii_lowercase();
    if name.contains("bucket") {
        Some(Level::Bucket)
    } else if name.contains("object") || name == "abortmultipartupload" || name == "listmultipartuploadparts"
    {
        Some(Level::Object)
    } else {
        None
    }
}

fn s3_action_valid(a: &str) -> bool {
    if a == "*" {
        return true;
    }
    match a.split_once(':') {
        Some((vendor, name)) => {
            vendor.eq_ignore_ascii_case("s3")
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
        }
        None => false,
    }
}

fn s3_resource_part(r: &str) -> &str {
    if r == "*" {
        return "*";
    }
    r.splitn(6, ':').nth(5).unwrap_or_default()
}

fn s3_resource_valid(r: &str, bucket: Option<&str>) -> bool {
    if r == "*" {
        return true;
    }
    let mut parts = r.splitn(6, ':');
    let ok = matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("arn"), Some(p), Some("s3"), Some(""), Some(""), Some(res)) if PARTITIONS.contains(&p) && !res.is_empty()
    );
    if !ok {
        return false;
    }
    match bucket {
        None => true,
        Some(b) => {
            let bucket_pattern = s3_resource_part(r).split('/').next().unwrap_or_default();
            super::pattern::Wildcard::new(bucket_pattern).matches(b)
        }
    }
}

/// Check that every `AWS` principal a resource policy names exists, as IAM and
/// S3 do on save (`MalformedPolicyDocument`/`MalformedPolicy`: `Invalid principal
/// in policy`). `exists` is asked about user, role and session ARNs and unique
/// ids; `*` and accounts are not checked.
pub fn check_principals_exist(policy: &Policy, exists: &dyn Fn(&str) -> bool) -> Result<(), PolicyError> {
    for st in policy.statements() {
        let Some(PrincipalSpec::Map(map)) = st.principal.as_ref().map(|p| &p.spec) else {
            continue;
        };
        for e in &map.aws {
            if matches!(e.kind, AwsPrincipal::Any | AwsPrincipal::Account(_)) || exists(&e.raw) {
                continue;
            }
            return Err(match policy.kind() {
                PolicyKind::Bucket => s3_error(S3_INVALID_PRINCIPAL, e.pos),
                _ => malformed(
                    format!("Invalid principal in policy: \"AWS\":\"{}\"", e.raw),
                    e.pos,
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str, kind: PolicyKind) -> String {
        Policy::parse(text, kind).unwrap_err().message
    }

    #[test]
    fn legacy_resource_rule_on_bytes() {
        // The rule as moto states it, on strings.
        let oracle = |r: &str| {
            r == "*"
                || ((r.matches(':').count() >= 5 || !r.contains("::"))
                    && r.split(':').nth(2).is_none_or(|s| !s.is_empty()))
        };
        for r in [
            "*",
            "",
            ":",
            "::",
            ":::",
            "a",
            "a:b",
            "a:b:",
            "a::b",
            "a:b::c",
            "arn:aws:s3:::b",
            "arn:aws::r:a:x",
            "arn:aws:s3",
            "arn:aws:s3:",
            "arn::s3:::b",
            "arn:aws:iam::1:role/x",
            "a:b:c:d:e",
            "a:b:c:d:e:f::",
            "é:ü::",
            "arn:aws:",
            "arn:aws::",
            "x::y:z:w:v",
        ] {
            assert_eq!(resource_legacy_ok(r), oracle(r), "{r:?}");
        }
    }

    #[test]
    fn resource_format_messages() {
        assert_eq!(
            resource_format_error("aws:s3:::example_bucket").as_deref(),
            Some("Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\".")
        );
        assert_eq!(
            resource_format_error("a:bsdfdsafsad").as_deref(),
            Some("Partition \"bsdfdsafsad\" is not valid for resource \"arn:bsdfdsafsad:*:*:*:*\".")
        );
        assert_eq!(
            resource_format_error("a:b:c:d:e:f:g:h").as_deref(),
            Some("Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\".")
        );
        assert_eq!(resource_format_error("arn:aws").as_deref(), Some(VENDOR_REGEX));
        assert!(resource_format_error("arn:aws:iam:::example_bucket")
            .is_some_and(|m| m.starts_with("IAM resource path")));
        assert_eq!(resource_format_error("arn:aws:iam:::user/x"), None);
        assert_eq!(resource_format_error("arn:aws:fdsasf"), None);
        assert_eq!(resource_format_error("arn:aws:s3:::b/*"), None);
        assert!(!resource_legacy_ok("arn:aws:s3::example_bucket"));
        assert!(!resource_legacy_ok("arn:aws::fdsasf"));
        assert!(!resource_legacy_ok("arn:aws::::example_bucket"));
        assert!(resource_legacy_ok("arn:aws:fdsasf"));
    }

    #[test]
    fn moto_valid_documents_pass() {
        let docs = [
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam: asdf safdsf af ","Resource":"arn:aws:s3:::example_bucket"}}"#,
            r#"{"Version":"2012-10-17","Id":"sdfsdfsdf","Statement":{"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"a":{}}}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateGreaterThan":{"a":"01T"}}}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateLessThan":{"a":"-292275054"}}}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:cloudwatch:us-east-1::example_bucket"}}"#,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3:ListBucket","NotResource":"*"}}"#,
        ];
        for d in docs {
            assert!(
                Policy::parse(d, PolicyKind::Identity).is_ok(),
                "{d}: {:?}",
                Policy::parse(d, PolicyKind::Identity)
            );
        }
    }

    #[test]
    fn staged_messages() {
        assert_eq!(err("This is not a json document", PolicyKind::Identity), SYNTAX);
        assert_eq!(err(r#"{"Version":"2012-10-17"}"#, PolicyKind::Identity), SYNTAX);
        assert_eq!(
            err(
                r#"{"Statement":{"Effect":"denY","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}"#,
                PolicyKind::Identity
            ),
            VERSION_2012
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"invalid"}}"#,
                PolicyKind::Identity
            ),
            NO_VENDOR
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"arn:aws:s3::example_bucket"}}"#,
                PolicyKind::Identity
            ),
            LEGACY
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:error:s3:::example_bucket","arn:error:s3::example_bucket"]}}"#,
                PolicyKind::Identity
            ),
            "Partition \"error\" is not valid for resource \"arn:error:s3:::example_bucket\"."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"allow","Resource":"arn:aws:s3:us-east-1::example_bucket"}}"#,
                PolicyKind::Identity
            ),
            LEGACY
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:us-east-1::example_bucket"}}"#,
                PolicyKind::Identity
            ),
            "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information."
        );
        assert_eq!(
            err(
                r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"asf"}}}}"#,
                PolicyKind::Identity
            ),
            SYNTAX
        );
    }
}
