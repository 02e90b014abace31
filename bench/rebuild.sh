#!/usr/bin/env bash
# Rebuilds the committed benchmark modules bench/workloads/NAME/NAME.wasm.
#
#   NAME/NAME.c   --clang --target=wasm32-wasi -O2 [NAME/wasm-cflags] (wasi-libc)-->  NAME/NAME.wasm
#   NAME/main.rs  --rustc --target wasm32-wasip1 -C opt-level=3-->  NAME/NAME.wasm
#   NAME/NAME.wat  (text format, e.g. the GC workload) is used as it is.
#
# Needs: clang, lld, wasi-libc (Debian packages clang lld wasi-libc
# libclang-rt-14-dev-wasm32; sysroot /usr) and rustc with the wasm32-wasip1
# target (rustup target add wasm32-wasip1).  C is compiled with -c and linked
# in a separate step without -O and with --strip-debug, so clang does not run
# binaryen's wasm-opt after linking (whether it is installed must not change
# the module) and the DWARF of Debian's libc.a is dropped; the "name" section
# is kept.  Rust: debug info stripped, symbols kept.
#
# Usage: bench/rebuild.sh [NAME...]     (default: every workload)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/workloads"

CLANG=${CLANG:-clang}
RUSTC=${RUSTC:-rustc}
if [[ -z ${WASI_SYSROOT:-} ]]; then
    if [[ -d /usr/share/wasi-sysroot/lib/wasm32-wasi ]]; then
        WASI_SYSROOT=/usr/share/wasi-sysroot
    else
        WASI_SYSROOT=/usr
    fi
fi

if (($#)); then names=("$@"); else names=(); for d in */; do names+=("${d%/}"); done; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for name in "${names[@]}"; do
    if [[ -f $name/$name.wat ]]; then
        # Text-format workloads (GC) are run as they are; nothing to build.
        continue
    elif [[ -f $name/$name.c ]]; then
        [[ -f $WASI_SYSROOT/lib/wasm32-wasi/libc.a ]] \
            || { echo "rebuild.sh: no wasi-libc in $WASI_SYSROOT (apt-get install wasi-libc)" >&2; exit 1; }
        # NAME/wasm-cflags: extra flags for the module only (e.g. -msimd128).
        extra=()
        if [[ -f $name/wasm-cflags ]]; then read -ra extra < "$name/wasm-cflags"; fi
        "$CLANG" --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -O2 -Wall -Wextra "${extra[@]}" \
            -c -o "$tmp/$name.o" "$name/$name.c"
        "$CLANG" --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -Wl,--strip-debug \
            -o "$name/$name.wasm" "$tmp/$name.o" -lm
    elif [[ -f $name/main.rs ]]; then
        "$RUSTC" --edition 2021 -C opt-level=3 --target wasm32-wasip1 -C strip=debuginfo \
            -o "$tmp/$name.wasm" "$name/main.rs"
        cp "$tmp/$name.wasm" "$name/$name.wasm"
    else
        echo "rebuild.sh: $name: no $name.c or main.rs" >&2; exit 1
    fi
    chmod -x "$name/$name.wasm"
    printf '%-14s %8d bytes\n' "$name" "$(stat -c %s "$name/$name.wasm")" >&2
done
