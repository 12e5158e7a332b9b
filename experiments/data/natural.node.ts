// Two-feature datasets of photographs (CelebA, Waterbirds): the standard splits with their natural
// label statistics (so `decorrelated` is false; `balanceGroups` makes a DFR-style probe set),
// images decoded, transformed and cached per split.
import { Rng } from '../../engine/random.ts';
import { DeferredWrites, type CacheOptions } from './cache.node.ts';
import { loadImages } from './decode.node.ts';
import { loadAugmentSource, resolveAugment } from './augment-source.node.ts';
import type { AugmentSpec } from './augment.ts';
import { makeSplit, SPLITS, shuffleInPlace } from './two-feature.ts';
import { fixedOutputSize, type ImageTransform } from './transforms.ts';
import { DataError, type FeatureInfo, type SplitName, type TwoFeatureDataset, type TwoFeatureSplit } from './types.ts';

export interface NaturalOptions extends CacheOptions {
  transform?: ImageTransform;
  /** At most this many examples per split, a seeded uniform subsample (natural statistics kept). */
  limit?: Partial<Record<SplitName, number>>;
  seed?: number;
  /** Files decoded at once (default 4). */
  concurrency?: number;
  /** Refuse to build float images larger than this (default 8 GiB): lower `limit` or the resolution. */
  maxBytes?: number;
  onProgress?: (split: SplitName, done: number, total: number) => void;
  /** Augment the train split on the GPU each batch (a named protocol or a spec); val and test keep the transform. */
  augment?: string | Partial<AugmentSpec>;
  /** [h, w] (or a side) of the stored train sources when augmenting; default: the source's own choice. */
  augmentSourceSize?: number | [number, number];
}

export interface NaturalSource {
  name: string;
  reader: string;
  task: 'easy' | 'hard';
  features: { easy: FeatureInfo; hard: FeatureInfo };
  splits: Record<SplitName, { files: string[]; easy: Int32Array; hard: Int32Array }>;
  /** Where each split is listed, for messages: e.g. 'list_eval_partition.txt (partition 1)'. */
  splitSources: Record<SplitName, string>;
  transform: ImageTransform;
  /** The augmentation sources' default size ([h, w]) for a given output size. */
  augmentSourceSize: (out: [number, number]) => [number, number];
  /** Cache-key extras (stamps of the metadata files). */
  keyExtra: Record<string, unknown>;
  config: Record<string, unknown>;
}

export async function loadNatural(src: NaturalSource, opts: NaturalOptions): Promise<TwoFeatureDataset> {
  const seed = opts.seed ?? 0;
  for (const s of SPLITS) {
    if (src.splits[s].files.length === 0) throw new DataError(`${src.reader}: ${src.splitSources[s]}: the ${s} split has no images`);
  }
  const chosen = {} as Record<SplitName, { files: string[]; easy: Int32Array; hard: Int32Array }>;
  for (const s of SPLITS) {
    const p = src.splits[s];
    const limit = opts.limit?.[s];
    if (limit === undefined || limit >= p.files.length) {
      chosen[s] = p;
      continue;
    }
    const idx = shuffleInPlace(Int32Array.from(p.files.keys()), new Rng((seed + 7919 * (SPLITS.indexOf(s) + 1)) >>> 0)).subarray(0, limit).sort();
    chosen[s] = { files: Array.from(idx, (i) => p.files[i]), easy: Int32Array.from(idx, (i) => p.easy[i]), hard: Int32Array.from(idx, (i) => p.hard[i]) };
  }
  const out = fixedOutputSize(src.transform.steps);
  const augment = opts.augment === undefined ? null : resolveAugment(opts.augment);
  if (augment && !out) throw new DataError(`${src.name}: augmentation needs a transform that ends with a fixed-size step (the output size)`);
  const sourceSize = augment ? sideOrPair(opts.augmentSourceSize) ?? src.augmentSourceSize(out!) : null;
  if (out) {
    const floats = SPLITS.reduce((t, s) => t + (augment && s === 'train' ? 0 : chosen[s].files.length), 0) * 3 * out[0] * out[1] * 4;
    const bytes = floats + (sourceSize ? chosen.train.files.length * 3 * sourceSize[0] * sourceSize[1] : 0);
    const max = opts.maxBytes ?? 8 * 2 ** 30;
    if (bytes > max) {
      throw new DataError(`${src.name}: the images would take ${(bytes / 2 ** 30).toFixed(1)} GiB of memory (> maxBytes ${(max / 2 ** 30).toFixed(1)} GiB${sourceSize ? `; float evaluation images and the 8-bit training sources` : ''}): raise maxBytes if the memory is there, or set limit per split or a lower resolution`);
    }
  }
  const splits = {} as Record<SplitName, TwoFeatureSplit>;
  let shape: TwoFeatureDataset['shape'] = [3, out?.[0] ?? 0, out?.[1] ?? 0];
  const hits: Record<string, boolean> = {};
  const writes = new DeferredWrites(); // every split decoded before any is cached
  for (const s of SPLITS) {
    const c = chosen[s];
    const load = {
      reader: src.reader, cacheDir: opts.cacheDir, concurrency: opts.concurrency, keyExtra: src.keyExtra, onWarning: opts.onWarning, defer: writes.defer,
      onProgress: opts.onProgress ? (d: number, t: number) => opts.onProgress!(s, d, t) : undefined,
    };
    if (augment && s === 'train') {
      // the train split keeps only its 8-bit sources; the GPU makes each batch from them
      const source = await loadAugmentSource(c.files, augment, sourceSize!, src.transform.normalize ?? null, load);
      splits[s] = { ...makeSplit(s, new Float32Array(0), [3, out![0], out![1]], c.easy, c.hard, src.task, src.features.hard.classes.length, false), augment: source };
      hits[s] = false;
      continue;
    }
    const { images, shape: sh, cacheHit } = await loadImages(c.files, src.transform, load);
    if (c.files.length) shape = sh;
    hits[s] = cacheHit;
    splits[s] = makeSplit(s, images, shape, c.easy, c.hard, src.task, src.features.hard.classes.length, false);
  }
  writes.commit();
  if (augment) splits.train.shape = shape;
  const sizes = Object.fromEntries(SPLITS.map((s) => [s, splits[s].n]));
  return {
    name: src.name, shape, task: src.task, features: src.features, splits,
    config: {
      ...src.config, transform: src.transform, limit: opts.limit ?? null, seed, sizes, cacheHits: hits,
      ...(augment ? { augment, augmentSourceSize: sourceSize } : {}),
    },
  };
}

export function sideOrPair(v: number | [number, number] | undefined): [number, number] | null {
  return v === undefined ? null : typeof v === 'number' ? [v, v] : v;
}
