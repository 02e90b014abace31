//! Typed function references across instances and at the host boundary,
//! beyond what the spec scripts check: canonical type ids that include the
//! types a signature refers to, import matching of typed globals, tables
//! and functions, and the store's typed checks of host-supplied values.

use support::load_wat as module;
use waot_runtime::{Extern, Instance, InstantiateError, Store, TrapKind, Val};

#[allow(dead_code, reason = "shared helpers; this test uses a subset")]
mod support;

fn export(store: &Store, inst: Instance, name: &str) -> Extern {
    store.get_export(inst, name).expect("export exists")
}

fn func(store: &Store, inst: Instance, name: &str) -> waot_runtime::Func {
    let Extern::Func(f) = export(store, inst, name) else {
        panic!("{name} is not a function")
    };
    f
}

/// Exports `$sq : (ref $ii)` as a global, a table of `(ref null $ii)` and
/// `apply (param (ref $ii) i32) (result i32)`.
const PROVIDER: &str = r#"(module
  (type $ii (func (param i32) (result i32)))
  (func $sq (export "sq") (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (global (export "g") (ref $ii) (ref.func $sq))
  (table (export "t") 2 (ref null $ii))
  (elem declare func $sq)
  (func (export "apply") (param $f (ref $ii)) (param i32) (result i32)
    (call_ref $ii (local.get 1) (local.get $f))))"#;

#[test]
fn typed_imports_match_by_structure() {
    let provider = module(PROVIDER, "tr_provider");
    // Same types spelled again (another type index, another module).
    let user = module(
        r#"(module
          (type $other (func (param f64)))
          (type $ii (func (param i32) (result i32)))
          (import "p" "g" (global $g (ref $ii)))
          (import "p" "t" (table $t 2 (ref null $ii)))
          (import "p" "apply" (func $apply (param (ref $ii) i32) (result i32)))
          (func (export "run") (param i32) (result i32)
            (table.set $t (i32.const 1) (global.get $g))
            (call $apply
              (ref.as_non_null (table.get $t (i32.const 1)))
              (local.get 0))))"#,
        "tr_user",
    );
    let mut store = Store::new();
    let p = store.instantiate(&provider, &[]).unwrap();
    let imports = [
        export(&store, p, "g"),
        export(&store, p, "t"),
        export(&store, p, "apply"),
    ];
    let u = store.instantiate(&user, &imports).unwrap();
    let run = func(&store, u, "run");
    assert_eq!(store.call(run, &[Val::I32(7)]), Ok(vec![Val::I32(49)]));

    // `(ref $ii)` with another `$ii` is another type.
    let wrong = module(
        r#"(module
          (type $ii (func (param i64) (result i32)))
          (import "p" "g" (global (ref $ii))))"#,
        "tr_wrong",
    );
    let err = store.instantiate(&wrong, &[imports[0]]).unwrap_err();
    assert!(matches!(err, InstantiateError::Link(_)), "{err:?}");
    // An immutable `(ref $ii)` global may be imported as `funcref`, but a
    // table's element type must be equal.
    let wider = module(
        r#"(module
          (import "p" "g" (global funcref))
          (import "p" "t" (table 2 funcref)))"#,
        "tr_wider",
    );
    let err = store.instantiate(&wider, &imports[..2]).unwrap_err();
    assert!(matches!(err, InstantiateError::Link(_)), "{err:?}");
    let global_only = module(
        r#"(module (import "p" "g" (global (ref null func))))"#,
        "tr_global_only",
    );
    store.instantiate(&global_only, &imports[..1]).unwrap();
}

#[test]
fn host_values_are_checked_against_typed_parameters() {
    let provider = module(PROVIDER, "tr_host");
    let mut store = Store::new();
    let p = store.instantiate(&provider, &[]).unwrap();
    let apply = func(&store, p, "apply");
    let sq = func(&store, p, "sq");
    assert_eq!(
        store.call(apply, &[Val::FuncRef(Some(sq)), Val::I32(5)]),
        Ok(vec![Val::I32(25)])
    );
    // Null for a non-null parameter, or a function of another type.
    let null = store.call(apply, &[Val::FuncRef(None), Val::I32(5)]);
    assert_eq!(null.unwrap_err().kind, TrapKind::HostTrap);
    let wrong = store.call(apply, &[Val::FuncRef(Some(apply)), Val::I32(5)]);
    assert_eq!(wrong.unwrap_err().kind, TrapKind::HostTrap);

    let Extern::Table(t) = export(&store, p, "t") else {
        panic!("t is a table")
    };
    assert!(store.table_set(t, 0, Val::FuncRef(Some(sq))).is_ok());
    assert!(store.table_set(t, 0, Val::FuncRef(None)).is_ok());
    assert!(store.table_set(t, 0, Val::FuncRef(Some(apply))).is_err());
    assert!(store.table_set(t, 0, Val::ExternRef(None)).is_err());
}
