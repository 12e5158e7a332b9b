// The batch iterator: seeded per-epoch shuffles, exact resume from a saved position, and
// minibatches uploaded as engine tensors.
import assert from 'node:assert/strict';
import { BatchIterator, epochOrder } from '../experiments/data/batches.ts';
import { makeSplit } from '../experiments/data/two-feature.ts';
import type { TwoFeatureSplit } from '../experiments/data/types.ts';
import { gpu } from './helpers.ts';

/** 10 examples of 1×2×2; pixel values 10·i + p; easy = i mod 2, hard = i mod 3 (y = hard). */
function toySplit(n = 10): TwoFeatureSplit {
  const images = Float32Array.from({ length: n * 4 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4));
  const easy = Int32Array.from({ length: n }, (_, i) => i % 2);
  const hard = Int32Array.from({ length: n }, (_, i) => i % 3);
  return makeSplit('train', images, [1, 2, 2], easy, hard, 'hard', 3, false);
}

function take(it: BatchIterator, k: number): number[][] {
  return Array.from({ length: k }, () => [...it.nextIndices().indices]);
}

describe('data: batch iterator', () => {
  it('each epoch visits every example once, in a seeded order that changes per epoch', () => {
    const it = new BatchIterator(toySplit(), { batchSize: 4, seed: 7 });
    assert.equal(it.batchesPerEpoch, 3);
    const e0 = take(it, 3);
    const e1 = take(it, 3);
    assert.deepEqual(e0.map((b) => b.length), [4, 4, 2]);
    assert.deepEqual(e0.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(e1.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.notDeepEqual(e0.flat(), e1.flat());
    assert.deepEqual(e0.flat(), [...epochOrder(10, 7, 0)]);
    assert.deepEqual(take(new BatchIterator(toySplit(), { batchSize: 4, seed: 7 }), 3), e0, 'same seed, same order');
    assert.notDeepEqual(take(new BatchIterator(toySplit(), { batchSize: 4, seed: 8 }), 3).flat(), e0.flat());
  });

  it('a saved position resumes the exact sequence (checkpoint/resume)', () => {
    const a = new BatchIterator(toySplit(), { batchSize: 3, seed: 1 });
    take(a, 5);
    const saved = a.position;
    assert.deepEqual(saved, { epoch: 1, offset: 3 });
    const rest = take(a, 6);
    const b = new BatchIterator(toySplit(), { batchSize: 3, seed: 1 });
    b.position = saved;
    assert.deepEqual(take(b, 6), rest);
    assert.throws(() => (b.position = { epoch: 0, offset: 11 }), /batches: invalid position/);
  });

  it('dropLast skips the short batch; shuffle false keeps order', () => {
    const it = new BatchIterator(toySplit(), { batchSize: 4, shuffle: false, dropLast: true });
    assert.equal(it.batchesPerEpoch, 2);
    assert.deepEqual(take(it, 3), [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 2, 3]]);
    assert.throws(() => new BatchIterator(toySplit(), { batchSize: 0 }), /batchSize must be a positive integer/);
  });

  it('uploads x [B,C,H,W] and every label (y, easy, hard, group) as f32 tensors of exact integers', async () => {
    await gpu();
    const it = new BatchIterator(toySplit(), { batchSize: 4, shuffle: false });
    it.next();
    const b = it.next();
    assert.deepEqual(b.x.shape, [4, 1, 2, 2]);
    assert.deepEqual(Object.keys(b.labels).sort(), ['easy', 'group', 'hard', 'y']);
    assert.deepEqual([...(await b.x.read()).subarray(0, 5)], [40, 41, 42, 43, 50]);
    assert.deepEqual([...(await b.labels.y.read())], [1, 2, 0, 1]);
    assert.deepEqual([...(await b.labels.easy.read())], [0, 1, 0, 1]);
    assert.deepEqual([...(await b.labels.group.read())], [1, 5, 0, 4]);
    b.x.dispose();
    for (const t of Object.values(b.labels)) t.dispose();
  });
});
