import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { gpu, pair, assertClose } from './helpers.ts';

describe('autograd tape', () => {
  before(gpu);

  it('a tensor used twice receives the sum of both gradients', async () => {
    const x = E.tensor([1, 2, 3]);
    x.requiresGrad = true;
    // L = Σ (x·x + 3x) → dL/dx = 2x + 3
    E.backward(E.sum(E.add(E.mul(x, x), E.mulScalar(x, 3))));
    assert.deepEqual([...(await x.grad!.read())], [5, 7, 9]);
  });

  it('gradients accumulate across backward calls until zeroed, as in PyTorch', async () => {
    const x = E.tensor([1, -2]);
    x.requiresGrad = true;
    E.backward(E.sum(E.mulScalar(x, 2)));
    E.backward(E.sum(E.mulScalar(x, 2)));
    assert.deepEqual([...(await x.grad!.read())], [4, 4]);
    x.grad!.dispose();
    x.grad = null;
    E.backward(E.sum(E.mulScalar(x, 2)));
    assert.deepEqual([...(await x.grad!.read())], [2, 2]);
  });

  it('a two-layer network: chain rule through matmul, relu, mean', async () => {
    const [x] = pair([8, 5], 1);
    const [w1] = pair([5, 6], 2);
    const [w2] = pair([6, 1], 3);
    w1.requiresGrad = w2.requiresGrad = true;
    const loss = E.mean(E.square(E.matmul(E.relu(E.matmul(x, w1)), w2)));
    E.backward(loss);
    // Float64 CPU check of dL/dw2 = (2/8) hᵀ (h w2)
    const xs = await x.read(), a = await w1.read(), b = await w2.read();
    const h = new Float64Array(48);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 6; j++) {
      let s = 0;
      for (let k = 0; k < 5; k++) s += xs[i * 5 + k] * a[k * 6 + j];
      h[i * 6 + j] = Math.max(s, 0);
    }
    const g2 = new Float64Array(6);
    for (let i = 0; i < 8; i++) {
      let y = 0;
      for (let j = 0; j < 6; j++) y += h[i * 6 + j] * b[j];
      for (let j = 0; j < 6; j++) g2[j] += (2 / 8) * h[i * 6 + j] * y;
    }
    assertClose(await w2.grad!.read(), g2, 1e-4, 'dL/dw2');
    assert.ok(w1.grad, 'w1 got a gradient');
  });

  it('noGrad records nothing', () => {
    const x = E.tensor([1, 2]);
    x.requiresGrad = true;
    const y = E.noGrad(() => E.mulScalar(x, 2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.node, null);
    assert.throws(() => E.backward(E.sum(y)), /backward: tensor \[\] does not require grad/);
  });

  it('backward needs a scalar root or an explicit gradient', async () => {
    const x = E.tensor([1, 2]);
    x.requiresGrad = true;
    const y = E.mulScalar(x, 3);
    assert.throws(() => E.backward(y), /backward: root must be a scalar, got \[2\]/);
    E.backward(y, E.tensor([1, 10]));
    assert.deepEqual([...(await x.grad!.read())], [3, 30]);
  });

  it('the graph is freed after backward unless retainGraph is set', () => {
    const x = E.tensor([1, 2]);
    x.requiresGrad = true;
    const loss = E.sum(E.exp(x));
    E.backward(loss, undefined, { retainGraph: true });
    E.backward(loss);
    assert.throws(() => E.backward(loss), /already freed; pass retainGraph/);
  });

  it('intermediate tensors may be disposed before backward (the tape keeps its own handles)', async () => {
    const x = E.tensor([1, 2, 3]);
    x.requiresGrad = true;
    const loss = E.scope(() => E.sum(E.square(E.mulScalar(x, 2))));
    E.backward(loss); // d/dx Σ (2x)² = 8x
    assert.deepEqual([...(await x.grad!.read())], [8, 16, 24]);
  });

  it('no buffers are left behind by a forward/backward once the graph is freed', async () => {
    const rt = await gpu();
    const [w] = pair([16, 8], 4);
    w.requiresGrad = true;
    const [x] = pair([4, 16], 5);
    const step = () => {
      E.scope(() => E.backward(E.mean(E.relu(E.matmul(x, w)))));
      w.grad!.dispose();
      w.grad = null;
    };
    step();
    const before = rt.pool.stats().liveBuffers;
    for (let i = 0; i < 20; i++) step();
    assert.equal(rt.pool.stats().liveBuffers, before);
  });
});

describe('autograd: gradients that share storage', () => {
  before(gpu);

  it('two leaves fed through add get independent gradients (in-place accumulation stays separate)', async () => {
    const a = E.tensor([1, 2]);
    const c = E.tensor([3, 4]);
    a.requiresGrad = c.requiresGrad = true;
    E.backward(E.sum(E.add(a, c)));
    E.backward(E.sum(E.mulScalar(a, 5)));
    assert.deepEqual([...(await a.grad!.read())], [6, 6]);
    assert.deepEqual([...(await c.grad!.read())], [1, 1]);
  });
});
