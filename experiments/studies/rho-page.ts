// The ρ study's page: per setting, every arm's accuracies, probe errors, Gini of λ̃ and stall as
// curves over ρ with 95% bands (ρ = 0 drawn at half the smallest radius on the log axis), LSAM
// and the warm-up as their own series, and a table of the same numbers. Pure (HTML, SVG).
import { ARM_COLORS, LINE, REFERENCE_COLOR } from '../chart-style.ts';
import { escapeXml, lineChart, type Series } from '../svg.ts';
import type { FinalResult } from '../runner/types.ts';
import { stallEpochs, METRICS, type Metric } from './compare.ts';
import { meanBand, rhoVariant, runsOf, type RhoSetting } from './settings.ts';
import type { Finding, StudyContext } from './study.ts';

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
/** A table cell: the mean ± the 95% interval's half-width (just the mean for one run, – for none). */
const bandCell = (b: { mean: number; lo: number; hi: number; n: number }) => `<td class="num">${b.n ? `${fmt(b.mean)}${b.n > 1 ? ` ± ${fmt((b.hi - b.lo) / 2)}` : ''}` : '–'}</td>`;

/** The smallest ρ whose drop in in-distribution accuracy is supported, or null. */
export function fallPoint(findings: Finding[], s: RhoSetting): number | null {
  for (const rho of s.grid.slice(1)) {
    const f = findings.find((x) => x.question === 'fall' && x.statistic === `SAM ρ = ${rho} − SGD, in-distribution accuracy (test)` && x.claim.endsWith(`(${s.label})`));
    if (f?.verdict === 'supported') return rho;
  }
  return null;
}

export function rhoSections(ctx: StudyContext, settings: RhoSetting[], findings: Finding[]): { sections: string[]; files: Map<string, string>; summary: string[] } {
  const files = new Map<string, string>();
  const sections: string[] = [];
  const summary: string[] = [];
  for (const s of settings) {
    if (!runsOf(ctx, s, rhoVariant(0)).length) continue;
    const positive = s.grid.filter((r) => r > 0);
    const zeroAt = (positive.length ? Math.min(...positive) : 0.01) / 2;
    const x = (rho: number) => (rho === 0 ? zeroAt : rho);
    const stall: Metric = (r) => stallEpochs(r, s.classes);
    const metrics: [string, Metric][] = [
      ['in-distribution acc', METRICS.inDistAcc], ['decorrelated acc', METRICS.testAcc], ['worst-group acc', METRICS.worstGroupAcc],
      ['easy probe error', METRICS.easyError], ['hard probe error', METRICS.hardError], ['Gini λ̃', METRICS.giniPhantomFinal], ['stall epochs', stall],
    ];
    const arms: { label: string; variant: string; rho: number; kind: 'sam' | 'lsam' | 'warm' }[] = [
      ...s.grid.map((rho) => ({ label: rho === 0 ? 'SGD (ρ = 0)' : `SAM ρ = ${rho}`, variant: rhoVariant(rho), rho, kind: 'sam' as const })),
      ...s.lsam.map((rho) => ({ label: `LSAM ρ = ${rho}`, variant: `lsam-${rho}`, rho, kind: 'lsam' as const })),
      ...s.warm.map((rho) => ({ label: `SAM ρ = ${rho}, warm-up`, variant: `warm-${rho}`, rho, kind: 'warm' as const })),
    ];
    const rows = arms.map((a) => ({ ...a, runs: runsOf(ctx, s, a.variant) })).filter((a) => a.runs.length);
    // the floor of "learned": the same seeds' untrained network (probed once per seed, by SGD's run)
    const sgdRuns = runsOf(ctx, s, rhoVariant(0));
    const untrained: Record<string, Metric> = { 'easy probe error': METRICS.untrainedEasyError, 'hard probe error': METRICS.untrainedHardError };
    const untrainedRow = sgdRuns.some((r) => r.untrainedProbes) ? `\n<tr><td class="l">untrained network (same seeds)</td><td>${sgdRuns.length}</td>${metrics.map(([n]) => (untrained[n] ? bandCell(meanBand(sgdRuns, untrained[n])) : '<td class="num">–</td>')).join('')}</tr>` : '';
    sections.push(`<h2>${escapeXml(s.label)}</h2>
<p class="detail">Mean ± 95% interval half-width over seeds. In-distribution accuracy weights the test split's groups by their training frequency; the probe errors are on the decorrelated test split; stall: leading epochs whose mean training loss stays at ≥ 95% of ln ${s.classes} (chance). Warm-up: ρ rises linearly from 0 over ${s.warmupEpochs} epoch(s).</p>
<table><thead><tr><th class="l">arm</th><th>n</th>${metrics.map(([n]) => `<th>${escapeXml(n)}</th>`).join('')}</tr></thead><tbody>
${rows.map((a) => `<tr><td class="l">${escapeXml(a.label)}</td><td>${a.runs.length}</td>${metrics.map(([, m]) => bandCell(meanBand(a.runs, m))).join('')}</tr>`).join('\n')}${untrainedRow}
</tbody></table>`);
    const curve = (name: string, color: string, kind: 'sam' | 'lsam' | 'warm', m: Metric, dash?: string): Series | null => {
      const pts = rows.filter((a) => a.kind === kind).map((a) => [x(a.rho), meanBand(a.runs, m)] as const).filter(([, b]) => b.n);
      if (!pts.length) return null;
      return { name, color, dash, points: pts.map(([px, b]) => [px, b.mean]), band: pts.map(([px, b]) => [px, b.lo, b.hi]) };
    };
    const chart = (file: string, title: string, yLabel: string, series: (Series | null)[], yRange?: [number, number]) => {
      files.set(file, lineChart({ title: `${s.label}: ${title}`, xLabel: `ρ (log; ρ = 0 drawn at ${zeroAt})`, yLabel, series: series.filter((v): v is Series => !!v), xLog: true, ...(yRange ? { yRange } : {}) }));
      return `<figure>${files.get(file)}</figure>`;
    };
    const acc = [['in-distribution', '#1f77b4', METRICS.inDistAcc], ['decorrelated test', '#ff7f0e', METRICS.testAcc], ['worst group', '#d62728', METRICS.worstGroupAcc]] as const;
    const err = [['easy feature', '#2ca02c', METRICS.easyError], ['hard feature', '#9467bd', METRICS.hardError]] as const;
    const xs = rows.map((a) => x(a.rho));
    const flat = (name: string, dash: string, m: Metric): Series | null => {
      const b = meanBand(sgdRuns, m);
      return b.n ? { name, color: ARM_COLORS.untrained, dash, points: [[Math.min(...xs), b.mean], [Math.max(...xs), b.mean]] } : null;
    };
    const figs = [
      chart(`rho-${s.id}-accuracy.svg`, 'accuracy', 'accuracy (test)', [...acc.map(([n, c, m]) => curve(`SAM: ${n}`, c, 'sam', m)), ...acc.map(([n, c, m]) => curve(`warm-up: ${n}`, c, 'warm', m, '6 4')), ...acc.map(([n, c, m]) => curve(`LSAM: ${n}`, c, 'lsam', m, '2 3'))]),
      chart(`rho-${s.id}-probes.svg`, 'probe error per feature', 'probe error (test)', [...err.map(([n, c, m]) => curve(`SAM: ${n}`, c, 'sam', m)), ...err.map(([n, c, m]) => curve(`warm-up: ${n}`, c, 'warm', m, '6 4')), ...err.map(([n, c, m]) => curve(`LSAM: ${n}`, c, 'lsam', m, '2 3')), flat('untrained: easy feature', LINE.reference, METRICS.untrainedEasyError), flat('untrained: hard feature', '8 4', METRICS.untrainedHardError)]),
      chart(`rho-${s.id}-gini.svg`, 'Gini of the importance weights, last checkpoint', 'Gini (0 = uniform)', [curve('SAM λ (θ)', ARM_COLORS.sam, 'sam', METRICS.giniFinal), curve('SAM λ̃ (θ̃)', ARM_COLORS.sam, 'sam', METRICS.giniPhantomFinal, LINE.phantom), curve('LSAM λ̃ (θ̃)', ARM_COLORS.lsam, 'lsam', METRICS.giniPhantomFinal, LINE.phantom)]),
      chart(`rho-${s.id}-stall.svg`, 'stall at chance loss', 'leading epochs at chance loss', [curve('SAM', ARM_COLORS.sam, 'sam', stall), curve('SAM with warm-up', ARM_COLORS.sam, 'warm', stall, '3 2'), curve('LSAM', ARM_COLORS.lsam, 'lsam', stall)]),
    ];
    sections.push(`${figs.join('\n')}<p class="detail">Lines: means over seeds; bands: 95% intervals of the mean. Solid: SAM over the grid (ρ = 0 is SGD); dashed: with the warm-up; dotted: LSAM; grey flat lines on the probe chart: the same seeds' untrained network (dotted easy, long dashes hard).</p>`);
    // training curves: the stall shows as flat loss
    const lc: Series[] = rows.filter((a) => a.kind !== 'lsam').map((a, i) => {
      const n = Math.min(...a.runs.map((r: FinalResult) => r.metrics.length));
      const hue = Math.round((i / Math.max(1, rows.length)) * 300);
      return { name: a.label, color: `hsl(${hue}, 70%, 45%)`, dash: a.kind === 'warm' ? '6 4' : undefined, points: Array.from({ length: n }, (_, e) => [e + 1, a.runs.reduce((t, r) => t + r.metrics[e].trainLoss, 0) / a.runs.length] as [number, number]) };
    });
    lc.push({ name: `chance (ln ${s.classes})`, color: REFERENCE_COLOR, dash: LINE.reference, points: [[1, Math.log(s.classes)], [Math.max(...lc.map((l) => l.points.length), 1), Math.log(s.classes)]] });
    files.set(`rho-${s.id}-loss.svg`, lineChart({ title: `${s.label}: training loss per epoch`, xLabel: 'epoch', yLabel: 'mean training loss (log)', series: lc, yLog: true }));
    sections.push(`<figure>${files.get(`rho-${s.id}-loss.svg`)}</figure>`);
    const arg = findings.find((f) => f.question === 'argmax' && f.claim.endsWith(`(${s.label})`));
    const fall = fallPoint(findings, s);
    summary.push(`${s.label}:`);
    if (arg) summary.push(`  argmax-ρ (in-distribution accuracy) → argmin-ρ (hard probe error): ${fmt(arg.mean, 1)} grid steps [${fmt(arg.lo, 1)}, ${fmt(arg.hi, 1)}], n = ${arg.n}: ${arg.verdict}; ${arg.note ?? ''}`);
    summary.push(`  in-distribution accuracy falls below SGD's from ρ = ${fall ?? '– (no supported drop on the grid)'}`);
    for (const a of rows) {
      const b = (m: Metric) => fmt(meanBand(a.runs, m).mean);
      summary.push(`  ${a.label.padEnd(28)} in-dist ${b(METRICS.inDistAcc)}  decorrelated ${b(METRICS.testAcc)}  worst group ${b(METRICS.worstGroupAcc)}  probe easy ${b(METRICS.easyError)} hard ${b(METRICS.hardError)}  Gini λ̃ ${b(METRICS.giniPhantomFinal)}  stall ${fmt(meanBand(a.runs, stall).mean, 1)}`);
    }
  }
  return { sections, files, summary };
}
