//! The generator: seeded, deterministic worlds and requests.
//!
//! Case `n` of seed `s` is a pure function of `(s, n)`, so any case can be
//! regenerated from the two numbers a report prints. The world is an abstract
//! syntax tree ([`World`], [`Policy`], [`Statement`]); the reference model reads
//! the tree, the emulator reads the world file [`super::write`] prints from it.
//!
//! The weights lean on the corners where evaluators go wrong: keys missing from
//! the request under negated and `…IfExists` operators, `ForAllValues` /
//! `ForAnyValue` over absent and multivalued keys, wildcards at `:` and `/`
//! boundaries, policy variables under both versions (`2008-10-17` keeps them
//! literal), `NotPrincipal` with `Deny`, principals in other accounts, boundaries,
//! session policies, SCPs and RCPs.

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, fast, well-mixed generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

/// One SplitMix64 step of `z`.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for case `n` of seed `seed`.
    pub fn for_case(seed: u64, n: u64) -> Self {
        Self(mix(seed ^ mix(n.wrapping_add(0x5EED))))
    }

    /// A generator from one number.
    pub fn new(seed: u64) -> Self {
        Self(mix(seed))
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One element of a non-empty slice (the first of an empty one is never asked for).
    pub fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        items.get(self.below(items.len())).cloned()
    }

    /// A reference to one element (no clone).
    pub fn pick_ref<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }

    /// One string of a list of literals.
    pub fn word(&mut self, items: &[&str]) -> String {
        self.pick(items).unwrap_or_default().to_string()
    }

    /// Index chosen by weights.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        if total == 0 {
            return 0;
        }
        let mut x = self.next_u64() % total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        0
    }

    /// Shuffle in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------
// The abstract world
// ---------------------------------------------------------------------------

/// The accounts every world has.
pub const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
/// Their names in the world file.
pub const ACCOUNT_NAMES: [&str; 3] = ["alpha", "beta", "gamma"];
/// The organization id when there is one.
pub const ORG_ID: &str = "o-fuzzorg0001";

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `"Allow"`.
    Allow,
    /// `"Deny"`.
    Deny,
}

/// The `Version` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `2012-10-17`: variables are substituted.
    V2012,
    /// `2008-10-17`: `${…}` is literal text.
    V2008,
    /// No `Version`: as `2008-10-17`.
    Absent,
}

/// What a policy is attached to; decides what the generator may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A user's or role's inline or managed policy.
    Identity,
    /// A permissions boundary.
    Boundary,
    /// An AssumeRole session policy.
    Session,
    /// A role trust policy.
    Trust,
    /// A bucket policy.
    Bucket,
    /// A service control policy.
    Scp,
    /// A resource control policy.
    Rcp,
}

impl Kind {
    /// The variant's name, as `Debug` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Identity => "Identity",
            Self::Boundary => "Boundary",
            Self::Session => "Session",
            Self::Trust => "Trust",
            Self::Bucket => "Bucket",
            Self::Scp => "Scp",
            Self::Rcp => "Rcp",
        }
    }
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// No set operator.
    None,
    /// `ForAllValues:`.
    ForAll,
    /// `ForAnyValue:`.
    ForAny,
}

/// One `"Operator": { "key": values }` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    /// The base operator (`StringEquals`, `Null`, …).
    pub op: String,
    /// The set qualifier.
    pub qualifier: Qualifier,
    /// `…IfExists`.
    pub if_exists: bool,
    /// The key as written.
    pub key: String,
    /// The values as written.
    pub values: Vec<String>,
}

impl Cond {
    /// The operator as written in the policy.
    pub fn operator(&self) -> String {
        let (q, e) = self.operator_parts();
        format!("{q}{}{e}", self.op)
    }

    /// What goes before and after the base operator.
    pub fn operator_parts(&self) -> (&'static str, &'static str) {
        let q = match self.qualifier {
            Qualifier::None => "",
            Qualifier::ForAll => "ForAllValues:",
            Qualifier::ForAny => "ForAnyValue:",
        };
        (q, if self.if_exists { "IfExists" } else { "" })
    }
}

/// `Principal` / `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `NotPrincipal`.
    pub not: bool,
    /// Written as the bare string `"*"`.
    pub star: bool,
    /// `AWS` values.
    pub aws: Vec<String>,
    /// `Service` values.
    pub service: Vec<String>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `Sid`.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal`/`NotPrincipal`.
    pub principal: Option<Principal>,
    /// `NotAction` instead of `Action`.
    pub not_action: bool,
    /// The action patterns.
    pub actions: Vec<String>,
    /// `NotResource` instead of `Resource`.
    pub not_resource: bool,
    /// The resource patterns; `None` in trust policies.
    pub resources: Option<Vec<String>>,
    /// The conditions.
    pub conditions: Vec<Cond>,
}

/// A policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// `Version`.
    pub version: Version,
    /// The statements.
    pub statements: Vec<Statement>,
    /// Seeds how the printer shapes the JSON (key order, scalars, whitespace).
    pub shape: u64,
}

/// An inline policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// Its name.
    pub name: String,
    /// The document.
    pub policy: Policy,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Index into [`ACCOUNTS`].
    pub account: usize,
    /// Name.
    pub name: String,
    /// Unique id (`AIDA…`).
    pub id: String,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// Inline policies.
    pub policies: Vec<Named>,
    /// Attached managed policies, by name (in the user's account).
    pub managed: Vec<String>,
    /// Permissions boundary, a managed policy's name.
    pub boundary: Option<String>,
    /// Groups (names, in the user's account) whose policies the user gets.
    pub groups: Vec<String>,
}

/// An IAM group: inline and managed policies its member users get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Index into [`ACCOUNTS`].
    pub account: usize,
    /// Name.
    pub name: String,
    /// Inline policies.
    pub policies: Vec<Named>,
    /// Attached managed policies, by name (in the group's account).
    pub managed: Vec<String>,
}

impl User {
    /// `arn:aws:iam::A:user/NAME`.
    pub fn arn(&self) -> String {
        concat(&["arn:aws:iam::", account_id(self.account), ":user/", &self.name])
    }

    /// Whether `arn` is this user's ARN ([`User::arn`] without building it).
    pub fn is_arn(&self, arn: &str) -> bool {
        arn.strip_prefix("arn:aws:iam::")
            .and_then(|r| r.strip_prefix(account_id(self.account)))
            .and_then(|r| r.strip_prefix(":user/"))
            == Some(self.name.as_str())
    }

    /// The access key id the world gives the user.
    pub fn key_id(&self) -> String {
        format!("AKIA{}", &self.id[4..].chars().take(16).collect::<String>())
    }

    /// Its secret.
    pub fn secret(&self) -> String {
        format!("fuzz-secret-{}", self.id.to_ascii_lowercase())
    }
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Index into [`ACCOUNTS`].
    pub account: usize,
    /// Name.
    pub name: String,
    /// Path (`/` or `/svc/`).
    pub path: String,
    /// Unique id (`AROA…`).
    pub id: String,
    /// Tags.
    pub tags: Vec<(String, String)>,
    /// Trust policy.
    pub trust: Policy,
    /// Inline policies.
    pub policies: Vec<Named>,
    /// Attached managed policies, by name.
    pub managed: Vec<String>,
    /// Permissions boundary, a managed policy's name.
    pub boundary: Option<String>,
}

impl Role {
    /// `arn:aws:iam::A:role/PATH/NAME`.
    pub fn arn(&self) -> String {
        concat(&[
            "arn:aws:iam::",
            account_id(self.account),
            ":role",
            &self.path,
            &self.name,
        ])
    }

    /// Whether `arn` is this role's ARN ([`Role::arn`] without building it).
    pub fn is_arn(&self, arn: &str) -> bool {
        arn.strip_prefix("arn:aws:iam::")
            .and_then(|r| r.strip_prefix(account_id(self.account)))
            .and_then(|r| r.strip_prefix(":role"))
            .and_then(|r| r.strip_prefix(self.path.as_str()))
            == Some(self.name.as_str())
    }
}

/// A customer-managed policy (attached or used as a boundary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Managed {
    /// Index into [`ACCOUNTS`].
    pub account: usize,
    /// Name.
    pub name: String,
    /// The document.
    pub policy: Policy,
}

/// A bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Name.
    pub name: String,
    /// Owner, index into [`ACCOUNTS`].
    pub account: usize,
    /// Region.
    pub region: String,
    /// Bucket policy.
    pub policy: Option<Policy>,
}

/// An SCP or RCP and where it is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPolicy {
    /// Name.
    pub name: String,
    /// Accounts it is attached to (indexes); empty = every account.
    pub accounts: Vec<usize>,
    /// The document.
    pub policy: Policy,
}

/// The organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// The management account (index).
    pub management: usize,
    /// Member accounts (indexes), the management account included.
    pub members: Vec<usize>,
    /// Whether AWS's FullAWSAccess SCP sits beside each SCP.
    pub full_aws_access: bool,
    /// SCPs, one per level.
    pub scps: Vec<OrgPolicy>,
    /// RCPs, one per level.
    pub rcps: Vec<OrgPolicy>,
}

/// A whole world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct World {
    /// The instant the clock shows, Unix seconds.
    pub now: i64,
    /// `aws:SourceIp`.
    pub source_ip: String,
    /// `aws:SecureTransport`.
    pub secure_transport: bool,
    /// Users.
    pub users: Vec<User>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Managed policies.
    pub managed: Vec<Managed>,
    /// Buckets.
    pub buckets: Vec<Bucket>,
    /// The organization.
    pub org: Option<Org>,
}

/// Who sends a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A user's long-term key (index into the world's users).
    User(usize),
    /// No credentials (S3 only).
    Anonymous,
    /// The session an `AssumeRole` request issues.
    Session(Box<Request>),
}

/// An S3 object request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectOp {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// `x-amz-acl`.
    pub acl: Option<String>,
    /// `x-amz-server-side-encryption`.
    pub sse: Option<String>,
}

/// An `AssumeRole` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assume {
    /// `RoleArn`.
    pub role_arn: String,
    /// `RoleSessionName`.
    pub session_name: String,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// Session tags.
    pub tags: Vec<(String, String)>,
    /// Inline session policy.
    pub policy: Option<Policy>,
    /// `SourceIdentity`.
    pub source_identity: Option<String>,
}

/// A `CopyObject`: `dest` is written (its ACL and SSE headers apply), the
/// source is read. The source object does not exist, so an allowed copy ends
/// in `404 NoSuchKey` after both decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// The source bucket.
    pub source_bucket: String,
    /// The source key.
    pub source_key: String,
    /// The destination.
    pub dest: ObjectOp,
}

impl Copy {
    /// `x-amz-copy-source` as sent: `bucket/key`, the key percent-encoded.
    pub fn header(&self) -> String {
        concat(&[
            &self.source_bucket,
            "/",
            &testkit::http::encode_key(&self.source_key),
        ])
    }
}

/// Ends every copy source key: no PutObject writes such a key, so the source is
/// absent however many objects earlier requests left in the emulator's store
/// (the store outlives world swaps), and a copy never targets its own source.
pub const ABSENT_SUFFIX: &str = ".absent";

/// The upload id every `AbortMultipartUpload` names: no such upload exists, so
/// an allowed abort ends in `404 NoSuchUpload` after the decision.
pub const NO_SUCH_UPLOAD: &str = "fuzz-no-such-upload";

/// What a request does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `PutObject`.
    Put(ObjectOp),
    /// `DeleteObject`.
    Delete(ObjectOp),
    /// `AbortMultipartUpload` of [`NO_SUCH_UPLOAD`] (no ACL or SSE headers).
    Abort(ObjectOp),
    /// `CopyObject`.
    Copy(Copy),
    /// `AssumeRole`.
    AssumeRole(Assume),
}

impl Op {
    /// The object the request addresses (a copy's destination).
    pub fn object(&self) -> Option<&ObjectOp> {
        match self {
            Op::Put(o) | Op::Delete(o) | Op::Abort(o) => Some(o),
            Op::Copy(c) => Some(&c.dest),
            Op::AssumeRole(_) => None,
        }
    }
}

/// One request and who sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The caller.
    pub caller: Caller,
    /// The operation.
    pub op: Op,
}

impl Request {
    /// The chain of requests this one needs, innermost first, ending with itself.
    pub fn chain(&self) -> Vec<&Request> {
        let mut out = vec![self];
        let mut at = self;
        while let Caller::Session(inner) = &at.caller {
            out.push(inner);
            at = inner;
        }
        out.reverse();
        out
    }
}

/// A world and the requests sent to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The world.
    pub world: World,
    /// The requests.
    pub requests: Vec<Request>,
}

/// Twelve digits of account `i`.
pub fn account_id(i: usize) -> &'static str {
    ACCOUNTS.get(i).copied().unwrap_or(ACCOUNTS[0])
}

impl World {
    /// The role an ARN names (exactly, path included).
    pub fn role_by_arn(&self, arn: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.is_arn(arn))
    }

    /// A managed policy by account and name.
    pub fn managed_policy(&self, account: usize, name: &str) -> Option<&Managed> {
        self.managed
            .iter()
            .find(|m| m.account == account && m.name == name)
    }

    /// A bucket by name.
    pub fn bucket(&self, name: &str) -> Option<&Bucket> {
        self.buckets.iter().find(|b| b.name == name)
    }

    /// Every policy of the world with its kind.
    pub fn policies(&self) -> Vec<(Kind, &Policy)> {
        let is_boundary = |account: usize, name: &str| {
            self.users
                .iter()
                .any(|u| u.account == account && u.boundary.as_deref() == Some(name))
                || self
                    .roles
                    .iter()
                    .any(|r| r.account == account && r.boundary.as_deref() == Some(name))
        };
        let mut out: Vec<(Kind, &Policy)> = Vec::new();
        for u in &self.users {
            out.extend(u.policies.iter().map(|p| (Kind::Identity, &p.policy)));
        }
        for g in &self.groups {
            out.extend(g.policies.iter().map(|p| (Kind::Identity, &p.policy)));
        }
        for r in &self.roles {
            out.push((Kind::Trust, &r.trust));
            out.extend(r.policies.iter().map(|p| (Kind::Identity, &p.policy)));
        }
        for m in &self.managed {
            let kind = if is_boundary(m.account, &m.name) {
                Kind::Boundary
            } else {
                Kind::Identity
            };
            out.push((kind, &m.policy));
        }
        out.extend(
            self.buckets
                .iter()
                .filter_map(|b| b.policy.as_ref().map(|p| (Kind::Bucket, p))),
        );
        if let Some(org) = &self.org {
            out.extend(org.scps.iter().map(|s| (Kind::Scp, &s.policy)));
            out.extend(org.rcps.iter().map(|s| (Kind::Rcp, &s.policy)));
        }
        out
    }

    /// Every policy of the world, mutably, with its kind (in [`World::policies`] order).
    pub fn policies_mut(&mut self) -> Vec<(Kind, &mut Policy)> {
        let boundaries: Vec<(usize, String)> = self
            .users
            .iter()
            .filter_map(|u| u.boundary.clone().map(|b| (u.account, b)))
            .chain(
                self.roles
                    .iter()
                    .filter_map(|r| r.boundary.clone().map(|b| (r.account, b))),
            )
            .collect();
        let mut out: Vec<(Kind, &mut Policy)> = Vec::new();
        for u in &mut self.users {
            for p in &mut u.policies {
                out.push((Kind::Identity, &mut p.policy));
            }
        }
        for g in &mut self.groups {
            for p in &mut g.policies {
                out.push((Kind::Identity, &mut p.policy));
            }
        }
        for r in &mut self.roles {
            out.push((Kind::Trust, &mut r.trust));
            for p in &mut r.policies {
                out.push((Kind::Identity, &mut p.policy));
            }
        }
        for m in &mut self.managed {
            let kind = if boundaries.iter().any(|(a, n)| *a == m.account && *n == m.name) {
                Kind::Boundary
            } else {
                Kind::Identity
            };
            out.push((kind, &mut m.policy));
        }
        for b in &mut self.buckets {
            if let Some(p) = &mut b.policy {
                out.push((Kind::Bucket, p));
            }
        }
        if let Some(org) = &mut self.org {
            for s in &mut org.scps {
                out.push((Kind::Scp, &mut s.policy));
            }
            for s in &mut org.rcps {
                out.push((Kind::Rcp, &mut s.policy));
            }
        }
        out
    }
}

impl Case {
    /// Every session policy of the requests.
    pub fn session_policies(&self) -> Vec<&Policy> {
        let mut out = Vec::new();
        for r in &self.requests {
            for step in r.chain() {
                if let Op::AssumeRole(a) = &step.op {
                    out.extend(a.policy.as_ref());
                }
            }
        }
        out
    }

    /// Every session policy of the requests, mutably.
    pub fn session_policies_mut(&mut self) -> Vec<&mut Policy> {
        session_policies_mut(&mut self.requests)
    }
}

/// Every session policy of these requests' chains, mutably.
pub fn session_policies_mut(requests: &mut [Request]) -> Vec<&mut Policy> {
    {
        fn walk<'a>(r: &'a mut Request, out: &mut Vec<&'a mut Policy>) {
            if let Caller::Session(inner) = &mut r.caller {
                walk(inner, out);
            }
            if let Op::AssumeRole(a) = &mut r.op {
                if let Some(p) = &mut a.policy {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        for r in requests {
            walk(r, &mut out);
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Pools
// ---------------------------------------------------------------------------

const USER_NAMES: &[&str] = &["alice", "bob", "svc", "Carol", "ci-bot", "dave"];
const ROLE_NAMES: &[&str] = &["writer", "reader", "Deployer", "ops-role", "r", "Admin"];
const BUCKET_NAMES: &[&str] = &["lake-alpha", "lake-beta", "logs-gamma", "shared-data"];
const REGIONS: &[&str] = &["us-east-1", "eu-west-1"];
const SOURCE_IPS: &[&str] = &["203.0.113.10", "198.51.100.7", "192.0.2.55", "2001:db8::7"];
const CIDRS: &[&str] = &[
    "203.0.113.0/24",
    "203.0.113.10",
    "203.0.113.10/32",
    "198.51.100.0/25",
    "198.51.100.128/25",
    "192.0.2.0/24",
    "10.0.0.0/8",
    "0.0.0.0/0",
    "2001:db8::/32",
    "2001:db8::7/128",
    "::/0",
];
const SESSION_NAMES: &[&str] = &["s1", "sync", "alice", "Deploy-7", "bob@corp", "ci.run"];
const EXTERNAL_IDS: &[&str] = &["ext-123", "EXT-123", "ptw:7f3a/9c", "ext-12"];
const GROUP_NAMES: &[&str] = &["writers", "Admins", "data-eng"];
const TAG_KEYS: &[&str] = &["team", "Team", "project", "level", "cost-center"];
const TAG_VALUES: &[&str] = &["eng", "ops", "3", "10", "alice", "Eng"];
const SERVICES: &[&str] = &["ec2.amazonaws.com", "s3.amazonaws.com", "lambda.amazonaws.com"];

const S3_ACTIONS: &[&str] = &[
    "s3:PutObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObject",
    "s3:PutObjectAcl",
    "s3:GetObject",
    "s3:*",
    "s3:Put*",
    "s3:*Object",
    "s3:PutObject*",
    "s3:Delete*",
    "s3:?utObject",
    "s3:put*",
    "S3:PUTOBJECT",
    "s3:deleteobject",
    "s3:PutObjectA*",
    "s3:GetObject",
    "s3:AbortMultipartUpload",
    "s3:Abort*",
    "s3:*Multipart*",
    "s3:Get*",
];
const STS_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRole",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:*",
    "sts:Assume*",
    "STS:assumerole",
    "sts:*Session",
];
const TRUST_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRole",
    "sts:AssumeRole",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:*",
    "*",
    "sts:assumeRole",
];
const OTHER_ACTIONS: &[&str] = &["*", "iam:PassRole", "ec2:*", "s3:List*"];

/// Keys written into requests.
const KEYS: &[&str] = &[
    "data/a.csv",
    "data/2026/b.csv",
    "home/alice/x.txt",
    "home/bob/x.txt",
    "home/${aws:username}/x.txt",
    "tmp/A.TXT",
    "x",
    "eng/report.txt",
];

/// How a condition key's values are generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Ip,
    Bool,
    Str(&'static [&'static str]),
    Num,
    Date,
    Arn,
    TagKeys,
}

const KEYS_TABLE: &[(&str, KeyKind, u64)] = &[
    ("aws:SourceIp", KeyKind::Ip, 8),
    ("aws:SecureTransport", KeyKind::Bool, 6),
    ("aws:MultiFactorAuthPresent", KeyKind::Bool, 3),
    ("aws:ViaAWSService", KeyKind::Bool, 1),
    ("aws:PrincipalIsAWSService", KeyKind::Bool, 1),
    ("aws:PrincipalTag/team", KeyKind::Str(TAG_VALUES), 5),
    ("aws:PrincipalTag/Team", KeyKind::Str(TAG_VALUES), 2),
    ("aws:PrincipalTag/level", KeyKind::Num, 3),
    ("aws:RequestTag/team", KeyKind::Str(TAG_VALUES), 3),
    ("aws:RequestTag/project", KeyKind::Str(TAG_VALUES), 2),
    ("aws:TagKeys", KeyKind::TagKeys, 5),
    ("sts:ExternalId", KeyKind::Str(EXTERNAL_IDS), 6),
    (
        "sts:RoleSessionName",
        KeyKind::Str(&["s1", "sync", "alice", "${aws:username}", "Deploy-*", "*"]),
        3,
    ),
    ("sts:SourceIdentity", KeyKind::Str(&["alice", "bob", "*"]), 2),
    (
        "s3:x-amz-acl",
        KeyKind::Str(&["bucket-owner-full-control", "private", "public-read"]),
        5,
    ),
    (
        "s3:x-amz-server-side-encryption",
        KeyKind::Str(&["AES256", "aws:kms", "aws:*"]),
        5,
    ),
    ("aws:CurrentTime", KeyKind::Date, 4),
    ("aws:EpochTime", KeyKind::Num, 2),
    ("aws:TokenIssueTime", KeyKind::Date, 2),
    ("aws:PrincipalAccount", KeyKind::Str(&ACCOUNTS), 4),
    ("aws:PrincipalArn", KeyKind::Arn, 5),
    (
        "aws:username",
        KeyKind::Str(&["alice", "bob", "Alice", "svc", "${aws:PrincipalTag/team}"]),
        3,
    ),
    (
        "aws:userid",
        KeyKind::Str(&["AROA*", "AIDA*", "*:s1", "*:alice"]),
        2,
    ),
    (
        "aws:PrincipalType",
        KeyKind::Str(&["User", "AssumedRole", "Anonymous", "user"]),
        2,
    ),
    ("aws:PrincipalOrgID", KeyKind::Str(&[ORG_ID, "o-other00001"]), 3),
    ("aws:RequestedRegion", KeyKind::Str(REGIONS), 2),
    ("s3:ResourceAccount", KeyKind::Str(&ACCOUNTS), 2),
    ("aws:SourceVpce", KeyKind::Str(&["vpce-1a2b3c4d"]), 2),
    ("aws:ResourceTag/team", KeyKind::Str(TAG_VALUES), 1),
];

const STRING_OPS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
];
const NUMERIC_OPS: &[&str] = &[
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
];
const DATE_OPS: &[&str] = &[
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
];
const ARN_OPS: &[&str] = &["ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"];

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

/// Where the generator puts more weight (`harness fuzz --focus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Focus {
    /// Everything, with the default weights.
    #[default]
    All,
    /// S3 object requests only (sessions still call them).
    S3,
    /// AssumeRole requests only.
    Sts,
    /// Every world has an organization with SCPs and RCPs.
    Org,
    /// More conditions per statement.
    Conditions,
    /// Bucket and trust policies everywhere, more `NotPrincipal`.
    Principals,
    /// Permissions boundaries and session policies on most principals.
    Boundaries,
}

/// Names a policy may refer to.
struct Names<'a> {
    users: &'a [User],
    roles: &'a [Role],
    buckets: &'a [String],
    now: i64,
    focus: Focus,
}

/// Generate case `n` of `seed` with `requests` requests.
pub fn case(seed: u64, n: u64, requests: usize, focus: Focus) -> Case {
    let mut r = Rng::for_case(seed, n);
    let world = world(&mut r, focus);
    let requests = (0..requests).map(|_| request(&mut r, &world, focus)).collect();
    Case { world, requests }
}

fn hex_id(prefix: &str, r: &mut Rng) -> String {
    format!("{prefix}{:016X}", r.next_u64())
}

fn tags(r: &mut Rng, max: usize) -> Vec<(String, String)> {
    let n = r.below(max + 1);
    let mut out: Vec<(String, String)> = Vec::new();
    for _ in 0..n {
        let k = r.word(TAG_KEYS);
        if out.iter().any(|(x, _)| x.eq_ignore_ascii_case(&k)) {
            continue;
        }
        out.push((k, r.word(TAG_VALUES)));
    }
    out
}

fn world(r: &mut Rng, focus: Focus) -> World {
    let base = 1_767_225_600; // 2026-01-01T00:00:00Z
    let now = base + (r.below(800 * 24) as i64 - 400 * 24) * 3600 + r.below(4) as i64 * 60 * 15;
    let mut users: Vec<User> = Vec::new();
    for _ in 0..1 + r.below(4) {
        let account = r.weighted(&[5, 3, 2]);
        let name = r.word(USER_NAMES);
        if users
            .iter()
            .any(|u| u.account == account && u.name.eq_ignore_ascii_case(&name))
        {
            continue;
        }
        users.push(User {
            account,
            name,
            id: hex_id("AIDA", r),
            tags: tags(r, 2),
            policies: Vec::new(),
            managed: Vec::new(),
            boundary: None,
            groups: Vec::new(),
        });
    }
    let mut roles: Vec<Role> = Vec::new();
    for _ in 0..1 + r.below(4) {
        let account = r.weighted(&[3, 4, 2]);
        let name = r.word(ROLE_NAMES);
        if roles
            .iter()
            .any(|x| x.account == account && x.name.eq_ignore_ascii_case(&name))
        {
            continue;
        }
        roles.push(Role {
            account,
            path: if r.chance(15) { "/svc/".into() } else { "/".into() },
            name,
            id: hex_id("AROA", r),
            tags: tags(r, 2),
            trust: Policy {
                version: Version::V2012,
                statements: Vec::new(),
                shape: 0,
            },
            policies: Vec::new(),
            managed: Vec::new(),
            boundary: None,
        });
    }
    let mut bucket_names: Vec<String> = Vec::new();
    for _ in 0..1 + r.below(3) {
        let b = r.word(BUCKET_NAMES);
        if !bucket_names.contains(&b) {
            bucket_names.push(b);
        }
    }
    let mut w = World {
        now,
        source_ip: r.word(SOURCE_IPS),
        secure_transport: r.chance(80),
        users,
        groups: Vec::new(),
        roles,
        managed: Vec::new(),
        buckets: Vec::new(),
        org: None,
    };
    let names_users = w.users.clone();
    let names_roles = w.roles.clone();
    let names = Names {
        users: &names_users,
        roles: &names_roles,
        buckets: &bucket_names,
        now,
        focus,
    };
    for i in 0..w.users.len() {
        let account = w.users.get(i).map_or(0, |u| u.account);
        let inline: Vec<Named> = (0..r.weighted(&[2, 5, 2]))
            .map(|j| Named {
                name: format!("p{j}"),
                policy: policy(r, &names, Kind::Identity),
            })
            .collect();
        let (managed, boundary) = attachments(r, &names, &mut w.managed, account);
        if let Some(u) = w.users.get_mut(i) {
            u.policies = inline;
            u.managed = managed;
            u.boundary = boundary;
        }
    }
    // Groups: a user may get some or all of its permissions from them.
    if r.chance(35) {
        for account in 0..ACCOUNTS.len() {
            if !w.users.iter().any(|u| u.account == account) || !r.chance(60) {
                continue;
            }
            let name = r.word(GROUP_NAMES);
            let policies: Vec<Named> = (0..r.weighted(&[1, 4, 1]))
                .map(|j| Named {
                    name: format!("g{j}"),
                    policy: policy(r, &names, Kind::Identity),
                })
                .collect();
            let mut managed = Vec::new();
            if r.chance(25) {
                let name = format!("m{}", w.managed.len());
                w.managed.push(Managed {
                    account,
                    name: name.clone(),
                    policy: policy(r, &names, Kind::Identity),
                });
                managed.push(name);
            }
            for u in w.users.iter_mut().filter(|u| u.account == account) {
                if r.chance(70) {
                    u.groups.push(name.clone());
                }
            }
            w.groups.push(Group {
                account,
                name,
                policies,
                managed,
            });
        }
    }
    for i in 0..w.roles.len() {
        let account = w.roles.get(i).map_or(0, |x| x.account);
        let trust = policy(r, &names, Kind::Trust);
        let inline: Vec<Named> = (0..r.weighted(&[2, 5, 2]))
            .map(|j| Named {
                name: format!("p{j}"),
                policy: policy(r, &names, Kind::Identity),
            })
            .collect();
        let (managed, boundary) = attachments(r, &names, &mut w.managed, account);
        if let Some(x) = w.roles.get_mut(i) {
            x.trust = trust;
            x.policies = inline;
            x.managed = managed;
            x.boundary = boundary;
        }
    }
    for b in &bucket_names {
        let account = r.weighted(&[4, 4, 2]);
        let p = if focus == Focus::Principals { 100 } else { 65 };
        let policy = r.chance(p).then(|| policy(r, &names, Kind::Bucket));
        w.buckets.push(Bucket {
            name: b.clone(),
            account,
            region: r.word(REGIONS),
            policy,
        });
    }
    if r.chance(if focus == Focus::Org { 100 } else { 40 }) {
        let management = r.weighted(&[2, 2, 6]);
        let mut members = vec![management];
        for a in 0..ACCOUNTS.len() {
            if a != management && r.chance(80) {
                members.push(a);
            }
        }
        let attach = |r: &mut Rng, members: &[usize]| -> Vec<usize> {
            if r.chance(50) {
                Vec::new()
            } else {
                members.iter().copied().filter(|_| r.chance(60)).collect()
            }
        };
        let scps = (0..r.weighted(&[2, 5, 2]))
            .map(|j| OrgPolicy {
                name: format!("scp{j}"),
                accounts: attach(r, &members),
                policy: policy(r, &names, Kind::Scp),
            })
            .collect();
        let rcps = (0..r.weighted(&[4, 4, 1]))
            .map(|j| OrgPolicy {
                name: format!("rcp{j}"),
                accounts: attach(r, &members),
                policy: policy(r, &names, Kind::Rcp),
            })
            .collect();
        w.org = Some(Org {
            management,
            members,
            full_aws_access: r.chance(85),
            scps,
            rcps,
        });
    }
    w
}

/// Managed policies attached to an entity of `account`, and its boundary.
fn attachments(
    r: &mut Rng,
    names: &Names<'_>,
    managed: &mut Vec<Managed>,
    account: usize,
) -> (Vec<String>, Option<String>) {
    let mut attached = Vec::new();
    if r.chance(25) {
        let name = format!("m{}", managed.len());
        managed.push(Managed {
            account,
            name: name.clone(),
            policy: policy(r, names, Kind::Identity),
        });
        attached.push(name);
    }
    let boundary = if r.chance(if names.focus == Focus::Boundaries { 70 } else { 25 }) {
        let name = format!("b{}", managed.len());
        managed.push(Managed {
            account,
            name: name.clone(),
            policy: policy(r, names, Kind::Boundary),
        });
        Some(name)
    } else {
        None
    };
    (attached, boundary)
}

/// A policy of `kind`.
pub(crate) fn policy_of(r: &mut Rng, world: &World, kind: Kind) -> Policy {
    let buckets: Vec<String> = world.buckets.iter().map(|b| b.name.clone()).collect();
    let names = Names {
        users: &world.users,
        roles: &world.roles,
        buckets: &buckets,
        now: world.now,
        focus: Focus::All,
    };
    policy(r, &names, kind)
}

/// One statement of `kind` with `effect`, for the relations that add statements.
pub(crate) fn statement_of(r: &mut Rng, world: &World, kind: Kind, effect: Effect) -> Statement {
    let buckets: Vec<String> = world.buckets.iter().map(|b| b.name.clone()).collect();
    let names = Names {
        users: &world.users,
        roles: &world.roles,
        buckets: &buckets,
        now: world.now,
        focus: Focus::All,
    };
    let mut s = statement(r, &names, kind);
    s.effect = effect;
    s.sid = None;
    if kind == Kind::Rcp {
        s.effect = Effect::Deny;
    }
    if effect == Effect::Allow {
        if let Some(p) = &mut s.principal {
            p.not = false;
        }
    }
    s
}

fn policy(r: &mut Rng, names: &Names<'_>, kind: Kind) -> Policy {
    let version = match kind {
        Kind::Trust | Kind::Bucket => match r.weighted(&[75, 15, 10]) {
            0 => Version::V2012,
            1 => Version::V2008,
            _ => Version::Absent,
        },
        _ => Version::V2012,
    };
    let n = 1 + r.weighted(&[4, 4, 2, 1]);
    let mut statements: Vec<Statement> = (0..n).map(|_| statement(r, names, kind)).collect();
    // Most policies also hold what a customer typically writes, so that
    // requests are allowed often enough for denies to matter.
    if kind != Kind::Rcp && r.chance(55) {
        let t = typical(r, names, kind);
        let at = r.below(statements.len() + 1);
        statements.insert(at.min(statements.len()), t);
    }
    // Sids: unique, alphanumeric (IAM's rule; S3 allows more).
    let mut used: Vec<String> = Vec::new();
    for (i, s) in statements.iter_mut().enumerate() {
        if r.chance(50) {
            let base = r.word(&["Allow", "Deny", "S3", "Trust", "x", "Stmt"]);
            let sid = format!("{base}{i}");
            if !used.contains(&sid) {
                used.push(sid.clone());
                s.sid = Some(sid);
            }
        }
    }
    Policy {
        version,
        statements,
        shape: r.next_u64(),
    }
}

/// A statement of the kind customers write: an `Allow` of the actions the
/// requests use, on their resources, naming entities of the world, with a
/// condition now and then.
fn typical(r: &mut Rng, names: &Names<'_>, kind: Kind) -> Statement {
    let b = r.pick(names.buckets).unwrap_or_else(|| "lake-alpha".to_string());
    let s3 = || {
        vec![
            "s3:PutObject".to_string(),
            "s3:DeleteObject".to_string(),
            "s3:PutObjectAcl".to_string(),
        ]
    };
    let (actions, resources): (Vec<String>, Option<Vec<String>>) = match kind {
        Kind::Trust => {
            let a = if r.chance(50) {
                vec!["sts:AssumeRole".to_string()]
            } else {
                vec![
                    "sts:AssumeRole".to_string(),
                    "sts:TagSession".to_string(),
                    "sts:SetSourceIdentity".to_string(),
                ]
            };
            (a, None)
        }
        Kind::Bucket => (s3(), Some(vec![format!("arn:aws:s3:::{b}/*")])),
        _ => match r.below(4) {
            0 => (s3(), Some(vec![format!("arn:aws:s3:::{b}/*")])),
            1 => (vec!["s3:*".to_string()], Some(vec!["arn:aws:s3:::*".to_string()])),
            2 => (
                vec!["sts:AssumeRole".to_string(), "sts:TagSession".to_string()],
                Some(vec![r.word(&["arn:aws:iam::*:role/*", "*"])]),
            ),
            _ => (vec!["*".to_string()], Some(vec!["*".to_string()])),
        },
    };
    let principal = match kind {
        Kind::Trust | Kind::Bucket => {
            let mut aws = Vec::new();
            for _ in 0..1 + r.below(2) {
                let v = match r.below(3) {
                    0 => r.pick_ref(names.users).map(|u| u.arn()),
                    1 => r.pick_ref(names.roles).map(|x| x.arn()),
                    _ => r
                        .pick_ref(names.users)
                        .map(|u| format!("arn:aws:iam::{}:root", account_id(u.account))),
                };
                if let Some(v) = v {
                    if !aws.contains(&v) {
                        aws.push(v);
                    }
                }
            }
            if aws.is_empty() {
                aws.push("*".to_string());
            }
            Some(Principal {
                not: false,
                star: false,
                aws,
                service: Vec::new(),
            })
        }
        _ => None,
    };
    let mut conditions = Vec::new();
    if r.chance(25) {
        conditions.push(condition(r, names, kind));
    }
    if kind == Kind::Trust && r.chance(30) {
        conditions.push(Cond {
            op: "StringEquals".to_string(),
            qualifier: Qualifier::None,
            if_exists: false,
            key: "sts:ExternalId".to_string(),
            values: vec![r.word(EXTERNAL_IDS)],
        });
        conditions.dedup_by(|a, b| a.operator() == b.operator() && a.key.eq_ignore_ascii_case(&b.key));
    }
    Statement {
        sid: None,
        effect: Effect::Allow,
        principal,
        not_action: false,
        actions,
        not_resource: false,
        resources,
        conditions,
    }
}

fn statement(r: &mut Rng, names: &Names<'_>, kind: Kind) -> Statement {
    let effect = match kind {
        Kind::Rcp => Effect::Deny,
        Kind::Scp => {
            if r.chance(55) {
                Effect::Deny
            } else {
                Effect::Allow
            }
        }
        _ => {
            if r.chance(28) {
                Effect::Deny
            } else {
                Effect::Allow
            }
        }
    };
    let (not_action, actions) = actions(r, kind);
    let (not_resource, resources) = resources(r, names, kind);
    let principal = principal(r, names, kind, effect);
    let n = if names.focus == Focus::Conditions {
        r.weighted(&[10, 35, 35, 20])
    } else {
        r.weighted(&[42, 35, 16, 7])
    };
    let mut conditions: Vec<Cond> = Vec::new();
    for _ in 0..n {
        let c = condition(r, names, kind);
        if conditions
            .iter()
            .any(|x| x.operator() == c.operator() && x.key.eq_ignore_ascii_case(&c.key))
        {
            continue;
        }
        conditions.push(c);
    }
    Statement {
        sid: None,
        effect,
        principal,
        not_action,
        actions,
        not_resource,
        resources,
        conditions,
    }
}

fn actions(r: &mut Rng, kind: Kind) -> (bool, Vec<String>) {
    let not = kind != Kind::Trust && kind != Kind::Rcp && r.chance(12);
    let n = 1 + r.weighted(&[6, 3, 1]);
    let mut out: Vec<String> = Vec::new();
    for _ in 0..n {
        let a = match kind {
            Kind::Trust => r.word(TRUST_ACTIONS),
            Kind::Bucket => {
                if r.chance(6) {
                    "*".to_string()
                } else {
                    r.word(S3_ACTIONS)
                }
            }
            _ => match r.weighted(&[10, 7, 2]) {
                0 => r.word(S3_ACTIONS),
                1 => r.word(STS_ACTIONS),
                _ => r.word(OTHER_ACTIONS),
            },
        };
        if !out.contains(&a) {
            out.push(a);
        }
    }
    (not, out)
}

fn bucket_name(r: &mut Rng, names: &Names<'_>) -> String {
    if r.chance(8) {
        return r.word(&["Lake-Alpha", "other-bucket"]);
    }
    r.pick(names.buckets).unwrap_or_else(|| "lake-alpha".to_string())
}

fn s3_resource(r: &mut Rng, names: &Names<'_>, object_level: bool) -> String {
    let b = bucket_name(r, names);
    let user = r.pick_ref(names.users).map_or("alice", |u| u.name.as_str());
    // `{b}` stands for the bucket's name, `{u}` for a user's. Only the one
    // picked is built: this runs for every generated resource.
    const CHOICES: [&str; 16] = [
        "arn:aws:s3:::{b}/*",
        "arn:aws:s3:::{b}/*",
        "arn:aws:s3:::{b}/data/*",
        "arn:aws:s3:::{b}/home/${aws:username}/*",
        "arn:aws:s3:::{b}/home/{u}/*",
        "arn:aws:s3:::{b}/${aws:PrincipalTag/team}/*",
        "arn:aws:s3:::{b}/${aws:PrincipalTag/team, 'eng'}/*",
        "arn:aws:s3:::{b}*",
        "arn:aws:s3:::*/data/*",
        "arn:aws:s3:::{b}/*/b.csv",
        "arn:aws:s3:::{b}/data/?.csv",
        "arn:aws:s3:::{b}/home/${*}*",
        "arn:aws:s3:::*",
        "arn:aws:s3:::{b}/x",
        "arn:aws:s3:::{b}/tmp/a.txt",
        "arn:aws:s3:::{b}/home/${aws:username}/x.txt",
    ];
    let template = r.pick(&CHOICES).unwrap_or_default();
    if !object_level && r.chance(10) {
        return concat(&["arn:aws:s3:::", &b]);
    }
    template.replace("{b}", &b).replace("{u}", user)
}

/// The parts joined, with one allocation (`format!` costs several times more
/// on the generator's and the model's per-request paths).
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

fn iam_resource(r: &mut Rng, names: &Names<'_>) -> String {
    let acct = r.word(&ACCOUNTS);
    match r.below(10) {
        0 | 1 => r
            .pick_ref(names.roles)
            .map_or_else(|| format!("arn:aws:iam::{acct}:role/writer"), |x| x.arn()),
        2 => "arn:aws:iam::*:role/*".to_string(),
        3 => format!("arn:aws:iam::{acct}:role/*"),
        4 => format!("arn:aws:iam::{acct}:role/svc/*"),
        5 => "arn:aws:iam::*:role/w*".to_string(),
        // Wildcards at segment boundaries (IAM refuses a resource path that
        // does not start with `role/`, `user/`, …, so `role*` cannot be written).
        6 => format!("arn:aws:iam::{acct}:role/*/*"),
        7 => "arn:aws:iam::*:*".to_string(),
        8 => format!("arn:aws:iam::{}*:role/*", acct.get(..4).unwrap_or("1111")),
        _ => format!("arn:aws:iam::{acct}:*"),
    }
}

fn resources(r: &mut Rng, names: &Names<'_>, kind: Kind) -> (bool, Option<Vec<String>>) {
    if kind == Kind::Trust {
        return (false, None);
    }
    if kind == Kind::Bucket {
        // Object-level patterns only: S3 refuses object actions on a bare bucket ARN.
        let n = 1 + r.weighted(&[7, 2]);
        let mut out: Vec<String> = Vec::new();
        for _ in 0..n {
            let x = if r.chance(8) {
                "*".to_string()
            } else {
                s3_resource(r, names, true)
            };
            if !out.contains(&x) {
                out.push(x);
            }
        }
        let not = r.chance(6);
        return (not, Some(out));
    }
    let star = match kind {
        Kind::Scp | Kind::Rcp => 70,
        _ => 25,
    };
    let n = 1 + r.weighted(&[6, 3, 1]);
    let mut out: Vec<String> = Vec::new();
    for _ in 0..n {
        let x = if r.chance(star) {
            "*".to_string()
        } else if r.chance(65) {
            s3_resource(r, names, false)
        } else {
            iam_resource(r, names)
        };
        if !out.contains(&x) {
            out.push(x);
        }
    }
    (r.chance(8), Some(out))
}

fn principal_value(r: &mut Rng, names: &Names<'_>) -> String {
    let acct = r.word(&ACCOUNTS);
    match r.weighted(&[3, 3, 6, 6, 3, 1, 1]) {
        0 => acct,
        1 => format!("arn:aws:iam::{acct}:root"),
        2 => r
            .pick_ref(names.users)
            .map_or_else(|| format!("arn:aws:iam::{acct}:root"), |u| u.arn()),
        3 => r
            .pick_ref(names.roles)
            .map_or_else(|| format!("arn:aws:iam::{acct}:root"), |x| x.arn()),
        4 => match r.pick_ref(names.roles) {
            Some(x) => format!(
                "arn:aws:sts::{}:assumed-role/{}/{}",
                account_id(x.account),
                x.name,
                r.word(SESSION_NAMES)
            ),
            None => acct,
        },
        5 => r.pick_ref(names.users).map_or(acct, |u| u.id.clone()),
        _ => r.pick_ref(names.roles).map_or(acct, |x| x.id.clone()),
    }
}

fn principal(r: &mut Rng, names: &Names<'_>, kind: Kind, effect: Effect) -> Option<Principal> {
    match kind {
        Kind::Trust | Kind::Bucket => {}
        Kind::Rcp => {
            return Some(Principal {
                not: false,
                star: true,
                aws: Vec::new(),
                service: Vec::new(),
            })
        }
        _ => return None,
    }
    let np = if names.focus == Focus::Principals { 50 } else { 25 };
    let not = kind == Kind::Bucket && effect == Effect::Deny && r.chance(np);
    let form = if not { 2 } else { r.weighted(&[10, 7, 70, 5, 8]) };
    let mut p = Principal {
        not,
        star: false,
        aws: Vec::new(),
        service: Vec::new(),
    };
    match form {
        0 => p.star = true,
        1 => p.aws.push("*".to_string()),
        2 if not && r.chance(45) => {
            // Every level of one principal (NotPrincipal with Deny spares a
            // principal only when its account, role and session are all listed).
            let levels = match r.pick_ref(names.roles) {
                Some(x) if r.chance(60) => vec![
                    if r.chance(50) {
                        format!("arn:aws:iam::{}:root", account_id(x.account))
                    } else {
                        account_id(x.account).to_string()
                    },
                    x.arn(),
                    format!(
                        "arn:aws:sts::{}:assumed-role/{}/{}",
                        account_id(x.account),
                        x.name,
                        r.word(SESSION_NAMES)
                    ),
                ],
                _ => match r.pick_ref(names.users) {
                    Some(u) => vec![format!("arn:aws:iam::{}:root", account_id(u.account)), u.arn()],
                    None => vec!["*".to_string()],
                },
            };
            for v in levels {
                if !p.aws.contains(&v) && r.chance(90) {
                    p.aws.push(v);
                }
            }
            if p.aws.is_empty() {
                p.aws.push(principal_value(r, names));
            }
        }
        2 => {
            for _ in 0..1 + r.weighted(&[5, 3, 2]) {
                let v = principal_value(r, names);
                if !p.aws.contains(&v) {
                    p.aws.push(v);
                }
            }
        }
        3 => p.service.push(r.word(SERVICES)),
        _ => {
            p.aws.push(principal_value(r, names));
            p.service.push(r.word(SERVICES));
        }
    }
    Some(p)
}

fn iso(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| "2026-01-01T00:00:00Z".to_string())
}

fn date_value(r: &mut Rng, now: i64) -> String {
    let deltas = [
        0,
        0,
        1,
        -1,
        3600,
        -3600,
        86_400,
        -86_400,
        40 * 86_400,
        -40 * 86_400,
    ];
    let t = now + deltas.get(r.below(deltas.len())).copied().unwrap_or(0);
    match r.weighted(&[6, 3, 1]) {
        0 => iso(t),
        1 => t.to_string(),
        _ => iso(t).chars().take(10).collect(),
    }
}

fn key_name(r: &mut Rng, key: &str) -> String {
    // Keys are case-insensitive; write some in another case.
    match r.weighted(&[85, 10, 5]) {
        0 => key.to_string(),
        1 => key.to_ascii_lowercase(),
        _ => key.to_ascii_uppercase(),
    }
}

fn condition(r: &mut Rng, names: &Names<'_>, kind: Kind) -> Cond {
    let weights: Vec<u64> = KEYS_TABLE
        .iter()
        .map(|(k, _, w)| {
            // Lean on keys that the policy's requests carry.
            let relevant = match kind {
                Kind::Trust => !k.starts_with("s3:"),
                Kind::Bucket => {
                    !k.starts_with("sts:") && !k.starts_with("aws:RequestTag") && *k != "aws:TagKeys"
                }
                _ => true,
            };
            if relevant {
                *w * 3
            } else {
                *w
            }
        })
        .collect();
    let (key, kk, _) =
        KEYS_TABLE
            .get(r.weighted(&weights))
            .copied()
            .unwrap_or(("aws:SourceIp", KeyKind::Ip, 1));
    let null = r.chance(9);
    if null {
        return Cond {
            op: "Null".to_string(),
            qualifier: Qualifier::None,
            if_exists: false,
            key: key_name(r, key),
            values: vec![r.word(&["true", "false"])],
        };
    }
    let op = match kk {
        KeyKind::Ip => {
            if r.chance(85) {
                r.word(&["IpAddress", "NotIpAddress"])
            } else {
                r.word(&["StringEquals", "StringLike"])
            }
        }
        KeyKind::Bool => {
            if r.chance(85) {
                "Bool".to_string()
            } else {
                r.word(&["StringEquals", "StringNotEquals"])
            }
        }
        KeyKind::Str(_) | KeyKind::TagKeys => r.word(STRING_OPS),
        KeyKind::Num => {
            if key == "aws:EpochTime" && r.chance(40) {
                r.word(DATE_OPS)
            } else if r.chance(85) {
                r.word(NUMERIC_OPS)
            } else {
                r.word(STRING_OPS)
            }
        }
        KeyKind::Date => r.word(DATE_OPS),
        KeyKind::Arn => {
            if r.chance(75) {
                r.word(ARN_OPS)
            } else {
                r.word(&["StringLike", "StringEquals", "StringNotLike"])
            }
        }
    };
    let qualifier = match (kk, r.below(100)) {
        (KeyKind::TagKeys, x) if x < 40 => Qualifier::ForAll,
        (KeyKind::TagKeys, x) if x < 80 => Qualifier::ForAny,
        (_, x) if x < 8 => Qualifier::ForAll,
        (_, x) if x < 16 => Qualifier::ForAny,
        _ => Qualifier::None,
    };
    let if_exists = r.chance(22);
    let n = 1 + r.weighted(&[6, 3, 1]);
    let mut values: Vec<String> = Vec::new();
    for _ in 0..n {
        let v = match kk {
            KeyKind::Ip => {
                if op.starts_with("String") {
                    r.word(&["203.0.113.10", "203.0.113.*", "2001:db8::7"])
                } else {
                    r.word(CIDRS)
                }
            }
            KeyKind::Bool => r.word(&["true", "false"]),
            KeyKind::Str(pool) => {
                let mut v = r.word(pool);
                if op.contains("Like") && r.chance(25) {
                    v = r.word(&["*", "e*", "?ps", "*-*", "${aws:username}*"]);
                } else if r.chance(8) {
                    v = r.word(&[
                        "${aws:username}",
                        "${aws:PrincipalTag/team}",
                        "${aws:PrincipalAccount}",
                    ]);
                }
                v
            }
            KeyKind::TagKeys => {
                if op.contains("Like") && r.chance(30) {
                    r.word(&["t*", "*", "proj?ct"])
                } else {
                    r.word(TAG_KEYS)
                }
            }
            KeyKind::Num => {
                if key == "aws:EpochTime" {
                    if op.starts_with("Date") {
                        date_value(r, names.now)
                    } else {
                        let d = [0, 1, -1, 3600, -86_400];
                        (names.now + d.get(r.below(d.len())).copied().unwrap_or(0)).to_string()
                    }
                } else {
                    r.word(&["0", "3", "3.0", "5", "10", "-1", "abc"])
                }
            }
            KeyKind::Date => date_value(r, names.now),
            KeyKind::Arn => {
                let acct = r.word(&ACCOUNTS);
                match r.below(9) {
                    0 => r
                        .pick_ref(names.roles)
                        .map_or_else(|| format!("arn:aws:iam::{acct}:role/writer"), |x| x.arn()),
                    1 => r
                        .pick_ref(names.users)
                        .map_or_else(|| format!("arn:aws:iam::{acct}:user/alice"), |u| u.arn()),
                    2 => format!("arn:aws:iam::{acct}:role/*"),
                    3 => "arn:aws:iam::*:user/*".to_string(),
                    4 => format!("arn:aws:iam::{acct}:*"),
                    5 => "arn:aws:iam::*:role/svc/*".to_string(),
                    6 => format!("arn:aws:iam::{acct}:role*"),
                    7 => "arn:aws:sts::*:assumed-role/*".to_string(),
                    _ => format!("arn:aws:iam::{acct}:user/${{aws:username}}"),
                }
            }
        };
        if !values.contains(&v) {
            values.push(v);
        }
    }
    Cond {
        op,
        qualifier,
        if_exists,
        key: key_name(r, key),
        values,
    }
}

fn object_op(r: &mut Rng, w: &World, caller_account: Option<usize>) -> ObjectOp {
    let b = r.pick_ref(&w.buckets);
    let bucket = b
        .as_ref()
        .map_or_else(|| "lake-alpha".to_string(), |b| b.name.clone());
    let same = b.as_ref().is_some_and(|b| Some(b.account) == caller_account);
    let key = if r.chance(15) {
        let u = r
            .pick_ref(&w.users)
            .map_or_else(|| "alice".to_string(), |u| u.name.clone());
        format!("home/{u}/x.txt")
    } else if r.chance(10) {
        let t = r.word(TAG_VALUES);
        format!("{t}/report.txt")
    } else {
        r.word(KEYS)
    };
    let acl = r.chance(22).then(|| "bucket-owner-full-control".to_string());
    let sse = match r.weighted(&[6, 2, 2]) {
        1 => Some("AES256".to_string()),
        // The AWS managed key aws/s3 is usable only in the bucket's account.
        2 if same => Some("aws:kms".to_string()),
        _ => None,
    };
    ObjectOp {
        bucket,
        key,
        acl,
        sse,
    }
}

fn assume(r: &mut Rng, w: &World) -> Assume {
    let role_arn = match r.pick_ref(&w.roles) {
        Some(x) if r.chance(95) => x.arn(),
        Some(x) => concat(&[
            "arn:aws:iam::",
            account_id(x.account),
            ":role/",
            &x.name.to_ascii_uppercase(),
        ]),
        None => format!("arn:aws:iam::{}:role/missing", ACCOUNTS[1]),
    };
    Assume {
        role_arn,
        session_name: r.word(SESSION_NAMES),
        external_id: r.chance(55).then(|| r.word(EXTERNAL_IDS)),
        tags: if r.chance(30) { tags(r, 2) } else { Vec::new() },
        policy: None,
        source_identity: r.chance(8).then(|| r.word(&["alice", "bob"])),
    }
}

/// The account of a caller (a session's is its role's).
pub fn caller_account(w: &World, c: &Caller) -> Option<usize> {
    match c {
        Caller::User(i) => w.users.get(*i).map(|u| u.account),
        Caller::Anonymous => None,
        Caller::Session(inner) => match &inner.op {
            Op::AssumeRole(a) => w.role_by_arn(&a.role_arn).map(|x| x.account),
            _ => None,
        },
    }
}

fn request(r: &mut Rng, w: &World, focus: Focus) -> Request {
    let mut req = if r.chance(35) {
        // Aim some requests at what the model allows, so allows are common.
        let mut last = one_request(r, w, focus);
        for _ in 0..2 {
            if super::model::chain_allowed(w, &last) {
                break;
            }
            last = one_request(r, w, focus);
        }
        last
    } else {
        one_request(r, w, focus)
    };
    // Session policies last: aiming ignores them, and they are costly to make.
    let session_policy = if focus == Focus::Boundaries { 70 } else { 30 };
    // Bucket names only when a session policy is made (most requests have none).
    let mut buckets: Option<Vec<String>> = None;
    let mut at = Some(&mut req);
    while let Some(x) = at {
        if let Op::AssumeRole(a) = &mut x.op {
            if r.chance(session_policy) {
                let names = Names {
                    users: &w.users,
                    roles: &w.roles,
                    buckets: buckets
                        .get_or_insert_with(|| w.buckets.iter().map(|b| b.name.clone()).collect()),
                    now: w.now,
                    focus,
                };
                a.policy = Some(policy(r, &names, Kind::Session));
            }
        }
        at = match &mut x.caller {
            Caller::Session(inner) => Some(inner.as_mut()),
            _ => None,
        };
    }
    req
}

/// Who sends a request: a user, anonymous (at the top only), or a session
/// whose setup `AssumeRole` the model allows, when a few tries find one.
fn caller(r: &mut Rng, w: &World, depth: usize, focus: Focus) -> Caller {
    let anonymous = if depth > 0 || focus == Focus::Sts { 0 } else { 10 };
    match r.weighted(&[55, if depth < 2 { 35 } else { 0 }, anonymous]) {
        0 => Caller::User(r.below(w.users.len())),
        1 => {
            let tries = if r.chance(70) { 3 } else { 1 };
            let mut setup = Request {
                caller: caller(r, w, depth + 1, focus),
                op: Op::AssumeRole(assume(r, w)),
            };
            for _ in 1..tries {
                if super::model::chain_allowed(w, &setup) {
                    break;
                }
                setup = Request {
                    caller: caller(r, w, depth + 1, focus),
                    op: Op::AssumeRole(assume(r, w)),
                };
            }
            Caller::Session(Box::new(setup))
        }
        _ => Caller::Anonymous,
    }
}

fn one_request(r: &mut Rng, w: &World, focus: Focus) -> Request {
    let caller = caller(r, w, 0, focus);
    let account = caller_account(w, &caller);
    let assume_share = if focus == Focus::S3 { 0 } else { 35 };
    let op = if focus == Focus::Sts || (caller != Caller::Anonymous && r.chance(assume_share)) {
        Op::AssumeRole(assume(r, w))
    } else {
        match r.weighted(&[52, 28, 8, 12]) {
            0 => Op::Put(object_op(r, w, account)),
            1 => Op::Delete(object_op(r, w, account)),
            2 => Op::Abort(ObjectOp {
                acl: None,
                sse: None,
                ..object_op(r, w, account)
            }),
            _ => {
                let source = object_op(r, w, account);
                Op::Copy(Copy {
                    source_bucket: source.bucket,
                    source_key: concat(&[&source.key, ABSENT_SUFFIX]),
                    dest: object_op(r, w, account),
                })
            }
        }
    };
    Request { caller, op }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_recognises_its_own_arn_and_only_that() {
        for n in 0..40 {
            let w = case(3, n, 1, Focus::All).world;
            for r in &w.roles {
                let arn = r.arn();
                assert!(r.is_arn(&arn), "{arn}");
                assert!(!r.is_arn(&format!("{arn}x")), "{arn}");
                assert!(!r.is_arn(&arn[..arn.len() - 1]), "{arn}");
                assert!(!r.is_arn(&arn.replace(":role", ":user")), "{arn}");
                for other in w.roles.iter().filter(|o| o.arn() != arn) {
                    assert!(!other.is_arn(&arn), "{arn} taken for {}", other.arn());
                }
            }
        }
    }
}
