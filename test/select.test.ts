import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { accuracy, argmax } from '../engine/ops/select.ts';
import { gpu, pair, assertTensorClose } from './helpers.ts';
import * as R from './reference/select.ts';
import { nd } from './reference/nd.ts';

describe('selection: argmax and accuracy', () => {
  before(gpu);

  it('argmax matches the reference along any dim, with and without keepDims', async () => {
    for (const [shape, dim] of [[[7, 5], -1], [[3, 4, 5], 1], [[3, 4, 5], 0], [[3, 4, 5], 2], [[9], 0], [[4, 1], 1]] as [number[], number][]) {
      const [x, xr] = pair(shape, shape.length + dim + 5);
      await assertTensorClose(argmax(x, dim), R.argmax(xr, dim), 0, `argmax [${shape}] dim ${dim}`);
      await assertTensorClose(argmax(x, dim, true), R.argmax(xr, dim, true), 0, `argmax keepDims [${shape}] dim ${dim}`);
    }
  });

  it('argmax returns the first maximum on ties and treats NaN as the maximum, as PyTorch does', async () => {
    const x = E.tensor([1, 3, 3, 2, 5, 5, 5, 5, 0, NaN, 1, NaN], [3, 4]);
    assert.deepEqual([...(await argmax(x).read())], [1, 0, 1]);
    assert.deepEqual([...(await argmax(x, 0).read())], [1, 2, 1, 2]);
  });

  it('argmax records no gradient', () => {
    const [x] = pair([2, 3], 1);
    x.requiresGrad = true;
    assert.equal(argmax(x).requiresGrad, false);
  });

  it('accuracy is the fraction of rows whose argmax equals the label, as a scalar tensor', async () => {
    const [x, xr] = pair([37, 6], 4);
    const am = R.argmax(xr, 1).data;
    const labels = Array.from(am, (v, i) => (i % 3 === 0 ? (v + 1) % 6 : v)); // a third wrong
    const acc = accuracy(x, E.tensor(labels, [37]));
    assert.deepEqual(acc.shape, []);
    await assertTensorClose(acc, nd([], [R.accuracy(xr, labels)]), 1e-6, 'accuracy');
    assert.equal(await accuracy(E.tensor([0, 1, 1, 0], [2, 2]), E.tensor([1, 1], [2])).item(), 0.5);
  });

  it('accuracy with a label out of range or not an integer is an InvalidInputError, not a silent miss', async () => {
    const x = E.tensor([0, 1, 1, 0, 2, 0], [3, 2]);
    for (const [bad, shown] of [[2, '2'], [0.5, '0.5'], [NaN, 'NaN'], [-1, '-1']] as const) {
      const acc = accuracy(x, E.tensor([1, bad, 0], [3]));
      await assert.rejects(acc.item(), new RegExp(`^InvalidInputError: accuracy: labels\\[1\\] = ${shown} is not a class index \\(an integer in \\[0, 2\\)\\)`));
      assert.ok(Number.isNaN(await acc.item()), 'and the value is NaN');
    }
  });

  it('bad arguments throw with the op and shapes named', () => {
    const [x] = pair([4, 10], 1);
    assert.throws(() => accuracy(x, E.tensor([0, 1, 2, 3, 4], [5])), /^SamgpuError: accuracy: 5 labels for 4 rows \(logits \[4,10\], labels \[5\]\)$/);
    assert.throws(() => accuracy(x.view([40]), E.tensor([0], [1])), /accuracy: logits must be \[N, C\], got \[40\]/);
    assert.throws(() => argmax(x, 2), /argmax: axis 2 is out of range for rank 2/);
    assert.throws(() => argmax(E.tensor([], [3, 0])), /argmax: dim -1 of \[3,0\] is empty/);
  });
});
