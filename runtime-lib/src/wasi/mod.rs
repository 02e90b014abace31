//! A minimal WASI preview1 (`wasi_snapshot_preview1`): stdio, arguments,
//! environment, clocks, randomness and `proc_exit`. No filesystem yet
//! (`fd_prestat_get` reports no preopens).
//!
//! Every function reads and writes guest memory through [`GuestMemory`],
//! which bounds-checks each access against the caller's memory 0 and turns a
//! bad pointer into [`Errno::Fault`]; nothing here panics on guest input.
//! Reference: <https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md>.

mod args_env;
mod clock;
mod fd;
mod proc;
mod random;

use std::cell::RefCell;
use std::rc::Rc;

use waot_abi::meta::{ExternType, FuncType, ValType};

use crate::trap::HostReason;
use crate::{Extern, Func, HostContext, InstantiateError, Module, Store, Trap, Val};

/// The import module name of WASI preview1.
pub const MODULE_NAME: &str = "wasi_snapshot_preview1";

/// WASI error numbers (the subset this implementation returns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Errno {
    /// No error.
    Success = 0,
    /// Bad file descriptor.
    Badf = 8,
    /// Bad address (a guest pointer outside memory).
    Fault = 21,
    /// Invalid argument.
    Inval = 28,
    /// I/O error.
    Io = 29,
    /// Function not supported.
    Nosys = 52,
    /// Invalid seek.
    Spipe = 70,
}

/// The state WASI functions share: arguments, environment and open stdio.
#[derive(Clone, Debug, Default)]
pub struct WasiCtx {
    /// Program arguments (`argv[0]` first).
    pub args: Vec<Vec<u8>>,
    /// Environment entries, each `NAME=value`.
    pub env: Vec<Vec<u8>>,
    /// Whether stdin/stdout/stderr were closed by the guest.
    pub(crate) closed: [bool; 3],
}

impl WasiCtx {
    /// A context with these arguments and environment entries.
    pub fn new(args: Vec<Vec<u8>>, env: Vec<Vec<u8>>) -> WasiCtx {
        WasiCtx {
            args,
            env,
            closed: [false; 3],
        }
    }

    /// A context with `args` and this process's environment.
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
}

/// A WASI function body: returns an errno, or traps (`proc_exit`).
pub(crate) type Handler = fn(&mut WasiCtx, &mut HostContext, &Args<'_>) -> Result<Errno, Trap>;

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
    ("fd_close", &[I32], true, fd::fd_close),
    ("fd_fdstat_get", &[I32, I32], true, fd::fd_fdstat_get),
    ("fd_prestat_get", &[I32, I32], true, fd::fd_prestat_get),
    (
        "fd_prestat_dir_name",
        &[I32, I32, I32],
        true,
        fd::fd_prestat_dir_name,
    ),
    ("fd_read", &[I32, I32, I32, I32], true, fd::fd_read),
    ("fd_seek", &[I32, I64, I32, I32], true, fd::fd_seek),
    ("fd_write", &[I32, I32, I32, I32], true, fd::fd_write),
    ("proc_exit", &[I32], false, proc::proc_exit),
    ("random_get", &[I32, I32], true, random::random_get),
    ("sched_yield", &[], true, proc::sched_yield),
];

/// The guest memory of the caller, or a trap when it has none.
pub(crate) fn guest_memory<'a>(ctx: &'a mut HostContext) -> Result<GuestMemory<'a>, Trap> {
    ctx.memory().map(GuestMemory::new).ok_or_else(|| {
        Trap::host(HostReason::Error(
            "WASI function called by an instance without memory".into(),
        ))
    })
}

/// Creates the WASI function `name` in `store`, or `None` if unknown.
pub fn define(store: &mut Store, name: &str, ctx: &Rc<RefCell<WasiCtx>>) -> Option<Func> {
    let &(_, params, has_result, handler) = FUNCS.iter().find(|f| f.0 == name)?;
    let ty = FuncType {
        params: params.to_vec(),
        results: if has_result { vec![I32] } else { vec![] },
    };
    let ctx = ctx.clone();
    Some(store.host_func(
        ty,
        Box::new(move |host, params, results| {
            let errno = handler(&mut ctx.borrow_mut(), host, &Args(params))?;
            if let Some(r) = results.first_mut() {
                *r = Val::I32(errno as i32);
            }
            Ok(())
        }),
    ))
}

/// The imports of `module`, all of which must be WASI functions: an unknown
/// one is `Link("unknown import: m::n")`.
pub fn imports(
    store: &mut Store,
    module: &Module,
    ctx: WasiCtx,
) -> Result<Vec<Extern>, InstantiateError> {
    let ctx = Rc::new(RefCell::new(ctx));
    module
        .meta()
        .imports
        .iter()
        .map(|imp| {
            let found = match imp.ty {
                ExternType::Func(_) if imp.module == MODULE_NAME => define(store, &imp.name, &ctx),
                _ => None,
            };
            found.map(Extern::Func).ok_or_else(|| {
                InstantiateError::Link(format!("unknown import: {}::{}", imp.module, imp.name))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
