// L1-regularized logistic regression on the CPU in float64 by FISTA (Beck & Teboulle 2009) with
// backtracking and an adaptive restart: the solver of DFR's last-layer refit. Objective: mean
// cross-entropy + l1·‖W‖₁ over every weight but the intercepts (the last column of each class
// row, W class-major [K, p] as in lbfgs.ts). sklearn's C (‖w‖₁ + C·Σ loss) is l1 = 1/(C·n).
// The smooth part reuses lbfgs.ts's objective; the L1 part is the proximal step (soft
// thresholding), which sets weights exactly to 0. Converged when the minimum-norm subgradient
// (the optimality residual of the KKT conditions) is at most tol in every coordinate.
import { logisticObjective, type LogisticProblem } from './lbfgs.ts';
import { SamgpuError } from '../../engine/device/errors.ts';

export interface L1Problem extends Omit<LogisticProblem, 'l2'> {
  l1: number;
}

export interface L1Result {
  w: Float64Array;
  objective: number;
  /** max over coordinates of the minimum-norm subgradient at w. */
  residual: number;
  iterations: number;
  converged: boolean;
}

const isIntercept = (q: number, p: number) => q % p === p - 1;

/** Smooth loss and gradient (no penalty). */
function smooth(pr: L1Problem, w: Float64Array, g: Float64Array): number {
  return logisticObjective({ ...pr, l2: 0 }, w, g);
}

function penalty(pr: L1Problem, w: Float64Array): number {
  let s = 0;
  for (let q = 0; q < w.length; q++) if (!isIntercept(q, pr.p)) s += Math.abs(w[q]);
  return pr.l1 * s;
}

/** The objective mean loss + l1·‖W‖₁ (intercepts unpenalized). */
export function l1Objective(pr: L1Problem, w: Float64Array): number {
  return smooth(pr, w, new Float64Array(w.length)) + penalty(pr, w);
}

/** max |minimum-norm subgradient|: 0 exactly at the optimum (the KKT conditions). */
export function l1Residual(pr: L1Problem, w: Float64Array, g: Float64Array): number {
  let r = 0;
  for (let q = 0; q < w.length; q++) {
    let v: number;
    if (isIntercept(q, pr.p)) v = Math.abs(g[q]);
    else if (w[q] !== 0) v = Math.abs(g[q] + pr.l1 * Math.sign(w[q]));
    else v = Math.max(0, Math.abs(g[q]) - pr.l1);
    r = Math.max(r, v);
  }
  return r;
}

/** Soft thresholding of v − g/L at l1/L (intercepts only take the gradient step). */
function proxStep(pr: L1Problem, v: Float64Array, g: Float64Array, lip: number, out: Float64Array): void {
  const th = pr.l1 / lip;
  for (let q = 0; q < v.length; q++) {
    const u = v[q] - g[q] / lip;
    out[q] = isIntercept(q, pr.p) ? u : Math.sign(u) * Math.max(0, Math.abs(u) - th);
  }
}

export function fistaL1Logistic(pr: L1Problem, opts: { w0?: Float64Array; tol?: number; maxIter?: number } = {}): L1Result {
  const m = pr.p * pr.k;
  if (!(pr.l1 >= 0) || !Number.isFinite(pr.l1)) throw new SamgpuError(`fistaL1Logistic: l1 must be a finite number >= 0, got ${pr.l1}`);
  if (pr.z.length !== pr.n * pr.p) throw new SamgpuError(`fistaL1Logistic: z holds ${pr.z.length} values, expected n ${pr.n} × p ${pr.p}`);
  const tol = opts.tol ?? 1e-6;
  const maxIter = opts.maxIter ?? 20000;
  let x = opts.w0 ? Float64Array.from(opts.w0) : new Float64Array(m);
  let y = Float64Array.from(x);
  let t = 1;
  let lip = 1;
  const gy = new Float64Array(m);
  const gx = new Float64Array(m);
  const next = new Float64Array(m);
  let fx = smooth(pr, x, gx);
  let objective = fx + penalty(pr, x);
  let residual = l1Residual(pr, x, gx);
  let it = 0;
  while (it < maxIter && !(residual <= tol)) {
    it++;
    const fy = smooth(pr, y, gy);
    // backtracking: the largest step 1/L for which the quadratic model bounds f at the new point
    for (;;) {
      proxStep(pr, y, gy, lip, next);
      let lin = 0;
      let sq = 0;
      for (let q = 0; q < m; q++) {
        const d = next[q] - y[q];
        lin += gy[q] * d;
        sq += d * d;
      }
      fx = smooth(pr, next, gx);
      if (fx <= fy + lin + 0.5 * lip * sq + 1e-12 * Math.abs(fy)) break;
      lip *= 2;
      if (!Number.isFinite(lip)) throw new SamgpuError('fistaL1Logistic: the step size underflowed (non-finite features?)');
    }
    const obj = fx + penalty(pr, next);
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    if (obj > objective && t > 1) {
      // adaptive restart: momentum carried the iterate uphill; start again from x (a step from
      // x itself, t = 1, is a plain proximal-gradient step: accepted, as it can rise only by
      // float rounding near the optimum)
      t = 1;
      y = Float64Array.from(x);
      fx = smooth(pr, x, gx);
      continue;
    }
    const beta = (t - 1) / tNext;
    for (let q = 0; q < m; q++) y[q] = next[q] + beta * (next[q] - x[q]);
    x = Float64Array.from(next);
    t = tNext;
    objective = obj;
    residual = l1Residual(pr, x, gx);
    // let the step grow again (the local curvature shrinks near the optimum)
    lip = Math.max(lip / 1.1, 1e-12);
  }
  if (!Number.isFinite(objective)) throw new SamgpuError('fistaL1Logistic: the objective is not finite (non-finite features?)');
  return { w: x, objective, residual, iterations: it, converged: residual <= tol };
}
