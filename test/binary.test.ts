import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { gpu, pair, assertTensorClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { zip, type Nd } from './reference/nd.ts';

const OPS: [string, (a: E.Tensor, b: E.Tensor) => E.Tensor, (x: number, y: number) => number][] = [
  ['add', E.add, (x, y) => x + y],
  ['sub', E.sub, (x, y) => x - y],
  ['mul', E.mul, (x, y) => x * y],
  ['div', E.div, (x, y) => x / y],
  ['maximum', E.maximum, Math.max],
  ['minimum', E.minimum, Math.min],
];
// Equal shapes, broadcast of either side, leading-dim broadcast, both broadcasting, odd sizes.
const SHAPE_PAIRS: [number[], number[]][] = [
  [[7], [7]],
  [[3, 65], [3, 65]],
  [[4, 5], [5]],
  [[5], [4, 5]],
  [[2, 3, 1, 5], [3, 4, 1]],
  [[6, 1], [1, 7]],
  [[2, 1, 3], [1]],
  [[513, 9], [513, 1]],
];

describe('elementwise binary ops with broadcasting', () => {
  before(gpu);

  for (const [name, op, ref] of OPS) {
    it(`${name} matches the float64 reference for equal and broadcast shapes`, async () => {
      for (const [i, [sa, sb]] of SHAPE_PAIRS.entries()) {
        const [a, ar] = pair(sa, 20 + i);
        // keep divisors away from zero
        const [b, br] = name === 'div' ? pair(sb, 40 + i, 0.5, 2) : pair(sb, 40 + i);
        await assertTensorClose(op(a, b), zip(ar, br, ref), 1e-5, `${name} [${sa}] ∘ [${sb}]`);
      }
    });
    it(`${name} gradients (both inputs, with broadcasting) match finite differences`, async () => {
      const lo = name === 'div' ? 0.5 : -1;
      await gradCheck({ name, shapes: [[3, 4], [3, 4]], gpu: op, ref: (a: Nd, b: Nd) => zip(a, b, ref), lo, hi: 2 });
      await gradCheck({ name: `${name} broadcast`, shapes: [[2, 3, 4], [3, 1]], gpu: op, ref: (a: Nd, b: Nd) => zip(a, b, ref), lo, hi: 2, seed: 11 });
    });
  }

  it('maximum splits the gradient equally on ties, as PyTorch does', async () => {
    const a = E.tensor([1, 2, 3]);
    const b = E.tensor([1, 0, 5]);
    a.requiresGrad = b.requiresGrad = true;
    E.backward(E.sum(E.maximum(a, b)));
    assert.deepEqual([...(await a.grad!.read())], [0.5, 1, 0]);
    assert.deepEqual([...(await b.grad!.read())], [0.5, 0, 1]);
  });

  it('shapes that do not broadcast are rejected with both shapes named', () => {
    const [a] = pair([3, 4], 1);
    const [b] = pair([5], 2);
    assert.throws(() => E.add(a, b), /add: shapes \[3,4\] and \[5\] do not broadcast/);
  });

  it('a rank beyond the supported 8 is rejected with the shape named', () => {
    const [a] = pair([1, 1, 1, 1, 1, 1, 1, 1, 2], 1);
    assert.throws(() => E.mul(a, a), /mul: rank 9 \(shape \[1,1,1,1,1,1,1,1,2\]\) exceeds the supported 8/);
  });

  it('a disposed input is rejected with the op named', () => {
    const [a] = pair([3], 1);
    const [b] = pair([3], 2);
    b.dispose();
    assert.throws(() => E.mul(a, b), /mul: used a disposed tensor \(shape \[3\]/);
  });
});
