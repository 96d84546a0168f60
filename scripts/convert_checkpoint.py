#!/usr/bin/env python3
"""Convert a published Camformer checkpoint into Camformer Web's model format.

The authors publish `Camformer_9.tar.gz` (Original) and `Camformer_219.tar.gz` (Mini): archives
holding a whole pickled PyTorch module (`torch.save(model)`). Unpickling needs the class
definitions, so put a checkout of their repository on the path with `--repo`.

Output: a directory with `model.safetensors` (the module's `state_dict`, original key names,
f32 or f16) and `manifest.json` (architecture, encoding, output units, sha256), loadable by
`camformer --weights DIR`, the web page's "load model" button and `camformer-training`.

    pip install torch safetensors numpy
    python3 scripts/convert_checkpoint.py Camformer_219.tar.gz --repo path/to/Camformer \
        --out models/camformer-mini-authors [--dtype f16]

Also accepts a bare `.pt`/`.pth` file, a pickled module, or a saved `state_dict`.
"""

import argparse
import hashlib
import json
import pathlib
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
ARCH_DIR = ROOT / "models" / "architectures"
FORMAT_VERSION = 1

# Published test-set numbers (paper; mean over 10 seeds on all 71,103 DREAM test sequences).
# They describe the published model family, not a measurement of this particular file.
PAPER_METRICS = {
    "original": {"test_r2": 0.914, "test_spearman": 0.962},
    "mini": {"test_r2": 0.898, "test_spearman": 0.952},
}


def load_checkpoint(path: pathlib.Path):
    import torch

    def load_one(p):
        return torch.load(p, map_location="cpu", weights_only=False)

    if not tarfile.is_tarfile(path):
        return load_one(path), path.name
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(path) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        tar.extractall(tmp, members=members, filter="data")
        # Prefer the usual checkpoint extensions; try the rest after.
        ranked = sorted(members, key=lambda m: (pathlib.Path(m.name).suffix not in
                                                (".pt", ".pth", ".pkl", ".model", ".ckpt"), m.name))
        errors = []
        for m in ranked:
            try:
                return load_one(pathlib.Path(tmp) / m.name), m.name
            except Exception as e:  # not a torch file: keep looking, report all if none loads
                errors.append(f"{m.name}: {type(e).__name__}: {e}")
        raise SystemExit("no loadable checkpoint in the archive:\n  " + "\n  ".join(errors))


def state_dict_of(obj):
    import torch

    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            if key in obj:
                return state_dict_of(obj[key])
        if all(isinstance(v, torch.Tensor) for v in obj.values()):
            return obj
    raise SystemExit(f"cannot find a state_dict in a {type(obj).__name__}")


def detect_arch(sd):
    def shape(k):
        return list(sd[k].shape) if k in sd else None

    if shape("CNN_layers.0.0.conv.weight") == [512, 4, 10, 1]:
        return "original", True
    if shape("CNN_layers.0.0.weight") == [384, 5, 5, 1]:
        return "mini", False
    raise SystemExit("the checkpoint is neither Camformer Original nor Mini "
                     f"(first conv: {shape('CNN_layers.0.0.conv.weight') or shape('CNN_layers.0.0.weight')})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", type=pathlib.Path)
    ap.add_argument("--repo", type=pathlib.Path, action="append", default=[],
                    help="directory to put on the Python path for unpickling (the authors' repository; "
                         "their base/ folder is added too)")
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    ap.add_argument("--name", help="model name for the manifest (default: from the file name)")
    args = ap.parse_args(argv)

    for repo in args.repo:
        for p in (repo, repo / "base"):
            if p.is_dir():
                sys.path.insert(0, str(p.resolve()))

    import torch
    from safetensors.torch import save_file

    obj, member = load_checkpoint(args.checkpoint)
    sd = state_dict_of(obj)
    arch, _wrapped = detect_arch(sd)
    architecture = json.loads((ARCH_DIR / f"{arch}.json").read_text())
    dtype = torch.float16 if args.dtype == "f16" else torch.float32
    tensors = {k: (v.to(dtype) if v.is_floating_point() else v).contiguous() for k, v in sd.items()}
    parameters = sum(v.numel() for k, v in sd.items()
                     if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))

    args.out.mkdir(parents=True, exist_ok=True)
    weights = args.out / "model.safetensors"
    save_file(tensors, str(weights))
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    name = args.name or f"camformer-{arch}-{args.checkpoint.name.split('.')[0]}"
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": name,
        "description": f"Camformer {arch.capitalize()} converted from the published checkpoint "
                       f"{args.checkpoint.name} ({member}) by scripts/convert_checkpoint.py.",
        "architecture": architecture,
        "weights": {"file": weights.name, "sha256": digest, "dtype": args.dtype, "parameters": parameters},
        "output": {
            "units": "expression bin (0-17)",
            "description": "Predicted expression on the scale of the DREAM 2022 training data "
                           "(mean fluorescence bin, 0-17).",
        },
        "training": {"data": "DREAM 2022 training set, 6.7M sequences (authors' training)",
                     "source": str(args.checkpoint.name)},
        "metrics": {"reported_in_paper": PAPER_METRICS[arch]},
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{args.checkpoint} -> {args.out}: Camformer {arch}, {parameters:,} parameters, {args.dtype}, "
          f"sha256 {digest[:12]}...")


if __name__ == "__main__":
    main()
