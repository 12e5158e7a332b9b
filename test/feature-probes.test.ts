// The feature probes' CPU solver (float64 L-BFGS) against the float64 Newton reference, its
// honesty about convergence, and the whole probe protocol (balanced sets, L2 by 2-fold
// cross-validation with early stopping along the grid, errors on test and selection splits)
// against a direct recomputation.
import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { lbfgsLogistic, logisticPredict } from '../experiments/probe/lbfgs.ts';
import { probeFeatures, balancedIndices, DEFAULT_L2_GRID } from '../experiments/probe/feature-probes.ts';
import { carveSplit } from '../experiments/data/probe-sets.ts';
import { makeSplit } from '../experiments/data/two-feature.ts';
import type { TwoFeatureDataset, TwoFeatureSplit } from '../experiments/data/types.ts';
import { fitProbeRef, standardizeRef } from './reference/probe.ts';
import { gpu } from './helpers.ts';

/** n examples, d features, labels in [0, classes) from noisy linear scores (an interior optimum). */
function problem(seed: number, n: number, d: number, classes: number) {
  const rng = new E.Rng(seed);
  const x = rng.normal(n * d);
  const dirs = Array.from({ length: classes }, () => rng.normal(d));
  const noise = rng.normal(n * classes, 0, 1.2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bs = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = noise[i * classes + c];
      for (let j = 0; j < d; j++) s += dirs[c][j] * x[i * d + j] * 0.5;
      if (s > bs) [best, bs] = [c, s];
    }
    y[i] = best;
  }
  return { x, y };
}

/** [K, p] (class-major) → the reference's [p, K] (row-major over features). */
const toRef = (w: Float64Array, p: number, k: number) => Float64Array.from({ length: p * k }, (_, q) => w[(q % k) * p + Math.floor(q / k)]);

describe('feature probes: float64 L-BFGS and the probe protocol', () => {
  for (const [classes, l2] of [[2, 1e-2], [4, 1e-3], [5, 1e-4]] as const) {
    it(`L-BFGS reaches the float64 Newton optimum (${classes} classes, L2 ${l2}): weights, objective, accuracy`, () => {
      const n = 300;
      const d = 8;
      const { x, y } = problem(classes, n, d, classes);
      const [z] = standardizeRef(Float64Array.from(x), n, d);
      const k = classes > 2 ? classes : 1;
      const r = lbfgsLogistic({ z, n, p: d + 1, y, k, l2 }, { tol: 1e-8 });
      assert.ok(r.converged && r.stop === 'tolerance', `stopped by ${r.stop} after ${r.iterations} iterations, max|∇| ${r.gradMax}`);
      const ref = fitProbeRef(z, y, n, d + 1, k, l2);
      assert.ok(Math.abs(r.objective - ref.objective) <= 1e-12 * Math.abs(ref.objective) + 1e-14, `objective ${r.objective} vs ${ref.objective}`);
      const w = toRef(r.w, d + 1, k);
      const scale = Math.max(...ref.w.map(Math.abs));
      for (let q = 0; q < w.length; q++) assert.ok(Math.abs(w[q] - ref.w[q]) <= 1e-6 * scale, `weight ${q}: ${w[q]} vs ${ref.w[q]}`);
      assert.equal(logisticPredict(z, n, d + 1, r.w, k, y).accuracy, ref.fitAccuracy);
    });
  }

  it('never calls an unfinished fit converged: the iteration cap and an impossible tolerance say so', () => {
    const n = 200;
    const d = 6;
    const { x, y } = problem(7, n, d, 3);
    const [z] = standardizeRef(Float64Array.from(x), n, d);
    const capped = lbfgsLogistic({ z, n, p: d + 1, y, k: 3, l2: 1e-4 }, { maxIter: 3 });
    assert.equal(capped.converged, false);
    assert.equal(capped.stop, 'iterations');
    const tiny = lbfgsLogistic({ z, n, p: d + 1, y, k: 3, l2: 1e-4 }, { tol: 1e-30 });
    assert.equal(tiny.converged, false);
    assert.ok(tiny.stop === 'line search' || tiny.stop === 'stalled', tiny.stop);
    assert.ok(tiny.gradMax < 1e-8, `it still got as close as float64 allows: ${tiny.gradMax}`);
  });

  it('probeFeatures: balanced sets, L2 by 2-fold CV (stopping two values past the minimum), errors equal a direct refit', async () => {
    await gpu();
    // A "network" whose features are the images: d features per example, labels easy/hard of 3
    // classes each, independent (decorrelated) in every split.
    const d = 6;
    const make = (seed: number, n: number, split: 'val' | 'test'): TwoFeatureSplit => {
      const a = problem(seed, n, d, 3);
      const b = problem(seed + 100, n, d, 3);
      const x = new Float32Array(n * d);
      for (let i = 0; i < n * d; i++) x[i] = a.x[i] * 0.7 + b.x[i] * 0.7;
      return makeSplit(split, x, [1, 1, d], a.y, b.y, 'hard', 3, true);
    };
    const fit = make(1, 360, 'val');
    const test = make(2, 270, 'test');
    const model = { train: () => undefined, features: (x: E.Tensor) => x.view([x.shape[0], d]) };
    const report = await probeFeatures(model, fit, test, { seed: 4, valSplit: test });
    assert.ok(report.probeExamples > 0 && report.probeExamples % 9 === 0, `balanced over the 9 groups: ${report.probeExamples}`);
    for (const feature of ['easy', 'hard'] as const) {
      const r = report[feature];
      const tried = r.heldOut.map((h) => h.l2);
      assert.ok(tried.every((l2) => DEFAULT_L2_GRID.includes(l2)));
      const best = r.heldOut.reduce((b, h) => (h.logLoss < b.logLoss ? h : b));
      assert.equal(r.l2, best.l2, 'the chosen L2 has the lowest held-out log-loss');
      // the path runs from the strongest penalty and stops two values past the minimum (or at the grid's end)
      const weaker = tried.filter((l2) => l2 < r.l2).length;
      assert.ok(weaker === 2 || tried.at(0) === Math.min(...DEFAULT_L2_GRID), `tried ${tried}`);
      assert.ok(r.converged && r.interior === (r.l2 !== Math.min(...DEFAULT_L2_GRID) && r.l2 !== Math.max(...DEFAULT_L2_GRID)));
      // the reported error equals a float64 Newton refit at the chosen L2 on the same balanced sets
      const rng = new E.Rng(4 ^ 0x9e3779b9);
      const [fi, ti] = [balancedIndices(fit, rng), balancedIndices(test, rng)];
      const rows = (sp: TwoFeatureSplit, idx: number[]) => Float64Array.from(idx.flatMap((i) => [...sp.images.subarray(i * d, (i + 1) * d)]));
      const [zf, zt] = standardizeRef(rows(fit, fi), fi.length, d, [{ x: rows(test, ti), n: ti.length }]);
      const ref = fitProbeRef(zf, fi.map((i) => fit[feature][i]), fi.length, d + 1, 3, r.l2, { z: zt, y: ti.map((i) => test[feature][i]), n: ti.length });
      assert.equal(Math.round(r.error * ti.length), Math.round((1 - ref.testAccuracy) * ti.length), `${feature}: test error`);
      assert.ok(Number.isFinite(r.valError), 'scored on the selection split too');
    }
  });

  it('carveSplit splits every group by the share, disjoint and covering, decorrelated on both sides', () => {
    const n = 450;
    const easy = Int32Array.from({ length: n }, (_, i) => i % 3);
    const hard = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 3) % 3);
    const images = Float32Array.from({ length: n }, (_, i) => i); // the image is its index
    const s = makeSplit('val', images, [1, 1, 1], easy, hard, 'hard', 3, true);
    const ds = { name: 'toy', features: { easy: { name: 'e', classes: ['0', '1', '2'] }, hard: { name: 'h', classes: ['0', '1', '2'] } }, task: 'hard' } as unknown as TwoFeatureDataset;
    const [a, b] = carveSplit(ds, s, 0.6, 11);
    const ids = (x: TwoFeatureSplit) => [...x.images].map(Math.round);
    assert.equal(a.n + b.n, n);
    assert.equal(new Set([...ids(a), ...ids(b)]).size, n);
    for (let g = 0; g < 9; g++) {
      assert.equal([...a.group].filter((x) => x === g).length, 30, `group ${g}: 60% of 50`);
    }
    assert.ok(a.decorrelated && b.decorrelated);
    assert.throws(() => carveSplit(ds, s, 1.2, 0), /share must be in \(0, 1\)/);
  });
});
