// The dropout mask of shaders/dropout.wgsl in JS (u32 arithmetic through Math.imul and >>> 0):
// equal masks here and on the GPU show that the mask is the specified function of (seed, index).
import type { Nd } from './nd.ts';

function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

export function maskHash(seed: number, i: number): number {
  const k1 = pcg(seed);
  const k2 = pcg((k1 ^ 0x9e3779b9) >>> 0);
  return pcg((pcg((i ^ k1) >>> 0) + k2) >>> 0);
}

/** 1 where element i survives dropout with probability p (p < 1) and this seed, else 0. */
export function dropoutMask(n: number, p: number, seed: number): Float64Array {
  const threshold = Math.min(0xffffffff, Math.floor(p * 2 ** 32));
  return Float64Array.from({ length: n }, (_, i) => (maskHash(seed, i) >= threshold ? 1 : 0));
}

export function dropout(x: Nd, p: number, seed: number): Nd {
  const m = dropoutMask(x.data.length, p, seed);
  return { shape: x.shape, data: x.data.map((v, i) => (m[i] * v) / (1 - p)) };
}
