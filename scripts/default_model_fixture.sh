#!/usr/bin/env bash
# Regenerates the known outputs of the shipped default model (run after replacing
# models/default/): the CLI's predictions and ISM for tests/data/default_model/inputs.fa.
# The native tests, the wasm API tests and the browser tests all compare against these files,
# so stale or corrupted shipped weights, or a browser build that disagrees with the CLI, fail.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CARGO_TARGET_DIR:-target}/release/camformer"
cargo build --release --workspace --bin camformer
dir=tests/data/default_model
"$bin" predict --input "$dir/inputs.fa" --output "$dir/predictions.tsv"
head -2 "$dir/inputs.fa" > "$dir/ism_input.fa"
"$bin" ism --method naive --input "$dir/ism_input.fa" --output "$dir/ism.tsv"
sha256sum models/default/model.safetensors | cut -d' ' -f1 > "$dir/weights.sha256"
python3 - "$dir" <<'PY'
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/predictions.tsv"), delimiter="\t"))
ism = list(csv.DictReader(open(f"{d}/ism.tsv"), delimiter="\t"))
seqs = [l.strip() for l in open(f"{d}/inputs.fa") if not l.startswith(">")]
json.dump({
    "source": "scripts/default_model_fixture.sh (the CLI on the shipped default model)",
    "weights_sha256": open(f"{d}/weights.sha256").read().strip(),
    "sequences": seqs,
    "names": [r["name"] for r in rows],
    "predictions": [float(r["prediction"]) for r in rows],
    "ism": {"sequence": seqs[0], "deltas": [
        {"position": int(r["position"]), "ref": r["ref"], "alt": r["alt"], "delta": float(r["delta"])}
        for r in ism]},
}, open("tests/browser/fixtures/expected.json", "w"), indent=1)
PY
echo "wrote $dir/{predictions.tsv,ism.tsv,weights.sha256} and tests/browser/fixtures/expected.json"
