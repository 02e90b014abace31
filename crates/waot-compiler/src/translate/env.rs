//! The translator's view of the VM context: the only code in `translate/`
//! that turns `waot_abi::vmctx` offsets into Cranelift IR.
//!
//! Operator files ask questions in wasm terms ("the base of memory 1", "call
//! imported function 3", "the funcref at index i of table 0") and get values
//! or instructions back. See the layout table in `waot_abi::vmctx`.
//!
//! Loads of VM context fields that never change while wasm runs (pointers
//! to memories, tables, imports, the builtin table, canonical type ids) are
//! `readonly` and `can_move`, so Cranelift may hoist and deduplicate them.
//! Fields that change (memory length, table base and length, mutable
//! globals) are plain trusted loads.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, types, ExtFuncData, ExternalName, FuncRef, GlobalValueData, InstBuilder, MemFlagsData,
    SigRef, TrapCode,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::FunctionBuilder;
use target_lexicon::Architecture;
use waot_abi::builtins::{AbiType, Builtin};
use waot_abi::trap::TrapKind;
use waot_abi::vmctx::{
    FUNCREF_NATIVE_FN, FUNCREF_TYPE_ID, FUNCREF_VMCTX, MEMORY_DEF_LENGTH, STORE_GC_BUMP,
    STORE_STACK_LIMIT, TABLE_DEF_BASE, TABLE_DEF_LENGTH, TABLE_ELEMENT_SIZE, VMCTX_BUILTINS,
    VMCTX_STORE,
};
use waot_abi::WASM_PAGE_SIZE_LOG2;

use crate::abi::{self, POINTER_TYPE};
use crate::module::ModuleInfo;

/// Flags of a load from the VM context that never changes while wasm runs.
fn vm_const() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// Flags of an access to VM state that wasm code or builtins may change.
fn vm_mutable() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// The Cranelift trap code of a waot trap kind.
pub(crate) fn trap_code(kind: TrapKind) -> TrapCode {
    TrapCode::unwrap_user(kind as u8)
}

/// The sized out-of-bounds trap code of a linear-memory access of
/// `access_bytes` bytes (`waot_abi::trap::memory_oob_code`).
pub(crate) fn heap_trap_code(access_bytes: u32) -> TrapCode {
    TrapCode::unwrap_user(waot_abi::trap::memory_oob_code(access_bytes))
}

/// Flags of a linear-memory access of `access_bytes` bytes: little-endian,
/// possibly unaligned, trapping (via the guard region) with the sized
/// out-of-bounds code.
pub(crate) fn heap_flags(access_bytes: u32) -> MemFlagsData {
    MemFlagsData::new()
        .with_endianness(ir::Endianness::Little)
        .with_trap_code(Some(heap_trap_code(access_bytes)))
}

/// Sets `func.stack_limit` to `vmctx->store->stack_limit`, so the prologue
/// of `func` traps with "call stack exhausted" below it.
pub(crate) fn set_stack_limit(func: &mut ir::Function) {
    let flags = func
        .dfg
        .mem_flags
        .insert_unchecked(MemFlagsData::trusted().with_readonly());
    let vmctx = func.create_global_value(GlobalValueData::VMContext);
    let store = func.create_global_value(GlobalValueData::Load {
        base: vmctx,
        offset: (VMCTX_STORE as i32).into(),
        global_type: POINTER_TYPE,
        flags,
    });
    let limit = func.create_global_value(GlobalValueData::Load {
        base: store,
        offset: (STORE_STACK_LIMIT as i32).into(),
        global_type: POINTER_TYPE,
        flags,
    });
    func.stack_limit = Some(limit);
}

/// Where a global lives.
pub(crate) struct GlobalAddr {
    /// Base pointer.
    pub base: ir::Value,
    /// Offset from `base`.
    pub offset: i32,
    /// The value's Cranelift type.
    pub ty: ir::Type,
    /// Whether the global is immutable.
    pub constant: bool,
}

/// Module knowledge and per-function caches of imported signatures and
/// callees.
pub(crate) struct FuncEnv<'m> {
    /// The module being compiled.
    pub info: &'m ModuleInfo<'m>,
    /// The function's own VM context (its first parameter).
    pub vmctx: ir::Value,
    /// Whether the ISA lowers every 128-bit SIMD operator inline: always on
    /// aarch64; on x86_64 only with SSSE3 (`pshufb`) and SSE4.1 (`round*`),
    /// since Cranelift would otherwise need libcalls.
    pub simd_inline: bool,
    /// Bounds-check 32-bit memories explicitly too
    /// (`Config::explicit_bounds_checks`).
    pub explicit_bounds_checks: bool,
    call_conv: CallConv,
    wasm_sigs: HashMap<u32, SigRef>,
    direct_callees: HashMap<u32, FuncRef>,
    builtin_sigs: [Option<SigRef>; Builtin::COUNT],
}

impl<'m> FuncEnv<'m> {
    /// An environment for one function of `info` whose VM context is `vmctx`.
    pub fn new(info: &'m ModuleInfo<'m>, isa: &dyn TargetIsa, vmctx: ir::Value) -> Self {
        FuncEnv {
            info,
            vmctx,
            simd_inline: isa.triple().architecture != Architecture::X86_64
                || (isa.has_x86_pshufb_lowering() && isa.has_round()),
            explicit_bounds_checks: false,
            call_conv: isa.default_call_conv(),
            wasm_sigs: HashMap::new(),
            direct_callees: HashMap::new(),
            builtin_sigs: [None; Builtin::COUNT],
        }
    }

    /// Loads a pointer-sized VM context field that never changes.
    fn load_vm_const(&self, b: &mut FunctionBuilder<'_>, offset: u32) -> ir::Value {
        b.ins()
            .load(POINTER_TYPE, vm_const(), self.vmctx, offset as i32)
    }

    // ---- memories -------------------------------------------------------

    /// Whether memory `mem` is a 64-bit memory (memory64): `i64` addresses,
    /// explicitly bounds-checked accesses.
    pub fn memory64(&self, mem: u32) -> bool {
        self.info.memories[mem as usize].memory64
    }

    /// The base address of memory `mem` (it never moves).
    pub fn memory_base(&self, b: &mut FunctionBuilder<'_>, mem: u32) -> ir::Value {
        self.load_vm_const(b, self.info.offsets.memory_base(mem))
    }

    /// The current length of memory `mem` in bytes, as an `i64`. Not
    /// `readonly`: `memory.grow` (here or in another instance sharing the
    /// memory) changes it, and calls are barriers for this load.
    pub fn memory_length(&self, b: &mut FunctionBuilder<'_>, mem: u32) -> ir::Value {
        let def = self.load_vm_const(b, self.info.offsets.memory_def(mem));
        b.ins()
            .load(types::I64, vm_mutable(), def, MEMORY_DEF_LENGTH as i32)
    }

    /// Whether memory `mem` has pages smaller than the default 64 KiB
    /// (custom-page-sizes): its length need not be a multiple of the OS
    /// page size, so guard pages cannot catch every access past its end
    /// and its accesses are bounds-checked explicitly.
    pub fn memory_has_small_pages(&self, mem: u32) -> bool {
        self.info.memories[mem as usize].page_size_log2 < WASM_PAGE_SIZE_LOG2
    }

    /// The current size of memory `mem` in its pages, as an `i64`.
    pub fn memory_size(&self, b: &mut FunctionBuilder<'_>, mem: u32) -> ir::Value {
        let len = self.memory_length(b, mem);
        match self.info.memories[mem as usize].page_size_log2 {
            0 => len,
            log2 => b.ins().ushr_imm_u(len, i64::from(log2)),
        }
    }

    // ---- globals --------------------------------------------------------

    /// Where global `index` is stored.
    pub fn global_addr(&self, b: &mut FunctionBuilder<'_>, index: u32) -> GlobalAddr {
        let gty = self.info.globals[index as usize];
        let ty = abi::clif_type(gty.ty);
        let constant = !gty.mutable;
        let imported = self.info.num_imported_globals;
        if index < imported {
            let base = self.load_vm_const(b, self.info.offsets.imported_global(index));
            GlobalAddr {
                base,
                offset: 0,
                ty,
                constant,
            }
        } else {
            GlobalAddr {
                base: self.vmctx,
                offset: self.info.offsets.defined_global(index - imported) as i32,
                ty,
                constant,
            }
        }
    }

    /// Flags of an access to the global at `g`. A `v128` is not claimed to
    /// be 16-byte aligned (an imported global's storage is the host's), so
    /// x86_64 never folds it into an SSE operand that requires alignment.
    fn global_flags(g: &GlobalAddr) -> MemFlagsData {
        match (g.ty.is_vector(), g.constant) {
            (false, true) => vm_const(),
            (false, false) => vm_mutable(),
            (true, true) => MemFlagsData::new()
                .with_notrap()
                .with_readonly()
                .with_can_move(),
            (true, false) => MemFlagsData::new().with_notrap(),
        }
    }

    /// Reads global `index`.
    pub fn global_get(&self, b: &mut FunctionBuilder<'_>, index: u32) -> ir::Value {
        let g = self.global_addr(b, index);
        b.ins().load(g.ty, Self::global_flags(&g), g.base, g.offset)
    }

    /// Writes `value` to (mutable) global `index`.
    pub fn global_set(&self, b: &mut FunctionBuilder<'_>, index: u32, value: ir::Value) {
        let g = self.global_addr(b, index);
        b.ins()
            .store(Self::global_flags(&g), value, g.base, g.offset);
    }

    // ---- tables ---------------------------------------------------------

    /// Whether table `table` is indexed by `i64` (table64).
    pub fn table64(&self, table: u32) -> bool {
        self.info.tables[table as usize].table64
    }

    /// The `VmTableDef` pointer of table `table`.
    fn table_def(&self, b: &mut FunctionBuilder<'_>, table: u32) -> ir::Value {
        self.load_vm_const(b, self.info.offsets.table_def(table))
    }

    /// The current number of elements of table `table`, as an `i64`.
    pub fn table_len(&self, b: &mut FunctionBuilder<'_>, table: u32) -> ir::Value {
        let def = self.table_def(b, table);
        b.ins()
            .load(types::I64, vm_mutable(), def, TABLE_DEF_LENGTH as i32)
    }

    /// The address of element `index` (an `i32`, or an `i64` for a table64
    /// table) of table `table`, after trapping with `oob` when it is out of
    /// bounds.
    pub fn table_elem_addr(
        &self,
        b: &mut FunctionBuilder<'_>,
        table: u32,
        index: ir::Value,
        oob: TrapKind,
    ) -> ir::Value {
        let def = self.table_def(b, table);
        let len = b
            .ins()
            .load(types::I64, vm_mutable(), def, TABLE_DEF_LENGTH as i32);
        let index = if self.table64(table) {
            index
        } else {
            b.ins().uextend(types::I64, index)
        };
        let out_of_bounds = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        b.ins().trapnz(out_of_bounds, trap_code(oob));
        let base = b
            .ins()
            .load(POINTER_TYPE, vm_mutable(), def, TABLE_DEF_BASE as i32);
        let byte_offset = b.ins().imul_imm_u(index, i64::from(TABLE_ELEMENT_SIZE));
        b.ins().iadd(base, byte_offset)
    }

    /// Reads element `index` of table `table` (trapping when out of bounds).
    pub fn table_get(
        &self,
        b: &mut FunctionBuilder<'_>,
        table: u32,
        index: ir::Value,
    ) -> ir::Value {
        let addr = self.table_elem_addr(b, table, index, TrapKind::TableOutOfBounds);
        b.ins().load(POINTER_TYPE, vm_mutable(), addr, 0)
    }

    /// Writes element `index` of table `table` (trapping when out of bounds).
    pub fn table_set(
        &self,
        b: &mut FunctionBuilder<'_>,
        table: u32,
        index: ir::Value,
        value: ir::Value,
    ) {
        let addr = self.table_elem_addr(b, table, index, TrapKind::TableOutOfBounds);
        b.ins().store(vm_mutable(), value, addr, 0);
    }

    // ---- functions ------------------------------------------------------

    /// The imported signature of type `type_index` (native ABI).
    pub fn wasm_sig(&mut self, b: &mut FunctionBuilder<'_>, type_index: u32) -> SigRef {
        let info = self.info;
        *self.wasm_sigs.entry(type_index).or_insert_with(|| {
            b.import_signature(abi::wasm_signature(&info.meta.types[type_index as usize]))
        })
    }

    /// A `VmFuncRef` pointer for function `func_index`: an import's is in the
    /// VM context, a defined function's is inside the VM context.
    pub fn func_ref(&self, b: &mut FunctionBuilder<'_>, func_index: u32) -> ir::Value {
        let imported = self.info.num_imported_funcs;
        if func_index < imported {
            self.load_vm_const(b, self.info.offsets.imported_func(func_index))
        } else {
            let off = self.info.offsets.func_ref(func_index - imported);
            b.ins().iadd_imm_u(self.vmctx, i64::from(off))
        }
    }

    /// Calls function `func_index` with the wasm arguments `args`; with
    /// `tail`, as a tail call (`return_call`, which ends the block).
    pub fn call(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        func_index: u32,
        args: &[ir::Value],
        tail: bool,
    ) -> ir::Inst {
        let imported = self.info.num_imported_funcs;
        let type_index = self.info.meta.funcs[func_index as usize];
        if func_index < imported {
            let p = self.func_ref(b, func_index);
            return self.call_func_ref(b, type_index, p, args, tail);
        }
        let defined = func_index - imported;
        let sig = self.wasm_sig(b, type_index);
        let callee = *self.direct_callees.entry(defined).or_insert_with(|| {
            let name = b
                .func
                .declare_imported_user_function(abi::defined_func_name(defined));
            b.import_function(ExtFuncData {
                name: ExternalName::user(name),
                signature: sig,
                colocated: true,
                patchable: false,
            })
        });
        let mut call_args = Vec::with_capacity(args.len() + 2);
        call_args.extend([self.vmctx, self.vmctx]);
        call_args.extend_from_slice(args);
        if tail {
            b.ins().return_call(callee, &call_args)
        } else {
            b.ins().call(callee, &call_args)
        }
    }

    /// Calls through the (non-null) `VmFuncRef` pointer `p`, whose function
    /// has type `type_index`; with `tail`, as a tail call.
    ///
    /// Every wasm function and host adapter uses the `tail` calling
    /// convention, so a tail call to any of them (an import of another
    /// instance, a host function) is a plain `return_call_indirect`: the
    /// callee gets its own VM context and the caller's frame is gone.
    pub fn call_func_ref(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        type_index: u32,
        p: ir::Value,
        args: &[ir::Value],
        tail: bool,
    ) -> ir::Inst {
        let sig = self.wasm_sig(b, type_index);
        let flags = MemFlagsData::trusted().with_readonly();
        let native = b
            .ins()
            .load(POINTER_TYPE, flags, p, FUNCREF_NATIVE_FN as i32);
        let callee_vmctx = b.ins().load(POINTER_TYPE, flags, p, FUNCREF_VMCTX as i32);
        let mut call_args = Vec::with_capacity(args.len() + 2);
        call_args.extend([callee_vmctx, self.vmctx]);
        call_args.extend_from_slice(args);
        if tail {
            b.ins().return_call_indirect(sig, native, &call_args)
        } else {
            b.ins().call_indirect(sig, native, &call_args)
        }
    }

    /// The `VmFuncRef` pointer for `call_indirect`: element `index` of table
    /// `table`, after the checks the spec requires (in bounds, not null,
    /// signature equal to type `type_index`).
    pub fn indirect_callee(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        table: u32,
        index: ir::Value,
        type_index: u32,
    ) -> ir::Value {
        let addr = self.table_elem_addr(b, table, index, TrapKind::UndefinedElement);
        let p = b.ins().load(POINTER_TYPE, vm_mutable(), addr, 0);
        b.ins().trapz(p, trap_code(TrapKind::UninitializedElement));
        let actual = self.funcref_type_id(b, p);
        let expected = self.type_id(b, type_index);
        let mismatch = b.ins().icmp(IntCC::NotEqual, actual, expected);
        if self.info.meta.type_info(type_index).is_final {
            // No other type can be a subtype of a final type.
            b.ins()
                .trapnz(mismatch, trap_code(TrapKind::IndirectCallTypeMismatch));
        } else {
            // A declared subtype also matches (GC): the runtime walks the
            // supertype chain, only when the ids differ.
            let slow = b.create_block();
            let done = b.create_block();
            b.ins().brif(mismatch, slow, &[], done, &[]);
            b.seal_block(slow);
            b.switch_to_block(slow);
            b.set_cold_block(slow);
            self.call_builtin(b, Builtin::FuncSubtype, &[actual, expected]);
            b.ins().jump(done, &[]);
            b.seal_block(done);
            b.switch_to_block(done);
        }
        p
    }

    /// The canonical type id (an `i32`) of the function the non-null
    /// `VmFuncRef` pointer `p` refers to.
    pub fn funcref_type_id(&self, b: &mut FunctionBuilder<'_>, p: ir::Value) -> ir::Value {
        let flags = MemFlagsData::trusted().with_readonly();
        b.ins().load(types::I32, flags, p, FUNCREF_TYPE_ID as i32)
    }

    /// The store's GC bump region (`*mut waot_abi::gc::VmGcBump`): fixed
    /// for the store's lifetime, so the loads may be hoisted.
    pub fn gc_bump_region(&self, b: &mut FunctionBuilder<'_>) -> ir::Value {
        let store = b
            .ins()
            .load(POINTER_TYPE, vm_const(), self.vmctx, VMCTX_STORE as i32);
        b.ins()
            .load(POINTER_TYPE, vm_const(), store, STORE_GC_BUMP as i32)
    }

    /// The canonical type id of type `type_index` (an `i32`).
    pub fn type_id(&self, b: &mut FunctionBuilder<'_>, type_index: u32) -> ir::Value {
        b.ins().load(
            types::I32,
            vm_const(),
            self.vmctx,
            self.info.offsets.type_id(type_index) as i32,
        )
    }

    // ---- builtins -------------------------------------------------------

    /// Calls `builtin` with `args` (after the VM context), trapping when it
    /// reports failure; returns its result, if it has one.
    pub fn call_builtin(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        builtin: Builtin,
        args: &[ir::Value],
    ) -> Option<ir::Value> {
        let result = self.call_builtin_unchecked(b, builtin, args);
        if let Some(kind) = builtin.trap() {
            let status = result.expect("builtins that trap return a status");
            b.ins().trapnz(status, trap_code(kind));
            return None;
        }
        result
    }

    /// Calls GC builtin `builtin` (see `Builtin::gc_traps`) and traps with
    /// the kind it reports: a non-zero status, an allocation result below
    /// 256, or `u64::MAX` from a conversion (out of memory). Returns the
    /// result of an allocating or converting builtin.
    pub fn call_gc_builtin(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        builtin: Builtin,
        args: &[ir::Value],
    ) -> Option<ir::Value> {
        let result = self
            .call_builtin_unchecked(b, builtin, args)
            .expect("GC builtins return a status or a value");
        if matches!(
            builtin,
            Builtin::AnyConvertExtern | Builtin::ExternConvertAny
        ) {
            let failed = b.ins().icmp_imm_u(IntCC::Equal, result, -1);
            b.ins().trapnz(failed, trap_code(TrapKind::OutOfMemory));
            return Some(result);
        }
        let kinds = builtin.gc_traps();
        let allocates = builtin.results() == [AbiType::I64];
        let failed = if allocates {
            b.ins().icmp_imm_u(IntCC::UnsignedLessThan, result, 256)
        } else {
            result
        };
        let cold = b.create_block();
        let done = b.create_block();
        b.ins().brif(failed, cold, &[], done, &[]);
        b.seal_block(cold);
        b.switch_to_block(cold);
        b.set_cold_block(cold);
        let (last, others) = kinds.split_last().expect("GC builtins can fail");
        for &kind in others {
            let is_kind = b.ins().icmp_imm_u(IntCC::Equal, result, kind as i64);
            b.ins().trapnz(is_kind, trap_code(kind));
        }
        b.ins().trap(trap_code(*last));
        b.seal_block(done);
        b.switch_to_block(done);
        allocates.then_some(result)
    }

    /// Calls `builtin` with `args` (after the VM context) and returns its
    /// result, if it has one, without looking at it.
    pub fn call_builtin_unchecked(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        builtin: Builtin,
        args: &[ir::Value],
    ) -> Option<ir::Value> {
        let call_conv = self.call_conv;
        let sig = *self.builtin_sigs[builtin as usize]
            .get_or_insert_with(|| b.import_signature(abi::builtin_signature(builtin, call_conv)));
        let table = self.load_vm_const(b, VMCTX_BUILTINS);
        let fnptr = b.ins().load(
            POINTER_TYPE,
            vm_const(),
            table,
            builtin.table_offset() as i32,
        );
        let mut call_args = Vec::with_capacity(args.len() + 1);
        call_args.push(self.vmctx);
        call_args.extend_from_slice(args);
        let inst = b.ins().call_indirect(sig, fnptr, &call_args);
        b.inst_results(inst).first().copied()
    }
}
