//! Every AssumeRole and S3 denial of `shared/reference/misconfigs.md` §1 A–E,
//! reproduced through the real SDKs (aws-sdk-sts, aws-sdk-s3) against a running
//! emulator, one test per misconfiguration (`mNN_…`), plus the happy paths and the
//! seed's setup guide (`shared/seed/push-to-warehouse-s3-setup.txt`).
//!
//! Each test builds a small world: the vendor account 111111111111 (a user `sync`
//! whose long-term key is the vendor's base credential, and a role
//! `vendor-connector` for role chaining), the customer account 222222222222 (the
//! role `transfer-role` the vendor assumes with an ExternalId, the HMAC user
//! `transfer-service`, the bucket `customer-lake` in eu-west-1) and a third account
//! 333333333333 (a stranger's user, a dev account, an organization member).
//!
//! Every failure asserts what AWS sends (HTTP status, error code and, where
//! misconfigs.md quotes AWS's exact text, the message) and, beside it, what AWS
//! does not say: the request log entry's decision (effect, the statements that
//! decided it as `policy-id#Sid-or-index`, and for a denial the policy type named
//! in the message), or the emulator's note when no policy decided.
//!
//! Not expressible here, and so not tested: M15 (IAM eventual consistency; the
//! emulator applies a world edit at once), M18 (AssumeRoleWithWebIdentity is not
//! implemented), M29 and M41 (multipart upload is not implemented), M32 (307
//! TemporaryRedirect for a bucket created minutes ago: the world has no bucket
//! age or DNS propagation). The MFA Delete part of M45 is not expressible either
//! (no MFA in the world).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code outside #[test] fns: a failed unwrap is a failed test"
)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ObjectCannedAcl, RequestPayer, ServerSideEncryption};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use emulator::iam::{Effect, Miss, PolicyType};
use emulator::log::LogEntry;
use emulator::{Clock, ManualClock, Running};

// ---- the cast ---------------------------------------------------------------

const VENDOR: &str = "111111111111";
const CUSTOMER: &str = "222222222222";
const OTHER: &str = "333333333333";

/// The vendor's base credential: a long-term key of `arn:aws:iam::111111111111:user/sync`.
const VENDOR_KEY: (&str, &str) = ("AKIAVENDORSYNC000001", "vendor-secret");
const VENDOR_USER: &str = "arn:aws:iam::111111111111:user/sync";
/// The customer's HMAC user (HMAC mode).
const HMAC_KEY: (&str, &str) = ("AKIACUSTOMERHMAC0001", "customer-secret");
const HMAC_USER: &str = "arn:aws:iam::222222222222:user/transfer-service";
/// A user in the third account (a stranger, or an organization member).
const OTHER_KEY: (&str, &str) = ("AKIAOTHERACCOUNT0001", "other-secret");
const OTHER_USER: &str = "arn:aws:iam::333333333333:user/stranger";

const ROLE_ARN: &str = "arn:aws:iam::222222222222:role/transfer-role";
const SESSION: &str = "warehouse-sync";
/// The role session's ARN: in the bucket owner's account, so S3 gives it the
/// enriched AccessDenied text (misconfigs.md §0).
const SESSION_ARN: &str = "arn:aws:sts::222222222222:assumed-role/transfer-role/warehouse-sync";
const EXTERNAL_ID: &str = "ext-7f3a9c21";

const BUCKET: &str = "customer-lake";
const REGION: &str = "eu-west-1";
/// The connection test's key (misconfigs.md: T = PutObject then DeleteObject).
const TEST_KEY: &str = "_prequel/connection-test.txt";

const KMS_KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KMS_KEY_ARN: &str = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// The trust policy the vendor asks for: its account, with an ExternalId.
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"VendorAssume","Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole",
 "Condition":{"StringEquals":{"sts:ExternalId":"ext-7f3a9c21"}}}]}"#;

/// The seed's permissions policy with BUCKET_NAME replaced.
const WRITE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::customer-lake/*"}]}"#;

/// The vendor user's (and vendor role's) own permission to assume any role, with
/// session tags and a source identity (cross account, the caller's side must
/// allow those too: IAM user guide, "Passing session tags in AWS STS").
const ASSUME_ANY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"*"}]}"#;

/// The seed guide's permissions policy, verbatim (shared/seed/push-to-warehouse-s3-setup.txt,
/// "Create policy").
const SEED_POLICY: &str = r#"{
"Version": "2012-10-17",
"Statement": [
{
"Effect": "Allow",
"Action": ["s3:PutObject", "s3:DeleteObject"],
"Resource": "arn:aws:s3:::BUCKET_NAME/*"
}
]
}"#;

/// The seed guide's trust policy, verbatim ("Prerequisites"); the vendor fills in
/// `<some_service_account_identifier>`.
const SEED_TRUST: &str = r#"{
"Version": "2012-10-17",
"Statement": [
{
"Effect": "Allow",
"Action": [
"sts:AssumeRole"
],
"Principal": {
"AWS": "<some_service_account_identifier>"
}
}
]
}"#;

// ---- worlds -----------------------------------------------------------------

/// A world: the defaults are the vendor's recommended setup, each test changes
/// only what its misconfiguration changes.
#[derive(Clone)]
struct W {
    /// The customer role's trust policy.
    trust: String,
    /// The permissions policy attached inline to the role and the HMAC user
    /// (`None`: nothing attached).
    policy: Option<String>,
    /// Extra lines for the customer role.
    role: String,
    /// Extra lines for the HMAC user.
    user: String,
    /// The stranger's identity policy.
    other_policy: String,
    /// The bucket's region and extra lines.
    region: String,
    bucket: String,
    /// Extra lines for the customer account.
    customer: String,
    /// Lines of `[network]`.
    network: String,
    /// More tables (keys, managed policies, organization, more buckets).
    tables: String,
}

impl Default for W {
    fn default() -> Self {
        Self {
            trust: TRUST.to_string(),
            policy: Some(WRITE.to_string()),
            role: String::new(),
            user: String::new(),
            other_policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject","sts:AssumeRole"],"Resource":"*"}]}"#.to_string(),
            region: REGION.to_string(),
            bucket: String::new(),
            customer: String::new(),
            network: String::new(),
            tables: String::new(),
        }
    }
}

impl W {
    fn trust(mut self, t: &str) -> Self {
        self.trust = t.to_string();
        self
    }
    fn policy(mut self, p: &str) -> Self {
        self.policy = Some(p.to_string());
        self
    }
    fn no_policy(mut self) -> Self {
        self.policy = None;
        self
    }
    fn role(mut self, lines: &str) -> Self {
        self.role = lines.to_string();
        self
    }
    fn user(mut self, lines: &str) -> Self {
        self.user = lines.to_string();
        self
    }
    fn region(mut self, r: &str) -> Self {
        self.region = r.to_string();
        self
    }
    fn bucket(mut self, lines: &str) -> Self {
        self.bucket = lines.to_string();
        self
    }
    fn customer(mut self, lines: &str) -> Self {
        self.customer = lines.to_string();
        self
    }
    fn network(mut self, lines: &str) -> Self {
        self.network = lines.to_string();
        self
    }
    fn tables(mut self, t: &str) -> Self {
        self.tables = t.to_string();
        self
    }
    fn bucket_policy(self, p: &str) -> Self {
        let lines = format!("{}\npolicy = '''{p}'''", self.bucket);
        self.bucket(&lines)
    }

    fn toml(&self) -> String {
        let inline = |name: &str, doc: &Option<String>| match doc {
            Some(d) => format!("policies = [{{ name = \"{name}\", document = '''{d}''' }}]"),
            None => String::new(),
        };
        let network = if self.network.is_empty() {
            String::new()
        } else {
            format!("[network]\n{}\n", self.network)
        };
        format!(
            r#"{network}
[[accounts]]
id = "{VENDOR}"
name = "vendor"

[[accounts]]
id = "{CUSTOMER}"
name = "customer"
{customer}

[[accounts]]
id = "{OTHER}"
name = "other"

[[users]]
account = "vendor"
name = "sync"
access_keys = [{{ id = "{vk}", secret = "{vs}" }}]
policies = [{{ name = "assume", document = '''{ASSUME_ANY}''' }}]

[[roles]]
account = "vendor"
name = "vendor-connector"
id = "AROAVENDORCONNECTOR01"
trust_policy = '''{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{VENDOR_USER}"}},"Action":"sts:AssumeRole"}}]}}'''
policies = [{{ name = "assume", document = '''{ASSUME_ANY}''' }}]
max_session_duration = 43200

[[users]]
account = "customer"
name = "transfer-service"
access_keys = [{{ id = "{hk}", secret = "{hs}" }}]
{user_policies}
{user}

[[users]]
account = "other"
name = "stranger"
access_keys = [{{ id = "{ok}", secret = "{os}" }}]
policies = [{{ name = "anywhere", document = '''{other_policy}''' }}]

[[roles]]
account = "customer"
name = "transfer-role"
trust_policy = '''{trust}'''
{role_policies}
{role}

[[buckets]]
name = "{BUCKET}"
account = "customer"
region = "{region}"
{bucket}

{tables}
"#,
            customer = self.customer,
            vk = VENDOR_KEY.0,
            vs = VENDOR_KEY.1,
            hk = HMAC_KEY.0,
            hs = HMAC_KEY.1,
            ok = OTHER_KEY.0,
            os = OTHER_KEY.1,
            user_policies = inline("write", &self.policy),
            user = self.user,
            other_policy = self.other_policy,
            trust = self.trust,
            role_policies = inline("write", &self.policy),
            role = self.role,
            region = self.region,
            bucket = self.bucket,
            tables = self.tables,
        )
    }

    async fn start(&self) -> Env {
        let now = time::OffsetDateTime::from_unix_timestamp(time::OffsetDateTime::now_utc().unix_timestamp())
            .unwrap();
        let clock = Arc::new(ManualClock::new(now));
        let emu = common::start(&self.toml(), clock.clone()).await;
        Env { emu, clock }
    }
}

// ---- clients ----------------------------------------------------------------

/// A running emulator and its clock.
struct Env {
    emu: Running,
    clock: Arc<ManualClock>,
}

/// The SDKs' clock follows the emulator's, so `clock.advance` moves both.
#[derive(Debug)]
struct EmulatorTime(Arc<ManualClock>);

impl aws_smithy_async::time::TimeSource for EmulatorTime {
    fn now(&self) -> SystemTime {
        let t = self.0.now();
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(t.unix_timestamp()).unwrap())
    }
}

/// Send every request with this `Host` (signed, so the emulator sees the endpoint
/// a client configured for a regional or global AWS endpoint would reach; the
/// socket still goes to the emulator). `*.localhost` does not resolve here.
#[derive(Debug)]
struct Host(String);

impl Intercept for Host {
    fn name(&self) -> &'static str {
        "Host"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = context.request_mut();
        req.headers_mut().insert("host", self.0.clone());
        // A virtual-hosted name (`BUCKET.s3.…`): the bucket leaves the
        // (path-style) path, as a client addressing that host would send it.
        if let Some((bucket, _)) = self.0.split_once(".s3.") {
            let uri = req.uri().to_string();
            let prefix = format!("/{bucket}");
            if let Some(at) = uri.find(&prefix) {
                let rest = &uri[at + prefix.len()..];
                let rest = if rest.starts_with('/') {
                    rest.to_string()
                } else {
                    format!("/{rest}")
                };
                req.set_uri(format!("{}{rest}", &uri[..at]))?;
            }
        }
        Ok(())
    }
}

fn creds(key: (&str, &str)) -> Credentials {
    Credentials::new(key.0, key.1, None, None, "test")
}

/// How an S3 client is configured beyond region and credentials.
#[derive(Default, Clone, Copy)]
struct S3Opts {
    /// The `Host` to send (a regional or global AWS endpoint).
    host: Option<&'static str>,
    /// `RequestChecksumCalculation::WhenRequired`: no flexible checksum on PutObject.
    when_required: bool,
}

impl Env {
    fn port(&self) -> u16 {
        self.emu.addr.port()
    }

    fn sts(&self, region: &str, c: Credentials, host: Option<&str>) -> aws_sdk_sts::Client {
        let mut b = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new(region.to_string()))
            .credentials_provider(c)
            .endpoint_url(&self.emu.endpoint)
            .time_source(EmulatorTime(self.clock.clone()))
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled());
        if let Some(h) = host {
            b = b.interceptor(Host(format!("{h}:{}", self.port())));
        }
        aws_sdk_sts::Client::from_conf(b.build())
    }

    fn s3(&self, region: &str, c: Credentials, o: S3Opts) -> aws_sdk_s3::Client {
        let mut b = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(region.to_string()))
            .credentials_provider(c)
            .endpoint_url(&self.emu.endpoint)
            .force_path_style(true)
            .time_source(EmulatorTime(self.clock.clone()))
            .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled());
        if let Some(h) = o.host {
            b = b.interceptor(Host(format!("{h}:{}", self.port())));
        }
        if o.when_required {
            b = b.request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired);
        }
        aws_sdk_s3::Client::from_conf(b.build())
    }

    /// The vendor user's STS client.
    fn vendor_sts(&self) -> aws_sdk_sts::Client {
        self.sts(REGION, creds(VENDOR_KEY), None)
    }

    /// The vendor's role session (`vendor-connector/exporter`): an STS client for
    /// role chaining.
    async fn vendor_role_sts(&self) -> aws_sdk_sts::Client {
        let out = self
            .vendor_sts()
            .assume_role()
            .role_arn("arn:aws:iam::111111111111:role/vendor-connector")
            .role_session_name("exporter")
            .send()
            .await
            .expect("vendor role");
        self.sts(REGION, session_creds(&out), None)
    }

    /// The vendor assumes the customer role (role mode), with or without an ExternalId.
    async fn assume(
        &self,
        external_id: Option<&str>,
    ) -> Result<
        aws_sdk_sts::operation::assume_role::AssumeRoleOutput,
        SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError, HttpResponse>,
    > {
        self.vendor_sts()
            .assume_role()
            .role_arn(ROLE_ARN)
            .role_session_name(SESSION)
            .set_external_id(external_id.map(str::to_string))
            .send()
            .await
    }

    /// An S3 client for a writer: the role session (role mode) or the HMAC user.
    async fn writer(&self, mode: Mode, o: S3Opts) -> (aws_sdk_s3::Client, &'static str) {
        match mode {
            Mode::Role => {
                let out = self.assume(Some(EXTERNAL_ID)).await.expect("assume role");
                (self.s3(REGION, session_creds(&out), o), SESSION_ARN)
            }
            Mode::Hmac => (self.s3(REGION, creds(HMAC_KEY), o), HMAC_USER),
        }
    }

    /// The most recent log entry for an operation.
    fn logged(&self, operation: &str) -> LogEntry {
        self.emu
            .emulator
            .log()
            .recent(1000, None)
            .into_iter()
            .rev()
            .find(|e| e.operation.as_deref() == Some(operation))
            .unwrap_or_else(|| panic!("no {operation} in the request log"))
    }

    fn stored(&self, key: &str) -> bool {
        self.emu.emulator.store().get(BUCKET, key).is_some()
    }
}

fn session_creds(out: &aws_sdk_sts::operation::assume_role::AssumeRoleOutput) -> Credentials {
    let c = out.credentials().expect("credentials");
    Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "assumed",
    )
}

/// Role mode (the vendor's session of the customer role) or HMAC mode (the
/// customer user's long-term key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Role,
    Hmac,
}

const MODES: [Mode; 2] = [Mode::Role, Mode::Hmac];

async fn put(
    s3: &aws_sdk_s3::Client,
    key: &str,
) -> Result<
    aws_sdk_s3::operation::put_object::PutObjectOutput,
    SdkError<aws_sdk_s3::operation::put_object::PutObjectError, HttpResponse>,
> {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from_static(b"connection test\n"))
        .send()
        .await
}

async fn delete(
    s3: &aws_sdk_s3::Client,
    key: &str,
) -> Result<
    aws_sdk_s3::operation::delete_object::DeleteObjectOutput,
    SdkError<aws_sdk_s3::operation::delete_object::DeleteObjectError, HttpResponse>,
> {
    s3.delete_object().bucket(BUCKET).key(key).send().await
}

// ---- what came back ---------------------------------------------------------

/// An error response as the SDK saw it.
#[derive(Debug)]
struct Wire {
    status: u16,
    code: String,
    message: String,
    body: String,
    headers: Vec<(String, String)>,
}

impl Wire {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Status and code (aesthetics.md rule 11).
    fn is(&self, status: u16, code: &str) -> &Self {
        assert_eq!((self.status, self.code.as_str()), (status, code), "{self:#?}");
        self
    }

    /// The message, where misconfigs.md quotes AWS's exact text.
    fn says(&self, message: &str) -> &Self {
        assert_eq!(self.message, message, "{self:#?}");
        self
    }
}

fn wire<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Wire {
    let err = match result {
        Ok(v) => panic!("expected an error response, got {v:?}"),
        Err(e) => e,
    };
    match &err {
        SdkError::ServiceError(e) => {
            let raw = e.raw();
            Wire {
                status: raw.status().as_u16(),
                code: e.err().code().unwrap_or_default().to_string(),
                message: e.err().message().unwrap_or_default().to_string(),
                body: raw
                    .body()
                    .bytes()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default(),
                headers: raw
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }
        }
        other => panic!("expected a service error, got {other:?}"),
    }
}

/// The log entry's decision: effect, the policy type a denial names, and the
/// statements that decided (`policy-id#Sid-or-index`).
fn explained(e: &LogEntry, effect: Effect, denied_by: Option<PolicyType>, decided_by: &[&str]) {
    let d = e
        .decision
        .as_ref()
        .unwrap_or_else(|| panic!("no decision logged: {e:#?}"));
    let names: Vec<String> = d.decided_by.iter().map(ToString::to_string).collect();
    assert_eq!(
        (d.effect, d.denied_by, names.as_slice()),
        (
            effect,
            denied_by,
            decided_by
                .iter()
                .map(|s| (*s).to_string())
                .collect::<Vec<_>>()
                .as_slice()
        ),
        "{e:#?}"
    );
}

/// The first near miss of an implicit deny names what it missed.
fn closest_missed(e: &LogEntry, what: impl Fn(&Miss) -> bool) {
    let d = e.decision.as_ref().expect("decision");
    assert!(
        d.closest.iter().any(|n| n.missed.iter().any(&what)),
        "no such near miss: {:#?}",
        d.closest
    );
}

fn cross_account_assume_denied(caller: &str, role: &str) -> String {
    format!("User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}")
}

/// misconfigs.md §1 B's default message (and E's, with `reason`).
fn s3_denied(principal: &str, action: &str, key: &str, reason: &str) -> String {
    format!("User: {principal} is not authorized to perform: {action} on resource: \"arn:aws:s3:::{BUCKET}/{key}\" {reason}")
}

fn no_identity(action: &str) -> String {
    format!("because no identity-based policy allows the {action} action")
}

const EXPLICIT_IN_BUCKET_POLICY: &str = "with an explicit deny in a resource-based policy";

// ---- happy paths ------------------------------------------------------------

#[tokio::test]
async fn role_mode_cross_account_with_external_id_puts_and_deletes() {
    let env = W::default().start().await;
    let out = env.assume(Some(EXTERNAL_ID)).await.expect("assume role");
    assert_eq!(out.assumed_role_user().map(|u| u.arn()), Some(SESSION_ARN));
    // Cross account: the trust policy and the vendor's own policy both allowed.
    explained(
        &env.logged("AssumeRole"),
        Effect::Allow,
        None,
        &["trust:transfer-role#VendorAssume", "user:sync/assume#0"],
    );

    let s3 = env.s3(REGION, session_creds(&out), S3Opts::default());
    let me = env
        .sts(REGION, session_creds(&out), None)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.arn(), Some(SESSION_ARN));
    put(&s3, TEST_KEY).await.expect("put");
    explained(
        &env.logged("PutObject"),
        Effect::Allow,
        None,
        &["role:transfer-role/write#0"],
    );
    assert!(env.stored(TEST_KEY));
    delete(&s3, TEST_KEY).await.expect("delete");
    explained(
        &env.logged("DeleteObject"),
        Effect::Allow,
        None,
        &["role:transfer-role/write#0"],
    );
    assert!(!env.stored(TEST_KEY));
}

#[tokio::test]
async fn hmac_mode_same_account_puts_and_deletes() {
    let env = W::default().start().await;
    let (s3, _) = env.writer(Mode::Hmac, S3Opts::default()).await;
    put(&s3, TEST_KEY).await.expect("put");
    explained(
        &env.logged("PutObject"),
        Effect::Allow,
        None,
        &["user:transfer-service/write#0"],
    );
    delete(&s3, TEST_KEY).await.expect("delete");
    explained(
        &env.logged("DeleteObject"),
        Effect::Allow,
        None,
        &["user:transfer-service/write#0"],
    );
    assert!(!env.stored(TEST_KEY));
}

/// The seed guide's policies verbatim, BUCKET_NAME replaced (and the trust's
/// service-account placeholder filled with the vendor's principal): the
/// connection test passes in both modes.
#[tokio::test]
async fn seed_setup_with_bucket_name_replaced_passes_the_connection_test() {
    let trust = SEED_TRUST.replace("<some_service_account_identifier>", VENDOR_USER);
    let policy = SEED_POLICY.replace("BUCKET_NAME", BUCKET);
    let env = W::default().trust(&trust).policy(&policy).start().await;
    // The seed's trust has no ExternalId condition.
    let out = env.assume(None).await.expect("assume role");
    explained(
        &env.logged("AssumeRole"),
        Effect::Allow,
        None,
        &["trust:transfer-role#0", "user:sync/assume#0"],
    );
    let role = env.s3(REGION, session_creds(&out), S3Opts::default());
    let hmac = env.s3(REGION, creds(HMAC_KEY), S3Opts::default());
    for (s3, policy_id) in [
        (role, "role:transfer-role/write#0"),
        (hmac, "user:transfer-service/write#0"),
    ] {
        put(&s3, TEST_KEY).await.expect("put");
        explained(&env.logged("PutObject"), Effect::Allow, None, &[policy_id]);
        delete(&s3, TEST_KEY).await.expect("delete");
        explained(&env.logged("DeleteObject"), Effect::Allow, None, &[policy_id]);
    }
}

// ---- A. Trust policy and AssumeRole ---------------------------------------------

/// M01: the trust policy names the wrong principal. Whatever the mistake, the
/// cross-account caller gets the same reason-less text.
#[tokio::test]
async fn m01_trust_principal_wrong() {
    let trust_naming = |principal: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"VendorAssume","Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"{EXTERNAL_ID}"}}}}}}]}}"#
        )
    };
    for principal in [
        // The customer's own account instead of the vendor's.
        r#"{"AWS":"arn:aws:iam::222222222222:root"}"#,
        // A typo in the vendor's account id.
        r#"{"AWS":"arn:aws:iam::111111111112:root"}"#,
        // The console's "AWS service" wizard.
        r#"{"Service":"ec2.amazonaws.com"}"#,
        // A vendor role where the vendor calls as its user.
        r#"{"AWS":"arn:aws:iam::111111111111:role/vendor-connector"}"#,
    ] {
        let env = W::default().trust(&trust_naming(principal)).start().await;
        wire(env.assume(Some(EXTERNAL_ID)).await)
            .is(403, "AccessDenied")
            .says(&cross_account_assume_denied(VENDOR_USER, ROLE_ARN));
        let e = env.logged("AssumeRole");
        explained(&e, Effect::ImplicitDeny, Some(PolicyType::RoleTrust), &[]);
        closest_missed(&e, |m| matches!(m, Miss::Principal { .. }));
    }

    // The reverse: the trust names the vendor's user, the vendor calls from its
    // role session; the message names the session (misconfigs.md §0's form).
    let env = W::default()
        .trust(&trust_naming(&format!(r#"{{"AWS":"{VENDOR_USER}"}}"#)))
        .start()
        .await;
    let vendor_session = env
        .vendor_sts()
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/vendor-connector")
        .role_session_name("exporter")
        .send()
        .await
        .expect("vendor role");
    let err = env
        .sts(REGION, session_creds(&vendor_session), None)
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name(SESSION)
        .external_id(EXTERNAL_ID)
        .send()
        .await;
    wire(err)
        .is(403, "AccessDenied")
        .says(&cross_account_assume_denied(
            "arn:aws:sts::111111111111:assumed-role/vendor-connector/exporter",
            ROLE_ARN,
        ));
    explained(
        &env.logged("AssumeRole"),
        Effect::ImplicitDeny,
        Some(PolicyType::RoleTrust),
        &[],
    );
}

/// M02: the ExternalId differs (a stale or mistyped id from the vendor, a
/// placeholder or a trailing space left in the trust policy). Same text as M01.
#[tokio::test]
async fn m02_external_id_mismatch() {
    let cases = [
        // (trust policy's ExternalId, the one the vendor sends)
        (EXTERNAL_ID, "ext-0ld1d000"),
        ("<<PLACEHOLDER_STORAGE_AWS_EXTERNAL_ID>>", EXTERNAL_ID),
        ("ext-7f3a9c21 ", EXTERNAL_ID),
    ];
    for (in_trust, sent) in cases {
        let env = W::default()
            .trust(&TRUST.replace(EXTERNAL_ID, in_trust))
            .start()
            .await;
        wire(env.assume(Some(sent)).await)
            .is(403, "AccessDenied")
            .says(&cross_account_assume_denied(VENDOR_USER, ROLE_ARN));
        let e = env.logged("AssumeRole");
        explained(&e, Effect::ImplicitDeny, Some(PolicyType::RoleTrust), &[]);
        closest_missed(&e, |m| {
            matches!(m, Miss::Condition { key, actual, expected, .. }
                if key == "sts:ExternalId" && actual == &[sent.to_string()] && expected == &[in_trust.to_string()])
        });
    }
}

/// M03: the trust requires an ExternalId and the vendor sends none.
#[tokio::test]
async fn m03_external_id_required_but_not_sent() {
    let env = W::default().start().await;
    wire(env.assume(None).await)
        .is(403, "AccessDenied")
        .says(&cross_account_assume_denied(VENDOR_USER, ROLE_ARN));
    let e = env.logged("AssumeRole");
    explained(&e, Effect::ImplicitDeny, Some(PolicyType::RoleTrust), &[]);
    closest_missed(
        &e,
        |m| matches!(m, Miss::Condition { key, actual, .. } if key == "sts:ExternalId" && actual.is_empty()),
    );
    env.assume(Some(EXTERNAL_ID)).await.expect("with the ExternalId");
}

/// M04: the trust policy lacks `sts:AssumeRole` (only the web-identity action of
/// a template), or denies it. Cross-account callers get the bare form; a
/// same-account caller gets the role-trust reason.
#[tokio::test]
async fn m04_trust_lacks_assume_role_or_denies_it() {
    let web_identity_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
      "Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity",
      "Condition":{"StringEquals":{"accounts.google.com:sub":"112233445566778899000"}}}]}"#;
    let env = W::default().trust(web_identity_only).start().await;
    wire(env.assume(Some(EXTERNAL_ID)).await)
        .is(403, "AccessDenied")
        .says(&cross_account_assume_denied(VENDOR_USER, ROLE_ARN));
    explained(
        &env.logged("AssumeRole"),
        Effect::ImplicitDeny,
        Some(PolicyType::RoleTrust),
        &[],
    );
    // Same account, no statement allows: "because no role trust policy allows".
    let same = env
        .sts(REGION, creds(HMAC_KEY), None)
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("admin")
        .send()
        .await;
    wire(same).is(403, "AccessDenied").says(&format!(
        "User: {HMAC_USER} is not authorized to perform: sts:AssumeRole because no role trust policy allows the sts:AssumeRole action"
    ));

    let with_deny = r#"{"Version":"2012-10-17","Statement":[
      {"Sid":"VendorAssume","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::222222222222:root"]},"Action":"sts:AssumeRole"},
      {"Sid":"NoOneAssumes","Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
    let env = W::default().trust(with_deny).start().await;
    wire(env.assume(Some(EXTERNAL_ID)).await)
        .is(403, "AccessDenied")
        .says(&cross_account_assume_denied(VENDOR_USER, ROLE_ARN));
    explained(
        &env.logged("AssumeRole"),
        Effect::ExplicitDeny,
        Some(PolicyType::RoleTrust),
        &["trust:transfer-role#NoOneAssumes"],
    );
    let same = env
        .sts(REGION, creds(HMAC_KEY), None)
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("admin")
        .send()
        .await;
    wire(same).is(403, "AccessDenied").says(&format!(
        "User: {HMAC_USER} is not authorized to perform: sts:AssumeRole with an explicit deny in the role trust policy"
    ));
    explained(
        &env.logged("AssumeRole"),
        Effect::ExplicitDeny,
        Some(PolicyType::RoleTrust),
        &["trust:transfer-role#NoOneAssumes"],
    );
}

/// M05: session tags passed, the trust does not allow `sts:TagSession`.
#[tokio::test]
async fn m05_session_tags_without_tag_session() {
    let env = W::default().start().await;
    let tagged = |env: &Env| {
        env.vendor_sts()
            .assume_role()
            .role_arn(ROLE_ARN)
            .role_session_name(SESSION)
            .external_id(EXTERNAL_ID)
            .tags(
                aws_sdk_sts::types::Tag::builder()
                    .key("vendor")
                    .value("prequel")
                    .build()
                    .unwrap(),
            )
            .send()
    };
    wire(tagged(&env).await).is(403, "AccessDenied").says(&format!(
        "User: {VENDOR_USER} is not authorized to perform: sts:TagSession on resource: {ROLE_ARN}"
    ));
    let e = env.logged("AssumeRole");
    explained(&e, Effect::ImplicitDeny, Some(PolicyType::RoleTrust), &[]);
    assert_eq!(e.decision.as_ref().unwrap().action, "sts:TagSession");

    let env = W::default()
        .trust(&TRUST.replace(
            r#""Action":"sts:AssumeRole""#,
            r#""Action":["sts:AssumeRole","sts:TagSession"]"#,
        ))
        .start()
        .await;
    tagged(&env).await.expect("with sts:TagSession");
}

/// M06: a SourceIdentity passed, the trust does not allow `sts:SetSourceIdentity`.
#[tokio::test]
async fn m06_source_identity_without_set_source_identity() {
    let env = W::default().start().await;
    let with_source = |env: &Env| {
        env.vendor_sts()
            .assume_role()
            .role_arn(ROLE_ARN)
            .role_session_name(SESSION)
            .external_id(EXTERNAL_ID)
            .source_identity("prequel-sync")
            .send()
    };
    wire(with_source(&env).await)
        .is(403, "AccessDenied")
        .says(&format!(
            "User: {VENDOR_USER} is not authorized to perform: sts:SetSourceIdentity on resource: {ROLE_ARN}"
        ));
    let e = env.logged("AssumeRole");
    explained(&e, Effect::ImplicitDeny, Some(PolicyType::RoleTrust), &[]);
    assert_eq!(e.decision.as_ref().unwrap().action, "sts:SetSourceIdentity");

    let env = W::default()
        .trust(&TRUST.replace(
            r#""Action":"sts:AssumeRole""#,
            r#""Action":["sts:AssumeRole","sts:SetSourceIdentity"]"#,
        ))
        .start()
        .await;
    let out = with_source(&env).await.expect("with sts:SetSourceIdentity");
    assert_eq!(out.source_identity(), Some("prequel-sync"));
}

/// M07: DurationSeconds above the role's MaxSessionDuration (3600 by default).
#[tokio::test]
async fn m07_duration_above_max_session_duration() {
    let env = W::default().start().await;
    let for_seconds = |s: i32| {
        env.vendor_sts()
            .assume_role()
            .role_arn(ROLE_ARN)
            .role_session_name(SESSION)
            .external_id(EXTERNAL_ID)
            .duration_seconds(s)
            .send()
    };
    wire(for_seconds(7200).await)
        .is(400, "ValidationError")
        .says("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    assert!(env.logged("AssumeRole").decision.is_none());
    // The vendor's fallback: one hour.
    for_seconds(3600).await.expect("3600 s");
}

/// M08: role chaining (the vendor is itself a role session) with DurationSeconds
/// above one hour fails even when the role allows 12 hours.
#[tokio::test]
async fn m08_role_chaining_above_one_hour() {
    let env = W::default().role("max_session_duration = 43200").start().await;
    let vendor_session = env
        .vendor_sts()
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/vendor-connector")
        .role_session_name("exporter")
        .send()
        .await
        .expect("vendor role");
    let chained = env.sts(REGION, session_creds(&vendor_session), None);
    let for_seconds = |s: i32| {
        chained
            .assume_role()
            .role_arn(ROLE_ARN)
            .role_session_name(SESSION)
            .external_id(EXTERNAL_ID)
            .duration_seconds(s)
            .send()
    };
    wire(for_seconds(3601).await).is(400, "ValidationError").says(
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
    for_seconds(3600).await.expect("one hour is fine");
    // The same request from the vendor's user (not chained) may have 12 hours.
    env.vendor_sts()
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name(SESSION)
        .external_id(EXTERNAL_ID)
        .duration_seconds(43200)
        .send()
        .await
        .expect("not chained");
}

/// M09: the role ARN names no role the vendor may assume (no such role, the path
/// left out, the dev account's role, a policy or instance-profile ARN). AWS does
/// not say "no such role": the text is M01's.
#[tokio::test]
async fn m09_role_arn_typo_or_wrong_role() {
    let dev_role = r#"[[roles]]
account = "other"
name = "transfer-role"
trust_policy = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}]}'''"#;
    let env = W::default()
        .role(r#"path = "/service-role/""#)
        .tables(dev_role)
        .start()
        .await;
    let path_role = "arn:aws:iam::222222222222:role/service-role/transfer-role";
    env.vendor_sts()
        .assume_role()
        .role_arn(path_role)
        .role_session_name(SESSION)
        .external_id(EXTERNAL_ID)
        .send()
        .await
        .expect("the role's real ARN");
    for (arn, note) in [
        ("arn:aws:iam::222222222222:role/transfer-rol", "no role"),
        // The path omitted: `role/Name` for `role/service-role/Name`.
        (ROLE_ARN, "no role"),
        (
            "arn:aws:iam::222222222222:policy/transfer-policy",
            "is not a role ARN",
        ),
        (
            "arn:aws:iam::222222222222:instance-profile/transfer-role",
            "is not a role ARN",
        ),
    ] {
        let err = env
            .vendor_sts()
            .assume_role()
            .role_arn(arn)
            .role_session_name(SESSION)
            .external_id(EXTERNAL_ID)
            .send()
            .await;
        wire(err)
            .is(403, "AccessDenied")
            .says(&cross_account_assume_denied(VENDOR_USER, arn));
        // Logged like a trust policy that does not name the caller; the note
        // says there is no such role.
        let e = env.logged("AssumeRole");
        explained(&e, Effect::ImplicitDeny, Some(PolicyType::RoleTrust), &[]);
        assert!(e.note.as_deref().unwrap_or("").contains(note), "{e:#?}");
    }
    // The same role name in the dev account: it exists, but its trust does not
    // name the vendor.
    let dev = "arn:aws:iam::333333333333:role/transfer-role";
    let err = env
        .vendor_sts()
        .assume_role()
        .role_arn(dev)
        .role_session_name(SESSION)
        .external_id(EXTERNAL_ID)
        .send()
        .await;
    wire(err)
        .is(403, "AccessDenied")
        .says(&cross_account_assume_denied(VENDOR_USER, dev));
    explained(
        &env.logged("AssumeRole"),
        Effect::ImplicitDeny,
        Some(PolicyType::RoleTrust),
        &[],
    );
}

/// M10: a role name or a fragment instead of an ARN fails STS's length constraint.
#[tokio::test]
async fn m10_role_name_instead_of_arn() {
    let env = W::default().start().await;
    for value in ["transfer-role", "arn:aws:iam::123456"] {
        let err = env
            .vendor_sts()
            .assume_role()
            .role_arn(value)
            .role_session_name(SESSION)
            .external_id(EXTERNAL_ID)
            .send()
            .await;
        wire(err).is(400, "ValidationError").says(&format!(
            "1 validation error detected: Value '{value}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
        ));
    }
}

/// M11: the role ARN is in another partition; partitions are isolated.
#[tokio::test]
async fn m11_role_in_another_partition() {
    let env = W::default().start().await;
    for arn in [
        "arn:aws-cn:iam::222222222222:role/transfer-role",
        "arn:aws-us-gov:iam::222222222222:role/transfer-role",
    ] {
        let err = env
            .vendor_sts()
            .assume_role()
            .role_arn(arn)
            .role_session_name(SESSION)
            .external_id(EXTERNAL_ID)
            .send()
            .await;
        wire(err)
            .is(403, "AccessDenied")
            .says(&cross_account_assume_denied(VENDOR_USER, arn));
        let e = env.logged("AssumeRole");
        explained(&e, Effect::ImplicitDeny, Some(PolicyType::RoleTrust), &[]);
        assert!(e.note.as_deref().unwrap_or("").contains("partition"), "{e:#?}");
    }
}

/// M12: the trust names a vendor role that was deleted and recreated: IAM shows
/// the old role's unique id in the trust policy, which no longer matches.
#[tokio::test]
async fn m12_trust_names_a_recreated_vendor_role() {
    // On save, a principal that does not exist is refused (IAM's
    // MalformedPolicyDocument). The emulator has no IAM API; its save-time
    // check is a library call.
    let named = |principal: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"VendorAssume","Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
        )
    };
    let policy = emulator::iam::Policy::parse(
        &named("arn:aws:iam::111111111111:role/NonExistent"),
        emulator::iam::PolicyKind::Trust,
    )
    .unwrap();
    let err = emulator::iam::check_principals_exist(&policy, &|arn| {
        arn == "arn:aws:iam::111111111111:role/vendor-connector"
    })
    .unwrap_err();
    assert_eq!(
        err.message,
        r#"Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:role/NonExistent""#
    );

    // The trust as saved names the role's unique id; the current role matches ...
    let env = W::default().trust(&named("AROAVENDORCONNECTOR01")).start().await;
    env.vendor_role_sts()
        .await
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name(SESSION)
        .send()
        .await
        .expect("the current role's id");
    // ... a recreated one (new id) does not.
    let env = W::default().trust(&named("AROAOLDVENDORROLE0001")).start().await;
    let err = env
        .vendor_role_sts()
        .await
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name(SESSION)
        .send()
        .await;
    wire(err)
        .is(403, "AccessDenied")
        .says(&cross_account_assume_denied(
            "arn:aws:sts::111111111111:assumed-role/vendor-connector/exporter",
            ROLE_ARN,
        ));
    explained(
        &env.logged("AssumeRole"),
        Effect::ImplicitDeny,
        Some(PolicyType::RoleTrust),
        &[],
    );
}

/// M13: regional STS deactivated in the customer account for the region the
/// vendor calls.
#[tokio::test]
async fn m13_regional_sts_deactivated() {
    let env = W::default()
        .customer(r#"sts_disabled_regions = ["eu-west-1"]"#)
        .start()
        .await;
    wire(env.assume(Some(EXTERNAL_ID)).await)
        .is(403, "RegionDisabledException")
        .says("STS is not activated in this region for account:222222222222. Your account administrator can activate STS in this region using the IAM Console.");
    env.sts("us-east-1", creds(VENDOR_KEY), None)
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name(SESSION)
        .external_id(EXTERNAL_ID)
        .send()
        .await
        .expect("another region's STS");
}

/// M14: a bucket in an opt-in region and a version-1 token from the global STS
/// endpoint (`sts.amazonaws.com`).
#[tokio::test]
async fn m14_global_endpoint_token_in_an_opt_in_region() {
    let assume_via = |env: &Env, region: &str, host: Option<&'static str>| {
        env.sts(region, creds(VENDOR_KEY), host)
            .assume_role()
            .role_arn(ROLE_ARN)
            .role_session_name(SESSION)
            .external_id(EXTERNAL_ID)
            .send()
    };
    let opt_in = "ap-east-1";
    let env = W::default().region(opt_in).start().await;
    let global = assume_via(&env, "us-east-1", Some("sts.amazonaws.com"))
        .await
        .expect("global endpoint");
    let s3 = env.s3(opt_in, session_creds(&global), S3Opts::default());
    let w = wire(put(&s3, TEST_KEY).await);
    w.is(400, "InvalidToken")
        .says("The provided token is malformed or otherwise invalid.");
    assert!(w.body.contains("<Token-0>"), "{w:#?}");
    // STS in that region refuses the token too.
    let w = wire(
        env.sts(opt_in, session_creds(&global), None)
            .get_caller_identity()
            .send()
            .await,
    );
    w.is(403, "InvalidClientTokenId");
    // The bucket region's STS endpoint issues version-2 tokens.
    let regional = assume_via(&env, opt_in, None).await.expect("regional endpoint");
    put(
        &env.s3(opt_in, session_creds(&regional), S3Opts::default()),
        TEST_KEY,
    )
    .await
    .expect("regional token");

    // With "Global endpoint session tokens: valid in all Regions" the global
    // token works.
    let env = W::default()
        .region(opt_in)
        .customer("global_endpoint_token_version = 2")
        .start()
        .await;
    let global = assume_via(&env, "us-east-1", Some("sts.amazonaws.com"))
        .await
        .expect("global endpoint");
    put(
        &env.s3(opt_in, session_creds(&global), S3Opts::default()),
        TEST_KEY,
    )
    .await
    .expect("version-2 token");
}

/// M16: the trust pins `aws:SourceIp` to the vendor's old egress addresses.
#[tokio::test]
async fn m16_trust_pins_old_vendor_ips() {
    let pinned = TRUST.replace(
        r#""Condition":{"StringEquals":{"sts:ExternalId":"ext-7f3a9c21"}}"#,
        r#""Condition":{"StringEquals":{"sts:ExternalId":"ext-7f3a9c21"},"IpAddress":{"aws:SourceIp":["203.0.113.0/24"]}}"#,
    );
    let env = W::default()
        .trust(&pinned)
        .network(r#"source_ip = "198.51.100.7""#)
        .start()
        .await;
    wire(env.assume(Some(EXTERNAL_ID)).await)
        .is(403, "AccessDenied")
        .says(&cross_account_assume_denied(VENDOR_USER, ROLE_ARN));
    let e = env.logged("AssumeRole");
    explained(&e, Effect::ImplicitDeny, Some(PolicyType::RoleTrust), &[]);
    closest_missed(
        &e,
        |m| matches!(m, Miss::Condition { key, actual, .. } if key == "aws:SourceIp" && actual == &["198.51.100.7".to_string()]),
    );
    let env = W::default()
        .trust(&pinned)
        .network(r#"source_ip = "203.0.113.40""#)
        .start()
        .await;
    env.assume(Some(EXTERNAL_ID))
        .await
        .expect("from a listed address");
}

/// M17: the customer's organization has a resource control policy that keeps
/// role assumption inside the organization.
#[tokio::test]
async fn m17_rcp_data_perimeter_denies_assume_role() {
    // AWS's data-perimeter example "EnforceOrgIdentities", for STS.
    // The role's account is a member: RCPs do not apply to the management account.
    let perimeter = r#"[organization]
id = "o-customer01"
management_account = "other"
accounts = ["customer"]

[[organization.rcps]]
name = "EnforceOrgIdentities"
document = '''{"Version":"2012-10-17","Statement":[{"Sid":"EnforceOrgIdentities","Effect":"Deny","Principal":"*",
  "Action":"sts:AssumeRole","Resource":"*",
  "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-customer01"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}'''"#;
    let env = W::default().tables(perimeter).start().await;
    // The vendor is outside the organization: the bare cross-account form.
    wire(env.assume(Some(EXTERNAL_ID)).await)
        .is(403, "AccessDenied")
        .says(&cross_account_assume_denied(VENDOR_USER, ROLE_ARN));
    explained(
        &env.logged("AssumeRole"),
        Effect::ExplicitDeny,
        Some(PolicyType::ResourceControl),
        &["rcp:EnforceOrgIdentities#EnforceOrgIdentities"],
    );

    // A caller inside the organization gets the enriched form (misconfigs.md M17:
    // "The same-org form is … with an explicit deny in a resource control policy").
    let only_own_account = r#"[organization]
id = "o-customer01"
management_account = "other"
accounts = ["customer"]

[[organization.rcps]]
name = "OnlyOwnAccount"
document = '''{"Version":"2012-10-17","Statement":[{"Sid":"OnlyOwnAccount","Effect":"Deny","Principal":"*",
  "Action":"sts:AssumeRole","Resource":"*",
  "Condition":{"StringNotEquals":{"aws:PrincipalAccount":"222222222222"}}}]}'''"#;
    let trust_both = TRUST.replace(
        r#""arn:aws:iam::111111111111:root""#,
        r#"["arn:aws:iam::111111111111:root","arn:aws:iam::333333333333:root"]"#,
    );
    let env = W::default()
        .trust(&trust_both)
        .tables(only_own_account)
        .start()
        .await;
    let err = env
        .sts(REGION, creds(OTHER_KEY), None)
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name(SESSION)
        .external_id(EXTERNAL_ID)
        .send()
        .await;
    wire(err).is(403, "AccessDenied").says(&format!(
        "User: {OTHER_USER} is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN} with an explicit deny in a resource control policy"
    ));
    explained(
        &env.logged("AssumeRole"),
        Effect::ExplicitDeny,
        Some(PolicyType::ResourceControl),
        &["rcp:OnlyOwnAccount#OnlyOwnAccount"],
    );
}

// ---- B. Permissions policy on the role or user -----------------------------------

/// Runs the connection test's PutObject in both modes and checks misconfigs.md
/// §1 B's default message and an implicit deny by the identity policies.
async fn put_denied_by_identity(w: W, key: &str, miss: impl Fn(&Miss) -> bool) {
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        wire(put(&s3, key).await).is(403, "AccessDenied").says(&s3_denied(
            principal,
            "s3:PutObject",
            key,
            &no_identity("s3:PutObject"),
        ));
        let e = env.logged("PutObject");
        explained(&e, Effect::ImplicitDeny, Some(PolicyType::IdentityBased), &[]);
        closest_missed(&e, &miss);
        assert!(!env.stored(key));
    }
}

fn resource_miss(m: &Miss) -> bool {
    matches!(m, Miss::Resource { .. })
}

/// M19: the policy's Resource is the bucket ARN without `/*`.
#[tokio::test]
async fn m19_resource_is_the_bucket_not_its_objects() {
    let w = W::default().policy(&WRITE.replace("customer-lake/*", "customer-lake"));
    put_denied_by_identity(w, TEST_KEY, resource_miss).await;
}

/// M20: the seed's placeholder BUCKET_NAME left in the policy. IAM accepts it;
/// the message names the real bucket.
#[tokio::test]
async fn m20_placeholder_left_in_resource() {
    let trust = SEED_TRUST.replace("<some_service_account_identifier>", VENDOR_USER);
    let w = W::default().trust(&trust).policy(SEED_POLICY);
    for mode in MODES {
        let env = w.start().await;
        let s3 = match mode {
            Mode::Role => env.s3(
                REGION,
                session_creds(&env.assume(None).await.expect("assume role")),
                S3Opts::default(),
            ),
            Mode::Hmac => env.s3(REGION, creds(HMAC_KEY), S3Opts::default()),
        };
        let principal = if mode == Mode::Role {
            SESSION_ARN
        } else {
            HMAC_USER
        };
        wire(put(&s3, TEST_KEY).await)
            .is(403, "AccessDenied")
            .says(&s3_denied(
                principal,
                "s3:PutObject",
                TEST_KEY,
                &no_identity("s3:PutObject"),
            ));
        let e = env.logged("PutObject");
        explained(&e, Effect::ImplicitDeny, Some(PolicyType::IdentityBased), &[]);
        closest_missed(&e, resource_miss);
    }
}

/// M21: the policy grants another bucket (a dev bucket, a typo).
#[tokio::test]
async fn m21_policy_grants_a_different_bucket() {
    let w = W::default().policy(&WRITE.replace("customer-lake/*", "customer-lake-dev/*"));
    put_denied_by_identity(w, TEST_KEY, resource_miss).await;
}

/// M22: a prefix-scoped policy; the test key falls outside the prefix.
#[tokio::test]
async fn m22_prefix_restricted_policy() {
    let w = W::default().policy(&WRITE.replace("customer-lake/*", "customer-lake/exports/*"));
    put_denied_by_identity(w.clone(), TEST_KEY, resource_miss).await;
    for mode in MODES {
        let env = w.start().await;
        let (s3, _) = env.writer(mode, S3Opts::default()).await;
        put(&s3, "exports/_prequel/connection-test.txt")
            .await
            .expect("inside the prefix");
    }
}

/// M23: no `s3:DeleteObject`: the PutObject passes, the cleanup fails, the
/// artifact stays.
#[tokio::test]
async fn m23_no_delete_object() {
    let w = W::default().policy(&WRITE.replace(r#"["s3:PutObject","s3:DeleteObject"]"#, r#""s3:PutObject""#));
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        put(&s3, TEST_KEY).await.expect("put");
        wire(delete(&s3, TEST_KEY).await)
            .is(403, "AccessDenied")
            .says(&s3_denied(
                principal,
                "s3:DeleteObject",
                TEST_KEY,
                &no_identity("s3:DeleteObject"),
            ));
        let e = env.logged("DeleteObject");
        explained(&e, Effect::ImplicitDeny, Some(PolicyType::IdentityBased), &[]);
        closest_missed(&e, |m| matches!(m, Miss::Action { .. }));
        assert!(env.stored(TEST_KEY), "the test artifact is left behind");
    }
}

/// M24: no `s3:PutObject` (only Delete and Get).
#[tokio::test]
async fn m24_no_put_object() {
    let w = W::default().policy(&WRITE.replace(
        r#"["s3:PutObject","s3:DeleteObject"]"#,
        r#"["s3:GetObject","s3:DeleteObject"]"#,
    ));
    put_denied_by_identity(w, TEST_KEY, |m| matches!(m, Miss::Action { .. })).await;
}

/// M25: the policy was created but not attached (or attached elsewhere).
#[tokio::test]
async fn m25_policy_not_attached() {
    let created = format!(
        r#"[[policies]]
account = "customer"
name = "transfer-policy"
document = '''{WRITE}'''"#
    );
    for mode in MODES {
        let env = W::default().no_policy().tables(&created).start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        wire(put(&s3, TEST_KEY).await)
            .is(403, "AccessDenied")
            .says(&s3_denied(
                principal,
                "s3:PutObject",
                TEST_KEY,
                &no_identity("s3:PutObject"),
            ));
        let e = env.logged("PutObject");
        explained(&e, Effect::ImplicitDeny, Some(PolicyType::IdentityBased), &[]);
        assert!(
            e.decision.as_ref().unwrap().closest.is_empty(),
            "nothing attached: {e:#?}"
        );
    }
    // Attached, it works.
    let env = W::default()
        .no_policy()
        .tables(&created)
        .role(r#"managed_policies = ["transfer-policy"]"#)
        .start()
        .await;
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    put(&s3, TEST_KEY).await.expect("attached");
    explained(
        &env.logged("PutObject"),
        Effect::Allow,
        None,
        &["managed:transfer-policy#0"],
    );
}

/// M26: the permissions boundary does not allow `s3:PutObject`.
#[tokio::test]
async fn m26_boundary_lacks_put_object() {
    let boundary = r#"[[policies]]
account = "customer"
name = "read-only-boundary"
document = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","sts:*"],"Resource":"*"}]}'''"#;
    let w = W::default()
        .tables(boundary)
        .role(r#"permissions_boundary = "read-only-boundary""#)
        .user(r#"permissions_boundary = "read-only-boundary""#);
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        wire(put(&s3, TEST_KEY).await)
            .is(403, "AccessDenied")
            .says(&s3_denied(
                principal,
                "s3:PutObject",
                TEST_KEY,
                "because no permissions boundary allows the s3:PutObject action",
            ));
        explained(
            &env.logged("PutObject"),
            Effect::ImplicitDeny,
            Some(PolicyType::PermissionsBoundary),
            &[],
        );
    }
}

/// M27: the vendor sends `x-amz-acl: bucket-owner-full-control` to an
/// ACL-enabled bucket; the policy lacks `s3:PutObjectAcl`.
#[tokio::test]
async fn m27_acl_header_without_put_object_acl() {
    let w = W::default().bucket(r#"object_ownership = "BucketOwnerPreferred""#);
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        let err = s3
            .put_object()
            .bucket(BUCKET)
            .key(TEST_KEY)
            .acl(ObjectCannedAcl::BucketOwnerFullControl)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await;
        wire(err).is(403, "AccessDenied").says(&s3_denied(
            principal,
            "s3:PutObjectAcl",
            TEST_KEY,
            &no_identity("s3:PutObjectAcl"),
        ));
        let e = env.logged("PutObject");
        explained(&e, Effect::ImplicitDeny, Some(PolicyType::IdentityBased), &[]);
        assert_eq!(e.decision.as_ref().unwrap().action, "s3:PutObjectAcl");
        // Without the ACL header the same policy suffices.
        put(&s3, TEST_KEY).await.expect("no ACL");
    }
}

/// M28: a versioned bucket; the vendor deletes the test artifact by versionId
/// without `s3:DeleteObjectVersion`.
#[tokio::test]
async fn m28_delete_by_version_without_delete_object_version() {
    let w = W::default().bucket(r#"versioning = "Enabled""#);
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        let version = put(&s3, TEST_KEY)
            .await
            .expect("put")
            .version_id()
            .unwrap()
            .to_string();
        let err = s3
            .delete_object()
            .bucket(BUCKET)
            .key(TEST_KEY)
            .version_id(&version)
            .send()
            .await;
        wire(err).is(403, "AccessDenied").says(&s3_denied(
            principal,
            "s3:DeleteObjectVersion",
            TEST_KEY,
            &no_identity("s3:DeleteObjectVersion"),
        ));
        explained(
            &env.logged("DeleteObject"),
            Effect::ImplicitDeny,
            Some(PolicyType::IdentityBased),
            &[],
        );
    }
}

// ---- C. Bucket location and name ---------------------------------------------------

/// M30: the vendor uses another region's endpoint: 301 with the right endpoint.
#[tokio::test]
async fn m30_other_regions_endpoint_permanent_redirect() {
    let env = W::default().start().await;
    let s3 = env.s3(
        "us-west-2",
        creds(HMAC_KEY),
        S3Opts {
            host: Some("s3.us-west-2.amazonaws.com"),
            ..S3Opts::default()
        },
    );
    let w = wire(put(&s3, TEST_KEY).await);
    w.is(301, "PermanentRedirect").says(
        "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
    );
    assert_eq!(w.header("x-amz-bucket-region"), Some(REGION));
    assert!(
        w.body
            .contains("<Endpoint>customer-lake.s3.eu-west-1.amazonaws.com</Endpoint>")
            && w.body.contains("<Bucket>customer-lake</Bucket>"),
        "{w:#?}"
    );
    assert!(env.logged("PutObject").decision.is_none());
    // A HEAD gets the 301 with no body.
    let head = s3.head_object().bucket(BUCKET).key(TEST_KEY).send().await;
    let w = wire(head);
    assert_eq!(w.status, 301, "{w:#?}");
    assert_eq!(w.header("x-amz-bucket-region"), Some(REGION));
    assert!(w.body.is_empty(), "{w:#?}");
}

/// M31: the global endpoint (or the right endpoint) signed for us-east-1, the
/// bucket in eu-west-1.
#[tokio::test]
async fn m31_wrong_signing_region() {
    let env = W::default().start().await;
    for host in [None, Some("s3.amazonaws.com")] {
        let s3 = env.s3(
            "us-east-1",
            creds(HMAC_KEY),
            S3Opts {
                host,
                ..S3Opts::default()
            },
        );
        let w = wire(put(&s3, TEST_KEY).await);
        w.is(400, "AuthorizationHeaderMalformed").says(
            "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
        );
        assert!(w.body.contains("<Region>eu-west-1</Region>"), "{w:#?}");
        assert_eq!(w.header("x-amz-bucket-region"), Some(REGION));
    }
}

/// M33: a bucket in a region launched after 2019-03-20, addressed through
/// another region's endpoint or the global endpoint: 400, no redirect.
#[tokio::test]
async fn m33_new_region_bucket_through_another_endpoint() {
    let env = W::default().region("af-south-1").start().await;
    for (region, host) in [
        ("eu-west-1", "s3.eu-west-1.amazonaws.com"),
        ("us-east-1", "s3.amazonaws.com"),
    ] {
        let s3 = env.s3(
            region,
            creds(HMAC_KEY),
            S3Opts {
                host: Some(host),
                ..S3Opts::default()
            },
        );
        let w = wire(put(&s3, TEST_KEY).await);
        w.is(400, "IllegalLocationConstraintException").says(
            "The af-south-1 location constraint is incompatible for the region specific endpoint this request was sent to.",
        );
    }
    // The region's own endpoint works.
    let s3 = env.s3(
        "af-south-1",
        creds(HMAC_KEY),
        S3Opts {
            host: Some("s3.af-south-1.amazonaws.com"),
            ..S3Opts::default()
        },
    );
    put(&s3, TEST_KEY).await.expect("the bucket's own endpoint");

    // The mirror image, observed in cloud-custodian/cloud-custodian#8005 and #6028:
    // a new region's endpoint refuses a bucket elsewhere the same way, naming the
    // bucket's location constraint ("unspecified" for us-east-1).
    let env = W::default().region("us-east-1").start().await;
    let s3 = env.s3(
        "af-south-1",
        creds(HMAC_KEY),
        S3Opts {
            host: Some("s3.af-south-1.amazonaws.com"),
            ..S3Opts::default()
        },
    );
    wire(put(&s3, TEST_KEY).await)
        .is(400, "IllegalLocationConstraintException")
        .says("The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.");
}

/// M32: a bucket created minutes ago, addressed by its global virtual-hosted
/// name: 307 TemporaryRedirect to the regional endpoint until DNS settles (up to
/// a day); the regional endpoint works at once, and the global name works after.
#[tokio::test]
async fn m32_new_bucket_through_the_global_endpoint() {
    let created = time::OffsetDateTime::now_utc() - time::Duration::minutes(3);
    let created = created
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let env = W::default()
        .bucket(&format!("created = \"{created}\""))
        .start()
        .await;
    let global = env.s3(
        REGION,
        creds(HMAC_KEY),
        S3Opts {
            host: Some("customer-lake.s3.amazonaws.com"),
            ..S3Opts::default()
        },
    );
    let w = wire(put(&global, TEST_KEY).await);
    w.is(307, "TemporaryRedirect").says(
        "Please re-send this request to the specified temporary endpoint. Continue to use the original request endpoint for future requests.",
    );
    assert_eq!(w.header("x-amz-bucket-region"), Some(REGION));
    assert_eq!(
        w.header("location"),
        Some(format!("https://customer-lake.s3.eu-west-1.amazonaws.com/{TEST_KEY}").as_str())
    );
    assert!(
        w.body.contains(
            "<Endpoint>customer-lake.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>customer-lake</Bucket>"
        ),
        "{w:#?}"
    );
    // Redirected before authorization: nothing was decided, nothing written.
    assert!(env.logged("PutObject").decision.is_none());
    // The regional endpoint is not affected.
    let regional = env.s3(
        REGION,
        creds(HMAC_KEY),
        S3Opts {
            host: Some("customer-lake.s3.eu-west-1.amazonaws.com"),
            ..S3Opts::default()
        },
    );
    put(&regional, TEST_KEY).await.expect("the regional endpoint");
    // A day later the name has propagated: the global endpoint serves it.
    env.clock.advance(Duration::from_secs(24 * 3600)).unwrap();
    put(&global, TEST_KEY).await.expect("DNS settled");

    // A us-east-1 bucket is served where the global name resolves: no redirect.
    let env = W::default()
        .region("us-east-1")
        .bucket(&format!("created = \"{created}\""))
        .start()
        .await;
    let global = env.s3(
        "us-east-1",
        creds(HMAC_KEY),
        S3Opts {
            host: Some("customer-lake.s3.amazonaws.com"),
            ..S3Opts::default()
        },
    );
    put(&global, TEST_KEY)
        .await
        .expect("us-east-1 bucket, global name");
}

/// M34: the bucket does not exist.
#[tokio::test]
async fn m34_bucket_does_not_exist() {
    let env = W::default().start().await;
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    let err = s3
        .put_object()
        .bucket("customer-lake-prod")
        .key(TEST_KEY)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    let w = wire(err);
    w.is(404, "NoSuchBucket")
        .says("The specified bucket does not exist");
    assert!(
        w.body.contains("<BucketName>customer-lake-prod</BucketName>"),
        "{w:#?}"
    );
}

/// M35: a typo hits a bucket someone else owns: bare `Access Denied`; with
/// `x-amz-expected-bucket-owner` a bucket of another owner is refused with 403.
#[tokio::test]
async fn m35_typo_hits_someone_elses_bucket() {
    let theirs = r#"[[buckets]]
name = "customer-lakes"
account = "other"
region = "eu-west-1""#;
    let env = W::default().tables(theirs).start().await;
    for mode in MODES {
        let (s3, _) = env.writer(mode, S3Opts::default()).await;
        let err = s3
            .put_object()
            .bucket("customer-lakes")
            .key(TEST_KEY)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await;
        wire(err).is(403, "AccessDenied").says("Access Denied");
        // Neither side allows: the writer's policy names only `customer-lake`
        // (the side the emulator reports), and the stranger's bucket has no
        // policy naming the customer.
        explained(
            &env.logged("PutObject"),
            Effect::ImplicitDeny,
            Some(PolicyType::IdentityBased),
            &[],
        );
        // ExpectedBucketOwner: the customer's own bucket passes, a mismatch is 403.
        s3.put_object()
            .bucket(BUCKET)
            .key(TEST_KEY)
            .expected_bucket_owner(CUSTOMER)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("the expected owner");
        let err = s3
            .put_object()
            .bucket(BUCKET)
            .key(TEST_KEY)
            .expected_bucket_owner(OTHER)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await;
        wire(err).is(403, "AccessDenied").says("Access Denied");
        let e = env.logged("PutObject");
        assert!(
            e.note
                .as_deref()
                .unwrap_or("")
                .contains("x-amz-expected-bucket-owner"),
            "{e:#?}"
        );
    }
}

/// M36: a bucket string that is not a bucket name.
#[tokio::test]
async fn m36_invalid_bucket_name() {
    let env = W::default().start().await;
    let s3 = env.s3(REGION, creds(HMAC_KEY), S3Opts::default());
    for name in [
        "Customer_Lake",
        "ab",
        "customer-lake-.",
        "s3://customer-lake",
        "customer-lake/exports",
    ] {
        let err = s3
            .put_object()
            .bucket(name)
            .key(TEST_KEY)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await;
        let w = wire(err);
        w.is(400, "InvalidBucketName")
            .says("The specified bucket is not valid.");
        assert!(
            w.body.contains(&format!("<BucketName>{name}</BucketName>")),
            "{w:#?}"
        );
    }
    // An ARN pasted as the bucket: the SDK refuses it before sending ("SDKs may
    // reject before sending", misconfigs.md M36); nothing reaches S3.
    let before = env.emu.emulator.log().next_seq();
    let err = s3
        .put_object()
        .bucket("arn:aws:s3:::customer-lake")
        .key(TEST_KEY)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    assert!(env.emu.emulator.log().recent(10, Some(before - 1)).is_empty());
}

// ---- D. Bucket features -------------------------------------------------------------

const WRITE_WITH_ACL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Action":["s3:PutObject","s3:PutObjectAcl","s3:DeleteObject"],"Resource":"arn:aws:s3:::customer-lake/*"}]}"#;

/// M37: ACLs disabled (Bucket owner enforced, the default); the vendor sends a
/// public ACL or grants. `bucket-owner-full-control` is accepted.
#[tokio::test]
async fn m37_acls_disabled_refuse_acls() {
    // The writer may set ACLs, so the policy is not what refuses them (the order
    // of the Object Ownership check and s3:PutObjectAcl is not documented).
    let env = W::default().policy(WRITE_WITH_ACL).start().await;
    for mode in MODES {
        let (s3, _) = env.writer(mode, S3Opts::default()).await;
        let public = s3
            .put_object()
            .bucket(BUCKET)
            .key(TEST_KEY)
            .acl(ObjectCannedAcl::PublicRead)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await;
        wire(public)
            .is(400, "AccessControlListNotSupported")
            .says("The bucket does not allow ACLs");
        let grant = s3
            .put_object()
            .bucket(BUCKET)
            .key(TEST_KEY)
            .grant_read("uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await;
        wire(grant)
            .is(400, "AccessControlListNotSupported")
            .says("The bucket does not allow ACLs");
        let e = env.logged("PutObject");
        assert!(
            e.note.as_deref().unwrap_or("").contains("BucketOwnerEnforced"),
            "{e:#?}"
        );
        s3.put_object()
            .bucket(BUCKET)
            .key(TEST_KEY)
            .acl(ObjectCannedAcl::BucketOwnerFullControl)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("bucket-owner-full-control");
    }
}

/// M38: ACLs enabled, Block Public Access `BlockPublicAcls` on, a public ACL sent.
#[tokio::test]
async fn m38_block_public_acls() {
    let env = W::default()
        .policy(WRITE_WITH_ACL)
        .bucket(
            r#"object_ownership = "ObjectWriter"
public_access_block = { block_public_acls = true, ignore_public_acls = true, block_public_policy = true, restrict_public_buckets = true }"#,
        )
        .start()
        .await;
    for mode in MODES {
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        let err = s3
            .put_object()
            .bucket(BUCKET)
            .key(TEST_KEY)
            .acl(ObjectCannedAcl::PublicRead)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await;
        wire(err).is(403, "AccessDenied").says(&format!(
            "User: {principal} is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::{BUCKET}/{TEST_KEY}\" because public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access."
        ));
        let e = env.logged("PutObject");
        assert!(
            e.note.as_deref().unwrap_or("").contains("BlockPublicAcls"),
            "{e:#?}"
        );
        assert!(!env.stored(TEST_KEY));
    }
}

fn kms_key(policy: Option<&str>, state: Option<&str>) -> String {
    let mut t = format!(
        r#"[[kms_keys]]
account = "customer"
id = "{KMS_KEY_ID}"
region = "eu-west-1""#
    );
    if let Some(p) = policy {
        t.push_str(&format!("\npolicy = '''{p}'''"));
    }
    if let Some(s) = state {
        t.push_str(&format!("\nstate = \"{s}\""));
    }
    t
}

const SSE_KMS_DEFAULT: &str =
    r#"encryption = { algorithm = "aws:kms", kms_key = "1234abcd-12ab-34cd-56ef-1234567890ab" }"#;

/// The seed policy plus `kms:GenerateDataKey` on the bucket's key.
const WRITE_WITH_KMS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::customer-lake/*"},
 {"Sid":"UseTheKey","Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],
  "Resource":"arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]}"#;

/// M39: default encryption with a customer managed key; the writer lacks
/// `kms:GenerateDataKey`. S3 relays KMS's message, the key ARN unquoted.
#[tokio::test]
async fn m39_sse_kms_without_generate_data_key() {
    let w = W::default().tables(&kms_key(None, None)).bucket(SSE_KMS_DEFAULT);
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        wire(put(&s3, TEST_KEY).await).is(403, "AccessDenied").says(&format!(
            "User: {principal} is not authorized to perform: kms:GenerateDataKey on resource: {KMS_KEY_ARN} because no identity-based policy allows the kms:GenerateDataKey action"
        ));
        let e = env.logged("PutObject");
        explained(&e, Effect::ImplicitDeny, Some(PolicyType::IdentityBased), &[]);
        assert_eq!(e.decision.as_ref().unwrap().action, "kms:GenerateDataKey");
        assert!(!env.stored(TEST_KEY));
    }
    let env = w.policy(WRITE_WITH_KMS).start().await;
    for mode in MODES {
        let (s3, _) = env.writer(mode, S3Opts::default()).await;
        let out = put(&s3, TEST_KEY).await.expect("with kms:GenerateDataKey");
        assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::AwsKms));
    }
}

/// M40: the key policy does not delegate to IAM (no `:root` statement) and does
/// not name the writer.
#[tokio::test]
async fn m40_key_policy_excludes_the_writer() {
    let admins_only = r#"{"Version":"2012-10-17","Id":"key-admins","Statement":[{"Sid":"KeyAdmins","Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::222222222222:role/key-admin"},"Action":"kms:*","Resource":"*"}]}"#;
    let w = W::default()
        .policy(WRITE_WITH_KMS)
        .tables(&kms_key(Some(admins_only), None))
        .bucket(SSE_KMS_DEFAULT);
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        wire(put(&s3, TEST_KEY).await).is(403, "AccessDenied").says(&format!(
            "User: {principal} is not authorized to perform: kms:GenerateDataKey on resource: {KMS_KEY_ARN} because no resource-based policy allows the kms:GenerateDataKey action"
        ));
        explained(
            &env.logged("PutObject"),
            Effect::ImplicitDeny,
            Some(PolicyType::ResourceBased),
            &[],
        );
    }
}

/// M42: the bucket's key is disabled, pending deletion, or gone. Codes only: the
/// message text is KMS's and not pinned (misconfigs.md marks it [inf]).
#[tokio::test]
async fn m42_kms_key_disabled_pending_deletion_or_deleted() {
    for (state, code) in [
        ("Disabled", "KMS.DisabledException"),
        ("PendingDeletion", "KMS.KMSInvalidStateException"),
    ] {
        let env = W::default()
            .policy(WRITE_WITH_KMS)
            .tables(&kms_key(None, Some(state)))
            .bucket(SSE_KMS_DEFAULT)
            .start()
            .await;
        let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
        wire(put(&s3, TEST_KEY).await).is(400, code);
        assert!(env.logged("PutObject").note.is_some());
    }
    let env = W::default()
        .policy(WRITE_WITH_KMS)
        .tables(&kms_key(None, None))
        .bucket(SSE_KMS_DEFAULT)
        .start()
        .await;
    env.emu.emulator.edit_world(|w| w.kms_keys.clear());
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    wire(put(&s3, TEST_KEY).await).is(400, "KMS.NotFoundException");
}

/// M43: default SSE-KMS with the AWS managed `aws/s3` key and a writer from
/// another account.
#[tokio::test]
async fn m43_aws_managed_key_cross_account() {
    let grant_other = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PartnerWrites","Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::customer-lake/*"}]}"#;
    let env = W::default()
        .bucket(r#"encryption = { algorithm = "aws:kms" }"#)
        .bucket_policy(grant_other)
        .start()
        .await;
    let s3 = env.s3(REGION, creds(OTHER_KEY), S3Opts::default());
    wire(put(&s3, TEST_KEY).await)
        .is(400, "KMS.NotFoundException")
        .says("Invalid keyId aws/s3");
    // The bucket owner's own writers use aws/s3 freely.
    let (s3, _) = env.writer(Mode::Hmac, S3Opts::default()).await;
    put(&s3, TEST_KEY).await.expect("same account");
}

/// M44: Object Lock default retention; a PutObject with neither Content-MD5 nor
/// an `x-amz-checksum-*` header.
#[tokio::test]
async fn m44_object_lock_requires_a_checksum() {
    for mode in MODES {
        let env = W::default()
            .bucket(r#"object_lock = { mode = "GOVERNANCE", days = 1 }"#)
            .start()
            .await;
        let (s3, _) = env
            .writer(
                mode,
                S3Opts {
                    when_required: true,
                    ..S3Opts::default()
                },
            )
            .await;
        wire(put(&s3, TEST_KEY).await).is(400, "InvalidRequest").says(
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
        );
        assert!(!env.stored(TEST_KEY));
        // The SDK's default flexible checksum (CRC32) satisfies the rule.
        let (s3, _) = env.writer(mode, S3Opts::default()).await;
        put(&s3, TEST_KEY).await.expect("with a checksum");
    }
}

/// M45: versioning and Object Lock against the cleanup: a plain delete leaves a
/// delete marker (204); deleting the locked version is refused.
#[tokio::test]
async fn m45_versioned_and_locked_cleanup() {
    let env = W::default().bucket(r#"versioning = "Enabled""#).start().await;
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    put(&s3, TEST_KEY).await.expect("put");
    let out = delete(&s3, TEST_KEY).await.expect("delete");
    assert_eq!(out.delete_marker(), Some(true));
    assert!(out.version_id().is_some_and(|v| !v.is_empty()));

    let may_delete_versions = WRITE.replace(
        r#"["s3:PutObject","s3:DeleteObject"]"#,
        r#"["s3:PutObject","s3:DeleteObject","s3:DeleteObjectVersion"]"#,
    );
    let env = W::default()
        .policy(&may_delete_versions)
        .bucket(r#"object_lock = { mode = "GOVERNANCE", days = 1 }"#)
        .start()
        .await;
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    let version = put(&s3, TEST_KEY)
        .await
        .expect("put")
        .version_id()
        .unwrap()
        .to_string();
    let err = s3
        .delete_object()
        .bucket(BUCKET)
        .key(TEST_KEY)
        .version_id(&version)
        .send()
        .await;
    wire(err)
        .is(403, "AccessDenied")
        .says("Access Denied because object protected by object lock.");
    // The policy allowed; Object Lock refused.
    explained(
        &env.logged("DeleteObject"),
        Effect::Allow,
        None,
        &["role:transfer-role/write#0"],
    );
    let out = delete(&s3, TEST_KEY).await.expect("a delete marker is allowed");
    assert_eq!(out.delete_marker(), Some(true));
}

/// M46: Requester Pays, a writer from another account without
/// `x-amz-request-payer: requester`. Same-account writers are unaffected.
#[tokio::test]
async fn m46_requester_pays_cross_account() {
    let grant_other = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PartnerWrites","Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::customer-lake/*"}]}"#;
    let env = W::default()
        .bucket("requester_pays = true")
        .bucket_policy(grant_other)
        .start()
        .await;
    let s3 = env.s3(REGION, creds(OTHER_KEY), S3Opts::default());
    wire(put(&s3, TEST_KEY).await)
        .is(403, "AccessDenied")
        .says("Access Denied");
    let e = env.logged("PutObject");
    assert!(
        e.note.as_deref().unwrap_or("").contains("Requester Pays"),
        "{e:#?}"
    );
    s3.put_object()
        .bucket(BUCKET)
        .key(TEST_KEY)
        .request_payer(RequestPayer::Requester)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("the requester pays");
    for mode in MODES {
        let (s3, _) = env.writer(mode, S3Opts::default()).await;
        put(&s3, TEST_KEY).await.expect("same account");
    }
}

// ---- E. Guardrails: bucket policy, VPC endpoint, SCP ----------------------------------

/// The E default: PutObject explicitly denied by the bucket policy statement `sid`.
async fn put_denied_by_bucket_policy(w: &W, sid: &str, o: S3Opts) {
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, o).await;
        wire(put(&s3, TEST_KEY).await)
            .is(403, "AccessDenied")
            .says(&s3_denied(
                principal,
                "s3:PutObject",
                TEST_KEY,
                EXPLICIT_IN_BUCKET_POLICY,
            ));
        explained(
            &env.logged("PutObject"),
            Effect::ExplicitDeny,
            Some(PolicyType::ResourceBased),
            &[&format!("bucket:{BUCKET}#{sid}")],
        );
        assert!(!env.stored(TEST_KEY));
    }
}

fn deny_put_unless(sid: &str, condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{sid}","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
      "Resource":"arn:aws:s3:::customer-lake/*","Condition":{condition}}}]}}"#
    )
}

/// M47: a bucket policy denies writes from outside an IP allow-list that lacks
/// the vendor's NAT addresses.
#[tokio::test]
async fn m47_bucket_policy_source_ip_allow_list() {
    let policy = deny_put_unless(
        "DenyOutsideCorpNetwork",
        r#"{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24"]}}"#,
    );
    let w = W::default()
        .bucket_policy(&policy)
        .network(r#"source_ip = "198.51.100.7""#);
    put_denied_by_bucket_policy(&w, "DenyOutsideCorpNetwork", S3Opts::default()).await;
    let env = w.network(r#"source_ip = "203.0.113.9""#).start().await;
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    put(&s3, TEST_KEY).await.expect("from an allowed address");
}

/// M48: a bucket policy denies requests without TLS; the request is plain HTTP.
#[tokio::test]
async fn m48_bucket_policy_requires_tls() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",
      "Resource":["arn:aws:s3:::customer-lake","arn:aws:s3:::customer-lake/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
    let w = W::default()
        .bucket_policy(policy)
        .network("secure_transport = false");
    put_denied_by_bucket_policy(&w, "DenyInsecureTransport", S3Opts::default()).await;
}

/// M49: a bucket policy requires the SSE-KMS header; the vendor relies on the
/// bucket's default encryption and sends none.
#[tokio::test]
async fn m49_bucket_policy_requires_sse_kms_header() {
    let policy = deny_put_unless(
        "DenyUnencryptedObjectUploads",
        r#"{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}"#,
    );
    let w = W::default()
        .policy(WRITE_WITH_KMS)
        .tables(&kms_key(None, None))
        .bucket(SSE_KMS_DEFAULT)
        .bucket_policy(&policy);
    put_denied_by_bucket_policy(&w, "DenyUnencryptedObjectUploads", S3Opts::default()).await;
    let env = w.start().await;
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    s3.put_object()
        .bucket(BUCKET)
        .key(TEST_KEY)
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("with the header");
}

/// M50: a bucket policy requires one KMS key; the vendor sends another or none.
#[tokio::test]
async fn m50_bucket_policy_requires_a_specific_kms_key() {
    let policy = deny_put_unless(
        "RequireBucketKey",
        &format!(
            r#"{{"StringNotEquals":{{"s3:x-amz-server-side-encryption-aws-kms-key-id":"{KMS_KEY_ARN}"}}}}"#
        ),
    );
    let other_key = r#"
[[kms_keys]]
account = "customer"
id = "0000aaaa-00aa-00aa-00aa-000000000000"
region = "eu-west-1""#;
    let w = W::default()
        .policy(&WRITE_WITH_KMS.replace(
            r#""Resource":"arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab""#,
            r#""Resource":"arn:aws:kms:eu-west-1:222222222222:key/*""#,
        ))
        .tables(&(kms_key(None, None) + other_key))
        .bucket(SSE_KMS_DEFAULT)
        .bucket_policy(&policy);
    // No key header.
    put_denied_by_bucket_policy(&w, "RequireBucketKey", S3Opts::default()).await;
    // Another key.
    let env = w.start().await;
    let (s3, principal) = env.writer(Mode::Role, S3Opts::default()).await;
    let with_key = |key: &str| {
        s3.put_object()
            .bucket(BUCKET)
            .key(TEST_KEY)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(key)
            .body(ByteStream::from_static(b"x"))
            .send()
    };
    wire(with_key("arn:aws:kms:eu-west-1:222222222222:key/0000aaaa-00aa-00aa-00aa-000000000000").await)
        .is(403, "AccessDenied")
        .says(&s3_denied(
            principal,
            "s3:PutObject",
            TEST_KEY,
            EXPLICIT_IN_BUCKET_POLICY,
        ));
    with_key(KMS_KEY_ARN).await.expect("the required key");
}

/// M51: a bucket policy requires `x-amz-acl: bucket-owner-full-control` (a
/// cross-account template on a same-account bucket); the vendor sends no ACL.
#[tokio::test]
async fn m51_bucket_policy_requires_bucket_owner_full_control() {
    let policy = deny_put_unless(
        "RequireBucketOwnerFullControl",
        r#"{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}"#,
    );
    let w = W::default().policy(WRITE_WITH_ACL).bucket_policy(&policy);
    put_denied_by_bucket_policy(&w, "RequireBucketOwnerFullControl", S3Opts::default()).await;
    let env = w.start().await;
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    s3.put_object()
        .bucket(BUCKET)
        .key(TEST_KEY)
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("with the ACL");
}

/// M52: a bucket policy accepts only the customer's VPC endpoint; the vendor
/// comes from the internet.
#[tokio::test]
async fn m52_bucket_policy_requires_source_vpce() {
    let policy = deny_put_unless(
        "AccessViaVpceOnly",
        r#"{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#,
    );
    let w = W::default().bucket_policy(&policy);
    put_denied_by_bucket_policy(&w, "AccessViaVpceOnly", S3Opts::default()).await;
    let env = w.network(r#"source_vpce = "vpce-1a2b3c4d""#).start().await;
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    put(&s3, TEST_KEY).await.expect("through the endpoint");
}

/// M53: the vendor's agent runs in the customer's VPC (BYOC) and reaches S3
/// through a gateway endpoint whose policy does not allow the bucket.
#[tokio::test]
async fn m53_vpc_endpoint_policy() {
    let endpoint = |policy: &str| {
        format!("source_vpce = \"vpce-0a1b2c3d4e5f60718\"\nvpc_endpoint_policy = '''{policy}'''")
    };
    let other_bucket_only = r#"{"Version":"2012-10-17","Statement":[{"Sid":"AppBucketOnly","Effect":"Allow","Principal":"*",
      "Action":"s3:*","Resource":["arn:aws:s3:::app-assets","arn:aws:s3:::app-assets/*"]}]}"#;
    let w = W::default().network(&endpoint(other_bucket_only));
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        wire(put(&s3, TEST_KEY).await)
            .is(403, "AccessDenied")
            .says(&s3_denied(
                principal,
                "s3:PutObject",
                TEST_KEY,
                "because no VPC endpoint policy allows the s3:PutObject action",
            ));
        explained(
            &env.logged("PutObject"),
            Effect::ImplicitDeny,
            Some(PolicyType::VpcEndpoint),
            &[],
        );
    }
    let deny_writes = r#"{"Version":"2012-10-17","Statement":[
      {"Sid":"All","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},
      {"Sid":"NoWrites","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*"}]}"#;
    let env = W::default().network(&endpoint(deny_writes)).start().await;
    let (s3, principal) = env.writer(Mode::Role, S3Opts::default()).await;
    wire(put(&s3, TEST_KEY).await)
        .is(403, "AccessDenied")
        .says(&s3_denied(
            principal,
            "s3:PutObject",
            TEST_KEY,
            "with an explicit deny in a VPC endpoint policy",
        ));
    explained(
        &env.logged("PutObject"),
        Effect::ExplicitDeny,
        Some(PolicyType::VpcEndpoint),
        &["vpce:vpce-0a1b2c3d4e5f60718#NoWrites"],
    );

    // Cross-account in the same organization: not enriched for a VPC endpoint denial.
    let org = r#"[organization]
management_account = "customer"
accounts = ["other"]"#;
    let grant_other = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PartnerWrites","Effect":"Allow",
      "Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::customer-lake/*"}]}"#;
    let env = W::default()
        .network(&endpoint(other_bucket_only))
        .bucket_policy(grant_other)
        .tables(org)
        .start()
        .await;
    let s3 = env.s3(REGION, creds(OTHER_KEY), S3Opts::default());
    wire(put(&s3, TEST_KEY).await)
        .is(403, "AccessDenied")
        .says("Access Denied");
    explained(
        &env.logged("PutObject"),
        Effect::ImplicitDeny,
        Some(PolicyType::VpcEndpoint),
        &[],
    );

    // The endpoint policy allowing the bucket lets the writes through.
    let env = W::default()
        .network(&endpoint(
            &other_bucket_only.replace("app-assets", "customer-lake"),
        ))
        .start()
        .await;
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    put(&s3, TEST_KEY).await.expect("allowed by the endpoint policy");
}

/// M54: an organization SCP denies the write (here: outside approved regions),
/// or, in an allow-list organization, does not allow it.
#[tokio::test]
async fn m54_scp_denies_put_object() {
    let region_lock = r#"[organization]
id = "o-customer01"
management_account = "other"
accounts = ["customer"]

[[organization.scps]]
name = "ApprovedRegionsOnly"
accounts = ["customer"]
document = '''{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideUsEast1","Effect":"Deny","Action":"*","Resource":"*",
  "Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1"]}}}]}'''"#;
    let w = W::default().tables(region_lock);
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        // misconfigs.md §0's grammar, with `on resource`: the S3 guide's SCP
        // example omits it, responses observed in the wild carry it.
        wire(put(&s3, TEST_KEY).await)
            .is(403, "AccessDenied")
            .says(&s3_denied(
                principal,
                "s3:PutObject",
                TEST_KEY,
                "with an explicit deny in a service control policy",
            ));
        explained(
            &env.logged("PutObject"),
            Effect::ExplicitDeny,
            Some(PolicyType::ServiceControl),
            &["scp:ApprovedRegionsOnly#DenyOutsideUsEast1"],
        );
    }

    let allow_list = r#"[organization]
id = "o-customer01"
management_account = "other"
accounts = ["customer"]
full_aws_access = false

[[organization.scps]]
name = "ReadOnlyS3"
accounts = ["customer"]
document = '''{"Version":"2012-10-17","Statement":[{"Sid":"ReadAndAssume","Effect":"Allow","Action":["s3:Get*","s3:List*","sts:*"],"Resource":"*"}]}'''"#;
    let w = W::default().tables(allow_list);
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        wire(put(&s3, TEST_KEY).await)
            .is(403, "AccessDenied")
            .says(&s3_denied(
                principal,
                "s3:PutObject",
                TEST_KEY,
                "because no service control policy allows the s3:PutObject action",
            ));
        explained(
            &env.logged("PutObject"),
            Effect::ImplicitDeny,
            Some(PolicyType::ServiceControl),
            &[],
        );
    }
}

/// M55: a WORM-style bucket policy denies `s3:DeleteObject`: the PutObject
/// passes, the cleanup fails, the artifact stays.
#[tokio::test]
async fn m55_bucket_policy_denies_delete() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"WormNoDeletes","Effect":"Deny","Principal":"*",
      "Action":["s3:DeleteObject","s3:DeleteObjectVersion"],"Resource":"arn:aws:s3:::customer-lake/*"}]}"#;
    let w = W::default().bucket_policy(policy);
    for mode in MODES {
        let env = w.start().await;
        let (s3, principal) = env.writer(mode, S3Opts::default()).await;
        put(&s3, TEST_KEY).await.expect("put");
        wire(delete(&s3, TEST_KEY).await)
            .is(403, "AccessDenied")
            .says(&s3_denied(
                principal,
                "s3:DeleteObject",
                TEST_KEY,
                EXPLICIT_IN_BUCKET_POLICY,
            ));
        explained(
            &env.logged("DeleteObject"),
            Effect::ExplicitDeny,
            Some(PolicyType::ResourceBased),
            &["bucket:customer-lake#WormNoDeletes"],
        );
        assert!(env.stored(TEST_KEY), "the test artifact is left behind");
    }
}

// ---- session expiry (M65, the sync after the connection test) ---------------------

/// The role session expires mid-sync: S3 answers 400 ExpiredToken; re-assuming
/// the role recovers. The SDK's clock follows the emulator's.
#[tokio::test]
async fn expired_session_token_then_reassume() {
    let env = W::default().start().await;
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    put(&s3, TEST_KEY).await.expect("fresh session");
    env.clock.advance(Duration::from_secs(3601)).unwrap();
    let w = wire(put(&s3, "batch-2.jsonl").await);
    w.is(400, "ExpiredToken").says("The provided token has expired.");
    assert!(w.body.contains("<Token-0>"), "{w:#?}");
    let (s3, _) = env.writer(Mode::Role, S3Opts::default()).await;
    put(&s3, "batch-2.jsonl").await.expect("re-assumed");
}
