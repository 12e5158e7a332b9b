"""Pretrained-weights check: torchvision's own ResNet-18 and ResNet-50 with deterministic weights,
saved as a .pth, converted by scripts/convert-torchvision.py, loaded back into torchvision, and run
in eval mode (float64) on a 64x64 batch of 2: logits and penultimate features.

The weights are not stored (ResNet-50 is 100 MB): convolution, linear and batch-norm affine
values come from a counter-based hash keyed by the parameter's name (test/reference/hash-weights.ts
has the same function), and only the batch-norm running statistics, calibrated here by training-
mode passes over a random batch, are stored. The test rebuilds the same file byte for byte (the
converter's output SHA-256 is in the metadata), loads it, and compares."""
import hashlib
import importlib.util
import json
import os
import struct
import tempfile

import numpy as np
import torch
import torchvision

from common import FIXTURES, save

HERE = os.path.dirname(os.path.abspath(__file__))


def hash_uniform(n, seed, bound=1.0):
    """bench/peers/common.ts's hashUniform, bit for bit."""
    u = np.uint32
    h = np.arange(n, dtype=np.uint32) * u(0x9E3779B1) + u((seed * 0x85EBCA77) & 0xFFFFFFFF)
    h ^= h >> u(16)
    h *= u(0x85EBCA6B)
    h ^= h >> u(13)
    h *= u(0xC2B2AE35)
    h ^= h >> u(16)
    return torch.from_numpy((((h >> u(8)).astype(np.float64) / 2**24 * 2 - 1) * bound).astype(np.float32))


def fnv1a(name):
    h = 0x811C9DC5
    for ch in name.encode():
        h = ((h ^ ch) * 0x01000193) & 0xFFFFFFFF
    return h


def hashed_value(name, shape, fc_in):
    """The deterministic weights: He-uniform convolutions, PyTorch's Linear range, BN near identity."""
    n = int(np.prod(shape))
    seed = fnv1a(name) & 0x7FFFFFFF
    if name.startswith("fc."):
        return hash_uniform(n, seed, 1 / fc_in ** 0.5).reshape(shape)
    if len(shape) == 4:
        fan_in = shape[1] * shape[2] * shape[3]
        return hash_uniform(n, seed, (6 / fan_in) ** 0.5).reshape(shape)
    if name.endswith(".weight"):
        return 1 + 0.2 * hash_uniform(n, seed)
    if name.endswith(".bias"):
        return 0.1 * hash_uniform(n, seed)
    raise ValueError(name)


def features(m, x):
    x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
    x = m.layer4(m.layer3(m.layer2(m.layer1(x))))
    return torch.flatten(m.avgpool(x), 1)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for k, v in header.items():
        a, b = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").copy()).reshape(v["shape"])
    return out, meta, hashlib.sha256(raw).hexdigest()


def main():
    spec = importlib.util.spec_from_file_location("convert", os.path.join(HERE, "..", "convert-torchvision.py"))
    convert = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(convert)
    out, meta = {}, {}
    x = hash_uniform(2 * 3 * 64 * 64, 5).reshape(2, 3, 64, 64)
    calib = hash_uniform(8 * 3 * 64 * 64, 6).reshape(8, 3, 64, 64)
    out["x"] = x
    for arch in ["resnet18", "resnet50"]:
        m = getattr(torchvision.models, arch)(weights=None)
        fc_in = m.fc.in_features
        state = m.state_dict()
        for k, v in state.items():
            if not (k.endswith("running_mean") or k.endswith("running_var") or k.endswith("num_batches_tracked")):
                state[k] = hashed_value(k, list(v.shape), fc_in)
        m.load_state_dict(state)
        # calibrate the running statistics (cumulative average over the calibration batch)
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.reset_running_stats()
                mod.momentum = None
        m.train()
        with torch.no_grad():
            m(calib)
        m.eval()
        with tempfile.TemporaryDirectory() as tmp:
            pth = os.path.join(tmp, f"{arch}.pth")
            st = os.path.join(tmp, f"{arch}.safetensors")
            torch.save(m.state_dict(), pth)
            convert.main(["convert-torchvision.py", pth, st])
            weights, file_meta, digest = read_safetensors(st)
        fresh = getattr(torchvision.models, arch)(weights=None)
        missing, unexpected = fresh.load_state_dict(weights, strict=False)
        assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
        fresh = fresh.double().eval()
        with torch.no_grad():
            f = features(fresh, x.double())
            logits = fresh.fc(f)
            assert torch.allclose(logits, m.double()(x.double())), arch
        for k, v in weights.items():
            if k.endswith("running_mean") or k.endswith("running_var"):
                out[f"{arch}.{k}"] = v
        out[f"{arch}.features"] = f
        out[f"{arch}.logits"] = logits
        meta[arch] = {"sha256": digest, "metadata": file_meta, "tensors": len(weights)}
    save(f"{FIXTURES}/pretrained.safetensors", out, {"files": json.dumps(meta)})
