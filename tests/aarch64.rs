//! arm64 cross-compilation, end to end: `waot build --target
//! aarch64-unknown-linux-gnu` on this machine, the executables run under
//! `qemu-aarch64 -L /usr/aarch64-linux-gnu` (directly on an arm64 host).
//!
//! - `waot targets` and the one-line error for an unsupported `--target`;
//! - `waot compile --target aarch64...` writes an arm64 relocatable object;
//! - `examples/hello/hello.wat`: `file` says "ARM aarch64", prints its greeting;
//! - `tests/programs/*.wasm`: same stdout, stderr and exit status as on
//!   x86_64 (`tests/programs/README.md`);
//! - `tests/traps/*.wat`: same trap reports and status 134;
//! - the WASI corpus of `tests/wasi` (`support/wasi_corpus.rs`), with the
//!   expectations of `wasi.rs`;
//! - link modes: static-pie (the default), `--static` ("statically linked")
//!   and `--link dynamic` executables for both targets, which run.
//!
//! Needs what `scripts/setup.sh` installs (qemu-user, gcc-aarch64-linux-gnu,
//! libc6-dev-arm64-cross, the rustup target) and the arm64 runtime:
//! `cargo build --release -p waot-runtime --target aarch64-unknown-linux-gnu`
//! (scripts/test.sh does it). The spec suite under qemu is the `spec` test
//! itself, cross-compiled: `cargo test --release --target
//! aarch64-unknown-linux-gnu -p waot-tests --test spec`.

mod support;

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::wasi_corpus::{check_corpus, Platform};
use support::{
    check_files, describe, on_path, repo_root, run, waot_bin, waot_build, Expectations, Output,
};

/// The cross target under test.
const TARGET: &str = "aarch64-unknown-linux-gnu";

/// The arm64 sysroot of Debian's libc6-dev-arm64-cross, for qemu's `-L`.
const SYSROOT: &str = "/usr/aarch64-linux-gnu";

/// Safety net for `waot` and for programs under emulation (slower than native).
const LIMIT: Duration = Duration::from_secs(600);

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
fn waot(args: &[&str]) -> Output {
    let mut cmd = Command::new(waot_bin());
    cmd.args(args);
    run(&mut cmd, LIMIT).unwrap_or_else(|e| panic!("{e}"))
}

/// `waot build --target <target> [extra...] input -o dir/<stem>`.
fn build(target: &str, input: &Path, dir: &Path, extra: &[&str]) -> Result<PathBuf, String> {
    let exe = dir.join(stem(input));
    let mut args = vec!["--target".to_string(), target.to_string()];
    args.extend(extra.iter().map(|a| a.to_string()));
    waot_build(input, &exe, &args, LIMIT)?;
    Ok(exe)
}

/// `waot build --target aarch64-unknown-linux-gnu`.
fn cross_build(input: &Path, dir: &Path, extra: &[&str]) -> Result<PathBuf, String> {
    build(TARGET, input, dir, extra)
}

/// What runs an arm64 executable (given next): qemu with the arm64
/// sysroot, or nothing on an arm64 host.
fn qemu_wrapper() -> Vec<OsString> {
    if cfg!(target_arch = "aarch64") {
        Vec::new()
    } else {
        vec![on_path("qemu-aarch64").into(), "-L".into(), SYSROOT.into()]
    }
}

/// A command running the arm64 executable `exe` with `args` (see
/// [`qemu_wrapper`]). The environment is cleared (qemu passes its own to
/// the guest).
fn arm64_command(exe: &Path, args: &[&str]) -> Command {
    let wrapper = qemu_wrapper();
    let mut cmd = match wrapper.split_first() {
        None => Command::new(exe),
        Some((qemu, rest)) => {
            let mut c = Command::new(qemu);
            c.args(rest).arg(exe);
            c
        }
    };
    cmd.args(args).env_clear();
    cmd
}

/// What `file` says about `path`.
fn file_type(path: &Path) -> String {
    let out = run(Command::new("file").arg("-b").arg(path), LIMIT)
        .unwrap_or_else(|e| panic!("`file` (Debian package file): {e}"));
    assert!(
        out.status.success(),
        "file {}: {}",
        path.display(),
        describe(out.status)
    );
    out.stdout_text().trim().to_string()
}

#[test]
fn targets_are_listed() {
    let out = waot(&["targets"]);
    assert!(out.status.success(), "{}", describe(out.status));
    let listed: Vec<String> = out.stdout_text().lines().map(str::to_string).collect();
    assert_eq!(
        listed,
        ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
    );
}

#[test]
fn unsupported_target_is_one_clear_error() {
    let hello = repo_root().join("examples/hello/hello.wat");
    let hello = hello.to_str().unwrap();
    for target in [
        "riscv64gc-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-unknown-linux-musl",
        "not-a-triple",
    ] {
        for subcommand in ["build", "compile"] {
            let dir = tempfile::tempdir().unwrap();
            let output = dir.path().join("out");
            let out = waot(&[
                subcommand,
                "--target",
                target,
                hello,
                "-o",
                output.to_str().unwrap(),
            ]);
            let stderr = out.stderr_text();
            let context = format!("waot {subcommand} --target {target}: stderr {stderr:?}");
            assert_eq!(out.status.code(), Some(1), "{context}");
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{context}: expected one line");
            assert!(lines[0].starts_with("error:"), "{context}");
            assert!(lines[0].contains(target), "{context}: names the target");
            assert!(
                lines[0].contains(
                    "supported targets: x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu"
                ),
                "{context}: lists the supported targets"
            );
            assert_eq!(
                fs::read_dir(dir.path()).unwrap().count(),
                0,
                "{context}: files left behind"
            );
        }
    }
}

#[test]
fn compile_writes_arm64_object() {
    let dir = tempfile::tempdir().unwrap();
    let obj = dir.path().join("hello.o");
    let hello = repo_root().join("examples/hello/hello.wat");
    let out = waot(&[
        "compile",
        "--target",
        TARGET,
        hello.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", out.stderr_text());
    let ty = file_type(&obj);
    assert!(ty.contains("ARM aarch64"), "{ty}");
    assert!(ty.contains("relocatable"), "{ty}");
}

#[test]
fn hello_example() {
    let dir = tempfile::tempdir().unwrap();
    let input = repo_root().join("examples/hello/hello.wat");
    let exe = cross_build(&input, dir.path(), &[]).unwrap_or_else(|e| panic!("{e}"));
    let ty = file_type(&exe);
    assert!(ty.contains("ARM aarch64"), "file says: {ty}");
    // The default link mode.
    assert!(ty.contains("static-pie linked"), "file says: {ty}");
    let out = run(&mut arm64_command(&exe, &[]), LIMIT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.stdout_text(), "Hello from waot!\n");
    assert_eq!(out.stderr_text(), "");
    assert_eq!(out.status.code(), Some(0), "{}", describe(out.status));
}

#[test]
fn dynamic_executables() {
    let input = repo_root().join("examples/hello/hello.wat");
    for target in ["x86_64-unknown-linux-gnu", TARGET] {
        let dir = tempfile::tempdir().unwrap();
        let exe = build(target, &input, dir.path(), &["--link", "dynamic"])
            .unwrap_or_else(|e| panic!("{e}"));
        let ty = file_type(&exe);
        assert!(
            ty.contains("dynamically linked"),
            "{target}: file says: {ty}"
        );
        let mut cmd = if target == TARGET {
            arm64_command(&exe, &[])
        } else {
            let mut c = Command::new(&exe);
            c.env_clear();
            c
        };
        let out = run(&mut cmd, LIMIT).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.stdout_text(), "Hello from waot!\n", "{target}");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{target}: {}",
            describe(out.status)
        );
    }
}

#[test]
fn static_executables() {
    let input = repo_root().join("tests/programs/args.wasm");
    let expected = fs::read(input.with_extension("expected")).unwrap();
    let how = program_run("args");
    for target in ["x86_64-unknown-linux-gnu", TARGET] {
        let dir = tempfile::tempdir().unwrap();
        let exe =
            build(target, &input, dir.path(), &["--static"]).unwrap_or_else(|e| panic!("{e}"));
        let ty = file_type(&exe);
        assert!(
            ty.contains("statically linked"),
            "{target}: file says: {ty}"
        );
        let arch = if target == TARGET {
            "ARM aarch64"
        } else {
            "x86-64"
        };
        assert!(ty.contains(arch), "{target}: file says: {ty}");
        let mut cmd = if target == TARGET {
            arm64_command(&exe, how.args)
        } else {
            let mut c = Command::new(&exe);
            c.args(how.args).env_clear();
            c
        };
        cmd.envs(how.env.iter().copied());
        let out = run(&mut cmd, LIMIT).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            out.stdout_text(),
            String::from_utf8_lossy(&expected),
            "{target}"
        );
        assert_eq!(out.stderr_text(), how.stderr, "{target}");
        assert_eq!(
            out.status.code(),
            Some(how.status),
            "{target}: {}",
            describe(out.status)
        );
    }
}

#[test]
fn static_trap() {
    // Signals, the alternate stack and the unwinder in a static executable.
    let input = repo_root().join("tests/traps/memory_out_of_bounds.wat");
    let expected = Expectations::parse(&fs::read_to_string(&input).unwrap()).unwrap();
    for target in ["x86_64-unknown-linux-gnu", TARGET] {
        let dir = tempfile::tempdir().unwrap();
        let exe =
            build(target, &input, dir.path(), &["--static"]).unwrap_or_else(|e| panic!("{e}"));
        let mut cmd = if target == TARGET {
            arm64_command(&exe, &[])
        } else {
            let mut c = Command::new(&exe);
            c.env_clear();
            c
        };
        let out = run(&mut cmd, LIMIT).unwrap_or_else(|e| panic!("{e}"));
        let problems = expected.check(&out);
        assert!(
            problems.is_empty(),
            "{target}: {problems:?}\n{}",
            out.stderr_text()
        );
    }
}

#[test]
fn traps() {
    let inputs = files_with_ext("tests/traps", "wat");
    check_files(&inputs, |input| {
        let source = fs::read_to_string(input).map_err(|e| e.to_string())?;
        let expected = Expectations::parse(&source)?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let exe = cross_build(input, dir.path(), &[])?;
        let out = run(&mut arm64_command(&exe, &[]), LIMIT)?;
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

/// How `tests/programs/README.md` says to run a program, as in `e2e.rs`
/// (the environment is granted at run time through `WAOT_ENV`).
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
        let exe = cross_build(input, dir.path(), &[])?;
        let mut cmd = arm64_command(&exe, how.args);
        cmd.envs(how.env.iter().copied());
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

/// The WASI corpus (`tests/wasi/manifest.txt`, sockets included),
/// cross-built for arm64 and run under qemu with the expectations of
/// `wasi.rs`; grants at build time only (the run-time ones are the same
/// launcher code, checked natively).
#[test]
fn wasi_corpus() {
    let wrapper = qemu_wrapper();
    let arm64 = Platform {
        build_args: &["--target", TARGET],
        wrapper: &wrapper,
        limit: LIMIT,
    };
    check_corpus(&arm64, false);
}
