// What every engine in `npm run bench -- peers` runs, on which data, and how it is timed. The
// workload is described once here (and sent to torch_cpu.py as JSON), so samgpu, tfjs, jax-js
// and PyTorch train the same model from bit-identical weights on bit-identical inputs: their
// first losses must agree, which is how the bench knows nobody timed a different (or no) job.
import { LAYERS } from '../convnet.ts';
import { otherLoad } from '../load.ts';

export const N = 128;
export const IN_SHAPE = [3, 64, 32] as const; // C, H, W
export const CLASSES = 2;
export const FEATURES = 128 * 8 * 4;
/** SGD with momentum, no weight decay (tf.train.momentum has none; every engine does the same). */
export const LR = 0.01;
export const MOMENTUM = 0.9;
export const RHO = 0.05;
export const MATMUL_SIZES = [256, 512, 1024, 2048];
export const STEP_WARMUP = 2;
export const STEP_REPS = 7;
export const CONV_LAYERS = LAYERS;

export interface ParamSpec {
  /** samgpu's (and PyTorch's) state-dict name */
  name: string;
  /** PyTorch layout: conv OIHW, linear [out, in] */
  shape: number[];
  bound: number;
  seed: number;
}

// PyTorch's default init range (±1/√fan_in), drawn from the hash below instead of a generator.
const spec = (name: string, shape: number[], fanIn: number, seed: number): ParamSpec => ({ name, shape, bound: 1 / Math.sqrt(fanIn), seed });
export const PARAMS: ParamSpec[] = [
  spec('body.0.weight', [32, 3, 5, 5], 75, 101), spec('body.0.bias', [32], 75, 102),
  spec('body.2.weight', [64, 32, 3, 3], 288, 103), spec('body.2.bias', [64], 288, 104),
  spec('body.4.weight', [128, 64, 3, 3], 576, 105), spec('body.4.bias', [128], 576, 106),
  spec('head.weight', [CLASSES, FEATURES], FEATURES, 107), spec('head.bias', [CLASSES], FEATURES, 108),
];
export const X_SEED = 1;
/** Seeds of a conv layer's x, w, dy (layer i uses 10·(i+1) + 0, 1, 2). */
export const convSeeds = (i: number) => [10 * (i + 1), 10 * (i + 1) + 1, 10 * (i + 1) + 2] as const;
export const MATMUL_SEEDS = [7, 8] as const;

/**
 * Uniform values in [-bound, bound) from a counter-based hash (murmur3's finalizer of
 * index·φ + seed·c), so Python (numpy uint32) reproduces them bit for bit without a generator.
 */
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
    out[i] = ((h >>> 8) / 2 ** 24 * 2 - 1) * bound; // 24 bits: exact in f32
  }
  return out;
}

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The batch: x NCHW [N, 3, 64, 32], labels i mod 2. */
export function paperInputs(): { x: Float32Array; labels: Float32Array } {
  const labels = new Float32Array(N);
  for (let i = 0; i < N; i++) labels[i] = i % 2;
  return { x: hashUniform(N * sizeOf(IN_SHAPE), X_SEED), labels };
}

export function paperParams(): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map(PARAMS.map((p) => [p.name, { shape: p.shape, data: hashUniform(sizeOf(p.shape), p.seed, p.bound) }]));
}

/** Everything torch_cpu.py needs to run the same workload. */
export function workloadJson(): string {
  return JSON.stringify({
    n: N, in_shape: IN_SHAPE, classes: CLASSES, lr: LR, momentum: MOMENTUM, rho: RHO, x_seed: X_SEED,
    params: PARAMS, matmul_sizes: MATMUL_SIZES, matmul_seeds: MATMUL_SEEDS, step_warmup: STEP_WARMUP, step_reps: STEP_REPS,
    layers: CONV_LAYERS.map((l, i) => ({ name: l.name, x: l.x, w: l.w, stride: l.opts.stride ?? 1, padding: l.opts.padding ?? 0, seeds: convSeeds(i) })),
  });
}

// ---- results ----

export interface Timing {
  ms: number;
  reps: number;
  /** other processes' CPU use during the measurement, in cores */
  other: number | null;
}

export interface PeerReport {
  engine: string;
  version: string;
  device: string;
  /** keys: rowKey() values */
  timings: Record<string, Timing>;
  /** loss of every step run (warm-up included), per optimizer: 'sgd', 'sam' */
  losses: Record<string, number[]>;
  /** Σx² of each op's output (matmul.<n>, conv<i>.fwd|dx|dw), compared across engines */
  checks: Record<string, number>;
  /** what the engine could not do, or did differently */
  notes: string[];
  /** timings taken while the engine's device reported errors */
  invalid: string[];
  skipped?: string;
}

export const emptyReport = (engine: string, version = '?', device = '?'): PeerReport => ({ engine, version, device, timings: {}, losses: {}, checks: {}, notes: [], invalid: [] });

export const rowKey = {
  step: (opt: 'sgd' | 'sam') => `step.${opt}`,
  matmul: (n: number) => `matmul.${n}`,
  conv: (i: number, which: 'fwd' | 'dx' | 'dw') => `conv${i}.${which}`,
  /** the ResNet-18 step (bench/peers/resnet.ts); its losses are stored under the same key */
  resnet: (opt: 'sgd' | 'sam') => `resnet.${opt}`,
};

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * One op, the same protocol for every engine (the one bench/matmul.ts uses): a first call that
 * compiles, warm-up of at least 3 calls and 300 ms, then 3–25 timed calls (about 1.5 s), median.
 * `call` launches the op, waits for the device and frees the output.
 */
export async function timeOp(call: () => Promise<void>): Promise<Timing> {
  const [r, other] = await otherLoad(async () => {
    await call();
    let first = Infinity;
    for (let i = 0, t0 = performance.now(); i < 3 || performance.now() - t0 < 300; i++) {
      const t = performance.now();
      await call();
      first = Math.min(first, performance.now() - t);
    }
    const reps = Math.max(3, Math.min(25, Math.round(1500 / Math.max(first, 1))));
    const ts: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      await call();
      ts.push(performance.now() - t);
    }
    return { ms: median(ts), reps };
  });
  return { ...r, other };
}

/** Training steps: `warmup` + `reps` calls of `step` (which returns the loss it read back). */
export async function timeTrainSteps(step: () => Promise<number>, warmup = STEP_WARMUP, reps = STEP_REPS): Promise<{ timing: Timing; losses: number[] }> {
  const losses: number[] = [];
  for (let i = 0; i < warmup; i++) losses.push(await step());
  const [ts, other] = await otherLoad(async () => {
    const ts: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      losses.push(await step());
      ts.push(performance.now() - t);
    }
    return ts;
  });
  return { timing: { ms: median(ts), reps: ts.length, other }, losses };
}

/** Σx² in float64. */
export function sumSquares(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

/**
 * Watches a peer's device for WebGPU errors (tfjs and jax-js do not throw on them; after one,
 * later calls may time a broken queue). `measure(key, fn)` stores fn's timing under `key` and
 * marks it invalid when errors arrived meanwhile; `done()` notes how many there were.
 */
export function deviceErrorWatch(device: GPUDevice | undefined, report: PeerReport) {
  let count = 0;
  let first = '';
  const onError = (ev: Event) => {
    if (!count++) first = String((ev as GPUUncapturedErrorEvent).error?.message ?? '').split('\n')[0].slice(0, 160);
  };
  device?.addEventListener('uncapturederror', onError);
  return {
    async measure(key: string, fn: () => Promise<Timing>): Promise<void> {
      const before = count;
      report.timings[key] = await fn();
      if (count > before) report.invalid.push(key);
    },
    done(): void {
      device?.removeEventListener('uncapturederror', onError);
      if (count) report.notes.push(`its WebGPU device reported ${count} error(s), the first: ${first}`);
    },
  };
}

/** Runs one part of a peer's suite; a failure becomes a note instead of ending the bench. */
export async function attempt(report: PeerReport, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    report.notes.push(`${what} failed: ${String((e as Error)?.message ?? e).split('\n')[0].slice(0, 200)}`);
  }
}
