// `samgpu report <dir>`: one self-contained report.html (SVGs inlined and also written beside
// it) from the finished runs under <dir> (a sweep folder, or a folder of runs).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SamgpuError } from '../../engine/device/errors.ts';
import { lineChart, escapeXml, type Series } from '../svg.ts';
import type { EpochMetrics, FinalResult } from '../runner/train.ts';
import { writeAtomic } from '../runner/files.node.ts';
import { aggregate, datasetLabeler, type Stat } from './aggregate.ts';
import { domainbedTransferSection } from './paper-reference.ts';

const COLORS: Record<string, string> = { sgd: '#1f77b4', sam: '#d62728', lsam: '#2ca02c', asam: '#9467bd' };

export interface LoadedRun {
  dir: string;
  final: FinalResult;
  metrics: EpochMetrics[];
}

/** Finished runs: every folder (up to three levels down) that holds a final.json. */
export function loadRuns(dir: string): LoadedRun[] {
  if (!existsSync(dir)) throw new SamgpuError(`report: ${dir} does not exist`);
  const out: LoadedRun[] = [];
  const visit = (d: string, depth: number) => {
    const f = join(d, 'final.json');
    if (existsSync(f)) {
      const final = JSON.parse(readFileSync(f, 'utf8')) as FinalResult;
      out.push({ dir: d, final, metrics: final.metrics });
      return;
    }
    if (depth === 0) return;
    for (const e of readdirSync(d).sort()) if (statSync(join(d, e)).isDirectory()) visit(join(d, e), depth - 1);
  };
  visit(dir, 3);
  return out;
}

/** A dataset label as a file name: "domainbed (testDomain=art)" → "domainbed-testDomain-art". */
const slug = (label: string) => label.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
const pm = (s: Stat) => (Number.isFinite(s.mean) ? `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}` : '–');

export function buildReport(dir: string, runs: LoadedRun[], extraSections: string[] = []): { html: string; svgs: Map<string, string> } {
  const { rows, rho, claims } = aggregate(runs.map((r) => r.final));
  const label = datasetLabeler(runs.map((r) => r.final));
  const svgs = new Map<string, string>();
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  for (const ds of datasets) {
    // training curves: mean train loss per epoch, per optimizer at its chosen hyper-parameters
    const chosen = rows.filter((r) => r.dataset === ds);
    const series: Series[] = [];
    for (const r of chosen) {
      const rs = runs.filter((x) => label(x.final) === ds && x.final.config.optimizer.name === r.optimizer && x.final.config.optimizer.lr === r.lr && (r.optimizer === 'sgd' || x.final.config.optimizer.rho === r.rho));
      const epochs = Math.max(...rs.map((x) => x.metrics.length));
      const pts: [number, number][] = [];
      for (let e = 0; e < epochs; e++) {
        const v = rs.map((x) => x.metrics[e]?.trainLoss).filter((v): v is number => v !== undefined);
        pts.push([e + 1, v.reduce((a, b) => a + b, 0) / v.length]);
      }
      series.push({ name: r.optimizer.toUpperCase(), color: COLORS[r.optimizer] ?? '#555', points: pts });
    }
    svgs.set(`${slug(ds)}-train-loss.svg`, lineChart({ title: `${ds}: training loss`, xLabel: 'epoch', yLabel: 'train loss (mean over seeds)', series, yLog: true }));
    // Lorenz curves of the importance weights (last batch of the last epoch, mean over seeds)
    const withWeights = chosen.filter((r) => r.importance);
    if (withWeights.length) {
      const curve = (ys: number[]): [number, number][] => ys.map((y, i) => [i / (ys.length - 1), y]);
      const ls: Series[] = [{ name: 'uniform', color: '#999', dash: '2 3', points: [[0, 0], [1, 1]] }];
      for (const r of withWeights) {
        const imp = r.importance!;
        ls.push({ name: `${r.optimizer.toUpperCase()} λ, Gini ${imp.gini.mean.toFixed(2)}`, color: COLORS[r.optimizer] ?? '#555', dash: imp.lorenzPhantom ? '6 4' : undefined, points: curve(imp.lorenz) });
        if (imp.lorenzPhantom) ls.push({ name: `${r.optimizer.toUpperCase()} λ̃, Gini ${imp.giniPhantom!.mean.toFixed(2)}`, color: COLORS[r.optimizer] ?? '#555', points: curve(imp.lorenzPhantom) });
      }
      svgs.set(`${slug(ds)}-lorenz.svg`, lineChart({ title: `${ds}: Lorenz curves of λ = 1 − p(y|x)`, xLabel: 'share of the last batch (λ̃: at θ̃), smallest first', yLabel: 'share of the total weight', series: ls }));
    }
    const rp = rho.filter((p) => p.dataset === ds);
    if (new Set(rp.map((p) => p.rho)).size >= 2) {
      const s: Series[] = [];
      for (const opt of [...new Set(rp.map((p) => p.optimizer))]) {
        for (const feat of ['easy', 'hard'] as const) {
          const pts = rp.filter((p) => p.optimizer === opt).sort((a, b) => a.rho - b.rho);
          s.push({
            name: `${opt.toUpperCase()} ${feat}`,
            color: COLORS[opt] ?? '#555',
            dash: feat === 'easy' ? '6 4' : undefined,
            points: pts.map((p) => [p.rho, p[`${feat}Error`].mean]),
            band: pts.map((p) => [p.rho, p[`${feat}Error`].mean - p[`${feat}Error`].sd, p[`${feat}Error`].mean + p[`${feat}Error`].sd]),
          });
        }
      }
      const sgd = chosen.find((r) => r.optimizer === 'sgd');
      if (sgd) {
        const xs = rp.map((p) => p.rho);
        const span: [number, number] = [Math.min(...xs), Math.max(...xs)];
        s.push({ name: 'SGD easy', color: COLORS.sgd, dash: '6 4', points: span.map((x) => [x, sgd.easyError.mean] as [number, number]) });
        s.push({ name: 'SGD hard', color: COLORS.sgd, points: span.map((x) => [x, sgd.hardError.mean] as [number, number]) });
      }
      svgs.set(`${slug(ds)}-probe-vs-rho.svg`, lineChart({ title: `${ds}: probe error vs ρ`, xLabel: 'ρ', yLabel: 'probe error (balanced test set)', series: s }));
    }
  }
  const table = `<table><thead><tr><th>dataset</th><th>optimizer</th><th>lr</th><th>ρ</th><th>seeds</th><th>easy-feature probe error</th><th>hard-feature probe error</th><th>val acc</th><th>test acc</th><th>in-distribution acc</th><th>worst-group acc</th></tr></thead><tbody>
${rows.map((r) => `<tr><td>${escapeXml(r.dataset)}</td><td>${r.optimizer.toUpperCase()}</td><td>${r.lr}</td><td>${r.optimizer === 'sgd' ? '–' : r.rho}</td><td>${r.seeds.length}</td><td>${pm(r.easyError)}</td><td>${pm(r.hardError)}</td><td>${pm(r.valAcc)}</td><td>${pm(r.testAcc)}</td><td>${pm(r.inDistAcc)}</td><td>${pm(r.worstGroupAcc)}</td></tr>`).join('\n')}
</tbody></table>${rows.some((r) => r.unconvergedProbes)
    ? `<p class="detail">Probe fits that stopped before their tolerance (their errors are of unfinished fits): ${rows.filter((r) => r.unconvergedProbes).map((r) => `${escapeXml(r.dataset)} ${r.optimizer.toUpperCase()} ${r.unconvergedProbes} of ${2 * r.seeds.length}`).join('; ')}.</p>`
    : ''}`;
  const claimList = claims.length
    ? `<ul>${claims.map((c) => `<li><b>${c.supported === true ? '✔ supported' : c.supported === false ? '✘ not supported' : '? inconclusive'}</b> (${escapeXml(c.dataset)}): ${escapeXml(c.claim)}. <span class="detail">${escapeXml(c.detail)}</span></li>`).join('\n')}</ul>`
    : '<p>No dataset has both SGD and SAM runs yet.</p>';
  const figures = [...svgs].map(([name, svg]) => `<figure>${svg}<figcaption><a href="${name}">${name}</a></figcaption></figure>`).join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>samgpu report: ${escapeXml(dir)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1300px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; } td { white-space: nowrap; }
th { background: #f3f3f3; } td:first-child, td:nth-child(2) { text-align: left; }
figure { display: inline-block; margin: 0.5em; } figcaption { font-size: 12px; color: #666; }
.detail { color: #555; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; }
</style></head><body>
<h1>SGD vs SAM: feature quality via linear probes</h1>
<p>${runs.length} finished runs under <code>${escapeXml(dir)}</code>. For each optimizer the learning rate and ρ are chosen on validation accuracy; errors are mean ± sd over seeds, probes fit on the group-balanced validation split (L2 chosen on a held-out half) and scored on the balanced test split.</p>
<h2>The paper's claims, as these runs see them</h2>
${claimList}
<h2>Probe errors per feature</h2>
${table}
<h2>Figures</h2>
${figures}
${[domainbedTransferSection(runs.map((r) => r.final)), ...extraSections].join('\n')}
<p class="detail">Written by <code>samgpu report</code> on ${new Date().toISOString()}.</p>
</body></html>
`;
  return { html, svgs };
}

/** Write report.html and the SVGs into `dir`; returns the report's path. */
export function writeReport(dir: string, extraSections: string[] = []): string {
  const runs = loadRuns(dir);
  if (!runs.length) throw new SamgpuError(`report: no finished runs (final.json) under ${dir}`);
  const { html, svgs } = buildReport(dir, runs, extraSections);
  for (const [name, svg] of svgs) writeAtomic(join(dir, name), svg);
  const path = join(dir, 'report.html');
  writeAtomic(path, html);
  return path;
}
