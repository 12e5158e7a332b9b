import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { fitLinearProbes, NonFiniteFeaturesError, type ProbeOptions } from '../experiments/probe/probe.ts';
import { gpu, assertClose } from './helpers.ts';
import { fitProbeRef, standardizeRef } from './reference/probe.ts';

/**
 * B feature sets of n examples × d features and T targets: Gaussian features with unequal
 * scales and offsets, one constant feature (exercises the std floor), labels from noisy linear
 * (or, for C > 2, argmax of noisy linear) scores so the regularized optimum is interior.
 */
function makeProblem(seed: number, b: number, n: number, d: number, t: number, classes: number) {
  const rng = new E.Rng(seed);
  const x = new Float32Array(b * n * d);
  const labels: number[][] = Array.from({ length: t }, () => new Array<number>(n).fill(0));
  const dirs = Array.from({ length: t * classes }, () => rng.normal(d));
  const noise = rng.normal(b * n * t * classes, 0, 1.5);
  for (let bi = 0; bi < b; bi++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[(bi * n + i) * d + j] = j === d - 1 ? 2.5 : (1 + j) * rng.normal(1)[0] + j;
    }
  }
  // Labels come from feature set 0 so that every set has the same targets.
  for (let tt = 0; tt < t; tt++) {
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < Math.max(classes, 2); c++) {
        let s = noise[(i * t + tt) * classes + (c % classes)];
        if (classes === 2 && c === 0) s = 0;
        for (let j = 0; j < d - 1; j++) s += (dirs[tt * classes + (c % classes)][j] * (x[i * d + j] - j)) / (1 + j);
        if (s > bestScore) [best, bestScore] = [c, s];
      }
      labels[tt][i] = best;
    }
  }
  return { x, labels };
}

interface Case {
  name: string;
  b: number;
  t: number;
  d: number;
  classes: number;
  opts: ProbeOptions;
  k: number;
}

async function compareWithReference(c: Case): Promise<void> {
  const nFit = 240;
  const nTest = 160;
  const fit = makeProblem(11, c.b, nFit, c.d, c.t, c.classes);
  const test = makeProblem(12, c.b, nTest, c.d, c.t, c.classes);
  const res = await fitLinearProbes(
    { x: E.tensor(fit.x, [c.b, nFit, c.d]), labels: fit.labels },
    { x: E.tensor(test.x, [c.b, nTest, c.d]), labels: test.labels },
    c.opts,
  );
  assert.ok(res.converged, `${c.name}: solver ${res.solver} did not converge in ${res.iterations} iterations`);
  for (let bi = 0; bi < c.b; bi++) {
    const slice = (a: Float32Array, n: number) => Float64Array.from(a.subarray(bi * n * c.d, (bi + 1) * n * c.d));
    const [zf, zt] = standardizeRef(slice(fit.x, nFit), nFit, c.d, [{ x: slice(test.x, nTest), n: nTest }]);
    for (let tt = 0; tt < c.t; tt++) {
      const ref = fitProbeRef(zf, fit.labels[tt], nFit, c.d + 1, c.k, c.opts.l2, { z: zt, y: test.labels[tt], n: nTest });
      const what = `${c.name} set ${bi} target ${tt}`;
      // Accuracies are f32 fractions: compare the counts of correct predictions.
      assert.equal(Math.round(res.fitAccuracy[bi][tt] * nFit), Math.round(ref.fitAccuracy * nFit), `${what}: fit accuracy`);
      assert.equal(Math.round(res.testAccuracy[bi][tt] * nTest), Math.round(ref.testAccuracy * nTest), `${what}: test accuracy`);
      assertClose([res.objective[bi][tt]], [ref.objective], 1e-5, `${what}: objective`);
      assertClose(res.weights[bi][tt], ref.w, 1e-3, `${what}: weights`, 1e-2);
    }
  }
}

describe('linear probes on the GPU against a float64 Newton reference', () => {
  before(gpu);

  const cases: Case[] = [
    { name: 'binary, Newton, 2 feature sets × 2 targets', b: 2, t: 2, d: 6, classes: 2, k: 1, opts: { l2: 1e-3, solver: 'newton' } },
    { name: 'multinomial (3 classes), Newton', b: 2, t: 1, d: 5, classes: 3, k: 3, opts: { l2: 1e-3, solver: 'newton' } },
    { name: 'two classes as a 2-way softmax (multinomial: true), Newton', b: 1, t: 1, d: 5, classes: 2, k: 2, opts: { l2: 1e-2, multinomial: true } },
    { name: 'binary, accelerated gradient descent', b: 2, t: 2, d: 6, classes: 2, k: 1, opts: { l2: 1e-2, solver: 'gd', tol: 1e-6 } },
    { name: 'multinomial (3 classes), accelerated gradient descent', b: 1, t: 1, d: 5, classes: 3, k: 3, opts: { l2: 1e-2, solver: 'gd', tol: 1e-6 } },
  ];
  for (const c of cases) {
    it(`${c.name}: accuracies equal, objective and weights match`, async () => {
      await compareWithReference(c);
    });
  }

  it('recovers a planted linear feature and finds nothing in random labels', async () => {
    const n = 800;
    const d = 20;
    const rng = new E.Rng(5);
    const planted = rng.normal(d);
    const make = (count: number) => {
      const x = rng.normal(count * d);
      const yPlanted = new Array<number>(count);
      const yRandom = new Array<number>(count);
      for (let i = 0; i < count; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += planted[j] * x[i * d + j];
        yPlanted[i] = s > 0 ? 1 : 0;
        yRandom[i] = rng.next() < 0.5 ? 1 : 0;
      }
      return { x: E.tensor(x, [count, d]), labels: [yPlanted, yRandom] };
    };
    const res = await fitLinearProbes(make(n), make(n), { l2: 1 / n });
    assert.equal(res.solver, 'newton');
    assert.ok(res.testAccuracy[0][0] >= 0.95, `planted feature: test accuracy ${res.testAccuracy[0][0]}`);
    assert.ok(Math.abs(res.testAccuracy[0][1] - 0.5) < 0.07, `random labels: test accuracy ${res.testAccuracy[0][1]}`);
    // The weight direction (standardized ≈ raw space here: unit-variance features) is the planted one.
    const w = res.weights[0][0].subarray(0, d);
    let dot = 0, nw = 0, np = 0;
    for (let j = 0; j < d; j++) {
      dot += w[j] * planted[j];
      nw += w[j] ** 2;
      np += planted[j] ** 2;
    }
    const cos = dot / Math.sqrt(nw * np);
    assert.ok(cos > 0.97, `cosine(probe weights, planted direction) = ${cos}`);
  });

  it("'auto' switches to gradient descent for wide features and still converges", async () => {
    const n = 96;
    const d = 300;
    const rng = new E.Rng(9);
    const x = rng.normal(n * d);
    const y = Array.from({ length: n }, (_, i) => (x[i * d] + x[i * d + 1] > 0 ? 1 : 0));
    const res = await fitLinearProbes({ x: E.tensor(x, [n, d]), labels: [y] }, null, { l2: 0.05 });
    assert.equal(res.solver, 'gd');
    assert.ok(res.converged, `gd did not converge in ${res.iterations} iterations`);
    assert.equal(res.fitAccuracy[0][0], 1);
    assert.ok(Number.isNaN(res.testAccuracy[0][0]), 'no test set: NaN test accuracy');
  });

  it('bad inputs are refused with the shapes and labels named', async () => {
    const x = E.tensor(new Float32Array(12), [4, 3]);
    await assert.rejects(fitLinearProbes({ x, labels: [[0, 1, 0]] }, null, { l2: 0.1 }), /fitLinearProbes: fit target 0 has 3 labels for 4 examples/);
    await assert.rejects(fitLinearProbes({ x, labels: [[0, 1, 0, 2]] }, null, { l2: 0.1, classes: 2 }), /fit target 0 label 3 is 2, expected an integer in \[0, 2\)/);
    await assert.rejects(fitLinearProbes({ x, labels: [[0, 1, 0, 1]] }, { x: E.tensor(new Float32Array(8), [4, 2]), labels: [[0, 1, 0, 1]] }, { l2: 0.1 }),
      /test features \[4,2\] do not match fit features \[4,3\]/);
    await assert.rejects(fitLinearProbes({ x, labels: [[0, 1, 0, 1]] }, null, { l2: 0 }), /l2 must be a finite number > 0, got 0/);
    await assert.rejects(fitLinearProbes({ x: E.tensor(new Float32Array(4), [4]), labels: [[0, 1, 0, 1]] }, null, { l2: 0.1 }), /features must be \[n, d\] or \[B, n, d\], got \[4\]/);
  });

  it('says converged only when the tolerance was met: a float32 stall is not convergence', async () => {
    const n = 200;
    const rng = new E.Rng(3);
    const x = rng.normal(n * 4);
    const y = Array.from({ length: n }, (_, i) => (x[i * 4] + 0.5 * rng.normal(1)[0] > 0 ? 1 : 0));
    const fit = () => ({ x: E.tensor(x, [n, 4]), labels: [y] });
    const met = await fitLinearProbes(fit(), null, { l2: 0.01, solver: 'newton' });
    assert.ok(met.converged, `Newton at its default tolerance: ${met.iterations} iterations`);
    // 1e-13 is below what float32 gradients resolve: Newton stops at the stall, unconverged.
    const stalled = await fitLinearProbes(fit(), null, { l2: 0.01, solver: 'newton', tol: 1e-13 });
    assert.equal(stalled.converged, false);
    assert.ok(stalled.iterations < 50, `stopped at the stall, not at maxIter (${stalled.iterations})`);
    const gd = await fitLinearProbes(fit(), null, { l2: 0.01, solver: 'gd', tol: 1e-13, maxIter: 100 });
    assert.equal(gd.converged, false);
  });

  it('non-finite features (a diverged network) are refused, never fitted as converged', async () => {
    for (const bad of [NaN, Infinity]) {
      for (const solver of ['newton', 'gd'] as const) {
        const x = new E.Rng(4).normal(64 * 3);
        x[17] = bad;
        const y = Array.from({ length: 64 }, (_, i) => i % 2);
        await assert.rejects(
          fitLinearProbes({ x: E.tensor(x, [64, 3]), labels: [y] }, null, { l2: 0.1, solver }),
          (e: Error) => e instanceof NonFiniteFeaturesError && /fitLinearProbes: the fit features \[1,64,3\] of set 0 hold non-finite values/.test(e.message),
        );
        await assert.rejects(
          fitLinearProbes({ x: E.tensor(new E.Rng(5).normal(64 * 3), [64, 3]), labels: [y] }, { x: E.tensor(x, [64, 3]), labels: [y] }, { l2: 0.1, solver }),
          /the test features \[1,64,3\] of set 0 hold non-finite values/,
        );
      }
    }
  });
});

