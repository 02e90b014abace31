#!/usr/bin/env bash
# Idempotent, non-interactive setup of the build/test prerequisites for waot on
# Debian (12+) with rustup-managed Rust. Quiet when everything is already there.
#
#   Debian: clang lld wasi-libc libclang-rt-14-dev-wasm32  (C -> wasm32-wasi test programs)
#           wabt                                           (wat2wasm / wasm2wat)
#           qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross (arm64 cross tests)
#           file make g++
#   rustup: aarch64-unknown-linux-gnu wasm32-wasip1
set -euo pipefail

DEB_PKGS=(clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt qemu-user
          gcc-aarch64-linux-gnu libc6-dev-arm64-cross file make g++)
RUST_TARGETS=(aarch64-unknown-linux-gnu wasm32-wasip1)

log() { printf 'setup: %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------
missing=()
for p in "${DEB_PKGS[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [[ $status != "install ok installed" ]]; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    if ! command -v apt-get >/dev/null 2>&1; then
        log "missing packages (${missing[*]}) and no apt-get; install them manually"
        exit 1
    fi
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO=(sudo -n)
        else
            log "not root and no sudo; install manually: ${missing[*]}"
            exit 1
        fi
    fi
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq </dev/null
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

# --- Rust targets ----------------------------------------------------------
if ! command -v rustup >/dev/null 2>&1; then
    log "rustup not found; install Rust via https://rustup.rs first"
    exit 1
fi
installed_targets=$(rustup target list --installed 2>/dev/null || true)
need_targets=()
for t in "${RUST_TARGETS[@]}"; do
    grep -qx "$t" <<<"$installed_targets" || need_targets+=("$t")
done
if ((${#need_targets[@]})); then
    log "adding rust targets: ${need_targets[*]}"
    rustup target add "${need_targets[@]}" </dev/null
fi
