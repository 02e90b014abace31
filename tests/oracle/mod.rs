//! Differential execution: a module compiled by waot and run in-process,
//! against the same module run by the wasmi interpreter.
//!
//! Shared by `tests/differential.rs` (seeded, deterministic, in the normal
//! test run) and the `differential` fuzz target (`fuzz/`), which includes
//! this file with `#[path]`.
//!
//! Both sides instantiate the module (no imports), call every exported
//! function once in export order with deterministic arguments, then read
//! every exported memory, global and table. Results are compared value by
//! value (floats by bits; two NaNs are equal whatever their payloads), traps
//! by class (waot's and wasmi's trap kinds mapped to one list), and the final
//! state byte by byte. A stack overflow on one side only is not a divergence
//! (the two engines have different stack limits); comparison stops there.

#![allow(dead_code)]

use std::sync::Arc;

use arbitrary::Unstructured;

/// Fuel (loop iterations plus calls, for the whole instance) that
/// `ensure_termination` gives every generated module.
pub const FUEL: u32 = 1000;

/// Largest memory (bytes) a generated module may declare or grow to.
pub const MAX_MEMORY_BYTES: u64 = 64 * 65536;

/// wasm-smith's configuration matching what waot compiles: WebAssembly 2.0
/// without SIMD, plus memory64 (64-bit memories and tables, wasmi's
/// `memory64` feature), and no threads, tail calls, GC, exceptions,
/// multi-memory, extended-const, wide arithmetic, custom page sizes.
pub fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        // WebAssembly 2.0 proposals waot supports.
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        multi_value_enabled: true,
        sign_extension_ops_enabled: true,
        saturating_float_to_int_enabled: true,
        // Everything else off.
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        gc_enabled: false,
        exceptions_enabled: false,
        memory64_enabled: true,
        extended_const_enabled: false,
        wide_arithmetic_enabled: false,
        custom_page_sizes_enabled: false,
        custom_descriptors_enabled: false,
        compact_imports_enabled: false,
        max_memories: 1,
        max_tables: 2,
        // Bounded sizes so both engines stay fast.
        max_memory32_bytes: MAX_MEMORY_BYTES,
        max_memory64_bytes: MAX_MEMORY_BYTES as u128,
        memory_max_size_required: true,
        max_table_elements: 1000,
        table_max_size_required: true,
        max_imports: 0,
        export_everything: true,
        canonicalize_nans: true,
        ..wasm_smith::Config::default()
    }
}

/// A module generated from `data` with `smith_config`, termination ensured.
pub fn generate(data: &[u8]) -> arbitrary::Result<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let mut config = smith_config();
    // wasm-smith adds items while the input says "one more", so random
    // input gives mostly tiny modules: ask for a few of each.
    config.min_funcs = u.int_in_range(1..=12)?;
    config.min_memories = u.int_in_range(0..=1)?;
    config.min_globals = u.int_in_range(0..=4)?;
    config.min_tables = u.int_in_range(0..=1)?;
    config.min_element_segments = u.int_in_range(0..=2)?;
    config.min_data_segments = u.int_in_range(0..=2)?;
    config.max_instructions = u.int_in_range(10..=400)?;
    let mut module = wasm_smith::Module::new(config, &mut u)?;
    module
        .ensure_termination(FUEL)
        .map_err(|_| arbitrary::Error::IncorrectFormat)?;
    Ok(module.to_bytes())
}

/// waot's configuration for the host.
pub fn waot_config() -> waot_compiler::Config {
    let mut config = waot_compiler::Config::new(target_lexicon::Triple::host());
    config.symbol_prefix = PREFIX.to_string();
    config.parallel = false;
    config
}

const PREFIX: &str = "diff";

/// Why execution stopped: the two engines' trap kinds mapped onto one list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapClass {
    Unreachable,
    DivideByZero,
    IntegerOverflow,
    BadConversion,
    MemoryOutOfBounds,
    /// Table access out of bounds, including `call_indirect` past the end
    /// (waot: "undefined element").
    TableOutOfBounds,
    /// `call_indirect` of a null entry (waot: "uninitialized element").
    IndirectCallToNull,
    SignatureMismatch,
    StackOverflow,
    NullReference,
    Other(String),
}

/// A value, as compared: references only by null-ness.
#[derive(Clone, Copy, Debug)]
pub enum V {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    /// A reference; `true` when null.
    Ref(bool),
}

impl PartialEq for V {
    fn eq(&self, other: &V) -> bool {
        match (*self, *other) {
            (V::I32(a), V::I32(b)) => a == b,
            (V::I64(a), V::I64(b)) => a == b,
            (V::F32(a), V::F32(b)) => {
                a == b || (f32::from_bits(a).is_nan() && f32::from_bits(b).is_nan())
            }
            (V::F64(a), V::F64(b)) => {
                a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan())
            }
            (V::Ref(a), V::Ref(b)) => a == b,
            _ => false,
        }
    }
}

/// Everything one engine did with a module.
#[derive(Debug, Default)]
pub struct Execution {
    /// `Some` when instantiation (data/elem segments, start) trapped.
    pub instantiation_trap: Option<TrapClass>,
    /// Each exported function's name and outcome, in export order.
    pub calls: Vec<(String, Result<Vec<V>, TrapClass>)>,
    /// Exported memories' final bytes.
    pub memories: Vec<(String, Vec<u8>)>,
    /// Exported globals' final values.
    pub globals: Vec<(String, V)>,
    /// Exported tables' final sizes and null-ness of each element.
    pub tables: Vec<(String, Vec<bool>)>,
}

/// A parameter value for argument `j` of the `k`-th export (deterministic).
fn arg_bits(k: usize, j: usize) -> u64 {
    const POOL: [u64; 12] = [
        0,
        1,
        u64::MAX,
        0x8000_0000,
        0x7fff_ffff,
        0xffff_fffc,
        0x1_0000,
        7,
        0x8000_0000_0000_0000,
        0x3ff0_0000_0000_0000,
        0x4049_0fdb,
        42,
    ];
    POOL[(k * 7 + j * 5) % POOL.len()]
}

/// Runs `wasm` on waot. `Err` is a compile or load failure.
pub fn run_waot(wasm: &[u8]) -> Result<Execution, String> {
    use waot_runtime::{Extern, InstantiateError, Module, Store, Trap, TrapKind, Val, ValType};
    let object =
        waot_compiler::compile(wasm, &waot_config()).map_err(|e| format!("compile: {e}"))?;
    let loaded = waot_runtime::loader::load_object(&object).map_err(|e| format!("load: {e}"))?;
    let symbol = waot_abi::symbols::descriptor_symbol(PREFIX);
    let module =
        Arc::new(Module::from_loaded(loaded, &symbol).map_err(|e| format!("descriptor: {e}"))?);
    let mut store = Store::new();
    let mut ex = Execution::default();
    let class = |t: &Trap| match t.kind {
        TrapKind::Unreachable => TrapClass::Unreachable,
        TrapKind::IntegerDivideByZero => TrapClass::DivideByZero,
        TrapKind::IntegerOverflow => TrapClass::IntegerOverflow,
        TrapKind::BadConversionToInteger => TrapClass::BadConversion,
        TrapKind::MemoryOutOfBounds => TrapClass::MemoryOutOfBounds,
        TrapKind::TableOutOfBounds | TrapKind::UndefinedElement => TrapClass::TableOutOfBounds,
        TrapKind::UninitializedElement => TrapClass::IndirectCallToNull,
        TrapKind::IndirectCallTypeMismatch => TrapClass::SignatureMismatch,
        TrapKind::StackOverflow => TrapClass::StackOverflow,
        TrapKind::NullReference => TrapClass::NullReference,
        other => TrapClass::Other(format!("{other:?}")),
    };
    let inst = match store.instantiate(&module, &[]) {
        Ok(i) => i,
        Err(InstantiateError::Trap(t)) => {
            ex.instantiation_trap = Some(class(&t));
            return Ok(ex);
        }
        Err(e) => return Err(format!("instantiate: {e:?}")),
    };
    let to_v = |v: &Val| match *v {
        Val::I32(x) => V::I32(x),
        Val::I64(x) => V::I64(x),
        Val::F32(x) => V::F32(x),
        Val::F64(x) => V::F64(x),
        Val::FuncRef(r) => V::Ref(r.is_none()),
        Val::ExternRef(r) => V::Ref(r.is_none()),
        Val::AnyRef(r) => V::Ref(r.is_none()),
        Val::V128(_) => V::Ref(false),
    };
    let exports = store.exports(inst);
    for (k, (name, ext)) in exports.iter().enumerate() {
        let Extern::Func(f) = *ext else { continue };
        let ty = store.func_type(f);
        let args: Vec<Val> = ty
            .params
            .iter()
            .enumerate()
            .map(|(j, t)| {
                let b = arg_bits(k, j);
                match t {
                    ValType::I32 => Val::I32(b as i32),
                    ValType::I64 => Val::I64(b as i64),
                    ValType::F32 => Val::F32(b as u32),
                    ValType::F64 => Val::F64(b),
                    // Null (a non-null typed parameter makes the call fail
                    // its argument check, the same for every build).
                    ValType::FuncRef | ValType::ExternRef | ValType::Ref(_) => Val::default_for(*t),
                    ValType::V128 => Val::V128(u128::from(b)),
                }
            })
            .collect();
        let r = store
            .call(f, &args)
            .map(|vals| vals.iter().map(to_v).collect())
            .map_err(|t| class(&t));
        ex.calls.push((name.clone(), r));
    }
    for (name, ext) in &exports {
        match *ext {
            Extern::Memory(m) => ex
                .memories
                .push((name.clone(), store.memory_data(m).to_vec())),
            Extern::Global(g) => ex.globals.push((name.clone(), to_v(&store.global_get(g)))),
            Extern::Table(t) => {
                let size = store.table_size(t);
                let nulls = (0..size)
                    .map(|i| store.table_get(t, i).map(|v| to_v(&v)) == Some(V::Ref(true)))
                    .collect();
                ex.tables.push((name.clone(), nulls));
            }
            Extern::Func(_) | Extern::Tag(_) => {}
        }
    }
    Ok(ex)
}

/// Start of [`run_wasmi`]'s error when wasmi itself panicked.
pub const ORACLE_PANIC: &str = "wasmi panicked";

/// Runs `wasm` on wasmi. `Err` is a compile (validation) failure, or
/// [`ORACLE_PANIC`] when wasmi panicked (a bug of the oracle, e.g. an
/// `unreachable!` in its translator: the fuzzer found one for an
/// `i32.store16` form), which leaves nothing to compare against.
pub fn run_wasmi(wasm: &[u8]) -> Result<Execution, String> {
    // The fuzz target's panic hook aborts the process; keep it (and the
    // default hook's message) out of the way while wasmi runs.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(|| run_wasmi_unguarded(wasm));
    std::panic::set_hook(hook);
    result.unwrap_or_else(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format!("{ORACLE_PANIC}: {why}"))
    })
}

fn run_wasmi_unguarded(wasm: &[u8]) -> Result<Execution, String> {
    use wasmi::{Engine, Extern, Linker, Module, Nullable, Ref, Store, TrapCode, Val, ValType};
    let mut config = wasmi::Config::default();
    config.set_max_recursion_depth(100_000);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wasm).map_err(|e| format!("wasmi compile: {e}"))?;
    let mut store = Store::new(&engine, ());
    let linker = Linker::<()>::new(&engine);
    let class = |e: &wasmi::Error| match e.as_trap_code() {
        Some(TrapCode::UnreachableCodeReached) => TrapClass::Unreachable,
        Some(TrapCode::IntegerDivisionByZero) => TrapClass::DivideByZero,
        Some(TrapCode::IntegerOverflow) => TrapClass::IntegerOverflow,
        Some(TrapCode::BadConversionToInteger) => TrapClass::BadConversion,
        Some(TrapCode::MemoryOutOfBounds) => TrapClass::MemoryOutOfBounds,
        Some(TrapCode::TableOutOfBounds) => TrapClass::TableOutOfBounds,
        Some(TrapCode::IndirectCallToNull) => TrapClass::IndirectCallToNull,
        Some(TrapCode::BadSignature) => TrapClass::SignatureMismatch,
        Some(TrapCode::StackOverflow) => TrapClass::StackOverflow,
        _ => TrapClass::Other(e.to_string()),
    };
    let mut ex = Execution::default();
    let inst = match linker.instantiate_and_start(&mut store, &module) {
        Ok(i) => i,
        Err(e) if e.as_trap_code().is_some() => {
            ex.instantiation_trap = Some(class(&e));
            return Ok(ex);
        }
        // wasmi reports segments out of bounds as instantiation errors, not traps.
        Err(e) if e.to_string().contains("out of bounds table access") => {
            ex.instantiation_trap = Some(TrapClass::TableOutOfBounds);
            return Ok(ex);
        }
        Err(e) if e.to_string().contains("out of bounds memory access") => {
            ex.instantiation_trap = Some(TrapClass::MemoryOutOfBounds);
            return Ok(ex);
        }
        Err(e) => return Err(format!("wasmi instantiate: {e}")),
    };
    fn to_v(v: &Val) -> V {
        match v {
            Val::I32(x) => V::I32(*x),
            Val::I64(x) => V::I64(*x),
            Val::F32(x) => V::F32(x.to_bits()),
            Val::F64(x) => V::F64(x.to_bits()),
            Val::FuncRef(r) => V::Ref(r.is_null()),
            Val::ExternRef(r) => V::Ref(r.is_null()),
            #[allow(unreachable_patterns)]
            _ => V::Ref(false),
        }
    }
    // wasmi does not keep the export order (waot does): read the module's.
    let names = export_names(wasm);
    for (k, name) in names.iter().enumerate() {
        let Some(Extern::Func(f)) = inst.get_export(&store, name) else {
            continue;
        };
        let ty = f.ty(&store);
        let args: Vec<Val> = ty
            .params()
            .iter()
            .enumerate()
            .map(|(j, t)| {
                let b = arg_bits(k, j);
                match t {
                    ValType::I32 => Val::I32(b as i32),
                    ValType::I64 => Val::I64(b as i64),
                    ValType::F32 => Val::F32(wasmi::F32::from_bits(b as u32)),
                    ValType::F64 => Val::F64(wasmi::F64::from_bits(b)),
                    ValType::FuncRef => Val::FuncRef(Nullable::Null),
                    ValType::ExternRef => Val::ExternRef(Nullable::Null),
                    #[allow(unreachable_patterns)]
                    _ => Val::I32(0),
                }
            })
            .collect();
        let mut results: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        let r = f
            .call(&mut store, &args, &mut results)
            .map(|()| results.iter().map(to_v).collect())
            .map_err(|e| class(&e));
        ex.calls.push((name.clone(), r));
    }
    for name in &names {
        match inst.get_export(&store, name) {
            Some(Extern::Memory(m)) => ex.memories.push((name.clone(), m.data(&store).to_vec())),
            Some(Extern::Global(g)) => ex.globals.push((name.clone(), to_v(&g.get(&store)))),
            Some(Extern::Table(t)) => {
                let size = t.size(&store);
                let nulls = (0..size)
                    .map(|i| match t.get(&store, i) {
                        Some(Ref::Func(f)) => f.is_null(),
                        Some(Ref::Extern(e)) => e.is_null(),
                        None => false,
                    })
                    .collect();
                ex.tables.push((name.clone(), nulls));
            }
            _ => {}
        }
    }
    Ok(ex)
}

/// The module's export names, in the module's order.
fn export_names(wasm: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::ExportSection(reader)) = payload {
            names.extend(reader.into_iter().flatten().map(|e| e.name.to_string()));
        }
    }
    names
}

/// How a comparison ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Everything matched.
    Same,
    /// One side overflowed its stack and the other did not: compared up to there.
    StackLimitsDiffer,
    /// wasmi panicked on the module ([`ORACLE_PANIC`]): nothing was compared.
    OracleFailed,
}

/// Compares two executions; `Err` describes the first divergence.
pub fn compare(waot: &Execution, wasmi: &Execution) -> Result<Verdict, String> {
    if waot.instantiation_trap != wasmi.instantiation_trap {
        return Err(format!(
            "instantiation: waot {:?}, wasmi {:?}",
            waot.instantiation_trap, wasmi.instantiation_trap
        ));
    }
    if waot.calls.len() != wasmi.calls.len() {
        return Err(format!(
            "{} calls vs {}",
            waot.calls.len(),
            wasmi.calls.len()
        ));
    }
    for ((name, a), (_, b)) in waot.calls.iter().zip(&wasmi.calls) {
        if a != b {
            let so = Err(TrapClass::StackOverflow);
            if *a == so || *b == so {
                return Ok(Verdict::StackLimitsDiffer);
            }
            return Err(format!("export \"{name}\": waot {a:?}, wasmi {b:?}"));
        }
    }
    if waot.globals != wasmi.globals {
        return Err(format!(
            "globals: waot {:?}, wasmi {:?}",
            waot.globals, wasmi.globals
        ));
    }
    for ((name, a), (_, b)) in waot.memories.iter().zip(&wasmi.memories) {
        if a.len() != b.len() {
            return Err(format!(
                "memory \"{name}\": waot {} bytes, wasmi {}",
                a.len(),
                b.len()
            ));
        }
        if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
            return Err(format!(
                "memory \"{name}\" byte {i:#x}: waot {:#04x}, wasmi {:#04x}",
                a[i], b[i]
            ));
        }
    }
    if waot.memories.len() != wasmi.memories.len() {
        return Err("different exported memories".into());
    }
    if waot.tables != wasmi.tables {
        return Err(format!(
            "tables: waot {:?}, wasmi {:?}",
            waot.tables, wasmi.tables
        ));
    }
    Ok(Verdict::Same)
}

/// Runs `wasm` on both engines and compares. `Err` is a divergence, or a
/// module one engine could not compile.
pub fn check(wasm: &[u8]) -> Result<Verdict, String> {
    let b = match run_wasmi(wasm) {
        Err(e) if e.starts_with(ORACLE_PANIC) => return Ok(Verdict::OracleFailed),
        b => b?,
    };
    let a = run_waot(wasm)?;
    compare(&a, &b)
}
