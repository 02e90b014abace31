#!/usr/bin/env bash
# Full check: setup, format, lint, build, test, then the same for arm64
# (cross-compiled, run under qemu-aarch64). Fails fast; each spec harness run
# prints `N passed, M failed`. Prints the time each step took.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

AARCH64=aarch64-unknown-linux-gnu

# step NAME COMMAND...: run COMMAND, report how long it took.
step() {
    local name=$1 start=$SECONDS
    shift
    echo "== $name" >&2
    "$@"
    echo "== $name: $((SECONDS - start))s" >&2
}

step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo clippy (runtime, $AARCH64)" \
    cargo clippy --target "$AARCH64" -p waot-runtime --all-targets -- -D warnings
step "cargo build --release" cargo build --release --workspace
# The arm64 runtime library `waot build --target $AARCH64` links (found at
# target/$AARCH64/release/libwaot_runtime.a, next to target/release/waot).
step "cargo build --release (runtime, $AARCH64)" \
    cargo build --release -p waot-runtime --target "$AARCH64"
step "cargo test --release" cargo test --release --workspace
# WebAssembly 3.0 (all its features in one folder, GC included), plus the
# folders of proposals waot implements beyond it (legacy exceptions,
# threads, wide arithmetic, custom page sizes), custom sections and the
# spec's own memory_grow: every script must pass, none may be skipped.
# (`--workspace`, not `-p waot-tests`: the same feature set as the step
# above, so nothing is rebuilt.)
SPEC3="$(cd .. && pwd)/shared/spec-tests/3.0"
SPEC3_EXTRA="$SPEC3/legacy:$SPEC3/custom:$SPEC3/extra-from-spec:$SPEC3/proposals/threads"
SPEC3_EXTRA="$SPEC3_EXTRA:$SPEC3/proposals/wide-arithmetic:$SPEC3/proposals/custom-page-sizes"
step "spec 3.0" env WAOT_SPEC_DIR="$SPEC3:$SPEC3_EXTRA" \
    cargo test --release --workspace --test spec
# Every benchmark workload once at its smoke size, native and through waot,
# checking its own output (the timed benchmarks are bench/run.sh, not CI).
step "bench smoke" bash bench/run.sh --smoke
# Every fuzz target once over its committed corpus (no mutation): findings
# of earlier fuzzing stay fixed. Builds the instrumented targets in fuzz/target.
step "fuzz smoke" bash scripts/fuzz.sh --smoke
# The 3.0 features whose code differs most between the backends (GC
# objects, exception propagation, typed and tail calls, atomics, 128-bit
# arithmetic, explicitly checked memories) under qemu too.
# (The whole 3.0 folder in one qemu process runs out of memory on qemu's
# bookkeeping of the 16 GiB memory64 reservations.)
step "spec 3.0 subset under qemu" env WAOT_SPEC_DIR="$SPEC3:$SPEC3_EXTRA" \
    WAOT_SPEC_FILTER=gc,exceptions,function-references,tail-call,legacy-exceptions,threads,wide-arithmetic,custom-page-sizes \
    cargo test --release --target "$AARCH64" -p waot-tests --test spec
echo "== total before the arm64 spec run: ${SECONDS}s" >&2
# Last, so the run ends with the harness's `N passed, M failed`: the spec
# harness, compiler and runtime cross-compiled for arm64 and run under
# qemu-aarch64 (.cargo/config.toml's runner); modules are compiled for
# aarch64 and loaded in-process there (2.0 and 2.0/simd).
echo "== cargo test --release --target $AARCH64 (spec under qemu)" >&2
cargo test --release --target "$AARCH64" -p waot-tests --test spec
