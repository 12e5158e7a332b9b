// Benchmarks: `npm run bench -- CASE [CASE ...]` (cases: matmul, convnet, sam, peers, profile, tune, skinny, steps, resnet50).
// Writes bench/RESULTS.md (the latest section per case) and appends every section to bench/HISTORY.md.
//
// Environment (bench/gpu.sh sets these on a lent GPU):
//   BENCH_MATMUL_SIZES=1024,2048,4096,8192   the matmul case's sizes (default 256,512,1024,2048)
//   BENCH_FP32_PEAK_GFLOPS=67000             the adapter's fp32 peak: matmul then prints % of it
//                                            (67 TFLOP/s: H100 SXM and H200; gpu.sh picks it by GPU name)
//   BENCH_FP32_PEAK_NOTE=...                 where that peak comes from, printed with it
//   BENCH_NUMPY=0                            skip numpy (its CPU BLAS says nothing next to a GPU)
//   BENCH_JSON=/path/file.json               also write the key numbers as JSON (gpu.sh's summary)
//   BENCH_RESNET50=1                         convnet (and tune) also run ResNet-50's bottleneck convs
//   BENCH_STEPS_DIR=/path                    steps writes ResNet-18/50 weights and batch there (for torch_cuda.py)
//   BENCH_STEPS_REPS=1                       steps: one warm-up and one timed step (a quick check)
//   SAMGPU_TUNE=off                          every case on the built-in kernel defaults (tune still compares)
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus, getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { init } from '../engine/node.ts';
import type { Runtime } from '../engine/index.ts';
import { matmulConfig } from '../engine/ops/matmul.ts';
import { chooseVariant } from '../engine/tune/choices.ts';
import { matmulKey, defaultMatmulVariant } from '../engine/tune/variants/matmul.ts';
import { adapterFacts } from '../engine/tune/variants/adapter.ts';
import { benchMatmul, benchOverhead } from './matmul.ts';
import { benchConvLayers, convTables, CONV_GOAL } from './convnet.ts';
import { benchTrainSteps } from './train-step.ts';
import { otherLoad } from './load.ts';
import { preparePeers, casePeers, type PeerSetup } from './peers/index.ts';
import { caseProfile } from './profile.ts';
import { caseSkinny, caseTune } from './tune.ts';
import { caseSteps } from './gpu-steps.ts';
import { caseResnet50 } from './resnet50.ts';
import { startTorch, type TorchPeer } from './peers/torch-cpu.ts';
import { RESNET50 } from './peers/resnet50.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = matmulSizes();
// numpy's sizes stop at 2048: a machine whose numpy has the single-threaded reference BLAS
// would spend minutes on 8192³.
const NUMPY_MAX = 2048;

function matmulSizes(): number[] {
  const s = process.env.BENCH_MATMUL_SIZES;
  if (!s) return [256, 512, 1024, 2048];
  const xs = s.split(/[\s,]+/).filter(Boolean).map(Number);
  if (!xs.length || xs.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error(`BENCH_MATMUL_SIZES=${s}: expected sizes like 1024,2048,4096,8192`);
    process.exit(2);
  }
  return xs;
}

function fp32Peak(): number | undefined {
  const v = Number(process.env.BENCH_FP32_PEAK_GFLOPS);
  return process.env.BENCH_FP32_PEAK_GFLOPS && v > 0 ? v : undefined;
}

interface NumpyResult {
  label: string;
  gflops?: Record<string, number>;
  skipped?: string;
  version?: string;
  blas?: string[];
  /** nice value numpy inherited from the main thread */
  nice?: number;
}

function numpy(label: string, env: NodeJS.ProcessEnv, sizes: number[]): NumpyResult {
  const py = '/usr/bin/python3';
  if (process.env.BENCH_NUMPY === '0') return { label, skipped: 'BENCH_NUMPY=0' };
  if (!existsSync(py)) return { label, skipped: `${py} not found` };
  const nice = getPriority();
  const r = spawnSync(py, [join(here, 'numpy_matmul.py'), ...sizes.map(String)], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.error) return { label, skipped: `could not run ${py}: ${r.error.message}` };
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line);
    if (j.error) return { label, skipped: j.error };
    return { label, gflops: j.gflops, version: j.numpy, blas: j.blas, nice };
  } catch {
    return { label, skipped: `numpy_matmul.py exited ${r.status}: ${(r.stderr || line).trim().slice(0, 200)}` };
  }
}

/** What runs before init(): numpy and the peers, at the main thread's normal priority. */
interface Prepared {
  /** numpy with the environment as set (matmul, convnet); with OPENBLAS_* unset (matmul only) */
  numpy: NumpyResult | null;
  numpyUnset: NumpyResult | null;
  peers: PeerSetup | null;
  /** PyTorch's process for the resnet50 case (started before init(), like the peers') */
  torchResnet50: TorchPeer | null;
}

/** The key numbers of this run, for BENCH_JSON. */
const metrics: Record<string, unknown> = {};

function numpyNote(np: NumpyResult): string {
  if (np.skipped) return `${np.label}: skipped (${np.skipped})`;
  return `${np.label}: numpy ${np.version}, BLAS ${np.blas?.length ? np.blas.join(', ') : '(not found in the process maps)'}; run before init() at nice ${np.nice ?? '?'}, so not overlapping our timings`;
}

function adapterName(rt: Runtime): string {
  const i = rt.gpu.info as unknown as Record<string, unknown>;
  const kind = i.isSoftware ? 'software adapter' : 'hardware adapter';
  return `${i.description || i.device || i.vendor} (vendor ${i.vendor || '?'}, ${i.architecture || '?'}; ${kind})`;
}

const f1 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(1));

/** The matmul variant an n³ product uses here (tuned, or the default). */
function matmulVariantOf(rt: Runtime, n: number): string {
  return chooseVariant(rt, 'matmul', matmulKey({ m: n, n, k: n, batch: 1, transA: false, transB: false }), () => ({})) ?? `${defaultMatmulVariant(adapterFacts(rt))} (default)`;
}

async function caseMatmul(rt: Runtime, pre: Prepared): Promise<string> {
  const cfg = matmulConfig(rt);
  const peak = fp32Peak();
  const rows = [];
  const failed: string[] = [];
  for (const n of SIZES) {
    try {
      const [r, other] = await otherLoad(() => benchMatmul(rt, n));
      rows.push({ ...r, other });
      console.error(`  matmul ${n}³: ${r.gflops.toFixed(1)} GFLOP/s (median of ${r.reps}, ${r.medianMs.toFixed(1)} ms; other processes ${other === null ? '?' : other.toFixed(2)} cores)`);
    } catch (e) {
      // a large size may exceed the adapter's buffer limits: report it, keep the other rows
      failed.push(`${n}³: ${(e as Error).message.slice(0, 200)}`);
    }
  }
  const ov = await benchOverhead(rt);
  metrics.matmul = { gflops: Object.fromEntries(rows.map((r) => [r.size, r.gflops])), fp32PeakGflops: peak ?? null };
  const nps = [pre.numpy, pre.numpyUnset].filter((np): np is NumpyResult => np !== null);
  const lines: string[] = [];
  lines.push(`matmul, f32, C = A·B, n×n×n; kernels: ${SIZES.map((n) => `${n}³ ${matmulVariantOf(rt, n)}`).join(', ')} (the adapter's default: ${JSON.stringify(cfg)})`);
  lines.push(`OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'} OPENBLAS_L2_SIZE=${process.env.OPENBLAS_L2_SIZE ?? '(unset)'} LP_NUM_THREADS=${process.env.LP_NUM_THREADS ?? '(unset)'}`);
  lines.push('', `The machine has ${cpus().length} CPUs; "other load" is the CPU time other processes used during each row (more than ~0.2 cores means the row is slowed by contention).`);
  if (peak) lines.push(`fp32 peak: ${peak} GFLOP/s (BENCH_FP32_PEAK_GFLOPS${process.env.BENCH_FP32_PEAK_NOTE ? `; ${process.env.BENCH_FP32_PEAK_NOTE}` : ''}).`);
  lines.push('');
  const head = ['n', 'samgpu GFLOP/s', 'ms (median)', 'other load (cores)'];
  if (peak) head.push('% of fp32 peak');
  for (const np of nps) if (np.gflops) head.push(`${np.label} GFLOP/s`, 'samgpu / numpy');
  lines.push(`| ${head.join(' | ')} |`);
  lines.push(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) {
    const cells = [`${r.size}`, f1(r.gflops), r.medianMs.toFixed(1), r.other === null ? '?' : r.other.toFixed(2)];
    if (peak) cells.push(`${((100 * r.gflops) / peak).toFixed(1)}%`);
    for (const np of nps) {
      if (!np.gflops) continue;
      const g = np.gflops[String(r.size)];
      cells.push(f1(g), g ? `${((100 * r.gflops) / g).toFixed(0)}%` : '—');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  if (failed.length) lines.push('', `Failed: ${failed.join('; ')}`);
  if (SIZES.some((n) => n > NUMPY_MAX) && nps.some((np) => np.gflops)) lines.push('', `numpy stops at ${NUMPY_MAX}³ (—: not measured).`);
  for (const np of nps) lines.push('', numpyNote(np));
  if (nps.some((np) => np.blas?.length && !np.blas.some((l) => /openblas|mkl|blis/i.test(l)))) {
    lines.push('', 'numpy is linked to the reference BLAS here (no OpenBLAS installed), single-threaded: the OPENBLAS_* variables have no effect.');
  }
  lines.push('');
  lines.push(`Dispatch overhead: ${ov.dispatches} elementwise adds of 4-element tensors, then one sync (${ov.submits} submit(s): the runtime submits every maxDispatchesPerBatch dispatches, 4096 in this bench):`);
  lines.push(`${ov.usPerDispatch.toFixed(1)} µs per dispatch (recording alone ${ov.usRecordPerDispatch.toFixed(1)} µs); one submit-and-wait (one tiny dispatch + sync): ${ov.usSubmitWait.toFixed(0)} µs (median of 30).`);
  return lines.join('\n');
}

async function caseConvnet(rt: Runtime, pre: Prepared): Promise<string> {
  const rows = await benchConvLayers(rt);
  let mm: number | undefined;
  try {
    mm = (await benchMatmul(rt, 1024)).gflops;
  } catch {
    mm = undefined;
  }
  const np = pre.numpy;
  const npG = np?.gflops?.['1024'];
  const lines = ['conv2d, f32, NCHW; GFLOP/s = 2·(output elements)·Cin·kH·kW / time, the same count for each backward GEMM.', ''];
  lines.push(...convTables(rows, mm, npG));
  lines.push('');
  lines.push(mm ? `matmul 1024³ in the same run: ${f1(mm)} GFLOP/s${npG ? ` = ${((100 * mm) / npG).toFixed(0)}% of numpy's` : ''}. "×" is its GFLOP/s over the GEMM's; ✗ marks the GEMMs above ${CONV_GOAL}×.` : 'matmul 1024³ failed: no ratios.');
  lines.push(npG ? `numpy float32 matmul 1024³ in the same run: ${f1(npG)} GFLOP/s (OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'} OPENBLAS_L2_SIZE=${process.env.OPENBLAS_L2_SIZE ?? '(unset)'}).` : 'numpy: no 1024³ rate, so no % column.');
  if (np) lines.push(numpyNote(np) + '.');
  const { timings } = await benchTrainSteps(rt, ['sgd']);
  lines.push('', `Small-CNN training step (batch 128, 3×64×32, 2 classes, cross-entropy, SGD momentum 0.9, weight decay 5e-4): ${timings[0].medianMs.toFixed(0)} ms (median of ${timings[0].reps}, each followed by a sync).`);
  metrics.convnet = {
    matmul1024Gflops: mm ?? null,
    numpy1024Gflops: npG ?? null,
    layers: rows.map((r) => ({ name: r.name, gflop: r.gflop, fwdMs: r.fwd, dInputMs: r.dInput, dWeightMs: r.dWeight })),
    sgdStepMs: timings[0].medianMs,
  };
  return lines.join('\n');
}

async function caseSam(rt: Runtime): Promise<string> {
  const { timings, samExtraBytes, paramBytes } = await benchTrainSteps(rt, ['sgd', 'sam', 'lsam', 'sam+weights']);
  const ms = Object.fromEntries(timings.map((t) => [t.name, t.medianMs]));
  metrics.sam = { stepMs: ms };
  const lines = ['Small-CNN training step, batch 128, 3×64×32, 2 classes; base optimizer SGD (momentum 0.9, weight decay 5e-4); ρ = 0.05. Median of 9 steps after 2 warm-up rounds, each followed by a sync; the kinds are interleaved step by step so machine drift falls on all alike.', ''];
  lines.push('| optimizer | ms / step | ratio to SGD |', '|---|---|---|');
  for (const t of timings) lines.push(`| ${t.name} | ${t.medianMs.toFixed(0)} | ${(t.medianMs / ms.sgd).toFixed(3)} |`);
  lines.push('', `SAM/SGD = ${(ms.sam / ms.sgd).toFixed(3)} (goal ≤ 2.05; the two forward–backward passes alone make 2.0).`);
  lines.push(`Importance-weight diagnostics (λ at θ and λ̃ at θ̃ every step, kept on the GPU): ${(100 * (ms['sam+weights'] / ms.sam - 1)).toFixed(1)}% over SAM (goal ≤ 2%).`);
  lines.push(`Extra GPU memory SAM holds: ${(samExtraBytes / 1024).toFixed(1)} KiB for ${(paramBytes / 1024).toFixed(1)} KiB of (padded) parameters: ${(samExtraBytes / paramBytes).toFixed(3)} parameter copies (goal: one).`);
  return lines.join('\n');
}

const CASES: Record<string, (rt: Runtime, pre: Prepared) => Promise<string>> = {
  matmul: caseMatmul,
  convnet: caseConvnet,
  sam: caseSam,
  peers: (rt, pre) => casePeers(rt, pre.peers!, adapterName(rt)),
  profile: caseProfile,
  steps: async (rt) => {
    const r = await caseSteps(rt);
    metrics.steps = r.metrics;
    return r.text;
  },
  skinny: async (rt) => {
    const r = await caseSkinny(rt);
    metrics.skinny = r.metrics;
    return r.text;
  },
  tune: async (rt) => {
    const r = await caseTune(rt, SIZES);
    metrics.tune = r.metrics;
    return r.text;
  },
  resnet50: (rt, pre) => caseResnet50(rt, pre.torchResnet50),
};

// No case named: the side-by-side comparison with the peers.
const names = process.argv.length > 2 ? process.argv.slice(2) : ['peers'];
if (!names.length || names.some((n) => !CASES[n])) {
  console.error(`usage: npm run bench -- CASE [CASE ...]   (cases: ${Object.keys(CASES).join(', ')})`);
  process.exit(2);
}
// numpy, the peers' devices and PyTorch's process start before init() lowers the main thread's
// priority (children inherit the spawning thread's nice), so that they run with the same
// settings as lavapipe's workers (bench/peers/index.ts). numpy runs to completion first:
// nothing of ours (nor PyTorch's import) runs meanwhile.
const pre: Prepared = { numpy: null, numpyUnset: null, peers: null, torchResnet50: null };
if (names.includes('matmul') || names.includes('convnet')) {
  const sizes = [...new Set([...(names.includes('matmul') ? SIZES.filter((n) => n <= NUMPY_MAX) : []), ...(names.includes('convnet') ? [1024] : [])])].sort((a, b) => a - b);
  pre.numpy = numpy('numpy (env as set)', process.env, sizes);
  if (names.includes('matmul')) {
    const env2 = { ...process.env };
    delete env2.OPENBLAS_CORETYPE;
    delete env2.OPENBLAS_L2_SIZE;
    pre.numpyUnset = numpy('numpy (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset)', env2, sizes);
  }
}
if (names.includes('peers')) pre.peers = await preparePeers();
if (names.includes('resnet50')) pre.torchResnet50 = startTorch(() => JSON.stringify({ resnet50: RESNET50 }));
const rt = await init({ maxDispatchesPerBatch: 4096 });
const adapter = adapterName(rt);
const sections: string[] = [];
for (const name of names) {
  console.error(`bench ${name} on ${adapter}`);
  const text = await CASES[name](rt, pre);
  const section = [`## ${name}`, '', `\`npm run bench -- ${names.join(' ')}\`, ${new Date().toISOString()}, adapter: ${adapter}, node ${process.version}`, '', text].join('\n');
  console.log(`\n${section}\n`);
  sections.push(section);
}
// RESULTS.md: the latest run of each case (a section per case, replaced when rerun).
const file = join(here, 'RESULTS.md');
const intro = '# Benchmark results\n\nWritten by `npm run bench -- CASE`; each section is the latest run of that case, and every run\'s sections are also appended to bench/HISTORY.md (newest last). See bench/NOTES.md for how the matmul kernels got here.\n';
let old = existsSync(file) ? readFileSync(file, 'utf8') : intro;
const firstSection = old.indexOf('\n## ');
old = firstSection >= 0 ? `${intro}${old.slice(firstSection)}` : intro; // the intro as this version words it
for (const [i, name] of names.entries()) {
  const re = new RegExp(`## ${name}\\n[\\s\\S]*?(?=\\n## |$)`);
  old = re.test(old) ? old.replace(re, sections[i] + '\n') : `${old.trimEnd()}\n\n${sections[i]}\n`;
}
writeFileSync(file, old);
// HISTORY.md: every section ever written, in order.
const history = join(here, 'HISTORY.md');
if (!existsSync(history)) writeFileSync(history, '# Benchmark history: every section `npm run bench` wrote, newest last (bench/RESULTS.md keeps the latest per case).\n');
appendFileSync(history, sections.map((s) => `\n${s}\n`).join(''));
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ adapter, date: new Date().toISOString(), node: process.version, ...metrics }) + '\n');
process.exit(0);
