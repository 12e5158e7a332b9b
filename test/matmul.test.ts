import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import { gpu, pair, assertTensorClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { matmul as refMatmul, zip, type Nd } from './reference/nd.ts';

// Per-element errors are measured against max(|cᵢ|, 1% of max|c|): a dot product's rounding
// error scales with its terms, not with its (possibly cancelled) result.
// Shapes around tile edges: tiny, odd, not multiples of 4/16/64, and one > 64 in every dim.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 4, 4],
  [17, 33, 65],
  [64, 64, 64],
  [130, 70, 257],
  [1, 300, 2],
];

describe('matmul', () => {
  before(gpu);

  it('matches the float64 reference for odd and tile-crossing shapes', async () => {
    for (const [i, [m, k, n]] of SHAPES.entries()) {
      const [a, ar] = pair([m, k], 60 + i);
      const [b, br] = pair([k, n], 80 + i);
      await assertTensorClose(E.matmul(a, b), refMatmul(ar, br), 1e-4, `[${m},${k}]·[${k},${n}]`, 1e-2);
    }
  });

  it('reads transposed operands in place, in every kernel config (tiled, register, subgroup)', async () => {
    const rt = await gpu();
    const configs: E.MatmulConfig[] = [
      E.matmulConfig(rt),
      { kernel: 'tiled', tm: 4, wgx: 16, wgy: 16 },
      { kernel: 'register', tm: 8, tn4: 2, wgx: 8, wgy: 8 },
      { kernel: 'register', tm: 3, tn4: 1, wgx: 8, wgy: 8 },
    ];
    if (E.matmulConfig(rt).kernel === 'subgroup') configs.push({ kernel: 'subgroup', tm: 8, tn4: 2, wgx: 8, wgy: 8 });
    for (const cfg of configs) {
      // odd shapes (scalar paths) and 4-aligned ones (vec4 paths), both crossing block edges
      for (const [m, k, n] of [[3, 5, 7], [70, 33, 65], [36, 20, 44], [64, 128, 32]] as const) {
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const [a, ar] = pair(ta ? [k, m] : [m, k], 1);
          const [b, br] = pair(tb ? [n, k] : [k, n], 2);
          await assertTensorClose(E.matmulKernel(a, b, ta, tb, cfg), refMatmul(ar, br, ta, tb), 1e-4, `${cfg.kernel} ta=${ta} tb=${tb} [${m},${k},${n}]`, 1e-2);
        }
      }
    }
  });

  it('broadcasts batch dims like torch.matmul', async () => {
    const [a, ar] = pair([2, 3, 5, 7], 3);
    const [b, br] = pair([3, 7, 4], 4);
    await assertTensorClose(E.matmul(a, b), refMatmul(ar, br), 1e-4, 'batched broadcast');
    const [c, cr] = pair([1, 6, 2], 5);
    const [d, dr] = pair([4, 2, 3], 6);
    await assertTensorClose(E.matmul(c, d), refMatmul(cr, dr), 1e-4, 'batch 1 vs 4');
  });

  it('treats 1-D operands as vectors', async () => {
    const [v, vr] = pair([5], 7);
    const [m, mr] = pair([5, 3], 8);
    const r = E.matmul(v, m);
    assert.deepEqual(r.shape, [3]);
    const expected = refMatmul({ shape: [1, 5], data: vr.data }, mr);
    await assertTensorClose(r, { shape: [3], data: expected.data }, 1e-5, 'vector · matrix');
    const [w] = pair([3], 9);
    assert.deepEqual(E.matmul(m, w).shape, [5]);
  });

  it('gradients match finite differences, also through broadcast batch dims', async () => {
    await gradCheck({ name: 'matmul', shapes: [[3, 5], [5, 4]], gpu: E.matmul, ref: (a: Nd, b: Nd) => refMatmul(a, b) });
    await gradCheck({ name: 'batched matmul', shapes: [[2, 3, 5], [5, 4]], gpu: E.matmul, ref: (a: Nd, b: Nd) => refMatmul(a, b) });
  });

  it('linear (its own backward rule: dx = g·W, dW = gᵀ·x, db = Σg) matches finite differences, with and without bias', async () => {
    const refLinear = (x: Nd, w: Nd, b?: Nd) => {
      const y = refMatmul(x, w, false, true);
      return b ? zip(y, b, (u, v) => u + v) : y;
    };
    await gradCheck({ name: 'linear', shapes: [[3, 4], [5, 4], [5]], gpu: E.linear, ref: refLinear });
    await gradCheck({ name: 'linear without bias', shapes: [[3, 4], [5, 4]], gpu: (x, w) => E.linear(x, w), ref: (x: Nd, w: Nd) => refLinear(x, w) });
    // leading dims are flattened into rows (x [2,3,4] is 6 rows)
    await gradCheck({ name: 'linear over [2,3,4]', shapes: [[2, 3, 4], [5, 4], [5]], gpu: E.linear, ref: refLinear });
  });

  it('mismatched inner dimensions are rejected with both shapes named', () => {
    const [a] = pair([3, 4], 1);
    const [b] = pair([5, 2], 2);
    assert.throws(() => E.matmul(a, b), /matmul: inner dimensions differ: \[3,4\] · \[5,2\] \(4 vs 5\)/);
  });
});
