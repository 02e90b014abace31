//! Atomic memory instructions (threads proposal): `*.atomic.load*`,
//! `*.atomic.store*`, `*.atomic.rmw*`, `atomic.fence`, and
//! `memory.atomic.wait32/64` / `memory.atomic.notify`.
//!
//! Every access first traps "unaligned atomic" unless its effective
//! address (address + offset) is a multiple of its size, then goes through
//! the same address computation as a plain access (`memory::heap_addr`:
//! the guard region or the explicit bounds check), so an out-of-bounds
//! atomic traps like any other access. Loads, stores and read-modify-writes
//! are Cranelift's `atomic_load`, `atomic_store`, `atomic_rmw` and
//! `atomic_cas` (sequentially consistent); narrow (`8`, `16`, `32`)
//! variants access `I8`/`I16`/`I32` and zero-extend the old value.
//! They work the same on shared and unshared memories.
//!
//! `wait` and `notify` need a runtime builtin, which reads the memory
//! itself, so they bounds-check explicitly on every memory and pass the
//! native address. On an unshared memory `wait` traps "expected shared
//! memory" and `notify` returns 0 (no thread can be waiting), without a
//! call.

use cranelift_codegen::ir::{self, types, AtomicRmwOp, InstBuilder, MemFlagsData};
use waot_abi::builtins::Builtin;
use waot_abi::trap::TrapKind;
use wasmparser::{MemArg, Operator as Op};

use super::memory::{bounds_check64, heap_addr, memarg_memory};
use crate::error::Result;
use crate::translate::env::{heap_flags, trap_code};
use crate::translate::FuncCx;

/// Translates `op` if it is an atomic memory instruction; `Ok(false)`
/// otherwise.
pub(crate) fn translate(cx: &mut FuncCx<'_, '_>, op: &Op<'_>, offset: u64) -> Result<bool> {
    use types::{I16, I32, I64, I8};
    use AtomicRmwOp::{Add, And, Or, Sub, Xchg, Xor};
    match *op {
        Op::AtomicFence { .. } => {
            cx.b.ins().fence();
        }
        Op::I32AtomicLoad { memarg } => load(cx, memarg, I32, I32, offset)?,
        Op::I64AtomicLoad { memarg } => load(cx, memarg, I64, I64, offset)?,
        Op::I32AtomicLoad8U { memarg } => load(cx, memarg, I32, I8, offset)?,
        Op::I32AtomicLoad16U { memarg } => load(cx, memarg, I32, I16, offset)?,
        Op::I64AtomicLoad8U { memarg } => load(cx, memarg, I64, I8, offset)?,
        Op::I64AtomicLoad16U { memarg } => load(cx, memarg, I64, I16, offset)?,
        Op::I64AtomicLoad32U { memarg } => load(cx, memarg, I64, I32, offset)?,
        Op::I32AtomicStore { memarg } | Op::I64AtomicStore32 { memarg } => {
            store(cx, memarg, I32, offset)?
        }
        Op::I64AtomicStore { memarg } => store(cx, memarg, I64, offset)?,
        Op::I32AtomicStore8 { memarg } | Op::I64AtomicStore8 { memarg } => {
            store(cx, memarg, I8, offset)?
        }
        Op::I32AtomicStore16 { memarg } | Op::I64AtomicStore16 { memarg } => {
            store(cx, memarg, I16, offset)?
        }

        Op::I32AtomicRmwAdd { memarg } => rmw(cx, memarg, Add, I32, I32, offset)?,
        Op::I64AtomicRmwAdd { memarg } => rmw(cx, memarg, Add, I64, I64, offset)?,
        Op::I32AtomicRmw8AddU { memarg } => rmw(cx, memarg, Add, I32, I8, offset)?,
        Op::I32AtomicRmw16AddU { memarg } => rmw(cx, memarg, Add, I32, I16, offset)?,
        Op::I64AtomicRmw8AddU { memarg } => rmw(cx, memarg, Add, I64, I8, offset)?,
        Op::I64AtomicRmw16AddU { memarg } => rmw(cx, memarg, Add, I64, I16, offset)?,
        Op::I64AtomicRmw32AddU { memarg } => rmw(cx, memarg, Add, I64, I32, offset)?,

        Op::I32AtomicRmwSub { memarg } => rmw(cx, memarg, Sub, I32, I32, offset)?,
        Op::I64AtomicRmwSub { memarg } => rmw(cx, memarg, Sub, I64, I64, offset)?,
        Op::I32AtomicRmw8SubU { memarg } => rmw(cx, memarg, Sub, I32, I8, offset)?,
        Op::I32AtomicRmw16SubU { memarg } => rmw(cx, memarg, Sub, I32, I16, offset)?,
        Op::I64AtomicRmw8SubU { memarg } => rmw(cx, memarg, Sub, I64, I8, offset)?,
        Op::I64AtomicRmw16SubU { memarg } => rmw(cx, memarg, Sub, I64, I16, offset)?,
        Op::I64AtomicRmw32SubU { memarg } => rmw(cx, memarg, Sub, I64, I32, offset)?,

        Op::I32AtomicRmwAnd { memarg } => rmw(cx, memarg, And, I32, I32, offset)?,
        Op::I64AtomicRmwAnd { memarg } => rmw(cx, memarg, And, I64, I64, offset)?,
        Op::I32AtomicRmw8AndU { memarg } => rmw(cx, memarg, And, I32, I8, offset)?,
        Op::I32AtomicRmw16AndU { memarg } => rmw(cx, memarg, And, I32, I16, offset)?,
        Op::I64AtomicRmw8AndU { memarg } => rmw(cx, memarg, And, I64, I8, offset)?,
        Op::I64AtomicRmw16AndU { memarg } => rmw(cx, memarg, And, I64, I16, offset)?,
        Op::I64AtomicRmw32AndU { memarg } => rmw(cx, memarg, And, I64, I32, offset)?,

        Op::I32AtomicRmwOr { memarg } => rmw(cx, memarg, Or, I32, I32, offset)?,
        Op::I64AtomicRmwOr { memarg } => rmw(cx, memarg, Or, I64, I64, offset)?,
        Op::I32AtomicRmw8OrU { memarg } => rmw(cx, memarg, Or, I32, I8, offset)?,
        Op::I32AtomicRmw16OrU { memarg } => rmw(cx, memarg, Or, I32, I16, offset)?,
        Op::I64AtomicRmw8OrU { memarg } => rmw(cx, memarg, Or, I64, I8, offset)?,
        Op::I64AtomicRmw16OrU { memarg } => rmw(cx, memarg, Or, I64, I16, offset)?,
        Op::I64AtomicRmw32OrU { memarg } => rmw(cx, memarg, Or, I64, I32, offset)?,

        Op::I32AtomicRmwXor { memarg } => rmw(cx, memarg, Xor, I32, I32, offset)?,
        Op::I64AtomicRmwXor { memarg } => rmw(cx, memarg, Xor, I64, I64, offset)?,
        Op::I32AtomicRmw8XorU { memarg } => rmw(cx, memarg, Xor, I32, I8, offset)?,
        Op::I32AtomicRmw16XorU { memarg } => rmw(cx, memarg, Xor, I32, I16, offset)?,
        Op::I64AtomicRmw8XorU { memarg } => rmw(cx, memarg, Xor, I64, I8, offset)?,
        Op::I64AtomicRmw16XorU { memarg } => rmw(cx, memarg, Xor, I64, I16, offset)?,
        Op::I64AtomicRmw32XorU { memarg } => rmw(cx, memarg, Xor, I64, I32, offset)?,

        Op::I32AtomicRmwXchg { memarg } => rmw(cx, memarg, Xchg, I32, I32, offset)?,
        Op::I64AtomicRmwXchg { memarg } => rmw(cx, memarg, Xchg, I64, I64, offset)?,
        Op::I32AtomicRmw8XchgU { memarg } => rmw(cx, memarg, Xchg, I32, I8, offset)?,
        Op::I32AtomicRmw16XchgU { memarg } => rmw(cx, memarg, Xchg, I32, I16, offset)?,
        Op::I64AtomicRmw8XchgU { memarg } => rmw(cx, memarg, Xchg, I64, I8, offset)?,
        Op::I64AtomicRmw16XchgU { memarg } => rmw(cx, memarg, Xchg, I64, I16, offset)?,
        Op::I64AtomicRmw32XchgU { memarg } => rmw(cx, memarg, Xchg, I64, I32, offset)?,

        Op::I32AtomicRmwCmpxchg { memarg } => cmpxchg(cx, memarg, I32, I32, offset)?,
        Op::I64AtomicRmwCmpxchg { memarg } => cmpxchg(cx, memarg, I64, I64, offset)?,
        Op::I32AtomicRmw8CmpxchgU { memarg } => cmpxchg(cx, memarg, I32, I8, offset)?,
        Op::I32AtomicRmw16CmpxchgU { memarg } => cmpxchg(cx, memarg, I32, I16, offset)?,
        Op::I64AtomicRmw8CmpxchgU { memarg } => cmpxchg(cx, memarg, I64, I8, offset)?,
        Op::I64AtomicRmw16CmpxchgU { memarg } => cmpxchg(cx, memarg, I64, I16, offset)?,
        Op::I64AtomicRmw32CmpxchgU { memarg } => cmpxchg(cx, memarg, I64, I32, offset)?,

        Op::MemoryAtomicWait32 { memarg } => wait(cx, memarg, I32, offset)?,
        Op::MemoryAtomicWait64 { memarg } => wait(cx, memarg, I64, offset)?,
        Op::MemoryAtomicNotify { memarg } => notify(cx, memarg, offset)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// Traps "unaligned atomic" unless `addr + offset` (`addr` is the wasm
/// address, `i32` or `i64`) is a multiple of `access_bytes`. Only the low
/// bits matter, so the add may wrap.
fn check_alignment(cx: &mut FuncCx<'_, '_>, addr: ir::Value, offset: u64, access_bytes: u32) {
    let mask = i64::from(access_bytes - 1);
    if mask == 0 {
        return;
    }
    let low_offset = offset as i64 & mask;
    let effective = if low_offset == 0 {
        addr
    } else {
        cx.b.ins().iadd_imm_u(addr, low_offset)
    };
    let misaligned = cx.b.ins().band_imm_u(effective, mask);
    cx.b.ins()
        .trapnz(misaligned, trap_code(TrapKind::UnalignedAtomic));
}

/// Pops the wasm address of an atomic access of `access_bytes` bytes,
/// checks its alignment, then its bounds like a plain access; returns the
/// native address (offset included: atomic instructions take none).
fn atomic_addr(
    cx: &mut FuncCx<'_, '_>,
    memarg: &MemArg,
    access_bytes: u32,
    offset: u64,
) -> Result<ir::Value> {
    let mem = memarg_memory(memarg, offset)?;
    let addr = *cx.peekn(1).first().expect("validated: an address");
    check_alignment(cx, addr, memarg.offset, access_bytes);
    let (native, imm) = heap_addr(cx, mem, memarg, access_bytes);
    Ok(match imm {
        0 => native,
        imm => cx.b.ins().iadd_imm_u(native, i64::from(imm)),
    })
}

/// Flags of an atomic access: those of a plain access of the same size
/// (little-endian, out-of-bounds trap code); the address is aligned.
fn atomic_flags(access: ir::Type) -> MemFlagsData {
    heap_flags(access.bytes()).with_aligned()
}

/// Zero-extends the narrow `access`-typed result `v` to `result`.
fn extend(cx: &mut FuncCx<'_, '_>, v: ir::Value, access: ir::Type, result: ir::Type) -> ir::Value {
    if access == result {
        v
    } else {
        cx.b.ins().uextend(result, v)
    }
}

/// Truncates the operand `v` to the `access` width.
fn narrow(cx: &mut FuncCx<'_, '_>, v: ir::Value, access: ir::Type) -> ir::Value {
    if cx.b.func.dfg.value_type(v) == access {
        v
    } else {
        cx.b.ins().ireduce(access, v)
    }
}

/// `t.atomic.load` and `t.atomic.loadN_u`.
fn load(
    cx: &mut FuncCx<'_, '_>,
    memarg: MemArg,
    result: ir::Type,
    access: ir::Type,
    offset: u64,
) -> Result<()> {
    let addr = atomic_addr(cx, &memarg, access.bytes(), offset)?;
    let v = cx.b.ins().atomic_load(access, atomic_flags(access), addr);
    let v = extend(cx, v, access, result);
    cx.push(v);
    Ok(())
}

/// `t.atomic.store` and `t.atomic.storeN`.
fn store(cx: &mut FuncCx<'_, '_>, memarg: MemArg, access: ir::Type, offset: u64) -> Result<()> {
    let value = cx.pop();
    let addr = atomic_addr(cx, &memarg, access.bytes(), offset)?;
    let value = narrow(cx, value, access);
    cx.b.ins().atomic_store(atomic_flags(access), value, addr);
    Ok(())
}

/// `t.atomic.rmw.op` and `t.atomic.rmwN.op_u`: the old value.
fn rmw(
    cx: &mut FuncCx<'_, '_>,
    memarg: MemArg,
    op: AtomicRmwOp,
    result: ir::Type,
    access: ir::Type,
    offset: u64,
) -> Result<()> {
    let value = cx.pop();
    let addr = atomic_addr(cx, &memarg, access.bytes(), offset)?;
    let value = narrow(cx, value, access);
    let old =
        cx.b.ins()
            .atomic_rmw(access, atomic_flags(access), op, addr, value);
    let old = extend(cx, old, access, result);
    cx.push(old);
    Ok(())
}

/// `t.atomic.rmw.cmpxchg` and `t.atomic.rmwN.cmpxchg_u`: the old value.
/// A narrow one compares with the expected value wrapped to its width.
fn cmpxchg(
    cx: &mut FuncCx<'_, '_>,
    memarg: MemArg,
    result: ir::Type,
    access: ir::Type,
    offset: u64,
) -> Result<()> {
    let (expected, replacement) = cx.pop2();
    let addr = atomic_addr(cx, &memarg, access.bytes(), offset)?;
    let expected = narrow(cx, expected, access);
    let replacement = narrow(cx, replacement, access);
    let old =
        cx.b.ins()
            .atomic_cas(atomic_flags(access), addr, expected, replacement);
    let old = extend(cx, old, access, result);
    cx.push(old);
    Ok(())
}

/// Pops the wasm address of a `wait`/`notify` on `mem` of `access_bytes`
/// bytes and returns its native address after the alignment check and an
/// explicit bounds check (the builtin, not wasm code, reads the cell, so
/// the guard region cannot be the check).
fn checked_cell_addr(
    cx: &mut FuncCx<'_, '_>,
    mem: u32,
    memarg: &MemArg,
    access_bytes: u32,
) -> ir::Value {
    let addr = cx.pop();
    check_alignment(cx, addr, memarg.offset, access_bytes);
    let addr = if cx.env.memory64(mem) {
        addr
    } else {
        cx.b.ins().uextend(types::I64, addr)
    };
    bounds_check64(cx, mem, addr, memarg.offset, access_bytes);
    let base = cx.env.memory_base(&mut cx.b, mem);
    let native = cx.b.ins().iadd(base, addr);
    // In bounds, so the offset is below the memory's length.
    cx.b.ins().iadd_imm_u(native, memarg.offset as i64)
}

/// Whether memory `mem` is shared.
fn is_shared(cx: &FuncCx<'_, '_>, mem: u32) -> bool {
    cx.env.info.memories[mem as usize].shared
}

/// `memory.atomic.wait32` / `memory.atomic.wait64` (`expected` of type
/// `ty`): 0 woken, 1 not equal, 2 timed out.
fn wait(cx: &mut FuncCx<'_, '_>, memarg: MemArg, ty: ir::Type, offset: u64) -> Result<()> {
    let mem = memarg_memory(&memarg, offset)?;
    let (expected, timeout) = cx.pop2();
    let addr = checked_cell_addr(cx, mem, &memarg, ty.bytes());
    let result = if is_shared(cx, mem) {
        let builtin = if ty == types::I32 {
            Builtin::MemoryAtomicWait32
        } else {
            Builtin::MemoryAtomicWait64
        };
        cx.env
            .call_builtin(&mut cx.b, builtin, &[addr, expected, timeout])
            .expect("wait returns its outcome")
    } else {
        // No other thread can change an unshared memory: waiting would
        // never end, so the spec makes it a trap.
        cx.b.ins().trap(trap_code(TrapKind::ExpectedSharedMemory));
        let after = cx.b.create_block();
        cx.b.switch_to_block(after);
        cx.b.seal_block(after);
        cx.b.ins().iconst(types::I32, 0)
    };
    cx.push(result);
    Ok(())
}

/// `memory.atomic.notify`: how many waiters were woken.
fn notify(cx: &mut FuncCx<'_, '_>, memarg: MemArg, offset: u64) -> Result<()> {
    let mem = memarg_memory(&memarg, offset)?;
    let count = cx.pop();
    let addr = checked_cell_addr(cx, mem, &memarg, 4);
    let woken = if is_shared(cx, mem) {
        cx.env
            .call_builtin(&mut cx.b, Builtin::MemoryAtomicNotify, &[addr, count])
            .expect("notify returns a count")
    } else {
        cx.b.ins().iconst(types::I32, 0)
    };
    cx.push(woken);
    Ok(())
}
