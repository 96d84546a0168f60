#!/usr/bin/env bash
# Rebuilds pkg/, the committed browser package, from the sources:
#   1. the library for wasm32-unknown-unknown three times (profile `wasm-release`, simd128 on):
#      CPU-only (`--no-default-features`, the module every page loads: ~0.7 MB gzip of code),
#      the same with relaxed SIMD's fused multiply-add (`--features relaxed-simd`,
#      camformer-relaxed_bg.wasm, loaded instead where the browser validates relaxed SIMD; its
#      JavaScript glue is identical, so only the .wasm is kept), and with the WebGPU backend
#      (`camformer-gpu`, ~3.5 MB gzip of code, fetched only when the browser has a real GPU
#      adapter);
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

# The wasm "name" section (function names for stack traces) is left out: it is 0.33 MB of the
# CPU module and 4 MB of the WebGPU one (0.8 MB gzip). CAMFORMER_WASM_NAMES=1 keeps it, for
# debugging a trap with named frames.
strip_names=(--remove-name-section)
[ "${CAMFORMER_WASM_NAMES:-0}" = 1 ] && strip_names=()
build() { # $1: output directory, $2: output name, rest: cargo feature flags
    local dir="$1" name="$2"
    shift 2
    cargo build --lib --profile wasm-release --target wasm32-unknown-unknown "$@"
    wasm-bindgen --target web --no-typescript "${strip_names[@]}" --out-dir "$dir" --out-name "$name" "$out"
}
build pkg camformer --no-default-features
# The relaxed-SIMD build runs with camformer.js: generated under the same name (the wasm's
# import namespace is named after it), its glue must equal camformer.js, and only its .wasm is
# kept, as camformer-relaxed_bg.wasm.
relaxed_dir="$CARGO_TARGET_DIR/relaxed-pkg"
rm -rf "$relaxed_dir"
build "$relaxed_dir" camformer --no-default-features --features relaxed-simd
if ! cmp -s pkg/camformer.js "$relaxed_dir/camformer.js"; then
    echo "the relaxed-SIMD module's glue differs from camformer.js; the page cannot share it" >&2
    exit 1
fi
cp "$relaxed_dir/camformer_bg.wasm" pkg/camformer-relaxed_bg.wasm
build pkg camformer-gpu

node scripts/bundle.mjs
sources_hash > pkg/SOURCES.sha256
ls -l pkg
echo "gzip -9 sizes:"
for f in pkg/*.wasm pkg/*.js pkg/*.html; do
    printf '  %-32s %10d bytes %10d gzip\n' "$f" "$(wc -c < "$f")" "$(gzip -9c "$f" | wc -c)"
done
