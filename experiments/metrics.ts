// Small CPU summaries shared by the experiments: Lorenz curves and Gini coefficients of SAM's
// per-example importance weights, means and standard deviations.

export interface Lorenz {
  /** Population share k/n, k = 0 … n (or the `points` kept). */
  x: number[];
  /** Cumulative share of the total weight held by the k smallest weights. */
  y: number[];
}

function sortedNonNegative(weights: ArrayLike<number>, what: string): Float64Array {
  const w = Float64Array.from(weights);
  if (w.length === 0) throw new Error(`${what}: no weights`);
  for (let i = 0; i < w.length; i++) {
    if (!(w[i] >= 0) || !Number.isFinite(w[i])) throw new Error(`${what}: weight ${i} is ${w[i]}; weights must be finite and ≥ 0`);
  }
  return w.sort();
}

/** Cumulative shares L(k/n), k = 0 … n, of the weights sorted ascending (all equal when the total is 0). */
function cumulativeShares(w: Float64Array): Float64Array {
  const n = w.length;
  const c = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) c[i + 1] = c[i] + w[i];
  const total = c[n];
  for (let k = 0; k <= n; k++) c[k] = total > 0 ? c[k] / total : k / n;
  return c;
}

/**
 * The Lorenz curve: sort the weights ascending; x = k/n, y = share of the total held by the k
 * smallest. The diagonal means uniform weights. `points` (≥ 2) evaluates it at that many evenly
 * spaced x by linear interpolation (exact at the ends); by default all n + 1 points.
 */
export function lorenz(weights: ArrayLike<number>, points?: number): Lorenz {
  const c = cumulativeShares(sortedNonNegative(weights, 'lorenz'));
  const n = c.length - 1;
  if (points === undefined) return { x: Array.from(c, (_, k) => k / n), y: Array.from(c) };
  if (!Number.isInteger(points) || points < 2) throw new Error(`lorenz: points must be an integer ≥ 2, got ${points}`);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < points; i++) {
    const t = i / (points - 1);
    const pos = t * n;
    const k = Math.min(n - 1, Math.floor(pos));
    x.push(t);
    y.push(c[k] + (c[k + 1] - c[k]) * (pos - k));
  }
  return { x, y };
}

/**
 * Gini = 1 − 2·(area under the Lorenz curve), the area by the trapezoid rule over the n + 1
 * exact points: 0 for equal weights, 1 − 1/n when one example holds everything.
 */
export function gini(weights: ArrayLike<number>): number {
  const c = cumulativeShares(sortedNonNegative(weights, 'gini'));
  const n = c.length - 1;
  let area = 0;
  for (let k = 0; k < n; k++) area += (c[k] + c[k + 1]) / (2 * n);
  return 1 - 2 * area;
}

/** Mean and sample standard deviation (0 for one value; NaN for none). */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, sd: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}
