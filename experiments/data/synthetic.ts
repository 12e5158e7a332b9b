// A generated two-feature image dataset for tests and quick runs: the easy feature is a bright
// square in one of two corners (large, clean), the hard one a faint stripe pattern (two
// orientations) under noise. Train fully correlated by default; val/test decorrelated.
import { Rng } from '../../engine/random.ts';
import type { TwoFeatureDataset, TwoFeatureSplit, SplitName } from './types.ts';

export interface SyntheticOptions {
  train?: number;
  val?: number;
  test?: number;
  size?: number;
  trainCorrelation?: number;
  seed?: number;
}

function makeSplit(split: SplitName, n: number, size: number, correlation: number, decorrelated: boolean, rng: Rng): TwoFeatureSplit {
  const images = rng.normal(n * size * size, 0, 0.4);
  const easy = new Int32Array(n);
  const hard = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    easy[i] = i % 2;
    hard[i] = decorrelated ? (i >> 1) % 2 : rng.next() < correlation ? easy[i] : 1 - easy[i];
    const img = images.subarray(i * size * size, (i + 1) * size * size);
    const q = size >> 2;
    const r0 = 1, c0 = easy[i] ? size - q - 1 : 1;
    for (let r = r0; r < r0 + q; r++) for (let c = c0; c < c0 + q; c++) img[r * size + c] += 1.5;
    for (let r = size >> 1; r < size; r++) {
      for (let c = 0; c < size; c++) img[r * size + c] += 0.35 * ((hard[i] ? r : c) % 2 ? 1 : -1);
    }
  }
  const group = Int32Array.from(easy, (e, i) => e * 2 + hard[i]);
  return { split, n, shape: [1, size, size], images, y: easy, easy, hard, group, decorrelated };
}

export function syntheticTwoFeature(opts: SyntheticOptions = {}): TwoFeatureDataset {
  const size = opts.size ?? 16;
  const corr = opts.trainCorrelation ?? 1;
  const rng = new Rng(opts.seed ?? 0);
  return {
    name: 'synthetic',
    shape: [1, size, size],
    task: 'easy',
    features: { easy: { name: 'corner square', classes: ['left', 'right'] }, hard: { name: 'stripes', classes: ['vertical', 'horizontal'] } },
    splits: {
      train: makeSplit('train', opts.train ?? 256, size, corr, false, rng),
      val: makeSplit('val', opts.val ?? 128, size, corr, true, rng),
      test: makeSplit('test', opts.test ?? 128, size, corr, true, rng),
    },
    config: { ...opts, size, trainCorrelation: corr },
  };
}
