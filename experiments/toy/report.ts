// The toy's figures (SVG strings) and the HTML page that gathers them with the results tables.
// Colours and line styles come from experiments/chart-style.ts (λ at θ solid, λ̃ at θ̃ dashed).
import { meanSd } from '../metrics.ts';
import { escapeXml, lineChart, type Series } from '../svg.ts';
import { FEATURE_DASH, LINE, LINE_STYLE_NOTE, OPTIMIZER_COLORS, REFERENCE_COLOR } from '../chart-style.ts';
import type { Method, Structure, ToyConfig } from './config.ts';
import type { RunRecord, Stat, SummaryRow } from './summary.ts';

export const METHOD_COLORS: Record<Method, string> = {
  sgd: OPTIMIZER_COLORS.sgd, sam: OPTIMIZER_COLORS.sam, lsam: OPTIMIZER_COLORS.lsam,
  'phantom-weights': OPTIMIZER_COLORS['phantom-weights'], 'phantom-head': OPTIMIZER_COLORS['phantom-head'], 'phantom-both': OPTIMIZER_COLORS['phantom-both'],
};
const PHANTOM_DASH = LINE.phantom;
/** Binary probes: chance accuracy. */
const CHANCE = 0.5;

function runsOf(records: RunRecord[], structure: Structure, method: Method): RunRecord[] {
  return records.filter((r) => r.structure === structure && r.method === method);
}

/** Mean line and ± sd band over seeds of a per-step series (all runs share the x values). */
function meanSeries(name: string, color: string, runs: RunRecord[], x: (r: RunRecord) => number[], y: (r: RunRecord) => number[] | null, dash?: string): Series | null {
  const ys = runs.map(y).filter((v): v is number[] => v !== null);
  if (!ys.length) return null;
  const xs = x(runs[0]);
  const stats = xs.map((_, i) => meanSd(ys.map((v) => v[i])));
  return {
    name, color, dash,
    points: xs.map((xv, i) => [xv, stats[i].mean]),
    band: ys.length > 1 ? xs.map((xv, i) => [xv, stats[i].mean - stats[i].sd, stats[i].mean + stats[i].sd]) : undefined,
  };
}

const present = (s: (Series | null)[]) => s.filter((v): v is Series => v !== null);

export interface Figure {
  file: string;
  caption: string;
  svg: string;
  structure: Structure;
  /** Where the page shows it: the key comparison, the training curves, or the Lorenz curves. */
  group: 'key' | 'training' | 'lorenz';
}

/** The y range of a probe-accuracy chart: from chance (or the lowest mean − sd below it) to 1. */
export function probeAccuracyRange(series: Series[]): [number, number] {
  const lows = series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.band ?? []).map((b) => b[1])]).filter(Number.isFinite);
  // a margin below the lowest value, so the chance line is not on the frame
  const lo = Math.min(CHANCE, ...lows) - 0.05;
  return [Math.max(0, Math.floor(lo * 20) / 20), 1.02];
}

/** Mean Gini of λ (or λ̃) over the seeds whose loss reached each level (null: none did). */
function matchedGini(runs: RunRecord[], levels: number[], phantom: boolean): [number, number][] {
  return levels.flatMap((level, i) => {
    const g = runs.map((r) => r.matched[i]).filter((m) => m !== null && m !== undefined).map((m) => (phantom ? m!.giniPhantom : m!.gini));
    return g.length ? [[level, meanSd(g).mean] as [number, number]] : [];
  });
}

export function figures(cfg: ToyConfig, records: RunRecord[]): Figure[] {
  const out: Figure[] = [];
  const structures = [...new Set(records.map((r) => r.structure))];
  const methodsOf = (s: Structure) => [...new Set(records.filter((r) => r.structure === s).map((r) => r.method))];
  const steps1 = (r: RunRecord) => r.steps.map((s) => s + 1);
  const levels = cfg.train.matchedLoss;
  for (const st of structures) {
    const methods = methodsOf(st);
    const main = methods.filter((m) => m === 'sgd' || m === 'sam' || m === 'lsam');
    // The paper's comparison across optimizers: SAM's λ̃ (the weights its descent uses) against
    // SGD's λ, at the same training loss (at the final step SAM's weights are more concentrated).
    const key: Series[] = [];
    for (const m of main) {
      const runs = runsOf(records, st, m);
      key.push({ name: `${m} λ (θ)`, color: METHOD_COLORS[m], dash: LINE.real, points: matchedGini(runs, levels, false) });
      if (m !== 'sgd') key.push({ name: `${m} λ̃ (θ̃)`, color: METHOD_COLORS[m], dash: LINE.phantom, points: matchedGini(runs, levels, true) });
    }
    out.push({
      file: `gini-matched-${st}.svg`, structure: st, group: 'key',
      caption: `${st}: Gini of the importance weights at matched training loss (each run at its first recorded step with loss ≤ the level; mean over seeds). Lower is more even. λ at θ solid, λ̃ at θ̃ dashed.`,
      svg: lineChart({
        title: `Gini at matched training loss (${st})`, xLabel: 'training loss level (training proceeds right to left)', yLabel: 'Gini', xLog: true, yRange: [0, 1],
        series: key.filter((s) => s.points.length),
      }),
    });
    for (const feature of ['hard', 'easy'] as const) {
      const series = present(methods.map((m) => meanSeries(m, METHOD_COLORS[m], runsOf(records, st, m), (r) => r.probe.steps.map((s) => s + 1), (r) => r.probe[feature])));
      series.push({ name: `chance (${CHANCE})`, color: REFERENCE_COLOR, dash: LINE.reference, points: [[1, CHANCE], [Math.max(...records.flatMap((r) => r.probe.steps)) + 1, CHANCE]] });
      out.push({
        file: `probe-${feature}-${st}.svg`, structure: st, group: 'training',
        caption: `${st}: linear-probe test accuracy of the ${feature} feature on the decorrelated probe set (easy and hard labels independent; mean ± sd over seeds; chance ${CHANCE}).`,
        svg: lineChart({
          title: `${feature} feature probe accuracy (${st})`, xLabel: 'training step + 1', yLabel: 'probe test accuracy', xLog: true,
          yRange: probeAccuracyRange(series), series,
        }),
      });
    }
    out.push({
      file: `loss-${st}.svg`, structure: st, group: 'training',
      caption: `${st}: training loss at θ (solid) and at the phantom θ̃ (dashed, SAM and LSAM); x is step + 1.`,
      svg: lineChart({
        title: `training loss (${st})`, xLabel: 'step + 1', yLabel: 'mean logistic loss', xLog: true, yLog: true,
        series: present(methods.flatMap((m) => [
          meanSeries(m, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => r.loss),
          ['sam', 'lsam'].includes(m) ? meanSeries(`${m} at θ̃`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => r.lossPhantom, PHANTOM_DASH) : null,
        ])),
      }),
    });
    out.push({
      file: `gini-${st}.svg`, structure: st, group: 'training',
      caption: `${st}: Gini of the importance weights λ at θ (solid) and λ̃ at θ̃ (dashed; for SGD the phantom is SAM's ascent from SGD's θ, never used by SGD).`,
      svg: lineChart({
        title: `Gini of λ (solid) and λ̃ (dashed) (${st})`, xLabel: 'step + 1', yLabel: 'Gini', xLog: true, yRange: [0, 1],
        series: present(main.flatMap((m) => [
          meanSeries(`${m} λ`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => r.gini),
          meanSeries(`${m} λ̃`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => r.giniPhantom, PHANTOM_DASH),
        ])),
      }),
    });
    if (st === 'branch') {
      out.push({
        file: 'ratio-branch.svg', structure: st, group: 'training',
        caption: '‖v_hard‖/‖v_easy‖ at θ (solid) and at θ̃ (dashed): the ascent shrinks the easy branch\'s last-layer weight (mechanism 2).',
        svg: lineChart({
          title: '‖v_hard‖ / ‖v_easy‖: real (solid) and phantom (dashed)', xLabel: 'step + 1', yLabel: 'ratio', xLog: true,
          series: present(main.flatMap((m) => [
            meanSeries(`${m} v`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => r.ratio),
            meanSeries(`${m} ṽ`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => r.ratioPhantom, PHANTOM_DASH),
          ])),
        }),
      });
      out.push({
        file: 'effective-lr-branch.svg', structure: st, group: 'training',
        caption: 'Effective learning rate of each branch\'s extractor as the update applies it: η‖v_k‖ for SGD, η‖ṽ_k‖ for SAM and LSAM; hard branch solid, easy dotted.',
        svg: lineChart({
          title: 'effective learning rate η·‖v_k‖ as used', xLabel: 'step + 1', yLabel: 'η·‖v_k‖', xLog: true, yLog: true,
          series: present(main.flatMap((m) => {
            const used = (r: RunRecord, k: 'easy' | 'hard') => {
              const e = r.effectiveLr!;
              return e.used === 'phantom' ? (k === 'easy' ? e.easyPhantom : e.hardPhantom) : (k === 'easy' ? e.easy : e.hard);
            };
            return [
              meanSeries(`${m} hard`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => used(r, 'hard'), FEATURE_DASH.hard),
              meanSeries(`${m} easy`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => used(r, 'easy'), FEATURE_DASH.easy),
            ];
          })),
        }),
      });
    }
    const labels = [...new Set(runsOf(records, st, 'sgd').concat(runsOf(records, st, 'sam')).flatMap((r) => r.lorenz.map((l) => l.label)))];
    for (const label of labels) {
      const curve = (m: Method, phantom: boolean): Series | null => {
        const runs = runsOf(records, st, m).map((r) => r.lorenz.find((l) => l.label === label)).filter((l) => l !== undefined);
        if (!runs.length) return null;
        const x = (phantom ? runs[0].phantom : runs[0].real).x;
        const y = x.map((_, i) => runs.reduce((s, l) => s + (phantom ? l.phantom : l.real).y[i], 0) / runs.length);
        return { name: `${m} ${phantom ? 'λ̃ (θ̃)' : 'λ (θ)'}`, color: METHOD_COLORS[m], dash: phantom ? PHANTOM_DASH : LINE.real, points: x.map((xv, i) => [xv, y[i]]) };
      };
      const slug = label.replace(/[^a-z0-9.]+/gi, '-').replace(/-+$/, '');
      out.push({
        file: `lorenz-${st}-${slug}.svg`, structure: st, group: 'lorenz',
        caption: `${st}, ${label}: Lorenz curves of λ (solid) and λ̃ (dashed), mean over seeds${label.startsWith('loss') ? ' (each run at its first recorded step at or below the level)' : ''}. The diagonal is uniform weighting.`,
        svg: lineChart({
          title: `Lorenz curves at ${label} (${st})`, xLabel: 'fraction of examples (sorted by weight)', yLabel: 'cumulative share of weight',
          xRange: [0, 1], yRange: [0, 1],
          series: present([
            { name: 'uniform', color: REFERENCE_COLOR, dash: LINE.reference, points: [[0, 0], [1, 1]] },
            ...main.flatMap((m) => [curve(m, false), m === 'sgd' ? null : curve(m, true)]),
          ]),
        }),
      });
    }
  }
  return out;
}

const fmt2 = (v: number) => v.toFixed(2);

/**
 * The key comparison in words, from the summary rows: at each matched loss level, SAM's (and
 * LSAM's) λ̃ against SGD's λ, and within SAM λ̃ against its own λ at the same checkpoint.
 */
export function keyComparison(rows: SummaryRow[], structure: Structure): { lead: string; levels: string[]; tail: string } | null {
  const row = (m: Method) => rows.find((r) => r.structure === structure && r.method === m);
  const sgd = row('sgd');
  const sam = row('sam');
  if (!sgd || !sam) return null;
  const parts: string[] = [];
  let lower = 0;
  let compared = 0;
  sgd.matched.forEach((g, i) => {
    const s = sam.matched[i];
    if (!g?.reached || !s?.reached) return;
    compared++;
    if (s.giniPhantom.mean < g.gini.mean) lower++;
    const l = row('lsam')?.matched[i];
    parts.push(`loss ≤ ${g.level}: SAM's λ̃ ${fmt2(s.giniPhantom.mean)}${l?.reached ? `, LSAM's λ̃ ${fmt2(l.giniPhantom.mean)}` : ''} vs SGD's λ ${fmt2(g.gini.mean)}`);
  });
  if (!compared) return { lead: `No matched loss level was reached by both SGD and SAM (${structure}).`, levels: [], tail: '' };
  const within = sam.matched.filter((m) => m.reached);
  const evener = within.filter((m) => m.giniPhantom.mean < m.gini.mean).length;
  return {
    lead: `${structure}: at matched training loss, SAM's descent weights λ̃ are ${lower === compared ? 'more even (lower Gini) than' : lower === 0 ? 'not more even than' : `more even than, at ${lower} of ${compared} levels,`} the weights SGD trains with, λ. Gini, mean over seeds:`,
    levels: parts,
    tail: `At the same checkpoint, SAM's λ̃ is more even than its own λ at ${evener} of ${within.length} levels. ` +
      `At the final step instead (SAM's λ̃ ${fmt2(sam.giniPhantom.mean)}, SGD's λ ${fmt2(sgd.gini.mean)}) the comparison mixes in how far each run has driven its loss down.`,
  };
}

function keyComparisonHtml(rows: SummaryRow[], structure: Structure): string {
  const k = keyComparison(rows, structure);
  if (!k) return '';
  return `<div><p>${escapeXml(k.lead)}</p>${k.levels.length ? `<ul>${k.levels.map((l) => `<li>${escapeXml(l)}</li>`).join('')}</ul>` : ''}<p>${escapeXml(k.tail)}</p></div>`;
}

const pm = (s: Stat | null, digits = 3) => (s === null || !Number.isFinite(s.mean) ? '–' : `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`);

export function summaryTableHtml(rows: SummaryRow[]): string {
  const head = ['structure', 'method', 'ρ', 'seeds', 'easy probe acc', 'hard probe acc', 'hard gain vs SGD', 'share of SAM gain', 'final Gini λ (θ)', 'final Gini λ̃ (θ̃)', '‖v_h‖/‖v_e‖ θ', '‖v_h‖/‖v_e‖ θ̃', 'final loss'];
  const body = rows.map((r) => [
    r.structure, r.method, r.method === 'sgd' ? '–' : String(r.rho), String(r.seeds), pm(r.probeEasy), pm(r.probeHard), pm(r.hardGainOverSgd),
    r.shareOfSamGain === null ? '–' : r.shareOfSamGain.toFixed(2), pm(r.gini), pm(r.giniPhantom), pm(r.ratio), pm(r.ratioPhantom),
    `${r.finalLoss.mean.toExponential(1)}`,
  ]);
  return table(head, body);
}

export function matchedTableHtml(rows: SummaryRow[]): string {
  const levels = rows[0]?.matched.map((m) => m.level) ?? [];
  const head = ['structure', 'method', ...levels.flatMap((l) => [`loss ≤ ${l}: step`, `Gini λ`, `Gini λ̃`])];
  const body = rows.map((r) => [r.structure, r.method, ...r.matched.flatMap((m) => m.reached ? [`${m.step.mean.toFixed(0)} (${m.reached})`, pm(m.gini, 2), pm(m.giniPhantom, 2)] : ['not reached', '–', '–'])]);
  return table(head, body);
}

function table(head: string[], body: string[][]): string {
  return `<div class="scroll"><table>\n<tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>\n${body.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('\n')}\n</table></div>`;
}

const figureHtml = (f: Figure) => `<figure><img src="${f.file}" alt="${escapeXml(f.caption)}"><figcaption>${escapeXml(f.caption)}</figcaption></figure>`;

const PAGE_CSS = `body{font-family:Helvetica,Arial,sans-serif;max-width:1400px;margin:24px auto;padding:0 16px;color:#222;line-height:1.4}
h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
.scroll{overflow-x:auto;margin:8px 0 20px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right;white-space:nowrap}th{background:#f3f3f3}
td:first-child,td:nth-child(2){text-align:left}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px 20px}
.grid.small{grid-template-columns:repeat(auto-fill,minmax(360px,1fr))}
.key{display:grid;grid-template-columns:minmax(0,620px) minmax(260px,1fr);gap:20px;align-items:center;margin:12px 0}
@media (max-width:1000px){.key{grid-template-columns:1fr}}
.key p,.key li{font-size:15px;margin:0 0 6px}
figure{margin:0}figure img{width:100%;height:auto;display:block}figcaption{font-size:12px;color:#444;margin-top:2px}
code{background:#f5f5f5;padding:1px 3px}`;

export function indexHtml(cfg: ToyConfig, rows: SummaryRow[], figs: Figure[], meta: { wallSeconds: number; device: string; date: string }): string {
  const d = cfg.data;
  const structures = [...new Set(figs.map((f) => f.structure))];
  const of = (st: Structure, group: Figure['group']) => figs.filter((f) => f.structure === st && f.group === group);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>samgpu toy: SAM balances feature learning</title>
<style>${PAGE_CSS}</style></head><body>
<h1>Two-feature toy: SAM vs SGD feature learning</h1>
<p>Data: n = ${d.n}, easy feature ${escapeXml(d.easy.kind)} in ℝ<sup>${d.easy.dim}</sup> (mean ${d.easy.mean}, std ${d.easy.std}, min margin ${d.easy.minMargin}),
hard feature ${escapeXml(d.hard.kind)} in ℝ<sup>${d.hard.dim}</sup> (mean ${d.hard.mean}, std ${d.hard.std}, min margin ${d.hard.minMargin}); probes fitted on ${d.probeFit} and tested on ${d.probeTest}
decorrelated examples (independent easy/hard labels), L2 ${cfg.probe.l2}. Training: full-batch, lr ${cfg.train.lr}, ${cfg.train.steps} steps, ρ(SAM) = ${cfg.train.rho.sam}, ρ(LSAM) = ${cfg.train.rho.lsam}.
Run on ${escapeXml(meta.device)} in ${meta.wallSeconds.toFixed(1)} s (${escapeXml(meta.date)}). Raw records: <a href="runs.json">runs.json</a>, summary: <a href="summary.json">summary.json</a>.
In every figure: ${escapeXml(LINE_STYLE_NOTE)}; one colour per method.</p>
<h2>The key comparison: SAM's λ̃ vs SGD's λ at matched training loss</h2>
<p>λᵢ = σ(−yᵢ f(xᵢ)) is example i's weight in the gradient. SAM descends with the weights λ̃ of its phantom point θ̃; the claim is that they are more even (lower Gini) than the weights SGD trains with.
The fair comparison is at the same training loss: once the loss is near zero every run's weights concentrate on the last hard examples.</p>
${structures.map((st) => of(st, 'key').map((f) => `<div class="key">${figureHtml(f)}${keyComparisonHtml(rows, st)}</div>`).join('\n')).join('\n')}
<h2>Final checkpoint (mean ± sd over seeds)</h2>
<p>"hard gain vs SGD" pairs runs by seed; "share of SAM gain" = that gain / SAM's gain (same structure). phantom-weights: SGD with SAM's phantom importance weights λ̃ and the real network;
phantom-head: SGD with real λ but the extractor gradient through the phantom last layer ṽ; phantom-both: both. Probe accuracies are on the decorrelated probe set (chance ${CHANCE}).</p>
${summaryTableHtml(rows)}
<h2>Importance weights at matched training loss</h2>
<p>Across methods λ is compared at matched loss (the first recorded step at or below each level), not at the final step. Within a method, λ̃ (θ̃) and λ (θ) are at the same step.</p>
${matchedTableHtml(rows)}
${structures.map((st) => `<h2>Training curves (${escapeXml(st)})</h2>\n<div class="grid">\n${of(st, 'training').map(figureHtml).join('\n')}\n</div>\n<h2>Lorenz curves (${escapeXml(st)})</h2>\n<div class="grid small">\n${of(st, 'lorenz').map(figureHtml).join('\n')}\n</div>`).join('\n')}
</body></html>
`;
}
