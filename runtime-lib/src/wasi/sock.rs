//! `sock_*` on sockets the program inherited (stdio fds that are sockets,
//! e.g. under inetd or systemd socket activation; listening sockets granted
//! with `--tcplisten`/`WAOT_TCPLISTEN`, see `launch.rs`) and on the
//! connections `sock_accept` returns. Any other open fd is `Notsock`, as
//! the host says for a non-socket; preview1 has no way to create sockets.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use super::errno::{check, retry};
use super::fd::host_iovecs;
use super::fd_table::{filetype, rights, Entry};
use super::{errno_of, with_memory, Args, Errno, WasiCtx, WasiGuard};
use crate::{HostContext, Trap};

/// `riflags`
const RECV_PEEK: u32 = 1;
const RECV_WAITALL: u32 = 2;
/// `roflags::recv_data_truncated`
const RECV_DATA_TRUNCATED: u16 = 1;
/// `fdflags::nonblock`
const NONBLOCK: u32 = 4;

/// The host fd of socket `fd` if it has `needed` rights: `Badf` when not
/// open, `Notsock` when not a socket (checked before rights, so a
/// write-only stdout is `Notsock` for `sock_recv` too, like `recv(2)`).
fn socket(w: &WasiCtx, fd: u32, needed: u64) -> Result<RawFd, Errno> {
    let e = w.fds.entry(fd)?;
    if !matches!(e.filetype, filetype::SOCKET_STREAM | filetype::SOCKET_DGRAM) {
        return Err(Errno::Notsock);
    }
    w.fds.host(fd, needed)
}

pub(crate) fn sock_accept(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let flags = a.u32(1);
    if flags & !NONBLOCK != 0 {
        return Ok(Errno::Inval);
    }
    let fd = match socket(w, a.u32(0), rights::SOCK_ACCEPT) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    let out = a.u32(2);
    with_memory(ctx, |mem| {
        mem.slice_mut(out, 4)?;
        let mut hf = libc::SOCK_CLOEXEC;
        if flags & NONBLOCK != 0 {
            hf |= libc::SOCK_NONBLOCK;
        }
        // SAFETY: null address arguments are allowed.
        let c = w.unlocked(|| {
            retry(|| unsafe { libc::accept4(fd, std::ptr::null_mut(), std::ptr::null_mut(), hf) })
        })?;
        // SAFETY: `c` is a new fd we own.
        let owned = unsafe { OwnedFd::from_raw_fd(c) };
        let guest = w.fds.insert(Entry::owned(
            owned,
            filetype::SOCKET_STREAM,
            rights::SOCKET,
            0,
        ))?;
        mem.write_u32(out, guest)
    })
}

pub(crate) fn sock_recv(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let riflags = a.u32(3);
    if riflags & !(RECV_PEEK | RECV_WAITALL) != 0 {
        return Ok(Errno::Inval);
    }
    let fd = match socket(w, a.u32(0), rights::FD_READ) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    let (len_out, flags_out) = (a.u32(4), a.u32(5));
    with_memory(ctx, |mem| {
        let mut iovs = host_iovecs(mem, a.u32(1), a.u32(2))?;
        mem.slice_mut(len_out, 4)?;
        mem.slice_mut(flags_out, 2)?;
        let mut flags = 0;
        if riflags & RECV_PEEK != 0 {
            flags |= libc::MSG_PEEK;
        }
        if riflags & RECV_WAITALL != 0 {
            flags |= libc::MSG_WAITALL;
        }
        // SAFETY: an all-zero msghdr is valid; iovecs point into memory.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iovs.as_mut_ptr();
        msg.msg_iovlen = iovs.len();
        let n = w.unlocked(|| retry(|| unsafe { libc::recvmsg(fd, &mut msg, flags) }))?;
        let ro = if msg.msg_flags & libc::MSG_TRUNC != 0 {
            RECV_DATA_TRUNCATED
        } else {
            0
        };
        mem.write_u32(len_out, n as u32)?;
        mem.slice_mut(flags_out, 2)?
            .copy_from_slice(&ro.to_le_bytes());
        Ok(())
    })
}

pub(crate) fn sock_send(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    if a.u32(3) != 0 {
        return Ok(Errno::Inval);
    }
    let fd = match socket(w, a.u32(0), rights::FD_WRITE) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    let out = a.u32(4);
    with_memory(ctx, |mem| {
        let mut iovs = host_iovecs(mem, a.u32(1), a.u32(2))?;
        mem.slice_mut(out, 4)?;
        // SAFETY: as in sock_recv.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iovs.as_mut_ptr();
        msg.msg_iovlen = iovs.len();
        let n = w.unlocked(|| retry(|| unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) }))?;
        mem.write_u32(out, n as u32)
    })
}

pub(crate) fn sock_shutdown(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let how = match a.u32(1) {
        1 => libc::SHUT_RD,
        2 => libc::SHUT_WR,
        3 => libc::SHUT_RDWR,
        _ => return Ok(Errno::Inval),
    };
    errno_of(
        socket(w, a.u32(0), rights::SOCK_SHUTDOWN)
            // SAFETY: plain syscall.
            .and_then(|fd| check(unsafe { libc::shutdown(fd, how) }).map(drop)),
    )
}
