// The toy's figures (SVG strings) and the HTML page that gathers them with the results tables.
import { meanSd } from '../metrics.ts';
import { escapeXml, lineChart, type Series } from '../svg.ts';
import type { Method, Structure, ToyConfig } from './config.ts';
import type { RunRecord, Stat, SummaryRow } from './summary.ts';

export const METHOD_COLORS: Record<Method, string> = {
  sgd: '#4e79a7', sam: '#e15759', lsam: '#f28e2b',
  'phantom-weights': '#59a14f', 'phantom-head': '#b07aa1', 'phantom-both': '#76b7b2',
};
const PHANTOM_DASH = '6 4';

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
}

export function figures(cfg: ToyConfig, records: RunRecord[]): Figure[] {
  const out: Figure[] = [];
  const structures = [...new Set(records.map((r) => r.structure))];
  const methodsOf = (s: Structure) => [...new Set(records.filter((r) => r.structure === s).map((r) => r.method))];
  const steps1 = (r: RunRecord) => r.steps.map((s) => s + 1);
  for (const st of structures) {
    const methods = methodsOf(st);
    for (const feature of ['hard', 'easy'] as const) {
      out.push({
        file: `probe-${feature}-${st}.svg`,
        caption: `${st}: linear-probe test accuracy of the ${feature} feature on the decorrelated probe set (mean ± sd over seeds).`,
        svg: lineChart({
          title: `${feature} feature probe accuracy (${st})`, xLabel: 'training step + 1', yLabel: 'probe test accuracy', xLog: true,
          series: present(methods.map((m) => meanSeries(m, METHOD_COLORS[m], runsOf(records, st, m), (r) => r.probe.steps.map((s) => s + 1), (r) => r.probe[feature]))),
        }),
      });
    }
    out.push({
      file: `loss-${st}.svg`,
      caption: `${st}: training loss at θ (solid) and at the phantom θ̃ (dashed); x is step + 1.`,
      svg: lineChart({
        title: `training loss (${st})`, xLabel: 'step + 1', yLabel: 'mean logistic loss', xLog: true, yLog: true,
        series: present(methods.flatMap((m) => [
          meanSeries(m, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => r.loss),
          ['sam', 'lsam'].includes(m) ? { ...meanSeries(`${m} θ̃`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => r.lossPhantom, PHANTOM_DASH)!, hideLegend: true } : null,
        ])),
      }),
    });
    const main = methods.filter((m) => m === 'sgd' || m === 'sam' || m === 'lsam');
    out.push({
      file: `gini-${st}.svg`,
      caption: `${st}: Gini of the importance weights λ at θ (solid) and λ̃ at θ̃ (dashed; for SGD the phantom is SAM's ascent from SGD's θ, never used by SGD).`,
      svg: lineChart({
        title: `Gini of λ (solid) and λ̃ (dashed) (${st})`, xLabel: 'step + 1', yLabel: 'Gini', xLog: true, yRange: [0, 1],
        series: present(main.flatMap((m) => [
          meanSeries(`${m} λ`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => r.gini),
          meanSeries(`${m} λ̃`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => r.giniPhantom, PHANTOM_DASH),
        ])),
      }),
    });
    const labels = [...new Set(runsOf(records, st, 'sgd').concat(runsOf(records, st, 'sam')).flatMap((r) => r.lorenz.map((l) => l.label)))];
    for (const label of labels) {
      const curve = (m: Method, phantom: boolean): Series | null => {
        const runs = runsOf(records, st, m).map((r) => r.lorenz.find((l) => l.label === label)).filter((l) => l !== undefined);
        if (!runs.length) return null;
        const x = (phantom ? runs[0].phantom : runs[0].real).x;
        const y = x.map((_, i) => runs.reduce((s, l) => s + (phantom ? l.phantom : l.real).y[i], 0) / runs.length);
        return { name: `${m} ${phantom ? 'λ̃ (θ̃)' : 'λ (θ)'}`, color: METHOD_COLORS[m], dash: phantom ? PHANTOM_DASH : undefined, points: x.map((xv, i) => [xv, y[i]]) };
      };
      const slug = label.replace(/[^a-z0-9.]+/gi, '-').replace(/-+$/, '');
      out.push({
        file: `lorenz-${st}-${slug}.svg`,
        caption: `${st}: Lorenz curves of λ (solid) and λ̃ (dashed) at ${label} (mean over seeds; at a matched loss each run contributes its first recorded step at or below the level). The diagonal is uniform weighting.`,
        svg: lineChart({
          title: `Lorenz curves at ${label} (${st})`, xLabel: 'fraction of examples (sorted by weight)', yLabel: 'cumulative share of weight',
          xRange: [0, 1], yRange: [0, 1],
          series: present([
            { name: 'uniform', color: '#999', dash: '2 3', points: [[0, 0], [1, 1]] },
            ...main.flatMap((m) => [curve(m, false), m === 'sgd' ? null : curve(m, true)]),
          ]),
        }),
      });
    }
    if (st !== 'branch') continue;
    out.push({
      file: 'ratio-branch.svg',
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
      file: 'effective-lr-branch.svg',
      caption: 'Effective learning rate of each branch\'s extractor as the update applies it: η‖v_k‖ for SGD, η‖ṽ_k‖ for SAM and LSAM; hard branch solid, easy dashed.',
      svg: lineChart({
        title: 'effective learning rate η·‖v_k‖ as used', xLabel: 'step + 1', yLabel: 'η·‖v_k‖', xLog: true, yLog: true,
        series: present(main.flatMap((m) => {
          const used = (r: RunRecord, k: 'easy' | 'hard') => {
            const e = r.effectiveLr!;
            return e.used === 'phantom' ? (k === 'easy' ? e.easyPhantom : e.hardPhantom) : (k === 'easy' ? e.easy : e.hard);
          };
          return [
            meanSeries(`${m} hard`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => used(r, 'hard')),
            meanSeries(`${m} easy`, METHOD_COLORS[m], runsOf(records, st, m), steps1, (r) => used(r, 'easy'), PHANTOM_DASH),
          ];
        })),
      }),
    });
  }
  return out;
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
  return `<table>\n<tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>\n${body.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`).join('\n')}\n</table>`;
}

export function indexHtml(cfg: ToyConfig, rows: SummaryRow[], figs: Figure[], meta: { wallSeconds: number; device: string; date: string }): string {
  const d = cfg.data;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>samgpu toy: SAM balances feature learning</title>
<style>body{font-family:Helvetica,Arial,sans-serif;max-width:1300px;margin:24px auto;padding:0 16px;color:#222}
table{border-collapse:collapse;font-size:13px;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}
td:first-child,td:nth-child(2){text-align:left}figure{display:inline-block;margin:8px;vertical-align:top;max-width:640px}figcaption{font-size:12px;color:#444}
code{background:#f5f5f5;padding:1px 3px}</style></head><body>
<h1>Two-feature toy: SAM vs SGD feature learning (issue #5)</h1>
<p>Data: n = ${d.n}, easy feature ${escapeXml(d.easy.kind)} in ℝ<sup>${d.easy.dim}</sup> (mean ${d.easy.mean}, std ${d.easy.std}, min margin ${d.easy.minMargin}),
hard feature ${escapeXml(d.hard.kind)} in ℝ<sup>${d.hard.dim}</sup> (mean ${d.hard.mean}, std ${d.hard.std}, min margin ${d.hard.minMargin}); probes fitted on ${d.probeFit} and tested on ${d.probeTest}
decorrelated examples (independent easy/hard labels), L2 ${cfg.probe.l2}. Training: full-batch, lr ${cfg.train.lr}, ${cfg.train.steps} steps, ρ(SAM) = ${cfg.train.rho.sam}, ρ(LSAM) = ${cfg.train.rho.lsam}.
Run on ${escapeXml(meta.device)} in ${meta.wallSeconds.toFixed(1)} s (${escapeXml(meta.date)}). Raw records: <a href="runs.json">runs.json</a>, summary: <a href="summary.json">summary.json</a>.</p>
<h2>Final checkpoint (mean ± sd over seeds)</h2>
<p>"hard gain vs SGD" pairs runs by seed; "share of SAM gain" = that gain / SAM's gain (same structure). phantom-weights: SGD with SAM's phantom importance weights λ̃ and the real network;
phantom-head: SGD with real λ but the extractor gradient through the phantom last layer ṽ; phantom-both: both.</p>
${summaryTableHtml(rows)}
<h2>Importance weights at matched training loss</h2>
<p>Across methods λ is compared at matched loss (the first recorded step at or below each level), not at the final step. Within a method, λ̃ (θ̃) and λ (θ) are at the same step.</p>
${matchedTableHtml(rows)}
<h2>Figures</h2>
${figs.map((f) => `<figure><img src="${f.file}" alt="${escapeXml(f.caption)}"><figcaption>${escapeXml(f.caption)}</figcaption></figure>`).join('\n')}
</body></html>
`;
}
