//! Threads proposal end to end: atomic instructions on shared and unshared,
//! 32- and 64-bit memories (results, "unaligned atomic" before the bounds
//! check), and shared memories used by instances in several stores on
//! several host threads: an atomic counter, `memory.atomic.wait32` /
//! `notify` between threads, and `memory.grow` seen by the others.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use support::load_wat as module;
use waot_runtime::{Extern, Instance, MemoryType, Module, SharedMemory, Store, TrapKind, Val};

#[allow(dead_code, reason = "shared helpers; this test uses a subset")]
mod support;

fn call(store: &mut Store, inst: Instance, name: &str, args: &[Val]) -> Result<Vec<Val>, TrapKind> {
    let Some(Extern::Func(f)) = store.get_export(inst, name) else {
        panic!("{name} is not an exported function")
    };
    store.call(f, args).map_err(|t| t.kind)
}

fn call_i32(store: &mut Store, inst: Instance, name: &str, args: &[Val]) -> Result<i32, TrapKind> {
    match call(store, inst, name, args)?.as_slice() {
        [Val::I32(v)] => Ok(*v),
        other => panic!("{name} returned {other:?}"),
    }
}

fn call_i64(store: &mut Store, inst: Instance, name: &str, args: &[Val]) -> Result<i64, TrapKind> {
    match call(store, inst, name, args)?.as_slice() {
        [Val::I64(v)] => Ok(*v),
        other => panic!("{name} returned {other:?}"),
    }
}

/// The same atomic operators over a memory declared as `memory_decl`.
fn atomics_module(memory_decl: &str, addr: &str) -> String {
    format!(
        r#"(module
  (memory {memory_decl})
  (func (export "add8") (param $a {addr}) (param $v i32) (result i32)
    (i32.atomic.rmw8.add_u (local.get $a) (local.get $v)))
  (func (export "sub16") (param $a {addr}) (param $v i64) (result i64)
    (i64.atomic.rmw16.sub_u offset=2 (local.get $a) (local.get $v)))
  (func (export "xchg32") (param $a {addr}) (param $v i64) (result i64)
    (i64.atomic.rmw32.xchg_u (local.get $a) (local.get $v)))
  (func (export "cas8") (param $a {addr}) (param $e i32) (param $r i32) (result i32)
    (i32.atomic.rmw8.cmpxchg_u (local.get $a) (local.get $e) (local.get $r)))
  (func (export "cas64") (param $a {addr}) (param $e i64) (param $r i64) (result i64)
    (i64.atomic.rmw.cmpxchg (local.get $a) (local.get $e) (local.get $r)))
  (func (export "or_xor_and") (param $a {addr}) (result i32)
    (drop (i32.atomic.rmw.or (local.get $a) (i32.const 0xf0)))
    (drop (i32.atomic.rmw.xor (local.get $a) (i32.const 0xff)))
    (drop (i32.atomic.rmw.and (local.get $a) (i32.const 0x3c)))
    (i32.atomic.load (local.get $a)))
  (func (export "store_load16") (param $a {addr}) (param $v i32) (result i32)
    (i32.atomic.store16 (local.get $a) (local.get $v))
    (atomic.fence)
    (i32.atomic.load16_u (local.get $a)))
  (func (export "load64") (param $a {addr}) (result i64)
    (i64.atomic.load (local.get $a)))
)"#
    )
}

fn check_atomics(memory_decl: &str, memory64: bool) {
    let (addr_ty, a) = if memory64 {
        ("i64", (|v: u64| Val::I64(v as i64)) as fn(u64) -> Val)
    } else {
        ("i32", (|v: u64| Val::I32(v as i32)) as fn(u64) -> Val)
    };
    let m = module(&atomics_module(memory_decl, addr_ty), "atomics");
    let mut store = Store::new();
    let i = store.instantiate(&m, &[]).unwrap();
    let s = &mut store;
    // Narrow read-modify-writes wrap at their width and return the old
    // value zero-extended.
    assert_eq!(call_i32(s, i, "add8", &[a(0), Val::I32(200)]), Ok(0));
    assert_eq!(call_i32(s, i, "add8", &[a(0), Val::I32(100)]), Ok(200));
    assert_eq!(call_i32(s, i, "add8", &[a(0), Val::I32(0)]), Ok(44));
    assert_eq!(call_i64(s, i, "sub16", &[a(14), Val::I64(1)]), Ok(0));
    assert_eq!(call_i64(s, i, "sub16", &[a(14), Val::I64(0)]), Ok(0xffff));
    assert_eq!(
        call_i64(s, i, "xchg32", &[a(32), Val::I64(0x1_2345_6789)]),
        Ok(0)
    );
    assert_eq!(
        call_i64(s, i, "xchg32", &[a(32), Val::I64(0)]),
        Ok(0x2345_6789)
    );
    // A narrow compare-exchange compares with the expected value wrapped.
    assert_eq!(
        call_i32(s, i, "cas8", &[a(1), Val::I32(0x100), Val::I32(7)]),
        Ok(0)
    );
    assert_eq!(
        call_i32(s, i, "cas8", &[a(1), Val::I32(6), Val::I32(9)]),
        Ok(7)
    );
    assert_eq!(
        call_i32(s, i, "cas8", &[a(1), Val::I32(0), Val::I32(9)]),
        Ok(7)
    );
    assert_eq!(
        call_i64(s, i, "cas64", &[a(40), Val::I64(0), Val::I64(-1)]),
        Ok(0)
    );
    assert_eq!(call_i64(s, i, "load64", &[a(40)]), Ok(-1));
    assert_eq!(call_i32(s, i, "or_xor_and", &[a(48)]), Ok(0x0c));
    assert_eq!(
        call_i32(s, i, "store_load16", &[a(50), Val::I32(0x12345)]),
        Ok(0x2345)
    );
    // Misaligned effective addresses trap, also when the offset makes them
    // so, and before the bounds check.
    assert_eq!(
        call(s, i, "cas64", &[a(4), Val::I64(0), Val::I64(0)]),
        Err(TrapKind::UnalignedAtomic)
    );
    assert_eq!(
        call(s, i, "sub16", &[a(1), Val::I64(0)]),
        Err(TrapKind::UnalignedAtomic)
    );
    assert_eq!(
        call(s, i, "load64", &[a(65536 + 4)]),
        Err(TrapKind::UnalignedAtomic)
    );
    // Aligned but past the end: the ordinary bounds trap.
    assert_eq!(
        call(s, i, "load64", &[a(65536)]),
        Err(TrapKind::MemoryOutOfBounds)
    );
    assert_eq!(
        call(s, i, "xchg32", &[a(65536 - 2 + 2), Val::I64(0)]),
        Err(TrapKind::MemoryOutOfBounds)
    );
    assert_eq!(call_i32(s, i, "add8", &[a(65535), Val::I32(1)]), Ok(0));
    assert_eq!(
        call(s, i, "add8", &[a(65536), Val::I32(1)]),
        Err(TrapKind::MemoryOutOfBounds)
    );
}

#[test]
fn atomics_on_every_kind_of_memory() {
    check_atomics("1", false);
    check_atomics("1 1 shared", false);
    check_atomics("i64 1", true);
    check_atomics("i64 1 1 shared", true);
}

/// Defines and exports a shared memory and the operations the threads use.
const SHARED: &str = r#"(module
  (memory (export "memory") 1 4 shared)
  (func (export "increment") (param $n i32)
    (loop $again
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "get") (param $a i32) (result i32) (i32.atomic.load (local.get $a)))
  (func (export "set") (param $a i32) (param $v i32) (i32.atomic.store (local.get $a) (local.get $v)))
  (func (export "wait") (param $a i32) (param $expected i32) (param $timeout i64) (result i32)
    (memory.atomic.wait32 (local.get $a) (local.get $expected) (local.get $timeout)))
  (func (export "wait64") (param $a i32) (param $expected i64) (param $timeout i64) (result i32)
    (memory.atomic.wait64 (local.get $a) (local.get $expected) (local.get $timeout)))
  (func (export "notify") (param $a i32) (param $count i32) (result i32)
    (memory.atomic.notify (local.get $a) (local.get $count)))
  (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages)))
  (func (export "size") (result i32) (memory.size))
)"#;

/// The same operations on an imported shared memory.
fn importer() -> Arc<Module> {
    let body = SHARED.replace(
        r#"(memory (export "memory") 1 4 shared)"#,
        r#"(import "env" "memory" (memory 1 4 shared))"#,
    );
    module(&body, "importer")
}

/// A new store on this thread with an instance of `importer` using `mem`.
fn attach(importer: &Arc<Module>, mem: &SharedMemory) -> (Store, Instance) {
    let mut store = Store::new();
    let m = store.import_shared_memory(mem);
    let inst = store.instantiate(importer, &[Extern::Memory(m)]).unwrap();
    (store, inst)
}

/// The owner's store, its instance, the shared memory and the importer.
fn setup() -> (Store, Instance, SharedMemory, Arc<Module>) {
    let mut store = Store::new();
    let inst = store.instantiate(&module(SHARED, "shared"), &[]).unwrap();
    let Some(Extern::Memory(m)) = store.get_export(inst, "memory") else {
        panic!("memory export")
    };
    let shared = store.shared_memory(m).expect("a shared memory");
    (store, inst, shared, importer())
}

#[test]
fn counter_incremented_by_several_threads() {
    const THREADS: usize = 4;
    const EACH: i32 = 20_000;
    let (mut store, inst, shared, importer) = setup();
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                let (mut store, inst) = attach(&importer, &shared);
                call(&mut store, inst, "increment", &[Val::I32(EACH)]).unwrap();
            });
        }
    });
    let total = call_i32(&mut store, inst, "get", &[Val::I32(0)]).unwrap();
    assert_eq!(total, THREADS as i32 * EACH);
}

#[test]
fn wait_and_notify_between_threads() {
    let (mut store, inst, shared, importer) = setup();
    // Not equal, and a timeout with nobody notifying.
    assert_eq!(
        call_i32(
            &mut store,
            inst,
            "wait",
            &[Val::I32(8), Val::I32(1), Val::I64(-1)]
        ),
        Ok(1)
    );
    assert_eq!(
        call_i32(
            &mut store,
            inst,
            "wait",
            &[Val::I32(8), Val::I32(0), Val::I64(1_000_000)]
        ),
        Ok(2)
    );
    assert_eq!(
        call_i32(
            &mut store,
            inst,
            "wait64",
            &[Val::I32(8), Val::I64(0), Val::I64(0)]
        ),
        Ok(2)
    );
    assert_eq!(
        call_i32(&mut store, inst, "notify", &[Val::I32(8), Val::I32(1)]),
        Ok(0)
    );

    thread::scope(|s| {
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let (mut store, inst) = attach(&importer, &shared);
                    // Waits forever until woken; then sees the flag.
                    let woken = call_i32(
                        &mut store,
                        inst,
                        "wait",
                        &[Val::I32(8), Val::I32(0), Val::I64(-1)],
                    )
                    .unwrap();
                    let flag = call_i32(&mut store, inst, "get", &[Val::I32(12)]).unwrap();
                    (woken, flag)
                })
            })
            .collect();
        call(&mut store, inst, "set", &[Val::I32(12), Val::I32(5)]).unwrap();
        // Wake them as they arrive: one notify may come before a waiter
        // has started waiting, so count until all three were woken.
        let mut woken = 0;
        while woken < 3 {
            woken += call_i32(&mut store, inst, "notify", &[Val::I32(8), Val::I32(2)]).unwrap();
            thread::sleep(Duration::from_millis(1));
        }
        for w in waiters {
            assert_eq!(w.join().unwrap(), (0, 5));
        }
    });
    // Unaligned and out-of-bounds cells trap before anything else.
    assert_eq!(
        call(&mut store, inst, "notify", &[Val::I32(2), Val::I32(1)]),
        Err(TrapKind::UnalignedAtomic)
    );
    assert_eq!(
        call(
            &mut store,
            inst,
            "wait",
            &[Val::I32(65536), Val::I32(0), Val::I64(0)]
        ),
        Err(TrapKind::MemoryOutOfBounds)
    );
}

#[test]
fn growth_is_seen_by_every_thread() {
    let (mut store, inst, shared, importer) = setup();
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let (mut store, inst) = attach(&importer, &shared);
                call_i32(&mut store, inst, "grow", &[Val::I32(1)]).unwrap()
            });
        }
    });
    // Three racing grows of one page each: all succeeded, one after another.
    assert_eq!(call_i32(&mut store, inst, "size", &[]), Ok(4));
    assert_eq!(shared.len_bytes(), 4 * 65536);
    assert_eq!(call_i32(&mut store, inst, "grow", &[Val::I32(1)]), Ok(-1));
    call(
        &mut store,
        inst,
        "set",
        &[Val::I32(4 * 65536 - 4), Val::I32(1)],
    )
    .unwrap();
}

#[test]
fn wait_on_unshared_memory_traps_and_notify_returns_zero() {
    let m = module(
        r#"(module
          (memory 1)
          (func (export "wait") (result i32)
            (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))
          (func (export "notify") (result i32)
            (memory.atomic.notify (i32.const 0) (i32.const 1))))"#,
        "unshared",
    );
    let mut store = Store::new();
    let i = store.instantiate(&m, &[]).unwrap();
    assert_eq!(
        call(&mut store, i, "wait", &[]),
        Err(TrapKind::ExpectedSharedMemory)
    );
    assert_eq!(call_i32(&mut store, i, "notify", &[]), Ok(0));
    // Only a shared memory can be handed to another store.
    let unshared = store
        .new_memory(MemoryType {
            min_pages: 1,
            max_pages: Some(1),
            memory64: false,
            shared: false,
            page_size_log2: 16,
        })
        .unwrap();
    assert!(store.shared_memory(unshared).is_none());
}

// ---- wasi-threads executables --------------------------------------------

/// How long one executable may run.
const LIMIT: Duration = Duration::from_secs(120);

/// Imports of a wasi-threads program: its shared memory from `env` and
/// `thread-spawn` from `wasi`, as `wasm32-wasip1-threads` toolchains emit.
const THREADED_IMPORTS: &str = r#"
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
"#;

/// `waot build`s the module `wat` and runs it with an empty environment.
fn build_and_run(wat: &str) -> support::Output {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("program.wat");
    std::fs::write(&input, wat).unwrap();
    let exe = dir.path().join("program");
    let mut build = std::process::Command::new(support::waot_bin());
    build.arg("build").arg(&input).arg("-o").arg(&exe);
    let out = support::run(&mut build, LIMIT).unwrap();
    assert!(out.status.success(), "waot build: {}", out.stderr_text());
    support::run(std::process::Command::new(&exe).env_clear(), LIMIT).unwrap()
}

/// Spawns 4 threads that each add 1 to a counter 10,000 times, then bump
/// a "finished" count and notify it; `_start` waits on that count until all
/// are done and prints "counter ok" if the counter is 40,000.
#[test]
fn wasi_threads_increment_a_counter_and_join() {
    let wat = format!(
        r#"(module {THREADED_IMPORTS}
  ;; 0: counter, 4: finished threads, 16: iovec, 32: text
  (data (i32.const 16) "\20\00\00\00\0b\00\00\00")
  (data (i32.const 32) "counter ok\0a")
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (local $n i32)
    (local.set $n (i32.const 10000))
    (loop $again
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 4) (i32.const 1))))
  (func (export "_start")
    (local $i i32) (local $done i32)
    (loop $spawn_more
      ;; A thread id is positive.
      (if (i32.le_s (call $spawn (local.get $i)) (i32.const 0)) (then unreachable))
      (br_if $spawn_more
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 4))))
    (block $all_done
      (loop $wait
        (local.set $done (i32.atomic.load (i32.const 4)))
        (br_if $all_done (i32.eq (local.get $done) (i32.const 4)))
        (drop (memory.atomic.wait32 (i32.const 4) (local.get $done) (i64.const -1)))
        (br $wait)))
    (if (i32.ne (i32.atomic.load (i32.const 0)) (i32.const 40000)) (then unreachable))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8))))
)"#
    );
    let out = build_and_run(&wat);
    assert_eq!(out.stdout_text(), "counter ok\n", "{}", out.stderr_text());
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
}

/// `_start` spawns one thread running `body`, then waits forever; the
/// thread must end the whole process.
fn spawned_thread_ends_process(body: &str) -> support::Output {
    let wat = format!(
        r#"(module {THREADED_IMPORTS}
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $in_thread)
  (func $in_thread {body})
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (call_indirect $calls (i32.const 0)))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
    (unreachable))
)"#
    );
    build_and_run(&wat)
}

#[test]
fn trap_in_spawned_thread_ends_the_process() {
    let out = spawned_thread_ends_process("(unreachable)");
    assert_eq!(out.status.code(), Some(134), "{}", out.stderr_text());
    let stderr = out.stderr_text();
    assert!(
        stderr.lines().any(|l| l == "error: wasm trap: unreachable"),
        "{stderr}"
    );
    assert!(stderr.contains("in_thread"), "{stderr}");
}

#[test]
fn proc_exit_in_spawned_thread_exits_the_process() {
    let out = spawned_thread_ends_process("(call $proc_exit (i32.const 7))");
    assert_eq!(out.status.code(), Some(7), "{}", out.stderr_text());
    assert_eq!(out.stderr_text(), "");
}

/// A thread asleep in `poll_oneoff` (for an hour) must not hold up the
/// other threads' WASI calls: `_start` waits until the thread is about to
/// sleep, sleeps 100 ms itself, prints and returns, which ends the process.
#[test]
fn a_sleeping_thread_does_not_hold_up_the_others() {
    let wat = format!(
        r#"(module {THREADED_IMPORTS}
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  ;; 0: "sleeping" flag, 16: iovec, 32: text, 64 and 128: clock
  ;; subscriptions (monotonic, 1 hour and 100 ms), 256: events, 320: count
  (data (i32.const 16) "\20\00\00\00\0c\00\00\00")
  (data (i32.const 32) "not held up\0a")
  (data (i32.const 80) "\01\00\00\00\00\00\00\00\00\a0\b8\30\46\03\00\00")
  (data (i32.const 144) "\01\00\00\00\00\00\00\00\00\e1\f5\05\00\00\00\00")
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
    (drop (call $poll_oneoff (i32.const 64) (i32.const 256) (i32.const 1) (i32.const 320))))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
    (drop (call $poll_oneoff (i32.const 128) (i32.const 256) (i32.const 1) (i32.const 320)))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8))))
)"#
    );
    let out = build_and_run(&wat);
    assert_eq!(out.stdout_text(), "not held up\n", "{}", out.stderr_text());
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr_text());
}
