// Shah et al. 2020's LMS data ("The Pitfalls of Simplicity Bias", generate_ub_linslab_data in their
// scripts/gendata.py), as a dataset with one annotated feature per coordinate block: a linear
// coordinate and k-slab coordinates (k = 3, 5, 7: one more non-linear piece each), every one of
// them fully predictive of the label in training, plus noise coordinates.
//  - width w (default 1) and margin m = 0.1·w (their `eff_lin_margin` = `eff_slab_margin` = 0.1);
//  - linear: x = ±(m + (w − m)·U) on the side of its class (class 1 positive);
//  - k-slab: [−w, w] holds k slabs of width (2w − 2(k−1)m)/k separated by gaps of 2m, classes
//    alternating, the centre slab class 0; within a class the slabs are drawn with Shah et al.'s
//    probabilities (5 slabs: class 0 centre 3/4, sides 1/8; 7 slabs: class 0 centre 1/2, the
//    others 1/4; class 1 inner 7/16, outer 1/16), uniform inside the slab;
//  - noise coordinates uniform in [0, w] (what their generator leaves in unused coordinates).
// The slab geometry is the toy's slab feature (experiments/toy/data.ts) with half-range w + m and
// a gap of m inside each slab, which gives exactly their supports; the label's sign convention is
// mirrored for the linear coordinate (a reflection, same distribution up to relabelling).
// Each block is its signal coordinate followed by `noise` noise coordinates, so a branch net can
// give each feature its own branch. Splits: train correlated (every block carries the task label
// on a share `trainCorrelation` of the examples), val and test decorrelated (all block labels
// independent, every combination equally often), so a probe on block j sees only j's label.
import { Rng } from '../../engine/random.ts';
import type { FeatureConfig } from '../toy/config.ts';
import { Gauss, checkFeatureConfig, signal } from '../toy/data.ts';
import { assignFeatureLabels, featureDataset, featureIndex, makeFeatureSplit } from './k-feature.ts';
import { DataError, type AnnotatedFeature, type SplitName, type TwoFeatureDataset, type TwoFeatureSplit } from './types.ts';

export interface LmsOptions {
  /** Slab counts of the slab coordinates, in order (default [3, 5, 7]). */
  slabs?: number[];
  /** A linear coordinate first (default true). */
  linear?: boolean;
  /** Noise coordinates after each signal coordinate (default 4: 20 coordinates for 4 blocks, Shah et al.'s dimension). */
  noise?: number;
  /** Margin as a fraction of the width (default 0.1). */
  margin?: number;
  sizes?: Partial<Record<SplitName, number>>;
  /** Share of training examples on which every block carries the task label (default 1). */
  trainCorrelation?: number;
  /** Train on one block alone: only it carries the label in training (and it is y everywhere). */
  alone?: string;
  seed?: number;
}

export const LMS_DEFAULT_SIZES: Record<SplitName, number> = { train: 2000, val: 1024, test: 1024 };

/** Shah et al.'s slab probabilities as relative weights per slab, left to right (their slab_p_vals). */
export const SHAH_SLAB_WEIGHTS: Record<number, number[]> = { 3: [1, 1, 1], 5: [1, 1, 6, 1, 1], 7: [1, 2, 7, 4, 7, 2, 1] };

const WIDTH = 1;

/** The toy feature that draws block j's signal coordinate. */
function blockFeature(kind: 'linear' | number, margin: number): FeatureConfig {
  const m = margin * WIDTH;
  if (kind === 'linear') return { dim: 1, kind: 'uniform', mean: WIDTH, std: 0, minMargin: m, slabs: 3, fraction: 1 };
  const half = WIDTH + m;
  return { dim: 1, kind: 'slab', mean: half, std: 0, minMargin: m / ((2 * half) / kind), slabs: kind, fraction: 1, slabWeights: SHAH_SLAB_WEIGHTS[kind] };
}

export function lmsFeatures(o: LmsOptions = {}): AnnotatedFeature[] {
  const kinds: ('linear' | number)[] = [...(o.linear ?? true ? ['linear' as const] : []), ...(o.slabs ?? [3, 5, 7])];
  const per = 1 + (o.noise ?? 4);
  return kinds.map((k, j) => ({
    id: k === 'linear' ? 'linear' : `slab${k}`,
    name: k === 'linear' ? 'linear coordinate' : `${k}-slab coordinate`,
    classes: ['0', '1'],
    coordinates: [j * per, (j + 1) * per] as [number, number],
  }));
}

export function lmsDataset(o: LmsOptions = {}): TwoFeatureDataset {
  const slabs = o.slabs ?? [3, 5, 7];
  for (const k of slabs) if (!SHAH_SLAB_WEIGHTS[k]) throw new DataError(`lms: slabs: ${k} is not one of Shah et al.'s slab counts (3, 5, 7)`);
  const noise = o.noise ?? 4;
  const margin = o.margin ?? 0.1;
  if (!(margin > 0 && margin < 0.25)) throw new DataError(`lms: margin must be in (0, 0.25), got ${margin}`);
  const kinds: ('linear' | number)[] = [...(o.linear ?? true ? ['linear' as const] : []), ...slabs];
  if (kinds.length < 2) throw new DataError(`lms: need at least two blocks, got ${kinds.length}`);
  const features = lmsFeatures(o);
  const blocks = kinds.map((k) => blockFeature(k, margin));
  blocks.forEach((f, j) => checkFeatureConfig(`lms ${features[j].id}`, f));
  const k = kinds.length;
  const last = k - 1;
  const task = o.alone === undefined ? last : featureIndex(features, o.alone, 'lms: alone');
  const sizes = { ...LMS_DEFAULT_SIZES, ...o.sizes };
  const per = 1 + noise;
  const d = k * per;
  const classes = kinds.map(() => 2);
  const rng = new Rng(((o.seed ?? 0) * 0x2c1b3c6d + 0x4c4d53) >>> 0);
  const g = new Gauss(rng);
  const make = (split: SplitName): TwoFeatureSplit => {
    const decorrelated = split !== 'train';
    const free = o.alone !== undefined && !decorrelated ? features.map((_, j) => j).filter((j) => j !== task) : [];
    const labels = assignFeatureLabels(sizes[split], classes, task, decorrelated ? null : (o.trainCorrelation ?? 1), rng, free);
    const n = labels[0].length;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        const l = labels[j][i];
        // toy sign convention: the centre slab is +1 (Shah's class 0); the linear class 1 is positive
        const y = kinds[j] === 'linear' ? (l === 1 ? 1 : -1) : l === 0 ? 1 : -1;
        const at = i * d + j * per;
        x[at] = signal(blocks[j], y, g);
        for (let c = 1; c < per; c++) x[at + c] = WIDTH * rng.next();
      }
    }
    return makeFeatureSplit(split, x, [1, 1, d], labels, classes, task, decorrelated);
  };
  const splits = { train: make('train'), val: make('val'), test: make('test') };
  return featureDataset(`lms-${kinds.join('-')}`, [1, 1, d], features, splits, {
    source: 'Shah et al. 2020 LMS (generate_ub_linslab_data)', slabs, linear: o.linear ?? true, noise, margin, width: WIDTH,
    sizes: { train: splits.train.n, val: splits.val.n, test: splits.test.n }, trainCorrelation: o.trainCorrelation ?? 1, seed: o.seed ?? 0,
    ...(o.alone !== undefined ? { alone: o.alone } : {}),
  });
}
