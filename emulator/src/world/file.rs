//! The world file: TOML written by people, loaded with file, line and column on every error.
//!
//! Every struct refuses unknown keys. Values whose meaning is checked after parsing
//! (account references, policies, dates) are [`toml::Spanned`], so a semantic error
//! points at the line that holds the value, and a policy error points at the line
//! inside the pasted JSON.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

/// A problem in a world (or scenario) file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file, as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

impl std::error::Error for FileError {}

/// Maps byte offsets of a source text to 1-based line and column.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file name used in errors.
    pub name: String,
    /// The text.
    pub text: String,
}

impl Source {
    /// A source from text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Read a file.
    pub fn read(path: &Path) -> Result<Self, FileError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| FileError {
            file: name.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        })?;
        Ok(Self { name, text })
    }

    /// Line and column (1-based) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
            before.get(nl + 1..).map_or(0, |s| s.chars().count())
        }) + 1;
        (line, column)
    }

    /// An error at a byte offset.
    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> FileError {
        let (line, column) = self.line_col(offset);
        FileError {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error at the start of a spanned value.
    pub fn error_in<T>(&self, value: &Spanned<T>, message: impl Into<String>) -> FileError {
        self.error_at(value.span().start, message)
    }

    /// Turn a TOML parse error into a located error.
    pub fn toml_error(&self, err: &toml::de::Error) -> FileError {
        let offset = err.span().map_or(0, |s| s.start);
        // The toml crate's message repeats the location and a source excerpt on
        // its first lines; keep only the sentence that says what is wrong.
        let message = err.message().trim().to_string();
        self.error_at(offset, message)
    }

    /// Parse the whole text as `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, FileError> {
        toml::from_str(&self.text).map_err(|e| self.toml_error(&e))
    }

    /// The byte offset where the content of a spanned string literal starts,
    /// past its quotes and, for multi-line literals, past the newline that
    /// TOML trims; so that offsets inside the string map to file positions.
    pub fn string_content_start(&self, value: &Spanned<String>) -> usize {
        let span = value.span();
        let raw = self.text.get(span.clone()).unwrap_or("");
        let mut skip = 0;
        for opener in ["'''", "\"\"\"", "'", "\""] {
            if raw.starts_with(opener) {
                skip = opener.len();
                if opener.len() == 3 {
                    let rest = raw.get(skip..).unwrap_or("");
                    if rest.starts_with("\r\n") {
                        skip += 2;
                    } else if rest.starts_with('\n') {
                        skip += 1;
                    }
                }
                break;
            }
        }
        span.start + skip
    }

    /// An error at a 1-based (line, column) position inside a spanned string
    /// literal (a policy pasted into the file).
    pub fn error_inside(
        &self,
        value: &Spanned<String>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> FileError {
        let start = self.string_content_start(value);
        let (base_line, base_col) = self.line_col(start);
        let (line, column) = if line <= 1 {
            (base_line, base_col + column.saturating_sub(1))
        } else {
            (base_line + line - 1, column)
        };
        FileError {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// The world file's top level.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldFile {
    /// The instant a manual clock starts at (RFC 3339).
    #[serde(default)]
    pub now: Option<Spanned<String>>,
    /// Network facts the emulator cannot see from a loopback socket.
    #[serde(default)]
    pub network: Option<NetworkFile>,
    /// AWS accounts.
    #[serde(default)]
    pub accounts: Vec<AccountFile>,
    /// IAM users and their long-term access keys.
    #[serde(default)]
    pub users: Vec<UserFile>,
    /// IAM groups: policies their member users get.
    #[serde(default)]
    pub groups: Vec<GroupFile>,
    /// IAM roles.
    #[serde(default)]
    pub roles: Vec<RoleFile>,
    /// Customer-managed policies.
    #[serde(default)]
    pub policies: Vec<ManagedPolicyFile>,
    /// Pre-issued temporary credentials.
    #[serde(default)]
    pub credentials: Vec<CredentialsFile>,
    /// S3 buckets.
    #[serde(default)]
    pub buckets: Vec<BucketFile>,
    /// KMS keys (for SSE-KMS default encryption).
    #[serde(default)]
    pub kms_keys: Vec<KmsKeyFile>,
    /// OpenID Connect identity providers (`AssumeRoleWithWebIdentity`).
    #[serde(default)]
    pub oidc_providers: Vec<OidcProviderFile>,
    /// An AWS Organization, its accounts and SCPs/RCPs.
    #[serde(default)]
    pub organization: Option<OrganizationFile>,
    /// Fault rules active from the start (the admin API adds more at run time).
    #[serde(default)]
    pub faults: Vec<crate::fault::FaultRule>,
}

/// `[network]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    /// The apparent client IP (`aws:SourceIp`); the emulator itself sees 127.0.0.1.
    #[serde(default)]
    pub source_ip: Option<Spanned<String>>,
    /// Whether requests count as TLS (`aws:SecureTransport`); defaults to true,
    /// since every real client talks to AWS over HTTPS and the emulator's plain
    /// HTTP stands in for that.
    #[serde(default)]
    pub secure_transport: Option<bool>,
    /// A VPC endpoint id the requests arrive through (`aws:SourceVpce`); absent by default.
    #[serde(default)]
    pub source_vpce: Option<String>,
    /// A VPC id the requests arrive from (`aws:SourceVpc`); absent by default.
    #[serde(default)]
    pub source_vpc: Option<String>,
    /// The policy of the S3 gateway endpoint `source_vpce` names, verbatim JSON;
    /// absent = the default endpoint policy, which allows everything.
    #[serde(default)]
    pub vpc_endpoint_policy: Option<Spanned<String>>,
}

/// `[[accounts]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountFile {
    /// Twelve digits.
    pub id: Spanned<String>,
    /// A short name other entries may use instead of the id.
    pub name: Spanned<String>,
    /// Regions where STS is deactivated for this account (RegionDisabledException).
    #[serde(default)]
    pub sts_disabled_regions: Vec<String>,
    /// Version of tokens the global STS endpoint issues (1: valid only in regions
    /// enabled by default; 2: valid everywhere). Defaults to 1, as AWS does.
    #[serde(default)]
    pub global_endpoint_token_version: Option<u8>,
}

/// An inline policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlinePolicyFile {
    /// The policy name.
    pub name: Spanned<String>,
    /// The JSON document, verbatim.
    pub document: Spanned<String>,
}

/// An access key of a user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKeyFile {
    /// The key id (AKIA…).
    pub id: Spanned<String>,
    /// The secret access key.
    pub secret: String,
    /// `Active` (default) or `Inactive`.
    #[serde(default)]
    pub status: Option<Spanned<String>>,
}

/// `[[users]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFile {
    /// Account name or id.
    pub account: Spanned<String>,
    /// User name.
    pub name: Spanned<String>,
    /// IAM path (default `/`).
    #[serde(default)]
    pub path: Option<String>,
    /// Unique id (AIDA…); derived from the name when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Long-term access keys.
    #[serde(default)]
    pub access_keys: Vec<AccessKeyFile>,
    /// Inline policies.
    #[serde(default)]
    pub policies: Vec<InlinePolicyFile>,
    /// ARNs (or names) of attached managed policies.
    #[serde(default)]
    pub managed_policies: Vec<Spanned<String>>,
    /// ARN (or name) of the permissions boundary.
    #[serde(default)]
    pub permissions_boundary: Option<Spanned<String>>,
    /// Tags (`aws:PrincipalTag/…`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Names of the groups (in the user's account) the user belongs to.
    #[serde(default)]
    pub groups: Vec<Spanned<String>>,
}

/// `[[groups]]`: an IAM group. Its policies are its members' identity-based
/// policies (IAM user guide, "IAM user groups"); a group is not a principal.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupFile {
    /// Account name or id.
    pub account: Spanned<String>,
    /// Group name.
    pub name: Spanned<String>,
    /// IAM path (default `/`).
    #[serde(default)]
    pub path: Option<String>,
    /// Unique id (AGPA…); derived from the name when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Inline policies.
    #[serde(default)]
    pub policies: Vec<InlinePolicyFile>,
    /// ARNs (or names) of attached managed policies.
    #[serde(default)]
    pub managed_policies: Vec<Spanned<String>>,
}

/// `[[roles]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleFile {
    /// Account name or id.
    pub account: Spanned<String>,
    /// Role name.
    pub name: Spanned<String>,
    /// IAM path (default `/`).
    #[serde(default)]
    pub path: Option<String>,
    /// Unique id (AROA…); derived from the name when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The trust policy, verbatim JSON.
    pub trust_policy: Spanned<String>,
    /// Inline policies.
    #[serde(default)]
    pub policies: Vec<InlinePolicyFile>,
    /// ARNs (or names) of attached managed policies.
    #[serde(default)]
    pub managed_policies: Vec<Spanned<String>>,
    /// ARN (or name) of the permissions boundary.
    #[serde(default)]
    pub permissions_boundary: Option<Spanned<String>>,
    /// Maximum session duration in seconds (3600 to 43200; default 3600).
    #[serde(default)]
    pub max_session_duration: Option<Spanned<i64>>,
    /// Tags (`aws:PrincipalTag/…` for its sessions).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// `[[policies]]`: a customer-managed policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedPolicyFile {
    /// Account name or id.
    pub account: Spanned<String>,
    /// Policy name.
    pub name: Spanned<String>,
    /// IAM path (default `/`).
    #[serde(default)]
    pub path: Option<String>,
    /// The JSON document, verbatim.
    pub document: Spanned<String>,
}

/// `[[credentials]]`: temporary credentials issued before the world starts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsFile {
    /// ASIA…
    pub access_key_id: Spanned<String>,
    /// The secret.
    pub secret: String,
    /// The session token.
    pub session_token: String,
    /// Expiry, RFC 3339.
    pub expires: Spanned<String>,
    /// A role ARN or `account/role-name` whose session these are.
    #[serde(default)]
    pub role: Option<Spanned<String>>,
    /// The session name (with `role`); default `session`.
    #[serde(default)]
    pub session_name: Option<String>,
    /// `account/user-name` for GetSessionToken-style user sessions.
    #[serde(default)]
    pub user: Option<Spanned<String>>,
    /// Region where these were issued via a regional endpoint; absent = the
    /// global endpoint (which matters for opt-in regions).
    #[serde(default)]
    pub issued_in_region: Option<String>,
}

/// Block Public Access settings.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PublicAccessBlockFile {
    /// Reject PUTs carrying public ACLs.
    #[serde(default)]
    pub block_public_acls: bool,
    /// Ignore public ACLs.
    #[serde(default)]
    pub ignore_public_acls: bool,
    /// Reject public bucket policies.
    #[serde(default)]
    pub block_public_policy: bool,
    /// Restrict access to public buckets.
    #[serde(default)]
    pub restrict_public_buckets: bool,
}

/// Default encryption.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionFile {
    /// `AES256` or `aws:kms`.
    pub algorithm: Spanned<String>,
    /// KMS key ARN or id for `aws:kms`.
    #[serde(default)]
    pub kms_key: Option<Spanned<String>>,
    /// S3 Bucket Key.
    #[serde(default)]
    pub bucket_key: bool,
}

/// Object Lock default retention.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectLockFile {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub mode: String,
    /// Default retention in days.
    #[serde(default)]
    pub days: Option<u32>,
}

/// `[[buckets]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketFile {
    /// Bucket name.
    pub name: Spanned<String>,
    /// Owner account name or id.
    pub account: Spanned<String>,
    /// Region (default us-east-1).
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    /// Bucket policy, verbatim JSON.
    #[serde(default)]
    pub policy: Option<Spanned<String>>,
    /// `BucketOwnerEnforced` (default), `BucketOwnerPreferred` or `ObjectWriter`.
    #[serde(default)]
    pub object_ownership: Option<Spanned<String>>,
    /// Block Public Access (default: all four on, as for buckets created since 2023).
    #[serde(default)]
    pub public_access_block: Option<PublicAccessBlockFile>,
    /// Default encryption (default SSE-S3).
    #[serde(default)]
    pub encryption: Option<EncryptionFile>,
    /// `Enabled`, `Suspended` or absent.
    #[serde(default)]
    pub versioning: Option<Spanned<String>>,
    /// Object Lock default retention.
    #[serde(default)]
    pub object_lock: Option<ObjectLockFile>,
    /// Requester Pays.
    #[serde(default)]
    pub requester_pays: bool,
    /// Whether SigV2 requests are accepted (buckets created before 24 June 2020 in
    /// regions that support SigV2). Default false.
    #[serde(default)]
    pub sigv2: bool,
    /// When the bucket was created (RFC 3339): for a day after, requests through
    /// the global endpoint get 307 TemporaryRedirect while DNS catches up (M32).
    /// Absent: created long ago.
    #[serde(default)]
    pub created: Option<Spanned<String>>,
    /// Bucket tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// `[[kms_keys]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KmsKeyFile {
    /// Owner account name or id.
    pub account: Spanned<String>,
    /// Key id (a UUID) or alias-free id.
    pub id: Spanned<String>,
    /// Region (default us-east-1).
    #[serde(default)]
    pub region: Option<String>,
    /// The key policy (default: the account root may use the key).
    #[serde(default)]
    pub policy: Option<Spanned<String>>,
    /// `Enabled` (default), `Disabled` or `PendingDeletion`.
    #[serde(default)]
    pub state: Option<Spanned<String>>,
}

/// `[[oidc_providers]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderFile {
    /// The issuer URL (`https://token.actions.githubusercontent.com`): the tokens' `iss`.
    pub url: Spanned<String>,
    /// The account it is registered in (name or id); absent only for a built-in
    /// issuer (`https://accounts.google.com`).
    #[serde(default)]
    pub account: Option<Spanned<String>>,
    /// The client-ID list: audiences a token's `aud` must name (registered providers).
    #[serde(default)]
    pub client_ids: Vec<String>,
    /// The keys it publishes (default: one RS256 key `key-1`).
    #[serde(default)]
    pub keys: Vec<OidcKeyFile>,
}

/// A published signing key of an OIDC provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcKeyFile {
    /// The key id (`kid` in the token header and the JWKS).
    pub kid: Spanned<String>,
    /// `RS256` (default) or `ES256`.
    #[serde(default)]
    pub alg: Option<Spanned<String>>,
}

/// `[organization]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationFile {
    /// Organization id (`o-…`).
    #[serde(default)]
    pub id: Option<String>,
    /// Management account name or id.
    pub management_account: Spanned<String>,
    /// Member account names or ids (the management account is implied).
    #[serde(default)]
    pub accounts: Vec<Spanned<String>>,
    /// Whether AWS's default FullAWSAccess SCP is attached beside each SCP
    /// (default true; false models an allow-list organization).
    #[serde(default)]
    pub full_aws_access: Option<bool>,
    /// Service control policies.
    #[serde(default)]
    pub scps: Vec<OrgPolicyFile>,
    /// Resource control policies.
    #[serde(default)]
    pub rcps: Vec<OrgPolicyFile>,
}

/// An SCP or RCP and the accounts it is attached to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgPolicyFile {
    /// Policy name.
    pub name: Spanned<String>,
    /// Account names or ids it applies to; empty = every account in the organization.
    #[serde(default)]
    pub accounts: Vec<Spanned<String>>,
    /// The JSON document, verbatim.
    pub document: Spanned<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = Source::new("w.toml", "a = 1\nbb = 2\n");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(6), (2, 1));
        assert_eq!(src.line_col(9), (2, 4));
    }

    #[test]
    fn unknown_keys_are_refused_with_their_line() {
        let src = Source::new(
            "w.toml",
            "[[accounts]]\nid = \"111111111111\"\nname = \"a\"\ncolour = \"red\"\n",
        );
        let err = src.parse::<WorldFile>().unwrap_err();
        assert_eq!(err.file, "w.toml");
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("colour"), "{err}");
    }

    #[test]
    fn positions_inside_a_pasted_policy_map_to_the_file() {
        let text = "doc = '''\n{\n  \"Version\": 1\n}\n'''\n";
        #[derive(Deserialize)]
        struct D {
            doc: Spanned<String>,
        }
        let src = Source::new("w.toml", text);
        let d: D = src.parse().unwrap();
        assert!(d.doc.get_ref().starts_with('{'));
        let err = src.error_inside(&d.doc, 2, 3, "bad");
        assert_eq!((err.line, err.column), (3, 3));
    }
}
