//! The spec-test harness: runs official WebAssembly `.wast` scripts through
//! the real compiler and runtime.
//!
//! Every module is compiled by `waot_compiler::compile` into an object file,
//! loaded in-process by `waot_runtime::loader` (the same bytes `waot compile`
//! writes) and instantiated by the runtime; every `assert_*`, `invoke` and
//! `register` is performed.
//!
//! Which scripts: `WAOT_SPEC_DIR` (`:`-separated folders, whose `.wast` files
//! are run, not their subfolders, or single `.wast` files); default
//! `../shared/spec-tests/2.0` and `2.0/simd`. Features follow each file's
//! path (`features_for`): WebAssembly 2.0 under a `2.0` folder, else
//! WebAssembly 3.0, plus the proposal of a `legacy/` or `proposals/NAME/`
//! folder. Output: one row per file, then (for 3.0 runs) one row per
//! feature (see `feature.rs`), then `N passed, M failed`.
//!
//! `WAOT_SPEC_FILTER=a,b` keeps only the files whose name contains `a` or
//! `b`, or whose feature (`feature.rs`) is `a` or `b`; e.g.
//! `WAOT_SPEC_FILTER=memory64` runs the 25 memory64 files of 3.0.
//!
//! `WAOT_SPEC_SKIP_UNSUPPORTED=1` counts a module that the compiler rejects
//! with `CompileError::Unsupported` (and every check that needs it) as
//! skipped instead of failed; without it (2.0 CI) such modules fail.

mod feature;
mod legacy_text;
mod script;
mod values;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use waot_compiler::WasmFeatures;

/// Files that may fail without failing the run, each with the reason.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

/// How long one file may run before it is reported as hung.
const FILE_TIMEOUT: Duration = Duration::from_secs(300);

/// Stack for each worker thread: deep-recursion tests need room, and the
/// "call stack exhausted" checks must hit the wasm stack limit, not the guard.
const WORKER_STACK_BYTES: usize = 64 << 20;

/// Outcome of one script.
#[derive(Default, Debug)]
pub struct FileResult {
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed, with a message each.
    pub failures: Vec<String>,
    /// Checks not run (feature not enabled or not supported), with the reason.
    pub skipped: Vec<String>,
    /// The feature the file tests (`feature::classify`).
    pub feature: String,
}

fn main() {
    // WAOT_SPEC_DIR: one or more folders or files, `:`-separated.
    let roots: Vec<PathBuf> = match std::env::var_os("WAOT_SPEC_DIR") {
        Some(dirs) => std::env::split_paths(&dirs).collect(),
        None => {
            let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec-tests");
            vec![base.join("2.0"), base.join("2.0/simd")]
        }
    };
    let mut files = Vec::new();
    for root in &roots {
        match collect_files(root) {
            Ok(found) => files.extend(found),
            Err(e) => {
                eprintln!("error: cannot read spec tests at {}: {e}", root.display());
                std::process::exit(2);
            }
        }
    }
    if let Some(filter) = std::env::var_os("WAOT_SPEC_FILTER") {
        let filter = filter.to_string_lossy().into_owned();
        files.retain(|path| matches_filter(path, &filter));
    }
    let by_feature = files.iter().any(|f| features_for(f) != WasmFeatures::WASM2);
    let skip_unsupported =
        std::env::var_os("WAOT_SPEC_SKIP_UNSUPPORTED").is_some_and(|v| !v.is_empty() && v != "0");
    let verbose = std::env::var_os("WAOT_SPEC_VERBOSE").is_some();

    let started = Instant::now();
    let results = run_all(&files, skip_unsupported);

    let mut total_passed = 0;
    let mut total_failed = 0;
    let mut total_skipped = 0;
    let mut unexpected = 0;
    // Per feature: files, passed, failed, skipped.
    let mut features_table: std::collections::BTreeMap<&str, [usize; 4]> = Default::default();
    println!(
        "{:<44} {:>7} {:>7} {:>7}",
        "file", "passed", "failed", "skipped"
    );
    for (file, result) in files.iter().zip(&results) {
        let name = file.file_name().unwrap().to_string_lossy();
        println!(
            "{:<44} {:>7} {:>7} {:>7}",
            name,
            result.passed,
            result.failures.len(),
            result.skipped.len()
        );
        let limit = if verbose { usize::MAX } else { 5 };
        for f in result.failures.iter().take(limit) {
            println!("    FAIL {f}");
        }
        if result.failures.len() > limit {
            println!("    ... {} more", result.failures.len() - limit);
        }
        if verbose {
            for s in &result.skipped {
                println!("    SKIP {s}");
            }
        }
        total_passed += result.passed;
        total_failed += result.failures.len();
        total_skipped += result.skipped.len();
        let row = features_table.entry(&result.feature).or_default();
        row[0] += 1;
        row[1] += result.passed;
        row[2] += result.failures.len();
        row[3] += result.skipped.len();
        if !result.failures.is_empty() && !EXPECTED_FAILURES.iter().any(|(f, _)| *f == name) {
            unexpected += 1;
        }
    }
    if by_feature {
        println!();
        println!(
            "{:<32} {:>5} {:>7} {:>7} {:>7}",
            "feature", "files", "passed", "failed", "skipped"
        );
        for (feature, [n, p, f, s]) in &features_table {
            println!("{feature:<32} {n:>5} {p:>7} {f:>7} {s:>7}");
        }
        println!(
            "{:<32} {:>5} {total_passed:>7} {total_failed:>7} {total_skipped:>7}",
            "total",
            files.len()
        );
    }
    eprintln!("spec: {} files in {:.1?}", files.len(), started.elapsed());
    println!("{total_passed} passed, {total_failed} failed");
    if unexpected > 0 {
        std::process::exit(1);
    }
}

fn collect_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    if root.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(root)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wast"))
        .collect();
    files.sort();
    Ok(files)
}

/// Whether `path` is picked by `WAOT_SPEC_FILTER` (see the module docs).
fn matches_filter(path: &Path, filter: &str) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let text = std::fs::read(path).unwrap_or_default();
    let feature = feature::classify(path, &String::from_utf8_lossy(&text));
    filter
        .split(',')
        .filter(|item| !item.is_empty())
        .any(|item| name.contains(item) || feature == item)
}

/// The features a spec file is run with: WebAssembly 2.0 under a `2.0`
/// folder; otherwise 3.0, plus the proposal its folder names (`legacy/`
/// holds the legacy exception-handling tests).
fn features_for(file: &Path) -> WasmFeatures {
    let folders: Vec<&std::ffi::OsStr> = file
        .parent()
        .map(|dir| dir.components().map(|c| c.as_os_str()).collect())
        .unwrap_or_default();
    if folders.iter().any(|&c| c == "2.0") {
        return WasmFeatures::WASM2;
    }
    let proposal = match folders.last().and_then(|c| c.to_str()) {
        Some("legacy") => WasmFeatures::LEGACY_EXCEPTIONS,
        Some("wide-arithmetic") => WasmFeatures::WIDE_ARITHMETIC,
        Some("custom-page-sizes") => WasmFeatures::CUSTOM_PAGE_SIZES,
        // The threads proposal's files were written before multi-memory
        // and reference types were merged: they expect "multiple memories"
        // and "multiple tables" to be invalid. So WebAssembly 2.0 without
        // reference types (and without 3.0's multi-memory), plus threads.
        Some("threads") => {
            return WasmFeatures::WASM2.difference(WasmFeatures::REFERENCE_TYPES)
                | WasmFeatures::THREADS;
        }
        _ => WasmFeatures::empty(),
    };
    WasmFeatures::WASM3 | proposal
}

/// Runs every file on a pool of worker threads (one per core); a file that
/// panics or hangs is reported as failed without stopping the others.
fn run_all(files: &[PathBuf], skip_unsupported: bool) -> Vec<FileResult> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let queue = Arc::new(Mutex::new((0..files.len()).collect::<Vec<_>>()));
    let (tx, rx) = mpsc::channel::<(usize, FileResult)>();
    let files = Arc::new(files.to_vec());
    for _ in 0..workers {
        let queue = queue.clone();
        let tx = tx.clone();
        let files = files.clone();
        std::thread::Builder::new()
            .stack_size(WORKER_STACK_BYTES)
            .spawn(move || loop {
                let next = queue.lock().unwrap().pop();
                let Some(i) = next else { break };
                let path = files[i].clone();
                let result = std::panic::catch_unwind(|| {
                    script::run_file(&path, features_for(&path), skip_unsupported)
                })
                .unwrap_or_else(|panic| FileResult {
                    failures: vec![format!("harness panicked: {}", panic_message(&panic))],
                    ..FileResult::default()
                });
                if tx.send((i, result)).is_err() {
                    break;
                }
            })
            .expect("spawn spec worker");
    }
    drop(tx);
    let mut results: Vec<Option<FileResult>> = (0..files.len()).map(|_| None).collect();
    let mut remaining = files.len();
    while remaining > 0 {
        match rx.recv_timeout(FILE_TIMEOUT) {
            Ok((i, r)) => {
                results[i] = Some(r);
                remaining -= 1;
            }
            Err(_) => break,
        }
    }
    results
        .into_iter()
        .zip(files.iter())
        .map(|(r, path)| {
            let mut r = r.unwrap_or_else(|| FileResult {
                failures: vec![format!("timed out (no result within {FILE_TIMEOUT:?})")],
                ..FileResult::default()
            });
            if r.feature.is_empty() {
                let text = std::fs::read(path).unwrap_or_default();
                r.feature = feature::classify(path, &String::from_utf8_lossy(&text));
            }
            r
        })
        .collect()
}

/// The text of a caught panic payload.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}
