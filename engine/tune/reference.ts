// Float64 CPU references for the tuner's self-checks (small problems only), and the comparison
// every variant must pass: relative error against max(|e|, 1% of max|e|) (a sum's rounding scales
// with its terms, not its possibly cancelled result) at most 1e-4; NaN or Inf never passes.

/** C = op(A)·op(B) for a batch of A ([batch, ...] or shared) and a shared B. */
export function refMatmul(a: Float32Array, b: Float32Array, s: { m: number; n: number; k: number; batch: number; transA: boolean; transB: boolean }): Float64Array {
  const { m, n, k, batch, transA, transB } = s;
  const out = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    const ao = z * m * k;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let t = 0; t < k; t++) acc += a[ao + (transA ? t * m + i : i * k + t)] * b[transB ? j * k + t : t * n + j];
        out[(z * m + i) * n + j] = acc;
      }
    }
  }
  return out;
}

export interface RefConvGeometry {
  n: number; cin: number; h: number; w: number; cout: number; oh: number; ow: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; groups: number; cinG: number; coutG: number;
}

/** Visits every (output element, tap) pair of a convolution with the flat indices of x, w, out. */
function eachTap(g: RefConvGeometry, f: (xi: number, wi: number, oi: number) => void): void {
  for (let img = 0; img < g.n; img++) {
    for (let co = 0; co < g.cout; co++) {
      const grp = Math.floor(co / g.coutG);
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++) {
          const oi = ((img * g.cout + co) * g.oh + oy) * g.ow + ox;
          for (let ci = 0; ci < g.cinG; ci++) {
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.sh - g.ph + ky * g.dh;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.sw - g.pw + kx * g.dw;
                if (ix < 0 || ix >= g.w) continue;
                f(((img * g.cin + grp * g.cinG + ci) * g.h + iy) * g.w + ix, ((co * g.cinG + ci) * g.kh + ky) * g.kw + kx, oi);
              }
            }
          }
        }
      }
    }
  }
}

/** Forward (with optional bias), input gradient and weight gradient of one convolution. */
export function refConv(g: RefConvGeometry, x: Float32Array, w: Float32Array, dy: Float32Array, bias: Float32Array | null) {
  const out = new Float64Array(g.n * g.cout * g.oh * g.ow);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  eachTap(g, (xi, wi, oi) => {
    out[oi] += x[xi] * w[wi];
    dx[xi] += dy[oi] * w[wi];
    dw[wi] += dy[oi] * x[xi];
  });
  if (bias) for (let i = 0; i < out.length; i++) out[i] += bias[Math.floor(i / (g.oh * g.ow)) % g.cout];
  return { out, dx, dw };
}

/**
 * Batch norm in training on x [n, c, len] (no affine): the output, and the input gradient of
 * sum(out · r).
 */
export function refBatchNormStats(x: Float32Array, r: Float32Array, n: number, c: number, len: number): { out: Float64Array; dx: Float64Array } {
  const out = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const m = n * len;
  for (let ch = 0; ch < c; ch++) {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < len; j++) idx.push((i * c + ch) * len + j);
    const mean = idx.reduce((s, k) => s + x[k], 0) / m;
    const v = idx.reduce((s, k) => s + (x[k] - mean) ** 2, 0) / m;
    const inv = 1 / Math.sqrt(v + 1e-5);
    let sg = 0;
    let sgx = 0;
    for (const k of idx) {
      out[k] = (x[k] - mean) * inv;
      sg += r[k];
      sgx += r[k] * out[k];
    }
    for (const k of idx) dx[k] = inv * (r[k] - sg / m - out[k] * sgx / m);
  }
  return { out, dx };
}

/** Softmax of each row of x [rows, len]. */
export function refSoftmax(x: Float32Array, rows: number, len: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < rows; i++) {
    let mx = -Infinity;
    for (let j = 0; j < len; j++) mx = Math.max(mx, x[i * len + j]);
    let z = 0;
    for (let j = 0; j < len; j++) z += Math.exp(x[i * len + j] - mx);
    for (let j = 0; j < len; j++) out[i * len + j] = Math.exp(x[i * len + j] - mx) / z;
  }
  return out;
}

/** Why `actual` fails against `expected` (relative error > rtol, NaN, wrong length), or null. */
export function compareToReference(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4, floor = 1e-2): string | null {
  if (actual.length !== expected.length) return `${actual.length} values, expected ${expected.length}`;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
  const den0 = Math.max(floor * maxAbs, 1e-30);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    if (!Number.isFinite(a)) return `element ${i} is ${a}`;
    const err = Math.abs(a - expected[i]) / Math.max(Math.abs(expected[i]), den0);
    if (err > worst) [worst, at] = [err, i];
  }
  return worst > rtol ? `relative error ${worst.toExponential(2)} at element ${at} (got ${actual[at]}, expected ${expected[at]})` : null;
}
