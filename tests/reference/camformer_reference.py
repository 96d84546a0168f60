#!/usr/bin/env python3
"""PyTorch reference of the Camformer family and generator of the Rust parity fixtures.

Written from the architecture description (issue "Camformer core"), independently of the Rust
code, in the authors' layout: Conv2d with (k, 1) kernels on [N, C, 110, 1], blocks
`CNN_layers.{i}` = (conv, BatchNorm2d, ReLU, MaxPool, Dropout), dense `linear_layers.{j}`.

Weights are not random draws but a deterministic function of (tensor name, element index)
(`det_values`, SplitMix64), so the Rust tests can rebuild the full-size Original (66 MB) and
Mini exactly without committing them; the small family members are committed as real
`torch` safetensors to test file loading. Expected outputs are computed in float64.

Usage (CPU torch from PyPI):  python3 tests/reference/camformer_reference.py
Writes tests/data/parity/*.json and *.safetensors.
"""

import gzip
import json
import pathlib
import sys

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARCH_DIR = ROOT / "models" / "architectures"
OUT_DIR = ROOT / "tests" / "data" / "parity"

FLANK_5 = "TGCATTTTTTTCACATC"
FLANK_3 = "GGTTACGGCTGTT"


# ----------------------------------------------------------------------------- sequences

def to_construct(seq: str) -> str:
    """The 110-bp construct for a user sequence (spec: flanks for 80 bp, pad/truncate 110 +/- 3)."""
    s = seq.upper()
    assert set(s) <= set("ACGTN"), seq
    assert s.count("N") <= 3, seq
    if len(s) == 80:
        return FLANK_5 + s + FLANK_3
    assert abs(len(s) - 110) <= 3, len(s)
    return (s + "N" * 3)[:110] if len(s) < 110 else s[:110]


ONE_HOT = {"A": [1, 0, 0, 0], "C": [0, 1, 0, 0], "G": [0, 0, 1, 0], "T": [0, 0, 0, 1], "N": [0, 0, 0, 0]}
PURINE = {
    "A": [1, 0, 0, 0, 1],
    "C": [0, 1, 0, 0, 0],
    "G": [0, 0, 1, 0, 1],
    "T": [0, 0, 0, 1, 0],
    "N": [0.25, 0.25, 0.25, 0.25, 0.5],
}


def encode(constructs, encoding):
    table = ONE_HOT if encoding == "one_hot" else PURINE
    x = np.array([[table[b] for b in c] for c in constructs], dtype=np.float64)  # [N, 110, C]
    return torch.from_numpy(x).permute(0, 2, 1).unsqueeze(-1)  # [N, C, 110, 1]


# ----------------------------------------------------------------------------- model

class WrappedConv(nn.Module):
    """Original wraps its conv in a submodule (`CNN_layers.i.0.conv.weight`)."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        return self.conv(x)


class CamformerRef(nn.Module):
    def __init__(self, cfg, conv_wrapped):
        super().__init__()
        self.cfg = cfg
        layers = []
        cin = 5 if cfg["encoding"] == "one_hot_purine" else 4
        length = 110
        for b in cfg["blocks"]:
            k = b["kernel"]
            if b["padding"] == "same":
                conv = nn.Conv2d(cin, b["channels"], (k, 1), padding="same")
            else:
                p = b["padding"]["explicit"]
                assert p["before"] == p["after"]
                conv = nn.Conv2d(cin, b["channels"], (k, 1), padding=(p["before"], 0))
                length += 2 * p["before"]
            if b["padding"] != "same":
                length = length - k + 1
            pool = nn.Identity()
            if b["pool"]:
                pool = nn.MaxPool2d((b["pool"]["kernel"], 1), (b["pool"]["stride"], 1))
                length = (length - b["pool"]["kernel"]) // b["pool"]["stride"] + 1
            layers.append(nn.Sequential(
                WrappedConv(conv) if conv_wrapped else conv,
                nn.BatchNorm2d(b["channels"], eps=1e-5),
                nn.ReLU(),
                pool,
                nn.Dropout(b["dropout"]),
            ))
            cin = b["channels"]
        self.CNN_layers = nn.ModuleList(layers)
        feats = cin * length
        lin = []
        for w in cfg["head"]:
            lin.append(nn.Sequential(nn.Linear(feats, w), nn.ReLU(), nn.Dropout(cfg["head_dropout"])))
            feats = w
        lin.append(nn.Sequential(nn.Linear(feats, 1)))
        self.linear_layers = nn.ModuleList(lin)

    def forward(self, x):
        if self.cfg["residual_pairs"]:
            for i in range(0, len(self.CNN_layers), 2):
                x = self.CNN_layers[i](x)
                s = x
                x = self.CNN_layers[i + 1](x) + s
        else:
            for layer in self.CNN_layers:
                x = layer(x)
        x = torch.flatten(x, 1)  # [N, C, L, 1] -> channel-major c * L + l
        for layer in self.linear_layers:
            x = layer(x)
        return x


def n_params(model):
    return sum(p.numel() for p in model.parameters())


# ----------------------------------------------------------------------------- weights

M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def fnv1a64(name: str) -> int:
    h = 0xCBF29CE484222325
    for byte in name.encode():
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def splitmix64(x):
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        z = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def det_uniform(name: str, n: int):
    """n values in [0, 1): splitmix64(fnv1a64(name) + i) >> 11, scaled by 2^-53."""
    with np.errstate(over="ignore"):
        x = np.uint64(fnv1a64(name)) + np.arange(n, dtype=np.uint64)
    return (splitmix64(x) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def det_range(name, sd):
    """(low, high) of a tensor's deterministic values, by role: batch-norm statistics and
    affine in fixed ranges; conv and dense weights and biases U(-a, a), a = sqrt(6 / fan_in) (He)."""
    parts = name.split(".")
    if parts[0] == "CNN_layers" and parts[2] == "1":  # batch norm
        return {"running_var": (0.5, 2.0), "running_mean": (-0.3, 0.3),
                "weight": (0.6, 1.4), "bias": (-0.2, 0.2)}[parts[-1]]
    weight = sd[name[: -len(parts[-1])] + "weight"]
    a = float(np.sqrt(6.0 / int(np.prod(weight.shape[1:]))))
    return -a, a


def fill_deterministic(model):
    """Sets every parameter and buffer to lo + (hi - lo) * u, u = det_uniform(name);
    returns the (name, shape, lo, hi) list the Rust tests rebuild the weights from."""
    sd = model.state_dict()
    spec = []
    for name, t in sd.items():
        if name.endswith("num_batches_tracked"):
            t.fill_(1234)
            continue
        lo, hi = det_range(name, sd)
        u = det_uniform(name, t.numel())
        t.copy_(torch.from_numpy((lo + (hi - lo) * u).astype(np.float32).reshape(t.shape)))
        spec.append({"name": name, "shape": list(t.shape), "low": lo, "high": hi})
    return spec


# ----------------------------------------------------------------------------- fixtures

def tiny(cfg, channels, head):
    out = json.loads(json.dumps(cfg))
    out["name"] = "tiny_" + cfg["name"]
    for b, c in zip(out["blocks"], channels):
        b["channels"] = c
    out["head"] = head
    return out


def test_inputs():
    """Raw inputs: real DREAM constructs, bare 80-bp regions, 107-113 bp, N, lower case."""
    rows = (ROOT / "tests" / "data" / "dream_test_sample.tsv").read_text().splitlines()[1:]
    real = [r.split("\t")[1] for r in rows[:6]]
    region = real[0][17:97]
    cases = list(real)
    cases.append(region)                                   # 80 bp -> flanks
    cases.append(real[1][17:97].lower())                   # 80 bp, lower case
    cases += [real[2][:n] for n in (107, 108, 109)]        # padded with N
    cases += [real[3] + "ACG"[: n - 110] for n in (111, 112, 113)]  # truncated
    cases.append(real[4][:50] + "N" + real[4][51:70] + "NN" + real[4][72:])  # 3 N
    cases.append("N" * 3 + real[5][3:])
    cases.append(real[5][:60] + "n" + real[5][61:])        # lower-case n
    cases.append("A" * 110)
    cases.append(FLANK_5 + "ACGT" * 20 + FLANK_3)
    return cases


def make_fixture(cfg, conv_wrapped, write_safetensors, expected_params=None):
    torch.manual_seed(0)
    model = CamformerRef(cfg, conv_wrapped)
    if expected_params is not None:
        assert n_params(model) == expected_params, (cfg["name"], n_params(model))
    spec = fill_deterministic(model)
    model.eval()
    inputs = test_inputs()
    constructs = [to_construct(s) for s in inputs]
    with torch.no_grad():
        y64 = model.double()(encode(constructs, cfg["encoding"]))[:, 0].numpy()
        model.float()
        y32 = model(encode(constructs, cfg["encoding"]).float())[:, 0].numpy()
    fixture = {
        "source": "tests/reference/camformer_reference.py",
        "architecture": cfg,
        "conv_wrapped": conv_wrapped,
        "parameters": n_params(model),
        "tensors": spec,
        "cases": [{"input": s, "construct": c, "expected": float(v)}
                  for s, c, v in zip(inputs, constructs, y64)],
        "max_abs_float32_vs_float64": float(np.max(np.abs(y32 - y64))),
    }
    name = cfg["name"]
    (OUT_DIR / f"{name}.json").write_text(json.dumps(fixture, indent=1) + "\n")
    if write_safetensors:
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in model.state_dict().items()},
                  str(OUT_DIR / f"{name}.safetensors"))
    print(f"{name}: {n_params(model):,} parameters, outputs {y64.min():.4f}..{y64.max():.4f} "
          f"(std {y64.std():.4f}), float32 vs float64 {fixture['max_abs_float32_vs_float64']:.2e}")
    return model


def main():
    torch.set_num_threads(2)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    original = json.loads((ARCH_DIR / "original.json").read_text())
    mini = json.loads((ARCH_DIR / "mini.json").read_text())
    make_fixture(original, True, False, expected_params=16_611_073)
    make_fixture(mini, False, False, expected_params=1_446_721)
    make_fixture(tiny(original, [16] * 6, [8, 8]), True, True)
    make_fixture(tiny(mini, [12, 8, 6, 4, 6, 8], [4]), False, True)


if __name__ == "__main__":
    sys.exit(main())
