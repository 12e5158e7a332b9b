// What several studies share: a "setting" (a dataset with a model and its training recipe) and
// the arms run in it (an optimizer variant each), named `<setting>_<variant>` so one study can
// compare optimizers within several settings, paired by seed inside each. Pure code.
import type { FinalResult } from '../runner/types.ts';
import { tInterval } from '../stats/paired.ts';
import type { Arm, StudyContext } from './study.ts';

export interface Setting {
  /** Short id used in arm ids: 'lms-mlp', 'collage', 'toy', 'fmnist'. */
  id: string;
  /** How pages name it. */
  label: string;
  /** Config fields every arm of the setting uses (dataset, model, optimizer, epochs, batchSize, probe, importance). */
  config: { dataset: { name: string; dataDir?: string; options?: Record<string, unknown> }; optimizer: Record<string, unknown> } & Record<string, unknown>;
  /** Classes of the task (for "loss at chance": ln K). */
  classes: number;
  /** The annotated features, in the dataset's order (ids as the probes report them). */
  features: { id: string; name: string }[];
}

export interface Variant {
  /** Id within the setting: 'sgd', 'sam', 'rho-0.1', 'alone-slab5'. */
  id: string;
  label: string;
  /** Optimizer fields over the setting's (name, rho, rhoWarmup). */
  optimizer: Record<string, unknown>;
  /** Dataset options over the setting's (e.g. { alone: 'slab5' }). */
  datasetOptions?: Record<string, unknown>;
  /** Probe fields over the setting's (e.g. { untrained: false } where another arm's seed gives the reference). */
  probe?: Record<string, unknown>;
  /** Hyper-parameters chosen on the selection split (dotted field → candidates). */
  select?: Record<string, unknown[]>;
}

/** A setting with the radii it runs: SAM's grid (0 = SGD), LSAM's larger radii, the radii that also get a warm-up. */
export interface RhoSetting extends Setting {
  grid: number[];
  lsam: number[];
  warm: number[];
  /** Epochs of the linear warm-up from 0 to ρ. */
  warmupEpochs: number;
}

export const rhoVariant = (rho: number): string => `rho-${rho}`;

export const armId = (s: Setting, v: Variant | string) => `${s.id}_${typeof v === 'string' ? v : v.id}`;

/** The arm that runs variant `v` in setting `s`: the setting's whole config with the variant's changes. */
export function settingArm(s: Setting, v: Variant): Arm {
  const { dataset, optimizer, ...rest } = s.config;
  return {
    id: armId(s, v),
    label: `${v.label} (${s.label})`,
    params: {
      ...rest,
      dataset: { ...dataset, options: { ...dataset.options, ...v.datasetOptions } },
      optimizer: { ...optimizer, ...v.optimizer },
      ...(v.probe ? { probe: { ...(rest.probe as Record<string, unknown> | undefined), ...v.probe } } : {}),
    },
    ...(v.select ? { select: v.select } : {}),
  };
}

/**
 * Every arm's untrained reference from arm `from`'s run of the same seed, where the arm did not
 * probe its own: the initialization depends on the seed alone (and the probe splits on the seed
 * and the validation split), so one arm's untrained probe is every arm's. `within` limits which
 * arms receive it (a study with several settings shares within each).
 */
export function shareUntrained(runs: Map<string, FinalResult[]>, from = 'sgd', within: (arm: string) => boolean = () => true): Map<string, FinalResult[]> {
  const bySeed = new Map((runs.get(from) ?? []).filter((r) => r.untrainedProbes).map((r) => [r.config.seed, r.untrainedProbes!]));
  return new Map([...runs].map(([arm, rs]) => [arm, !within(arm) ? rs : rs.map((r) => (r.untrainedProbes || !bySeed.has(r.config.seed) ? r : { ...r, untrainedProbes: bySeed.get(r.config.seed) }))]));
}

export const runsOf = (ctx: StudyContext, s: Setting, v: string): FinalResult[] => ctx.runs.get(armId(s, v)) ?? [];

/** Mean and 95% t-interval bounds of a metric over runs, for curves with bands. */
export function meanBand(runs: readonly FinalResult[], metric: (r: FinalResult) => number): { mean: number; lo: number; hi: number; n: number } {
  const v = runs.map(metric).filter(Number.isFinite);
  const iv = tInterval(v);
  return { mean: iv.mean, lo: Number.isFinite(iv.lo) ? iv.lo : iv.mean, hi: Number.isFinite(iv.hi) ? iv.hi : iv.mean, n: iv.n };
}

/** Ranks 1…n with ties sharing their average rank. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let t = i; t <= j; t++) out[order[t][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Spearman's rank correlation (Pearson on average ranks); NaN when either side is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((s, x) => s + x, 0) / n;
  const mb = rb.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) ** 2;
    sbb += (rb[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** Population standard deviation (the spread of k values, not an estimate). */
export function spread(xs: readonly number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
}
