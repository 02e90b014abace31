//! Trap kinds and how trap sites encode them.
//!
//! Generated code traps through Cranelift trap instructions (or faulting
//! memory accesses). Each trap site in the object carries one *raw trap code*
//! byte, the byte Cranelift's `TrapCode::as_raw` returns:
//!
//! | raw byte      | meaning                                                  |
//! |---------------|----------------------------------------------------------|
//! | 1 ..= 31      | a [`TrapKind`], `kind as u8` (Cranelift "user" codes)      |
//! | 32 ..= 36     | out-of-bounds linear-memory access of 1, 2, 4, 8, 16 bytes |
//! | 251 ..= 255   | Cranelift's reserved codes, see [`CRANELIFT_RESERVED`]     |
//!
//! Encoding the access size in the code lets the runtime report how many
//! bytes an out-of-bounds access touched without decoding the instruction.

/// Exit status of an executable whose WebAssembly code trapped (128 + SIGABRT,
/// the same status `wasmtime run` uses, so scripts can treat both alike).
pub const TRAP_EXIT_STATUS: i32 = 134;

/// Why WebAssembly execution stopped abnormally.
///
/// The message of each kind is exactly the text the WebAssembly spec tests
/// expect, so the spec harness can compare strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TrapKind {
    /// `unreachable` was executed.
    Unreachable = 1,
    /// Integer division or remainder by zero.
    IntegerDivideByZero = 2,
    /// Signed division overflow, or a float-to-int conversion out of range.
    IntegerOverflow = 3,
    /// Float-to-int conversion of a NaN.
    BadConversionToInteger = 4,
    /// A load, store or bulk memory operation outside linear memory.
    MemoryOutOfBounds = 5,
    /// A table access (table.get/set/fill/copy/init) outside the table.
    TableOutOfBounds = 6,
    /// `call_indirect` with an index beyond the table size.
    UndefinedElement = 7,
    /// `call_indirect` of a null table entry (indirect call to null).
    UninitializedElement = 8,
    /// `call_indirect` whose entry has another signature.
    IndirectCallTypeMismatch = 9,
    /// The wasm stack limit was reached (e.g. infinite recursion).
    StackOverflow = 10,
    /// A host function (WASI, an import supplied by the embedder) asked to
    /// stop execution; the runtime keeps the reason on the side.
    HostTrap = 11,
    /// A null reference was dereferenced (typed function references, GC).
    NullReference = 12,
    /// A runtime builtin failed to allocate (e.g. table growth).
    OutOfMemory = 13,
    /// `call_ref` / `return_call_ref` of a null function reference.
    NullFunctionReference = 14,
    /// An exception thrown by `throw`/`throw_ref` was not caught by any
    /// `try_table` before reaching the host (or a frame of a module
    /// compiled without exception handling).
    UncaughtException = 15,
    /// `throw_ref` of a null exception reference.
    NullExceptionReference = 16,
    /// `struct.get`/`struct.set` of a null struct reference (GC).
    NullStructReference = 17,
    /// An array instruction on a null array reference (GC).
    NullArrayReference = 18,
    /// `i31.get_s`/`i31.get_u` of a null reference (GC).
    NullI31Reference = 19,
    /// An array index or range outside the array (GC).
    ArrayOutOfBounds = 20,
    /// `ref.cast` of a reference that is not of the target type (GC).
    CastFailure = 21,
    /// An atomic access (threads) whose effective address is not a
    /// multiple of its size.
    UnalignedAtomic = 22,
    /// `memory.atomic.wait32/64` on a memory that is not shared.
    ExpectedSharedMemory = 23,
}

/// All kinds, in code order (used by tests and tables).
pub const ALL_TRAP_KINDS: [TrapKind; 23] = [
    TrapKind::Unreachable,
    TrapKind::IntegerDivideByZero,
    TrapKind::IntegerOverflow,
    TrapKind::BadConversionToInteger,
    TrapKind::MemoryOutOfBounds,
    TrapKind::TableOutOfBounds,
    TrapKind::UndefinedElement,
    TrapKind::UninitializedElement,
    TrapKind::IndirectCallTypeMismatch,
    TrapKind::StackOverflow,
    TrapKind::HostTrap,
    TrapKind::NullReference,
    TrapKind::OutOfMemory,
    TrapKind::NullFunctionReference,
    TrapKind::UncaughtException,
    TrapKind::NullExceptionReference,
    TrapKind::NullStructReference,
    TrapKind::NullArrayReference,
    TrapKind::NullI31Reference,
    TrapKind::ArrayOutOfBounds,
    TrapKind::CastFailure,
    TrapKind::UnalignedAtomic,
    TrapKind::ExpectedSharedMemory,
];

impl TrapKind {
    /// The spec test suite's message for this trap.
    pub const fn message(self) -> &'static str {
        match self {
            TrapKind::Unreachable => "unreachable",
            TrapKind::IntegerDivideByZero => "integer divide by zero",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::BadConversionToInteger => "invalid conversion to integer",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::UndefinedElement => "undefined element",
            TrapKind::UninitializedElement => "uninitialized element",
            TrapKind::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapKind::StackOverflow => "call stack exhausted",
            TrapKind::HostTrap => "host function trapped",
            TrapKind::NullReference => "null reference",
            TrapKind::OutOfMemory => "out of memory",
            TrapKind::NullFunctionReference => "null function reference",
            TrapKind::UncaughtException => "uncaught exception",
            TrapKind::NullExceptionReference => "null exception reference",
            TrapKind::NullStructReference => "null structure reference",
            TrapKind::NullArrayReference => "null array reference",
            TrapKind::NullI31Reference => "null i31 reference",
            TrapKind::ArrayOutOfBounds => "out of bounds array access",
            TrapKind::CastFailure => "cast failure",
            TrapKind::UnalignedAtomic => "unaligned atomic",
            TrapKind::ExpectedSharedMemory => "expected shared memory",
        }
    }

    /// The kind whose `kind as u8` is `code`.
    pub fn from_u8(code: u8) -> Option<TrapKind> {
        ALL_TRAP_KINDS.iter().copied().find(|k| *k as u8 == code)
    }
}

/// First raw code of the "out-of-bounds memory access of N bytes" range:
/// `MEMORY_OOB_BASE + log2(N)` for N in 1, 2, 4, 8, 16.
pub const MEMORY_OOB_BASE: u8 = 32;

/// The raw trap code for an out-of-bounds access of `access_bytes` bytes
/// (1, 2, 4, 8 or 16).
pub const fn memory_oob_code(access_bytes: u32) -> u8 {
    MEMORY_OOB_BASE + access_bytes.trailing_zeros() as u8
}

/// Cranelift's reserved trap codes (`TrapCode::STACK_OVERFLOW` ..
/// `BAD_CONVERSION_TO_INTEGER`, raw bytes 251..=255) and the kinds they mean.
/// The compiler has a test that checks these bytes against Cranelift itself.
pub const CRANELIFT_RESERVED: [(u8, TrapKind); 5] = [
    (251, TrapKind::StackOverflow),
    (252, TrapKind::IntegerOverflow),
    (253, TrapKind::MemoryOutOfBounds),
    (254, TrapKind::IntegerDivideByZero),
    (255, TrapKind::BadConversionToInteger),
];

/// What a raw trap-site code means: the kind, and for memory accesses the
/// access size in bytes when it is known.
pub fn decode_trap_code(raw: u8) -> Option<(TrapKind, Option<u32>)> {
    if (MEMORY_OOB_BASE..MEMORY_OOB_BASE + 5).contains(&raw) {
        return Some((
            TrapKind::MemoryOutOfBounds,
            Some(1 << (raw - MEMORY_OOB_BASE)),
        ));
    }
    if let Some((_, kind)) = CRANELIFT_RESERVED.iter().find(|(r, _)| *r == raw) {
        return Some((*kind, None));
    }
    TrapKind::from_u8(raw).map(|k| (k, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for kind in ALL_TRAP_KINDS {
            assert_eq!(decode_trap_code(kind as u8), Some((kind, None)));
            assert!((kind as u8) < MEMORY_OOB_BASE);
        }
        for (bytes, raw) in [(1, 32), (2, 33), (4, 34), (8, 35), (16, 36)] {
            assert_eq!(memory_oob_code(bytes), raw);
            assert_eq!(
                decode_trap_code(raw),
                Some((TrapKind::MemoryOutOfBounds, Some(bytes)))
            );
        }
        assert_eq!(decode_trap_code(0), None);
        assert_eq!(decode_trap_code(100), None);
    }
}
