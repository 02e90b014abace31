//! `clock_res_get` and `clock_time_get` over `clock_getres`/`clock_gettime`.

use super::{with_memory, Args, Errno, WasiGuard};
use crate::{HostContext, Trap};

/// WASI clock id -> POSIX clock id.
pub(crate) fn clock_id(id: u32) -> Option<libc::clockid_t> {
    Some(match id {
        0 => libc::CLOCK_REALTIME,
        1 => libc::CLOCK_MONOTONIC,
        2 => libc::CLOCK_PROCESS_CPUTIME_ID,
        3 => libc::CLOCK_THREAD_CPUTIME_ID,
        _ => return None,
    })
}

fn nanos(ts: &libc::timespec) -> u64 {
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// The time of host clock `id` in ns.
pub(crate) fn now(id: libc::clockid_t) -> Result<u64, Errno> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is valid for writes.
    if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
        return Err(Errno::Inval);
    }
    Ok(nanos(&ts))
}

pub(crate) fn clock_res_get(
    _: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let Some(id) = clock_id(a.u32(0)) else {
        return Ok(Errno::Inval);
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is valid for writes.
    if unsafe { libc::clock_getres(id, &mut ts) } != 0 {
        return Ok(Errno::Inval);
    }
    with_memory(ctx, |mem| mem.write_u64(a.u32(1), nanos(&ts)))
}

pub(crate) fn clock_time_get(
    _: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let Some(id) = clock_id(a.u32(0)) else {
        return Ok(Errno::Inval);
    };
    let t = match now(id) {
        Ok(t) => t,
        Err(e) => return Ok(e),
    };
    with_memory(ctx, |mem| mem.write_u64(a.u32(2), t))
}
