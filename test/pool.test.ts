import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { maxPool2d, avgPool2d, adaptiveAvgPool2d, globalAvgPool2d, type Pool2dOptions, type AvgPool2dOptions } from '../engine/ops/pool.ts';
import { gpu, pair, assertClose, assertTensorClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { Fixture } from './fixtures.ts';
import * as ref from './reference/pool.ts';

type K = number | [number, number];
const two = (v: K | undefined): [number, number] | undefined => (v === undefined ? undefined : typeof v === 'number' ? [v, v] : v);
const refOpts = (o: Pool2dOptions & { countIncludePad?: boolean }): ref.PoolRefOptions => ({
  stride: two(o.stride),
  padding: two(o.padding),
  dilation: two(o.dilation),
  ceilMode: o.ceilMode,
  countIncludePad: o.countIncludePad,
});

// Odd sizes, stride ≠ kernel, padding, ceil mode (with a partial last window), dilation, 3-D input.
const MAX_CASES: [number[], K, Pool2dOptions][] = [
  [[2, 3, 7, 9], 3, { stride: 2, padding: 1 }],
  [[1, 2, 8, 7], [3, 2], { stride: [2, 3], padding: [1, 1], dilation: [2, 1], ceilMode: true }],
  [[2, 2, 5, 5], 2, { ceilMode: true }],
  [[1, 1, 9, 11], [2, 3], { stride: 1, dilation: [3, 2] }],
  [[3, 5, 6], 2, { stride: 1, dilation: 2 }],
];
const AVG_CASES: [number[], K, AvgPool2dOptions][] = [
  [[2, 3, 7, 9], 3, { stride: 2, padding: 1 }],
  [[2, 3, 7, 9], 3, { stride: 2, padding: 1, countIncludePad: false }],
  [[1, 2, 8, 7], [3, 2], { stride: [2, 3], padding: [1, 1], ceilMode: true }],
  [[1, 2, 8, 7], [3, 2], { stride: [2, 3], padding: [1, 1], ceilMode: true, countIncludePad: false }],
  [[2, 2, 5, 6], 2, { stride: 1 }],
  [[3, 5, 5], [1, 3], { padding: [0, 1] }],
];
const ADAPTIVE_CASES: [number[], [number, number]][] = [
  [[2, 3, 7, 9], [3, 4]],
  [[1, 2, 5, 5], [5, 7]],
  [[1, 2, 7, 5], [2, 3]],
  [[2, 3, 6, 5], [1, 1]],
];

describe('pooling: max, average, adaptive and global average (PyTorch semantics)', () => {
  before(gpu);

  it('maxPool2d matches the float64 reference (stride ≠ kernel, padding, ceil mode, dilation, 3-D input)', async () => {
    for (const [i, [shape, k, o]] of MAX_CASES.entries()) {
      const [x, xr] = pair(shape, 10 + i);
      await assertTensorClose(maxPool2d(x, k, o), ref.maxPool2d(xr, two(k)!, refOpts(o)), 1e-6, `maxPool2d ${JSON.stringify([shape, k, o])}`);
    }
  });

  it('avgPool2d matches the float64 reference, counting padding or not', async () => {
    for (const [i, [shape, k, o]] of AVG_CASES.entries()) {
      const [x, xr] = pair(shape, 20 + i);
      await assertTensorClose(avgPool2d(x, k, o), ref.avgPool2d(xr, two(k)!, refOpts(o)), 1e-5, `avgPool2d ${JSON.stringify([shape, k, o])}`);
    }
  });

  it('adaptiveAvgPool2d matches the float64 reference (shrinking, growing, 1×1) and globalAvgPool2d equals it at 1×1', async () => {
    for (const [i, [shape, size]] of ADAPTIVE_CASES.entries()) {
      const [x, xr] = pair(shape, 30 + i);
      await assertTensorClose(adaptiveAvgPool2d(x, size), ref.adaptiveAvgPool2d(xr, size), 1e-5, `adaptiveAvgPool2d ${JSON.stringify([shape, size])}`);
    }
    const [x, xr] = pair([3, 4, 5, 7], 39);
    await assertTensorClose(globalAvgPool2d(x), ref.adaptiveAvgPool2d(xr, [1, 1]), 1e-5, 'globalAvgPool2d');
    const [big, bigr] = pair([1, 2, 70, 90], 40); // planes large enough for the split reduction
    await assertTensorClose(globalAvgPool2d(big), ref.adaptiveAvgPool2d(bigr, [1, 1]), 1e-5, 'globalAvgPool2d 70×90');
  });

  it('every pooling gradient matches finite differences', async () => {
    for (const [i, [shape, k, o]] of MAX_CASES.slice(0, 3).entries()) {
      await gradCheck({ name: `maxPool2d ${i}`, shapes: [shape], gpu: (x) => maxPool2d(x, k, o), ref: (x) => ref.maxPool2d(x, two(k)!, refOpts(o)) });
    }
    for (const [i, [shape, k, o]] of AVG_CASES.slice(0, 4).entries()) {
      await gradCheck({ name: `avgPool2d ${i}`, shapes: [shape], gpu: (x) => avgPool2d(x, k, o), ref: (x) => ref.avgPool2d(x, two(k)!, refOpts(o)) });
    }
    for (const [i, [shape, size]] of ADAPTIVE_CASES.entries()) {
      await gradCheck({ name: `adaptiveAvgPool2d ${i}`, shapes: [shape], gpu: (x) => adaptiveAvgPool2d(x, size), ref: (x) => ref.adaptiveAvgPool2d(x, size) });
    }
    await gradCheck({ name: 'globalAvgPool2d', shapes: [[2, 3, 4, 5]], gpu: (x) => globalAvgPool2d(x), ref: (x) => ref.adaptiveAvgPool2d(x, [1, 1]) });
  });

  it('max pool routes a tied window gradient to the first maximum in scan order', async () => {
    const x = E.tensor([5, 5, 5, 5, 1, 5, 2, 5, 5], [1, 1, 3, 3]);
    x.requiresGrad = true;
    E.backward(E.sum(maxPool2d(x, 2, { stride: 1 })));
    // windows (0,0), (0,1), (1,0) pick x[0,0], x[0,1], x[1,0]; (1,1) picks x[1,2]
    assert.deepEqual([...(await x.grad!.read())], [1, 1, 0, 1, 0, 1, 0, 0, 0]);
  });

  it('a NaN in a window makes that window’s max NaN, as in PyTorch; adaptive output size 0 gives an empty tensor', async () => {
    const x = E.tensor([1, NaN, 2, 3, 4, 5, 6, 7], [1, 1, 2, 4]);
    const y = [...(await maxPool2d(x, 2).read())];
    assert.ok(Number.isNaN(y[0]), `got ${y}`);
    assert.equal(y[1], 7);
    assert.deepEqual(adaptiveAvgPool2d(x, [0, 2]).shape, [1, 1, 0, 2]);
  });

  it('matches PyTorch: outputs and input gradients of sum(out · w)', async () => {
    const f = new Fixture('pool');
    const check = async (name: string, fn: (x: E.Tensor) => E.Tensor) => {
      const x = E.tensor(f.get(`${name}.x`).data, f.get(`${name}.x`).shape);
      x.requiresGrad = true;
      const out = fn(x);
      const w = f.nd(`${name}.w`);
      E.backward(E.sum(E.mul(out, E.tensor(Float32Array.from(w.data), w.shape))));
      await assertTensorClose(out, f.nd(`${name}.out`), 1e-4, `${name} out`);
      assertClose(await x.grad!.read(), f.nd(`${name}.dx`).data, 1e-4, `${name} dx`);
    };
    const configs = (k: string) => JSON.parse(f.metadata[k]);
    for (const [name, { kernel, ...o }] of configs('max') as [string, Pool2dOptions & { kernel: K }][]) await check(name, (x) => maxPool2d(x, kernel, o));
    for (const [name, { kernel, ...o }] of configs('avg') as [string, AvgPool2dOptions & { kernel: K }][]) await check(name, (x) => avgPool2d(x, kernel, o));
    for (const [name, size] of configs('adaptive') as [string, K][]) await check(name, (x) => adaptiveAvgPool2d(x, size));
    for (const name of configs('global') as string[]) await check(name, (x) => globalAvgPool2d(x));
  });

  it('bad input is rejected with the op and shapes named', () => {
    const [x] = pair([1, 2, 4, 4], 1);
    const [flat] = pair([2, 16], 2);
    assert.throws(() => maxPool2d(flat, 2), /maxPool2d: expected a 3-D \[C,H,W\] or 4-D \[N,C,H,W\] input, got \[2,16\]/);
    assert.throws(() => adaptiveAvgPool2d(flat, 2), /adaptiveAvgPool2d: .* got \[2,16\]/);
    assert.throws(() => globalAvgPool2d(flat), /globalAvgPool2d: .* got \[2,16\]/);
    assert.throws(() => maxPool2d(x, 5), /maxPool2d: kernel \[5,5\] .* larger than the padded input \[1,2,4,4\]/);
    assert.throws(() => maxPool2d(x, 3, { dilation: 2 }), /maxPool2d: kernel \[3,3\] \(dilation \[2,2\].* larger than the padded input \[1,2,4,4\]/);
    assert.throws(() => avgPool2d(x, 3, { padding: 2 }), /avgPool2d: padding \[2,2\] must be at most half the kernel \[3,3\].*input \[1,2,4,4\]/);
    assert.throws(() => maxPool2d(x, [2, 0]), /maxPool2d: kernel must be positive integers.*input \[1,2,4,4\]/);
    assert.throws(() => adaptiveAvgPool2d(x, [-1, 2]), /adaptiveAvgPool2d: output size must be non-negative integers.*input \[1,2,4,4\]/);
  });
});
