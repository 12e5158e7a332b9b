#!/usr/bin/python3
"""Convert a torchvision state dict (.pth) into a samgpu weights file (.safetensors, float32).

    python3 scripts/convert-torchvision.py resnet50-11ad3fa6.pth resnet50.safetensors

The input may be a state dict, a checkpoint dict holding one under "state_dict" or "model", or a
pickled nn.Module. A "module." prefix (DataParallel) is stripped, num_batches_tracked counters are
dropped (samgpu's batch norm has none), every tensor becomes little-endian float32, and keys are
written sorted, so the same weights always give the same bytes. Needs PyTorch (Debian:
`apt-get install python3-torch`); run it with the Python that has it (`/usr/bin/python3` on
Debian). The output is written to a temporary name and renamed: never a partial file.
"""
import json
import os
import struct
import sys


def fail(msg):
    sys.stderr.write(f"convert-torchvision: {msg}\n")
    sys.exit(2)


def state_dict_of(obj, path):
    import torch

    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model"):
            if key in obj and isinstance(obj[key], dict):
                return obj[key]
        if all(isinstance(v, torch.Tensor) for v in obj.values()):
            return obj
    fail(f"{path}: expected a state dict (name -> tensor), a checkpoint with 'state_dict' or 'model', or an nn.Module; got {type(obj).__name__}")


def convert(state):
    import torch

    out = {}
    for name, t in state.items():
        if not isinstance(t, torch.Tensor):
            fail(f"entry '{name}' is a {type(t).__name__}, not a tensor")
        if name.startswith("module."):
            name = name[len("module."):]
        if name.endswith("num_batches_tracked"):
            continue
        if not (t.is_floating_point() or t.dtype in (torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64)):
            fail(f"tensor '{name}' has dtype {t.dtype}, which has no float32 meaning")
        out[name] = t.detach().to("cpu", torch.float32).contiguous()
    if not out:
        fail("no tensors to write")
    return out


def write_safetensors(path, tensors, metadata):
    """safetensors: u64 LE header length, the JSON header (sorted names, spaces to 8-byte
    alignment), then the raw little-endian data."""
    header = {"__metadata__": metadata}
    offset = 0
    names = sorted(tensors)
    for name in names:
        n = tensors[name].numel() * 4
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + n]}
        offset += n
    h = json.dumps(header, separators=(",", ":"))
    h += " " * ((8 - (8 + len(h)) % 8) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h.encode("ascii"))
            for name in names:
                f.write(tensors[name].numpy().astype("<f4").tobytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        sys.exit(0 if len(argv) == 2 and argv[1] in ("-h", "--help") else 2)
    src, dst = argv[1], argv[2]
    if not os.path.isfile(src):
        fail(f"{src}: no such file")
    try:
        import torch
    except ImportError as e:
        fail(f"cannot import torch with {sys.executable} ({e}); on Debian: apt-get install python3-torch, then run /usr/bin/python3 {argv[0]}")
    try:
        obj = torch.load(src, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - report any unreadable file plainly
        fail(f"{src}: not a PyTorch file torch.load can read ({str(e).splitlines()[0]})")
    tensors = convert(state_dict_of(obj, src))
    write_safetensors(dst, tensors, {"format": "pt", "source": os.path.basename(src)})
    print(f"wrote {dst}: {len(tensors)} tensors, {sum(t.numel() for t in tensors.values()):,} values")


if __name__ == "__main__":
    main(sys.argv)
