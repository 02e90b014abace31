#!/bin/sh
# Rebuilds mathlib.wasm from mathlib.c (needs clang with the wasm32 target
# and wasm-ld; Debian: clang lld). The .wasm is committed, so the example
# itself only needs waot and a C compiler.
set -eu
cd "$(dirname "$0")"
${CLANG:-clang} --target=wasm32 -O2 -ffreestanding -nostdlib \
  -Wl,--no-entry -Wl,--export-table -Wl,--strip-all \
  -o mathlib.wasm mathlib.c
