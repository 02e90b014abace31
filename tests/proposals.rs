//! Proposals that are off by default and enabled per module (`-W NAME`):
//!
//! - wide-arithmetic: `i64.add128`, `i64.sub128`, `i64.mul_wide_s` and
//!   `i64.mul_wide_u` against Rust's `i128`/`u128` arithmetic on edge values;
//! - custom-page-sizes: a memory with 1-byte pages grown byte by byte
//!   across OS page boundaries, where no guard page can catch an access
//!   past its end, is accessible exactly up to its length and traps one
//!   byte beyond; its page size must match on import.

use std::sync::Arc;

use waot_runtime::{Extern, Func, Instance, Module, Store, Trap, TrapKind, Val};
use wasmparser::WasmFeatures;

fn compile(wat: &str, prefix: &str, feature: WasmFeatures) -> Arc<Module> {
    let wasm = wat::parse_str(wat).expect("test module parses");
    let mut config = waot_compiler::Config::new(target_lexicon::Triple::host());
    config.features |= feature;
    config.symbol_prefix = prefix.to_string();
    let object = waot_compiler::compile(&wasm, &config).expect("compiles");
    let loaded = waot_runtime::loader::load_object(&object).expect("loads");
    let symbol = waot_abi::symbols::descriptor_symbol(prefix);
    Arc::new(Module::from_loaded(loaded, &symbol).expect("descriptor"))
}

fn func(store: &Store, inst: Instance, name: &str) -> Func {
    match store.get_export(inst, name) {
        Some(Extern::Func(f)) => f,
        _ => panic!("no exported function {name}"),
    }
}

fn call(store: &mut Store, inst: Instance, name: &str, args: &[Val]) -> Result<Vec<Val>, Trap> {
    let f = func(store, inst, name);
    store.call(f, args)
}

const WIDE: &str = r#"(module
  (func (export "add128") (param i64 i64 i64 i64) (result i64 i64)
    (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "sub128") (param i64 i64 i64 i64) (result i64 i64)
    (i64.sub128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "mul_wide_s") (param i64 i64) (result i64 i64)
    (i64.mul_wide_s (local.get 0) (local.get 1)))
  (func (export "mul_wide_u") (param i64 i64) (result i64 i64)
    (i64.mul_wide_u (local.get 0) (local.get 1))))"#;

/// Values around every carry and sign edge of an `i64` half.
const EDGES: [u64; 12] = [
    0,
    1,
    2,
    0x7fff_ffff,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    0x8000_0000_0000_0001,
    0xdead_beef_cafe_f00d,
    u64::MAX - 1,
    u64::MAX,
];

/// The `(low, high)` halves a wide operator returns, as one `u128`.
fn joined(results: &[Val]) -> u128 {
    match results {
        [Val::I64(lo), Val::I64(hi)] => u128::from(*lo as u64) | (u128::from(*hi as u64) << 64),
        other => panic!("expected two i64 results, got {other:?}"),
    }
}

fn halves(v: u128) -> [Val; 2] {
    [Val::I64(v as u64 as i64), Val::I64((v >> 64) as u64 as i64)]
}

#[test]
fn wide_arithmetic_matches_i128() {
    let module = compile(WIDE, "wide", WasmFeatures::WIDE_ARITHMETIC);
    let mut s = Store::new();
    let i = s.instantiate(&module, &[]).expect("instantiates");
    for &a in &EDGES {
        for &b in &EDGES {
            let args = [Val::I64(a as i64), Val::I64(b as i64)];
            let signed = i128::from(a as i64) * i128::from(b as i64);
            let got = joined(&call(&mut s, i, "mul_wide_s", &args).unwrap());
            assert_eq!(got, signed as u128, "mul_wide_s {a:#x} {b:#x}");
            let unsigned = u128::from(a) * u128::from(b);
            let got = joined(&call(&mut s, i, "mul_wide_u", &args).unwrap());
            assert_eq!(got, unsigned, "mul_wide_u {a:#x} {b:#x}");

            // 128-bit operands built from pairs of edges: every carry and
            // borrow between the halves, and wrapping at 2^128.
            let x = u128::from(a) | (u128::from(b) << 64);
            let y = u128::from(b) | (u128::from(a) << 64);
            let args: Vec<Val> = halves(x).into_iter().chain(halves(y)).collect();
            let got = joined(&call(&mut s, i, "add128", &args).unwrap());
            assert_eq!(got, x.wrapping_add(y), "add128 {x:#x} {y:#x}");
            let got = joined(&call(&mut s, i, "sub128", &args).unwrap());
            assert_eq!(got, x.wrapping_sub(y), "sub128 {x:#x} {y:#x}");
        }
    }
}

#[test]
fn wide_arithmetic_is_off_by_default() {
    let wasm = wat::parse_str(WIDE).expect("test module parses");
    let config = waot_compiler::Config::new(target_lexicon::Triple::host());
    let err = waot_compiler::compile(&wasm, &config).expect_err("needs -W wide-arithmetic");
    assert!(err.to_string().contains("wide arithmetic"), "{err}");
}

const SMALL_PAGES: &str = r#"(module
  (memory (export "mem") 0 (pagesize 1))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load64_off") (param i32) (result i64)
    (i64.load offset=0xfffffff8 (local.get 0)))
  (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (i32.const 7) (local.get 1))))"#;

fn assert_oob(r: Result<Vec<Val>, Trap>, what: &str) {
    match r {
        Err(t) if t.kind == TrapKind::MemoryOutOfBounds => {}
        other => panic!("{what}: expected out of bounds memory access, got {other:?}"),
    }
}

fn i32s(v: &[i32]) -> Vec<Val> {
    v.iter().map(|&x| Val::I32(x)).collect()
}

#[test]
fn one_byte_pages_grow_byte_by_byte_and_trap_at_the_exact_end() {
    let module = compile(SMALL_PAGES, "small", WasmFeatures::CUSTOM_PAGE_SIZES);
    let mut s = Store::new();
    let i = s.instantiate(&module, &[]).expect("instantiates");
    assert_oob(call(&mut s, i, "load8", &i32s(&[0])), "empty memory");
    // Past two 4 KiB OS pages, one byte at a time: the end is almost never
    // page-aligned, so only the explicit check can stop the access.
    for len in 1..=8200 {
        assert_eq!(
            call(&mut s, i, "grow", &i32s(&[1])).unwrap(),
            i32s(&[len - 1])
        );
        assert_eq!(call(&mut s, i, "size", &[]).unwrap(), i32s(&[len]));
        let last = len - 1;
        call(&mut s, i, "store8", &i32s(&[last, last & 0xff])).unwrap();
        assert_eq!(
            call(&mut s, i, "load8", &i32s(&[last])).unwrap(),
            i32s(&[last & 0xff]),
            "byte {last}"
        );
        assert_oob(call(&mut s, i, "load8", &i32s(&[len])), "one past the end");
        if len >= 4 {
            call(&mut s, i, "load32", &i32s(&[len - 4])).unwrap();
        }
        // Straddling the end: the first bytes are inside.
        assert_oob(call(&mut s, i, "load32", &i32s(&[len - 3])), "straddling");
    }
    assert_oob(call(&mut s, i, "load64_off", &i32s(&[8])), "huge offset");
    call(&mut s, i, "fill", &i32s(&[8190, 10])).unwrap();
    assert_oob(
        call(&mut s, i, "fill", &i32s(&[8191, 10])),
        "fill past the end",
    );
    let Some(Extern::Memory(mem)) = s.get_export(i, "mem") else {
        panic!("no exported memory")
    };
    assert_eq!(s.memory_type(mem).min_pages, 8200);
    assert_eq!(s.memory_type(mem).page_size(), 1);
}

#[test]
fn one_byte_pages_stop_below_4_gib_and_must_match_on_import() {
    let exporter = compile(
        r#"(module (memory (export "small") 3 (pagesize 1)) (memory (export "large") 1))"#,
        "exporter",
        WasmFeatures::CUSTOM_PAGE_SIZES | WasmFeatures::MULTI_MEMORY,
    );
    let mut s = Store::new();
    let e = s.instantiate(&exporter, &[]).expect("instantiates");
    let export = |s: &Store, name| match s.get_export(e, name) {
        Some(x @ Extern::Memory(_)) => x,
        _ => panic!("no exported memory {name}"),
    };
    let importer = compile(
        r#"(module (import "m" "mem" (memory 2 (pagesize 1)))
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
        "importer",
        WasmFeatures::CUSTOM_PAGE_SIZES,
    );
    let small = export(&s, "small");
    let i = s
        .instantiate(&importer, &[small])
        .expect("same page size links");
    // 3 bytes + 2^32 - 4 bytes is the 32-bit limit of 2^32 - 1 pages; the
    // memory grows lazily (only the reservation), so this is cheap.
    assert_eq!(
        call(&mut s, i, "grow", &i32s(&[-3])).unwrap(),
        i32s(&[-1]),
        "2^32 bytes is one too many"
    );
    assert_eq!(call(&mut s, i, "grow", &i32s(&[-4])).unwrap(), i32s(&[3]));
    let large = export(&s, "large");
    let err = s
        .instantiate(&importer, &[large])
        .expect_err("64 KiB pages do not match 1-byte pages");
    assert!(err.to_string().contains("mismatch"), "{err}");
}
