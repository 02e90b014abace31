//! Differential execution against the wasmi interpreter (see `oracle/`):
//! a fixed, seeded set of wasm-smith modules, plus the regression modules
//! that fuzzing found (`tests/differential/*.wat`, one finding per file).
//!
//! `WAOT_DIFF_N` overrides the number of generated modules (default 1000),
//! `WAOT_DIFF_SEED` the first seed.

#[path = "oracle/mod.rs"]
mod oracle;

use oracle::Verdict;

/// Deterministic bytes for wasm-smith (splitmix64).
fn seed_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xdead_beef;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `f` on a thread with a large stack (deep but bounded recursion in
/// generated modules must hit the fuel limit, not the test thread's stack).
fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic")
}

#[test]
fn wasm_smith_modules_agree_with_wasmi() {
    let n = env_u64("WAOT_DIFF_N", 1000);
    let first = env_u64("WAOT_DIFF_SEED", 0);
    let report = on_big_stack(move || {
        let (mut same, mut stack, mut skipped, mut calls, mut inst_traps) = (0, 0, 0, 0usize, 0);
        let mut failures = Vec::new();
        for seed in first..first + n {
            // Sizes vary with the seed so both tiny and larger modules occur.
            let len = 256 + (seed as usize * 7919) % 32768;
            let Ok(wasm) = oracle::generate(&seed_bytes(seed, len)) else {
                skipped += 1;
                continue;
            };
            match (oracle::run_wasmi(&wasm), oracle::run_waot(&wasm)) {
                (Ok(b), Ok(a)) => {
                    calls += a.calls.len();
                    inst_traps += usize::from(a.instantiation_trap.is_some());
                    match oracle::compare(&a, &b) {
                        Ok(Verdict::Same) => same += 1,
                        Ok(Verdict::StackLimitsDiffer) => stack += 1,
                        Ok(Verdict::OracleFailed) => skipped += 1,
                        Err(why) => failures.push(format!("seed {seed}: {why}")),
                    }
                }
                (Err(e), _) if e.starts_with(oracle::ORACLE_PANIC) => skipped += 1,
                (Err(e), _) | (_, Err(e)) => failures.push(format!("seed {seed}: {e}")),
            }
        }
        eprintln!(
            "differential: {n} seeds from {first}: {same} same, {stack} stack limits differ, \
             {skipped} not generated or not run by wasmi, {} diverged; {calls} export calls, \
             {inst_traps} instantiations trapped",
            failures.len()
        );
        failures
    });
    assert!(
        report.is_empty(),
        "divergences (rerun one with WAOT_DIFF_SEED=<seed> WAOT_DIFF_N=1):\n{}",
        report.join("\n")
    );
}

/// Every `.wat` in `tests/differential/` runs the same on both engines.
/// Files whose first line is `;; IGNORE: <reason>` document a known waot bug
/// and are only reported.
#[test]
fn regression_modules_agree_with_wasmi() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("differential");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "wat"));
    paths.sort();
    let failures = on_big_stack(move || {
        let mut failures = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path).expect("readable");
            let wasm = wat::parse_str(&text).expect("regression module parses");
            let result = oracle::check(&wasm);
            let ignored = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix(";; IGNORE:"));
            match (result, ignored) {
                (Ok(_), _) => {}
                (Err(why), Some(reason)) => {
                    eprintln!(
                        "{}: known divergence ({}): {why}",
                        path.display(),
                        reason.trim()
                    )
                }
                (Err(why), None) => failures.push(format!("{}: {why}", path.display())),
            }
        }
        failures
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Writes the seed corpus of the `compile_bytes` fuzz target (valid modules
/// from the same generator): `cargo test --release -p waot-tests --test
/// differential -- --ignored write_compile_bytes_corpus`.
#[test]
#[ignore = "regenerates fuzz/corpus/compile_bytes"]
fn write_compile_bytes_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/compile_bytes");
    std::fs::create_dir_all(&dir).unwrap();
    for seed in 0..32u64 {
        let len = 64 + (seed as usize * 211) % 2048;
        if let Ok(wasm) = oracle::generate(&seed_bytes(seed, len)) {
            std::fs::write(dir.join(format!("smith-{seed:02}.wasm")), wasm).unwrap();
        }
    }
}
