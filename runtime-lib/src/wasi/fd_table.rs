//! The guest's file descriptor table. Guest fds are indices into it, never
//! host fds: 0, 1, 2 are the host's stdio (borrowed, never closed on the
//! host), preopened directories follow from 3 in grant order, and new fds
//! take the lowest free index. Each entry carries WASI rights: `base`
//! (what the fd may do) and `inheriting` (what fds opened through it may
//! get); rights can only ever be dropped.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::Errno;

/// `rights` bits of WASI preview1.
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    /// Every right.
    pub const ALL: u64 = (1 << 30) - 1;
    /// What a regular file (or device, pipe) fd can do.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
    /// What a directory fd can do.
    pub const DIR: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | POLL_FD_READWRITE;
    /// What a socket fd can do.
    pub const SOCKET: u64 = FD_READ
        | FD_WRITE
        | FD_FDSTAT_SET_FLAGS
        | FD_FILESTAT_GET
        | POLL_FD_READWRITE
        | SOCK_SHUTDOWN
        | SOCK_ACCEPT;
}

/// `filetype` values.
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// The WASI filetype of a host `st_mode` (pipes count as character devices,
/// as stdio pipes behave like terminals for buffering purposes).
pub(crate) fn filetype_of_mode(mode: libc::mode_t, host_fd: Option<RawFd>) -> u8 {
    match mode & libc::S_IFMT {
        libc::S_IFREG => filetype::REGULAR_FILE,
        libc::S_IFDIR => filetype::DIRECTORY,
        libc::S_IFLNK => filetype::SYMBOLIC_LINK,
        libc::S_IFCHR | libc::S_IFIFO => filetype::CHARACTER_DEVICE,
        libc::S_IFBLK => filetype::BLOCK_DEVICE,
        libc::S_IFSOCK => match host_fd.map(socket_type) {
            Some(libc::SOCK_DGRAM) => filetype::SOCKET_DGRAM,
            _ => filetype::SOCKET_STREAM,
        },
        _ => filetype::UNKNOWN,
    }
}

fn socket_type(fd: RawFd) -> i32 {
    let mut ty: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `ty`/`len` are valid for writes.
    unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut ty as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    ty
}

/// `fstat` of a host fd.
pub(crate) fn fstat(fd: RawFd) -> Result<libc::stat, Errno> {
    // SAFETY: an all-zero `stat` is a valid value; `st` is valid for writes.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    super::errno::check(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(st)
}

/// The host side of a guest fd.
#[derive(Debug)]
pub(crate) enum Host {
    /// A host stdio fd (0, 1, 2): used, never closed.
    Stdio(RawFd),
    /// A host fd the table owns.
    Owned(OwnedFd),
}

/// One directory entry of a `fd_readdir` snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirEntry {
    pub ino: u64,
    pub filetype: u8,
    pub name: Vec<u8>,
}

/// An open guest fd.
#[derive(Debug)]
pub(crate) struct Entry {
    pub host: Host,
    pub filetype: u8,
    pub rights_base: u64,
    pub rights_inheriting: u64,
    /// The guest name of a preopened directory.
    pub preopen: Option<Vec<u8>>,
    /// Entries read by the last `fd_readdir` with cookie 0 (cookie n is
    /// index n of this snapshot).
    pub dir_snapshot: Option<Vec<DirEntry>>,
}

impl Entry {
    /// The host fd.
    pub fn fd(&self) -> RawFd {
        match &self.host {
            Host::Stdio(fd) => *fd,
            Host::Owned(fd) => fd.as_raw_fd(),
        }
    }

    /// An entry for an owned host fd of this type, with `base` and
    /// `inheriting` rights limited to what the type allows.
    pub fn owned(fd: OwnedFd, filetype: u8, base: u64, inheriting: u64) -> Entry {
        let allowed = match filetype {
            filetype::DIRECTORY => rights::DIR,
            filetype::SOCKET_STREAM | filetype::SOCKET_DGRAM => rights::SOCKET,
            _ => rights::FILE,
        };
        Entry {
            host: Host::Owned(fd),
            filetype,
            rights_base: base & allowed,
            rights_inheriting: inheriting,
            preopen: None,
            dir_snapshot: None,
        }
    }

    /// A host stdio fd (0, 1 or 2).
    pub fn stdio(fd: RawFd) -> Entry {
        let ft = fstat(fd)
            .map(|st| filetype_of_mode(st.st_mode, Some(fd)))
            .unwrap_or(filetype::CHARACTER_DEVICE);
        let mut base = match ft {
            filetype::SOCKET_STREAM | filetype::SOCKET_DGRAM => rights::SOCKET,
            filetype::DIRECTORY => rights::DIR,
            filetype::REGULAR_FILE => rights::FILE,
            _ => rights::FILE & !(rights::FD_SEEK | rights::FD_TELL),
        };
        // stdin reads and stdout/stderr write, except a socket, which is
        // one bidirectional connection (inetd passes it as all three).
        if !matches!(ft, filetype::SOCKET_STREAM | filetype::SOCKET_DGRAM) {
            base &= !(if fd == 0 {
                rights::FD_WRITE
            } else {
                rights::FD_READ
            });
        }
        Entry {
            host: Host::Stdio(fd),
            filetype: ft,
            rights_base: base,
            rights_inheriting: 0,
            preopen: None,
            dir_snapshot: None,
        }
    }
}

/// The table.
#[derive(Debug, Default)]
pub struct FdTable {
    entries: Vec<Option<Entry>>,
}

impl FdTable {
    /// A table with the host's stdio at 0, 1, 2.
    pub fn with_stdio() -> FdTable {
        FdTable {
            entries: (0..3).map(|fd| Some(Entry::stdio(fd))).collect(),
        }
    }

    /// Adds `entry` at the lowest free index.
    pub(crate) fn insert(&mut self, entry: Entry) -> Result<u32, Errno> {
        let i = match self.entries.iter().position(Option::is_none) {
            Some(i) => {
                self.entries[i] = Some(entry);
                i
            }
            None => {
                self.entries.push(Some(entry));
                self.entries.len() - 1
            }
        };
        u32::try_from(i).map_err(|_| Errno::Mfile)
    }

    /// Adds a preopened directory.
    pub(crate) fn preopen(&mut self, fd: OwnedFd, guest: Vec<u8>) -> Result<u32, Errno> {
        let mut e = Entry::owned(fd, filetype::DIRECTORY, rights::ALL, rights::ALL);
        e.preopen = Some(guest);
        self.insert(e)
    }

    /// The entry of `fd` (`Badf` when not open).
    pub(crate) fn entry(&self, fd: u32) -> Result<&Entry, Errno> {
        self.entries
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::Badf)
    }

    /// The entry of `fd`, mutably.
    pub(crate) fn entry_mut(&mut self, fd: u32) -> Result<&mut Entry, Errno> {
        self.entries
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::Badf)
    }

    /// The entry of `fd` if it has all of `needed` rights: `Badf` when not
    /// open; a missing `FD_READ`/`FD_WRITE` is `Badf` too (as POSIX reports
    /// reading a write-only file), any other missing right `Notcapable`.
    pub(crate) fn get(&self, fd: u32, needed: u64) -> Result<&Entry, Errno> {
        let e = self.entry(fd)?;
        let missing = needed & !e.rights_base;
        if missing == 0 {
            Ok(e)
        } else if missing & !(rights::FD_READ | rights::FD_WRITE) == 0 {
            Err(Errno::Badf)
        } else {
            Err(Errno::Notcapable)
        }
    }

    /// The host fd of `fd` if it has `needed` rights.
    pub(crate) fn host(&self, fd: u32, needed: u64) -> Result<RawFd, Errno> {
        self.get(fd, needed).map(Entry::fd)
    }

    /// Closes `fd` (the host fd too, unless it is stdio).
    pub(crate) fn close(&mut self, fd: u32) -> Result<(), Errno> {
        let slot = self.entries.get_mut(fd as usize).ok_or(Errno::Badf)?;
        slot.take().map(drop).ok_or(Errno::Badf)
    }

    /// `fd_renumber`: moves `from` to `to` (which must be open), closing
    /// what `to` was.
    pub(crate) fn renumber(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        self.entry(from)?;
        self.entry(to)?;
        if from != to {
            let e = self.entries[from as usize].take();
            self.entries[to as usize] = e;
        }
        Ok(())
    }
}
