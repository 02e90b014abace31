#!/usr/bin/env bash
# Full check: setup, format, lint, build, test. Fails fast; ends with the
# `cargo test` output (the spec harness prints `N passed, M failed`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check

echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo build --release" >&2
cargo build --release --workspace

echo "== cargo test --release" >&2
cargo test --release --workspace
