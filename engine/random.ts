import { SamgpuError } from './device/errors.ts';
import { noMoreThan, show } from './args.ts';

/**
 * A small seeded generator (mulberry32) so that a seed gives the same numbers in Node and in
 * every browser: parameter initialization and data shuffling draw from it on the CPU.
 */
export class Rng {
  #s: number;

  constructor(seed: number) {
    noMoreThan('Rng', arguments, 1);
    if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new SamgpuError(`Rng: seed must be an integer, got ${show(seed)}`);
    this.#s = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }

  /** Standard normal (Box–Muller). */
  normal(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u = 1 - this.next();
      const v = this.next();
      const r = Math.sqrt(-2 * Math.log(u));
      out[i] = mean + std * r * Math.cos(2 * Math.PI * v);
      if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * v);
    }
    return out;
  }

  /** The state, for checkpoints. */
  get state(): number {
    return this.#s;
  }

  set state(s: number) {
    this.#s = s >>> 0;
  }
}
