//! WASI preview1 (`wasi_snapshot_preview1`): every function of the
//! snapshot, with the errno semantics of its witx specification.
//! Reference: <https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md>.
//!
//! | file | functions |
//! |---|---|
//! | `args_env.rs` | `args_*`, `environ_*` |
//! | `clock.rs` | `clock_res_get`, `clock_time_get` |
//! | `random.rs` | `random_get` |
//! | `fd.rs` | `fd_*` except stat and readdir |
//! | `filestat.rs` | `fd_filestat_*`, `path_filestat_*` |
//! | `dir.rs` | `fd_readdir`, `path_*` |
//! | `poll.rs` | `poll_oneoff` |
//! | `proc.rs` | `proc_exit`, `proc_raise`, `sched_yield` |
//! | `sock.rs` | `sock_*` on inherited sockets |
//! | `fd_table.rs` | guest fds, rights |
//! | `path.rs` | sandboxed path resolution (no escape from a preopen) |
//! | `launch.rs` | preopens, environment and listening sockets from the build and `WAOT_*` |
//!
//! Every function reads and writes guest memory through [`GuestMemory`],
//! which bounds-checks each access against the caller's memory 0 and turns a
//! bad pointer into [`Errno::Fault`]; nothing here panics on guest input.

mod args_env;
mod clock;
mod dir;
mod errno;
mod fd;
mod fd_table;
mod filestat;
mod launch;
mod path;
mod poll;
mod proc;
mod random;
mod sock;
mod threads;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use waot_abi::meta::{FuncType, ValType};

use crate::trap::HostReason;
use crate::{Extern, Func, HostContext, InstantiateError, Module, Store, Trap, Val};

pub use errno::Errno;
pub use fd_table::FdTable;
pub use launch::{
    context as launch_context, LaunchError, RUNTIME_DIR_VAR, RUNTIME_ENV_VAR,
    RUNTIME_INHERIT_ENV_VAR, RUNTIME_TCPLISTEN_VAR,
};
pub use threads::{MEMORY_IMPORT, THREADS_MODULE, THREAD_SPAWN, THREAD_START};

/// The import module name of WASI preview1.
pub const MODULE_NAME: &str = "wasi_snapshot_preview1";

/// A WASI context as the functions of a program share it, across its
/// threads (wasi-threads) too: each call holds the lock.
pub type SharedWasiCtx = Arc<Mutex<WasiCtx>>;

/// The state WASI functions share: arguments, environment and open fds.
#[derive(Debug, Default)]
pub struct WasiCtx {
    /// Program arguments (`argv[0]` first).
    pub args: Vec<Vec<u8>>,
    /// Environment entries, each `NAME=value`.
    pub env: Vec<Vec<u8>>,
    /// Guest fds (empty for a default context: no stdio, no preopens).
    pub fds: FdTable,
}

impl WasiCtx {
    /// A context with these arguments and environment entries, the host's
    /// stdio and no preopened directories.
    pub fn new(args: Vec<Vec<u8>>, env: Vec<Vec<u8>>) -> WasiCtx {
        WasiCtx {
            args,
            env,
            fds: FdTable::with_stdio(),
        }
    }

    /// A context with `args`, this whole process's environment, the host's
    /// stdio and no preopens (for embedders; executables use
    /// [`launch_context`], which passes no environment by default).
    pub fn with_process_env(args: Vec<Vec<u8>>) -> WasiCtx {
        use std::os::unix::ffi::OsStrExt;
        let env = std::env::vars_os()
            .map(|(k, v)| {
                let mut e = k.as_bytes().to_vec();
                e.push(b'=');
                e.extend_from_slice(v.as_bytes());
                e
            })
            .collect();
        WasiCtx::new(args, env)
    }

    /// Preopens host directory `host` as guest name `guest` (next fd).
    pub fn preopen_dir(&mut self, host: &[u8], guest: &[u8]) -> Result<u32, LaunchError> {
        launch::preopen(self, host, guest)
    }
}

/// Bounds-checked access to guest memory.
pub struct GuestMemory<'a> {
    mem: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    /// Wraps a memory.
    pub fn new(mem: &'a mut [u8]) -> GuestMemory<'a> {
        GuestMemory { mem }
    }

    /// `len` bytes at guest address `ptr`.
    pub fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let (start, end) = range(ptr, len, self.mem.len())?;
        Ok(&self.mem[start..end])
    }

    /// `len` bytes at guest address `ptr`, mutably.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let (start, end) = range(ptr, len, self.mem.len())?;
        Ok(&mut self.mem[start..end])
    }

    /// Reads a little-endian `u32`.
    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        let b = self.slice(ptr, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Writes a little-endian `u32`.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.slice_mut(ptr, 4)?.copy_from_slice(&v.to_le_bytes());
        Ok(())
    }

    /// Reads a little-endian `u64`.
    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        let b = self.slice(ptr, 8)?;
        Ok(u64::from_le_bytes(b.try_into().map_err(|_| Errno::Fault)?))
    }

    /// Reads a little-endian `u16`.
    pub fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        let b = self.slice(ptr, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// Reads one byte.
    pub fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.slice(ptr, 1)?[0])
    }

    /// A copy of the `len` bytes at `ptr` (paths, symlink targets).
    pub fn read_bytes(&self, ptr: u32, len: u32) -> Result<Vec<u8>, Errno> {
        Ok(self.slice(ptr, len)?.to_vec())
    }

    /// The whole memory (for building host iovecs after bounds checks).
    pub(crate) fn raw(&mut self) -> &mut [u8] {
        self.mem
    }

    /// Writes a little-endian `u64`.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.slice_mut(ptr, 8)?.copy_from_slice(&v.to_le_bytes());
        Ok(())
    }

    /// Copies `bytes` to guest address `ptr`.
    pub fn write_bytes(&mut self, ptr: u32, bytes: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(bytes.len()).map_err(|_| Errno::Fault)?;
        self.slice_mut(ptr, len)?.copy_from_slice(bytes);
        Ok(())
    }

    /// The `(buf, len)` pairs of an iovec array of `count` entries.
    pub fn iovecs(&self, iovs: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        let bytes = count.checked_mul(8).ok_or(Errno::Fault)?;
        self.slice(iovs, bytes)?;
        (0..count)
            .map(|i| {
                Ok((
                    self.read_u32(iovs + 8 * i)?,
                    self.read_u32(iovs + 8 * i + 4)?,
                ))
            })
            .collect()
    }
}

fn range(ptr: u32, len: u32, size: usize) -> Result<(usize, usize), Errno> {
    let start = ptr as usize;
    let end = start.checked_add(len as usize).ok_or(Errno::Fault)?;
    if end > size {
        return Err(Errno::Fault);
    }
    Ok((start, end))
}

/// Arguments of a WASI call, read by position.
pub(crate) struct Args<'a>(&'a [Val]);

impl Args<'_> {
    pub fn u32(&self, i: usize) -> u32 {
        match self.0.get(i) {
            Some(Val::I32(v)) => *v as u32,
            _ => 0,
        }
    }

    pub fn u64(&self, i: usize) -> u64 {
        match self.0.get(i) {
            Some(Val::I64(v)) => *v as u64,
            Some(Val::I32(v)) => *v as u32 as u64,
            _ => 0,
        }
    }
}

/// Runs `f` on the caller's memory; its error is the errno.
pub(crate) fn with_memory(
    ctx: &mut HostContext,
    f: impl FnOnce(&mut GuestMemory<'_>) -> Result<(), Errno>,
) -> Result<Errno, Trap> {
    let mut mem = guest_memory(ctx)?;
    Ok(f(&mut mem).err().unwrap_or(Errno::Success))
}

/// The errno of a result.
pub(crate) fn errno_of(r: Result<(), Errno>) -> Result<Errno, Trap> {
    Ok(r.err().unwrap_or(Errno::Success))
}

/// A WASI function body: returns an errno, or traps (`proc_exit`).
pub(crate) type Handler =
    fn(&mut WasiGuard<'_>, &mut HostContext, &Args<'_>) -> Result<Errno, Trap>;

/// The WASI context, locked for one WASI call. The threads of a
/// wasi-threads program share one context, so their calls take turns; a
/// call that may block (reading a pipe, `poll_oneoff`, `sock_accept`)
/// waits with the context unlocked ([`WasiGuard::unlocked`]), so a thread
/// sleeping or waiting for input never holds up the others.
pub(crate) struct WasiGuard<'a> {
    lock: &'a Mutex<WasiCtx>,
    guard: Option<MutexGuard<'a, WasiCtx>>,
}

impl<'a> WasiGuard<'a> {
    /// Locks `lock`. A panic cannot leave the context half-updated in a
    /// way later calls must not see, so a poisoned lock is still usable.
    pub(crate) fn lock(lock: &'a Mutex<WasiCtx>) -> Self {
        WasiGuard {
            lock,
            guard: Some(lock.lock().unwrap_or_else(PoisonError::into_inner)),
        }
    }

    /// Runs `wait`, a blocking host call that needs nothing from the
    /// context (it has copied the host fds it uses), with the context
    /// unlocked. (Another thread may close such an fd meanwhile, as with
    /// native threads: the call then fails or sees the closed file.)
    pub(crate) fn unlocked<R>(&mut self, wait: impl FnOnce() -> R) -> R {
        self.guard = None;
        let result = wait();
        self.guard = Some(self.lock.lock().unwrap_or_else(PoisonError::into_inner));
        result
    }
}

impl std::ops::Deref for WasiGuard<'_> {
    type Target = WasiCtx;
    fn deref(&self) -> &WasiCtx {
        self.guard
            .as_ref()
            .expect("locked except inside `unlocked`")
    }
}

impl std::ops::DerefMut for WasiGuard<'_> {
    fn deref_mut(&mut self) -> &mut WasiCtx {
        self.guard
            .as_mut()
            .expect("locked except inside `unlocked`")
    }
}

use ValType::{I32, I64};

/// Every function: name, parameter types, whether it returns an errno, body.
const FUNCS: &[(&str, &[ValType], bool, Handler)] = &[
    ("args_get", &[I32, I32], true, args_env::args_get),
    (
        "args_sizes_get",
        &[I32, I32],
        true,
        args_env::args_sizes_get,
    ),
    ("environ_get", &[I32, I32], true, args_env::environ_get),
    (
        "environ_sizes_get",
        &[I32, I32],
        true,
        args_env::environ_sizes_get,
    ),
    ("clock_res_get", &[I32, I32], true, clock::clock_res_get),
    (
        "clock_time_get",
        &[I32, I64, I32],
        true,
        clock::clock_time_get,
    ),
    ("fd_advise", &[I32, I64, I64, I32], true, fd::fd_advise),
    ("fd_allocate", &[I32, I64, I64], true, fd::fd_allocate),
    ("fd_close", &[I32], true, fd::fd_close),
    ("fd_datasync", &[I32], true, fd::fd_datasync),
    ("fd_fdstat_get", &[I32, I32], true, fd::fd_fdstat_get),
    (
        "fd_fdstat_set_flags",
        &[I32, I32],
        true,
        fd::fd_fdstat_set_flags,
    ),
    (
        "fd_fdstat_set_rights",
        &[I32, I64, I64],
        true,
        fd::fd_fdstat_set_rights,
    ),
    (
        "fd_filestat_get",
        &[I32, I32],
        true,
        filestat::fd_filestat_get,
    ),
    (
        "fd_filestat_set_size",
        &[I32, I64],
        true,
        filestat::fd_filestat_set_size,
    ),
    (
        "fd_filestat_set_times",
        &[I32, I64, I64, I32],
        true,
        filestat::fd_filestat_set_times,
    ),
    ("fd_pread", &[I32, I32, I32, I64, I32], true, fd::fd_pread),
    ("fd_prestat_get", &[I32, I32], true, fd::fd_prestat_get),
    (
        "fd_prestat_dir_name",
        &[I32, I32, I32],
        true,
        fd::fd_prestat_dir_name,
    ),
    ("fd_pwrite", &[I32, I32, I32, I64, I32], true, fd::fd_pwrite),
    ("fd_read", &[I32, I32, I32, I32], true, fd::fd_read),
    (
        "fd_readdir",
        &[I32, I32, I32, I64, I32],
        true,
        dir::fd_readdir,
    ),
    ("fd_renumber", &[I32, I32], true, fd::fd_renumber),
    ("fd_seek", &[I32, I64, I32, I32], true, fd::fd_seek),
    ("fd_sync", &[I32], true, fd::fd_sync),
    ("fd_tell", &[I32, I32], true, fd::fd_tell),
    ("fd_write", &[I32, I32, I32, I32], true, fd::fd_write),
    (
        "path_create_directory",
        &[I32, I32, I32],
        true,
        dir::path_create_directory,
    ),
    (
        "path_filestat_get",
        &[I32, I32, I32, I32, I32],
        true,
        filestat::path_filestat_get,
    ),
    (
        "path_filestat_set_times",
        &[I32, I32, I32, I32, I64, I64, I32],
        true,
        filestat::path_filestat_set_times,
    ),
    (
        "path_link",
        &[I32, I32, I32, I32, I32, I32, I32],
        true,
        dir::path_link,
    ),
    (
        "path_open",
        &[I32, I32, I32, I32, I32, I64, I64, I32, I32],
        true,
        dir::path_open,
    ),
    (
        "path_readlink",
        &[I32, I32, I32, I32, I32, I32],
        true,
        dir::path_readlink,
    ),
    (
        "path_remove_directory",
        &[I32, I32, I32],
        true,
        dir::path_remove_directory,
    ),
    (
        "path_rename",
        &[I32, I32, I32, I32, I32, I32],
        true,
        dir::path_rename,
    ),
    (
        "path_symlink",
        &[I32, I32, I32, I32, I32],
        true,
        dir::path_symlink,
    ),
    (
        "path_unlink_file",
        &[I32, I32, I32],
        true,
        dir::path_unlink_file,
    ),
    (
        "poll_oneoff",
        &[I32, I32, I32, I32],
        true,
        poll::poll_oneoff,
    ),
    ("proc_exit", &[I32], false, proc::proc_exit),
    ("proc_raise", &[I32], true, proc::proc_raise),
    ("random_get", &[I32, I32], true, random::random_get),
    ("sched_yield", &[], true, proc::sched_yield),
    ("sock_accept", &[I32, I32, I32], true, sock::sock_accept),
    (
        "sock_recv",
        &[I32, I32, I32, I32, I32, I32],
        true,
        sock::sock_recv,
    ),
    (
        "sock_send",
        &[I32, I32, I32, I32, I32],
        true,
        sock::sock_send,
    ),
    ("sock_shutdown", &[I32, I32], true, sock::sock_shutdown),
];

/// The names of every function this module provides (all of preview1).
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCS.iter().map(|f| f.0)
}

/// The guest memory of the caller, or a trap when it has none.
pub(crate) fn guest_memory<'a>(ctx: &'a mut HostContext) -> Result<GuestMemory<'a>, Trap> {
    ctx.memory().map(GuestMemory::new).ok_or_else(|| {
        Trap::host(HostReason::Error(
            "WASI function called by an instance without memory".into(),
        ))
    })
}

/// Creates the WASI function `name` in `store`, or `None` if unknown.
pub fn define(store: &mut Store, name: &str, ctx: &SharedWasiCtx) -> Option<Func> {
    let &(_, params, has_result, handler) = FUNCS.iter().find(|f| f.0 == name)?;
    let ty = FuncType {
        params: params.to_vec(),
        results: if has_result { vec![I32] } else { vec![] },
    };
    let ctx = ctx.clone();
    Some(store.host_func(
        ty,
        Box::new(move |host, params, results| {
            let errno = handler(&mut WasiGuard::lock(&ctx), host, &Args(params))?;
            if let Some(r) = results.first_mut() {
                *r = Val::I32(errno as i32);
            }
            Ok(())
        }),
    ))
}

/// The imports of `module`: WASI preview1 functions and, for a
/// wasi-threads module (`wasm32-wasip1-threads`), its shared memory
/// `env::memory` (created here, of the imported type) and
/// `wasi::thread-spawn` (see `threads.rs`). Any other import is
/// `Link("unknown import: m::n")`.
pub fn imports(
    store: &mut Store,
    module: &Arc<Module>,
    ctx: WasiCtx,
) -> Result<Vec<Extern>, InstantiateError> {
    threads::link(store, module, &Arc::new(Mutex::new(ctx)), None)
}

#[cfg(test)]
mod tests;
