#!/usr/bin/env python3
"""Exports the shipped default model to ONNX for the browser benchmark's peer (ONNX Runtime
Web), and checks the export.

    ~/.cache/camformer-web/venv-bench/bin/python scripts/export_onnx.py [--model models/default]
        [--out target/bench/camformer_mini.onnx] [--cli PATH] [--skip-cli]

Setup (once): the test command's CPU torch venv (~/.cache/camformer-web/venv-torch) and
    python3 -m venv ~/.cache/camformer-web/venv-bench
    ~/.cache/camformer-web/venv-bench/bin/pip install onnx onnxruntime onnxscript numpy
torch is not installed twice: when the running interpreter lacks torch (or onnx/onnxruntime),
the sibling venv's site-packages is appended to sys.path (same Python version only).

What it does:
  1. builds the project's PyTorch reference model (tests/reference/camformer_reference.py,
     `CamformerRef(architecture, conv_wrapped)`) from the manifest's architecture, loads
     model.safetensors into it (strict), `eval()`;
  2. exports it with CPU torch (TorchScript exporter, opset 17) with input `x` [N, C, 110, 1]
     float32 (the reference encoding: one-hot, plus the purine flag for Mini) and output `y`
     [N, 1], N dynamic;
  3. checks ONNX Runtime (CPU, one thread) against torch (within 1e-5) and against the CLI
     `camformer predict` (within 1e-4) on real DREAM sequences, at batch 1 and 9;
  4. writes the .onnx file and a sidecar `<out>.json` (source weights sha256, checks).
Exits with status 1 if a check fails.
"""

import argparse
import glob
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[1]
VENVS = pathlib.Path.home() / ".cache" / "camformer-web"
TOL_TORCH = 1e-5
TOL_CLI = 1e-4


def import_or_borrow(module, venv):
    """Imports `module`; if missing, appends the site-packages of `venv` (same Python) and retries."""
    try:
        return __import__(module)
    except ImportError:
        pattern = str(VENVS / venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages")
        found = glob.glob(pattern)
        if not found:
            sys.exit(f"{module} is not installed for {sys.executable} and {pattern} does not exist; "
                     f"see the setup in this script's docstring")
        sys.path.append(found[0])
        print(f"(using {module} from {found[0]})", file=sys.stderr)
        return __import__(module)


np = import_or_borrow("numpy", "venv-torch")
torch = import_or_borrow("torch", "venv-torch")
import_or_borrow("safetensors", "venv-torch")
import_or_borrow("onnx", "venv-bench")
ort = import_or_borrow("onnxruntime", "venv-bench")
from safetensors.torch import load_file  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "reference"))
import camformer_reference as ref  # noqa: E402


def check_sequences(n):
    """The first n DREAM constructs of the sample, plus one mutant and one with N."""
    rows = (ROOT / "tests" / "data" / "dream_test_sample.tsv").read_text().splitlines()
    col = rows[0].split("\t").index("seq")
    seqs = [r.split("\t")[col] for r in rows[1 : n + 1 - 2]]
    s = seqs[0]
    seqs.append(s[:40] + ("A" if s[40] != "A" else "C") + s[41:])
    seqs.append(seqs[1][:60] + "N" + seqs[1][61:])
    return seqs


def find_cli(given):
    if given:
        return pathlib.Path(given)
    candidates = []
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(pathlib.Path(os.environ["CARGO_TARGET_DIR"]) / "release" / "camformer")
    candidates += [VENVS / "target" / "release" / "camformer", ROOT / "target" / "release" / "camformer"]
    for c in candidates:
        if c.exists():
            return c
    sys.exit("camformer CLI not found (looked in " + ", ".join(map(str, candidates)) +
             "): build it with `cargo build --release`, pass --cli PATH, or --skip-cli")


def cli_predict(cli, model_dir, seqs):
    with tempfile.TemporaryDirectory() as tmp:
        fa = pathlib.Path(tmp) / "check.fa"
        fa.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(seqs)))
        out = subprocess.run([str(cli), "predict", "--weights", str(model_dir), "--input", str(fa),
                              "--output", "-"], check=True, capture_output=True, text=True).stdout
    lines = [line.split("\t") for line in out.splitlines() if line.strip()]
    header, rows = lines[0], lines[1:]
    col = header.index("prediction")
    if len(rows) != len(seqs):
        sys.exit(f"the CLI predicted {len(rows)} of {len(seqs)} check sequences:\n{out}")
    return np.array([float(r[col]) for r in rows], dtype=np.float64)


def max_rel_diff(a, b):
    """max |a - b| / max(1, |b|): the project's tolerance convention."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "default"), help="directory with manifest.json")
    ap.add_argument("--out", default=str(ROOT / "target" / "bench" / "camformer_mini.onnx"))
    ap.add_argument("--cli", help="the camformer CLI binary (default: $CARGO_TARGET_DIR/release/camformer)")
    ap.add_argument("--skip-cli", action="store_true", help="do not compare with the CLI")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    torch.set_num_threads(1)
    model_dir = pathlib.Path(args.model)
    manifest = json.loads((model_dir / "manifest.json").read_text())
    cfg = manifest["architecture"]
    weights_path = model_dir / manifest["weights"]["file"]
    weights_sha = hashlib.sha256(weights_path.read_bytes()).hexdigest()
    if manifest["weights"].get("sha256") not in (None, weights_sha):
        sys.exit(f"{weights_path}: sha256 {weights_sha} differs from the manifest's")
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in load_file(str(weights_path)).items()}
    # The Original layout wraps each conv (`CNN_layers.i.0.conv.weight`); Mini's is bare.
    wrapped = any(".0.conv." in k for k in state)
    model = ref.CamformerRef(cfg, wrapped)
    model.load_state_dict(state, strict=True)
    model.eval()

    seqs = check_sequences(9)
    x = ref.encode(seqs, cfg["encoding"]).float().contiguous()
    channels = x.shape[1]
    with torch.inference_mode():
        y_torch = model(x)[:, 0].numpy().astype(np.float64)

    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".onnx.tmp")
    # dynamo=False: the TorchScript exporter needs no onnxscript at export time and folds batch
    # norm into the convolutions, as our loader does (its deprecation warning is expected).
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch.onnx")
    warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
    torch.onnx.export(model, (x,), str(tmp), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=args.opset,
                      dynamo=False)

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(tmp), opts, providers=["CPUExecutionProvider"])
    xn = x.numpy()
    y_ort = sess.run(None, {"x": xn})[0][:, 0].astype(np.float64)
    y_ort1 = np.concatenate([sess.run(None, {"x": xn[i : i + 1]})[0][:, 0] for i in range(len(seqs))])
    checks = {
        "sequences": len(seqs),
        "ort_vs_torch": max_rel_diff(y_ort, y_torch),
        "ort_batch1_vs_torch": max_rel_diff(y_ort1, y_torch),
    }
    ok = checks["ort_vs_torch"] <= TOL_TORCH and checks["ort_batch1_vs_torch"] <= TOL_TORCH
    if not args.skip_cli:
        cli = find_cli(args.cli)
        y_cli = cli_predict(cli, model_dir, seqs)
        checks["ort_vs_cli"] = max_rel_diff(y_ort, y_cli)
        checks["torch_vs_cli"] = max_rel_diff(y_torch, y_cli)
        checks["cli"] = str(cli)
        ok = ok and checks["ort_vs_cli"] <= TOL_CLI

    print(f"{'sequence':<10} {'torch':>12} {'onnxruntime':>12}" + ("" if args.skip_cli else f" {'CLI':>12}"))
    for i in range(len(seqs)):
        row = f"s{i:<9} {y_torch[i]:>12.6f} {y_ort[i]:>12.6f}"
        if not args.skip_cli:
            row += f" {y_cli[i]:>12.6f}"
        print(row)
    print(f"max |ONNX Runtime - torch| / max(1, |torch|) = {checks['ort_vs_torch']:.2e} "
          f"(batch 1: {checks['ort_batch1_vs_torch']:.2e}; tolerance {TOL_TORCH:g})")
    if not args.skip_cli:
        print(f"max |ONNX Runtime - CLI| / max(1, |CLI|) = {checks['ort_vs_cli']:.2e} (tolerance {TOL_CLI:g}); "
              f"torch vs CLI {checks['torch_vs_cli']:.2e}")
    if not ok:
        tmp.unlink(missing_ok=True)
        sys.exit("export check FAILED: the ONNX model does not reproduce the reference; nothing written")

    tmp.replace(out)
    sidecar = {
        "onnx": out.name,
        "model": manifest.get("name"),
        "architecture": cfg.get("name"),
        "weights_sha256": weights_sha,
        "input": {"name": "x", "shape": ["n", channels, 110, 1], "dtype": "float32",
                  "encoding": cfg["encoding"]},
        "output": {"name": "y", "shape": ["n", 1]},
        "opset": args.opset,
        "torch": torch.__version__,
        "onnxruntime": ort.__version__,
        "checks": checks,
    }
    pathlib.Path(str(out) + ".json").write_text(json.dumps(sidecar, indent=2) + "\n")
    print(f"wrote {out} ({out.stat().st_size:,} bytes) and {out}.json")


if __name__ == "__main__":
    main()
