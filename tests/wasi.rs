//! WASI preview1 end to end: every program of `tests/wasi` (see
//! `tests/wasi/README.md` and `manifest.txt`) is built with `waot build`,
//! run in a fresh temp dir with `T/root` preopened as `.`, and its stdout
//! and exit status compared with the expectations; for sandbox programs the
//! files outside the preopen must be untouched. Grants are given both ways:
//! at build time (`--dir`, `--env`) and at run time (`WAOT_DIR`, `WAOT_ENV`).
//! Small WAT modules check the default (no preopens, empty environment),
//! that argv reaches the program untouched, and reactors (`_initialize`).
//!
//! Runs the `waot` binary of the same profile; build it first.

#[allow(dead_code)] // shared with e2e.rs; this test uses part of it
mod support;

use std::fs;
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use support::{describe, repo_root, waot_bin, Output};

const LIMIT: Duration = Duration::from_secs(300);

/// One manifest line.
#[derive(Debug, Clone)]
struct Program {
    name: String,
    args: Vec<String>,
    env: Vec<String>,
    stdin: Option<String>,
    exit: i32,
    setup: Vec<String>,
}

fn manifest() -> Vec<Program> {
    let text = fs::read_to_string(repo_root().join("tests/wasi/manifest.txt")).unwrap();
    let list = |s: &str, sep: char| -> Vec<String> {
        if s == "-" {
            Vec::new()
        } else {
            s.split(sep).map(str::to_string).collect()
        }
    };
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('|').map(str::trim).collect();
            assert_eq!(f.len(), 6, "bad manifest line {l:?}");
            Program {
                name: f[0].to_string(),
                args: list(f[1], ' '),
                env: list(f[2], ';'),
                stdin: (f[3] != "-").then(|| f[3].to_string()),
                exit: f[4].parse().unwrap(),
                setup: list(f[5], ';'),
            }
        })
        .collect()
}

/// Runs `cmd` with `stdin` (a file, or empty), capturing stdout/stderr.
fn run_with_stdin(cmd: &mut Command, stdin: Option<&Path>) -> Result<Output, String> {
    let what = format!("{cmd:?}");
    let input = match stdin {
        Some(p) => Stdio::from(fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => Stdio::null(),
    };
    let mut child = cmd
        .stdin(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let e = thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} did not finish; killed"));
            }
        }
    };
    Ok(Output {
        status,
        stdout: o.join().unwrap(),
        stderr: e.join().unwrap(),
    })
}

/// `waot build input -o out extra...`.
fn build(input: &Path, out: &Path, extra: &[String]) -> Result<(), String> {
    let mut cmd = Command::new(waot_bin());
    cmd.arg("build").arg(input).arg("-o").arg(out).args(extra);
    let o = run_with_stdin(&mut cmd, None)?;
    if !o.status.success() {
        return Err(format!("waot build failed: {}", o.stderr_text()));
    }
    Ok(())
}

/// Builds and runs one manifest program; `runtime_grants` gives the
/// preopen and environment through `WAOT_DIR`/`WAOT_ENV` instead of
/// `--dir`/`--env`.
fn check_program(p: &Program, runtime_grants: bool) -> Result<(), String> {
    let wasi = repo_root().join("tests/wasi");
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let t = tmp.path().join("t");
    let root = t.join("root");
    fs::create_dir_all(&root).unwrap();
    let mut outside = Vec::new();
    for item in &p.setup {
        let (kind, rest) = item.split_once(':').unwrap();
        let (path, value) = rest.split_once('=').unwrap_or((rest, ""));
        match kind {
            "file" => fs::write(root.join(path), value).unwrap(),
            "dir" => fs::create_dir_all(root.join(path)).unwrap(),
            "symlink" => symlink(value, root.join(path)).unwrap(),
            "outside" => {
                fs::write(t.join(path), value).unwrap();
                outside.push((path.to_string(), value.to_string()));
            }
            _ => panic!("unknown setup item {item}"),
        }
    }
    let exe = tmp.path().join("prog");
    let mut extra = Vec::new();
    if !runtime_grants {
        extra.push("--dir".to_string());
        extra.push(format!("{}::.", root.display()));
        for e in &p.env {
            extra.push(format!("--env={e}"));
        }
    }
    build(&wasi.join(format!("{}.wasm", p.name)), &exe, &extra)?;
    let base = p.name.rsplit('/').next().unwrap();
    let mut cmd = Command::new(&exe);
    cmd.arg0_compat(base)
        .args(&p.args)
        .env_clear()
        .current_dir(tmp.path());
    if runtime_grants {
        cmd.env("WAOT_DIR", format!("{}::.", root.display()));
        cmd.env("WAOT_ENV", p.env.join(";"));
    }
    let stdin = p.stdin.as_ref().map(|s| wasi.join(s));
    let out = run_with_stdin(&mut cmd, stdin.as_deref())?;
    let expected = fs::read_to_string(wasi.join(format!("{}.expected", p.name))).unwrap();
    let got = out.stdout_text();
    let mut problems = Vec::new();
    if expected != got {
        problems.push(format!(
            "stdout differs\n--- expected:\n{expected}--- got:\n{got}"
        ));
    }
    if out.status.code() != Some(p.exit) {
        problems.push(format!(
            "expected exit {}, got {}",
            p.exit,
            describe(out.status)
        ));
    }
    for (name, text) in &outside {
        let now = fs::read_to_string(t.join(name)).unwrap_or_default();
        if &now != text {
            problems.push(format!("outside file {name} changed to {now:?}"));
        }
    }
    if !outside.is_empty() {
        let mut names: Vec<String> = fs::read_dir(&t)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut want: Vec<String> = outside.iter().map(|o| o.0.clone()).collect();
        want.push("root".into());
        want.sort();
        if names != want {
            problems.push(format!(
                "files next to the preopen: {names:?}, want {want:?}"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} ({}):\n{}\nstderr:\n{}",
            p.name,
            if runtime_grants {
                "WAOT_DIR/WAOT_ENV"
            } else {
                "--dir/--env"
            },
            problems.join("\n"),
            out.stderr_text()
        ))
    }
}

/// `Command::arg0` is unix-only and sets argv[0]; the programs only check
/// that it is non-empty.
trait Arg0 {
    fn arg0_compat(&mut self, name: &str) -> &mut Self;
}
impl Arg0 for Command {
    fn arg0_compat(&mut self, name: &str) -> &mut Self {
        std::os::unix::process::CommandExt::arg0(self, name)
    }
}

#[test]
fn corpus() {
    let programs = manifest();
    assert_eq!(programs.len(), 15);
    // Build-time grants for all; run-time grants too for those that use
    // the preopen or the environment.
    let runtime = [
        "c/files",
        "c/sandbox",
        "c/argsenv",
        "rust/fs",
        "rust/envexit",
    ];
    let failures: Vec<String> = thread::scope(|s| {
        let handles: Vec<_> = programs
            .iter()
            .flat_map(|p| {
                let modes = if runtime.contains(&p.name.as_str()) {
                    vec![false, true]
                } else {
                    vec![false]
                };
                modes.into_iter().map(move |m| (p, m))
            })
            .map(|(p, m)| s.spawn(move || check_program(p, m)))
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap().err())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
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
    let out = run_with_stdin(cmd, None).unwrap();
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
    let out = run_with_stdin(
        Command::new(&exe)
            .env_clear()
            .env("WAOT_DIR", "/nonexistent/waot"),
        None,
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr_text().contains("cannot open directory"));
}

#[test]
fn reactor_runs_initialize() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = build_wat(tmp.path(), "reactor", REACTOR, &[]);
    let out = run_with_stdin(&mut Command::new(&exe), None).unwrap();
    assert_eq!(out.stdout_text(), "init\n");
    assert_eq!(out.status.code(), Some(0));
}
