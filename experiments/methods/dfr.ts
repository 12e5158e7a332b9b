// Deep feature reweighting, Kirichenko, Izmailov & Wilson, "Last Layer Re-Training is Sufficient
// for Robustness to Spurious Correlations" (ICLR 2023), their protocol (dfr_evaluate_spurious.py):
// freeze the trained network, standardize its penultimate features on a held-out set, choose the
// inverse L1 strength C from {1, 0.7, 0.3, 0.1, 0.07, 0.03, 0.01} by the worst-group accuracy on
// one random half of the held-out set of a head fitted on the other, group-balanced half; then fit
// the head with that C on `retrains` (20) group-balanced resamples of the whole held-out set and
// average their weights. The held-out set here is the run's selection split (disjoint from the
// probes' fit set and from test). Heads: L1 logistic regression (probe/l1.ts), softmax over the
// classes (binary: one sigmoid), intercepts unpenalized; sklearn's liblinear fits one-vs-rest and
// penalizes its intercept, a difference that matters little on standardized features.
import { Rng } from '../../engine/random.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { TwoFeatureSplit } from '../data/types.ts';
import { balanceWithin, extractFeatures, standardize, type FeatureExtractor } from '../probe/feature-probes.ts';

export { balanceWithin };
import { fistaL1Logistic } from '../probe/l1.ts';
import { logisticPredict } from '../probe/lbfgs.ts';
import { groupAccuracy, inDistributionAccuracy } from '../runner/evaluate.ts';
import type { DfrConfig } from './config.ts';

export interface DfrResult {
  /** The DFR head on the test split: accuracy, in-distribution accuracy (train's group mix), worst group. */
  testAcc: number;
  inDistAcc: number;
  worstGroupAcc: number;
  groupAcc: Record<string, number>;
  /** The C chosen, and the mean worst-group accuracy of every C on the tuning halves. */
  C: number;
  tuning: { C: number; worstGroupAcc: number }[];
  /** Held-out examples, and those of each balanced resample the heads were fitted on. */
  heldOut: number;
  balancedExamples: number;
  /** Share of the averaged head's feature weights that are exactly 0 (L1's sparsity). */
  zeroWeights: number;
  /** Every fit met the solver's tolerance. */
  converged: boolean;
}


const rowsOf = (z: Float64Array, p: number, idx: number[]) => {
  const out = new Float64Array(idx.length * p);
  idx.forEach((r, i) => out.set(z.subarray(r * p, (r + 1) * p), i * p));
  return out;
};

/** Worst-group accuracy of predictions `pred` on examples `idx` of a split. */
function worstGroup(pred: Int32Array, idx: number[], split: TwoFeatureSplit): number {
  const hit = new Map<number, [number, number]>();
  idx.forEach((i, r) => {
    const h = hit.get(split.group[i]) ?? [0, 0];
    hit.set(split.group[i], [h[0] + (pred[r] === split.y[i] ? 1 : 0), h[1] + 1]);
  });
  return Math.min(...[...hit.values()].map(([c, n]) => c / n));
}

export async function deepFeatureReweighting(
  model: FeatureExtractor, heldOut: TwoFeatureSplit, test: TwoFeatureSplit, train: TwoFeatureSplit,
  o: DfrConfig & { seed: number; classes: number; tol?: number },
): Promise<DfrResult> {
  if (heldOut.n < 4) throw new SamgpuError(`DFR: the held-out (selection) split has ${heldOut.n} examples; it needs at least 4`);
  const groupsHeld = new Set(heldOut.group).size;
  if (groupsHeld < 2) throw new SamgpuError(`DFR: the held-out split has ${groupsHeld} group; balancing needs at least 2`);
  const all = Array.from({ length: heldOut.n }, (_, i) => i);
  const feats = async (split: TwoFeatureSplit) => {
    const t = extractFeatures(model, split, Array.from({ length: split.n }, (_, i) => i));
    const d = t.shape[1];
    const x = await t.read();
    t.dispose();
    return { x, d };
  };
  const h = await feats(heldOut);
  const te = await feats(test);
  for (const [name, f] of [['held-out', h], ['test', te]] as const) {
    const bad = f.x.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new SamgpuError(`DFR: the ${name} features hold a non-finite value at example ${Math.floor(bad / f.d)}: the network diverged`);
  }
  const std = standardize(h.x, heldOut.n, h.d, [{ x: te.x, n: test.n }]);
  const p = std.p;
  const k = o.classes > 2 ? o.classes : 1;
  const rng = new Rng((o.seed * 2654435761 + 0xdf7) >>> 0);
  const fit = (idx: number[], C: number, w0?: Float64Array) => {
    const r = fistaL1Logistic({ z: rowsOf(std.fit, p, idx), n: idx.length, p, y: Int32Array.from(idx, (i) => heldOut.y[i]), k, l1: 1 / (C * idx.length) }, { w0, tol: o.tol ?? 1e-5 });
    converged &&= r.converged;
    return r.w;
  };
  let converged = true;
  // C by worst-group accuracy on one half of a head fitted on the other (balanced) half
  const score = new Map<number, number>(o.cGrid.map((c) => [c, 0]));
  const byPenalty = [...o.cGrid].sort((a, b) => a - b); // strongest penalty first: each warm-starts the next
  for (let r = 0; r < o.tuneRetrains; r++) {
    const order = [...all];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const half = Math.floor(order.length / 2);
    const a = balanceWithin(order.slice(0, half), heldOut.group, rng);
    const b = order.slice(half);
    let warm: Float64Array | undefined;
    for (const C of byPenalty) {
      warm = fit(a, C, warm);
      const pred = logisticPredict(rowsOf(std.fit, p, b), b.length, p, warm, k, Int32Array.from(b, (i) => heldOut.y[i])).predictions;
      score.set(C, score.get(C)! + worstGroup(pred, b, heldOut) / o.tuneRetrains);
    }
  }
  // the first C of the grid among the best (the published grid starts at the weakest penalty)
  const C = o.cGrid.reduce((best, c) => (score.get(c)! > score.get(best)! ? c : best), o.cGrid[0]);
  // the final head: weights averaged over balanced resamples of the whole held-out set
  const avg = new Float64Array(p * k);
  let balancedExamples = 0;
  for (let r = 0; r < o.retrains; r++) {
    const idx = balanceWithin(all, heldOut.group, rng);
    balancedExamples = idx.length;
    const w = fit(idx, C);
    for (let q = 0; q < avg.length; q++) avg[q] += w[q] / o.retrains;
  }
  const pred = logisticPredict(std.others[0], test.n, p, avg, k, test.y).predictions;
  const ga = groupAccuracy(test, Float32Array.from(pred));
  let zeros = 0;
  for (let q = 0; q < avg.length; q++) if (q % p !== p - 1 && avg[q] === 0) zeros++;
  return {
    testAcc: ga.acc,
    inDistAcc: inDistributionAccuracy(train, ga.groups),
    worstGroupAcc: ga.worst,
    groupAcc: ga.groups,
    C,
    tuning: o.cGrid.map((c) => ({ C: c, worstGroupAcc: score.get(c)! })),
    heldOut: heldOut.n,
    balancedExamples,
    zeroWeights: zeros / (avg.length - k),
    converged,
  };
}
