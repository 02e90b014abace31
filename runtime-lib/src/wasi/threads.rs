//! wasi-threads: `wasi::thread-spawn`, as `wasm32-wasip1-threads`
//! toolchains use it.
//!
//! Such a module imports its memory, shared, as `env::memory`, and
//! `thread-spawn: (start_arg: i32) -> i32` from `wasi`, and exports
//! `wasi_thread_start(tid: i32, start_arg: i32)`. `thread-spawn` starts an
//! OS thread that instantiates the same module again in a store of its own
//! (a store is used by one thread at a time), with the same shared memory
//! and the same WASI context, and calls `wasi_thread_start` there. It
//! returns the new thread's id (unique, from 1 up) once the instance
//! exists, or a negative errno (`-EAGAIN`) when the thread or its instance
//! cannot be created.
//!
//! The program is one process: a trap in any thread prints its report and
//! ends the process with the trap status, and `proc_exit` in any thread
//! exits the process, as in the main thread; the main thread's `_start`
//! returning ends the process, other threads included. The WASI context
//! is shared behind a lock, so the threads' WASI calls take turns (a call
//! that may block waits unlocked: see `WasiGuard`).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use waot_abi::meta::{ExternType, FuncType, MemoryType, ValType};

use super::{define, Errno, SharedWasiCtx, MODULE_NAME};
use crate::{Extern, InstantiateError, Module, SharedMemory, Store, Val};

/// The import module of `thread-spawn`.
pub const THREADS_MODULE: &str = "wasi";
/// The spawn function's import name.
pub const THREAD_SPAWN: &str = "thread-spawn";
/// The export each new thread runs: `(tid: i32, start_arg: i32)`.
pub const THREAD_START: &str = "wasi_thread_start";
/// Where a threaded module imports its shared memory from: `env::memory`.
pub const MEMORY_IMPORT: (&str, &str) = ("env", "memory");

/// Stack size of each spawned thread: the usual main-thread stack, since
/// wasm runs on it (less the runtime's margin).
const THREAD_STACK_BYTES: usize = 8 << 20;

/// The largest thread id: wasi-threads keeps ids in 29 bits.
const MAX_TID: i32 = 0x1FFF_FFFF;

/// The next thread id to hand out (the main thread has none of its own).
static NEXT_TID: AtomicI32 = AtomicI32::new(1);

/// What a new thread needs to instantiate the module again.
#[derive(Clone)]
struct Program {
    module: Arc<Module>,
    ctx: SharedWasiCtx,
    memory: Option<SharedMemory>,
}

/// The imports of `module` in `store`: WASI preview1 functions sharing
/// `ctx`, and for a threaded module its shared memory (`memory`, or a new
/// one of the imported type) and `thread-spawn`. Anything else is
/// `Link("unknown import: m::n")`.
pub(super) fn link(
    store: &mut Store,
    module: &Arc<Module>,
    ctx: &SharedWasiCtx,
    memory: Option<SharedMemory>,
) -> Result<Vec<Extern>, InstantiateError> {
    let imports = &module.meta().imports;
    let unknown = |i: usize| {
        InstantiateError::Link(format!(
            "unknown import: {}::{}",
            imports[i].module, imports[i].name
        ))
    };
    // The memory first: `thread-spawn` hands it to new threads, whatever
    // the order of the imports.
    let mut memory = memory;
    let mut memory_import = None;
    for (i, imp) in imports.iter().enumerate() {
        match imp.ty {
            ExternType::Memory(ty)
                if (imp.module.as_str(), imp.name.as_str()) == MEMORY_IMPORT && ty.shared =>
            {
                let shared = match &memory {
                    Some(m) => m.clone(),
                    None => new_shared_memory(store, ty).map_err(InstantiateError::Resource)?,
                };
                memory_import = Some(store.import_shared_memory(&shared));
                memory = Some(shared);
            }
            ExternType::Memory(_) => return Err(unknown(i)),
            _ => {}
        }
    }
    let program = Program {
        module: module.clone(),
        ctx: ctx.clone(),
        memory,
    };
    imports
        .iter()
        .enumerate()
        .map(|(i, imp)| {
            let found = match imp.ty {
                ExternType::Func(_) if imp.module == MODULE_NAME => {
                    define(store, &imp.name, ctx).map(Extern::Func)
                }
                ExternType::Func(_) if imp.module == THREADS_MODULE && imp.name == THREAD_SPAWN => {
                    Some(Extern::Func(define_spawn(store, program.clone())))
                }
                ExternType::Memory(_) => memory_import.map(Extern::Memory),
                _ => None,
            };
            found.ok_or_else(|| unknown(i))
        })
        .collect()
}

/// A new shared memory of the imported type `ty` (its minimum size).
fn new_shared_memory(store: &mut Store, ty: MemoryType) -> Result<SharedMemory, String> {
    let m = store.new_memory(ty)?;
    Ok(store
        .shared_memory(m)
        .expect("a memory of a shared type is shared"))
}

/// `thread-spawn: (start_arg: i32) -> i32` for `program`.
fn define_spawn(store: &mut Store, program: Program) -> crate::Func {
    let ty = FuncType {
        params: vec![ValType::I32],
        results: vec![ValType::I32],
    };
    store.host_func(
        ty,
        Box::new(move |_, params, results| {
            let start_arg = match params.first() {
                Some(Val::I32(v)) => *v,
                _ => 0,
            };
            results[0] = Val::I32(spawn(&program, start_arg));
            Ok(())
        }),
    )
}

/// Starts a thread running `wasi_thread_start(tid, start_arg)` in a new
/// instance of `program`; its tid once the instance exists, or `-EAGAIN`.
fn spawn(program: &Program, start_arg: i32) -> i32 {
    let failed = -(Errno::Again as i32);
    let tid = NEXT_TID.fetch_add(1, Ordering::Relaxed);
    if !(1..=MAX_TID).contains(&tid) {
        return failed;
    }
    let (ready_tx, ready_rx) = mpsc::channel();
    let program = program.clone();
    let started = thread::Builder::new()
        .name(format!("wasi-thread-{tid}"))
        .stack_size(THREAD_STACK_BYTES)
        .spawn(move || run_thread(&program, tid, start_arg, &ready_tx));
    // The thread reports whether its instance could be made; a thread that
    // could not even start reports nothing.
    match started.map(|_| ready_rx.recv()) {
        Ok(Ok(true)) => tid,
        _ => failed,
    }
}

/// The body of a spawned thread: instantiate, tell the spawner, run.
fn run_thread(program: &Program, tid: i32, start_arg: i32, ready: &mpsc::Sender<bool>) {
    let mut store = Store::new();
    let instance = link(
        &mut store,
        &program.module,
        &program.ctx,
        program.memory.clone(),
    )
    .and_then(|imports| store.instantiate(&program.module, &imports));
    let start = match instance {
        Ok(instance) => match store.get_export(instance, THREAD_START) {
            Some(Extern::Func(f)) if store.func_type(f).params == [ValType::I32, ValType::I32] => {
                Some(f)
            }
            _ => None,
        },
        // A trap while instantiating (the start function) ends the
        // program like any other trap.
        Err(InstantiateError::Trap(t)) => exit_process(crate::entry::report(&t)),
        Err(_) => None,
    };
    let Some(start) = start else {
        let _ = ready.send(false);
        return;
    };
    let _ = ready.send(true);
    if let Err(t) = store.call(start, &[Val::I32(tid), Val::I32(start_arg)]) {
        exit_process(crate::entry::report(&t));
    }
}

/// Ends the whole program from a spawned thread (a trap or `proc_exit`).
fn exit_process(status: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(status)
}
