import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { SmallCNN } from '../engine/models/index.ts';
import { SGD } from '../engine/optim/index.ts';
import { crossEntropy } from '../engine/ops/loss.ts';
import { accuracy } from '../engine/ops/select.ts';
import { gpu } from './helpers.ts';

/** 1×16×16 images: a noisy bright 4×4 patch whose position (one of 4 corners) is the label. */
function synthetic(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rng = new E.Rng(seed);
  const x = rng.normal(n * 256, 0, 0.3);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 4;
    y[i] = label;
    const r0 = label < 2 ? 2 : 10;
    const c0 = label % 2 ? 10 : 2;
    for (let r = r0; r < r0 + 4; r++) for (let c = c0; c < c0 + 4; c++) x[i * 256 + r * 16 + c] += 1;
  }
  return { x, y };
}

describe('end to end: the small CNN learns a synthetic image task', () => {
  it('reaches ≥ 95% training accuracy with SGD, without leaking buffers across steps', async () => {
    const rt = await gpu();
    const n = 64;
    const { x, y } = synthetic(n, 3);
    const xs = E.tensor(x, [n, 1, 16, 16]);
    const ys = E.tensor(y, [n]);
    const model = new SmallCNN({ inChannels: 1, height: 16, width: 16, classes: 4, rng: new E.Rng(5) });
    const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const step = () => {
      opt.zeroGrad();
      const loss = E.scope(() => {
        const l = crossEntropy(model.forward(xs), ys);
        E.backward(l);
        return l;
      });
      opt.step();
      return loss;
    };
    step().dispose();
    await rt.sync();
    const live = rt.pool.stats().liveBuffers;
    let last = 0;
    for (let i = 0; i < 40; i++) {
      const loss = step();
      if (i === 39) last = await loss.item();
      loss.dispose();
    }
    assert.equal(rt.pool.stats().liveBuffers, live, 'no buffer leaked across steps');
    const acc = await E.noGrad(() => accuracy(model.forward(xs), ys)).item();
    assert.ok(acc >= 0.95, `training accuracy ${acc} (final loss ${last})`);
  });
});
