//! `waot_rt_main`: the entry point of executables. The `main` that
//! waot-compiler generates calls it with the module's descriptor.
//!
//! Runs a WASI command: instantiate with WASI imports, call `_initialize`
//! then `_start` if exported, and map the outcome to an exit status:
//! normal return 0, `proc_exit(n)` n, trap [`TRAP_EXIT_STATUS`] (after a
//! report on stderr), instantiation error 1.

use std::ffi::{c_char, CStr};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use waot_abi::meta::ModuleDescriptor;
use waot_abi::trap::TRAP_EXIT_STATUS;

use crate::wasi::{self, WasiCtx};
use crate::{Extern, InstantiateError, Module, Store, Trap};

/// Runs the WASI command module `desc` with the process's arguments and
/// environment; returns the exit status.
///
/// # Safety
///
/// `desc` must be the descriptor of a module linked into this executable;
/// `argv` must hold `argc` valid C strings.
#[no_mangle]
pub unsafe extern "C" fn waot_rt_main(
    desc: *const ModuleDescriptor,
    argc: i32,
    argv: *const *const c_char,
) -> i32 {
    let status = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: forwarded from the caller.
        let args = unsafe { read_args(argc, argv) };
        // SAFETY: forwarded from the caller.
        unsafe { run(desc, args) }
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

/// # Safety
///
/// As for [`waot_rt_main`].
unsafe fn run(desc: *const ModuleDescriptor, args: Vec<Vec<u8>>) -> i32 {
    // SAFETY: forwarded from the caller; linked code is mapped forever.
    let module = match unsafe { Module::from_descriptor(desc) } {
        Ok(m) => Arc::new(m),
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    run_module(&module, WasiCtx::with_process_env(args))
}

/// Runs a WASI command module; returns the exit status (also used by
/// `waot run` with a loaded module).
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
fn report(trap: &Trap) -> i32 {
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
