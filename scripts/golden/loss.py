"""Golden fixtures for engine/ops/loss.ts: softmax, log_softmax, cross_entropy (mean/sum/none,
label smoothing), binary_cross_entropy_with_logits, soft_margin_loss (the logistic loss with
labels in {-1, +1}) and mse_loss, with their input gradients.

Gradients are of sum(out * w) for a stored random w (w is a scalar 1 for reduced losses).
Inputs are float32; PyTorch evaluates in float64 and the results are rounded to float32, so
the fixtures hold PyTorch's semantics without float32 cancellation noise (which, for a
saturated softmax's gradient, is larger than the value itself).
Metadata `cases` lists each case as JSON: {name, op, inputs, dim | reduction, smoothing}."""
import json
import os

import torch
import torch.nn.functional as F

from common import FIXTURES, rand, save


def main():
    t = {}
    cases = []

    def run(name, fn, inputs, grad_of, **cfg):
        xs = [v.double().requires_grad_(i in grad_of) for i, v in enumerate(inputs)]
        out = fn(*xs)
        w = rand(*out.shape, seed=len(cases) + 1000) if out.dim() > 0 else torch.ones(())
        (out * w.double()).sum().backward()
        for i, v in enumerate(inputs):
            t[f"{name}.in{i}"] = v
        t[f"{name}.out"] = out
        t[f"{name}.w"] = w
        for i in grad_of:
            t[f"{name}.grad{i}"] = xs[i].grad
        cases.append(dict(name=name, inputs=len(inputs), grads=list(grad_of), **cfg))

    x2 = rand(6, 7, seed=1, lo=-3, hi=3)
    x3 = rand(3, 4, 5, seed=2, lo=-3, hi=3)
    big = rand(4, 3, seed=3, lo=-50, hi=50)
    for fname, fn in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
        run(f"{fname}.2d", lambda x, fn=fn: fn(x, dim=-1), [x2], [0], op=fname, dim=-1)
        run(f"{fname}.3d_dim1", lambda x, fn=fn: fn(x, dim=1), [x3], [0], op=fname, dim=1)
        run(f"{fname}.3d_dim0", lambda x, fn=fn: fn(x, dim=0), [x3], [0], op=fname, dim=0)
        run(f"{fname}.big", lambda x, fn=fn: fn(x, dim=-1), [big], [0], op=fname, dim=-1)

    logits = rand(9, 5, seed=4, lo=-4, hi=4)
    labels = torch.randint(0, 5, (9,), generator=torch.Generator().manual_seed(5)).to(torch.float32)
    big_labels = torch.tensor([0.0, 1.0, 2.0, 1.0])
    for reduction in ("mean", "sum", "none"):
        for eps in (0.0, 0.1):
            def ce(x, y, reduction=reduction, eps=eps):
                return F.cross_entropy(x, y.long(), reduction=reduction, label_smoothing=eps)
            run(f"ce.{reduction}.{eps}", ce, [logits, labels], [0], op="cross_entropy", reduction=reduction, smoothing=eps)
            run(f"ce_big.{reduction}.{eps}", ce, [big, big_labels], [0], op="cross_entropy", reduction=reduction, smoothing=eps)

    z = rand(5, 3, seed=6, lo=-6, hi=6)
    tgt = rand(5, 3, seed=7, lo=0, hi=1)
    ypm = torch.where(rand(5, 3, seed=8) > 0, 1.0, -1.0)
    pred = rand(5, 3, seed=9)
    for reduction in ("mean", "sum", "none"):
        run(f"bce.{reduction}", lambda a, b, r=reduction: F.binary_cross_entropy_with_logits(a, b, reduction=r),
            [z, tgt], [0, 1], op="bce_with_logits", reduction=reduction)
        run(f"logistic.{reduction}", lambda a, b, r=reduction: F.soft_margin_loss(a, b, reduction=r),
            [z, ypm], [0], op="logistic", reduction=reduction)
        run(f"mse.{reduction}", lambda a, b, r=reduction: F.mse_loss(a, b, reduction=r),
            [pred, tgt], [0, 1], op="mse", reduction=reduction)

    save(os.path.join(FIXTURES, "loss.safetensors"), t, {"cases": json.dumps(cases)})


if __name__ == "__main__":
    main()
