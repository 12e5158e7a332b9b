// Deterministic ResNet weights keyed by parameter name, bit for bit as scripts/golden/pretrained.py
// makes them (the fixture stores only what cannot be regenerated: batch-norm running statistics).
import { hashUniform } from '../../bench/peers/common.ts';
import { fnv1a } from '../../bench/peers/resnet50.ts';

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
