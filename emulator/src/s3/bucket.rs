//! CreateBucket: a new bucket in the caller's account, in the region its
//! `CreateBucketConfiguration` names (us-east-1 without one). An existing name
//! is answered before authorization: 409 BucketAlreadyOwnedByYou for the
//! caller's own bucket (200 in us-east-1, S3's legacy behaviour), 409
//! BucketAlreadyExists for another account's (S3 API reference, CreateBucket,
//! "Errors"; answering before checking `s3:CreateBucket` is inferred from clients
//! that treat BucketAlreadyOwnedByYou as success without that permission).

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body::Body;

use super::S3Request;
use crate::api_error;
use crate::authn::Caller;
use crate::error::ApiResult;
use crate::protocol::xml;
use crate::request::{empty, ResBody};
use crate::world::{Bucket, World};

/// The answer for a name that is taken, if it is.
pub(crate) fn existing(
    world: &World,
    caller: &Caller,
    name: &str,
    signing_region: &str,
) -> Option<ApiResult<Response<ResBody>>> {
    let b = world.bucket(name)?;
    if caller.account() == Some(b.account.as_str()) {
        // "In the North Virginia Region, Amazon S3 returns 200 OK and resets the
        // bucket ACLs" for a bucket you already own (CreateBucket errors table).
        if b.region == "us-east-1" && signing_region == "us-east-1" {
            return Some(created(name));
        }
        return Some(Err(api_error!(BucketAlreadyOwnedByYou).extra("BucketName", name)));
    }
    Some(Err(api_error!(BucketAlreadyExists)
        .extra("BucketName", name)
        .note(format!("account {} owns `{name}`", b.account))))
}

fn created(name: &str) -> ApiResult<Response<ResBody>> {
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::LOCATION, format!("/{name}"))
        .body(empty())
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}

/// The region a `CreateBucketConfiguration` body names (us-east-1 when absent).
fn location(body: &[u8]) -> ApiResult<Option<String>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let root = xml::parse(body).ok_or_else(|| api_error!(MalformedXML))?;
    if root.name != "CreateBucketConfiguration" {
        return Err(api_error!(MalformedXML));
    }
    Ok(root
        .child_text("LocationConstraint")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty()))
}

/// Create the bucket. The region must be the one the request was signed for
/// (IllegalLocationConstraintException otherwise, as a regional endpoint answers).
pub(crate) async fn create_bucket<B>(
    r: &S3Request<'_>,
    body: B,
    signing_region: &str,
) -> ApiResult<Response<ResBody>>
where
    B: Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::fmt::Display,
{
    let name = r.target.bucket.clone().unwrap_or_default();
    let account = r
        .caller
        .account()
        .ok_or_else(|| api_error!(AccessDenied).note("anonymous callers cannot create buckets"))?
        .to_string();
    let body = super::read_small_body(r.emu, body, 64 * 1024).await?;
    let constraint = location(&body)?;
    let region = constraint.clone().unwrap_or_else(|| "us-east-1".to_string());
    if !crate::world::arn::looks_like_region(&region) || (region == "us-east-1" && constraint.is_some()) {
        return Err(api_error!(InvalidLocationConstraint)
            .extra("LocationConstraint", region)
            .note("us-east-1 is named by leaving LocationConstraint out"));
    }
    if region != signing_region {
        let shown = constraint.as_deref().unwrap_or("unspecified");
        return Err(api_error!(
            IllegalLocationConstraintException,
            "The {} location constraint is incompatible for the region specific endpoint this request was sent to.",
            shown
        )
        .note(format!("signed for `{signing_region}`, bucket asked for `{region}`")));
    }
    let mut bucket = Bucket::new(&name, &account, &region);
    bucket.created = Some(r.emu.clock().now());
    r.emu.create_bucket(bucket);
    created(&name)
}

/// The region of a CreateBucketConfiguration body ([`crate::fuzzing`]).
pub(crate) fn fuzz_location(body: &[u8]) -> ApiResult<Option<String>> {
    location(body)
}
