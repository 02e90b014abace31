#!/usr/bin/env bash
# Fuzzing waot with libFuzzer (the cargo-fuzz project in fuzz/).
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]   fuzz one target for SECONDS
#   scripts/fuzz.sh --smoke                               every target over its committed
#                                                         corpus (no mutation), <= 60 s total
#   scripts/fuzz.sh --build                               only build the targets
#   scripts/fuzz.sh --list                                list the targets
#
# Targets (fuzz/fuzz_targets/):
#   compile_bytes   arbitrary bytes -> waot_compiler::compile: Ok (and the object
#                   loads) or a clean error; never a panic or an internal error
#   compile_smith   wasm-smith modules (all features waot supports) always compile,
#                   serial and parallel output byte-identical
#   differential    terminating wasm-smith modules, waot vs the wasmi interpreter:
#                   same results, traps and final memories/globals/tables
#
# Works on stable Rust: the targets are built with plain cargo and the
# sanitizer-coverage flags cargo-fuzz uses with `--sanitizer none` (no
# nightly, no cargo-fuzz install needed). If `cargo fuzz` is installed it can
# be used as well: `cargo fuzz run --sanitizer none TARGET` from the top folder
# (ASan needs nightly).
#
# New inputs found while fuzzing go to fuzz/corpus-work/TARGET (not committed);
# crashes go to fuzz/artifacts/TARGET. Every finding becomes a regression
# test in the normal suite: differential ones as tests/differential/*.wat,
# compile ones as a case in tests/hostile.rs or a unit test.
#
# Environment: FUZZ_JOBS (default 1), FUZZ_RSS_MB (default 4096),
# FUZZ_TIMEOUT (seconds per input, default 20).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
FUZZ=$ROOT/fuzz
TARGETS=(compile_bytes compile_smith differential)
HOST=$(rustc -vV | sed -n 's/^host: //p')
BIN_DIR=$FUZZ/target/$HOST/release

build() {
    # --target keeps the flags off build scripts and proc macros, as cargo-fuzz does.
    RUSTFLAGS="${RUSTFLAGS:-} --cfg fuzzing -Cpasses=sancov-module \
        -Cllvm-args=-sanitizer-coverage-level=4 \
        -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
        -Cllvm-args=-sanitizer-coverage-pc-table \
        -Cllvm-args=-sanitizer-coverage-trace-compares \
        -Cforce-frame-pointers=yes" \
        cargo build --release --manifest-path "$FUZZ/Cargo.toml" --target "$HOST" \
        --bins -j "${CARGO_BUILD_JOBS:-2}" >&2
}

libfuzzer_flags=(
    -rss_limit_mb="${FUZZ_RSS_MB:-4096}"
    -malloc_limit_mb="${FUZZ_RSS_MB:-4096}"
    -timeout="${FUZZ_TIMEOUT:-20}"
    -max_len=16384
)

case "${1:-}" in
    --list)
        printf '%s\n' "${TARGETS[@]}"
        ;;
    --build)
        build
        ;;
    --smoke)
        build
        start=$(date +%s)
        for t in "${TARGETS[@]}"; do
            corpus=$FUZZ/corpus/$t
            echo "== smoke: $t over $(find "$corpus" -type f | wc -l) corpus inputs" >&2
            # -runs=0: execute every corpus input once, no mutation.
            "$BIN_DIR/$t" "${libfuzzer_flags[@]}" -runs=0 "$corpus" 2>&1 | grep -E 'INITED|DONE|ERROR|panicked|divergence' >&2
        done
        echo "== smoke: all targets clean in $(( $(date +%s) - start )) s" >&2
        ;;
    ""|-h|--help)
        sed -n '2,30p' "$0"
        ;;
    *)
        target=$1
        seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
        shift 2
        [[ " ${TARGETS[*]} " == *" $target "* ]] || { echo "unknown target $target (${TARGETS[*]})" >&2; exit 2; }
        build
        work=$FUZZ/corpus-work/$target
        mkdir -p "$work" "$FUZZ/artifacts/$target"
        jobs=()
        if [[ "${FUZZ_JOBS:-1}" -gt 1 ]]; then jobs=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS"); fi
        # Fuzz into the work corpus, seeded from the committed one.
        "$BIN_DIR/$target" "${libfuzzer_flags[@]}" "${jobs[@]}" \
            -max_total_time="$seconds" \
            -print_final_stats=1 \
            -artifact_prefix="$FUZZ/artifacts/$target/" \
            "$@" "$work" "$FUZZ/corpus/$target"
        ;;
esac
