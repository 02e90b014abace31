//! Exception handling across instances and at the host boundary, beyond
//! what the spec scripts check: payloads crossing modules, the pending
//! exception being cleared after an uncaught one, `throw_ref` of null, and
//! the documented limit (an exception may not pass through a frame of a
//! module that has no exception-handling code).

use support::load_wat as module;
use waot_runtime::{Extern, Instance, InstantiateError, Store, TrapKind, Val};

#[allow(dead_code, reason = "shared helpers; this test uses a subset")]
mod support;

fn export(store: &Store, inst: Instance, name: &str) -> Extern {
    store.get_export(inst, name).expect("export exists")
}

fn call(store: &mut Store, inst: Instance, name: &str, args: &[Val]) -> Result<Vec<Val>, TrapKind> {
    let Extern::Func(f) = export(store, inst, name) else {
        panic!("{name} is not a function")
    };
    store.call(f, args).map_err(|t| t.kind)
}

/// Exports a tag `e (param i32 f64)` and `throw (param i32)`, which throws
/// it with its argument and 2.5.
const THROWER: &str = r#"(module
  (tag $e (export "e") (param i32 f64))
  (func (export "throw") (param i32)
    (throw $e (local.get 0) (f64.const 2.5))))"#;

#[test]
fn payload_crosses_instances() {
    let mut store = Store::new();
    let thrower = module(THROWER, "thrower");
    let t = store.instantiate(&thrower, &[]).unwrap();
    let catcher = module(
        r#"(module
          (import "t" "e" (tag $e (param i32 f64)))
          (import "t" "throw" (func $throw (param i32)))
          (func (export "catch") (param i32) (result i32 f64)
            (block $h (result i32 f64)
              (try_table (catch $e $h) (call $throw (local.get 0)))
              (unreachable))))"#,
        "catcher",
    );
    let imports = [export(&store, t, "e"), export(&store, t, "throw")];
    let c = store.instantiate(&catcher, &imports).unwrap();
    let got = call(&mut store, c, "catch", &[Val::I32(42)]).unwrap();
    assert_eq!(got, [Val::I32(42), Val::F64(2.5f64.to_bits())]);
    // Uncaught, then the store is clean for the next call.
    assert_eq!(
        call(&mut store, t, "throw", &[Val::I32(1)]),
        Err(TrapKind::UncaughtException)
    );
    let got = call(&mut store, c, "catch", &[Val::I32(7)]).unwrap();
    assert_eq!(got[0], Val::I32(7));
}

#[test]
fn tag_import_types_must_match() {
    let mut store = Store::new();
    let thrower = module(THROWER, "thrower");
    let t = store.instantiate(&thrower, &[]).unwrap();
    let wrong = module(r#"(module (import "t" "e" (tag (param i32))))"#, "wrong");
    let err = store
        .instantiate(&wrong, &[export(&store, t, "e")])
        .unwrap_err();
    assert!(matches!(err, InstantiateError::Link(_)), "{err}");
    let tag = store.new_tag(waot_runtime::FuncType {
        params: vec![waot_runtime::ValType::I32],
        results: vec![],
    });
    store
        .instantiate(&wrong, &[Extern::Tag(tag.unwrap())])
        .unwrap();
}

#[test]
fn throw_ref_of_null_traps() {
    let mut store = Store::new();
    let m = module(
        r#"(module (func (export "f") (throw_ref (ref.null exn))))"#,
        "nullexn",
    );
    let inst = store.instantiate(&m, &[]).unwrap();
    assert_eq!(
        call(&mut store, inst, "f", &[]),
        Err(TrapKind::NullExceptionReference)
    );
}

#[test]
fn start_function_exception_fails_instantiation() {
    let mut store = Store::new();
    let m = module(
        r#"(module (tag $e) (func $start (throw $e)) (start $start))"#,
        "start",
    );
    match store.instantiate(&m, &[]) {
        Err(InstantiateError::Trap(t)) => assert_eq!(t.kind, TrapKind::UncaughtException),
        other => panic!("expected an uncaught exception, got {other:?}"),
    }
}

/// A module without exception-handling code does not check for pending
/// exceptions after its calls, so an exception may not propagate through
/// its frames: it becomes an "uncaught exception" there, before the frame
/// runs any further (the global stays 0).
#[test]
fn exception_through_a_module_without_handlers_is_uncaught() {
    let mut store = Store::new();
    let thrower = module(THROWER, "thrower");
    let t = store.instantiate(&thrower, &[]).unwrap();
    let middle = module(
        r#"(module
          (import "t" "throw" (func $throw (param i32)))
          (global $after (export "after") (mut i32) (i32.const 0))
          (func (export "mid")
            (call $throw (i32.const 1))
            (global.set $after (i32.const 1))))"#,
        "middle",
    );
    let m = store
        .instantiate(&middle, &[export(&store, t, "throw")])
        .unwrap();
    let outer = module(
        r#"(module
          (import "m" "mid" (func $mid))
          (func (export "run") (result i32)
            (block $h
              (try_table (catch_all $h) (call $mid))
              (return (i32.const 0)))
            (i32.const 1)))"#,
        "outer",
    );
    let o = store
        .instantiate(&outer, &[export(&store, m, "mid")])
        .unwrap();
    assert_eq!(
        call(&mut store, o, "run", &[]),
        Err(TrapKind::UncaughtException)
    );
    let Extern::Global(after) = export(&store, m, "after") else {
        panic!("no global")
    };
    assert_eq!(store.global_get(after), Val::I32(0));
    // The store still works.
    let got = call(&mut store, t, "throw", &[Val::I32(0)]);
    assert_eq!(got, Err(TrapKind::UncaughtException));
}

/// An exception caught with `catch_ref` stays valid after being rethrown
/// and caught again with `catch` (which frees only objects no `exnref`
/// points to), so it can be rethrown once more.
#[test]
fn exnref_outlives_a_plain_catch() {
    let mut store = Store::new();
    let m = module(
        r#"(module
          (tag $e (param i32))
          (func (export "f") (result i32)
            (local $x exnref) (local $sum i32)
            (block $h (result i32 exnref)
              (try_table (catch_ref $e $h) (throw $e (i32.const 5)))
              (unreachable))
            (local.set $x)
            (local.set $sum)
            (block $h (result i32)
              (try_table (catch $e $h) (throw_ref (local.get $x)))
              (unreachable))
            (local.set $sum (i32.add (local.get $sum)))
            (block $h (result i32)
              (try_table (catch $e $h) (throw_ref (local.get $x)))
              (unreachable))
            (i32.add (local.get $sum))))"#,
        "reuse",
    );
    let inst = store.instantiate(&m, &[]).unwrap();
    assert_eq!(call(&mut store, inst, "f", &[]), Ok(vec![Val::I32(15)]));
}

/// The legacy exception-handling instructions (`try`, `catch`, `catch_all`,
/// `rethrow`, `delegate`), as LLVM emits them for C++, in their flat text
/// form (which the text parser still reads).
const LEGACY: &str = r#"(module
  (tag $e (param i32))
  (tag $f)
  (func $throw (param i32) (throw $e (local.get 0)))
  (func $throw_f (throw $f))

  ;; `$e` from a callee is caught with its payload; `$f` by catch_all.
  (func (export "catch_by_tag") (param i32) (result i32)
    try (result i32)
      local.get 0
      if
        call $throw_f
      end
      local.get 0
      i32.const 100
      i32.add
      call $throw
      i32.const -1
    catch $e
      i32.const 1
      i32.add
    catch_all
      i32.const 0
    end)

  ;; A clause rethrows to its caller, which catches the same exception.
  (func $catch_and_rethrow (param i32)
    try
      local.get 0
      call $throw
    catch $e
      drop
      rethrow 0
    end)
  (func (export "rethrow_across_frames") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $catch_and_rethrow
      i32.const -1
    catch $e
    end)

  ;; A nested clause rethrows the outer clause's exception.
  (func (export "rethrow_outer") (result i32)
    try (result i32)
      try
        i32.const 7
        call $throw
      catch $e
        drop
        try
          call $throw_f
        catch $f
          rethrow 1
        end
      end
      i32.const -1
    catch $e
    end)

  ;; `delegate` skips the middle `try`'s clauses.
  (func (export "delegate_to_outer") (result i32)
    try $outer (result i32)
      try (result i32)
        try
          i32.const 3
          call $throw
        delegate $outer
        i32.const -1
      catch $e
        i32.const 1000
        i32.add
      end
    catch $e
      i32.const 10
      i32.add
    end)

  ;; `delegate` to the function's label: on to the caller.
  (func $delegate_to_caller (param i32)
    try
      local.get 0
      call $throw
    delegate 0)
  (func (export "delegate_to_caller") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $delegate_to_caller
      i32.const -1
    catch $e
    end)

  ;; Each iteration catches an exception and branches out of the clause.
  (func (export "sum_caught") (param $n i32) (result i32)
    (local $sum i32)
    block $done
      loop $next
        local.get $n
        i32.eqz
        br_if $done
        try
          local.get $n
          call $throw
        catch $e
          local.get $sum
          i32.add
          local.set $sum
          local.get $n
          i32.const 1
          i32.sub
          local.set $n
          br $next
        end
      end
    end
    local.get $sum)

  ;; Only `$f` is caught: `$e` goes on to the host.
  (func (export "uncaught")
    try
      i32.const 1
      call $throw
    catch $f
    end))"#;

#[test]
fn legacy_try_catch_rethrow_delegate() {
    let mut store = Store::new();
    let m = module(LEGACY, "legacy");
    let inst = store.instantiate(&m, &[]).unwrap();
    let mut run = |name: &str, args: &[Val]| call(&mut store, inst, name, args);
    assert_eq!(run("catch_by_tag", &[Val::I32(0)]), Ok(vec![Val::I32(101)]));
    assert_eq!(run("catch_by_tag", &[Val::I32(1)]), Ok(vec![Val::I32(0)]));
    assert_eq!(
        run("rethrow_across_frames", &[Val::I32(42)]),
        Ok(vec![Val::I32(42)])
    );
    assert_eq!(run("rethrow_outer", &[]), Ok(vec![Val::I32(7)]));
    assert_eq!(run("delegate_to_outer", &[]), Ok(vec![Val::I32(13)]));
    assert_eq!(
        run("delegate_to_caller", &[Val::I32(5)]),
        Ok(vec![Val::I32(5)])
    );
    assert_eq!(
        run("sum_caught", &[Val::I32(100)]),
        Ok(vec![Val::I32(5050)])
    );
    assert_eq!(run("uncaught", &[]), Err(TrapKind::UncaughtException));
    // The store is clean after the uncaught exception.
    assert_eq!(run("catch_by_tag", &[Val::I32(0)]), Ok(vec![Val::I32(101)]));
}
