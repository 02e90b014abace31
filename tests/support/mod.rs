//! Helpers for the end-to-end tests: finding the `waot` binary, running
//! commands with a time limit, and reading the `;; EXPECT-*` directives of
//! the trap tests (documented in `tests/traps/README.md`); `wasi_corpus`
//! runs the programs of `tests/wasi` for any target.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

// Not every test binary runs the WASI corpus (wasi.rs and aarch64.rs do).
#[allow(dead_code, reason = "used by some of the test binaries")]
pub mod wasi_corpus;

/// Runs `check` on every item, each in its own thread; panics listing all
/// failures.
pub fn check_all_parallel<T: Sync>(items: &[T], check: impl Fn(&T) -> Result<(), String> + Sync) {
    let failures: Vec<String> = thread::scope(|s| {
        let handles: Vec<_> = items
            .iter()
            .map(|item| {
                let check = &check;
                s.spawn(move || check(item))
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
        items.len(),
        failures.join("\n\n")
    );
}

/// [`check_all_parallel`] over input files, each failure prefixed with its
/// file.
pub fn check_files(inputs: &[PathBuf], check: impl Fn(&Path) -> Result<(), String> + Sync) {
    check_all_parallel(inputs, |input| {
        check(input).map_err(|e| format!("{}: {e}", input.display()))
    });
}

/// The absolute path of program `name` on `PATH` (for commands run with a
/// cleared environment, where no `PATH` lookup happens).
#[allow(dead_code, reason = "used by the cross-target test binaries only")]
pub fn on_path(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("`{name}` not found on PATH; run scripts/setup.sh"))
}

/// Compiles `wat` for the host (symbols prefixed with `prefix`) and loads
/// it in-process, as an embedder of the runtime sees it.
#[allow(dead_code, reason = "used by the in-process test binaries only")]
pub fn load_wat(wat: &str, prefix: &str) -> Arc<waot_runtime::Module> {
    let wasm = wat::parse_str(wat).expect("test module parses");
    let mut config = waot_compiler::Config::new(target_lexicon::Triple::host());
    config.symbol_prefix = prefix.to_string();
    let object = waot_compiler::compile(&wasm, &config).expect("compiles");
    let loaded = waot_runtime::loader::load_object(&object).expect("loads");
    let symbol = waot_abi::symbols::descriptor_symbol(prefix);
    Arc::new(waot_runtime::Module::from_loaded(loaded, &symbol).expect("descriptor"))
}

/// The repository's top folder (the parent of the `tests` package).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent folder")
        .to_path_buf()
}

/// The `waot` binary of the profile this test was built with:
/// `current_exe()` is `target/<profile>/deps/e2e-<hash>`, so the binary is
/// `target/<profile>/waot`. Panics with a build hint when it is missing.
pub fn waot_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps");
    let bin = profile_dir.join(format!("waot{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "build waot first: cargo build --release -p waot-cli (looked for {})",
        bin.display()
    );
    bin
}

/// What a finished process left behind.
pub struct Output {
    /// How it ended.
    pub status: ExitStatus,
    /// Everything it wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything it wrote to stderr.
    pub stderr: Vec<u8>,
}

impl Output {
    /// stderr as text (lossy), for messages and line checks.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// stdout as text (lossy), for messages.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// "exit status 3" or "killed by signal 11", for failure messages.
pub fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => format!("{status:?}"),
    }
}

/// Runs `cmd` with stdin closed and stdout/stderr captured. A process still
/// running after `limit` is killed and reported as an error: the limit is a
/// safety net against a hang (e.g. a stack overflow that loops), not a
/// measurement.
pub fn run(cmd: &mut Command, limit: Duration) -> Result<Output, String> {
    run_with_input(cmd, Stdio::null(), limit)
}

/// [`run`] with `input` as stdin (a file, a socket...).
pub fn run_with_input(cmd: &mut Command, input: Stdio, limit: Duration) -> Result<Output, String> {
    let what = format!("{cmd:?}");
    let child = cmd
        .stdin(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    // `cmd` keeps `input` open until it is replaced: drop our copy of a
    // socket now, so the peer sees EOF when the program closes its end.
    cmd.stdin(Stdio::null());
    let mut child = child.map_err(|e| format!("cannot start {what}: {e}"))?;
    let mut out_pipe = child.stdout.take().expect("stdout is piped");
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} still running after {limit:?}; killed"));
            }
            Err(e) => return Err(format!("waiting for {what}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    })
}

/// `waot build [args...] input -o out`; an error (with waot's stderr) when
/// it fails or writes no `out`.
pub fn waot_build(
    input: &Path,
    out: &Path,
    args: &[String],
    limit: Duration,
) -> Result<(), String> {
    let mut cmd = Command::new(waot_bin());
    cmd.arg("build").args(args).arg(input).arg("-o").arg(out);
    let o = run(&mut cmd, limit)?;
    if !o.status.success() {
        return Err(format!(
            "waot build {} {} failed ({}):\n{}",
            args.join(" "),
            input.display(),
            describe(o.status),
            o.stderr_text()
        ));
    }
    if !out.is_file() {
        return Err(format!(
            "waot build succeeded but wrote no {}",
            out.display()
        ));
    }
    Ok(())
}

/// The expectations a trap test states in its leading `;;` comment lines.
#[derive(Debug, Default)]
pub struct Expectations {
    /// `;; EXPECT-STATUS: N`.
    pub status: Option<i32>,
    /// `;; EXPECT-STDERR: line`: each must equal a whole line of stderr.
    pub stderr_lines: Vec<String>,
    /// `;; EXPECT-STDERR-CONTAINS: text`: each must occur in stderr.
    pub stderr_contains: Vec<String>,
    /// `;; EXPECT-STDERR-EMPTY`.
    pub stderr_empty: bool,
    /// `;; EXPECT-FRAME: frame`, in order: the wasm backtrace of the report
    /// starts with these frames (the text after `N: `).
    pub frames: Vec<String>,
}

impl Expectations {
    /// Reads the directives from the comment lines at the top of `source`
    /// (up to the first line that is not a `;;` comment).
    pub fn parse(source: &str) -> Result<Expectations, String> {
        let mut exp = Expectations::default();
        for line in source.lines() {
            let Some(comment) = line.trim_start().strip_prefix(";;") else {
                break;
            };
            let comment = comment.trim();
            if let Some(v) = comment.strip_prefix("EXPECT-STATUS:") {
                let v = v.trim();
                exp.status = Some(v.parse().map_err(|_| format!("bad EXPECT-STATUS {v:?}"))?);
            } else if let Some(v) = comment.strip_prefix("EXPECT-STDERR-CONTAINS:") {
                exp.stderr_contains.push(v.trim().to_string());
            } else if let Some(v) = comment.strip_prefix("EXPECT-STDERR:") {
                exp.stderr_lines.push(v.trim().to_string());
            } else if let Some(v) = comment.strip_prefix("EXPECT-FRAME:") {
                exp.frames.push(v.trim().to_string());
            } else if comment == "EXPECT-STDERR-EMPTY" {
                exp.stderr_empty = true;
            } else if comment.starts_with("EXPECT") {
                return Err(format!("unknown directive {comment:?}"));
            }
        }
        if exp.status.is_none() {
            return Err("no EXPECT-STATUS directive".into());
        }
        if !exp.stderr_empty && exp.stderr_lines.is_empty() && exp.stderr_contains.is_empty() {
            return Err("no EXPECT-STDERR, EXPECT-STDERR-CONTAINS or EXPECT-STDERR-EMPTY".into());
        }
        Ok(exp)
    }

    /// Every way `out` differs from these expectations, one message each.
    pub fn check(&self, out: &Output) -> Vec<String> {
        let mut problems = Vec::new();
        if out.status.code() != self.status {
            problems.push(format!(
                "expected exit status {}, got {}",
                self.status.unwrap_or_default(),
                describe(out.status)
            ));
        }
        let stderr = out.stderr_text();
        if self.stderr_empty && !stderr.is_empty() {
            problems.push("expected empty stderr".into());
        }
        for want in &self.stderr_lines {
            if !stderr.lines().any(|l| l == want) {
                problems.push(format!("no stderr line equal to {want:?}"));
            }
        }
        for want in &self.stderr_contains {
            if !stderr.contains(want.as_str()) {
                problems.push(format!("stderr does not contain {want:?}"));
            }
        }
        let frames = backtrace_frames(&stderr);
        if !frames.starts_with(&self.frames) {
            problems.push(format!(
                "expected the wasm backtrace to start with {:?}, got {frames:?}",
                self.frames
            ));
        }
        problems
    }
}

/// The frames of the `wasm backtrace:` block of a trap report: the text
/// after `N: ` of each numbered line, innermost first.
pub fn backtrace_frames(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|l| *l != "wasm backtrace:")
        .skip(1)
        .map_while(|l| {
            let (n, frame) = l.trim_start().split_once(": ")?;
            n.parse::<usize>().ok()?;
            Some(frame.to_string())
        })
        .collect()
}

#[test]
fn directives_parse() {
    let src = ";; EXPECT-STATUS: 134\n;; EXPECT-STDERR: error: wasm trap: unreachable\n\
               ;; EXPECT-STDERR-CONTAINS: f\n(module)\n;; EXPECT-STDERR-EMPTY\n";
    let exp = Expectations::parse(src).unwrap();
    assert_eq!(exp.status, Some(134));
    assert_eq!(exp.stderr_lines, ["error: wasm trap: unreachable"]);
    assert_eq!(exp.stderr_contains, ["f"]);
    assert!(!exp.stderr_empty, "directives after the module are ignored");
    assert!(Expectations::parse(";; EXPECT-STATUS: 0\n(module)").is_err());
    assert!(Expectations::parse(";; EXPECT-STDERR-EMPTY\n(module)").is_err());
}
