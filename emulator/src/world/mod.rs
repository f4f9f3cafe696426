//! The world: accounts, IAM users and roles, policies, credentials, buckets.
//!
//! Pure data, no I/O and no clock reads. [`World::from_source`] loads and checks a
//! world file; [`World::from_toml`] is the same for text held in memory. References
//! between entries (an account by name or id, a managed policy by name or ARN) are
//! resolved once here, so the rest of the emulator never sees a dangling name.

pub mod arn;
pub mod file;
pub mod oidc;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use time::OffsetDateTime;
use toml::Spanned;

use crate::iam::{Policy, PolicyKind};
pub use file::{FileError, Source};
use file::{InlinePolicyFile, WorldFile};

/// An AWS account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Twelve digits.
    pub id: String,
    /// Short name.
    pub name: String,
    /// Regions where STS is deactivated.
    pub sts_disabled_regions: Vec<String>,
    /// Token version the global STS endpoint issues (1 or 2).
    pub global_endpoint_token_version: u8,
}

/// A policy document with the name the explanation uses for it.
#[derive(Debug, Clone)]
pub struct PolicyDoc {
    /// How decisions name it: `user:sync/inline-name`, `role:writer/write`,
    /// `managed:AllowWrite`, `bucket:lake`, `trust:writer`, `boundary:…`, `scp:…`.
    pub id: String,
    /// The parsed policy.
    pub policy: Arc<Policy>,
    /// The document as written.
    pub text: String,
}

/// Status of a long-term access key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum KeyStatus {
    /// Usable.
    Active,
    /// Deactivated: requests fail as if the key did not exist.
    Inactive,
}

/// A long-term access key.
#[derive(Debug, Clone)]
pub struct AccessKey {
    /// AKIA…
    pub id: String,
    /// Secret.
    pub secret: String,
    /// Active or inactive.
    pub status: KeyStatus,
}

/// An IAM user.
#[derive(Debug, Clone)]
pub struct User {
    /// Owning account id.
    pub account: String,
    /// Name.
    pub name: String,
    /// Path, `/` by default.
    pub path: String,
    /// Unique id (AIDA…).
    pub id: String,
    /// Access keys.
    pub access_keys: Vec<AccessKey>,
    /// Inline and attached policies.
    pub policies: Vec<PolicyDoc>,
    /// Permissions boundary.
    pub boundary: Option<PolicyDoc>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The groups (names, in the user's account) it belongs to.
    pub groups: Vec<String>,
}

/// An IAM group: a set of policies its member users get. Not a principal.
#[derive(Debug, Clone)]
pub struct Group {
    /// Owning account id.
    pub account: String,
    /// Name.
    pub name: String,
    /// Path, `/` by default.
    pub path: String,
    /// Unique id (AGPA…).
    pub id: String,
    /// Inline (`group:NAME/POLICY`) and attached managed policies.
    pub policies: Vec<PolicyDoc>,
}

impl Group {
    /// `arn:aws:iam::ACCOUNT:group/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:group{}{}", self.account, self.path, self.name)
    }
}

impl User {
    /// `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
    pub fn arn(&self) -> String {
        crate::util::concat(&["arn:aws:iam::", &self.account, ":user", &self.path, &self.name])
    }
}

/// An IAM role.
#[derive(Debug, Clone)]
pub struct Role {
    /// Owning account id.
    pub account: String,
    /// Name.
    pub name: String,
    /// Path, `/` by default.
    pub path: String,
    /// Unique id (AROA…).
    pub id: String,
    /// Trust policy.
    pub trust: PolicyDoc,
    /// Inline and attached policies.
    pub policies: Vec<PolicyDoc>,
    /// Permissions boundary.
    pub boundary: Option<PolicyDoc>,
    /// Maximum session duration in seconds.
    pub max_session_duration: i64,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

impl Role {
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
    pub fn arn(&self) -> String {
        crate::util::concat(&["arn:aws:iam::", &self.account, ":role", &self.path, &self.name])
    }

    /// Whether `arn` is [`Role::arn`] (without building it).
    pub fn is_arn(&self, arn: &str) -> bool {
        arn.strip_prefix("arn:aws:iam::")
            .and_then(|r| r.strip_prefix(self.account.as_str()))
            .and_then(|r| r.strip_prefix(":role"))
            .and_then(|r| r.strip_prefix(self.path.as_str()))
            == Some(self.name.as_str())
    }
}

/// A customer-managed policy.
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    /// Owning account id.
    pub account: String,
    /// Name.
    pub name: String,
    /// Path.
    pub path: String,
    /// The document.
    pub doc: PolicyDoc,
}

impl ManagedPolicy {
    /// `arn:aws:iam::ACCOUNT:policy/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:policy{}{}", self.account, self.path, self.name)
    }
}

/// Whose temporary credentials these are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionOwner {
    /// A role session: account, role name and session name.
    Role {
        /// Role account id.
        account: String,
        /// Role name.
        role: String,
        /// Session name.
        session_name: String,
    },
    /// A user session (GetSessionToken).
    User {
        /// User account id.
        account: String,
        /// User name.
        user: String,
    },
}

/// Temporary credentials given in the world file.
#[derive(Debug, Clone)]
pub struct TempCredentials {
    /// ASIA…
    pub access_key_id: String,
    /// Secret.
    pub secret: String,
    /// Session token.
    pub session_token: String,
    /// Expiry.
    pub expires: OffsetDateTime,
    /// Whose.
    pub owner: SessionOwner,
    /// Region of the regional STS endpoint that issued them; `None` = global endpoint.
    pub issued_in_region: Option<String>,
}

/// Object Ownership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ObjectOwnership {
    /// ACLs disabled; the bucket owner owns every object (the default since April 2023).
    BucketOwnerEnforced,
    /// ACLs enabled; objects written with bucket-owner-full-control go to the owner.
    BucketOwnerPreferred,
    /// ACLs enabled; the writer owns the object.
    ObjectWriter,
}

/// Default encryption.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Encryption {
    /// SSE-S3 (AES256), the default since January 2023.
    SseS3,
    /// SSE-KMS with this key ARN (`None` = the AWS-managed `aws/s3` key).
    SseKms {
        /// Key ARN.
        key_arn: Option<String>,
        /// S3 Bucket Key enabled.
        bucket_key: bool,
    },
}

/// Versioning state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Versioning {
    /// Never enabled.
    Unversioned,
    /// Enabled.
    Enabled,
    /// Suspended.
    Suspended,
}

/// A bucket's configuration (its objects live in the store).
#[derive(Debug, Clone)]
pub struct Bucket {
    /// Name.
    pub name: String,
    /// Owner account id.
    pub account: String,
    /// Region.
    pub region: String,
    /// Bucket policy.
    pub policy: Option<PolicyDoc>,
    /// Object Ownership.
    pub object_ownership: ObjectOwnership,
    /// Block Public Access.
    pub public_access_block: file::PublicAccessBlockFile,
    /// Default encryption.
    pub encryption: Encryption,
    /// Versioning.
    pub versioning: Versioning,
    /// Object Lock default retention mode, if Object Lock is on.
    pub object_lock: Option<file::ObjectLockFile>,
    /// Requester Pays.
    pub requester_pays: bool,
    /// Whether SigV2 is accepted.
    pub sigv2: bool,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// When it was created, if recently enough to matter ([`Bucket::dns_settled`]).
    pub created: Option<OffsetDateTime>,
}

/// How long a new bucket's name takes to reach every DNS resolver: S3 "might
/// take up to 24 hours" (S3 API reference, "Request redirection and the REST
/// API"; misconfigs.md M32). Until then, requests through the global endpoint are
/// answered 307 TemporaryRedirect.
pub const NEW_BUCKET_DNS: time::Duration = time::Duration::hours(24);

impl Bucket {
    /// Whether DNS for the bucket's name has settled at `now`.
    pub fn dns_settled(&self, now: OffsetDateTime) -> bool {
        self.created.is_none_or(|c| now - c >= NEW_BUCKET_DNS)
    }

    /// A bucket as CreateBucket makes one today: ACLs disabled
    /// (BucketOwnerEnforced), Block Public Access on, SSE-S3, unversioned
    /// (S3 user guide, "Default settings for new buckets").
    pub fn new(name: &str, account: &str, region: &str) -> Self {
        Self {
            name: name.to_string(),
            account: account.to_string(),
            region: region.to_string(),
            policy: None,
            object_ownership: ObjectOwnership::BucketOwnerEnforced,
            public_access_block: file::PublicAccessBlockFile {
                block_public_acls: true,
                ignore_public_acls: true,
                block_public_policy: true,
                restrict_public_buckets: true,
            },
            encryption: Encryption::SseS3,
            versioning: Versioning::Unversioned,
            object_lock: None,
            requester_pays: false,
            sigv2: false,
            tags: BTreeMap::new(),
            created: None,
        }
    }
}

/// State of a KMS key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum KmsKeyState {
    /// Usable.
    Enabled,
    /// Disabled.
    Disabled,
    /// Scheduled for deletion.
    PendingDeletion,
}

/// A KMS key.
#[derive(Debug, Clone)]
pub struct KmsKey {
    /// Owner account id.
    pub account: String,
    /// Key id.
    pub id: String,
    /// Region.
    pub region: String,
    /// Key policy.
    pub policy: PolicyDoc,
    /// State.
    pub state: KmsKeyState,
}

impl KmsKey {
    /// `arn:aws:kms:REGION:ACCOUNT:key/ID`.
    pub fn arn(&self) -> String {
        format!("arn:aws:kms:{}:{}:key/{}", self.region, self.account, self.id)
    }
}

/// An organization policy and where it applies.
#[derive(Debug, Clone)]
pub struct OrgPolicy {
    /// The document.
    pub doc: PolicyDoc,
    /// Account ids it is attached to.
    pub accounts: Vec<String>,
}

/// An AWS Organization.
#[derive(Debug, Clone)]
pub struct Organization {
    /// `o-…`.
    pub id: String,
    /// Management account id.
    pub management_account: String,
    /// Every account id in the organization, the management account included.
    pub accounts: Vec<String>,
    /// SCPs.
    pub scps: Vec<OrgPolicy>,
    /// RCPs.
    pub rcps: Vec<OrgPolicy>,
}

impl Organization {
    /// The SCPs that cap principals of `account`; empty outside the organization
    /// and for the management account ("SCPs don't affect users or roles in the
    /// management account", AWS Organizations user guide, "Service control policies").
    pub fn scps_for(&self, account: &str) -> Vec<&PolicyDoc> {
        if account == self.management_account {
            return Vec::new();
        }
        Self::attached(&self.scps, &self.accounts, account)
    }

    /// The RCPs that cap resources of `account`; empty outside the organization
    /// and for the management account ("RCPs don't affect resources in the
    /// management account", AWS Organizations user guide, "Resource control
    /// policies (RCPs)").
    pub fn rcps_for(&self, account: &str) -> Vec<&PolicyDoc> {
        if account == self.management_account {
            return Vec::new();
        }
        Self::attached(&self.rcps, &self.accounts, account)
    }

    fn attached<'a>(list: &'a [OrgPolicy], members: &[String], account: &str) -> Vec<&'a PolicyDoc> {
        if !members.iter().any(|m| m == account) {
            return Vec::new();
        }
        list.iter()
            .filter(|p| p.accounts.iter().any(|a| a == account))
            .map(|p| &p.doc)
            .collect()
    }
}

/// Network facts.
#[derive(Debug, Clone)]
pub struct Network {
    /// Apparent client IP; `None` uses the socket's peer address.
    pub source_ip: Option<std::net::IpAddr>,
    /// `aws:SecureTransport`.
    pub secure_transport: bool,
    /// `aws:SourceVpce`.
    pub source_vpce: Option<String>,
    /// `aws:SourceVpc`.
    pub source_vpc: Option<String>,
    /// The policy of the VPC endpoint `source_vpce` names (an S3 gateway endpoint):
    /// S3 requests must be allowed by it too. `None` is the default endpoint
    /// policy, which allows everything.
    pub vpc_endpoint_policy: Option<PolicyDoc>,
}

impl Default for Network {
    fn default() -> Self {
        Self {
            source_ip: None,
            secure_transport: true,
            source_vpce: None,
            source_vpc: None,
            vpc_endpoint_policy: None,
        }
    }
}

/// The whole world.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// Where a manual clock starts, if the file says.
    pub now: Option<OffsetDateTime>,
    /// Network facts.
    pub network: Network,
    /// Accounts.
    pub accounts: Vec<Account>,
    /// Users, shared: a request's caller holds its user without copying it.
    pub users: Vec<Arc<User>>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Managed policies.
    pub managed_policies: Vec<ManagedPolicy>,
    /// Pre-issued temporary credentials.
    pub credentials: Vec<TempCredentials>,
    /// Buckets.
    pub buckets: Vec<Bucket>,
    /// KMS keys.
    pub kms_keys: Vec<KmsKey>,
    /// OpenID Connect identity providers.
    pub oidc_providers: Vec<oidc::OidcProvider>,
    /// Organization.
    pub organization: Option<Organization>,
    /// Fault rules active from the start.
    pub faults: Vec<crate::fault::FaultRule>,
    key_index: HashMap<String, (usize, usize), foldhash::fast::RandomState>,
    bucket_index: HashMap<String, usize, foldhash::fast::RandomState>,
}

/// Regions that are not enabled by default (opt-in regions): session tokens from
/// the global STS endpoint (version 1) are refused there. From the AWS account
/// management guide, "Specify which AWS Regions your account can use".
pub const OPT_IN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
];

/// Regions launched after 20 March 2019: S3 answers a request for a bucket there
/// that arrives at another region's endpoint with 400
/// IllegalLocationConstraintException instead of a redirect (S3 API reference,
/// "Request redirection and the REST API").
pub fn region_launched_after_2019(region: &str) -> bool {
    OPT_IN_REGIONS.contains(&region)
}

impl World {
    /// Load a world file.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        Self::from_source(&Source::read(path)?)
    }

    /// Load a world from TOML text; `name` is used in errors.
    pub fn from_toml(name: &str, text: &str) -> Result<Self, FileError> {
        Self::from_source(&Source::new(name, text))
    }

    /// Load a world from a source.
    pub fn from_source(src: &Source) -> Result<Self, FileError> {
        let parsed: WorldFile = src.parse()?;
        Self::from_file(src, &parsed)
    }

    /// Build a world from an already-parsed file (scenario files embed one).
    pub fn from_file(src: &Source, f: &WorldFile) -> Result<Self, FileError> {
        Builder {
            src,
            world: World::default(),
        }
        .build(f)
    }

    /// Find an account by id or name.
    pub fn account(&self, id_or_name: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.id == id_or_name || a.name == id_or_name)
    }

    /// The user holding a long-term access key, and the key.
    pub fn access_key(&self, key_id: &str) -> Option<(&Arc<User>, &AccessKey)> {
        let (u, k) = *self.key_index.get(key_id)?;
        let user = self.users.get(u)?;
        Some((user, user.access_keys.get(k)?))
    }

    /// A bucket by name.
    pub fn bucket(&self, name: &str) -> Option<&Bucket> {
        self.buckets.get(*self.bucket_index.get(name)?)
    }

    /// A user by account id and name.
    pub fn user(&self, account: &str, name: &str) -> Option<&Arc<User>> {
        self.users.iter().find(|u| u.account == account && u.name == name)
    }

    /// A role by account id and name (names are compared exactly, as in `RoleArn`).
    pub fn group(&self, account: &str, name: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.account == account && g.name == name)
    }

    /// The groups `user` belongs to, in the order its file lists them.
    pub fn groups_of<'w>(&'w self, user: &'w User) -> impl Iterator<Item = &'w Group> + 'w {
        user.groups.iter().filter_map(|g| self.group(&user.account, g))
    }

    /// A role by account id and name.
    pub fn role(&self, account: &str, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.account == account && r.name == name)
    }

    /// A role by ARN (path included, case-sensitive).
    pub fn role_by_arn(&self, arn: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.is_arn(arn))
    }

    /// A KMS key by ARN, key id or `alias/…`-free id.
    pub fn kms_key(&self, arn_or_id: &str) -> Option<&KmsKey> {
        self.kms_keys
            .iter()
            .find(|k| k.arn() == arn_or_id || k.id == arn_or_id)
    }

    /// Mutable access to a bucket, for edits mid-scenario.
    pub fn bucket_mut(&mut self, name: &str) -> Option<&mut Bucket> {
        let i = *self.bucket_index.get(name)?;
        self.buckets.get_mut(i)
    }

    /// Rebuild the lookup indexes after the lists were edited.
    pub fn reindex(&mut self) {
        self.key_index.clear();
        for (u, user) in self.users.iter().enumerate() {
            for (k, key) in user.access_keys.iter().enumerate() {
                self.key_index.insert(key.id.clone(), (u, k));
            }
        }
        self.bucket_index = self
            .buckets
            .iter()
            .enumerate()
            .map(|(i, b)| (b.name.clone(), i))
            .collect();
    }

    /// Whether two accounts are in the same organization.
    pub fn same_organization(&self, a: &str, b: &str) -> bool {
        a == b
            || self
                .organization
                .as_ref()
                .is_some_and(|o| o.accounts.iter().any(|x| x == a) && o.accounts.iter().any(|x| x == b))
    }
}

/// `doc` with AWS's FullAWSAccess statement after its own, as one policy (the
/// text stays as written).
///
/// For an RCP the statement is RCPFullAWSAccess's, which names every principal
/// (`"Principal": "*"`): RCPs are resource policies and must name one (AWS
/// Organizations user guide, "Resource control policy syntax"; the managed
/// RCPFullAWSAccess policy). Without it the statement did not parse and an RCP
/// holding only denies denied everything it did not mention.
///
/// The statement is appended to the parsed policy rather than to the text: AWS
/// attaches a policy of its own, so a `Sid` the customer's policy repeats or
/// the document's size quota do not apply to it.
fn with_full_access(doc: &PolicyDoc, kind: PolicyKind) -> Option<PolicyDoc> {
    let full = if kind == PolicyKind::Rcp {
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"FullAWSAccess","Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#
    } else {
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"FullAWSAccess","Effect":"Allow","Action":"*","Resource":"*"}]}"#
    };
    let full = Policy::parse(full, kind).ok()?;
    Some(PolicyDoc {
        id: doc.id.clone(),
        policy: Arc::new(doc.policy.followed_by(&full)),
        text: doc.text.clone(),
    })
}

/// Builds a [`World`] from a parsed file, turning every semantic problem into a
/// located [`FileError`].
struct Builder<'a> {
    src: &'a Source,
    world: World,
}

/// A stable pseudo-unique id in AWS's shape (`AIDA…`/`AROA…`, 21 characters),
/// derived from the ARN so the same world always has the same ids.
pub fn derived_unique_id(prefix: &str, arn: &str) -> String {
    use sha2::Digest;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = sha2::Sha256::digest(arn.as_bytes());
    let mut id = String::from(prefix);
    for byte in digest.iter().take(17) {
        id.push(char::from(
            ALPHABET
                .get(usize::from(*byte) % ALPHABET.len())
                .copied()
                .unwrap_or(b'A'),
        ));
    }
    id
}

fn normalize_path(path: Option<&str>) -> String {
    match path {
        None | Some("") => "/".to_string(),
        Some(p) => {
            let mut p = p.to_string();
            if !p.starts_with('/') {
                p.insert(0, '/');
            }
            if !p.ends_with('/') {
                p.push('/');
            }
            p
        }
    }
}

impl Builder<'_> {
    fn err<T>(&self, at: &Spanned<T>, msg: impl Into<String>) -> FileError {
        self.src.error_in(at, msg)
    }

    fn account_id(&self, r: &Spanned<String>) -> Result<String, FileError> {
        self.world
            .account(r.get_ref())
            .map(|a| a.id.clone())
            .ok_or_else(|| {
                self.err(
                    r,
                    format!("unknown account `{}`: declare it in [[accounts]]", r.get_ref()),
                )
            })
    }

    fn policy(&self, id: String, doc: &Spanned<String>, kind: PolicyKind) -> Result<PolicyDoc, FileError> {
        let text = doc.get_ref().clone();
        match Policy::parse(&text, kind) {
            Ok(policy) => Ok(PolicyDoc {
                id,
                policy: Arc::new(policy),
                text,
            }),
            Err(e) => Err(self.src.error_inside(
                doc,
                e.line,
                e.column,
                format!("policy `{id}`: {}: {}", service_error(kind, e.code), e.message),
            )),
        }
    }

    fn managed(&self, account: &str, r: &Spanned<String>) -> Result<PolicyDoc, FileError> {
        let name = r.get_ref();
        self.world
            .managed_policies
            .iter()
            .find(|p| &p.arn() == name || (p.name == *name && p.account == account))
            .map(|p| p.doc.clone())
            .ok_or_else(|| {
                self.err(
                    r,
                    format!("unknown managed policy `{name}`: declare it in [[policies]]"),
                )
            })
    }

    fn inline(&self, owner: &str, list: &[InlinePolicyFile]) -> Result<Vec<PolicyDoc>, FileError> {
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for p in list {
            if seen.contains(&p.name.get_ref().as_str()) {
                return Err(self.err(&p.name, format!("duplicate policy name `{}`", p.name.get_ref())));
            }
            seen.push(p.name.get_ref());
            out.push(self.policy(
                format!("{owner}/{}", p.name.get_ref()),
                &p.document,
                PolicyKind::Identity,
            )?);
        }
        Ok(out)
    }

    fn time(&self, v: &Spanned<String>) -> Result<OffsetDateTime, FileError> {
        OffsetDateTime::parse(v.get_ref(), &time::format_description::well_known::Rfc3339).map_err(|e| {
            self.err(
                v,
                format!(
                    "`{}` is not an RFC 3339 time (like 2026-01-01T00:00:00Z): {e}",
                    v.get_ref()
                ),
            )
        })
    }

    fn build(mut self, f: &WorldFile) -> Result<World, FileError> {
        if let Some(now) = &f.now {
            self.world.now = Some(self.time(now)?);
        }
        self.world.faults.clone_from(&f.faults);
        if let Some(net) = &f.network {
            self.network(net)?;
        }
        for a in &f.accounts {
            self.account(a)?;
        }
        for p in &f.policies {
            self.managed_policy(p)?;
        }
        for g in &f.groups {
            self.group(g)?;
        }
        for u in &f.users {
            self.user(u)?;
        }
        for r in &f.roles {
            self.role(r)?;
        }
        for c in &f.credentials {
            self.credentials(c)?;
        }
        for k in &f.kms_keys {
            self.kms_key(k)?;
        }
        for b in &f.buckets {
            self.bucket(b)?;
        }
        for p in &f.oidc_providers {
            self.oidc_provider(p)?;
        }
        if let Some(o) = &f.organization {
            self.organization(o)?;
        }
        self.world.reindex();
        Ok(self.world)
    }

    fn network(&mut self, net: &file::NetworkFile) -> Result<(), FileError> {
        let source_ip = match &net.source_ip {
            Some(ip) => Some(
                ip.get_ref()
                    .parse()
                    .map_err(|_| self.err(ip, format!("`{}` is not an IP address", ip.get_ref())))?,
            ),
            None => None,
        };
        let vpc_endpoint_policy = match (&net.vpc_endpoint_policy, &net.source_vpce) {
            (None, _) => None,
            (Some(p), None) => {
                return Err(self.err(
                    p,
                    "vpc_endpoint_policy needs `source_vpce`: the endpoint the requests arrive through",
                ))
            }
            // An S3 gateway endpoint policy is a resource policy with a
            // Principal, in S3's grammar.
            (Some(p), Some(vpce)) => Some(self.policy(format!("vpce:{vpce}"), p, PolicyKind::Bucket)?),
        };
        self.world.network = Network {
            source_ip,
            secure_transport: net.secure_transport.unwrap_or(true),
            source_vpce: net.source_vpce.clone(),
            source_vpc: net.source_vpc.clone(),
            vpc_endpoint_policy,
        };
        Ok(())
    }

    fn account(&mut self, a: &file::AccountFile) -> Result<(), FileError> {
        let id = a.id.get_ref();
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.err(&a.id, format!("account id `{id}` must be 12 digits")));
        }
        if self.world.account(id).is_some() || self.world.account(a.name.get_ref()).is_some() {
            return Err(self.err(
                &a.id,
                format!("account `{id}` (`{}`) is declared twice", a.name.get_ref()),
            ));
        }
        self.world.accounts.push(Account {
            id: id.clone(),
            name: a.name.get_ref().clone(),
            sts_disabled_regions: a.sts_disabled_regions.clone(),
            global_endpoint_token_version: a.global_endpoint_token_version.unwrap_or(1),
        });
        Ok(())
    }

    fn managed_policy(&mut self, p: &file::ManagedPolicyFile) -> Result<(), FileError> {
        let account = self.account_id(&p.account)?;
        let doc = self.policy(
            format!("managed:{}", p.name.get_ref()),
            &p.document,
            PolicyKind::Identity,
        )?;
        self.world.managed_policies.push(ManagedPolicy {
            account,
            name: p.name.get_ref().clone(),
            path: normalize_path(p.path.as_deref()),
            doc,
        });
        Ok(())
    }

    fn group(&mut self, g: &file::GroupFile) -> Result<(), FileError> {
        let account = self.account_id(&g.account)?;
        let name = g.name.get_ref().clone();
        if self
            .world
            .groups
            .iter()
            .any(|x| x.account == account && x.name.eq_ignore_ascii_case(&name))
        {
            // Group names are unique case-insensitively within an account (IAM quotas page).
            return Err(self.err(&g.name, format!("group `{name}` is declared twice")));
        }
        let path = normalize_path(g.path.as_deref());
        let mut policies = self.inline(&format!("group:{name}"), &g.policies)?;
        for m in &g.managed_policies {
            policies.push(self.managed(&account, m)?);
        }
        let arn = format!("arn:aws:iam::{account}:group{path}{name}");
        self.world.groups.push(Group {
            id: g.id.clone().unwrap_or_else(|| derived_unique_id("AGPA", &arn)),
            account,
            name,
            path,
            policies,
        });
        Ok(())
    }

    fn user(&mut self, u: &file::UserFile) -> Result<(), FileError> {
        let account = self.account_id(&u.account)?;
        let name = u.name.get_ref().clone();
        if self.world.user(&account, &name).is_some() {
            return Err(self.err(&u.name, format!("user `{name}` is declared twice")));
        }
        let path = normalize_path(u.path.as_deref());
        let mut keys = Vec::new();
        for k in &u.access_keys {
            let status = match k.status.as_ref().map(|s| s.get_ref().to_ascii_lowercase()) {
                None => KeyStatus::Active,
                Some(s) if s == "active" => KeyStatus::Active,
                Some(s) if s == "inactive" => KeyStatus::Inactive,
                Some(s) => {
                    let at = k.status.as_ref().unwrap_or(&k.id);
                    return Err(self.err(at, format!("key status `{s}` must be `Active` or `Inactive`")));
                }
            };
            if self.world.key_index.contains_key(k.id.get_ref())
                || self
                    .world
                    .users
                    .iter()
                    .any(|x| x.access_keys.iter().any(|y| &y.id == k.id.get_ref()))
                || keys.iter().any(|y: &AccessKey| &y.id == k.id.get_ref())
            {
                return Err(self.err(
                    &k.id,
                    format!("access key `{}` is declared twice", k.id.get_ref()),
                ));
            }
            keys.push(AccessKey {
                id: k.id.get_ref().clone(),
                secret: k.secret.clone(),
                status,
            });
        }
        let owner = format!("user:{name}");
        let mut policies = self.inline(&owner, &u.policies)?;
        for m in &u.managed_policies {
            policies.push(self.managed(&account, m)?);
        }
        let boundary = match &u.permissions_boundary {
            Some(b) => Some(self.boundary(&account, b)?),
            None => None,
        };
        let mut groups = Vec::new();
        for g in &u.groups {
            if self.world.group(&account, g.get_ref()).is_none() {
                return Err(self.err(
                    g,
                    format!(
                        "no group `{}` in the user's account: declare it in [[groups]]",
                        g.get_ref()
                    ),
                ));
            }
            groups.push(g.get_ref().clone());
        }
        let arn = format!("arn:aws:iam::{account}:user{path}{name}");
        self.world.users.push(Arc::new(User {
            id: u.id.clone().unwrap_or_else(|| derived_unique_id("AIDA", &arn)),
            account,
            name,
            path,
            access_keys: keys,
            policies,
            boundary,
            tags: u.tags.clone(),
            groups,
        }));
        Ok(())
    }

    fn role(&mut self, r: &file::RoleFile) -> Result<(), FileError> {
        let account = self.account_id(&r.account)?;
        let name = r.name.get_ref().clone();
        if self
            .world
            .roles
            .iter()
            .any(|x| x.account == account && x.name.eq_ignore_ascii_case(&name))
        {
            // Role names are unique case-insensitively within an account (IAM quotas page).
            return Err(self.err(
                &r.name,
                format!("role `{name}` is declared twice (names ignore case)"),
            ));
        }
        let path = normalize_path(r.path.as_deref());
        let trust = self.policy(format!("trust:{name}"), &r.trust_policy, PolicyKind::Trust)?;
        let owner = format!("role:{name}");
        let mut policies = self.inline(&owner, &r.policies)?;
        for m in &r.managed_policies {
            policies.push(self.managed(&account, m)?);
        }
        let boundary = match &r.permissions_boundary {
            Some(b) => Some(self.boundary(&account, b)?),
            None => None,
        };
        let max_session_duration = match &r.max_session_duration {
            Some(d) if !(3600..=43200).contains(d.get_ref()) => {
                return Err(self.err(d, "max_session_duration must be between 3600 and 43200 seconds"));
            }
            Some(d) => *d.get_ref(),
            None => 3600,
        };
        let arn = format!("arn:aws:iam::{account}:role{path}{name}");
        self.world.roles.push(Role {
            id: r.id.clone().unwrap_or_else(|| derived_unique_id("AROA", &arn)),
            account,
            name,
            path,
            trust,
            policies,
            boundary,
            max_session_duration,
            tags: r.tags.clone(),
        });
        Ok(())
    }

    fn credentials(&mut self, c: &file::CredentialsFile) -> Result<(), FileError> {
        let expires = self.time(&c.expires)?;
        let owner = match (&c.role, &c.user) {
            (Some(role), None) => {
                let r = self.resolve_role(role)?;
                SessionOwner::Role {
                    account: r.account.clone(),
                    role: r.name.clone(),
                    session_name: c.session_name.clone().unwrap_or_else(|| "session".to_string()),
                }
            }
            (None, Some(user)) => {
                let (acct, name) = user.get_ref().split_once('/').ok_or_else(|| {
                    self.err(
                        user,
                        format!("user `{}` must be written `account/user-name`", user.get_ref()),
                    )
                })?;
                let account = self.world.account(acct).map(|a| a.id.clone()).ok_or_else(|| {
                    self.err(
                        user,
                        format!("unknown account `{acct}`: declare it in [[accounts]]"),
                    )
                })?;
                if self.world.user(&account, name).is_none() {
                    return Err(self.err(user, format!("unknown user `{name}` in account `{acct}`")));
                }
                SessionOwner::User {
                    account,
                    user: name.to_string(),
                }
            }
            _ => {
                return Err(self.err(
                    &c.access_key_id,
                    "temporary credentials name exactly one owner: `role = ...` or `user = ...`",
                ))
            }
        };
        self.world.credentials.push(TempCredentials {
            access_key_id: c.access_key_id.get_ref().clone(),
            secret: c.secret.clone(),
            session_token: c.session_token.clone(),
            expires,
            owner,
            issued_in_region: c.issued_in_region.clone(),
        });
        Ok(())
    }

    fn kms_key(&mut self, k: &file::KmsKeyFile) -> Result<(), FileError> {
        let account = self.account_id(&k.account)?;
        let id = k.id.get_ref().clone();
        let region = k.region.clone().unwrap_or_else(|| "us-east-1".to_string());
        let policy_id = format!("kms:{id}");
        let policy = match &k.policy {
            Some(p) => self.policy(policy_id, p, PolicyKind::KmsKey)?,
            None => {
                // The default key policy: "Allow the account root full access to the key,
                // delegating to IAM policies" (KMS developer guide, "Default key policy").
                let text = format!(
                    r#"{{"Version":"2012-10-17","Id":"key-default-1","Statement":[{{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
                );
                let policy = Policy::parse(&text, PolicyKind::KmsKey)
                    .map_err(|e| self.err(&k.id, format!("default key policy: {}", e.message)))?;
                PolicyDoc {
                    id: policy_id,
                    policy: Arc::new(policy),
                    text,
                }
            }
        };
        let state = match k.state.as_ref().map(|s| s.get_ref().as_str()) {
            None | Some("Enabled") => KmsKeyState::Enabled,
            Some("Disabled") => KmsKeyState::Disabled,
            Some("PendingDeletion") => KmsKeyState::PendingDeletion,
            Some(other) => {
                let at = k.state.as_ref().unwrap_or(&k.id);
                return Err(self.err(
                    at,
                    format!("key state `{other}` must be `Enabled`, `Disabled` or `PendingDeletion`"),
                ));
            }
        };
        self.world.kms_keys.push(KmsKey {
            account,
            id,
            region,
            policy,
            state,
        });
        Ok(())
    }

    fn organization(&mut self, o: &file::OrganizationFile) -> Result<(), FileError> {
        let management_account = self.account_id(&o.management_account)?;
        let mut accounts = vec![management_account.clone()];
        for a in &o.accounts {
            let id = self.account_id(a)?;
            if !accounts.contains(&id) {
                accounts.push(id);
            }
        }
        let full_aws_access = o.full_aws_access.unwrap_or(true);
        let org_policies = |list: &[file::OrgPolicyFile], kind: PolicyKind, prefix: &str, full: bool| {
            list.iter()
                .map(|p| {
                    let id = format!("{prefix}:{}", p.name.get_ref());
                    // Validate the document as written (errors point into the file) ...
                    let mut doc = self.policy(id.clone(), &p.document, kind)?;
                    // ... then evaluate it beside the FullAWSAccess policy AWS attaches at
                    // every level (RCPFullAWSAccess cannot even be detached), so a
                    // deny-list policy only subtracts, as in AWS. One world entry is one
                    // level of the organization.
                    if full {
                        doc = with_full_access(&doc, kind).unwrap_or(doc);
                    }
                    let targets = if p.accounts.is_empty() {
                        accounts.clone()
                    } else {
                        p.accounts
                            .iter()
                            .map(|a| self.account_id(a))
                            .collect::<Result<Vec<_>, _>>()?
                    };
                    Ok(OrgPolicy {
                        doc,
                        accounts: targets,
                    })
                })
                .collect::<Result<Vec<_>, FileError>>()
        };
        let scps = org_policies(&o.scps, PolicyKind::Scp, "scp", full_aws_access)?;
        let rcps = org_policies(&o.rcps, PolicyKind::Rcp, "rcp", true)?;
        self.world.organization = Some(Organization {
            id: o.id.clone().unwrap_or_else(|| "o-exampleorgid".to_string()),
            management_account,
            accounts,
            scps,
            rcps,
        });
        Ok(())
    }

    fn resolve_role(&self, r: &Spanned<String>) -> Result<&Role, FileError> {
        let text = r.get_ref();
        let found = if text.starts_with("arn:") {
            self.world.role_by_arn(text)
        } else if let Some((acct, name)) = text.split_once('/') {
            self.world
                .account(acct)
                .and_then(|a| self.world.role(&a.id, name))
        } else {
            None
        };
        found.ok_or_else(|| {
            self.err(
                r,
                format!("unknown role `{text}`: give its ARN or `account/role-name` of a [[roles]] entry"),
            )
        })
    }

    fn boundary(&self, account: &str, r: &Spanned<String>) -> Result<PolicyDoc, FileError> {
        let mut doc = self.managed(account, r)?;
        doc.id = doc.id.replacen("managed:", "boundary:", 1);
        Ok(doc)
    }

    /// A bucket's default encryption: SSE-S3, or SSE-KMS with a key of the world.
    fn encryption(&self, e: &file::EncryptionFile) -> Result<Encryption, FileError> {
        match e.algorithm.get_ref().as_str() {
            "AES256" => Ok(Encryption::SseS3),
            "aws:kms" | "aws:kms:dsse" => {
                let key_arn = match &e.kms_key {
                    None => None,
                    Some(k) => Some(self.world.kms_key(k.get_ref()).map(KmsKey::arn).ok_or_else(|| {
                        self.err(
                            k,
                            format!("unknown KMS key `{}`: declare it in [[kms_keys]]", k.get_ref()),
                        )
                    })?),
                };
                Ok(Encryption::SseKms {
                    key_arn,
                    bucket_key: e.bucket_key,
                })
            }
            other => Err(self.err(
                &e.algorithm,
                format!("encryption algorithm `{other}` must be `AES256` or `aws:kms`"),
            )),
        }
    }

    fn bucket(&mut self, b: &file::BucketFile) -> Result<(), FileError> {
        let name = b.name.get_ref().clone();
        if let Err(why) = arn::check_bucket_name(&name) {
            return Err(self.err(&b.name, format!("bucket name `{name}` is not valid: {why}")));
        }
        if self.world.buckets.iter().any(|x| x.name == name) {
            return Err(self.err(&b.name, format!("bucket `{name}` is declared twice")));
        }
        let account = self.account_id(&b.account)?;
        let region = b
            .region
            .as_ref()
            .map_or_else(|| "us-east-1".to_string(), |r| r.get_ref().clone());
        if let Some(r) = &b.region {
            if !arn::looks_like_region(r.get_ref()) {
                return Err(self.err(
                    r,
                    format!("`{}` is not a region name like `eu-west-1`", r.get_ref()),
                ));
            }
        }
        let policy = match &b.policy {
            Some(p) => Some(self.policy(format!("bucket:{name}"), p, PolicyKind::Bucket)?),
            None => None,
        };
        let object_ownership = match b.object_ownership.as_ref().map(|s| s.get_ref().as_str()) {
            None | Some("BucketOwnerEnforced") => ObjectOwnership::BucketOwnerEnforced,
            Some("BucketOwnerPreferred") => ObjectOwnership::BucketOwnerPreferred,
            Some("ObjectWriter") => ObjectOwnership::ObjectWriter,
            Some(other) => {
                let at = b.object_ownership.as_ref().unwrap_or(&b.name);
                return Err(self.err(
                    at,
                    format!(
                        "object_ownership `{other}` must be `BucketOwnerEnforced`, `BucketOwnerPreferred` or `ObjectWriter`"
                    ),
                ));
            }
        };
        let encryption = match &b.encryption {
            None => Encryption::SseS3,
            Some(e) => self.encryption(e)?,
        };
        let versioning = match b.versioning.as_ref().map(|s| s.get_ref().as_str()) {
            None => Versioning::Unversioned,
            Some("Enabled") => Versioning::Enabled,
            Some("Suspended") => Versioning::Suspended,
            Some(other) => {
                let at = b.versioning.as_ref().unwrap_or(&b.name);
                return Err(self.err(
                    at,
                    format!("versioning `{other}` must be `Enabled` or `Suspended`"),
                ));
            }
        };
        self.world.buckets.push(Bucket {
            name,
            account,
            region,
            policy,
            object_ownership,
            public_access_block: b.public_access_block.unwrap_or(file::PublicAccessBlockFile {
                block_public_acls: true,
                ignore_public_acls: true,
                block_public_policy: true,
                restrict_public_buckets: true,
            }),
            encryption,
            versioning: if b.object_lock.is_some() {
                Versioning::Enabled
            } else {
                versioning
            },
            object_lock: b.object_lock.clone(),
            requester_pays: b.requester_pays,
            sigv2: b.sigv2,
            tags: b.tags.clone(),
            created: match &b.created {
                Some(t) => Some(self.time(t)?),
                None => None,
            },
        });
        self.world.reindex();
        Ok(())
    }
}

/// How the service that stores a policy of `kind` refuses it: S3's
/// `PutBucketPolicy` answers `MalformedPolicy`, IAM `MalformedPolicyDocument`
/// (or `LimitExceeded` over a quota), KMS and Organizations
/// `MalformedPolicyDocumentException` (S3, IAM, KMS and Organizations API
/// references, each operation's errors). A world-file error names the service,
/// so the customer's console error can be recognised in it.
pub fn service_error(kind: PolicyKind, code: crate::iam::PolicyErrorCode) -> String {
    use crate::iam::PolicyErrorCode as C;
    let (service, operation) = match kind {
        PolicyKind::Bucket => ("S3", "PutBucketPolicy"),
        PolicyKind::Trust => ("IAM", "UpdateAssumeRolePolicy"),
        PolicyKind::Identity | PolicyKind::Boundary => ("IAM", "PutRolePolicy/CreatePolicy"),
        PolicyKind::Session => ("STS", "AssumeRole"),
        PolicyKind::KmsKey => ("KMS", "PutKeyPolicy"),
        PolicyKind::Scp | PolicyKind::Rcp => ("Organizations", "CreatePolicy"),
    };
    let wire = match (kind, code) {
        (PolicyKind::KmsKey | PolicyKind::Scp | PolicyKind::Rcp, C::MalformedPolicyDocument) => {
            "MalformedPolicyDocumentException"
        }
        (_, c) => c.as_str(),
    };
    format!("{service} {operation} would answer {wire}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `role_by_arn` compares without building ARNs: it finds each role by its
    /// exact ARN, path included, and nothing else.
    #[test]
    fn roles_are_found_by_their_exact_arn() {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}"#;
        let text = format!(
            r#"
[[accounts]]
id = "111111111111"
name = "a"
[[accounts]]
id = "222222222222"
name = "b"
[[roles]]
account = "a"
name = "r"
trust_policy = '{trust}'
[[roles]]
account = "b"
name = "r"
path = "/service-role/"
trust_policy = '{trust}'
"#
        );
        let w = World::from_toml("roles", &text).unwrap();
        assert_eq!(w.roles.len(), 2);
        for (i, r) in w.roles.iter().enumerate() {
            let arn = r.arn();
            assert!(std::ptr::eq(w.role_by_arn(&arn).unwrap(), &w.roles[i]), "{arn}");
            for wrong in [
                format!("{arn}x"),
                arn[..arn.len() - 1].to_string(),
                arn.replace(":role", ":user"),
            ] {
                assert!(w.role_by_arn(&wrong).is_none(), "{wrong}");
            }
        }
        assert_eq!(w.roles[1].arn(), "arn:aws:iam::222222222222:role/service-role/r");
        assert!(w.role_by_arn("arn:aws:iam::222222222222:role/r").is_none());
    }

    /// FullAWSAccess sits beside each SCP and RCP as AWS's own policy: after
    /// the document's statements, even when the document already uses its Sid
    /// or is a single statement object; the text stays as written.
    #[test]
    fn organization_policies_get_full_aws_access_beside_them() {
        let scp = r#"{"Version":"2012-10-17","Statement":{"Sid":"FullAWSAccess","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}}"#;
        let rcp = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        let text = format!(
            r#"
[[accounts]]
id = "111111111111"
name = "a"
[organization]
management_account = "a"
scps = [{{ name = "no-delete", document = '{scp}' }}]
rcps = [{{ name = "tls", document = '{rcp}' }}]
"#
        );
        let w = World::from_toml("org", &text).unwrap();
        let org = w.organization.as_ref().unwrap();
        for (level, written) in [(&org.scps[0], scp), (&org.rcps[0], rcp)] {
            let statements = level.doc.policy.statements();
            assert_eq!(statements.len(), 2, "{}", level.doc.id);
            let full = &statements[1];
            assert_eq!(full.sid.as_deref(), Some("FullAWSAccess"));
            assert_eq!(full.effect, crate::iam::StatementEffect::Allow);
            assert_eq!(statements[0].effect, crate::iam::StatementEffect::Deny);
            assert_eq!(level.doc.text, written);
        }
        assert!(org.rcps[0].doc.policy.statements()[1].principal.is_some());
        assert!(org.scps[0].doc.policy.statements()[1].principal.is_none());
    }
}
