//! STS through the pipeline: read the form body, decode the parameters, parse
//! and scope the signature, apply faults, authenticate, dispatch the action.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::BodyExt;

use crate::api_error;
use crate::authn;
use crate::emulator::Emulator;
use crate::error::ApiResult;
use crate::protocol::codes::Service;
use crate::request::{Ctx, ResBody};
use crate::route::HostInfo;
use crate::sigv4::{self, Auth, RequestHead, SigService};
use crate::sts;

/// Handle an STS request.
pub(super) async fn handle<B>(
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
    let body = read_body(emu, body).await?;
    let raw_path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or("");
    let params = sts::Params::from_request(raw_query, parts.method == http::Method::POST, &body)?;
    let action = params.get("Action");
    ctx.trace.operation = action.map(Into::into);

    let head = RequestHead {
        method: parts.method.as_str(),
        raw_path,
        raw_query,
        headers: &parts.headers,
    };
    if action == Some("AssumeRoleWithWebIdentity") {
        return web_identity(emu, ctx, &params, &head, host).await;
    }
    let auth = sigv4::parse(&head, SigService::Sts).map_err(|e| e.to_api_error(Service::Sts))?;
    let Auth::V4(v4) = auth else {
        return Err(api_error!(MissingAuthenticationToken).note("STS needs a SigV4-signed request"));
    };
    v4.check_scope(SigService::Sts, None)
        .map_err(|e| e.to_api_error(Service::Sts))?;
    // The region STS runs in: the host's, else the signing region (clients sign
    // with the region they call, and one endpoint stands for every region).
    let region = host.region.clone().unwrap_or_else(|| v4.scope.region.to_string());
    // A host `sts.<suffix>` without a region is the global endpoint
    // (`sts.amazonaws.com`), which issues version-1 session tokens unless the
    // account chose otherwise (IAM user guide, "Manage AWS STS in an AWS Region";
    // misconfigs.md M14). Any other host stands for the regional endpoint of the
    // signing region, which the SDKs use by default.
    let global_endpoint = host.sts && host.global;

    emu.apply_faults(ctx, action.unwrap_or(""), None, None, Service::Sts)
        .await?;

    let world = emu.world();
    let body_hash = sigv4::sha256_hex(&body);
    let caller = authn::authenticate_v4(emu, &world, &head, v4, SigService::Sts, &region, Some(&body_hash))?;
    ctx.trace.principal = Some(caller.arn());
    ctx.trace.access_key_id.clone_from(&caller.access_key_id);
    ctx.trace.trail.identity = crate::cloudtrail::TrailCaller::of(std::sync::Arc::clone(&world), &caller);
    // Calls to the global endpoint are logged in us-east-1 (IAM user guide,
    // "Logging IAM and AWS STS API calls with AWS CloudTrail").
    ctx.trace.trail.region = Some(if global_endpoint {
        "us-east-1".into()
    } else {
        region.as_str().into()
    });
    if action == Some("AssumeRole") {
        ctx.trace.trail.parameters = crate::cloudtrail::TrailParameters::AssumeRole(params.shared());
    }

    sts::check_version(&params)?;
    match action {
        Some("GetCallerIdentity") => sts::get_caller_identity(ctx, &world, &caller),
        Some("AssumeRole") => {
            let endpoint = sts::assume_role::Endpoint {
                region: &region,
                global: global_endpoint,
            };
            sts::assume_role::assume_role(emu, ctx, &world, &caller, &params, &endpoint)
        }
        Some(other) => Err(api_error!(
            InvalidAction,
            "Could not find operation {} for version 2011-06-15",
            other
        )),
        None => Err(
            api_error!(InvalidAction, "Could not find operation  for version 2011-06-15")
                .note("no Action parameter"),
        ),
    }
}

/// `AssumeRoleWithWebIdentity` needs no signature: "Calling
/// AssumeRoleWithWebIdentity does not require the use of AWS security credentials"
/// (STS API reference), and the SDKs send it unsigned. The token is the proof; a
/// signature, if one is sent, is not checked (inferred: the caller's identity plays
/// no part in the decision). The region is the host's, else a signature's, else
/// us-east-1's.
async fn web_identity(
    emu: &Arc<Emulator>,
    ctx: &mut Ctx,
    params: &sts::Params,
    head: &RequestHead<'_>,
    host: &HostInfo,
) -> ApiResult<Response<ResBody>> {
    let signed_region = match sigv4::parse(head, SigService::Sts) {
        Ok(Auth::V4(v4)) => Some(v4.scope.region.to_string()),
        _ => None,
    };
    let region = host
        .region
        .clone()
        .or(signed_region)
        .unwrap_or_else(|| "us-east-1".to_string());
    let global_endpoint = host.sts && host.global;
    ctx.trace.trail.region = Some(if global_endpoint {
        "us-east-1".into()
    } else {
        region.as_str().into()
    });
    emu.apply_faults(ctx, "AssumeRoleWithWebIdentity", None, None, Service::Sts)
        .await?;
    sts::check_version(params)?;
    let world = emu.world();
    let endpoint = sts::assume_role::Endpoint {
        region: &region,
        global: global_endpoint,
    };
    sts::web_identity::assume_role_with_web_identity(emu, ctx, &world, params, &endpoint)
}

async fn read_body<B>(emu: &Emulator, mut body: B) -> ApiResult<Vec<u8>>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    let mut buf = Vec::new();
    loop {
        match tokio::time::timeout(emu.config.body_idle_timeout, body.frame()).await {
            Err(_) => return Err(api_error!(InternalFailure).note("request body stalled")),
            Ok(None) => return Ok(buf),
            Ok(Some(Err(e))) => return Err(api_error!(InternalFailure).note(format!("request body: {e}"))),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                    if buf.len() > emu.config.max_sts_body {
                        return Err(api_error!(ValidationError, "Request body too large"));
                    }
                }
            }
        }
    }
}
