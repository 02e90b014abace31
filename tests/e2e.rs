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
//!   output file.
//!
//! These tests run the `waot` binary of the same profile
//! (`target/<profile>/waot`); build it first.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use support::{describe, repo_root, run, waot_bin, Expectations, Output};

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

/// Runs `check` on every input in parallel; panics listing all failures.
fn check_all(inputs: &[PathBuf], check: impl Fn(&Path) -> Result<(), String> + Sync) {
    let failures: Vec<String> = thread::scope(|s| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|input| {
                let check = &check;
                s.spawn(move || check(input).map_err(|e| format!("{}: {e}", input.display())))
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().expect("check thread panicked").err())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn traps() {
    let inputs = files_with_ext("tests/traps", "wat");
    check_all(&inputs, |input| {
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
    check_all(&inputs, |input| {
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
    check_all(&inputs, |input| {
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
