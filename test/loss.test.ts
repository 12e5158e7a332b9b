import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import * as L from '../engine/ops/loss.ts';
import { gpu, pair, assertClose, assertTensorClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { Fixture } from './fixtures.ts';
import * as R from './reference/loss.ts';
import { nd, type Nd } from './reference/nd.ts';

const REDUCTIONS: R.Reduction[] = ['mean', 'sum', 'none'];

/** Integer labels in [0, c) as a GPU tensor and a plain array. */
function labelsFor(n: number, c: number, seed: number): [E.Tensor, number[]] {
  const l = Array.from({ length: n }, (_, i) => (i * 7 + seed * 3) % c);
  return [E.tensor(l, [n]), l];
}

function pm1(n: number, seed: number): [E.Tensor, Nd] {
  const v = Array.from({ length: n }, (_, i) => ((i * 5 + seed) % 3 === 0 ? -1 : 1));
  return [E.tensor(v, [n]), nd([n], v)];
}

// [shape, dim, lo, hi]: odd sizes, a middle and a first dim, C = 1, C = 2, logits ±50, a row
// longer than a workgroup, a vector.
const SOFTMAX_CASES: [number[], number, number, number][] = [
  [[7, 5], -1, -3, 3],
  [[3, 4, 5], 1, -3, 3],
  [[3, 4, 5], 0, -3, 3],
  [[4, 1], -1, -3, 3],
  [[5, 2], 1, -3, 3],
  [[4, 3], -1, -50, 50],
  [[2, 131], -1, -5, 5],
  [[9], 0, -2, 2],
];

describe('losses: softmax, log-softmax, cross-entropy, BCE, logistic, MSE, importance weights', () => {
  before(gpu);
  afterEach(() => L.forceRowStrategy(null));

  for (const strategy of ['thread', 'group'] as const) {
    it(`softmax and logSoftmax match float64 with one ${strategy} per row (odd sizes, any dim, C=1, C=2, ±50)`, async () => {
      L.forceRowStrategy(strategy);
      for (const [i, [shape, dim, lo, hi]] of SOFTMAX_CASES.entries()) {
        const [x, xr] = pair(shape, 10 + i, lo, hi);
        await assertTensorClose(L.softmax(x, dim), R.softmax(xr, dim), 1e-4, `softmax [${shape}] dim ${dim}`);
        await assertTensorClose(L.logSoftmax(x, dim), R.logSoftmax(xr, dim), 1e-4, `logSoftmax [${shape}] dim ${dim}`);
      }
    });

    // Large logits: [80, 90) overflows exp without the max subtracted, [-50, -40) underflows it.
    // (Logits spread over ±50 saturate the softmax: its gradient, ~1e-20, is below what finite
    // differences resolve; the PyTorch fixture covers that case.)
    it(`softmax and logSoftmax gradients match finite differences (${strategy} per row, C=1, C=2, large logits)`, async () => {
      L.forceRowStrategy(strategy);
      for (const [shape, dim, lo, hi] of [[[3, 4, 5], 1, -3, 3], [[4, 1], -1, -1, 1], [[3, 2], -1, -1, 1], [[2, 5], -1, 80, 90], [[3, 4], 0, -50, -40]] as const) {
        for (const op of ['softmax', 'logSoftmax'] as const) {
          await gradCheck({ name: `${op} [${shape}] dim ${dim}`, shapes: [[...shape]], lo, hi, gpu: (x) => L[op](x, dim), ref: (x) => R[op](x, dim) });
        }
      }
    });

    it(`crossEntropy matches float64 for all reductions and label smoothing 0.1 (${strategy} per row)`, async () => {
      L.forceRowStrategy(strategy);
      for (const [n, c, lo, hi] of [[7, 5, -4, 4], [5, 1, -2, 2], [6, 2, -2, 2], [4, 3, -50, 50], [3, 70, -3, 3]]) {
        const [x, xr] = pair([n, c], n * c, lo, hi);
        const [y, yl] = labelsFor(n, c, c);
        for (const reduction of REDUCTIONS) {
          for (const eps of [0, 0.1]) {
            const got = L.crossEntropy(x, y, { reduction, labelSmoothing: eps });
            await assertTensorClose(got, R.crossEntropy(xr, yl, reduction, eps), 1e-4, `CE [${n},${c}] ${reduction} ε=${eps}`);
          }
        }
        await assertTensorClose(L.softmaxImportanceWeights(x, y), R.softmaxImportanceWeights(xr, yl), 1e-4, `λ [${n},${c}]`);
      }
    });
  }

  it('crossEntropy gradient is (softmax − smoothed one-hot)·g/N: finite differences for every reduction, C=1, C=2, ±50', async () => {
    for (const [n, c, lo, hi] of [[5, 4, -3, 3], [3, 1, -1, 1], [4, 2, -1, 1], [4, 3, -50, 50]]) {
      const [y, yl] = labelsFor(n, c, 1);
      for (const reduction of REDUCTIONS) {
        for (const eps of [0, 0.1]) {
          await gradCheck({
            name: `CE [${n},${c}] ${reduction} ε=${eps}`, shapes: [[n, c]], lo, hi,
            gpu: (x) => L.crossEntropy(x, y, { reduction, labelSmoothing: eps }),
            ref: (x) => R.crossEntropy(x, yl, reduction, eps),
          });
        }
      }
    }
  });

  it('softmax importance weights equal 1 − softmax at the label, accurate even when p(y) ≈ 1', async () => {
    const [x, xr] = pair([6, 4], 3, -3, 3);
    const [y, yl] = labelsFor(6, 4, 2);
    const lambda = await L.softmaxImportanceWeights(x, y).read();
    const p = await L.softmax(x).read();
    assertClose(lambda, yl.map((l, i) => 1 - p[i * 4 + l]), 1e-5, 'λ vs 1 − softmax[y]');
    assertClose(lambda, R.softmaxImportanceWeights(xr, yl).data, 1e-4, 'λ vs float64');
    // confident rows: λ ≈ 2e-9 and ≈ 1, both to relative precision
    const conf = nd([2, 3], [20, 0, 0, 20, 0, 0]);
    const w = await L.softmaxImportanceWeights(E.tensor(conf.data, [2, 3]), E.tensor([0, 1], [2])).read();
    const ref = R.softmaxImportanceWeights(conf, [0, 1]).data;
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(w[i] - ref[i]) <= 1e-4 * ref[i], `λ[${i}] = ${w[i]}, expected ${ref[i]}`);
  });

  it('labels that are out of range, not integers or NaN are an InvalidInputError at the next readback; their rows are NaN (loss, λ, gradient)', async () => {
    const [x] = pair([5, 3], 5);
    x.requiresGrad = true;
    const y = E.tensor([0, 3, 1.5, -1, NaN], [5]);
    // The first read reports the error; a second read of the same tensor returns its values.
    const afterError = async (t: E.Tensor, op: string): Promise<Float32Array> => {
      await assert.rejects(t.read(), (e: Error) => e instanceof E.InvalidInputError && e.message.startsWith(`${op}: labels[`));
      return t.read();
    };
    const per = await afterError(L.crossEntropy(x, y, { reduction: 'none' }), 'crossEntropy');
    assert.ok(Number.isFinite(per[0]), 'valid label');
    for (let i = 1; i < 5; i++) assert.ok(Number.isNaN(per[i]), `row ${i} loss is ${per[i]}`);
    assert.ok(Number.isNaN((await afterError(L.crossEntropy(x, y), 'crossEntropy'))[0]), 'mean is NaN');
    const lambda = await afterError(L.softmaxImportanceWeights(x, y), 'softmaxImportanceWeights');
    assert.ok(Number.isFinite(lambda[0]) && [1, 2, 3, 4].every((i) => Number.isNaN(lambda[i])), `λ ${lambda}`);
    E.backward(L.crossEntropy(x, y, { reduction: 'sum' }));
    const g = await afterError(x.grad!, 'crossEntropy');
    assert.ok(g.slice(0, 3).every(Number.isFinite) && g.slice(3).every(Number.isNaN), `gradient ${g}`);
  });

  it('crossEntropyWithWeights and logisticLossWithWeights give the loss and λ from one pass, matching float64 and the two-call results bit for bit', async () => {
    const rt = await gpu();
    for (const [n, c, eps] of [[9, 4, 0], [6, 300, 0.1]] as const) {
      const [x, xr] = pair([n, c], n + c, -6, 6);
      const [y, yl] = labelsFor(n, c, 2);
      for (const r of REDUCTIONS) {
        const d0 = rt.stats.dispatches;
        const both = L.crossEntropyWithWeights(x, y, { reduction: r, labelSmoothing: eps });
        if (r === 'none') assert.equal(rt.stats.dispatches - d0, 1, 'one kernel for the loss and λ');
        await assertTensorClose(both.loss, R.crossEntropy(xr, yl, r, eps), 1e-5, `CE ${r} ε=${eps}`);
        await assertTensorClose(both.weights, R.softmaxImportanceWeights(xr, yl), 1e-5, `λ ${r}`);
        assert.deepEqual(await both.loss.read(), await L.crossEntropy(x, y, { reduction: r, labelSmoothing: eps }).read(), 'loss as crossEntropy');
        assert.deepEqual(await both.weights.read(), await L.softmaxImportanceWeights(x, y).read(), 'λ as softmaxImportanceWeights');
      }
      assert.equal(L.crossEntropyWithWeights(x, y).weights.requiresGrad, false);
    }
    await gradCheck({ name: 'CE with weights', shapes: [[5, 3]], gpu: (a) => L.crossEntropyWithWeights(a, E.tensor([0, 2, 1, 1, 0], [5])).loss, ref: (a) => R.crossEntropy(a, [0, 2, 1, 1, 0]) });
    const [f, fr] = pair([7], 3, -4, 4);
    const [yy, yr] = pm1(7, 1);
    const lw = L.logisticLossWithWeights(f, yy, { reduction: 'sum' });
    await assertTensorClose(lw.loss, R.logisticLoss(fr, yr, 'sum'), 1e-5, 'logistic with weights: loss');
    await assertTensorClose(lw.weights, R.logisticImportanceWeights(fr, yr), 1e-5, 'logistic with weights: λ');
    await gradCheck({ name: 'logistic with weights', shapes: [[7]], gpu: (a) => L.logisticLossWithWeights(a, yy).loss, ref: (a) => R.logisticLoss(a, yr) });
  });

  it('BCE-with-logits, logistic and MSE losses match float64 for every reduction (stable at ±50)', async () => {
    for (const [lo, hi] of [[-4, 4], [-50, 50]]) {
      const [z, zr] = pair([5, 3], 21, lo, hi);
      const [t, tr] = pair([5, 3], 22, 0, 1);
      const [y, yr] = pm1(15, 1);
      const y2 = y.view([5, 3]);
      const yr2 = { shape: [5, 3], data: yr.data };
      for (const r of REDUCTIONS) {
        await assertTensorClose(L.bceWithLogits(z, t, { reduction: r }), R.bceWithLogits(zr, tr, r), 1e-4, `bce ${r} ±${hi}`);
        await assertTensorClose(L.logisticLoss(z, y2, { reduction: r }), R.logisticLoss(zr, yr2, r), 1e-4, `logistic ${r} ±${hi}`);
        await assertTensorClose(L.mseLoss(z, t, { reduction: r }), R.mseLoss(zr, tr, r), 1e-4, `mse ${r} ±${hi}`);
      }
      await assertTensorClose(L.logisticImportanceWeights(z, y2), R.logisticImportanceWeights(zr, yr2), 1e-4, `σ(−yf) ±${hi}`);
    }
  });

  it('BCE, logistic and MSE gradients match finite differences (logits and targets)', async () => {
    const [y, yr] = pm1(7, 2);
    for (const r of REDUCTIONS) {
      // targets stay in [0, 1] (others are invalid input); the ±50 case below covers large logits
      await gradCheck({ name: `bce ${r}`, shapes: [[7], [7]], lo: 0.02, hi: 0.98, gpu: (a, b) => L.bceWithLogits(a, b, { reduction: r }), ref: (a, b) => R.bceWithLogits(a, b, r) });
      await gradCheck({ name: `mse ${r}`, shapes: [[2, 3], [2, 3]], gpu: (a, b) => L.mseLoss(a, b, { reduction: r }), ref: (a, b) => R.mseLoss(a, b, r) });
      await gradCheck({ name: `logistic ${r}`, shapes: [[7]], lo: -3, hi: 3, gpu: (f) => L.logisticLoss(f, y, { reduction: r }), ref: (f) => R.logisticLoss(f, yr, r) });
    }
    const tv = [0, 1, 0.5, 1, 0, 0.2];
    const t = E.tensor(tv, [6]);
    await gradCheck({ name: 'bce ±50', shapes: [[6]], lo: -50, hi: 50, gpu: (a) => L.bceWithLogits(a, t), ref: (a) => R.bceWithLogits(a, nd([6], tv)) });
  });

  it('logistic importance weights equal σ(−y f); labels other than ±1 are an InvalidInputError and give NaN', async () => {
    const f = E.tensor([2, -1, 0.5, 30, 3], [5]);
    const wt = L.logisticImportanceWeights(f, E.tensor([1, 1, -1, 1, 0], [5]));
    await assert.rejects(wt.read(), /logisticImportanceWeights: labels\[4\] = 0 is not −1 or \+1/);
    const w = await wt.read();
    const s = (u: number) => 1 / (1 + Math.exp(-u));
    assertClose(w.slice(0, 4), [s(-2), s(1), s(0.5), s(-30)], 1e-5, 'σ(−yf)');
    assert.ok(Number.isNaN(w[4]), 'label 0 gives NaN');
    const l = L.logisticLoss(f, E.tensor([1, 1, -1, 1, 0], [5]));
    await assert.rejects(l.item(), /logisticLoss: labels\[4\] = 0/);
    assert.ok(Number.isNaN(await l.item()), 'loss with a 0 label is NaN');
  });

  it('match PyTorch: softmax, log_softmax, cross_entropy (all reductions, smoothing), BCE, soft margin, MSE and their gradients', async () => {
    const fx = new Fixture('loss');
    const cases = JSON.parse(fx.metadata.cases) as { name: string; op: string; inputs: number; grads: number[]; dim?: number; reduction?: R.Reduction; smoothing?: number }[];
    assert.ok(cases.length === 29, `${cases.length} cases`);
    for (const c of cases) {
      const ins = Array.from({ length: c.inputs }, (_, i) => fx.nd(`${c.name}.in${i}`));
      const xs = ins.map((v) => E.tensor(v.data, v.shape));
      for (const i of c.grads) xs[i].requiresGrad = true;
      const reduction = c.reduction;
      const fns: Record<string, () => E.Tensor> = {
        softmax: () => L.softmax(xs[0], c.dim),
        log_softmax: () => L.logSoftmax(xs[0], c.dim),
        cross_entropy: () => L.crossEntropy(xs[0], xs[1], { reduction, labelSmoothing: c.smoothing }),
        bce_with_logits: () => L.bceWithLogits(xs[0], xs[1], { reduction }),
        logistic: () => L.logisticLoss(xs[0], xs[1], { reduction }),
        mse: () => L.mseLoss(xs[0], xs[1], { reduction }),
      };
      const out = fns[c.op]();
      await assertTensorClose(out, fx.nd(`${c.name}.out`), 1e-4, `${c.name} forward`);
      const w = fx.nd(`${c.name}.w`);
      E.backward(E.sum(E.mul(out, E.tensor(w.data, w.shape))));
      for (const i of c.grads) await assertTensorClose(xs[i].grad!, fx.nd(`${c.name}.grad${i}`), 1e-4, `${c.name} d/din${i}`);
    }
  });

  it('bad arguments throw with the op and shapes named', () => {
    const [x] = pair([4, 10], 1);
    assert.throws(() => L.crossEntropy(x, E.tensor([0, 1, 2, 3, 4], [5])), /^SamgpuError: crossEntropy: 5 labels for 4 rows \(logits \[4,10\], labels \[5\]\)$/);
    assert.throws(() => L.softmaxImportanceWeights(x, E.tensor([0, 1, 2], [3])), /softmaxImportanceWeights: 3 labels for 4 rows \(logits \[4,10\], labels \[3\]\)/);
    assert.throws(() => L.crossEntropy(x, E.tensor([0, 1, 2, 3], [4, 1])), /crossEntropy: labels must be a vector \[N\] of class indices \(logits \[4,10\], labels \[4,1\]\)/);
    assert.throws(() => L.crossEntropy(x.view([40]), E.tensor([0], [1])), /crossEntropy: logits must be \[N, C\], got \[40\]/);
    assert.throws(() => L.crossEntropy(x, E.tensor([0, 1, 2, 3], [4]), { labelSmoothing: 1.5 }), /crossEntropy: labelSmoothing must be in \[0, 1\], got 1.5/);
    assert.throws(() => L.crossEntropy(x, E.tensor([0, 1, 2, 3], [4]), { reduction: 'avg' as R.Reduction }), /crossEntropy: reduction must be/);
    assert.throws(() => L.bceWithLogits(x, x.view([40])), /bceWithLogits: targets \[40\] must have the shape of logits \[4,10\]/);
    assert.throws(() => L.mseLoss(x, x.view([10, 4])), /mseLoss: target \[10,4\] must have the shape of pred \[4,10\]/);
    assert.throws(() => L.logisticImportanceWeights(x, x.view([40])), /logisticImportanceWeights: labels \[40\] must have the shape of f \[4,10\]/);
    assert.throws(() => L.softmax(x, 2), /softmax: axis 2 is out of range for rank 2/);
    assert.throws(() => L.crossEntropy(E.tensor([], [0, 3]), E.tensor([], [0])), /crossEntropy: the mean of an empty batch is undefined \(logits \[0,3\]\)/);
  });
});
