//! Runtime behaviours that need a process of their own: the test re-runs
//! itself as a child process, and the child does what would kill a test
//! runner.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::Arc;

use waot_compiler::Config;
use waot_runtime::{Extern, Module, Store, TrapKind, Val};

const CHILD_ENV: &str = "WAOT_RUNTIME_TEST_CHILD";

/// Compiles `wat` and instantiates it in a fresh store.
fn instantiate(wat: &str) -> (Store, waot_runtime::Instance) {
    let wasm = wat::parse_str(wat).expect("test module parses");
    let mut config = Config::new(target_lexicon::Triple::host());
    config.symbol_prefix = "t".to_string();
    let object = waot_compiler::compile(&wasm, &config).expect("compiles");
    let loaded = waot_runtime::loader::load_object(&object).expect("loads");
    let module = Arc::new(Module::from_loaded(loaded, "t_module").expect("descriptor"));
    let mut store = Store::new();
    let instance = store.instantiate(&module, &[]).expect("instantiates");
    (store, instance)
}

fn run_child(test_name: &str) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test_name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test_name)
        .output()
        .expect("child runs")
}

fn is_child(test_name: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == test_name)
}

/// The runtime's SIGSEGV handler turns faults in wasm code into traps; a
/// fault in host code must still crash the process as it would without waot.
#[test]
fn fault_outside_wasm_code_is_not_swallowed() {
    const NAME: &str = "fault_outside_wasm_code_is_not_swallowed";
    if is_child(NAME) {
        let (mut store, inst) = instantiate(
            r#"(module (memory 1)
                 (func (export "oob") (result i32) (i32.load (i32.const 70000))))"#,
        );
        let Some(Extern::Func(oob)) = store.get_export(inst, "oob") else {
            panic!("no export")
        };
        // A fault inside wasm code is a trap, and the handler is now installed.
        let trap = store.call(oob, &[]).unwrap_err();
        assert_eq!(trap.kind, TrapKind::MemoryOutOfBounds);
        eprintln!("child: trap caught, now faulting in host code");
        // SAFETY: deliberately not safe: this must kill the child with SIGSEGV.
        unsafe { std::ptr::null_mut::<u32>().write_volatile(1) };
        eprintln!("child: fault was swallowed");
        std::process::exit(0);
    }
    let out = run_child(NAME);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("trap caught"), "child stderr: {stderr}");
    assert!(!stderr.contains("swallowed"), "child stderr: {stderr}");
    assert_eq!(
        out.status.signal(),
        Some(libc_sigsegv()),
        "status {:?}",
        out.status
    );
}

/// Traps leave the store usable, and instances on other threads run and trap
/// independently.
#[test]
fn traps_are_per_thread_and_recoverable() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let (mut store, inst) = instantiate(
                    r#"(module
                         (func $rec (export "rec") (param i32) (result i32)
                           (call $rec (i32.add (local.get 0) (i32.const 1))))
                         (func (export "div") (param i32 i32) (result i32)
                           (i32.div_s (local.get 0) (local.get 1))))"#,
                );
                let Some(Extern::Func(rec)) = store.get_export(inst, "rec") else {
                    panic!("no rec")
                };
                let Some(Extern::Func(div)) = store.get_export(inst, "div") else {
                    panic!("no div")
                };
                for _ in 0..3 {
                    let t = store.call(rec, &[Val::I32(0)]).unwrap_err();
                    assert_eq!(t.kind, TrapKind::StackOverflow);
                    let t = store.call(div, &[Val::I32(1), Val::I32(0)]).unwrap_err();
                    assert_eq!(t.kind, TrapKind::IntegerDivideByZero);
                    let r = store.call(div, &[Val::I32(84), Val::I32(2 + i)]).unwrap();
                    assert_eq!(r, vec![Val::I32(84 / (2 + i))]);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread ran clean");
    }
}

fn libc_sigsegv() -> i32 {
    11
}
