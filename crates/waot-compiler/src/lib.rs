//! waot's compiler: WebAssembly bytes in, native object file out.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! module::parse      bytes -> validated ModuleInfo (types, imports, bodies, metadata)
//! translate          one function body -> Cranelift IR (per function, in parallel)
//! codegen            Cranelift IR -> machine code + relocations + trap sites
//! emit               machine code, trampolines, descriptor, metadata -> object file
//! ```
//!
//! Generated code and the runtime meet only through `waot-abi`.
#![deny(missing_docs)]

pub mod abi;
pub mod config;
pub mod error;
pub mod module;

pub use config::{Config, OptLevel};
pub use error::{CompileError, Result};
pub use wasmparser::WasmFeatures;
