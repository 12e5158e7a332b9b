// `samgpu report`'s page for a folder of runs (pure HTML): per dataset the chosen row of each
// optimizer with the untrained references, the lr/ρ grid with what the selection split chose,
// the paired claims with their intervals and per-seed values, training curves and the Lorenz
// curves of the importance weights at the last checkpoint.
import { escapeXml, lineChart, type Series } from '../svg.ts';
import type { FinalResult } from '../runner/types.ts';
import { formatInterval } from '../stats/paired.ts';
import { forestPlot } from './forest.ts';
import { aggregate, type OptimizerRow } from './aggregate.ts';
import { STUDY_CSS, VERDICT_COLORS } from '../studies/page.ts';
import { ARM_COLORS, LINE, OTHER_COLOR, REFERENCE_COLOR } from '../chart-style.ts';
import type { Summary } from '../studies/compare.ts';
import { domainbedTransferSection } from './paper-reference.ts';

const COLORS = ARM_COLORS;
const PHANTOM_DASH = LINE.phantom;

/** A dataset label as a file name: "domainbed (testDomain=art)" → "domainbed-testDomain-art". */
export const slug = (label: string) => label.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
const pm = (s: Summary) => (Number.isFinite(s.mean) ? `${s.mean.toFixed(3)} ± ${Number.isFinite(s.sd) ? s.sd.toFixed(3) : '–'}` : '–');
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '–');

function curve(runs: FinalResult[], f: (m: FinalResult['metrics'][number]) => number): [number, number][] {
  const epochs = Math.max(0, ...runs.map((r) => r.metrics.length));
  const out: [number, number][] = [];
  for (let e = 0; e < epochs; e++) {
    const v = runs.map((r) => (r.metrics[e] ? f(r.metrics[e]) : NaN)).filter(Number.isFinite);
    if (v.length) out.push([e + 1, v.reduce((a, b) => a + b, 0) / v.length]);
  }
  return out;
}

export function buildReport(title: string, runs: FinalResult[], extraSections: string[] = []): { html: string; svgs: Map<string, string> } {
  const { rows, grid, claims } = aggregate(runs);
  const svgs = new Map<string, string>();
  const datasets = [...new Set([...rows.map((r) => r.dataset), ...grid.map((g) => g.dataset)])];
  const parts: string[] = [];
  for (const ds of datasets) {
    const chosen = rows.filter((r) => r.dataset === ds);
    const dsClaims = claims.filter((c) => c.dataset === ds);
    const dsGrid = grid.filter((g) => g.dataset === ds);
    parts.push(`<h2>${escapeXml(ds)}</h2>`);
    if (dsClaims.length) {
      parts.push(`<table><thead><tr><th class="l">claim</th><th class="l">statistic (per-seed differences)</th><th>mean [95% interval], n</th><th class="l">verdict</th></tr></thead><tbody>
${dsClaims.map((c) => `<tr><td class="l">${escapeXml(c.text)}</td><td class="l">${escapeXml(c.statistic)}</td><td class="num">${escapeXml(formatInterval(c.comparison))}</td><td class="l verdict" style="color:${VERDICT_COLORS[c.verdict]}">${c.verdict}</td></tr>`).join('\n')}
</tbody></table>`);
      const name = `${slug(ds)}-claims.svg`;
      svgs.set(name, forestPlot({ title: `${ds}: per-seed differences (circles), mean and 95% interval`, xLabel: 'difference (0 = no effect)', rows: dsClaims.map((c) => ({ label: c.statistic.length > 46 ? `${c.statistic.slice(0, 45)}…` : c.statistic, values: c.comparison.differences, mean: c.comparison.mean, lo: c.comparison.lo, hi: c.comparison.hi, color: VERDICT_COLORS[c.verdict] })) }));
    } else parts.push('<p>No SAM-type runs paired with SGD runs by seed here, so no claim is judged.</p>');
    parts.push(table(chosen));
    if (dsGrid.length > chosen.length) {
      parts.push(`<p class="detail">Hyper-parameter cells (lr, ρ): each optimizer's row above is the cell with the lowest mean probe error on the selection split (validation examples the probes are not fitted on).</p>
<table><thead><tr><th class="l">optimizer</th><th>lr</th><th>ρ</th><th>seeds</th><th>selection score</th><th>easy probe error (test)</th><th>hard probe error (test)</th><th class="l">chosen</th></tr></thead><tbody>
${dsGrid.map((g) => `<tr><td class="l">${g.optimizer.toUpperCase()}</td><td>${g.lr}</td><td>${g.optimizer === 'sgd' ? '–' : g.rho}</td><td>${g.seeds}</td><td>${f3(g.selectionScore)}</td><td>${f3(g.easyError)}</td><td>${f3(g.hardError)}</td><td class="l">${g.chosen ? '✔' : ''}</td></tr>`).join('\n')}
</tbody></table>`);
    }
    const series: Series[] = chosen.map((r) => ({ name: r.optimizer.toUpperCase(), color: COLORS[r.optimizer] ?? OTHER_COLOR, points: curve(r.runs, (m) => m.trainLoss) }));
    svgs.set(`${slug(ds)}-train-loss.svg`, lineChart({ title: `${ds}: training loss`, xLabel: 'epoch', yLabel: 'train loss (mean over seeds)', series, yLog: true }));
    const withImp = chosen.filter((r) => r.runs.every((x) => x.importance?.length));
    if (withImp.length) {
      const ls: Series[] = [{ name: 'uniform', color: REFERENCE_COLOR, dash: LINE.reference, points: [[0, 0], [1, 1]] }];
      const mean = (cs: number[][]) => cs[0].map((_, i) => [i / (cs[0].length - 1), cs.reduce((a, c) => a + c[i], 0) / cs.length] as [number, number]);
      for (const r of withImp) {
        const lastOf = r.runs.map((x) => x.importance.at(-1)!);
        ls.push({ name: `${r.optimizer.toUpperCase()} λ at θ`, color: COLORS[r.optimizer] ?? OTHER_COLOR, points: mean(lastOf.map((e) => e.lorenz)) });
        if (r.optimizer !== 'sgd') ls.push({ name: `${r.optimizer.toUpperCase()} λ̃ at θ̃`, color: COLORS[r.optimizer] ?? OTHER_COLOR, dash: PHANTOM_DASH, points: mean(lastOf.map((e) => e.lorenzPhantom)) });
      }
      svgs.set(`${slug(ds)}-lorenz.svg`, lineChart({ title: `${ds}: Lorenz curves of λ = 1 − p(y|x), last checkpoint`, xLabel: 'share of the fixed evaluation set, smallest first', yLabel: 'share of the total weight', series: ls, xRange: [0, 1], yRange: [0, 1] }));
    }
    parts.push([...svgs].filter(([n]) => n.startsWith(`${slug(ds)}-`)).map(([n, svg]) => `<figure>${svg}<figcaption><a href="${n}">${n}</a></figcaption></figure>`).join('\n'));
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>samgpu report: ${escapeXml(title)}</title>
<style>${STUDY_CSS}</style></head><body>
<h1>SGD vs SAM: feature quality via linear probes</h1>
<p>${runs.length} finished runs under <code>${escapeXml(title)}</code>. Probe errors are on the group-balanced test split; the probes are fitted on part of the validation split (L2 by 2-fold cross-validation there) and the rest of it, the selection split, chooses each optimizer's lr and ρ. Claims are judged on per-seed differences from SGD (runs paired by seed): <i>supported</i> when the 95% interval excludes 0 on the claimed side, <i>contradicted</i> on the other, else <i>inconclusive</i> (always with fewer than 3 pairs).</p>
${parts.join('\n')}
${[domainbedTransferSection(runs), ...extraSections].join('\n')}
<p class="detail">Written by <code>samgpu report</code> on ${new Date().toISOString()}.</p>
</body></html>
`;
  return { html, svgs };
}

function table(rows: OptimizerRow[]): string {
  const chance = (r: OptimizerRow) => {
    const k = Math.max(2, ...r.runs.flatMap((x) => Object.keys(x.groupAcc).length ? [Math.round(Math.sqrt(Object.keys(x.groupAcc).length))] : []));
    return 1 - 1 / k;
  };
  return `<table><thead><tr><th class="l">optimizer</th><th>lr</th><th>ρ</th><th>seeds</th><th>easy probe error</th><th>hard probe error</th><th>untrained easy</th><th>untrained hard</th><th>selection acc</th><th>test acc</th><th>in-distribution acc</th><th>worst-group acc</th></tr></thead><tbody>
${rows.map((r) => `<tr><td class="l">${r.optimizer.toUpperCase()}</td><td>${r.lr}</td><td>${r.optimizer === 'sgd' ? '–' : r.rho}</td><td>${r.seeds.length}</td><td class="num">${pm(r.easyError)}</td><td class="num">${pm(r.hardError)}</td><td class="num">${pm(r.untrainedEasyError)}</td><td class="num">${pm(r.untrainedHardError)}</td><td class="num">${pm(r.selectionAcc)}</td><td class="num">${pm(r.testAcc)}</td><td class="num">${pm(r.inDistAcc)}</td><td class="num">${pm(r.worstGroupAcc)}</td></tr>`).join('\n')}
</tbody></table>
<p class="detail">Mean ± sd over seeds. Probe-error chance ≈ ${rows.length ? chance(rows[0]).toFixed(2) : '–'} (balanced classes). ${rows.some((r) => r.unconvergedProbes) ? `Probe fits that stopped before their tolerance (errors of unfinished fits): ${rows.filter((r) => r.unconvergedProbes).map((r) => `${r.optimizer.toUpperCase()} ${r.unconvergedProbes} of ${2 * r.seeds.length}`).join('; ')}.` : 'Every probe fit met its tolerance.'}</p>`;
}
