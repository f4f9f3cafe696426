//! STS over the query protocol: form-encoded POST (or GET) bodies, XML answers.
//! The actions' handlers and their parameters; [`crate::pipeline`] reads the
//! body, authenticates and dispatches here.

pub(crate) mod assume_role;
pub(crate) mod web_identity;

pub(crate) use assume_role::Granted;

use std::sync::Arc;

use http::{Response, StatusCode};

use crate::api_error;
use crate::authn::{Caller, Identity};
use crate::emulator::Emulator;
use crate::error::ApiResult;
use crate::protocol::form::FormParams;
use crate::protocol::xml::{Xml, STS_NS};
use crate::request::{full, Ctx, ResBody};
use crate::route;
use crate::world::SessionOwner;

/// The decoded request parameters, shared with the CloudTrail record.
#[derive(Debug, Default)]
pub(crate) struct Params(Arc<FormParams>);

impl Params {
    /// The parameters of an STS request: the query's (the presigned `X-Amz-*`
    /// parameters left out), then, for a POST, the form body's, in order.
    ///
    /// A name or value that does not decode to UTF-8 is refused with
    /// InvalidParameterValue (AWS's common query-API error; which error STS sends
    /// here is inferred), never decoded lossily: a lossy `RoleArn` or
    /// `RoleSessionName` would name something the caller did not send.
    pub(crate) fn from_request(raw_query: &str, post: bool, body: &[u8]) -> ApiResult<Self> {
        // Decoding never lengthens text: one buffer of the raw length holds it all.
        let raw_len = raw_query.len() + if post { body.len() } else { 0 };
        let mut params = FormParams::with_capacity(raw_len, 8);
        for pair in crate::util::split_ascii::<b'&'>(raw_query).filter(|p| !p.is_empty()) {
            let (k, v) = crate::util::split_once_ascii::<b'='>(pair).unwrap_or((pair, ""));
            let (k, v) = (query_text(k)?, query_text(v)?);
            if !k.starts_with("X-Amz-") {
                params.push(&k, &v);
            }
        }
        if post {
            for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
                let at = pair.iter().position(|b| *b == b'=').unwrap_or(pair.len());
                let (k, v) = pair.split_at(at);
                let v = v.get(1..).unwrap_or_default();
                params.push_with(|t| form_text(k, t), |t| form_text(v, t))?;
            }
        }
        Ok(Self(Arc::new(params)))
    }

    /// The parameters, shared (the CloudTrail record keeps them).
    pub(crate) fn shared(&self) -> Arc<FormParams> {
        Arc::clone(&self.0)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name)
    }

    /// `Prefix.member.N[.suffix]` lists, in N order.
    pub(crate) fn members(&self, prefix: &str, suffix: Option<&str>) -> Vec<(usize, String)> {
        let mut out: Vec<(usize, String)> = self
            .0
            .with_prefix(prefix)
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(".member.")?;
                let (n, tail) =
                    crate::util::split_once_ascii::<b'.'>(rest).map_or((rest, None), |(n, t)| (n, Some(t)));
                if tail != suffix {
                    return None;
                }
                Some((n.parse().ok()?, v.to_string()))
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

/// Append `raw`, an `application/x-www-form-urlencoded` component, percent-decoded
/// (`+` is a space), to `out`.
fn form_text(raw: &[u8], out: &mut String) -> ApiResult<()> {
    // Each `+` is a space; the pieces between them are percent-decoded (a `%2B` in
    // a piece is a literal `+`). A piece is UTF-8 or not on its own: a space ends
    // any multi-byte sequence, so checking piece by piece is checking the whole.
    // A piece with nothing to decode (most: `Action`, `Version`, names) is copied.
    for (i, piece) in raw.split(|b| *b == b'+').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if piece.contains(&b'%') {
            let text = percent_encoding::percent_decode(piece)
                .decode_utf8()
                .map_err(|_| not_utf8())?;
            out.push_str(&text);
        } else {
            out.push_str(std::str::from_utf8(piece).map_err(|_| not_utf8())?);
        }
    }
    Ok(())
}

fn not_utf8() -> crate::error::ApiError {
    api_error!(
        InvalidParameterValue,
        "A request parameter does not decode to valid UTF-8."
    )
    .note("a query or form parameter is not UTF-8 after percent-decoding")
}

/// Only API version `2011-06-15` exists; an absent `Version` is taken as it.
pub(crate) fn check_version(params: &Params) -> ApiResult<()> {
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
/// version and, for `AssumeRole` and `AssumeRoleWithWebIdentity`, every parameter's
/// constraints (the fuzzing entry point).
pub(crate) fn check_params(raw_query: &str, post: bool, body: &[u8]) -> ApiResult<()> {
    let params = Params::from_request(raw_query, post, body)?;
    check_version(&params)?;
    match params.get("Action") {
        Some("AssumeRole") => {
            assume_role::AssumeRoleInput::parse(&params)?;
        }
        Some("AssumeRoleWithWebIdentity") => web_identity::check_params(&params)?,
        _ => {}
    }
    Ok(())
}

/// Decide an AssumeRole for an already authenticated caller, as the pipeline does
/// after authentication, and build the session without recording it
/// ([`crate::direct`]). `region` is the regional endpoint's.
pub(crate) fn grant_assume_role(
    emu: &Emulator,
    ctx: &Ctx,
    caller: &Caller,
    params: FormParams,
    region: &str,
) -> ApiResult<Granted> {
    let world = emu.world();
    let endpoint = assume_role::Endpoint {
        region,
        global: false,
    };
    assume_role::grant(emu, ctx, &world, caller, &Params(Arc::new(params)), &endpoint)
}

/// The unique id AWS reports for a caller (`aws:userid`).
pub(crate) fn user_id(world: &crate::world::World, caller: &Caller) -> String {
    match &caller.identity {
        Identity::Anonymous => "anonymous".to_string(),
        Identity::Root { account } => account.clone(),
        Identity::Service { name } => name.clone(),
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

pub(crate) fn get_caller_identity(
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
        .elem("RequestId", ctx.ids.request_id())
        .close("ResponseMetadata")
        .close("GetCallerIdentityResponse");
    ok(x.finish())
}

pub(crate) fn ok(body: String) -> ApiResult<Response<ResBody>> {
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "text/xml")
        .body(full(body))
        .map_err(|e| api_error!(InternalFailure).note(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codes::Code;

    #[test]
    fn form_text_reads_what_percent_decode_reads_with_plus_as_space() {
        let reference = |raw: &[u8]| {
            let plus: Vec<u8> = raw.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
            String::from_utf8(percent_encoding::percent_decode(&plus).collect()).ok()
        };
        for raw in [
            "",
            "a",
            "a+b",
            "%41%42",
            "%4",
            "%",
            "%%41",
            "%+1",
            "%2B",
            "%2b+%2F",
            "%zz",
            "a%",
            "%C3%A9",
            "%C3",
            "%FF",
            "arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr",
            "++",
            "%4g1",
        ] {
            let mut decoded = String::from("kept|");
            let result = form_text(raw.as_bytes(), &mut decoded);
            assert_eq!(
                result
                    .ok()
                    .map(|()| decoded.strip_prefix("kept|").unwrap_or("?").to_string()),
                reference(raw.as_bytes()),
                "{raw:?}"
            );
        }
    }

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
