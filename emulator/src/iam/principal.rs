//! Who is calling ([`Principal`]), the `Principal`/`NotPrincipal` element of a
//! policy ([`PrincipalSpec`]), and whether and *how* one covers the other
//! ([`PrincipalMatch`]). The combiner needs the how: a resource policy that names
//! the user ARN or the session ARN bypasses implicit denies in the identity
//! policy and boundary, one that names the role ARN does not bypass the boundary
//! or session policy, and one that names only the account delegates to the
//! account's identity policies (`reference_policies_evaluation-logic.html`, step
//! 3 table; `reference_policies_elements_principal.html`).
//!
//! Matching rules (`reference_policies_elements_principal.html`):
//! - `"*"` and `{"AWS": "*"}` cover everyone, anonymous callers included.
//! - A 12-digit account id or `arn:aws:iam::A:root` covers every principal of
//!   account A (root, users, role sessions, federated users).
//! - A role ARN covers the role's sessions; a session ARN covers that one session.
//! - A user ARN covers the user, and the federated-user sessions that user
//!   created with `GetFederationToken`.
//! - Unique ids (`AIDA…`, `AROA…`) are what IAM stores for user and role ARNs; they
//!   match the entity that has that id, so a deleted and re-created entity no
//!   longer matches.
//! - A wildcard cannot match part of a principal; ARNs compare case-sensitively.

use compact_str::CompactString;

use super::json::{write_string, Pos};

/// The kind of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The account root user (`arn:aws:iam::A:root`).
    Root,
    /// An IAM user.
    User,
    /// A role session (`arn:aws:sts::A:assumed-role/R/S`).
    AssumedRole,
    /// A `GetFederationToken` session (`arn:aws:sts::A:federated-user/N`).
    FederatedUser,
    /// An unsigned request.
    Anonymous,
    /// An AWS service principal (`logging.s3.amazonaws.com`).
    Service,
    /// A web-identity or SAML caller of `AssumeRoleWith*`, named by its provider.
    WebIdentity,
}

impl PrincipalKind {
    /// The value of `aws:PrincipalType` (`reference_policies_variables.html`,
    /// principal table).
    pub fn principal_type(self) -> &'static str {
        match self {
            Self::Root => "Account",
            Self::User => "User",
            Self::AssumedRole => "AssumedRole",
            Self::FederatedUser => "FederatedUser",
            Self::Anonymous => "Anonymous",
            Self::Service => "Service",
            Self::WebIdentity => "WebIdentity",
        }
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// What kind of caller.
    pub kind: PrincipalKind,
    /// The ARN AWS prints in messages (`anonymous` for anonymous callers, the
    /// service or provider name for services and web identities).
    pub arn: String,
    /// The caller's account; `None` for anonymous, service and web-identity callers.
    pub account: Option<CompactString>,
    /// For a role session, the role's ARN (with its path): the value of
    /// `aws:PrincipalArn`.
    pub role_arn: Option<String>,
    /// For a federated-user session, the IAM user that called `GetFederationToken`.
    pub source_user_arn: Option<String>,
    /// `aws:userid`: `AIDA…` for users, `AROA…:session` for role sessions, the
    /// account id for root, `account:name` for federated users.
    pub unique_id: CompactString,
    /// `aws:username`; IAM users only.
    pub username: Option<CompactString>,
    /// Principal tags (`aws:PrincipalTag/K`); keys compare case-insensitively.
    pub tags: Vec<(String, String)>,
    /// The S3 canonical user id, for `CanonicalUser` principals.
    pub canonical_id: Option<String>,
}

/// A path as it sits in an ARN: `/` → nothing, `/a/b/` → `a/b` then `/`.
fn path_parts(path: &str) -> [&str; 2] {
    let trimmed = path.trim_matches('/');
    [trimmed, if trimmed.is_empty() { "" } else { "/" }]
}

impl Principal {
    fn base(
        kind: PrincipalKind,
        arn: String,
        account: Option<&str>,
        unique_id: impl Into<CompactString>,
    ) -> Self {
        Self {
            kind,
            arn,
            account: account.map(CompactString::from),
            role_arn: None,
            source_user_arn: None,
            unique_id: unique_id.into(),
            username: None,
            tags: Vec::new(),
            canonical_id: None,
        }
    }

    /// The root user of `account`.
    pub fn root(account: &str) -> Self {
        Self::base(
            PrincipalKind::Root,
            format!("arn:aws:iam::{account}:root"),
            Some(account),
            account,
        )
    }

    /// IAM user `name` at `path` (`/` or `/division/`) with unique id `AIDA…`.
    pub fn user(account: &str, path: &str, name: &str, unique_id: &str) -> Self {
        let [path, slash] = path_parts(path);
        let mut p = Self::base(
            PrincipalKind::User,
            crate::util::concat(&["arn:aws:iam::", account, ":user/", path, slash, name]),
            Some(account),
            unique_id,
        );
        p.username = Some(name.into());
        p
    }

    /// A session `session` of role `role_name` at `role_path`, role id `AROA…`.
    /// The session ARN carries no path; `aws:PrincipalArn` is the role ARN
    /// (`reference_identifiers.html`; `reference_policies_condition-keys.html`).
    pub fn assumed_role(
        account: &str,
        role_path: &str,
        role_name: &str,
        session: &str,
        role_id: &str,
    ) -> Self {
        let mut p = Self::base(
            PrincipalKind::AssumedRole,
            crate::util::concat(&[
                "arn:aws:sts::",
                account,
                ":assumed-role/",
                role_name,
                "/",
                session,
            ]),
            Some(account),
            crate::util::concat(&[role_id, ":", session]),
        );
        let [path, slash] = path_parts(role_path);
        p.role_arn = Some(crate::util::concat(&[
            "arn:aws:iam::",
            account,
            ":role/",
            path,
            slash,
            role_name,
        ]));
        p
    }

    /// A federated-user session `name` created by `source_user_arn`.
    pub fn federated_user(account: &str, name: &str, source_user_arn: Option<&str>) -> Self {
        let mut p = Self::base(
            PrincipalKind::FederatedUser,
            format!("arn:aws:sts::{account}:federated-user/{name}"),
            Some(account),
            format!("{account}:{name}"),
        );
        p.source_user_arn = source_user_arn.map(str::to_owned);
        p
    }

    /// An unsigned request.
    pub fn anonymous() -> Self {
        Self::base(
            PrincipalKind::Anonymous,
            "anonymous".to_owned(),
            None,
            "anonymous".to_owned(),
        )
    }

    /// An AWS service principal such as `logging.s3.amazonaws.com`.
    pub fn service(name: &str) -> Self {
        Self::base(PrincipalKind::Service, name.to_owned(), None, name.to_owned())
    }

    /// A web-identity or SAML caller from `provider` (`accounts.google.com`, a SAML
    /// provider ARN).
    pub fn web_identity(provider: &str) -> Self {
        Self::base(
            PrincipalKind::WebIdentity,
            provider.to_owned(),
            None,
            provider.to_owned(),
        )
    }

    /// Add a principal tag.
    #[must_use]
    pub fn with_tag(mut self, key: &str, value: &str) -> Self {
        self.tags.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
        self.tags.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Set the S3 canonical user id.
    #[must_use]
    pub fn with_canonical_id(mut self, id: &str) -> Self {
        self.canonical_id = Some(id.to_owned());
        self
    }

    /// `aws:PrincipalArn`: the role ARN for a role session, the caller's ARN
    /// otherwise, absent for anonymous callers.
    pub fn principal_arn(&self) -> Option<&str> {
        match self.kind {
            PrincipalKind::Anonymous => None,
            PrincipalKind::AssumedRole => self.role_arn.as_deref().or(Some(&self.arn)),
            _ => Some(&self.arn),
        }
    }

    /// A principal tag, key compared case-insensitively.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the caller belongs to an account and is evaluated against
    /// identity-based policies (not anonymous, service or web-identity callers).
    pub fn has_identity(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::Root
                | PrincipalKind::User
                | PrincipalKind::AssumedRole
                | PrincipalKind::FederatedUser
        )
    }
}

/// How a `Principal` element covered the caller. Ordered weakest first; when
/// several entries cover the caller the strongest is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalMatch {
    /// Only through the caller's account (account id or root ARN): delegates to
    /// the account's identity policies.
    Account,
    /// Through the role ARN (or role unique id) of the caller's session.
    Role,
    /// Through the IAM user ARN that created a federated-user session.
    SourceUser,
    /// `NotPrincipal` that does not list the caller.
    NotListed,
    /// `"*"`.
    Wildcard,
    /// The caller's own ARN or unique id, service name, provider or canonical id.
    Exact,
}

/// One entry of the `AWS` list, classified once at parse time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsPrincipal {
    /// `*`.
    Any,
    /// A 12-digit account id or `arn:aws:iam::A:root`; holds the account id.
    Account(String),
    /// `arn:aws:iam::A:user/...`.
    User(String),
    /// `arn:aws:iam::A:role/...`.
    Role(String),
    /// `arn:aws:sts::A:assumed-role/R/S`.
    Session(String),
    /// `arn:aws:sts::A:federated-user/N`.
    FederatedUser(String),
    /// A user unique id (`AIDA…`).
    UserId(String),
    /// A role unique id (`AROA…`).
    RoleId(String),
    /// Anything else; matches nothing (validation rejects it).
    Invalid,
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

impl AwsPrincipal {
    /// Classify one `AWS` principal string.
    pub fn classify(s: &str) -> Self {
        if s == "*" {
            return Self::Any;
        }
        if is_account_id(s) {
            return Self::Account(s.to_owned());
        }
        if s.contains('*') || s.contains('?') {
            return Self::Invalid;
        }
        if s.len() >= 16 && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            if s.starts_with("AIDA") {
                return Self::UserId(s.to_owned());
            }
            if s.starts_with("AROA") {
                return Self::RoleId(s.to_owned());
            }
        }
        let mut parts = s.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Self::Invalid;
        };
        if partition.is_empty() || !is_account_id(account) {
            return Self::Invalid;
        }
        let named = |prefix: &str| resource.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty());
        match service {
            "iam" if resource == "root" => Self::Account(account.to_owned()),
            "iam" if named("user/") => Self::User(s.to_owned()),
            "iam" if named("role/") => Self::Role(s.to_owned()),
            "sts" if named("assumed-role/") && resource.matches('/').count() >= 2 => {
                Self::Session(s.to_owned())
            }
            "sts" if named("federated-user/") => Self::FederatedUser(s.to_owned()),
            _ => Self::Invalid,
        }
    }

    fn covers(&self, p: &Principal) -> Option<PrincipalMatch> {
        use PrincipalKind as K;
        match self {
            Self::Any => Some(PrincipalMatch::Wildcard),
            Self::Account(a) => (p.has_identity() && p.account.as_deref() == Some(a.as_str()))
                .then_some(PrincipalMatch::Account),
            Self::User(arn) => match p.kind {
                K::User if &p.arn == arn => Some(PrincipalMatch::Exact),
                K::FederatedUser if p.source_user_arn.as_ref() == Some(arn) => {
                    Some(PrincipalMatch::SourceUser)
                }
                _ => None,
            },
            Self::Role(arn) => {
                (p.kind == K::AssumedRole && p.role_arn.as_ref() == Some(arn)).then_some(PrincipalMatch::Role)
            }
            Self::Session(arn) => {
                (p.kind == K::AssumedRole && &p.arn == arn).then_some(PrincipalMatch::Exact)
            }
            Self::FederatedUser(arn) => {
                (p.kind == K::FederatedUser && &p.arn == arn).then_some(PrincipalMatch::Exact)
            }
            Self::UserId(id) => (p.kind == K::User && p.unique_id == *id).then_some(PrincipalMatch::Exact),
            Self::RoleId(id) => (p.kind == K::AssumedRole
                && p.unique_id
                    .split_once(':')
                    .is_some_and(|(role_id, _)| role_id == id))
            .then_some(PrincipalMatch::Role),
            Self::Invalid => None,
        }
    }
}

/// A principal string as written, with its classification.
#[derive(Debug, Clone)]
pub struct AwsEntry {
    /// As written.
    pub raw: String,
    /// Classified.
    pub kind: AwsPrincipal,
    /// Where it is in the document.
    pub pos: Pos,
}

impl PartialEq for AwsEntry {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

/// A `Principal` or `NotPrincipal` value.
#[derive(Debug, Clone, PartialEq)]
pub enum PrincipalSpec {
    /// The string `"*"`.
    Any,
    /// The map form.
    Map(PrincipalMap),
}

/// `{"AWS": …, "Service": …, "Federated": …, "CanonicalUser": …}`; each list in
/// source order. A key absent from the document is an empty list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PrincipalMap {
    /// `AWS` entries.
    pub aws: Vec<AwsEntry>,
    /// `Service` entries.
    pub service: Vec<String>,
    /// `Federated` entries.
    pub federated: Vec<String>,
    /// `CanonicalUser` entries.
    pub canonical_user: Vec<String>,
    /// Which keys were present, in the canonical order AWS, CanonicalUser,
    /// Federated, Service (so an empty list survives printing).
    pub present: [bool; 4],
}

impl PrincipalSpec {
    /// Does this element name the caller, and how? The strongest way wins.
    pub fn covers(&self, p: &Principal) -> Option<PrincipalMatch> {
        match self {
            Self::Any => Some(PrincipalMatch::Wildcard),
            Self::Map(m) => {
                let mut best = m.aws.iter().filter_map(|e| e.kind.covers(p)).max();
                let exact = match p.kind {
                    PrincipalKind::Service => m.service.iter().any(|s| s == &p.arn),
                    PrincipalKind::WebIdentity => m.federated.iter().any(|s| s == &p.arn),
                    _ => false,
                } || p
                    .canonical_id
                    .as_ref()
                    .is_some_and(|id| m.canonical_user.contains(id));
                if exact {
                    best = Some(PrincipalMatch::Exact);
                }
                best
            }
        }
    }

    /// For `NotPrincipal` with `Deny`: is the caller excluded? AWS "might validate
    /// the account first, then the role, then the assumed-role user", so the docs
    /// require listing every level (`reference_policies_elements_notprincipal.html`):
    /// the account and the user; or the account, the role and the session.
    pub fn excludes_all_levels(&self, p: &Principal) -> bool {
        let Self::Map(m) = self else {
            return true;
        };
        let listed = |want: &dyn Fn(&AwsPrincipal) -> bool| m.aws.iter().any(|e| want(&e.kind));
        if listed(&|k| *k == AwsPrincipal::Any) {
            return true;
        }
        let account = |k: &AwsPrincipal| matches!(k, AwsPrincipal::Account(a) if p.account.as_deref() == Some(a.as_str()));
        let own = |k: &AwsPrincipal| k.covers(p) == Some(PrincipalMatch::Exact);
        match p.kind {
            PrincipalKind::Root => listed(&account),
            PrincipalKind::User | PrincipalKind::FederatedUser => listed(&account) && listed(&own),
            PrincipalKind::AssumedRole => {
                listed(&account) && listed(&|k| k.covers(p) == Some(PrincipalMatch::Role)) && listed(&own)
            }
            PrincipalKind::Anonymous | PrincipalKind::Service | PrincipalKind::WebIdentity => {
                self.covers(p).is_some()
            }
        }
    }

    /// Print as JSON.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Self::Any => write_string(out, "*"),
            Self::Map(m) => {
                out.push('{');
                let aws: Vec<&str> = m.aws.iter().map(|e| e.raw.as_str()).collect();
                let lists: [(&str, Vec<&str>); 4] = [
                    ("AWS", aws),
                    (
                        "CanonicalUser",
                        m.canonical_user.iter().map(String::as_str).collect(),
                    ),
                    ("Federated", m.federated.iter().map(String::as_str).collect()),
                    ("Service", m.service.iter().map(String::as_str).collect()),
                ];
                let mut first = true;
                for ((key, values), present) in lists.iter().zip(m.present) {
                    if !present {
                        continue;
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    write_string(out, key);
                    out.push(':');
                    write_list(out, values);
                }
                out.push('}');
            }
        }
    }
}

/// A one-element list prints as a scalar, others as an array.
pub fn write_list<S: AsRef<str>>(out: &mut String, values: &[S]) {
    if let [one] = values {
        write_string(out, one.as_ref());
        return;
    }
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, v.as_ref());
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "111111111111";

    fn map(aws: &[&str]) -> PrincipalSpec {
        PrincipalSpec::Map(PrincipalMap {
            aws: aws
                .iter()
                .map(|s| AwsEntry {
                    raw: (*s).to_owned(),
                    kind: AwsPrincipal::classify(s),
                    pos: Pos::default(),
                })
                .collect(),
            present: [true, false, false, false],
            ..PrincipalMap::default()
        })
    }

    #[test]
    fn classify_forms() {
        assert_eq!(AwsPrincipal::classify("*"), AwsPrincipal::Any);
        assert_eq!(AwsPrincipal::classify(A), AwsPrincipal::Account(A.into()));
        assert_eq!(
            AwsPrincipal::classify(&format!("arn:aws:iam::{A}:root")),
            AwsPrincipal::Account(A.into())
        );
        assert!(matches!(
            AwsPrincipal::classify("arn:aws:iam::111111111111:user/u"),
            AwsPrincipal::User(_)
        ));
        assert!(matches!(
            AwsPrincipal::classify("arn:aws:iam::111111111111:role/p/r"),
            AwsPrincipal::Role(_)
        ));
        assert!(matches!(
            AwsPrincipal::classify("arn:aws:sts::111111111111:assumed-role/r/s"),
            AwsPrincipal::Session(_)
        ));
        assert_eq!(
            AwsPrincipal::classify("arn:aws:iam::111111111111:user/*"),
            AwsPrincipal::Invalid
        );
        assert_eq!(
            AwsPrincipal::classify("arn:aws:sts::111111111111:assumed-role/r"),
            AwsPrincipal::Invalid
        );
        assert!(matches!(
            AwsPrincipal::classify("AIDAJQABLZS4A3QDU576Q"),
            AwsPrincipal::UserId(_)
        ));
        assert!(matches!(
            AwsPrincipal::classify("AROADBQP57FF2AEXAMPLE"),
            AwsPrincipal::RoleId(_)
        ));
    }

    #[test]
    fn how_it_matches() {
        let session = Principal::assumed_role(A, "/", "r", "s", "AROADBQP57FF2AEXAMPLE");
        let user = Principal::user(A, "/", "u", "AIDAJQABLZS4A3QDU576Q");
        assert_eq!(
            map(&["arn:aws:iam::111111111111:role/r"]).covers(&session),
            Some(PrincipalMatch::Role)
        );
        assert_eq!(
            map(&["AROADBQP57FF2AEXAMPLE"]).covers(&session),
            Some(PrincipalMatch::Role)
        );
        assert_eq!(
            map(&["arn:aws:sts::111111111111:assumed-role/r/s"]).covers(&session),
            Some(PrincipalMatch::Exact)
        );
        assert_eq!(map(&[A]).covers(&session), Some(PrincipalMatch::Account));
        assert_eq!(
            map(&[A, "arn:aws:iam::111111111111:user/u"]).covers(&user),
            Some(PrincipalMatch::Exact)
        );
        assert_eq!(map(&["arn:aws:iam::111111111111:user/U"]).covers(&user), None);
        assert_eq!(map(&[A]).covers(&Principal::anonymous()), None);
        assert_eq!(
            PrincipalSpec::Any.covers(&Principal::anonymous()),
            Some(PrincipalMatch::Wildcard)
        );
        let fed = Principal::federated_user(A, "f", Some("arn:aws:iam::111111111111:user/u"));
        assert_eq!(
            map(&["arn:aws:iam::111111111111:user/u"]).covers(&fed),
            Some(PrincipalMatch::SourceUser)
        );
    }

    #[test]
    fn not_principal_needs_every_level() {
        let session = Principal::assumed_role(A, "/", "r", "s", "AROADBQP57FF2AEXAMPLE");
        let only_session = map(&["arn:aws:sts::111111111111:assumed-role/r/s"]);
        assert!(!only_session.excludes_all_levels(&session));
        let all = map(&[
            "arn:aws:sts::111111111111:assumed-role/r/s",
            "arn:aws:iam::111111111111:role/r",
            "arn:aws:iam::111111111111:root",
        ]);
        assert!(all.excludes_all_levels(&session));
    }

    #[test]
    fn arns() {
        let s = Principal::assumed_role(A, "/svc/", "r", "s", "AROA1");
        assert_eq!(s.arn, "arn:aws:sts::111111111111:assumed-role/r/s");
        assert_eq!(s.principal_arn(), Some("arn:aws:iam::111111111111:role/svc/r"));
        assert_eq!(s.unique_id, "AROA1:s");
        let u = Principal::user(A, "/division/", "bob", "AIDA1");
        assert_eq!(u.arn, "arn:aws:iam::111111111111:user/division/bob");
        assert_eq!(Principal::anonymous().principal_arn(), None);
    }
}
