// Turning source images into the blocks the two-feature builders stack: class selection,
// zero padding, channel replication. Pure code over CHW bytes.
import type { ClassPool } from './two-feature.ts';
import type { ImageShape } from './types.ts';

/**
 * Feature labels for source labels: `classes[k]` is the source class that becomes label k;
 * every other source class becomes −1 (unused).
 */
export function selectClasses(source: ArrayLike<number>, classes: readonly number[]): Int32Array {
  const map = new Map(classes.map((c, k) => [c, k]));
  return Int32Array.from({ length: source.length }, (_, i) => map.get(source[i]) ?? -1);
}

/** Zero-pad each image to h×w, centred (left/top get the smaller half). */
export function padImages(data: Uint8Array, shape: ImageShape, h: number, w: number): { data: Uint8Array; shape: ImageShape } {
  const [c, h0, w0] = shape;
  if (h === h0 && w === w0) return { data, shape };
  if (h < h0 || w < w0) throw new Error(`padImages: cannot pad [${shape}] to ${h}×${w}`);
  const n = data.length / (c * h0 * w0);
  const top = Math.floor((h - h0) / 2);
  const left = Math.floor((w - w0) / 2);
  const out = new Uint8Array(n * c * h * w);
  for (let i = 0; i < n * c; i++) {
    for (let y = 0; y < h0; y++) {
      out.set(data.subarray((i * h0 + y) * w0, (i * h0 + y + 1) * w0), (i * h + y + top) * w + left);
    }
  }
  return { data: out, shape: [c, h, w] };
}

/** Repeat the single channel of each image `channels` times (gray → RGB). */
export function replicateChannels(data: Uint8Array, shape: ImageShape, channels: number): { data: Uint8Array; shape: ImageShape } {
  const [c, h, w] = shape;
  if (c === channels) return { data, shape };
  if (c !== 1) throw new Error(`replicateChannels: expected 1 channel, got [${shape}]`);
  const plane = h * w;
  const n = data.length / plane;
  const out = new Uint8Array(n * channels * plane);
  for (let i = 0; i < n; i++) {
    const src = data.subarray(i * plane, (i + 1) * plane);
    for (let ch = 0; ch < channels; ch++) out.set(src, (i * channels + ch) * plane);
  }
  return { data: out, shape: [channels, h, w] };
}

/** A pool from labelled source images, optionally padded and channel-replicated. */
export function makePool(
  name: string, data: Uint8Array, shape: ImageShape, sourceLabels: ArrayLike<number>, classes: readonly number[],
  geometry: { h?: number; w?: number; channels?: number } = {},
): ClassPool {
  let cur = { data, shape };
  if (geometry.h !== undefined || geometry.w !== undefined) cur = padImages(cur.data, cur.shape, geometry.h ?? shape[1], geometry.w ?? shape[2]);
  if (geometry.channels !== undefined) cur = replicateChannels(cur.data, cur.shape, geometry.channels);
  return { name, data: cur.data, shape: cur.shape, labels: selectClasses(sourceLabels, classes) };
}

/** Images per feature label in a pool. */
export function classCounts(pool: ClassPool, K: number): number[] {
  const counts = new Array(K).fill(0);
  for (const l of pool.labels) if (l >= 0) counts[l]++;
  return counts;
}

/**
 * Default split sizes from the source pools: train+val use the largest class-balanced count the
 * train pools allow (K · smallest class), val takes `valFraction` of it (a multiple of K², as
 * a decorrelated split needs), train the rest (a multiple of K); test the largest balanced count
 * of the test pools (a multiple of K²). Explicit sizes override.
 */
export function defaultSizes(
  pools: { easy: { train: ClassPool; test: ClassPool }; hard: { train: ClassPool; test: ClassPool } },
  K: number, given: Partial<Record<'train' | 'val' | 'test', number>> = {}, valFraction = 0.1,
): Record<'train' | 'val' | 'test', number> {
  const min = (a: ClassPool, b: ClassPool) => Math.min(...classCounts(a, K), ...classCounts(b, K));
  const trainval = K * min(pools.easy.train, pools.hard.train);
  const val = given.val ?? Math.floor((valFraction * trainval) / (K * K)) * K * K;
  const train = given.train ?? Math.floor((trainval - val) / K) * K;
  const test = given.test ?? Math.floor((K * min(pools.easy.test, pools.hard.test)) / (K * K)) * K * K;
  return { train, val, test };
}
