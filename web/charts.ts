// The page's charts as SVG strings (experiments/svg.ts line charts; the page shows each as an
// <img> so the charts' clip-path ids cannot collide). Pure: no DOM.
import { escapeXml, lineChart, type Series } from '../experiments/svg.ts';
import type { Lorenz } from '../experiments/metrics.ts';
import type { LivePoint, ProbePoint } from './live/loop.ts';

const REAL = '#4e79a7';
const PHANTOM = '#e15759';
const EASY = '#59a14f';
const HARD = '#b07aa1';
const DASH = '6 4';
const SIZE = { width: 560, height: 330 };

const xy = <T>(rows: T[], x: (r: T) => number, y: (r: T) => number | undefined): [number, number][] =>
  rows.flatMap((r) => {
    const v = y(r);
    return v === undefined || !Number.isFinite(v) ? [] : [[x(r), v] as [number, number]];
  });

export function lossChart(points: LivePoint[]): string {
  return lineChart({
    ...SIZE, title: 'training loss', xLabel: 'step', yLabel: 'loss (log scale)', yLog: true,
    series: [
      { name: 'at θ', color: REAL, points: xy(points, (p) => p.step, (p) => p.loss) },
      { name: 'at phantom θ̃', color: PHANTOM, dash: DASH, points: xy(points, (p) => p.step, (p) => p.lossPhantom) },
    ],
  });
}

export function accuracyChart(points: LivePoint[], probes: ProbePoint[]): string {
  const series: Series[] = [{ name: 'train (batch)', color: REAL, points: xy(points, (p) => p.step, (p) => p.accuracy) }];
  if (probes.some((p) => p.testAccuracy !== undefined)) {
    series.push({ name: 'test (decorrelated)', color: HARD, points: xy(probes, (p) => p.step, (p) => p.testAccuracy) });
  }
  return lineChart({ ...SIZE, title: 'accuracy', xLabel: 'step', yLabel: 'accuracy', yRange: [0, 1.02], series });
}

/** `names`: legend names of the easy and hard features, ≤ 20 characters (null: this run fits no probes). */
export function probeChart(probes: ProbePoint[], names: { easy: string; hard: string } | null): string {
  return lineChart({
    ...SIZE, title: names ? 'linear-probe error per feature' : 'probe error (no probes in this run)',
    xLabel: 'step', yLabel: 'probe test error', yRange: [0, 0.82],
    series: [
      { name: names?.easy ?? 'easy feature', color: EASY, points: xy(probes, (p) => p.step, (p) => p.easyError) },
      { name: names?.hard ?? 'hard feature', color: HARD, points: xy(probes, (p) => p.step, (p) => p.hardError) },
    ],
  });
}

export function lorenzChart(l: { real: Lorenz; phantom: Lorenz } | null, step: number | null, gini: { real: number; phantom: number } | null): string {
  const curve = (c: Lorenz) => c.x.map((x, i) => [x, c.y[i]] as [number, number]);
  const series: Series[] = [{ name: 'equal weights', color: '#999', dash: '2 3', points: [[0, 0], [1, 1]] }];
  if (l && gini) {
    series.push({ name: `λ (Gini ${gini.real.toFixed(3)})`, color: REAL, points: curve(l.real) });
    series.push({ name: `λ̃ (Gini ${gini.phantom.toFixed(3)})`, color: PHANTOM, dash: DASH, points: curve(l.phantom) });
  }
  return lineChart({
    ...SIZE, title: step === null ? 'Lorenz curves of λ and λ̃' : `Lorenz curves of λ and λ̃ (step ${step})`,
    xLabel: 'share of examples (smallest weights first)', yLabel: 'share of total weight', xRange: [0, 1], yRange: [0, 1], series,
  });
}

export function giniChart(points: LivePoint[]): string {
  return lineChart({
    ...SIZE, title: 'Gini of the importance weights', xLabel: 'step', yLabel: 'Gini coefficient', yRange: [0, 1],
    series: [
      { name: 'λ at θ', color: REAL, points: xy(points, (p) => p.step, (p) => p.gini) },
      { name: 'λ̃ at θ̃', color: PHANTOM, dash: DASH, points: xy(points, (p) => p.step, (p) => p.giniPhantom) },
    ],
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
  const dots = ex.map((e, i) => `<circle cx="${sx(e)}" cy="${sy(hx[i])}" r="2.6" fill="${y[i] > 0 ? REAL : PHANTOM}" fill-opacity="0.7"/>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(`toy training set (${n} of ${y.length} examples)`)}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#333"/>`,
    ...dots,
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">easy feature: x_easy[0]</text>`,
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">hard feature: x_hard[0]</text>`,
    `<text x="${m.l + 8}" y="${m.t + 16}" fill="${REAL}">● y = +1</text>`,
    `<text x="${m.l + 8}" y="${m.t + 32}" fill="${PHANTOM}">● y = −1</text>`,
    '</svg>',
  ].join('\n');
}

export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
