// Float64 references for softmax, log-softmax and the losses (engine/ops/loss.ts).
import { size, type Nd } from './nd.ts';

export type Reduction = 'mean' | 'sum' | 'none';

/** Iterate the rows along `dim`: calls f(base, stride, c) for each row. */
function rows(shape: number[], dim: number, f: (base: number, stride: number, c: number) => void): void {
  const d = dim < 0 ? dim + shape.length : dim;
  const c = shape[d];
  const inner = size(shape.slice(d + 1));
  const outer = size(shape.slice(0, d));
  for (let o = 0; o < outer; o++) for (let k = 0; k < inner; k++) f(o * c * inner + k, inner, c);
}

function logSumExp(x: Float64Array, base: number, stride: number, c: number): number {
  let m = -Infinity;
  for (let j = 0; j < c; j++) m = Math.max(m, x[base + j * stride]);
  let s = 0;
  for (let j = 0; j < c; j++) s += Math.exp(x[base + j * stride] - m);
  return m + Math.log(s);
}

export function logSoftmax(x: Nd, dim = -1): Nd {
  const out = new Float64Array(x.data.length);
  rows(x.shape, dim, (base, stride, c) => {
    const lse = logSumExp(x.data, base, stride, c);
    for (let j = 0; j < c; j++) out[base + j * stride] = x.data[base + j * stride] - lse;
  });
  return { shape: x.shape, data: out };
}

export function softmax(x: Nd, dim = -1): Nd {
  const l = logSoftmax(x, dim);
  return { shape: l.shape, data: l.data.map(Math.exp) };
}

function reduce(v: Float64Array, reduction: Reduction): Nd {
  if (reduction === 'none') return { shape: [v.length], data: v };
  let s = 0;
  for (const e of v) s += e;
  return { shape: [], data: Float64Array.of(reduction === 'mean' ? s / v.length : s) };
}

/** PyTorch's F.cross_entropy (logits [N, C], integer labels) with label smoothing eps. */
export function crossEntropy(logits: Nd, labels: ArrayLike<number>, reduction: Reduction = 'mean', eps = 0): Nd {
  const [n, c] = logits.shape;
  const lp = logSoftmax(logits, 1).data;
  const per = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < c; j++) mean += lp[i * c + j];
    per[i] = -(1 - eps) * lp[i * c + labels[i]] - (eps * mean) / c;
  }
  return reduce(per, reduction);
}

/** λᵢ = 1 − softmax(logitsᵢ)[yᵢ] */
export function softmaxImportanceWeights(logits: Nd, labels: ArrayLike<number>): Nd {
  const [n, c] = logits.shape;
  const p = softmax(logits, 1).data;
  return { shape: [n], data: Float64Array.from({ length: n }, (_, i) => 1 - p[i * c + labels[i]]) };
}

const softplus = (u: number) => Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

function pointwise(a: Nd, b: Nd, f: (x: number, y: number) => number, reduction: Reduction): Nd {
  const v = a.data.map((x, i) => f(x, b.data[i]));
  const r = reduce(v, reduction);
  return reduction === 'none' ? { shape: a.shape, data: r.data } : r;
}

export function bceWithLogits(z: Nd, t: Nd, reduction: Reduction = 'mean'): Nd {
  return pointwise(z, t, (x, y) => Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x))), reduction);
}

export function logisticLoss(f: Nd, y: Nd, reduction: Reduction = 'mean'): Nd {
  return pointwise(f, y, (a, b) => softplus(-b * a), reduction);
}

export function logisticImportanceWeights(f: Nd, y: Nd): Nd {
  return pointwise(f, y, (a, b) => sigmoid(-b * a), 'none');
}

export function mseLoss(p: Nd, t: Nd, reduction: Reduction = 'mean'): Nd {
  return pointwise(p, t, (a, b) => (a - b) ** 2, reduction);
}
