"""Training augmentation with fixed parameters, torchvision 0.14's tensor functions on x/255:
resized_crop (antialiased bilinear), hflip, the ColorJitter adjustments in a given order,
rgb_to_grayscale, normalize. The engine's GPU pass (shaders/augment.wgsl) must reproduce them."""
import json

import torch
import torchvision.transforms.functional as F

from common import FIXTURES, save

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SRC = (3, 37, 45)
OUT = (20, 24)
# top, left, height, width, flip, (brightness, contrast, saturation, hue), grayscale, order
CASES = [
    dict(box=(0, 0, 37, 45), flip=0, jitter=(1, 1, 1, 0), gray=0, order=[]),            # whole image, downscale
    dict(box=(3, 5, 30, 38), flip=1, jitter=(1, 1, 1, 0), gray=0, order=[]),            # crop, downscale, flip
    dict(box=(10, 7, 9, 11), flip=0, jitter=(1, 1, 1, 0), gray=0, order=[]),            # upscale
    dict(box=(2, 30, 33, 15), flip=1, jitter=(1, 1, 1, 0), gray=0, order=[]),           # down in y, up in x
    dict(box=(1, 2, 34, 40), flip=0, jitter=(1.25, 0.8, 1.3, 0.2), gray=0, order=[2, 0, 3, 1]),
    dict(box=(4, 4, 25, 30), flip=1, jitter=(0.7, 1.3, 0.75, -0.3), gray=0, order=[1, 3, 0, 2]),
    dict(box=(0, 3, 36, 41), flip=0, jitter=(1.1, 1.2, 0.9, 0.05), gray=1, order=[3, 2, 1, 0]),
    dict(box=(5, 0, 30, 45), flip=0, jitter=(1, 1, 1, 0), gray=1, order=[]),
]


def reference(img, case):
    top, left, h, w = case["box"]
    x = F.resized_crop(img, top, left, h, w, list(OUT), interpolation=F.InterpolationMode.BILINEAR, antialias=True)
    if case["flip"]:
        x = F.hflip(x)
    b, c, s, hue = case["jitter"]
    for op in case["order"]:
        if op == 0:
            x = F.adjust_brightness(x, b)
        elif op == 1:
            x = F.adjust_contrast(x, c)
        elif op == 2:
            x = F.adjust_saturation(x, s)
        else:
            x = F.adjust_hue(x, hue)
    if case["gray"]:
        x = F.rgb_to_grayscale(x, num_output_channels=3)
    return F.normalize(x, MEAN, STD)


def main():
    g = torch.Generator().manual_seed(7)
    n = len(CASES)
    src = torch.randint(0, 256, (n, *SRC), generator=g, dtype=torch.uint8)
    # smooth-ish images too, so the colour operations see structure, not only noise
    yy, xx = torch.meshgrid(torch.arange(SRC[1]), torch.arange(SRC[2]), indexing="ij")
    for k in range(n // 2):
        for ch in range(3):
            src[k, ch] = ((yy * (3 + ch) + xx * (2 + k)) * 5 % 256).to(torch.uint8)
    params = torch.zeros(n, 16)
    out = []
    for k, case in enumerate(CASES):
        params[k, 0:4] = torch.tensor(case["box"], dtype=torch.float32)
        params[k, 4] = case["flip"]
        params[k, 5:9] = torch.tensor(case["jitter"], dtype=torch.float32)
        params[k, 9] = case["gray"]
        params[k, 10:14] = torch.tensor(case["order"] + [-1] * (4 - len(case["order"])), dtype=torch.float32)
        out.append(reference(src[k].float() / 255, case))
    save(f"{FIXTURES}/augment.safetensors", {"src": src.float(), "params": params, "out": torch.stack(out)},
         {"src_shape": json.dumps(SRC), "out_size": json.dumps(OUT), "mean": json.dumps(MEAN), "std": json.dumps(STD)})
