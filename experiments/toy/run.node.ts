// `npm run toy` and `samgpu toy`: every plan of the toy (experiments/toy/config.ts) on the GPU
// engine, then the JSON records, SVG figures and an index.html in results/toy/ (or --out).
//
//   node --import ./scripts/register-loader.mjs experiments/toy/run.node.ts [options]
//     --out DIR        output folder (default: the config's outDir, results/toy)
//     --seeds 0,1,2    run only these seeds (default: the plans' seeds)
//     --steps N        training steps (default 1000)
//     --config X       overrides: a JSON file or inline JSON merged into the defaults
//     --jobs N         worker processes sharing the runs (default 2; 1 = in this process)
//
// Training the toy is bound by the cost of issuing small dispatches, not by lavapipe's compute:
// on the 2-core machine two worker processes with lavapipe at one thread each took 75 s where
// one process took 97 s (same runs, idle machine).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '../../engine/node.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import { compactJson, writeFileAtomic } from '../io.node.ts';
import { makeConfig, METHODS, type ToyConfig, type ToyConfigOverrides } from './config.ts';
import { runPlans, toyTasks } from './runner.ts';
import { summarize, type RunRecord, type SummaryRow } from './summary.ts';
import { figures, indexHtml } from './report.ts';

interface WorkerOutput {
  device: string;
  records: RunRecord[];
}

/** What `samgpu toy` and the script take (strings as typed; checked by `configFrom`). */
export interface ToyRunOptions {
  out?: string;
  seeds?: string;
  steps?: string | number;
  config?: string;
  jobs?: string | number;
}

export const TOY_OPTIONS = ['out', 'seeds', 'steps', 'config', 'jobs'] as const;

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new SamgpuError(`toy: unexpected argument '${a}'`);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new SamgpuError(`toy: ${a} needs a value`);
    out.set(a.slice(2), v);
    i++;
  }
  for (const k of out.keys()) if (![...TOY_OPTIONS, 'worker', 'part'].includes(k)) throw new SamgpuError(`toy: unknown option --${k}`);
  return out;
}

function configFrom(o: ToyRunOptions): ToyConfig {
  let over: ToyConfigOverrides = {};
  if (o.config) {
    try {
      over = JSON.parse(existsSync(o.config) ? readFileSync(o.config, 'utf8') : o.config) as ToyConfigOverrides;
    } catch (e) {
      throw new SamgpuError(`toy: --config: expected a JSON file or inline JSON, got '${o.config}' (${(e as Error).message})`);
    }
  }
  const cfg = makeConfig(over);
  if (o.steps !== undefined) cfg.train.steps = Number(o.steps);
  if (o.out !== undefined) cfg.outDir = o.out;
  if (o.seeds !== undefined) {
    const seeds = o.seeds.split(',').map(Number);
    if (!seeds.every((s) => Number.isInteger(s) && s >= 0)) throw new SamgpuError(`toy: --seeds must be integers ≥ 0 separated by commas, got '${o.seeds}'`);
    for (const p of cfg.plans) p.seeds = seeds;
  }
  if (!Number.isInteger(cfg.train.steps) || cfg.train.steps < 1) throw new SamgpuError(`toy: --steps must be an integer ≥ 1, got ${o.steps ?? cfg.train.steps}`);
  return cfg;
}

async function worker(cfg: ToyConfig, part: number, parts: number, file: string | null): Promise<WorkerOutput> {
  const rt = await init();
  const records = await runPlans(cfg, { part, parts, log: (line) => console.log(line) });
  const out = { device: rt.gpu.describe(), records };
  if (file) writeFileAtomic(file, JSON.stringify(out));
  return out;
}

/** A worker process: its configuration travels in TOY_CONFIG, its records come back in `file`. */
export async function runToyWorker(file: string, part: string): Promise<void> {
  const cfg = makeConfig(JSON.parse(process.env.TOY_CONFIG ?? '{}') as ToyConfigOverrides);
  const [i, n] = part.split('/').map(Number);
  await worker(cfg, i, n, file);
}

const children = new Set<ChildProcess>();

function runChild(workerArgv: string[], cfg: ToyConfig, part: number, parts: number, file: string): Promise<void> {
  const env = { ...process.env, TOY_CONFIG: JSON.stringify(cfg), LP_NUM_THREADS: process.env.LP_NUM_THREADS ?? '1' };
  const child = spawn(process.execPath, [...workerArgv, '--worker', file, '--part', `${part}/${parts}`], { env, stdio: 'inherit' });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new SamgpuError(`toy: worker ${part}/${parts} exited with ${signal ?? code}`))));
  });
}

/**
 * Run the toy and write its files. `workerArgv`: the arguments after `node` that start this
 * same entry in a worker process (`--worker FILE --part i/n` are appended): the script itself,
 * or the `samgpu` command followed by `toy`.
 */
export async function runToy(opts: ToyRunOptions, workerArgv: string[]): Promise<void> {
  const t0 = performance.now();
  const cfg = configFrom(opts);
  const requested = Number(opts.jobs ?? 2);
  if (!Number.isInteger(requested) || requested < 1) throw new SamgpuError(`toy: --jobs must be an integer ≥ 1, got ${opts.jobs}`);
  const jobs = Math.min(requested, toyTasks(cfg).length);
  console.log(`toy: ${cfg.plans.map((p) => `${p.structure} × [${p.methods.join(', ')}] × ${p.seeds.length} seeds`).join('; ')}; ${cfg.train.steps} steps; ${jobs} process(es)`);
  let outputs: WorkerOutput[];
  if (jobs === 1) {
    outputs = [await worker(cfg, 0, 1, null)];
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-toy-'));
    try {
      const files = Array.from({ length: jobs }, (_, j) => join(dir, `part${j}.json`));
      try {
        await Promise.all(files.map((f, j) => runChild(workerArgv, cfg, j, jobs, f)));
      } catch (e) {
        for (const c of children) c.kill(); // the other workers' results would be discarded
        throw e;
      }
      outputs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as WorkerOutput);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const structureOrder = cfg.plans.map((p) => p.structure);
  const records = outputs.flatMap((o) => o.records).sort((a, b) =>
    structureOrder.indexOf(a.structure) - structureOrder.indexOf(b.structure) || METHODS.indexOf(a.method) - METHODS.indexOf(b.method) || a.seed - b.seed);
  const rows = summarize(records, cfg.train.matchedLoss);
  const figs = figures(cfg, records);
  const wallSeconds = (performance.now() - t0) / 1000;
  const meta = { wallSeconds, device: outputs[0].device, date: new Date().toISOString(), processes: jobs };
  const out = cfg.outDir;
  writeFileAtomic(join(out, 'runs.json'), compactJson({ config: cfg, meta, records }));
  writeFileAtomic(join(out, 'summary.json'), JSON.stringify({ config: cfg, meta, rows }, null, 1));
  for (const f of figs) writeFileAtomic(join(out, f.file), f.svg);
  writeFileAtomic(join(out, 'index.html'), indexHtml(cfg, rows, figs, meta));
  printSummary(rows);
  console.log(`\ntoy: ${records.length} runs in ${wallSeconds.toFixed(1)} s on ${meta.device}; wrote ${join(out, 'index.html')}`);
}

function printSummary(rows: SummaryRow[]): void {
  console.log('\nstructure method          easy probe       hard probe       Gini λ→λ̃ (final)   ‖v_h‖/‖v_e‖ θ→θ̃    share of SAM gain');
  for (const r of rows) {
    const s = (x: { mean: number; sd: number } | null) => (x ? `${x.mean.toFixed(3)}±${x.sd.toFixed(3)}` : '–');
    console.log(`${r.structure.padEnd(9)} ${r.method.padEnd(16)} ${s(r.probeEasy).padEnd(16)} ${s(r.probeHard).padEnd(16)} ` +
      `${r.gini.mean.toFixed(3)}→${r.giniPhantom.mean.toFixed(3)}        ${r.ratio ? `${r.ratio.mean.toFixed(3)}→${r.ratioPhantom!.mean.toFixed(3)}` : '–'.padEnd(11)}        ` +
      `${r.shareOfSamGain === null ? '–' : r.shareOfSamGain.toFixed(2)}`);
  }
  console.log('\nGini of λ (θ) / λ̃ (θ̃) at matched training loss (first recorded step at or below the level; mean over the seeds that reach it)');
  for (const r of rows) {
    console.log(`${r.structure.padEnd(9)} ${r.method.padEnd(16)} ` + r.matched.map((m) => `loss ≤ ${m.level}: ` +
      (m.reached ? `step ${m.step.mean.toFixed(0).padStart(4)}  ${m.gini.mean.toFixed(3)} / ${m.giniPhantom.mean.toFixed(3)} (${m.reached})` : 'not reached'.padEnd(29))).join('   '));
  }
}

// Run as a script (npm run toy; experiments/main.node.ts spawns it too).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  if (args.has('worker')) await runToyWorker(args.get('worker')!, args.get('part') ?? '0/1');
  else await runToy(Object.fromEntries(args) as ToyRunOptions, [...process.execArgv, fileURLToPath(import.meta.url)]);
}

