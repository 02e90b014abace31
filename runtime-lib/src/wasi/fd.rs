//! File descriptors: only stdio (0, 1, 2) for now, mapped to the host's.

use super::{guest_memory, Args, Errno, GuestMemory, WasiCtx};
use crate::{HostContext, Trap};

/// `filetype::character_device`.
const FILETYPE_CHARACTER_DEVICE: u8 = 2;
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;

fn open_stdio(w: &WasiCtx, fd: u32) -> bool {
    fd < 3 && !w.closed[fd as usize]
}

fn done(r: Result<(), Errno>) -> Errno {
    r.err().unwrap_or(Errno::Success)
}

/// Writes all of `bytes` to host fd `fd`.
fn write_all(fd: i32, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for reads of its length.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Errno::Io);
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

fn write_iovs(
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    count: u32,
    nwritten: u32,
) -> Result<(), Errno> {
    let mut data = Vec::new();
    for (buf, len) in mem.iovecs(iovs, count)? {
        data.extend_from_slice(mem.slice(buf, len)?);
    }
    mem.slice_mut(nwritten, 4)?;
    write_all(fd as i32, &data)?;
    mem.write_u32(nwritten, data.len() as u32)
}

pub(crate) fn fd_write(
    w: &mut WasiCtx,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let fd = a.u32(0);
    if !open_stdio(w, fd) || fd == 0 {
        return Ok(Errno::Badf);
    }
    if fd == 1 {
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
    let mut mem = guest_memory(ctx)?;
    Ok(done(write_iovs(&mut mem, fd, a.u32(1), a.u32(2), a.u32(3))))
}

fn read_iovs(mem: &mut GuestMemory<'_>, iovs: u32, count: u32, nread: u32) -> Result<(), Errno> {
    let iovs = mem.iovecs(iovs, count)?;
    mem.slice_mut(nread, 4)?;
    let total: usize = iovs.iter().map(|&(_, len)| len as usize).sum();
    let mut tmp = vec![0u8; total.min(1 << 20)];
    let n = loop {
        // SAFETY: `tmp` is valid for writes of its length.
        let n = unsafe { libc::read(0, tmp.as_mut_ptr().cast(), tmp.len()) };
        if n >= 0 {
            break n as usize;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return Err(Errno::Io);
        }
    };
    let mut rest = &tmp[..n];
    for (buf, len) in iovs {
        if rest.is_empty() {
            break;
        }
        let k = rest.len().min(len as usize);
        mem.write_bytes(buf, &rest[..k])?;
        rest = &rest[k..];
    }
    mem.write_u32(nread, n as u32)
}

pub(crate) fn fd_read(w: &mut WasiCtx, ctx: &mut HostContext, a: &Args<'_>) -> Result<Errno, Trap> {
    if a.u32(0) != 0 || !open_stdio(w, 0) {
        return Ok(Errno::Badf);
    }
    let mut mem = guest_memory(ctx)?;
    Ok(done(read_iovs(&mut mem, a.u32(1), a.u32(2), a.u32(3))))
}

pub(crate) fn fd_close(w: &mut WasiCtx, _: &mut HostContext, a: &Args<'_>) -> Result<Errno, Trap> {
    let fd = a.u32(0);
    if !open_stdio(w, fd) {
        return Ok(Errno::Badf);
    }
    w.closed[fd as usize] = true;
    Ok(Errno::Success)
}

pub(crate) fn fd_seek(w: &mut WasiCtx, _: &mut HostContext, a: &Args<'_>) -> Result<Errno, Trap> {
    Ok(if open_stdio(w, a.u32(0)) {
        Errno::Spipe
    } else {
        Errno::Badf
    })
}

pub(crate) fn fd_fdstat_get(
    w: &mut WasiCtx,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let fd = a.u32(0);
    if !open_stdio(w, fd) {
        return Ok(Errno::Badf);
    }
    let rights = RIGHT_POLL_FD_READWRITE
        | if fd == 0 {
            RIGHT_FD_READ
        } else {
            RIGHT_FD_WRITE
        };
    // fdstat: filetype u8 @0, fs_flags u16 @2, rights_base u64 @8,
    // rights_inheriting u64 @16; 24 bytes.
    let mut stat = [0u8; 24];
    stat[0] = FILETYPE_CHARACTER_DEVICE;
    stat[8..16].copy_from_slice(&rights.to_le_bytes());
    let mut mem = guest_memory(ctx)?;
    Ok(done(mem.write_bytes(a.u32(1), &stat)))
}

pub(crate) fn fd_prestat_get(
    _: &mut WasiCtx,
    _: &mut HostContext,
    _: &Args<'_>,
) -> Result<Errno, Trap> {
    Ok(Errno::Badf)
}

pub(crate) fn fd_prestat_dir_name(
    _: &mut WasiCtx,
    _: &mut HostContext,
    _: &Args<'_>,
) -> Result<Errno, Trap> {
    Ok(Errno::Badf)
}
