// What the counter-claim study reads from its runs: the epochs its probes are measured at and
// the harder feature's probe error and the features' rank at each of them. Pure code.
import type { FinalResult } from '../runner/types.ts';
import type { Metric } from './compare.ts';
import type { Setting } from './settings.ts';

/** A setting with its ρ grid and the epochs its probes are read at. */
export interface TimedSetting extends Setting {
  grid: number[];
  epochs: number;
  /** Probes (and ranks) after every `every` epochs, and at the end. */
  every: number;
  /** What this setting stands for, for the page. */
  note: string;
}

export const samVariant = (rho: number) => `sam-${rho}`;

/** The epochs a setting's probes are read at: every `every` epochs, and the last. */
export function checkpoints(s: Pick<TimedSetting, 'epochs' | 'every'>): number[] {
  const out = Array.from({ length: Math.floor(s.epochs / s.every) }, (_, k) => (k + 1) * s.every).filter((e) => e < s.epochs);
  return [...out, s.epochs];
}

/** A run's probe report at epoch `t` (the final probes at its last epoch); undefined when not measured. */
function probesAt(r: FinalResult, t: number) {
  return t === r.metrics.length ? r.probes : r.metrics.find((m) => m.epoch === t)?.probes;
}

/** The hard (last-listed) feature's probe error at epoch t. */
export const hardAt = (t: number): Metric => (r) => probesAt(r, t)?.hard.error ?? NaN;
export const easyAt = (t: number): Metric => (r) => probesAt(r, t)?.easy.error ?? NaN;
/** Effective rank of the penultimate features at epoch t. */
export const rankAt = (t: number, which: 'effective' | 'numerical' | 'pca90' = 'effective'): Metric => (r) =>
  (t === r.metrics.length ? r.featureRank : r.metrics.find((m) => m.epoch === t)?.featureRank)?.[which] ?? NaN;

