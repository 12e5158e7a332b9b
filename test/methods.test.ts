// Methods against simplicity bias (experiments/methods): each core step against a float64 CPU
// reference (spectral decoupling's gradient, group DRO's q update, loss and gradient, JTT's
// repeat counts and the upsampling sampler, USEFUL's 2-means, DFR's L1 logistic solver), the
// config's `method` field, and a tiny run of every method (with SGD and SAM), including a
// group-DRO resume that carries q.
import assert from 'node:assert/strict';
import { tensor } from '../engine/tensor.ts';
import { scope } from '../engine/scope.ts';
import { backward } from '../engine/autograd/backward.ts';
import { Rng } from '../engine/random.ts';
import { assertClose, gpu, rand } from './helpers.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { runExperiment } from '../experiments/runner/train.ts';
import type { Checkpoint, FinalResult } from '../experiments/runner/types.ts';
import { spectralDecouplingLoss } from '../experiments/methods/spectral-decoupling.ts';
import { GroupDro, groupMeanMatrix } from '../experiments/methods/group-dro.ts';
import { expandRepeats, jttRepeats } from '../experiments/methods/upsample.ts';
import { crossEntropyRows, twoMeans, usefulRepeats } from '../experiments/methods/useful.ts';
import { balanceWithin, deepFeatureReweighting } from '../experiments/methods/dfr.ts';
import { fistaL1Logistic, l1Objective, l1Residual } from '../experiments/probe/l1.ts';
import { logisticObjective } from '../experiments/probe/lbfgs.ts';
import { makeSampler } from '../experiments/runner/sampler.ts';
import { syntheticTwoFeature } from '../experiments/data/synthetic.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../experiments/runner/checkpoint.ts';
import type { TwoFeatureSplit } from '../experiments/data/types.ts';

/** Row softmax of [n, k] float64. */
function softmax64(z: ArrayLike<number>, n: number, k: number): Float64Array {
  const p = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let a = 0; a < k; a++) mx = Math.max(mx, z[i * k + a]);
    let s = 0;
    for (let a = 0; a < k; a++) s += (p[i * k + a] = Math.exp(z[i * k + a] - mx));
    for (let a = 0; a < k; a++) p[i * k + a] /= s;
  }
  return p;
}

describe('methods against simplicity bias', () => {
  describe('config', () => {
    it('defaults to no method (absent, so old run ids hold) and fills each method\'s published defaults', () => {
      assert.equal(validateConfig({}).method, undefined);
      assert.equal(validateConfig({ method: { name: 'none' } }).method, undefined);
      assert.deepEqual(validateConfig({ method: { name: 'sd' } }).method, { name: 'sd', lambda: 0.01 });
      assert.deepEqual(validateConfig({ method: { name: 'group-dro' } }).method, { name: 'group-dro', stepSize: 0.01 });
      assert.deepEqual(validateConfig({ method: { name: 'jtt' } }).method, { name: 'jtt', epochs: 1, upweight: 50 });
      assert.deepEqual(validateConfig({ method: { name: 'useful', epochs: 2 } }).method, { name: 'useful', fraction: 0.08, upweight: 2, epochs: 2 });
      assert.deepEqual(validateConfig({ method: { name: 'dfr' } }).method, { name: 'dfr', cGrid: [1, 0.7, 0.3, 0.1, 0.07, 0.03, 0.01], retrains: 20, tuneRetrains: 1 });
      assert.equal(validateConfig({ optimizer: { name: 'sam' }, method: { name: 'jtt', upweight: 5 } }).optimizer.name, 'sam');
    });

    it('rejects bad methods with the field and what was expected', () => {
      assert.throws(() => validateConfig({ method: 'sd' }), /config: method: expected an object \{name: 'none' \| 'sd'/);
      assert.throws(() => validateConfig({ method: { name: 'irm' } }), /config: method.name: expected one of 'none', 'sd', 'group-dro', 'jtt', 'useful', 'dfr', got "irm"/);
      assert.throws(() => validateConfig({ method: { name: 'sd', lambda: -1 } }), /config: method.lambda: expected a number > 0/);
      assert.throws(() => validateConfig({ method: { name: 'sd', stepSize: 0.1 } }), /config: method.stepSize: unknown field \(known: name, lambda\)/);
      assert.throws(() => validateConfig({ method: { name: 'group-dro', stepSize: 'big' } }), /config: method.stepSize: expected a number > 0 \(η_q\), got "big"/);
      assert.throws(() => validateConfig({ method: { name: 'jtt', upweight: 1.5 } }), /config: method.upweight: expected an integer >= 1/);
      assert.throws(() => validateConfig({ method: { name: 'useful', fraction: 1 } }), /config: method.fraction: expected a number in \(0, 1\)/);
      assert.throws(() => validateConfig({ method: { name: 'dfr', cGrid: [] } }), /config: method.cGrid: expected a non-empty list of numbers > 0/);
      assert.throws(() => validateConfig({ method: { name: 'none', lambda: 1 } }), /config: method.lambda: unknown field/);
      assert.throws(() => validateConfig({ steps: 10, method: { name: 'jtt' } }), /config: method.name: 'jtt' upsamples whole epochs: give epochs, not steps/);
      assert.throws(() => validateConfig({ batchSize: 64, microBatchSize: 16, method: { name: 'group-dro' } }), /config: microBatchSize: group DRO weights each group's mean loss over the whole batch/);
    });
  });

  describe('core steps vs float64 references', () => {
    before(async () => {
      await gpu();
    });

    it('spectral decoupling: loss and gradient CE + λ/2·mean‖z‖² match float64', async () => {
      const n = 6, k = 3, lambda = 0.3;
      const z = rand(n * k, 11, -2, 2);
      const y = Float32Array.from({ length: n }, (_, i) => i % k);
      const x = tensor(z, [n, k]);
      x.requiresGrad = true;
      const loss = scope(() => {
        const l = spectralDecouplingLoss(x, tensor(y, [n]), lambda);
        backward(l);
        return l;
      });
      const p = softmax64(z, n, k);
      const ce = crossEntropyRows(z, y, k);
      let ref = ce.reduce((a, b) => a + b, 0) / n;
      for (const v of z) ref += (lambda / (2 * n)) * v * v;
      const g = Float64Array.from({ length: n * k }, (_, q) => (p[q] - (q % k === y[Math.floor(q / k)] ? 1 : 0)) / n + (lambda * z[q]) / n);
      assertClose([await loss.item()], [ref], 1e-5, 'SD loss');
      assertClose(await x.grad!.read(), g, 1e-4, 'SD gradient');
      loss.dispose();
      x.dispose();
    });

    it('group DRO: q ← q·exp(η L_g)/Σ, loss Σ q_g L_g and its gradient match float64; the ascent pass leaves q alone', async () => {
      const n = 8, k = 3, eta = 0.5;
      const groupsOf = Int32Array.from([0, 2, 2, 5, 0, 5, 5, 2, 0, 2]); // training split: groups 0, 2, 5 (sparse ids)
      const idx = Int32Array.from([0, 1, 2, 3, 4, 6, 7, 8]); // this batch
      const z = rand(n * k, 5, -2, 2);
      const y = Float32Array.from({ length: n }, (_, i) => (i * 7) % k);
      const dro = new GroupDro(groupsOf, eta);
      assert.equal(dro.groups, 3);
      const dense = Array.from(idx, (i) => [0, 2, 5].indexOf(groupsOf[i]));
      const ce = crossEntropyRows(z, y, k);
      const count = [0, 0, 0];
      for (const d of dense) count[d]++;
      const L = [0, 0, 0];
      dense.forEach((d, r) => (L[d] += ce[r] / count[d]));
      const run = async (pass: 0 | 1) => {
        const x = tensor(z, [n, k]);
        x.requiresGrad = true;
        const l = scope(() => {
          const v = dro.loss(x, tensor(y, [n]), idx, pass);
          backward(v);
          return v;
        });
        const out = { loss: await l.item(), grad: await x.grad!.read(), q: await dro.state() };
        l.dispose();
        x.dispose();
        return out;
      };
      let q = [1 / 3, 1 / 3, 1 / 3].map((v, g) => v * Math.exp(eta * L[g]));
      const s = q.reduce((a, b) => a + b, 0);
      q = q.map((v) => v / s);
      const p = softmax64(z, n, k);
      const grad = Float64Array.from({ length: n * k }, (_, e) => {
        const r = Math.floor(e / k);
        return (q[dense[r]] / count[dense[r]]) * (p[e] - (e % k === y[r] ? 1 : 0));
      });
      const refLoss = L.reduce((a, v, g) => a + q[g] * v, 0);
      const first = await run(0);
      assertClose(first.q, q, 1e-5, 'q after the step');
      assertClose([first.loss], [refLoss], 1e-5, 'robust loss');
      assertClose(first.grad, grad, 1e-4, 'robust loss gradient');
      const second = await run(1); // SAM's second pass: same q, same loss
      assert.deepEqual(second.q, first.q, 'q after the ascent pass');
      assertClose([second.loss], [refLoss], 1e-5, 'ascent-pass loss');
      assert.deepEqual([...groupMeanMatrix([0, 1, 1], 2)], [1, 0, 0, 0.5, 0, 0.5]);
      // q is state: restore puts it back, and refuses a wrong length
      dro.restore(Float32Array.from([0.5, 0.25, 0.25]));
      assertClose(await dro.state(), [0.5, 0.25, 0.25], 1e-7, 'restored q');
      assert.throws(() => dro.restore(Float32Array.from([1, 0])), /group DRO: the checkpoint's q holds 2 weights .* this run has 3 training groups/);
      dro.dispose();
    });

    it('JTT: λ_up copies of the misclassified examples, and the sampler visits each example its count of times per epoch', () => {
      const counts = jttRepeats([0, 1, 1, 0, 2], [0, 0, 1, 1, 2], 4);
      assert.deepEqual([...counts], [1, 4, 1, 4, 1]);
      assert.deepEqual([...expandRepeats(Int32Array.from([2, 0, 1]))], [0, 0, 2]);
      const split = { n: 5 } as TwoFeatureSplit;
      const s = makeSampler('shuffle', split, 3, 7, counts);
      assert.equal(s.stepsPerEpoch, 4); // 11 examples in batches of 3
      for (const epoch of [0, 1]) {
        const seen = new Array(5).fill(0);
        for (let b = 0; b < s.stepsPerEpoch; b++) for (const i of s.indices(epoch, b, 0)) seen[i]++;
        assert.deepEqual(seen, [...counts], `epoch ${epoch}`);
      }
      assert.throws(() => makeSampler('shuffle', split, 3, 7, Int32Array.from([1, 1])), /sampler: 2 repeat counts for a training split of 5 examples/);
      assert.throws(() => jttRepeats([0], [0, 1], 3), /JTT: 1 predictions for 2 training examples/);
    });

    it('USEFUL: 2-means finds the optimal split of a small set (exhaustive float64 search), and the higher-loss cluster of each class is doubled', () => {
      // 1-D points: Lloyd's 2-means from the extreme points vs the best of all 2-partitions
      const pts = Float64Array.from([0.1, 0.15, 0.3, 0.32, 0.8, 0.85, 0.9, 0.2]);
      const assign = twoMeans(pts, 1, [0, 6]);
      const sse = (a: ArrayLike<number>) => [0, 1].reduce((tot, c) => {
        const xs = [...pts].filter((_, i) => a[i] === c);
        const m = xs.reduce((s, v) => s + v, 0) / Math.max(1, xs.length);
        return tot + xs.reduce((s, v) => s + (v - m) ** 2, 0);
      }, 0);
      let best = Infinity;
      for (let mask = 1; mask < (1 << pts.length) - 1; mask++) best = Math.min(best, sse(Array.from(pts, (_, i) => (mask >> i) & 1)));
      assertClose([sse(assign)], [best], 1e-12, 'within-cluster sum of squares');
      // class 0: four confident examples and two that the network gets wrong; class 1: all fit
      const logits = [4, 0, 4.2, 0, 3.9, 0, 4.1, 0, 0, 2, 0.1, 2.5, 0, 3, 0, 3.2, 0, 2.9, 0, 3.1];
      const y = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
      const { counts, upsampled } = usefulRepeats(logits, y, 2, 2);
      assert.deepEqual([...counts.subarray(0, 6)], [1, 1, 1, 1, 2, 2]);
      assert.ok(upsampled >= 2);
    });

    it('L1 logistic regression (FISTA) meets the KKT conditions and matches a float64 proximal-gradient reference', () => {
      const n = 60, d = 5, p = d + 1;
      const rng = new Rng(3);
      const z = new Float64Array(n * p);
      const y = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) z[i * p + j] = rng.next() * 2 - 1;
        z[i * p + d] = 1;
        y[i] = z[i * p] + 0.5 * z[i * p + 1] + 0.3 * (rng.next() - 0.5) > 0 ? 1 : 0;
      }
      for (const [k, yy] of [[1, y], [3, Int32Array.from(y, (v, i) => (v ? 1 + (i % 2) : 0))]] as const) {
        const pr = { z, n, p, y: yy, k, l1: 0.02 };
        const r = fistaL1Logistic(pr, { tol: 1e-8, maxIter: 100000 });
        assert.ok(r.converged, `FISTA converged (residual ${r.residual})`);
        // reference: plain ISTA with the fixed step 1/L, L = c·λmax bound (trace of ZᵀZ/n)
        let trace = 0;
        for (const v of z) trace += (v * v) / n;
        const step = 1 / ((k === 1 ? 0.25 : 0.5) * trace);
        let w = new Float64Array(p * k);
        const g = new Float64Array(p * k);
        for (let it = 0; it < 200000; it++) {
          logisticObjective({ z, n, p, y: yy, k, l2: 0 }, w, g);
          const next = w.map((v, q) => {
            const u = v - step * g[q];
            return q % p === p - 1 ? u : Math.sign(u) * Math.max(0, Math.abs(u) - step * pr.l1);
          });
          w = next;
          if (it % 1000 === 999 && l1Residual(pr, w, (logisticObjective({ z, n, p, y: yy, k, l2: 0 }, w, g), g)) < 1e-11) break;
        }
        assertClose(r.w, w, 1e-5, `FISTA vs ISTA weights (k = ${k})`, 1e-2);
        assertClose([r.objective], [l1Objective(pr, w)], 1e-9, `objective (k = ${k})`);
        // L1 makes the noise features' weights exactly 0
        assert.ok([...r.w].some((v, q) => q % p !== p - 1 && v === 0), 'some weights are exactly 0');
      }
    });

    it('DFR: balanced resampling, and on features where the hard label is linear the refit head has high worst-group accuracy', async () => {
      const rng = new Rng(1);
      const group = Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2, 3]);
      const bal = balanceWithin([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], group, rng);
      assert.equal(bal.length, 4);
      assert.deepEqual(bal.map((i) => group[i]), [0, 1, 2, 3]);
      // features [easy, hard, noise] as 1×1×3 "images"; y = hard label; held-out 90% correlated
      const make = (n: number, corr: number, seed: number): TwoFeatureSplit => {
        const r = new Rng(seed);
        const easy = new Int32Array(n), hard = new Int32Array(n);
        const images = new Float32Array(n * 3);
        for (let i = 0; i < n; i++) {
          hard[i] = i % 2;
          easy[i] = r.next() < corr ? hard[i] : 1 - hard[i];
          images[i * 3] = 3 * easy[i] + 0.2 * (r.next() - 0.5);
          images[i * 3 + 1] = 0.6 * hard[i] + 0.4 * (r.next() - 0.5);
          images[i * 3 + 2] = r.next();
        }
        return { split: 'val', n, shape: [3, 1, 1], images, y: hard, easy, hard, group: Int32Array.from(easy, (e, i) => e * 2 + hard[i]), decorrelated: corr === 0.5 };
      };
      const extractor = { train: () => undefined, features: (x: import('../engine/tensor.ts').Tensor) => x.view([x.shape[0], 3]) };
      const r = await deepFeatureReweighting(extractor, make(200, 0.9, 1), make(200, 0.5, 2), make(200, 0.9, 3), { name: 'dfr', cGrid: [1, 0.1, 0.01], retrains: 3, tuneRetrains: 2, seed: 0, classes: 2 });
      assert.ok(r.worstGroupAcc >= 0.9, `worst-group accuracy ${r.worstGroupAcc}`);
      assert.ok([1, 0.1, 0.01].includes(r.C));
      assert.equal(r.tuning.length, 3);
      assert.ok(r.converged);
      assert.ok(r.zeroWeights > 0, 'L1 zeroes the easy or noise weight');
    });
  });

  describe('tiny runs of every method', function () {
    this.timeout(600_000);
    const data = syntheticTwoFeature({ train: 64, val: 64, test: 64, size: 16, trainCorrelation: 0.8, seed: 4 });
    const base = { name: 'methods', seed: 1, dataset: { name: 'synthetic' }, optimizer: { lr: 0.05 }, epochs: 2, batchSize: 32, probe: { l2Grid: [0.1], untrained: false }, importance: { examples: 0 } };
    const run = (extra: Record<string, unknown>, hooks = {}) => runExperiment(validateConfig({ ...base, ...extra }), data, hooks);
    const finite = (r: FinalResult) => {
      for (const v of [r.testAcc, r.worstGroupAcc, r.inDistAcc, r.probes.hard.error, ...r.metrics.map((m) => m.trainLoss)]) assert.ok(Number.isFinite(v), `finite: ${v}`);
    };
    before(async () => {
      await gpu();
    });

    it('spectral decoupling and group DRO train with SGD and SAM; group DRO reports q', async () => {
      finite(await run({ method: { name: 'sd', lambda: 0.1 }, optimizer: { lr: 0.05, weightDecay: 0 } }));
      const r = await run({ method: { name: 'group-dro', stepSize: 0.1 }, optimizer: { name: 'sam', lr: 0.05 } });
      finite(r);
      assert.equal(r.groupDro!.q.length, 4);
      assertClose([r.groupDro!.q.reduce((a, b) => a + b, 0)], [1], 1e-5, 'q sums to 1');
    });

    it('a group-DRO run resumed from its epoch-1 checkpoint (through the file format) ends with the same q as the run without a break', async () => {
      let ck: Checkpoint | null = null;
      const cfg = { method: { name: 'group-dro', stepSize: 0.1 } };
      const full = await run(cfg, { onEpoch: async (m: { epoch: number }, capture: () => Promise<Checkpoint>) => void (m.epoch === 1 && (ck = await capture())) });
      assert.ok(ck);
      const cfgFull = validateConfig({ ...base, ...cfg });
      const back = decodeCheckpoint(encodeCheckpoint(ck!, cfgFull), 'ck').checkpoint;
      assert.equal(back.method!.groupDroQ!.length, 4);
      const resumed = await run(cfg, { resume: back });
      assertClose(resumed.groupDro!.q, full.groupDro!.q, 1e-6, 'q after resume');
      assert.equal(resumed.testAcc, full.testAcc);
      // a checkpoint without q cannot resume a group-DRO run
      await assert.rejects(run(cfg, { resume: { ...back, method: undefined } }), /method.groupDroQ: missing; a group-DRO run needs its group weights q/);
    });

    it('JTT and USEFUL run their identification stage and upsample; DFR reports its head\'s numbers beside the network\'s', async () => {
      const jtt = await run({ method: { name: 'jtt', epochs: 1, upweight: 3 }, optimizer: { name: 'sam', lr: 0.05 } });
      finite(jtt);
      const u = jtt.upsampling!;
      assert.equal(u.method, 'jtt');
      assert.equal(u.epochExamples, 64 + 2 * u.upsampled);
      const useful = await run({ method: { name: 'useful', epochs: 1 } });
      finite(useful);
      assert.ok(useful.upsampling!.upsampled > 0 && useful.upsampling!.upsampled < 64);
      const dfr = await run({ method: { name: 'dfr', cGrid: [1, 0.1], retrains: 2 } });
      finite(dfr);
      for (const v of [dfr.dfr!.testAcc, dfr.dfr!.worstGroupAcc, dfr.dfr!.inDistAcc]) assert.ok(v >= 0 && v <= 1);
      assert.ok([1, 0.1].includes(dfr.dfr!.C));
    });
  });
});
