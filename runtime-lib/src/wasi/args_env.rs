//! `args_*` and `environ_*`: NUL-terminated strings in one buffer plus an
//! array of pointers into it.

use super::{guest_memory, Args, Errno, GuestMemory, WasiGuard};
use crate::{HostContext, Trap};

fn sizes(
    list: &[Vec<u8>],
    mem: &mut GuestMemory<'_>,
    count_ptr: u32,
    size_ptr: u32,
) -> Result<(), Errno> {
    let size: usize = list.iter().map(|s| s.len() + 1).sum();
    mem.write_u32(count_ptr, list.len() as u32)?;
    mem.write_u32(size_ptr, u32::try_from(size).map_err(|_| Errno::Inval)?)
}

fn strings(list: &[Vec<u8>], mem: &mut GuestMemory<'_>, ptrs: u32, buf: u32) -> Result<(), Errno> {
    let mut at = buf;
    for (i, s) in list.iter().enumerate() {
        mem.write_u32(ptrs.checked_add(4 * i as u32).ok_or(Errno::Fault)?, at)?;
        mem.write_bytes(at, s)?;
        let end = at.checked_add(s.len() as u32).ok_or(Errno::Fault)?;
        mem.write_bytes(end, &[0])?;
        at = end + 1;
    }
    Ok(())
}

fn errno(r: Result<(), Errno>) -> Errno {
    r.err().unwrap_or(Errno::Success)
}

pub(crate) fn args_sizes_get(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let mut mem = guest_memory(ctx)?;
    Ok(errno(sizes(&w.args, &mut mem, a.u32(0), a.u32(1))))
}

pub(crate) fn args_get(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let mut mem = guest_memory(ctx)?;
    Ok(errno(strings(&w.args, &mut mem, a.u32(0), a.u32(1))))
}

pub(crate) fn environ_sizes_get(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let mut mem = guest_memory(ctx)?;
    Ok(errno(sizes(&w.env, &mut mem, a.u32(0), a.u32(1))))
}

pub(crate) fn environ_get(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let mut mem = guest_memory(ctx)?;
    Ok(errno(strings(&w.env, &mut mem, a.u32(0), a.u32(1))))
}
