import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from '../engine/index.ts';
import { SGD, SAM } from '../engine/optim/index.ts';
import { gpu, assertClose } from './helpers.ts';
import { makeConfig, METHODS, type Method, type ToyConfig } from '../experiments/toy/config.ts';
import { makeProbeSet, makeTrainSet, slabClass } from '../experiments/toy/data.ts';
import { ToyNet } from '../experiments/toy/model.ts';
import { phantomDescentGrad, probeSchedule, recordSchedule } from '../experiments/toy/train.ts';
import { runPlans } from '../experiments/toy/runner.ts';
import { summarize, type RunRecord } from '../experiments/toy/summary.ts';
import { figures, indexHtml } from '../experiments/toy/report.ts';
import { gini, lorenz } from '../experiments/metrics.ts';
import { lineChart } from '../experiments/svg.ts';
import { writeFileAtomic } from '../experiments/io.node.ts';
import { forwardRef, toyGradRef } from './reference/toy.ts';

const cfg = makeConfig();
const D = cfg.data.easy.dim + cfg.data.hard.dim;

/** Column j of a row-major [n, D] set. */
const col = (x: Float32Array, n: number, j: number) => Array.from({ length: n }, (_, i) => x[i * D + j]);
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => {
  const m = mean(v);
  return Math.sqrt(mean(v.map((x) => (x - m) ** 2)));
};
function corr(a: number[], b: number[]): number {
  const ma = mean(a), mb = mean(b);
  let s = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) {
    s += (a[i] - ma) * (b[i] - mb);
    sa += (a[i] - ma) ** 2;
    sb += (b[i] - mb) ** 2;
  }
  return s / Math.sqrt(sa * sb);
}
/** Mean of N(μ, σ²) conditioned on ≥ m. */
function truncatedMean(mu: number, sigma: number, m: number): number {
  const a = (m - mu) / sigma;
  const pdf = Math.exp(-a * a / 2) / Math.sqrt(2 * Math.PI);
  const erfc = (z: number) => { // Abramowitz–Stegun 7.1.26
    const t = 1 / (1 + 0.3275911 * Math.abs(z));
    const y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z);
    return z >= 0 ? y : 2 - y;
  };
  return mu + sigma * pdf / (0.5 * erfc(a / Math.SQRT2));
}

describe('toy data generator', () => {
  const n = 4000;
  const big = makeConfig({ data: { n } }).data;
  const train = makeTrainSet(big, 3);
  const e0 = col(train.x, n, 0);
  const h0 = col(train.x, n, cfg.data.easy.dim);
  const y = Array.from(train.y);

  it('training labels are exactly balanced and both features predict them perfectly, with their minimum margins', () => {
    assert.equal(y.filter((v) => v === 1).length, n / 2);
    assert.equal(y.filter((v) => v === -1).length, n / 2);
    const marginE = Math.min(...e0.map((v, i) => v * y[i]));
    const marginH = Math.min(...h0.map((v, i) => v * y[i]));
    assert.ok(marginE >= big.easy.minMargin!, `easy margin ${marginE}`);
    assert.ok(marginH >= big.hard.minMargin! && marginH < big.hard.minMargin! + 0.05, `hard margin ${marginH}`);
    assert.equal(corr(e0.map(Math.sign), h0.map(Math.sign)), 1, 'the two features agree in sign on every example');
    assert.ok(corr(e0, y) > 0.99 && corr(h0, y) > 0.5 && corr(h0, y) < 0.9, `corr(x_easy, y) ${corr(e0, y)}, corr(x_hard, y) ${corr(h0, y)}`);
  });

  it('signal means follow the (truncated) Gaussians and noise coordinates are N(0, std²)', () => {
    const se = 4 / Math.sqrt(n);
    const sig = (v: number[]) => mean(v.map((x, i) => x * y[i]));
    assert.ok(Math.abs(sig(e0) - truncatedMean(3, 0.3, 0.5)) < 0.3 * se, `easy signal mean ${sig(e0)}`);
    assert.ok(Math.abs(sig(h0) - truncatedMean(1, 1, 0.1)) < se, `hard signal mean ${sig(h0)} vs ${truncatedMean(1, 1, 0.1)}`);
    const noise = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => col(train.x, n, from + k)).flat();
    const ne = noise(1, cfg.data.easy.dim);
    const nh = noise(cfg.data.easy.dim + 1, D);
    assert.ok(Math.abs(mean(ne)) < 0.3 * se && Math.abs(std(ne) - 0.3) < 0.01, `easy noise mean ${mean(ne)} std ${std(ne)}`);
    assert.ok(Math.abs(mean(nh)) < se && Math.abs(std(nh) - 1) < 0.01, `hard noise mean ${mean(nh)} std ${std(nh)}`);
  });

  it('the probe set decorrelates the features: independent balanced labels, each feature tracks only its own', () => {
    const p = makeProbeSet(big, n, 3, 'fit');
    const ye = Array.from(p.yEasy), yh = Array.from(p.yHard);
    for (const [e, h] of [[1, 1], [1, -1], [-1, 1], [-1, -1]]) {
      assert.equal(ye.filter((v, i) => v === e && yh[i] === h).length, n / 4, `group (${e}, ${h})`);
    }
    assert.equal(corr(ye, yh), 0);
    const pe = col(p.x, n, 0), ph = col(p.x, n, cfg.data.easy.dim);
    assert.ok(corr(pe, ye) > 0.99 && corr(ph, yh) > 0.5, 'each feature carries its own label');
    assert.ok(Math.abs(corr(pe, yh)) < 3 / Math.sqrt(n) && Math.abs(corr(ph, ye)) < 3 / Math.sqrt(n), `cross-correlations ${corr(pe, yh)}, ${corr(ph, ye)}`);
    const other = makeProbeSet(big, n, 3, 'test');
    assert.notDeepEqual(other.x.subarray(0, 10), p.x.subarray(0, 10), 'fit and test probe sets are different draws');
  });

  it('fraction < 1: exactly that share carries the feature, the rest carry no label information', () => {
    const c = makeConfig({ data: { n, hard: { fraction: 0.6 } } }).data;
    const t = makeTrainSet(c, 5);
    const h = col(t.x, n, c.easy.dim);
    const carriers = [...t.carriesHard].reduce((a, b) => a + b, 0);
    assert.equal(carriers, 0.6 * n);
    const on = h.filter((_, i) => t.carriesHard[i]), yOn = Array.from(t.y).filter((_, i) => t.carriesHard[i]);
    const off = h.filter((_, i) => !t.carriesHard[i]), yOff = Array.from(t.y).filter((_, i) => !t.carriesHard[i]);
    assert.ok(Math.min(...on.map((v, i) => v * yOn[i])) >= c.hard.minMargin!);
    assert.ok(Math.abs(corr(off, yOff)) < 4 / Math.sqrt(off.length), `non-carriers: corr ${corr(off, yOff)}`);
  });

  it('slab features: each value lies inside a slab of its class, away from the slab edges; the centre slab is +1', () => {
    const c = makeConfig({ data: { n: 1000, hard: { kind: 'slab', mean: 1, slabs: 5, minMargin: 0.1 } } }).data;
    const t = makeTrainSet(c, 2);
    const width = 2 / 5;
    assert.equal(slabClass(2, 5), 1);
    assert.deepEqual([0, 1, 2, 3, 4].map((k) => slabClass(k, 5)), [1, -1, 1, -1, 1]);
    for (let i = 0; i < t.n; i++) {
      const s = t.x[i * D + c.easy.dim];
      const k = Math.floor((s + 1) / width);
      const inSlab = (s + 1) / width - k;
      assert.equal(slabClass(k, 5), t.y[i], `example ${i}: x = ${s} in slab ${k}`);
      assert.ok(inSlab >= 0.1 - 1e-6 && inSlab <= 0.9 + 1e-6, `example ${i}: ${inSlab} of the way into its slab`);
    }
  });

  it('a seed gives the same data, another seed other data; bad configs are refused naming the field', () => {
    assert.deepEqual(makeTrainSet(cfg.data, 7).x, makeTrainSet(cfg.data, 7).x);
    assert.notDeepEqual(makeTrainSet(cfg.data, 7).x.subarray(0, 20), makeTrainSet(cfg.data, 8).x.subarray(0, 20));
    assert.throws(() => makeTrainSet(makeConfig({ data: { hard: { slabs: 4, kind: 'slab' } } }).data, 0), /toy data: hard.slabs must be an odd integer ≥ 3/);
    assert.throws(() => makeTrainSet(makeConfig({ data: { easy: { fraction: 1.5 } } }).data, 0), /toy data: easy.fraction must be in \[0, 1\]/);
    assert.throws(() => makeTrainSet(makeConfig({ data: { n: 7 } }).data, 0), /toy data: n must be an even integer ≥ 2, got 7/);
  });
});

describe('Lorenz curves and the Gini coefficient', () => {
  it('uniform weights give the diagonal and Gini 0; one heavy example 1 − 1/n; [1, 2, 3, 4] gives 0.25', () => {
    const l = lorenz([2, 2, 2, 2]);
    assertClose(l.y, [0, 0.25, 0.5, 0.75, 1], 1e-12, 'uniform Lorenz');
    assert.ok(Math.abs(gini([2, 2, 2, 2])) < 1e-12);
    assert.ok(Math.abs(gini([0, 0, 0, 0, 5]) - 0.8) < 1e-12);
    assert.ok(Math.abs(gini([3, 1, 4, 2]) - 0.25) < 1e-12);
    assertClose(lorenz([3, 1, 4, 2]).y, [0, 0.1, 0.3, 0.6, 1], 1e-12, 'Lorenz of [1, 2, 3, 4]');
  });

  it('downsampled curves interpolate the exact one; negative or NaN weights are refused', () => {
    const w = Array.from({ length: 10 }, (_, i) => (i * 7) % 10 + 1);
    const full = lorenz(w);
    const half = lorenz(w, 6);
    assertClose(half.y, [0, 2, 4, 6, 8, 10].map((k) => full.y[k]), 1e-12, 'downsampled at exact points');
    assert.throws(() => gini([1, -1]), /gini: weight 1 is -1/);
    assert.throws(() => lorenz([1, NaN]), /lorenz: weight 1 is NaN/);
    assert.throws(() => lorenz([1, 2], 1), /points must be an integer ≥ 2/);
  });
});

describe('toy model and the disentangling variants (tiny case against float64)', () => {
  before(gpu);
  const shape = { easyDim: 2, hardDim: 3, easyUnits: 2, hardUnits: 3 };
  const n = 7;
  const d = 5;
  const rng = new E.Rng(11);
  const X = rng.normal(n * d);
  const Y = Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1));
  const LAMT = rng.uniform(n, 0.05, 0.95);
  const HEADT = rng.normal(5, 0.3, 0.5);

  async function params64(m: ToyNet) {
    return {
      w: Float64Array.from(await m.extractor.weight.read()),
      mask: m.extractor.mask ? Float64Array.from(await m.extractor.mask.read()) : null,
      v: Float64Array.from(await m.head.weight.read()),
    };
  }

  it('the branch extractor is block-diagonal and stays so under SGD and SAM; LSAM perturbs only the last layer', async () => {
    const m = new ToyNet('branch', shape, new E.Rng(1));
    const x = E.tensor(X, [n, d]);
    const y = E.tensor(Y, [n, 1]);
    const sam = new SAM(m, new SGD(m.parameters(), { lr: 0.5 }), { rho: 1 });
    for (let s = 0; s < 3; s++) sam.step(() => { const l = E.logisticLoss(m.forward(x), y); E.backward(l); return l; }).dispose();
    const { w, mask } = await params64(m);
    const offBlock = [...w].filter((v, i) => mask![i] === 0);
    assert.equal(offBlock.length, 2 * 3 + 3 * 2);
    assert.ok(offBlock.every((v) => v === 0), 'off-block weights stay exactly 0');
    const m2 = new ToyNet('branch', shape, new E.Rng(1));
    assert.deepEqual(new SAM(m2, new SGD(m2.parameters(), { lr: 0.1 }), { rho: 1, perturb: 'last' }).perturbed, ['head.weight']);
    assert.deepEqual(m.headSplit, { easy: [0, 2], hard: [2, 5] });
  });

  const variants: [Method, boolean, boolean][] = [
    ['phantom-weights', true, false],
    ['phantom-head', false, true],
    ['phantom-both', true, true],
  ];
  for (const structure of ['branch', 'mlp'] as const) {
    for (const [method, reweight, swapHead] of variants) {
      it(`${method} (${structure}): gradients are −(1/n)Σ ${reweight ? 'λ̃ᵢ' : 'λᵢ'} yᵢ ∇f with the extractor's gradient through ${swapHead ? 'ṽ' : 'v'}`, async () => {
        const m = new ToyNet(structure, shape, new E.Rng(2));
        const x = E.tensor(X, [n, d]);
        const y = E.tensor(Y, [n, 1]);
        E.scope(() => phantomDescentGrad(m, method, x, y, E.tensor(LAMT, [n, 1]), E.tensor(HEADT, [1, 5])));
        const ref = toyGradRef(await params64(m), Float64Array.from(X), Y, n, d, reweight ? Float64Array.from(LAMT) : null, swapHead ? Float64Array.from(HEADT) : null);
        assertClose(await m.extractor.weight.grad!.read(), ref.w, 1e-5, `${method} ∂W`, 1e-2);
        assertClose(await m.head.weight.grad!.read(), ref.v, 1e-5, `${method} ∂v`, 1e-2);
      });
    }
  }

  it('the head-swapped forward has the value of the plain forward; sgd is not a phantom variant', async () => {
    const m = new ToyNet('branch', shape, new E.Rng(3));
    const x = E.tensor(X, [n, d]);
    const f = await E.noGrad(() => m.forward(x)).read();
    const s = await E.noGrad(() => m.forwardWithHeadForExtractor(x, E.tensor(HEADT, [1, 5]))).read();
    assertClose(s, f, 1e-6, 'value');
    assertClose(f, forwardRef(await params64(m), Float64Array.from(X), n, d).f, 1e-5, 'forward vs float64', 1e-2);
    assert.throws(() => phantomDescentGrad(m, 'sgd', x, E.tensor(Y, [n, 1]), E.tensor(LAMT, [n, 1]), E.tensor(HEADT, [1, 5])), /'sgd' is not a phantom-\* variant/);
  });

  it('record and probe schedules: dense first steps, then every k, always the last step', () => {
    assert.deepEqual(recordSchedule(23, 5, 3), [0, 1, 2, 3, 8, 13, 18, 23]);
    assert.deepEqual(recordSchedule(10, 4, 0), [0, 4, 8, 10]);
    assert.deepEqual(probeSchedule(100, [50, 10, 500, 10]), [0, 10, 50, 100]);
    assert.throws(() => recordSchedule(10, 0, 0), /recordEvery must be an integer ≥ 1/);
  });
});

describe('the effect over 5 seeds (branch model, 300 steps, GPU)', () => {
  // Fewer steps than `npm run toy` (1000): the hard-probe gap is in place by step ~100 and the
  // within-checkpoint claims are checked at every recorded step after the first rapid fall of the loss.
  const STEPS = 300;
  const FROM = 20;
  const seeds = [0, 1, 2, 3, 4];
  const c: ToyConfig = makeConfig({ train: { steps: STEPS, probeAt: [STEPS], lorenzAt: [] }, plans: [{ structure: 'branch', methods: ['sgd', 'sam', 'lsam'], seeds }] });
  let recs: RunRecord[] = [];
  const of = (m: Method) => seeds.map((s) => recs.find((r) => r.method === m && r.seed === s)!);

  before(async () => {
    await gpu();
    recs = await runPlans(c);
  });

  for (const m of ['sam', 'lsam'] as const) {
    it(`${m}'s hard-feature probe accuracy exceeds SGD's on every seed while the easy one stays ≥ 0.99`, () => {
      const sgd = of('sgd');
      const mine = of(m);
      const table = seeds.map((s) => `seed ${s}: SGD ${sgd[s].final.probeHard.toFixed(3)} vs ${mine[s].final.probeHard.toFixed(3)}`).join('; ');
      for (const s of seeds) {
        assert.ok(mine[s].final.probeHard > sgd[s].final.probeHard, `hard probe: ${table}`);
        assert.ok(mine[s].final.probeEasy >= 0.99 && sgd[s].final.probeEasy >= 0.99, `easy probe seed ${s}: ${mine[s].final.probeEasy}, SGD ${sgd[s].final.probeEasy}`);
      }
    });

    it(`${m}: at the same checkpoint Gini(λ̃ at θ̃) < Gini(λ at θ), every recorded step ≥ ${FROM}, every seed`, () => {
      for (const r of of(m)) {
        const bad = r.steps.map((s, i) => [s, r.gini[i], r.giniPhantom[i]]).filter(([s, g, gp]) => s >= FROM && !(gp < g));
        assert.deepEqual(bad, [], `seed ${r.seed}: [step, Gini λ, Gini λ̃] where λ̃ is not more uniform`);
      }
    });
  }

  it(`LSAM: the phantom ratio ‖ṽ_hard‖/‖ṽ_easy‖ exceeds the real one at every recorded step ≥ ${FROM}, every seed`, () => {
    for (const r of of('lsam')) {
      const bad = r.steps.map((s, i) => [s, r.ratio![i], r.ratioPhantom![i]]).filter(([s, v, vp]) => s >= FROM && !(vp > v));
      assert.deepEqual(bad, [], `seed ${r.seed}: [step, real, phantom] ratios`);
    }
  });

  it('matched-loss points are the first recorded step at or below each level', () => {
    for (const r of recs) {
      r.matched.forEach((m, k) => {
        const level = c.train.matchedLoss[k];
        const first = r.loss.findIndex((l) => l <= level);
        if (first < 0) return assert.equal(m, null);
        assert.equal(m!.step, r.steps[first]);
        assert.ok(m!.loss <= level && (first === 0 || r.loss[first - 1] > level));
      });
    }
  });
});

describe('toy report: a tiny end-to-end run of every method and both structures', () => {
  before(gpu);

  it('gives finite records, SVG figures with no NaN, a page that shows them, and atomic files', async () => {
    const c = makeConfig({
      train: { steps: 12, recordEvery: 4, recordDenseUntil: 2, probeAt: [12], lorenzAt: [4], matchedLoss: [0.3, 1e-9] },
      plans: [{ structure: 'branch', methods: [...METHODS], seeds: [0] }, { structure: 'mlp', methods: ['sgd', 'sam'], seeds: [0] }],
    });
    const recs = await runPlans(c);
    assert.equal(recs.length, 8);
    for (const r of recs) {
      const finite = [...r.loss, ...r.lossPhantom, ...r.gini, ...r.giniPhantom, ...r.head.all, ...r.headPhantom.all, ...r.probe.hard, ...r.probe.easy];
      assert.ok(finite.every(Number.isFinite), `${r.structure}/${r.method}: non-finite measurement`);
      assert.deepEqual(r.steps, [0, 1, 2, 6, 10, 12]);
      assert.equal(r.matched[1], null, 'an unreachable loss level is reported as null');
      if (r.structure === 'branch') assert.equal(r.effectiveLr!.used, r.method === 'sgd' || r.method === 'phantom-weights' ? 'real' : 'phantom');
      else assert.equal(r.ratio, null);
    }
    const rows = summarize(recs, c.train.matchedLoss);
    assert.equal(rows.find((r) => r.method === 'sam' && r.structure === 'branch')!.shareOfSamGain, 1);
    const figs = figures(c, recs);
    assert.ok(figs.length >= 10);
    for (const f of figs) {
      assert.ok(f.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"') && f.svg.trimEnd().endsWith('</svg>'), f.file);
      assert.ok(!/NaN|undefined|Infinity/.test(f.svg), `${f.file} has a non-finite coordinate`);
    }
    const html = indexHtml(c, rows, figs, { wallSeconds: 1, device: 'test <device>', date: 'today' });
    for (const f of figs) assert.ok(html.includes(`src="${f.file}"`), `index.html shows ${f.file}`);
    assert.ok(html.includes('test &lt;device&gt;'), 'text is escaped');
    const dir = mkdtempSync(join(tmpdir(), 'toy-test-'));
    try {
      writeFileAtomic(join(dir, 'sub', 'index.html'), html);
      assert.equal(readFileSync(join(dir, 'sub', 'index.html'), 'utf8'), html);
      assert.deepEqual(readdirSync(join(dir, 'sub')), ['index.html'], 'no temporary file is left');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(!existsSync(join(dir, 'sub')));
  });

  it('line charts escape text, draw bands and log axes', () => {
    const svg = lineChart({
      title: 'a < b & c', xLabel: 'x', yLabel: 'y', xLog: true, yLog: true,
      series: [{ name: 's', color: '#000', points: [[1, 1], [10, 100]], band: [[1, 0.5, 2], [10, 50, 200]] }],
    });
    assert.ok(svg.includes('a &lt; b &amp; c') && svg.includes('<polygon') && svg.includes('>100<'));
  });
});
