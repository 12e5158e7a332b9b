// Device time of dispatches, for the tuner and the bench's profile: timestamp queries where the
// adapter has them, else isolated replays (each dispatch submitted alone and waited for, its
// wall clock less that of an empty submit). Neither changes engine code: both wrap the
// runtime's `dispatch` (and, for timestamps, the device's command encoders) while a function runs.
import type { Binding, DispatchArgs, Runtime } from '../runtime/runtime.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';

export type TimingMethod = 'timestamps' | 'isolated';

/** Timestamps where the device has them, unless `isolate` asks for replays. */
export function timingMethod(rt: Runtime, isolate = false): TimingMethod {
  return isolate || !rt.device.features.has('timestamp-query' as GPUFeatureName) ? 'isolated' : 'timestamps';
}

export const MAX_TIMED_DISPATCHES = 2048; // a query set holds at most 4096 timestamps

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

/** A label per dispatch, computed when it is issued (e.g. the kernel and its caller). */
export type Tagger<T> = (src: KernelSource) => T;

/**
 * Timestamps every dispatch `rt` records while `fn` runs; one entry per dispatch, in order.
 * WebGPU timestamps bracket whole passes, so while `fn` runs the runtime's one long compute pass
 * is replayed as one pass per dispatch, each with beginning/end timestamp writes (the command
 * encoders the device creates meanwhile are wrapped). Batching and submits stay as they are.
 * Anything recorded before `fn` is submitted first.
 */
export async function timeDispatches<T>(rt: Runtime, fn: () => Promise<void> | void, tag: Tagger<T>): Promise<{ tag: T; ns: number }[]> {
  const device = rt.device;
  if (!device.features.has('timestamp-query' as GPUFeatureName)) throw new Error('timeDispatches: the device lacks timestamp-query');
  rt.flush();
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * MAX_TIMED_DISPATCHES });
  const tags: T[] = [];
  let pending: T | undefined;
  const origDispatch = rt.dispatch;
  const origCreate = device.createCommandEncoder;
  rt.dispatch = (src: KernelSource, args: DispatchArgs) => {
    pending = tag(src);
    origDispatch.call(rt, src, args);
  };
  device.createCommandEncoder = function (desc?: GPUCommandEncoderDescriptor): GPUCommandEncoder {
    const enc = origCreate.call(device, desc);
    const beginComputePass = () => {
      let pipeline: GPUComputePipeline | null = null;
      const groups: [number, GPUBindGroup][] = [];
      return {
        setPipeline: (p: GPUComputePipeline) => void (pipeline = p),
        setBindGroup: (i: number, g: GPUBindGroup) => void groups.push([i, g]),
        dispatchWorkgroups: (x: number, y = 1, z = 1) => {
          const k = tags.length;
          const timestampWrites = k < MAX_TIMED_DISPATCHES ? { querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 } : undefined;
          const pass = enc.beginComputePass(timestampWrites ? { timestampWrites } : {});
          pass.setPipeline(pipeline!);
          for (const [i, g] of groups) pass.setBindGroup(i, g);
          pass.dispatchWorkgroups(x, y, z);
          pass.end();
          groups.length = 0;
          tags.push(pending as T);
        },
        end: () => {},
      } as unknown as GPUComputePassEncoder;
    };
    return new Proxy(enc, {
      get: (t, key) => (key === 'beginComputePass' ? beginComputePass : typeof (t as never)[key] === 'function' ? ((t as never)[key] as Function).bind(t) : (t as never)[key]),
    });
  };
  try {
    await fn();
    rt.flush();
  } finally {
    rt.dispatch = origDispatch;
    device.createCommandEncoder = origCreate;
  }
  const n = Math.min(tags.length, MAX_TIMED_DISPATCHES);
  const resolve = device.createBuffer({ size: 16 * Math.max(n, 1), usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 16 * Math.max(n, 1), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  if (n) enc.resolveQuerySet(querySet, 0, 2 * n, resolve, 0);
  enc.copyBufferToBuffer(resolve, 0, read, 0, 16 * Math.max(n, 1));
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const ts = new BigInt64Array(read.getMappedRange().slice(0));
  read.unmap();
  for (const b of [resolve, read]) b.destroy();
  querySet.destroy();
  return tags.slice(0, n).map((t, i) => ({ tag: t, ns: Number(ts[2 * i + 1] - ts[2 * i]) }));
}

export interface RecordedDispatch<T> {
  tag: T;
  src: KernelSource;
  args: DispatchArgs;
}

/** The arguments of every dispatch `rt` records while `fn` runs, copied (callers reuse uniform arrays). */
export async function recordDispatches<T>(rt: Runtime, fn: () => Promise<void> | void, tag: Tagger<T>): Promise<RecordedDispatch<T>[]> {
  const out: RecordedDispatch<T>[] = [];
  const origDispatch = rt.dispatch;
  rt.dispatch = (src: KernelSource, args: DispatchArgs) => {
    const u = args.uniforms;
    const buffers: Record<string, Binding> = {};
    for (const [name, b] of Object.entries(args.buffers)) buffers[name] = 'capacity' in b ? b : { ...b };
    out.push({
      tag: tag(src),
      src,
      args: {
        buffers,
        workgroups: [...args.workgroups],
        ...(args.overrides ? { overrides: { ...args.overrides } } : {}),
        ...(u ? { uniforms: (u instanceof ArrayBuffer ? new Uint8Array(u) : new Uint8Array(u.buffer, u.byteOffset, u.byteLength)).slice() } : {}),
      },
    });
    origDispatch.call(rt, src, args);
  };
  try {
    await fn();
  } finally {
    rt.dispatch = origDispatch;
  }
  return out;
}

// One workgroup storing one word: what a submit and its wait cost with (next to) no work.
const NOOP: KernelSource = {
  name: 'timing-noop.wgsl',
  code: '@group(0) @binding(0) var<storage, read_write> out: array<u32>;\n@compute @workgroup_size(1) fn noop() { out[0] = 1u; }',
  entry: 'noop',
};

/** Wall time of one dispatch, submitted alone and waited for, in ms. */
async function syncedWall(rt: Runtime, src: KernelSource, args: DispatchArgs): Promise<number> {
  const t0 = performance.now();
  rt.dispatch(src, args);
  await rt.sync();
  return performance.now() - t0;
}

/**
 * Times each recorded dispatch alone: submitted and waited for, its median wall clock over
 * `rounds` rounds (after a warm one) less the median of an empty submit. Rounds replay the whole
 * sequence in order, each dispatch alone: a burst of load from elsewhere then spoils one round
 * of every dispatch rather than all samples of a few. The buffers the dispatches bound must
 * still exist (pooled buffers are destroyed only by the pool's trim()); replays compute on what
 * they now hold and overwrite their outputs (for a training step: parameters and optimizer
 * state, so it must not step after).
 */
export async function replayDispatches<T>(rt: Runtime, recorded: readonly RecordedDispatch<T>[], rounds = 3, emptyPerRound = 5): Promise<{ tag: T; ns: number }[]> {
  const scratch = rt.pool.acquire(16);
  const noop: DispatchArgs = { buffers: { out: scratch }, workgroups: [1] };
  const empty: number[] = [];
  const walls = recorded.map((): number[] => []);
  try {
    await syncedWall(rt, NOOP, noop);
    for (let round = 0; round <= rounds; round++) {
      for (let i = 0; i < emptyPerRound; i++) empty.push(await syncedWall(rt, NOOP, noop));
      for (let i = 0; i < recorded.length; i++) {
        const ms = await syncedWall(rt, recorded[i].src, recorded[i].args);
        if (round) walls[i].push(ms);
      }
    }
  } finally {
    rt.pool.release(scratch);
  }
  const emptyMs = median(empty);
  return recorded.map((d, i) => ({ tag: d.tag, ns: Math.max(0, median(walls[i]) - emptyMs) * 1e6 }));
}

/**
 * Device time of everything `run` dispatches, in ms: by timestamps (the sum over its
 * dispatches) or by isolated replays of what one call recorded. `run` must be repeatable (the
 * tuner's workloads write only their own outputs).
 */
export async function timeWork(rt: Runtime, run: () => Disposable, method: TimingMethod): Promise<number> {
  // What `run` made stays alive until its dispatches are timed (a replay must not write into
  // buffers the pool has handed to someone else).
  let made: Disposable | null = null;
  try {
    if (method === 'timestamps') {
      const t = await timeDispatches(rt, () => void (made = run()), () => null);
      return t.reduce((s, d) => s + d.ns, 0) / 1e6;
    }
    rt.flush();
    const rec = await recordDispatches(rt, () => void (made = run()), () => null);
    await rt.sync();
    const t = await replayDispatches(rt, rec, 1, 2);
    return t.reduce((s, d) => s + d.ns, 0) / 1e6;
  } finally {
    (made as Disposable | null)?.dispose();
  }
}

/** Something to free after timing (the outputs of a workload). */
export interface Disposable {
  dispose(): void;
}
