import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { Linear, ReLU, Sequential } from '../engine/nn/index.ts';
import { SGD, SAM } from '../engine/optim/index.ts';
import { crossEntropy } from '../engine/ops/loss.ts';
import { gpu, rand, assertClose } from './helpers.ts';
import { samReference, NAMES, type MlpParams, type SamRefOptions } from './reference/mlp.ts';

const D = 5, H = 7, C = 3, N = 6;
const X = rand(N * D, 1, -2, 2);
const Y = [0, 1, 2, 1, 0, 2];

function mlp(): Sequential {
  return new Sequential(new Linear(D, H, { rng: new E.Rng(3) }), new ReLU(), new Linear(H, C, { rng: new E.Rng(4) }));
}

async function params64(m: Sequential): Promise<MlpParams> {
  const sd = m.stateDict();
  const get = async (n: string) => Float64Array.from(await sd.get(n)!.read());
  return { w1: await get('0.weight'), b1: await get('0.bias'), w2: await get('2.weight'), b2: await get('2.bias') };
}

async function runSam(o: SamRefOptions & { perturbOpt: 'all' | 'last' | string[] }, steps: number): Promise<{ gpu: Sequential; ref: MlpParams }> {
  const model = mlp();
  const p0 = await params64(model);
  const x = E.tensor(X, [N, D]);
  const y = E.tensor(Y, [N]);
  const sam = new SAM(model, new SGD(model.parameters(), { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay }), {
    rho: o.rho, eps: o.eps, adaptive: o.adaptive, eta: o.eta, l2: o.l2, perturb: o.perturbOpt,
  });
  for (let s = 0; s < steps; s++) sam.step(() => { const l = crossEntropy(model.forward(x), y); E.backward(l); return l; }).dispose();
  return { gpu: model, ref: samReference(p0, Float64Array.from(X), Y, [D, H, C], o, steps) };
}

describe('SAM on the GPU against a float64 reference (tiny MLP)', () => {
  before(gpu);

  const base = { eps: 1e-12, eta: 0.01, lr: 0.1, momentum: 0.9, weightDecay: 0, l2: 0, adaptive: false };
  const cases: [string, SamRefOptions & { perturbOpt: 'all' | 'last' | string[] }][] = [
    ['plain SAM with momentum', { ...base, rho: 0.5, perturb: [...NAMES], perturbOpt: 'all' }],
    ['SAM with decoupled weight decay (davda54)', { ...base, rho: 0.3, weightDecay: 0.01, perturb: [...NAMES], perturbOpt: 'all' }],
    ['SAM with L2 in the loss (google-research)', { ...base, rho: 0.3, l2: 0.01, perturb: [...NAMES], perturbOpt: 'all' }],
    ['adaptive SAM (ASAM, η = 0.01)', { ...base, rho: 1.0, adaptive: true, perturb: [...NAMES], perturbOpt: 'all' }],
    ['LSAM: only the last layer is perturbed', { ...base, rho: 0.5, weightDecay: 0.005, perturb: ['2.weight', '2.bias'], perturbOpt: 'last' }],
  ];
  for (const [name, o] of cases) {
    it(`${name}: two steps match (rel. error ≤ 1e-5)`, async () => {
      const { gpu: model, ref } = await runSam(o, 2);
      const got = await params64(model);
      for (const k of ['w1', 'b1', 'w2', 'b2'] as const) assertClose(got[k], ref[k], 1e-5, `${name}: ${k}`);
    });
  }

  it('SAM with rho = 0 equals SGD bit for bit', async () => {
    const x = E.tensor(X, [N, D]);
    const y = E.tensor(Y, [N]);
    const a = mlp();
    const b = mlp();
    const sgd = new SGD(a.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
    const sam = new SAM(b, new SGD(b.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 }), { rho: 0 });
    const closure = (m: Sequential) => () => { const l = crossEntropy(m.forward(x), y); E.backward(l); return l; };
    for (let s = 0; s < 3; s++) {
      sgd.zeroGrad();
      E.scope(closure(a));
      sgd.step();
      sam.step(closure(b)).dispose();
    }
    const pa = a.parameters();
    const pb = b.parameters();
    for (let i = 0; i < pa.length; i++) assert.deepEqual(await pb[i].read(), await pa[i].read(), `parameter ${i}`);
  });

  it('reports the gradient norm, the ascent scale and per-parameter ascent norms', async () => {
    const model = mlp();
    const x = E.tensor(X, [N, D]);
    const y = E.tensor(Y, [N]);
    const sam = new SAM(model, new SGD(model.parameters(), { lr: 0.1 }), { rho: 0.2, recordAscentNorms: true });
    sam.step(() => { const l = crossEntropy(model.forward(x), y); E.backward(l); return l; }).dispose();
    const { gradNorm, scale } = await sam.lastNorm();
    assert.ok(gradNorm > 0 && Math.abs(scale - 0.2 / gradNorm) < 1e-6 * scale);
    const norms = await sam.ascentNorms();
    const total = Math.sqrt([...norms.values()].reduce((s, v) => s + v * v, 0));
    assert.ok(Math.abs(total - 0.2) < 1e-5, `‖e‖ = ${total}, expected ρ = 0.2`);
    assert.equal(sam.extraBytes >= sam.base.flat.total * 4, true);
  });

  it('invalid rho, eta and empty parameter selections are refused clearly', () => {
    const model = mlp();
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    assert.throws(() => new SAM(model, opt, { rho: -1 }), /SAM: rho must be a finite number >= 0, got -1/);
    assert.throws(() => new SAM(model, opt, { rho: NaN }), /SAM: rho must be a finite number/);
    assert.throws(() => new SAM(model, opt, { rho: 0.1, eta: -0.5 }), /SAM: eta must be a finite number >= 0/);
    assert.throws(() => new SAM(model, opt, { rho: 0.1, perturb: [] }), /SAM: no parameter selected/);
    assert.throws(() => new SAM(model, opt, { rho: 0.1, perturb: ['nope.weight'] }), /parameters the model does not have: nope.weight/);
    assert.throws(() => new SAM(model, opt, { rho: 0.1 }).descend(), /SAM.descend: call ascend\(\) first/);
  });
});

describe('SAM on the small CNN against PyTorch (davda54/sam semantics, 3 steps)', () => {
  before(gpu);

  for (const variant of ['sam', 'asam', 'lsam'] as const) {
    it(`${variant}: losses and parameters after 3 steps match (rel. error ≤ 1e-4)`, async () => {
      const { Fixture } = await import('./fixtures.ts');
      const { SmallCNN } = await import('../engine/models/index.ts');
      const fx = new Fixture('sam');
      const [n, c, h, w, classes] = JSON.parse(fx.metadata.shape) as number[];
      const v = JSON.parse(fx.metadata.variants)[variant];
      const sgd = JSON.parse(fx.metadata.sgd);
      const model = new SmallCNN({ inChannels: c, height: h, width: w, classes });
      const init = new Map([...fx.tensors].filter(([k]) => k.startsWith('init.')).map(([k, t]) => [k.slice(5), t]));
      model.loadStateDict(init);
      const x = E.tensor(fx.get('x').data, [n, c, h, w]);
      const y = E.tensor(fx.get('y').data, [n]);
      const sam = new SAM(model, new SGD(model.parameters(), { lr: sgd.lr, momentum: sgd.momentum, weightDecay: sgd.weight_decay }), {
        rho: v.rho, adaptive: v.adaptive, eta: 0, perturb: v.perturb,
      });
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) {
        const l = sam.step(() => { const loss = crossEntropy(model.forward(x), y); E.backward(loss); return loss; });
        losses.push(await l.item());
        l.dispose();
      }
      assertClose(losses, fx.get(`${variant}.losses`).data, 1e-4, `${variant} losses`);
      for (const [name, t] of model.stateDict()) {
        const key = `${variant}.step3.${name}`;
        if (fx.tensors.has(key)) assertClose(await t.read(), fx.get(key).data, 1e-4, key);
      }
    });
  }
});

describe('SAM m-sharpness (per-chunk ascents within a batch)', () => {
  before(gpu);

  it('with one chunk equals the plain SAM step bit for bit', async () => {
    const x = E.tensor(X, [N, D]);
    const y = E.tensor(Y, [N]);
    const a = mlp();
    const b = mlp();
    const sa = new SAM(a, new SGD(a.parameters(), { lr: 0.1, momentum: 0.9 }), { rho: 0.3 });
    const sb = new SAM(b, new SGD(b.parameters(), { lr: 0.1, momentum: 0.9 }), { rho: 0.3 });
    for (let s = 0; s < 2; s++) {
      sa.step(() => { const l = crossEntropy(a.forward(x), y); E.backward(l); return l; }).dispose();
      sb.stepChunks(() => { const l = crossEntropy(b.forward(x), y); E.backward(l); return l; }, 1).dispose();
    }
    const pa = a.parameters(), pb = b.parameters();
    for (let i = 0; i < pa.length; i++) assert.deepEqual(await pb[i].read(), await pa[i].read());
  });

  it('with two chunks steps with the mean of the per-chunk phantom gradients (float64 reference)', async () => {
    const model = mlp();
    const p0 = await params64(model);
    const halves = [[0, 3], [3, 6]].map(([s, e]) => ({ x: E.tensor(X.slice(s * D, e * D), [e - s, D]), y: E.tensor(Y.slice(s, e), [e - s]) }));
    const sam = new SAM(model, new SGD(model.parameters(), { lr: 0.1 }), { rho: 0.4 });
    sam.stepChunks((_, j) => { const l = crossEntropy(model.forward(halves[j].x), halves[j].y); E.backward(l); return l; }, 2).dispose();
    // Reference: plain SGD (lr 0.1) with the mean of two one-step SAM gradients, each on its half.
    const o = { rho: 0.4, eps: 1e-12, adaptive: false, eta: 0.01, l2: 0, perturb: [...NAMES], lr: 1, momentum: 0, weightDecay: 0 };
    const stepped = [0, 1].map((j) => samReference(p0, Float64Array.from(X.slice(j * 3 * D, (j + 1) * 3 * D)), Y.slice(j * 3, (j + 1) * 3), [D, H, C], o, 1));
    const got = await params64(model);
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) {
      // with lr 1, θ − stepped_j = g̃_j; the engine did θ − 0.1·mean_j g̃_j
      const expected = p0[k].map((v, i) => v - 0.1 * ((v - stepped[0][k][i]) + (v - stepped[1][k][i])) / 2);
      assertClose(got[k], expected, 1e-5, `m-sharpness ${k}`);
    }
  });
});
