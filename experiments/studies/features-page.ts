// The features study's tables and figures: per setting, every feature's probe error under SGD,
// SAM and LSAM beside the untrained network, ordered by difficulty, with 95% bands; the learning
// curves of the models trained on one feature alone (the difficulty measure). Pure (HTML, SVG).
import { escapeXml, lineChart, type Series } from '../svg.ts';
import type { FinalResult } from '../runner/types.ts';
import { featureError, untrainedFeatureError, type Metric } from './compare.ts';
import { difficulty, LEARNED_ACCURACY } from './difficulty.ts';
import { ARM_COLORS, LINE, OTHER_COLOR, REFERENCE_COLOR } from '../chart-style.ts';
import { meanBand, runsOf, type Setting } from './settings.ts';
import type { Finding, StudyContext } from './study.ts';

const COLORS = ARM_COLORS;
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');

function cell(runs: FinalResult[], m: Metric): string {
  const b = meanBand(runs, m);
  if (!b.n) return '–';
  const sd = Math.sqrt(runs.map(m).filter(Number.isFinite).reduce((a, x, _, all) => a + (x - b.mean) ** 2 / Math.max(1, all.length - 1), 0));
  return `${fmt(b.mean)} ± ${fmt(sd)}`;
}

export function featuresSections(ctx: StudyContext, settings: Setting[], findings: Finding[]): { sections: string[]; files: Map<string, string>; summary: string[] } {
  const files = new Map<string, string>();
  const sections: string[] = [];
  const summary: string[] = [];
  for (const s of settings) {
    const arms = ['sgd', 'sam', 'lsam'].map((v) => [v, runsOf(ctx, s, v)] as const);
    if (!arms[0][1].length) continue;
    const d = difficulty(ctx, s);
    const order = s.features.map((_, j) => j).sort((a, b) => d.values[a] - d.values[b]);
    const gain = (opt: string, id: string) => findings.find((f) => f.question === 'gain' && f.statistic.startsWith(`${opt} − SGD, ${s.features.find((x) => x.id === id)!.name} probe error`) && f.claim.endsWith(`(${s.label})`));
    const head = `| feature | difficulty (${d.by}) | untrained | SGD | SAM | LSAM | SAM − SGD [95% interval] |`;
    const rows = order.map((j) => {
      const f = s.features[j];
      const g = gain('SAM', f.id);
      const gs = g ? `${fmt(g.mean)} [${fmt(g.lo)}, ${fmt(g.hi)}] ${g.verdict}` : '–';
      return { f, j, g: gs, cells: [cell(arms[0][1], untrainedFeatureError(f.id)), ...arms.map(([, runs]) => cell(runs, featureError(f.id)))] };
    });
    summary.push(`${s.label} (probe error on decorrelated test data, mean ± sd over seeds; n = ${arms[0][1].length}):`, head, '|---|---|---|---|---|---|---|');
    for (const r of rows) summary.push(`| ${r.f.name} | ${fmt(d.values[r.j], d.by === 'steps alone' ? 0 : 3)}${d.censored[r.j] ? '+' : ''} | ${r.cells.join(' | ')} | ${r.g} |`);
    summary.push('');
    sections.push(`<h2>${escapeXml(s.label)}</h2>
<p class="detail">Probe error per feature on the decorrelated test split (mean ± sd over seeds), easiest feature first. Difficulty: ${d.by === 'steps alone' ? `steps an SGD model trained on that feature alone needs to reach ${LEARNED_ACCURACY * 100}% selection accuracy (a + marks seeds that never did: a lower bound)` : 'SGD\'s probe error (no models were trained on one feature alone at this budget)'}. Chance: 0.5.</p>
<table><thead><tr>${head.split('|').slice(1, -1).map((h, i) => `<th${i === 0 ? ' class="l"' : ''}>${escapeXml(h.trim())}</th>`).join('')}</tr></thead><tbody>
${rows.map((r) => `<tr><td class="l">${escapeXml(r.f.name)}</td><td>${fmt(d.values[r.j], d.by === 'steps alone' ? 0 : 3)}${d.censored[r.j] ? '+' : ''}</td>${r.cells.map((c) => `<td class="num">${c}</td>`).join('')}<td class="num">${escapeXml(r.g)}</td></tr>`).join('\n')}
</tbody></table>`);
    // probe error against difficulty rank, one line per optimizer, 95% bands
    const series: Series[] = [];
    const line = (name: string, color: string, runs: FinalResult[], m: (id: string) => Metric, dash?: string) => {
      const pts = order.map((j, i) => [i + 1, meanBand(runs, m(s.features[j].id))] as const);
      series.push({ name, color, dash, points: pts.map(([x, b]) => [x, b.mean]), band: pts.map(([x, b]) => [x, b.lo, b.hi]) });
    };
    line('untrained', COLORS.untrained, arms[0][1], untrainedFeatureError, '2 3');
    for (const [v, runs] of arms) if (runs.length) line(v.toUpperCase(), COLORS[v], runs, featureError);
    const chart = `features-${s.id}.svg`;
    files.set(chart, lineChart({ title: `${s.label}: probe error by feature`, xLabel: `feature, easiest first: ${order.map((j) => s.features[j].id).join(', ')}`, yLabel: 'probe error (test)', series, xRange: [0.8, s.features.length + 0.2], yRange: [0, 0.6] }));
    sections.push(`<figure>${files.get(chart)}<figcaption>Mean over seeds with the 95% interval of the mean as a band; chance is 0.5.</figcaption></figure>`);
    // the alone runs' learning curves
    const alone = s.features.map((f) => [f, runsOf(ctx, s, `alone-${f.id}`)] as const).filter(([, r]) => r.length);
    if (alone.length) {
      const ls: Series[] = alone.map(([f, runs], i) => {
        const n = Math.min(...runs.map((r) => r.metrics.length));
        return { name: f.name, color: PALETTE[i % PALETTE.length], points: Array.from({ length: n }, (_, e) => [runs[0].metrics[e].step, runs.reduce((a, r) => a + r.metrics[e].valAcc, 0) / runs.length] as [number, number]) };
      });
      ls.push({ name: `${LEARNED_ACCURACY * 100}%: learned`, color: REFERENCE_COLOR, dash: LINE.reference, points: [[ls[0].points[0]?.[0] ?? 0, LEARNED_ACCURACY], [Math.max(...ls.map((x) => x.points.at(-1)?.[0] ?? 0)), LEARNED_ACCURACY]] });
      const c = `alone-${s.id}.svg`;
      files.set(c, lineChart({ title: `${s.label}: SGD on one feature alone`, xLabel: 'steps', yLabel: 'selection accuracy on that feature', series: ls, yRange: [0.4, 1] }));
      sections.push(`<figure>${files.get(c)}<figcaption>Each feature alone carries the label (the other blocks are independent); mean over seeds. The steps to the dashed line are the feature's difficulty.</figcaption></figure>`);
    }
  }
  return { sections, files, summary };
}
