import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { dropout } from '../engine/ops/dropout.ts';
import { gpu, pair, assertClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import * as R from './reference/dropout.ts';

describe('dropout: counter-based mask, inverted scaling', () => {
  before(gpu);

  it('the mask is the specified hash of (seed, index): equal to the JS reference bit for bit', async () => {
    const x = E.ones([1000]);
    for (const [p, seed] of [[0.5, 0], [0.1, 12345], [0.9, 0xffffffff]]) {
      const got = await dropout(x, p, { training: true, seed }).read();
      const mask = R.dropoutMask(1000, p, seed);
      for (let i = 0; i < 1000; i++) assert.equal(got[i] !== 0 ? 1 : 0, mask[i], `p=${p} seed=${seed} element ${i}`);
    }
  });

  it('the same seed gives the same mask; different seeds give different masks', async () => {
    const [x] = pair([4096], 1, 0.5, 1);
    const a = await dropout(x, 0.5, { training: true, seed: 7 }).read();
    const b = await dropout(x, 0.5, { training: true, seed: 7 }).read();
    assert.deepEqual(a, b);
    for (const other of [8, 7 + 2 ** 16, 2 ** 31 + 7]) {
      const c = await dropout(x, 0.5, { training: true, seed: other }).read();
      let differ = 0;
      for (let i = 0; i < a.length; i++) if ((a[i] === 0) !== (c[i] === 0)) differ++;
      // independent masks disagree on half the elements
      assert.ok(Math.abs(differ / a.length - 0.5) < 0.05, `seeds 7 and ${other}: ${differ} of ${a.length} differ`);
    }
  });

  it('keeps a fraction 1 − p of 10⁵ elements (±1%) and scales survivors by 1/(1 − p)', async () => {
    const n = 100_000;
    const [x, xr] = pair([n], 3, 0.5, 2);
    for (const p of [0.1, 0.5, 0.8]) {
      const y = await dropout(x, p, { training: true, seed: 99 }).read();
      let kept = 0;
      for (const v of y) if (v !== 0) kept++;
      assert.ok(Math.abs(kept / n - (1 - p)) < 0.01, `p=${p}: kept ${kept / n}`);
      assertClose(y, R.dropout(xr, p, 99).data, 1e-6, `values p=${p}`);
    }
  });

  it('the gradient applies the same mask and scale (finite differences, and the mask read back)', async () => {
    await gradCheck({ name: 'dropout', shapes: [[5, 7]], gpu: (x) => dropout(x, 0.3, { training: true, seed: 5 }), ref: (x) => R.dropout(x, 0.3, 5) });
    const [x] = pair([300], 4, 0.5, 1);
    x.requiresGrad = true;
    const y = dropout(x, 0.4, { training: true, seed: 11 });
    E.backward(E.sum(y));
    const [out, g] = [await y.read(), await x.grad!.read()];
    for (let i = 0; i < 300; i++) assert.equal(g[i], out[i] === 0 ? 0 : Math.fround(1 / 0.6), `element ${i}`);
  });

  it('is the identity in eval mode and for p = 0; p = 1 gives zeros', async () => {
    const [x, xr] = pair([3, 5], 6);
    x.requiresGrad = true;
    for (const y of [dropout(x, 0.5, { training: false, seed: 1 }), dropout(x, 0, { training: true, seed: 1 })]) {
      assert.deepEqual(y.shape, [3, 5]);
      assertClose(await y.read(), xr.data, 0, 'identity');
      E.backward(E.sum(y));
      assert.deepEqual([...(await x.grad!.read())], Array(15).fill(1));
      x.grad!.dispose();
      x.grad = null;
    }
    const z = dropout(x, 1, { training: true, seed: 1 });
    assert.ok((await z.read()).every((v) => v === 0), 'all zero');
  });

  it('bad arguments throw with the op named', () => {
    const [x] = pair([4], 1);
    assert.throws(() => dropout(x, 1.5, { training: true, seed: 1 }), /dropout: p must be in \[0, 1\], got 1.5/);
    assert.throws(() => dropout(x, 0.5, { training: true, seed: 1.5 }), /dropout: seed must be an integer in \[0, 2\^32\), got 1.5/);
    assert.throws(() => dropout(x, 0.5, { training: true, seed: -1 }), /dropout: seed must be an integer/);
  });
});
