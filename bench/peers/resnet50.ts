// The ResNet-50 step of `npm run bench -- resnet50`: torchvision's ResNet-50 (ImageNet stem) at
// 224×224, the published protocols' network, trained by samgpu and PyTorch CPU from the same
// weights on the same batch with SGD, SAM over SGD, and SAM over AdamW (DomainBed-style).
// Weights come from a counter hash keyed by each parameter's name (torch_cpu.py makes the same
// values), so both engines start bit-identical and their first losses must agree.
import { hashUniform, sizeOf } from './common.ts';

export const RESNET50 = {
  n: 8,
  inShape: [3, 224, 224] as const,
  classes: 10,
  xSeed: 3,
  sgd: { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 },
  adamw: { lr: 1e-3, weightDecay: 0.05 },
  rho: 0.05,
  /** a step costs tens of seconds on lavapipe */
  warmup: 1,
  reps: 2,
};

export function fnv1a(name: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(name)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** Conv and linear weights ±1/√fan_in (PyTorch's default range), fc bias ±1/√2048, BN 1 and 0. */
export function resnet50Value(name: string, shape: readonly number[]): Float32Array {
  const n = sizeOf(shape as number[]);
  const seed = fnv1a(name) & 0x7fffffff;
  if (name === 'fc.bias') return hashUniform(n, seed, 1 / Math.sqrt(2048));
  if (shape.length >= 2) return hashUniform(n, seed, 1 / Math.sqrt(sizeOf(shape.slice(1) as number[])));
  return new Float32Array(n).fill(name.endsWith('.weight') ? 1 : 0);
}

/** The batch: x NCHW in [-1, 1), labels i mod classes. */
export function resnet50Inputs(): { x: Float32Array; labels: Float32Array } {
  const labels = Float32Array.from({ length: RESNET50.n }, (_, i) => i % RESNET50.classes);
  return { x: hashUniform(RESNET50.n * sizeOf([...RESNET50.inShape]), RESNET50.xSeed), labels };
}
