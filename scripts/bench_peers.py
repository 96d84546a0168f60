#!/usr/bin/env python3
"""Side-by-side CPU benchmark: Camformer Web (Rust/Burn, `cargo bench`) vs the authors' stack
(PyTorch) vs ONNX Runtime, same architectures, f32, batch 256, 2 threads, in one run.

    python3 -m venv ~/.cache/camformer-web/venv-bench
    ~/.cache/camformer-web/venv-bench/bin/pip install torch onnx onnxscript onnxruntime numpy
    ~/.cache/camformer-web/venv-bench/bin/python scripts/bench_peers.py [--arch mini] [--skip-rust]

Prints a Markdown table (sequences/s for batch 256; seconds for one ISM batch of 331 =
reference + 110 positions x 3) and writes it to target/bench_peers.json. Run it on an otherwise
idle machine; each timing is the median of several repetitions after a warm-up.
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reference"))
import camformer_reference as ref  # noqa: E402

THREADS = 2


def sample_batch(n):
    rows = (ROOT / "tests" / "data" / "dream_test_sample.tsv").read_text().splitlines()[1:]
    seqs = [r.split("\t")[1] for r in rows]
    return [seqs[i % len(seqs)] for i in range(n)]


def ism_batch(seq):
    out = [seq]
    for pos in range(110):
        for b in "ACGT":
            if b != seq[pos]:
                out.append(seq[:pos] + b + seq[pos + 1:])
    return out


def timed(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_python(arch, reps):
    cfg = json.loads((ref.ARCH_DIR / f"{arch}.json").read_text())
    model = ref.CamformerRef(cfg, arch == "original").eval()
    x = ref.encode(sample_batch(256), cfg["encoding"]).float()
    xi = ref.encode(ism_batch(sample_batch(1)[0]), cfg["encoding"]).float()
    torch.set_num_threads(THREADS)
    out = {}
    with torch.inference_mode():
        t = timed(lambda: model(x), reps)
        ti = timed(lambda: model(xi), reps)
    out["pytorch"] = {"seq_per_s": 256 / t, "ism_s": ti, "version": torch.__version__}

    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.onnx")
        torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "n"}}, dynamo=False)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = THREADS
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        xn, xin = x.numpy(), xi.numpy()
        got = sess.run(None, {"x": xn[:4]})[0]
        with torch.inference_mode():
            assert np.allclose(got, model(x[:4]).numpy(), atol=1e-4), "ONNX export differs"
        t = timed(lambda: sess.run(None, {"x": xn}), reps)
        ti = timed(lambda: sess.run(None, {"x": xin}), reps)
    out["onnxruntime"] = {"seq_per_s": 256 / t, "ism_s": ti, "version": ort.__version__}
    return out


def bench_rust(arch):
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    env = dict(os.environ, CAMFORMER_BENCH_ARCH=arch)
    # --workspace: the same feature set as `cargo test --workspace`, so the build is shared.
    subprocess.run(["cargo", "bench", "--workspace", "--bench", "predict", "--", "--noplot"], cwd=ROOT, env=env, check=True)

    def mean_s(bench_id):
        est = json.loads((target / "criterion" / f"cpu_{arch}" / bench_id / "new" / "estimates.json").read_text())
        return est["median"]["point_estimate"] / 1e9

    return {
        "camformer-web (CPU network, naive ISM)": {
            "seq_per_s": 256 / mean_s("predict/256"),
            "ism_s": mean_s("ism_naive_all_positions")},
        "camformer-web (CPU network, fast ISM of 330 mutants)": {
            "seq_per_s": 256 / mean_s("predict/256"),
            "ism_s": mean_s("ism_fast_all_positions")},
        "camformer-web (Burn module on flex, fast ISM)": {
            "seq_per_s": 256 / mean_s("predict_burn_module/256"),
            "ism_s": mean_s("ism_fast_burn_all_positions")},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["mini", "original"], action="append")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--skip-rust", action="store_true")
    args = ap.parse_args()
    results = {}
    for arch in args.arch or ["mini", "original"]:
        r = {} if args.skip_rust else bench_rust(arch)
        r.update(bench_python(arch, args.reps if arch == "mini" else max(3, args.reps // 2)))
        results[arch] = r
    print("\n| engine | arch | sequences/s (batch 256) | ISM batch of 331 (s) |\n|---|---|---|---|")
    for arch, r in results.items():
        for engine, v in r.items():
            print(f"| {engine} | {arch} | {v['seq_per_s']:.0f} | {v['ism_s']:.3f} |")
    out = ROOT / "target" / "bench_peers.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
