// The paper's comparison of importance weights, said in words from the page's runs:
// (1) within a SAM run, λ̃ (at θ̃, what the descent uses) against λ (at θ) at the same checkpoint;
// (2) across optimizers, a SAM run's λ̃ against an SGD run's λ at the same training loss (each
//     run at its first monitored step with loss ≤ the lowest level both reached).
// Not at the same step or at the end: once the loss is near zero a SAM model's weights are often
// more concentrated than SGD's. Pure, so the Node tests check it.
import { isSam, type PageRun } from './runs.ts';

export interface Comparison {
  /** One sentence per comparison made, for the page. */
  lines: string[];
}

const f2 = (v: number) => v.toFixed(2);
const fmtLoss = (v: number) => (v >= 0.01 ? v.toPrecision(2) : v.toExponential(1));

/** Gini of λ (or λ̃) at the first monitored step whose training loss is ≤ level. */
export function giniAtLoss(run: PageRun, level: number, phantom: boolean): { step: number; gini: number } | null {
  const p = run.points.find((q) => q.loss <= level);
  if (!p) return null;
  const g = phantom ? p.giniPhantom : p.gini;
  return g === undefined ? null : { step: p.step, gini: g };
}

export function compareRuns(runs: PageRun[]): Comparison {
  const lines: string[] = [];
  const sams = runs.filter((r) => isSam(r) && r.points.length);
  const sgds = runs.filter((r) => !isSam(r) && r.points.length);
  for (const r of sams) {
    const pairs = r.points.filter((p) => p.giniPhantom !== undefined);
    if (!pairs.length) continue;
    const below = pairs.filter((p) => p.giniPhantom! < p.gini).length;
    lines.push(`Same checkpoint: in ${r.label}, λ̃ is more even than λ (lower Gini) at ${below} of ${pairs.length} monitored steps.`);
  }
  for (const r of sams) {
    for (const g of sgds) {
      const level = Math.max(Math.min(...r.points.map((p) => p.loss)), Math.min(...g.points.map((p) => p.loss)));
      const a = giniAtLoss(r, level, true);
      const b = giniAtLoss(g, level, false);
      if (!a || !b) continue;
      lines.push(`Matched loss: at training loss ≤ ${fmtLoss(level)} (step ${a.step} of ${r.label}, step ${b.step} of ${g.label}), ` +
        `${r.label}'s λ̃ has Gini ${f2(a.gini)} and ${g.label}'s λ ${f2(b.gini)}: ` +
        `${a.gini < b.gini ? "SAM's descent weights are the more even, as the paper says" : "SAM's descent weights are not the more even here"}.`);
    }
  }
  if (!lines.length) lines.push(sams.length ? 'Train an SGD run too to compare the optimizers at matched loss.' : 'Train a SAM (or LSAM) run and an SGD run to see the comparison.');
  return { lines };
}
