//! S3: route a request, check where its bucket lives, authenticate, authorize,
//! then hand it to the operation's handler.

pub mod checksum;
mod delete;
mod put;
mod read;

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;

use crate::api_error;
use crate::authn::{self, Caller};
use crate::emulator::Emulator;
use crate::error::{ApiError, ApiResult};
use crate::protocol::codes::Service;
use crate::route::{self, HostInfo, S3Op, S3Target, Style};
use crate::service::{Ctx, FaultOutcome, ResBody};
use crate::sigv4::{self, Auth, RequestHead, SigService};
use crate::world::{self, arn, Bucket, World};

/// Everything a handler needs about an authorized request.
#[derive(Debug)]
pub(crate) struct S3Request<'a> {
    pub emu: &'a Arc<Emulator>,
    pub world: &'a World,
    pub parts: &'a http::request::Parts,
    pub query: &'a [(String, String)],
    pub target: &'a S3Target,
    pub bucket: Option<&'a Bucket>,
    pub caller: &'a Caller,
}

impl S3Request<'_> {
    /// A request header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Handle an S3 request.
pub(crate) async fn handle<B>(
    emu: &Arc<Emulator>,
    ctx: &mut Ctx,
    req: Request<B>,
    host: &HostInfo,
) -> ApiResult<Response<ResBody>>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    let (parts, body) = req.into_parts();
    check_header_section(emu, &parts.headers)?;
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let query = route::query_pairs(&raw_query)?;
    let target = route::s3_target(parts.method.as_str(), &raw_path, &query, host)?;
    ctx.trace.operation = Some(target.op.name().to_string());
    ctx.trace.bucket.clone_from(&target.bucket);
    ctx.trace.key.clone_from(&target.key);
    let world = emu.world();

    let head = RequestHead {
        method: parts.method.as_str(),
        raw_path: &raw_path,
        raw_query: &raw_query,
        headers: &parts.headers,
    };
    let auth = sigv4::parse(&head, SigService::S3).map_err(|e| e.to_api_error(Service::S3))?;

    let bucket = match &target.bucket {
        Some(name) => Some(find_bucket(&world, name)?),
        None => None,
    };
    if let Some(b) = bucket {
        check_region(&target, b, &auth, host)?;
    } else if let Auth::V4(v4) = &auth {
        v4.check_scope(SigService::S3, None)
            .map_err(|e| e.to_api_error(Service::S3))?;
    }

    let fired = emu
        .faults
        .check(target.op.name(), target.bucket.as_deref(), target.key.as_deref());
    match emu.apply_faults(ctx, fired).await {
        Ok(()) => {}
        Err(FaultOutcome::Error(e)) => return Err(e),
        Err(FaultOutcome::Reset) => {
            ctx.trace.reset_after = true;
            return Err(api_error!(InternalError).note("injected connection reset before the body was read"));
        }
    }

    let region = bucket.map_or_else(
        || match &auth {
            Auth::V4(v4) => v4.scope.region.clone(),
            _ => "us-east-1".to_string(),
        },
        |b| b.region.clone(),
    );
    let vhost_bucket = (target.style == Style::VirtualHost)
        .then_some(target.bucket.as_deref())
        .flatten();
    let caller = authn::authenticate_s3(
        emu,
        &world,
        &head,
        &auth,
        &region,
        bucket.is_some_and(|b| b.sigv2),
        vhost_bucket,
    )?;
    ctx.trace.principal = Some(caller.arn());
    ctx.trace.access_key_id.clone_from(&caller.access_key_id);

    let request = S3Request {
        emu,
        world: &world,
        parts: &parts,
        query: &query,
        target: &target,
        bucket,
        caller: &caller,
    };
    let decision = authorize(&request, ctx)?;
    ctx.trace.decision = decision;

    match &target.op {
        S3Op::PutObject => put::put_object(&request, ctx, body).await,
        S3Op::GetObject | S3Op::HeadObject => read::get_object(&request, target.op == S3Op::HeadObject)
            .map_err(|e| match e.code {
                crate::protocol::codes::Code::NoSuchKey => crate::authz::missing_key(&request, ctx, e),
                _ => e,
            }),
        S3Op::DeleteObject { version_id } => delete::delete_object(&request, ctx, version_id.as_deref()),
        S3Op::ListObjectsV2 => read::list_objects(&request, true),
        S3Op::ListObjects => read::list_objects(&request, false),
        S3Op::HeadBucket => read::head_bucket(&request),
        S3Op::GetBucketLocation => read::bucket_location(&request),
        S3Op::ListBuckets => read::list_buckets(&request),
        S3Op::Unsupported(_) => Err(api_error!(NotImplemented)),
    }
}

/// S3 refuses a request whose header section is over 8 KiB before it looks at
/// anything else: "The PUT request header is limited to 8 KB in size" (S3 user
/// guide, "Working with object metadata"); applied to every S3 request, signed or
/// not, as S3's front end answers RequestHeaderSectionTooLarge for GETs too
/// (inferred from reports of browsers with large cookies).
fn check_header_section(emu: &Emulator, headers: &http::HeaderMap) -> ApiResult<()> {
    let bytes: usize = headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if bytes > emu.config.max_header_bytes {
        return Err(api_error!(RequestHeaderSectionTooLarge)
            .extra("MaxSizeAllowed", emu.config.max_header_bytes.to_string())
            .note(format!("{bytes} bytes of request headers")));
    }
    Ok(())
}

/// What S3 checks between authentication and the operation's handler: an
/// operation the emulator does not implement, the expected bucket owner, and the
/// policy decision.
fn authorize(r: &S3Request<'_>, ctx: &mut Ctx) -> ApiResult<Option<Arc<crate::iam::Decision>>> {
    if let S3Op::Unsupported(name) = r.target.op {
        return Err(api_error!(NotImplemented).note(format!("the emulator does not implement {name}")));
    }

    // ExpectedBucketOwner: "If the account ID that you provide does not match the
    // actual owner of the bucket, the request fails with the HTTP status code 403
    // Forbidden (access denied)" (S3 API reference, the `x-amz-expected-bucket-owner`
    // header of every bucket and object operation; misconfigs.md M35, M70).
    if let (Some(b), Some(expected)) = (r.bucket, r.header("x-amz-expected-bucket-owner")) {
        if expected != b.account {
            return Err(api_error!(AccessDenied).note(format!(
                "x-amz-expected-bucket-owner `{expected}`, but account `{}` owns the bucket",
                b.account
            )));
        }
    }
    crate::authz::authorize_s3(r, ctx)
}

/// Decide a path-style request for an already authenticated caller, as
/// [`handle`] does after authentication, without reading a body or running
/// the operation ([`crate::direct`]).
pub(crate) fn decide(
    emu: &Arc<Emulator>,
    ctx: &mut Ctx,
    caller: &Caller,
    parts: &http::request::Parts,
) -> ApiResult<Option<Arc<crate::iam::Decision>>> {
    let raw_path = parts.uri.path();
    let query = route::query_pairs(parts.uri.query().unwrap_or(""))?;
    let host = route::parse_host("127.0.0.1", &[]);
    let target = route::s3_target(parts.method.as_str(), raw_path, &query, &host)?;
    let world = emu.world();
    let bucket = match &target.bucket {
        Some(name) => Some(find_bucket(&world, name)?),
        None => None,
    };
    let request = S3Request {
        emu,
        world: &world,
        parts,
        query: &query,
        target: &target,
        bucket,
        caller,
    };
    authorize(&request, ctx)
}

/// The bucket, or NoSuchBucket / InvalidBucketName as S3 answers.
fn find_bucket<'w>(world: &'w World, name: &str) -> ApiResult<&'w Bucket> {
    if let Some(b) = world.bucket(name) {
        return Ok(b);
    }
    match arn::check_bucket_name(name) {
        Err(why) => Err(api_error!(InvalidBucketName)
            .extra("BucketName", name)
            .note(format!("bucket name {why}"))),
        Ok(()) => Err(api_error!(NoSuchBucket)
            .extra("BucketName", name)
            .note(format!("no bucket `{name}` in the world"))),
    }
}

/// Where S3 refuses a request because the bucket lives in another region than the
/// endpoint or the signature says.
///
/// A regional endpoint (a host naming a region) answers 301 PermanentRedirect, or
/// 400 IllegalLocationConstraintException for regions launched after March 2019
/// (S3 API reference, "Request redirection and the REST API"). A signature scoped
/// to the wrong region gets AuthorizationHeaderMalformed (or, presigned,
/// AuthorizationQueryParametersError) naming the right one (captures in
/// shared/reference/sigv4.md §3, misconfigs.md M30–M31). GetBucketLocation is
/// answered from any region: it is how clients find out.
fn check_region(target: &S3Target, bucket: &Bucket, auth: &Auth, host: &HostInfo) -> ApiResult<()> {
    if target.op == S3Op::GetBucketLocation {
        return Ok(());
    }
    let with_region = |e: ApiError| e.header("x-amz-bucket-region", bucket.region.clone());
    // The global endpoint (`s3.amazonaws.com`) is US East (N. Virginia)'s: "For S3
    // buckets in Regions launched after March 20, 2019, the DNS server doesn't
    // route your request directly to the AWS Region where your bucket resides. It
    // returns an HTTP 400 Bad Request error instead" (S3 user guide,
    // "Virtual-hosted–style requests for other Regions"; misconfigs.md M33).
    // Older regions' buckets are routed there (a wrong signing region then gets
    // AuthorizationHeaderMalformed below, M31).
    let endpoint_region = match (&host.region, host.global) {
        (Some(r), _) => Some(r.as_str()),
        (None, true) if world::region_launched_after_2019(&bucket.region) => Some("us-east-1"),
        (None, _) => None,
    };
    if let Some(endpoint_region) = endpoint_region {
        if endpoint_region != bucket.region {
            // A new region's endpoint refuses another region's bucket the same
            // way, naming the bucket's location constraint, "unspecified" for
            // us-east-1 ("The unspecified location constraint is incompatible …"
            // from ap-east-1 and af-south-1 endpoints:
            // cloud-custodian/cloud-custodian#8005, #6028).
            if world::region_launched_after_2019(&bucket.region)
                || world::region_launched_after_2019(endpoint_region)
            {
                let constraint = if bucket.region == "us-east-1" {
                    "unspecified"
                } else {
                    bucket.region.as_str()
                };
                return Err(with_region(api_error!(
                    IllegalLocationConstraintException,
                    "The {} location constraint is incompatible for the region specific endpoint this request was sent to.",
                    constraint
                ))
                .note(format!(
                    "endpoint region `{endpoint_region}`, bucket region `{}`",
                    bucket.region
                )));
            }
            return Err(with_region(api_error!(PermanentRedirect))
                .extra(
                    "Endpoint",
                    format!("{}.s3.{}.amazonaws.com", bucket.name, bucket.region),
                )
                .extra("Bucket", bucket.name.clone())
                .note(format!(
                    "endpoint region `{endpoint_region}`, bucket region `{}`",
                    bucket.region
                )));
        }
    }
    if let Auth::V4(v4) = auth {
        v4.check_scope(SigService::S3, Some(&bucket.region))
            .map_err(|e| {
                with_region(e.to_api_error(Service::S3)).note(format!(
                    "signature scoped to `{}`, bucket `{}` is in `{}`",
                    v4.scope.region, bucket.name, bucket.region
                ))
            })?;
    }
    Ok(())
}
