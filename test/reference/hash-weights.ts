// Deterministic ResNet weights keyed by parameter name, bit for bit as scripts/golden/pretrained.py
// makes them (the fixture stores only what cannot be regenerated: batch-norm running statistics).

/** bench/peers/common.ts's counter hash: uniform in [-bound, bound), exact in float32. */
export function hashUniform(n: number, seed: number, bound = 1): Float32Array {
  const out = new Float32Array(n);
  const s = Math.imul(seed, 0x85ebca77) >>> 0;
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(i, 0x9e3779b1) + s) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
    out[i] = ((h >>> 8) / 2 ** 24 * 2 - 1) * bound;
  }
  return out;
}

export function fnv1a(name: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(name)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** He-uniform convolutions, PyTorch's Linear range for fc, batch-norm affine near identity. */
export function hashedValue(name: string, shape: readonly number[], fcIn: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const seed = fnv1a(name) & 0x7fffffff;
  if (name.startsWith('fc.')) return hashUniform(n, seed, 1 / Math.sqrt(fcIn));
  if (shape.length === 4) return hashUniform(n, seed, Math.sqrt(6 / (shape[1] * shape[2] * shape[3])));
  const u = hashUniform(n, seed);
  // float32 steps as torch does them on a float32 tensor: the scalar rounded to float32 first
  if (name.endsWith('.weight')) return u.map((v) => Math.fround(1 + Math.fround(Math.fround(0.2) * v)));
  if (name.endsWith('.bias')) return u.map((v) => Math.fround(Math.fround(0.1) * v));
  throw new Error(`hashedValue: no rule for ${name}`);
}
