#!/usr/bin/env python3
"""float32 `a @ b` GFLOP/s for square sizes, for bench/run.node.ts (one JSON line on stdout).

Usage: numpy_matmul.py SIZE [SIZE ...]. Warm-up, then the median of several timed reps.
Runs with whatever environment it is given (the bench calls it twice: as set, and with
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset).
"""
import json
import os
import sys
import time

try:
    import numpy as np
except ImportError as e:  # the bench prints this and skips the column
    print(json.dumps({"error": f"numpy not importable: {e}"}))
    sys.exit(0)

sizes = [int(s) for s in sys.argv[1:]] or [256, 512, 1024, 2048]
rng = np.random.default_rng(0)
out = {"numpy": np.__version__, "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}, "gflops": {}}

def blas_libraries():
    """The BLAS shared objects numpy actually loaded (Debian switches them with alternatives)."""
    np.ones((2, 2), np.float32) @ np.ones((2, 2), np.float32)
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                name = os.path.basename(os.path.realpath(path)) if path.startswith("/") else ""
                if "blas" in name.lower() or "mkl" in name.lower():
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(libs)


out["blas"] = blas_libraries()
for n in sizes:
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # warm-up
    reps = max(3, min(50, int(2e9 / (2 * n**3))))
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        ts.append(time.perf_counter() - t0)
    ts.sort()
    out["gflops"][str(n)] = 2 * n**3 / ts[len(ts) // 2] / 1e9
print(json.dumps(out))
