//! End-to-end tests of `waot run`, `run --invoke`, `inspect`, `cache`,
//! `--features`, `compile --emit`, `--cpu`, `completions` and `--version`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn waot() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waot"));
    cmd.env_remove("NO_COLOR");
    cmd
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The freshest runtime archive cargo built next to the binary (as in cli.rs).
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

/// `waot run` with a private cache and the test's runtime archive.
fn run_cmd(cache: &Path) -> Command {
    let mut cmd = waot();
    cmd.arg("run").env("WAOT_CACHE_DIR", cache);
    if let Some(lib) = runtime_lib() {
        cmd.env("WAOT_RUNTIME_LIB", lib);
    }
    cmd
}

/// Exits with `argc * 10 + envc` and writes nothing.
const COUNT_WAT: &str = r#"(module
    (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env (param i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (func (export "_start")
        (drop (call $args (i32.const 0) (i32.const 4)))
        (drop (call $env (i32.const 8) (i32.const 12)))
        (call $exit (i32.add (i32.mul (i32.load (i32.const 0)) (i32.const 10))
                             (i32.load (i32.const 8))))))"#;

const LIB_WAT: &str = r#"(module
    (func $add (export "add") (param i32 i32) (result i32)
        local.get 0 local.get 1 i32.add)
    (func (export "div") (param i32) (result i32)
        i32.const 1 local.get 0 i32.div_s)
    (func (export "mix") (param i64 f32 f64) (result f64 i64 f32)
        local.get 2 local.get 0 local.get 1))"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn run_passes_args_grants_and_exit_status_and_caches() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let app = write(dir.path(), "count.wat", COUNT_WAT);
    // argv = [count.wat, -x, --y, z]: 4 args, no environment by default.
    let out = run_cmd(&cache)
        .arg(&app)
        .args(["-x", "--y", "z"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(40), "{}", stderr(&out));
    assert_eq!(fs::read_dir(&cache).unwrap().count(), 1, "one cache entry");
    // Same module again: served from the cache; --env is a run-time grant.
    let out = run_cmd(&cache)
        .args(["--env", "A=1", "--env", "B=2", "--dir"])
        .arg(dir.path())
        .arg(&app)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(12), "{}", stderr(&out));
    assert_eq!(fs::read_dir(&cache).unwrap().count(), 1, "still one entry");
    // A different optimization level is a different executable.
    let out = run_cmd(&cache)
        .args(["-O", "0"])
        .arg(&app)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(10), "{}", stderr(&out));
    assert_eq!(fs::read_dir(&cache).unwrap().count(), 2);

    // `waot cache dir` / `clean`.
    let out = waot()
        .args(["cache", "dir"])
        .env("WAOT_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim_end(), cache.to_str().unwrap());
    let out = waot()
        .args(["cache", "clean"])
        .env("WAOT_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!cache.exists());
}

#[test]
fn run_hello_and_concurrent_runs() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello/hello.wat");
    let children: Vec<_> = (0..4)
        .map(|_| {
            run_cmd(&cache)
                .arg(&hello)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(stdout(&out), "Hello from waot!\n");
    }
    let names: Vec<_> = fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 1, "no temporary files left: {names:?}");
}

#[test]
fn cache_dir_follows_xdg() {
    let out = waot()
        .args(["cache", "dir"])
        .env_remove("WAOT_CACHE_DIR")
        .env("XDG_CACHE_HOME", "/x/y")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "/x/y/waot\n");
    let out = waot()
        .args(["cache", "dir"])
        .env_remove("WAOT_CACHE_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", "/h")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "/h/.cache/waot\n");
}

#[test]
fn invoke_prints_results_and_traps_exit_134() {
    let dir = tempfile::tempdir().unwrap();
    let lib = write(dir.path(), "lib.wat", LIB_WAT);
    let out = waot()
        .args(["run", "--invoke", "add"])
        .arg(&lib)
        .args(["1", "-2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "-1\n");
    // Module last works too; i64/f32/f64 parsing and printing.
    let out = waot()
        .args(["run", "--invoke", "mix", "-7", "0.5", "2.25"])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "2.25\n-7\n0.5\n");
    let out = waot()
        .args(["run", "--invoke", "div"])
        .arg(&lib)
        .arg("0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(134));
    assert!(
        stderr(&out).starts_with("error: wasm trap: integer divide by zero\n"),
        "{}",
        stderr(&out)
    );
    // Wrong argument count or type: one error line, status 1.
    for bad in [&["1"][..], &["1", "x"]] {
        let out = waot()
            .args(["run", "--invoke", "add"])
            .arg(&lib)
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    }
}

#[test]
fn inspect_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let app = write(
        dir.path(),
        "app.wat",
        &COUNT_WAT.replace(
            "(memory (export \"memory\") 1)",
            "(memory (export \"memory\") 1 2) (global (export \"g\") (mut i64) (i64.const 0))",
        ),
    );
    let out = waot().arg("inspect").arg(&app).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("wasi: preview1"), "{text}");
    assert!(text.contains("kind: command"), "{text}");
    assert!(
        text.contains("wasi_snapshot_preview1.proc_exit: func (i32) -> ()"),
        "{text}"
    );
    assert!(text.contains("_start: func () -> ()"), "{text}");
    assert!(text.contains("g: global mut i64"), "{text}");
    assert!(text.contains("1..2 pages"), "{text}");

    // A producers section (field "language", value "Rust" "1.95").
    let mut wasm = wat::parse_str(LIB_WAT).unwrap();
    let mut payload = vec![1u8, 8];
    payload.extend_from_slice(b"language");
    payload.extend_from_slice(&[1, 4]);
    payload.extend_from_slice(b"Rust");
    payload.push(4);
    payload.extend_from_slice(b"1.95");
    let mut section = vec![9u8];
    section.extend_from_slice(b"producers");
    section.extend_from_slice(&payload);
    wasm.push(0);
    wasm.push(section.len() as u8);
    wasm.extend_from_slice(&section);
    let lib = dir.path().join("lib.wasm");
    fs::write(&lib, &wasm).unwrap();
    let out = waot()
        .arg("inspect")
        .arg(&lib)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let json = stdout(&out);
    assert!(json.starts_with('{') && json.ends_with("}\n"), "{json}");
    assert!(json.contains(r#""wasi":"none""#), "{json}");
    assert!(
        json.contains(r#""producers":{"language":[{"name":"Rust","version":"1.95"}]}"#),
        "{json}"
    );
    assert!(
        json.contains(r#"{"name":"add","kind":"func","type":"(i32 i32) -> (i32)"}"#),
        "{json}"
    );
    assert!(
        json.contains(r#""custom_sections":["name","producers"]"#),
        "{json}"
    );
}

#[test]
fn features_flags() {
    let dir = tempfile::tempdir().unwrap();
    let simd = write(
        dir.path(),
        "simd.wat",
        "(module (func (result v128) v128.const i64x2 1 2))",
    );
    let out = waot().arg("validate").arg(&simd).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for flags in [&["--features", "simd=n"][..], &["-W", "simd=n,tail-call=y"]] {
        let out = waot()
            .arg("validate")
            .arg(&simd)
            .args(flags)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{flags:?}");
        assert!(stderr(&out).contains("SIMD"), "{}", stderr(&out));
    }
    let out = waot()
        .args(["compile", "-W", "simd=n", "-o", "x.o"])
        .arg(&simd)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = waot()
        .arg("validate")
        .arg(&simd)
        .args(["-W", "bogus"])
        .output()
        .unwrap();
    assert!(stderr(&out).starts_with("error: unknown WebAssembly feature `bogus`"));
}

#[test]
fn memory64_is_on_by_default_and_checked_only_on_64_bit_memories() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(
        dir.path(),
        "m64.wat",
        r#"(module
          (memory $a 1)
          (memory $b i64 1)
          (func (export "l32") (param i32) (result i32) (i32.load offset=8 (local.get 0)))
          (func (export "l64") (param i64) (result i32) (i32.load $b offset=8 (local.get 0))))"#,
    );
    let out = waot().arg("validate").arg(&wat).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = waot()
        .arg("validate")
        .arg(&wat)
        .args(["-W", "memory64=n"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("memory64"), "{}", stderr(&out));
    // A 32-bit memory keeps the guard-page path: the load is the check.
    let clif = |name: &str| {
        let out = waot()
            .args(["compile", "--emit", "clif", "--function", name])
            .arg(&wat)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let l32 = clif("l32");
    assert!(
        !l32.contains("trapnz") && !l32.contains("uadd_overflow_trap"),
        "{l32}"
    );
    // A 64-bit memory checks address + offset + size against its length.
    let l64 = clif("l64");
    assert!(
        l64.contains("uadd_overflow_trap") && l64.contains("trapnz"),
        "{l64}"
    );
}

#[test]
fn compile_emit_clif_and_asm() {
    let dir = tempfile::tempdir().unwrap();
    let lib = write(dir.path(), "lib.wat", LIB_WAT);
    let out = waot()
        .args(["compile", "--emit", "clif", "--function", "add"])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let clif = stdout(&out);
    assert!(clif.starts_with(";; function 0 add\n"), "{clif}");
    assert!(clif.contains("iadd"), "{clif}");
    assert!(!clif.contains("sdiv"), "{clif}");
    let out = waot()
        .args([
            "compile",
            "--emit",
            "asm",
            "--target",
            "x86_64-unknown-linux-gnu",
        ])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let asm = stdout(&out);
    assert_eq!(asm.matches(";; function").count(), 3, "{asm}");
    assert!(asm.contains("ret"), "{asm}");
    let out = waot()
        .args(["compile", "--emit", "clif", "--function", "nope"])
        .arg(&lib)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn cpu_flag() {
    let dir = tempfile::tempdir().unwrap();
    let lib = write(dir.path(), "lib.wat", LIB_WAT);
    let out_path = dir.path().join("lib.o");
    for cpu in ["native", "x86-64-v3", "haswell"] {
        let out = waot()
            .args([
                "compile",
                "--target",
                "x86_64-unknown-linux-gnu",
                "--cpu",
                cpu,
            ])
            .arg(&lib)
            .arg("-o")
            .arg(&out_path)
            .output()
            .unwrap();
        if cpu == "native" && !cfg!(target_arch = "x86_64") {
            assert_eq!(out.status.code(), Some(1));
            continue;
        }
        assert!(out.status.success(), "{cpu}: {}", stderr(&out));
    }
    let out = waot()
        .args(["compile", "--cpu", "pentium1"])
        .arg(&lib)
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: unknown CPU `pentium1`"));
}

#[test]
fn completions_and_version() {
    for shell in ["bash", "zsh", "fish"] {
        let out = waot().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        assert!(stdout(&out).contains("inspect"), "{shell}");
    }
    let out = waot().arg("--version").output().unwrap();
    let v = stdout(&out);
    assert!(v.starts_with("waot 0."), "{v}");
    assert!(v.contains("Cranelift 0.135"), "{v}");
}

#[test]
fn timings_and_invoke_with_wasi() {
    let dir = tempfile::tempdir().unwrap();
    let lib = write(dir.path(), "lib.wat", LIB_WAT);
    let out = waot()
        .args(["compile", "--timings", "-o"])
        .arg(dir.path().join("lib.o"))
        .arg(&lib)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    for stage in ["validate", "codegen", "emit"] {
        assert!(err.contains(&format!("timing: {stage} ")), "{err}");
    }
    // `--invoke` provides WASI: `_start` of the counting program sees
    // argv = [count.wat, a, b] and one --env entry, and its proc_exit
    // status is waot's.
    let app = write(dir.path(), "count.wat", COUNT_WAT);
    let out = waot()
        .args(["run", "--env", "K=V", "--invoke", "_start"])
        .arg(&app)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(11), "{}", stderr(&out));
}

/// Typed function references in signatures: `inspect` prints them in text
/// syntax, `run --invoke` passes `null` for a nullable one and reports the
/// `call_ref` trap.
#[test]
fn typed_references_inspect_and_invoke() {
    let dir = tempfile::tempdir().unwrap();
    let lib = write(
        dir.path(),
        "refs.wat",
        r#"(module
          (type $ii (func (param i32) (result i32)))
          (global (export "g") (ref null $ii) (ref.null $ii))
          (func (export "apply") (param $f (ref null $ii)) (param i32) (result i32)
            (call_ref $ii (local.get 1) (local.get $f))))"#,
    );
    let out = waot().arg("inspect").arg(&lib).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("apply: func ((ref null 0) i32) -> (i32)"),
        "{text}"
    );
    assert!(text.contains("g: global (ref null 0)"), "{text}");

    let cache = dir.path().join("cache");
    let out = run_cmd(&cache)
        .args(["--invoke", "apply"])
        .arg(&lib)
        .args(["null", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(134), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wasm trap: null function reference"),
        "{}",
        stderr(&out)
    );
    let out = waot()
        .args(["validate", "-W", "function-references=n"])
        .arg(&lib)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn codegen_switches() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(
        dir.path(),
        "inline.wat",
        r#"(module
          (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func (export "f") (param i32) (result i32) (call $leaf (local.get 0))))"#,
    );
    let asm = |switches: &[&str]| {
        let out = waot()
            .args(["compile", "--emit", "asm", "--function", "f"])
            .arg(&wat)
            .args(switches)
            .output()
            .unwrap();
        assert!(out.status.success(), "{switches:?}: {}", stderr(&out));
        stdout(&out)
    };
    let calls = |asm: &str| asm.lines().any(|l| l.trim_start().starts_with("call"));
    // `$leaf` is inlined by default, so `f` calls nothing.
    let inlined = asm(&[]);
    assert!(!calls(&inlined), "{inlined}");
    let called = asm(&["-C", "inline=n"]);
    assert!(calls(&called), "{called}");
    asm(&[
        "-C",
        "readonly-vmctx=n,bounds-checks=y",
        "--codegen",
        "parallel=n",
    ]);
    for (bad, message) in [
        ("bogus=y", "error: unknown -C switch `bogus`"),
        ("inline=maybe", "error: invalid -C item `inline=maybe`"),
    ] {
        let out = waot()
            .args(["compile", "--emit", "asm", "-C", bad])
            .arg(&wat)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(stderr(&out).starts_with(message), "{}", stderr(&out));
    }
}
