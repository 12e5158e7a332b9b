// The counter-claim study's pieces: Chang & Khanna's Boolean parity beside a linear coordinate
// (labels, the parity's exact absence of a linear trace, their data coherence of each block, in
// float64 against the values the construction implies), the rank of a feature matrix against
// matrices of known spectrum, the optional probe.every / probe.rank fields, and a short run that
// records probes and ranks over training.
import assert from 'node:assert/strict';
import { blockCoherence, parityDataset, parityFeatures } from '../experiments/data/parity.ts';
import { centeredSingularValues, featureRank, symmetricEigenvalues } from '../experiments/probe/feature-rank.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { configHash } from '../experiments/runner/run-id.ts';
import { runExperiment } from '../experiments/runner/train.ts';
import { loadDataset } from '../experiments/runner/datasets.node.ts';
import { gpu } from './helpers.ts';
import { checkpoints } from '../experiments/studies/counterclaim-metrics.ts';
import { reversal } from '../experiments/studies/counterclaim-page.ts';
import type { Finding } from '../experiments/studies/study.ts';

/** Columns 1…k of the n×n Sylvester-Hadamard matrix (n a power of 2): orthogonal, each orthogonal to the ones vector. */
const hadamardColumns = (n: number, k: number) => Array.from({ length: k }, (_, j) => Float64Array.from({ length: n }, (_, i) => (-1) ** popcount(i & (j + 1))));
const popcount = (v: number) => v.toString(2).split('').filter((b) => b === '1').length;

/** An n×d matrix with singular values σ after centering: Σ σ_j u_j v_jᵀ + a constant row, u_j unit Hadamard columns, v_j orthonormal rows of a rotation. */
function knownSpectrum(n: number, d: number, sigma: number[]): Float64Array {
  const u = hadamardColumns(n, sigma.length);
  const c = Math.cos(0.7);
  const s = Math.sin(0.7);
  // v_j: e_j rotated in the (j, j+1) plane, then orthonormalized exactly (Gram-Schmidt in float64)
  const v = sigma.map((_, j) => Float64Array.from({ length: d }, (_, t) => (t === j ? c : t === j + 1 ? s : 0)));
  for (let j = 0; j < v.length; j++) {
    for (let i = 0; i < j; i++) {
      const dot = v[j].reduce((a, x, t) => a + x * v[i][t], 0);
      for (let t = 0; t < d; t++) v[j][t] -= dot * v[i][t];
    }
    const norm = Math.hypot(...v[j]);
    for (let t = 0; t < d; t++) v[j][t] /= norm;
  }
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) {
    let sum = 3 + 0.5 * t; // centering must remove this
    for (let j = 0; j < sigma.length; j++) sum += (sigma[j] * u[j][i] / Math.sqrt(n)) * v[j][t];
    x[i * d + t] = sum;
  }
  return x;
}

describe('counterclaim: Chang & Khanna\'s parity data and the feature rank', () => {
  it('parity data: train carries the label in both blocks; val/test decorrelate them exactly; every input is ±1', () => {
    const data = parityDataset({ seed: 3 });
    assert.equal(data.shape[2], 30);
    assert.deepEqual(data.annotated!.map((f) => [f.id, f.coordinates]), [['linear', [0, 15]], ['parity', [15, 30]]]);
    const d = 30;
    for (const s of Object.values(data.splits)) {
      for (const v of s.images) assert.ok(v === 1 || v === -1);
      const [lin, par] = s.featureLabels!;
      for (let i = 0; i < s.n; i++) {
        assert.equal(s.images[i * d], lin[i] ? 1 : -1, 'x₀ is the linear label\'s sign');
        assert.equal(s.images[i * d + 15] * s.images[i * d + 16], par[i] ? 1 : -1, 'x₁₅·x₁₆ is the parity label\'s sign');
        assert.equal(s.y[i], par[i], 'the task is the parity');
        if (s.split === 'train') assert.equal(lin[i], par[i]);
      }
      if (s.split !== 'train') {
        const counts = [0, 0, 0, 0];
        for (let i = 0; i < s.n; i++) counts[lin[i] * 2 + par[i]]++;
        assert.deepEqual(counts, [256, 256, 256, 256], s.split);
      }
    }
    assert.equal(data.splits.train.n, 100);
    const soft = parityDataset({ seed: 3, trainCorrelation: 0.8, bits: 3, blockDim: 5, sizes: { train: 200 } });
    const t = soft.splits.train;
    const agree = t.featureLabels![0].reduce((a, l, i) => a + (l === t.featureLabels![1][i] ? 1 : 0), 0);
    assert.equal(agree, 160);
    for (let i = 0; i < t.n; i++) assert.equal(t.images[i * 10 + 5] * t.images[i * 10 + 6] * t.images[i * 10 + 7], t.y[i] ? 1 : -1, '3-bit parity');
  });

  it('parity data: no linear trace of the parity in decorrelated splits, and Chang & Khanna\'s coherence is 1 for the linear coordinate, 1/2 for the parity bits (float64)', () => {
    const data = parityDataset({ seed: 5 });
    for (const s of [data.splits.val, data.splits.test]) {
      const sign = s.featureLabels![1];
      for (let c = 15; c < 17; c++) {
        let sum = 0;
        for (let i = 0; i < s.n; i++) sum += (sign[i] ? 1 : -1) * s.images[i * 30 + c];
        assert.equal(sum, 0, `${s.split}: coordinate ${c} is uncorrelated with the parity`);
      }
      // per-example Hessians x xᵀ: all aligned on one ±1 coordinate; on two parity bits x_i·x_j ∈ {0, ±2}, aligned for half the pairs
      assert.ok(Math.abs(blockCoherence(s, [0, 1]) - 1) < 1e-12);
      assert.ok(Math.abs(blockCoherence(s, [15, 17]) - 0.5) < 1e-9, String(blockCoherence(s, [15, 17])));
    }
    assert.throws(() => blockCoherence(data.splits.test, [20, 31]), /parity coherence: coordinates \[20, 31\) outside the 30 inputs/);
  });

  it('parity data: bad options are errors naming the option', () => {
    assert.throws(() => parityDataset({ bits: 1 }), /parity: bits must be an integer in \[2, 8\], got 1/);
    assert.throws(() => parityDataset({ bits: 4, blockDim: 3 }), /parity: blockDim must be an integer >= bits \(4\), got 3/);
    assert.throws(() => validateConfig({ dataset: { name: 'parity', options: { bits: 1 } } }), /config: dataset.options.bits: expected an integer >= 2, got 1/);
    assert.throws(() => validateConfig({ dataset: { name: 'parity', options: { coherence: 1 } } }), /config: dataset.options.coherence: unknown option for 'parity'/);
    assert.equal(validateConfig({ dataset: { name: 'parity' } }).dataset.name, 'parity');
    assert.deepEqual(parityFeatures({ blockDim: 4 }).map((f) => f.coordinates), [[0, 4], [4, 8]]);
  });

  it('feature rank: Jacobi eigenvalues and centered singular values match known spectra (float64)', () => {
    const ev = [...symmetricEigenvalues(Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]), 3)].sort((a, b) => a - b);
    assert.ok(Math.abs(ev[0] - 1) < 1e-12 && Math.abs(ev[1] - 3) < 1e-12 && Math.abs(ev[2] - 5) < 1e-12, String(ev));
    assert.throws(() => symmetricEigenvalues(new Float64Array(5), 2), /expected an 2×2 matrix \(4 values\), got 5/);
    for (const [n, d] of [[16, 5], [4, 7]]) {
      const sigma = n > 4 ? [3, 2, 1] : [2, 0.5];
      const sv = centeredSingularValues(knownSpectrum(n, d, sigma), n, d);
      assert.equal(sv.length, Math.min(n, d));
      sigma.forEach((s, j) => assert.ok(Math.abs(sv[j] - s) < 1e-9, `${n}×${d}: σ${j} ${sv[j]} vs ${s}`));
      for (let j = sigma.length; j < sv.length; j++) assert.equal(sv[j], 0, `${n}×${d}: σ${j} = ${sv[j]} is below rounding`);
      const r = featureRank(knownSpectrum(n, d, sigma), n, d);
      const p = sigma.map((s) => s / sigma.reduce((a, b) => a + b, 0));
      assert.ok(Math.abs(r.effective - Math.exp(-p.reduce((a, q) => a + q * Math.log(q), 0))) < 1e-9, `effective rank ${r.effective}`);
      assert.equal(r.numerical, sigma.length);
      assert.deepEqual([r.examples, r.units], [n, d]);
    }
    // Σσ² = 14, 90% of it 12.6: the first component alone has 9, the first two 13
    assert.equal(featureRank(knownSpectrum(16, 5, [3, 2, 1]), 16, 5).pca90, 2);
    // equal singular values: the effective rank is their count
    assert.ok(Math.abs(featureRank(knownSpectrum(16, 6, [1, 1, 1, 1]), 16, 6).effective - 4) < 1e-9);
    assert.deepEqual(featureRank(new Float64Array(12).fill(2), 4, 3), { effective: 0, numerical: 0, pca90: 0, threshold: 1e-3, examples: 4, units: 3 });
    assert.throws(() => featureRank(Float64Array.from([1, NaN, 0, 0]), 2, 2), /feature rank: feature 1 of example 0 is NaN \(expected finite features\)/);
    assert.throws(() => featureRank(new Float64Array(5), 2, 2), /feature rank: expected 2×2 features \(4 values\), got 5/);
  });

  it('the study\'s checkpoints and the sign reversal over them (known answers)', () => {
    assert.deepEqual(checkpoints({ epochs: 50, every: 10 }), [10, 20, 30, 40, 50]);
    assert.deepEqual(checkpoints({ epochs: 7, every: 3 }), [3, 6, 7]);
    assert.deepEqual(checkpoints({ epochs: 2, every: 5 }), [2]);
    const f = (mean: number, verdict: Finding['verdict']) => ({ mean, verdict }) as Finding;
    assert.deepEqual(reversal([{ t: 10, f: f(-0.02, 'supported') }, { t: 20, f: f(-0.01, 'inconclusive') }, { t: 30, f: f(0.01, 'inconclusive') }, { t: 40, f: f(0.03, 'contradicted') }]),
      { signs: '− − + +', meanFlip: 30, verdictFlip: 'supported at epoch 10, contradicted from epoch 40' });
    assert.deepEqual(reversal([{ t: 1, f: f(0.01, 'contradicted') }, { t: 2, f: undefined }, { t: 3, f: f(-0.01, 'supported') }]),
      { signs: '+ · −', meanFlip: null, verdictFlip: 'contradicted at epoch 1, supported from epoch 3' });
    assert.deepEqual(reversal([{ t: 1, f: f(-0.01, 'inconclusive') }, { t: 2, f: f(-0.02, 'supported') }]), { signs: '− −', meanFlip: null, verdictFlip: null });
  });

  it('probe.every and probe.rank are optional, checked, and absent from configs that do not set them', () => {
    const plain = validateConfig({});
    assert.ok(!('every' in plain.probe) && !('rank' in plain.probe));
    assert.equal(configHash(plain), configHash(validateConfig({ probe: {} })));
    assert.deepEqual([validateConfig({ probe: { every: 2, rank: true } }).probe.every, validateConfig({ probe: { rank: true } }).probe.rank], [2, true]);
    assert.throws(() => validateConfig({ probe: { every: 0 } }), /config: probe.every: expected an integer >= 1 \(epochs\), got 0/);
    assert.throws(() => validateConfig({ probe: { rank: 'yes' } }), /config: probe.rank: expected true or false, got "yes"/);
    assert.throws(() => validateConfig({ probe: { often: 1 } }), /config: probe.often: unknown field/);
  });

  it('a run with probe.every and probe.rank records per-feature probes and the rank at the checkpoints and at the end', async function () {
    this.timeout(120_000);
    await gpu();
    const cfg = validateConfig({
      dataset: { name: 'parity', options: { sizes: { train: 40, val: 64, test: 64 } } }, model: { name: 'mlp', units: 8 },
      optimizer: { name: 'sam', lr: 0.1, momentum: 0, weightDecay: 0, rho: 0.1 }, epochs: 3, batchSize: 10,
      probe: { representation: 'penultimate', l2Grid: [0.1, 1], every: 2, rank: true, untrained: false }, importance: { examples: 0, every: 1 },
    });
    const r = await runExperiment(cfg, await loadDataset(cfg.dataset, cfg.seed));
    assert.deepEqual(r.metrics.map((m) => m.probes !== undefined), [false, true, false], 'epoch 2 only: the last epoch\'s are the final probes');
    // probing in between leaves training as it was: the same losses and final probes without it
    const plain = validateConfig({ ...cfg, probe: { ...cfg.probe, every: undefined, rank: undefined } });
    assert.ok(!('every' in plain.probe));
    const q = await runExperiment(plain, await loadDataset(plain.dataset, plain.seed));
    assert.deepEqual(q.metrics.map((m) => m.trainLoss), r.metrics.map((m) => m.trainLoss));
    assert.deepEqual(q.probes.features, r.probes.features);
    assert.equal(q.featureRank, undefined);
    const mid = r.metrics[1];
    assert.deepEqual(Object.keys(mid.probes!.features!).sort(), ['linear', 'parity']);
    for (const f of Object.values(mid.probes!.features!)) assert.ok(f.error >= 0 && f.error <= 1);
    for (const k of [mid.featureRank!, r.featureRank!]) {
      assert.equal(k.units, 16);
      assert.equal(k.examples, 64);
      assert.ok(k.effective > 0 && k.effective <= 16 && k.numerical >= 1 && k.numerical <= 16 && k.pca90 >= 1, JSON.stringify(k));
    }
  });
});
