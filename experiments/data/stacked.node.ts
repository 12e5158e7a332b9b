// Build a stacked two-feature dataset through the binary cache: the key names the source files
// (path, size, mtime) and every option, so a changed file or option rebuilds it. A split that
// would be empty is an error before anything is cached.
import { cached, fileStamp, type CacheOptions } from './cache.node.ts';
import { buildStacked, bytesToEntry, entryToBytes, SPLITS, toDataset, type StackedSpec, type TwoFeatureBytes } from './two-feature.ts';
import { DataError, type TwoFeatureDataset } from './types.ts';

/** Bumped when the construction changes, so old cache files are not reused. */
export const STACKED_VERSION = 1;

export interface BuildInfo {
  /** True when the dataset came from the cache file. */
  cacheHit: boolean;
  cachePath: string | null;
  ms: number;
}

/** The files each split draws from (val draws from the train files), for messages. */
export interface StackedSources {
  train: string[];
  test: string[];
}

/** Throws a DataError naming the split and its source files when a built split has no example. */
export function checkNoEmptySplit(b: TwoFeatureBytes, spec: StackedSpec, sources: StackedSources): void {
  for (const s of SPLITS) {
    if (b.splits[s].easy.length > 0) continue;
    const files = s === 'test' ? sources.test : sources.train;
    const pools = s === 'test' ? [spec.pools.easy.test.name, spec.pools.hard.test.name] : [spec.pools.easy.train.name, spec.pools.hard.train.name];
    throw new DataError(
      `${spec.name}: the ${s} split would be empty (sizes asked: ${SPLITS.map((x) => `${x} ${spec.sizes[x]}`).join(', ')}; a ${s === 'train' ? 'correlated split needs a multiple of K' : 'decorrelated split needs a multiple of K²'} = ${spec.features.hard.classes.length}${s === 'train' ? '' : '²'}): ` +
        `too few images of the paired classes in ${pools.join(' and ')} (${files.join(', ')}); set dataset.options.sizes or check these files`,
    );
  }
}

export async function loadStacked(
  label: string, key: Record<string, unknown>, spec: () => StackedSpec, opts: CacheOptions, sources: StackedSources,
): Promise<TwoFeatureDataset & { build: BuildInfo }> {
  const t0 = performance.now();
  const build = () => {
    const s = spec();
    const b = buildStacked(s);
    checkNoEmptySplit(b, s, sources);
    return bytesToEntry(b);
  };
  const { entry, hit, path } = await cached(label, { v: STACKED_VERSION, label, ...key }, build, opts);
  const ds = toDataset(entryToBytes(entry));
  return { ...ds, build: { cacheHit: hit, cachePath: path, ms: performance.now() - t0 } };
}

/** Cache-key stamps of source files. */
export function stamps(files: string[]): Record<string, unknown>[] {
  return files.map((f) => ({ f, ...fileStamp(f) }));
}
