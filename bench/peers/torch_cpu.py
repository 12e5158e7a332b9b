"""PyTorch CPU column of `npm run bench -- peers` (Debian python3-torch; run with /usr/bin/python3).

Started by the harness before it lowers its main thread's priority (so this process keeps the
priority lavapipe's workers have), it imports torch, prints one JSON line {"ready": ...} and
waits. After the WebGPU engines are timed the harness writes the workload (bench/peers/common.ts's
workloadJson()) as one line on stdin; this runs it with the same timing protocol (common.ts's
timeOp and timeTrainSteps) and prints one JSON line, the PeerReport. Errors become
{"error": "..."} lines, never a traceback alone.
"""
import json
import math
import os
import sys
import time


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - any import failure means "skip this peer"
    out({"error": f"cannot import torch/numpy with {sys.executable}: {e}"})
    sys.exit(0)


def machine_busy_seconds():
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return (sum(v) - v[3] - v[4]) / 100.0
    except OSError:
        return None


def other_load(fn):
    """fn's result and the CPU time other processes used meanwhile, in cores (as bench/load.ts)."""
    b0, c0, t0 = machine_busy_seconds(), time.process_time(), time.perf_counter()
    r = fn()
    b1, c1, wall = machine_busy_seconds(), time.process_time(), time.perf_counter() - t0
    if b0 is None or b1 is None or wall < 0.05:
        return r, None
    return r, max(0.0, (b1 - b0 - (c1 - c0)) / wall)


def hash_uniform(n, seed, bound=1.0):
    """common.ts's hashUniform, bit for bit (uint32 arithmetic wraps in numpy as in Math.imul)."""
    u = np.uint32
    h = np.arange(n, dtype=np.uint32) * u(0x9E3779B1) + u((seed * 0x85EBCA77) & 0xFFFFFFFF)
    h ^= h >> u(16)
    h *= u(0x85EBCA6B)
    h ^= h >> u(13)
    h *= u(0xC2B2AE35)
    h ^= h >> u(16)
    return torch.from_numpy((((h >> u(8)).astype(np.float64) / 2**24 * 2 - 1) * bound).astype(np.float32))


def median(xs):
    return sorted(xs)[len(xs) // 2]


def time_op(call):
    """common.ts's timeOp: compile call, >= 3 calls and 300 ms warm-up, 3-25 timed calls, median."""
    def run():
        call()
        first, i, t0 = math.inf, 0, time.perf_counter()
        while i < 3 or time.perf_counter() - t0 < 0.3:
            t = time.perf_counter()
            call()
            first = min(first, (time.perf_counter() - t) * 1000)
            i += 1
        reps = max(3, min(25, round(1500 / max(first, 1))))
        ts = []
        for _ in range(reps):
            t = time.perf_counter()
            call()
            ts.append((time.perf_counter() - t) * 1000)
        return {"ms": median(ts), "reps": reps}
    r, other = other_load(run)
    return {**r, "other": other}


def time_train_steps(step, w):
    losses = [step() for _ in range(w["step_warmup"])]

    def run():
        ts = []
        for _ in range(w["step_reps"]):
            t = time.perf_counter()
            losses.append(step())
            ts.append((time.perf_counter() - t) * 1000)
        return ts
    ts, other = other_load(run)
    return {"ms": median(ts), "reps": len(ts), "other": other}, losses


def small_cnn(w):
    c = w["in_shape"][0]
    model = torch.nn.Sequential(
        torch.nn.Conv2d(c, 32, 5, 2, 2), torch.nn.ReLU(),
        torch.nn.Conv2d(32, 64, 3, 2, 1), torch.nn.ReLU(),
        torch.nn.Conv2d(64, 128, 3, 2, 1), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(128 * 8 * 4, w["classes"]))
    ours = {"body.0": "0", "body.2": "2", "body.4": "4", "head": "7"}
    state = {}
    for p in w["params"]:
        mod, kind = p["name"].rsplit(".", 1)
        n = math.prod(p["shape"])
        state[f"{ours[mod]}.{kind}"] = hash_uniform(n, p["seed"], p["bound"]).reshape(p["shape"])
    model.load_state_dict(state)
    return model


class BasicBlock(torch.nn.Module):
    """torchvision's BasicBlock: names conv1, bn1, conv2, bn2, downsample.0/.1."""

    def __init__(self, b):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(b["inC"], b["outC"], 3, b["stride"], 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(b["outC"])
        self.conv2 = torch.nn.Conv2d(b["outC"], b["outC"], 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(b["outC"])
        self.downsample = None
        if b["downsample"]:
            self.downsample = torch.nn.Sequential(
                torch.nn.Conv2d(b["inC"], b["outC"], 1, b["stride"], 0, bias=False), torch.nn.BatchNorm2d(b["outC"]))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet18(torch.nn.Module):
    """bench/peers/resnet.ts's CIFAR-style ResNet-18 (3x3/1 stem, no max pool), torchvision names."""

    def __init__(self, r):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(r["inShape"][0], 64, 3, 1, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(64)
        layers = {}
        for b in r["blocks"]:
            layer, i = b["prefix"].split(".")
            layers.setdefault(layer, []).append(BasicBlock(b))
        for name, blocks in layers.items():
            setattr(self, name, torch.nn.Sequential(*blocks))
        self.names = list(layers)
        self.fc = torch.nn.Linear(512, r["classes"])

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for name in self.names:
            x = getattr(self, name)(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def resnet_setup(r):
    model = ResNet18(r)
    state = dict(model.state_dict())  # BN running stats and counters keep their defaults
    for p in r["params"]:
        n = math.prod(p["shape"])
        v = torch.full([n], float(p["fill"])) if "fill" in p else hash_uniform(n, p["seed"], p["bound"])
        state[p["name"]] = v.reshape(p["shape"])
    model.load_state_dict(state)
    model.train()
    n = r["n"]
    x = hash_uniform(n * math.prod(r["inShape"]), r["xSeed"]).reshape([n, *r["inShape"]])
    y = torch.arange(n) % r["classes"]
    return model, x, y


def trainer(w, opt, setup=None):
    """SGD (momentum) or SAM over the small CNN of common.ts, or over setup() = (model, x, y)."""
    if setup is None:
        model = small_cnn(w)
        n = w["n"]
        x = hash_uniform(n * math.prod(w["in_shape"]), w["x_seed"]).reshape([n, *w["in_shape"]])
        y = torch.arange(n) % 2
    else:
        model, x, y = setup
    params = list(model.parameters())
    sgd = torch.optim.SGD(params, lr=w["lr"], momentum=w["momentum"])

    def sgd_step():
        sgd.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        sgd.step()
        return loss.item()

    def sam_step():  # davda54/sam: ascend by rho*g/||g||, keep theta, restore it, step with g~
        sgd.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        with torch.no_grad():
            norm = torch.norm(torch.stack([p.grad.norm(2) for p in params]), 2)
            scale = w["rho"] / (norm + 1e-12)
            saved = [p.detach().clone() for p in params]
            for p in params:
                p.add_(p.grad * scale)
        sgd.zero_grad()
        F.cross_entropy(model(x), y).backward()
        with torch.no_grad():
            for p, s in zip(params, saved):
                p.copy_(s)
        sgd.step()
        return loss.item()

    return sam_step if opt == "sam" else sgd_step


def fnv1a(name):
    h = 0x811C9DC5
    for ch in name.encode():
        h = ((h ^ ch) * 0x01000193) & 0xFFFFFFFF
    return h


def resnet50_run(r, report):
    """bench/peers/resnet50.ts's workload: torchvision's ResNet-50, name-keyed hash weights."""
    import torchvision

    model = torchvision.models.resnet50(weights=None, num_classes=r["classes"])
    state = dict(model.state_dict())
    for k, v in state.items():
        if k.endswith("running_mean") or k.endswith("running_var") or k.endswith("num_batches_tracked"):
            continue
        n, seed = v.numel(), fnv1a(k) & 0x7FFFFFFF
        if k == "fc.bias":
            state[k] = hash_uniform(n, seed, 1 / math.sqrt(2048))
        elif v.dim() >= 2:
            state[k] = hash_uniform(n, seed, 1 / math.sqrt(v[0].numel())).reshape(v.shape)
        else:
            state[k] = torch.full_like(v, 1.0 if k.endswith(".weight") else 0.0)
    model.load_state_dict(state)
    init = {k: t.clone() for k, t in model.state_dict().items()}
    n = r["n"]
    x = hash_uniform(n * math.prod(r["inShape"]), r["xSeed"]).reshape([n, *r["inShape"]])
    y = torch.arange(n) % r["classes"]
    for opt in ("sgd", "sam", "adamw-sam"):
        model.load_state_dict(init)
        model.train()
        params = list(model.parameters())
        if opt == "adamw-sam":
            base = torch.optim.AdamW(params, lr=r["adamw"]["lr"], weight_decay=r["adamw"]["weightDecay"], foreach=False)
        else:
            base = torch.optim.SGD(params, lr=r["sgd"]["lr"], momentum=r["sgd"]["momentum"], weight_decay=r["sgd"]["weightDecay"])

        def step():
            base.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            if opt != "sgd":  # davda54/sam; BN statistics frozen in the second pass, as samgpu's SAM
                with torch.no_grad():
                    norm = torch.norm(torch.stack([p.grad.norm(2) for p in params]), 2)
                    saved = [p.detach().clone() for p in params]
                    for p in params:
                        p.add_(p.grad * (r["rho"] / (norm + 1e-12)))
                momenta = [m.momentum for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
                for m in model.modules():
                    if isinstance(m, torch.nn.BatchNorm2d):
                        m.momentum = 0.0
                base.zero_grad()
                F.cross_entropy(model(x), y).backward()
                bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
                for m, mom in zip(bns, momenta):
                    m.momentum = mom
                with torch.no_grad():
                    for p, s in zip(params, saved):
                        p.copy_(s)
            base.step()
            return loss.item()

        timing, losses = time_train_steps(step, {"step_warmup": r["warmup"], "step_reps": r["reps"]})
        report["timings"][f"resnet50.{opt}"] = timing
        report["losses"][f"resnet50.{opt}"] = losses


def run(w, report):
    if w.get("resnet50"):
        resnet50_run(w["resnet50"], report)
        return
    for opt in ("sgd", "sam"):
        timing, losses = time_train_steps(trainer(w, opt), w)
        report["timings"][f"step.{opt}"] = timing
        report["losses"][opt] = losses
    r = w.get("resnet")
    if r:
        for opt in ("sgd", "sam"):
            timing, losses = time_train_steps(trainer(w, opt, resnet_setup(r)), {"step_warmup": r["warmup"], "step_reps": r["reps"]})
            report["timings"][f"resnet.{opt}"] = timing
            report["losses"][f"resnet.{opt}"] = losses
    with torch.no_grad():
        for n in w["matmul_sizes"]:
            a = hash_uniform(n * n, w["matmul_seeds"][0]).reshape(n, n)
            b = hash_uniform(n * n, w["matmul_seeds"][1]).reshape(n, n)
            report["checks"][f"matmul.{n}"] = float((a @ b).double().pow(2).sum())
            report["timings"][f"matmul.{n}"] = time_op(lambda: a @ b)
        for i, l in enumerate(w["layers"]):
            sx, sw, sdy = l["seeds"]
            x = hash_uniform(math.prod(l["x"]), sx).reshape(l["x"])
            wt = hash_uniform(math.prod(l["w"]), sw).reshape(l["w"])
            s, p = [l["stride"]] * 2, [l["padding"]] * 2
            y = F.conv2d(x, wt, None, s, p)
            dy = hash_uniform(y.numel(), sdy).reshape(y.shape)
            # The calls autograd makes for a conv's backward, one gradient at a time.
            back = lambda mask: torch.ops.aten.convolution_backward(dy, x, wt, None, s, p, [1, 1], False, [0, 0], 1, mask)  # noqa: E731
            ops = {
                "fwd": lambda: F.conv2d(x, wt, None, s, p),
                "dx": lambda: back((True, False, False))[0],
                "dw": lambda: back((False, True, False))[1],
            }
            for which, op in ops.items():
                report["checks"][f"conv{i}.{which}"] = float(op().double().pow(2).sum())
                report["timings"][f"conv{i}.{which}"] = time_op(op)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "CPU"


def main():
    default_threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)  # as many as lavapipe's workers (one per CPU)
    nice = os.nice(0)
    out({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(), "default_threads": default_threads, "nice": nice})
    line = sys.stdin.readline()
    if not line.strip():
        return
    w = json.loads(line)
    report = {
        "engine": "PyTorch CPU",
        "version": f"torch {torch.__version__} ({sys.executable})",
        "device": f"{cpu_name()}, {torch.get_num_threads()} threads (torch's default here: {default_threads}), nice {nice}",
        "timings": {}, "losses": {}, "checks": {}, "notes": [], "invalid": [],
    }
    try:
        run(w, report)
    except Exception as e:  # noqa: BLE001 - report what ran, say what failed
        report["notes"].append(f"failed: {type(e).__name__}: {e}"[:200])
    out(report)


if __name__ == "__main__":
    main()
