// The counter-claim study's tables and figures: per setting, the harder feature's probe error and
// the effective rank of the penultimate features at each point of training for SGD and every ρ,
// the paired SAM − SGD differences as a time × ρ map coloured by verdict, and where their sign
// reverses. Pure (HTML, SVG).
import { escapeXml, lineChart, type Series } from '../svg.ts';
import { LINE, REFERENCE_COLOR, optimizerColor, runColor } from '../chart-style.ts';
import type { FinalResult } from '../runner/types.ts';
import { METRICS, type Metric } from './compare.ts';
import { meanBand, runsOf } from './settings.ts';
import { VERDICT_COLORS } from './page.ts';
import type { Finding, StudyContext } from './study.ts';
import { checkpoints, hardAt, rankAt, samVariant, type TimedSetting } from './counterclaim-metrics.ts';

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');

/** Mean ± sd over seeds (– without runs). */
function cell(runs: FinalResult[], m: Metric, d = 3): string {
  const v = runs.map(m).filter(Number.isFinite);
  if (!v.length) return '–';
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1)) : NaN;
  return `${fmt(mean, d)}${Number.isFinite(sd) ? ` ± ${fmt(sd, d)}` : ''}`;
}

/**
 * Where the SAM − SGD difference changes sign over training: the first checkpoint whose mean has
 * the other sign than the previous one's, and whether the verdicts back it (supported at one
 * point, contradicted at a later one, or the reverse).
 */
export function reversal(diffs: { t: number; f: Finding | undefined }[]): { signs: string; meanFlip: number | null; verdictFlip: string | null } {
  const signs = diffs.map(({ f }) => (!f || !Number.isFinite(f.mean) ? '·' : f.mean < 0 ? '−' : f.mean > 0 ? '+' : '0')).join(' ');
  let meanFlip: number | null = null;
  for (let i = 1; i < diffs.length && meanFlip === null; i++) {
    const [a, b] = [diffs[i - 1].f?.mean, diffs[i].f?.mean];
    if (a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && a * b < 0) meanFlip = diffs[i].t;
  }
  const sup = diffs.find(({ f }) => f?.verdict === 'supported');
  const con = diffs.find(({ f }) => f?.verdict === 'contradicted');
  let verdictFlip: string | null = null;
  if (sup && con) verdictFlip = sup.t < con.t ? `supported at epoch ${sup.t}, contradicted from epoch ${con.t}` : `contradicted at epoch ${con.t}, supported from epoch ${sup.t}`;
  return { signs, meanFlip, verdictFlip };
}

export function counterclaimSections(ctx: StudyContext, settings: TimedSetting[], findings: Finding[]): { sections: string[]; files: Map<string, string>; summary: string[] } {
  const files = new Map<string, string>();
  const sections: string[] = [];
  const summary: string[] = [];
  for (const s of settings) {
    const sgd = runsOf(ctx, s, 'sgd');
    if (!sgd.length) continue;
    const hard = s.features[s.features.length - 1];
    const times = checkpoints(s);
    const arms = [{ label: 'SGD', runs: sgd, color: optimizerColor('sgd') }, ...s.grid.map((rho, k) => ({ label: `SAM ρ = ${rho}`, runs: runsOf(ctx, s, samVariant(rho)), color: runColor('sam', k) }))].filter((a) => a.runs.length);
    const find = (rho: number, t: number) => findings.find((f) => f.question === 'time' && f.statistic === `SAM ρ = ${rho} − SGD, ${hard.name} probe error at epoch ${t} (test)` && f.claim.endsWith(`(${s.label})`));
    const head = `<tr><th class="l">arm</th><th>n</th><th>untrained</th>${times.map((t) => `<th>epoch ${t}</th>`).join('')}</tr>`;
    sections.push(`<h2>${escapeXml(s.label)}</h2>
<p class="detail">${escapeXml(s.note)}. Probe errors on the decorrelated test split (chance 0.5), mean ± sd over seeds; the untrained column is the same seed's initialization.</p>
<h3>${escapeXml(hard.name)}: probe error over training</h3>
<table><thead>${head}</thead><tbody>
${arms.map((a) => `<tr><td class="l">${escapeXml(a.label)}</td><td>${a.runs.length}</td><td class="num">${cell(a.runs, METRICS.untrainedHardError)}</td>${times.map((t) => `<td class="num">${cell(a.runs, hardAt(t))}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>
<h3>SAM − SGD, ${escapeXml(hard.name)} probe error (paired by seed): mean [95% interval], coloured by verdict</h3>
<table><thead><tr><th class="l">ρ</th>${times.map((t) => `<th>epoch ${t}</th>`).join('')}</tr></thead><tbody>
${s.grid.map((rho) => `<tr><td class="l">${rho}</td>${times.map((t) => {
      const f = find(rho, t);
      return f ? `<td class="num" style="color:${VERDICT_COLORS[f.verdict ?? 'estimate']}">${fmt(f.mean)} [${fmt(f.lo)}, ${fmt(f.hi)}]</td>` : '<td>–</td>';
    }).join('')}</tr>`).join('\n')}
</tbody></table>
<p class="detail">Green: SAM lower (the paper's claim supported); red: SAM higher (contradicted, the counter-claim's direction); amber: inconclusive.</p>
<h3>Effective rank of the penultimate features over training (components for 90% of the variance at the end)</h3>
<table><thead><tr><th class="l">arm</th><th>n</th>${times.map((t) => `<th>epoch ${t}</th>`).join('')}<th>PCA 90% (end)</th><th>numerical rank (end)</th></tr></thead><tbody>
${arms.map((a) => `<tr><td class="l">${escapeXml(a.label)}</td><td>${a.runs.length}</td>${times.map((t) => `<td class="num">${cell(a.runs, rankAt(t), 2)}</td>`).join('')}<td class="num">${cell(a.runs, rankAt(times[times.length - 1], 'pca90'), 1)}</td><td class="num">${cell(a.runs, rankAt(times[times.length - 1], 'numerical'), 1)}</td></tr>`).join('\n')}
</tbody></table>`);
    // curves over training: epoch 0 is the untrained network's probe
    const curve = (a: (typeof arms)[number], m: (t: number) => Metric, withUntrained: boolean): Series => {
      const pts = [...(withUntrained ? [[0, meanBand(a.runs, METRICS.untrainedHardError)] as const] : []), ...times.map((t) => [t, meanBand(a.runs, m(t))] as const)].filter(([, b]) => b.n);
      return { name: a.label, color: a.color, points: pts.map(([x, b]) => [x, b.mean]), band: pts.map(([x, b]) => [x, b.lo, b.hi]) };
    };
    const errFile = `counterclaim-${s.id}-probe.svg`;
    files.set(errFile, lineChart({ title: `${s.label}: ${hard.name} probe error`, xLabel: 'epoch (0: untrained)', yLabel: 'probe error (test)', series: [...arms.map((a) => curve(a, hardAt, true)), { name: 'chance', color: REFERENCE_COLOR, dash: LINE.reference, points: [[0, 0.5], [s.epochs, 0.5]] }] }));
    const rankFile = `counterclaim-${s.id}-rank.svg`;
    files.set(rankFile, lineChart({ title: `${s.label}: effective rank of the penultimate features`, xLabel: 'epoch', yLabel: 'effective rank (Roy & Vetterli)', series: arms.map((a) => curve(a, (t) => rankAt(t), false)) }));
    sections.push(`<figure>${files.get(errFile)}</figure><figure>${files.get(rankFile)}</figure><p class="detail">Lines: means over seeds; bands: 95% intervals of the mean. SGD in its colour, SAM's radii in shades of SAM's.</p>`);
    summary.push(`${s.label}: SAM − SGD, ${hard.name} probe error at epochs ${times.join(', ')} (sign of the mean; − is the paper's direction)`);
    for (const rho of s.grid) {
      const diffs = times.map((t) => ({ t, f: find(rho, t) }));
      const r = reversal(diffs);
      const verdicts = diffs.map(({ f }) => f?.verdict?.slice(0, 3) ?? '–').join(' ');
      const rank = findings.find((f) => f.question === 'rank' && f.statistic.startsWith(`SAM ρ = ${rho} − SGD, effective rank`) && f.claim.endsWith(`(${s.label})`));
      summary.push(`  ρ = ${String(rho).padEnd(5)} signs ${r.signs}  verdicts ${verdicts}  mean flips ${r.meanFlip === null ? 'never' : `at epoch ${r.meanFlip}`}${r.verdictFlip ? `; ${r.verdictFlip}` : ''}; effective rank ${rank ? `${fmt(rank.mean, 2)} [${fmt(rank.lo, 2)}, ${fmt(rank.hi, 2)}] ${rank.verdict}` : '–'}`);
    }
  }
  return { sections, files, summary };
}
