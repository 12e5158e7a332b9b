#!/usr/bin/python3
"""Produce the PyTorch golden fixtures in test/fixtures/ (run with Debian's python3-torch:
`apt-get install python3-torch`, then `/usr/bin/python3 scripts/make-golden.py`).
Each module in scripts/golden/ writes test/fixtures/<family>.safetensors; the tests read them,
so CI needs no Python."""
import importlib
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "golden"))
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)

families = sys.argv[1:] or sorted(f[:-3] for f in os.listdir(os.path.join(here, "golden")) if f.endswith(".py") and f != "common.py")
for name in families:
    importlib.import_module(name).main()
    print(f"wrote test/fixtures/{name}.safetensors")
