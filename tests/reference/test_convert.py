#!/usr/bin/env python3
"""Tests scripts/convert_checkpoint.py on checkpoints pickled here the way the authors publish
theirs (`torch.save(model)` of a whole module, in a .tar.gz), then checks that the `camformer`
CLI predicts what PyTorch predicts from the converted files.

Needs CPU torch (`pip install torch safetensors numpy`), so it is not part of `cargo test`:

    cargo build --release --bin camformer
    python3 tests/reference/test_convert.py
"""

import json
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile

import torch
from safetensors.torch import load_file

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import camformer_reference as ref  # noqa: E402  (also the module the pickles refer to)

CLI = pathlib.Path(os.environ.get("CAMFORMER_BIN", ROOT / "target" / "release" / "camformer"))


def pickled_archive(model, tmp, name):
    pt = tmp / f"{name}.pth"
    torch.save(model, pt)  # the whole module, as the authors did
    archive = tmp / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(pt, arcname=f"{name}/{pt.name}")
    pt.unlink()
    return archive


def check(arch, wrapped, dtype, tmp):
    cfg = json.loads((ref.ARCH_DIR / f"{arch}.json").read_text())
    model = ref.CamformerRef(cfg, wrapped)
    ref.fill_deterministic(model)
    model.eval()
    archive = pickled_archive(model, tmp, f"Camformer_{arch}")
    out = tmp / f"converted_{arch}_{dtype}"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "convert_checkpoint.py"), str(archive),
                    "--repo", str(HERE), "--out", str(out), "--dtype", dtype], check=True)

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["architecture"] == cfg, "architecture copied from models/architectures"
    assert manifest["weights"]["parameters"] == ref.n_params(model)
    tensors = load_file(str(out / "model.safetensors"))
    sd = model.state_dict()
    assert set(tensors) == set(sd), set(tensors) ^ set(sd)
    for k, v in sd.items():
        tol = 0 if dtype == "f32" else 1e-3 * float(v.abs().max() + 1)
        assert torch.allclose(tensors[k].float(), v.float(), atol=tol), k

    if not CLI.exists():
        raise SystemExit(f"{CLI} not found: run `cargo build --release --bin camformer` first")
    inputs = ref.test_inputs()
    constructs = [ref.to_construct(s) for s in inputs]
    with torch.no_grad():
        expected = model.double()(ref.encode(constructs, cfg["encoding"]))[:, 0].numpy()
    fasta = tmp / "in.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(inputs)))
    run = subprocess.run([str(CLI), "predict", "--weights", str(out), "--input", str(fasta)],
                         check=True, capture_output=True, text=True)
    rows = [line.split("\t") for line in run.stdout.splitlines()[1:]]
    got = [float(r[2]) for r in rows]
    scale = max(1.0, float(abs(expected).max()))
    tol = (1e-4 if dtype == "f32" else 1e-2) * scale
    worst = max(abs(g - e) for g, e in zip(got, expected))
    assert len(got) == len(expected) and worst <= tol, (worst, tol)
    print(f"{arch}/{dtype}: conversion ok; CLI vs PyTorch max |diff| {worst:.2e} (allowed {tol:.0e})")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        cases = [(a, w, d) for a, w in (("mini", False), ("original", True)) for d in ("f32", "f16")]
        for arch, wrapped, dtype in cases:
            check(arch, wrapped, dtype, tmp)
    print(f"{len(cases)} passed, 0 failed")


if __name__ == "__main__":
    main()
