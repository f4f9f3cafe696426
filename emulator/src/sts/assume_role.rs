//! AssumeRole.

use http::Response;

use super::Params;
use crate::api_error;
use crate::authn::Caller;
use crate::emulator::Emulator;
use crate::error::ApiResult;
use crate::service::{Ctx, ResBody};
use crate::world::World;

/// PLACEHOLDER until the policy engine is wired in.
pub(crate) fn assume_role(
    emu: &Emulator,
    ctx: &mut Ctx,
    world: &World,
    caller: &Caller,
    params: &Params,
    region: &str,
) -> ApiResult<Response<ResBody>> {
    let _ = (emu, ctx, world, caller, params, region);
    Err(api_error!(InternalFailure).note("AssumeRole needs the policy engine"))
}
