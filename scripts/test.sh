#!/usr/bin/env bash
# Every check the project runs (the README's test command; CI runs exactly this):
# formatting, lints, docs, the Rust tests, the checkpoint-conversion test against PyTorch, the
# WebAssembly build, the wasm API tests in Node.js, the check that the committed pkg/ matches
# the sources, and the browser end-to-end tests in headless Chromium.
#
# Installs what it needs on a fresh machine: rustfmt/clippy and the wasm32 target (rustup),
# wasm-bindgen-cli at the Cargo.lock version (cargo install, into ~/.cargo/bin, skipped when
# present), CPU PyTorch in a virtual environment under $CAMFORMER_CACHE (default
# ~/.cache/camformer-web), Debian's chromium (apt-get, when /usr/bin/chromium is missing) and
# the npm packages of package-lock.json (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${CAMFORMER_CACHE:-$HOME/.cache/camformer-web}"
mkdir -p "$cache"
step() { printf '\n==> %s  [%s]\n' "$*" "$(date +%H:%M:%S)"; }
sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

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

# The wasm builds use their own target directory (as scripts/build-wasm.sh does), so their
# different feature sets never invalidate the native build's cache.
wasm_target="${CARGO_TARGET_DIR:-target}-wasm"

step "wasm API tests in Node.js (wasm-bindgen-test; the CPU-only browser module)"
version="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$version" ]; then
    cargo install wasm-bindgen-cli --version "$version"
fi
CARGO_TARGET_DIR="$wasm_target" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --lib --release --target wasm32-unknown-unknown --no-default-features

step "wasm: the relaxed-SIMD build's matrix kernel in Node.js (pkg/camformer-relaxed_bg.wasm)"
# Node 20 validates relaxed SIMD only behind this V8 flag; later versions have it on by default.
node_args=""
if node --experimental-wasm-relaxed-simd -e 0 2>/dev/null; then node_args="--experimental-wasm-relaxed-simd"; fi
NODE_ARGS="$node_args" CARGO_TARGET_DIR="$wasm_target" CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --lib --release --target wasm32-unknown-unknown --no-default-features --features relaxed-simd -- matmul

step "wasm32 build check of the WebGPU browser module"
CARGO_TARGET_DIR="$wasm_target" cargo check --lib --release --target wasm32-unknown-unknown

step "pkg/ is up to date with the sources"
scripts/build-wasm.sh --check

step "browser end-to-end tests (headless Chromium)"
if [ ! -x /usr/bin/chromium ]; then
    sudo_if_needed apt-get update -qq
    sudo_if_needed apt-get install -y -qq chromium
fi
npm ci --no-audit --no-fund
node tests/browser/run.mjs

step "all checks passed"
