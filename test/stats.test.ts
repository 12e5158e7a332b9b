// The statistics every claim is judged with: Student t (against SciPy), the paired interval and
// verdict (on synthetic studies whose answer is known), and the paired test's power.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Rng } from '../engine/random.ts';
import { tCdf, tQuantile, logGamma, normalCdf } from '../experiments/stats/t-distribution.ts';
import { paired, tInterval, verdict, formatInterval } from '../experiments/stats/paired.ts';
import { minimumDetectableEffect, pairedPower, seedsForPower } from '../experiments/stats/power.ts';
import { argmax, argmin, bootstrap, columnMeans, quantileSorted } from '../experiments/stats/bootstrap.ts';

const golden = JSON.parse(readFileSync(new URL('./fixtures/stats-golden.json', import.meta.url), 'utf8')) as Record<string, number[][]>;
const close = (a: number, e: number, rtol: number, what: string) => assert.ok(Math.abs(a - e) <= rtol * Math.max(Math.abs(e), 1e-300), `${what}: ${a} vs ${e}`);

/** Normal draws (Box–Muller) from the engine's seeded generator. */
function normals(rng: Rng, n: number, mean: number, sd: number): number[] {
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));
}

describe('statistics: Student t, paired intervals, verdicts, power', () => {
  it('t quantiles and CDF match SciPy to 1e-9, ln Γ and Φ their closed forms', () => {
    for (const [p, df, q] of golden.tQuantile) close(tQuantile(p, df), q, 1e-9, `tQuantile(${p}, ${df})`);
    for (const [t, df, c] of golden.tCdf) close(tCdf(t, df), c, 1e-9, `tCdf(${t}, ${df})`);
    close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-13, 'lnΓ(1/2)');
    close(logGamma(10), Math.log(362880), 1e-13, 'lnΓ(10)');
    close(normalCdf(-1.959963984540054), 0.025, 1e-10, 'Φ(−1.96)');
    close(normalCdf(-8), 6.22096057427178e-16, 1e-8, 'Φ(−8)');
  });

  it('the paired test\'s power matches SciPy\'s noncentral t to 1e-6; the detectable effect and seed count invert it', () => {
    for (const [n, delta, sd, p] of golden.power) close(pairedPower(n, delta, sd), p, 1e-6, `power(n=${n}, δ=${delta}, σ=${sd})`);
    const mde = minimumDetectableEffect(10, 1);
    close(pairedPower(10, mde, 1), 0.8, 1e-9, 'power at the MDE');
    const n = seedsForPower(0.5, 1);
    assert.ok(pairedPower(n, 0.5, 1) >= 0.8 && pairedPower(n - 1, 0.5, 1) < 0.8, `seedsForPower gave ${n}`);
  });

  it('an interval has the textbook value: [1, 2, 3, 4, 5] → 3 ± t(0.975, 4)·√2.5/√5', () => {
    const iv = tInterval([1, 2, 3, 4, 5]);
    const half = 2.7764451051977987 * Math.sqrt(2.5) / Math.sqrt(5);
    close(iv.lo, 3 - half, 1e-12, 'lo');
    close(iv.hi, 3 + half, 1e-12, 'hi');
    assert.equal(formatInterval(iv, 2), '+3.00 [+1.04, +4.96], n = 5');
    assert.throws(() => tInterval([1, NaN, 2]), /non-finite/);
  });

  it('pairs by seed, leaves unpaired seeds out and names them', () => {
    const c = paired(new Map([[0, 0.1], [1, 0.2], [2, 0.3], [7, 1]]), new Map([[0, 0.2], [1, 0.2], [2, 0.5], [9, 0]]));
    assert.deepEqual(c.seeds, [0, 1, 2]);
    assert.deepEqual(c.unpaired, [7, 9]);
    assert.deepEqual(c.differences.map((d) => +d.toFixed(12)), [-0.1, 0, -0.2]);
  });

  it('verdicts on synthetic studies with known answers and real spread: a true gain is supported, a true loss contradicted, no effect inconclusive', () => {
    const rng = new Rng(2024);
    const study = (mean: number, n: number) => tInterval(normals(rng, n, mean, 0.01));
    assert.equal(verdict(study(-0.02, 10), 'negative'), 'supported');
    assert.equal(verdict(study(+0.02, 10), 'negative'), 'contradicted');
    assert.equal(verdict(study(+0.02, 10), 'positive'), 'supported');
    // n < 3 is inconclusive whatever the effect
    assert.equal(verdict(tInterval([-1, -1.01]), 'negative'), 'inconclusive');
    assert.equal(verdict(tInterval([-1]), 'negative'), 'inconclusive');
    // Under no effect, about 5% of studies reach a non-inconclusive verdict, and the 95% interval
    // covers the true mean about 95% of the time (2,000 studies: ±1.5 points is > 3 standard errors).
    let decided = 0;
    let covered = 0;
    const studies = 2000;
    for (let i = 0; i < studies; i++) {
      const iv = study(0, 5);
      if (verdict(iv, 'negative') !== 'inconclusive') decided++;
      if (iv.lo <= 0 && 0 <= iv.hi) covered++;
    }
    assert.ok(Math.abs(decided / studies - 0.05) < 0.015, `false verdict rate ${decided / studies}`);
    assert.ok(Math.abs(covered / studies - 0.95) < 0.015, `coverage ${covered / studies}`);
    // With a true effect of 1 sd and 10 seeds, the share of supported verdicts is the power (0.80).
    let supported = 0;
    for (let i = 0; i < studies; i++) if (verdict(study(-0.01, 10), 'negative') === 'supported') supported++;
    assert.ok(Math.abs(supported / studies - pairedPower(10, 0.01, 0.01)) < 0.03, `supported ${supported / studies} vs power ${pairedPower(10, 0.01, 0.01)}`);
  });
});

describe('statistics: the seeded bootstrap over seeds', () => {
  const meanOf = (xs: number[]) => (idx: Int32Array) => Array.from(idx, (i) => xs[i]).reduce((a, b) => a + b, 0) / idx.length;

  it('resamples uniformly with replacement: the resampled means of [1, 2, 6] have the exact 27-point bootstrap distribution', () => {
    const xs = [1, 2, 6];
    // exact: each of the 3³ index triples is equally likely
    const exact = new Map<number, number>();
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) {
      const m = +((xs[a] + xs[b] + xs[c]) / 3).toFixed(9);
      exact.set(m, (exact.get(m) ?? 0) + 1 / 27);
    }
    const seen = new Map<number, number>();
    const B = 60000;
    let calls = 0;
    bootstrap(3, (idx) => {
      const m = +meanOf(xs)(idx).toFixed(9);
      // the first call is the estimate on the sample itself
      if (calls++ > 0) seen.set(m, (seen.get(m) ?? 0) + 1);
      return m;
    }, { resamples: B, seed: 3 });
    for (const [m, p] of exact) {
      const got = (seen.get(m) ?? 0) / B;
      assert.ok(Math.abs(got - p) < 4.5 * Math.sqrt((p * (1 - p)) / B) + 1e-4, `P(mean = ${m}): ${got} vs exact ${p}`);
    }
  });

  it('is deterministic for a seed, degenerate on a constant, and close to the t-interval of a mean on a large normal sample', () => {
    const rng = new Rng(7);
    const xs = normals(rng, 200, 2, 1);
    const a = bootstrap(xs.length, meanOf(xs), { resamples: 3000, seed: 11 });
    const b = bootstrap(xs.length, meanOf(xs), { resamples: 3000, seed: 11 });
    assert.deepEqual(a, b);
    const t = tInterval(xs);
    close(a.estimate, t.mean, 1e-12, 'estimate');
    // percentile and t widths agree to a few percent at n = 200
    assert.ok(Math.abs((a.hi - a.lo) / (t.hi - t.lo) - 1) < 0.1, `bootstrap [${a.lo}, ${a.hi}] vs t [${t.lo}, ${t.hi}]`);
    const c = bootstrap(5, () => 0.25, { resamples: 100 });
    assert.equal(c.lo, 0.25);
    assert.equal(c.hi, 0.25);
    const one = bootstrap(1, meanOf([3]));
    assert.equal(one.estimate, 3);
    assert.ok(Number.isNaN(one.lo) && Number.isNaN(one.hi), 'one unit: no interval');
    assert.throws(() => bootstrap(3, meanOf([1, 2, 3]), { level: 1 }), /level/);
  });

  it('an argmax difference whose every seed agrees has a degenerate interval at the true value; quantiles interpolate like NumPy', () => {
    // rows: seeds; columns: a grid of 5 points; accuracy peaks at column 1 and error bottoms at column 3 for every seed
    const acc = [[0.9, 0.95, 0.93, 0.9, 0.8], [0.91, 0.96, 0.92, 0.9, 0.7], [0.9, 0.97, 0.95, 0.91, 0.8], [0.88, 0.94, 0.9, 0.89, 0.85]];
    const err = [[0.4, 0.35, 0.3, 0.2, 0.25], [0.42, 0.3, 0.29, 0.22, 0.3], [0.41, 0.36, 0.3, 0.25, 0.26], [0.38, 0.3, 0.28, 0.21, 0.4]];
    const r = bootstrap(4, (idx) => argmin(columnMeans(err, idx)) - argmax(columnMeans(acc, idx)), { resamples: 2000, seed: 1 });
    assert.equal(r.estimate, 2);
    assert.equal(r.lo, 2);
    assert.equal(r.hi, 2);
    assert.equal(argmax([NaN, 1, 3, 3]), 2);
    assert.equal(argmin([2, NaN, 1, 1]), 2);
    assert.equal(argmax([NaN]), -1);
    assert.deepEqual(columnMeans([[1, NaN], [3, 4]], [0, 1, 1]), [7 / 3, 4]);
    // numpy.quantile([1, 2, 4, 8], [0.025, 0.5, 0.975]) = [1.075, 3.0, 7.7]
    const s = [1, 2, 4, 8];
    close(quantileSorted(s, 0.025), 1.075, 1e-12, 'q 0.025');
    close(quantileSorted(s, 0.5), 3, 1e-12, 'median');
    close(quantileSorted(s, 0.975), 7.7, 1e-12, 'q 0.975');
  });
});
