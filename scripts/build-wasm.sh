#!/usr/bin/env bash
# Rebuilds pkg/, the committed browser package, from the sources:
#   1. the library for wasm32-unknown-unknown twice (profile `wasm-release`, simd128 on):
#      CPU-only (`--no-default-features`, the module every page loads: ~0.7 MB gzip of code)
#      and with the WebGPU backend (`camformer-gpu`, ~3.5 MB gzip of code, fetched only when the
#      browser has a real GPU adapter);
#   2. the JavaScript glue with the wasm-bindgen CLI at exactly the Cargo.lock version
#      (installed into ~/.cargo/bin if missing or different);
#   3. the custom element and the single-file app from www/ (scripts/bundle.mjs);
#   4. pkg/SOURCES.sha256: the hash of every input, which CI compares to catch a stale pkg/.
#
# Usage: scripts/build-wasm.sh            rebuild pkg/
#        scripts/build-wasm.sh --check    only check that pkg/ matches the sources
set -euo pipefail
cd "$(dirname "$0")/.."

# The inputs pkg/ is built from: the library's sources (not the CLI in src/bin), the files it
# compiles in (models, the DREAM public-leaderboard files), and the bundled front end.
sources_hash() {
    git ls-files -co --exclude-standard -- src ':!src/bin' Cargo.toml Cargo.lock .cargo \
        models/default models/motifs tests/data/dream_public www/app www/worker.js \
        www/style.css scripts/build-wasm.sh scripts/bundle.mjs |
        LC_ALL=C sort | while read -r f; do [ -f "$f" ] && sha256sum "$f"; done |
        sha256sum | cut -d' ' -f1
}

if [ "${1:-}" = "--check" ]; then
    want="$(sources_hash)"
    have="$(cat pkg/SOURCES.sha256 2>/dev/null || echo none)"
    if [ "$want" != "$have" ]; then
        echo "pkg/ is stale: built from sources $have, the sources are now $want." >&2
        echo "Run scripts/build-wasm.sh and commit pkg/." >&2
        exit 1
    fi
    echo "pkg/ matches the sources ($want)"
    exit 0
fi

# Its own target directory, so a wasm build never waits for the native build's lock.
export CARGO_TARGET_DIR="${CAMFORMER_WASM_TARGET_DIR:-${CARGO_TARGET_DIR:-target}-wasm}"
out="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/camformer.wasm"
version="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$version" ]; then
    echo "installing wasm-bindgen-cli $version (matches Cargo.lock)" >&2
    cargo install wasm-bindgen-cli --version "$version"
fi
rustup target add wasm32-unknown-unknown >/dev/null
mkdir -p pkg

build() { # $1: output name, rest: cargo feature flags
    local name="$1"
    shift
    cargo build --lib --profile wasm-release --target wasm32-unknown-unknown "$@"
    wasm-bindgen --target web --no-typescript --out-dir pkg --out-name "$name" "$out"
}
build camformer --no-default-features
build camformer-gpu

node scripts/bundle.mjs
sources_hash > pkg/SOURCES.sha256
ls -l pkg
echo "gzip -9 sizes:"
for f in pkg/*.wasm pkg/*.js pkg/*.html; do
    printf '  %-32s %10d bytes %10d gzip\n' "$f" "$(wc -c < "$f")" "$(gzip -9c "$f" | wc -c)"
done
