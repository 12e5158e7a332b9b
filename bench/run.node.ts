// Benchmarks: `npm run bench -- CASE [CASE ...]` (cases: matmul, convnet, sam, peers, profile). Writes bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { init } from '../engine/node.ts';
import type { Runtime } from '../engine/index.ts';
import { matmulConfig } from '../engine/ops/matmul.ts';
import { benchMatmul, benchOverhead } from './matmul.ts';
import { benchConvLayers } from './convnet.ts';
import { benchTrainSteps } from './train-step.ts';
import { otherLoad } from './load.ts';
import { preparePeers, casePeers, type PeerSetup } from './peers/index.ts';
import { caseProfile } from './profile.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = [256, 512, 1024, 2048];

interface NumpyResult {
  label: string;
  gflops?: Record<string, number>;
  skipped?: string;
  version?: string;
  blas?: string[];
}

function numpy(label: string, env: NodeJS.ProcessEnv): NumpyResult {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return { label, skipped: `${py} not found` };
  const r = spawnSync(py, [join(here, 'numpy_matmul.py'), ...SIZES.map(String)], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.error) return { label, skipped: `could not run ${py}: ${r.error.message}` };
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const j = JSON.parse(line);
    if (j.error) return { label, skipped: j.error };
    return { label, gflops: j.gflops, version: j.numpy, blas: j.blas };
  } catch {
    return { label, skipped: `numpy_matmul.py exited ${r.status}: ${(r.stderr || line).trim().slice(0, 200)}` };
  }
}

function adapterName(rt: Runtime): string {
  const i = rt.gpu.info as unknown as Record<string, unknown>;
  const kind = i.isSoftware ? 'software adapter' : 'hardware adapter';
  return `${i.description || i.device || i.vendor} (vendor ${i.vendor || '?'}, ${i.architecture || '?'}; ${kind})`;
}

const f1 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(1));

async function caseMatmul(rt: Runtime): Promise<string> {
  const cfg = matmulConfig(rt);
  const rows = [];
  for (const n of SIZES) {
    const [r, other] = await otherLoad(() => benchMatmul(rt, n, cfg));
    rows.push({ ...r, other });
    console.error(`  matmul ${n}³: ${r.gflops.toFixed(1)} GFLOP/s (median of ${r.reps}, ${r.medianMs.toFixed(1)} ms; other processes ${other === null ? '?' : other.toFixed(2)} cores)`);
  }
  const ov = await benchOverhead(rt);
  // numpy after ours, so its threads don't overlap our timings.
  const asSet = numpy('numpy (env as set)', process.env);
  const env2 = { ...process.env };
  delete env2.OPENBLAS_CORETYPE;
  delete env2.OPENBLAS_L2_SIZE;
  const unset = numpy('numpy (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset)', env2);
  const nps = [asSet, unset];
  const lines: string[] = [];
  lines.push(`matmul, f32, C = A·B, n×n×n; kernel config: ${JSON.stringify(cfg)}`);
  lines.push(`OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'} OPENBLAS_L2_SIZE=${process.env.OPENBLAS_L2_SIZE ?? '(unset)'} LP_NUM_THREADS=${process.env.LP_NUM_THREADS ?? '(unset)'}`);
  lines.push('', `The machine has ${cpus().length} CPUs; "other load" is the CPU time other processes used during each row (more than ~0.2 cores means the row is slowed by contention).`, '');
  const head = ['n', 'samgpu GFLOP/s', 'ms (median)', 'other load (cores)'];
  for (const np of nps) if (np.gflops) head.push(`${np.label} GFLOP/s`, 'samgpu / numpy');
  lines.push(`| ${head.join(' | ')} |`);
  lines.push(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) {
    const cells = [`${r.size}`, f1(r.gflops), r.medianMs.toFixed(1), r.other === null ? '?' : r.other.toFixed(2)];
    for (const np of nps) {
      if (!np.gflops) continue;
      const g = np.gflops[String(r.size)];
      cells.push(f1(g), g ? `${((100 * r.gflops) / g).toFixed(0)}%` : '—');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  for (const np of nps) {
    if (np.skipped) lines.push('', `${np.label}: skipped (${np.skipped})`);
    else if (np.version) lines.push('', `${np.label}: numpy ${np.version}, BLAS ${np.blas?.length ? np.blas.join(', ') : '(not found in the process maps)'}`);
  }
  if (nps.some((np) => np.blas?.length && !np.blas.some((l) => /openblas|mkl|blis/i.test(l)))) {
    lines.push('', 'numpy is linked to the reference BLAS here (no OpenBLAS installed), single-threaded: the OPENBLAS_* variables have no effect.');
  }
  lines.push('');
  lines.push(`Dispatch overhead: ${ov.dispatches} elementwise adds of 4-element tensors, then one sync (${ov.submits} submit(s): the runtime submits every maxDispatchesPerBatch dispatches, 4096 in this bench):`);
  lines.push(`${ov.usPerDispatch.toFixed(1)} µs per dispatch (recording alone ${ov.usRecordPerDispatch.toFixed(1)} µs); one submit-and-wait (one tiny dispatch + sync): ${ov.usSubmitWait.toFixed(0)} µs (median of 30).`);
  return lines.join('\n');
}

async function caseConvnet(rt: Runtime): Promise<string> {
  const rows = await benchConvLayers(rt);
  let mm: number | undefined;
  try {
    mm = (await benchMatmul(rt, 1024)).gflops;
  } catch {
    mm = undefined;
  }
  const lines = ['conv2d, f32, NCHW; GFLOP/s = 2·(output elements)·Cin·kH·kW / time, the same count for each backward GEMM.', ''];
  lines.push(`| layer | GFLOP | forward GFLOP/s | input-grad GFLOP/s | weight-grad GFLOP/s | forward ms | input-grad ms | weight-grad ms |`);
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    lines.push(`| ${r.name} | ${r.gflop.toFixed(2)} | ${f1(r.gflop / r.fwd * 1e3)} | ${f1(r.gflop / r.dInput * 1e3)} | ${f1(r.gflop / r.dWeight * 1e3)} | ${r.fwd.toFixed(1)} | ${r.dInput.toFixed(1)} | ${r.dWeight.toFixed(1)} |`);
  }
  if (mm) lines.push('', `matmul 1024³ in the same run: ${f1(mm)} GFLOP/s (conv layers should stay within 1.5× of it).`);
  const { timings } = await benchTrainSteps(rt, ['sgd']);
  lines.push('', `Small-CNN training step (batch 128, 3×64×32, 2 classes, cross-entropy, SGD momentum 0.9, weight decay 5e-4): ${timings[0].medianMs.toFixed(0)} ms (median of ${timings[0].reps}, each followed by a sync).`);
  return lines.join('\n');
}

async function caseSam(rt: Runtime): Promise<string> {
  const { timings, samExtraBytes, paramBytes } = await benchTrainSteps(rt, ['sgd', 'sam', 'lsam', 'sam+weights']);
  const ms = Object.fromEntries(timings.map((t) => [t.name, t.medianMs]));
  const lines = ['Small-CNN training step, batch 128, 3×64×32, 2 classes; base optimizer SGD (momentum 0.9, weight decay 5e-4); ρ = 0.05. Median of 9 steps after 2 warm-up rounds, each followed by a sync; the kinds are interleaved step by step so machine drift falls on all alike.', ''];
  lines.push('| optimizer | ms / step | ratio to SGD |', '|---|---|---|');
  for (const t of timings) lines.push(`| ${t.name} | ${t.medianMs.toFixed(0)} | ${(t.medianMs / ms.sgd).toFixed(3)} |`);
  lines.push('', `SAM/SGD = ${(ms.sam / ms.sgd).toFixed(3)} (goal ≤ 2.05; the two forward–backward passes alone make 2.0).`);
  lines.push(`Importance-weight diagnostics (λ at θ and λ̃ at θ̃ every step, kept on the GPU): ${(100 * (ms['sam+weights'] / ms.sam - 1)).toFixed(1)}% over SAM (goal ≤ 2%).`);
  lines.push(`Extra GPU memory SAM holds: ${(samExtraBytes / 1024).toFixed(1)} KiB for ${(paramBytes / 1024).toFixed(1)} KiB of (padded) parameters: ${(samExtraBytes / paramBytes).toFixed(3)} parameter copies (goal: one).`);
  return lines.join('\n');
}

let peerSetup: PeerSetup | null = null;
const CASES: Record<string, (rt: Runtime) => Promise<string>> = {
  matmul: caseMatmul,
  convnet: caseConvnet,
  sam: caseSam,
  peers: (rt) => casePeers(rt, peerSetup!, adapterName(rt)),
  profile: caseProfile,
};

// No case named: the side-by-side comparison with the peers.
const names = process.argv.length > 2 ? process.argv.slice(2) : ['peers'];
if (!names.length || names.some((n) => !CASES[n])) {
  console.error(`usage: npm run bench -- CASE [CASE ...]   (cases: ${Object.keys(CASES).join(', ')})`);
  process.exit(2);
}
// The peers' devices and PyTorch's process start before init() lowers the main thread's
// priority, so that they run with the same settings as ours (bench/peers/index.ts).
if (names.includes('peers')) peerSetup = await preparePeers();
const rt = await init({ maxDispatchesPerBatch: 4096 });
const adapter = adapterName(rt);
const sections: string[] = [];
for (const name of names) {
  console.error(`bench ${name} on ${adapter}`);
  const text = await CASES[name](rt);
  const section = [`## ${name}`, '', `\`npm run bench -- ${names.join(' ')}\`, ${new Date().toISOString()}, adapter: ${adapter}, node ${process.version}`, '', text].join('\n');
  console.log(`\n${section}\n`);
  sections.push(section);
}
// RESULTS.md: the latest run of each case (a section per case, replaced when rerun).
const file = join(here, 'RESULTS.md');
const intro = '# Benchmark results\n\nWritten by `npm run bench -- CASE`; each section is the latest run of that case. See bench/NOTES.md for how the matmul kernels got here.\n';
let old = existsSync(file) ? readFileSync(file, 'utf8') : intro;
for (const [i, name] of names.entries()) {
  const re = new RegExp(`## ${name}\\n[\\s\\S]*?(?=\\n## |$)`);
  old = re.test(old) ? old.replace(re, sections[i] + '\n') : `${old.trimEnd()}\n\n${sections[i]}\n`;
}
writeFileSync(file, old);
process.exit(0);
