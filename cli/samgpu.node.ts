// `samgpu`: run, sweep (+ status, resubmit, cell), report, toy, info.
import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from 'node:path';
import { init } from '../engine/node.ts';
import { SamgpuError } from '../engine/device/errors.ts';
import { PRESETS, presetConfig } from '../experiments/runner/presets.ts';
import { runInDir, type RunOutcome } from '../experiments/runner/run-dir.node.ts';
import { validateSweep } from '../experiments/runner/sweep.ts';
import { loadSweepDir, prepareSweep, readBackend, writeBackend, type BackendFile, type BackendName, type SweepCellEntry, type SweepDir } from '../experiments/runner/sweep-dir.node.ts';
import { cellsToRun, launch, runCellTask } from '../experiments/runner/sweep-run.node.ts';
import { formatStatus, sweepStatus } from '../experiments/runner/sweep-status.node.ts';
import { arrayRanges, mergeSlurmOptions, validateSlurmOptions, type SlurmOptions } from '../experiments/runner/slurm.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { makeProgress } from '../experiments/runner/progress.node.ts';

const numberArg = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${v}'`);
  return n;
};
const intArg = (v: string) => {
  const n = numberArg(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${v}'`);
  return n;
};

/** Ctrl-C / SIGTERM: checkpoint at the next step and stop; a second signal exits at once. */
function stopFlag(): () => boolean {
  let stop = false;
  const on = (sig: string) => () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write(`\n${sig}: checkpointing at the next step (send it again to exit now)\n`);
  };
  process.on('SIGINT', on('SIGINT'));
  process.on('SIGTERM', on('SIGTERM'));
  return () => stop;
}

function loadConfigArg(arg: string, opts: { dataDir?: string; optimizer?: string; lr?: number; rho?: number; seed?: number; epochs?: number; weights?: string }): Record<string, unknown> {
  const optimizer = { ...(opts.optimizer ? { name: opts.optimizer } : {}), ...(opts.lr !== undefined ? { lr: opts.lr } : {}), ...(opts.rho !== undefined ? { rho: opts.rho } : {}) };
  if (PRESETS[arg]) return presetConfig(arg, { dataDir: opts.dataDir, optimizer: optimizer as never, seed: opts.seed, epochs: opts.epochs, weights: opts.weights });
  if (!existsSync(arg)) throw new SamgpuError(`run: '${arg}' is neither a preset (${Object.keys(PRESETS).join(', ')}) nor a config file`);
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(readFileSync(arg, 'utf8'));
  } catch (e) {
    throw new SamgpuError(`run: ${arg} is not valid JSON (${(e as Error).message})`);
  }
  if (opts.dataDir) cfg.dataset = { ...(cfg.dataset as object), dataDir: opts.dataDir };
  if (Object.keys(optimizer).length) cfg.optimizer = { ...(cfg.optimizer as object), ...optimizer };
  if (opts.seed !== undefined) cfg.seed = opts.seed;
  if (opts.epochs !== undefined) {
    cfg.epochs = opts.epochs;
    delete cfg.steps;
  }
  if (opts.weights !== undefined) cfg.model = { ...(cfg.model as object), weights: opts.weights };
  return cfg;
}

function summaryLine(o: RunOutcome): string {
  if (o.status === 'stopped') return `stopped at epoch ${o.epoch + 1}, batch ${o.batch}`;
  const r = o.result;
  return `test acc ${r.testAcc.toFixed(3)}, in-distribution ${r.inDistAcc.toFixed(3)}, worst group ${r.worstGroupAcc.toFixed(3)}, probe error easy ${r.probes.easy.error.toFixed(3)} hard ${r.probes.hard.error.toFixed(3)} (${r.seconds.toFixed(0)} s)`;
}

async function runOne(dir: string, cfg: unknown, resume: boolean, stop: () => boolean): Promise<RunOutcome> {
  const c = resume ? validateConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))) : validateConfig(cfg);
  const progress = makeProgress(c.name, c.epochs ?? 0, c.batchSize);
  try {
    return await runInDir(dir, cfg, {
      resume,
      shouldStop: stop,
      onProgress: (p) => progress.update(p),
      onEpoch: (m) => progress.epochDone(`epoch ${m.epoch}: loss ${m.trainLoss.toFixed(4)} train acc ${m.trainAcc.toFixed(3)} val acc ${m.valAcc.toFixed(3)} (${m.seconds.toFixed(1)} s)`),
    });
  } finally {
    progress.stop();
  }
}

const program = new Command('samgpu').description('WebGPU training engine and the experiments of "SAM Enhances Feature Quality via Balanced Learning"').showHelpAfterError();

program
  .command('run')
  .description('one training run + probes, into <results>/<run-id>/')
  .argument('[config]', `a config file or a preset (${Object.keys(PRESETS).join(', ')})`)
  .option('--resume <run-id>', 'continue an interrupted run from its last checkpoint')
  .option('--results <dir>', 'results folder', 'results')
  .option('--id <run-id>', 'name of the run folder (default: <name>-<optimizer>-s<seed>)')
  .option('--data-dir <dir>', 'folder with the dataset files (real data sets)')
  .option('--optimizer <name>', 'sgd | sam | lsam | asam')
  .option('--lr <lr>', 'learning rate', numberArg)
  .option('--rho <rho>', "SAM's radius", numberArg)
  .option('--seed <seed>', 'seed', intArg)
  .option('--epochs <n>', 'epochs', intArg)
  .option('--weights <file>', 'pretrained weights: a .safetensors with torchvision names (scripts/convert-torchvision.py)')
  .action(async (arg: string | undefined, o) => {
    await init();
    const stop = stopFlag();
    let dir: string;
    let cfg: unknown = null;
    if (o.resume) {
      dir = resolve(o.results, o.resume);
      if (!existsSync(dir)) throw new SamgpuError(`run --resume: no run '${o.resume}' in ${resolve(o.results)}`);
    } else {
      if (!arg) throw new SamgpuError('run: give a config file or a preset name');
      cfg = validateConfig(loadConfigArg(arg, o));
      const c = cfg as ReturnType<typeof validateConfig>;
      dir = resolve(o.results, o.id ?? `${c.name}-${c.optimizer.name}-s${c.seed}`);
    }
    const out = await runOne(dir, cfg, Boolean(o.resume), stop);
    console.log(`${summaryLine(out)}\nresults: ${dir}`);
    if (out.status === 'stopped') console.log(`resume with: samgpu run --resume ${dir.split('/').pop()} --results ${o.results}`);
    process.exit(out.status === 'stopped' ? 130 : 0);
  });

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The Slurm options given as flags (validated like sweep.json's "slurm" section). */
function slurmFlags(o: Record<string, unknown>): SlurmOptions {
  const pick: Record<string, unknown> = {};
  for (const k of ['partition', 'time', 'cpus', 'mem', 'gpus', 'maxRunning', 'grace', 'sbatch', 'setup', 'node']) if (o[k] !== undefined) pick[k] = o[k];
  return validateSlurmOptions(pick);
}

function withBackendOptions(c: Command): Command {
  return c
    .option('--backend <name>', 'local (processes on this machine) | slurm (a job array)')
    .option('--jobs <n>', 'local: cells run at once (default 1; resubmit: as before)', intArg)
    .option('--partition <name>', 'slurm: partition')
    .option('--time <t>', 'slurm: time limit per cell (e.g. 04:00:00)')
    .option('--cpus <n>', 'slurm: --cpus-per-task', intArg)
    .option('--mem <size>', 'slurm: --mem (e.g. 32G)')
    .option('--gpus <n>', 'slurm: --gres=gpu:N', intArg)
    .option('--max-running <n>', 'slurm: at most N tasks at once (--array=…%N)', intArg)
    .option('--grace <s>', 'slurm: seconds before the time limit to checkpoint and requeue (default 120)', intArg)
    .option('--sbatch <line>', 'slurm: another sbatch option, e.g. --account=abc (repeatable)', collect)
    .option('--setup <line>', "slurm: a shell line run before samgpu on the node, e.g. 'module load nodejs/20' (repeatable)", collect)
    .option('--node <path>', 'slurm: the node binary on the compute nodes (default: node on the PATH)')
    .option('--dry-run', 'slurm: write the sbatch script but do not submit it');
}

function backendName(v: unknown, fallback: BackendName): BackendName {
  const b = v ?? fallback;
  if (b !== 'local' && b !== 'slurm') throw new SamgpuError(`sweep: --backend: expected local or slurm, got '${String(b)}'`);
  return b;
}

/** Run or submit `cells`, report, and exit (0 all done or submitted, 130 stopped, 1 some failed). */
async function launchAndReport(sweep: SweepDir, cells: SweepCellEntry[], backend: BackendFile, o: { jobs?: number; dryRun?: boolean }): Promise<never> {
  const st = sweepStatus(sweep);
  if (!cells.length) {
    console.log(`sweep ${sweep.spec.name}: nothing to ${backend.backend === 'slurm' ? 'submit' : 'run'} (${st.counts.done} done, ${st.rows.filter((r) => r.active).length} queued or running)`);
    process.exit(0);
  }
  // local: recorded before the cells start (status reads it while they run); slurm: once submitted
  if (backend.backend === 'local') writeBackend(sweep.dir, backend);
  console.log(`sweep ${sweep.spec.name}: ${cells.length} of ${sweep.cells.length} cells to ${backend.backend === 'slurm' ? 'submit to Slurm' : `run here, ${o.jobs ?? 1} at a time`} (${st.counts.done} done)`);
  const r = await launch(sweep, cells, backend, { jobs: o.jobs, dryRun: o.dryRun });
  if (r.backend === 'slurm') {
    const s = r.submission;
    if (o.dryRun) {
      console.log(`dry run: wrote ${s.script} (not submitted; \`samgpu sweep\` without --dry-run submits it and records the job)`);
      process.exit(0);
    }
    writeBackend(sweep.dir, backend);
    console.log(`submitted Slurm job ${s.jobId}: ${s.indices.length} array tasks (--array=${arrayRanges(s.indices)}); script ${s.script}\nfollow with: samgpu sweep status ${sweep.dir}`);
    process.exit(0);
  }
  console.log(formatStatus(sweepStatus(sweep)));
  process.exit(r.result.signal ? 130 : r.result.failed + r.result.stopped ? 1 : 0);
}

const sweepCmd = withBackendOptions(
  program
    .command('sweep')
    .description('a grid of runs, on this machine (--backend local) or as a Slurm job array (--backend slurm); finished cells are skipped, interrupted ones resumed')
    .argument('<sweep.json>')
    .option('--results <dir>', 'results folder (on a filesystem the compute nodes share, for slurm)', 'results'),
).action(async (file: string, o) => {
  if (!existsSync(file)) throw new SamgpuError(`sweep: no file ${file}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SamgpuError(`sweep: ${file} is not valid JSON (${(e as Error).message})`);
  }
  const spec = validateSweep(json);
  const backend = backendName(o.backend, 'local');
  const options = backend === 'slurm' ? mergeSlurmOptions(validateSlurmOptions((spec as unknown as { slurm?: unknown }).slurm), slurmFlags(o)) : { jobs: o.jobs ?? 1 };
  const sweep = prepareSweep(spec, o.results);
  await launchAndReport(sweep, cellsToRun(sweep), { backend, options: options as Record<string, unknown> }, { jobs: o.jobs ?? 1, dryRun: o.dryRun });
});

sweepCmd
  .command('status')
  .description('cells done / running / pending / failed (with the reason) of a sweep folder')
  .argument('<sweep-dir>', 'the sweep folder (<results>/<sweep name>)')
  .option('--json', 'machine-readable')
  .action((dir: string, o) => {
    const st = sweepStatus(loadSweepDir(dir));
    console.log(o.json ? JSON.stringify(st, null, 2) : formatStatus(st));
    process.exit(0);
  });

withBackendOptions(
  sweepCmd
    .command('resubmit')
    .description('run or submit again only the cells that are neither done nor queued (same backend and options unless given)')
    .argument('<sweep-dir>'),
).action(async (dir: string, o) => {
  const sweep = loadSweepDir(dir);
  const prev = readBackend(sweep.dir) ?? { backend: 'local', options: {} };
  const backend = backendName(o.backend, prev.backend);
  const jobs: number = o.jobs ?? (prev.backend === 'local' && typeof prev.options.jobs === 'number' ? prev.options.jobs : 1);
  const options = backend === 'slurm' ? mergeSlurmOptions(prev.backend === 'slurm' ? validateSlurmOptions(prev.options) : {}, slurmFlags(o)) : { jobs };
  await launchAndReport(sweep, cellsToRun(sweep), { backend, options: options as Record<string, unknown> }, { jobs, dryRun: o.dryRun });
});

sweepCmd
  .command('cell')
  .description('run or resume one cell (what each Slurm array task runs; exit 0 done, 130 checkpointed and stopped, 1 failed)')
  .argument('<sweep-dir>')
  .requiredOption('--index <n>', 'the cell index (the array task id)', intArg)
  .action(async (dir: string, o) => {
    process.exit(await runCellTask(loadSweepDir(dir), o.index));
  });
sweepCmd.commands.forEach((c) => c.exitOverride());

program
  .command('report')
  .description('report.html (and SVGs) from the finished runs under a results folder')
  .argument('<results-dir>')
  .action(async (dir: string) => {
    const { writeReport } = await import('../experiments/report/report.node.ts');
    console.log(`report: ${writeReport(resolve(dir))}`);
    process.exit(0);
  });

program
  .command('toy')
  .description("the paper's toy setting: SGD/SAM/LSAM and one-mechanism variants, JSON + SVG + index.html")
  .allowUnknownOption()
  .argument('[options...]', 'passed to experiments/toy/run.node.ts (--out, --seeds, --steps, --config, --jobs)')
  .action(async (args: string[]) => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const entry = fileURLToPath(new URL('../experiments/toy/run.node.ts', import.meta.url));
    const loader = new URL('../scripts/register-loader.mjs', import.meta.url).href;
    const r = spawnSync(process.execPath, ['--import', loader, entry, ...args], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  });

program
  .command('info')
  .description('the WebGPU adapter, its limits, and versions')
  .action(async () => {
    const { createRequire } = await import('node:module');
    const rt = await init();
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    // The npm `webgpu` package ships Dawn's Node bindings; its version pins the Dawn build.
    const dawn = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('webgpu/package.json'), 'utf8'));
    const a = rt.gpu.info;
    console.log(`samgpu ${pkg.version}`);
    console.log(`node ${process.version}`);
    console.log(`webgpu ${dawn.version} (Dawn)`);
    // Dawn's Vulkan backend describes the adapter as "<driver name>: <driver info>"; Mesa's
    // driver info holds its version (and LLVM's, for lavapipe).
    const mesa = /Mesa \S+(?: \(LLVM [^)]+\))?/.exec(a.description)?.[0];
    const named = /^([^:]+): (.+)$/.exec(a.description);
    if (mesa ?? named) console.log(`driver: ${mesa ?? `${named![1]} ${named![2]}`}`);
    console.log(`adapter: ${rt.gpu.describe()}`);
    for (const k of ['vendor', 'architecture', 'device', 'description'] as const) console.log(`  ${k}: ${a[k] || '(not given)'}`);
    console.log(`  software: ${a.isSoftware ? 'yes (a CPU implementation)' : 'no'}`);
    console.log(`  subgroup sizes: ${a.subgroupMinSize !== undefined ? `${a.subgroupMinSize}–${a.subgroupMaxSize}` : 'not reported'}`);
    // The three optional features the engine asks for (the device has those the adapter offers).
    console.log(`features: ${(['subgroups', 'timestamp-query', 'shader-f16'] as const).map((f) => `${f} ${rt.gpu.hasFeature(f) ? 'yes' : 'no'}`).join(', ')}`);
    console.log('limits (the device\'s, raised to the adapter\'s where the engine asks):');
    const l = rt.device.limits as unknown as Record<string, number>;
    const bytes = (n: number) => (n >= 2 ** 30 - 1 ? ` (${+(n / 2 ** 30).toFixed(1)} GiB)` : n >= 2 ** 20 ? ` (${+(n / 2 ** 20).toFixed(1)} MiB)` : n >= 1024 ? ` (${+(n / 1024).toFixed(1)} KiB)` : '');
    for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize']) console.log(`  ${k}: ${l[k]}${bytes(l[k])}`);
    for (const k of ['maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage', 'minStorageBufferOffsetAlignment']) console.log(`  ${k}: ${l[k]}`);
    process.exit(0);
  });

program.commands.forEach((c) => c.exitOverride());
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof SamgpuError) {
    console.error(`samgpu: ${e.message}`);
    process.exit(2);
  }
  const code = (e as { exitCode?: number }).exitCode;
  if (typeof code === 'number') process.exit(code);
  throw e;
}
