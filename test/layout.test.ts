import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { concat, pad, slice } from '../engine/ops/layout.ts';
import { gpu, pair, assertTensorClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import * as R from './reference/layout.ts';

describe('layout: pad, slice, concat', () => {
  before(gpu);

  it('pad matches F.pad: last dims, several dims, negative pads crop, any fill value', async () => {
    const cases: [number[], number[], number][] = [
      [[2, 3], [1, 2], 0],
      [[2, 3, 4, 5], [1, 1, 2, 0], -1.5],
      [[3, 4, 5], [0, 0, 1, 1, 2, 3], 7],
      [[2, 5, 6], [-1, 2, 1, -2], 0],
      [[7], [3, 0], 0],
      [[2, 0], [1, 2], 4],
    ];
    for (const [i, [shape, pads, value]] of cases.entries()) {
      const [x, xr] = pair(shape, 30 + i);
      const y = pad(x, pads, value);
      await assertTensorClose(y, R.pad(xr, pads, value), 0, `pad [${shape}] by [${pads}]`);
    }
    const y = await pad(E.tensor([1, 2], [1, 2]), [1, 1], -Infinity).read();
    assert.deepEqual([...y], [-Infinity, 1, 2, -Infinity], 'an infinite fill value travels through the uniform');
  });

  it('slice matches Python slicing (negative indices, clamping, empty slices) along any axis', async () => {
    const [x, xr] = pair([4, 5, 6], 2);
    for (const [axis, s, e] of [[0, 1, 3], [1, 0, 5], [2, 2, 3], [-1, -4, -1], [1, 3, 100], [0, 3, 1], [2, -100, 2]]) {
      await assertTensorClose(slice(x, axis, s, e), R.slice(xr, axis, s, e), 0, `slice axis ${axis} ${s}:${e}`);
    }
  });

  it('concat matches the reference along every axis, including stacking images along H', async () => {
    const [a, ar] = pair([2, 1, 3, 4], 3);
    const [b, br] = pair([2, 1, 5, 4], 4);
    const top = concat([a, b], 2);
    assert.deepEqual(top.shape, [2, 1, 8, 4]);
    await assertTensorClose(top, R.concat([ar, br], 2), 0, 'concat along H');
    const [c, cr] = pair([2, 3], 5);
    const [d, dr] = pair([2, 1], 6);
    const [e, er] = pair([2, 4], 7);
    await assertTensorClose(concat([c, d, e], -1), R.concat([cr, dr, er], 1), 0, 'concat three along the last axis');
    const [f, fr] = pair([1, 3], 8);
    await assertTensorClose(concat([c, f, E.tensor([], [0, 3])], 0), R.concat([cr, fr], 0), 0, 'concat along the first axis, with an empty piece');
    await assertTensorClose(concat([c], 0), cr, 0, 'one tensor');
  });

  it('gradients of pad, slice and concat match finite differences', async () => {
    await gradCheck({ name: 'pad', shapes: [[2, 3, 4]], gpu: (x) => pad(x, [1, 2, -1, 1], 3), ref: (x) => R.pad(x, [1, 2, -1, 1], 3) });
    await gradCheck({ name: 'slice', shapes: [[3, 5, 2]], gpu: (x) => slice(x, 1, 1, -1), ref: (x) => R.slice(x, 1, 1, -1) });
    await gradCheck({ name: 'concat', shapes: [[2, 3], [2, 1], [2, 2]], gpu: (a, b, c) => concat([a, b, c], 1), ref: (a, b, c) => R.concat([a, b, c], 1) });
  });

  it('concat gives gradients only to inputs that require them', async () => {
    const [a] = pair([2, 2], 1);
    const [b] = pair([3, 2], 2);
    a.requiresGrad = true;
    E.backward(E.sum(E.mul(concat([a, b], 0), E.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [5, 2]))));
    assert.deepEqual([...(await a.grad!.read())], [1, 2, 3, 4]);
    assert.equal(b.grad, null);
  });

  it('bad arguments throw with the op and shapes named', () => {
    const [x] = pair([2, 3], 1);
    assert.throws(() => pad(x, [1]), /pad: pads \[1\] must be pairs for at most the 2 dims of \[2,3\]/);
    assert.throws(() => pad(x, [1, 1, 1, 1, 1, 1]), /pad: pads \[1,1,1,1,1,1\] must be pairs for at most the 2 dims of \[2,3\]/);
    assert.throws(() => pad(x, [-2, -2]), /pad: pads \[-2,-2\] leave dim 1 of \[2,3\] with size -1/);
    assert.throws(() => pad(x, [0.5, 0]), /pad: each pad must be an integer, got 0.5/);
    assert.throws(() => slice(x, 2, 0, 1), /slice: axis 2 is out of range for rank 2/);
    assert.throws(() => slice(x, 0, 0.5, 1), /slice: start must be an integer, got 0.5/);
    assert.throws(() => concat([], 0), /concat: no tensors given/);
    assert.throws(() => concat([x, E.zeros([3, 3])], 1), /concat: shapes must agree except along axis 1 \(\[2,3\], \[3,3\]\)/);
    assert.throws(() => concat([x, E.zeros([2, 3, 1])], 0), /concat: shapes must agree except along axis 0 \(\[2,3\], \[2,3,1\]\)/);
  });
});
