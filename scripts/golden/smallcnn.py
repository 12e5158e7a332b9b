"""The paper's small CNN end to end: forward, cross-entropy, backward, and 3 SGD steps with
momentum and weight decay (torch.optim.SGD), from PyTorch's own initialization."""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import FIXTURES, rand, save


class SmallCNN(nn.Module):
    # Same parameter names as engine/models/small-cnn.ts: body.{0,2,4}.*, head.*
    def __init__(self, c, h, w, classes):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c, 32, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(64, 128, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten())
        self.head = nn.Linear(128 * ((h + 7) // 8) * ((w + 7) // 8), classes)

    def forward(self, x):
        return self.head(self.body(x))


def main():
    torch.manual_seed(0)
    n, c, h, w, classes = 4, 3, 16, 8, 3
    model = SmallCNN(c, h, w, classes)
    x = rand(n, c, h, w, seed=1, lo=0.0, hi=1.0)
    # PyTorch's f32 init and inputs, computed in float64: the fixture holds the exact answer for
    # those inputs, so the engine's error is its own rounding only.
    model = model.double()
    x = x.double()
    y = torch.tensor([0, 2, 1, 2])
    out = {f"init.{k}": v.clone() for k, v in model.state_dict().items()}
    out["x"] = x
    out["y"] = y.float()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    out["logits"] = logits
    out["loss"] = loss.reshape(1)
    feats = model.body(x)
    out["features"] = feats
    for k, p in model.named_parameters():
        out[f"grad.{k}"] = p.grad.clone()
    cfg = dict(lr=0.05, momentum=0.9, weight_decay=5e-3, dampening=0.0, nesterov=False)
    opt = torch.optim.SGD(model.parameters(), **cfg)
    losses = []
    for step in range(3):
        opt.zero_grad()
        l = F.cross_entropy(model(x), y)
        l.backward()
        opt.step()
        losses.append(l.item())
    for k, v in model.state_dict().items():
        out[f"step3.{k}"] = v.clone()
    out["step_losses"] = torch.tensor(losses)
    save(f"{FIXTURES}/smallcnn.safetensors", out, {"sgd": json.dumps(cfg), "shape": json.dumps([n, c, h, w, classes])})
