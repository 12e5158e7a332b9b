import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { gpu, pair, assertTensorClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { reduce, type Nd } from './reference/nd.ts';

const refSum = (x: Nd, axes: number[], keep = false) => reduce(x, axes, keep, 0, (a, v) => a + v);
const refMean = (x: Nd, axes: number[], keep = false) => {
  const s = refSum(x, axes, keep);
  const n = axes.reduce((a, i) => a * x.shape[i], 1);
  return { shape: s.shape, data: s.data.map((v) => v / n) };
};
const refMax = (x: Nd, axes: number[], keep = false) => reduce(x, axes, keep, -Infinity, Math.max);
const refMin = (x: Nd, axes: number[], keep = false) => reduce(x, axes, keep, Infinity, Math.min);

// shape, axes: last axis, first axis, middle, NCHW batch-norm axes, all, a single huge row (split path)
const CASES: [number[], number[]][] = [
  [[7], [0]],
  [[5, 9], [1]],
  [[5, 9], [0]],
  [[3, 4, 5], [1]],
  [[2, 3, 4, 5], [0, 2, 3]],
  [[2, 3, 4, 5], [0, 1, 2, 3]],
  [[3, 1, 6], [0, 2]],
  [[100003], [0]],
  [[3, 20001], [1]],
  [[9000, 3], [0]],
  [[8, 3, 32, 32], [0, 2, 3]], // a conv bias gradient: split path over contiguous runs
  [[3, 5, 33, 40], [0, 2, 3]],
];

describe('reductions: sum, mean, max, min over any axes', () => {
  before(gpu);

  const table: [string, typeof E.sum, typeof refSum][] = [
    ['sum', E.sum, refSum],
    ['mean', E.mean, refMean],
    ['max', E.max, refMax],
    ['min', E.min, refMin],
  ];
  for (const [name, op, ref] of table) {
    it(`${name} matches the float64 reference (small, odd, strided and split reductions)`, async () => {
      for (const [i, [shape, axes]] of CASES.entries()) {
        const [x, xr] = pair(shape, 50 + i);
        await assertTensorClose(op(x, axes), ref(xr, axes), 1e-4, `${name} [${shape}] axes [${axes}]`);
        await assertTensorClose(op(x, axes, true), ref(xr, axes, true), 1e-4, `${name} keepDims [${shape}] axes [${axes}]`);
      }
    });
    it(`${name} gradient matches finite differences`, async () => {
      await gradCheck({ name, shapes: [[3, 4, 5]], gpu: (x) => op(x, [0, 2]), ref: (x) => ref(x, [0, 2]) });
      await gradCheck({ name: `${name} all`, shapes: [[4, 6]], gpu: (x) => op(x), ref: (x) => ref(x, [0, 1]) });
    });
  }

  it('negative axes count from the end, and no axes reduce everything', async () => {
    const [x, xr] = pair([4, 6, 5], 3);
    await assertTensorClose(E.sum(x, -1), refSum(xr, [2]), 1e-5, 'sum axis -1');
    const all = E.sum(x);
    assert.deepEqual(all.shape, []);
    await assertTensorClose(all, refSum(xr, [0, 1, 2]), 1e-5, 'sum all');
  });

  it('max shares the gradient among ties, as torch.amax does', async () => {
    const x = E.tensor([1, 3, 3, 2], [1, 4]);
    x.requiresGrad = true;
    E.backward(E.sum(E.max(x, 1)));
    assert.deepEqual([...(await x.grad!.read())], [0, 0.5, 0.5, 0]);
  });

  it('max and min propagate NaN, as torch.max does', async () => {
    const x = E.tensor([1, NaN, 2, 5, 4, 3], [2, 3]);
    const m = await E.max(x, 1).read();
    assert.ok(Number.isNaN(m[0]) && m[1] === 5, `max rows: ${m}`);
    assert.ok(Number.isNaN(await E.min(x).item()));
    const big = new Float32Array(20000).fill(1);
    big[12345] = NaN;
    assert.ok(Number.isNaN(await E.max(E.tensor(big)).item()), 'split reduction');
  });

  it('an axis out of range is rejected with the op named', () => {
    const [x] = pair([2, 3], 1);
    assert.throws(() => E.sum(x, 2), /sum: axis 2 is out of range for rank 2/);
    assert.throws(() => E.max(x, -3), /max: axis -3 is out of range for rank 2/);
  });
});
