// Float64 references for argmax and accuracy (engine/ops/select.ts).
import { size, type Nd } from './nd.ts';

/** First index of the maximum along `dim` (a NaN counts as the maximum, as in PyTorch). */
export function argmax(x: Nd, dim = -1, keepDims = false): Nd {
  const d = dim < 0 ? dim + x.shape.length : dim;
  const c = x.shape[d];
  const inner = size(x.shape.slice(d + 1));
  const outer = size(x.shape.slice(0, d));
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++)
    for (let k = 0; k < inner; k++) {
      let best = 0;
      for (let j = 1; j < c; j++) {
        const m = x.data[o * c * inner + best * inner + k];
        const v = x.data[o * c * inner + j * inner + k];
        if (!Number.isNaN(m) && (v > m || Number.isNaN(v))) best = j;
      }
      out[o * inner + k] = best;
    }
  const shape = keepDims ? x.shape.map((v, i) => (i === d ? 1 : v)) : x.shape.filter((_, i) => i !== d);
  return { shape, data: out };
}

export function accuracy(logits: Nd, labels: ArrayLike<number>): number {
  const am = argmax(logits, 1).data;
  let hit = 0;
  for (let i = 0; i < am.length; i++) if (am[i] === labels[i]) hit++;
  return hit / am.length;
}
