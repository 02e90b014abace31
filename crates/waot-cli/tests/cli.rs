//! End-to-end tests of the `waot` binary: outputs, one-line errors, atomic
//! output files, import checks, and (with the runtime built) executables.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn waot(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waot"))
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .expect("run waot")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts `out` failed the waot way: status 1, one `error:` line, no stdout.
fn assert_one_line_error(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(out.stdout.is_empty());
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.ends_with('\n'));
    err
}

/// Files in `dir` (to check that nothing temporary is left behind).
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn example(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(path)
}

const ADD_WAT: &str = r#"(module
    (func (export "add") (param i32 i32) (result i32)
        local.get 0
        local.get 1
        i32.add))"#;

#[test]
fn compile_wat_to_object() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("add.wat");
    fs::write(&input, ADD_WAT).unwrap();
    let output = dir.path().join("add.o");
    let out = waot(&[&"compile", &input, &"-o", &output]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let object = fs::read(&output).unwrap();
    assert_eq!(&object[..4], b"\x7fELF");
    // The default symbol prefix is the file stem.
    assert!(object.windows(10).any(|w| w == b"add_module"));
    assert_eq!(files(dir.path()), ["add.o", "add.wat"]);
}

#[test]
fn compile_for_aarch64_with_a_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("add.wat");
    fs::write(&input, ADD_WAT).unwrap();
    let output = dir.path().join("add.o");
    let out = waot(&[
        &"compile",
        &input,
        &"-o",
        &output,
        &"--target",
        &"aarch64-unknown-linux-gnu",
        &"--name",
        &"my-lib",
        &"-O",
        &"0",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let object = fs::read(&output).unwrap();
    assert!(object.windows(13).any(|w| w == b"my_lib_module"));
}

#[test]
fn invalid_module_is_one_line_with_offset_and_leaves_output_alone() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.wasm");
    // A type section that ends early.
    fs::write(&input, b"\0asm\x01\0\0\0\x01\x05\x01").unwrap();
    let output = dir.path().join("bad.o");
    let out = waot(&[&"compile", &input, &"-o", &output]);
    let err = assert_one_line_error(&out);
    assert!(err.contains("(at offset 0x"), "{err}");
    assert!(!output.exists());
    assert_eq!(files(dir.path()), ["bad.wasm"]);

    // An existing output is left untouched.
    fs::write(&output, b"old").unwrap();
    let out = waot(&[&"compile", &input, &"-o", &output]);
    assert_one_line_error(&out);
    assert_eq!(fs::read(&output).unwrap(), b"old");
    assert_eq!(files(dir.path()), ["bad.o", "bad.wasm"]);
}

#[test]
fn text_syntax_error_is_one_line_with_location() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.wat");
    fs::write(&input, "(module\n  (func (result i32) i32.konst 1))\n").unwrap();
    let out = waot(&[&"validate", &input]);
    let err = assert_one_line_error(&out);
    assert!(err.contains("bad.wat:2:"), "{err}");
}

#[test]
fn validation_error_is_one_line_with_offset() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.wat");
    fs::write(&input, "(module (func (result i32) i64.const 1))").unwrap();
    let out = waot(&[&"validate", &input]);
    let err = assert_one_line_error(&out);
    assert!(err.contains("type mismatch"), "{err}");
    assert!(err.contains("(at offset 0x"), "{err}");
}

#[test]
fn validate_prints_nothing_for_a_valid_module() {
    let out = waot(&[&"validate", &example("hello/hello.wat")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn missing_input_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = waot(&[&"validate", &dir.path().join("nope.wasm")]);
    let err = assert_one_line_error(&out);
    assert!(err.contains("nope.wasm"), "{err}");
}

#[test]
fn unsupported_target_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.o");
    let out = waot(&[
        &"compile",
        &example("hello/hello.wat"),
        &"-o",
        &output,
        &"--target",
        &"riscv64gc-unknown-linux-gnu",
    ]);
    let err = assert_one_line_error(&out);
    assert!(err.contains("x86_64-unknown-linux-gnu"), "{err}");
    assert!(!output.exists());
}

#[test]
fn targets_lists_the_supported_triples() {
    let out = waot(&[&"targets"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.lines().any(|l| l == "x86_64-unknown-linux-gnu"));
    assert!(stdout.lines().any(|l| l == "aarch64-unknown-linux-gnu"));
}

#[test]
fn build_rejects_non_wasi_imports() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("env.wat");
    fs::write(
        &input,
        r#"(module (import "env" "callback" (func)) (func (export "_start") call 0))"#,
    )
    .unwrap();
    let output = dir.path().join("env");
    let out = waot(&[&"build", &input, &"-o", &output]);
    let err = assert_one_line_error(&out);
    assert!(err.contains("`env.callback`"), "{err}");
    assert_eq!(files(dir.path()), ["env.wat"]);
}

/// The newest runtime library cargo built: `waot-runtime` is a
/// dev-dependency, so it is in `deps/` (or next to `waot` after a
/// `cargo build`).
fn runtime_lib() -> Option<PathBuf> {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_waot")).parent()?;
    let deps = fs::read_dir(bin_dir.join("deps")).ok()?.filter_map(|e| {
        let path = e.ok()?.path();
        let name = path.file_name()?.to_str()?;
        (name.starts_with("libwaot_runtime") && name.ends_with(".a")).then_some(path)
    });
    deps.chain(Some(bin_dir.join("libwaot_runtime.a")))
        .filter_map(|p| Some((fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
}

#[test]
fn build_and_run_hello() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("hello");
    let mut build = Command::new(env!("CARGO_BIN_EXE_waot"));
    build
        .arg("build")
        .arg(example("hello/hello.wat"))
        .arg("-o")
        .arg(&output);
    if let Some(lib) = runtime_lib() {
        build.env("WAOT_RUNTIME_LIB", lib);
    }
    let out = build.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    assert_eq!(files(dir.path()), ["hello"]);
    let run = Command::new(&output).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "Hello from waot!\n");
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
}
