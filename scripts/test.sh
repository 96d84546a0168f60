#!/usr/bin/env bash
# Every check the project runs: formatting, lints, docs, the Rust tests, the checkpoint-conversion
# test against PyTorch, and the WebAssembly build of the library. Installs what it needs:
# the wasm32 target (rustup) and, for the conversion test, CPU PyTorch in a virtual
# environment under $CAMFORMER_CACHE (default ~/.cache/camformer-web), reused across runs.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${CAMFORMER_CACHE:-$HOME/.cache/camformer-web}"
mkdir -p "$cache"
step() { printf '\n==> %s\n' "$*"; }

step "toolchain: rustfmt, clippy, wasm32-unknown-unknown"
rustup component add rustfmt clippy
rustup target add wasm32-unknown-unknown

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

step "cargo test (release: the model tests run real networks)"
cargo test --workspace --release

step "checkpoint conversion vs PyTorch (tests/reference/test_convert.py)"
venv="$cache/venv-torch"
if ! "$venv/bin/python" -c "import torch, safetensors, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet torch safetensors numpy
fi
CAMFORMER_BIN="${CARGO_TARGET_DIR:-target}/release/camformer" \
    "$venv/bin/python" tests/reference/test_convert.py

step "wasm32 build of the library"
cargo build --lib --release --target wasm32-unknown-unknown

step "all checks passed"
