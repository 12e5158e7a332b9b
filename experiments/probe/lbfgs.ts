// L2-regularized logistic regression on the CPU in float64 by L-BFGS: the feature probes' solver.
// Probe problems are small (a few thousand examples, up to a few hundred standardized features),
// so float64 on the CPU reaches any tolerance in milliseconds per iteration, with no float32
// stall, and a warm start from the neighbouring L2 strength makes a whole grid cheap.
// Objective: mean cross-entropy + λ/2·‖W‖² over W (p = d + 1 weights per class with the intercept
// last, penalized like the GPU probes; K = 1: sigmoid on one score for class 1, K ≥ 2: softmax).
// W is stored class-major, [K, p], so every inner loop runs over contiguous memory.

export interface LogisticProblem {
  /** Standardized features with a ones column, row-major [n, p]. */
  z: Float64Array;
  n: number;
  p: number;
  /** Class index per example, 0 … C−1. */
  y: ArrayLike<number>;
  /** 1 for a binary probe, C for a multinomial one. */
  k: number;
  l2: number;
}

export interface LbfgsResult {
  w: Float64Array;
  objective: number;
  /** max |∂objective/∂w| at the returned w. */
  gradMax: number;
  iterations: number;
  /** gradMax ≤ tol was reached (a failed line search or the iteration cap is not convergence). */
  converged: boolean;
  /**
   * Why it stopped: 'tolerance'; 'line search' (no decrease possible); 'stalled' (ten steps in a
   * row that lowered the objective by less than float64 resolves); 'iterations'.
   */
  stop: 'tolerance' | 'line search' | 'stalled' | 'iterations';
}

/** Scores [n, k]: s[i, a] = z_i · w_a (W class-major [k, p]). */
export function logisticScores(z: Float64Array, n: number, p: number, w: Float64Array, k: number): Float64Array {
  const s = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const zi = i * p;
    for (let a = 0; a < k; a++) {
      const wa = a * p;
      let v = 0;
      for (let j = 0; j < p; j++) v += z[zi + j] * w[wa + j];
      s[i * k + a] = v;
    }
  }
  return s;
}

/** Objective and its gradient (written into g). */
export function logisticObjective(pr: LogisticProblem, w: Float64Array, g: Float64Array): number {
  const { z, n, p, y, k, l2 } = pr;
  const s = logisticScores(z, n, p, w, k);
  // s becomes the residual (probability − one-hot) in place
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const si = i * k;
    const yi = y[i];
    if (k === 1) {
      const v = s[si];
      // log(1 + e^{−v}) for class 1, log(1 + e^{v}) for class 0, computed stably
      const m = yi === 1 ? -v : v;
      loss += m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
      s[si] = 1 / (1 + Math.exp(-v)) - yi;
    } else {
      let mx = -Infinity;
      for (let a = 0; a < k; a++) mx = Math.max(mx, s[si + a]);
      let tot = 0;
      for (let a = 0; a < k; a++) tot += Math.exp(s[si + a] - mx);
      loss += mx + Math.log(tot) - s[si + yi];
      for (let a = 0; a < k; a++) s[si + a] = Math.exp(s[si + a] - mx) / tot - (a === yi ? 1 : 0);
    }
  }
  g.fill(0);
  for (let i = 0; i < n; i++) {
    const zi = i * p;
    for (let a = 0; a < k; a++) {
      const r = s[i * k + a];
      const ga = a * p;
      for (let j = 0; j < p; j++) g[ga + j] += r * z[zi + j];
    }
  }
  let pen = 0;
  for (let q = 0; q < g.length; q++) {
    g[q] = g[q] / n + l2 * w[q];
    pen += w[q] * w[q];
  }
  return loss / n + 0.5 * l2 * pen;
}

const maxAbs = (v: Float64Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Minimize the objective from w0 (zeros by default) until max|∇| ≤ tol. */
export function lbfgsLogistic(pr: LogisticProblem, opts: { w0?: Float64Array; tol?: number; maxIter?: number; memory?: number } = {}): LbfgsResult {
  const dim = pr.p * pr.k;
  const tol = opts.tol ?? 1e-6;
  const maxIter = opts.maxIter ?? 5000;
  const m = opts.memory ?? 10;
  const w = opts.w0 ? Float64Array.from(opts.w0) : new Float64Array(dim);
  const g = new Float64Array(dim);
  let f = logisticObjective(pr, w, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(dim);
  const wNew = new Float64Array(dim);
  const gNew = new Float64Array(dim);
  let it = 0;
  let stop: LbfgsResult['stop'] = 'iterations';
  let flat = 0;
  for (; it < maxIter; it++) {
    if (maxAbs(g) <= tol) {
      stop = 'tolerance';
      break;
    }
    // two-loop recursion: d = −H g
    d.set(g);
    const alpha = new Array<number>(S.length);
    for (let i = S.length - 1; i >= 0; i--) {
      alpha[i] = rho[i] * dot(S[i], d);
      for (let q = 0; q < dim; q++) d[q] -= alpha[i] * Y[i][q];
    }
    const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let q = 0; q < dim; q++) d[q] *= gamma;
    for (let i = 0; i < S.length; i++) {
      const beta = rho[i] * dot(Y[i], d);
      for (let q = 0; q < dim; q++) d[q] += S[i][q] * (alpha[i] - beta);
    }
    for (let q = 0; q < dim; q++) d[q] = -d[q];
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // not a descent direction (numerical trouble): restart from steepest descent
      S.length = Y.length = rho.length = 0;
      for (let q = 0; q < dim; q++) d[q] = -g[q] / Math.max(1, Math.sqrt(dot(g, g)));
      slope = dot(g, d);
    }
    // backtracking Armijo line search from the full quasi-Newton step
    let t = 1;
    let fNew = NaN;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      for (let q = 0; q < dim; q++) wNew[q] = w[q] + t * d[q];
      fNew = logisticObjective(pr, wNew, gNew);
      if (fNew <= f + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) {
      stop = 'line search';
      break;
    }
    const s = new Float64Array(dim);
    const yv = new Float64Array(dim);
    for (let q = 0; q < dim; q++) {
      s[q] = wNew[q] - w[q];
      yv[q] = gNew[q] - g[q];
    }
    const sy = dot(s, yv);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(yv, yv))) {
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
      if (S.length > m) (S.shift(), Y.shift(), rho.shift());
    }
    w.set(wNew);
    g.set(gNew);
    flat = f - fNew <= 1e-15 * Math.abs(f) ? flat + 1 : 0;
    f = fNew;
    if (flat === 10) {
      stop = 'stalled';
      it++;
      break;
    }
  }
  const gradMax = maxAbs(g);
  return { w, objective: f, gradMax, iterations: it, converged: gradMax <= tol, stop: gradMax <= tol ? 'tolerance' : stop };
}

/** Predicted class per example and the mean log-loss of `y` under W. */
export function logisticPredict(z: Float64Array, n: number, p: number, w: Float64Array, k: number, y: ArrayLike<number>): { accuracy: number; logLoss: number; predictions: Int32Array } {
  const s = logisticScores(z, n, p, w, k);
  const predictions = new Int32Array(n);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const si = i * k;
    if (k === 1) {
      predictions[i] = s[si] > 0 ? 1 : 0;
      const m = y[i] === 1 ? -s[si] : s[si];
      loss += m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
    } else {
      let best = 0;
      let mx = -Infinity;
      for (let a = 0; a < k; a++) if (s[si + a] > mx) (mx = s[si + a], best = a);
      predictions[i] = best;
      let tot = 0;
      for (let a = 0; a < k; a++) tot += Math.exp(s[si + a] - mx);
      loss += mx + Math.log(tot) - s[si + y[i]];
    }
    if (predictions[i] === y[i]) correct++;
  }
  return { accuracy: correct / n, logLoss: loss / n, predictions };
}
