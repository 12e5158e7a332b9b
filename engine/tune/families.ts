// The tunable op families, as the tuner sees them: candidates and default per instance, a
// self-check of a variant against the float64 references, and a workload that runs one instance
// with a forced variant (on random inputs of the instance's shapes) for timing.
import type { Runtime } from '../runtime/runtime.ts';
import { Rng } from '../random.ts';
import { tensor, type Tensor } from '../tensor.ts';
import { matmulKernel } from '../ops/matmul.ts';
import { conv2dBackwardInputKernel, conv2dBackwardWeightKernel, conv2dForwardKernel, conv2dGeometry, type Conv2dGeometry } from '../ops/conv2d.ts';
import { adapterFacts } from './variants/adapter.ts';
import { defaultMatmulVariant, matmulAligned, matmulCandidates, matmulVariant, type MatmulShape } from './variants/matmul.ts';
import { conv2dCandidates, conv2dVariant, CONV2D_FAMILIES, defaultConv2dVariant, type Conv2dFamily } from './variants/conv2d.ts';
import { batchNorm } from '../ops/batchnorm.ts';
import { softmax, forceRowStrategy } from '../ops/loss.ts';
import { backward } from '../autograd/backward.ts';
import { sum } from '../ops/reduce.ts';
import { mul } from '../ops/binary.ts';
import { scope } from '../scope.ts';
import {
  BATCHNORM_FAMILIES, BATCHNORM_VARIANTS, DEFAULT_BATCHNORM_VARIANT, LOSS_ROW_VARIANTS, batchNormVariant, defaultRowStrategy, rowCandidates,
  type BatchNormFamily, type RowStrategy,
} from './variants/rows.ts';
import { compareToReference, refBatchNormStats, refConv, refMatmul, refSoftmax } from './reference.ts';
import type { Disposable } from './timing.ts';

export interface Workload {
  /** Runs the instance once with `variant`; returns what to free after timing. */
  run(variant: string): Disposable;
  dispose(): void;
}

export interface TunableFamily {
  name: string;
  /** Variant ids to time for this instance (the default among them). */
  candidates(rt: Runtime, args: Record<string, unknown>): string[];
  defaultVariant(rt: Runtime, args: Record<string, unknown>): string;
  /** Instances with the same check key run the same pipelines of a variant: one self-check covers them. */
  checkKey(args: Record<string, unknown>): string;
  /** null when `variant` computes this instance's kind of problem correctly here, else why not. */
  selfCheck(rt: Runtime, variant: string, args: Record<string, unknown>): Promise<string | null>;
  workload(rt: Runtime, args: Record<string, unknown>): Workload;
  /** The instance in words, for tables ("128×2×4096 nt"). */
  describe(args: Record<string, unknown>): string;
}

const random = (rng: Rng, n: number, rt: Runtime, shape: number[]): [Tensor, Float32Array] => {
  const data = rng.uniform(n, -1, 1);
  return [tensor(data, shape, rt), data];
};
const freeAll = (...ts: (Tensor | null)[]) => ({ dispose: () => ts.forEach((t) => t?.dispose()) });

// ---- matmul --------------------------------------------------------------------------------

const asMatmul = (a: Record<string, unknown>) => a as unknown as MatmulShape;

const matmulFamily: TunableFamily = {
  name: 'matmul',
  candidates: (rt, a) => matmulCandidates(adapterFacts(rt), asMatmul(a)),
  defaultVariant: (rt) => defaultMatmulVariant(adapterFacts(rt)),
  checkKey: (a) => {
    const s = asMatmul(a);
    return `${s.transA ? 't' : 'n'}${s.transB ? 't' : 'n'}/${matmulAligned(s) ? 'a4' : 'a1'}`;
  },
  async selfCheck(rt, variant, a) {
    const v = matmulVariant(variant);
    if (!v) return `unknown variant ${variant}`;
    const want = asMatmul(a);
    // Odd sizes that cross every tile edge (or their 4-aligned neighbours), a batch of A with a
    // shared B, and K deep enough for split-K to split.
    const aligned = matmulAligned(want);
    const s: MatmulShape = { m: aligned ? 36 : 37, n: aligned ? 28 : 29, k: aligned ? 200 : 203, batch: 2, transA: want.transA, transB: want.transB };
    const rng = new Rng(7);
    const [at, ad] = random(rng, s.batch * s.m * s.k, rt, [s.batch, ...(s.transA ? [s.k, s.m] : [s.m, s.k])]);
    const [bt, bd] = random(rng, s.k * s.n, rt, s.transB ? [s.n, s.k] : [s.k, s.n]);
    try {
      const c = matmulKernel(at, bt, s.transA, s.transB, v.config);
      const got = await c.read();
      c.dispose();
      return compareToReference(got, refMatmul(ad, bd, s));
    } finally {
      at.dispose();
      bt.dispose();
    }
  },
  workload(rt, a) {
    const s = asMatmul(a);
    const rng = new Rng(11);
    const [at] = random(rng, s.batch * s.m * s.k, rt, [s.batch, ...(s.transA ? [s.k, s.m] : [s.m, s.k])]);
    const [bt] = random(rng, s.k * s.n, rt, s.transB ? [s.n, s.k] : [s.k, s.n]);
    return {
      run: (variant) => matmulKernel(at, bt, s.transA, s.transB, matmulVariant(variant)!.config),
      dispose: () => (at.dispose(), bt.dispose()),
    };
  },
  describe: (a) => {
    const s = asMatmul(a);
    return `${s.batch > 1 ? `${s.batch}× ` : ''}${s.m}×${s.n}×${s.k} ${s.transA ? 't' : 'n'}${s.transB ? 't' : 'n'}`;
  },
};

// ---- conv2d (forward, input gradient, weight gradient) --------------------------------------

const geometryOf = (a: Record<string, unknown>) => a.geometry as Conv2dGeometry;
const convShape = (family: Conv2dFamily, g: Conv2dGeometry) => ({
  blocked: family === 'conv2d.inputGrad' ? g.cinG : g.coutG,
  summed: family === 'conv2d.inputGrad' ? g.coutG : family === 'conv2d.weightGrad' ? Infinity : g.cinG,
});

/** Small geometries around the blockings: 20 channels (16-channel blocks), odd sizes, stride, groups with dilation. */
const CHECK_GEOMETRIES: Conv2dGeometry[] = [
  conv2dGeometry([2, 5, 9, 7], [20, 5, 3, 3], [20], { stride: 2, padding: 1 }),
  conv2dGeometry([1, 8, 7, 6], [12, 4, 3, 2], [12], { stride: [1, 2], padding: [1, 0], dilation: [2, 1], groups: 2 }),
];

function runConv(family: Conv2dFamily, variant: string, x: Tensor, w: Tensor, dy: Tensor, bias: Tensor | null, g: Conv2dGeometry): Tensor {
  const cfg = conv2dVariant(variant)!.config;
  if (family === 'conv2d.forward') return conv2dForwardKernel(x, w, bias, g, cfg);
  if (family === 'conv2d.inputGrad') return conv2dBackwardInputKernel(dy, w, g, cfg);
  return conv2dBackwardWeightKernel(dy, x, g, cfg);
}

function convInputs(rt: Runtime, g: Conv2dGeometry, seed: number) {
  const rng = new Rng(seed);
  const [x, xd] = random(rng, g.n * g.cin * g.h * g.w, rt, [g.n, g.cin, g.h, g.w]);
  const [w, wd] = random(rng, g.cout * g.cinG * g.kh * g.kw, rt, [g.cout, g.cinG, g.kh, g.kw]);
  const [dy, dyd] = random(rng, g.n * g.cout * g.oh * g.ow, rt, [g.n, g.cout, g.oh, g.ow]);
  const [b, bd] = random(rng, g.cout, rt, [g.cout]);
  return { x, w, dy, b, xd, wd, dyd, bd };
}

const convFamily = (name: Conv2dFamily): TunableFamily => ({
  name,
  candidates: (rt, a) => {
    const g = geometryOf(a);
    return conv2dCandidates(name, adapterFacts(rt), { ...g, ...convShape(name, g), pixels: 0 });
  },
  defaultVariant: (rt, a) => defaultConv2dVariant(adapterFacts(rt), convShape(name, geometryOf(a))),
  checkKey: () => name,
  async selfCheck(rt, variant) {
    if (!conv2dVariant(variant)) return `unknown variant ${variant}`;
    for (const [i, g] of CHECK_GEOMETRIES.entries()) {
      const t = convInputs(rt, g, 20 + i);
      try {
        const bias = name === 'conv2d.forward' ? t.b : null;
        const out = runConv(name, variant, t.x, t.w, t.dy, bias, g);
        const got = await out.read();
        out.dispose();
        const ref = refConv(g, t.xd, t.wd, t.dyd, bias ? t.bd : null);
        const why = compareToReference(got, name === 'conv2d.forward' ? ref.out : name === 'conv2d.inputGrad' ? ref.dx : ref.dw);
        if (why) return `geometry ${i}: ${why}`;
      } finally {
        freeAll(t.x, t.w, t.dy, t.b).dispose();
      }
    }
    return null;
  },
  workload(rt, a) {
    const g = geometryOf(a);
    const t = convInputs(rt, g, 5);
    return {
      run: (variant) => runConv(name, variant, t.x, t.w, t.dy, null, g),
      dispose: () => freeAll(t.x, t.w, t.dy, t.b).dispose(),
    };
  },
  describe: (a) => {
    const g = geometryOf(a);
    const opt = `${g.sh > 1 || g.sw > 1 ? ` s${g.sh === g.sw ? g.sh : `${g.sh}×${g.sw}`}` : ''}${g.groups > 1 ? ` g${g.groups}` : ''}`;
    return `${g.n}×${g.cin}×${g.h}×${g.w} ${g.cin}→${g.cout} k${g.kh === g.kw ? g.kh : `${g.kh}×${g.kw}`}${opt}`;
  },
});

// ---- batch norm's reductions ---------------------------------------------------------------

interface BnArgs {
  c: number;
  s: number;
  n: number;
}

/**
 * Runs batch norm (training) on x with the family's reduction forced to `variant`: the
 * statistics family returns the output (normalized with its statistics), the gradient family
 * the input gradient of sum(out · r) (its Σg and Σg·x̂ enter every element).
 */
function runBatchNorm(family: BatchNormFamily, variant: string, x: Tensor, r: Tensor | null): Tensor {
  const cfg = batchNormVariant(variant)!.config;
  const opts = { training: true, ...(family === 'batchnorm.stats' ? { statsConfig: cfg } : { gradReduceConfig: cfg }) };
  if (family === 'batchnorm.stats') return batchNorm(x, null, null, null, null, opts);
  x.requiresGrad = true;
  x.grad = null;
  try {
    scope(() => backward(sum(mul(batchNorm(x, null, null, null, null, opts), r!))));
    const g = x.grad!;
    x.grad = null;
    return g;
  } finally {
    x.requiresGrad = false;
  }
}

const bnFamily = (name: BatchNormFamily): TunableFamily => ({
  name,
  candidates: (rt) => rowCandidates(BATCHNORM_VARIANTS, adapterFacts(rt), DEFAULT_BATCHNORM_VARIANT),
  defaultVariant: () => DEFAULT_BATCHNORM_VARIANT,
  checkKey: () => name,
  async selfCheck(rt, variant) {
    if (!batchNormVariant(variant)) return `unknown variant ${variant}`;
    // 3 channels of 2·70 values (not a multiple of any workgroup size)
    const [n, c, len] = [2, 3, 70];
    const rng = new Rng(9);
    const [x, xd] = random(rng, n * c * len, rt, [n, c, len]);
    const [r, rd] = random(rng, n * c * len, rt, [n, c, len]);
    try {
      const out = runBatchNorm(name, variant, x, name === 'batchnorm.stats' ? null : r);
      const got = await out.read();
      out.dispose();
      const ref = refBatchNormStats(xd, rd, n, c, len);
      return compareToReference(got, name === 'batchnorm.stats' ? ref.out : ref.dx);
    } finally {
      x.dispose();
      r.dispose();
    }
  },
  workload(rt, a) {
    const { c, s, n } = a as unknown as BnArgs;
    const rng = new Rng(13);
    const [x] = random(rng, n * c * s, rt, [n, c, s]);
    const [r] = random(rng, n * c * s, rt, [n, c, s]);
    return {
      run: (variant) => runBatchNorm(name, variant, x, name === 'batchnorm.stats' ? null : r),
      dispose: () => (x.dispose(), r.dispose()),
    };
  },
  describe: (a) => {
    const { c, s, n } = a as unknown as BnArgs;
    return `${n}×${c}×${s} (${c} channels of ${n * s})`;
  },
});

// ---- the losses' row kernels ---------------------------------------------------------------

/** Rows a loss-row workload runs (the shape class is the row length; the count matters less). */
const LOSS_ROWS = 1024;

function runRows(variant: string, x: Tensor): Tensor {
  forceRowStrategy(variant as RowStrategy);
  try {
    return softmax(x);
  } finally {
    forceRowStrategy(null);
  }
}

const lossRowsFamily: TunableFamily = {
  name: 'loss.rows',
  candidates: (rt, a) => rowCandidates(LOSS_ROW_VARIANTS, adapterFacts(rt), defaultRowStrategy(adapterFacts(rt), a.rowLength as number)),
  defaultVariant: (rt, a) => defaultRowStrategy(adapterFacts(rt), a.rowLength as number),
  checkKey: () => 'loss.rows',
  async selfCheck(rt, variant) {
    if (!LOSS_ROW_VARIANTS.some((v) => v.id === variant)) return `unknown variant ${variant}`;
    const [rows, len] = [5, 300];
    const [x, xd] = random(new Rng(17), rows * len, rt, [rows, len]);
    try {
      const y = runRows(variant, x);
      const got = await y.read();
      y.dispose();
      return compareToReference(got, refSoftmax(xd, rows, len), 1e-5, 1e-3);
    } finally {
      x.dispose();
    }
  },
  workload(rt, a) {
    const len = a.rowLength as number;
    const [x] = random(new Rng(19), LOSS_ROWS * len, rt, [LOSS_ROWS, len]);
    return { run: (variant) => runRows(variant, x), dispose: () => x.dispose() };
  },
  describe: (a) => `${LOSS_ROWS} rows of ${a.rowLength} (softmax)`,
};

export const FAMILIES: ReadonlyMap<string, TunableFamily> = new Map(
  [matmulFamily, ...CONV2D_FAMILIES.map(convFamily), ...BATCHNORM_FAMILIES.map(bnFamily), lossRowsFamily].map((f) => [f.name, f]),
);
