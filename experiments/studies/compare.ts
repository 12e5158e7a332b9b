// Paired comparisons of finished runs: metrics read from each run's final result, arms matched
// by seed (same initialization and data order), a 95% interval on the per-seed differences, and
// a verdict on each claim. Pure code: studies, the main job and reports share it.
import type { FinalResult } from '../runner/types.ts';
import type { ImportanceEval } from '../runner/importance.ts';
import { paired, tInterval, verdict, type Direction, type Interval, type PairedComparison, type Verdict } from '../stats/paired.ts';

/** A number read from a run (NaN when the run does not have it). */
export type Metric = (r: FinalResult) => number;

const last = <T>(xs: readonly T[]): T | undefined => xs[xs.length - 1];

export const METRICS = {
  easyError: (r) => r.probes.easy.error,
  hardError: (r) => r.probes.hard.error,
  easySelectionError: (r) => r.probes.easy.valError ?? NaN,
  hardSelectionError: (r) => r.probes.hard.valError ?? NaN,
  untrainedEasyError: (r) => r.untrainedProbes?.easy.error ?? NaN,
  untrainedHardError: (r) => r.untrainedProbes?.hard.error ?? NaN,
  /** Feature gain: how much training lowered the probe error below the untrained network's. */
  easyGain: (r) => (r.untrainedProbes ? r.untrainedProbes.easy.error - r.probes.easy.error : NaN),
  hardGain: (r) => (r.untrainedProbes ? r.untrainedProbes.hard.error - r.probes.hard.error : NaN),
  testAcc: (r) => r.testAcc,
  inDistAcc: (r) => r.inDistAcc ?? NaN,
  worstGroupAcc: (r) => r.worstGroupAcc,
  selectionAcc: (r) => last(r.metrics)?.valAcc ?? NaN,
  trainLoss: (r) => last(r.metrics)?.trainLoss ?? NaN,
  /** Importance weights at the last measured checkpoint: Gini of λ (θ) and of λ̃ (θ̃). */
  giniFinal: (r) => last(r.importance ?? [])?.gini ?? NaN,
  giniPhantomFinal: (r) => last(r.importance ?? [])?.giniPhantom ?? NaN,
  /** The same before the first step (the control: what the data and initialization give alone). */
  giniInitial: (r) => r.importance?.find((m) => m.step === 0)?.gini ?? NaN,
  giniPhantomInitial: (r) => r.importance?.find((m) => m.step === 0)?.giniPhantom ?? NaN,
} satisfies Record<string, Metric>;

export type MetricName = keyof typeof METRICS;

/** Probe error of annotated feature `id` on the test split (datasets with per-feature probes). */
export const featureError = (id: string): Metric => (r) => r.probes.features?.[id]?.error ?? NaN;
/** The same probe on the same seed's untrained network. */
export const untrainedFeatureError = (id: string): Metric => (r) => r.untrainedProbes?.features?.[id]?.error ?? NaN;

/** Mean probe error on the selection split over every probed feature (easy and hard when the dataset lists none). */
export const meanSelectionError: Metric = (r) => {
  const all = r.probes.features ? Object.values(r.probes.features) : [r.probes.easy, r.probes.hard];
  const v = all.map((p) => p.valError ?? NaN);
  return v.reduce((a, b) => a + b, 0) / v.length;
};

/** Share of ln K a training loss must keep to count as "at chance". */
export const STALL_SHARE = 0.95;

/**
 * Leading epochs whose mean training loss stays at chance (at least STALL_SHARE·ln K for K
 * balanced classes): the stall of large ρ, where SAM's ascent keeps the loss flat before learning.
 */
export function stallEpochs(r: FinalResult, classes: number): number {
  const chance = Math.log(classes) * STALL_SHARE;
  const k = r.metrics.findIndex((m) => m.trainLoss < chance);
  return k < 0 ? r.metrics.length : k;
}

/** The first measured checkpoint whose loss on the fixed set is at or below `level` (none: undefined). */
export function atLoss(r: FinalResult, level: number): ImportanceEval | undefined {
  return (r.importance ?? []).find((e) => e.loss <= level);
}

/** seed → value, over the runs where the value is finite. */
export function bySeed(runs: readonly FinalResult[], metric: Metric): Map<number, number> {
  const m = new Map<number, number>();
  for (const r of runs) {
    const v = metric(r);
    if (Number.isFinite(v)) m.set(r.config.seed, v);
  }
  return m;
}

export interface Summary extends Interval {
  values: number[];
}

/** Mean, sd and 95% interval of a metric over runs (unpaired: one arm's spread). */
export function summarize(runs: readonly FinalResult[], metric: Metric): Summary {
  const values = [...bySeed(runs, metric).values()];
  return { ...tInterval(values), values };
}

export interface Claim {
  id: string;
  /** The claim in words, e.g. "SAM lowers the hard feature's probe error". */
  text: string;
  /** What the statistic is: "SAM − SGD, hard-feature probe error". */
  statistic: string;
  direction: Direction;
  comparison: PairedComparison;
  verdict: Verdict;
}

/** A directional claim on the per-seed differences metricA(a) − metricB(b). */
export function pairedClaim(
  id: string, text: string, statistic: string, direction: Direction,
  a: readonly FinalResult[], b: readonly FinalResult[], metricA: Metric, metricB: Metric = metricA,
): Claim {
  const comparison = paired(bySeed(a, metricA), bySeed(b, metricB));
  return { id, text, statistic, direction, comparison, verdict: verdict(comparison, direction) };
}

/** Both claims must hold for a conjunction: contradicted if either is, supported if both are. */
export function both(id: string, text: string, x: Claim, y: Claim): Claim {
  const v: Verdict = x.verdict === 'contradicted' || y.verdict === 'contradicted' ? 'contradicted' : x.verdict === 'supported' && y.verdict === 'supported' ? 'supported' : 'inconclusive';
  return { id, text, statistic: `${x.statistic}; ${y.statistic}`, direction: x.direction, comparison: x.comparison.n <= y.comparison.n ? x.comparison : y.comparison, verdict: v };
}
