//! `fd_filestat_*` and `path_filestat_*`.

use super::errno::check;
use super::fd_table::{filetype, filetype_of_mode, fstat, rights};
use super::path::resolve;
use super::{errno_of, with_memory, Args, Errno, GuestMemory, WasiGuard};
use crate::{HostContext, Trap};

/// `lookupflags::symlink_follow`.
pub(crate) const SYMLINK_FOLLOW: u32 = 1;

/// `fstflags` bits.
const ATIM: u32 = 1 << 0;
const ATIM_NOW: u32 = 1 << 1;
const MTIM: u32 = 1 << 2;
const MTIM_NOW: u32 = 1 << 3;

fn ns(sec: i64, nsec: i64) -> u64 {
    (sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(nsec as u64)
}

/// The 64-byte `filestat`: dev @0, ino @8, filetype u8 @16, nlink @24,
/// size @32, atim @40, mtim @48, ctim @56.
pub(crate) fn encode(st: &libc::stat, host_fd: Option<i32>) -> [u8; 64] {
    let mut b = [0u8; 64];
    b[0..8].copy_from_slice(&st.st_dev.to_le_bytes());
    b[8..16].copy_from_slice(&st.st_ino.to_le_bytes());
    b[16] = filetype_of_mode(st.st_mode, host_fd);
    #[allow(clippy::unnecessary_cast)] // u32 on aarch64
    let nlink = st.st_nlink as u64;
    b[24..32].copy_from_slice(&nlink.to_le_bytes());
    b[32..40].copy_from_slice(&(st.st_size as u64).to_le_bytes());
    b[40..48].copy_from_slice(&ns(st.st_atime, st.st_atime_nsec).to_le_bytes());
    b[48..56].copy_from_slice(&ns(st.st_mtime, st.st_mtime_nsec).to_le_bytes());
    b[56..64].copy_from_slice(&ns(st.st_ctime, st.st_ctime_nsec).to_le_bytes());
    b
}

fn write_stat(
    mem: &mut GuestMemory<'_>,
    ptr: u32,
    st: &libc::stat,
    fd: Option<i32>,
) -> Result<(), Errno> {
    mem.write_bytes(ptr, &encode(st, fd))
}

/// The `utimensat` times for WASI `(atim, mtim, fst_flags)`.
pub(crate) fn times(atim: u64, mtim: u64, flags: u32) -> Result<[libc::timespec; 2], Errno> {
    if flags & !(ATIM | ATIM_NOW | MTIM | MTIM_NOW) != 0
        || flags & (ATIM | ATIM_NOW) == ATIM | ATIM_NOW
        || flags & (MTIM | MTIM_NOW) == MTIM | MTIM_NOW
    {
        return Err(Errno::Inval);
    }
    let one = |t: u64, set: u32, now: u32| libc::timespec {
        tv_sec: if flags & set != 0 {
            (t / 1_000_000_000) as i64
        } else {
            0
        },
        tv_nsec: if flags & set != 0 {
            (t % 1_000_000_000) as i64
        } else if flags & now != 0 {
            libc::UTIME_NOW
        } else {
            libc::UTIME_OMIT
        },
    };
    Ok([one(atim, ATIM, ATIM_NOW), one(mtim, MTIM, MTIM_NOW)])
}

pub(crate) fn fd_filestat_get(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let fd = match w.fds.host(a.u32(0), rights::FD_FILESTAT_GET) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    let ft = w.fds.entry(a.u32(0)).map(|e| e.filetype).unwrap_or(0);
    with_memory(ctx, |mem| {
        mem.slice_mut(a.u32(1), 64)?;
        let st = fstat(fd)?;
        let mut b = encode(&st, Some(fd));
        if ft == filetype::CHARACTER_DEVICE {
            b[16] = ft; // stdio pipes are shown as character devices
        }
        mem.write_bytes(a.u32(1), &b)
    })
}

pub(crate) fn fd_filestat_set_size(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let Ok(size) = i64::try_from(a.u64(1)) else {
        return Ok(Errno::Inval);
    };
    errno_of(
        w.fds
            .host(a.u32(0), rights::FD_FILESTAT_SET_SIZE)
            // SAFETY: plain syscall.
            .and_then(|fd| check(unsafe { libc::ftruncate(fd, size) }).map(drop)),
    )
}

pub(crate) fn fd_filestat_set_times(
    w: &mut WasiGuard<'_>,
    _: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    errno_of((|| {
        let fd = w.fds.host(a.u32(0), rights::FD_FILESTAT_SET_TIMES)?;
        let ts = times(a.u64(1), a.u64(2), a.u32(3))?;
        // SAFETY: `ts` holds two timespecs.
        check(unsafe { libc::futimens(fd, ts.as_ptr()) }).map(drop)
    })())
}

pub(crate) fn path_filestat_get(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let dir = match w.fds.host(a.u32(0), rights::PATH_FILESTAT_GET) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    let follow = a.u32(1) & SYMLINK_FOLLOW != 0;
    with_memory(ctx, |mem| {
        let path = mem.read_bytes(a.u32(2), a.u32(3))?;
        mem.slice_mut(a.u32(4), 64)?;
        let r = resolve(dir, &path, follow)?;
        r.check_slash()?;
        // SAFETY: an all-zero `stat` is valid; `st` is valid for writes.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        check(unsafe {
            libc::fstatat(r.dir(), r.name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW)
        })?;
        write_stat(mem, a.u32(4), &st, None)
    })
}

pub(crate) fn path_filestat_set_times(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let dir = match w.fds.host(a.u32(0), rights::PATH_FILESTAT_SET_TIMES) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    let follow = a.u32(1) & SYMLINK_FOLLOW != 0;
    with_memory(ctx, |mem| {
        let path = mem.read_bytes(a.u32(2), a.u32(3))?;
        let ts = times(a.u64(4), a.u64(5), a.u32(6))?;
        let r = resolve(dir, &path, follow)?;
        r.check_slash()?;
        // SAFETY: `ts` holds two timespecs; `name` is a C string.
        check(unsafe {
            libc::utimensat(
                r.dir(),
                r.name.as_ptr(),
                ts.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })
        .map(drop)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fstflags() {
        assert_eq!(times(0, 0, ATIM | ATIM_NOW).err(), Some(Errno::Inval));
        assert_eq!(times(0, 0, MTIM | MTIM_NOW).err(), Some(Errno::Inval));
        assert_eq!(times(0, 0, 16).err(), Some(Errno::Inval));
        let [a, m] = times(0, 0, ATIM_NOW | MTIM_NOW).unwrap();
        assert_eq!((a.tv_nsec, m.tv_nsec), (libc::UTIME_NOW, libc::UTIME_NOW));
        let [a, m] = times(1_234_567_890_500_000_000, 7, ATIM | MTIM_NOW).unwrap();
        assert_eq!((a.tv_sec, a.tv_nsec), (1_234_567_890, 500_000_000));
        assert_eq!(m.tv_nsec, libc::UTIME_NOW);
        let [a, _] = times(5, 5, 0).unwrap();
        assert_eq!(a.tv_nsec, libc::UTIME_OMIT);
    }
}
