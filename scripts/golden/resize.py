"""Golden values for experiments/data/transforms.ts and decode.node.ts: PIL 9 bilinear resize
(antialiased when downscaling), crop-then-resize as in the CelebA transform, and PIL's JPEG
decoding with convert('RGB') (4:2:0 colour, grayscale, Adobe CMYK). Needs python3-pil."""
import io
import json
import os

import numpy as np
import torch
from PIL import Image

from common import FIXTURES, save


def image(h, w, c, seed):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(h, w, c))
    ramp = np.linspace(0, 255, w)[None, :, None]
    a = (base // 2 + ramp // 2).clip(0, 255).astype(np.uint8)
    return a[:, :, 0] if c == 1 else a


def t(a):
    return torch.from_numpy(np.asarray(a).astype(np.float32))


def main():
    out = {}
    cases = []
    rgb = image(17, 23, 3, 1)
    gray = image(13, 9, 1, 2)
    out["rgb"] = t(rgb)
    out["gray"] = t(gray)
    for src, arr in (("rgb", rgb), ("gray", gray)):
        sizes = [(7, 5), (20, 28), (9, 40), (arr.shape[0], 11), (24, arr.shape[1]), (3, 2), (1, 1)]
        for h, w in sizes:
            name = f"{src}_{h}x{w}"
            out[name] = t(Image.fromarray(arr).resize((w, h), Image.BILINEAR))
            cases.append({"src": src, "h": h, "w": w, "name": name})
    # CelebA-style: center crop to a square (top = round((H - S) / 2)), then resize the square.
    face = image(26, 21, 3, 3)  # (26 - 21) / 2 = 2.5: Python rounds the offset to 2
    out["face"] = t(face)
    top = round((26 - 21) / 2)
    out["face_crop_resize12"] = t(Image.fromarray(face).crop((0, top, 21, top + 21)).resize((12, 12), Image.BILINEAR))
    # JPEG decoding, as PIL's Image.open(f).convert('RGB').
    jpegs = []
    photo = image(20, 24, 3, 4)
    for name, img in (
        ("jpeg_rgb420", Image.fromarray(photo)),
        ("jpeg_gray", Image.fromarray(photo[:, :, 1])),
        ("jpeg_cmyk", Image.fromarray(photo).convert("CMYK")),
    ):
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=90)
        raw = np.frombuffer(buf.getvalue(), dtype=np.uint8)
        out[name + "_bytes"] = t(raw)
        out[name + "_decoded"] = t(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
        jpegs.append(name)
    save(os.path.join(FIXTURES, "resize.safetensors"), out, {"cases": json.dumps(cases), "jpegs": json.dumps(jpegs)})
