#!/usr/bin/env bash
# From a fresh checkout to a running native hello world: install the
# prerequisites, build waot, compile examples/hello/hello.wat, run it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

echo "== cargo build --release" >&2
cargo build --release
# The arm64 runtime library, so `waot build --target aarch64-unknown-linux-gnu`
# works with no further step (waot finds it under target/<triple>/release).
echo "== cargo build --release -p waot-runtime --target aarch64-unknown-linux-gnu" >&2
cargo build --release -p waot-runtime --target aarch64-unknown-linux-gnu

echo "== waot build examples/hello/hello.wat -o target/hello && target/hello" >&2
target/release/waot build examples/hello/hello.wat -o target/hello && target/hello
