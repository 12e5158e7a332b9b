import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { Adam, AdamW, SAM, SGD } from '../engine/optim/index.ts';
import { crossEntropy } from '../engine/ops/loss.ts';
import { Fixture } from './fixtures.ts';
import { gpu, assertClose } from './helpers.ts';

/** Parameters from the fixture's init, gradients written through backward of Σ p·g (as a loss would). */
function setup(fx: Fixture): { params: E.Tensor[]; shapes: number[][] } {
  const shapes = JSON.parse(fx.metadata.shapes) as number[][];
  const params = shapes.map((s, i) => E.tensor(fx.get(`init.${i}`).data, s));
  params.forEach((p) => (p.requiresGrad = true));
  return { params, shapes };
}

function writeGrads(fx: Fixture, params: E.Tensor[], shapes: number[][], step: number): void {
  E.scope(() => {
    for (let i = 0; i < params.length; i++) E.backward(E.sum(E.mul(params[i], E.tensor(fx.get(`grad.${step}.${i}`).data, shapes[i]))));
  });
}

describe('Adam and AdamW on the GPU against torch.optim (amsgrad off)', () => {
  before(gpu);
  const fx = new Fixture('adam');
  const configs = JSON.parse(fx.metadata.configs) as Record<string, { cls: 'Adam' | 'AdamW'; lr: number; betas: [number, number]; eps: number; weight_decay: number }>;
  const steps = Number(fx.metadata.steps);

  for (const [name, c] of Object.entries(configs)) {
    it(`${name} (${c.cls}, wd ${c.weight_decay}): every step matches torch in float32 (rel. error ≤ 1e-5) and float64 (≤ 1e-4)`, async () => {
      const { params, shapes } = setup(fx);
      const Cls = c.cls === 'AdamW' ? AdamW : Adam;
      const opt = new Cls(params, { lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weight_decay });
      for (let k = 0; k < steps; k++) {
        opt.zeroGrad();
        writeGrads(fx, params, shapes, k);
        opt.step();
        for (let i = 0; i < params.length; i++) {
          const got = await params[i].read();
          assertClose(got, fx.get(`${name}.f32.step${k + 1}.${i}`).data, 1e-5, `${name} step ${k + 1} param ${i} vs torch f32`);
          assertClose(got, fx.get(`${name}.f64.step${k + 1}.${i}`).data, 1e-4, `${name} step ${k + 1} param ${i} vs float64`);
        }
      }
      assert.equal(opt.steps, steps);
      opt.dispose();
    });
  }

  it('SAM over AdamW on the small CNN: losses and parameters after 3 steps match PyTorch (rel. error ≤ 1e-4)', async () => {
    const { SmallCNN } = await import('../engine/models/index.ts');
    const samFx = new Fixture('sam'); // the same model, init and batch (scripts/golden/adam.py)
    const meta = JSON.parse(fx.metadata.sam) as { rho: number; lr: number; weight_decay: number; shape: number[] };
    const [n, c, h, w, classes] = meta.shape;
    const model = new SmallCNN({ inChannels: c, height: h, width: w, classes });
    model.loadStateDict(new Map([...samFx.tensors].filter(([k]) => k.startsWith('init.')).map(([k, t]) => [k.slice(5), t])));
    const x = E.tensor(samFx.get('x').data, [n, c, h, w]);
    const y = E.tensor(samFx.get('y').data, [n]);
    const sam = new SAM(model, new AdamW(model.parameters(), { lr: meta.lr, weightDecay: meta.weight_decay }), { rho: meta.rho });
    const losses: number[] = [];
    for (let s = 0; s < 3; s++) {
      const l = sam.step(() => { const loss = crossEntropy(model.forward(x), y); E.backward(loss); return loss; });
      losses.push(await l.item());
      l.dispose();
    }
    assertClose(losses, fx.get('sam.losses').data, 1e-4, 'losses');
    let compared = 0;
    for (const [name, t] of model.stateDict()) {
      const key = `sam.step3.${name}`;
      if (!fx.tensors.has(key)) continue;
      // Adam divides each gradient by its own running RMS, so a weight whose gradients are tiny
      // moves by ~lr per step whatever their rounding: errors are judged against 1% of the
      // tensor's largest weight, not against weights that happen to sit near zero.
      assertClose(await t.read(), fx.get(key).data, 1e-4, key, 1e-2);
      compared++;
    }
    assert.equal(compared, 4);
    sam.dispose();
    model.dispose();
  });

  it('state saved after 2 steps and loaded into a fresh optimizer continues bit for bit', async () => {
    const run = async (split: boolean) => {
      const { params, shapes } = setup(fx);
      let opt = new AdamW(params, { lr: 0.01, weightDecay: 0.1 });
      for (let k = 0; k < steps; k++) {
        if (split && k === 2) {
          const st = await opt.saveState();
          // the same parameters packed again: a fresh optimizer on a fresh flat layout
          opt = new AdamW(opt.flat, { lr: 0.5, weightDecay: 0.1 }); // lr comes from the state
          opt.loadState(structuredClone(st));
        }
        opt.zeroGrad();
        writeGrads(fx, params, shapes, k);
        opt.step();
      }
      return Promise.all(params.map((p) => p.read()));
    };
    const [a, b] = [await run(false), await run(true)];
    for (let i = 0; i < a.length; i++) assert.deepEqual(b[i], a[i], `param ${i}`);
  });

  it('refuses bad hyper-parameters and another optimizer\'s state, naming them', async () => {
    const p = E.tensor([1, 2]);
    p.requiresGrad = true;
    assert.throws(() => new Adam([p], { lr: -1 }), /Adam: lr must be a finite number >= 0, got -1/);
    assert.throws(() => new AdamW([p], { lr: 0.1, betas: [1, 0.999] }), /AdamW: beta1 must be in \[0, 1\), got 1/);
    const adam = new Adam([p], { lr: 0.1 });
    assert.throws(() => adam.loadState({ steps: 1, lr: 0.1, momentum: new Float32Array(adam.flat.total) }), /Adam.loadState: the state holds an SGD momentum buffer/);
    const sgd = new SGD(adam.flat, { lr: 0.1 });
    assert.throws(() => sgd.loadState({ steps: 1, lr: 0.1, momentum: null, buffers: { exp_avg: new Float32Array(1), exp_avg_sq: new Float32Array(1) } }), /SGD.loadState: the state holds exp_avg, exp_avg_sq/);
  });
});
