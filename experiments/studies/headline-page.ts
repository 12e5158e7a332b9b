// The headline study's tables and figures: probe errors per arm beside the untrained and oracle
// references (per-seed points, 95% intervals, chance), the splits each number is on, training
// curves, and the importance weights on the fixed evaluation set (Lorenz curves at the last
// checkpoint, Gini against the training loss so optimizers compare at matched loss).
import { escapeXml, lineChart, type Series } from '../svg.ts';
import { forestPlot, type ForestRow } from '../report/forest.ts';
import type { FinalResult } from '../runner/types.ts';
import { summarize, METRICS, type Metric } from './compare.ts';
import type { Finding, StudyContext } from './study.ts';

import { ARM_COLORS, LINE, OTHER_COLOR, REFERENCE_COLOR } from '../chart-style.ts';

/** One visual language (chart-style.ts): λ at θ solid, λ̃ at θ̃ dashed. */
const PHANTOM_DASH = LINE.phantom;

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const pm = (runs: FinalResult[], mt: Metric) => {
  const s = summarize(runs, mt);
  return Number.isFinite(s.mean) ? `${fmt(s.mean)} ± ${fmt(s.sd)}` : '–';
};

function meanBy<T>(xs: T[], f: (x: T) => number): number {
  const v = xs.map(f).filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

export function headlineSections(ctx: StudyContext, _findings: Finding[]): { sections: string[]; files: Map<string, string> } {
  const files = new Map<string, string>();
  const arms = ctx.plan.arms;
  const runsOf = (id: string) => ctx.runs.get(id) ?? [];
  const any = arms.map((a) => runsOf(a.id)).flat()[0];
  const sections: string[] = [];
  if (!any) return { sections: ['<p>No finished runs yet.</p>'], files };
  const cfg = any.config;
  const ds = cfg.dataset.options as { sizes?: Record<string, number> } | undefined;
  const classes = 5;
  const probes = any.probes;
  // 1. The table, with chance and the splits each column is on.
  sections.push(`<h2>Probe errors and accuracies per arm</h2>
<p class="detail">Mean ± sd over seeds. Probe errors are on the decorrelated, group-balanced <b>test</b> split (${probes.testExamples} examples); the probes are fitted on the <b>probe-fit</b> part of the validation split (${probes.probeExamples} examples, ${Math.round(cfg.probe.fitShare * 100)}% of each group), L2 chosen by 2-fold cross-validation there; the remaining validation examples (${probes.valExamples ?? '–'}) are the <b>selection</b> split. Chance: probe error ${fmt(1 - 1 / classes, 2)} (${classes} balanced classes), accuracy ${fmt(1 / classes, 2)}. In-distribution accuracy weights the test split's groups by their frequency in training (fully correlated training: the groups where both halves agree). Split sizes as built: ${escapeXml(JSON.stringify(ds?.sizes ?? {}))}; ${cfg.epochs} epochs, batch ${cfg.batchSize}, lr ${cfg.optimizer.lr}, SAM ρ ${escapeXml(String(runsOf('sam')[0]?.config.optimizer.rho ?? cfg.optimizer.rho))}; probes read the ${cfg.probe.representation === 'pooled' ? 'last feature map averaged over positions (128 features)' : 'flattened penultimate features'}.</p>
<table><thead><tr><th class="l">arm</th><th>n</th><th>easy probe error</th><th>hard probe error</th><th>untrained easy</th><th>untrained hard</th><th>gain easy</th><th>gain hard</th><th>selection acc</th><th>in-distribution acc</th><th>decorrelated test acc</th><th>worst-group acc</th></tr></thead><tbody>
${arms.map((a) => { const r = runsOf(a.id); return `<tr><td class="l">${escapeXml(a.label)}</td><td>${r.length}</td><td class="num">${pm(r, METRICS.easyError)}</td><td class="num">${pm(r, METRICS.hardError)}</td><td class="num">${pm(r, METRICS.untrainedEasyError)}</td><td class="num">${pm(r, METRICS.untrainedHardError)}</td><td class="num">${pm(r, METRICS.easyGain)}</td><td class="num">${pm(r, METRICS.hardGain)}</td><td class="num">${pm(r, METRICS.selectionAcc)}</td><td class="num">${pm(r, METRICS.inDistAcc)}</td><td class="num">${pm(r, METRICS.testAcc)}</td><td class="num">${pm(r, METRICS.worstGroupAcc)}</td></tr>`; }).join('\n')}
</tbody></table>
<p class="detail">Feature gain = untrained − trained probe error of the same seed (the untrained network is that seed's initialization). Probe fits that stopped before their tolerance: ${arms.map((a) => runsOf(a.id)).flat().reduce((n, r) => n + (['easy', 'hard'] as const).filter((f) => !r.probes[f].converged).length, 0)}; L2 choices at an end of the grid: ${arms.map((a) => runsOf(a.id)).flat().reduce((n, r) => n + (['easy', 'hard'] as const).filter((f) => r.probes[f].interior === false).length, 0)}.</p>`);
  // 2. Per-seed probe errors with the references beside them.
  for (const feature of ['hard', 'easy'] as const) {
    const rows: ForestRow[] = [];
    const add = (label: string, color: string, runs: FinalResult[], mt: Metric) => {
      const s = summarize(runs, mt);
      if (s.n) rows.push({ label, values: s.values, mean: s.mean, lo: s.lo, hi: s.hi, color });
    };
    add('untrained (SGD arm\'s seeds)', ARM_COLORS.untrained, runsOf('sgd'), feature === 'hard' ? METRICS.untrainedHardError : METRICS.untrainedEasyError);
    for (const a of arms) add(a.label.length > 40 ? `${a.label.slice(0, 39)}…` : a.label, ARM_COLORS[a.id] ?? OTHER_COLOR, runsOf(a.id), feature === 'hard' ? METRICS.hardError : METRICS.easyError);
    const name = `probe-${feature}.svg`;
    files.set(name, forestPlot({ title: `${feature === 'hard' ? 'Hard (Fashion item)' : 'Easy (MNIST digit)'} feature: probe error per seed, mean and 95% interval`, xLabel: `probe error on the test split (chance ${fmt(1 - 1 / classes, 2)})`, rows }));
  }
  sections.push(`<h2>Probe errors per seed, with the references</h2><figure>${files.get('probe-hard.svg')}<figcaption>Untrained: the same seeds' initial networks (the floor of "learned"); oracle: the same network trained on decorrelated dominoes with the hard label (the ceiling).</figcaption></figure><figure>${files.get('probe-easy.svg')}</figure>`);
  // 3. Training curves.
  const curve = (runs: FinalResult[], f: (m: FinalResult['metrics'][number]) => number): [number, number][] => {
    const epochs = Math.max(0, ...runs.map((r) => r.metrics.length));
    return Array.from({ length: epochs }, (_, e) => [e + 1, meanBy(runs, (r) => (r.metrics[e] ? f(r.metrics[e]) : NaN))] as [number, number]).filter((p) => Number.isFinite(p[1]));
  };
  const lossSeries: Series[] = arms.map((a) => ({ name: a.label, color: ARM_COLORS[a.id] ?? OTHER_COLOR, points: curve(runsOf(a.id), (m) => m.trainLoss) }));
  const accSeries: Series[] = arms.map((a) => ({ name: a.label, color: ARM_COLORS[a.id] ?? OTHER_COLOR, points: curve(runsOf(a.id), (m) => m.valAcc) }));
  files.set('train-loss.svg', lineChart({ title: 'Training loss (mean over seeds)', xLabel: 'epoch', yLabel: 'mean training loss of the epoch', series: lossSeries, yLog: true }));
  files.set('selection-acc.svg', lineChart({ title: 'Accuracy on the selection split (decorrelated)', xLabel: 'epoch', yLabel: `accuracy (chance ${fmt(1 / classes, 2)})`, series: accSeries, yRange: [0, 1] }));
  sections.push(`<h2>Training</h2><figure>${files.get('train-loss.svg')}</figure><figure>${files.get('selection-acc.svg')}<figcaption>The label is the Fashion item; on decorrelated data a model relying on the digit scores near chance.</figcaption></figure>`);
  // 4. The first mechanism on the fixed evaluation set.
  const withImp = (id: string) => runsOf(id).filter((r) => r.importance?.length);
  if (withImp('sam').length || withImp('sgd').length) {
    const lorenzAt = (runs: FinalResult[], phantom: boolean): [number, number][] => {
      const curves = runs.map((r) => (phantom ? r.importance.at(-1)!.lorenzPhantom : r.importance.at(-1)!.lorenz));
      return curves[0].map((_, i) => [i / (curves[0].length - 1), meanBy(curves, (c) => c[i])] as [number, number]);
    };
    const ls: Series[] = [{ name: 'uniform', color: REFERENCE_COLOR, dash: LINE.reference, points: [[0, 0], [1, 1]] }];
    for (const id of ['sgd', 'sam']) {
      const r = withImp(id);
      if (!r.length) continue;
      const label = id.toUpperCase();
      ls.push({ name: `${label} λ at θ, Gini ${fmt(meanBy(r, (x) => x.importance.at(-1)!.gini), 2)}`, color: ARM_COLORS[id], points: lorenzAt(r, false) });
      ls.push({ name: `${label} λ̃ at θ̃ (ρ ${r[0].importance.at(-1)!.rho}), Gini ${fmt(meanBy(r, (x) => x.importance.at(-1)!.giniPhantom), 2)}`, color: ARM_COLORS[id], dash: PHANTOM_DASH, points: lorenzAt(r, true) });
    }
    files.set('lorenz.svg', lineChart({ title: 'Lorenz curves of λ = 1 − p(y|x), last checkpoint', xLabel: 'share of the fixed evaluation set, smallest weight first', yLabel: 'share of the total weight', series: ls, xRange: [0, 1], yRange: [0, 1] }));
    // Gini against the fixed set's loss: compare optimizers at the same loss, not the same epoch.
    const gs: Series[] = [];
    for (const id of ['sgd', 'sam']) {
      const r = withImp(id);
      if (!r.length) continue;
      const pts = (phantom: boolean) => {
        const n = Math.min(...r.map((x) => x.importance.length));
        return Array.from({ length: n }, (_, i) => [meanBy(r, (x) => x.importance[i].loss), meanBy(r, (x) => (phantom ? x.importance[i].giniPhantom : x.importance[i].gini))] as [number, number]).filter((p) => p[0] > 0);
      };
      gs.push({ name: `${id.toUpperCase()} λ`, color: ARM_COLORS[id], points: pts(false) });
      gs.push({ name: `${id.toUpperCase()} λ̃`, color: ARM_COLORS[id], dash: PHANTOM_DASH, points: pts(true) });
    }
    files.set('gini-vs-loss.svg', lineChart({ title: 'Gini of the importance weights against training loss', xLabel: 'mean cross-entropy on the fixed evaluation set (log)', yLabel: 'Gini (0 = uniform)', series: gs, xLog: true }));
    const n = any.importance?.[0]?.examples ?? 0;
    sections.push(`<h2>Importance weights (the first mechanism)</h2><p class="detail">λ at θ and λ̃ at the phantom point θ̃ = θ + ρ·g/‖g‖ on the same ${n} training examples for every run, at initialization and after every epoch (eval mode; each chunk of ${cfg.batchSize} ascends with its own gradient, as a SAM step would; SGD runs use ρ = ${cfg.optimizer.rho} to place a reference θ̃). The paper's comparison is λ̃ vs λ at the same checkpoint, and across optimizers at matched training loss (the findings above); a lower curve here at a late epoch can simply mean a lower loss.</p><figure>${files.get('lorenz.svg')}</figure><figure>${files.get('gini-vs-loss.svg')}<figcaption>Each point is a checkpoint (initialization, then every epoch), averaged over seeds; read across at equal loss.</figcaption></figure>`);
  }
  return { sections, files };
}
