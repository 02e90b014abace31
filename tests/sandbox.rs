//! Sandbox tests: compiled code touches only what the module was given.
//!
//! Linear memory is a reservation of 8 GiB + 64 KiB with only
//! `[0, memory size)` accessible; every out-of-bounds access must fault in
//! the guard region and trap, at every edge: the last bytes, accesses
//! straddling the end, offsets near 2^32, address + offset past 2^32, after
//! growing to the maximum. A 64-bit memory has no guard; its explicit
//! checks are tested at the same edges and at offsets and addresses up to
//! 2^64 - 1. `call_indirect` must check signatures.

use std::sync::Arc;

use waot_runtime::{Extern, Func, Instance, Module, Store, Trap, TrapKind, Val};

fn compile(wat: &str, prefix: &str) -> Arc<Module> {
    let wasm = wat::parse_str(wat).expect("test module parses");
    let mut config = waot_compiler::Config::new(target_lexicon::Triple::host());
    config.symbol_prefix = prefix.to_string();
    let object = waot_compiler::compile(&wasm, &config).expect("compiles");
    let loaded = waot_runtime::loader::load_object(&object).expect("loads");
    let symbol = waot_abi::symbols::descriptor_symbol(prefix);
    Arc::new(Module::from_loaded(loaded, &symbol).expect("descriptor"))
}

fn instantiate(wat: &str) -> (Store, Instance) {
    let module = compile(wat, "sandbox");
    let mut store = Store::new();
    let inst = store.instantiate(&module, &[]).expect("instantiates");
    (store, inst)
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

fn i32s(v: &[i32]) -> Vec<Val> {
    v.iter().map(|&x| Val::I32(x)).collect()
}

fn assert_oob(r: Result<Vec<Val>, Trap>, what: &str) -> Trap {
    match r {
        Err(t) if t.kind == TrapKind::MemoryOutOfBounds => t,
        other => panic!("{what}: expected out of bounds memory access, got {other:?}"),
    }
}

const EDGES: &str = r#"(module
  (memory (export "mem") 1 3)
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  ;; Largest static offset: any non-zero address overflows 32 bits.
  (func (export "load8_off_max") (param i32) (result i32)
    (i32.load8_u offset=0xffffffff (local.get 0)))
  (func (export "load64_off_max") (param i32) (result i64)
    (i64.load offset=0xffffffff (local.get 0)))
  (func (export "store32_off") (param i32 i32) (i32.store offset=0xfffffff8 (local.get 0) (local.get 1)))
  (func (export "load32_off") (param i32) (result i32) (i32.load offset=0xfffffff8 (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))"#;

#[test]
fn last_bytes_of_memory_are_accessible_and_one_past_traps() {
    let (mut s, i) = instantiate(EDGES);
    let end = 65536;
    call(&mut s, i, "store32", &i32s(&[end - 4, 0x1234_5678])).unwrap();
    assert_eq!(
        call(&mut s, i, "load32", &i32s(&[end - 4])).unwrap(),
        i32s(&[0x1234_5678])
    );
    assert_eq!(
        call(&mut s, i, "load8", &i32s(&[end - 1])).unwrap(),
        i32s(&[0x12])
    );
    assert_oob(call(&mut s, i, "load8", &i32s(&[end])), "load8 at end");
    for straddle in 1..4 {
        let t = assert_oob(
            call(&mut s, i, "load32", &i32s(&[end - 4 + straddle])),
            "straddle",
        );
        let access = t.memory_access.expect("trap reports the access");
        assert_eq!(access.memory_bytes, end as u64);
    }
    assert_oob(
        call(&mut s, i, "load64", &i32s(&[end - 7])),
        "load64 straddling",
    );
    // Address -1 is 0xffffffff, never "one byte below the base".
    let t = assert_oob(call(&mut s, i, "load8", &i32s(&[-1])), "load8 at -1");
    assert_eq!(t.memory_access.map(|a| a.address), Some(0xffff_ffff));
}

#[test]
fn straddling_store_traps_without_writing() {
    let (mut s, i) = instantiate(EDGES);
    call(&mut s, i, "store8", &i32s(&[65534, 0x11])).unwrap();
    call(&mut s, i, "store8", &i32s(&[65535, 0x22])).unwrap();
    assert_oob(
        call(&mut s, i, "store32", &i32s(&[65534, -1])),
        "straddling store",
    );
    let Some(Extern::Memory(m)) = s.get_export(i, "mem") else {
        panic!()
    };
    let data = s.memory_data(m);
    // x86_64 checks the whole store before writing any of it. (On aarch64
    // the architecture allows the in-bounds part to be written first.)
    if cfg!(target_arch = "x86_64") {
        assert_eq!(&data[65534..], &[0x11, 0x22]);
    }
}

#[test]
fn address_plus_offset_overflowing_32_bits_traps() {
    let (mut s, i) = instantiate(EDGES);
    // offset 0xffffffff with address 0 is 4 GiB - 1: out of a 64 KiB memory.
    assert_oob(call(&mut s, i, "load8_off_max", &i32s(&[0])), "offset max");
    // address 0xffffffff + offset 0xffffffff = 0x1_ffff_fffe: must not wrap.
    let t = assert_oob(call(&mut s, i, "load8_off_max", &i32s(&[-1])), "both max");
    assert_eq!(t.memory_access.map(|a| a.address), Some(0x1_ffff_fffe));
    // 8-byte access at the largest effective address: the last byte is
    // 0x2_0000_0005, still inside the guard region.
    assert_oob(
        call(&mut s, i, "load64_off_max", &i32s(&[-1])),
        "widest at max",
    );
    // 0x10 + 0xfffffff8 = 0x1_0000_0008: a wrapping implementation would
    // write address 8.
    assert_oob(
        call(&mut s, i, "store32_off", &i32s(&[0x10, 0x7777_7777])),
        "store wrap",
    );
    assert_oob(call(&mut s, i, "load32_off", &i32s(&[0x10])), "load wrap");
    assert_eq!(call(&mut s, i, "load32", &i32s(&[8])).unwrap(), i32s(&[0]));
    // The in-bounds use of the same instruction works: 8 + 0xfffffff8 wraps
    // in 32 bits only, so it is 0x1_0000_0000 in wasm: out of bounds too.
    assert_oob(call(&mut s, i, "load32_off", &i32s(&[8])), "exactly 4 GiB");
}

#[test]
fn grow_to_maximum_then_access() {
    let (mut s, i) = instantiate(EDGES);
    assert_eq!(call(&mut s, i, "grow", &i32s(&[2])).unwrap(), i32s(&[1]));
    assert_eq!(call(&mut s, i, "size", &[]).unwrap(), i32s(&[3]));
    let end = 3 * 65536;
    call(&mut s, i, "store8", &i32s(&[end - 1, 9])).unwrap();
    assert_eq!(
        call(&mut s, i, "load8", &i32s(&[end - 1])).unwrap(),
        i32s(&[9])
    );
    assert_oob(
        call(&mut s, i, "load8", &i32s(&[end])),
        "one past the grown end",
    );
    // Past the declared maximum: -1, and the memory is unchanged.
    assert_eq!(call(&mut s, i, "grow", &i32s(&[1])).unwrap(), i32s(&[-1]));
    assert_oob(
        call(&mut s, i, "load8", &i32s(&[end])),
        "still one past the end",
    );
}

#[test]
fn grow_to_4_gib_then_access_the_last_byte() {
    let (mut s, i) = instantiate(
        r#"(module
          (memory 0)
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
          (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
          (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
          (func (export "load8_off") (param i32) (result i32) (i32.load8_u offset=1 (local.get 0))))"#,
    );
    assert_oob(call(&mut s, i, "load8", &i32s(&[0])), "empty memory");
    assert_eq!(
        call(&mut s, i, "grow", &i32s(&[65536])).unwrap(),
        i32s(&[0])
    );
    call(&mut s, i, "store8", &i32s(&[-1, 0xab])).unwrap();
    assert_eq!(
        call(&mut s, i, "load8", &i32s(&[-1])).unwrap(),
        i32s(&[0xab])
    );
    assert_oob(
        call(&mut s, i, "load32", &i32s(&[-3])),
        "4 bytes over 4 GiB",
    );
    let t = assert_oob(
        call(&mut s, i, "load8_off", &i32s(&[-1])),
        "offset past 4 GiB",
    );
    assert_eq!(t.memory_access.map(|a| a.address), Some(1 << 32));
    assert_eq!(call(&mut s, i, "grow", &i32s(&[1])).unwrap(), i32s(&[-1]));
}

/// Two instances in one store: out-of-bounds accesses of one never see the
/// other's memory (or anything else of the host): each access up to the
/// largest effective address traps.
#[test]
fn out_of_bounds_never_reaches_another_memory() {
    let wat = r#"(module
      (memory (export "mem") 1)
      (func (export "fill") (memory.fill (i32.const 0) (i32.const 0x5a) (i32.const 65536)))
      (func (export "load8_off") (param i32) (result i32)
        (i32.load8_u offset=0xffff0000 (local.get 0)))
      (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))"#;
    let module = compile(wat, "sandbox");
    let mut s = Store::new();
    let a = s.instantiate(&module, &[]).unwrap();
    let b = s.instantiate(&module, &[]).unwrap();
    call(&mut s, a, "fill", &[]).unwrap();
    // Sample the whole 8 GiB effective range of `b`, 64 KiB apart and at
    // page edges; none may read `a`'s 0x5a bytes or anything else.
    for addr in (65536u64..=u32::MAX as u64)
        .step_by(0x0100_0000)
        .chain([65536, 0xffff_ffff])
    {
        assert_oob(
            call(&mut s, b, "load8", &i32s(&[addr as u32 as i32])),
            "b reads past its end",
        );
        assert_oob(
            call(&mut s, b, "load8_off", &i32s(&[addr as u32 as i32])),
            "b with offset",
        );
    }
    assert_eq!(call(&mut s, b, "load8", &i32s(&[0])).unwrap(), i32s(&[0]));
    assert_eq!(
        call(&mut s, a, "load8", &i32s(&[0])).unwrap(),
        i32s(&[0x5a])
    );
}

#[test]
fn call_indirect_type_confusion_traps() {
    let (mut s, i) = instantiate(
        r#"(module
          (type $ii (func (param i32) (result i32)))
          (type $l (func (result i64)))
          (type $ff (func (param f32) (result f32)))
          (table 4 funcref)
          (elem (i32.const 0) $id $i64 $fid)
          (func $id (type $ii) (local.get 0))
          (func $i64 (type $l) (i64.const -1))
          (func $fid (type $ff) (local.get 0))
          (func (export "call_ii") (param i32 i32) (result i32)
            (call_indirect (type $ii) (local.get 0) (local.get 1))))"#,
    );
    assert_eq!(
        call(&mut s, i, "call_ii", &i32s(&[7, 0])).unwrap(),
        i32s(&[7])
    );
    for (index, kind) in [
        (1, TrapKind::IndirectCallTypeMismatch), // () -> i64
        (2, TrapKind::IndirectCallTypeMismatch), // same arity, f32 instead of i32
        (3, TrapKind::UninitializedElement),
        (4, TrapKind::UndefinedElement),
        (-1, TrapKind::UndefinedElement),
    ] {
        let t = call(&mut s, i, "call_ii", &i32s(&[7, index])).unwrap_err();
        assert_eq!(t.kind, kind, "index {index}");
    }
}

/// Signatures are compared structurally across modules: a table shared by
/// two modules with different type indices calls what matches and traps on
/// what does not.
#[test]
fn call_indirect_across_modules_checks_canonical_signatures() {
    let a = compile(
        r#"(module
          (type $pad (func (param i64 i64)))
          (type $ii (func (param i32) (result i32)))
          (table (export "t") 2 funcref)
          (elem (i32.const 0) $double $pad)
          (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
          (func $pad (type $pad)))"#,
        "sandbox_a",
    );
    let b = compile(
        r#"(module
          (type $ii (func (param i32) (result i32)))
          (import "a" "t" (table 2 funcref))
          (func (export "call") (param i32 i32) (result i32)
            (call_indirect (type $ii) (local.get 0) (local.get 1))))"#,
        "sandbox_b",
    );
    let mut s = Store::new();
    let ia = s.instantiate(&a, &[]).unwrap();
    let Some(t) = s.get_export(ia, "t") else {
        panic!()
    };
    let ib = s.instantiate(&b, &[t]).unwrap();
    assert_eq!(
        call(&mut s, ib, "call", &i32s(&[21, 0])).unwrap(),
        i32s(&[42])
    );
    let trap = call(&mut s, ib, "call", &i32s(&[21, 1])).unwrap_err();
    assert_eq!(trap.kind, TrapKind::IndirectCallTypeMismatch);
}

/// Separate stores on separate threads run, trap and grow independently.
#[test]
fn instances_on_many_threads_are_independent() {
    let module = compile(EDGES, "sandbox_mt");
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let module = module.clone();
            std::thread::spawn(move || {
                let mut s = Store::new();
                let i = s.instantiate(&module, &[]).unwrap();
                for round in 0..50 {
                    let v = t * 1000 + round;
                    call(&mut s, i, "store32", &i32s(&[0, v])).unwrap();
                    assert_oob(
                        call(&mut s, i, "load32", &i32s(&[65533])),
                        "per-thread trap",
                    );
                    assert_eq!(call(&mut s, i, "load32", &i32s(&[0])).unwrap(), i32s(&[v]));
                }
                assert_eq!(
                    call(&mut s, i, "grow", &i32s(&[t % 3])).unwrap(),
                    i32s(&[1])
                );
                assert_eq!(call(&mut s, i, "size", &[]).unwrap(), i32s(&[1 + t % 3]));
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread ran clean");
    }
}

const EDGES64: &str = r#"(module
  (memory (export "mem") i64 1 3)
  (memory $m32 1)
  (func (export "load32") (param i64) (result i32) (i32.load (local.get 0)))
  (func (export "load8") (param i64) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store32") (param i64 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "store8") (param i64 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "v128_load_lane0") (param i64) (result i64)
    (i64x2.extract_lane 0 (v128.load (local.get 0))))
  ;; Static offsets past 32 bits and up to 2^64 - 1.
  (func (export "load8_off_max") (param i64) (result i32)
    (i32.load8_u offset=0xffff_ffff_ffff_ffff (local.get 0)))
  (func (export "load64_off_big") (param i64) (result i64)
    (i64.load offset=0xffff_ffff_ffff_fff8 (local.get 0)))
  (func (export "load8_off_4g") (param i64) (result i32)
    (i32.load8_u offset=0x1_0000_0000 (local.get 0)))
  (func (export "fill") (param i64 i64) (memory.fill (local.get 0) (i32.const 7) (local.get 1)))
  (func (export "copy_to32") (param i32 i64 i32) (memory.copy $m32 0 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "size") (result i64) (memory.size)))"#;

fn i64s(v: &[i64]) -> Vec<Val> {
    v.iter().map(|&x| Val::I64(x)).collect()
}

#[test]
fn memory64_accesses_are_checked_at_every_edge() {
    let (mut s, i) = instantiate(EDGES64);
    let end = 65536;
    call(
        &mut s,
        i,
        "store32",
        &[Val::I64(end - 4), Val::I32(0x1234_5678)],
    )
    .unwrap();
    assert_eq!(
        call(&mut s, i, "load32", &i64s(&[end - 4])).unwrap(),
        i32s(&[0x1234_5678])
    );
    assert_oob(call(&mut s, i, "load32", &i64s(&[end - 3])), "straddling");
    assert_oob(call(&mut s, i, "load8", &i64s(&[end])), "one past");
    assert_oob(
        call(&mut s, i, "v128_load_lane0", &i64s(&[end - 15])),
        "v128",
    );
    // Addresses a 32-bit memory could not express: 4 GiB, 2^63, 2^64 - 1.
    for addr in [1 << 32, i64::MIN, -1] {
        assert_oob(call(&mut s, i, "load8", &i64s(&[addr])), "huge address");
    }
    // address + offset wrapping 64 bits must not come back in bounds.
    assert_oob(call(&mut s, i, "load8_off_max", &i64s(&[0])), "offset max");
    assert_oob(call(&mut s, i, "load8_off_max", &i64s(&[1])), "wraps to 0");
    assert_oob(call(&mut s, i, "load64_off_big", &i64s(&[8])), "wraps to 0");
    assert_oob(
        call(&mut s, i, "load64_off_big", &i64s(&[16])),
        "wraps to 8",
    );
    assert_oob(call(&mut s, i, "load8_off_4g", &i64s(&[0])), "4 GiB offset");
    // A straddling store writes nothing (checked before the access).
    call(&mut s, i, "store8", &[Val::I64(end - 2), Val::I32(0x11)]).unwrap();
    call(&mut s, i, "store8", &[Val::I64(end - 1), Val::I32(0x22)]).unwrap();
    assert_oob(
        call(&mut s, i, "store32", &[Val::I64(end - 2), Val::I32(-1)]),
        "straddling store",
    );
    assert_eq!(
        call(&mut s, i, "load8", &i64s(&[end - 2])).unwrap(),
        i32s(&[0x11])
    );
    assert_eq!(
        call(&mut s, i, "load8", &i64s(&[end - 1])).unwrap(),
        i32s(&[0x22])
    );
}

#[test]
fn memory64_grow_and_bulk_operations() {
    let (mut s, i) = instantiate(EDGES64);
    assert_eq!(call(&mut s, i, "grow", &i64s(&[2])).unwrap(), i64s(&[1]));
    assert_eq!(call(&mut s, i, "size", &[]).unwrap(), i64s(&[3]));
    let end = 3 * 65536;
    call(&mut s, i, "store8", &[Val::I64(end - 1), Val::I32(9)]).unwrap();
    assert_oob(call(&mut s, i, "load8", &i64s(&[end])), "past grown end");
    // Past the maximum, and deltas no memory can reach: -1.
    for delta in [1, 1 << 48, -1] {
        assert_eq!(
            call(&mut s, i, "grow", &i64s(&[delta])).unwrap(),
            i64s(&[-1])
        );
    }
    // Bulk operations take i64 operands and check them without wrapping.
    call(&mut s, i, "fill", &i64s(&[end - 4, 4])).unwrap();
    assert_eq!(
        call(&mut s, i, "load32", &i64s(&[end - 4])).unwrap(),
        i32s(&[0x0707_0707])
    );
    assert_oob(call(&mut s, i, "fill", &i64s(&[end - 4, 5])), "fill past");
    assert_oob(call(&mut s, i, "fill", &i64s(&[-1, 2])), "fill wraps");
    // memory.copy from the 64-bit memory into the 32-bit one: the source
    // address is i64, the length i32 (the smaller address type).
    let copy = |s: &mut Store, dst: i32, src: i64, len: i32| {
        call(
            s,
            i,
            "copy_to32",
            &[Val::I32(dst), Val::I64(src), Val::I32(len)],
        )
    };
    copy(&mut s, 0, end - 4, 4).unwrap();
    assert_oob(copy(&mut s, 0, end - 3, 4), "copy past the source");
    assert_oob(copy(&mut s, 0, 1 << 40, 0), "copy start past the source");
}

#[test]
fn memory64_beyond_4_gib() {
    // 65,537 pages: the first memory size a 32-bit memory cannot have. Only
    // the pages touched are committed.
    let (mut s, i) = instantiate(
        r#"(module
          (memory i64 65537)
          (func (export "store8") (param i64 i32) (i32.store8 (local.get 0) (local.get 1)))
          (func (export "load8") (param i64) (result i32) (i32.load8_u (local.get 0)))
          (func (export "load8_off") (param i64) (result i32)
            (i32.load8_u offset=0x1_0000_0000 (local.get 0))))"#,
    );
    let len: i64 = 65537 * 65536;
    for addr in [0x1_0000_0000, len - 1] {
        call(&mut s, i, "store8", &[Val::I64(addr), Val::I32(5)]).unwrap();
        assert_eq!(
            call(&mut s, i, "load8", &i64s(&[addr])).unwrap(),
            i32s(&[5])
        );
    }
    assert_eq!(
        call(&mut s, i, "load8_off", &i64s(&[0])).unwrap(),
        i32s(&[5])
    );
    assert_oob(call(&mut s, i, "load8", &i64s(&[len])), "one past");
    assert_oob(
        call(&mut s, i, "load8_off", &i64s(&[len - 0x1_0000_0000])),
        "offset one past",
    );
}
