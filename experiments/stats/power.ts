// Power of the paired t-test (two-sided, level α): how likely a study of n seeds is to declare a
// true mean difference δ when the per-seed differences have standard deviation σ; the smallest
// effect it detects with a given power; the seeds needed for an effect.
import { noncentralTSurvival, tQuantile } from './t-distribution.ts';

/** P(reject H0: mean 0) for a true mean δ, sd σ, n pairs, two-sided at level α (exact, noncentral t). */
export function pairedPower(n: number, delta: number, sd: number, alpha = 0.05): number {
  if (n < 2 || !(sd > 0)) return NaN;
  const df = n - 1;
  const c = tQuantile(1 - alpha / 2, df);
  const ncp = (Math.abs(delta) * Math.sqrt(n)) / sd;
  return noncentralTSurvival(c, df, ncp) + (1 - noncentralTSurvival(-c, df, ncp));
}

/** The smallest |δ| with at least `power` (bisection on the exact power). */
export function minimumDetectableEffect(n: number, sd: number, power = 0.8, alpha = 0.05): number {
  if (n < 2 || !(sd > 0)) return NaN;
  let lo = 0;
  let hi = sd;
  while (pairedPower(n, hi, sd, alpha) < power) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (pairedPower(n, mid, sd, alpha) < power) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Fewest pairs (≥ 2) whose power for δ reaches `power`; Infinity past `maxN`. */
export function seedsForPower(delta: number, sd: number, power = 0.8, alpha = 0.05, maxN = 10000): number {
  if (!(sd > 0)) return NaN;
  for (let n = 2; n <= maxN; n++) if (pairedPower(n, delta, sd, alpha) >= power) return n;
  return Infinity;
}
