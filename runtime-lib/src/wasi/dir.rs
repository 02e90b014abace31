//! `fd_readdir` and the `path_*` functions that create, open, remove and
//! rename. Every path goes through [`resolve`] (no escape from the fd it is
//! relative to); the final call never lets the kernel follow a symlink.

use std::ffi::CStr;

use super::errno::check;
use super::fd::fdflags;
use super::fd_table::{filetype, fstat, rights, DirEntry, Entry};
use super::filestat::SYMLINK_FOLLOW;
use super::path::{openat, readlink, resolve, resolve_parent};
use super::{with_memory, Args, Errno, GuestMemory, WasiCtx, WasiGuard};
use crate::{HostContext, Trap};

/// `oflags` bits.
const O_CREAT: u32 = 1 << 0;
const O_DIRECTORY: u32 = 1 << 1;
const O_EXCL: u32 = 1 << 2;
const O_TRUNC: u32 = 1 << 3;

/// Size of a `dirent` header.
const DIRENT_SIZE: usize = 24;

fn dtype(d: u8) -> u8 {
    match d {
        libc::DT_REG => filetype::REGULAR_FILE,
        libc::DT_DIR => filetype::DIRECTORY,
        libc::DT_LNK => filetype::SYMBOLIC_LINK,
        libc::DT_CHR | libc::DT_FIFO => filetype::CHARACTER_DEVICE,
        libc::DT_BLK => filetype::BLOCK_DEVICE,
        libc::DT_SOCK => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// Reads every entry of directory `fd` (through a new fd, so `fd`'s own
/// position is untouched).
pub(crate) fn read_dir(fd: i32) -> Result<Vec<DirEntry>, Errno> {
    let dot = c".";
    let dup = openat(fd, &dot.into(), libc::O_RDONLY | libc::O_DIRECTORY, 0)?;
    use std::os::fd::IntoRawFd;
    let raw = dup.into_raw_fd();
    // SAFETY: `raw` is an open directory fd; fdopendir takes ownership.
    let dirp = unsafe { libc::fdopendir(raw) };
    if dirp.is_null() {
        let e = Errno::last();
        // SAFETY: fdopendir failed, so we still own `raw`.
        unsafe { libc::close(raw) };
        return Err(e);
    }
    let mut out = Vec::new();
    loop {
        // SAFETY: `dirp` is an open DIR stream.
        let ent = unsafe { libc::readdir(dirp) };
        if ent.is_null() {
            break;
        }
        // SAFETY: readdir returned a valid dirent with a C string name.
        let (ino, d_type, name) = unsafe {
            (
                (*ent).d_ino,
                (*ent).d_type,
                CStr::from_ptr((*ent).d_name.as_ptr()).to_bytes().to_vec(),
            )
        };
        let mut ft = dtype(d_type);
        if d_type == libc::DT_UNKNOWN {
            if let Ok(c) = std::ffi::CString::new(name.clone()) {
                // SAFETY: as for fstatat anywhere.
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                if unsafe { libc::fstatat(fd, c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } == 0
                {
                    ft = super::fd_table::filetype_of_mode(st.st_mode, None);
                }
            }
        }
        out.push(DirEntry {
            ino,
            filetype: ft,
            name,
        });
    }
    // SAFETY: `dirp` is open; this closes `raw` too.
    unsafe { libc::closedir(dirp) };
    Ok(out)
}

/// Serializes `entries[cookie..]` as WASI dirents into at most `buf_len`
/// bytes (the last one possibly truncated, as the spec allows: a full
/// buffer tells the caller to grow it and retry). Cookie of entry i is
/// i + 1 (its `d_next`).
pub(crate) fn encode_dirents(entries: &[DirEntry], cookie: u64, buf_len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (i, e) in entries.iter().enumerate().skip(start) {
        if out.len() >= buf_len {
            break;
        }
        let mut d = [0u8; DIRENT_SIZE];
        d[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        d[8..16].copy_from_slice(&e.ino.to_le_bytes());
        d[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        d[20] = e.filetype;
        out.extend_from_slice(&d);
        out.extend_from_slice(&e.name);
    }
    out.truncate(buf_len);
    out
}

pub(crate) fn fd_readdir(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let (buf, buf_len, cookie, used) = (a.u32(1), a.u32(2), a.u64(3), a.u32(4));
    let fd = match w.fds.host(a.u32(0), rights::FD_READDIR) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    let entry = match w.fds.entry_mut(a.u32(0)) {
        Ok(e) => e,
        Err(e) => return Ok(e),
    };
    if cookie == 0 || entry.dir_snapshot.is_none() {
        match read_dir(fd) {
            Ok(list) => entry.dir_snapshot = Some(list),
            Err(e) => return Ok(e),
        }
    }
    let bytes = encode_dirents(
        entry.dir_snapshot.as_deref().unwrap_or(&[]),
        cookie,
        buf_len as usize,
    );
    with_memory(ctx, |mem| {
        mem.slice_mut(used, 4)?;
        mem.write_bytes(buf, &bytes)?;
        mem.write_u32(used, bytes.len() as u32)
    })
}

/// The guest path at `(ptr, len)`.
fn path_arg(mem: &GuestMemory<'_>, ptr: u32, len: u32) -> Result<Vec<u8>, Errno> {
    mem.read_bytes(ptr, len)
}

pub(crate) fn path_open(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let (dirfd, lookup, oflags) = (a.u32(0), a.u32(1), a.u32(4));
    let (base, inheriting, fdfl, out) = (a.u64(5), a.u64(6), a.u32(7), a.u32(8));
    if oflags > 0xf || fdfl > 0x1f {
        return Ok(Errno::Inval);
    }
    let mut needed = rights::PATH_OPEN;
    if oflags & O_CREAT != 0 {
        needed |= rights::PATH_CREATE_FILE;
    }
    if oflags & O_TRUNC != 0 {
        needed |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let dir = match w.fds.get(dirfd, needed) {
        Ok(e) => e,
        Err(e) => return Ok(e),
    };
    if (base | inheriting) & !dir.rights_inheriting != 0 {
        return Ok(Errno::Notcapable);
    }
    let (dir_host, dir_inheriting) = (dir.fd(), dir.rights_inheriting);
    let mut fds = std::mem::take(&mut w.fds);
    let r = with_memory(ctx, |mem| {
        let path = path_arg(mem, a.u32(2), a.u32(3))?;
        mem.slice_mut(out, 4)?;
        // O_CREAT|O_EXCL never follows the last component (POSIX).
        let excl = oflags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL;
        let follow = lookup & SYMLINK_FOLLOW != 0 && !excl;
        let r = resolve(dir_host, &path, follow)?;
        let read = base & (rights::FD_READ | rights::FD_READDIR) != 0;
        let write = base
            & (rights::FD_WRITE
                | rights::FD_DATASYNC
                | rights::FD_ALLOCATE
                | rights::FD_FILESTAT_SET_SIZE)
            != 0;
        let mut flags = libc::O_NOFOLLOW;
        flags |= match (read, write) {
            // A directory opens read-only, but asking to write it is
            // refused as the host refuses it (`EISDIR`, or `ENOTDIR` for a
            // file), as other runtimes do.
            _ if oflags & O_DIRECTORY != 0 && base & rights::FD_WRITE != 0 => {
                libc::O_RDWR | libc::O_DIRECTORY
            }
            _ if oflags & O_DIRECTORY != 0 => libc::O_RDONLY | libc::O_DIRECTORY,
            (true, true) => libc::O_RDWR,
            (false, true) => libc::O_WRONLY,
            _ => libc::O_RDONLY,
        };
        // A trailing `/` needs a directory; a missing one cannot be
        // created by `O_CREAT` (Linux: `EISDIR`).
        match r.check_slash() {
            Err(Errno::Noent) if oflags & O_CREAT != 0 => return Err(Errno::Isdir),
            Err(e) => return Err(e),
            Ok(()) if r.trailing_slash && oflags & O_CREAT == 0 => flags |= libc::O_DIRECTORY,
            Ok(()) => {}
        }
        for (wasi, host) in [
            (O_CREAT, libc::O_CREAT),
            (O_EXCL, libc::O_EXCL),
            (O_TRUNC, libc::O_TRUNC),
        ] {
            if oflags & wasi != 0 {
                flags |= host;
            }
        }
        for (wasi, host) in [
            (fdflags::APPEND, libc::O_APPEND),
            (fdflags::DSYNC, libc::O_DSYNC),
            (fdflags::NONBLOCK, libc::O_NONBLOCK),
            (fdflags::RSYNC, libc::O_RSYNC),
            (fdflags::SYNC, libc::O_SYNC),
        ] {
            if fdfl & u32::from(wasi) != 0 {
                flags |= host;
            }
        }
        let fd = openat(r.dir(), &r.name, flags, 0o666)?;
        use std::os::fd::AsRawFd;
        let st = fstat(fd.as_raw_fd())?;
        let ft = super::fd_table::filetype_of_mode(st.st_mode, Some(fd.as_raw_fd()));
        let guest = fds.insert(Entry::owned(fd, ft, base, inheriting & dir_inheriting))?;
        mem.write_u32(out, guest)
    });
    w.fds = fds;
    r
}

/// Runs `f(resolved)` for the path at args `(p, p + 1)` relative to guest
/// fd `fd` (which needs `right`), for calls on the last component itself
/// (never followed; see [`resolve_parent`]).
fn at_path(
    w: &mut WasiCtx,
    ctx: &mut HostContext,
    fd: u32,
    right: u64,
    p: (u32, u32),
    f: impl FnOnce(&super::path::Resolved) -> Result<(), Errno>,
) -> Result<Errno, Trap> {
    let dir = match w.fds.host(fd, right) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    with_memory(ctx, |mem| {
        let path = path_arg(mem, p.0, p.1)?;
        let r = resolve_parent(dir, &path)?;
        f(&r)
    })
}

pub(crate) fn path_create_directory(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let p = (a.u32(1), a.u32(2));
    at_path(w, ctx, a.u32(0), rights::PATH_CREATE_DIRECTORY, p, |r| {
        let name = r.parent_name()?;
        // SAFETY: `name` is a C string.
        check(unsafe { libc::mkdirat(r.dir(), name.as_ptr(), 0o777) }).map(drop)
    })
}

pub(crate) fn path_remove_directory(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let p = (a.u32(1), a.u32(2));
    at_path(w, ctx, a.u32(0), rights::PATH_REMOVE_DIRECTORY, p, |r| {
        let name = r.parent_name()?;
        // SAFETY: `name` is a C string.
        check(unsafe { libc::unlinkat(r.dir(), name.as_ptr(), libc::AT_REMOVEDIR) }).map(drop)
    })
}

pub(crate) fn path_unlink_file(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let p = (a.u32(1), a.u32(2));
    at_path(w, ctx, a.u32(0), rights::PATH_UNLINK_FILE, p, |r| {
        let name = r.parent_name()?;
        // SAFETY: `name` is a C string.
        check(unsafe { libc::unlinkat(r.dir(), name.as_ptr(), 0) }).map(drop)
    })
}

pub(crate) fn path_readlink(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let (buf, buf_len, used) = (a.u32(3), a.u32(4), a.u32(5));
    let dir = match w.fds.host(a.u32(0), rights::PATH_READLINK) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    with_memory(ctx, |mem| {
        let path = path_arg(mem, a.u32(1), a.u32(2))?;
        mem.slice_mut(used, 4)?;
        mem.slice_mut(buf, buf_len)?;
        let r = resolve(dir, &path, false)?;
        r.check_slash()?;
        let target = readlink(r.dir(), &r.name)?;
        let n = target.len().min(buf_len as usize);
        mem.write_bytes(buf, &target[..n])?;
        mem.write_u32(used, n as u32)
    })
}

/// Resolves two paths (each relative to its own fd) and runs `f`. The
/// second is always a new name ([`resolve_parent`]); the first too when
/// `follow1` is `None`, else it is resolved with that follow flag.
#[allow(clippy::too_many_arguments)]
fn two_paths(
    w: &mut WasiCtx,
    ctx: &mut HostContext,
    (fd1, right1, p1, follow1): (u32, u64, (u32, u32), Option<bool>),
    (fd2, right2, p2): (u32, u64, (u32, u32)),
    f: impl FnOnce(&super::path::Resolved, &super::path::Resolved) -> Result<(), Errno>,
) -> Result<Errno, Trap> {
    let (d1, d2) = match (w.fds.host(fd1, right1), w.fds.host(fd2, right2)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Ok(e),
    };
    with_memory(ctx, |mem| {
        let path1 = path_arg(mem, p1.0, p1.1)?;
        let path2 = path_arg(mem, p2.0, p2.1)?;
        let r1 = match follow1 {
            Some(follow) => resolve(d1, &path1, follow)?,
            None => resolve_parent(d1, &path1)?,
        };
        let r2 = resolve_parent(d2, &path2)?;
        f(&r1, &r2)
    })
}

pub(crate) fn path_rename(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    two_paths(
        w,
        ctx,
        (
            a.u32(0),
            rights::PATH_RENAME_SOURCE,
            (a.u32(1), a.u32(2)),
            None,
        ),
        (a.u32(3), rights::PATH_RENAME_TARGET, (a.u32(4), a.u32(5))),
        |r1, r2| {
            let (n1, n2) = (r1.parent_name()?, r2.parent_name()?);
            // SAFETY: names are C strings.
            check(unsafe { libc::renameat(r1.dir(), n1.as_ptr(), r2.dir(), n2.as_ptr()) }).map(drop)
        },
    )
}

pub(crate) fn path_link(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let follow = a.u32(1) & SYMLINK_FOLLOW != 0;
    two_paths(
        w,
        ctx,
        (
            a.u32(0),
            rights::PATH_LINK_SOURCE,
            (a.u32(2), a.u32(3)),
            Some(follow),
        ),
        (a.u32(4), rights::PATH_LINK_TARGET, (a.u32(5), a.u32(6))),
        |r1, r2| {
            // A source with a trailing `/` is followed (as by Linux) and
            // must be a directory, which cannot be linked (`EPERM` below).
            r1.check_slash()?;
            let n2 = r2.parent_name()?;
            // SAFETY: names are C strings.
            check(unsafe { libc::linkat(r1.dir(), r1.name.as_ptr(), r2.dir(), n2.as_ptr(), 0) })
                .map(drop)
        },
    )
}

pub(crate) fn path_symlink(
    w: &mut WasiGuard<'_>,
    ctx: &mut HostContext,
    a: &Args<'_>,
) -> Result<Errno, Trap> {
    let dir = match w.fds.host(a.u32(2), rights::PATH_SYMLINK) {
        Ok(fd) => fd,
        Err(e) => return Ok(e),
    };
    with_memory(ctx, |mem| {
        let target = path_arg(mem, a.u32(0), a.u32(1))?;
        let path = path_arg(mem, a.u32(3), a.u32(4))?;
        // The link may only be made inside the sandbox; its content is not
        // resolved now, and an absolute target (which no resolution here
        // would ever follow, but the host might) is refused.
        let r = resolve_parent(dir, &path)?;
        if target.first() == Some(&b'/') {
            return Err(Errno::Perm);
        }
        let target = std::ffi::CString::new(target).map_err(|_| Errno::Ilseq)?;
        let name = r.parent_name()?;
        // SAFETY: both are C strings.
        check(unsafe { libc::symlinkat(target.as_ptr(), r.dir(), name.as_ptr()) }).map(drop)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirent_encoding() {
        let e = |name: &str, ino| DirEntry {
            ino,
            filetype: filetype::REGULAR_FILE,
            name: name.as_bytes().to_vec(),
        };
        let list = [e("a", 7), e("bcd", 8)];
        let all = encode_dirents(&list, 0, 4096);
        assert_eq!(all.len(), 24 + 1 + 24 + 3);
        assert_eq!(&all[0..8], &1u64.to_le_bytes());
        assert_eq!(&all[8..16], &7u64.to_le_bytes());
        assert_eq!(&all[16..20], &1u32.to_le_bytes());
        assert_eq!(all[20], filetype::REGULAR_FILE);
        assert_eq!(&all[21..24], &[0, 0, 0]);
        assert_eq!(all[24], b'a');
        assert_eq!(&all[25..33], &2u64.to_le_bytes());
        assert_eq!(&all[49..52], b"bcd");
        // From cookie 1: only the second entry; a short buffer truncates.
        assert_eq!(encode_dirents(&list, 1, 4096), all[25..].to_vec());
        assert_eq!(encode_dirents(&list, 0, 30), all[..30].to_vec());
        assert!(encode_dirents(&list, 2, 4096).is_empty());
        assert!(encode_dirents(&list, u64::MAX, 4096).is_empty());
    }
}
