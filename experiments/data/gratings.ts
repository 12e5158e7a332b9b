// A generated image block of tunable difficulty for collages: oriented sinusoidal gratings under
// pixel noise. Class 0 and class 1 differ only in orientation; the contrast of the stripes, the
// noise, the jitter of the orientation and the spread of periods set how hard the class is to
// read, so a collage can place a feature anywhere between "trivial" and "invisible".
// Pixel (r, c): 0.5 + contrast/2 · sin(2π·(c·cos θ + r·sin θ)/period + φ) + noise·ξ, clipped to
// [0, 1] and stored as a byte; θ = the class's angle ± jitter, period and phase φ uniform. Pure code.
import { Rng } from '../../engine/random.ts';
import { Gauss } from '../toy/data.ts';
import type { ClassPool } from './two-feature.ts';
import { DataError } from './types.ts';

export interface GratingOptions {
  /** Peak-to-peak amplitude of the stripes in [0, 1] (default 0.3). */
  contrast?: number;
  /** Standard deviation of the Gaussian pixel noise, on the [0, 1] scale (default 0.3). */
  noise?: number;
  /** Orientation of the wave vector of class 0 and class 1, in degrees (default [0, 90]: vertical vs horizontal stripes). */
  angles?: [number, number];
  /** Uniform jitter of the orientation, ± degrees (default 30). */
  jitter?: number;
  /** Range of the period in pixels at full resolution (default [6, 12]). */
  period?: [number, number];
}

export const GRATING_DEFAULTS: Required<GratingOptions> = { contrast: 0.3, noise: 0.3, angles: [0, 90], jitter: 30, period: [6, 12] };

export function checkGratingOptions(o: GratingOptions, what = 'grating'): Required<GratingOptions> {
  const g = { ...GRATING_DEFAULTS, ...o };
  const bad = (m: string) => { throw new DataError(`${what}: ${m} (got ${JSON.stringify(o)})`); };
  if (!(g.contrast >= 0 && g.contrast <= 1)) bad('contrast must be in [0, 1]');
  if (!(g.noise >= 0)) bad('noise must be >= 0');
  if (!(g.jitter >= 0 && g.jitter < 90)) bad('jitter must be in [0, 90) degrees');
  if (!(g.period[0] >= 2 && g.period[1] >= g.period[0])) bad('period must be [min, max] pixels with 2 <= min <= max');
  if (g.angles.length !== 2 || g.angles[0] === g.angles[1]) bad('angles must be two different orientations');
  return g;
}

/** `perClass` gratings of each class (class 0 first), 1×size×size bytes, labels 0 and 1. */
export function generateGratings(perClass: number, size: number, o: GratingOptions, seed: number, name = 'gratings'): ClassPool {
  const g = checkGratingOptions(o);
  const rng = new Rng((seed * 0x27d4eb2d + 0x6772) >>> 0);
  const gauss = new Gauss(rng);
  const n = 2 * perClass;
  const data = new Uint8Array(n * size * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cls = i < perClass ? 0 : 1;
    labels[i] = cls;
    const theta = ((g.angles[cls] + (2 * rng.next() - 1) * g.jitter) * Math.PI) / 180;
    const period = g.period[0] + (g.period[1] - g.period[0]) * rng.next();
    const phase = 2 * Math.PI * rng.next();
    const kx = (2 * Math.PI * Math.cos(theta)) / period;
    const ky = (2 * Math.PI * Math.sin(theta)) / period;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const v = 0.5 + 0.5 * g.contrast * Math.sin(kx * c + ky * r + phase) + g.noise * gauss.next();
        data[(i * size + r) * size + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
      }
    }
  }
  return { name, data, shape: [1, size, size], labels };
}
