import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { bucketSize } from '../engine/runtime/buffer-pool.ts';
import { gpu, pair, rand } from './helpers.ts';

describe('tensors and the buffer pool', () => {
  before(gpu);

  it('uploads and reads back exactly', async () => {
    const data = rand(1001, 9);
    assert.deepEqual(await E.tensor(data, [7, 11, 13]).read(), data);
    assert.equal(await E.tensor([42]).item(), 42);
    assert.deepEqual(await E.tensor([], [0, 3]).read(), new Float32Array(0));
  });

  it('rejects data that does not fill the shape, and invalid shapes', () => {
    assert.throws(() => E.tensor([1, 2, 3], [2, 2]), /tensor: 3 values do not fill shape \[2,2\]/);
    assert.throws(() => E.tensor([1, 2], [2.5]), /tensor: invalid shape \[2.5\]/);
  });

  it('nested arrays give their shape, as torch.tensor does; ragged ones and non-numbers are refused by position', async () => {
    const t = E.tensor([[1, 2], [3, 4]]);
    assert.deepEqual(t.shape, [2, 2]);
    assert.deepEqual([...(await t.read())], [1, 2, 3, 4]);
    assert.deepEqual(E.tensor([[[1], [2], [3]], [[4], [5], [6]]]).shape, [2, 3, 1]);
    const scalar = E.tensor(3.5);
    assert.deepEqual(scalar.shape, []);
    assert.equal(await scalar.item(), 3.5);
    assert.deepEqual(E.tensor([[], []]).shape, [2, 0]);
    assert.deepEqual(E.tensor([]).shape, [0]);
    assert.deepEqual(E.tensor([[1, 2], [3, 4]], [4]).shape, [4], 'an explicit shape reshapes');
    assert.deepEqual([...(await E.tensor(new Int32Array([1, -2]), { requiresGrad: true }).read())], [1, -2]);
    assert.equal(E.tensor([1, 2], { requiresGrad: true }).requiresGrad, true);
    assert.throws(() => E.tensor([[1, 2], [3]]), /^SamgpuError: tensor: ragged nested array: data\[1\] has 1 elements, expected 2 \(shape \[2,2\] from the first elements\)$/);
    assert.throws(() => E.tensor([[1, 2], 3]), /tensor: ragged nested array: data\[1\] is 3, expected 2/);
    assert.throws(() => E.tensor([1, [2]]), /tensor: data\[1\] is an array, expected a number/);
    assert.throws(() => E.tensor([[1, 'a']] as never), /tensor: data\[0\]\[1\] is "a", expected a number/);
    assert.throws(() => E.tensor({ a: 1 } as never), /tensor: expected a number, nested arrays of numbers or a typed array, got an object/);
    assert.throws(() => E.tensor([[1, 2], [3, 4]], [3]), /tensor: 4 values do not fill shape \[3\] \(the data has shape \[2,2\]\)/);
    assert.throws(() => E.tensor([1], { shape: [1], grad: true } as never), /tensor: unknown option 'grad' \(known: shape, requiresGrad\)/);
  });

  it('factories take a shape as one array or as separate integers (torch.zeros(2, 3))', async () => {
    assert.deepEqual(E.zeros(2, 3).shape, [2, 3]);
    assert.deepEqual(E.ones([2, 3]).shape, [2, 3]);
    assert.deepEqual([...(await E.ones(2, 2).read())], [1, 1, 1, 1]);
    assert.deepEqual(E.empty(4, 1).shape, [4, 1]);
    assert.deepEqual([...(await E.full(3, 7).read())], [7, 7, 7]);
    assert.throws(() => E.zeros(2, 2.5), /zeros: a shape is non-negative integers/);
    assert.throws(() => E.full(2, 3, 7 as never), /full: the third argument is a tensor whose device to use, got 7/);
  });

  it('item() of a tensor with more than one element is rejected', async () => {
    await assert.rejects(() => E.tensor([1, 2]).item(), /item: tensor has 2 elements, expected 1/);
  });

  it('views share storage; the buffer returns to the pool when the last handle goes', async () => {
    const rt = await gpu();
    const live0 = rt.pool.stats().liveBuffers;
    const t = E.tensor([1, 2, 3, 4], [2, 2]);
    const v = t.view([4]);
    assert.equal(rt.pool.stats().liveBuffers, live0 + 1);
    t.dispose();
    assert.deepEqual([...(await v.read())], [1, 2, 3, 4]);
    v.dispose();
    assert.equal(rt.pool.stats().liveBuffers, live0);
  });

  it('using a disposed tensor throws, naming the op and shape', async () => {
    const t = E.tensor([1, 2, 3]);
    t.dispose();
    await assert.rejects(() => t.read(), /read: used a disposed tensor \(shape \[3\]/);
    assert.throws(() => E.relu(t), /relu: used a disposed tensor/);
    t.dispose(); // twice is harmless
  });

  it('scope disposes what it created except what it returns', async () => {
    const rt = await gpu();
    const live0 = rt.pool.stats().liveBuffers;
    const x = E.tensor([1, 2, 3]);
    const y = E.scope(() => E.addScalar(E.mulScalar(E.exp(x), 2), 1));
    assert.equal(rt.pool.stats().liveBuffers, live0 + 2);
    const kept = E.scope(() => {
      const k = E.keep(E.neg(x));
      E.neg(x);
      return undefined;
    });
    assert.equal(kept, undefined);
    assert.equal(rt.pool.stats().liveBuffers, live0 + 3);
    assert.throws(() => E.scope(() => { E.neg(x); throw new Error('boom'); }), /boom/);
    assert.equal(rt.pool.stats().liveBuffers, live0 + 3, 'a throwing scope still frees');
    assert.equal(y.isDisposed, false);
  });

  it('bucket sizes waste at most 25% and reuse is deterministic', async () => {
    for (const n of [1, 17, 1000, 1025, 4096, 5000, 1 << 20]) {
      const b = bucketSize(n);
      assert.ok(b >= n && b <= Math.max(16, n * 1.25), `bucket ${b} for ${n}`);
    }
    const rt = await gpu();
    const a = E.tensor(rand(300, 1));
    const buf = a.buffer();
    a.dispose();
    const b = E.zeros([290]); // same bucket → the same buffer comes back
    assert.equal(b.buffer(), buf);
    assert.ok(rt.pool.stats().freeBuffers >= 0);
  });

  it('an upload never reuses a buffer that the open batch still reads', async () => {
    const x = E.tensor([1, 2, 3, 4]);
    const y = E.mulScalar(x, 10); // recorded, not yet submitted
    x.dispose(); // x's buffer is free for dispatches, not for uploads
    const z = E.tensor([7, 7, 7, 7]); // must not overwrite x before y is computed
    assert.deepEqual([...(await y.read())], [10, 20, 30, 40]);
    assert.deepEqual([...(await z.read())], [7, 7, 7, 7]);
  });

  it('the pool does not grow over 1000 training-like iterations', async () => {
    const rt = await gpu();
    const [w] = pair([32, 16], 3);
    const [x] = pair([8, 32], 4);
    w.requiresGrad = true;
    const iterate = () => {
      E.scope(() => {
        E.backward(E.mean(E.square(E.relu(E.matmul(x, w)))));
        const updated = E.noGrad(() => E.sub(w, E.mulScalar(w.grad!, 0.01)));
        updated.dispose();
      });
      w.grad!.dispose();
      w.grad = null;
    };
    for (let i = 0; i < 10; i++) iterate();
    await rt.sync();
    const s0 = rt.pool.stats();
    const tensors0 = E.liveTensorCount();
    for (let i = 0; i < 1000; i++) iterate();
    await rt.sync();
    const s1 = rt.pool.stats();
    assert.equal(s1.liveBuffers, s0.liveBuffers, 'live buffers');
    assert.equal(s1.created, s0.created, 'no new GPU buffers were created');
    assert.equal(E.liveTensorCount(), tensors0, 'live tensor handles');
  });
});
