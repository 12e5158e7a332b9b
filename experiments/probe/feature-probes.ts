// The paper's evaluation: freeze the network, extract its features in eval mode, and fit a linear
// probe per annotated feature (DFR's recipe: group-balanced probe sets, L2 strength chosen by
// cross-validation on the fit set, error reported on a balanced test set the probe never saw).
// Features are extracted on the GPU once; the probes are solved on the CPU in float64 (L-BFGS,
// warm-started along the L2 grid from the strongest penalty), where every fit reaches its
// tolerance and says so when it does not.
import type { Tensor } from '../../engine/tensor.ts';
import { tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { concat } from '../../engine/ops/layout.ts';
import { Rng } from '../../engine/random.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { TwoFeatureSplit } from '../data/types.ts';
import { lbfgsLogistic, logisticPredict, type LogisticProblem } from './lbfgs.ts';

export interface FeatureExtractor {
  features(x: Tensor): Tensor;
  train(on?: boolean): unknown;
}

/** Features of `indices` (or all) of a split: [n, d] on the GPU, eval mode. */
export function extractFeatures(model: FeatureExtractor, split: TwoFeatureSplit, indices: ArrayLike<number>, batch = 256): Tensor {
  const [c, h, w] = split.shape;
  const per = c * h * w;
  model.train(false);
  const parts: Tensor[] = [];
  for (let s = 0; s < indices.length; s += batch) {
    const e = Math.min(indices.length, s + batch);
    const buf = new Float32Array((e - s) * per);
    for (let i = s; i < e; i++) buf.set(split.images.subarray(indices[i] * per, (indices[i] + 1) * per), (i - s) * per);
    parts.push(keep(noGrad(() => scope(() => model.features(tensor(buf, [e - s, c, h, w]))))));
  }
  const out = parts.length === 1 ? parts[0] : noGrad(() => concat(parts, 0));
  if (parts.length > 1) for (const p of parts) p.dispose();
  return out;
}

/** Indices of `idx` with every group equally represented: each subsampled to the smallest (at most `maxPerGroup` when > 0), in `rng`'s order. */
export function balanceWithin(idx: ArrayLike<number>, group: Int32Array, rng: Rng, maxPerGroup = 0): number[] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < idx.length; i++) {
    const g = group[idx[i]];
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(idx[i]);
  }
  let k = Math.min(...[...groups.values()].map((l) => l.length));
  if (maxPerGroup > 0) k = Math.min(k, maxPerGroup);
  const out: number[] = [];
  for (const g of [...groups.keys()].sort((a, b) => a - b)) {
    const l = groups.get(g)!;
    for (let i = l.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [l[i], l[j]] = [l[j], l[i]];
    }
    out.push(...l.slice(0, k));
  }
  return out;
}

/** Indices with every (easy, hard) group equally represented: each subsampled to the smallest. */
export function balancedIndices(split: TwoFeatureSplit, rng: Rng, maxPerGroup = 0): number[] {
  return balanceWithin(Int32Array.from({ length: split.n }, (_, i) => i), split.group, rng, maxPerGroup);
}

/** L2 strengths tried by default: 10^−4 … 10 in half decades, so the choice is interior. */
export const DEFAULT_L2_GRID = Array.from({ length: 11 }, (_, i) => +(10 ** (-4 + i / 2)).toPrecision(2));

/** Gradient tolerance (max |∂/∂w| of mean loss + L2 term) of every fit. */
const TOL = 1e-6;

export interface FeatureProbeResult {
  /** Probe error on the balanced test set. */
  error: number;
  /** Probe error on the balanced selection split, when one was given (for choosing lr and ρ). */
  valError?: number;
  /** The L2 strength chosen by 2-fold cross-validation on the fit set (mean held-out log-loss). */
  l2: number;
  /** Per L2 tried (the path stops two values past the held-out minimum): mean held-out accuracy and log-loss over the two folds. */
  heldOut: { l2: number; accuracy: number; logLoss: number }[];
  /** The chosen L2 is not at an end of the grid. */
  interior: boolean;
  /** Every fit (folds and final) met its tolerance. */
  converged: boolean;
  solver: 'lbfgs' | 'newton' | 'gd';
  /** Iterations of the final fit. */
  iterations: number;
}

export interface ProbeReport {
  easy: FeatureProbeResult;
  hard: FeatureProbeResult;
  /** Datasets with annotated features: one probe per feature, by id (easy and hard are the first and the last). */
  features?: Record<string, FeatureProbeResult>;
  probeExamples: number;
  testExamples: number;
  valExamples?: number;
}

export interface ProbeFeatureOptions {
  l2Grid?: number[];
  seed: number;
  /** Cap on examples per (easy, hard) group in each probe set (0: none). */
  maxPerGroup?: number;
  /** A split for choosing hyper-parameters: the probes fitted on `fitSplit` are scored on it too. */
  valSplit?: TwoFeatureSplit;
  /** Ids of the splits' `featureLabels`, in order: probe every annotated feature (easy = the first, hard = the last). */
  annotated?: string[];
}

/** Float features [n, d] read back to float64, and their rows standardized with the fit set's mean and scale. */
export interface Standardized {
  fit: Float64Array;
  others: Float64Array[];
  p: number;
}

const STD_FLOOR = 1e-6;

export function standardize(fit: Float32Array, n: number, d: number, others: { x: Float32Array; n: number }[]): Standardized {
  const mu = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += fit[i * d + j];
  for (let j = 0; j < d; j++) mu[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) scale[j] += (fit[i * d + j] - mu[j]) ** 2;
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(scale[j] / n);
    // constant features: scaled by ≈ 1 so they stay 0 (the GPU probes' rule)
    scale[j] = sd < STD_FLOOR ? sd + 1 : sd;
  }
  const p = d + 1;
  const apply = (x: Float32Array, m: number) => {
    const z = new Float64Array(m * p);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < d; j++) z[i * p + j] = (x[i * d + j] - mu[j]) / scale[j];
      z[i * p + d] = 1;
    }
    return z;
  };
  return { fit: apply(fit, n), others: others.map((o) => apply(o.x, o.n)), p };
}

const rows = (z: Float64Array, p: number, idx: number[]) => {
  const out = new Float64Array(idx.length * p);
  idx.forEach((r, i) => out.set(z.subarray(r * p, (r + 1) * p), i * p));
  return out;
};

/** One feature's probe: L2 by 2-fold CV (warm starts down the grid), final fit on all, scored on test (and val). */
function probeOne(
  z: Float64Array, p: number, labels: Int32Array, classes: number, grid: number[],
  scored: { z: Float64Array; y: Int32Array }[],
): { result: Omit<FeatureProbeResult, 'error' | 'valError'>; errors: number[] } {
  const n = labels.length;
  const k = classes > 2 ? classes : 1;
  // folds that stay balanced: the fit indices are grouped, so alternate within each group's run
  const folds = [0, 1].map((f) => Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === f));
  const foldZ = folds.map((f) => rows(z, p, f));
  const foldY = folds.map((f) => Int32Array.from(f, (i) => labels[i]));
  const order = [...grid].sort((a, b) => b - a); // strongest penalty first: each warm-starts the next
  const heldOut = new Map<number, { accuracy: number; logLoss: number }>();
  let converged = true;
  const warm: (Float64Array | undefined)[] = [undefined, undefined];
  const solutions = new Map<number, Float64Array>();
  let best = order[0];
  let rises = 0;
  for (const l2 of order) {
    let acc = 0;
    let ll = 0;
    for (const f of [0, 1]) {
      const pr: LogisticProblem = { z: foldZ[f], n: folds[f].length, p, y: foldY[f], k, l2 };
      const r = lbfgsLogistic(pr, { w0: warm[f], tol: TOL });
      converged &&= r.converged;
      warm[f] = r.w;
      if (f === 0) solutions.set(l2, r.w);
      const other = 1 - f;
      const s = logisticPredict(foldZ[other], folds[other].length, p, r.w, k, foldY[other]);
      acc += s.accuracy / 2;
      ll += s.logLoss / 2;
    }
    heldOut.set(l2, { accuracy: acc, logLoss: ll });
    if (ll < heldOut.get(best)!.logLoss) (best = l2, rises = 0);
    // The held-out loss along the path is U-shaped: two weaker penalties past its minimum that
    // both do worse end the search (weak penalties are the slow fits).
    else if (++rises === 2) break;
  }
  const final = lbfgsLogistic({ z, n, p, y: labels, k, l2: best }, { w0: solutions.get(best), tol: TOL });
  converged &&= final.converged;
  const sorted = [...grid].sort((a, b) => a - b);
  return {
    result: {
      l2: best,
      heldOut: sorted.filter((l2) => heldOut.has(l2)).map((l2) => ({ l2, ...heldOut.get(l2)! })),
      interior: best !== sorted[0] && best !== sorted[sorted.length - 1],
      converged,
      solver: 'lbfgs',
      iterations: final.iterations,
    },
    errors: scored.map((s) => 1 - logisticPredict(s.z, s.y.length, p, final.w, k, s.y).accuracy),
  };
}

/**
 * Fit an easy-feature and a hard-feature probe on the balanced `fitSplit` (L2 by 2-fold
 * cross-validation on it) and report their errors on the balanced `testSplit` (and `valSplit`).
 */
export async function probeFeatures(model: FeatureExtractor, fitSplit: TwoFeatureSplit, testSplit: TwoFeatureSplit, opts: ProbeFeatureOptions): Promise<ProbeReport> {
  const grid = opts.l2Grid ?? DEFAULT_L2_GRID;
  if (!grid.length || grid.some((v) => !(v > 0))) throw new SamgpuError(`probeFeatures: l2Grid must be non-empty numbers > 0, got ${JSON.stringify(grid)}`);
  const rng = new Rng(opts.seed ^ 0x9e3779b9);
  const sets = [fitSplit, testSplit, ...(opts.valSplit ? [opts.valSplit] : [])];
  const idx = sets.map((s) => balancedIndices(s, rng, opts.maxPerGroup));
  const feats: Float32Array[] = [];
  let d = 0;
  for (const [i, s] of sets.entries()) {
    const t = extractFeatures(model, s, idx[i]);
    d = t.shape[1];
    feats.push(await t.read());
    t.dispose();
  }
  const std = standardize(feats[0], idx[0].length, d, sets.slice(1).map((_, i) => ({ x: feats[i + 1], n: idx[i + 1].length })));
  const report: Partial<ProbeReport> = { probeExamples: idx[0].length, testExamples: idx[1].length, ...(opts.valSplit ? { valExamples: idx[2].length } : {}) };
  // what each probe predicts: easy and hard, or every annotated feature
  const ids = opts.annotated;
  if (ids && !sets.every((s) => s.featureLabels?.length === ids.length)) {
    throw new SamgpuError(`probeFeatures: ${ids.length} annotated features (${ids.join(', ')}), but the splits carry ${sets.map((s) => s.featureLabels?.length ?? 0).join(' / ')} label rows`);
  }
  const targets = ids ? ids.map((id, j) => ({ id, of: (s: TwoFeatureSplit) => s.featureLabels![j] })) : (['easy', 'hard'] as const).map((id) => ({ id, of: (s: TwoFeatureSplit) => s[id] }));
  const results: Record<string, FeatureProbeResult> = {};
  for (const t of targets) {
    const label = (s: number) => Int32Array.from(idx[s], (i) => t.of(sets[s])[i]);
    const classes = Math.max(2, ...sets.map((s) => Math.max(...t.of(s)) + 1));
    const { result, errors } = probeOne(std.fit, std.p, label(0), classes, grid, sets.slice(1).map((_, i) => ({ z: std.others[i], y: label(i + 1) })));
    results[t.id] = { error: errors[0], ...(opts.valSplit ? { valError: errors[1] } : {}), ...result };
  }
  if (!ids) return { ...report, easy: results.easy, hard: results.hard } as ProbeReport;
  return { ...report, easy: results[ids[0]], hard: results[ids[ids.length - 1]], features: results } as ProbeReport;
}
