//! Sandboxed path resolution. Every guest path is resolved relative to a
//! directory fd, one component at a time, with `*at()` calls on fds:
//!
//! - absolute paths are refused (`Notcapable`);
//! - `..` pops a directory; `..` at the starting directory is refused
//!   (`Notcapable`), so no path leaves the directory it starts from;
//! - each intermediate component is opened with
//!   `O_PATH | O_DIRECTORY | O_NOFOLLOW`; a symlink is read with
//!   `readlinkat` and its target re-resolved *within the same sandbox*
//!   (absolute targets refused with `Notcapable`), at most
//!   [`MAX_SYMLINKS`] times (`Loop`);
//! - the last component is followed the same way when asked
//!   (`lookupflags::symlink_follow`, or a trailing `/`), else returned as
//!   is. The operation then uses `(dir fd, name)` with the kernel never
//!   following a symlink in `name` (`O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`, or
//!   calls that never follow).
//!
//! Host-absolute path strings are never built or checked.

use std::collections::VecDeque;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::errno::check;
use super::Errno;

/// Symlinks followed in one resolution before `Loop` (Linux's limit).
pub const MAX_SYMLINKS: u32 = 40;

/// A resolved path: the directory that holds the last component, and its
/// name (`.` when the path names the directory itself).
#[derive(Debug)]
pub(crate) struct Resolved {
    base: RawFd,
    stack: Vec<OwnedFd>,
    /// The last component (no `/`, never `..`).
    pub name: CString,
    /// The guest path ended with `/` (must be a directory).
    pub trailing_slash: bool,
    /// The guest path's last component was `.` (see [`resolve_parent`]).
    dot: bool,
}

impl Resolved {
    /// The host fd of the directory holding [`Resolved::name`].
    pub fn dir(&self) -> RawFd {
        self.stack.last().map_or(self.base, AsRawFd::as_raw_fd)
    }

    /// The name with the guest's trailing `/` put back, for calls that
    /// never follow their last component (`mkdirat`, `unlinkat`,
    /// `renameat`, `symlinkat`): the kernel then applies Linux's own
    /// trailing-slash rules (`ENOTDIR` for a file or symlink, `ENOENT` for
    /// a new non-directory, ...) without following anything.
    pub fn parent_name(&self) -> Result<CString, Errno> {
        let suffix: &[u8] = match (self.dot, self.trailing_slash) {
            (true, _) => b"/.",
            (false, true) => b"/",
            (false, false) => return Ok(self.name.clone()),
        };
        cstring(&[self.name.as_bytes(), suffix].concat())
    }

    /// For calls that follow the last component (a trailing `/` made
    /// [`resolve`] follow it, so `name` is no symlink): `Notdir` unless the
    /// object is a directory, `Noent` if it does not exist. Checked here
    /// instead of passing `name/` to the kernel, which would follow a
    /// symlink swapped in meanwhile.
    pub fn check_slash(&self) -> Result<(), Errno> {
        if !self.trailing_slash {
            return Ok(());
        }
        // SAFETY: an all-zero `stat` is valid; `name` is a C string.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        check(unsafe {
            libc::fstatat(
                self.dir(),
                self.name.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })?;
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return Err(Errno::Notdir);
        }
        Ok(())
    }
}

/// [`resolve`] for calls that act on the last component itself, never
/// following it even with a trailing `/` (which [`Resolved::parent_name`]
/// gives back to the kernel). A last component `.` (`d/.`), which
/// [`resolve`] drops, names the directory itself: that is resolved
/// (following a symlink, as Linux does for a non-final component) and
/// `parent_name` is `d/.`, which every such call refuses (`EINVAL`,
/// `EEXIST`, `EISDIR`, `EBUSY`, or `ENOTDIR` when `d` is a file) instead of
/// acting on `d`.
pub(crate) fn resolve_parent(base: RawFd, path: &[u8]) -> Result<Resolved, Errno> {
    let trimmed = path.len() - path.iter().rev().take_while(|&&b| b == b'/').count();
    if trimmed == 0 {
        return resolve(base, path, false);
    }
    let slash = trimmed < path.len();
    let path = &path[..trimmed];
    let dot = path == b"." || path.ends_with(b"/.");
    let mut r = resolve(base, path, dot)?;
    r.trailing_slash = slash;
    r.dot = dot;
    Ok(r)
}

/// `readlinkat(dir, name)`: the target, or the error.
pub(crate) fn readlink(dir: RawFd, name: &CString) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; 4096];
    // SAFETY: `buf` is valid for `buf.len()` bytes of writes.
    let n =
        check(unsafe { libc::readlinkat(dir, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) })?;
    buf.truncate(n as usize);
    Ok(buf)
}

/// `openat` returning an owned fd.
pub(crate) fn openat(dir: RawFd, name: &CString, flags: i32, mode: u32) -> Result<OwnedFd, Errno> {
    // SAFETY: `name` is a C string; a non-negative result is a new fd we own.
    let fd = super::errno::retry(|| unsafe {
        libc::openat(dir, name.as_ptr(), flags | libc::O_CLOEXEC, mode)
    })?;
    // SAFETY: `fd` was just opened and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn cstring(bytes: &[u8]) -> Result<CString, Errno> {
    CString::new(bytes).map_err(|_| Errno::Ilseq)
}

/// Pushes the components of `path` (skipping empty ones and `.`) to the
/// front of `queue`, in order.
fn push_front(queue: &mut VecDeque<Vec<u8>>, path: &[u8]) {
    for comp in path.rsplit(|&b| b == b'/') {
        if !comp.is_empty() && comp != b"." {
            queue.push_front(comp.to_vec());
        }
    }
}

/// Resolves guest `path` under directory `base` (see the module docs).
pub(crate) fn resolve(base: RawFd, path: &[u8], follow: bool) -> Result<Resolved, Errno> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.contains(&0) {
        return Err(Errno::Ilseq);
    }
    if path[0] == b'/' {
        return Err(Errno::Notcapable);
    }
    let trailing_slash = path.ends_with(b"/");
    let follow_last = follow || trailing_slash;
    let mut queue = VecDeque::new();
    push_front(&mut queue, path);
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut links = 0;
    let done = |stack: Vec<OwnedFd>, name: &[u8]| -> Result<Resolved, Errno> {
        Ok(Resolved {
            base,
            stack,
            name: cstring(name)?,
            trailing_slash,
            dot: false,
        })
    };
    loop {
        let Some(comp) = queue.pop_front() else {
            return done(stack, b".");
        };
        if comp == b".." {
            if stack.pop().is_none() {
                return Err(Errno::Notcapable);
            }
            continue;
        }
        let cur = stack.last().map_or(base, AsRawFd::as_raw_fd);
        let name = cstring(&comp)?;
        let last = queue.is_empty();
        let target = if last {
            if !follow_last {
                return done(stack, &comp);
            }
            match readlink(cur, &name) {
                Ok(target) => target,
                // Not a symlink, or missing: the operation reports it.
                Err(_) => return done(stack, &comp),
            }
        } else {
            let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW;
            match openat(cur, &name, flags, 0) {
                Ok(fd) => {
                    stack.push(fd);
                    continue;
                }
                Err(e @ (Errno::Notdir | Errno::Loop)) => readlink(cur, &name).map_err(|_| e)?,
                Err(e) => return Err(e),
            }
        };
        links += 1;
        if links > MAX_SYMLINKS {
            return Err(Errno::Loop);
        }
        if target.is_empty() {
            return Err(Errno::Noent);
        }
        if target[0] == b'/' {
            return Err(Errno::Notcapable);
        }
        push_front(&mut queue, &target);
        if queue.is_empty() {
            return done(stack, b".");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn open_dir(p: &std::path::Path) -> OwnedFd {
        let c = CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
        openat(libc::AT_FDCWD, &c, libc::O_RDONLY | libc::O_DIRECTORY, 0).unwrap()
    }

    fn name_of(r: Result<Resolved, Errno>) -> Result<String, Errno> {
        r.map(|r| r.name.to_string_lossy().into_owned())
    }

    #[test]
    fn escapes_are_refused() {
        let t = std::env::temp_dir().join(format!("waot-path-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&t);
        let root = t.join("root");
        std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
        std::fs::write(t.join("outside.txt"), "x").unwrap();
        std::fs::write(root.join("in.txt"), "x").unwrap();
        symlink("../outside.txt", root.join("out")).unwrap();
        symlink("/etc/passwd", root.join("abs")).unwrap();
        symlink("..", root.join("up")).unwrap();
        symlink("sub/../in.txt", root.join("ok")).unwrap();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        symlink("deeper", root.join("sub/d")).unwrap();
        let fd = open_dir(&root);
        let b = fd.as_raw_fd();
        let nc = Err(Errno::Notcapable);
        assert_eq!(name_of(resolve(b, b"../outside.txt", true)), nc);
        assert_eq!(name_of(resolve(b, b"..", false)), nc);
        assert_eq!(name_of(resolve(b, b"sub/../..", false)), nc);
        assert_eq!(name_of(resolve(b, b"./sub/../../root/in.txt", true)), nc);
        assert_eq!(name_of(resolve(b, b"/etc/passwd", true)), nc);
        assert_eq!(name_of(resolve(b, b"out", true)), nc);
        assert_eq!(name_of(resolve(b, b"abs", true)), nc);
        assert_eq!(name_of(resolve(b, b"up/outside.txt", false)), nc);
        assert_eq!(name_of(resolve(b, b"up", true)), nc);
        assert_eq!(name_of(resolve(b, b"up/", false)), nc);
        // Not following the last component: the link itself.
        assert_eq!(name_of(resolve(b, b"out", false)).unwrap(), "out");
        assert_eq!(name_of(resolve(b, b"up", false)).unwrap(), "up");
        // Inside is fine.
        assert_eq!(name_of(resolve(b, b"ok", true)).unwrap(), "in.txt");
        assert_eq!(
            name_of(resolve(b, b"sub/../in.txt", true)).unwrap(),
            "in.txt"
        );
        let r = resolve(b, b"sub/d/", false).unwrap();
        assert_eq!(
            (r.name.to_str().unwrap(), r.trailing_slash),
            ("deeper", true)
        );
        assert_eq!(name_of(resolve(b, b".", true)).unwrap(), ".");
        assert_eq!(name_of(resolve(b, b"sub/..", true)).unwrap(), ".");
        assert_eq!(name_of(resolve(b, b"missing", true)).unwrap(), "missing");
        assert_eq!(name_of(resolve(b, b"loop1", true)), Err(Errno::Loop));
        assert_eq!(name_of(resolve(b, b"loop1/x", false)), Err(Errno::Loop));
        assert_eq!(name_of(resolve(b, b"in.txt/x", false)), Err(Errno::Notdir));
        assert_eq!(name_of(resolve(b, b"nope/x", false)), Err(Errno::Noent));
        assert_eq!(name_of(resolve(b, b"", false)), Err(Errno::Noent));
        assert_eq!(name_of(resolve(b, b"a\0b", false)), Err(Errno::Ilseq));
        // Calls on the name itself: the slash and a last `.` go back to
        // the kernel; a final symlink is not followed unless before `.`.
        let parent = |p: &[u8]| {
            let r = resolve_parent(b, p).unwrap();
            r.parent_name().unwrap().into_string().unwrap()
        };
        assert_eq!(parent(b"sub//"), "sub/");
        assert_eq!(parent(b"sub/d/"), "d/");
        assert_eq!(parent(b"sub/d/."), "deeper/.");
        assert_eq!(parent(b"sub/./"), "sub/.");
        assert_eq!(parent(b"./"), "./.");
        assert_eq!(parent(b"in.txt"), "in.txt");
        assert_eq!(resolve_parent(b, b"up/").unwrap().name.to_str(), Ok("up"));
        let r = resolve(b, b"sub/deeper/x", false).unwrap();
        assert_ne!(r.dir(), b);
        assert_eq!(std::fs::read_to_string(t.join("outside.txt")).unwrap(), "x");
        drop(fd);
        std::fs::remove_dir_all(&t).unwrap();
    }
}
