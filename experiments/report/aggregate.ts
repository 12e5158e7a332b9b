// From finished runs to the paper's table: per dataset and optimizer, the lr/ρ chosen on
// validation accuracy, then probe errors (easy, hard), test and worst-group accuracy as
// mean ± sd over seeds; probe error against ρ; and a verdict per claim of the paper.
import type { FinalResult } from '../runner/train.ts';
import { meanSd } from '../metrics.ts';

export interface Stat {
  mean: number;
  sd: number;
  n: number;
}

export interface OptimizerRow {
  dataset: string;
  optimizer: string;
  lr: number;
  rho: number;
  seeds: number[];
  easyError: Stat;
  hardError: Stat;
  testAcc: Stat;
  /** FinalResult.inDistAcc (NaN for results written before it existed). */
  inDistAcc: Stat;
  worstGroupAcc: Stat;
  valAcc: Stat;
  /** Probe fits (easy and hard, over the row's runs) that stopped before their tolerance. */
  unconvergedProbes: number;
  /** Importance weights of the last epoch's last batch (runs that recorded them): Gini of λ at θ
   * and, for SAM-type runs, of λ̃ at θ̃, their mean Lorenz curves, and the paired Gini drop. */
  importance?: { gini: Stat; lorenz: number[]; giniPhantom?: Stat; lorenzPhantom?: number[]; giniDrop?: Stat };
}

export interface RhoPoint {
  dataset: string;
  optimizer: string;
  rho: number;
  easyError: Stat;
  hardError: Stat;
}

export interface Claim {
  dataset: string;
  claim: string;
  supported: boolean | null;
  detail: string;
}

const stat = (xs: number[]): Stat => ({ ...meanSd(xs), n: xs.length });
const lastVal = (r: FinalResult) => r.metrics[r.metrics.length - 1]?.valAcc ?? NaN;

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(x);
  }
  return m;
}

const meanCurve = (cs: number[][]) => cs[0].map((_, i) => cs.reduce((a, c) => a + c[i], 0) / cs.length);

function importanceOf(runs: FinalResult[]): OptimizerRow['importance'] {
  const last = runs.map((r) => r.metrics.at(-1)?.importance).filter((m): m is NonNullable<typeof m> => !!m);
  if (!last.length) return undefined;
  const out: NonNullable<OptimizerRow['importance']> = { gini: stat(last.map((m) => m.gini)), lorenz: meanCurve(last.map((m) => m.lorenz)) };
  const ph = last.filter((m) => m.giniPhantom !== undefined && m.lorenzPhantom);
  if (ph.length) {
    out.giniPhantom = stat(ph.map((m) => m.giniPhantom!));
    out.lorenzPhantom = meanCurve(ph.map((m) => m.lorenzPhantom!));
    out.giniDrop = stat(ph.map((m) => m.gini - m.giniPhantom!));
  }
  return out;
}

function row(dataset: string, optimizer: string, runs: FinalResult[]): OptimizerRow {
  const o = runs[0].config.optimizer;
  const importance = importanceOf(runs);
  return {
    ...(importance ? { importance } : {}),
    dataset,
    optimizer,
    lr: o.lr,
    rho: optimizer === 'sgd' ? 0 : o.rho,
    seeds: runs.map((r) => r.config.seed).sort((a, b) => a - b),
    easyError: stat(runs.map((r) => r.probes.easy.error)),
    hardError: stat(runs.map((r) => r.probes.hard.error)),
    testAcc: stat(runs.map((r) => r.testAcc)),
    inDistAcc: stat(runs.map((r) => r.inDistAcc ?? NaN)),
    worstGroupAcc: stat(runs.map((r) => r.worstGroupAcc)),
    valAcc: stat(runs.map(lastVal)),
    // results written before probes recorded convergence count as converged
    unconvergedProbes: runs.reduce((n, r) => n + (['easy', 'hard'] as const).filter((f) => r.probes[f].converged === false).length, 0),
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

export function aggregate(runs: FinalResult[]): { rows: OptimizerRow[]; rho: RhoPoint[]; claims: Claim[] } {
  const rows: OptimizerRow[] = [];
  const rho: RhoPoint[] = [];
  const claims: Claim[] = [];
  const label = datasetLabeler(runs);
  for (const [dataset, dsRuns] of groupBy(runs, label)) {
    const byOpt = groupBy(dsRuns, (r) => r.config.optimizer.name);
    for (const [optimizer, optRuns] of [...byOpt].sort(([a], [b]) => (a === 'sgd' ? -1 : b === 'sgd' ? 1 : a.localeCompare(b)))) {
      const cells = groupBy(optRuns, (r) => `${r.config.optimizer.lr}|${optimizer === 'sgd' ? 0 : r.config.optimizer.rho}`);
      // hyper-parameters chosen on validation accuracy (mean over seeds)
      const best = [...cells.values()].sort((a, b) => stat(b.map(lastVal)).mean - stat(a.map(lastVal)).mean)[0];
      rows.push(row(dataset, optimizer, best));
      if (optimizer !== 'sgd') {
        const bestLr = best[0].config.optimizer.lr;
        for (const [r, rs] of groupBy(optRuns.filter((x) => x.config.optimizer.lr === bestLr), (x) => String(x.config.optimizer.rho))) {
          rho.push({ dataset, optimizer, rho: Number(r), easyError: stat(rs.map((x) => x.probes.easy.error)), hardError: stat(rs.map((x) => x.probes.hard.error)) });
        }
      }
    }
    const sgd = rows.find((r) => r.dataset === dataset && r.optimizer === 'sgd');
    const sam = rows.find((r) => r.dataset === dataset && r.optimizer === 'sam');
    if (sgd && sam) {
      const f = (s: Stat) => `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`;
      // A difference counts when it exceeds its standard error (sd/√n of both means combined);
      // smaller ones are inconclusive, whatever their sign.
      const se = (a: Stat, b: Stat) => Math.sqrt(a.sd ** 2 / Math.max(a.n, 1) + b.sd ** 2 / Math.max(b.n, 1));
      const verdict = (a: Stat, b: Stat) => (b.mean - a.mean > se(a, b) ? 1 : a.mean - b.mean > se(a, b) ? -1 : 0);
      const vEasy = verdict(sam.easyError, sgd.easyError);
      const vHard = verdict(sam.hardError, sgd.hardError);
      claims.push({
        dataset,
        claim: 'SAM lowers the probe error of both features compared with SGD',
        supported: vEasy === 1 && vHard === 1 ? true : vEasy === -1 || vHard === -1 ? false : null,
        detail: `easy ${f(sam.easyError)} (SAM) vs ${f(sgd.easyError)} (SGD); hard ${f(sam.hardError)} vs ${f(sgd.hardError)}; ${sam.seeds.length} and ${sgd.seeds.length} seeds`,
      });
      const gain = sgd.hardError.mean - sam.hardError.mean;
      const dVal = sam.valAcc.mean - sgd.valAcc.mean;
      claims.push({
        dataset,
        claim: 'SAM\'s hard-feature probe gain exceeds its change in validation accuracy (not explained by accuracy alone)',
        supported: vHard === 1 ? gain > Math.abs(dVal) : null,
        detail: `hard-feature probe error ${gain >= 0 ? `lower by ${gain.toFixed(3)}` : `higher by ${(-gain).toFixed(3)}`} with SAM; validation accuracy ${dVal >= 0 ? '+' : ''}${dVal.toFixed(3)}`,
      });
    }
    // The first mechanism on this dataset: at the phantom point the weights are more uniform.
    const drop = sam?.importance?.giniDrop;
    if (sam && drop) {
      const se = drop.sd / Math.sqrt(Math.max(drop.n, 1));
      claims.push({
        dataset,
        claim: 'SAM\'s per-example importance weights are more uniform at the phantom point than at θ (Gini of λ̃ below Gini of λ)',
        supported: drop.mean > se ? true : -drop.mean > se ? false : null,
        detail: `last batch of the last epoch: Gini λ ${sam.importance!.gini.mean.toFixed(3)}, λ̃ ${sam.importance!.giniPhantom!.mean.toFixed(3)} (paired drop ${drop.mean.toFixed(3)} ± ${drop.sd.toFixed(3)}, ${drop.n} seed${drop.n === 1 ? '' : 's'})`,
      });
    }
  }
  return { rows, rho, claims };
}
