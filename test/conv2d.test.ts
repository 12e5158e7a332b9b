import assert from 'node:assert/strict';
import * as E from '../engine/index.ts';
import {
  conv2d, conv2dRelu, conv2dConfig, conv2dGeometry, conv2dForwardKernel, conv2dBackwardInputKernel, conv2dBackwardWeightKernel,
  type Conv2dConfig, type Conv2dOptions,
} from '../engine/ops/conv2d.ts';
import type { KernelSource } from '../engine/runtime/pipeline-cache.ts';
import type { DispatchArgs } from '../engine/runtime/runtime.ts';
import { gpu, pair, rand, assertClose } from './helpers.ts';
import { gradCheck } from './gradcheck.ts';
import { Fixture } from './fixtures.ts';
import * as ref from './reference/conv.ts';
import type { Nd } from './reference/nd.ts';

type P = [number, number];
interface Case { x: number[]; w: number[]; o: Conv2dOptions; bias?: boolean }
const refArgs = (o: Conv2dOptions): ref.ConvArgs => {
  const two = (v: number | P | undefined): P | undefined => (v === undefined ? undefined : typeof v === 'number' ? [v, v] : v);
  return { stride: two(o.stride), padding: two(o.padding), dilation: two(o.dilation), groups: o.groups };
};

// Odd sizes and channel counts around the blockings (4 and 16 channels, 4 pixels, 8 lanes),
// strides with dilations (phases of the input gradient), groups, depthwise, non-square kernels.
const CASES: Case[] = [
  { x: [2, 3, 7, 9], w: [5, 3, 3, 3], o: { padding: 1 } },
  { x: [2, 3, 12, 6], w: [32, 3, 5, 5], o: { stride: 2, padding: 2 }, bias: true },
  { x: [1, 4, 9, 11], w: [6, 2, 3, 2], o: { stride: [2, 3], padding: [1, 0], dilation: [2, 1], groups: 2 }, bias: true },
  { x: [2, 6, 7, 7], w: [6, 1, 3, 3], o: { padding: 1, groups: 6 } },
  { x: [2, 6, 7, 7], w: [12, 1, 3, 3], o: { stride: 2, padding: 1, groups: 6 }, bias: true },
  { x: [3, 9, 5, 13], w: [17, 9, 1, 1], o: { stride: 2 } },
  { x: [2, 16, 10, 10], w: [20, 16, 3, 3], o: { padding: 2, dilation: 2 }, bias: true },
  { x: [3, 5, 9, 13], w: [35, 5, 3, 3], o: { stride: 2, padding: 1 }, bias: true },
  { x: [2, 21, 10, 7], w: [18, 7, 3, 2], o: { stride: [1, 2], padding: 1, groups: 3 } },
  { x: [2, 9, 17, 15], w: [20, 9, 4, 3], o: { stride: [3, 2], padding: [3, 2], dilation: [2, 4] }, bias: true },
  { x: [1, 18, 14, 16], w: [24, 9, 5, 3], o: { stride: [2, 3], padding: [1, 2], dilation: [3, 1], groups: 2 } },
  { x: [1, 17, 6, 6], w: [17, 17, 6, 6], o: { stride: 4, padding: 5 } },
];

function upload(c: Case, seed: number): { x: E.Tensor; w: E.Tensor; b: E.Tensor | null; xr: Nd; wr: Nd; br: Nd | null } {
  const [x, xr] = pair(c.x, seed);
  const [w, wr] = pair(c.w, seed + 1, -0.5, 0.5);
  const [b, br] = c.bias ? pair([c.w[0]], seed + 2) : [null, null];
  return { x, w, b, xr, wr, br };
}

/** Every kernel variant this adapter can run: register blockings (with and without split weight gradients), and the subgroup kernels where they exist. */
async function configs(): Promise<Conv2dConfig[]> {
  const rt = await gpu();
  const list: Conv2dConfig[] = [
    { kernel: 'register', tc: 8, wg: 64, threads: 512 },
    { kernel: 'register', tc: 4, wg: 32, threads: 100000 },
    { kernel: 'register', tc: 1, wg: 64, threads: 1 },
  ];
  if (conv2dConfig(rt, 16).kernel === 'subgroup') {
    list.push({ kernel: 'subgroup', tc: 4, wg: 64, threads: 512 }, { kernel: 'subgroup', tc: 4, wg: 64, threads: 1 });
  }
  return list;
}

// f32 sums of up to ~600 terms against float64: relative error measured against max(|e|, 1% of
// the largest |e|), so elements that cancel to near zero do not demand more than f32 holds.
const close = async (t: E.Tensor, e: Nd, what: string) => {
  assert.deepEqual([...t.shape], e.shape, `${what}: shape`);
  assertClose(await t.read(), e.data, 1e-4, what, 1e-2);
};

describe('conv2d: forward, input and weight gradients (PyTorch F.conv2d semantics)', () => {
  before(gpu);

  it('every forward kernel matches the float64 reference (stride, padding, dilation, groups, depthwise, odd sizes)', async () => {
    const cfgs = await configs();
    for (const [i, c] of CASES.entries()) {
      const { x, w, b, xr, wr, br } = upload(c, 10 * i);
      const expected = ref.conv2d(xr, wr, br, refArgs(c.o));
      const g = conv2dGeometry(c.x, c.w, b ? b.shape : null, c.o);
      for (const cfg of cfgs) await close(conv2dForwardKernel(x, w, b, g, cfg), expected, `forward ${cfg.kernel}/${cfg.tc} ${JSON.stringify(c)}`);
      await close(conv2d(x, w, b, c.o), expected, `conv2d ${JSON.stringify(c)}`);
    }
  });

  it('every input- and weight-gradient kernel matches the float64 reference, split or not', async () => {
    const cfgs = await configs();
    for (const [i, c] of CASES.entries()) {
      const { x, w, xr, wr } = upload(c, 10 * i);
      const g = conv2dGeometry(c.x, c.w, null, c.o);
      const [dy, dyr] = pair([g.n, g.cout, g.oh, g.ow], 10 * i + 5);
      const dx = ref.conv2dGradInput(dyr, c.x, wr, refArgs(c.o));
      const dw = ref.conv2dGradWeight(dyr, xr, c.w, refArgs(c.o));
      for (const cfg of cfgs) {
        const what = `${cfg.kernel}/${cfg.tc} ${JSON.stringify(c)}`;
        await close(conv2dBackwardInputKernel(dy, w, g, cfg), dx, `dx ${what}`);
        await close(conv2dBackwardWeightKernel(dy, x, g, cfg), dw, `dweight ${what}`);
      }
    }
  });

  it('gradients of input, weight and bias match finite differences', async () => {
    const grad = (name: string, xs: number[], ws: number[], o: Conv2dOptions, bias: boolean) =>
      gradCheck({
        name,
        shapes: bias ? [xs, ws, [ws[0]]] : [xs, ws],
        gpu: (x, w, b) => conv2d(x, w, b ?? null, o),
        ref: (x, w, b) => ref.conv2d(x, w, b ?? null, refArgs(o)),
      });
    await grad('stride 2, padding 1', [2, 3, 5, 6], [4, 3, 3, 3], { stride: 2, padding: 1 }, true);
    await grad('dilation 2', [1, 2, 6, 5], [3, 2, 2, 2], { dilation: 2, padding: [1, 0] }, true);
    await grad('groups 2, non-square kernel', [1, 4, 5, 4], [6, 2, 3, 1], { groups: 2, stride: [1, 2] }, true);
    await grad('depthwise, no bias', [2, 3, 4, 5], [3, 1, 3, 3], { groups: 3, padding: 1 }, false);
    await grad('non-square kernel, no bias', [1, 2, 6, 4], [2, 2, 1, 3], { padding: [0, 1], stride: [2, 1] }, false);
    await grad('1×1 (matmul path)', [2, 3, 2, 3], [4, 3, 1, 1], {}, true);
    await grad('1×1 (matmul path), no bias', [1, 5, 3, 1], [2, 5, 1, 1], {}, false);
    await grad('wide groups (subgroup kernels)', [1, 18, 3, 3], [16, 9, 2, 2], { groups: 2, padding: 1, stride: 2 }, false);
  });

  it('matches PyTorch: outputs and the gradients of sum(out · w_out) for input, weight and bias', async () => {
    const f = new Fixture('conv2d');
    const configs = JSON.parse(f.metadata.configs) as Record<string, { options: Conv2dOptions; bias: boolean }>;
    assert.ok(Object.keys(configs).length >= 10);
    const t = (name: string) => E.tensor(f.get(name).data, f.get(name).shape);
    for (const [name, c] of Object.entries(configs)) {
      const x = t(`${name}.x`);
      const w = t(`${name}.weight`);
      const b = c.bias ? t(`${name}.bias`) : null;
      for (const v of [x, w, b]) if (v) v.requiresGrad = true;
      const out = conv2d(x, w, b, c.options);
      E.backward(E.sum(E.mul(out, t(`${name}.w_out`))));
      assertClose(await out.read(), f.nd(`${name}.out`).data, 1e-4, `${name} out`);
      assertClose(await x.grad!.read(), f.nd(`${name}.dx`).data, 1e-4, `${name} dx`);
      assertClose(await w.grad!.read(), f.nd(`${name}.dweight`).data, 1e-4, `${name} dweight`);
      if (b) assertClose(await b.grad!.read(), f.nd(`${name}.dbias`).data, 1e-4, `${name} dbias`);
    }
  });

  it('the fused ReLU epilogue equals relu(conv2d) bit for bit: every forward kernel, the op and its gradients, and Sequential(Conv2d, ReLU)', async () => {
    const cfgs = await configs();
    const bits = async (t: E.Tensor) => new Uint32Array((await t.read()).buffer);
    for (const [i, c] of CASES.entries()) {
      const { x, w, b } = upload(c, 10 * i);
      const g = conv2dGeometry(c.x, c.w, b ? b.shape : null, c.o);
      for (const cfg of cfgs) {
        const what = `${cfg.kernel}/${cfg.tc} ${JSON.stringify(c)}`;
        assert.deepEqual(await bits(conv2dForwardKernel(x, w, b, g, cfg, true)), await bits(E.relu(conv2dForwardKernel(x, w, b, g, cfg))), what);
      }
      // the op (1×1 stride-1 cases take the matmul path plus a separate relu) and its gradients
      const run = async (fused: boolean) => {
        for (const v of [x, w, b]) if (v) { v.requiresGrad = true; v.grad = null; }
        const out = fused ? conv2dRelu(x, w, b, c.o) : E.relu(conv2d(x, w, b, c.o));
        const [wo] = pair([...out.shape], 10 * i + 7);
        E.backward(E.sum(E.mul(out, wo)));
        return [await bits(out), await bits(x.grad!), await bits(w.grad!), ...(b ? [await bits(b.grad!)] : [])];
      };
      assert.deepEqual(await run(true), await run(false), `conv2dRelu ${JSON.stringify(c)}`);
    }
    // Sequential fuses Conv2d + ReLU (and only that pair) and gives the same as the two layers
    E.manualSeed(5);
    const seq = new E.nn.Sequential(new E.nn.Conv2d(3, 8, 3, { padding: 1 }), new E.nn.ReLU(), new E.nn.Conv2d(8, 4, 3, { stride: 2 }), new E.nn.ReLU());
    const calls: string[] = [];
    const [xs] = pair([2, 3, 9, 9], 99);
    const rt = await gpu();
    const orig = rt.dispatch;
    rt.dispatch = ((k: KernelSource, a: DispatchArgs) => (calls.push(k.entry), orig.call(rt, k, a))) as typeof rt.dispatch;
    let fused: E.Tensor;
    try {
      fused = seq.forward(xs);
    } finally {
      rt.dispatch = orig;
    }
    assert.ok(!calls.includes('unary'), `no separate relu kernel: ${calls.join(', ')}`);
    const layers = seq.layers;
    const unfused = layers.reduce((y: E.Tensor, m) => m.forward(y), xs);
    assert.deepEqual(await bits(fused), await bits(unfused));
  });

  it('conv2dRelu gradients match finite differences (the kink is where the output is 0)', async () => {
    await gradCheck({
      name: 'conv2dRelu',
      shapes: [[2, 3, 5, 6], [4, 3, 3, 3], [4]],
      gpu: (x, w, b) => conv2dRelu(x, w, b, { stride: 2, padding: 1 }),
      ref: (x, w, b) => {
        const y = ref.conv2d(x, w, b, { stride: [2, 2], padding: [1, 1] });
        return { shape: y.shape, data: y.data.map((v) => Math.max(v, 0)) };
      },
    });
  });

  it('1×1 stride-1 convolutions run as matmuls, forward and backward', async () => {
    const rt = await gpu();
    const seen: string[] = [];
    const dispatch = rt.dispatch;
    rt.dispatch = (src: KernelSource, args: DispatchArgs) => {
      seen.push(src.entry);
      dispatch.call(rt, src, args);
    };
    try {
      const x = E.tensor(rand(2 * 8 * 3 * 5, 1), [2, 8, 3, 5]);
      const w = E.tensor(rand(6 * 8, 2), [6, 8, 1, 1]);
      x.requiresGrad = w.requiresGrad = true;
      E.backward(E.sum(conv2d(x, w)));
      await x.grad!.read();
    } finally {
      rt.dispatch = dispatch;
    }
    assert.ok(seen.some((e) => e.startsWith('matmul')), `dispatched ${seen}`);
    assert.ok(!seen.some((e) => e.startsWith('conv2d')), `dispatched ${seen}`);
  });

  it('an empty batch gives an empty output and a zero weight gradient', async () => {
    const x = E.tensor([], [0, 2, 5, 5]);
    const w = E.tensor(rand(3 * 2 * 9, 3), [3, 2, 3, 3]);
    w.requiresGrad = true;
    const y = conv2d(x, w, null, { padding: 1 });
    assert.deepEqual(y.shape, [0, 3, 5, 5]);
    E.backward(y, E.tensor([], y.shape));
    assert.deepEqual([...(await w.grad!.read())], new Array(54).fill(0));
  });

  it('bad input is rejected with the op and shapes named', () => {
    const [x] = pair([8, 3, 32, 32], 1);
    const [w4] = pair([16, 4, 3, 3], 2);
    const [w3] = pair([16, 3, 3, 3], 3);
    const [b5] = pair([5], 4);
    assert.throws(() => conv2d(x, w4), /conv2d: input has 3 channels, weight expects 4 \(input \[8,3,32,32\], weight \[16,4,3,3\]\)/);
    assert.throws(() => conv2d(x, w3, b5), /conv2d: bias has shape \[5\], expected \[16\].*weight \[16,3,3,3\]/);
    assert.throws(() => conv2d(E.reshape(x, [8, 3, 1024]), w3), /conv2d: input must be 4-D \[N, Cin, H, W\], got \[8,3,1024\]/);
    assert.throws(() => conv2d(x, E.reshape(w3, [16, 27])), /conv2d: weight must be 4-D .* got \[16,27\]/);
    assert.throws(() => conv2d(x, w3, null, { groups: 2 }), /conv2d: groups=2 does not divide the input's 3 channels \(input \[8,3,32,32\], weight \[16,3,3,3\]\)/);
    const [x6] = pair([1, 6, 8, 8], 5);
    const [w6] = pair([5, 2, 3, 3], 6);
    assert.throws(() => conv2d(x6, w6, null, { groups: 3 }), /conv2d: groups=3 does not divide the weight's 5 output channels \(input \[1,6,8,8\], weight \[5,2,3,3\]\)/);
    const [w62] = pair([6, 2, 3, 3], 9);
    assert.throws(() => conv2d(x6, w62, null, { groups: 2 }), /conv2d: input has 6 channels, weight expects 4 \(input \[1,6,8,8\], weight \[6,2,3,3\], groups=2\)/);
    const [w9] = pair([4, 3, 9, 9], 7);
    const [small] = pair([1, 3, 4, 4], 8);
    assert.throws(() => conv2d(small, w9), /conv2d: output size -4×-4 is not positive \(input \[1,3,4,4\], weight \[4,3,9,9\]/);
    assert.throws(() => conv2d(small, w3, null, { dilation: 3 }), /conv2d: output size -2×-2 is not positive .*dilation \[3,3\]/);
    assert.throws(() => conv2d(x, w3, null, { stride: 0 }), /conv2d: stride must be an integer ≥ 1/);
    assert.throws(() => conv2d(x, w3, null, { padding: [1, -1] }), /conv2d: padding must be an integer ≥ 0/);
  });
});
