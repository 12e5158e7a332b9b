// Per-kernel GPU time of one training step (small CNN and ResNet-18; `npm run bench -- profile`).
// With timestamp queries (where the adapter has them): WebGPU timestamps bracket whole passes, so
// while profiling every dispatch gets a pass of its own: the runtime's command encoder is wrapped
// (nothing in engine/ changes) so that its one long compute pass is replayed as one pass per
// dispatch, each with beginning/end timestamp writes. Batching and submits stay as they are; each
// dispatch's time is its execution on the device (on lavapipe: on the CPU cores), without
// recording overheads. Without them (or with PROFILE_ISOLATE=1): the step's dispatches are
// recorded, and after the step each is replayed alone, submitted and waited for, its wall clock
// less that of an empty submit.
// Each dispatch is named by its kernel (shader:entry) and the engine function that issued it.
import { type Runtime } from '../engine/index.ts';
import type { Binding, DispatchArgs } from '../engine/runtime/runtime.ts';
import type { KernelSource } from '../engine/runtime/pipeline-cache.ts';
import { samgpuResnetTrainer, samgpuTrainer } from './peers/samgpu.ts';
import { median } from './peers/common.ts';

const MAX_DISPATCHES = 2048; // a query set holds at most 4096 timestamps
const REPLAYS = 3; // timed replays of each dispatch (after one warm one)
const EMPTY_SYNCS_PER_ROUND = 5; // empty submits, whose median is taken off each replay

/** How dispatches are timed: timestamp queries, or (without them, or PROFILE_ISOLATE=1) replays. */
export type ProfileMethod = 'timestamps' | 'isolated';
export function profileMethod(rt: Runtime): ProfileMethod {
  return process.env.PROFILE_ISOLATE === '1' || !rt.device.features.has('timestamp-query') ? 'isolated' : 'timestamps';
}

export interface KernelTime {
  kernel: string;
  caller: string;
  calls: number;
  ms: number;
}

export interface StepProfile {
  opt: 'sgd' | 'sam';
  method: ProfileMethod;
  wallMs: number;
  gpuMs: number;
  dispatches: number;
  kernels: KernelTime[];
}

// Stack line numbers are the TypeScript's only with source maps on from the start (the loader
// strips types: without them, lines are the stripped file's and would mislead).
const SOURCE_LINES = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--enable-source-maps'));

/**
 * Which engine code issued a dispatch: the first engine function on the stack, and the first
 * frame after it in another file (e.g. "reduceKernel (ops/reduce) ← ops/conv2d:286").
 */
function caller(): string {
  const frames: { fn: string; file: string; line: string }[] = [];
  for (const l of new Error().stack?.split('\n').slice(2) ?? []) {
    const m = /at (?:async )?(?:([\w.<>]+) \()?.*engine\/((?:ops|optim|nn|autograd|models)\/[\w-]+)\.ts:(\d+)/.exec(l);
    if (m) frames.push({ fn: (m[1] ?? '').split('.').pop() ?? '', file: m[2], line: m[3] });
  }
  const first = frames.find((f) => f.fn && f.fn !== 'dispatch');
  if (!first) return '?';
  const next = frames.slice(frames.indexOf(first) + 1).find((f) => f.file !== first.file);
  const where = (f: { file: string; line: string }) => (SOURCE_LINES ? `${f.file}:${f.line}` : f.file);
  return `${first.fn} (${first.file})${next ? ` ← ${next.fn && next.fn !== '<anonymous>' ? next.fn + ' ' : ''}${where(next)}` : ''}`;
}

const kernelLabel = (src: KernelSource) => `${src.name.replace(/\.wgsl/, '')}:${src.entry}`;

/** Timestamps every dispatch `rt` records while `fn` runs; one entry per dispatch, in order. */
export async function timeDispatches(rt: Runtime, fn: () => Promise<void>): Promise<{ label: string; caller: string; ns: number }[]> {
  const device = rt.device;
  if (!device.features.has('timestamp-query')) throw new Error('profile: the device lacks timestamp-query');
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * MAX_DISPATCHES });
  const labels: { label: string; caller: string }[] = [];
  let pending = { label: '?', caller: '?' };
  const origDispatch = rt.dispatch;
  const origCreate = device.createCommandEncoder;
  rt.dispatch = (src: KernelSource, args: DispatchArgs) => {
    pending = { label: kernelLabel(src), caller: caller() };
    origDispatch.call(rt, src, args);
  };
  // The runtime opens one pass and sets pipeline, bind group, dispatch on it: hand it a stand-in
  // that runs each dispatch in a timestamped pass of its own.
  device.createCommandEncoder = function (desc?: GPUCommandEncoderDescriptor): GPUCommandEncoder {
    const enc = origCreate.call(device, desc);
    const beginComputePass = () => {
      let pipeline: GPUComputePipeline | null = null;
      const groups: [number, GPUBindGroup][] = [];
      return {
        setPipeline: (p: GPUComputePipeline) => void (pipeline = p),
        setBindGroup: (i: number, g: GPUBindGroup) => void groups.push([i, g]),
        dispatchWorkgroups: (x: number, y = 1, z = 1) => {
          const k = labels.length;
          const timestampWrites = k < MAX_DISPATCHES ? { querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 } : undefined;
          const pass = enc.beginComputePass(timestampWrites ? { timestampWrites } : {});
          pass.setPipeline(pipeline!);
          for (const [i, g] of groups) pass.setBindGroup(i, g);
          pass.dispatchWorkgroups(x, y, z);
          pass.end();
          groups.length = 0;
          labels.push(pending);
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
  } finally {
    rt.dispatch = origDispatch;
    device.createCommandEncoder = origCreate;
  }
  const n = Math.min(labels.length, MAX_DISPATCHES);
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
  return labels.slice(0, n).map((l, i) => ({ ...l, ns: Number(ts[2 * i + 1] - ts[2 * i]) }));
}

interface RecordedDispatch {
  label: string;
  caller: string;
  src: KernelSource;
  args: DispatchArgs;
}

/** The arguments of every dispatch `rt` records while `fn` runs, copied (callers reuse uniform arrays). */
async function recordDispatches(rt: Runtime, fn: () => Promise<void>): Promise<RecordedDispatch[]> {
  const out: RecordedDispatch[] = [];
  const origDispatch = rt.dispatch;
  rt.dispatch = (src: KernelSource, args: DispatchArgs) => {
    const u = args.uniforms;
    const buffers: Record<string, Binding> = {};
    for (const [name, b] of Object.entries(args.buffers)) buffers[name] = 'capacity' in b ? b : { ...b };
    out.push({
      label: kernelLabel(src),
      caller: caller(),
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
  name: 'profile-noop.wgsl',
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
 * REPLAYS rounds (after a warm one) less the median of an empty submit. Rounds replay the whole
 * step in order, each dispatch alone: a burst of load from elsewhere then spoils one round of
 * every kernel rather than all samples of a few, and each dispatch finds the caches as the one
 * before it in the step left them. The step must have finished (nothing left in the open batch).
 * Its buffers are still GPU buffers of the pool (released ones sit in free lists, and the pool
 * destroys buffers only in trim(), which nothing calls here), so replays compute on what they
 * now hold: fine for timing, but they overwrite parameters and optimizer state (the SGD/SAM
 * kernels run again): the trainer must not step after.
 */
async function replayDispatches(rt: Runtime, recorded: RecordedDispatch[]): Promise<{ label: string; caller: string; ns: number }[]> {
  const scratch = rt.pool.acquire(16);
  const noop: DispatchArgs = { buffers: { out: scratch }, workgroups: [1] };
  const empty: number[] = [];
  const walls = recorded.map((): number[] => []);
  try {
    await syncedWall(rt, NOOP, noop);
    for (let round = 0; round <= REPLAYS; round++) {
      for (let i = 0; i < EMPTY_SYNCS_PER_ROUND; i++) empty.push(await syncedWall(rt, NOOP, noop));
      for (let i = 0; i < recorded.length; i++) {
        const ms = await syncedWall(rt, recorded[i].src, recorded[i].args);
        if (round) walls[i].push(ms);
      }
    }
  } finally {
    rt.pool.release(scratch);
  }
  const emptyMs = median(empty);
  return recorded.map((d, i) => ({ label: d.label, caller: d.caller, ns: Math.max(0, median(walls[i]) - emptyMs) * 1e6 }));
}

/**
 * Profiles `reps` steps after `warmup` unprofiled ones (which compile the pipelines). Every step
 * issues the same dispatches in the same order. With timestamps, each dispatch's time is its
 * median over the profiled steps (a step timed while another process took a core reads high in
 * places); with isolated replays, the last profiled step's dispatches are replayed after it
 * (replays clobber the trainer's state, so no step may follow them).
 */
export async function profileStep(rt: Runtime, opt: 'sgd' | 'sam', warmup = 2, reps = 3, trainer = samgpuTrainer): Promise<StepProfile> {
  const method = profileMethod(rt);
  const t = trainer(rt, opt);
  for (let i = 0; i < warmup; i++) {
    const l = t.step();
    await l.item();
    l.dispose();
  }
  const walls: number[] = [];
  const timedStep = async () => {
    const t0 = performance.now();
    const l = t.step();
    await l.item();
    walls.push(performance.now() - t0);
    l.dispose();
  };
  const runs: { label: string; caller: string; ns: number }[][] = [];
  try {
    if (method === 'timestamps') {
      for (let r = 0; r < reps; r++) runs.push(await timeDispatches(rt, timedStep));
    } else {
      let recorded: RecordedDispatch[] = [];
      for (let r = 0; r < reps; r++) recorded = await recordDispatches(rt, timedStep);
      runs.push(await replayDispatches(rt, recorded));
    }
  } finally {
    t.dispose();
  }
  const ds = runs[0].map((d, i) => ({ ...d, ns: median(runs.map((run) => run[i]?.ns ?? d.ns)) }));
  const byKernel = new Map<string, KernelTime>();
  for (const d of ds) {
    const key = `${d.label}|${d.caller}`;
    const k = byKernel.get(key) ?? { kernel: d.label, caller: d.caller, calls: 0, ms: 0 };
    k.calls++;
    k.ms += d.ns / 1e6;
    byKernel.set(key, k);
  }
  const kernels = [...byKernel.values()].sort((a, b) => b.ms - a.ms);
  return { opt, method, wallMs: median(walls), gpuMs: kernels.reduce((s, k) => s + k.ms, 0), dispatches: ds.length, kernels };
}

export async function caseProfile(rt: Runtime): Promise<string> {
  const method = profileMethod(rt);
  const how =
    method === 'timestamps'
      ? 'Method: timestamp queries around each dispatch (each in its own pass while profiling), median per dispatch over steps 3–5 of a fresh model (ResNet-18: step 2). Timestamps arrive quantized to 65.5 µs (Dawn\'s timestamp_quantization), so a kernel under ~0.1 ms reads 0 or 0.07 ms.'
      : `Method: isolated replays: each dispatch alone, wall clock minus an empty submit (${process.env.PROFILE_ISOLATE === '1' ? 'forced by PROFILE_ISOLATE=1' : 'the adapter lacks timestamp-query'}). The dispatches of step 5 of a fresh model (ResNet-18: step 2) are recorded; after the step the whole sequence is replayed ${REPLAYS + 1} times (the first one warm), each dispatch submitted alone and waited for, and each dispatch's median wall clock less the median of an empty submit (a one-word kernel, ${EMPTY_SYNCS_PER_ROUND} per round) counts. Replays run on whatever the step's buffers then hold, and none overlaps its neighbours, so kernels under ~0.1 ms read less exactly than with timestamps.`;
  const lines = [
    `Per-kernel device time of one small-CNN training step (the workload of \`peers\`: batch 128, 3×64×32, SGD momentum 0.9; SAM ρ = 0.05) and of one ResNet-18 step (the other workload of \`peers\`). ${how} "issued by": the engine function that dispatched, ← the code that called it (with line numbers when run with NODE_OPTIONS=--enable-source-maps). Wall: median step time while profiling.`,
  ];
  const runs = [
    { title: 'SGD', opt: 'sgd', warmup: 2, reps: 3, trainer: samgpuTrainer },
    { title: 'SAM', opt: 'sam', warmup: 2, reps: 3, trainer: samgpuTrainer },
    // the ResNet-18 step of `peers` (bench/peers/resnet.ts), SGD: seconds a step, so fewer steps
    { title: 'ResNet-18 (32×32, batch 16), SGD', opt: 'sgd', warmup: 1, reps: 1, trainer: samgpuResnetTrainer },
  ] as const;
  for (const r of runs) {
    const p = await profileStep(rt, r.opt, r.warmup, r.reps, r.trainer);
    const total = p.method === 'timestamps' ? 'device time' : 'sum of isolated times';
    lines.push('', `**${r.title}**: ${p.dispatches} dispatches, ${total} ${p.gpuMs.toFixed(1)} ms of ${p.wallMs.toFixed(1)} ms wall (the rest: recording, submits, uploads, waiting).`, '');
    lines.push('| kernel | issued by | calls | ms | share |', '|---|---|---:|---:|---:|');
    for (const k of p.kernels.slice(0, 15)) lines.push(`| ${k.kernel} | ${k.caller} | ${k.calls} | ${k.ms.toFixed(2)} | ${((100 * k.ms) / p.gpuMs).toFixed(1)}% |`);
    const rest = p.kernels.slice(15);
    if (rest.length) lines.push(`| ${rest.length} others | | ${rest.reduce((s, k) => s + k.calls, 0)} | ${rest.reduce((s, k) => s + k.ms, 0).toFixed(2)} | ${((100 * rest.reduce((s, k) => s + k.ms, 0)) / p.gpuMs).toFixed(1)}% |`);
  }
  return lines.join('\n');
}
