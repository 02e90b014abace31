//! Memory instructions (spec section 4.4.7).
//!
//! An access at wasm address `a` with static offset `o` touches
//! `base + a + o`. For a 32-bit memory the runtime reserves 8 GiB + 64 KiB
//! and maps only the accessible pages, so there is no explicit bounds check:
//! the fault is the check, and its trap code carries the access size
//! (`waot_abi::trap::memory_oob_code`). A 64-bit memory (memory64) cannot be
//! covered by guard pages, so each access first checks
//! `a + o + size <= current length` (overflow-safe) and traps with the same
//! sized code. So does a memory with 1-byte pages (custom-page-sizes): its
//! length can end inside an OS page, where no guard page can fault.
//! `memory.size` and `memory.grow` count the memory's own pages. Bulk
//! operations and `memory.grow` call builtins, which take `i64` operands
//! either way.

use cranelift_codegen::ir::{self, condcodes::IntCC, types, InstBuilder};
use waot_abi::builtins::Builtin;
use wasmparser::{MemArg, MemArgTarget};

use super::{index_const, zext};
use crate::error::Result;
use crate::translate::env::{heap_flags, heap_trap_code};
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

impl Load {
    /// How many bytes the load reads.
    fn bytes(self) -> u32 {
        match self {
            Load::I32_8S | Load::I32_8U | Load::I64_8S | Load::I64_8U => 1,
            Load::I32_16S | Load::I32_16U | Load::I64_16S | Load::I64_16U => 2,
            Load::I32 | Load::F32 | Load::I64_32S | Load::I64_32U => 4,
            Load::I64 | Load::F64 => 8,
        }
    }
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

/// The memory a `memarg` refers to.
pub(crate) fn memarg_memory(memarg: &MemArg, offset: u64) -> Result<u32> {
    match memarg.target {
        MemArgTarget::Memory(mem) => Ok(mem),
        MemArgTarget::Array(_) => Err(unsupported("GC array accesses", offset)),
    }
}

/// Pops a wasm address and returns the native address and the immediate
/// offset for an access of `access_bytes` bytes; on a 64-bit memory or one
/// with 1-byte pages, first traps unless the whole access is inside the
/// memory.
pub(crate) fn heap_addr(
    cx: &mut FuncCx<'_, '_>,
    mem: u32,
    memarg: &MemArg,
    access_bytes: u32,
) -> (ir::Value, i32) {
    let addr = cx.pop();
    let addr = if cx.env.memory64(mem) {
        bounds_check64(cx, mem, addr, memarg.offset, access_bytes);
        addr
    } else if cx.env.explicit_bounds_checks || cx.env.memory_has_small_pages(mem) {
        // With 1-byte pages the length need not be page-aligned, so the
        // guard region alone does not stop accesses just past the end.
        // Otherwise only to measure what the guard region saves.
        let addr = cx.b.ins().uextend(types::I64, addr);
        bounds_check64(cx, mem, addr, memarg.offset, access_bytes);
        addr
    } else {
        cx.b.ins().uextend(types::I64, addr)
    };
    let base = cx.env.memory_base(&mut cx.b, mem);
    let native = cx.b.ins().iadd(base, addr);
    match i32::try_from(memarg.offset) {
        Ok(imm) => (native, imm),
        // A 32-bit memory's offset fits in u32 (validated); a 64-bit one's
        // passed the bounds check, so it is below the memory's length.
        Err(_) => (cx.b.ins().iadd_imm_u(native, memarg.offset as i64), 0),
    }
}

/// Traps with the sized out-of-bounds code unless
/// `addr + offset + access_bytes <= current length` of memory `mem`,
/// computed without wrapping (`addr` is an `i64`: a 64-bit memory's address
/// or a zero-extended 32-bit one).
pub(crate) fn bounds_check64(
    cx: &mut FuncCx<'_, '_>,
    mem: u32,
    addr: ir::Value,
    offset: u64,
    access_bytes: u32,
) {
    let code = heap_trap_code(access_bytes);
    // Saturating is exact: the length is far below u64::MAX, so an end at
    // u64::MAX is out of bounds just like one that does not fit.
    let span = offset.saturating_add(u64::from(access_bytes));
    let span = cx.b.ins().iconst(types::I64, span as i64);
    let end = cx.b.ins().uadd_overflow_trap(addr, span, code);
    let len = cx.env.memory_length(&mut cx.b, mem);
    let out_of_bounds = cx.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
    cx.b.ins().trapnz(out_of_bounds, code);
}

/// Narrows a page count or old size (`i64`, -1 for failure) to the `i32` a
/// 32-bit memory's `memory.size`/`memory.grow` returns.
fn narrow_if32(cx: &mut FuncCx<'_, '_>, mem: u32, v: ir::Value) -> ir::Value {
    if cx.env.memory64(mem) {
        v
    } else {
        cx.b.ins().ireduce(types::I32, v)
    }
}

/// `t.load memarg` and the extending loads.
pub(crate) fn translate_load(
    cx: &mut FuncCx<'_, '_>,
    memarg: MemArg,
    load: Load,
    offset: u64,
) -> Result<()> {
    let mem = memarg_memory(&memarg, offset)?;
    let (addr, imm) = heap_addr(cx, mem, &memarg, load.bytes());
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
    let mem = memarg_memory(&memarg, offset)?;
    let value = cx.pop();
    let bytes = match store {
        Store::Full(bytes) => bytes,
        Store::Narrow8 => 1,
        Store::Narrow16 => 2,
        Store::Narrow32 => 4,
    };
    let (addr, imm) = heap_addr(cx, mem, &memarg, bytes);
    let ins = cx.b.ins();
    match store {
        Store::Full(_) => ins.store(heap_flags(bytes), value, addr, imm),
        Store::Narrow8 => ins.istore8(heap_flags(1), value, addr, imm),
        Store::Narrow16 => ins.istore16(heap_flags(2), value, addr, imm),
        Store::Narrow32 => ins.istore32(heap_flags(4), value, addr, imm),
    };
    Ok(())
}

/// `memory.size`: the memory's pages (64 KiB or 1 byte) as its address
/// type.
pub(crate) fn translate_memory_size(cx: &mut FuncCx<'_, '_>, mem: u32) {
    let pages = cx.env.memory_size(&mut cx.b, mem);
    let v = narrow_if32(cx, mem, pages);
    cx.push(v);
}

/// `memory.grow`: the old size in pages, or -1.
pub(crate) fn translate_memory_grow(cx: &mut FuncCx<'_, '_>, mem: u32) {
    let delta = cx.pop();
    let m = index_const(cx, mem);
    let delta = zext(cx, delta);
    let old = cx
        .env
        .call_builtin(&mut cx.b, Builtin::MemoryGrow, &[m, delta])
        .expect("memory.grow returns the old size");
    let v = narrow_if32(cx, mem, old);
    cx.push(v);
}

/// `memory.fill`
pub(crate) fn translate_memory_fill(cx: &mut FuncCx<'_, '_>, mem: u32) {
    let (dst, byte, len) = cx.pop3();
    let m = index_const(cx, mem);
    let (dst, len) = (zext(cx, dst), zext(cx, len));
    cx.env
        .call_builtin(&mut cx.b, Builtin::MemoryFill, &[m, dst, byte, len]);
}

/// `memory.copy`; between a 32-bit and a 64-bit memory the length is an
/// `i32` (the smaller address type), which `zext` widens like the rest.
pub(crate) fn translate_memory_copy(cx: &mut FuncCx<'_, '_>, dst_mem: u32, src_mem: u32) {
    let (dst, src, len) = cx.pop3();
    let dm = index_const(cx, dst_mem);
    let sm = index_const(cx, src_mem);
    let (dst, src, len) = (zext(cx, dst), zext(cx, src), zext(cx, len));
    cx.env
        .call_builtin(&mut cx.b, Builtin::MemoryCopy, &[dm, sm, dst, src, len]);
}

/// `memory.init` (the destination has the memory's address type; the
/// segment offset and length are `i32`).
pub(crate) fn translate_memory_init(cx: &mut FuncCx<'_, '_>, data_index: u32, mem: u32) {
    let (dst, src, len) = cx.pop3();
    let m = index_const(cx, mem);
    let d = index_const(cx, data_index);
    let (dst, src, len) = (zext(cx, dst), zext(cx, src), zext(cx, len));
    cx.env
        .call_builtin(&mut cx.b, Builtin::MemoryInit, &[m, d, dst, src, len]);
}

/// `data.drop`
pub(crate) fn translate_data_drop(cx: &mut FuncCx<'_, '_>, data_index: u32) {
    let d = index_const(cx, data_index);
    cx.env.call_builtin(&mut cx.b, Builtin::DataDrop, &[d]);
}
