// The page's charts as SVG strings (experiments/svg.ts line charts; the page shows each as an
// <img> so the charts' clip-path ids cannot collide). Every kept run of the dataset is overlaid
// in its own colour; line styles follow experiments/chart-style.ts: at θ (λ) solid, at SAM's
// phantom θ̃ (λ̃) dashed, the easy feature dotted, references grey dotted. SGD runs have no θ̃.
// `planned`: the form's step count, so an empty chart already has the run's step axis. Pure: no DOM.
import { escapeXml, lineChart, type Series } from '../experiments/svg.ts';
import { FEATURE_DASH, LINE, REFERENCE_COLOR } from '../experiments/chart-style.ts';
import type { Lorenz } from '../experiments/metrics.ts';
import { isSam, type PageRun } from './runs.ts';

/** Wide legends: run labels with ρ, lr and seed, and the θ̃ / feature suffixes. */
const SIZE = { width: 660, height: 340, legendWidth: 230 };

const xy = <T>(rows: T[], x: (r: T) => number, y: (r: T) => number | undefined): [number, number][] =>
  rows.flatMap((r) => {
    const v = y(r);
    return v === undefined || !Number.isFinite(v) ? [] : [[x(r), v] as [number, number]];
  });

const present = (series: Series[]) => series.filter((s) => s.points.length);
/** The step axis: the longest run, or `planned` (the form's steps) when longer or when no run is kept. */
const maxStep = (runs: PageRun[], planned: number) => Math.max(Number.isFinite(planned) ? planned : 1, 1, ...runs.map((r) => r.settings.steps));
const steps = (runs: PageRun[], planned: number): [number, number] => [0, maxStep(runs, planned)];
const reference = (name: string, points: [number, number][]): Series => ({ name, color: REFERENCE_COLOR, dash: LINE.reference, points });

export function lossChart(runs: PageRun[], planned = 1): string {
  return lineChart({
    ...SIZE, title: 'training loss (on the monitored batch)', xLabel: 'step', yLabel: 'loss (log scale)', yLog: true, xRange: steps(runs, planned),
    series: present(runs.flatMap((r) => [
      { name: r.label, color: r.color, dash: LINE.real, points: xy(r.points, (p) => p.step, (p) => p.loss) },
      ...(isSam(r) ? [{ name: `${r.label} at θ̃`, color: r.color, dash: LINE.phantom, points: xy(r.points, (p) => p.step, (p) => p.lossPhantom) }] : []),
    ])),
  });
}

/** The network's own predictions on the decorrelated split, against each feature's label; `classes` sets chance. */
export function evalChart(runs: PageRun[], classes: number, planned = 1): string {
  return lineChart({
    ...SIZE, title: 'accuracy on the decorrelated test split', xLabel: 'step', yLabel: 'agreement with the label', xRange: steps(runs, planned), yRange: [0, 1.02],
    series: present([
      reference(`chance (${+(1 / classes).toFixed(2)})`, [[0, 1 / classes], [maxStep(runs, planned), 1 / classes]]),
      ...runs.flatMap((r) => [
        { name: `${r.label} hard`, color: r.color, dash: FEATURE_DASH.hard, points: xy(r.evals, (e) => e.step, (e) => e.accuracyHard) },
        { name: `${r.label} easy`, color: r.color, dash: FEATURE_DASH.easy, points: xy(r.evals, (e) => e.step, (e) => e.accuracyEasy) },
      ]),
    ]),
  });
}

export function probeChart(runs: PageRun[], planned = 1): string {
  const probed = runs.filter((r) => r.settings.probes);
  const top = Math.max(0.8, ...probed.flatMap((r) => r.probes.flatMap((p) => [p.easyError, p.hardError])).filter(Number.isFinite));
  return lineChart({
    ...SIZE, title: probed.length ? 'linear-probe test error per feature' : 'probe error (no run with probes)', xLabel: 'step', yLabel: 'probe test error',
    xRange: steps(runs, planned), yRange: [0, Math.min(1, top + 0.02)],
    series: present(probed.flatMap((r) => [
      { name: `${r.label} hard`, color: r.color, dash: FEATURE_DASH.hard, points: xy(r.probes, (p) => p.step, (p) => p.hardError) },
      { name: `${r.label} easy`, color: r.color, dash: FEATURE_DASH.easy, points: xy(r.probes, (p) => p.step, (p) => p.easyError) },
    ])),
  });
}

/** Each run's λ (and λ̃) at its latest monitored step. */
export function lorenzChart(runs: PageRun[]): string {
  const curve = (c: Lorenz) => c.x.map((x, i) => [x, c.y[i]] as [number, number]);
  const series: Series[] = [reference('equal weights', [[0, 0], [1, 1]])];
  for (const r of runs) {
    const l = r.last;
    if (!l) continue;
    series.push({ name: `${r.label} λ ${l.point.gini.toFixed(2)}`, color: r.color, dash: LINE.real, points: curve(l.lorenz.real) });
    if (l.lorenz.phantom) series.push({ name: `${r.label} λ̃ ${l.point.giniPhantom!.toFixed(2)}`, color: r.color, dash: LINE.phantom, points: curve(l.lorenz.phantom) });
  }
  return lineChart({
    ...SIZE, title: 'Lorenz curves at each run\'s latest step (legend: Gini)',
    xLabel: 'share of examples (smallest weights first)', yLabel: 'share of total weight', xRange: [0, 1], yRange: [0, 1], series,
  });
}

/** Gini over training: within a SAM run, λ̃ against λ at the same checkpoint. */
export function giniChart(runs: PageRun[], planned = 1): string {
  return lineChart({
    ...SIZE, title: 'Gini of λ and λ̃ over training', xLabel: 'step', yLabel: 'Gini (lower: more even)', xRange: steps(runs, planned), yRange: [0, 1],
    series: present(runs.flatMap((r) => [
      { name: `${r.label} λ`, color: r.color, dash: LINE.real, points: xy(r.points, (p) => p.step, (p) => p.gini) },
      ...(isSam(r) ? [{ name: `${r.label} λ̃`, color: r.color, dash: LINE.phantom, points: xy(r.points, (p) => p.step, (p) => p.giniPhantom) }] : []),
    ])),
  });
}

/** Gini against the training loss: across optimizers at matched loss (same x), SAM's λ̃ against SGD's λ. */
export function giniByLossChart(runs: PageRun[]): string {
  return lineChart({
    ...SIZE, title: 'Gini against training loss (compare at the same loss)', xLabel: 'training loss at θ (log; training goes right to left)', yLabel: 'Gini (lower: more even)',
    xLog: true, yRange: [0, 1],
    series: present(runs.flatMap((r) => [
      { name: `${r.label} λ`, color: r.color, dash: LINE.real, points: xy(r.points, (p) => p.loss, (p) => p.gini) },
      ...(isSam(r) ? [{ name: `${r.label} λ̃`, color: r.color, dash: LINE.phantom, points: xy(r.points, (p) => p.loss, (p) => p.giniPhantom) }] : []),
    ])),
  });
}

/** The toy's training set: the easy feature's signal coordinate against the hard one's, coloured by label. */
export function toyScatter(x: Float32Array, y: Float32Array, dim: number, easyDim: number, max = 300): string {
  const W = 560;
  const H = 330;
  const m = { l: 56, r: 20, t: 34, b: 46 };
  const n = Math.min(max, y.length);
  const ex = Array.from({ length: n }, (_, i) => x[i * dim]);
  const hx = Array.from({ length: n }, (_, i) => x[i * dim + easyDim]);
  const range = (v: number[]) => {
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const pad = (hi - lo) * 0.05 || 1;
    return [lo - pad, hi + pad];
  };
  const [x0, x1] = range(ex);
  const [y0, y1] = range(hx);
  const sx = (v: number) => (m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r)).toFixed(1);
  const sy = (v: number) => (H - m.b - ((v - y0) / (y1 - y0)) * (H - m.t - m.b)).toFixed(1);
  // the two labels in neutral colours (the optimizers' colours mean optimizers on this page)
  const [pos, neg] = ['#333333', '#c9a227'];
  const dots = ex.map((e, i) => `<circle cx="${sx(e)}" cy="${sy(hx[i])}" r="2.6" fill="${y[i] > 0 ? pos : neg}" fill-opacity="0.7"/>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(`toy training set (${n} of ${y.length} examples)`)}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`,
    ...dots,
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">easy feature: x_easy[0]</text>`,
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">hard feature: x_hard[0]</text>`,
    `<text x="${m.l + 8}" y="${m.t + 16}" fill="${pos}">● y = +1</text>`,
    `<text x="${m.l + 8}" y="${m.t + 32}" fill="${neg}">● y = −1</text>`,
    '</svg>',
  ].join('\n');
}

export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
