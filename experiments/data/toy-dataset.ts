// The two-feature toy (experiments/toy/) as a runner dataset, so studies can train it with the
// runner's optimizers, probes and statistics: vectors x = [x_easy, x_hard] (shape [1, 1, d]),
// training labels carried by both features, and the toy's decorrelated probe draws as the
// validation split (probe fit and selection are carved from it) and the test split. Labels ±1
// become classes 1 / 0 (index 1 for y = +1). `y` is the hard feature's label, as in the stacked
// datasets, where the easy feature is the spurious one.
import { DEFAULT_CONFIG, makeConfig, type DataConfig } from '../toy/config.ts';
import { makeProbeSet, makeTrainSet, type ToyProbeSet } from '../toy/data.ts';
import { featureDataset, makeFeatureSplit } from './k-feature.ts';
import { DataError, type AnnotatedFeature, type TwoFeatureDataset } from './types.ts';

export interface ToyDatasetOptions {
  /** Training examples (default the toy's 500), and the decorrelated val and test draws (default 1,000 each). */
  sizes?: { train?: number; val?: number; test?: number };
  seed?: number;
}

const label = (v: number) => (v > 0 ? 1 : 0);

export function toyFeatures(c: DataConfig = DEFAULT_CONFIG.data): AnnotatedFeature[] {
  return [
    { id: 'easy', name: `easy toy feature (${c.easy.kind}, ℝ^${c.easy.dim})`, classes: ['−1', '+1'], coordinates: [0, c.easy.dim] },
    { id: 'hard', name: `hard toy feature (${c.hard.kind}, ℝ^${c.hard.dim})`, classes: ['−1', '+1'], coordinates: [c.easy.dim, c.easy.dim + c.hard.dim] },
  ];
}

export function toyDataset(o: ToyDatasetOptions = {}): TwoFeatureDataset {
  const sizes = { train: 500, val: 1000, test: 1000, ...o.sizes };
  if (sizes.train % 2) throw new DataError(`toy: sizes.train must be even (balanced classes), got ${sizes.train}`);
  const c = makeConfig({ data: { n: sizes.train } }).data;
  const seed = o.seed ?? 0;
  const d = c.easy.dim + c.hard.dim;
  const classes = [2, 2];
  const t = makeTrainSet(c, seed);
  const y = Int32Array.from(t.y, label);
  const train = makeFeatureSplit('train', t.x, [1, 1, d], [y, y.slice()], classes, 1, false);
  const probe = (p: ToyProbeSet, split: 'val' | 'test') => makeFeatureSplit(split, p.x, [1, 1, d], [Int32Array.from(p.yEasy, label), Int32Array.from(p.yHard, label)], classes, 1, true);
  return featureDataset('toy', [1, 1, d], toyFeatures(c), {
    train,
    val: probe(makeProbeSet(c, sizes.val, seed, 'fit'), 'val'),
    test: probe(makeProbeSet(c, sizes.test, seed, 'test'), 'test'),
  }, { source: 'the two-feature toy (experiments/toy)', sizes, seed, easy: c.easy, hard: c.hard });
}
