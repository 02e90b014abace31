//! Memory instructions (spec section 4.4.7) on 32-bit memories.
//!
//! An access at wasm address `a` with static offset `o` touches
//! `base + zext(a) + o`. The runtime reserves 8 GiB + 64 KiB per memory and
//! maps only the accessible pages, so there is no explicit bounds check:
//! the fault is the check, and its trap code carries the access size
//! (`waot_abi::trap::memory_oob_code`). Bulk operations and `memory.grow`
//! call builtins.

use cranelift_codegen::ir::{self, types, InstBuilder};
use waot_abi::builtins::Builtin;
use wasmparser::{MemArg, MemArgTarget};

use super::{index_const, zext};
use crate::error::Result;
use crate::translate::env::heap_flags;
use crate::translate::{unsupported, FuncCx};

/// The load operators: result type, and how narrow values are extended.
#[allow(non_camel_case_types, reason = "names mirror the wasm operators")]
#[derive(Clone, Copy, Debug)]
pub(crate) enum Load {
    /// `i32.load`
    I32,
    /// `i64.load`
    I64,
    /// `f32.load`
    F32,
    /// `f64.load`
    F64,
    /// `i32.load8_s`
    I32_8S,
    /// `i32.load8_u`
    I32_8U,
    /// `i32.load16_s`
    I32_16S,
    /// `i32.load16_u`
    I32_16U,
    /// `i64.load8_s`
    I64_8S,
    /// `i64.load8_u`
    I64_8U,
    /// `i64.load16_s`
    I64_16S,
    /// `i64.load16_u`
    I64_16U,
    /// `i64.load32_s`
    I64_32S,
    /// `i64.load32_u`
    I64_32U,
}

/// The store operators, by how many bytes they write.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Store {
    /// The whole value (4 or 8 bytes).
    Full(u32),
    /// The low byte.
    Narrow8,
    /// The low 2 bytes.
    Narrow16,
    /// The low 4 bytes.
    Narrow32,
}

/// The memory a `memarg` refers to (a 32-bit linear memory).
pub(crate) fn memarg_memory(cx: &FuncCx<'_, '_>, memarg: &MemArg, offset: u64) -> Result<u32> {
    match memarg.target {
        MemArgTarget::Memory(mem) => {
            cx.env.check_memory32(mem, offset)?;
            Ok(mem)
        }
        MemArgTarget::Array(_) => Err(unsupported("GC array accesses", offset)),
    }
}

/// Pops a wasm address and returns the native address and the immediate
/// offset for the access.
pub(crate) fn heap_addr(cx: &mut FuncCx<'_, '_>, mem: u32, memarg: &MemArg) -> (ir::Value, i32) {
    let addr = cx.pop();
    let base = cx.env.memory_base(&mut cx.b, mem);
    let addr = cx.b.ins().uextend(types::I64, addr);
    let native = cx.b.ins().iadd(base, addr);
    match i32::try_from(memarg.offset) {
        Ok(imm) => (native, imm),
        // Validated to fit in u32 for 32-bit memories, so this cannot wrap.
        Err(_) => (cx.b.ins().iadd_imm_u(native, memarg.offset as i64), 0),
    }
}

/// `t.load memarg` and the extending loads.
pub(crate) fn translate_load(
    cx: &mut FuncCx<'_, '_>,
    memarg: MemArg,
    load: Load,
    offset: u64,
) -> Result<()> {
    let mem = memarg_memory(cx, &memarg, offset)?;
    let (addr, imm) = heap_addr(cx, mem, &memarg);
    let ins = cx.b.ins();
    let v = match load {
        Load::I32 => ins.load(types::I32, heap_flags(4), addr, imm),
        Load::I64 => ins.load(types::I64, heap_flags(8), addr, imm),
        Load::F32 => ins.load(types::F32, heap_flags(4), addr, imm),
        Load::F64 => ins.load(types::F64, heap_flags(8), addr, imm),
        Load::I32_8S => ins.sload8(types::I32, heap_flags(1), addr, imm),
        Load::I32_8U => ins.uload8(types::I32, heap_flags(1), addr, imm),
        Load::I32_16S => ins.sload16(types::I32, heap_flags(2), addr, imm),
        Load::I32_16U => ins.uload16(types::I32, heap_flags(2), addr, imm),
        Load::I64_8S => ins.sload8(types::I64, heap_flags(1), addr, imm),
        Load::I64_8U => ins.uload8(types::I64, heap_flags(1), addr, imm),
        Load::I64_16S => ins.sload16(types::I64, heap_flags(2), addr, imm),
        Load::I64_16U => ins.uload16(types::I64, heap_flags(2), addr, imm),
        Load::I64_32S => ins.sload32(heap_flags(4), addr, imm),
        Load::I64_32U => ins.uload32(heap_flags(4), addr, imm),
    };
    cx.push(v);
    Ok(())
}

/// `t.store memarg` and the wrapping stores.
pub(crate) fn translate_store(
    cx: &mut FuncCx<'_, '_>,
    memarg: MemArg,
    store: Store,
    offset: u64,
) -> Result<()> {
    let mem = memarg_memory(cx, &memarg, offset)?;
    let value = cx.pop();
    let (addr, imm) = heap_addr(cx, mem, &memarg);
    let ins = cx.b.ins();
    match store {
        Store::Full(bytes) => ins.store(heap_flags(bytes), value, addr, imm),
        Store::Narrow8 => ins.istore8(heap_flags(1), value, addr, imm),
        Store::Narrow16 => ins.istore16(heap_flags(2), value, addr, imm),
        Store::Narrow32 => ins.istore32(heap_flags(4), value, addr, imm),
    };
    Ok(())
}

/// `memory.size`
pub(crate) fn translate_memory_size(cx: &mut FuncCx<'_, '_>, mem: u32, offset: u64) -> Result<()> {
    cx.env.check_memory32(mem, offset)?;
    let v = cx.env.memory_size(&mut cx.b, mem);
    cx.push(v);
    Ok(())
}

/// `memory.grow`: the old size in pages, or -1.
pub(crate) fn translate_memory_grow(cx: &mut FuncCx<'_, '_>, mem: u32, offset: u64) -> Result<()> {
    cx.env.check_memory32(mem, offset)?;
    let delta = cx.pop();
    let m = index_const(cx, mem);
    let delta = zext(cx, delta);
    let old = cx
        .env
        .call_builtin(&mut cx.b, Builtin::MemoryGrow, &[m, delta])
        .expect("memory.grow returns the old size");
    let v = cx.b.ins().ireduce(types::I32, old);
    cx.push(v);
    Ok(())
}

/// `memory.fill`
pub(crate) fn translate_memory_fill(cx: &mut FuncCx<'_, '_>, mem: u32, offset: u64) -> Result<()> {
    cx.env.check_memory32(mem, offset)?;
    let (dst, byte, len) = cx.pop3();
    let m = index_const(cx, mem);
    let (dst, len) = (zext(cx, dst), zext(cx, len));
    cx.env
        .call_builtin(&mut cx.b, Builtin::MemoryFill, &[m, dst, byte, len]);
    Ok(())
}

/// `memory.copy`
pub(crate) fn translate_memory_copy(
    cx: &mut FuncCx<'_, '_>,
    dst_mem: u32,
    src_mem: u32,
    offset: u64,
) -> Result<()> {
    cx.env.check_memory32(dst_mem, offset)?;
    cx.env.check_memory32(src_mem, offset)?;
    let (dst, src, len) = cx.pop3();
    let dm = index_const(cx, dst_mem);
    let sm = index_const(cx, src_mem);
    let (dst, src, len) = (zext(cx, dst), zext(cx, src), zext(cx, len));
    cx.env
        .call_builtin(&mut cx.b, Builtin::MemoryCopy, &[dm, sm, dst, src, len]);
    Ok(())
}

/// `memory.init`
pub(crate) fn translate_memory_init(
    cx: &mut FuncCx<'_, '_>,
    data_index: u32,
    mem: u32,
    offset: u64,
) -> Result<()> {
    cx.env.check_memory32(mem, offset)?;
    let (dst, src, len) = cx.pop3();
    let m = index_const(cx, mem);
    let d = index_const(cx, data_index);
    let (dst, src, len) = (zext(cx, dst), zext(cx, src), zext(cx, len));
    cx.env
        .call_builtin(&mut cx.b, Builtin::MemoryInit, &[m, d, dst, src, len]);
    Ok(())
}

/// `data.drop`
pub(crate) fn translate_data_drop(cx: &mut FuncCx<'_, '_>, data_index: u32) {
    let d = index_const(cx, data_index);
    cx.env.call_builtin(&mut cx.b, Builtin::DataDrop, &[d]);
}
