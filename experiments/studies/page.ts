// A study's page: what was asked and how it was run, each finding with its interval, n and
// verdict, the per-seed values behind them, what was chosen on the selection split, then the
// study's own tables and figures. Pure (HTML text); study.node.ts writes it.
import { escapeXml } from '../svg.ts';
import { forestPlot } from '../report/forest.ts';
import { formatInterval } from '../stats/paired.ts';
import type { Finding, Selection, Study, StudyResult } from './study.ts';

export const VERDICT_COLORS = { supported: '#2a7d2a', contradicted: '#b22222', inconclusive: '#8a6d00', estimate: '#1f4e99' } as const;

export interface FindingsFile {
  study: string;
  title: string;
  budget: string;
  command: string;
  adapter: string;
  finished: string;
  runSeconds: number;
  wallSeconds: number;
  questions: { id: string; text: string }[];
  findings: Finding[];
  selection: Selection | null;
}

export const STUDY_CSS = `
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; vertical-align: top; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; } td.num { white-space: nowrap; }
th.q { background: #e8eef6; font-weight: normal; font-style: italic; }
figure { display: inline-block; margin: 0.5em; max-width: 100%; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #666; max-width: 760px; }
.detail { color: #555; font-size: 14px; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.verdict { font-weight: bold; white-space: nowrap; }
`;

const verdictCell = (f: Finding) => {
  const v = f.verdict ?? 'estimate';
  return `<td class="l verdict" style="color:${VERDICT_COLORS[v]}">${v}</td>`;
};

/** The findings under their questions (in the study's order), one row per claim. */
export function findingsTable(findings: Finding[], questions: { id: string; text: string }[]): string {
  const known = new Set(questions.map((x) => x.id));
  const groups = [...questions, ...[...new Set(findings.map((f) => f.question))].filter((id) => !known.has(id)).map((id) => ({ id, text: id }))];
  const row = (f: Finding) => `<tr><td class="l">${escapeXml(f.claim)}${f.note ? `<div class="detail">${escapeXml(f.note)}</div>` : ''}</td><td class="l">${escapeXml(f.statistic)}</td><td class="num">${escapeXml(formatInterval({ ...f, sd: NaN, level: 0.95 }))}</td>${verdictCell(f)}</tr>`;
  const body = groups.flatMap((g) => {
    const rows = findings.filter((f) => f.question === g.id);
    return rows.length ? [`<tr><th class="l q" colspan="4">${escapeXml(g.text)}</th></tr>`, ...rows.map(row)] : [];
  });
  return `<table><thead><tr><th class="l">claim</th><th class="l">statistic (per-seed differences)</th><th>mean [95% interval], n</th><th class="l">verdict</th></tr></thead><tbody>
${body.join('\n')}
</tbody></table>`;
}

export function selectionTable(sel: Selection | null): string {
  if (!sel || !sel.candidates.length) return '';
  return `<h2>Hyper-parameters chosen on the selection split</h2>
<p class="detail">Criterion: ${escapeXml(sel.criterion)}. The reported seeds never took part in the choice.</p>
<table><thead><tr><th class="l">arm</th><th class="l">values</th><th>score (lower is better)</th><th class="l">selection seeds</th><th class="l">chosen</th></tr></thead><tbody>
${sel.candidates.map((c) => `<tr><td class="l">${escapeXml(c.arm)}</td><td class="l">${escapeXml(Object.entries(c.values).map(([k, v]) => `${k} = ${String(v)}`).join(', ') || '–')}</td><td class="num">${Number.isFinite(c.score) ? c.score.toFixed(4) : '–'}</td><td class="l">${c.seeds.join(', ')}</td><td class="l">${c.chosen ? '✔' : ''}</td></tr>`).join('\n')}
</tbody></table>`;
}

export function studyPage(study: Study, f: FindingsFile, result: StudyResult): string {
  const forest = result.findings.length
    ? forestPlot({
        title: 'Each finding: per-seed values (circles), mean (tick) and 95% interval (bar)',
        xLabel: 'statistic (see the table; 0 = no effect)',
        rows: result.findings.map((x) => ({ label: x.statistic.length > 46 ? `${x.statistic.slice(0, 45)}…` : x.statistic, values: x.values, mean: x.mean, lo: x.lo, hi: x.hi, color: VERDICT_COLORS[x.verdict ?? 'estimate'] })),
      })
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeXml(study.title)}</title>
<style>${STUDY_CSS}</style></head><body>
<h1>${escapeXml(study.title)}</h1>
<p>${escapeXml(study.abstract)}</p>
<p class="detail">Budget <b>${escapeXml(f.budget)}</b>: ${escapeXml(study.budgets[f.budget]?.description ?? '')}<br>
Reproduce: <code>${escapeXml(f.command)}</code> · adapter: ${escapeXml(f.adapter)} · finished ${escapeXml(f.finished)} · runs took ${(f.runSeconds / 60).toFixed(1)} min, the sweep ${(f.wallSeconds / 60).toFixed(1)} min of wall time.<br>
Verdicts: <i>supported</i> when the 95% interval of the per-seed differences excludes 0 on the side the claim predicts, <i>contradicted</i> when it excludes 0 on the other side, else <i>inconclusive</i> (always with fewer than 3 seeds).</p>
<h2>Findings</h2>
${findingsTable(result.findings, study.questions)}
<figure>${forest}</figure>
${selectionTable(f.selection)}
${result.sections.join('\n')}
<p class="detail">Written by <code>samgpu study</code> from the runs' results files; <code>findings.json</code> beside this page holds the same numbers.</p>
</body></html>
`;
}
