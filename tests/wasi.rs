//! WASI preview1 end to end: every program of `tests/wasi` (see
//! `tests/wasi/README.md` and `manifest.txt`) is built with `waot build`,
//! run in a fresh temp dir with `T/root` preopened as `.`, and its stdout
//! and exit status compared with the expectations; for sandbox programs the
//! files outside the preopen must be untouched. Grants are given both ways:
//! at build time (`--dir`, `--env`) and at run time (`WAOT_DIR`, `WAOT_ENV`).
//! Small WAT modules check the default (no preopens, empty environment),
//! that argv reaches the program untouched, and reactors (`_initialize`).
//! Programs whose stdin is a socket get a peer thread (the protocol of
//! `c/sockstream.c` and `c/socklisten.c`, as `native/sockpeer.c` plays it
//! natively); `WAOT_TCPLISTEN` is checked with `c/socklisten` too. The
//! corpus runner is `support/wasi_corpus.rs`, shared with `aarch64.rs`.
//!
//! Runs the `waot` binary of the same profile; build it first.

#[allow(dead_code, reason = "shared helpers; this test uses a subset")]
mod support;

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use support::wasi_corpus::{check_corpus, get_ok, wasi_dir, Peer, Platform};
use support::{describe, run, waot_bin, waot_build};

const LIMIT: Duration = Duration::from_secs(300);

#[test]
fn corpus() {
    let native = Platform {
        build_args: &[],
        wrapper: &[],
        limit: LIMIT,
    };
    check_corpus(&native, true);
}

/// `waot build input -o out extra...`.
fn build(input: &Path, out: &Path, extra: &[String]) -> Result<(), String> {
    waot_build(input, out, extra, LIMIT)
}

/// A command that exits with 100 if `fd_prestat_get(3)` fails (no preopen)
/// + argc * 10 + the number of environment entries (statuses are 8 bits).
const PROBE: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $pg (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $as (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $es (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $as (i32.const 16) (i32.const 20)))
    (drop (call $es (i32.const 24) (i32.const 28)))
    (call $exit (i32.add (i32.add
      (i32.mul (i32.ne (call $pg (i32.const 3) (i32.const 0)) (i32.const 0)) (i32.const 100))
      (i32.mul (i32.load (i32.const 16)) (i32.const 10)))
      (i32.load (i32.const 24))))))"#;

/// A reactor: `_initialize` prints "init", no `_start`.
const REACTOR: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "init\n")
  (func (export "_initialize")
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 20))))
  (func (export "work") (result i32) (i32.const 1)))"#;

fn build_wat(dir: &Path, name: &str, wat: &str, extra: &[String]) -> PathBuf {
    let src = dir.join(format!("{name}.wat"));
    fs::write(&src, wat).unwrap();
    let exe = dir.join(name);
    build(&src, &exe, extra).unwrap();
    exe
}

fn status(cmd: &mut Command) -> i32 {
    let out = run(cmd, LIMIT).unwrap();
    out.status
        .code()
        .unwrap_or_else(|| panic!("{}", describe(out.status)))
}

#[test]
fn default_grants_nothing_and_argv_is_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = build_wat(tmp.path(), "probe", PROBE, &[]);
    // No grants: fd 3 is not open (EBADF = 8), argc 1, empty environment
    // although the host has variables.
    let s = status(Command::new(&exe).env("HOME", "/x").env("PATH", "/bin"));
    assert_eq!(s, 100 + 10);
    // Flags that look like waot's go to the program untouched: argc 5.
    let s = status(
        Command::new(&exe)
            .args(["--dir", "/", "--env", "A=1"])
            .env_clear(),
    );
    assert_eq!(s, 100 + 50);
    // Run-time grants: a preopen (errno 0) and two variables; the WAOT_*
    // variables themselves are not passed.
    let s = status(
        Command::new(&exe)
            .env_clear()
            .env("WAOT_DIR", tmp.path())
            .env("WAOT_ENV", "A=1;B=2"),
    );
    assert_eq!(s, 10 + 2);
    // WAOT_INHERIT_ENV=1: the host's variables minus the control ones.
    let s = status(
        Command::new(&exe)
            .env_clear()
            .env("X", "1")
            .env("Y", "2")
            .env("WAOT_INHERIT_ENV", "1"),
    );
    assert_eq!(s, 100 + 10 + 2);
    // Build-time grants.
    let dir = format!("{}::data", tmp.path().display());
    let exe2 = build_wat(
        tmp.path(),
        "probe2",
        PROBE,
        &["--dir".into(), dir, "--env".into(), "K=V".into()],
    );
    assert_eq!(status(Command::new(&exe2).env_clear()), 10 + 1);
    // A missing run-time directory is an error before the program runs.
    let out = run(
        Command::new(&exe)
            .env_clear()
            .env("WAOT_DIR", "/nonexistent/waot"),
        LIMIT,
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr_text().contains("cannot open directory"));
}

#[test]
fn reactor_runs_initialize() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = build_wat(tmp.path(), "reactor", REACTOR, &[]);
    let out = run(&mut Command::new(&exe), LIMIT).unwrap();
    assert_eq!(out.stdout_text(), "init\n");
    assert_eq!(out.status.code(), Some(0));
}

/// `WAOT_TCPLISTEN`: a listening socket after the preopen (fd 4), for
/// `sock_accept`; `c/socklisten` then prints what it prints with the
/// socket as stdin. An address that cannot be bound stops the launch.
#[test]
fn tcplisten_grants_a_listening_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("socklisten");
    let wasi = wasi_dir();
    build(&wasi.join("c/socklisten.wasm"), &exe, &[]).unwrap();
    // A free port: bind, note it, close; the program binds it again.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let peer = connect_and_get(addr.clone());
    let out = run(
        Command::new(&exe)
            .arg("4")
            .env_clear()
            .env("WAOT_DIR", tmp.path())
            .env("WAOT_TCPLISTEN", &addr),
        LIMIT,
    )
    .unwrap();
    let expected = fs::read_to_string(wasi.join("c/socklisten.expected")).unwrap();
    assert_eq!(out.stdout_text(), expected, "stderr: {}", out.stderr_text());
    assert_eq!(out.status.code(), Some(0));
    peer.join().unwrap().unwrap();

    // The same baked in by `waot build --tcplisten` (and `--dir`).
    let baked = tmp.path().join("socklisten-baked");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let dir = format!("{}::.", tmp.path().display());
    build(
        &wasi.join("c/socklisten.wasm"),
        &baked,
        &["--dir".into(), dir, "--tcplisten".into(), addr.clone()],
    )
    .unwrap();
    let peer = connect_and_get(addr);
    let out = run(Command::new(&baked).arg("4").env_clear(), LIMIT).unwrap();
    assert_eq!(out.stdout_text(), expected, "stderr: {}", out.stderr_text());
    assert_eq!(out.status.code(), Some(0));
    peer.join().unwrap().unwrap();

    // `waot run --tcplisten` (no preopen, so the socket is fd 3).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let peer = connect_and_get(addr.clone());
    let out = run(
        Command::new(waot_bin())
            .args(["run", "--tcplisten", &addr])
            .arg(wasi.join("c/socklisten.wasm"))
            .arg("3")
            .env("WAOT_CACHE_DIR", tmp.path().join("cache")),
        LIMIT,
    )
    .unwrap();
    assert_eq!(out.stdout_text(), expected, "stderr: {}", out.stderr_text());
    assert_eq!(out.status.code(), Some(0));
    peer.join().unwrap().unwrap();

    // The port is taken now: the launch fails before the program runs.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(
        Command::new(&exe).env_clear().env("WAOT_TCPLISTEN", &addr),
        LIMIT,
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr_text().contains("cannot listen on"),
        "{}",
        out.stderr_text()
    );
    assert!(out.stdout.is_empty());
}

/// A client for `c/socklisten` that connects as soon as `addr` listens.
fn connect_and_get(addr: String) -> Peer {
    thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match TcpStream::connect(&addr) {
                Ok(mut c) => return get_ok(&mut c),
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("connect {addr}: {e}")),
            }
        }
    })
}
