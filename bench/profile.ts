// Per-kernel GPU time of one training step (small CNN and ResNet-18; `npm run bench -- profile`), from
// timestamp queries. WebGPU timestamps bracket whole passes, so while profiling every dispatch
// gets a pass of its own: the runtime's command encoder is wrapped (nothing in engine/ changes)
// so that its one long compute pass is replayed as one pass per dispatch, each with
// beginning/end timestamp writes. Batching and submits stay as they are; each dispatch's time
// is its execution on the device (on lavapipe: on the CPU cores), without recording overheads.
// Each dispatch is named by its kernel (shader:entry) and the engine function that issued it.
import { type Runtime } from '../engine/index.ts';
import type { DispatchArgs } from '../engine/runtime/runtime.ts';
import type { KernelSource } from '../engine/runtime/pipeline-cache.ts';
import { samgpuResnetTrainer, samgpuTrainer } from './peers/samgpu.ts';
import { median } from './peers/common.ts';

const MAX_DISPATCHES = 2048; // a query set holds at most 4096 timestamps

export interface KernelTime {
  kernel: string;
  caller: string;
  calls: number;
  ms: number;
}

export interface StepProfile {
  opt: 'sgd' | 'sam';
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
    pending = { label: `${src.name.replace(/\.wgsl/, '')}:${src.entry}`, caller: caller() };
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

/**
 * Profiles `reps` steps after `warmup` unprofiled ones (which compile the pipelines). Every step
 * issues the same dispatches in the same order; each dispatch's time is its median over the
 * profiled steps (a step timed while another process took a core reads high in places).
 */
export async function profileStep(rt: Runtime, opt: 'sgd' | 'sam', warmup = 2, reps = 3, trainer = samgpuTrainer): Promise<StepProfile> {
  const t = trainer(rt, opt);
  for (let i = 0; i < warmup; i++) {
    const l = t.step();
    await l.item();
    l.dispose();
  }
  const walls: number[] = [];
  const runs: { label: string; caller: string; ns: number }[][] = [];
  for (let r = 0; r < reps; r++) {
    runs.push(
      await timeDispatches(rt, async () => {
        const t0 = performance.now();
        const l = t.step();
        await l.item();
        walls.push(performance.now() - t0);
        l.dispose();
      }),
    );
  }
  t.dispose();
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
  return { opt, wallMs: median(walls), gpuMs: kernels.reduce((s, k) => s + k.ms, 0), dispatches: ds.length, kernels };
}

export async function caseProfile(rt: Runtime): Promise<string> {
  const lines = [
    'Per-kernel device time of one small-CNN training step (the workload of `peers`: batch 128, 3×64×32, SGD momentum 0.9; SAM ρ = 0.05) and of one ResNet-18 step (the other workload of `peers`), from timestamp queries around each dispatch (each in its own pass while profiling), median per dispatch over steps 3–5 of a fresh model (ResNet-18: step 2). "issued by": the engine function that dispatched, ← the code that called it (with line numbers when run with NODE_OPTIONS=--enable-source-maps). Wall: median step time while profiling. Timestamps arrive quantized to 65.5 µs (Dawn\'s timestamp_quantization), so a kernel under ~0.1 ms reads 0 or 0.07 ms.',
  ];
  const runs = [
    { title: 'SGD', opt: 'sgd', warmup: 2, reps: 3, trainer: samgpuTrainer },
    { title: 'SAM', opt: 'sam', warmup: 2, reps: 3, trainer: samgpuTrainer },
    // the ResNet-18 step of `peers` (bench/peers/resnet.ts), SGD: seconds a step, so fewer steps
    { title: 'ResNet-18 (32×32, batch 16), SGD', opt: 'sgd', warmup: 1, reps: 1, trainer: samgpuResnetTrainer },
  ] as const;
  for (const r of runs) {
    const p = await profileStep(rt, r.opt, r.warmup, r.reps, r.trainer);
    lines.push('', `**${r.title}**: ${p.dispatches} dispatches, device time ${p.gpuMs.toFixed(1)} ms of ${p.wallMs.toFixed(1)} ms wall (the rest: recording, submits, uploads, waiting).`, '');
    lines.push('| kernel | issued by | calls | ms | share |', '|---|---|---:|---:|---:|');
    for (const k of p.kernels.slice(0, 15)) lines.push(`| ${k.kernel} | ${k.caller} | ${k.calls} | ${k.ms.toFixed(2)} | ${((100 * k.ms) / p.gpuMs).toFixed(1)}% |`);
    const rest = p.kernels.slice(15);
    if (rest.length) lines.push(`| ${rest.length} others | | ${rest.reduce((s, k) => s + k.calls, 0)} | ${rest.reduce((s, k) => s + k.ms, 0).toFixed(2)} | ${((100 * rest.reduce((s, k) => s + k.ms, 0)) / p.gpuMs).toFixed(1)}% |`);
  }
  return lines.join('\n');
}
