"""Golden values for conv2d (F.conv2d, NCHW): output and the gradients of sum(out * w_out) with
respect to input, weight and bias, computed by PyTorch in float64 from float32 inputs (so the
fixtures hold the exact answer, rounded once).

The small-CNN layers keep their kernel, stride and padding; conv1 keeps its channels (3→32),
conv2 and conv3 are narrowed (the real 32→64 and 64→128 weights alone would be ~0.4 MB)."""
import json
import os

import torch
import torch.nn.functional as F

from common import FIXTURES, rand, save

# (name, input shape, weight shape, options exactly as the TypeScript API takes them, bias?)
CONFIGS = [
    ("cnn_conv1", [1, 3, 12, 8], [32, 3, 5, 5], dict(stride=2, padding=2), True),
    ("cnn_conv2_narrow", [2, 8, 6, 4], [16, 8, 3, 3], dict(stride=2, padding=1), True),
    ("cnn_conv3_narrow", [2, 10, 4, 4], [18, 10, 3, 3], dict(stride=2, padding=1), True),
    ("depthwise", [2, 6, 7, 5], [6, 1, 3, 3], dict(padding=1, groups=6), True),
    ("depthwise_x2_stride2", [1, 4, 6, 6], [8, 1, 3, 3], dict(stride=2, padding=1, groups=4), False),
    ("pointwise", [1, 12, 5, 3], [20, 12, 1, 1], dict(), True),
    ("pointwise_nobias", [2, 5, 3, 4], [7, 5, 1, 1], dict(), False),
    ("dilation2", [1, 5, 7, 6], [10, 5, 3, 3], dict(padding=2, dilation=2), False),
    ("groups3_nonsquare", [1, 12, 7, 6], [18, 4, 3, 2], dict(stride=[2, 1], padding=[1, 0], groups=3), True),
    ("groups2_wide", [1, 16, 4, 3], [18, 8, 3, 3], dict(padding=1, groups=2), True),
    ("mixed", [1, 4, 8, 9], [6, 4, 2, 3], dict(stride=[1, 2], padding=[0, 2], dilation=[2, 1]), False),
]


def pair(v, default):
    if v is None:
        return (default, default)
    return (v, v) if isinstance(v, int) else tuple(v)


def main():
    t = {}
    meta = {}
    for i, (name, xs, ws, opts, has_bias) in enumerate(CONFIGS):
        x = rand(*xs, seed=100 + i)
        w = rand(*ws, seed=200 + i, lo=-0.5, hi=0.5)
        b = rand(ws[0], seed=300 + i) if has_bias else None
        x64 = x.double().requires_grad_(True)
        w64 = w.double().requires_grad_(True)
        b64 = b.double().requires_grad_(True) if has_bias else None
        out = F.conv2d(x64, w64, b64, stride=pair(opts.get("stride"), 1), padding=pair(opts.get("padding"), 0),
                       dilation=pair(opts.get("dilation"), 1), groups=opts.get("groups", 1))
        w_out = rand(*out.shape, seed=400 + i)
        (out * w_out.double()).sum().backward()
        t.update({f"{name}.x": x, f"{name}.weight": w, f"{name}.out": out.detach(), f"{name}.w_out": w_out,
                  f"{name}.dx": x64.grad, f"{name}.dweight": w64.grad})
        if has_bias:
            t.update({f"{name}.bias": b, f"{name}.dbias": b64.grad})
        meta[name] = {"options": opts, "bias": has_bias}
    save(os.path.join(FIXTURES, "conv2d.safetensors"), t, {"configs": json.dumps(meta)})
