// Paired comparisons of two arms (e.g. SAM and SGD) over seeds: the per-seed differences, their
// mean with a 95% Student-t interval, and a verdict on a directional claim. Seeds pair runs that
// share initialization and data order, so the seed-to-seed spread cancels in the differences.
import { tQuantile } from './t-distribution.ts';

export type Verdict = 'supported' | 'contradicted' | 'inconclusive';

export interface Interval {
  /** Mean of the values (the per-seed differences). */
  mean: number;
  /** Sample standard deviation (n − 1); NaN for n < 2. */
  sd: number;
  n: number;
  /** Confidence bounds; NaN for n < 2. */
  lo: number;
  hi: number;
  level: number;
}

/** Mean and two-sided Student-t confidence interval of `xs` (finite values only). */
export function tInterval(xs: readonly number[], level = 0.95): Interval {
  if (xs.some((x) => !Number.isFinite(x))) throw new Error(`tInterval: non-finite value in ${JSON.stringify(xs)}`);
  const n = xs.length;
  const mean = n ? xs.reduce((a, b) => a + b, 0) / n : NaN;
  if (n < 2) return { mean, sd: NaN, n, lo: NaN, hi: NaN, level };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const half = tQuantile(0.5 + level / 2, n - 1) * (sd / Math.sqrt(n));
  return { mean, sd, n, lo: mean - half, hi: mean + half, level };
}

/** Which sign of the difference the claim predicts: 'negative' (e.g. a lower error), 'positive'. */
export type Direction = 'negative' | 'positive';

/** Fewest seeds for which a verdict other than inconclusive is given. */
export const MIN_SEEDS = 3;

/**
 * Supported when the interval excludes 0 on the claimed side, contradicted when it excludes 0 on
 * the other side, inconclusive otherwise — and always with fewer than MIN_SEEDS pairs.
 */
export function verdict(iv: Interval, direction: Direction): Verdict {
  if (iv.n < MIN_SEEDS || !Number.isFinite(iv.lo) || !Number.isFinite(iv.hi)) return 'inconclusive';
  const below = iv.hi < 0;
  const above = iv.lo > 0;
  if (!below && !above) return 'inconclusive';
  return below === (direction === 'negative') ? 'supported' : 'contradicted';
}

export interface PairedComparison extends Interval {
  /** Seeds present in both arms, ascending, and their differences a − b. */
  seeds: number[];
  differences: number[];
  /** Seeds present in one arm only (left out of the comparison). */
  unpaired: number[];
}

/** Per-seed differences a[seed] − b[seed] over the seeds both arms have, with their interval. */
export function paired(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>, level = 0.95): PairedComparison {
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  const unpaired = [...new Set([...a.keys(), ...b.keys()])].filter((s) => !(a.has(s) && b.has(s))).sort((x, y) => x - y);
  const differences = seeds.map((s) => a.get(s)! - b.get(s)!);
  return { ...tInterval(differences, level), seeds, differences, unpaired };
}

/** "−0.012 [−0.020, −0.004], n = 5" */
export function formatInterval(iv: Interval, digits = 3): string {
  const f = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}` : '–');
  return Number.isFinite(iv.lo) ? `${f(iv.mean)} [${f(iv.lo)}, ${f(iv.hi)}], n = ${iv.n}` : `${f(iv.mean)}, n = ${iv.n}`;
}
