//! GC programs that allocate far more than they keep, so the collector runs
//! many times while live objects sit in every kind of root: wasm locals
//! (the native stack and registers), globals, tables, exception payloads and
//! other objects. The spec scripts check instruction semantics; these check
//! that collection never frees what is still reachable and does reclaim
//! what is not.

use std::sync::Arc;

use support::load_wat;
use waot_runtime::{Extern, Instance, Module, Store, Val};

#[allow(dead_code, reason = "shared helpers; this test uses a subset")]
mod support;

/// Heap bytes a program whose live data is a few MiB may reach: the
/// collection threshold plus fragmentation, with a wide margin.
const BOUNDED_HEAP: u64 = 96 << 20;

fn instantiate(wat: &str, prefix: &str) -> (Store, Instance) {
    let module: Arc<Module> = load_wat(wat, prefix);
    let mut store = Store::new();
    let inst = store.instantiate(&module, &[]).expect("instantiates");
    (store, inst)
}

fn call(store: &mut Store, inst: Instance, name: &str, args: &[Val]) -> Vec<Val> {
    let Some(Extern::Func(f)) = store.get_export(inst, name) else {
        panic!("{name} is not an exported function")
    };
    store
        .call(f, args)
        .unwrap_or_else(|t| panic!("{name} trapped: {t}"))
}

/// Asserts that the store collected and that its heap stayed bounded.
fn assert_collected(store: &Store, allocated_at_least: u64) {
    let stats = store.gc_stats();
    assert!(
        stats.allocated_bytes >= allocated_at_least,
        "allocated only {} bytes",
        stats.allocated_bytes
    );
    assert!(stats.collections > 0, "never collected: {stats:?}");
    assert!(
        stats.heap_bytes <= BOUNDED_HEAP,
        "heap grew to {} bytes: {stats:?}",
        stats.heap_bytes
    );
}

/// Binary trees: each iteration builds and checks a tree that is garbage
/// right after, while a long-lived tree stays in a local across all of them.
const BINARY_TREES: &str = r#"(module
  (type $node (struct (field $left (ref null $node)) (field $right (ref null $node))))
  (func $make (param $depth i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $depth))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else (struct.new $node
        (call $make (i32.sub (local.get $depth) (i32.const 1)))
        (call $make (i32.sub (local.get $depth) (i32.const 1)))))))
  (func $check (param $n (ref $node)) (result i32)
    (local $left (ref null $node))
    (local.set $left (struct.get $node $left (local.get $n)))
    (if (result i32) (ref.is_null (local.get $left))
      (then (i32.const 1))
      (else (i32.add (i32.const 1)
        (i32.add
          (call $check (ref.as_non_null (local.get $left)))
          (call $check (ref.as_non_null (struct.get $node $right (local.get $n)))))))))
  (func (export "run") (param $depth i32) (param $iterations i32) (result i32)
    (local $sum i32)
    (local $long_lived (ref null $node))
    (local.set $long_lived (call $make (local.get $depth)))
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (call $check (call $make (local.get $depth)))))
      (local.set $iterations (i32.sub (local.get $iterations) (i32.const 1)))
      (br_if $again (local.get $iterations)))
    (i32.add (local.get $sum) (call $check (ref.as_non_null (local.get $long_lived))))))"#;

#[test]
fn binary_trees_keep_the_long_lived_tree() {
    let (mut store, inst) = instantiate(BINARY_TREES, "gc_trees");
    let (depth, iterations) = (14, 300);
    let got = call(
        &mut store,
        inst,
        "run",
        &[Val::I32(depth), Val::I32(iterations)],
    );
    let nodes = (1 << (depth + 1)) - 1;
    assert_eq!(got, [Val::I32((iterations + 1) * nodes)]);
    assert_collected(&store, 200 << 20);
}

/// Objects kept in a global array, a table and an exception payload while
/// garbage byte arrays pile up.
const ROOTS: &str = r#"(module
  (type $box (struct (field $value (mut i64))))
  (type $boxes (array (mut (ref null $box))))
  (type $bytes (array (mut i8)))
  (global $kept (mut (ref null $boxes)) (ref.null $boxes))
  (table $slots 16 (ref null $box))
  (tag $carry (param (ref $box)))

  ;; Garbage: byte arrays of 4 KiB, touched so nothing is optimized away.
  (func $churn (param $count i32) (result i32)
    (local $sum i32)
    (local $junk (ref null $bytes))
    (loop $again
      (local.set $junk (array.new $bytes (local.get $count) (i32.const 4096)))
      (local.set $sum (i32.add (local.get $sum)
        (array.get_u $bytes (local.get $junk) (i32.const 4095))))
      (local.set $count (i32.sub (local.get $count) (i32.const 1)))
      (br_if $again (local.get $count)))
    (local.get $sum))

  (func (export "fill") (param $n i32)
    (local $i i32)
    (global.set $kept (array.new_default $boxes (local.get $n)))
    (loop $again
      (array.set $boxes (global.get $kept) (local.get $i)
        (struct.new $box (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $i (i32.const 0))
    (loop $again
      (table.set $slots (local.get $i) (struct.new $box (i64.const 1000)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 16)))))

  (func (export "churn") (param $count i32) (result i32)
    (call $churn (local.get $count)))

  ;; Sum of every kept box: the global's array and the table's slots.
  (func (export "sum") (result i64)
    (local $i i32)
    (local $sum i64)
    (loop $again
      (local.set $sum (i64.add (local.get $sum)
        (struct.get $box $value (array.get $boxes (global.get $kept) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (array.len (global.get $kept)))))
    (local.set $i (i32.const 0))
    (loop $again
      (local.set $sum (i64.add (local.get $sum)
        (struct.get $box $value (table.get $slots (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 16))))
    (local.get $sum))

  ;; A fresh box travels in an exception held as an exnref while garbage
  ;; is made, then is rethrown and caught.
  (func (export "throw_through_churn") (param $value i64) (result i64)
    (local $exn exnref)
    (block $held (result (ref $box) exnref)
      (try_table (catch_ref $carry $held)
        (throw $carry (struct.new $box (local.get $value))))
      (unreachable))
    (local.set $exn)
    (drop)
    (drop (call $churn (i32.const 4000)))
    (block $caught (result (ref $box))
      (try_table (catch $carry $caught)
        (throw_ref (local.get $exn)))
      (unreachable))
    (struct.get $box $value)))"#;

#[test]
fn globals_tables_and_exceptions_are_roots() {
    let (mut store, inst) = instantiate(ROOTS, "gc_roots");
    let n = 10_000i64;
    call(&mut store, inst, "fill", &[Val::I32(n as i32)]);
    let expected = n * (n - 1) / 2 + 16 * 1000;
    for _ in 0..5 {
        call(&mut store, inst, "churn", &[Val::I32(10_000)]);
        assert_eq!(call(&mut store, inst, "sum", &[]), [Val::I64(expected)]);
    }
    let got = call(&mut store, inst, "throw_through_churn", &[Val::I64(77)]);
    assert_eq!(got, [Val::I64(77)]);
    assert_collected(&store, 150 << 20);
}

/// A million-element linked list: marking must not recurse.
const LONG_LIST: &str = r#"(module
  (type $cell (struct (field $value i32) (field $next (ref null $cell))))
  (type $bytes (array (mut i8)))
  (func (export "run") (param $n i32) (result i32)
    (local $list (ref null $cell))
    (local $i i32)
    (local $length i32)
    (loop $build
      (local.set $list (struct.new $cell (local.get $i) (local.get $list)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $build (i32.lt_u (local.get $i) (local.get $n))))
    ;; Garbage, to force collections while only the list is live.
    (local.set $i (i32.const 3000))
    (loop $churn
      (drop (array.new_default $bytes (i32.const 65536)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $churn (local.get $i)))
    (block $end
      (loop $walk
        (br_if $end (ref.is_null (local.get $list)))
        (local.set $length (i32.add (local.get $length) (i32.const 1)))
        (local.set $list (struct.get $cell $next (local.get $list)))
        (br $walk)))
    (local.get $length)))"#;

#[test]
fn long_lists_survive_without_recursion() {
    let (mut store, inst) = instantiate(LONG_LIST, "gc_list");
    let got = call(&mut store, inst, "run", &[Val::I32(1_000_000)]);
    assert_eq!(got, [Val::I32(1_000_000)]);
    let stats = store.gc_stats();
    assert!(stats.collections > 0, "never collected: {stats:?}");
}

/// Strings as byte arrays: `array.new_data`, `array.copy` (concatenation),
/// `array.fill` and `array.init_data`, checked byte by byte.
const STRINGS: &str = r#"(module
  (type $string (array (mut i8)))
  (data $hello "hello, ")
  (data $world "world")
  (func $concat (param $a (ref $string)) (param $b (ref $string)) (result (ref $string))
    (local $out (ref $string))
    (local.set $out (array.new_default $string
      (i32.add (array.len (local.get $a)) (array.len (local.get $b)))))
    (array.copy $string $string (local.get $out) (i32.const 0)
      (local.get $a) (i32.const 0) (array.len (local.get $a)))
    (array.copy $string $string (local.get $out) (array.len (local.get $a))
      (local.get $b) (i32.const 0) (array.len (local.get $b)))
    (local.get $out))
  ;; Hash of "hello, world" repeated, with "!!!" filled in and "wor"
  ;; re-initialized from the data segment: FNV-1a over every byte.
  (func (export "run") (result i32)
    (local $s (ref $string))
    (local $hash i32)
    (local $i i32)
    (local.set $s (call $concat
      (array.new_data $string $hello (i32.const 0) (i32.const 7))
      (array.new_data $string $world (i32.const 0) (i32.const 5))))
    (local.set $s (call $concat (local.get $s) (array.new $string (i32.const 33) (i32.const 3))))
    (array.fill $string (local.get $s) (i32.const 0) (i32.const 72) (i32.const 1))
    (array.init_data $string $world (local.get $s) (i32.const 12) (i32.const 0) (i32.const 3))
    (local.set $hash (i32.const 0x811c9dc5))
    (loop $again
      (local.set $hash (i32.mul
        (i32.xor (local.get $hash) (array.get_u $string (local.get $s) (local.get $i)))
        (i32.const 0x01000193)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (array.len (local.get $s)))))
    (local.get $hash)))"#;

fn fnv1a(bytes: &[u8]) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h = (h ^ *b as u32).wrapping_mul(0x0100_0193);
    }
    h as i32
}

#[test]
fn byte_array_strings() {
    let (mut store, inst) = instantiate(STRINGS, "gc_strings");
    assert_eq!(
        call(&mut store, inst, "run", &[]),
        [Val::I32(fnv1a(b"Hello, worldwor"))]
    );
}
