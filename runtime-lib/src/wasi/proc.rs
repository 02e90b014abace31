//! `proc_exit` and `sched_yield`.

use super::{Args, Errno, WasiCtx};
use crate::trap::HostReason;
use crate::{HostContext, Trap};

/// Stops execution with a host trap carrying the exit code; the entry point
/// turns it into the process's exit status.
pub(crate) fn proc_exit(_: &mut WasiCtx, _: &mut HostContext, a: &Args<'_>) -> Result<Errno, Trap> {
    Err(Trap::host(HostReason::Exit(a.u32(0) as i32)))
}

pub(crate) fn sched_yield(
    _: &mut WasiCtx,
    _: &mut HostContext,
    _: &Args<'_>,
) -> Result<Errno, Trap> {
    std::thread::yield_now();
    Ok(Errno::Success)
}
