// The methods study's tables and figure: per setting, each method's worst-group accuracy,
// in-distribution accuracy and hard-feature probe error with SGD and with SAM (mean ± sd over
// seeds), worst-group accuracy by method as a chart with 95% bands, and the plain runs' hard
// probe error beside their DFR worst-group accuracy (the points of the correlation). Pure.
import { escapeXml, lineChart, type Series } from '../svg.ts';
import { ARM_COLORS } from '../chart-style.ts';
import type { Finding, StudyContext } from './study.ts';
import { meanBand } from './settings.ts';
import { cell, metricsOf, runsFor, DFR_METRICS, METHOD_LABELS, OPTIMIZERS, type MethodId } from './methods.ts';
import { METRICS } from './compare.ts';

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const ORDER: MethodId[] = ['plain', 'dfr', 'jtt', 'gdro', 'sd', 'useful'];

export function methodsSections(ctx: StudyContext, settings: { id: string; label: string }[], findings: Finding[]): { sections: string[]; files: Map<string, string>; summary: string[] } {
  const files = new Map<string, string>();
  const sections: string[] = [];
  const summary: string[] = [];
  for (const s of settings) {
    if (!runsFor(ctx, s.id, 'sgd', 'plain').length) continue;
    const pm = (c: { mean: number; sd: number }) => `${fmt(c.mean)} ± ${fmt(c.sd)}`;
    const rows = ORDER.map((m) => {
      const mt = metricsOf(m);
      const cells = OPTIMIZERS.flatMap((opt) => {
        const runs = runsFor(ctx, s.id, opt, m);
        return [pm(cell(runs, mt.wga)), pm(cell(runs, mt.inDist)), mt.hard ? pm(cell(runs, mt.hard)) : 'as plain'];
      });
      const gain = findings.find((f) => f.statistic === `SAM − SGD with ${METHOD_LABELS[m]}, worst-group accuracy (test)` && f.claim.endsWith(`(${s.label})`));
      return { m, cells, gain: gain ? `${fmt(gain.mean)} [${fmt(gain.lo)}, ${fmt(gain.hi)}] ${gain.verdict}` : '–' };
    });
    const n = runsFor(ctx, s.id, 'sgd', 'plain').length;
    summary.push(`${s.label} (test split, mean ± sd over ${n} seeds):`,
      '| method | SGD worst-group | SGD in-dist | SGD hard probe err | SAM worst-group | SAM in-dist | SAM hard probe err | SAM − SGD worst-group [95%] |',
      '|---|---|---|---|---|---|---|---|',
      ...rows.map((r) => `| ${METHOD_LABELS[r.m]} | ${r.cells.join(' | ')} | ${r.gain} |`), '');
    // worst-group accuracy by method, SGD and SAM, with 95% bands (x: the methods in table order)
    const series: Series[] = OPTIMIZERS.map((opt) => {
      const bands = ORDER.map((m, i) => ({ i, b: meanBand(runsFor(ctx, s.id, opt, m), metricsOf(m).wga) })).filter((x) => x.b.n > 0 && Number.isFinite(x.b.mean));
      return {
        name: opt.toUpperCase(), color: ARM_COLORS[opt],
        points: bands.map(({ i, b }) => [i + 1, b.mean] as [number, number]),
        band: bands.filter(({ b }) => Number.isFinite(b.lo)).map(({ i, b }) => [i + 1, b.lo, b.hi] as [number, number, number]),
      };
    });
    const file = `methods-${s.id}-worst-group.svg`;
    files.set(file, lineChart({ title: `Worst-group accuracy by method (${s.label})`, xLabel: ORDER.map((m, i) => `${i + 1} ${METHOD_LABELS[m]}`).join(', '), yLabel: 'worst-group accuracy (test)', series }));
    const points = OPTIMIZERS.flatMap((opt) => runsFor(ctx, s.id, opt, 'plain').map((r) => ({ opt, r }))).sort((a, b) => a.r.config.seed - b.r.config.seed || a.opt.localeCompare(b.opt));
    sections.push(`<h2>${escapeXml(s.label)}</h2>
<table><thead><tr><th class="l">method</th><th>SGD worst-group</th><th>SGD in-distribution</th><th>SGD hard probe error</th><th>SAM worst-group</th><th>SAM in-distribution</th><th>SAM hard probe error</th><th class="l">SAM − SGD worst-group [95%]</th></tr></thead><tbody>
${rows.map((r) => `<tr><td class="l">${escapeXml(METHOD_LABELS[r.m])}</td>${r.cells.map((c) => `<td class="num">${escapeXml(c)}</td>`).join('')}<td class="l">${escapeXml(r.gain)}</td></tr>`).join('\n')}
</tbody></table>
<p class="detail">Mean ± sd over seeds. DFR: the plain runs' last layer refit on the group-balanced selection split; its probe error is the plain network's (same features).</p>
<figure>${files.get(file)}<figcaption>Worst-group accuracy per method (x: ${escapeXml(ORDER.map((m, i) => `${i + 1} = ${METHOD_LABELS[m]}`).join(', '))}), mean and 95% band over seeds; the lines only join the methods for reading.</figcaption></figure>
<h3>Plain runs: hard-feature probe error and DFR worst-group accuracy</h3>
<table><thead><tr><th>seed</th><th class="l">optimizer</th><th>hard probe error</th><th>DFR worst-group</th><th>DFR in-distribution</th><th>DFR C</th><th>network worst-group</th></tr></thead><tbody>
${points.map(({ opt, r }) => `<tr><td>${r.config.seed}</td><td class="l">${opt.toUpperCase()}</td><td class="num">${fmt(METRICS.hardError(r))}</td><td class="num">${fmt(DFR_METRICS.worstGroupAcc(r))}</td><td class="num">${fmt(DFR_METRICS.inDistAcc(r))}</td><td class="num">${r.dfr ? r.dfr.C : '–'}</td><td class="num">${fmt(r.worstGroupAcc)}</td></tr>`).join('\n')}
</tbody></table>`);
  }
  return { sections, files, summary };
}
