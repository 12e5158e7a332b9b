// Build a stacked two-feature dataset through the binary cache: the key names the source files
// (path, size, mtime) and every option, so a changed file or option rebuilds it.
import { cached, fileStamp, type CacheOptions } from './cache.node.ts';
import { buildStacked, bytesToEntry, entryToBytes, toDataset, type StackedSpec } from './two-feature.ts';
import type { TwoFeatureDataset } from './types.ts';

/** Bumped when the construction changes, so old cache files are not reused. */
export const STACKED_VERSION = 1;

export interface BuildInfo {
  /** True when the dataset came from the cache file. */
  cacheHit: boolean;
  cachePath: string | null;
  ms: number;
}

export async function loadStacked(
  label: string, key: Record<string, unknown>, spec: () => StackedSpec, opts: CacheOptions,
): Promise<TwoFeatureDataset & { build: BuildInfo }> {
  const t0 = performance.now();
  const { entry, hit, path } = await cached(label, { v: STACKED_VERSION, label, ...key }, () => bytesToEntry(buildStacked(spec())), opts);
  const ds = toDataset(entryToBytes(entry));
  return { ...ds, build: { cacheHit: hit, cachePath: path, ms: performance.now() - t0 } };
}

/** Cache-key stamps of source files. */
export function stamps(files: string[]): Record<string, unknown>[] {
  return files.map((f) => ({ f, ...fileStamp(f) }));
}
