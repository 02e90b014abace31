//! End-to-end tests of the `waot` binary: build real executables, run them,
//! and check what they print and how they exit.
//!
//! - `tests/traps/*.wat`: each trap kind gives status 134 and its report
//!   (directives in `tests/traps/README.md`);
//! - `examples/hello/hello.wat` prints its greeting;
//! - `tests/programs/*.wasm`: C programs whose stdout must equal `*.expected`
//!   (see `tests/programs/README.md`);
//! - `waot compile` is deterministic;
//! - invalid input gives one `error:` line with an offset, status 1, and no
//!   output file;
//! - Rust names are demangled in symbols and trap backtraces, `run --invoke`
//!   reports backtraces too;
//! - the CLI options not covered by `crates/waot-cli/tests` (which tests
//!   `run`, `run --invoke`, `inspect [--json]`, `validate [-W]`, `--emit
//!   clif|asm --function`, `--cpu`, `--target`, `completions`, `--version`,
//!   `--timings`, `cache dir|clean` end to end as well): `--emit obj`,
//!   `-O0/1/2`, `--emit asm --target --function`, `inspect` of a real Rust
//!   module, and no progress line when stderr is piped.
//!
//! These tests run the `waot` binary of the same profile
//! (`target/<profile>/waot`); build it first.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use object::{Object, ObjectSymbol};
use support::{
    backtrace_frames, check_files, describe, repo_root, run, waot_bin, Expectations, Output,
};

/// Safety net for `waot` itself and for the programs it builds.
const LIMIT: Duration = Duration::from_secs(300);

/// The files in `dir` (relative to the repository) ending in `.ext`, sorted.
fn files_with_ext(dir: &str, ext: &str) -> Vec<PathBuf> {
    let dir = repo_root().join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .{ext} files in {}", dir.display());
    files
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .expect("file has a name")
        .to_string_lossy()
        .into_owned()
}

/// Runs `waot <args...>`.
fn waot(args: &[&Path]) -> Output {
    let mut cmd = Command::new(waot_bin());
    cmd.args(args);
    run(&mut cmd, LIMIT).unwrap_or_else(|e| panic!("{e}"))
}

/// `waot build input -o dir/<stem>`; the executable's path, or why not.
fn build(input: &Path, dir: &Path) -> Result<PathBuf, String> {
    let exe = dir.join(stem(input));
    let out = waot(&["build".as_ref(), input, "-o".as_ref(), &exe]);
    if !out.status.success() {
        return Err(format!(
            "waot build {} failed ({}):\n{}",
            input.display(),
            describe(out.status),
            out.stderr_text()
        ));
    }
    if !exe.is_file() {
        return Err(format!(
            "waot build succeeded but wrote no {}",
            exe.display()
        ));
    }
    Ok(exe)
}

#[test]
fn traps() {
    let inputs = files_with_ext("tests/traps", "wat");
    check_files(&inputs, |input| {
        let source = fs::read_to_string(input).map_err(|e| e.to_string())?;
        let expected = Expectations::parse(&source)?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let exe = build(input, dir.path())?;
        let out = run(Command::new(&exe).env_clear(), LIMIT)?;
        let problems = expected.check(&out);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{}\n--- stdout:\n{}--- stderr:\n{}",
                problems.join("\n"),
                out.stdout_text(),
                out.stderr_text()
            ))
        }
    });
}

#[test]
fn hello_example() {
    let dir = tempfile::tempdir().unwrap();
    let input = repo_root().join("examples/hello/hello.wat");
    let exe = build(&input, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&mut Command::new(&exe), LIMIT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.stdout_text(), "Hello from waot!\n");
    assert_eq!(out.stderr_text(), "");
    assert_eq!(out.status.code(), Some(0), "{}", describe(out.status));
}

/// How `tests/programs/README.md` says to run a program: arguments, the
/// environment (always cleared first), expected exit status and stderr.
struct ProgramRun {
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    status: i32,
    stderr: &'static str,
}

fn program_run(name: &str) -> ProgramRun {
    match name {
        "args" => ProgramRun {
            args: &["alpha", "two words", "", "ünïcödé", "--flag=1"],
            env: &[("WAOT_ENV", "WAOT_TEST_VAR=hello waot")],
            status: 3,
            stderr: "args: exiting with status 3\n",
        },
        _ => ProgramRun {
            args: &[],
            env: &[],
            status: 0,
            stderr: "",
        },
    }
}

#[test]
fn wasi_programs() {
    let inputs = files_with_ext("tests/programs", "wasm");
    check_files(&inputs, |input| {
        let name = stem(input);
        let how = program_run(&name);
        let expected_path = input.with_extension("expected");
        let expected = fs::read(&expected_path)
            .map_err(|e| format!("reading {}: {e}", expected_path.display()))?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let exe = build(input, dir.path())?;
        let mut cmd = Command::new(&exe);
        cmd.args(how.args).env_clear().envs(how.env.iter().copied());
        let out = run(&mut cmd, LIMIT)?;
        let mut problems = Vec::new();
        if out.stdout != expected {
            problems.push(format!(
                "stdout differs from {}\n--- expected:\n{}--- got:\n{}",
                expected_path.display(),
                String::from_utf8_lossy(&expected),
                out.stdout_text()
            ));
        }
        if out.status.code() != Some(how.status) {
            problems.push(format!(
                "expected exit status {}, got {}",
                how.status,
                describe(out.status)
            ));
        }
        if out.stderr_text() != how.stderr {
            problems.push(format!(
                "expected stderr {:?}, got {:?}",
                how.stderr,
                out.stderr_text()
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    });
}

#[test]
fn compile_is_deterministic() {
    let mut inputs = files_with_ext("tests/programs", "wasm");
    inputs.push(repo_root().join("examples/hello/hello.wat"));
    check_files(&inputs, |input| {
        let objects: Vec<Vec<u8>> = (0..2)
            .map(|_| {
                let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
                let obj = dir.path().join(format!("{}.o", stem(input)));
                let out = waot(&["compile".as_ref(), input, "-o".as_ref(), &obj]);
                if !out.status.success() {
                    return Err(format!(
                        "waot compile failed ({}):\n{}",
                        describe(out.status),
                        out.stderr_text()
                    ));
                }
                fs::read(&obj).map_err(|e| format!("reading {}: {e}", obj.display()))
            })
            .collect::<Result<_, _>>()?;
        if objects[0].is_empty() {
            return Err("empty object file".into());
        }
        match objects[0].iter().zip(&objects[1]).position(|(a, b)| a != b) {
            None if objects[0].len() == objects[1].len() => Ok(()),
            None => Err(format!(
                "objects differ in size: {} vs {} bytes",
                objects[0].len(),
                objects[1].len()
            )),
            Some(at) => Err(format!("objects differ first at byte {at:#x}")),
        }
    });
}

/// Writes `bytes` as `dir/name`, runs `waot <subcommand>` on it, and checks
/// the failure: status 1, exactly one stderr line starting with `error:` that
/// mentions the offset (and `also_contains`), and nothing written beside the
/// input (no output file, no leftover temporary).
fn check_rejected(name: &str, bytes: &[u8], also_contains: &str) {
    for subcommand in ["build", "compile"] {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join(name);
        fs::write(&input, bytes).unwrap();
        let output = dir.path().join(if subcommand == "build" {
            "out"
        } else {
            "out.o"
        });
        let out = waot(&[subcommand.as_ref(), &input, "-o".as_ref(), &output]);
        let stderr = out.stderr_text();
        let context = format!("waot {subcommand} {name}: stderr {stderr:?}");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{context}: {}",
            describe(out.status)
        );
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{context}: expected exactly one line");
        assert!(lines[0].starts_with("error:"), "{context}");
        assert!(lines[0].contains("offset"), "{context}: no offset");
        assert!(
            lines[0].contains(also_contains),
            "{context}: no {also_contains:?}"
        );
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [name], "{context}: files left behind");
    }
}

#[test]
fn truncated_module_is_rejected() {
    let wasm = fs::read(repo_root().join("tests/programs/solver.wasm")).unwrap();
    check_rejected("truncated.wasm", &wasm[..wasm.len() / 2], "");
}

#[test]
fn type_mismatch_is_rejected() {
    let wat = "(module\n  (func (result i32)\n    i64.const 0))\n";
    check_rejected("mismatch.wat", wat.as_bytes(), "type mismatch");
}

/// Runs `waot` with string arguments.
fn waot_str(args: &[&str]) -> Output {
    let mut cmd = Command::new(waot_bin());
    cmd.args(args);
    run(&mut cmd, LIMIT).unwrap_or_else(|e| panic!("{e}"))
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Names of the function symbols of a wasm module compiled by waot
/// (`<name>.f<index>`; see `waot_abi::symbols::function_symbol`) in the
/// object or executable at `path`.
fn wasm_function_symbols(path: &Path) -> Vec<String> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let file = object::File::parse(&*bytes).expect("an ELF file");
    file.symbols()
        .filter_map(|s| s.name().ok().map(str::to_string))
        .filter(|name| {
            name.rsplit_once(".f")
                .is_some_and(|(_, i)| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect()
}

/// `tests/wasi/rust/lines.wasm` is a Rust program (std, wasm32-wasip1) whose
/// name section holds legacy (`_ZN...E`) and v0 (`_R...`) mangled names.
#[test]
fn rust_names_are_demangled_in_symbols_and_backtraces() {
    let dir = tempfile::tempdir().unwrap();
    let input = repo_root().join("tests/wasi/rust/lines.wasm");
    let obj = dir.path().join("lines.o");
    let out = waot_str(&[
        "compile",
        "--emit",
        "obj",
        path_str(&input),
        "-o",
        path_str(&obj),
    ]);
    assert!(out.status.success(), "{}", out.stderr_text());
    let symbols = wasm_function_symbols(&obj);
    for want in [
        "lines::main.f12",
        "<alloc::string::String as core::fmt::Display>::fmt.f7",
        "core::fmt::Write::write_fmt.f9",
        "_start.f6",
    ] {
        assert!(
            symbols.iter().any(|s| s == want),
            "no symbol {want:?} in {symbols:?}"
        );
    }
    let mangled: Vec<_> = symbols
        .iter()
        .filter(|s| s.starts_with("_ZN") || s.starts_with("_R"))
        .collect();
    assert!(mangled.is_empty(), "still mangled: {mangled:?}");

    // The executable keeps them (what perf and gdb read), and a panic
    // (invalid UTF-8 on stdin; Rust aborts with `unreachable`) prints a
    // demangled backtrace down to `_start`.
    let exe = build(&input, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(wasm_function_symbols(&exe)
        .iter()
        .any(|s| s == "lines::main.f12"));
    let stdin = dir.path().join("stdin");
    fs::write(&stdin, b"ok\n\xff\xfe\n").unwrap();
    let out = Command::new(&exe)
        .env_clear()
        .stdin(fs::File::open(&stdin).unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(134), "{stderr}");
    assert!(
        stderr.contains("error: wasm trap: unreachable\nwasm backtrace:\n"),
        "{stderr}"
    );
    let frames = backtrace_frames(&stderr);
    assert!(
        frames.iter().any(|f| f == "lines::main (wasm function 12)"),
        "{stderr}"
    );
    assert!(
        frames
            .iter()
            .any(|f| f == "std::process::abort (wasm function 53)"),
        "{stderr}"
    );
    assert_eq!(
        frames.last().map(String::as_str),
        Some("_start (wasm function 6)"),
        "{stderr}"
    );
}

/// `waot run --invoke` runs the module in-process: its traps have the same
/// backtrace as an executable's.
#[test]
fn invoke_trap_has_a_backtrace() {
    let input = repo_root().join("tests/traps/backtrace.wat");
    let out = waot_str(&["run", "--invoke", "_start", path_str(&input)]);
    assert_eq!(out.status.code(), Some(134), "{}", describe(out.status));
    let stderr = out.stderr_text();
    assert!(
        stderr.starts_with("error: wasm trap: integer divide by zero\n"),
        "{stderr}"
    );
    assert_eq!(
        backtrace_frames(&stderr),
        [
            "innermost (wasm function 0)",
            "middle (wasm function 1)",
            "outer (wasm function 2)",
            "wasm function 3",
        ],
        "{stderr}"
    );
}

/// `--emit obj` (the default, spelled out) and every `-O` level give a
/// working object and executable.
#[test]
fn emit_obj_and_optimization_levels() {
    let dir = tempfile::tempdir().unwrap();
    let hello = repo_root().join("examples/hello/hello.wat");
    for level in ["0", "1", "2"] {
        let obj = dir.path().join(format!("hello{level}.o"));
        let out = waot_str(&[
            "compile",
            "--emit",
            "obj",
            "-O",
            level,
            path_str(&hello),
            "-o",
            path_str(&obj),
        ]);
        assert!(out.status.success(), "-O{level}: {}", out.stderr_text());
        let bytes = fs::read(&obj).unwrap();
        assert!(bytes.starts_with(b"\x7fELF"), "-O{level}: not an ELF file");
        let exe = dir.path().join(format!("hello{level}"));
        let out = waot_str(&[
            "build",
            &format!("-O{level}"),
            path_str(&hello),
            "-o",
            path_str(&exe),
        ]);
        assert!(out.status.success(), "-O{level}: {}", out.stderr_text());
        let out = run(&mut Command::new(&exe), LIMIT).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.stdout_text(), "Hello from waot!\n", "-O{level}");
    }
    // `--emit obj` needs somewhere to write (waot's error, status 1); `-O3`
    // does not exist (a usage error from the argument parser, status 2).
    for (args, status) in [
        (&["compile", "--emit", "obj"][..], 1),
        (&["compile", "-O", "3", "-o", "x.o"], 2),
    ] {
        let mut args = args.to_vec();
        args.push(path_str(&hello));
        let out = waot_str(&args);
        assert_eq!(out.status.code(), Some(status), "{args:?}");
        assert!(out.stderr_text().starts_with("error"), "{args:?}");
    }
}

/// `--emit asm --function NAME --target T`: one function's machine code for
/// either target; Rust functions can be picked by their demangled name.
#[test]
fn emit_asm_for_a_function_and_target() {
    let input = repo_root().join("tests/traps/backtrace.wat");
    for (target, divide) in [
        ("x86_64-unknown-linux-gnu", "div"),
        ("aarch64-unknown-linux-gnu", "udiv"),
    ] {
        let out = waot_str(&[
            "compile",
            "--emit",
            "asm",
            "--function",
            "innermost",
            "--target",
            target,
            path_str(&input),
        ]);
        assert!(out.status.success(), "{target}: {}", out.stderr_text());
        let asm = out.stdout_text();
        assert!(
            asm.starts_with(";; function 0 innermost\n"),
            "{target}: {asm}"
        );
        assert_eq!(asm.matches(";; function").count(), 1, "{target}: {asm}");
        assert!(asm.contains(divide), "{target}: {asm}");
    }
    let lines = repo_root().join("tests/wasi/rust/lines.wasm");
    for name in ["lines::main", "_ZN5lines4main17hca9aa96c77e74769E", "12"] {
        let out = waot_str(&[
            "compile",
            "--emit",
            "clif",
            "--function",
            name,
            path_str(&lines),
        ]);
        assert!(out.status.success(), "{name}: {}", out.stderr_text());
        assert!(
            out.stdout_text()
                .starts_with(";; function 12 lines::main\n"),
            "{name}: {}",
            out.stdout_text()
        );
    }
}

/// `inspect` of a real Rust module: WASI kind, imports, producers.
#[test]
fn inspect_rust_module() {
    let input = repo_root().join("tests/wasi/rust/lines.wasm");
    let out = waot_str(&["inspect", path_str(&input)]);
    assert!(out.status.success(), "{}", out.stderr_text());
    let text = out.stdout_text();
    for want in [
        "wasi: preview1\nkind: command\n",
        "  wasi_snapshot_preview1.fd_read: func (i32 i32 i32 i32) -> (i32)\n",
        "  _start: func () -> ()\n",
        "  language: C11, Rust\n",
    ] {
        assert!(text.contains(want), "no {want:?} in:\n{text}");
    }
    let out = waot_str(&["inspect", "--json", path_str(&input)]);
    assert!(out.status.success(), "{}", out.stderr_text());
    let json = out.stdout_text();
    assert!(json.contains(r#""kind":"command""#), "{json}");
    assert!(json.contains(r#""wasi":"preview1""#), "{json}");
}

/// A module of 1 MiB or more shows a progress line only on a terminal:
/// with stderr piped (as here), compiling it prints nothing.
#[test]
fn progress_is_quiet_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let data = "x".repeat(1 << 20);
    let wat = format!("(module (memory 17) (data (i32.const 0) \"{data}\"))");
    let wasm = wat::parse_str(&wat).unwrap();
    assert!(wasm.len() >= 1 << 20);
    let input = dir.path().join("big.wasm");
    fs::write(&input, &wasm).unwrap();
    let obj = dir.path().join("big.o");
    let out = waot_str(&["compile", path_str(&input), "-o", path_str(&obj)]);
    assert!(out.status.success(), "{}", out.stderr_text());
    assert_eq!(out.stderr_text(), "", "nothing on a piped stderr");
    assert!(obj.is_file());
}

/// Exits with the number of environment variables the program sees.
const ENV_COUNT_WAT: &str = r#"(module
    (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "_start")
        (drop (call $env (i32.const 0) (i32.const 4)))
        (call $exit (i32.load (i32.const 0)))))"#;

/// `build --inherit-env` passes the host environment (by default the
/// program sees none), for `build` and `run` alike; `--linker CC` picks the
/// C compiler driver that links.
#[test]
fn inherit_env_and_linker() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("envcount.wat");
    fs::write(&input, ENV_COUNT_WAT).unwrap();
    let host_env = [("WAOT_E2E_A", "1"), ("WAOT_E2E_B", "2")];
    for (flags, want) in [(&[][..], 0), (&["--inherit-env"][..], 2)] {
        let exe = dir.path().join("envcount");
        let mut args = vec!["build", "--linker", "cc"];
        args.extend_from_slice(flags);
        args.extend([path_str(&input), "-o", path_str(&exe)]);
        let out = waot_str(&args);
        assert!(out.status.success(), "{args:?}: {}", out.stderr_text());
        let mut cmd = Command::new(&exe);
        cmd.env_clear().envs(host_env);
        let out = run(&mut cmd, LIMIT).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(want), "{flags:?}");

        // `waot run` links with `cc` from PATH, so it gets PATH and its
        // cache directory too: the program inherits all of them.
        let cache = dir.path().join("cache");
        let mut vars: Vec<(String, String)> = host_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        vars.push(("WAOT_CACHE_DIR".into(), path_str(&cache).into()));
        if let Ok(path) = std::env::var("PATH") {
            vars.push(("PATH".into(), path));
        }
        let mut cmd = Command::new(waot_bin());
        cmd.arg("run")
            .args(flags)
            .arg(&input)
            .env_clear()
            .envs(vars.clone());
        let out = run(&mut cmd, LIMIT).unwrap_or_else(|e| panic!("{e}"));
        let want = if want == 0 { 0 } else { vars.len() as i32 };
        assert_eq!(
            out.status.code(),
            Some(want),
            "run {flags:?}: {}",
            out.stderr_text()
        );
    }
    let out = waot_str(&[
        "build",
        "--linker",
        "no-such-cc-waot",
        path_str(&input),
        "-o",
        path_str(&dir.path().join("never")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        out.stderr_text().lines().count(),
        1,
        "{}",
        out.stderr_text()
    );
    assert!(!dir.path().join("never").exists());
}

/// A memory with 1-byte pages (custom-page-sizes) grown byte by byte past an
/// OS page boundary: every byte up to its length works (any failure is an
/// `unreachable` trap in `$grow_and_fill`), and the first byte past it traps
/// in `$load_past_end`, though that byte is on an accessible OS page.
const SMALL_PAGES_WAT: &str = r#";; EXPECT-STATUS: 134
;; EXPECT-STDERR: error: wasm trap: out of bounds memory access
;; EXPECT-FRAME: load_past_end (wasm function 1)
(module
  (memory (export "memory") 0 (pagesize 1))
  (table $calls 1 funcref)
  (elem (table $calls) (i32.const 0) func $load_past_end)

  (func $grow_and_fill (param $n i32)
    (local $i i32)
    (loop $next
      (if (i32.ne (memory.grow (i32.const 1)) (local.get $i)) (then unreachable))
      (i32.store8 (local.get $i) (local.get $i))
      (if (i32.ne (i32.load8_u (local.get $i)) (i32.and (local.get $i) (i32.const 0xff)))
        (then unreachable))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (if (i32.ne (memory.size) (local.get $n)) (then unreachable)))

  (func $load_past_end (param $addr i32) (result i32)
    (i32.load8_u (local.get $addr)))

  (func (export "_start")
    (call $grow_and_fill (i32.const 5001))
    (drop (call_indirect $calls (param i32) (result i32)
      (i32.const 5001) (i32.const 0)))))"#;

#[test]
fn one_byte_page_memory_traps_at_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("small_pages.wat");
    fs::write(&input, SMALL_PAGES_WAT).unwrap();
    let exe = dir.path().join("small_pages");
    let build = |features: &[&str]| {
        let mut args = vec!["build"];
        args.extend_from_slice(features);
        args.extend([path_str(&input), "-o", path_str(&exe)]);
        waot_str(&args)
    };
    let out = build(&[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "custom page sizes are off by default"
    );
    assert!(
        out.stderr_text().contains("page size"),
        "{}",
        out.stderr_text()
    );

    let out = build(&["-W", "custom-page-sizes"]);
    assert!(out.status.success(), "{}", out.stderr_text());
    let out = run(Command::new(&exe).env_clear(), LIMIT).unwrap_or_else(|e| panic!("{e}"));
    let problems = Expectations::parse(SMALL_PAGES_WAT).unwrap().check(&out);
    assert!(
        problems.is_empty(),
        "{}\n--- stderr:\n{}",
        problems.join("\n"),
        out.stderr_text()
    );
}
