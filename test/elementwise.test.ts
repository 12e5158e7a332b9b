import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { gpu, pair, assertTensorClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { map, type Nd } from './reference/nd.ts';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
// name, engine op, float64 reference, input range (log/sqrt need positive inputs)
const UNARY: [string, (t: E.Tensor) => E.Tensor, (x: number) => number, number, number][] = [
  ['neg', E.neg, (x) => -x, -2, 2],
  ['exp', E.exp, Math.exp, -3, 3],
  ['log', E.log, Math.log, 0.1, 4],
  ['relu', E.relu, (x) => Math.max(x, 0), -2, 2],
  ['sigmoid', E.sigmoid, sigmoid, -4, 4],
  ['tanh', E.tanh, Math.tanh, -3, 3],
  ['sqrt', E.sqrt, Math.sqrt, 0.1, 4],
  ['abs', E.abs, Math.abs, -2, 2],
  ['square', E.square, (x) => x * x, -2, 2],
];
const SHAPES = [[1], [7], [3, 5], [2, 3, 65], [1000, 67]];

describe('elementwise unary ops', () => {
  before(gpu);

  for (const [name, op, ref, lo, hi] of UNARY) {
    it(`${name} matches the float64 reference on shapes ${SHAPES.map((s) => `[${s}]`).join(' ')}`, async () => {
      for (const [i, shape] of SHAPES.entries()) {
        const [x, xr] = pair(shape, 10 + i, lo, hi);
        await assertTensorClose(op(x), map(xr, ref), 1e-5, `${name} [${shape}]`);
      }
    });
    it(`${name} gradient matches finite differences`, async () => {
      await gradCheck({ name, shapes: [[4, 9]], gpu: op, ref: (x: Nd) => map(x, ref), lo, hi });
    });
  }

  it('scalar ops: addScalar, mulScalar, affine, powScalar, rsubScalar', async () => {
    const [x, xr] = pair([5, 13], 3, 0.2, 3);
    await assertTensorClose(E.addScalar(x, 2.5), map(xr, (v) => v + 2.5), 1e-5, 'addScalar');
    await assertTensorClose(E.mulScalar(x, -3), map(xr, (v) => v * -3), 1e-5, 'mulScalar');
    await assertTensorClose(E.affine(x, 0.5, 1), map(xr, (v) => 0.5 * v + 1), 1e-5, 'affine');
    await assertTensorClose(E.powScalar(x, 1.5), map(xr, (v) => v ** 1.5), 1e-5, 'powScalar');
    await assertTensorClose(E.rsubScalar(x, 1), map(xr, (v) => 1 - v), 1e-5, 'rsubScalar');
  });

  it('scalar op gradients match finite differences', async () => {
    await gradCheck({ name: 'addScalar', shapes: [[3, 4]], gpu: (x) => E.addScalar(x, 2), ref: (x) => map(x, (v) => v + 2) });
    await gradCheck({ name: 'mulScalar', shapes: [[3, 4]], gpu: (x) => E.mulScalar(x, -1.5), ref: (x) => map(x, (v) => v * -1.5) });
    await gradCheck({ name: 'powScalar', shapes: [[3, 4]], lo: 0.5, hi: 2, gpu: (x) => E.powScalar(x, 2.5), ref: (x) => map(x, (v) => v ** 2.5) });
  });

  it('full, zeros, ones and clone', async () => {
    assert.deepEqual([...(await E.full([2, 3], 1.25).read())], Array(6).fill(1.25));
    assert.deepEqual([...(await E.zeros([4]).read())], [0, 0, 0, 0]);
    const [x, xr] = pair([9], 4);
    const c = E.clone(x);
    x.dispose();
    await assertTensorClose(c, xr, 0, 'clone');
  });

  it('a non-finite scalar is rejected with the op named', () => {
    const [x] = pair([3], 1);
    assert.throws(() => E.addScalar(x, NaN), /addScalar: the scalar must be a finite number, got NaN/);
    assert.throws(() => E.mulScalar(x, Infinity), /mulScalar: the scalar must be a finite number, got Infinity/);
    assert.throws(() => E.full([2], -Infinity), /full: the fill value must be a finite number/);
  });
});
