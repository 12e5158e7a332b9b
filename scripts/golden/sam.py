"""SAM on the small CNN, 3 steps in float64, following davda54/sam's semantics (written here from its
description: global L2 norm, scale = rho/(norm + 1e-12), theta saved and restored, base SGD
with momentum and weight decay at theta; adaptive: e = rho * theta^2 * g / ||theta * g||)."""
import json

import torch
import torch.nn.functional as F

from common import FIXTURES, rand, save
from smallcnn import SmallCNN


def sam_step(model, opt, x, y, rho, adaptive, names):
    params = [p for n, p in model.named_parameters() if n in names]
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    with torch.no_grad():
        norm = torch.norm(torch.stack([((p.abs() if adaptive else 1.0) * p.grad).norm(2) for p in params]), 2)
        scale = rho / (norm + 1e-12)
        saved = [p.detach().clone() for p in model.parameters()]
        for p in params:
            p.add_((p.pow(2) if adaptive else 1.0) * p.grad * scale)
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    with torch.no_grad():
        for p, s in zip(model.parameters(), saved):
            p.copy_(s)
    opt.step()
    return loss.item()


def main():
    n, c, h, w, classes = 4, 3, 16, 8, 3
    # f32 inputs and PyTorch's f32 init, then every step in float64: the fixture is the
    # float64 CPU reference of these SAM steps.
    x = rand(n, c, h, w, seed=1, lo=0.0, hi=1.0).double()
    y = torch.tensor([0, 2, 1, 2])
    out = {"x": x, "y": y.float()}
    variants = {
        "sam": dict(rho=0.05, adaptive=False, perturb="all"),
        "asam": dict(rho=0.5, adaptive=True, perturb="all"),
        "lsam": dict(rho=0.1, adaptive=False, perturb="last"),
    }
    sgd = dict(lr=0.05, momentum=0.9, weight_decay=5e-3)
    for name, v in variants.items():
        torch.manual_seed(0)
        model = SmallCNN(c, h, w, classes).double()
        if name == "sam":
            for k, t in model.state_dict().items():
                out[f"init.{k}"] = t.clone()
        names = [k for k, _ in model.named_parameters() if v["perturb"] == "all" or k.startswith("head.")]
        opt = torch.optim.SGD(model.parameters(), **sgd)
        losses = [sam_step(model, opt, x, y, v["rho"], v["adaptive"], names) for _ in range(3)]
        out[f"{name}.losses"] = torch.tensor(losses)
        for k, t in model.state_dict().items():
            if name == "sam" or k.startswith("head.") or k.startswith("body.0."):
                out[f"{name}.step3.{k}"] = t.clone()
    save(f"{FIXTURES}/sam.safetensors", out, {"variants": json.dumps(variants), "sgd": json.dumps(sgd), "shape": json.dumps([n, c, h, w, classes])})
