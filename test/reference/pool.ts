// Float64 CPU references for 2-D pooling, written straight from PyTorch's definitions
// (aten/src/ATen/native/cpu/{MaxPool,AvgPool,AdaptiveAvgPool}Kernel.cpp).
import type { Nd } from './nd.ts';

export interface PoolRefOptions {
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

function outSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let o = Math.floor((n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

/** Visits every output cell of every plane: f(plane base in x, output index, oh, ow). */
function eachOutput(x: Nd, oh: number, ow: number, f: (base: number, o: number, i: number, j: number) => number): Nd {
  const [h, w] = x.shape.slice(-2);
  const planes = x.data.length / (h * w);
  const out = new Float64Array(planes * oh * ow);
  for (let pl = 0; pl < planes; pl++)
    for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) out[(pl * oh + i) * ow + j] = f(pl * h * w, pl * oh * ow + i * ow + j, i, j);
  return { shape: [...x.shape.slice(0, -2), oh, ow], data: out };
}

export function maxPool2d(x: Nd, k: [number, number], o: PoolRefOptions = {}): Nd {
  const [h, w] = x.shape.slice(-2);
  const [sh, sw] = o.stride ?? k;
  const [ph, pw] = o.padding ?? [0, 0];
  const [dh, dw] = o.dilation ?? [1, 1];
  const oh = outSize(h, k[0], sh, ph, dh, !!o.ceilMode);
  const ow = outSize(w, k[1], sw, pw, dw, !!o.ceilMode);
  return eachOutput(x, oh, ow, (base, _, i, j) => {
    let best = -Infinity;
    for (let a = 0; a < k[0]; a++)
      for (let b = 0; b < k[1]; b++) {
        const r = i * sh - ph + a * dh;
        const c = j * sw - pw + b * dw;
        if (r >= 0 && r < h && c >= 0 && c < w) best = Math.max(best, x.data[base + r * w + c]);
      }
    return best;
  });
}

export function avgPool2d(x: Nd, k: [number, number], o: PoolRefOptions = {}): Nd {
  const [h, w] = x.shape.slice(-2);
  const [sh, sw] = o.stride ?? k;
  const [ph, pw] = o.padding ?? [0, 0];
  const oh = outSize(h, k[0], sh, ph, 1, !!o.ceilMode);
  const ow = outSize(w, k[1], sw, pw, 1, !!o.ceilMode);
  const include = o.countIncludePad ?? true;
  return eachOutput(x, oh, ow, (base, _, i, j) => {
    let h0 = i * sh - ph;
    let w0 = j * sw - pw;
    let h1 = Math.min(h0 + k[0], h + ph);
    let w1 = Math.min(w0 + k[1], w + pw);
    const padded = (h1 - h0) * (w1 - w0);
    h0 = Math.max(h0, 0);
    w0 = Math.max(w0, 0);
    h1 = Math.min(h1, h);
    w1 = Math.min(w1, w);
    let s = 0;
    for (let r = h0; r < h1; r++) for (let c = w0; c < w1; c++) s += x.data[base + r * w + c];
    return s / (include ? padded : (h1 - h0) * (w1 - w0));
  });
}

export function adaptiveAvgPool2d(x: Nd, [oh, ow]: [number, number]): Nd {
  const [h, w] = x.shape.slice(-2);
  return eachOutput(x, oh, ow, (base, _, i, j) => {
    const h0 = Math.floor((i * h) / oh);
    const h1 = Math.ceil(((i + 1) * h) / oh);
    const w0 = Math.floor((j * w) / ow);
    const w1 = Math.ceil(((j + 1) * w) / ow);
    let s = 0;
    for (let r = h0; r < h1; r++) for (let c = w0; c < w1; c++) s += x.data[base + r * w + c];
    return s / ((h1 - h0) * (w1 - w0));
  });
}
