//! C embedding (`waot compile --header`, `waot runtime`, the C API):
//!
//! - `examples/c-embed` builds with its Makefile (plain `cc`) and its demo
//!   prints exactly `examples/c-embed/expected.txt`;
//! - the generated headers compile as C++ (`g++ -Wall -Wextra -Werror`) and
//!   as pedantic C99;
//! - two different modules with the same file stem link into one program
//!   when given different prefixes, and clash without them;
//! - `tests/c_embed/linking.c`: memories, tables and globals created by the
//!   host and imported by instances, instances importing other instances'
//!   exports, funcref/externref values and tables (output
//!   `tests/c_embed/linking.expected`);
//! - `tests/c_embed/threads.c`: instances called concurrently from several
//!   threads, traps included;
//! - all of it, and `examples/c-embed`, cross-built for arm64 with
//!   `aarch64-linux-gnu-gcc` and run under `qemu-aarch64` (needs what
//!   `scripts/setup.sh` installs and the arm64 runtime: `cargo build
//!   --release -p waot-runtime --target aarch64-unknown-linux-gnu`).
//!
//! These tests run the `waot` binary of the same profile
//! (`target/<profile>/waot`); build it first.

#[allow(dead_code, reason = "shared helpers; this test uses a subset")]
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{describe, on_path, repo_root, run, waot_bin};

const LIMIT: Duration = Duration::from_secs(120);

/// Programs under qemu are slower.
const QEMU_LIMIT: Duration = Duration::from_secs(600);

/// The arm64 target and the sysroot of Debian's libc6-dev-arm64-cross.
const AARCH64: &str = "aarch64-unknown-linux-gnu";
const AARCH64_SYSROOT: &str = "/usr/aarch64-linux-gnu";

/// The modules of `tests/c_embed`, and the C programs using them.
const LINK_MODULES: [&str; 4] = ["host", "provider", "consumer", "refs"];
const LINK_PROGRAMS: [(&str, &[&str]); 2] = [
    ("linking", &["host", "provider", "consumer", "refs"]),
    ("threads", &["host", "provider", "consumer"]),
];

/// What `tests/c_embed/threads.c` prints when every check passed.
const THREADS_OUTPUT: &str = "8 threads x 400 iterations: ok, 320 traps\n";

/// A copy of `examples/c-embed` (sources only) in a temporary directory.
fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo_root().join("examples/c-embed");
    for name in [
        "Makefile",
        "main.c",
        "mathlib.c",
        "mathlib.wasm",
        "stats.wat",
        "check.cpp",
    ] {
        fs::copy(src.join(name), dir.path().join(name)).unwrap();
    }
    dir
}

fn ok(cmd: &mut Command) -> support::Output {
    let shown = format!("{cmd:?}");
    let out = run(cmd, LIMIT).unwrap_or_else(|e| panic!("{shown}: {e}"));
    assert!(
        out.status.success(),
        "{shown}: {}\nstdout:\n{}\nstderr:\n{}",
        describe(out.status),
        out.stdout_text(),
        out.stderr_text()
    );
    out
}

fn make(dir: &Path) {
    ok(Command::new("make")
        .arg("-C")
        .arg(dir)
        .arg(format!("WAOT={}", waot_bin().display())));
}

#[test]
fn demo_prints_the_expected_output() {
    let dir = example_copy();
    make(dir.path());
    let out = ok(&mut Command::new(dir.path().join("demo")));
    let expected = fs::read_to_string(repo_root().join("examples/c-embed/expected.txt")).unwrap();
    assert_eq!(out.stdout_text(), expected);
    assert_eq!(out.stderr_text(), "");
}

#[test]
fn headers_compile_as_cxx_and_pedantic_c() {
    let dir = example_copy();
    make(dir.path());
    ok(Command::new("g++")
        .current_dir(dir.path())
        .args([
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-c",
            "check.cpp",
        ])
        .args(["-o", "check.o"]));
    for header in ["mathlib.h", "stats.h"] {
        ok(Command::new("cc")
            .current_dir(dir.path())
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
            .args(["-fsyntax-only", "-x", "c", header]));
    }
}

/// Two modules in files both named `lib.wat`, each exporting `get` and
/// defining the same internal names, linked into one program.
#[test]
fn two_modules_with_the_same_stem_link_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let waot = waot_bin();
    for (sub, value) in [("one", 1), ("two", 2)] {
        fs::create_dir(d.join(sub)).unwrap();
        let wat = format!(
            "(module (memory (export \"memory\") 1) \
             (func $helper (result i32) i32.const {value}) \
             (func (export \"get\") (result i32) call $helper))"
        );
        fs::write(d.join(sub).join("lib.wat"), wat).unwrap();
    }
    ok(Command::new(&waot)
        .current_dir(d)
        .args(["runtime", "-o", "librt.a"]));
    let main = "#include <stdio.h>\n#include \"one.h\"\n#include \"two.h\"\n\
        int main(void) {\n\
          one_instance *a; two_instance *b; int32_t x = 0, y = 0;\n\
          if (one_instantiate(NULL, &a) || two_instantiate(NULL, &b)) return 1;\n\
          if (one_get(a, &x) || two_get(b, &y)) return 2;\n\
          printf(\"%d %d\\n\", x, y);\n\
          one_free(a); two_free(b);\n\
          return 0;\n\
        }\n";
    fs::write(d.join("main.c"), main).unwrap();
    for name in ["one", "two"] {
        ok(Command::new(&waot).current_dir(d).args([
            "compile",
            &format!("{name}/lib.wat"),
            "-o",
            &format!("{name}.o"),
            "--header",
            &format!("{name}.h"),
            "--name",
            name,
        ]));
    }
    let link = |objects: &[&str]| {
        Command::new("cc")
            .current_dir(d)
            .args(["-o", "prog", "main.c"])
            .args(objects)
            .args(["librt.a", "-lpthread", "-ldl", "-lm"])
            .output()
            .unwrap()
    };
    let linked = link(&["one.o", "two.o"]);
    assert!(
        linked.status.success(),
        "{}",
        String::from_utf8_lossy(&linked.stderr)
    );
    let out = ok(&mut Command::new(d.join("prog")));
    assert_eq!(out.stdout_text(), "1 2\n");

    // Without --name both objects define `lib_module`: the linker refuses.
    for name in ["one", "two"] {
        ok(Command::new(&waot).current_dir(d).args([
            "compile",
            &format!("{name}/lib.wat"),
            "-o",
            &format!("{name}-default.o"),
        ]));
    }
    let clash = Command::new("cc")
        .current_dir(d)
        .args(["-r", "-o", "both.o", "one-default.o", "two-default.o"])
        .output()
        .unwrap();
    assert!(!clash.status.success(), "duplicate lib_module was accepted");
    assert!(
        String::from_utf8_lossy(&clash.stderr).contains("lib_module"),
        "{}",
        String::from_utf8_lossy(&clash.stderr)
    );
}

/// Compiles the modules and C programs of `tests/c_embed` into a temporary
/// directory: for this machine, or with `--target <target>` and `cc`.
fn build_link_tests(target: Option<&str>, cc: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = repo_root().join("tests/c_embed");
    let target_args: Vec<&str> = target.map(|t| vec!["--target", t]).unwrap_or_default();
    let waot = waot_bin();
    for m in LINK_MODULES {
        ok(Command::new(&waot)
            .arg("compile")
            .args(&target_args)
            .arg(src.join(format!("{m}.wat")))
            .args(["-o", &format!("{m}.o"), "--header", &format!("{m}.h")])
            .current_dir(d));
    }
    ok(Command::new(&waot)
        .arg("runtime")
        .args(&target_args)
        .args(["-o", "librt.a"])
        .current_dir(d));
    for (prog, modules) in LINK_PROGRAMS {
        ok(Command::new(cc)
            .current_dir(d)
            .args(["-O1", "-std=c99", "-Wall", "-Wextra", "-Werror", "-I."])
            .args(["-o", prog])
            .arg(src.join(format!("{prog}.c")))
            .args(modules.iter().map(|m| format!("{m}.o")))
            .args(["librt.a", "-lpthread", "-ldl", "-lm"]));
    }
    dir
}

fn linking_expected() -> String {
    fs::read_to_string(repo_root().join("tests/c_embed/linking.expected")).unwrap()
}

/// Runs `cmd`, which must succeed with `stdout` and nothing on stderr.
fn check_output(cmd: &mut Command, limit: Duration, stdout: &str) {
    let shown = format!("{cmd:?}");
    let out = run(cmd, limit).unwrap_or_else(|e| panic!("{shown}: {e}"));
    assert!(
        out.status.success(),
        "{shown}: {}\nstdout:\n{}\nstderr:\n{}",
        describe(out.status),
        out.stdout_text(),
        out.stderr_text()
    );
    assert_eq!(out.stdout_text(), stdout, "{shown}");
    assert_eq!(out.stderr_text(), "", "{shown}");
}

#[test]
fn host_objects_instance_links_and_references() {
    let dir = build_link_tests(None, "cc");
    check_output(
        &mut Command::new(dir.path().join("linking")),
        LIMIT,
        &linking_expected(),
    );
}

#[test]
fn instances_on_many_threads() {
    let dir = build_link_tests(None, "cc");
    check_output(
        &mut Command::new(dir.path().join("threads")),
        LIMIT,
        THREADS_OUTPUT,
    );
}

/// The headers of `tests/c_embed` (function references, every kind of
/// import and export) compile as C++ with warnings as errors and as
/// pedantic C99.
#[test]
fn linking_headers_compile_as_cxx_and_pedantic_c() {
    let dir = build_link_tests(None, "cc");
    let d = dir.path();
    let includes: String = LINK_MODULES
        .iter()
        .map(|m| format!("#include \"{m}.h\"\n"))
        .collect();
    fs::write(
        d.join("all.cpp"),
        format!(
            "{includes}int main() {{\n  provider_instance *p = nullptr;\n  consumer_imports im = {{}};\n  \
             if (provider_instantiate(nullptr, &p) != WAOT_OK) return 1;\n  \
             im.lib_scale_it.func = provider_scale_it_export(p);\n  \
             waot_funcref *f = waot_rt_func_ref(im.lib_scale_it.func);\n  \
             waot_rt_func_free(im.lib_scale_it.func);\n  \
             provider_free(p);\n  return f == nullptr;\n}}\n"
        ),
    )
    .unwrap();
    ok(Command::new("g++").current_dir(d).args([
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-c",
        "all.cpp",
    ]));
    for m in LINK_MODULES {
        ok(Command::new("cc")
            .current_dir(d)
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"])
            .args(["-fsyntax-only", "-x", "c", &format!("{m}.h")]));
    }
}

/// A command running arm64 program `exe`: under qemu with the arm64
/// sysroot, or directly on an arm64 host.
fn arm64_command(exe: &Path) -> Command {
    if cfg!(target_arch = "aarch64") {
        return Command::new(exe);
    }
    let mut c = Command::new(on_path("qemu-aarch64"));
    c.arg("-L").arg(AARCH64_SYSROOT).arg(exe);
    c
}

/// The C compiler for arm64: the native one on an arm64 host.
fn arm64_cc() -> String {
    if cfg!(target_arch = "aarch64") {
        "cc".into()
    } else {
        on_path("aarch64-linux-gnu-gcc").display().to_string()
    }
}

/// Everything above, cross-built for arm64: the same output as on x86_64.
#[test]
fn c_embedding_on_arm64() {
    let cc = arm64_cc();
    let dir = build_link_tests(Some(AARCH64), &cc);
    let d = dir.path();
    check_output(
        &mut arm64_command(&d.join("linking")),
        QEMU_LIMIT,
        &linking_expected(),
    );
    check_output(
        &mut arm64_command(&d.join("threads")),
        QEMU_LIMIT,
        THREADS_OUTPUT,
    );

    let example = example_copy();
    ok(Command::new("make")
        .arg("-C")
        .arg(example.path())
        .arg(format!("WAOT={}", waot_bin().display()))
        .arg(format!("TARGET={AARCH64}"))
        .arg(format!("CC={cc}")));
    let expected = fs::read_to_string(repo_root().join("examples/c-embed/expected.txt")).unwrap();
    check_output(
        &mut arm64_command(&example.path().join("demo")),
        QEMU_LIMIT,
        &expected,
    );
}
