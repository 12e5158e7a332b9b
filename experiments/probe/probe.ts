// Linear probes: L2-regularized logistic regression (binary or multinomial) on standardized
// features, full batch, fitted on the GPU engine for B feature sets × T targets at once.
//
// Solvers: 'newton' (Newton + Armijo backtracking; gradients, Hessian blocks and objective on
// the GPU, each probe's (d+1)K-sized system solved on the CPU in float64) for small problems,
// 'gd' (Nesterov-accelerated gradient descent entirely on the GPU) for large feature counts;
// 'auto' picks Newton when (d+1)·K ≤ 256. Both are checked against a float64 CPU solver
// (test/reference/probe.ts).
import { SamgpuError, fmtShape } from '../../engine/device/errors.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { sum } from '../../engine/ops/reduce.ts';
import { ProbeProblem, standardize } from './problem.ts';
import { newtonSolve, type SolveResult } from './newton.ts';
import { gdSolve } from './gd.ts';

export interface ProbeSet {
  /** Features [n, d], or [B, n, d]: B feature sets (e.g. checkpoints) with the same examples. */
  x: Tensor;
  /** T targets: class indices 0 … C−1 for each of the n examples. */
  labels: ArrayLike<number>[];
}

export interface ProbeOptions {
  /** L2 penalty λ in mean loss + λ/2·‖W‖² (λ = 1/n is scikit-learn's C = 1). */
  l2: number;
  /** Number of classes (default: largest fit label + 1, at least 2). */
  classes?: number;
  /** Softmax over all classes even when there are two (default: only when classes > 2). */
  multinomial?: boolean;
  solver?: 'auto' | 'newton' | 'gd';
  /** Newton: 50; gd: 20000. */
  maxIter?: number;
  /**
   * Converged means max |∇| of the objective ≤ tol for every probe (default 1e-6 for both
   * solvers; float32 gradients are good to about 1e-8 on standardized features). Newton also
   * stops, unconverged, when float32 precision is reached before tol (its steps stop shrinking)
   * or its line search finds no decrease; gradient descent after maxIter iterations.
   */
  tol?: number;
  /** Standardize with the fit set's mean and standard deviation (default true). */
  standardize?: boolean;
}

export interface ProbeResult {
  /** [b][t]: accuracy on the test set (NaN without one), on the fit set, and the objective. */
  testAccuracy: number[][];
  fitAccuracy: number[][];
  objective: number[][];
  /**
   * [b][t]: weights in standardized feature space, row-major [d + 1, K] (K = 1 binary, C
   * multinomial), the last row the intercept. A binary probe's score is for class 1.
   */
  weights: Float64Array[][];
  /** Per feature set: the fit set's feature means and scales used to standardize. */
  mean: Float32Array[];
  scale: Float32Array[];
  solver: 'newton' | 'gd';
  iterations: number;
  converged: boolean;
}

/**
 * Features with a NaN or an infinity (a diverged network, or activations beyond float32): no
 * probe can be fit on them, and solvers would stop on meaningless numbers.
 */
export class NonFiniteFeaturesError extends SamgpuError {
  override name = 'NonFiniteFeaturesError';
}

/** Throws NonFiniteFeaturesError when a feature set of `x` [B, n, d] holds a non-finite value. */
async function checkFinite(op: string, what: string, x: Tensor): Promise<void> {
  // A sum propagates NaN and Inf (a max or a comparison could drop NaN on GPUs that assume none).
  const s = noGrad(() => sum(x, [1, 2]));
  const v = await s.read();
  s.dispose();
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new NonFiniteFeaturesError(`${op}: the ${what} features ${fmtShape(x.shape)} of set ${bad} hold non-finite values (their sum is ${v[bad]}): the network diverged or its activations overflow float32`);
}

function as3d(op: string, x: Tensor): Tensor {
  if (x.rank === 2) return x.view([1, ...x.shape]);
  if (x.rank === 3) return x;
  throw new SamgpuError(`${op}: features must be [n, d] or [B, n, d], got ${fmtShape(x.shape)}`);
}

function checkLabels(op: string, what: string, labels: ArrayLike<number>[], n: number, classes: number): void {
  if (!labels.length) throw new SamgpuError(`${op}: no ${what} targets given`);
  labels.forEach((l, t) => {
    if (l.length !== n) throw new SamgpuError(`${op}: ${what} target ${t} has ${l.length} labels for ${n} examples`);
    for (let i = 0; i < l.length; i++) {
      const v = l[i];
      if (!Number.isInteger(v) || v < 0 || v >= classes) throw new SamgpuError(`${op}: ${what} target ${t} label ${i} is ${v}, expected an integer in [0, ${classes})`);
    }
  });
}

/** Fit one probe per (feature set b, target t) on `fit` and score it on `test` (same B, d). */
export async function fitLinearProbes(fit: ProbeSet, test: ProbeSet | null, opts: ProbeOptions): Promise<ProbeResult> {
  const op = 'fitLinearProbes';
  const xf = as3d(op, fit.x);
  const xt = test ? as3d(op, test.x) : null;
  const [b, n, d] = xf.shape;
  if (xt && (xt.shape[0] !== b || xt.shape[2] !== d)) {
    throw new SamgpuError(`${op}: test features ${fmtShape(test!.x.shape)} do not match fit features ${fmtShape(fit.x.shape)}`);
  }
  if (!(opts.l2 > 0) || !Number.isFinite(opts.l2)) throw new SamgpuError(`${op}: l2 must be a finite number > 0, got ${opts.l2}`);
  let maxLabel = 1;
  for (const l of fit.labels) for (let i = 0; i < l.length; i++) maxLabel = Math.max(maxLabel, l[i]);
  const classes = opts.classes ?? maxLabel + 1;
  checkLabels(op, 'fit', fit.labels, n, classes);
  if (test) {
    checkLabels(op, 'test', test.labels, xt!.shape[1], classes);
    if (test.labels.length !== fit.labels.length) throw new SamgpuError(`${op}: ${fit.labels.length} fit targets but ${test.labels.length} test targets`);
  }
  try {
    await checkFinite(op, 'fit', xf);
    if (xt) await checkFinite(op, 'test', xt);
  } catch (e) {
    if (xf !== fit.x) xf.dispose();
    if (xt && xt !== test?.x) xt.dispose();
    throw e;
  }
  const k = opts.multinomial || classes > 2 ? classes : 1;
  const solver = opts.solver === undefined || opts.solver === 'auto' ? ((d + 1) * k <= 256 ? 'newton' : 'gd') : opts.solver;
  const std = noGrad(() => scope(() => standardize(xf, xt, opts.standardize ?? true)));
  for (const t of [std.fit, std.test, std.mean, std.scale]) if (t) keep(t);
  const pr = new ProbeProblem(std.fit, std.test, fit.labels, test?.labels ?? null, k, opts.l2);
  try {
    let res: SolveResult;
    if (solver === 'newton') res = await newtonSolve(pr, opts.maxIter ?? 50, opts.tol ?? 1e-6);
    else res = await gdSolve(pr, opts.maxIter ?? 20000, opts.tol ?? 1e-6);
    const [lossT, fitAccT, testAccT] = noGrad(() => scope(() => {
      const w = pr.upload(res.w);
      return [pr.meanLoss(w), pr.accuracy(w, false), pr.hasTest ? pr.accuracy(w, true) : null];
    }));
    const loss = await lossT.read();
    const fitAcc = await fitAccT.read();
    const testAcc = testAccT ? await testAccT.read() : null;
    for (const x of [lossT, fitAccT, testAccT]) x?.dispose();
    const t = fit.labels.length;
    const grid = <V>(f: (q: number) => V): V[][] => Array.from({ length: b }, (_, i) => Array.from({ length: t }, (_, j) => f(i * t + j)));
    const meanV = await std.mean.read();
    const scaleV = await std.scale.read();
    return {
      testAccuracy: grid((q) => (testAcc ? testAcc[q] : NaN)),
      fitAccuracy: grid((q) => fitAcc[q]),
      objective: grid((q) => loss[q] + (0.5 * opts.l2 * res.w[q].reduce((s, v) => s + v * v, 0))),
      weights: grid((q) => res.w[q]),
      mean: Array.from({ length: b }, (_, i) => meanV.slice(i * d, (i + 1) * d)),
      scale: Array.from({ length: b }, (_, i) => scaleV.slice(i * d, (i + 1) * d)),
      solver,
      iterations: res.iterations,
      converged: res.converged,
    };
  } finally {
    pr.dispose();
    for (const t of [std.fit, std.test, std.mean, std.scale]) t?.dispose();
    // the rank-3 views as3d made of rank-2 inputs
    if (xf !== fit.x) xf.dispose();
    if (xt && xt !== test?.x) xt.dispose();
  }
}
