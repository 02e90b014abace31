//! WASI errno values (`wasi_snapshot_preview1` `errno`, all 77) and the
//! complete mapping from host (Linux) errno.

macro_rules! errnos {
    ($($name:ident = $v:expr, $doc:literal;)*) => {
        /// A WASI error number.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u16)]
        pub enum Errno {
            $(#[doc = $doc] $name = $v,)*
        }
    };
}

errnos! {
    Success = 0, "No error.";
    TooBig = 1, "Argument list too long.";
    Acces = 2, "Permission denied.";
    Addrinuse = 3, "Address in use.";
    Addrnotavail = 4, "Address not available.";
    Afnosupport = 5, "Address family not supported.";
    Again = 6, "Resource unavailable, or operation would block.";
    Already = 7, "Connection already in progress.";
    Badf = 8, "Bad file descriptor.";
    Badmsg = 9, "Bad message.";
    Busy = 10, "Device or resource busy.";
    Canceled = 11, "Operation canceled.";
    Child = 12, "No child processes.";
    Connaborted = 13, "Connection aborted.";
    Connrefused = 14, "Connection refused.";
    Connreset = 15, "Connection reset.";
    Deadlk = 16, "Resource deadlock would occur.";
    Destaddrreq = 17, "Destination address required.";
    Dom = 18, "Mathematics argument out of domain.";
    Dquot = 19, "Reserved.";
    Exist = 20, "File exists.";
    Fault = 21, "Bad address.";
    Fbig = 22, "File too large.";
    Hostunreach = 23, "Host is unreachable.";
    Idrm = 24, "Identifier removed.";
    Ilseq = 25, "Illegal byte sequence.";
    Inprogress = 26, "Operation in progress.";
    Intr = 27, "Interrupted function.";
    Inval = 28, "Invalid argument.";
    Io = 29, "I/O error.";
    Isconn = 30, "Socket is connected.";
    Isdir = 31, "Is a directory.";
    Loop = 32, "Too many levels of symbolic links.";
    Mfile = 33, "File descriptor value too large.";
    Mlink = 34, "Too many links.";
    Msgsize = 35, "Message too large.";
    Multihop = 36, "Reserved.";
    Nametoolong = 37, "Filename too long.";
    Netdown = 38, "Network is down.";
    Netreset = 39, "Connection aborted by network.";
    Netunreach = 40, "Network unreachable.";
    Nfile = 41, "Too many files open in system.";
    Nobufs = 42, "No buffer space available.";
    Nodev = 43, "No such device.";
    Noent = 44, "No such file or directory.";
    Noexec = 45, "Executable file format error.";
    Nolck = 46, "No locks available.";
    Nolink = 47, "Reserved.";
    Nomem = 48, "Not enough space.";
    Nomsg = 49, "No message of the desired type.";
    Noprotoopt = 50, "Protocol not available.";
    Nospc = 51, "No space left on device.";
    Nosys = 52, "Function not supported.";
    Notconn = 53, "The socket is not connected.";
    Notdir = 54, "Not a directory or a symbolic link to a directory.";
    Notempty = 55, "Directory not empty.";
    Notrecoverable = 56, "State not recoverable.";
    Notsock = 57, "Not a socket.";
    Notsup = 58, "Not supported, or operation not supported on socket.";
    Notty = 59, "Inappropriate I/O control operation.";
    Nxio = 60, "No such device or address.";
    Overflow = 61, "Value too large to be stored in data type.";
    Ownerdead = 62, "Previous owner died.";
    Perm = 63, "Operation not permitted.";
    Pipe = 64, "Broken pipe.";
    Proto = 65, "Protocol error.";
    Protonosupport = 66, "Protocol not supported.";
    Prototype = 67, "Protocol wrong type for socket.";
    Range = 68, "Result too large.";
    Rofs = 69, "Read-only file system.";
    Spipe = 70, "Invalid seek.";
    Srch = 71, "No such process.";
    Stale = 72, "Reserved.";
    Timedout = 73, "Connection timed out.";
    Txtbsy = 74, "Text file busy.";
    Xdev = 75, "Cross-device link.";
    Notcapable = 76, "Extension: Capabilities insufficient.";
}

impl Errno {
    /// The WASI errno for a host errno value (`Io` for unknown ones).
    pub fn from_host(e: i32) -> Errno {
        use Errno::*;
        match e {
            0 => Success,
            libc::E2BIG => TooBig,
            libc::EACCES => Acces,
            libc::EADDRINUSE => Addrinuse,
            libc::EADDRNOTAVAIL => Addrnotavail,
            libc::EAFNOSUPPORT => Afnosupport,
            libc::EAGAIN => Again,
            libc::EALREADY => Already,
            libc::EBADF => Badf,
            libc::EBADMSG => Badmsg,
            libc::EBUSY => Busy,
            libc::ECANCELED => Canceled,
            libc::ECHILD => Child,
            libc::ECONNABORTED => Connaborted,
            libc::ECONNREFUSED => Connrefused,
            libc::ECONNRESET => Connreset,
            libc::EDEADLK => Deadlk,
            libc::EDESTADDRREQ => Destaddrreq,
            libc::EDOM => Dom,
            libc::EDQUOT => Dquot,
            libc::EEXIST => Exist,
            libc::EFAULT => Fault,
            libc::EFBIG => Fbig,
            libc::EHOSTUNREACH | libc::EHOSTDOWN => Hostunreach,
            libc::EIDRM => Idrm,
            libc::EILSEQ => Ilseq,
            libc::EINPROGRESS => Inprogress,
            libc::EINTR => Intr,
            libc::EINVAL => Inval,
            libc::EIO => Io,
            libc::EISCONN => Isconn,
            libc::EISDIR => Isdir,
            libc::ELOOP => Loop,
            libc::EMFILE => Mfile,
            libc::EMLINK => Mlink,
            libc::EMSGSIZE => Msgsize,
            libc::EMULTIHOP => Multihop,
            libc::ENAMETOOLONG => Nametoolong,
            libc::ENETDOWN => Netdown,
            libc::ENETRESET => Netreset,
            libc::ENETUNREACH => Netunreach,
            libc::ENFILE => Nfile,
            libc::ENOBUFS => Nobufs,
            libc::ENODEV => Nodev,
            libc::ENOENT => Noent,
            libc::ENOEXEC => Noexec,
            libc::ENOLCK => Nolck,
            libc::ENOLINK => Nolink,
            libc::ENOMEM => Nomem,
            libc::ENOMSG => Nomsg,
            libc::ENOPROTOOPT => Noprotoopt,
            libc::ENOSPC => Nospc,
            libc::ENOSYS => Nosys,
            libc::ENOTCONN => Notconn,
            libc::ENOTDIR => Notdir,
            libc::ENOTEMPTY => Notempty,
            libc::ENOTRECOVERABLE => Notrecoverable,
            libc::ENOTSOCK => Notsock,
            libc::ENOTSUP => Notsup,
            libc::ENOTTY => Notty,
            libc::ENXIO => Nxio,
            libc::EOVERFLOW => Overflow,
            libc::EOWNERDEAD => Ownerdead,
            libc::EPERM => Perm,
            libc::EPIPE => Pipe,
            libc::EPROTO => Proto,
            libc::EPROTONOSUPPORT => Protonosupport,
            libc::EPROTOTYPE => Prototype,
            libc::ERANGE => Range,
            libc::EROFS => Rofs,
            libc::ESPIPE => Spipe,
            libc::ESRCH => Srch,
            libc::ESTALE => Stale,
            libc::ETIMEDOUT => Timedout,
            libc::ETXTBSY => Txtbsy,
            libc::EXDEV => Xdev,
            _ => Io,
        }
    }

    /// The WASI errno of the calling thread's last host error.
    pub fn last() -> Errno {
        Errno::from_host(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

/// `Ok(v)` for a non-negative host result, the last errno otherwise.
pub(crate) fn check<T: Copy + PartialOrd + Default>(r: T) -> Result<T, Errno> {
    if r < T::default() {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// Retries `f` while it fails with `EINTR`.
pub(crate) fn retry<T: Copy + PartialOrd + Default>(mut f: impl FnMut() -> T) -> Result<T, Errno> {
    loop {
        match check(f()) {
            Err(Errno::Intr) => continue,
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_errno_mapping() {
        assert_eq!(Errno::from_host(libc::ENOENT), Errno::Noent);
        assert_eq!(Errno::from_host(libc::ENOENT) as u16, 44);
        assert_eq!(Errno::from_host(libc::EBADF) as u16, 8);
        assert_eq!(Errno::from_host(libc::ELOOP) as u16, 32);
        assert_eq!(Errno::from_host(libc::ENOTEMPTY) as u16, 55);
        assert_eq!(Errno::from_host(libc::EXDEV) as u16, 75);
        assert_eq!(Errno::from_host(libc::EWOULDBLOCK), Errno::Again);
        assert_eq!(Errno::from_host(libc::EOPNOTSUPP), Errno::Notsup);
        assert_eq!(Errno::from_host(9999), Errno::Io);
        assert_eq!(Errno::Notcapable as u16, 76);
        // Every host errno 1..=133 maps to something other than Success.
        for e in 1..134 {
            assert_ne!(Errno::from_host(e), Errno::Success, "{e}");
        }
    }
}
