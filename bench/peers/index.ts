// `npm run bench -- peers`: samgpu, TensorFlow.js (WebGPU), jax-js (WebGPU) and PyTorch (CPU)
// on the same workload, in one process and on one Dawn instance.
//
// Equal process settings: `preparePeers()` runs before our `init()`. It starts PyTorch's process
// and creates the tfjs and jax-js devices while the main thread still has its normal priority;
// `init()` then lowers the main thread only (nice 19, the engine's default on software
// adapters). So every engine's device threads and lavapipe's shared workers keep the same
// priority, every engine's JS and Dawn polling run on the same nice-19 main thread, and the
// PyTorch process keeps the workers' priority. (A device created after init() would get a
// nice-19 queue thread of its own: a handicap for that engine.) `processSettings()` checks it.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Runtime } from '../../engine/index.ts';
import { nodeGpu } from '../../engine/device/gpu.node.ts';
import { CONV_LAYERS, LR, MOMENTUM, N, RHO, STEP_REPS, STEP_WARMUP, emptyReport, type PeerReport } from './common.ts';
import { benchSamgpu } from './samgpu.ts';
import { prepareTfjs, benchTfjs, type TfjsPeer } from './tfjs.ts';
import { prepareJax, benchJax, type JaxPeer } from './jaxjs.ts';
import { startTorch, type TorchPeer } from './torch-cpu.ts';
import { matmulTable, samOverSgd, sanity, sideBySide } from './table.ts';
import { RESNET } from './resnet.ts';

export interface PeerSetup {
  tfjs: TfjsPeer | string;
  jax: JaxPeer | string;
  torch: TorchPeer;
}

/** Call before `init()` (see the comment at the top). */
export async function preparePeers(): Promise<PeerSetup> {
  const torch = startTorch();
  // Both peers find WebGPU through navigator (tfjs when its backend module loads, jax-js also
  // reads navigator.userAgent): hand them the GPU object our engine uses, so one Dawn instance
  // and one set of lavapipe workers serve all three.
  const prev = (globalThis as unknown as { navigator?: Record<string, unknown> }).navigator;
  Object.defineProperty(globalThis, 'navigator', {
    value: { hardwareConcurrency: cpus().length, userAgent: 'node', ...(prev ?? {}), gpu: nodeGpu() },
    configurable: true,
    writable: true,
  });
  const tfjs = await prepareTfjs();
  const jax = await prepareJax();
  return { tfjs, jax, torch };
}

function packageVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return '?';
  }
}

interface ThreadInfo {
  name: string;
  nice: number;
  main: boolean;
}

function threads(): ThreadInfo[] {
  try {
    return readdirSync('/proc/self/task').map((tid) => {
      const s = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
      return { name: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), nice: Number(fields[16]), main: Number(tid) === process.pid };
    });
  } catch {
    return [];
  }
}

/** One line on thread priorities; `equal` is false when some non-main thread was started at a different priority. */
function processSettings(torchReady: Record<string, unknown> | string): { text: string; equal: boolean } {
  const ts = threads();
  if (!ts.length) return { text: 'thread priorities: unknown (no /proc)', equal: true };
  const main = ts.find((t) => t.main);
  // Mesa's shader-cache writer ("disk$N") lowers its own priority; the rest should match.
  const others = ts.filter((t) => !t.main && !/disk\$/.test(t.name));
  const byNice = new Map<number, string[]>();
  for (const t of others) byNice.set(t.nice, [...(byNice.get(t.nice) ?? []), t.name]);
  const groups = [...byNice].map(([nice, names]) => `${names.length} at nice ${nice} (${[...new Set(names)].join(', ')})`);
  const torch = typeof torchReady === 'string' ? '' : `; PyTorch process nice ${torchReady.nice}, ${torchReady.threads} threads`;
  const torchEqual = typeof torchReady === 'string' || [...byNice.keys()].includes(Number(torchReady.nice));
  return {
    text: `main thread (every engine's JS and Dawn's polling) nice ${main?.nice ?? '?'}; other threads of this process: ${groups.join('; ')}${torch}`,
    equal: byNice.size <= 1 && torchEqual,
  };
}

export async function casePeers(rt: Runtime, setup: PeerSetup, adapter: string): Promise<string> {
  const torchReady = await setup.torch.ready; // its import must not overlap our timings
  const settings = processSettings(torchReady);
  const reports: PeerReport[] = [];
  const log = (r: PeerReport) => {
    reports.push(r);
    console.error(`  ${r.engine}: ${r.skipped ? `skipped (${r.skipped})` : `${Object.keys(r.timings).length} timings`}${r.notes.length ? `; ${r.notes.join('; ')}` : ''}`);
  };
  // PEERS=tfjs,jax,torch (default: all) picks the peers; samgpu always runs (the ratios' base).
  const chosen = new Set((process.env.PEERS ?? 'tfjs,jax,torch').split(',').map((s) => s.trim()));
  const skip = (engine: string, name: string) => ({ ...emptyReport(engine), skipped: `not in PEERS=${process.env.PEERS} (${name})` });
  log(await benchSamgpu(rt, adapter));
  log(chosen.has('tfjs') ? await benchTfjs(setup.tfjs, adapter) : skip('tfjs-webgpu', 'tfjs'));
  log(chosen.has('jax') ? await benchJax(setup.jax, adapter) : skip('jax-js', 'jax'));
  // PyTorch after the WebGPU engines (its threads would compete with lavapipe's). Meanwhile this
  // process should sleep: a GPU promise left pending would keep Dawn polling on the main thread.
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  log(chosen.has('torch') ? await setup.torch.run() : skip('PyTorch CPU', 'torch'));
  const cpu1 = process.cpuUsage(cpu0);
  const harnessCores = (cpu1.user + cpu1.system) / 1e3 / Math.max(performance.now() - t0, 1);

  const ran = reports.filter((r) => !r.skipped);
  const lines = [
    `Workload: the paper's small CNN (conv 3→32 k5 s2 p2, conv 32→64 k3 s2 p1, conv 64→128 k3 s2 p1, ReLUs, dense 4096→2), batch ${N}, 3×64×32, softmax cross-entropy, SGD lr ${LR} momentum ${MOMENTUM} without weight decay; SAM ρ = ${RHO} (two gradients per step, ascent by ρg/‖g‖, θ restored, then the momentum step). Every engine starts from the same weights and batch (bench/peers/common.ts). A step ends with reading its loss back; ${STEP_WARMUP} warm-up steps, median of ${STEP_REPS}. ResNet-18 (bench/peers/resnet.ts): CIFAR stem (3×3/1, no max pool), torchvision's blocks, batch norm with batch statistics, batch ${RESNET.n} of 3×32×32, ${RESNET.classes} classes, the same optimizers and weights in every engine (conv/linear ±1/√fan_in, BN 1 and 0); ${RESNET.warmup} warm-up step, median of ${RESNET.reps}. Ops (matmul, conv layers of bench/convnet.ts, ${CONV_LAYERS.length} of them): median of 3–25 calls after warm-up, each followed by a wait for the device. ms = median.`,
    '',
    'Engines:',
    ...reports.map((r) => `- ${r.engine}: ${r.skipped ? `**skipped**: ${r.skipped}` : `${r.version}; ${r.device}`}`),
    '',
    `Process settings: ${settings.text}. ${settings.equal ? 'Equal for all engines.' : '**Not equal**: a device or process was started at another priority.'} While PyTorch ran, this process used ${harnessCores.toFixed(2)} cores${harnessCores > 0.05 ? ' (**not idle**: it competed with PyTorch)' : ' (idle)'}.`,
    `Environment: npm webgpu (Dawn) ${packageVersion('webgpu')}; LP_NUM_THREADS=${process.env.LP_NUM_THREADS ?? '(unset)'} OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'} MESA_SHADER_CACHE_DISABLE=${process.env.MESA_SHADER_CACHE_DISABLE ?? '(unset)'}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}).`,
    '',
    `"other load" is the CPU time other processes used during each measurement, per engine (above ~0.2 cores the number is slowed by contention). Ratio > 1: the peer is slower than samgpu. ✗: the timed call gave a wrong result (see "Same work" below) or its device reported errors meanwhile, so its time says nothing.`,
    '',
    ...sideBySide(ran),
    '',
    samOverSgd(ran),
    '',
    'Matmul, f32, n×n×n:',
    '',
    ...matmulTable(ran),
    '',
    'Same work (sanity):',
    '',
    ...sanity(ran),
    '',
    `ResNet-18's losses agree at the first step (same weights and batch) and then drift apart by up to ~1e-3 in every pair of engines: its loss falls from 2.6 to about 0.2 in four steps, which amplifies float32 rounding (PyTorch float32 against PyTorch float64 on the same steps differs as much; checked while writing bench/peers/resnet.ts).`,
  ];
  const notes = ran.filter((r) => r.notes.length);
  if (notes.length) lines.push('', 'Notes:', ...notes.flatMap((r) => r.notes.map((n) => `- ${r.engine}: ${n}`)));
  return lines.join('\n');
}
