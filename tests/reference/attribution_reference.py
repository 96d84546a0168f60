#!/usr/bin/env python3
"""PyTorch reference for Camformer's Grad-CAM, and generator of its Rust test fixture.

Follows the Camformer authors' procedure (`base/gradcam_utils.py` in gautammalik-git/Camformer,
`plot_layer_gradcam` / `plot_layerwise_logo`), re-implemented here on the project's reference
model (`camformer_reference.py`) with the same deterministic weights as the parity fixtures:

1. a forward hook on `CNN_layers[layer][0]` (the convolution, before batch norm) keeps its
   output `A`, shape [1, K, L, 1];
2. the input X [1, C, 110, 1] requires a gradient; the prediction is back-propagated;
3. where L != 110, `A = F.interpolate(A, size=(110, 1), mode="bilinear")` (the authors do this
   for the last layer only; for other layers of another length their broadcasting fails, so
   the fixture marks those layers `authors_code_defined: false` and applies the same
   interpolation, as the Rust code does);
4. `grad_cam = A.mean(dim=1, keepdim=True) * X.grad.unsqueeze(1)`, a [C, 110] map per sequence,
   divided by its maximum.

Everything runs in float64. Usage (CPU torch): python3 tests/reference/attribution_reference.py
Writes tests/data/parity/attribution_gradcam.json.
"""

import json
import pathlib
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import camformer_reference as ref  # noqa: E402

OUT = ref.OUT_DIR / "attribution_gradcam.json"


def sig(x, digits=7):
    """A float rounded to `digits` significant digits (keeps the fixture small)."""
    return float(f"{x:.{digits}g}")


def build(cfg, conv_wrapped):
    torch.manual_seed(0)
    model = ref.CamformerRef(cfg, conv_wrapped)
    ref.fill_deterministic(model)
    return model.eval().double()


def grad_cam_case(model, cfg, construct, with_map):
    """The authors' Grad-CAM of every block for one construct: per block the resampled channel
    mean and the maximum; with `with_map`, also the last block's normalised map (the others are
    `activation * gradient / max`, which the Rust test forms itself to keep the file small)."""
    x0 = ref.encode([construct], cfg["encoding"]).double()
    n_blocks = len(model.CNN_layers)
    layers = []
    gradient = prediction = None
    for layer in range(n_blocks):
        saved = {}
        hook = model.CNN_layers[layer][0].register_forward_hook(
            lambda _m, _i, out: saved.__setitem__("a", out.clone()))
        x = x0.clone().detach().requires_grad_(True)
        out = model(x)
        out.sum().backward()
        hook.remove()
        a = saved["a"].detach()  # [1, K, L, 1]
        length = a.shape[2]
        if length != 110:
            a = F.interpolate(a, size=(x.shape[2], 1), mode="bilinear")
        cam = a.mean(dim=1, keepdim=True) * x.grad.unsqueeze(1)  # [1, 1, C, 110, 1]
        heat = cam[0, 0, :, :, 0]
        peak = float(heat.max())
        assert peak > 0, "the fixture relies on the authors' positive-maximum normalisation"
        entry = {
            "layer": layer,
            "length": length,
            "authors_code_defined": length == 110 or layer == n_blocks - 1,
            "activation": [sig(v) for v in a.mean(dim=1)[0, :, 0].tolist()],
            "max": sig(peak, 12),
        }
        if with_map and layer == n_blocks - 1:
            entry["grad_cam"] = [[sig(v) for v in row] for row in (heat / peak).tolist()]
        layers.append(entry)
        gradient = x.grad[0, :, :, 0]
        prediction = float(out[0, 0].detach())
    return {
        "construct": construct,
        "prediction": prediction,
        "gradient": [[sig(v) for v in row] for row in gradient.tolist()],
        "layers": layers,
    }


def main():
    torch.set_num_threads(2)
    original = json.loads((ref.ARCH_DIR / "original.json").read_text())
    mini = json.loads((ref.ARCH_DIR / "mini.json").read_text())
    inputs = [ref.to_construct(s) for s in ref.test_inputs()]
    # Same architectures and weights as the parity fixtures of the same names.
    models = [
        ("tiny_original", ref.tiny(original, [16] * 6, [8, 8]), True, [inputs[0], inputs[14]]),
        ("tiny_mini", ref.tiny(mini, [12, 8, 6, 4, 6, 8], [4]), False, [inputs[0], inputs[14]]),
        ("mini", mini, False, [inputs[1]]),
        ("original", original, True, [inputs[1]]),
    ]
    fixture = {
        "source": "tests/reference/attribution_reference.py",
        "definition": "Camformer authors' Grad-CAM (base/gradcam_utils.py): conv output before "
                      "batch norm, bilinear (align_corners=False) to 110 where L != 110, channel "
                      "mean, times d prediction / d input, divided by the map's maximum",
        "models": [],
    }
    for name, cfg, wrapped, constructs in models:
        model = build(cfg, wrapped)
        cases = [grad_cam_case(model, cfg, c, i == 0) for i, c in enumerate(constructs)]
        fixture["models"].append({"fixture": name, "cases": cases})
        preds = ", ".join(f"{c['prediction']:.4f}" for c in cases)
        print(f"{name}: {len(cases)} constructs, predictions {preds}")
    OUT.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    sys.exit(main())
