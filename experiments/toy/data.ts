// Data of the two-feature toy (CPU, seeded): a training set where both features carry the label,
// and a decorrelated probe set where each feature carries its own independent label.
import { Rng } from '../../engine/random.ts';
import type { DataConfig, FeatureConfig } from './config.ts';

export interface ToyTrainSet {
  n: number;
  /** [n, easy.dim + hard.dim] row-major: x = [x_easy, x_hard]. */
  x: Float32Array;
  /** Labels ±1. */
  y: Float32Array;
  /** Whether example i carries the easy / hard feature (config `fraction`). */
  carriesEasy: Uint8Array;
  carriesHard: Uint8Array;
}

export interface ToyProbeSet {
  n: number;
  x: Float32Array;
  /** Independent labels ±1 of the easy and the hard feature. */
  yEasy: Float32Array;
  yHard: Float32Array;
}

export function inputDim(c: DataConfig): number {
  return c.easy.dim + c.hard.dim;
}

/** Standard normal draws, one at a time, from the seeded generator. */
export class Gauss {
  #spare: number | null = null;
  constructor(readonly rng: Rng) {}
  next(): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return s;
    }
    const u = 1 - this.rng.next();
    const v = this.rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** Class (±1) of slab k of K: the centre slab is +1, neighbours alternate. */
export function slabClass(k: number, slabs: number): number {
  return (k - (slabs - 1) / 2) % 2 === 0 ? 1 : -1;
}

function checkFeature(name: string, f: FeatureConfig): void {
  const bad = (what: string) => { throw new Error(`toy data: ${name}.${what} (got ${JSON.stringify(f)})`); };
  if (!Number.isInteger(f.dim) || f.dim < 1) bad('dim must be an integer ≥ 1');
  if (!(f.mean > 0)) bad('mean must be > 0');
  if (!(f.std >= 0)) bad('std must be ≥ 0');
  if (!(f.fraction >= 0 && f.fraction <= 1)) bad('fraction must be in [0, 1]');
  if (f.kind === 'slab') {
    if (!Number.isInteger(f.slabs) || f.slabs < 3 || f.slabs % 2 === 0) bad('slabs must be an odd integer ≥ 3');
    if (f.minMargin !== null && !(f.minMargin >= 0 && f.minMargin < 0.5)) bad('minMargin of a slab feature must be in [0, 0.5)');
    if (f.slabWeights !== undefined && (f.slabWeights.length !== f.slabs || !f.slabWeights.every((w) => w > 0))) bad('slabWeights must hold one weight > 0 per slab');
  } else if (f.kind === 'uniform') {
    if (f.minMargin === null || !(f.minMargin >= 0 && f.minMargin < f.mean)) bad('minMargin of a uniform feature must be in [0, mean)');
  } else if (f.kind === 'gaussian') {
    if (f.minMargin !== null && f.minMargin > f.mean + 3 * f.std) bad('minMargin is so large that sampling would almost never succeed');
  } else bad("kind must be 'gaussian', 'uniform' or 'slab'");
}

/** The signal coordinate of one feature for label y (±1). */
export function signal(f: FeatureConfig, y: number, g: Gauss): number {
  if (f.kind === 'uniform') return y * (f.minMargin! + (f.mean - f.minMargin!) * g.rng.next());
  if (f.kind === 'slab') {
    const width = (2 * f.mean) / f.slabs;
    const mine = [];
    for (let k = 0; k < f.slabs; k++) if (slabClass(k, f.slabs) === y) mine.push(k);
    const k = f.slabWeights ? weightedPick(mine, f.slabWeights, g.rng.next()) : mine[Math.floor(g.rng.next() * mine.length)];
    const gap = (f.minMargin ?? 0) * width;
    return -f.mean + k * width + gap + g.rng.next() * (width - 2 * gap);
  }
  for (;;) {
    const s = y * f.mean + f.std * g.next();
    if (f.minMargin === null || y * s >= f.minMargin) return s;
  }
}

/** The slab among `slabs` whose cumulative weight first exceeds u·(total weight). */
function weightedPick(slabs: number[], weights: number[], u: number): number {
  const total = slabs.reduce((a, k) => a + weights[k], 0);
  let acc = 0;
  for (const k of slabs) if (u * total < (acc += weights[k])) return k;
  return slabs[slabs.length - 1];
}

/** Check a feature's configuration (the message names `name` and the bad field). */
export function checkFeatureConfig(name: string, f: FeatureConfig): void {
  checkFeature(name, f);
}

/** Write one feature's block (dim coordinates) at x[at …]. */
function writeFeature(f: FeatureConfig, y: number, carries: boolean, g: Gauss, x: Float32Array, at: number): void {
  x[at] = carries ? signal(f, y, g) : f.std * g.next();
  for (let j = 1; j < f.dim; j++) x[at + j] = f.std * g.next();
}

function balancedLabels(n: number, rng: Rng): Float32Array {
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = i < n / 2 ? 1 : -1;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [y[i], y[j]] = [y[j], y[i]];
  }
  return y;
}

/** Exactly round(fraction·n) examples carry the feature, chosen at random. */
function carriers(n: number, fraction: number, rng: Rng): Uint8Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const out = new Uint8Array(n);
  for (let k = 0; k < Math.round(fraction * n); k++) out[idx[k]] = 1;
  return out;
}

/** The training set: one label y per example, carried by both features (up to `fraction`). */
export function makeTrainSet(c: DataConfig, seed: number): ToyTrainSet {
  checkFeature('easy', c.easy);
  checkFeature('hard', c.hard);
  if (!Number.isInteger(c.n) || c.n < 2 || c.n % 2) throw new Error(`toy data: n must be an even integer ≥ 2, got ${c.n}`);
  const rng = new Rng(0x70a1 ^ Math.imul(seed + 1, 0x9e3779b1));
  const g = new Gauss(rng);
  const d = inputDim(c);
  const y = balancedLabels(c.n, rng);
  const carriesEasy = carriers(c.n, c.easy.fraction, rng);
  const carriesHard = carriers(c.n, c.hard.fraction, rng);
  const x = new Float32Array(c.n * d);
  for (let i = 0; i < c.n; i++) {
    writeFeature(c.easy, y[i], carriesEasy[i] === 1, g, x, i * d);
    writeFeature(c.hard, y[i], carriesHard[i] === 1, g, x, i * d + c.easy.dim);
  }
  return { n: c.n, x, y, carriesEasy, carriesHard };
}

/**
 * A decorrelated probe set of n examples (`part` picks an independent draw for fitting or testing): y_easy and y_hard are independent (each exactly
 * balanced, and the four (y_easy, y_hard) groups exactly n/4 each when 4 divides n).
 */
export function makeProbeSet(c: DataConfig, n: number, seed: number, part: 'fit' | 'test'): ToyProbeSet {
  checkFeature('easy', c.easy);
  checkFeature('hard', c.hard);
  const rng = new Rng((part === 'fit' ? 0x9b0e : 0x7e57) ^ Math.imul(seed + 1, 0x85ebca6b));
  const g = new Gauss(rng);
  const d = inputDim(c);
  // Groups (e, h) ∈ {±1}² in equal shares, shuffled.
  const group = Array.from({ length: n }, (_, i) => i % 4);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [group[i], group[j]] = [group[j], group[i]];
  }
  const yEasy = new Float32Array(n);
  const yHard = new Float32Array(n);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    yEasy[i] = group[i] & 1 ? 1 : -1;
    yHard[i] = group[i] & 2 ? 1 : -1;
    writeFeature(c.easy, yEasy[i], true, g, x, i * d);
    writeFeature(c.hard, yHard[i], true, g, x, i * d + c.easy.dim);
  }
  return { n, x, yEasy, yHard };
}
