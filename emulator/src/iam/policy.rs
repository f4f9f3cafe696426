//! The policy document: parsed once, with every pattern compiled, and printable
//! back to JSON so that parse → print → parse gives an equal [`Policy`].
//!
//! Grammar (`reference_policies_grammar.html`): `Version` (`2008-10-17` or
//! `2012-10-17`), `Id`, `Statement` (an object or an array); each statement has
//! `Sid`, `Effect`, `Principal`|`NotPrincipal`, `Action`|`NotAction`,
//! `Resource`|`NotResource`, `Condition`. Blocks may come in any order; a scalar
//! is the same as a one-element array. Printing normalises those two choices
//! (statements always print as an array, one-element lists as scalars) and puts
//! keys in a fixed order; everything else prints as written.

use super::condition::{ConditionEntry, Literal, LiteralKind, Operator, OperatorBlock};
use super::decision::StatementEffect;
use super::json::{self, write_string, Json, Node};
use super::pattern::{ArnPattern, Wildcard};
use super::principal::{write_list, AwsEntry, AwsPrincipal, PrincipalMap, PrincipalSpec};
use super::validate::{self, ParseOptions, PolicyError};

/// What a policy is attached to; decides the validation rules and size quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A user's or role's inline or managed permissions policy.
    Identity,
    /// An S3 bucket policy.
    Bucket,
    /// A role trust policy (the role's resource policy for `sts:AssumeRole`).
    Trust,
    /// A session policy passed to `AssumeRole`/`GetFederationToken`.
    Session,
    /// A permissions boundary (a managed policy).
    Boundary,
    /// An Organizations service control policy.
    Scp,
    /// An Organizations resource control policy.
    Rcp,
    /// A KMS key policy.
    KmsKey,
}

impl PolicyKind {
    /// Whether the policy is attached to a resource and names principals.
    pub fn is_resource_policy(self) -> bool {
        matches!(self, Self::Bucket | Self::Trust | Self::Rcp | Self::KmsKey)
    }

    /// Whether the policy must explicitly allow even a same-account principal:
    /// "an IAM role trust policy and a KMS key policy must always explicitly allow
    /// the principal" (`reference_policies_evaluation-logic.html`).
    pub fn always_required(self) -> bool {
        matches!(self, Self::Trust | Self::KmsKey)
    }
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `2008-10-17`: policy variables are literal text.
    V2008_10_17,
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
}

impl Version {
    /// As written in a policy.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2008_10_17 => "2008-10-17",
            Self::V2012_10_17 => "2012-10-17",
        }
    }
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalBlock {
    /// `NotPrincipal`.
    pub negated: bool,
    /// The value.
    pub spec: PrincipalSpec,
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionBlock {
    /// `NotAction`.
    pub negated: bool,
    /// The patterns, case-insensitive.
    pub patterns: Vec<Wildcard>,
}

impl ActionBlock {
    /// Does the block cover `action`?
    pub fn covers(&self, action: &str) -> bool {
        self.patterns.iter().any(|p| p.matches_fold(action)) != self.negated
    }
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceBlock {
    /// `NotResource`.
    pub negated: bool,
    /// The patterns.
    pub patterns: Vec<ArnPattern>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `Sid`, if present (an empty `Sid` is kept as written).
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: StatementEffect,
    /// `Principal`/`NotPrincipal`; absent in identity-type policies.
    pub principal: Option<PrincipalBlock>,
    /// `Action`/`NotAction`; `None` only where validation allows it to be absent.
    pub action: Option<ActionBlock>,
    /// `Resource`/`NotResource`; absent in trust policies, where the resource is
    /// the role the policy is attached to.
    pub resource: Option<ResourceBlock>,
    /// `Condition`, operators in source order; `Some(empty)` for `"Condition": {}`.
    pub condition: Option<Vec<OperatorBlock>>,
}

/// A parsed, validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    kind: PolicyKind,
    version: Option<Version>,
    id: Option<String>,
    statements: Vec<Statement>,
    /// Whether an undocumented corner may decide one of its statements (it uses
    /// policy variables, `IfExists`, or a multivalued key), so that decisions look
    /// for the reading taken ([`crate::iam::evaluate`]) only where one can apply.
    corners: bool,
    /// Whether any statement can read the request context: it has a `Condition`
    /// (even an empty one) or a policy variable in `Resource`/`NotResource`, the
    /// only elements where IAM allows variables besides condition values (IAM user
    /// guide, "IAM policy elements: Variables and tags", "Where you can use policy
    /// variables"). A request whose policies read none is decided on its
    /// principal, action and resource alone.
    reads_context: bool,
}

impl Policy {
    /// Parse and validate `json` as a policy of `kind`, with IAM's (or S3's)
    /// exact error messages and the kind's default size quota.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Self, PolicyError> {
        Self::parse_with(json, kind, &ParseOptions::default())
    }

    /// [`Policy::parse`] with options (a different size quota).
    pub fn parse_with(json: &str, kind: PolicyKind, options: &ParseOptions) -> Result<Self, PolicyError> {
        let root = validate::check(json, kind, options)?;
        build(&root, kind).ok_or_else(|| validate::syntax_error(kind, root.pos))
    }

    /// What the policy is attached to.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// `Version`, if present.
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// `Id`, if present.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Whether an undocumented corner may decide one of its statements.
    pub fn has_corners(&self) -> bool {
        self.corners
    }

    /// Whether deciding a request against this policy can read the request
    /// context (a condition, or a variable in a resource pattern).
    pub fn reads_context(&self) -> bool {
        self.reads_context
    }

    /// The statements in source order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// This policy with `other`'s statements after its own: one level of an
    /// organization evaluates its policy beside the FullAWSAccess AWS attaches,
    /// which the world keeps as one policy.
    pub(crate) fn followed_by(&self, other: &Policy) -> Policy {
        let mut p = self.clone();
        p.statements.extend(other.statements.iter().cloned());
        p.corners |= other.corners;
        p.reads_context |= other.reads_context;
        p
    }

    /// Whether policy variables are substituted (only under `2012-10-17`).
    pub fn variables_enabled(&self) -> bool {
        self.version == Some(Version::V2012_10_17)
    }

    /// Print as compact JSON; parsing the output gives an equal policy.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        out.push('{');
        if let Some(v) = self.version {
            out.push_str("\"Version\":");
            write_string(&mut out, v.as_str());
            out.push(',');
        }
        if let Some(id) = &self.id {
            out.push_str("\"Id\":");
            write_string(&mut out, id);
            out.push(',');
        }
        out.push_str("\"Statement\":[");
        for (i, s) in self.statements.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            s.write_json(&mut out);
        }
        out.push_str("]}");
        out
    }

    /// Print as indented JSON (two spaces), for humans.
    pub fn to_json_pretty(&self) -> String {
        json::indent(&self.to_json())
    }
}

impl Statement {
    fn write_json(&self, out: &mut String) {
        out.push('{');
        let mut members: Vec<(&str, String)> = Vec::new();
        if let Some(sid) = &self.sid {
            let mut v = String::new();
            write_string(&mut v, sid);
            members.push(("Sid", v));
        }
        let effect = match self.effect {
            StatementEffect::Allow => "\"Allow\"",
            StatementEffect::Deny => "\"Deny\"",
        };
        members.push(("Effect", effect.to_owned()));
        if let Some(p) = &self.principal {
            let mut v = String::new();
            p.spec.write_json(&mut v);
            members.push((if p.negated { "NotPrincipal" } else { "Principal" }, v));
        }
        if let Some(a) = &self.action {
            let mut v = String::new();
            let items: Vec<&str> = a.patterns.iter().map(Wildcard::as_str).collect();
            write_list(&mut v, &items);
            members.push((if a.negated { "NotAction" } else { "Action" }, v));
        }
        if let Some(r) = &self.resource {
            let mut v = String::new();
            let items: Vec<&str> = r.patterns.iter().map(ArnPattern::as_str).collect();
            write_list(&mut v, &items);
            members.push((if r.negated { "NotResource" } else { "Resource" }, v));
        }
        if let Some(c) = &self.condition {
            let mut v = String::from("{");
            for (i, block) in c.iter().enumerate() {
                if i > 0 {
                    v.push(',');
                }
                write_string(&mut v, &block.operator.raw);
                v.push(':');
                block.write_json(&mut v);
            }
            v.push('}');
            members.push(("Condition", v));
        }
        for (i, (k, v)) in members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(out, k);
            out.push(':');
            out.push_str(v);
        }
        out.push('}');
    }
}

/// The strings of a string-or-array-of-strings value.
pub(crate) fn string_list<'a>(node: &'a Node<'_>) -> Option<Vec<&'a str>> {
    match &node.value {
        Json::String(s) => Some(vec![&**s]),
        Json::Array(items) => items.iter().map(Node::as_str).collect(),
        _ => None,
    }
}

/// Whether [`string_list`] accepts `node`, without collecting it.
pub(crate) fn is_string_list(node: &Node) -> bool {
    match &node.value {
        Json::String(_) => true,
        Json::Array(items) => items.iter().all(|n| matches!(n.value, Json::String(_))),
        _ => false,
    }
}

/// Whether [`literal_list`] accepts `node`, without collecting it.
pub(crate) fn is_literal_list(node: &Node) -> bool {
    fn scalar(n: &Node) -> bool {
        matches!(n.value, Json::String(_) | Json::Number(_) | Json::Bool(_))
    }
    match &node.value {
        Json::Array(items) => items.iter().all(scalar),
        _ => scalar(node),
    }
}

/// Whether [`build_principal`] accepts `node`, without building it.
pub(crate) fn is_principal(node: &Node) -> bool {
    match &node.value {
        Json::String(s) => s == "*",
        Json::Object(members) => members.iter().all(|m| {
            matches!(&*m.key, "AWS" | "CanonicalUser" | "Federated" | "Service") && is_string_list(&m.value)
        }),
        _ => false,
    }
}

/// Literals of a condition value: scalar or array of strings, numbers, bools.
pub(crate) fn literal_list(node: &Node) -> Option<Vec<Literal>> {
    fn one(n: &Node) -> Option<Literal> {
        match &n.value {
            Json::String(s) => Some(Literal {
                text: s.to_string(),
                kind: LiteralKind::String,
            }),
            Json::Number(s) => Some(Literal {
                text: (*s).to_owned(),
                kind: LiteralKind::Number,
            }),
            Json::Bool(b) => Some(Literal {
                text: b.to_string(),
                kind: LiteralKind::Bool,
            }),
            _ => None,
        }
    }
    match &node.value {
        Json::Array(items) => items.iter().map(one).collect(),
        _ => one(node).map(|l| vec![l]),
    }
}

/// The statement objects: an object or an array of them.
pub(crate) fn statement_nodes<'a, 't>(node: &'a Node<'t>) -> Option<Vec<&'a Node<'t>>> {
    match &node.value {
        Json::Object(_) => Some(vec![node]),
        Json::Array(items) => Some(items.iter().collect()),
        _ => None,
    }
}

pub(crate) fn build_principal(node: &Node) -> Option<PrincipalSpec> {
    match &node.value {
        Json::String(s) if s == "*" => Some(PrincipalSpec::Any),
        Json::Object(members) => {
            let mut map = PrincipalMap::default();
            for m in members {
                let items = string_list(&m.value)?;
                let slot = match &*m.key {
                    "AWS" => 0,
                    "CanonicalUser" => 1,
                    "Federated" => 2,
                    "Service" => 3,
                    _ => return None,
                };
                *map.present.get_mut(slot)? = true;
                let owned = || items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
                match slot {
                    0 => {
                        let positions: Vec<json::Pos> = match &m.value.value {
                            Json::Array(nodes) => nodes.iter().map(|n| n.pos).collect(),
                            _ => vec![m.value.pos],
                        };
                        map.aws = items
                            .iter()
                            .zip(positions)
                            .map(|(s, pos)| AwsEntry {
                                raw: (*s).to_owned(),
                                kind: AwsPrincipal::classify(s),
                                pos,
                            })
                            .collect();
                    }
                    1 => map.canonical_user = owned(),
                    2 => map.federated = owned(),
                    _ => map.service = owned(),
                }
            }
            Some(PrincipalSpec::Map(map))
        }
        _ => None,
    }
}

fn build(root: &Node, kind: PolicyKind) -> Option<Policy> {
    let version = match root.get("Version").map(|m| m.value.as_str()) {
        None => None,
        Some(Some("2012-10-17")) => Some(Version::V2012_10_17),
        Some(Some("2008-10-17")) => Some(Version::V2008_10_17),
        Some(_) => return None,
    };
    let variables = version == Some(Version::V2012_10_17);
    let id = match root.get("Id") {
        None => None,
        Some(m) => Some(m.value.as_str()?.to_owned()),
    };
    let nodes = statement_nodes(&root.get("Statement")?.value)?;
    let statements = nodes
        .into_iter()
        .map(|n| build_statement(n, variables))
        .collect::<Option<Vec<_>>>()?;
    let corners = statements.iter().any(statement_has_corners);
    let reads_context = statements.iter().any(statement_reads_context);
    Some(Policy {
        kind,
        version,
        id,
        statements,
        corners,
        reads_context,
    })
}

/// Keys AWS documents as multivalued (IAM user guide, the global keys page and
/// the S3 and STS condition-key tables), lowercased.
const MULTIVALUED_KEYS: &[&str] = &[
    "aws:tagkeys",
    "aws:calledvia",
    "aws:principalservicenameslist",
    "s3:requestobjecttagkeys",
    "sts:transitivetagkeys",
];

/// Whether `text` holds a policy variable (`${…}`).
fn has_variable(text: &str) -> bool {
    text.contains("${")
}

/// Whether a `Resource`/`NotResource` pattern of the statement holds a variable.
fn resource_has_variable(st: &Statement) -> bool {
    st.resource
        .as_ref()
        .is_some_and(|r| r.patterns.iter().any(|p| has_variable(p.as_str())))
}

fn statement_reads_context(st: &Statement) -> bool {
    st.condition.is_some() || resource_has_variable(st)
}

fn statement_has_corners(st: &Statement) -> bool {
    let in_resource = resource_has_variable(st);
    let in_condition = st.condition.iter().flatten().any(|block| {
        block.operator.if_exists
            || block.operator.qualifier == super::condition::Qualifier::None
                && block
                    .entries
                    .iter()
                    .any(|e| MULTIVALUED_KEYS.contains(&e.key.to_ascii_lowercase().as_str()))
            || block
                .entries
                .iter()
                .any(|e| e.literals.iter().any(|l| has_variable(&l.text)))
    });
    in_resource || in_condition
}

fn build_statement(node: &Node, variables: bool) -> Option<Statement> {
    let mut st = Statement {
        sid: None,
        effect: StatementEffect::Allow,
        principal: None,
        action: None,
        resource: None,
        condition: None,
    };
    for m in node.as_object()? {
        match &*m.key {
            "Sid" => st.sid = Some(m.value.as_str()?.to_owned()),
            "Effect" => {
                st.effect = match m.value.as_str()? {
                    "Allow" => StatementEffect::Allow,
                    "Deny" => StatementEffect::Deny,
                    _ => return None,
                }
            }
            "Principal" | "NotPrincipal" => {
                st.principal = Some(PrincipalBlock {
                    negated: m.key == "NotPrincipal",
                    spec: build_principal(&m.value)?,
                });
            }
            "Action" | "NotAction" => {
                let patterns = string_list(&m.value)?.into_iter().map(Wildcard::new).collect();
                st.action = Some(ActionBlock {
                    negated: m.key == "NotAction",
                    patterns,
                });
            }
            "Resource" | "NotResource" => {
                let patterns = string_list(&m.value)?
                    .into_iter()
                    .map(|r| ArnPattern::new(r, variables))
                    .collect();
                st.resource = Some(ResourceBlock {
                    negated: m.key == "NotResource",
                    patterns,
                });
            }
            "Condition" => {
                let mut blocks = Vec::new();
                for op in m.value.as_object()? {
                    let operator = Operator::parse(&op.key);
                    let entries = op
                        .value
                        .as_object()?
                        .iter()
                        .map(|e| {
                            Some(ConditionEntry::new(
                                &operator,
                                &e.key,
                                literal_list(&e.value)?,
                                variables,
                            ))
                        })
                        .collect::<Option<Vec<_>>>()?;
                    blocks.push(OperatorBlock { operator, entries });
                }
                st.condition = Some(blocks);
            }
            _ => return None,
        }
    }
    Some(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a condition or a variable in a resource pattern can read the request
    /// context; the S3 authorizer leaves the context empty for policies with neither.
    #[test]
    fn reads_context_only_with_a_condition_or_a_resource_variable() {
        let policy = |statement: &str| {
            let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{statement}]}}"#);
            Policy::parse(&text, PolicyKind::Identity).unwrap()
        };
        let plain = r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}"#;
        assert!(!policy(plain).reads_context());
        for reads in [
            r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}}}"#,
            r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {}}"#,
            r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}"#,
            r#"{"Effect": "Deny", "Action": "s3:PutObject", "NotResource": "arn:aws:s3:::${aws:SourceIp}"}"#,
        ] {
            assert!(policy(&format!("{plain}, {reads}")).reads_context(), "{reads}");
            assert!(
                policy(plain).followed_by(&policy(reads)).reads_context(),
                "{reads}"
            );
        }
    }

    #[test]
    fn round_trip_keeps_meaning() {
        let text = r#"{
          "Id": "x", "Version": "2012-10-17",
          "Statement": {
            "Sid": "A1", "Effect": "Deny",
            "NotPrincipal": {"Service": "s.amazonaws.com", "AWS": ["111111111111", "arn:aws:iam::111111111111:user/u"]},
            "NotAction": "s3:Get*",
            "Resource": ["arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::c"],
            "Condition": {"NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": false},
                          "StringEquals": {"a:b": [], "c:d": ["x", "y"]}}
          }
        }"#;
        let p = Policy::parse(text, PolicyKind::Bucket).unwrap();
        let printed = p.to_json();
        let again = Policy::parse(&printed, PolicyKind::Bucket).unwrap();
        assert_eq!(p, again);
        assert_eq!(printed, again.to_json());
        assert!(printed.contains("\"s3:max-keys\":10"));
        assert!(printed.contains("\"aws:SecureTransport\":false"));
        assert!(p.to_json_pretty().contains("\n"));
    }

    /// Validation checks shapes with `is_*` (no allocation); building collects
    /// them. Both must accept exactly the same values.
    #[test]
    fn shape_checks_accept_what_the_builders_build() {
        let values = [
            r#""*""#,
            r#""s3:GetObject""#,
            "[]",
            r#"["a", "b"]"#,
            r#"["a", 1]"#,
            "1",
            "true",
            "null",
            "{}",
            r#"[1, true, "x"]"#,
            r#"[["x"]]"#,
            r#"[null]"#,
            r#"{"AWS": "*"}"#,
            r#"{"AWS": ["111111111111", "arn:aws:iam::1:root"], "Service": "s3.amazonaws.com"}"#,
            r#"{"CanonicalUser": [], "Federated": "cognito-identity.amazonaws.com"}"#,
            r#"{"aws": "*"}"#,
            r#"{"AWS": 1}"#,
            r#"{"AWS": ["x", {}]}"#,
            r#"{"AWS": "a", "AWS": "b"}"#,
        ];
        for text in values {
            let node = json::parse(text).unwrap();
            assert_eq!(is_string_list(&node), string_list(&node).is_some(), "{text}");
            assert_eq!(is_literal_list(&node), literal_list(&node).is_some(), "{text}");
            assert_eq!(is_principal(&node), build_principal(&node).is_some(), "{text}");
        }
    }

    /// Found by the `policy_json` fuzz target: `\u0200` escaped in an identity policy is
    /// accepted (only the raw character is outside IAM's character set), but the printer
    /// wrote it raw, so the printed policy was refused.
    #[test]
    fn characters_above_latin1_print_escaped() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*",
            "Resource":"arn:aws:s3:::b/\ud83d\ude00\u00e9",
            "Condition":{"NotIpAddress":{"aws:SourceIp":"198\u02000.0/24"}}}]}"#;
        let p = Policy::parse(text, PolicyKind::Identity).unwrap();
        let printed = p.to_json();
        assert!(printed.contains(r#""198\u02000.0/24""#), "{printed}");
        assert!(printed.contains(r#""arn:aws:s3:::b/\ud83d\ude00é""#), "{printed}");
        let again = Policy::parse(&printed, PolicyKind::Identity).unwrap();
        assert_eq!(p, again);
        assert_eq!(
            Policy::parse(&p.to_json_pretty(), PolicyKind::Identity).unwrap(),
            p
        );
    }
}
