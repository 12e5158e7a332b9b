import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { BatchNorm1d, BatchNorm2d, Conv2d, Flatten, Linear, ReLU, Sequential, isBatchNorm, setBatchNormStatsUpdate } from '../engine/nn/index.ts';
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

  it("LSAM's 'last' selects the last parameterized layer's weight and bias, also when that layer is the model itself (a bare Linear)", () => {
    const select = (m: E.nn.Module) => new SAM(m, new SGD(m.parameters(), { lr: 0.1 }), { rho: 0.1, perturb: 'last' }).perturbed;
    assert.deepEqual(select(new Linear(3, 2)), ['weight', 'bias']);
    assert.deepEqual(select(new Linear(3, 2, { bias: false })), ['weight']);
    assert.deepEqual(select(mlp()), ['2.weight', '2.bias']);
    assert.deepEqual(select(new Sequential(new Linear(3, 4), new Sequential(new Linear(4, 2), new ReLU()))), ['1.0.weight', '1.0.bias']);
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

// A tiny net with batch norm: conv 3×3 (2→3 channels, pad 1) → BN → ReLU → flatten → linear.
const NB = 8, CI = 2, CO = 3, S = 4, K = 3;
const XB = rand(NB * CI * S * S, 11, -2, 2);
const YB = Array.from({ length: NB }, (_, i) => i % K);

function bnNet(): Sequential {
  return new Sequential(
    new Conv2d(CI, CO, 3, { padding: 1, rng: new E.Rng(5) }),
    new BatchNorm2d(CO),
    new ReLU(),
    new Flatten(),
    new Linear(CO * S * S, K, { rng: new E.Rng(6) }),
  );
}

const bnLoss = (m: Sequential, x: E.Tensor, y: E.Tensor) => () => { const l = crossEntropy(m.forward(x), y); E.backward(l); return l; };

async function readState(m: Sequential): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of m.stateDict()) out.set(k, await t.read());
  return out;
}

function assertStatesEqual(got: Map<string, Float32Array>, want: Map<string, Float32Array>, what: string): void {
  assert.deepEqual([...got.keys()], [...want.keys()]);
  for (const [k, v] of want) assert.deepEqual(got.get(k), v, `${what}: ${k}`);
}

/** Per-channel batch mean and unbiased variance of an [N, C, H, W] activation, in float64. */
function channelStats(h: Float32Array, n: number, c: number, hw: number): { mean: number[]; uvar: number[] } {
  const mean: number[] = [], uvar: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const v: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < hw; j++) v.push(h[(i * c + ch) * hw + j]);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    mean.push(m);
    uvar.push(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
  }
  return { mean, uvar };
}

describe('SAM and batch-norm running statistics (conv → BN → ReLU → linear)', () => {
  before(gpu);

  it('rho = 0 with the second pass frozen (default) equals SGD bit for bit, running stats included', async () => {
    const x = E.tensor(XB, [NB, CI, S, S]);
    const y = E.tensor(YB, [NB]);
    const a = bnNet();
    const b = bnNet();
    const opts = { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 };
    const sgd = new SGD(a.parameters(), opts);
    const sam = new SAM(b, new SGD(b.parameters(), opts), { rho: 0 });
    assert.equal(sam.secondPassBatchNormUpdate, false);
    const s0 = await readState(a);
    for (let s = 0; s < 3; s++) {
      sgd.zeroGrad();
      E.scope(bnLoss(a, x, y));
      sgd.step();
      sam.step(bnLoss(b, x, y)).dispose();
    }
    const sa = await readState(a);
    assertStatesEqual(await readState(b), sa, 'SAM(ρ=0) vs SGD');
    // the statistics did move (once per step), so the comparison is not vacuous
    assert.notDeepEqual(sa.get('1.running_mean'), s0.get('1.running_mean'));
    assert.notDeepEqual(sa.get('1.running_var'), s0.get('1.running_var'));
  });

  it('rho = 0 with secondPassBatchNormUpdate: running stats updated twice per step (= SGD plus one more forward), parameters still SGD’s', async () => {
    const x = E.tensor(XB, [NB, CI, S, S]);
    const y = E.tensor(YB, [NB]);
    const opts = { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 };
    const a = bnNet(); // reference: SGD with a second forward at the same θ
    const b = bnNet(); // SAM ρ = 0, second-pass update on
    const c = bnNet(); // plain SGD
    const sgdA = new SGD(a.parameters(), opts);
    const sgdC = new SGD(c.parameters(), opts);
    const sam = new SAM(b, new SGD(b.parameters(), opts), { rho: 0, secondPassBatchNormUpdate: true });
    for (let s = 0; s < 3; s++) {
      sgdA.zeroGrad();
      E.scope(bnLoss(a, x, y));
      E.noGrad(() => E.scope(() => a.forward(x)));
      sgdA.step();
      sgdC.zeroGrad();
      E.scope(bnLoss(c, x, y));
      sgdC.step();
      sam.step(bnLoss(b, x, y)).dispose();
    }
    const sb = await readState(b);
    assertStatesEqual(sb, await readState(a), 'SAM(ρ=0, 2nd-pass BN update) vs SGD + extra forward');
    const sc = await readState(c);
    for (const k of ['0.weight', '0.bias', '1.weight', '1.bias', '4.weight', '4.bias']) assert.deepEqual(sb.get(k), sc.get(k), k);
    assert.notDeepEqual(sb.get('1.running_mean'), sc.get('1.running_mean'));
    assert.notDeepEqual(sb.get('1.running_var'), sc.get('1.running_var'));
  });

  for (const second of [false, true]) {
    it(`rho = 0.5, secondPassBatchNormUpdate ${second}: running stats = ${second ? 'two momentum updates, with pass 1’s then pass 2’s (θ̃) batch stats' : 'one momentum update with pass 1’s batch stats'} (float64)`, async () => {
      const x = E.tensor(XB, [NB, CI, S, S]);
      const y = E.tensor(YB, [NB]);
      const model = bnNet();
      const [conv, ...rest] = model.layers;
      const bn = model.layers[1] as BatchNorm2d;
      const sam = new SAM(model, new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), { rho: 0.5, secondPassBatchNormUpdate: second });
      const pre: E.Tensor[] = [];
      sam.step(() => {
        // keep BN's input of each pass (at θ, then at θ̃) to compute its batch statistics
        const h = E.keep(conv.forward(x));
        pre.push(h);
        let z = h;
        for (const m of rest) z = m.forward(z);
        const l = crossEntropy(z, y);
        E.backward(l);
        return l;
      }).dispose();
      assert.equal(pre.length, 2);
      const stats = await Promise.all(pre.map(async (h) => channelStats(await h.read(), NB, CO, S * S)));
      for (const h of pre) h.dispose();
      // the ascent moved the conv weights, so the two passes' batch statistics differ
      assert.ok(Math.abs(stats[0].mean[0] - stats[1].mean[0]) > 1e-4, 'pass 2 ran at a different point');
      const mu = bn.momentum;
      const upd = (r: number[], batch: number[]) => r.map((v, i) => (1 - mu) * v + mu * batch[i]);
      let rm = new Array<number>(CO).fill(0), rv = new Array<number>(CO).fill(1);
      for (const st of second ? stats : stats.slice(0, 1)) {
        rm = upd(rm, st.mean);
        rv = upd(rv, st.uvar);
      }
      assertClose(await bn.runningMean!.read(), rm, 1e-4, 'running_mean');
      assertClose(await bn.runningVar!.read(), rv, 1e-4, 'running_var');
    });
  }

  it('step() and stepChunks() restore each BN layer’s updateRunningStats flag (true or false), also when the closure throws', async () => {
    const x = E.tensor(XB, [NB, CI, S, S]);
    const y = E.tensor(YB, [NB]);
    // two BN layers, so mixed flags are restored per layer
    const model = new Sequential(
      new Conv2d(CI, CO, 3, { padding: 1, rng: new E.Rng(5) }), new BatchNorm2d(CO), new ReLU(), new Flatten(),
      new Linear(CO * S * S, 6, { rng: new E.Rng(6) }), new BatchNorm1d(6), new ReLU(), new Linear(6, K, { rng: new E.Rng(7) }),
    );
    const bns = [...model.modules()].map(([, m]) => m).filter(isBatchNorm);
    assert.equal(bns.length, 2);
    const flags = () => bns.map((m) => m.updateRunningStats);
    const sam = new SAM(model, new SGD(model.parameters(), { lr: 0.1 }), { rho: 0.2 });
    let current = [true, true];
    let freezes = true; // SAM switches every layer off in pass 2
    const closure = (pass: 0 | 1) => {
      assert.deepEqual(flags(), pass === 1 && freezes ? [false, false] : current, `flags in pass ${pass}`);
      const l = crossEntropy(model.forward(x), y);
      E.backward(l);
      return l;
    };
    for (const set of [[true, true], [false, true], [true, false], [false, false]]) {
      bns.forEach((m, i) => { m.updateRunningStats = set[i]; });
      current = set;
      sam.step(closure).dispose();
      assert.deepEqual(flags(), set, 'after step()');
      sam.stepChunks((pass) => closure(pass), 1).dispose();
      assert.deepEqual(flags(), set, 'after stepChunks()');
    }
    // a layer the caller switched off stays off in both passes: its statistics do not move
    const before = await bns[1].runningMean!.read();
    sam.step(closure).dispose(); // flags still [false, false]
    assert.deepEqual(await bns[1].runningMean!.read(), before);
    // secondPassBatchNormUpdate: the flags are not touched at all
    const sam2 = new SAM(model, sam.base, { rho: 0.2, secondPassBatchNormUpdate: true });
    current = [true, false];
    bns.forEach((m, i) => { m.updateRunningStats = current[i]; });
    freezes = false;
    sam2.step(closure).dispose();
    assert.deepEqual(flags(), [true, false], 'after step() with secondPassBatchNormUpdate');
    // a throwing second pass still restores the flags
    freezes = true;
    assert.throws(() => sam.step((pass) => { if (pass === 1) throw new Error('boom'); return closure(pass); }), /boom/);
    assert.deepEqual(flags(), [true, false], 'after a throwing closure');
  });

  it('the explicit ascend()/descend() API leaves BN statistics to the caller: a plain second forward updates them', async () => {
    const x = E.tensor(XB, [NB, CI, S, S]);
    const y = E.tensor(YB, [NB]);
    const opts = { lr: 0.1, momentum: 0.9 };
    const a = bnNet(); // step() with secondPassBatchNormUpdate
    const b = bnNet(); // ascend/descend, nothing frozen
    const c = bnNet(); // step() default (frozen)
    const d = bnNet(); // ascend/descend with the caller freezing pass 2
    const sa = new SAM(a, new SGD(a.parameters(), opts), { rho: 0.3, secondPassBatchNormUpdate: true });
    const sb = new SAM(b, new SGD(b.parameters(), opts), { rho: 0.3 });
    const sc = new SAM(c, new SGD(c.parameters(), opts), { rho: 0.3 });
    const sd = new SAM(d, new SGD(d.parameters(), opts), { rho: 0.3 });
    const manual = (m: Sequential, s: SAM, freeze: boolean) => {
      s.zeroGrad();
      E.scope(bnLoss(m, x, y));
      s.ascend();
      s.zeroGrad();
      const prev = freeze ? setBatchNormStatsUpdate(m, false) : null;
      E.scope(bnLoss(m, x, y));
      if (prev) setBatchNormStatsUpdate(m, prev[0]);
      s.descend();
    };
    for (let s = 0; s < 2; s++) {
      sa.step(bnLoss(a, x, y)).dispose();
      manual(b, sb, false);
      sc.step(bnLoss(c, x, y)).dispose();
      manual(d, sd, true);
    }
    assertStatesEqual(await readState(b), await readState(a), 'ascend/descend vs step(secondPassBatchNormUpdate)');
    assertStatesEqual(await readState(d), await readState(c), 'ascend/descend with frozen pass 2 vs step()');
  });

  it('a second pass that throws leaves the model at θ (not θ̃), unstepped, and SAM ready for the next step', async () => {
    const x = E.tensor(XB, [NB, CI, S, S]);
    const y = E.tensor(YB, [NB]);
    const m = bnNet();
    const sam = new SAM(m, new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }), { rho: 0.3 });
    const ok = bnLoss(m, x, y);
    const params = async () => new Map([...(await readState(m))].filter(([k]) => !k.includes('running')));
    const before = await params();
    assert.throws(() => sam.step((pass) => {
      if (pass === 1) throw new Error('boom in pass 2');
      return ok();
    }), /boom in pass 2/);
    assertStatesEqual(await params(), before, 'after a failed step()'); // BN stats moved in pass 1 only
    assert.throws(() => sam.stepChunks((pass, j) => {
      if (pass === 1 && j === 1) throw new Error('boom in chunk 1');
      return ok();
    }, 2), /boom in chunk 1/);
    assertStatesEqual(await params(), before, 'after a failed stepChunks()');
    sam.step(ok).dispose(); // not "already at the phantom point"
    assert.notDeepEqual(await params(), before);
  });
});
