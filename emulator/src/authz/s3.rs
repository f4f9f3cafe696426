//! S3 authorization: the actions an operation requires (declared beside its
//! route, [`crate::route::S3Op::required_actions`]), the request context S3
//! builds from the request's headers and query, and what S3 checks beyond policy
//! (the expected bucket owner, Block Public Access, SSE-KMS, Requester Pays).

use std::sync::Arc;

use compact_str::ToCompactString as _;
use http::HeaderMap;

use super::{caller_policies, denied, global_context, policies, principal, vpc_endpoint};
use crate::api_error;
use crate::authn::{AuthFacts, Caller};
use crate::error::{ApiError, ApiResult};
use crate::iam::{self, Decision, PolicyType, Principal, RequestContext, Surface};
use crate::protocol::names;
use crate::request::Ctx;
use crate::route::{S3Op, S3Target};
use crate::world::{Bucket, Encryption, KmsKeyState, ObjectOwnership, World};

/// What S3 authorization reads of a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input<'a> {
    pub world: &'a World,
    pub caller: &'a Caller,
    pub bucket: Option<&'a Bucket>,
    pub target: &'a S3Target,
    pub headers: &'a HeaderMap,
    pub query: &'a [(String, String)],
    /// A CopyObject that carries its source's tags over
    /// ([`crate::s3::copy::copies_tags`]): `s3:GetObjectTagging` on the source and
    /// `s3:PutObjectTagging` on the destination are required too.
    pub copies_tags: bool,
}

impl Input<'_> {
    /// A request header as text.
    fn header(&self, name: impl http::header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The keys S3 derives from the request's authentication, added to a context
/// [`global_context`] just built (none of them is a global key).
pub(crate) fn s3_auth_keys(mut c: RequestContext, facts: &AuthFacts) -> RequestContext {
    if let Some(v) = facts.signature_version {
        c = c.with_new("s3:signatureversion", v);
    }
    if let Some(v) = facts.auth_type {
        c = c.with_new("s3:authType", v);
    }
    if let Some(v) = facts.signature_age_ms {
        c = c.with_new("s3:signatureAge", v.to_compact_string());
    }
    if let Some(v) = &facts.content_sha256 {
        c = c.with_new("s3:x-amz-content-sha256", v.clone());
    }
    c
}

/// Header-derived S3 keys exist only when the header is sent: default bucket
/// encryption does not populate `s3:x-amz-server-side-encryption` (iam.md §4.2).
const S3_HEADER_KEYS: &[(&str, &str)] = &[
    ("x-amz-acl", "s3:x-amz-acl"),
    ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
    (
        "x-amz-server-side-encryption-aws-kms-key-id",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
    ),
    (
        "x-amz-server-side-encryption-customer-algorithm",
        "s3:x-amz-server-side-encryption-customer-algorithm",
    ),
    ("x-amz-storage-class", "s3:x-amz-storage-class"),
    ("x-amz-grant-full-control", "s3:x-amz-grant-full-control"),
    ("x-amz-grant-read", "s3:x-amz-grant-read"),
    ("x-amz-grant-read-acp", "s3:x-amz-grant-read-acp"),
    ("x-amz-grant-write-acp", "s3:x-amz-grant-write-acp"),
    (
        "x-amz-website-redirect-location",
        "s3:x-amz-website-redirect-location",
    ),
    ("x-amz-copy-source", "s3:x-amz-copy-source"),
    ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
    ("if-none-match", "s3:if-none-match"),
    ("if-match", "s3:if-match"),
];

/// The request context for deciding against `pols`: empty where none of them
/// can read it (no condition, no variable in a resource pattern, as in the setup
/// guide's policies), which decides the same and saves building a dozen keys a
/// request.
fn s3_context(r: &Input<'_>, ctx: &Ctx, region: &str, pols: &iam::Policies<'_>) -> RequestContext {
    if !pols.read_context() {
        return RequestContext::new();
    }
    let mut c = global_context(r.world, ctx, r.caller, region, r.header(http::header::USER_AGENT));
    c = s3_auth_keys(c, &r.caller.facts);
    if let Some(b) = r.bucket {
        c = c.set("s3:ResourceAccount", b.account.clone());
    }
    // One pass over the request's headers rather than a lookup per table row
    // (each `HeaderMap::get(&str)` parses the name; see benches/pipeline.rs).
    for name in r.headers.keys() {
        let Some((_, key)) = S3_HEADER_KEYS.iter().find(|(h, _)| *h == name.as_str()) else {
            continue;
        };
        if let Some(v) = r.headers.get(name).and_then(|v| v.to_str().ok()) {
            c = c.set(*key, v);
        }
    }
    if let Some(tagging) = r.header(names::X_AMZ_TAGGING) {
        // A tag set that does not decode is refused by the handler (InvalidTag);
        // no condition key is set from it here.
        let pairs = crate::route::form_pairs(tagging).unwrap_or_default();
        for (k, v) in &pairs {
            c = c.set(format!("s3:RequestObjectTag/{k}"), v.clone());
        }
        c = c.set_multi("s3:RequestObjectTagKeys", pairs.into_iter().map(|(k, _)| k));
    }
    for name in ["prefix", "delimiter", "max-keys"] {
        if let Some(v) = crate::route::query_get(r.query, name) {
            c = c.set(format!("s3:{name}"), v);
        }
    }
    if let S3Op::DeleteObject { version_id: Some(v) } = &r.target.op {
        c = c.set("s3:versionid", v.clone());
    }
    c
}

/// The canned ACLs that grant to AllUsers or AuthenticatedUsers (S3 user guide,
/// "The meaning of public").
const PUBLIC_ACLS: &[&str] = &["public-read", "public-read-write", "authenticated-read"];

/// Decide an S3 request; `Ok` carries the allow decision of its primary action
/// for the log. In order: an operation the emulator does not model; the expected
/// bucket owner; each action the operation requires (the first denial wins);
/// for writes, Block Public Access and SSE-KMS; Requester Pays.
pub(crate) fn authorize(r: &Input<'_>, ctx: &Ctx) -> ApiResult<Option<Arc<Decision>>> {
    if let S3Op::Unsupported(name) = r.target.op {
        return Err(ApiError::not_implemented(name));
    }
    // ExpectedBucketOwner: "If the account ID that you provide does not match the
    // actual owner of the bucket, the request fails with the HTTP status code 403
    // Forbidden (access denied)" (S3 API reference, the `x-amz-expected-bucket-owner`
    // header of every bucket and object operation; misconfigs.md M35, M70).
    if let (Some(b), Some(expected)) = (r.bucket, r.header(names::X_AMZ_EXPECTED_BUCKET_OWNER)) {
        if expected != b.account {
            return Err(api_error!(AccessDenied).note(format!(
                "x-amz-expected-bucket-owner `{expected}`, but account `{}` owns the bucket",
                b.account
            )));
        }
    }
    let world = r.world;
    let caller = r.caller;
    let (resource, owner, region) = match (r.bucket, &r.target.key) {
        (Some(b), Some(k)) if r.target.op.is_object_op() => (
            crate::util::concat(&["arn:aws:s3:::", &b.name, "/", k]),
            b.account.as_str(),
            b.region.as_str(),
        ),
        (Some(b), _) => (
            crate::util::concat(&["arn:aws:s3:::", &b.name]),
            b.account.as_str(),
            b.region.as_str(),
        ),
        // CreateBucket of a name nobody owns yet: the caller's account decides.
        (None, _) => match &r.target.bucket {
            Some(name) => (
                crate::util::concat(&["arn:aws:s3:::", name]),
                caller.account().unwrap_or_default(),
                "us-east-1",
            ),
            None => ("*".to_string(), caller.account().unwrap_or_default(), "us-east-1"),
        },
    };
    let principal = principal(world, caller);
    let mine = caller_policies(world, caller);
    let bucket_policy = r
        .bucket
        .and_then(|b| b.policy.as_ref())
        .map(|d| (d, PolicyType::ResourceBased));
    let mut pols = policies(world, caller.account(), owner, &mine, bucket_policy);
    pols.vpc_endpoint = vpc_endpoint(world);
    let context = s3_context(r, ctx, region, &pols);

    let decide = |action: &str| {
        iam::evaluate(
            &iam::Request {
                principal: &principal,
                action,
                resource: &resource,
                resource_account: Some(owner),
                context: &context,
            },
            &pols,
        )
    };
    let mut primary = None;
    let tagging = r.copies_tags.then_some("s3:PutObjectTagging");
    for action in r
        .target
        .op
        .required_actions(r.headers)
        .iter()
        .copied()
        .chain(tagging)
    {
        let d = decide(action);
        if !d.is_allowed() {
            return Err(denied(world, caller, owner, d, Surface::S3));
        }
        primary.get_or_insert(d);
    }
    if r.target.op.writes_object() {
        if let Some(b) = r.bucket {
            bucket_settings(r, b, &principal, &resource)?;
            kms(r, ctx, b, &principal)?;
        }
    }
    if let Some(b) = r.bucket {
        // Requester Pays: a caller from another account must say it pays
        // (S3 user guide, "Using Requester Pays buckets").
        if b.requester_pays
            && caller.account() != Some(b.account.as_str())
            && r.header(names::X_AMZ_REQUEST_PAYER) != Some("requester")
        {
            // Not a policy decision: the allow above stays out of this denial's log entry.
            return Err(api_error!(AccessDenied).note(
                "Requester Pays bucket and a caller from another account without x-amz-request-payer: requester",
            ));
        }
    }
    Ok(primary.map(Arc::new))
}

/// What S3 answers for a GetObject/HeadObject of a key that does not exist: 404
/// NoSuchKey when the caller may list the bucket, else 403 AccessDenied, so that
/// callers cannot probe for keys (S3 API reference, GetObject, "Permissions").
/// The denial carries the `s3:ListBucket` decision (its message follows the
/// AccessDenied grammar for that action: inferred, no capture found).
pub(crate) fn missing_key(r: &Input<'_>, ctx: &Ctx, not_found: ApiError) -> ApiError {
    let Some(b) = r.bucket else { return not_found };
    let caller = r.caller;
    let principal = principal(r.world, caller);
    let mine = caller_policies(r.world, caller);
    let pols = policies(
        r.world,
        caller.account(),
        &b.account,
        &mine,
        b.policy.as_ref().map(|d| (d, PolicyType::ResourceBased)),
    );
    let context = s3_context(r, ctx, &b.region, &pols);
    let resource = format!("arn:aws:s3:::{}", b.name);
    let d = iam::evaluate(
        &iam::Request {
            principal: &principal,
            action: "s3:ListBucket",
            resource: &resource,
            resource_account: Some(&b.account),
            context: &context,
        },
        &pols,
    );
    if d.is_allowed() {
        not_found
    } else {
        denied(r.world, caller, &b.account, d, Surface::S3)
            .note("the key does not exist and the caller may not list the bucket")
    }
}

/// Block Public Access against public ACLs on ACL-enabled buckets (ACL-disabled
/// buckets already refused every ACL but bucket-owner-full-control).
fn bucket_settings(r: &Input<'_>, b: &Bucket, principal: &Principal, resource: &str) -> ApiResult<()> {
    let public = r
        .header(names::X_AMZ_ACL)
        .is_some_and(|a| PUBLIC_ACLS.contains(&a))
        || r.headers.iter().any(|(k, v)| {
            k.as_str().starts_with("x-amz-grant-")
                && v.to_str().is_ok_and(|v| {
                    v.contains("acs.amazonaws.com/groups/global/AllUsers") || v.contains("AuthenticatedUsers")
                })
        });
    if public
        && b.object_ownership != ObjectOwnership::BucketOwnerEnforced
        && b.public_access_block.block_public_acls
    {
        return Err(api_error!(
            AccessDenied,
            "User: {} is not authorized to perform: s3:PutObject on resource: \"{resource}\" because public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access.",
            principal.arn
        )
        .note("BlockPublicAcls is on and the request carries a public ACL"));
    }
    Ok(())
}

/// SSE-KMS: the caller also needs `kms:GenerateDataKey` on the key, allowed by
/// the key policy (which must always allow, like a trust policy) and its own
/// policies (S3 user guide, "Using server-side encryption with AWS KMS keys").
fn kms(r: &Input<'_>, ctx: &Ctx, b: &Bucket, principal: &Principal) -> ApiResult<()> {
    let header = r.header(names::X_AMZ_SERVER_SIDE_ENCRYPTION);
    let key_arn = match (header, &b.encryption) {
        (Some("aws:kms" | "aws:kms:dsse"), enc) => r
            .header(names::X_AMZ_SERVER_SIDE_ENCRYPTION_AWS_KMS_KEY_ID)
            .map(str::to_string)
            .or_else(|| match enc {
                Encryption::SseKms { key_arn, .. } => key_arn.clone(),
                Encryption::SseS3 => None,
            }),
        (Some(_), _) => return Ok(()),
        (None, Encryption::SseKms { key_arn, .. }) => key_arn.clone(),
        (None, Encryption::SseS3) => return Ok(()),
    };
    let uses_kms =
        header.is_some_and(|h| h.starts_with("aws:kms")) || matches!(b.encryption, Encryption::SseKms { .. });
    if !uses_kms {
        return Ok(());
    }
    kms_key_allows(r, ctx, b, principal, key_arn.as_deref(), "kms:GenerateDataKey")
}

/// `action` on the KMS key an object is (to be) encrypted with: the key must
/// exist and be enabled, and the key policy and the caller's policies must allow
/// (S3 user guide, "Using server-side encryption with AWS KMS keys"). `None` is
/// the AWS managed key aws/s3, usable only from the bucket's own account
/// (misconfigs.md M43).
fn kms_key_allows(
    r: &Input<'_>,
    ctx: &Ctx,
    b: &Bucket,
    principal: &Principal,
    key_arn: Option<&str>,
    action: &str,
) -> ApiResult<()> {
    let world = r.world;
    let Some(key_arn) = key_arn else {
        if r.caller.account() != Some(b.account.as_str()) {
            return Err(api_error!(KmsNotFound, "Invalid keyId aws/s3")
                .note("the bucket's default key is the AWS managed aws/s3 key"));
        }
        return Ok(());
    };
    let Some(key) = world.kms_key(key_arn) else {
        return Err(api_error!(KmsNotFound, "Invalid keyId {}", key_arn).note("no such KMS key in the world"));
    };
    match key.state {
        KmsKeyState::Enabled => {}
        KmsKeyState::Disabled => {
            return Err(api_error!(KmsDisabled, "{} is disabled.", key.arn())
                .note("the bucket's KMS key is disabled"))
        }
        KmsKeyState::PendingDeletion => {
            return Err(ApiError::new(crate::protocol::codes::Code::KmsInvalidState)
                .message(format!("{} is pending deletion.", key.arn()))
                .note("the bucket's KMS key is pending deletion"))
        }
    }
    let mine = caller_policies(world, r.caller);
    let pols = policies(
        world,
        r.caller.account(),
        &key.account,
        &mine,
        Some((&key.policy, PolicyType::ResourceBased)),
    );
    let context = global_context(
        world,
        ctx,
        r.caller,
        &key.region,
        r.header(http::header::USER_AGENT),
    )
    .set("kms:ViaService", format!("s3.{}.amazonaws.com", b.region))
    .set("kms:CallerAccount", r.caller.account().unwrap_or_default());
    let arn = key.arn();
    let d = iam::evaluate(
        &iam::Request {
            principal,
            action,
            resource: &arn,
            resource_account: Some(&key.account),
            context: &context,
        },
        &pols,
    );
    if !d.is_allowed() {
        // S3 relays KMS's message, with the key ARN unquoted (misconfigs.md M39-M41).
        return Err(denied(world, r.caller, &key.account, d, Surface::Generic));
    }
    Ok(())
}

/// A part of an SSE-KMS multipart upload: S3 decrypts the upload's data key to
/// encrypt each part, so the caller also needs `kms:Decrypt` on the key ("To …
/// perform multipart uploads of objects, the kms:Decrypt permission on the KMS
/// key is required": S3 user guide, troubleshoot-403, Encryption; misconfigs.md
/// M41). Decided at UploadPart, the first call that fails on AWS (inferred from
/// the catalogue: "UploadPart / CompleteMultipartUpload").
pub(crate) fn authorize_part_encryption(r: &Input<'_>, ctx: &Ctx, upload_key: Option<&str>) -> ApiResult<()> {
    let Some(b) = r.bucket else { return Ok(()) };
    let principal = principal(r.world, r.caller);
    kms_key_allows(r, ctx, b, &principal, upload_key, "kms:Decrypt")
}

/// The copy source of CopyObject or UploadPartCopy: `s3:GetObject` (or
/// `s3:GetObjectVersion` with a version) on the source object, decided with the
/// source bucket's policy, and `kms:Decrypt` when the source is SSE-KMS (S3 API
/// reference, CopyObject "Permissions").
pub(crate) fn authorize_copy_source(
    r: &Input<'_>,
    ctx: &Ctx,
    source_bucket: &Bucket,
    source_key: &str,
    version_id: Option<&str>,
    source_kms_key: Option<&str>,
) -> ApiResult<Arc<Decision>> {
    let world = r.world;
    let caller = r.caller;
    let principal = principal(world, caller);
    let mine = caller_policies(world, caller);
    let bucket_policy = source_bucket
        .policy
        .as_ref()
        .map(|d| (d, PolicyType::ResourceBased));
    let mut pols = policies(
        world,
        caller.account(),
        &source_bucket.account,
        &mine,
        bucket_policy,
    );
    pols.vpc_endpoint = vpc_endpoint(world);
    let source_input = Input {
        bucket: Some(source_bucket),
        ..*r
    };
    let context = s3_context(&source_input, ctx, &source_bucket.region, &pols);
    let resource = format!("arn:aws:s3:::{}/{source_key}", source_bucket.name);
    let (read, read_tags) = if version_id.is_some() {
        ("s3:GetObjectVersion", "s3:GetObjectVersionTagging")
    } else {
        ("s3:GetObject", "s3:GetObjectTagging")
    };
    let decide = |action: &str| {
        let d = iam::evaluate(
            &iam::Request {
                principal: &principal,
                action,
                resource: &resource,
                resource_account: Some(&source_bucket.account),
                context: &context,
            },
            &pols,
        );
        if d.is_allowed() {
            Ok(d)
        } else {
            Err(denied(world, caller, &source_bucket.account, d, Surface::S3)
                .note(format!("the copy source {}/{source_key}", source_bucket.name)))
        }
    };
    let d = decide(read)?;
    if r.copies_tags {
        decide(read_tags)?;
    }
    if let Some(key) = source_kms_key {
        kms_key_allows(
            &source_input,
            ctx,
            source_bucket,
            &principal,
            Some(key),
            "kms:Decrypt",
        )?;
    }
    Ok(Arc::new(d))
}

/// One key of DeleteObjects, decided as a DeleteObject of it would be.
pub(crate) fn authorize_delete_key(
    r: &Input<'_>,
    ctx: &Ctx,
    key: &str,
    version_id: Option<&str>,
) -> ApiResult<()> {
    let target = S3Target {
        key: Some(key.to_string()),
        op: S3Op::DeleteObject {
            version_id: version_id.map(str::to_string),
        },
        ..r.target.clone()
    };
    let one = Input {
        target: &target,
        ..*r
    };
    authorize(&one, ctx).map(|_| ())
}
