//! STS over the query protocol: form-encoded POST (or GET) bodies, XML answers.

mod assume_role;

pub(crate) use assume_role::Granted;

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt;

use crate::api_error;
use crate::authn::{self, Caller, Identity};
use crate::emulator::Emulator;
use crate::error::ApiResult;
use crate::protocol::codes::Service;
use crate::protocol::xml::{Xml, STS_NS};
use crate::route::{self, HostInfo};
use crate::service::{full, Ctx, FaultOutcome, ResBody};
use crate::sigv4::{self, Auth, RequestHead, SigService};
use crate::world::SessionOwner;

/// The decoded request parameters.
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// The parameters of an STS request: the query's (the presigned `X-Amz-*`
    /// parameters left out), then, for a POST, the form body's, in order.
    ///
    /// A name or value that does not decode to UTF-8 is refused with
    /// InvalidParameterValue (AWS's common query-API error; which error STS sends
    /// here is inferred), never decoded lossily: a lossy `RoleArn` or
    /// `RoleSessionName` would name something the caller did not send.
    pub(crate) fn from_request(raw_query: &str, post: bool, body: &[u8]) -> ApiResult<Self> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (query_text(k)?, query_text(v)?);
            if !k.starts_with("X-Amz-") {
                pairs.push((k, v));
            }
        }
        if post {
            for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
                let at = pair.iter().position(|b| *b == b'=').unwrap_or(pair.len());
                let (k, v) = pair.split_at(at);
                let v = v.get(1..).unwrap_or_default();
                pairs.push((form_text(k)?, form_text(v)?));
            }
        }
        Ok(Self(pairs))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// `Prefix.member.N[.suffix]` lists, in N order.
    pub(crate) fn members(&self, prefix: &str, suffix: Option<&str>) -> Vec<(usize, String)> {
        let mut out: Vec<(usize, String)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(prefix)?.strip_prefix(".member.")?;
                let (n, tail) = rest.split_once('.').map_or((rest, None), |(n, t)| (n, Some(t)));
                if tail != suffix {
                    return None;
                }
                Some((n.parse().ok()?, v.clone()))
            })
            .collect();
        out.sort_by_key(|(n, _)| *n);
        out
    }
}

/// A percent-decoded query component; `+` stays `+` in a query, as S3 and the
/// SigV4 canonical query read it.
fn query_text(raw: &str) -> ApiResult<String> {
    route::decode(raw).ok_or_else(not_utf8)
}

/// A percent-decoded `application/x-www-form-urlencoded` component (`+` is a space).
fn form_text(raw: &[u8]) -> ApiResult<String> {
    let plus_as_space: Vec<u8> = raw.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    let decoded: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
    String::from_utf8(decoded).map_err(|_| not_utf8())
}

fn not_utf8() -> crate::error::ApiError {
    api_error!(
        InvalidParameterValue,
        "A request parameter does not decode to valid UTF-8."
    )
    .note("a query or form parameter is not UTF-8 after percent-decoding")
}

/// Handle an STS request.
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
    let body = read_body(emu, body).await?;
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let params = Params::from_request(&raw_query, parts.method == http::Method::POST, &body)?;
    let action = params.get("Action").map(str::to_string);
    ctx.trace.operation.clone_from(&action);

    let head = RequestHead {
        method: parts.method.as_str(),
        raw_path: &raw_path,
        raw_query: &raw_query,
        headers: &parts.headers,
    };
    let auth = sigv4::parse(&head, SigService::Sts).map_err(|e| e.to_api_error(Service::Sts))?;
    let Auth::V4(v4) = &auth else {
        return Err(api_error!(MissingAuthenticationToken).note("STS needs a SigV4-signed request"));
    };
    v4.check_scope(SigService::Sts, None)
        .map_err(|e| e.to_api_error(Service::Sts))?;
    // The region STS runs in: the host's, else the signing region (clients sign
    // with the region they call, and one endpoint stands for every region).
    let region = host.region.clone().unwrap_or_else(|| v4.scope.region.clone());
    // A host `sts.<suffix>` without a region is the global endpoint
    // (`sts.amazonaws.com`), which issues version-1 session tokens unless the
    // account chose otherwise (IAM user guide, "Manage AWS STS in an AWS Region";
    // misconfigs.md M14). Any other host stands for the regional endpoint of the
    // signing region, which the SDKs use by default.
    let global_endpoint = host.sts && host.global;

    let fired = emu.faults.check(action.as_deref().unwrap_or(""), None, None);
    match emu.apply_faults(ctx, fired).await {
        Ok(()) => {}
        Err(FaultOutcome::Error(e)) => return Err(e),
        Err(FaultOutcome::Reset) => {
            ctx.trace.reset_after = true;
            return Err(api_error!(InternalFailure).note("injected connection reset"));
        }
    }

    let world = emu.world();
    let body_hash = sigv4::sha256_hex(&body);
    let caller = authn::authenticate_v4(emu, &world, &head, v4, SigService::Sts, &region, Some(&body_hash))?;
    ctx.trace.principal = Some(caller.arn());
    ctx.trace.access_key_id.clone_from(&caller.access_key_id);

    check_version(&params)?;
    match action.as_deref() {
        Some("GetCallerIdentity") => get_caller_identity(ctx, &world, &caller),
        Some("AssumeRole") => {
            let endpoint = assume_role::Endpoint {
                region: &region,
                global: global_endpoint,
            };
            assume_role::assume_role(emu, ctx, &world, &caller, &params, &endpoint)
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

/// Only API version `2011-06-15` exists; an absent `Version` is taken as it.
fn check_version(params: &Params) -> ApiResult<()> {
    match params.get("Version") {
        Some(version) if version != "2011-06-15" => Err(api_error!(
            InvalidAction,
            "Could not find operation {} for version {}",
            params.get("Action").unwrap_or(""),
            version
        )),
        _ => Ok(()),
    }
}

/// What STS checks of a request's parameters before it looks at the world: the API
/// version and, for `AssumeRole`, every parameter's constraints (the fuzzing entry point).
pub(crate) fn check_params(raw_query: &str, post: bool, body: &[u8]) -> ApiResult<()> {
    let params = Params::from_request(raw_query, post, body)?;
    check_version(&params)?;
    if params.get("Action") == Some("AssumeRole") {
        assume_role::AssumeRoleInput::parse(&params)?;
    }
    Ok(())
}

/// Decide an AssumeRole for an already authenticated caller, as [`handle`] does
/// after authentication, and build the session without recording it
/// ([`crate::direct`]). `region` is the regional endpoint's.
pub(crate) fn grant_assume_role(
    emu: &Emulator,
    ctx: &Ctx,
    caller: &Caller,
    params: Vec<(String, String)>,
    region: &str,
) -> ApiResult<Granted> {
    let world = emu.world();
    let endpoint = assume_role::Endpoint {
        region,
        global: false,
    };
    assume_role::grant(emu, ctx, &world, caller, &Params(params), &endpoint)
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

/// The unique id AWS reports for a caller (`aws:userid`).
pub(crate) fn user_id(world: &crate::world::World, caller: &Caller) -> String {
    match &caller.identity {
        Identity::Anonymous => "anonymous".to_string(),
        Identity::User(u) => u.id.clone(),
        Identity::Session(s) => match &s.owner {
            SessionOwner::Role {
                account,
                role,
                session_name,
            } => {
                let id = world
                    .role(account, role)
                    .map_or_else(|| "AROAUNKNOWN".to_string(), |r| r.id.clone());
                format!("{id}:{session_name}")
            }
            SessionOwner::User { account, user } => world
                .user(account, user)
                .map_or_else(|| "AIDAUNKNOWN".to_string(), |u| u.id.clone()),
        },
    }
}

fn get_caller_identity(
    ctx: &Ctx,
    world: &crate::world::World,
    caller: &Caller,
) -> ApiResult<Response<ResBody>> {
    // GetCallerIdentity needs no permission, and an explicit deny is ignored (STS API reference).
    let mut x = Xml::bare();
    x.open_ns("GetCallerIdentityResponse", STS_NS)
        .open("GetCallerIdentityResult")
        .elem("Arn", &caller.arn());
    x.elem("UserId", &user_id(world, caller));
    x.elem("Account", caller.account().unwrap_or_default())
        .close("GetCallerIdentityResult");
    x.open("ResponseMetadata")
        .elem("RequestId", &ctx.uuid)
        .close("ResponseMetadata")
        .close("GetCallerIdentityResponse");
    ok(x.finish())
}

pub(crate) fn ok(body: String) -> ApiResult<Response<ResBody>> {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/xml")
        .body(full(body))
        .map_err(|e| api_error!(InternalFailure).note(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codes::Code;

    fn code(query: &str, body: &str) -> Option<Code> {
        check_params(query, true, body.as_bytes()).err().map(|e| e.code)
    }

    const ASSUME: &str = "Action=AssumeRole&Version=2011-06-15\
        &RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fwriter&RoleSessionName=sync";

    #[test]
    fn parameters_are_checked_without_a_world() {
        assert_eq!(code("", ASSUME), None);
        assert_eq!(code("", "Action=GetCallerIdentity"), None);
        assert_eq!(
            code("", "Action=AssumeRole&Version=2010-05-08"),
            Some(Code::InvalidAction)
        );
        assert_eq!(code("", "Action=AssumeRole"), Some(Code::ValidationError));
        assert_eq!(
            code("", &format!("{ASSUME}&DurationSeconds=899")),
            Some(Code::ValidationError)
        );
        assert_eq!(
            code("", &format!("{ASSUME}&Policy=%7B")),
            Some(Code::MalformedPolicyDocument)
        );
        let eleven: String = (1..=11)
            .map(|n| format!("&PolicyArns.member.{n}.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Fp{n}"))
            .collect();
        assert_eq!(
            code("", &format!("{ASSUME}{eleven}")),
            Some(Code::ValidationError)
        );
        assert_eq!(
            code("", &format!("{ASSUME}&Tags.member.1.Key=&Tags.member.1.Value=v")),
            Some(Code::ValidationError)
        );
    }

    #[test]
    fn query_and_form_both_carry_parameters() {
        // A GET carries them in the query; presigned X-Amz-* parameters are not STS's.
        assert_eq!(check_params(ASSUME, false, b"").err().map(|e| e.code), None);
        let params =
            Params::from_request("X-Amz-Date=x&Action=AssumeRole", true, b"Version=2011-06-15").unwrap();
        assert_eq!(params.get("X-Amz-Date"), None);
        assert_eq!(params.get("Action"), Some("AssumeRole"));
        assert_eq!(params.get("Version"), Some("2011-06-15"));
        // The body of a GET is not read.
        let params = Params::from_request("", false, b"Action=AssumeRole").unwrap();
        assert_eq!(params.get("Action"), None);
    }

    #[test]
    fn parameters_that_are_not_utf8_are_refused() {
        // Two different invalid sequences must not both become U+FFFD.
        for (query, body) in [
            ("RoleSessionName=a%FF", &b""[..]),
            ("", &b"RoleSessionName=a%FE"[..]),
            ("", &b"Role%C3Arn=x"[..]),
        ] {
            let e = Params::from_request(query, true, body).unwrap_err();
            assert_eq!(e.code, Code::InvalidParameterValue, "{query} {body:?}");
        }
        let p = Params::from_request("", true, b"A=b+c%2B%C3%A9&D").unwrap();
        assert_eq!(p.get("A"), Some("b c+é"));
        assert_eq!(p.get("D"), Some(""));
    }
}
