// Findings from claims and estimates: the rows of findings.json, the page's table and
// docs/FINDINGS.md. Pure code shared by the studies.
import { tInterval, verdict, MIN_SEEDS, type Direction } from '../stats/paired.ts';
import type { BootstrapResult } from '../stats/bootstrap.ts';
import type { Claim } from './compare.ts';
import type { Finding } from './study.ts';

/** A paired claim as a finding: the per-seed differences, their interval, n and the verdict. */
export function toFinding(question: string, c: Claim, note?: string): Finding {
  const k = c.comparison;
  return { question, claim: c.text, statistic: c.statistic, direction: c.direction, mean: k.mean, lo: k.lo, hi: k.hi, n: k.n, values: k.differences, seeds: k.seeds, verdict: c.verdict, ...(note ? { note } : {}) };
}

/** An estimate without a claim: per-seed values with their mean and 95% t-interval. */
export function estimate(question: string, claim: string, statistic: string, values: Map<number, number>, note?: string): Finding {
  const seeds = [...values.keys()].sort((a, b) => a - b);
  const xs = seeds.map((s) => values.get(s)!);
  const iv = tInterval(xs);
  return { question, claim, statistic, direction: null, mean: iv.mean, lo: iv.lo, hi: iv.hi, n: iv.n, values: xs, seeds, verdict: null, ...(note ? { note } : {}) };
}

/** A directional claim on per-seed values themselves (e.g. a per-seed correlation): their t-interval and verdict. */
export function seedClaim(question: string, claim: string, statistic: string, direction: Direction, values: Map<number, number>, note?: string): Finding {
  const f = estimate(question, claim, statistic, values, note);
  return { ...f, direction, verdict: verdict({ ...f, sd: NaN, level: 0.95 }, direction) };
}

/**
 * A claim judged on a bootstrap over seeds: the estimate and percentile interval from the
 * resampling, the per-seed values (each seed's own statistic) to show beside them; inconclusive
 * with fewer than MIN_SEEDS seeds, like every paired claim.
 */
export function bootstrapFinding(question: string, claim: string, statistic: string, direction: Direction, b: BootstrapResult, perSeed: Map<number, number>, note?: string): Finding {
  const seeds = [...perSeed.keys()].sort((a, c) => a - c);
  const decided = b.n >= MIN_SEEDS && Number.isFinite(b.lo) && Number.isFinite(b.hi) && (b.lo > 0 || b.hi < 0);
  const v = !decided ? 'inconclusive' : (b.lo > 0) === (direction === 'positive') ? 'supported' : 'contradicted';
  return { question, claim, statistic, direction, mean: b.estimate, lo: b.lo, hi: b.hi, n: b.n, values: seeds.map((x) => perSeed.get(x)!), seeds, verdict: v, ...(note ? { note } : {}) };
}
