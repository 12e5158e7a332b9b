// Scopes: synchronous (tfjs tidy) and async (`await scope(async () => …)`), nested and
// interleaved, with Node's AsyncLocalStorage and with the stack rule used where no async
// context exists (browsers today).
import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { gpu } from './helpers.ts';

const tick = (ms = 0) => new Promise<void>((r) => setTimeout(r, ms));

describe('scope: synchronous and async', () => {
  let rt: E.Runtime;
  before(async () => {
    rt = await gpu();
  });

  it('an async scope disposes what its body created across awaits, except what it returns', async () => {
    const live = E.liveTensorCount();
    const kept: E.Tensor[] = [];
    const out = await E.scope(async () => {
      const a = E.tensor([1, 2, 3]);
      const v = await a.read(); // a real GPU await
      const b = E.addScalar(a, v[2]); // created after the await
      await tick(1);
      const c = E.mulScalar(b, 2);
      kept.push(a, b);
      return { c, note: 'plain values pass through' };
    });
    assert.deepEqual([...(await out.c.read())], [8, 10, 12]);
    assert.ok(kept.every((t) => t.isDisposed), 'intermediates created before and after awaits are disposed');
    assert.equal(E.liveTensorCount(), live + 1);
    out.c.dispose();
  });

  it('a rejected async scope disposes everything it created and rethrows', async () => {
    const live = E.liveTensorCount();
    await assert.rejects(E.scope(async () => {
      E.tensor([1]);
      await tick();
      E.tensor([2]);
      throw new Error('boom');
    }), /boom/);
    assert.equal(E.liveTensorCount(), live);
  });

  it('two async scopes running concurrently never take each other\'s tensors (AsyncLocalStorage)', async () => {
    assert.ok(E.hasAsyncScopeContext(), 'the Node entry installs AsyncLocalStorage');
    const live = E.liveTensorCount();
    const seen: Record<string, E.Tensor[]> = { a: [], b: [] };
    const body = (name: 'a' | 'b', base: number, delays: number[]) => async () => {
      let t = E.tensor([base, base + 1]);
      seen[name].push(t);
      for (const d of delays) {
        await tick(d); // the other scope runs here and creates tensors of its own
        t = E.addScalar(t, 1);
        seen[name].push(t);
        await t.read();
      }
      // a nested sync scope in a continuation returns into this async scope
      return E.scope(() => E.mulScalar(E.addScalar(t, 0), 10));
    };
    const [ra, rb] = await Promise.all([E.scope(body('a', 0, [3, 1, 4, 1])), E.scope(body('b', 100, [1, 5, 2, 1]))]);
    assert.deepEqual([...(await ra.read())], [40, 50]);
    assert.deepEqual([...(await rb.read())], [1040, 1050]);
    assert.ok([...seen.a, ...seen.b].every((t) => t.isDisposed));
    assert.equal(E.liveTensorCount(), live + 2, 'only the two results live');
    ra.dispose();
    rb.dispose();
  });

  it('nested async scopes: an inner result moves to the outer scope, which frees it unless it returns it', async () => {
    const live = E.liveTensorCount();
    let inner: E.Tensor | null = null;
    const out = await E.scope(async () => {
      await tick();
      inner = await E.scope(async () => {
        const x = E.tensor([1, 2]);
        await x.read();
        return E.addScalar(x, 1);
      });
      assert.ok(!inner.isDisposed);
      return E.mulScalar(inner, 3);
    });
    assert.deepEqual([...(await out.read())], [6, 9]);
    assert.ok(inner!.isDisposed, 'the inner result was the outer scope\'s to free');
    assert.equal(E.liveTensorCount(), live + 1);
    out.dispose();
  });

  it('no leak over 300 async scopes with readbacks', async () => {
    await E.scope(async () => E.tensor([0])); // warm-up
    await rt.sync();
    const live = E.liveTensorCount();
    const bytes = rt.pool.stats().liveBytes;
    for (let i = 0; i < 300; i++) {
      const s = await E.scope(async () => {
        const x = E.tensor([i, 1]);
        const y = E.mul(x, x);
        return (await E.sum(y).item()) + (await y.read())[0];
      });
      assert.equal(s, i * i + 1 + i * i);
    }
    await rt.sync();
    assert.equal(E.liveTensorCount(), live);
    assert.equal(rt.pool.stats().liveBytes, bytes);
  });

  it('a plain function returning a Promise is refused (the scope could not follow it), as is noGrad(async …)', () => {
    const live = E.liveTensorCount();
    assert.throws(() => E.scope(() => {
      E.tensor([1]);
      return Promise.resolve(1);
    }), /scope: the function returned a Promise but is not an async function/);
    assert.equal(E.liveTensorCount(), live);
    assert.throws(() => E.noGrad(async () => 1), /noGrad: the function returned a Promise/);
    assert.throws(() => E.scope(42 as unknown as () => void), /scope: expected a function, got number/);
  });

  describe('without an async context (browsers today): the stack rule', () => {
    let saved: E.AsyncScopeContext | null = null;
    before(() => {
      saved = E.setAsyncScopeContext(null);
    });
    after(() => {
      E.setAsyncScopeContext(saved);
    });

    it('nested, awaited async scopes are exact', async () => {
      assert.equal(E.hasAsyncScopeContext(), false);
      const live = E.liveTensorCount();
      const out = await E.scope(async () => {
        const a = E.tensor([1]);
        await a.read();
        const b = await E.scope(async () => {
          const c = E.tensor([2]);
          await tick(1);
          return E.add(c, a);
        });
        await tick(1);
        return E.mulScalar(b, 2);
      });
      assert.deepEqual([...(await out.read())], [6]);
      assert.equal(E.liveTensorCount(), live + 1);
      out.dispose();
    });

    it('concurrent async scopes that settle out of order throw instead of silently mixing tensors', async () => {
      const first = E.scope(async () => {
        await tick(1);
        return E.tensor([1]);
      });
      const second = E.scope(async () => {
        await tick(20);
        return E.tensor([2]);
      });
      await assert.rejects(first, /scope: async scopes settled out of order: they ran concurrently/);
      const t = await second;
      t.dispose();
    });
  });
});
