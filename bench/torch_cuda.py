"""PyTorch CUDA baseline for bench/gpu.sh: the paper's small CNN training step (batch 128,
3x64x32, SGD momentum 0.9, and SAM with rho 0.05, davda54 semantics), large fp32 matmuls, and
(given the folder `npm run bench -- steps` wrote, as argv[1]) the ResNet-18 and ResNet-50 steps
from the same weights and batch as samgpu's, timed with CUDA synchronization. Prints one JSON
line. Run with the GPU machine's python3 (TORCH_DEVICE=cpu runs it on the CPU, for checking)."""
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timed(fn, reps=20, warmup=3):
    for _ in range(warmup):
        fn()
    sync()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        sync()
        ts.append((time.perf_counter() - t) * 1e3)
    return sorted(ts)[len(ts) // 2]


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def read_safetensors(path):
    """name -> float32 tensor of a safetensors file (the format: u64 header length, JSON header, data)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.float32).reshape(meta["shape"])
    return out


class Bottleneck(nn.Module):
    """torchvision's Bottleneck (v1.5: stride on the 3x3), names conv1..3, bn1..3, downsample.0/.1."""

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet50(nn.Module):
    """engine/models/resnet.ts's resnet50 with the CIFAR stem (3x3/1 conv, no max pool)."""

    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        inplanes = 64
        for i, (planes, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)]):
            layer = []
            for b in range(blocks):
                layer.append(Bottleneck(inplanes, planes, 2 if b == 0 and i > 0 else 1))
                inplanes = planes * 4
            setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
        self.fc = nn.Linear(2048, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for i in range(4):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def step_fns(model, x, y, lr, momentum, rho):
    """SGD (momentum) and SAM steps as in bench/peers/torch_cpu.py's trainer; each returns the loss."""
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=lr, momentum=momentum)

    def sgd_step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def sam_step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        with torch.no_grad():
            norm = torch.norm(torch.stack([p.grad.norm(2) for p in params]), 2)
            scale = rho / (norm + 1e-12)
            saved = [p.detach().clone() for p in params]
            for p in params:
                p.add_(p.grad * scale)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        with torch.no_grad():
            for p, s_ in zip(params, saved):
                p.copy_(s_)
        opt.step()
        return loss.item()

    return {"sgd": sgd_step, "sam": sam_step}


def time_steps(step, warmup, reps):
    losses = [step() for _ in range(warmup)]
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        losses.append(step())
        sync()
        ts.append((time.perf_counter() - t) * 1e3)
    return {"ms": sorted(ts)[len(ts) // 2], "losses": losses}


def resnet_steps(folder, dev, out):
    """ResNet-18 from resnet18.json (torch_cpu.py's model and hashed weights), ResNet-50 from resnet50.safetensors."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
    import torch_cpu as tc  # noqa: E402 - the peers' ResNet-18 and weight hashes

    r = json.load(open(os.path.join(folder, "resnet18.json")))
    for opt in ("sgd", "sam"):
        model, x, y = tc.resnet_setup(r)
        model, x, y = model.to(dev), x.to(dev), y.to(dev)
        out[f"resnet18_{opt}"] = time_steps(step_fns(model, x, y, r["lr"], r["momentum"], r["rho"])[opt], 2, 5)
    t = read_safetensors(os.path.join(folder, "resnet50.safetensors"))
    x, y = t.pop("__x").to(dev), t.pop("__labels").to(torch.int64).to(dev)
    for opt in ("sgd", "sam"):
        model = ResNet50(r["classes"])
        missing, unexpected = model.load_state_dict(t, strict=False)
        missing = [m for m in missing if not m.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise RuntimeError(f"resnet50.safetensors does not match: missing {missing[:3]}, unexpected {unexpected[:3]}")
        model = model.to(dev).train()
        out[f"resnet50_{opt}"] = time_steps(step_fns(model, x, y, r["lr"], r["momentum"], r["rho"])[opt], 1, 3)


def main():
    want = os.environ.get("TORCH_DEVICE", "cuda")
    if want == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device"}))
        return
    dev = torch.device(want)
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32, like our WGSL kernels
    torch.backends.cudnn.allow_tf32 = False
    out = {"device": torch.cuda.get_device_name(0) if want == "cuda" else "cpu", "torch": torch.__version__, "matmul_gflops": {}}
    for n in [int(v) for v in os.environ.get("TORCH_MATMUL_SIZES", "1024,2048,4096,8192").split(",")]:
        a = torch.randn(n, n, device=dev)
        b = torch.randn(n, n, device=dev)
        ms = timed(lambda: a @ b)
        out["matmul_gflops"][n] = 2 * n ** 3 / (ms * 1e6)
    model = nn.Sequential(
        nn.Conv2d(3, 32, 5, 2, 2), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
        nn.Conv2d(64, 128, 3, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(128 * 8 * 4, 2)).to(dev)
    x = torch.rand(128, 3, 64, 32, device=dev)
    y = (torch.arange(128, device=dev) % 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def sgd_step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def sam_step(rho=0.05):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        params = [p for p in model.parameters()]
        with torch.no_grad():
            norm = torch.norm(torch.stack([p.grad.norm(2) for p in params]), 2)
            saved = [p.detach().clone() for p in params]
            for p in params:
                p.add_(p.grad * (rho / (norm + 1e-12)))
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        with torch.no_grad():
            for p, s in zip(params, saved):
                p.copy_(s)
        opt.step()

    out["small_cnn_sgd_ms"] = timed(sgd_step)
    out["small_cnn_sam_ms"] = timed(sam_step)
    if len(sys.argv) > 1:
        try:
            resnet_steps(sys.argv[1], dev, out)
        except Exception as e:  # noqa: BLE001 - report what ran, say what failed
            out["resnet_error"] = f"{type(e).__name__}: {e}"[:300]
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
