#!/usr/bin/env bash
# From a fresh checkout to a running native hello world: install the
# prerequisites, build waot, compile examples/hello/hello.wat, run it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

echo "== cargo build --release" >&2
cargo build --release

echo "== waot build examples/hello/hello.wat -o target/hello && target/hello" >&2
target/release/waot build examples/hello/hello.wat -o target/hello && target/hello
