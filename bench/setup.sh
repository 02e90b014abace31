#!/usr/bin/env bash
# Installs what bench/run.sh needs and is not in scripts/setup.sh; idempotent.
#   wasmtime 48.0.8 (cargo install, into ~/.cargo/bin), hyperfine and wabt
#   (Debian packages; optional: run.sh falls back to its own timing loop
#   without hyperfine, and needs wat2wasm only for the hello-world start-up
#   test).  gcc, clang, wasi-libc and rustc's wasm32-wasip1 target are only
#   needed by rebuild.sh and the native builds.
set -euo pipefail

WASMTIME_VERSION=48.0.8

have_wasmtime() {
    local w
    w=$(command -v wasmtime || true)
    [[ -z $w && -x $HOME/.cargo/bin/wasmtime ]] && w=$HOME/.cargo/bin/wasmtime
    [[ -n $w ]] && "$w" --version 2>/dev/null | grep -q "^wasmtime $WASMTIME_VERSION\b"
}

if have_wasmtime; then
    echo "setup.sh: wasmtime $WASMTIME_VERSION already installed"
else
    echo "setup.sh: installing wasmtime-cli $WASMTIME_VERSION with cargo (takes a while)"
    cargo install wasmtime-cli --version "$WASMTIME_VERSION" --locked -j 1
fi

missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v wat2wasm >/dev/null || missing+=(wabt)
command -v gcc >/dev/null || missing+=(gcc)
if ((${#missing[@]})); then
    if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
        apt-get install -y --no-install-recommends "${missing[@]}"
    else
        echo "setup.sh: please install: ${missing[*]}" >&2
    fi
fi
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-wasip1; then
    rustup target add wasm32-wasip1   # only needed by rebuild.sh
fi
echo "setup.sh: done"
