// docs/FINDINGS.md from the studies' findings.json files: for each study the question, the
// command, each answer with its interval, n and verdict, and where and when it was run. Never
// typed by hand: `npm run study -- findings` regenerates it.
import type { FindingsFile } from './page.ts';

const num = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}` : '–');

export function findingsMarkdown(files: { path: string; findings: FindingsFile }[]): string {
  const out: string[] = [
    '# Findings',
    '',
    'What the studies measured, regenerated from their `findings.json` files by `npm run study -- findings` (never edited by hand).',
    'Each statistic is a mean over seeds of per-seed paired differences with its 95% Student-t interval; a claim is *supported* when the',
    'interval excludes 0 on the side it predicts, *contradicted* when it excludes 0 on the other side, else *inconclusive* (always with fewer than 3 seeds).',
    'Costs are measured where each study ran (the adapter named): the runs\' own clocks summed, and the sweep\'s wall time. No GPU has run the',
    'bench yet (`bash bench/gpu.sh` measures the step times a GPU estimate would scale by), so no study states a GPU time.',
    '',
  ];
  const sorted = [...files].sort((a, b) => a.findings.study.localeCompare(b.findings.study) || a.findings.budget.localeCompare(b.findings.budget));
  for (const { path, findings: f } of sorted) {
    out.push(`## ${f.title}`, '');
    out.push(`- study \`${f.study}\`, budget \`${f.budget}\`; reproduce with \`${f.command}\``);
    out.push(`- run on ${f.adapter}, finished ${f.finished}; the runs took ${(f.runSeconds / 3600).toFixed(2)} h of their own clocks, the sweep ${(f.wallSeconds / 3600).toFixed(2)} h of wall time (while any of its runs ran)`);
    out.push(`- source: \`${path}\``, '');
    for (const q of f.questions) {
      const rows = f.findings.filter((x) => x.question === q.id);
      if (!rows.length) continue;
      out.push(`**${q.text}**`, '', '| claim | statistic | mean | 95% interval | n | verdict |', '|---|---|---|---|---|---|');
      for (const x of rows) {
        out.push(`| ${x.claim}${x.note ? ` (${x.note})` : ''} | ${x.statistic} | ${num(x.mean)} | ${Number.isFinite(x.lo) ? `[${num(x.lo)}, ${num(x.hi)}]` : '–'} | ${x.n} | ${x.verdict ?? 'estimate'} |`);
      }
      out.push('');
    }
    if (f.selection?.candidates.length) {
      const chosen = Object.entries(f.selection.chosen).map(([arm, v]) => `${arm}: ${Object.entries(v).map(([k, val]) => `${k} = ${String(val)}`).join(', ')}`).join('; ');
      out.push(`Chosen on the selection split (${f.selection.criterion}): ${chosen}.`, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}
