//! `random_get` over `getrandom(2)`.

use super::{guest_memory, Args, Errno, WasiGuard};
use crate::{HostContext, Trap};

/// Fills `buf` from the kernel's random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), Errno> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: `rest` is valid for `rest.len()` bytes of writes.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Errno::Io);
        }
        done += n as usize;
    }
    Ok(())
}

pub(crate) fn random_get(
    _: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let mut mem = guest_memory(ctx)?;
    let r = mem.slice_mut(a.u32(0), a.u32(1)).and_then(fill_random);
    Ok(r.err().unwrap_or(Errno::Success))
}
