"""PyTorch CUDA baseline for bench/gpu.sh: the paper's small CNN training step (batch 128,
3x64x32, SGD momentum 0.9, and SAM with rho 0.05, davda54 semantics) and large fp32 matmuls,
timed with CUDA synchronization. Prints one JSON line. Run with the GPU machine's python3."""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timed(fn, reps=20, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        ts.append((time.perf_counter() - t) * 1e3)
    return sorted(ts)[len(ts) // 2]


def main():
    if not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device"}))
        return
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32, like our WGSL kernels
    torch.backends.cudnn.allow_tf32 = False
    out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "matmul_gflops": {}}
    for n in (1024, 2048, 4096, 8192):
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
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
