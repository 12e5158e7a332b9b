// The Level 5 MAT-file reader and SVHN's cropped digits: files SciPy wrote (test/fixtures/mat/,
// from scripts/make-mat-fixtures.py), big-endian and small-element files this test writes, and
// the errors for what users bring (HDF5 files, truncation, missing variables, bad shapes, labels).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { parseMat, numericVariable } from '../experiments/data/matlab.ts';
import { parseSvhnMat } from '../experiments/data/svhn.ts';
import { loadSvhn } from '../experiments/data/svhn.node.ts';
import { writeMat, type MatVar as Var } from './data-files.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/mat/${name}`, import.meta.url)));
const inflate = (b: Uint8Array) => new Uint8Array(inflateSync(b));

const svhnX = (r: number, c: number, ch: number, n: number) => (7 * r + 3 * c + 50 * ch + 11 * n) % 256;

describe('data: MAT-files (Level 5) and SVHN', () => {
  it('reads the SVHN-shaped files SciPy wrote, plain and compressed: X column-major to CHW, label 10 → digit 0', () => {
    for (const name of ['svhn-tiny.mat', 'svhn-tiny-compressed.mat']) {
      const s = parseSvhnMat(fixture(name), name, { inflate });
      assert.equal(s.n, 3);
      assert.deepEqual([...s.labels], [0, 1, 5]);
      for (const [n, ch, r, c] of [[0, 0, 0, 0], [1, 2, 5, 9], [2, 1, 31, 17], [2, 2, 30, 31]]) {
        assert.equal(s.images[n * 3072 + ch * 1024 + r * 32 + c], svhnX(r, c, ch, n), `${name}: image ${n} channel ${ch} (${r}, ${c})`);
      }
    }
  });

  it('reads SciPy\'s numeric, char and logical arrays, and lists a struct without decoding it', () => {
    const vars = parseMat(fixture('mixed.mat'), 'mixed.mat', { inflate });
    const A = numericVariable(vars, 'A', 'mixed.mat');
    assert.equal(A.class, 'double');
    assert.deepEqual(A.dims, [2, 3]);
    assert.deepEqual(Array.from(A.data), [1.5, 4, -2, 5.5, 3.25, -6.75]);
    const v = numericVariable(vars, 'v', 'mixed.mat');
    assert.equal(v.class, 'int16');
    assert.deepEqual(Array.from(v.data), [-3, 0, 7, 300]);
    assert.deepEqual(Array.from(numericVariable(vars, 's', 'mixed.mat').data), [0.5, 2.5]);
    assert.equal(vars.get('name')!.text, 'svhn');
    const mask = vars.get('mask')!;
    assert.ok(mask.logical);
    assert.deepEqual(Array.from(mask.data!), [1, 0, 1]);
    assert.equal(vars.get('cfg')!.class, 'struct');
    assert.equal(vars.get('cfg')!.data, null);
    assert.throws(() => numericVariable(vars, 'cfg', 'mixed.mat'), /MAT-file: mixed\.mat: variable 'cfg' is a struct array, expected a numeric one/);
    assert.throws(() => numericVariable(vars, 'X', 'mixed.mat'), /no variable 'X' \(variables: A, v, s, name, mask, cfg\)/);
  });

  it('reads big-endian files, small data elements, and doubles stored as smaller integer types', () => {
    // y is class double (6) stored as miUINT8 (2), as MATLAB does for integral doubles; 1×1 uint8 X data fits a small element
    const vars: Var[] = [
      { name: 'y', cls: 6, dims: [3, 1], type: 2, size: 1, values: [10, 2, 3] },
      { name: 'w', cls: 6, dims: [1, 2], type: 9, size: 8, values: [0.25, -1e300] },
      { name: 'k', cls: 12, dims: [1, 1], type: 5, size: 4, values: [-70000] },
    ];
    for (const be of [false, true]) {
      for (const compress of [false, true]) {
        const m = parseMat(writeMat(vars, { be, compress }), 'test.mat', { inflate });
        const y = numericVariable(m, 'y', 'test.mat');
        assert.ok(y.data instanceof Float64Array);
        assert.deepEqual(Array.from(y.data), [10, 2, 3], `be ${be}, compressed ${compress}`);
        assert.deepEqual(Array.from(numericVariable(m, 'w', 'test.mat').data), [0.25, -1e300]);
        assert.deepEqual(Array.from(numericVariable(m, 'k', 'test.mat').data), [-70000]);
      }
    }
  });

  it('clear errors: HDF5 (7.3) files, Level 4 files, truncation, corrupt zlib, no inflate, and SVHN shapes and labels', () => {
    const v5 = writeMat([{ name: 'y', cls: 6, dims: [1, 1], type: 9, size: 8, values: [1] }]);
    assert.throws(() => parseMat(writeMat([], { header: 'MATLAB 7.3 MAT-file, Platform: GLNXA64' }), 'a.mat'), /MAT-file: a\.mat: a MATLAB 7\.3 \(HDF5\) file: not supported; re-save it/);
    assert.throws(() => parseMat(new Uint8Array(200), 'v4.mat'), /not a Level 5 MAT-file/);
    assert.throws(() => parseMat(new Uint8Array(20), 'short.mat'), /too short for the 128-byte MAT-file header/);
    assert.throws(() => parseMat(v5.subarray(0, v5.length - 12), 'cut.mat'), /MAT-file: cut\.mat byte 128: truncated miMATRIX element/);
    const z = writeMat([{ name: 'y', cls: 6, dims: [1, 1], type: 9, size: 8, values: [1] }], { compress: true });
    assert.throws(() => parseMat(z, 'z.mat'), /a compressed variable, and no inflate function was given/);
    const bad = z.slice();
    bad.fill(0xff, 140, 150);
    assert.throws(() => parseMat(bad, 'bad.mat', { inflate }), /compressed variable: zlib data is corrupt/);
    const X = (dims: number[]) => ({ name: 'X', cls: 9, dims, type: 2, size: 1, values: new Array(dims.reduce((a, b) => a * b, 1)).fill(0) });
    const y = (values: number[]) => ({ name: 'y', cls: 6, dims: [values.length, 1], type: 9, size: 8, values });
    assert.throws(() => parseSvhnMat(writeMat([X([32, 32, 3, 2]), y([1])]), 's.mat', {}), /SVHN: s\.mat: variable 'y' has 1 labels for the 2 images of 'X'/);
    assert.throws(() => parseSvhnMat(writeMat([X([28, 28, 1, 1]), y([1])]), 's.mat', {}), /variable 'X' has dimensions \[28,28,1,1\], expected \[32, 32, 3, N\]/);
    assert.throws(() => parseSvhnMat(writeMat([X([32, 32, 3, 2]), y([1, 11])]), 's.mat', {}), /SVHN: s\.mat image 1: label 11 is not in 1…10/);
    assert.throws(() => parseSvhnMat(writeMat([y([1])]), 's.mat', {}), /no variable 'X' \(variables: y\)/);
  });

  it('finds train_32x32.mat in the folder or its svhn/ subfolder, and names the file it misses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-svhn-'));
    try {
      assert.throws(() => loadSvhn(dir, 'train'), /SVHN: .*: missing file train_32x32\.mat \(looked in the folder, svhn\/ and SVHN\/\)/);
      mkdirSync(join(dir, 'svhn'));
      writeFileSync(join(dir, 'svhn', 'test_32x32.mat'), fixture('svhn-tiny-compressed.mat'));
      const s = loadSvhn(dir, 'test');
      assert.equal(s.n, 3);
      assert.match(s.file, /svhn\/test_32x32\.mat$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
