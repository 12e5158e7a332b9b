// The device error flag: kernels that see invalid input (labels, targets) report it, and the
// next readback that happens anyway throws an InvalidInputError naming the op, index and value.
import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { forceRowStrategy } from '../engine/ops/loss.ts';
import { gpu, pair } from './helpers.ts';

const { InvalidInputError } = E;

/** `promise` rejects with an InvalidInputError for `op` at `index` holding `value`, whose message matches `re`. */
async function rejectsWith(promise: Promise<unknown>, op: string, index: number, value: number, re?: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof InvalidInputError, `expected an InvalidInputError, got ${e}`);
    assert.ok(e instanceof E.SamgpuError);
    assert.equal(e.op, op);
    assert.equal(e.index, index);
    assert.ok(Object.is(e.value, value) || (Number.isNaN(e.value) && Number.isNaN(value)), `value ${e.value}, expected ${value}`);
    if (re) assert.match(e.message, re);
    return true;
  });
}

describe('device error flag: invalid labels and targets found on the GPU', () => {
  let rt: E.Runtime;
  before(async () => {
    rt = await gpu();
  });
  afterEach(() => forceRowStrategy(null));

  it('crossEntropy with a label out of range (5 of 2 classes, −1, 0.5, NaN) throws at the next readback, as PyTorch raises', async () => {
    const [x] = pair([4, 2], 1);
    for (const strategy of ['thread', 'group'] as const) {
      forceRowStrategy(strategy);
      for (const bad of [5, -1, 0.5, NaN, 2]) {
        const loss = E.crossEntropy(x, E.tensor([0, 1, bad, 1], [4]));
        await rejectsWith(loss.item(), 'crossEntropy', 2, bad,
          /^crossEntropy: labels\[2\] = .* is not a class index \(an integer in \[0, 2\)\) \(logits \[4,2\], labels \[4\]; 1 invalid label\)/);
      }
    }
  });

  it('the error surfaces at an unrelated readback (like a CUDA device assert), once; later work is clean', async () => {
    const [x] = pair([3, 4], 2);
    E.crossEntropy(x, E.tensor([0, 9, 9], [3])); // result never read
    const unrelated = E.tensor([1, 2, 3]);
    await rejectsWith(unrelated.read(), 'crossEntropy', 1, 9, /2 invalid labels/);
    assert.deepEqual([...(await unrelated.read())], [1, 2, 3], 'the flag was reset');
    assert.ok(Number.isFinite(await E.crossEntropy(x, E.tensor([0, 3, 1], [3])).item()));
  });

  it('the first invalid op since the last check is the one reported', async () => {
    const [x] = pair([2, 3], 3);
    E.accuracy(x, E.tensor([0, 7], [2]));
    E.crossEntropy(x, E.tensor([-1, 0], [2]));
    await rejectsWith(rt.checkErrors(), 'accuracy', 1, 7);
    await rt.checkErrors(); // nothing left
  });

  it('every op that validates on the GPU reports: λ, loss with λ, accuracy, logistic, BCE targets', async () => {
    const [x] = pair([3, 2], 4);
    const [f] = pair([3], 5);
    await rejectsWith(E.softmaxImportanceWeights(x, E.tensor([0, 2, 1], [3])).read(), 'softmaxImportanceWeights', 1, 2);
    await rejectsWith(E.crossEntropyWithWeights(x, E.tensor([0, 1, -3], [3])).loss.read(), 'crossEntropyWithWeights', 2, -3);
    await rejectsWith(E.accuracy(x, E.tensor([1.5, 1, 0], [3])).item(), 'accuracy', 0, 1.5);
    await rejectsWith(E.logisticLoss(f, E.tensor([1, 0, -1], [3])).item(), 'logisticLoss', 1, 0, /labels\[1\] = 0 is not −1 or \+1 \(f \[3\]; 1 invalid label\)/);
    await rejectsWith(E.logisticImportanceWeights(f, E.tensor([1, -1, 2], [3])).read(), 'logisticImportanceWeights', 2, 2);
    await rejectsWith(E.logisticLossWithWeights(f, E.tensor([NaN, -1, 1], [3])).weights.read(), 'logisticLossWithWeights', 0, NaN);
    await rejectsWith(E.bceWithLogits(f, E.tensor([1, -1, 0.5], [3])).item(), 'bceWithLogits', 1, -1, /targets\[1\] = -1 is not a probability in \[0, 1\]/);
    await rejectsWith(E.bceWithLogits(f, E.tensor([1, 0, 1.5], [3])).item(), 'bceWithLogits', 2, 1.5);
  });

  it('sync() and checkErrors() report too', async () => {
    const [x] = pair([2, 2], 6);
    E.crossEntropy(x, E.tensor([0, 4], [2]));
    await rejectsWith(rt.sync(), 'crossEntropy', 1, 4);
    E.accuracy(x, E.tensor([0, -2], [2]));
    await rejectsWith(E.checkErrors(), 'accuracy', 1, -2);
  });

  it('the check rides on readbacks that happen anyway: no extra submit, and none at all without a validating kernel', async () => {
    const [x] = pair([4, 3], 7);
    const y = E.tensor([0, 1, 2, 1], [4]);
    await rt.sync();
    const submits = () => rt.stats.submits;
    let s0 = submits();
    const loss = E.crossEntropy(x, y);
    assert.equal(rt.errorFlag.pending, true);
    await loss.item();
    assert.equal(submits() - s0, 1, 'one submit for the read, the flag inside it');
    assert.equal(rt.errorFlag.pending, false);
    s0 = submits();
    await rt.checkErrors();
    assert.equal(submits(), s0, 'nothing to check: no submit');
    const mse = E.mseLoss(x, x);
    assert.equal(rt.errorFlag.pending, false, 'MSE binds the flag but never reports');
    await mse.item();
  });
});
