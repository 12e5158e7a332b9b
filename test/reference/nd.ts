// Float64 CPU references: a minimal n-d array and the ops the engine's kernels are checked against.
export interface Nd {
  shape: number[];
  data: Float64Array;
}

export function nd(shape: number[], data: ArrayLike<number>): Nd {
  return { shape: [...shape], data: Float64Array.from(data) };
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function unravel(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

export function map(a: Nd, f: (x: number) => number): Nd {
  return { shape: a.shape, data: a.data.map(f) };
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error('reference: no broadcast');
    return Math.max(da, db) === 1 ? 1 : da === 1 ? db : da;
  });
}

/** a[coords broadcast into a's shape] */
function at(a: Nd, coords: number[]): number {
  const off = coords.length - a.shape.length;
  const st = strides(a.shape);
  let idx = 0;
  for (let d = 0; d < a.shape.length; d++) idx += (a.shape[d] === 1 ? 0 : coords[d + off]) * st[d];
  return a.data[idx];
}

export function zip(a: Nd, b: Nd, f: (x: number, y: number) => number): Nd {
  const shape = broadcastShape(a.shape, b.shape);
  const n = size(shape);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = unravel(i, shape);
    out[i] = f(at(a, c), at(b, c));
  }
  return { shape, data: out };
}

export function reduce(a: Nd, axes: number[], keepDims: boolean, init: number, f: (acc: number, x: number) => number): Nd {
  const kept = a.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const n = size(kept);
  const out = new Float64Array(n).fill(init);
  const ks = strides(kept);
  for (let i = 0; i < a.data.length; i++) {
    const c = unravel(i, a.shape);
    let o = 0;
    for (let d = 0; d < c.length; d++) o += (axes.includes(d) ? 0 : c[d]) * ks[d];
    out[o] = f(out[o], a.data[i]);
  }
  const shape = keepDims ? kept : a.shape.filter((_, i) => !axes.includes(i));
  return { shape, data: out };
}

export function permute(a: Nd, perm: number[]): Nd {
  const shape = perm.map((p) => a.shape[p]);
  const st = strides(a.shape);
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = unravel(i, shape);
    let idx = 0;
    for (let d = 0; d < c.length; d++) idx += c[d] * st[perm[d]];
    out[i] = a.data[idx];
  }
  return { shape, data: out };
}

/** Batched matmul with broadcast batch dims; operands rank >= 2. */
export function matmul(a: Nd, b: Nd, transA = false, transB = false): Nd {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [M, K] = transA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = size(batch);
  const out = new Float64Array(nb * M * N);
  const bsA = a.shape.slice(0, -2);
  const bsB = b.shape.slice(0, -2);
  const boff = (bs: number[], c: number[], mat: number) => {
    const st = strides(bs);
    const off = c.length - bs.length;
    let o = 0;
    for (let d = 0; d < bs.length; d++) o += (bs[d] === 1 ? 0 : c[d + off]) * st[d];
    return o * mat;
  };
  for (let bi = 0; bi < nb; bi++) {
    const c = unravel(bi, batch);
    const oa = boff(bsA, c, M * K);
    const ob = boff(bsB, c, K * N);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = transA ? a.data[oa + k * M + m] : a.data[oa + m * K + k];
          const bv = transB ? b.data[ob + n * K + k] : b.data[ob + k * N + n];
          s += av * bv;
        }
        out[bi * M * N + m * N + n] = s;
      }
  }
  return { shape: [...batch, M, N], data: out };
}

/** Central finite differences of a scalar function of one n-d input, in float64. */
export function numericGrad(f: (x: Nd) => number, x: Nd, eps = 1e-6): Nd {
  const g = new Float64Array(x.data.length);
  for (let i = 0; i < g.length; i++) {
    const orig = x.data[i];
    x.data[i] = orig + eps;
    const fp = f(x);
    x.data[i] = orig - eps;
    const fm = f(x);
    x.data[i] = orig;
    g[i] = (fp - fm) / (2 * eps);
  }
  return { shape: x.shape, data: g };
}

export function dot(a: Nd, b: Nd): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}
