// Float64 references for pad, slice and concat (engine/ops/layout.ts).
import { size, strides, unravel, type Nd } from './nd.ts';

/** Constant pad as F.pad: pads = [left, right, …] from the last dim backward; negatives crop. */
export function pad(x: Nd, pads: number[], value = 0): Nd {
  const r = x.shape.length;
  const before = new Array<number>(r).fill(0);
  const shape = [...x.shape];
  for (let k = 0; k < pads.length / 2; k++) {
    before[r - 1 - k] = pads[2 * k];
    shape[r - 1 - k] += pads[2 * k] + pads[2 * k + 1];
  }
  const st = strides(x.shape);
  const out = new Float64Array(size(shape)).fill(value);
  for (let i = 0; i < out.length; i++) {
    const c = unravel(i, shape).map((v, d) => v - before[d]);
    if (c.every((v, d) => v >= 0 && v < x.shape[d])) out[i] = x.data[c.reduce((a, v, d) => a + v * st[d], 0)];
  }
  return { shape, data: out };
}

/** x[..., start:end, ...] along axis with Python's negative indices and clamping. */
export function slice(x: Nd, axis: number, start: number, end: number): Nd {
  const d = axis < 0 ? axis + x.shape.length : axis;
  const n = x.shape[d];
  const norm = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i));
  const s = norm(start);
  const e = Math.max(s, norm(end));
  const pads = new Array<number>(2 * x.shape.length).fill(0);
  const k = x.shape.length - 1 - d;
  pads[2 * k] = -s;
  pads[2 * k + 1] = e - n;
  return pad(x, pads);
}

export function concat(xs: Nd[], axis: number): Nd {
  const d = axis < 0 ? axis + xs[0].shape.length : axis;
  const shape = [...xs[0].shape];
  shape[d] = xs.reduce((a, x) => a + x.shape[d], 0);
  const out = new Float64Array(size(shape));
  const st = strides(shape);
  let at = 0;
  for (const x of xs) {
    for (let i = 0; i < x.data.length; i++) {
      const c = unravel(i, x.shape);
      c[d] += at;
      out[c.reduce((a, v, j) => a + v * st[j], 0)] = x.data[i];
    }
    at += x.shape[d];
  }
  return { shape, data: out };
}
