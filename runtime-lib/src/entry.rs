//! `waot_rt_main`: the entry point of executables. The `main` that
//! waot-compiler generates calls it with the module's descriptor.
//!
//! Runs a WASI program: build the WASI context from the arguments (all of
//! argv, untouched), the launch configuration baked in by `waot build` and
//! the run-time grants (`WAOT_DIR`, `WAOT_ENV`, `WAOT_INHERIT_ENV`; see
//! `wasi::launch`), instantiate with WASI imports, call `_initialize`
//! (reactors) then `_start` (commands) if exported, and map the outcome to
//! an exit status: normal return 0, `proc_exit(n)` n, trap
//! [`TRAP_EXIT_STATUS`] (after a report on stderr), instantiation or launch
//! error 1.

use std::ffi::{c_char, CStr};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use waot_abi::launch::LaunchConfig;
use waot_abi::meta::ModuleDescriptor;
use waot_abi::trap::TRAP_EXIT_STATUS;

use crate::wasi::{self, WasiCtx};
use crate::{Extern, InstantiateError, Module, Store, Trap};

/// Runs the WASI module `desc` with the process's arguments and the
/// grants of the launch configuration `launch[..launch_len]` (a
/// [`LaunchConfig`] blob; empty for none) and of the `WAOT_*` variables;
/// returns the exit status.
///
/// # Safety
///
/// `desc` must be the descriptor of a module linked into this executable;
/// `argv` must hold `argc` valid C strings; `launch` must be valid for
/// `launch_len` bytes (or `launch_len` 0).
#[no_mangle]
pub unsafe extern "C" fn waot_rt_main(
    desc: *const ModuleDescriptor,
    argc: i32,
    argv: *const *const c_char,
    launch: *const u8,
    launch_len: usize,
) -> i32 {
    let status = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: forwarded from the caller.
        let args = unsafe { read_args(argc, argv) };
        let blob: &[u8] = if launch.is_null() || launch_len == 0 {
            &[]
        } else {
            // SAFETY: forwarded from the caller.
            unsafe { std::slice::from_raw_parts(launch, launch_len) }
        };
        let ctx = match launch_context(args, blob) {
            Ok(ctx) => ctx,
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        };
        // SAFETY: forwarded from the caller.
        unsafe { run(desc, ctx) }
    }))
    .unwrap_or_else(|_| {
        eprintln!("error: internal error in the waot runtime");
        1
    });
    let _ = std::io::stdout().flush();
    status
}

/// # Safety
///
/// `argv` must hold `argc` valid C strings (or be null).
unsafe fn read_args(argc: i32, argv: *const *const c_char) -> Vec<Vec<u8>> {
    if argv.is_null() {
        return Vec::new();
    }
    (0..argc.max(0) as usize)
        .filter_map(|i| {
            // SAFETY: `i < argc`; each entry is a C string or null.
            let p = unsafe { *argv.add(i) };
            // SAFETY: non-null entries are valid C strings.
            (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes().to_vec())
        })
        .collect()
}

/// The WASI context for `args`, the launch blob and this process's
/// environment.
fn launch_context(args: Vec<Vec<u8>>, blob: &[u8]) -> Result<WasiCtx, String> {
    use std::os::unix::ffi::OsStrExt;
    let cfg = LaunchConfig::decode(blob).map_err(str::to_string)?;
    let host_env: Vec<Vec<u8>> = std::env::vars_os()
        .map(|(k, v)| {
            let mut e = k.as_bytes().to_vec();
            e.push(b'=');
            e.extend_from_slice(v.as_bytes());
            e
        })
        .collect();
    wasi::launch_context(args, &cfg, &host_env).map_err(|e| e.to_string())
}

/// # Safety
///
/// As for [`waot_rt_main`].
unsafe fn run(desc: *const ModuleDescriptor, ctx: WasiCtx) -> i32 {
    // SAFETY: forwarded from the caller; linked code is mapped forever.
    let module = match unsafe { Module::from_descriptor(desc) } {
        Ok(m) => Arc::new(m),
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    run_module(&module, ctx)
}

/// Runs a WASI module: `_initialize` (reactor) then `_start` (command),
/// each if exported; returns the exit status.
pub fn run_module(module: &Arc<Module>, ctx: WasiCtx) -> i32 {
    let mut store = Store::new();
    let instance = wasi::imports(&mut store, module, ctx)
        .and_then(|imports| store.instantiate(module, &imports));
    let instance = match instance {
        Ok(i) => i,
        Err(InstantiateError::Trap(t)) => return report(&t),
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    for name in ["_initialize", "_start"] {
        if let Some(Extern::Func(f)) = store.get_export(instance, name) {
            if let Err(t) = store.call(f, &[]) {
                return report(&t);
            }
        }
    }
    0
}

/// Prints a trap (unless it is `proc_exit`) and returns the exit status.
pub(crate) fn report(trap: &Trap) -> i32 {
    if let Some(code) = trap.exit_code() {
        return code;
    }
    let _ = std::io::stdout().flush();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {trap}");
    for line in trap.details() {
        let _ = writeln!(err, "{line}");
    }
    TRAP_EXIT_STATUS
}
