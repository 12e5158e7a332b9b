// Labels and splits of datasets with k ≥ 2 annotated features (LMS vectors, collages): which
// label each feature carries on each example, and the split record the runner and the probes read.
// In a correlated split every feature agrees with the task feature on a share `c` of the examples
// of each class (exactly round(c·n/K) of them; the rest are spread evenly over the other classes);
// in a decorrelated split the k labels are independent and every one of the K^k combinations
// holds n/K^k examples. Pure code.
import type { Rng } from '../../engine/random.ts';
import { shuffleInPlace } from './two-feature.ts';
import { DataError, type AnnotatedFeature, type ImageShape, type SplitName, type TwoFeatureDataset, type TwoFeatureSplit } from './types.ts';

/**
 * Labels of n examples for features with `classes[j]` classes each. `task` is the feature every
 * other one is correlated with; `correlation` null makes them all independent and balanced.
 * Features listed in `free` carry independent, balanced labels whatever the correlation (the
 * other blocks of an "alone" split).
 */
export function assignFeatureLabels(n: number, classes: readonly number[], task: number, correlation: number | null, rng: Rng, free: readonly number[] = []): Int32Array[] {
  const k = classes.length;
  if (k < 2) throw new DataError(`k-feature: need at least 2 features, got ${k}`);
  if (correlation !== null && !(correlation >= 0 && correlation <= 1)) throw new DataError(`k-feature: correlation must be in [0, 1], got ${correlation}`);
  if (correlation === null) {
    // every combination equally often: n rounded down to a multiple of ∏ K_j
    const combos = classes.reduce((a, b) => a * b, 1);
    const per = Math.floor(n / combos);
    const m = per * combos;
    const labels = classes.map(() => new Int32Array(m));
    for (let i = 0; i < m; i++) {
      let c = Math.floor(i / per);
      for (let j = k - 1; j >= 0; j--) (labels[j][i] = c % classes[j], c = Math.floor(c / classes[j]));
    }
    const order = shuffleInPlace(Int32Array.from({ length: m }, (_, i) => i), rng);
    return labels.map((l) => Int32Array.from(order, (i) => l[i]));
  }
  const K = classes[task];
  const per = Math.floor(n / K);
  const m = per * K;
  const labels = classes.map(() => new Int32Array(m));
  for (let h = 0; h < K; h++) labels[task].fill(h, h * per, (h + 1) * per);
  for (let j = 0; j < k; j++) {
    if (j === task) continue;
    if (classes[j] !== K && !free.includes(j)) throw new DataError(`k-feature: feature ${j} has ${classes[j]} classes, the task feature ${K}: a correlated split needs the same number`);
    for (let h = 0; h < K; h++) {
      // which examples of task class h agree, chosen anew for each feature so mismatches are independent
      const slots = shuffleInPlace(Int32Array.from({ length: per }, (_, i) => i), rng);
      const matched = free.includes(j) ? -1 : Math.round(correlation * per);
      for (let s = 0; s < per; s++) {
        const i = h * per + slots[s];
        if (matched < 0) labels[j][i] = (h * per + s) % classes[j];
        else labels[j][i] = s < matched ? h : (h + 1 + ((s - matched) % (K - 1))) % K;
      }
    }
  }
  const order = shuffleInPlace(Int32Array.from({ length: m }, (_, i) => i), rng);
  return labels.map((l) => Int32Array.from(order, (i) => l[i]));
}

/** The tuple of all labels as one group index (mixed radix, the first feature most significant). */
export function featureGroups(labels: readonly Int32Array[], classes: readonly number[]): Int32Array {
  const n = labels[0]?.length ?? 0;
  return Int32Array.from({ length: n }, (_, i) => labels.reduce((g, l, j) => g * classes[j] + l[i], 0));
}

/**
 * A split record of a k-feature dataset: `easy` is feature 0, `hard` feature k−1, `y` the task
 * feature's label, `group` the tuple of all labels.
 */
export function makeFeatureSplit(
  split: SplitName, images: Float32Array, shape: ImageShape, labels: Int32Array[], classes: readonly number[], task: number, decorrelated: boolean,
): TwoFeatureSplit {
  const k = labels.length;
  return {
    split, n: labels[0].length, shape, images, y: labels[task], easy: labels[0], hard: labels[k - 1],
    group: featureGroups(labels, classes), decorrelated, featureLabels: labels,
  };
}

/** Index of feature `id` in a dataset's annotated list (an error that lists the ids otherwise). */
export function featureIndex(features: readonly AnnotatedFeature[], id: string, what: string): number {
  const j = features.findIndex((f) => f.id === id);
  if (j < 0) throw new DataError(`${what}: no feature '${id}' (features: ${features.map((f) => f.id).join(', ')})`);
  return j;
}

/** The dataset record of k-feature splits: easy and hard are the first and the last annotated feature. */
export function featureDataset(
  name: string, shape: ImageShape, annotated: AnnotatedFeature[], splits: Record<SplitName, TwoFeatureSplit>, config: Record<string, unknown>,
): TwoFeatureDataset {
  return { name, shape, task: 'hard', features: { easy: annotated[0], hard: annotated[annotated.length - 1] }, splits, annotated, config };
}
