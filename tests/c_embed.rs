//! C embedding (`waot compile --header`, `waot runtime`, the C API):
//!
//! - `examples/c-embed` builds with its Makefile (plain `cc`) and its demo
//!   prints exactly `examples/c-embed/expected.txt`;
//! - the generated headers compile as C++ (`g++ -Wall -Wextra -Werror`) and
//!   as pedantic C99;
//! - two different modules with the same file stem link into one program
//!   when given different prefixes, and clash without them.
//!
//! These tests run the `waot` binary of the same profile
//! (`target/<profile>/waot`); build it first.

#[allow(dead_code, reason = "shared helpers; this test uses a subset")]
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{describe, repo_root, run, waot_bin};

const LIMIT: Duration = Duration::from_secs(120);

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
