"""Golden values for batch normalization, computed by PyTorch in float64 from float32 inputs:
training-mode output and gradients (x, weight, bias) of sum(out * w_out); the running stats
after one and after two training forwards (momentum 0.1); eval-mode output and gradients
with those stats."""
import json
import os

import torch
import torch.nn.functional as F

from common import FIXTURES, rand, save

CASES = [  # (name, input shape, affine)
    ("nchw", [3, 4, 5, 3], True),
    ("nchw_plain", [2, 3, 4, 5], False),
    ("nc", [6, 5], True),
    ("nc_plain", [7, 3], False),
    ("ncl", [4, 3, 7], True),
]
MOMENTUM = 0.1
EPS = 1e-5


def main():
    t = {}
    for i, (name, shape, affine) in enumerate(CASES):
        c = shape[1]
        s = 100 * (i + 1)
        x = rand(*shape, seed=s, lo=-2.0, hi=3.0)
        x2 = rand(*shape, seed=s + 1, lo=-1.0, hi=1.0)
        rm0 = rand(c, seed=s + 2)
        rv0 = rand(c, seed=s + 3, lo=0.5, hi=1.5)
        weight = rand(c, seed=s + 4, lo=0.5, hi=1.5)
        bias = rand(c, seed=s + 5)
        w_out = rand(*shape, seed=s + 6)
        t.update({f"{name}.x": x, f"{name}.x2": x2, f"{name}.rm0": rm0, f"{name}.rv0": rv0, f"{name}.w_out": w_out})
        if affine:
            t.update({f"{name}.weight": weight, f"{name}.bias": bias})

        def run(mode, xin, rm, rv):
            xd = xin.double().requires_grad_(True)
            wd = weight.double().requires_grad_(True) if affine else None
            bd = bias.double().requires_grad_(True) if affine else None
            out = F.batch_norm(xd, rm, rv, wd, bd, training=(mode == "train"), momentum=MOMENTUM, eps=EPS)
            (out * w_out.double()).sum().backward()
            t[f"{name}.{mode}.out"] = out.detach()
            t[f"{name}.{mode}.dx"] = xd.grad
            if affine:
                t[f"{name}.{mode}.dweight"] = wd.grad
                t[f"{name}.{mode}.dbias"] = bd.grad

        rm = rm0.double().clone()
        rv = rv0.double().clone()
        run("train", x, rm, rv)
        t[f"{name}.rm1"], t[f"{name}.rv1"] = rm.clone(), rv.clone()
        F.batch_norm(x2.double(), rm, rv, None, None, training=True, momentum=MOMENTUM, eps=EPS)
        t[f"{name}.rm2"], t[f"{name}.rv2"] = rm.clone(), rv.clone()
        run("eval", x, rm, rv)
    meta = {"cases": json.dumps([[n, s, a] for n, s, a in CASES]), "momentum": str(MOMENTUM), "eps": str(EPS), "torch": torch.__version__}
    save(os.path.join(FIXTURES, "batchnorm.safetensors"), t, meta)
