"""torch.optim.Adam and AdamW (amsgrad off) over 5 steps with given gradients, in float32 as
torch runs them and in float64; and SAM with AdamW as its base optimizer on the small CNN,
3 steps in float64 (davda54/sam's semantics: ascend by rho*g/(||g|| + 1e-12), restore theta,
step the base optimizer with the gradient at the phantom point)."""
import json

import torch
import torch.nn.functional as F

from common import FIXTURES, rand, save
from smallcnn import SmallCNN

SHAPES = [[3, 5], [7], [2, 2, 3]]
STEPS = 5
CONFIGS = {
    "adam": dict(cls="Adam", lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0),
    "adam_l2": dict(cls="Adam", lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
    "adamw": dict(cls="AdamW", lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1),
}


def run(cfg, init, grads, dtype):
    params = [p.clone().to(dtype).requires_grad_(True) for p in init]
    kw = {k: v for k, v in cfg.items() if k != "cls"}
    opt = getattr(torch.optim, cfg["cls"])(params, amsgrad=False, foreach=False, **kw)
    out = []
    for step in grads:
        for p, g in zip(params, step):
            p.grad = g.clone().to(dtype)
        opt.step()
        out.append([p.detach().clone() for p in params])
    return out


def sam_adamw():
    n, c, h, w, classes = 4, 3, 16, 8, 3
    torch.manual_seed(0)
    model = SmallCNN(c, h, w, classes).double()
    x = rand(n, c, h, w, seed=1, lo=0.0, hi=1.0).double()
    y = torch.tensor([0, 2, 1, 2])
    # The same model, seed, inputs and init as sam.py writes to sam.safetensors (init.*, x, y),
    # which the test reads from there to keep this fixture small.
    out = {}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05, foreach=False)
    rho = 0.05
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        losses.append(loss.item())
        with torch.no_grad():
            ps = list(model.parameters())
            norm = torch.norm(torch.stack([p.grad.norm(2) for p in ps]), 2)
            saved = [p.detach().clone() for p in ps]
            for p in ps:
                p.add_(p.grad * (rho / (norm + 1e-12)))
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        with torch.no_grad():
            for p, s in zip(model.parameters(), saved):
                p.copy_(s)
        opt.step()
    out["sam.losses"] = torch.tensor(losses)
    for k, t in model.state_dict().items():
        if k.startswith("head.") or k.startswith("body.0."):
            out[f"sam.step3.{k}"] = t.clone()
    return out, {"rho": rho, "lr": 1e-3, "weight_decay": 0.05, "shape": [n, c, h, w, classes]}


def main():
    init = [rand(*s, seed=10 + i) for i, s in enumerate(SHAPES)]
    grads = [[rand(*s, seed=100 * k + i, lo=-2.0, hi=2.0) for i, s in enumerate(SHAPES)] for k in range(STEPS)]
    out = {f"init.{i}": p for i, p in enumerate(init)}
    for k, step in enumerate(grads):
        for i, g in enumerate(step):
            out[f"grad.{k}.{i}"] = g
    for name, cfg in CONFIGS.items():
        for dtype, tag in [(torch.float32, "f32"), (torch.float64, "f64")]:
            for k, ps in enumerate(run(cfg, init, grads, dtype)):
                for i, p in enumerate(ps):
                    out[f"{name}.{tag}.step{k + 1}.{i}"] = p
    sam, sam_meta = sam_adamw()
    out.update(sam)
    cfgs = {k: {**v, "betas": list(v["betas"])} for k, v in CONFIGS.items()}
    save(f"{FIXTURES}/adam.safetensors", out, {"configs": json.dumps(cfgs), "shapes": json.dumps(SHAPES), "steps": STEPS, "sam": json.dumps(sam_meta)})
