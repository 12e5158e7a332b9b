"""Helpers for the PyTorch golden fixtures: save float32 tensors as safetensors (written by
hand: Debian has no python3-safetensors), deterministic inputs."""
import json
import os
import struct

import torch


def save(path, tensors, meta=None):
    """Write {name: tensor} as float32 safetensors, atomically (temp name, then rename)."""
    names = sorted(tensors)
    header = {}
    if meta:
        header["__metadata__"] = {k: str(v) for k, v in meta.items()}
    blobs = []
    offset = 0
    for name in names:
        t = tensors[name].detach().to(torch.float32).contiguous().cpu()
        raw = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    h = json.dumps(header, separators=(",", ":"))
    h += " " * ((8 - (8 + len(h)) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h.encode())
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def rand(*shape, seed=0, lo=-1.0, hi=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g, dtype=torch.float64) * (hi - lo) + lo).to(torch.float32)


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures")
