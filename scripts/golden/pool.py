"""Golden values for 2-D pooling: outputs and input gradients of sum(out * w_out), computed by
PyTorch in float64 from float32 inputs (so the fixtures hold the exact answer, rounded once)."""
import json
import os

import torch
import torch.nn.functional as F

from common import FIXTURES, rand, save

# (name, input shape, kwargs); ints or pairs exactly as the TypeScript API takes them
MAX = [
    ("max0", [2, 3, 7, 9], dict(kernel=3, stride=2, padding=1)),
    ("max1", [1, 2, 8, 7], dict(kernel=[3, 2], stride=[2, 3], padding=[1, 1], dilation=[2, 1], ceilMode=True)),
    ("max2", [2, 2, 5, 5], dict(kernel=2, ceilMode=True)),
    ("max_ties", [1, 2, 6, 6], dict(kernel=3, stride=1, padding=1)),
    ("max3d", [3, 5, 6], dict(kernel=2, stride=1, dilation=2)),
]
AVG = [
    ("avg0", [2, 3, 7, 9], dict(kernel=3, stride=2, padding=1, countIncludePad=True)),
    ("avg1", [2, 3, 7, 9], dict(kernel=3, stride=2, padding=1, countIncludePad=False)),
    ("avg2", [1, 2, 8, 7], dict(kernel=[3, 2], stride=[2, 3], padding=[1, 1], ceilMode=True, countIncludePad=True)),
    ("avg3", [1, 2, 8, 7], dict(kernel=[3, 2], stride=[2, 3], padding=[1, 1], ceilMode=True, countIncludePad=False)),
    ("avg4", [2, 2, 5, 6], dict(kernel=2, stride=1)),
]
ADAPTIVE = [
    ("adaptive0", [2, 3, 7, 9], [3, 4]),
    ("adaptive1", [1, 2, 5, 5], [5, 7]),
    ("adaptive2", [1, 2, 7, 5], [2, 3]),
    ("adaptive_global", [2, 3, 6, 5], 1),
]
GLOBAL = [("global0", [2, 3, 5, 7])]


def grads(name, x, fn, seed, out_tensors):
    x64 = x.double().requires_grad_(True)
    out = fn(x64)
    w = rand(*out.shape, seed=seed + 1000)
    (out * w.double()).sum().backward()
    out_tensors.update({f"{name}.x": x, f"{name}.w": w, f"{name}.out": out.detach(), f"{name}.dx": x64.grad})


def main():
    t = {}
    for i, (name, shape, kw) in enumerate(MAX):
        x = rand(*shape, seed=i)
        if name == "max_ties":
            x = torch.floor(rand(*shape, seed=i, lo=0.0, hi=3.0))  # values 0, 1, 2: many ties
        grads(name, x, lambda v: F.max_pool2d(v, kw["kernel"], kw.get("stride"), kw.get("padding", 0), kw.get("dilation", 1),
                                               ceil_mode=kw.get("ceilMode", False)), i, t)
    for i, (name, shape, kw) in enumerate(AVG):
        x = rand(*shape, seed=10 + i)
        grads(name, x, lambda v: F.avg_pool2d(v, kw["kernel"], kw.get("stride"), kw.get("padding", 0), ceil_mode=kw.get("ceilMode", False),
                                               count_include_pad=kw.get("countIncludePad", True)), 10 + i, t)
    for i, (name, shape, size) in enumerate(ADAPTIVE):
        x = rand(*shape, seed=20 + i)
        grads(name, x, lambda v: F.adaptive_avg_pool2d(v, size), 20 + i, t)
    for i, (name, shape) in enumerate(GLOBAL):
        x = rand(*shape, seed=30 + i)
        grads(name, x, lambda v: v.mean(dim=(-2, -1), keepdim=True), 30 + i, t)
    meta = {
        "max": json.dumps([[n, kw] for n, _, kw in MAX]),
        "avg": json.dumps([[n, kw] for n, _, kw in AVG]),
        "adaptive": json.dumps([[n, s] for n, _, s in ADAPTIVE]),
        "global": json.dumps([n for n, _ in GLOBAL]),
        "torch": torch.__version__,
    }
    save(os.path.join(FIXTURES, "pool.safetensors"), t, meta)
