import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { SGD, FlatParameters, LRScheduler, stepLR, cosineLR, linearWarmup } from '../engine/optim/index.ts';
import { gpu, rand, assertClose } from './helpers.ts';

/** torch.optim.SGD in float64, as documented. */
function refSgd(theta: Float64Array[], grads: Float64Array[][], o: { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean }): Float64Array[] {
  const th = theta.map((t) => Float64Array.from(t));
  const buf: (Float64Array | null)[] = th.map(() => null);
  for (const gs of grads) {
    th.forEach((t, i) => {
      const d = gs[i].map((g, j) => g + o.weightDecay * t[j]);
      if (o.momentum) {
        const b = buf[i] ? buf[i]!.map((v, j) => o.momentum * v + (1 - o.dampening) * d[j]) : Float64Array.from(d);
        buf[i] = b;
        if (o.nesterov) d.forEach((v, j) => (d[j] = v + o.momentum * b[j]));
        else d.set(b);
      }
      t.forEach((v, j) => (t[j] = v - o.lr * d[j]));
    });
  }
  return th;
}

describe('SGD on the GPU (torch.optim.SGD semantics)', () => {
  before(gpu);

  const configs = [
    { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01, nesterov: false },
    { lr: 0.02, momentum: 0.8, dampening: 0, weightDecay: 1e-3, nesterov: true },
  ];
  for (const cfg of configs) {
    it(`matches the float64 reference over 4 steps: ${JSON.stringify(cfg)}`, async () => {
      const shapes = [[3, 5], [7], [2, 2, 3]];
      const params = shapes.map((s, i) => E.tensor(rand(s.reduce((a, b) => a * b), 10 + i), s));
      params.forEach((p) => (p.requiresGrad = true));
      const theta0 = await Promise.all(params.map(async (p) => Float64Array.from(await p.read())));
      const opt = new SGD(params, cfg);
      const grads: Float64Array[][] = [];
      for (let step = 0; step < 4; step++) {
        opt.zeroGrad();
        const gs = shapes.map((s, i) => rand(s.reduce((a, b) => a * b), 100 * step + i));
        // write gradients through backward of Σ p·g, the way a real loss would
        E.scope(() => {
          for (let i = 0; i < params.length; i++) E.backward(E.sum(E.mul(params[i], E.tensor(gs[i], shapes[i]))));
        });
        grads.push(gs.map((g) => Float64Array.from(g)));
        opt.step();
      }
      const expected = refSgd(theta0, grads, cfg);
      for (let i = 0; i < params.length; i++) assertClose(await params[i].read(), expected[i], 1e-5, `param ${i}`);
    });
  }

  it('parameters become views into one flat buffer; the user handles stay valid', async () => {
    const a = E.tensor([1, 2, 3]);
    const b = E.tensor([4, 5]);
    a.requiresGrad = b.requiresGrad = true;
    const flat = FlatParameters.of([a, b]);
    assert.equal(a.storage(), b.storage(), 'one storage');
    assert.equal(a.storage(), flat.data.storage());
    assert.ok(b.offset > 0 && b.offset >= a.size, 'b sits after a');
    assert.deepEqual([...(await a.read())], [1, 2, 3]);
    assert.deepEqual([...(await b.read())], [4, 5]);
    assert.ok(flat.total >= 5);
    assert.equal(FlatParameters.of([a, b]), flat, 'the same list reuses the packing');
  });

  it('rejects invalid hyper-parameters with a clear error', () => {
    const p = E.tensor([1]);
    p.requiresGrad = true;
    assert.throws(() => new SGD([p], { lr: -1 }), /SGD: lr must be a finite number >= 0, got -1/);
    assert.throws(() => new SGD([p], { lr: NaN }), /SGD: lr must be a finite number/);
    assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /Nesterov momentum requires a momentum > 0/);
    assert.throws(() => new SGD([], { lr: 0.1 }), /empty parameter list/);
  });

  it('schedules follow PyTorch closed forms (StepLR, CosineAnnealingLR, linear warm-up)', () => {
    const opt = { lr: 0 };
    const s = new LRScheduler(opt, stepLR(0.1, 3, 0.5));
    const seen = [opt.lr];
    for (let i = 0; i < 6; i++) {
      s.step();
      seen.push(opt.lr);
    }
    assert.deepEqual(seen, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
    const cos = cosineLR(1, 10, 0.1);
    assert.equal(cos(0), 1);
    assert.ok(Math.abs(cos(5) - 0.55) < 1e-12);
    assert.ok(Math.abs(cos(10) - 0.1) < 1e-12);
    const warm = linearWarmup(() => 0.3, 4, 0.25);
    assert.deepEqual([0, 2, 4].map(warm).map((v) => +v.toFixed(6)), [0.075, 0.1875, 0.3]);
  });
});

describe('SGD state for checkpoints', () => {
  before(gpu);

  it('saveState/loadState resume the same trajectory bit for bit', async () => {
    const make = () => {
      const p = E.tensor(rand(10, 1), [10]);
      p.requiresGrad = true;
      return p;
    };
    const g = E.tensor(rand(10, 2), [10]);
    const stepWith = (p: E.Tensor, opt: SGD) => {
      opt.zeroGrad();
      E.scope(() => E.backward(E.sum(E.mul(E.square(p), g))));
      opt.step();
    };
    const a = make();
    const oa = new SGD([a], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    for (let i = 0; i < 5; i++) stepWith(a, oa);
    const b = make();
    const ob = new SGD([b], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    for (let i = 0; i < 2; i++) stepWith(b, ob);
    const saved = await ob.saveState();
    const theta = await b.read();
    const c = E.tensor(theta, [10]);
    c.requiresGrad = true;
    const oc = new SGD([c], { lr: 0.5, momentum: 0.9, weightDecay: 0.01 });
    oc.loadState(saved);
    assert.equal(oc.lr, 0.1);
    for (let i = 0; i < 3; i++) stepWith(c, oc);
    assert.deepEqual(await c.read(), await a.read());
  });
});
