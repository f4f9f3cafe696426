//! Authorization: the layer between authentication and the handlers.

use std::sync::Arc;

use crate::api_error;
use crate::error::ApiResult;
use crate::iam::Decision;
use crate::s3::S3Request;
use crate::service::Ctx;

/// Decide an S3 request.
///
/// PLACEHOLDER until the policy engine is wired in: an authenticated caller may
/// do anything in buckets its own account owns; everyone else gets the bare
/// `Access Denied` S3 sends to callers outside the bucket owner's account.
pub(crate) fn authorize_s3(r: &S3Request<'_>, ctx: &mut Ctx) -> ApiResult<Option<Arc<Decision>>> {
    let _ = ctx;
    match (r.caller.account(), r.bucket) {
        (Some(caller), Some(bucket)) if caller == bucket.account => Ok(None),
        (Some(_), None) => Ok(None),
        _ => {
            Err(api_error!(AccessDenied)
                .note("placeholder rule: only the bucket owner's account may access it"))
        }
    }
}
