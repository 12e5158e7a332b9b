import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { batchNorm, type BatchNormOptions } from '../engine/ops/batchnorm.ts';
import { gpu, pair, rand, assertClose, assertTensorClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { Fixture } from './fixtures.ts';
import { batchNorm as refBatchNorm } from './reference/batchnorm.ts';
import type { Nd } from './reference/nd.ts';

// [N,C], [N,C,L], [N,C,H,W] with odd sizes, and one with many values per channel per thread.
const SHAPES = [[5, 3], [3, 4, 7], [2, 3, 5, 7], [8, 3, 17, 19]];

/** Running stats [C] on the GPU and their float64 twins. */
function runningStats(c: number, seed: number): [E.Tensor, E.Tensor, Float64Array, Float64Array] {
  const m = rand(c, seed);
  const v = rand(c, seed + 1, 0.5, 1.5);
  return [E.tensor(m), E.tensor(v), Float64Array.from(m), Float64Array.from(v)];
}

describe('batchNorm (PyTorch semantics)', () => {
  before(gpu);

  it('training mode normalizes with batch statistics and updates the running stats in place (unbiased variance)', async () => {
    for (const [i, shape] of SHAPES.entries()) {
      const c = shape[1];
      const [x, xr] = pair(shape, 10 + i, -2, 3);
      const [w, wr] = pair([c], 20 + i, 0.5, 1.5);
      const [b, br] = pair([c], 30 + i);
      const [rm, rv, rmr, rvr] = runningStats(c, 40 + i);
      for (const affine of [true, false]) {
        const what = `[${shape}] affine=${affine}`;
        const e = refBatchNorm(xr, rmr, rvr, affine ? wr : null, affine ? br : null, { training: true });
        const y = batchNorm(x, rm, rv, affine ? w : null, affine ? b : null, { training: true, updateRunningStats: affine });
        await assertTensorClose(y, e.out, 1e-4, `${what} out`);
        if (affine) {
          assertClose(await rm.read(), e.runningMean!, 1e-5, `${what} running mean`);
          assertClose(await rv.read(), e.runningVar!, 1e-5, `${what} running var`);
        }
      }
    }
  });

  it('updateRunningStats: false (SAM’s second pass) and eval mode leave the running stats untouched', async () => {
    const [x] = pair([4, 3, 5, 5], 1);
    const [rm, rv, rmr, rvr] = runningStats(3, 2);
    batchNorm(x, rm, rv, null, null, { training: true, updateRunningStats: false });
    batchNorm(x, rm, rv, null, null, { training: false });
    assert.deepEqual([...(await rm.read())], [...Float32Array.from(rmr)]);
    assert.deepEqual([...(await rv.read())], [...Float32Array.from(rvr)]);
    // without running stats, training still works (track_running_stats=False)
    await assertTensorClose(batchNorm(x, null, null, null, null, { training: true }), refBatchNorm({ shape: [4, 3, 5, 5], data: Float64Array.from(await x.read()) }, null, null, null, null, { training: true }).out, 1e-4, 'no running stats');
  });

  it('eval mode normalizes with the running statistics (momentum and eps honoured)', async () => {
    for (const [i, shape] of SHAPES.slice(0, 3).entries()) {
      const c = shape[1];
      const [x, xr] = pair(shape, 50 + i, -2, 3);
      const [w, wr] = pair([c], 60 + i, 0.5, 1.5);
      const [b, br] = pair([c], 70 + i);
      const [rm, rv, rmr, rvr] = runningStats(c, 80 + i);
      const o = { training: false, eps: 1e-3 };
      await assertTensorClose(batchNorm(x, rm, rv, w, b, o), refBatchNorm(xr, rmr, rvr, wr, br, o).out, 1e-4, `eval [${shape}]`);
      await assertTensorClose(batchNorm(x, rm, rv, null, b, o), refBatchNorm(xr, rmr, rvr, null, br, o).out, 1e-4, `eval bias only [${shape}]`);
    }
    const [x, xr] = pair([6, 2], 5);
    const [rm, rv, rmr, rvr] = runningStats(2, 6);
    batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.3 });
    const e = refBatchNorm(xr, rmr, rvr, null, null, { training: true, momentum: 0.3 });
    assertClose(await rv.read(), e.runningVar!, 1e-5, 'momentum 0.3 running var');
  });

  it('gradients w.r.t. x, weight and bias match finite differences (train and eval, with and without affine)', async () => {
    const rt = (c: number) => runningStats(c, 90);
    for (const shape of [[5, 3], [2, 3, 4, 3]]) {
      const c = shape[1];
      const [rm, rv, rmr, rvr] = rt(c);
      for (const training of [true, false]) {
        const o: BatchNormOptions = { training, updateRunningStats: false };
        const r = (x: Nd, w: Nd | null, b: Nd | null) => refBatchNorm(x, rmr, rvr, w, b, o).out;
        const name = `${training ? 'train' : 'eval'} [${shape}]`;
        await gradCheck({ name: `${name} affine`, shapes: [shape, [c], [c]], gpu: (x, w, b) => batchNorm(x, rm, rv, w, b, o), ref: (x, w, b) => r(x, w, b) });
        await gradCheck({ name: `${name} plain`, shapes: [shape], gpu: (x) => batchNorm(x, rm, rv, null, null, o), ref: (x) => r(x, null, null) });
        await gradCheck({ name: `${name} weight only`, shapes: [shape, [c]], gpu: (x, w) => batchNorm(x, rm, rv, w, null, o), ref: (x, w) => r(x, w, null) });
      }
    }
  });

  it('matches PyTorch: outputs, gradients, running stats after one and two forwards, eval with those stats', async () => {
    const f = new Fixture('batchnorm');
    const t = (name: string) => E.tensor(f.get(name).data, f.get(name).shape);
    for (const [name, , affine] of JSON.parse(f.metadata.cases) as [string, number[], boolean][]) {
      const rm = t(`${name}.rm0`);
      const rv = t(`${name}.rv0`);
      const w = affine ? t(`${name}.weight`) : null;
      const b = affine ? t(`${name}.bias`) : null;
      const wOut = t(`${name}.w_out`);
      const step = async (mode: 'train' | 'eval') => {
        const x = t(`${name}.x`);
        for (const p of [x, w, b]) if (p) { p.requiresGrad = true; p.grad?.dispose(); p.grad = null; }
        const out = batchNorm(x, rm, rv, w, b, { training: mode === 'train', momentum: 0.1 });
        E.backward(E.sum(E.mul(out, wOut)));
        await assertTensorClose(out, f.nd(`${name}.${mode}.out`), 1e-4, `${name} ${mode} out`);
        assertClose(await x.grad!.read(), f.nd(`${name}.${mode}.dx`).data, 1e-4, `${name} ${mode} dx`);
        if (w) assertClose(await w.grad!.read(), f.nd(`${name}.${mode}.dweight`).data, 1e-4, `${name} ${mode} dweight`);
        if (b) assertClose(await b.grad!.read(), f.nd(`${name}.${mode}.dbias`).data, 1e-4, `${name} ${mode} dbias`);
      };
      await step('train');
      assertClose(await rm.read(), f.nd(`${name}.rm1`).data, 1e-4, `${name} running mean after one forward`);
      assertClose(await rv.read(), f.nd(`${name}.rv1`).data, 1e-4, `${name} running var after one forward`);
      batchNorm(t(`${name}.x2`), rm, rv, null, null, { training: true, momentum: 0.1 });
      assertClose(await rm.read(), f.nd(`${name}.rm2`).data, 1e-4, `${name} running mean after two forwards`);
      assertClose(await rv.read(), f.nd(`${name}.rv2`).data, 1e-4, `${name} running var after two forwards`);
      await step('eval');
    }
  });

  it('bad input is rejected with the op and shapes named', () => {
    const [x] = pair([4, 3, 2, 2], 1);
    const [c3] = pair([3], 2);
    const [c4] = pair([4], 3);
    const train = { training: true };
    assert.throws(() => batchNorm(pair([6], 4)[0], null, null, null, null, train), /batchNorm: expected a 2-D to 5-D input .* got \[6\]/);
    assert.throws(() => batchNorm(x, c4, c3, null, null, train), /batchNorm: runningMean \[4\] should be \[3\], one value per channel of input \[4,3,2,2\]/);
    assert.throws(() => batchNorm(x, c3, c4, null, null, train), /batchNorm: runningVar \[4\] should be \[3\].*\[4,3,2,2\]/);
    assert.throws(() => batchNorm(x, null, null, c4, c3, train), /batchNorm: weight \[4\] should be \[3\].*\[4,3,2,2\]/);
    assert.throws(() => batchNorm(x, null, null, c3, c4, train), /batchNorm: bias \[4\] should be \[3\].*\[4,3,2,2\]/);
    assert.throws(() => batchNorm(pair([1, 3], 5)[0], null, null, null, null, train), /batchNorm: expected more than 1 value per channel when training, got input \[1,3\]/);
    assert.throws(() => batchNorm(pair([1, 3, 1, 1], 5)[0], c3, c3, null, null, train), /batchNorm: expected more than 1 value per channel when training, got input \[1,3,1,1\]/);
    assert.throws(() => batchNorm(x, null, null, null, null, { training: false }), /batchNorm: eval mode needs runningMean and runningVar \(input \[4,3,2,2\]\)/);
    assert.throws(() => batchNorm(x, c3, null, null, null, train), /batchNorm: runningMean and runningVar must be given together/);
  });
});
