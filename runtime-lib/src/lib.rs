//! The waot runtime: everything generated code needs at run time.
//!
//! Linked into every executable `waot build` writes (as a staticlib) and used
//! in-process by the spec harness (as an rlib, with [`loader`]). The contract
//! with generated code is `waot_abi`; this crate implements its runtime side:
//!
//! - [`Store`] owns instances, memories, tables, globals and host functions;
//!   [`Store::instantiate`] follows the spec's instantiation order.
//! - [`memory`]/[`table`]/[`global`]: the runtime objects behind the VM context.
//! - [`builtins`]: the `extern "C"` functions generated code calls through
//!   `vmctx[VMCTX_BUILTINS]`.
//! - [`trap`]: [`Trap`], signal handling and unwinding back to the host.
//! - [`wasi`]: a minimal WASI preview1 (`wasi_snapshot_preview1`).
//! - [`entry`]: `waot_rt_main`, the entry point of executables.
//! - [`capi`]: the C API behind the headers `waot compile --header` writes.
//! - [`loader`]: loads a compiled object file into the current process.
//!
//! # Example
//!
//! ```ignore
//! let obj = waot_runtime::loader::load_object(&object_bytes)?;
//! let module = Arc::new(waot_runtime::Module::from_loaded(obj, "waot_app_module")?);
//! let mut store = Store::new();
//! let inst = store.instantiate(&module, &[])?;
//! let Some(Extern::Func(f)) = store.get_export(inst, "add") else { panic!() };
//! let results = store.call(f, &[Val::I32(1), Val::I32(2)])?;
//! ```

pub mod builtins;
pub mod capi;
pub mod const_eval;
pub mod entry;
mod exception;
pub mod gc;
pub mod global;
mod host;
mod instance;
pub mod loader;
pub mod memory;
mod module;
mod objects;
mod signatures;
mod store;
mod sys;
pub mod table;
#[cfg(test)]
mod testutil;
mod threads;
pub mod trap;
mod val;
pub mod wasi;

pub use exception::Tag;
pub use host::{HostContext, HostFn};
pub use instance::InstantiateError;
pub use module::{Module, RuntimeError};
pub use signatures::canonical_type_id;
pub use store::{Extern, Func, FuncRef, Global, Instance, Memory, Store, Table};
pub use threads::SharedMemory;
pub use trap::{Backtrace, Frame, HostReason, MemoryAccess, Trap};
pub use val::{AnyKind, AnyRef, Val};
pub use waot_abi::meta::{FuncType, GlobalType, MemoryType, ModuleMeta, TableType, ValType};
pub use waot_abi::trap::TrapKind;
