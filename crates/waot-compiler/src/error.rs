//! The compiler's error type.

use thiserror::Error;

/// Why a module could not be compiled. Split by who must act.
#[derive(Debug, Error)]
pub enum CompileError {
    /// The input is not a valid WebAssembly module (the user's input is wrong).
    #[error("{message} (at offset {offset:#x})")]
    Invalid {
        /// What is wrong, as wasmparser says it.
        message: String,
        /// Byte offset in the input.
        offset: u64,
    },
    /// The input is valid but uses something waot does not compile.
    #[error("unsupported: {feature} (at offset {offset:#x})")]
    Unsupported {
        /// What is not supported.
        feature: String,
        /// Byte offset in the input.
        offset: u64,
    },
    /// The input exceeds one of waot's implementation limits.
    #[error("implementation limit exceeded: {0}")]
    ImplLimit(String),
    /// The compilation options are wrong (e.g. an unknown `--cpu`).
    #[error("{0}")]
    Config(String),
    /// A bug in waot (e.g. Cranelift rejected the IR we generated).
    #[error("internal compiler error: {0}")]
    Internal(String),
}

impl From<wasmparser::BinaryReaderError> for CompileError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        CompileError::Invalid {
            message: e.message().to_string(),
            offset: e.offset(),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = CompileError> = std::result::Result<T, E>;
