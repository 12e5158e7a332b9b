// The paper's evaluation: freeze the network, extract penultimate features in eval mode, and
// fit a linear probe per annotated feature (DFR recipe: group-balanced probe sets, L2 strength
// chosen on a held-out half, error reported on a balanced test set).
import type { Tensor } from '../../engine/tensor.ts';
import { tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { concat } from '../../engine/ops/layout.ts';
import { Rng } from '../../engine/random.ts';
import type { TwoFeatureSplit } from '../data/types.ts';
import { fitLinearProbes } from './probe.ts';

export interface FeatureExtractor {
  features(x: Tensor): Tensor;
  train(on?: boolean): unknown;
}

/** Penultimate features of `indices` (or all) of a split: [n, d] on the GPU, eval mode. */
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

/** Indices with every (easy, hard) group equally represented: each subsampled to the smallest. */
export function balancedIndices(split: TwoFeatureSplit, rng: Rng, maxPerGroup = 0): number[] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < split.n; i++) {
    const g = split.group[i];
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(i);
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

// Gradient tolerances (max |∂/∂w| of the mean loss + L2 term): choosing L2 only needs accuracies
// on the held-out half, the reported probe is solved tighter.
const SELECT_TOL = 1e-3;
const FINAL_TOL = 1e-4;

export interface FeatureProbeResult {
  /** Probe error on the balanced test set. */
  error: number;
  /** The L2 strength chosen on the held-out half of the probe set. */
  l2: number;
  /** Accuracy on the held-out half for each L2 tried. */
  heldOut: number[];
  /** Whether the final fit met its tolerance within the solver's iterations (false: the error is of an unfinished fit). */
  converged: boolean;
  /** Solver of the final fit ('newton' for small problems, 'gd' for wide features) and its iterations. */
  solver: 'newton' | 'gd';
  iterations: number;
}

export interface ProbeReport {
  easy: FeatureProbeResult;
  hard: FeatureProbeResult;
  probeExamples: number;
  testExamples: number;
}

/**
 * Fit an easy-feature and a hard-feature probe on `fitSplit` (balanced; one half picks L2), and
 * report their errors on `testSplit` (balanced).
 */
export async function probeFeatures(model: FeatureExtractor, fitSplit: TwoFeatureSplit, testSplit: TwoFeatureSplit, opts: { l2Grid: number[]; seed: number; maxPerGroup?: number }): Promise<ProbeReport> {
  const rng = new Rng(opts.seed ^ 0x9e3779b9);
  const fitIdx = balancedIndices(fitSplit, rng, opts.maxPerGroup);
  const testIdx = balancedIndices(testSplit, rng, opts.maxPerGroup);
  // halves that stay balanced: alternate within each group's run
  const a = fitIdx.filter((_, i) => i % 2 === 0);
  const b = fitIdx.filter((_, i) => i % 2 === 1);
  const fa = extractFeatures(model, fitSplit, a);
  const fb = extractFeatures(model, fitSplit, b);
  const fAll = extractFeatures(model, fitSplit, fitIdx);
  const ft = extractFeatures(model, testSplit, testIdx);
  const pick = (idx: number[], lab: Int32Array) => Float64Array.from(idx, (i) => lab[i]);
  const result: Partial<ProbeReport> = { probeExamples: fitIdx.length, testExamples: testIdx.length };
  try {
    for (const feature of ['easy', 'hard'] as const) {
      const classes = Math.max(...fitSplit[feature], ...testSplit[feature]) + 1;
      const heldOut: number[] = [];
      for (const l2 of opts.l2Grid) {
        const r = await fitLinearProbes({ x: fa, labels: [pick(a, fitSplit[feature])] }, { x: fb, labels: [pick(b, fitSplit[feature])] }, { l2, classes: Math.max(2, classes), tol: SELECT_TOL });
        heldOut.push(r.testAccuracy[0][0]);
      }
      const best = heldOut.indexOf(Math.max(...heldOut));
      const l2 = opts.l2Grid[best];
      const r = await fitLinearProbes({ x: fAll, labels: [pick(fitIdx, fitSplit[feature])] }, { x: ft, labels: [pick(testIdx, testSplit[feature])] }, { l2, classes: Math.max(2, classes), tol: FINAL_TOL });
      result[feature] = { error: 1 - r.testAccuracy[0][0], l2, heldOut, converged: r.converged, solver: r.solver, iterations: r.iterations };
    }
  } finally {
    for (const t of [fa, fb, fAll, ft]) t.dispose();
  }
  return result as ProbeReport;
}
