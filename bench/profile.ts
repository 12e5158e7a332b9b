// Per-kernel GPU time of one training step (small CNN and ResNet-18; `npm run bench -- profile`).
// With timestamp queries (where the adapter has them) every dispatch gets a pass of its own with
// timestamp writes; without them (or with PROFILE_ISOLATE=1) the step's dispatches are recorded
// and, after the step, each is replayed alone, its wall clock less that of an empty submit. The
// machinery is the tuner's (engine/tune/timing.ts).
// Each dispatch is named by its kernel (shader:entry) and the engine function that issued it.
import { type Runtime } from '../engine/index.ts';
import type { KernelSource } from '../engine/runtime/pipeline-cache.ts';
import { recordDispatches, replayDispatches, timeDispatches, timingMethod, type RecordedDispatch, type TimingMethod } from '../engine/tune/timing.ts';
import { samgpuResnetTrainer, samgpuTrainer } from './peers/samgpu.ts';
import { median } from './peers/common.ts';

const REPLAYS = 3; // timed replays of each dispatch (after one warm one)
const EMPTY_SYNCS_PER_ROUND = 5; // empty submits, whose median is taken off each replay (engine/tune/timing.ts)

/** How dispatches are timed: timestamp queries, or (without them, or PROFILE_ISOLATE=1) replays. */
export type ProfileMethod = TimingMethod;
export function profileMethod(rt: Runtime): ProfileMethod {
  return timingMethod(rt, process.env.PROFILE_ISOLATE === '1');
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
const tagOf = (src: KernelSource) => ({ label: kernelLabel(src), caller: caller() });
const untag = (ds: { tag: { label: string; caller: string }; ns: number }[]) => ds.map((d) => ({ ...d.tag, ns: d.ns }));

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
      for (let r = 0; r < reps; r++) runs.push(untag(await timeDispatches(rt, timedStep, tagOf)));
    } else {
      let recorded: RecordedDispatch<{ label: string; caller: string }>[] = [];
      for (let r = 0; r < reps; r++) recorded = await recordDispatches(rt, timedStep, tagOf);
      runs.push(untag(await replayDispatches(rt, recorded, REPLAYS, EMPTY_SYNCS_PER_ROUND)));
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
