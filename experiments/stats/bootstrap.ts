// The seeded nonparametric bootstrap over seeds: resample the seeds of a study with replacement,
// recompute a statistic on each resample (an argmax over a grid, a difference of two argmaxes,
// anything the t-interval cannot handle), and report the percentile interval. Seeds are the unit
// of resampling: a statistic that reads several arms or grid points reads them at the same
// resampled seeds, so pairing survives the resampling. Deterministic for a seed (mulberry32).
import { Rng } from '../../engine/random.ts';

export interface BootstrapOptions {
  /** Resamples drawn (default 10,000). */
  resamples?: number;
  /** Seed of the resampling generator (default 0): the same seed gives the same interval. */
  seed?: number;
  /** Coverage of the percentile interval (default 0.95). */
  level?: number;
}

export interface BootstrapResult {
  /** The statistic on the sample itself. */
  estimate: number;
  /** Percentile interval of the resampled statistics (NaN for fewer than 2 units). */
  lo: number;
  hi: number;
  level: number;
  /** Units resampled (the sample size n). */
  n: number;
  resamples: number;
  /** Resamples whose statistic was not finite (left out of the percentiles). */
  failed: number;
  /** Mean of the finite resampled statistics. */
  mean: number;
}

/**
 * The q-quantile of sorted values with linear interpolation between order statistics (the
 * "type 7" rule of R and NumPy's default).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  const h = (n - 1) * q;
  const i = Math.floor(h);
  return i + 1 < n ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

/**
 * Bootstrap a statistic of n units: `statistic(idx)` receives n indices drawn with replacement
 * from 0…n−1 (the identity for the estimate) and returns a number.
 */
export function bootstrap(n: number, statistic: (idx: Int32Array) => number, o: BootstrapOptions = {}): BootstrapResult {
  const resamples = o.resamples ?? 10000;
  const level = o.level ?? 0.95;
  if (!Number.isInteger(n) || n < 0) throw new Error(`bootstrap: n must be an integer >= 0, got ${n}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`bootstrap: resamples must be an integer >= 1, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrap: level must be in (0, 1), got ${level}`);
  const identity = Int32Array.from({ length: n }, (_, i) => i);
  const estimate = n ? statistic(identity) : NaN;
  if (n < 2) return { estimate, lo: NaN, hi: NaN, level, n, resamples: 0, failed: 0, mean: NaN };
  const rng = new Rng(((o.seed ?? 0) * 0x9e3779b1 + 0x5bd1e995) >>> 0);
  const values: number[] = [];
  const idx = new Int32Array(n);
  let failed = 0;
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rng.next() * n);
    const v = statistic(idx);
    if (Number.isFinite(v)) values.push(v);
    else failed++;
  }
  const sorted = Float64Array.from(values).sort();
  const tail = (1 - level) / 2;
  const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
  return { estimate, lo: quantileSorted(sorted, tail), hi: quantileSorted(sorted, 1 - tail), level, n, resamples, failed, mean };
}

/** Index of the largest value (the first on ties); -1 when none is finite. */
export function argmax(values: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && (best < 0 || values[i] > values[best])) best = i;
  return best;
}

/** Index of the smallest value (the first on ties); -1 when none is finite. */
export function argmin(values: readonly number[]): number {
  return argmax(values.map((v) => -v));
}

/**
 * Column means of the rows `idx` of a matrix (rows: seeds, columns: grid points), ignoring
 * non-finite entries; NaN for a column with none.
 */
export function columnMeans(rows: readonly (readonly number[])[], idx: ArrayLike<number>): number[] {
  const cols = rows[0]?.length ?? 0;
  const out: number[] = [];
  for (let j = 0; j < cols; j++) {
    let s = 0;
    let k = 0;
    for (let i = 0; i < idx.length; i++) {
      const v = rows[idx[i]][j];
      if (Number.isFinite(v)) (s += v, k++);
    }
    out.push(k ? s / k : NaN);
  }
  return out;
}
