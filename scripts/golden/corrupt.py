"""Corrupted JPEG and PNG files and PIL's verdict on each, for the decoder's strictness test
(test/data-transforms.test.ts): the images the project reads must fail where PIL's
Image.open(f).convert('RGB') fails, and decode where it decodes. Bytes are scrambled, flipped,
overwritten, inserted, deleted or cut off, in baseline, progressive and grayscale JPEGs and in PNGs
(with their ancillary chunks). Needs python3-pil."""
import io
import json
import os
import struct

import numpy as np
from PIL import Image

from common import FIXTURES


def base_images():
    rng = np.random.default_rng(11)
    h, w = 24, 32
    ramp = np.linspace(0, 200, w)[None, :, None]
    photo = (rng.integers(0, 56, size=(h, w, 3)) + ramp).clip(0, 255).astype(np.uint8)
    out = []
    for name, img, kw in (
        ("baseline", Image.fromarray(photo), dict(format="JPEG", quality=90)),
        ("progressive", Image.fromarray(photo), dict(format="JPEG", quality=80, progressive=True)),
        ("gray", Image.fromarray(photo[:, :, 0]), dict(format="JPEG", quality=90)),
        ("png", Image.fromarray(photo), dict(format="PNG", pnginfo=text_chunk(), dpi=(72, 72))),
    ):
        buf = io.BytesIO()
        img.save(buf, **kw)
        out.append((name, buf.getvalue()))
    return out


def text_chunk():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "an ancillary chunk")
    return info


def corrupt(data, kind, rng):
    b = bytearray(data)
    n = len(b)
    at = int(n * (0.15 + 0.8 * rng.random()))
    if kind == "scramble":  # a run of random bytes
        k = int(rng.integers(20, 120))
        b[at : at + k] = bytes(rng.integers(0, 256, size=len(b[at : at + k])).astype(np.uint8))
    elif kind == "flip":  # single bit flips
        for _ in range(6):
            i = int(n * (0.05 + 0.9 * rng.random()))
            b[i] ^= 1 << int(rng.integers(0, 8))
    elif kind == "overwrite":  # a few bytes replaced
        for _ in range(3):
            b[int(n * (0.1 + 0.85 * rng.random()))] = int(rng.integers(0, 256))
    elif kind == "insert":
        b[at:at] = bytes(rng.integers(0, 256, size=24).astype(np.uint8))
    elif kind == "delete":
        del b[at : at + int(rng.integers(1, 30))]
    elif kind == "truncate":
        del b[at:]
    elif kind == "trailing":  # bytes after the end marker: PIL ignores them
        b += b"trailing bytes"
    elif kind == "scan":  # random bytes inside a JPEG's entropy-coded data (stray markers)
        start = data.rfind(b"\xff\xda") + 20
        at = start + int((n - 2 - start - 40) * rng.random())
        b[at : at + 40] = bytes(rng.integers(0, 256, size=40).astype(np.uint8))
    elif kind == "ancillary":  # a byte of a PNG's text chunk changed: its CRC fails
        at = data.find(b"tEXt") + 6
        b[at] ^= 0x20
    return bytes(b)


def pil_reads(data):
    try:
        Image.open(io.BytesIO(data)).convert("RGB").load()
        return True
    except Exception:
        return False


def main():
    rng = np.random.default_rng(2024)
    kinds = ["scramble", "flip", "overwrite", "insert", "delete", "truncate", "trailing"]
    # where libvips alone is more lenient than PIL: stray markers in JPEG data, ancillary PNG CRCs
    extra = {"png": ["ancillary"] * 3}
    cases = []
    blobs = []
    for name, data in base_images():
        cases.append({"name": f"{name}-intact", "pil": pil_reads(data)})
        blobs.append(data)
        for rep in range(3):
            for j, kind in enumerate(kinds + extra.get(name, ["scan"] * 3)):
                bad = corrupt(data, kind, rng)
                cases.append({"name": f"{name}-{kind}-{rep}-{j}", "pil": pil_reads(bad)})
                blobs.append(bad)
    # safetensors with U8 tensors (the bytes of each file), written by hand like common.save
    header = {"__metadata__": {"cases": json.dumps([c["name"] for c in cases]), "pil": json.dumps([c["pil"] for c in cases])}}
    offset = 0
    for c, raw in zip(cases, blobs):
        header[c["name"]] = {"dtype": "U8", "shape": [len(raw)], "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    path = os.path.join(FIXTURES, "corrupt.safetensors")
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)
    os.replace(path + ".tmp", path)
    print(f"{len(cases)} files, PIL reads {sum(c['pil'] for c in cases)}: {path}")


if __name__ == "__main__":
    main()
