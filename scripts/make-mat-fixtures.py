#!/usr/bin/python3
"""Writes the MAT-file fixtures of test/data-matlab.test.ts with SciPy's scipy.io.savemat (Level 5),
so the reader is checked against files another implementation wrote. Run with /usr/bin/python3
(Debian's python3-scipy) from the project root: /usr/bin/python3 scripts/make-mat-fixtures.py
Values are formulas the test recomputes, so no expected data is stored beside the files."""
import numpy as np
import scipy.io as sio

out = 'test/fixtures/mat/'
import os
os.makedirs(out, exist_ok=True)

# SVHN-shaped: X uint8 [32, 32, 3, 3] with X[r, c, ch, n] = (7r + 3c + 50ch + 11n) mod 256, y = [10, 1, 5]
r, c, ch, n = np.meshgrid(np.arange(32), np.arange(32), np.arange(3), np.arange(3), indexing='ij')
X = ((7 * r + 3 * c + 50 * ch + 11 * n) % 256).astype(np.uint8)
y = np.array([[10.0], [1.0], [5.0]])
sio.savemat(out + 'svhn-tiny.mat', {'X': X, 'y': y}, do_compression=False)
sio.savemat(out + 'svhn-tiny-compressed.mat', {'X': X, 'y': y}, do_compression=True)

# Other classes: double 2x3 (column-major on disk), int16 vector, single, a string, logical, a struct
sio.savemat(out + 'mixed.mat', {
    'A': np.array([[1.5, -2.0, 3.25], [4.0, 5.5, -6.75]]),
    'v': np.array([-3, 0, 7, 300], dtype=np.int16),
    's': np.array([0.5, 2.5], dtype=np.float32),
    'name': 'svhn',
    'mask': np.array([True, False, True]),
    'cfg': {'a': 1.0},
}, do_compression=False)
