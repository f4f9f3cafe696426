//! DeleteObject: 204 whether or not the key exists; a delete marker in a
//! versioned bucket.

use http::{Response, StatusCode};

use super::S3Request;
use crate::api_error;
use crate::error::ApiResult;
use crate::request::{empty, Ctx, ResBody};
use crate::world::Versioning;

pub(crate) fn delete_object(
    r: &S3Request<'_>,
    ctx: &Ctx,
    version_id: Option<&str>,
) -> ApiResult<Response<ResBody>> {
    let bucket = r.bucket.ok_or_else(|| api_error!(NoSuchBucket))?;
    let key = r.target.key.as_deref().unwrap_or("");
    let mut res = Response::builder().status(StatusCode::NO_CONTENT);
    if let Some(v) = version_id {
        // Permanently deleting a version under Object Lock retention is refused
        // (misconfigs.md M45: "Access Denied because object protected by object lock.").
        if bucket.object_lock.is_some() {
            return Err(api_error!(
                AccessDenied,
                "Access Denied because object protected by object lock."
            )
            .note("the bucket has Object Lock default retention"));
        }
        r.emu.store.delete_version(&bucket.name, key, v);
        res = res.header("x-amz-version-id", v);
    } else {
        let versioned = bucket.versioning != Versioning::Unversioned;
        let out = r.emu.store.delete(&bucket.name, key, versioned, ctx.now);
        if let Some(marker) = out.delete_marker {
            res = res
                .header("x-amz-delete-marker", "true")
                .header("x-amz-version-id", marker);
        }
    }
    res.body(empty())
        .map_err(|e| api_error!(InternalError).note(e.to_string()))
}
