// The test matrix's checks, shared by test/variants.test.ts (Node, lavapipe) and the page it
// drives in headless Chromium (SwiftShader): one forced variant of one op family against the
// float64 references of test/reference, relative error, NaN never passes. No Node imports.
import { Rng, tensor, relu, backward, sum, mul, scope, softmax, logSoftmax, type Runtime, type Tensor } from '../engine/index.ts';
import { forceRowStrategy } from '../engine/ops/loss.ts';
import { batchNorm } from '../engine/ops/batchnorm.ts';
import { batchNormVariant, type BatchNormFamily, type RowStrategy } from '../engine/tune/variants/rows.ts';
import * as refBn from './reference/batchnorm.ts';
import * as refLoss from './reference/loss.ts';
import { matmulKernel } from '../engine/ops/matmul.ts';
import { conv2dBackwardInputKernel, conv2dBackwardWeightKernel, conv2dForwardKernel, conv2dGeometry, type Conv2dOptions } from '../engine/ops/conv2d.ts';
import { matmulVariant } from '../engine/tune/variants/matmul.ts';
import { conv2dVariant, type Conv2dFamily } from '../engine/tune/variants/conv2d.ts';
import { matmul as refMatmul, type Nd } from './reference/nd.ts';
import * as refConv from './reference/conv.ts';

/** Why `actual` fails (relative error > rtol against max(|e|, floor·max|e|), NaN, Inf), or null. */
export function mismatch(actual: ArrayLike<number>, e: Nd, rtol = 1e-4, floor = 1e-2): string | null {
  if (actual.length !== e.data.length) return `${actual.length} values, expected ${e.data.length}`;
  let maxAbs = 0;
  for (const v of e.data) maxAbs = Math.max(maxAbs, Math.abs(v));
  const den0 = Math.max(floor * maxAbs, 1e-30);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!Number.isFinite(actual[i])) return `element ${i} is ${actual[i]}`;
    const err = Math.abs(actual[i] - e.data[i]) / Math.max(Math.abs(e.data[i]), den0);
    if (err > worst) [worst, at] = [err, i];
  }
  return worst > rtol ? `relative error ${worst.toExponential(2)} at ${at} (got ${actual[at]}, expected ${e.data[at]})` : null;
}

function pair(rt: Runtime, rng: Rng, shape: number[]): [Tensor, Nd] {
  const data = rng.uniform(shape.reduce((a, b) => a * b, 1), -1, 1);
  return [tensor(data, shape, rt), { shape: [...shape], data: Float64Array.from(data) }];
}

async function compare(t: Tensor, e: Nd, what: string, failures: string[]): Promise<void> {
  const got = await t.read();
  t.dispose();
  const why = mismatch(got, e);
  if (why) failures.push(`${what}: ${why}`);
}

export type Combo = 'nn' | 'nt' | 'tn' | 'tt';
export const COMBOS: Combo[] = ['nn', 'nt', 'tn', 'tt'];

/**
 * matmul `variant` on each transposition combo given, for an odd shape (scalar paths) and/or a
 * 4-aligned one (vec4 paths), both crossing tile edges, with a batch of A against a shared B
 * (broadcast batch dims) and K deep enough for split-K variants to split. Failures as text.
 */
export async function checkMatmul(rt: Runtime, variant: string, combos: Combo[], shapes: ('odd' | 'aligned')[] = ['odd', 'aligned']): Promise<string[]> {
  const v = matmulVariant(variant);
  if (!v) return [`unknown variant ${variant}`];
  const failures: string[] = [];
  const rng = new Rng(variant.length * 31 + combos.length);
  for (const combo of combos) {
    const [ta, tb] = [combo[0] === 't', combo[1] === 't'];
    for (const kind of shapes) {
      const [m, k, n] = kind === 'odd' ? [37, 211, 29] : [68, 200, 36];
      const [a, ar] = pair(rt, rng, [2, ...(ta ? [k, m] : [m, k])]);
      const [b, br] = pair(rt, rng, tb ? [n, k] : [k, n]);
      await compare(matmulKernel(a, b, ta, tb, v.config), refMatmul(ar, br, ta, tb), `matmul ${variant} ${combo} ${kind} [2,${m},${k}]·[${k},${n}]`, failures);
      a.dispose();
      b.dispose();
    }
  }
  return failures;
}

export interface ConvCase {
  x: number[];
  w: number[];
  o: Conv2dOptions;
  bias?: boolean;
}

/** Cases around the blockings: 20 channels (16-channel blocks), odd sizes, strides, groups, dilation, depthwise, non-square kernels. */
export const CONV_CASES: ConvCase[] = [
  { x: [2, 5, 9, 7], w: [20, 5, 3, 3], o: { stride: 2, padding: 1 }, bias: true },
  { x: [1, 8, 7, 6], w: [12, 4, 3, 2], o: { stride: [1, 2], padding: [1, 0], dilation: [2, 1], groups: 2 }, bias: true },
  { x: [2, 3, 12, 6], w: [32, 3, 5, 5], o: { stride: 2, padding: 2 }, bias: true },
  { x: [2, 6, 7, 7], w: [12, 1, 3, 3], o: { stride: 2, padding: 1, groups: 6 } },
  { x: [2, 9, 17, 15], w: [20, 9, 4, 3], o: { stride: [3, 2], padding: [3, 2], dilation: [2, 4] }, bias: true },
];

const two = (v: number | [number, number] | undefined): [number, number] | undefined => (v === undefined ? undefined : typeof v === 'number' ? [v, v] : v);
const refArgs = (o: Conv2dOptions): refConv.ConvArgs => ({ stride: two(o.stride), padding: two(o.padding), dilation: two(o.dilation), groups: o.groups });

/**
 * conv2d `variant` of `family` on each case: the forward with bias (and, with `relu`, its fused
 * ReLU epilogue), the input gradient, the weight gradient (split when the variant splits).
 */
export async function checkConv(rt: Runtime, family: Conv2dFamily, variant: string, cases: ConvCase[], withRelu = false): Promise<string[]> {
  const v = conv2dVariant(variant);
  if (!v) return [`unknown variant ${variant}`];
  const failures: string[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = new Rng(100 + i);
    const [x, xr] = pair(rt, rng, c.x);
    const [w, wr] = pair(rt, rng, c.w);
    const [b, br] = c.bias ? pair(rt, rng, [c.w[0]]) : [null, null];
    const g = conv2dGeometry(c.x, c.w, b ? b.shape : null, c.o);
    const [dy, dyr] = pair(rt, rng, [g.n, g.cout, g.oh, g.ow]);
    const what = `${family} ${variant} ${JSON.stringify(c)}`;
    const a = refArgs(c.o);
    if (family === 'conv2d.forward') {
      const e = refConv.conv2d(xr, wr, br, a);
      await compare(conv2dForwardKernel(x, w, b, g, v.config), e, what, failures);
      if (withRelu) {
        const fused = conv2dForwardKernel(x, w, b, g, v.config, true);
        const plain = conv2dForwardKernel(x, w, b, g, v.config);
        const r = relu(plain);
        plain.dispose();
        const [fb, rb] = [new Uint32Array((await fused.read()).buffer), new Uint32Array((await r.read()).buffer)];
        if (fb.some((u, j) => u !== rb[j])) failures.push(`${what}: fused ReLU differs from relu(conv2d)`);
        fused.dispose();
        r.dispose();
      }
    } else if (family === 'conv2d.inputGrad') {
      await compare(conv2dBackwardInputKernel(dy, w, g, v.config), refConv.conv2dGradInput(dyr, c.x, wr, a), what, failures);
    } else {
      await compare(conv2dBackwardWeightKernel(dy, x, g, v.config), refConv.conv2dGradWeight(dyr, xr, c.w, a), what, failures);
    }
    for (const t of [x, w, b, dy]) t?.dispose();
  }
  return failures;
}

/**
 * Batch norm (training, no affine) with `family`'s reduction forced to `variant`, on channels
 * whose value counts are no multiple of any workgroup size: the output (statistics) or the
 * input gradient of sum(out · r) (Σg, Σg·x̂).
 */
export async function checkBatchNorm(rt: Runtime, family: BatchNormFamily, variant: string): Promise<string[]> {
  const v = batchNormVariant(variant);
  if (!v) return [`unknown variant ${variant}`];
  const failures: string[] = [];
  for (const shape of [[2, 3, 70], [3, 5, 7, 9]]) {
    const rng = new Rng(shape.length * 7);
    const [x, xr] = pair(rt, rng, shape);
    const [r, rr] = pair(rt, rng, shape);
    const opts = { training: true, ...(family === 'batchnorm.stats' ? { statsConfig: v.config } : { gradReduceConfig: v.config }) };
    const what = `${family} ${variant} ${JSON.stringify(shape)}`;
    if (family === 'batchnorm.stats') {
      await compare(batchNorm(x, null, null, null, null, opts), refBn.batchNorm(xr, null, null, null, null, { training: true }).out, what, failures);
    } else {
      x.requiresGrad = true;
      scope(() => backward(sum(mul(batchNorm(x, null, null, null, null, opts), r))));
      await compare(x.grad!, refBn.batchNormTrainGrad(xr, rr), what, failures);
      x.grad = null;
    }
    x.dispose();
    r.dispose();
  }
  return failures;
}

/** The losses' row kernels forced to `variant` ('thread' or 'group'): softmax and log-softmax on short and long rows. */
export async function checkLossRows(rt: Runtime, variant: string): Promise<string[]> {
  const failures: string[] = [];
  forceRowStrategy(variant as RowStrategy);
  try {
    for (const [rows, len] of [[9, 3], [5, 300]]) {
      const rng = new Rng(len);
      const [x, xr] = pair(rt, rng, [rows, len]);
      await compare(softmax(x), refLoss.softmax(xr), `loss.rows ${variant} softmax [${rows},${len}]`, failures);
      await compare(logSoftmax(x), refLoss.logSoftmax(xr), `loss.rows ${variant} logSoftmax [${rows},${len}]`, failures);
      x.dispose();
    }
  } finally {
    forceRowStrategy(null);
  }
  return failures;
}
