//! `fd_*` functions on open fds (stat in `filestat.rs`, readdir in `dir.rs`).

use super::errno::{check, retry};
use super::fd_table::{filetype, rights};
use super::{errno_of, with_memory, Args, Errno, GuestMemory, WasiCtx, WasiGuard};
use crate::{HostContext, Trap};

/// At most this many iovecs per call (Linux's `IOV_MAX`); the rest is a
/// short read/write, which the spec allows.
const MAX_IOVS: usize = 1024;

/// `fdflags` bits.
pub(crate) mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
}

/// Host iovecs for the guest iovec array `(iovs, count)`, each checked to
/// lie inside guest memory (`Fault` otherwise).
pub(crate) fn host_iovecs(
    mem: &mut GuestMemory<'_>,
    iovs: u32,
    count: u32,
) -> Result<Vec<libc::iovec>, Errno> {
    let list = mem.iovecs(iovs, count)?;
    for &(buf, len) in &list {
        mem.slice(buf, len)?;
    }
    let base = mem.raw().as_mut_ptr();
    Ok(list
        .into_iter()
        .take(MAX_IOVS)
        .map(|(buf, len)| libc::iovec {
            // SAFETY: `buf..buf+len` was checked to be inside the memory.
            iov_base: unsafe { base.add(buf as usize) }.cast(),
            iov_len: len as usize,
        })
        .collect())
}

/// A guest offset (`filesize`) as a host `off_t`.
fn offset(v: u64) -> Result<i64, Errno> {
    i64::try_from(v).map_err(|_| Errno::Inval)
}

fn flush_stdout(fd: i32) {
    if fd == 1 {
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
}

/// `readv`/`writev`/`preadv`/`pwritev` on guest iovecs; writes the count.
fn io(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
    write: bool,
    at: Option<u64>,
) -> Result<Errno, Trap> {
    let (right, result_arg) = match (write, at) {
        (false, None) => (rights::FD_READ, 3),
        (true, None) => (rights::FD_WRITE, 3),
        (false, Some(_)) => (rights::FD_READ | rights::FD_SEEK, 4),
        (true, Some(_)) => (rights::FD_WRITE | rights::FD_SEEK, 4),
    };
    // Pipes, terminals, sockets and devices may block: other threads'
    // WASI calls go on meanwhile.
    let (fd, may_block) = match w.fds.get(a.u32(0), right) {
        Ok(e) => (e.fd(), e.filetype != filetype::REGULAR_FILE),
        Err(e) => return Ok(e),
    };
    with_memory(ctx, |mem| {
        let iovs = host_iovecs(mem, a.u32(1), a.u32(2))?;
        let out = a.u32(result_arg);
        mem.slice_mut(out, 4)?;
        let n = iovs.len() as i32;
        let p = iovs.as_ptr();
        if write {
            flush_stdout(fd);
        }
        let at = at.map(offset).transpose()?;
        // SAFETY: every iovec points into guest memory (checked above).
        let transfer = || match at {
            None if write => retry(|| unsafe { libc::writev(fd, p, n) }),
            None => retry(|| unsafe { libc::readv(fd, p, n) }),
            Some(off) if write => retry(|| unsafe { libc::pwritev(fd, p, n, off) }),
            Some(off) => retry(|| unsafe { libc::preadv(fd, p, n, off) }),
        };
        let done = if may_block {
            w.unlocked(transfer)?
        } else {
            transfer()?
        };
        mem.write_u32(out, done as u32)
    })
}

pub(crate) fn fd_read(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    io(w, ctx, a, false, None)
}

pub(crate) fn fd_write(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    io(w, ctx, a, true, None)
}

pub(crate) fn fd_pread(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    io(w, ctx, a, false, Some(a.u64(3)))
}

pub(crate) fn fd_pwrite(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    io(w, ctx, a, true, Some(a.u64(3)))
}

pub(crate) fn fd_seek(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let (off, whence) = (a.u64(1) as i64, a.u32(2));
    let whence = match whence {
        0 => libc::SEEK_SET,
        1 => libc::SEEK_CUR,
        2 => libc::SEEK_END,
        _ => return Ok(Errno::Inval),
    };
    // `fd_seek(fd, 0, CUR)` is `fd_tell`, allowed with either right.
    let needed = if off == 0 && whence == libc::SEEK_CUR {
        rights::FD_TELL
    } else {
        rights::FD_SEEK
    };
    let e = match w.fds.get(a.u32(0), 0) {
        Ok(e) => e,
        Err(e) => return Ok(e),
    };
    if e.rights_base & (needed | rights::FD_SEEK) == 0 {
        // Stdio pipes and terminals cannot seek: what the host says.
        if e.filetype == filetype::CHARACTER_DEVICE {
            return Ok(Errno::Spipe);
        }
        return Ok(Errno::Notcapable);
    }
    let fd = e.fd();
    with_memory(ctx, |mem| {
        mem.slice_mut(a.u32(3), 8)?;
        // SAFETY: plain syscall.
        let pos = check(unsafe { libc::lseek(fd, off, whence) })?;
        mem.write_u64(a.u32(3), pos as u64)
    })
}

pub(crate) fn fd_tell(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let fd = match w.fds.host(a.u32(0), rights::FD_TELL) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    with_memory(ctx, |mem| {
        mem.slice_mut(a.u32(1), 8)?;
        // SAFETY: plain syscall.
        let pos = check(unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) })?;
        mem.write_u64(a.u32(1), pos as u64)
    })
}

fn simple(
    w: &WasiCtx,
    fd: u32,
    right: u64,
    f: impl FnOnce(i32) -> Result<(), Errno>,
) -> Result<Errno, Trap> {
    errno_of(w.fds.host(fd, right).and_then(f))
}

pub(crate) fn fd_sync(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    // SAFETY: plain syscall.
    simple(w, a.u32(0), rights::FD_SYNC, |fd| {
        check(unsafe { libc::fsync(fd) }).map(drop)
    })
}

pub(crate) fn fd_datasync(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    // SAFETY: plain syscall.
    simple(w, a.u32(0), rights::FD_DATASYNC, |fd| {
        check(unsafe { libc::fdatasync(fd) }).map(drop)
    })
}

/// `posix_fadvise`/`posix_fallocate` return the error number itself.
fn direct(r: i32) -> Result<(), Errno> {
    if r == 0 {
        Ok(())
    } else {
        Err(Errno::from_host(r))
    }
}

pub(crate) fn fd_advise(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let advice = match a.u32(3) {
        0 => libc::POSIX_FADV_NORMAL,
        1 => libc::POSIX_FADV_SEQUENTIAL,
        2 => libc::POSIX_FADV_RANDOM,
        3 => libc::POSIX_FADV_WILLNEED,
        4 => libc::POSIX_FADV_DONTNEED,
        5 => libc::POSIX_FADV_NOREUSE,
        _ => return Ok(Errno::Inval),
    };
    let (off, len) = match (offset(a.u64(1)), offset(a.u64(2))) {
        (Ok(o), Ok(l)) => (o, l),
        _ => return Ok(Errno::Inval),
    };
    simple(w, a.u32(0), rights::FD_ADVISE, |fd| {
        // SAFETY: plain syscall.
        direct(unsafe { libc::posix_fadvise(fd, off, len, advice) })
    })
}

pub(crate) fn fd_allocate(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let (off, len) = match (offset(a.u64(1)), offset(a.u64(2))) {
        (Ok(o), Ok(l)) if o.checked_add(l).is_some() => (o, l),
        _ => return Ok(Errno::Inval),
    };
    simple(w, a.u32(0), rights::FD_ALLOCATE, |fd| {
        // SAFETY: plain syscall.
        direct(unsafe { libc::posix_fallocate(fd, off, len) })
    })
}

pub(crate) fn fd_close(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    errno_of(w.fds.close(a.u32(0)))
}

pub(crate) fn fd_renumber(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    errno_of(w.fds.renumber(a.u32(0), a.u32(1)))
}

/// The `fdflags` of a host fd.
fn host_fdflags(fd: i32) -> Result<u16, Errno> {
    // SAFETY: plain syscall.
    let fl = check(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    let mut flags = 0;
    for (host, wasi) in [
        (libc::O_APPEND, fdflags::APPEND),
        (libc::O_NONBLOCK, fdflags::NONBLOCK),
        (libc::O_DSYNC, fdflags::DSYNC),
        (libc::O_RSYNC, fdflags::RSYNC),
    ] {
        if fl & host == host {
            flags |= wasi;
        }
    }
    // O_SYNC includes the O_DSYNC bit.
    if fl & libc::O_SYNC == libc::O_SYNC {
        flags |= fdflags::SYNC;
    }
    Ok(flags)
}

pub(crate) fn fd_fdstat_get(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let e = match w.fds.entry(a.u32(0)) {
        Ok(e) => e,
        Err(e) => return Ok(e),
    };
    // fdstat: filetype u8 @0, fs_flags u16 @2, rights_base u64 @8,
    // rights_inheriting u64 @16; 24 bytes.
    let mut stat = [0u8; 24];
    stat[0] = e.filetype;
    let flags = host_fdflags(e.fd()).unwrap_or(0);
    stat[2..4].copy_from_slice(&flags.to_le_bytes());
    stat[8..16].copy_from_slice(&e.rights_base.to_le_bytes());
    stat[16..24].copy_from_slice(&e.rights_inheriting.to_le_bytes());
    with_memory(ctx, |mem| mem.write_bytes(a.u32(1), &stat))
}

pub(crate) fn fd_fdstat_set_flags(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let flags = a.u32(1);
    if flags > 0x1f {
        return Ok(Errno::Inval);
    }
    let flags = flags as u16;
    simple(w, a.u32(0), rights::FD_FDSTAT_SET_FLAGS, |fd| {
        // Linux cannot change the sync flags of an open file.
        let sync = fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC;
        if (flags ^ host_fdflags(fd)?) & sync != 0 {
            return Err(Errno::Notsup);
        }
        // SAFETY: plain syscalls.
        let mut fl = check(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
        fl &= !(libc::O_APPEND | libc::O_NONBLOCK);
        if flags & fdflags::APPEND != 0 {
            fl |= libc::O_APPEND;
        }
        if flags & fdflags::NONBLOCK != 0 {
            fl |= libc::O_NONBLOCK;
        }
        check(unsafe { libc::fcntl(fd, libc::F_SETFL, fl) }).map(drop)
    })
}

pub(crate) fn fd_fdstat_set_rights(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let (base, inheriting) = (a.u64(1), a.u64(2));
    let e = match w.fds.entry_mut(a.u32(0)) {
        Ok(e) => e,
        Err(e) => return Ok(e),
    };
    // Rights can only be dropped.
    if base & !e.rights_base != 0 || inheriting & !e.rights_inheriting != 0 {
        return Ok(Errno::Notcapable);
    }
    e.rights_base = base;
    e.rights_inheriting = inheriting;
    Ok(Errno::Success)
}

pub(crate) fn fd_prestat_get(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let len = match w.fds.entry(a.u32(0)).map(|e| e.preopen.as_ref()) {
        Ok(Some(name)) => name.len() as u32,
        _ => return Ok(Errno::Badf),
    };
    // prestat: tag u8 @0 (0 = dir), pr_name_len u32 @4.
    with_memory(ctx, |mem| {
        mem.slice_mut(a.u32(1), 8)?;
        mem.write_bytes(a.u32(1), &[0, 0, 0, 0])?;
        mem.write_u32(a.u32(1) + 4, len)
    })
}

pub(crate) fn fd_prestat_dir_name(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let name = match w.fds.entry(a.u32(0)).map(|e| e.preopen.clone()) {
        Ok(Some(name)) => name,
        _ => return Ok(Errno::Badf),
    };
    if (a.u32(2) as usize) < name.len() {
        return Ok(Errno::Nametoolong);
    }
    with_memory(ctx, |mem| mem.write_bytes(a.u32(1), &name))
}
