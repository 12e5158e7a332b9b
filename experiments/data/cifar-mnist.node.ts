// CIFAR-MNIST (Shah et al. 2020): an MNIST 0/1 digit, zero-padded to 32×32 and made 3-channel,
// stacked over a CIFAR-10 automobile/truck → 3×64×32 in [0, 1], no mean/std normalization.
// Easy feature: the MNIST block; hard feature: the CIFAR block; y = the CIFAR label (task 'hard':
// the two agree everywhere when the train correlation is 1, the default). Train and val come from
// the MNIST/CIFAR train files (a 90/10 split, as neither has a val split), test from the test files.
import { findIdxFile, loadIdxSplit } from './idx.node.ts';
import { cifarFiles, loadCifar10 } from './cifar10.node.ts';
import { CIFAR10_CLASSES } from './cifar10.ts';
import { defaultSizes, makePool } from './pools.ts';
import { loadStacked, stamps } from './stacked.node.ts';
import type { CacheOptions } from './cache.node.ts';
import type { StackedSpec } from './two-feature.ts';
import type { SplitName } from './types.ts';

export interface CifarMnistOptions extends CacheOptions {
  /** Folder of the MNIST IDX files (plain or .gz, either spelling, or its raw/). */
  mnistDir: string;
  /** Folder holding cifar-10-batches-bin/ (or the batch files). */
  cifarDir: string;
  /** Default: all that the sources allow (class-balanced). */
  sizes?: Partial<Record<SplitName, number>>;
  /** Fraction of train examples whose MNIST digit is the one paired with their CIFAR class (default 1). */
  trainCorrelation?: number;
  /** null (default): val decorrelated like test. */
  valCorrelation?: number | null;
  /** [MNIST digit, CIFAR-10 class] per label; default [[0, 1], [1, 9]] (0 ↔ automobile, 1 ↔ truck). */
  pairs?: [number, number][];
  seed?: number;
}

export async function loadCifarMnist(opts: CifarMnistOptions) {
  const pairs = opts.pairs ?? [[0, 1], [1, 9]];
  const o = {
    sizes: opts.sizes ?? {}, trainCorrelation: opts.trainCorrelation ?? 1, valCorrelation: opts.valCorrelation ?? null,
    pairs, seed: opts.seed ?? 0,
  };
  const files = [
    ...(['train', 't10k'] as const).flatMap((p) => [findIdxFile(opts.mnistDir, p, 'images', 'MNIST'), findIdxFile(opts.mnistDir, p, 'labels', 'MNIST')]),
    ...cifarFiles(opts.cifarDir, 'train'), ...cifarFiles(opts.cifarDir, 'test'),
  ];
  const spec = (): StackedSpec => {
    const digits = pairs.map((p) => p[0]);
    const classes = pairs.map((p) => p[1]);
    const mnist = (split: 'train' | 'test') => {
      const s = loadIdxSplit(opts.mnistDir, split, 'MNIST', [28, 28]);
      return makePool(`MNIST ${split}`, s.pixels, [1, s.rows, s.cols], s.labels, digits, { h: 32, w: 32, channels: 3 });
    };
    const cifar = (split: 'train' | 'test') => {
      const b = loadCifar10(opts.cifarDir, split);
      return makePool(`CIFAR-10 ${split}`, b.images, [3, 32, 32], b.labels, classes);
    };
    const pools = { easy: { train: mnist('train'), test: mnist('test') }, hard: { train: cifar('train'), test: cifar('test') } };
    const K = pairs.length;
    return {
      name: 'CIFAR-MNIST',
      features: {
        easy: { name: 'MNIST digit', classes: digits.map(String) },
        hard: { name: 'CIFAR-10 class', classes: classes.map((c) => CIFAR10_CLASSES[c]) },
      },
      pools, easyOnTop: true, task: 'hard',
      sizes: defaultSizes(pools, K, o.sizes),
      trainCorrelation: o.trainCorrelation, valCorrelation: o.valCorrelation, seed: o.seed,
      extra: { pairs, mnistDir: opts.mnistDir, cifarDir: opts.cifarDir },
    };
  };
  // files: MNIST train images, labels, t10k images, labels, then CIFAR's 5 train batches and test batch
  const sources = { train: [files[0], files[1], ...files.slice(4, 9)], test: [files[2], files[3], files[9]] };
  return loadStacked('cifar-mnist', { ...o, files: stamps(files) }, spec, opts, sources);
}
