#!/usr/bin/env python3
"""Side-by-side training benchmark: this project's trainer (`camformer-training bench`) and the
authors' architecture in PyTorch (tests/reference/camformer_reference.py, the module layout of
the authors' code), same architectures, f32, AdamW, MSE, dropout and batch norm in training
mode, in one run.

CPU (2 threads, as the project's machines):

    python3 -m venv ~/.cache/camformer-web/venv-torch
    ~/.cache/camformer-web/venv-torch/bin/pip install torch numpy
    cargo build --release -p camformer-training
    ~/.cache/camformer-web/venv-torch/bin/python scripts/bench_training.py

GPU (our trainer on wgpu/Vulkan, PyTorch on CUDA):

    python3 scripts/bench_training.py --gpu --trainer PATH/camformer-training --batch 256 1024

Prints a Markdown table of training sequences/s per architecture and batch size, and writes
the raw numbers as JSON (--json, default target/bench_training.json). Each number is the
throughput of `--steps` back-to-back steps after `--warmup` untimed ones, synchronised at the
end (for PyTorch on CUDA: torch.cuda.synchronize). Run it on an otherwise idle machine.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reference"))
import camformer_reference as ref  # noqa: E402

THREADS = 2


def random_batches(n_batches, batch, cfg, seed):
    """Random 80-bp regions in the constant flanks, encoded as the model's input."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n_batches):
        codes = torch.randint(0, 4, (batch, 80), generator=g)
        seqs = ["".join("ACGT"[c] for c in row.tolist()) for row in codes]
        x = ref.encode([ref.to_construct(s) for s in seqs], cfg["encoding"]).float()
        y = torch.rand((batch, 1), generator=g) * 2 - 1
        out.append((x, y))
    return out


def bench_pytorch(arch, batch, steps, warmup, device):
    cfg = json.loads((ref.ARCH_DIR / f"{arch}.json").read_text())
    torch.manual_seed(42)
    model = ref.CamformerRef(cfg, arch == "original").to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-3)
    loss_fn = torch.nn.MSELoss()
    # A few distinct batches reused round-robin: encoding is not part of what is timed here,
    # as our trainer assembles batches on a background thread.
    data = [(x.to(device), y.to(device)) for x, y in random_batches(4, batch, cfg, 7)]

    def step(i):
        x, y = data[i % len(data)]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.detach()

    def sync():
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    for i in range(warmup):
        step(i)
    sync()
    start = time.perf_counter()
    total = torch.zeros((), device=device)
    for i in range(steps):
        total += step(i)
    float(total)  # waits for the queued steps, like our trainer's final loss read
    sync()
    seconds = time.perf_counter() - start
    return {"seq_per_s": steps * batch / seconds, "seconds": seconds, "steps": steps,
            "version": torch.__version__}


def bench_pytorch_inference(arch, batch, steps, device):
    """Prediction throughput (eval mode, no autograd) and one ISM batch of 331 sequences (the
    reference and its 330 single mutants), as `camformer-training bench --inference` times."""
    cfg = json.loads((ref.ARCH_DIR / f"{arch}.json").read_text())
    torch.manual_seed(42)
    model = ref.CamformerRef(cfg, arch == "original").to(device).eval()
    x = torch.cat([b[0] for b in random_batches(steps, batch, cfg, 11)]).to(device)
    seq = ref.to_construct("".join("ACGT"[i % 4] for i in range(80)))
    mutants = [seq] + [seq[:p] + b + seq[p + 1:] for p in range(110) for b in "ACGT" if b != seq[p]]
    xi = ref.encode(mutants, cfg["encoding"]).float().to(device)

    def sync():
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    with torch.inference_mode():
        model(x[:batch]).cpu()
        sync()
        start = time.perf_counter()
        for i in range(0, len(x), batch):
            model(x[i:i + batch]).cpu()  # read back, as our predictor does
        seq_per_s = len(x) / (time.perf_counter() - start)
        times = []
        for _ in range(4):
            start = time.perf_counter()
            model(xi).cpu()
            times.append(time.perf_counter() - start)
    return {"predict_seq_per_s": seq_per_s, "ism_naive_s": sorted(times[1:])[1]}


def bench_ours(trainer, arch, batch, steps, warmup, device, phases, inference=False, timeout=None,
               backward="auto"):
    cmd = [str(trainer), "bench", "--arch", arch, "--device", device, "--batch-size", str(batch),
           "--steps", str(steps), "--warmup", str(warmup), "--backward", backward]
    if phases:
        cmd.append("--phases")
    if inference:
        cmd.append("--inference")
    env = dict(os.environ)
    if device == "cpu":
        env["RAYON_NUM_THREADS"] = str(THREADS)
    try:
        out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True,
                             timeout=timeout).stdout
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    except subprocess.CalledProcessError as e:
        return {"error": f"exit status {e.returncode}"}
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["mini", "original"], action="append")
    ap.add_argument("--batch", type=int, nargs="+", default=[256])
    ap.add_argument("--steps", type=int, default=None, help="timed steps (default: CPU 12 Mini / 4 Original, GPU 50)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--gpu", action="store_true", help="ours on wgpu, PyTorch on CUDA")
    ap.add_argument("--phases", action="store_true", help="also profile our step by phase")
    ap.add_argument("--inference", action="store_true", help="also time prediction and ISM on the same device")
    ap.add_argument("--backward", default="auto", choices=["auto", "autodiff", "cpu-net"],
                    help="our trainer's gradient engine (auto: cpu-net on the CPU, autodiff on wgpu)")
    ap.add_argument("--trainer", default=None, help="camformer-training binary (default: the release build)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds allowed for each run of our trainer")
    ap.add_argument("--skip-pytorch", action="store_true")
    ap.add_argument("--skip-ours", action="store_true")
    ap.add_argument("--json", default=str(ROOT / "target" / "bench_training.json"))
    args = ap.parse_args()

    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    trainer = args.trainer or target / "release" / "camformer-training"
    torch_device = "cuda" if args.gpu else "cpu"
    our_device = "wgpu" if args.gpu else "cpu"
    if not args.gpu:
        torch.set_num_threads(THREADS)

    results = []
    for arch in args.arch or ["mini", "original"]:
        for batch in args.batch:
            steps = args.steps or (50 if args.gpu else (12 if arch == "mini" else 4))
            row = {"arch": arch, "batch": batch, "device": torch_device if args.gpu else "cpu (2 threads)"}
            if not args.skip_ours:
                row["ours"] = bench_ours(trainer, arch, batch, steps, args.warmup, our_device,
                                         args.phases, args.inference, args.timeout, args.backward)
            if not args.skip_pytorch:
                row["pytorch"] = bench_pytorch(arch, batch, steps, args.warmup, torch_device)
                if args.inference:
                    row["pytorch"]["inference"] = bench_pytorch_inference(arch, batch, steps, torch_device)
            results.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)

    print("\n| arch | batch | device | camformer-training (seq/s) | PyTorch (seq/s) | ratio |")
    print("|---|---|---|---|---|---|")
    for r in results:
        ours = r.get("ours", {}).get("seq_per_s")
        theirs = r.get("pytorch", {}).get("seq_per_s")
        ratio = f"{ours / theirs:.2f}x" if ours and theirs else "-"
        fmt = lambda v: f"{v:,.0f}" if v else "-"  # noqa: E731
        print(f"| {r['arch']} | {r['batch']} | {r['device']} | {fmt(ours)} | {fmt(theirs)} | {ratio} |")
    if args.inference:
        print("\n| arch | batch | device | ours: predict seq/s | PyTorch: predict seq/s | ours: ISM fast / naive (s) | PyTorch: ISM batch of 331 (s) |")
        print("|---|---|---|---|---|---|---|")
        for r in results:
            o = r.get("ours", {}).get("inference") or {}
            p = r.get("pytorch", {}).get("inference") or {}
            ism = f"{o['ism_fast_s']:.4f} / {o['ism_naive_s']:.4f}" if o else "-"
            print(f"| {r['arch']} | {r['batch']} | {r['device']} | {o.get('predict_seq_per_s', 0):,.0f} | "
                  f"{p.get('predict_seq_per_s', 0):,.0f} | {ism} | {p.get('ism_naive_s', float('nan')):.4f} |")
    path = pathlib.Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
