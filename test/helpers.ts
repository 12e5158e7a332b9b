// Shared test helpers: one runtime for the whole suite, seeded data, relative-error checks.
import assert from 'node:assert/strict';
import { init } from '../engine/node.ts';
import { tensor, type Runtime, type Tensor } from '../engine/index.ts';
import type { Nd } from './reference/nd.ts';

// The suite runs on the built-in kernel defaults: tuning would time every candidate kernel of
// every shape the tests use (minutes of compiles on lavapipe) and make results depend on the
// cache. test/tune.test.ts and test/variants.test.ts exercise the tuner and every variant
// explicitly. Child processes (the CLI tests) inherit the setting.
process.env.SAMGPU_TUNE ??= 'off';

let rt: Runtime | null = null;

export async function gpu(): Promise<Runtime> {
  rt ??= await init();
  return rt;
}

/** Deterministic uniform numbers in [lo, hi) (mulberry32). */
export function rand(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A GPU tensor and its float64 twin (the f32-rounded values, so both see the same input). */
export function pair(shape: number[], seed = 1, lo = -1, hi = 1): [Tensor, Nd] {
  const data = rand(size(shape), seed, lo, hi);
  return [tensor(data, shape), { shape: [...shape], data: Float64Array.from(data) }];
}

/**
 * Relative error check: |a − e| ≤ rtol · max(|e|, floor · max|e|) element by element.
 * NaN or Inf in `actual` never passes.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what = '', floor = 1e-3): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs expected ${expected.length}`);
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
  const den0 = Math.max(floor * maxAbs, 1e-30);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(a) && a !== e) assert.fail(`${what}: element ${i} is ${a}, expected ${e}`);
    if (Number.isNaN(a)) assert.fail(`${what}: element ${i} is NaN`);
    const err = Math.abs(a - e) / Math.max(Math.abs(e), den0);
    if (err > worst) {
      worst = err;
      worstAt = i;
    }
  }
  if (worst > rtol) {
    assert.fail(`${what}: relative error ${worst.toExponential(2)} > ${rtol} at element ${worstAt} (got ${actual[worstAt]}, expected ${expected[worstAt]})`);
  }
}

/** `floor`: errors are relative to max(|eᵢ|, floor·max|e|); sums with cancellation (matmul, conv) use 1e-2. */
export async function assertTensorClose(t: Tensor, e: Nd, rtol: number, what = '', floor = 1e-3): Promise<void> {
  assert.deepEqual([...t.shape], e.shape, `${what}: shape`);
  assertClose(await t.read(), e.data, rtol, what, floor);
}
