// Float64 reference for experiments/probe: standardize with the fit set's statistics (the same
// floor rule), then L2-regularized logistic regression (binary: sigmoid on one score for
// class 1; multinomial: softmax over all C scores) by damped Newton with exact line search
// by halving, to machine precision.

export const STD_FLOOR = 1e-6;

export interface RefProbe {
  /** Row-major [d + 1, K]; the last row the intercept. */
  w: Float64Array;
  objective: number;
  fitAccuracy: number;
  testAccuracy: number;
}

/** Standardized features with a ones column, [n][d + 1], using (mean, scale) of `fit`. */
export function standardizeRef(fit: Float64Array, n: number, d: number, others: { x: Float64Array; n: number }[] = []): Float64Array[] {
  const mu = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += fit[i * d + j];
    mu[j] = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (fit[i * d + j] - mu[j]) ** 2;
    const sd = Math.sqrt(v / n);
    scale[j] = sd < STD_FLOOR ? sd + 1 : sd;
  }
  const apply = (x: Float64Array, m: number) => {
    const z = new Float64Array(m * (d + 1));
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < d; j++) z[i * (d + 1) + j] = (x[i * d + j] - mu[j]) / scale[j];
      z[i * (d + 1) + d] = 1;
    }
    return z;
  };
  return [apply(fit, n), ...others.map((o) => apply(o.x, o.n))];
}

/** Scores [n, K] = Z W. */
function scores(z: Float64Array, n: number, p: number, w: Float64Array, k: number): Float64Array {
  const s = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) {
    let v = 0;
    for (let j = 0; j < p; j++) v += z[i * p + j] * w[j * k + a];
    s[i * k + a] = v;
  }
  return s;
}

/** Class probabilities [n, K] (binary: P(class 1)). */
function probs(s: Float64Array, n: number, k: number): Float64Array {
  if (k === 1) return s.map((v) => 1 / (1 + Math.exp(-v)));
  const out = new Float64Array(s.length);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let a = 0; a < k; a++) m = Math.max(m, s[i * k + a]);
    let tot = 0;
    for (let a = 0; a < k; a++) tot += (out[i * k + a] = Math.exp(s[i * k + a] - m));
    for (let a = 0; a < k; a++) out[i * k + a] /= tot;
  }
  return out;
}

function objective(z: Float64Array, y: ArrayLike<number>, n: number, p: number, w: Float64Array, k: number, l2: number): number {
  const s = scores(z, n, p, w, k);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    if (k === 1) {
      const m = (2 * y[i] - 1) * s[i];
      loss += m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m));
    } else {
      let mx = -Infinity;
      for (let a = 0; a < k; a++) mx = Math.max(mx, s[i * k + a]);
      let tot = 0;
      for (let a = 0; a < k; a++) tot += Math.exp(s[i * k + a] - mx);
      loss += mx + Math.log(tot) - s[i * k + y[i]];
    }
  }
  let pen = 0;
  for (const v of w) pen += v * v;
  return loss / n + 0.5 * l2 * pen;
}

function solve(a: Float64Array, b: Float64Array, m: number): Float64Array {
  // Gaussian elimination with partial pivoting (independent of the engine side's Cholesky).
  const A = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let c = 0; c < m; c++) {
    let piv = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(A[r * m + c]) > Math.abs(A[piv * m + c])) piv = r;
    if (piv !== c) {
      for (let j = 0; j < m; j++) [A[c * m + j], A[piv * m + j]] = [A[piv * m + j], A[c * m + j]];
      [x[c], x[piv]] = [x[piv], x[c]];
    }
    for (let r = c + 1; r < m; r++) {
      const f = A[r * m + c] / A[c * m + c];
      for (let j = c; j < m; j++) A[r * m + j] -= f * A[c * m + j];
      x[r] -= f * x[c];
    }
  }
  for (let r = m - 1; r >= 0; r--) {
    let s = x[r];
    for (let j = r + 1; j < m; j++) s -= A[r * m + j] * x[j];
    x[r] = s / A[r * m + r];
  }
  return x;
}

function accuracy(z: Float64Array, y: ArrayLike<number>, n: number, p: number, w: Float64Array, k: number): number {
  const s = scores(z, n, p, w, k);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    if (k === 1) ok += Number((2 * y[i] - 1) * s[i] > 0);
    else {
      let best = 0;
      for (let a = 1; a < k; a++) if (s[i * k + a] > s[i * k + best]) best = a;
      ok += Number(best === y[i]);
    }
  }
  return ok / n;
}

/**
 * Fit one probe on standardized features z [n, p] (p = d + 1, ones last) with labels y; K = 1
 * binary or K = C multinomial. Newton to ‖∇‖∞ < 1e-13 (or 100 iterations).
 */
export function fitProbeRef(
  z: Float64Array, y: ArrayLike<number>, n: number, p: number, k: number, l2: number,
  test?: { z: Float64Array; y: ArrayLike<number>; n: number },
): RefProbe {
  const m = p * k;
  let w = new Float64Array(m);
  let f = objective(z, y, n, p, w, k, l2);
  for (let it = 0; it < 100; it++) {
    const pr = probs(scores(z, n, p, w, k), n, k);
    const g = new Float64Array(m);
    const h = new Float64Array(m * m);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < k; a++) {
        const r = pr[i * k + a] - (k === 1 ? y[i] : Number(y[i] === a));
        for (let j = 0; j < p; j++) g[j * k + a] += (r * z[i * p + j]) / n;
        for (let c = 0; c < k; c++) {
          const s = k === 1 ? pr[i] * (1 - pr[i]) : pr[i * k + a] * (Number(a === c) - pr[i * k + c]);
          if (s === 0) continue;
          for (let j = 0; j < p; j++) {
            const zs = (s * z[i * p + j]) / n;
            for (let jj = 0; jj < p; jj++) h[(j * k + a) * m + jj * k + c] += zs * z[i * p + jj];
          }
        }
      }
    }
    let gmax = 0;
    for (let i = 0; i < m; i++) {
      g[i] += l2 * w[i];
      h[i * m + i] += l2;
      gmax = Math.max(gmax, Math.abs(g[i]));
    }
    if (gmax < 1e-13) break;
    const d = solve(h, g, m);
    let t = 1;
    for (let ls = 0; ls < 60; ls++) {
      const trial = w.map((v, i) => v - t * d[i]);
      const ft = objective(z, y, n, p, trial, k, l2);
      if (ft <= f) {
        w = trial;
        f = ft;
        break;
      }
      t /= 2;
    }
  }
  return {
    w,
    objective: f,
    fitAccuracy: accuracy(z, y, n, p, w, k),
    testAccuracy: test ? accuracy(test.z, test.y, test.n, p, w, k) : NaN,
  };
}
