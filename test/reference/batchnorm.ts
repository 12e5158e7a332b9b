// Float64 CPU reference for batch normalization (PyTorch's F.batch_norm).
import type { Nd } from './nd.ts';

export interface BatchNormRef {
  out: Nd;
  /** running stats after this call (copies; the inputs are not modified) */
  runningMean: Float64Array | null;
  runningVar: Float64Array | null;
}

/** x is [N, C, ...]; training uses batch stats (biased var) and updates running stats with the unbiased var. */
export function batchNorm(
  x: Nd,
  runningMean: Float64Array | null,
  runningVar: Float64Array | null,
  weight: Nd | null,
  bias: Nd | null,
  o: { training: boolean; momentum?: number; eps?: number; updateRunningStats?: boolean },
): BatchNormRef {
  const [n, c] = x.shape;
  const s = x.shape.slice(2).reduce((a, d) => a * d, 1);
  const m = n * s;
  const momentum = o.momentum ?? 0.1;
  const eps = o.eps ?? 1e-5;
  const rm = runningMean && Float64Array.from(runningMean);
  const rv = runningVar && Float64Array.from(runningVar);
  const out = new Float64Array(x.data.length);
  const each = (ch: number, f: (idx: number) => void) => {
    for (let b = 0; b < n; b++) for (let k = 0; k < s; k++) f((b * c + ch) * s + k);
  };
  for (let ch = 0; ch < c; ch++) {
    let mu: number;
    let variance: number;
    if (o.training) {
      let sum = 0;
      each(ch, (i) => (sum += x.data[i]));
      mu = sum / m;
      let q = 0;
      each(ch, (i) => (q += (x.data[i] - mu) ** 2));
      variance = q / m;
      if (rm && rv && (o.updateRunningStats ?? true)) {
        rm[ch] = (1 - momentum) * rm[ch] + momentum * mu;
        rv[ch] = (1 - momentum) * rv[ch] + momentum * variance * (m / (m - 1));
      }
    } else {
      mu = rm![ch];
      variance = rv![ch];
    }
    const inv = 1 / Math.sqrt(variance + eps);
    const w = weight ? weight.data[ch] : 1;
    const b = bias ? bias.data[ch] : 0;
    each(ch, (i) => (out[i] = (x.data[i] - mu) * inv * w + b));
  }
  return { out: { shape: [...x.shape], data: out }, runningMean: rm, runningVar: rv };
}

/**
 * The input gradient of batch norm in training (no affine) given dL/dout: per channel
 * dx = invstd·(g − mean(g) − x̂·mean(g·x̂)).
 */
export function batchNormTrainGrad(x: Nd, g: Nd, eps = 1e-5): Nd {
  const [n, c] = x.shape;
  const s = x.shape.slice(2).reduce((a, d) => a * d, 1);
  const m = n * s;
  const dx = new Float64Array(x.data.length);
  for (let ch = 0; ch < c; ch++) {
    const idx: number[] = [];
    for (let b = 0; b < n; b++) for (let k = 0; k < s; k++) idx.push((b * c + ch) * s + k);
    const mu = idx.reduce((a, i) => a + x.data[i], 0) / m;
    const inv = 1 / Math.sqrt(idx.reduce((a, i) => a + (x.data[i] - mu) ** 2, 0) / m + eps);
    const xhat = (i: number) => (x.data[i] - mu) * inv;
    const mg = idx.reduce((a, i) => a + g.data[i], 0) / m;
    const mgx = idx.reduce((a, i) => a + g.data[i] * xhat(i), 0) / m;
    for (const i of idx) dx[i] = inv * (g.data[i] - mg - xhat(i) * mgx);
  }
  return { shape: [...x.shape], data: dx };
}
