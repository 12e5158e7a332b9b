import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { gpu, pair, assertTensorClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { permute, zip, nd, type Nd } from './reference/nd.ts';

describe('shape ops: reshape, permute, transpose, expand', () => {
  before(gpu);

  it('reshape is a view: same data, new shape, -1 inferred', async () => {
    const [x, xr] = pair([2, 3, 4], 1);
    const y = E.reshape(x, [6, -1]);
    assert.deepEqual(y.shape, [6, 4]);
    assert.equal(y.buffer(), x.buffer(), 'shares the buffer');
    await assertTensorClose(y, { shape: [6, 4], data: xr.data }, 0, 'reshape');
  });

  it('permute and transpose match the reference for odd shapes', async () => {
    const [x, xr] = pair([2, 3, 5, 7], 2);
    await assertTensorClose(E.permute(x, [3, 1, 0, 2]), permute(xr, [3, 1, 0, 2]), 0, 'permute');
    await assertTensorClose(E.transpose(x), permute(xr, [0, 1, 3, 2]), 0, 'transpose last two');
    await assertTensorClose(E.transpose(x, 0, 2), permute(xr, [2, 1, 0, 3]), 0, 'transpose 0,2');
  });

  it('expand broadcasts like NumPy', async () => {
    const [x, xr] = pair([3, 1], 3);
    const zerosRef = nd([2, 3, 4], new Float64Array(24));
    await assertTensorClose(E.expand(x, [2, 3, 4]), zip(xr, zerosRef, (a) => a), 0, 'expand');
  });

  it('gradients of reshape, permute, expand match finite differences', async () => {
    await gradCheck({ name: 'reshape', shapes: [[2, 6]], gpu: (x) => E.reshape(x, [3, 4]), ref: (x: Nd) => ({ shape: [3, 4], data: x.data }) });
    await gradCheck({ name: 'permute', shapes: [[2, 3, 4]], gpu: (x) => E.permute(x, [2, 0, 1]), ref: (x) => permute(x, [2, 0, 1]) });
    await gradCheck({
      name: 'expand',
      shapes: [[3, 1]],
      gpu: (x) => E.expand(x, [2, 3, 4]),
      ref: (x) => zip(x, nd([2, 3, 4], new Float64Array(24)), (a) => a),
    });
  });

  it('bad shapes are rejected with the op and shapes named', () => {
    const [x] = pair([2, 3], 1);
    assert.throws(() => E.reshape(x, [4, 2]), /reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,2\]/);
    assert.throws(() => E.permute(x, [0, 0]), /permute: \[0,0\] is not a permutation of the 2 axes of \[2,3\]/);
    assert.throws(() => E.expand(x, [3, 3]), /expand: cannot broadcast \[2,3\] to \[3,3\]/);
    assert.throws(() => E.transpose(x, 0, 5), /transpose: dims 0, 5 out of range for \[2,3\]/);
  });
});
