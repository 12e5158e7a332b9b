// Matmul throughput and dispatch overheads on the current runtime's adapter.
import { tensor, add, type Runtime } from '../engine/index.ts';
import { matmulKernel, type MatmulConfig } from '../engine/ops/matmul.ts';

export interface MatmulRow {
  size: number;
  gflops: number;
  medianMs: number;
  reps: number;
}

export interface OverheadResult {
  dispatches: number;
  submits: number;
  /** Recording plus execution, per dispatch, for `dispatches` tiny adds and one sync. */
  usPerDispatch: number;
  /** JS-side recording cost only (before the sync), per dispatch. */
  usRecordPerDispatch: number;
  /** One tiny dispatch, then flush + onSubmittedWorkDone: median µs. */
  usSubmitWait: number;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

function randn(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

/** GFLOP/s of an n×n×n matmul (`cfg`, else the tuned choice or default): warm-up (compiles the pipeline), then the median of timed reps. */
export async function benchMatmul(rt: Runtime, n: number, cfg?: MatmulConfig): Promise<MatmulRow> {
  const a = tensor(randn(n * n), [n, n], rt);
  const b = tensor(randn(n * n), [n, n], rt);
  const flop = 2 * n ** 3;
  matmulKernel(a, b, false, false, cfg).dispose(); // compiles the pipeline
  await rt.sync();
  // Warm-up: at least 3 runs and 300 ms (small sizes read low right after start otherwise).
  let first = Infinity;
  for (let i = 0, t0 = performance.now(); i < 3 || performance.now() - t0 < 300; i++) {
    const t = performance.now();
    matmulKernel(a, b, false, false, cfg).dispose();
    await rt.sync();
    first = Math.min(first, performance.now() - t);
  }
  // About 1.5 s of timed work, 3 to 25 reps.
  const reps = Math.max(3, Math.min(25, Math.round(1500 / Math.max(first, 1))));
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const c = matmulKernel(a, b, false, false, cfg);
    await rt.sync();
    ts.push(performance.now() - t);
    c.dispose();
  }
  a.dispose();
  b.dispose();
  const ms = median(ts);
  return { size: n, gflops: flop / (ms * 1e6), medianMs: ms, reps };
}

/** Per-dispatch cost of many tiny elementwise adds recorded together, and one submit-and-wait. */
export async function benchOverhead(rt: Runtime, count = 1000): Promise<OverheadResult> {
  const x = tensor(new Float32Array([1, 2, 3, 4]), [4], rt);
  const y = tensor(new Float32Array([4, 3, 2, 1]), [4], rt);
  const round = async () => {
    const s0 = rt.stats.submits;
    const t0 = performance.now();
    for (let i = 0; i < count; i++) add(x, y).dispose();
    const t1 = performance.now();
    await rt.sync();
    const t2 = performance.now();
    return { total: t2 - t0, record: t1 - t0, submits: rt.stats.submits - s0 };
  };
  await round(); // warm-up: pipeline compile, pool
  const runs = [];
  for (let i = 0; i < 5; i++) runs.push(await round());
  const waits: number[] = [];
  for (let i = 0; i < 30; i++) {
    add(x, y).dispose();
    const t = performance.now();
    await rt.sync();
    waits.push(performance.now() - t);
  }
  x.dispose();
  y.dispose();
  return {
    dispatches: count,
    submits: runs[0].submits,
    usPerDispatch: (median(runs.map((r) => r.total)) * 1000) / count,
    usRecordPerDispatch: (median(runs.map((r) => r.record)) * 1000) / count,
    usSubmitWait: median(waits) * 1000,
  };
}
