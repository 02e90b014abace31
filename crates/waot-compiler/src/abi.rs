//! How waot's calling conventions look in Cranelift IR.
//!
//! The conventions themselves are documented in `waot_abi::vmctx`; this
//! module is the one place that turns them into Cranelift signatures, used
//! by the translator (calls) and by the emitter (function definitions,
//! trampolines, adapters).

use cranelift_codegen::ir::{self, types, AbiParam, ArgumentPurpose, Signature, UserExternalName};
use cranelift_codegen::isa::CallConv;
use waot_abi::builtins::{AbiType, Builtin};
use waot_abi::meta::{FuncType, ValType};

/// Calling convention of every wasm function (native ABI). `tail` allows
/// `return_call` and is what Cranelift optimizes wasm-style calls for.
pub const WASM_CALL_CONV: CallConv = CallConv::Tail;

/// Pointer type on every supported target.
pub const POINTER_TYPE: ir::Type = types::I64;

/// Namespace of [`UserExternalName`]s that name defined wasm functions; the
/// name's index is the *defined* function index.
pub const DEFINED_FUNC_NAMESPACE: u32 = 0;

/// The external name of defined function `defined_index`.
pub fn defined_func_name(defined_index: u32) -> UserExternalName {
    UserExternalName::new(DEFINED_FUNC_NAMESPACE, defined_index)
}

/// Cranelift type of a wasm value type (references are pointers).
pub fn clif_type(ty: ValType) -> ir::Type {
    match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::V128 => types::I8X16,
        ValType::FuncRef | ValType::ExternRef | ValType::Ref(_) => POINTER_TYPE,
    }
}

/// Native-ABI signature of a wasm function of type `ty`:
/// `(callee_vmctx, caller_vmctx, params...) -> results`.
pub fn wasm_signature(ty: &FuncType) -> Signature {
    let mut sig = Signature::new(WASM_CALL_CONV);
    sig.params
        .push(AbiParam::special(POINTER_TYPE, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(POINTER_TYPE));
    sig.params
        .extend(ty.params.iter().map(|t| AbiParam::new(clif_type(*t))));
    sig.returns
        .extend(ty.results.iter().map(|t| AbiParam::new(clif_type(*t))));
    sig
}

/// Signature of a builtin: `(vmctx, params...) -> results` in the system
/// calling convention `call_conv` (the ISA's default).
pub fn builtin_signature(builtin: Builtin, call_conv: CallConv) -> Signature {
    let abi = |t: &AbiType| {
        AbiParam::new(match t {
            AbiType::I32 => types::I32,
            AbiType::I64 => types::I64,
        })
    };
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(POINTER_TYPE));
    sig.params.extend(builtin.params().iter().map(abi));
    sig.returns.extend(builtin.results().iter().map(abi));
    sig
}

/// Signature of an array-call trampoline (system ABI):
/// `(native_fn, callee_vmctx, caller_vmctx, values)`.
pub fn array_trampoline_signature(call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.extend([AbiParam::new(POINTER_TYPE); 4]);
    sig
}

/// Signature of a runtime host-call entry (system ABI):
/// `(host, caller_vmctx, values, len: i32) -> status: i32`.
pub fn host_call_signature(call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.extend([AbiParam::new(POINTER_TYPE); 3]);
    sig.params.push(AbiParam::new(types::I32));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}
