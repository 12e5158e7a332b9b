// From a folder of finished runs to the paper's table: runs grouped by dataset (runs that differ
// in options, model or budget are never pooled), then by optimizer and hyper-parameters; each
// optimizer's lr/ρ chosen on the selection split's probe error (never on the probes' fit split or
// the test split); SAM-type runs compared with SGD paired by seed, each claim judged on the 95%
// interval of the per-seed differences (n < 3: inconclusive).
import type { FinalResult } from '../runner/types.ts';
import { both, pairedClaim, summarize, METRICS, atLoss, type Claim, type Metric, type Summary } from '../studies/compare.ts';
import { probeSelectionScore } from '../studies/study.ts';

export interface OptimizerRow {
  dataset: string;
  optimizer: string;
  lr: number;
  rho: number;
  seeds: number[];
  easyError: Summary;
  hardError: Summary;
  untrainedEasyError: Summary;
  untrainedHardError: Summary;
  testAcc: Summary;
  inDistAcc: Summary;
  worstGroupAcc: Summary;
  selectionAcc: Summary;
  /** Mean selection-split probe error of both features (what lr and ρ were chosen by); NaN for runs written before it existed. */
  selectionScore: number;
  /** Probe fits (easy and hard, over the row's runs) that stopped before their tolerance. */
  unconvergedProbes: number;
  runs: FinalResult[];
}

/** One (lr, ρ) cell of an optimizer and its selection score; `chosen` marks the row's. */
export interface GridPoint {
  dataset: string;
  optimizer: string;
  lr: number;
  rho: number;
  seeds: number;
  selectionScore: number;
  easyError: number;
  hardError: number;
  chosen: boolean;
}

export interface DatasetClaim extends Claim {
  dataset: string;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(x);
  }
  return m;
}

function row(dataset: string, optimizer: string, runs: FinalResult[]): OptimizerRow {
  const o = runs[0].config.optimizer;
  const s = (m: Metric) => summarize(runs, m);
  return {
    dataset,
    optimizer,
    lr: o.lr,
    rho: optimizer === 'sgd' ? 0 : o.rho,
    seeds: runs.map((r) => r.config.seed).sort((a, b) => a - b),
    easyError: s(METRICS.easyError),
    hardError: s(METRICS.hardError),
    untrainedEasyError: s(METRICS.untrainedEasyError),
    untrainedHardError: s(METRICS.untrainedHardError),
    testAcc: s(METRICS.testAcc),
    inDistAcc: s(METRICS.inDistAcc),
    worstGroupAcc: s(METRICS.worstGroupAcc),
    selectionAcc: s(METRICS.selectionAcc),
    selectionScore: mean(runs.map(probeSelectionScore).filter(Number.isFinite)),
    // results written before probes recorded convergence count as converged
    unconvergedProbes: runs.reduce((n, r) => n + (['easy', 'hard'] as const).filter((f) => r.probes[f].converged === false).length, 0),
    runs,
  };
}

/** What must match for runs to be seeds of one experiment, besides the optimizer and lr/ρ. */
function variantOf(r: FinalResult): Record<string, unknown> {
  const c = r.config;
  const opts = { ...((c.dataset as { options?: Record<string, unknown> }).options ?? {}) };
  delete opts.seed; // a data seed that follows the run's seed is a seed like the others
  return { ...opts, model: c.model.name + (c.model.stem ? `/${c.model.stem}` : ''), epochs: c.epochs, batchSize: c.batchSize, schedule: c.schedule };
}

const canonical = (v: unknown): string =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
    : JSON.stringify(v);

/**
 * The table's dataset column for each run: the dataset's name, and where runs of one name differ
 * in options, model or budget (a sweep over DomainBed test domains, two resolutions), the
 * values that differ — so such runs are never pooled as if they were seeds.
 */
export function datasetLabeler(runs: FinalResult[]): (r: FinalResult) => string {
  const variants = new Map<string, Map<string, Record<string, unknown>>>();
  for (const r of runs) {
    const v = variantOf(r);
    const byName = variants.get(r.config.dataset.name) ?? new Map<string, Record<string, unknown>>();
    byName.set(canonical(v), v);
    variants.set(r.config.dataset.name, byName);
  }
  return (r) => {
    const byName = variants.get(r.config.dataset.name)!;
    if (byName.size === 1) return r.config.dataset.name;
    const all = [...byName.values()];
    const keys = [...new Set(all.flatMap((v) => Object.keys(v)))].sort().filter((k) => new Set(all.map((v) => canonical(v[k]))).size > 1);
    const mine = variantOf(r);
    return `${r.config.dataset.name} (${keys.map((k) => `${k}=${mine[k] === undefined ? '–' : typeof mine[k] === 'string' ? mine[k] : canonical(mine[k])}`).join(', ')})`;
  };
}

/** The paired claims of one dataset: SAM (and each SAM variant) against SGD. */
export function datasetClaims(dataset: string, sgd: FinalResult[], other: FinalResult[], name: string): DatasetClaim[] {
  const N = name.toUpperCase();
  const hard = pairedClaim('hard', `${N} lowers the hard feature's probe error`, `${N} − SGD, hard-feature probe error`, 'negative', other, sgd, METRICS.hardError);
  const easy = pairedClaim('easy', `${N} lowers the easy feature's probe error`, `${N} − SGD, easy-feature probe error`, 'negative', other, sgd, METRICS.easyError);
  const out: Claim[] = [hard, easy, both('both', `${N} lowers the probe error of both features`, hard, easy)];
  out.push(pairedClaim('accuracy', `${N}'s hard-feature probe gain exceeds its in-distribution accuracy gain (not explained by accuracy)`, `(SGD − ${N} hard error) − (${N} − SGD in-distribution accuracy)`, 'positive', other, sgd, (r) => -METRICS.hardError(r) - METRICS.inDistAcc(r)));
  const within = pairedClaim('gini-within', `At the same checkpoint ${N}'s λ̃ (at θ̃) is more uniform than its λ (at θ)`, `${N}: Gini(λ̃) − Gini(λ), last checkpoint`, 'negative', other, other, METRICS.giniPhantomFinal, METRICS.giniFinal);
  if (within.comparison.n) out.push(within);
  for (const level of [0.5, 0.1]) {
    const c = pairedClaim(`gini-matched-${level}`, `At matched training loss (${level}) ${N}'s λ̃ is more uniform than SGD's λ`, `Gini(${N} λ̃) − Gini(SGD λ) at fixed-set loss ≤ ${level}`, 'negative', other, sgd, (r) => atLoss(r, level)?.giniPhantom ?? NaN, (r) => atLoss(r, level)?.gini ?? NaN);
    if (c.comparison.n) out.push(c);
  }
  return out.map((c) => ({ ...c, dataset }));
}

export function aggregate(runs: FinalResult[]): { rows: OptimizerRow[]; grid: GridPoint[]; claims: DatasetClaim[] } {
  const rows: OptimizerRow[] = [];
  const grid: GridPoint[] = [];
  const claims: DatasetClaim[] = [];
  const label = datasetLabeler(runs);
  for (const [dataset, dsRuns] of groupBy(runs, label)) {
    const byOpt = groupBy(dsRuns, (r) => r.config.optimizer.name);
    const chosen = new Map<string, OptimizerRow>();
    for (const [optimizer, optRuns] of [...byOpt].sort(([a], [b]) => (a === 'sgd' ? -1 : b === 'sgd' ? 1 : a.localeCompare(b)))) {
      const cells = [...groupBy(optRuns, (r) => `${r.config.optimizer.lr}|${optimizer === 'sgd' ? 0 : r.config.optimizer.rho}`).values()].map((rs) => row(dataset, optimizer, rs));
      // chosen on the selection split; without selection scores (older results) only a single cell is unambiguous
      const scored = cells.filter((c) => Number.isFinite(c.selectionScore));
      const best = scored.length ? scored.reduce((b, c) => (c.selectionScore < b.selectionScore ? c : b)) : cells.length === 1 ? cells[0] : null;
      for (const c of cells) grid.push({ dataset, optimizer, lr: c.lr, rho: c.rho, seeds: c.seeds.length, selectionScore: c.selectionScore, easyError: c.easyError.mean, hardError: c.hardError.mean, chosen: c === best });
      if (best) {
        rows.push(best);
        chosen.set(optimizer, best);
      }
    }
    const sgd = chosen.get('sgd');
    if (sgd) for (const [name, r] of chosen) if (name !== 'sgd') claims.push(...datasetClaims(dataset, sgd.runs, r.runs, name));
  }
  return { rows, grid, claims };
}
