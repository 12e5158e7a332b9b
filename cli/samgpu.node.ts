// `samgpu`: run, sweep, report, toy, info.
import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from 'node:path';
import { init } from '../engine/node.ts';
import { SamgpuError } from '../engine/device/errors.ts';
import { PRESETS, presetConfig } from '../experiments/runner/presets.ts';
import { runInDir, type RunOutcome } from '../experiments/runner/run-dir.node.ts';
import { expandSweep, validateSweep } from '../experiments/runner/sweep.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { makeProgress } from '../experiments/runner/progress.node.ts';
import { writeJsonAtomic } from '../experiments/runner/files.node.ts';

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

function loadConfigArg(arg: string, opts: { dataDir?: string; optimizer?: string; lr?: number; rho?: number; seed?: number; epochs?: number }): Record<string, unknown> {
  const optimizer = { ...(opts.optimizer ? { name: opts.optimizer } : {}), ...(opts.lr !== undefined ? { lr: opts.lr } : {}), ...(opts.rho !== undefined ? { rho: opts.rho } : {}) };
  if (PRESETS[arg]) return presetConfig(arg, { dataDir: opts.dataDir, optimizer: optimizer as never, seed: opts.seed, epochs: opts.epochs });
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
  if (opts.epochs !== undefined) cfg.epochs = opts.epochs;
  return cfg;
}

function summaryLine(o: RunOutcome): string {
  if (o.status === 'stopped') return `stopped at epoch ${o.epoch + 1}, batch ${o.batch}`;
  const r = o.result;
  return `test acc ${r.testAcc.toFixed(3)}, worst group ${r.worstGroupAcc.toFixed(3)}, probe error easy ${r.probes.easy.error.toFixed(3)} hard ${r.probes.hard.error.toFixed(3)} (${r.seconds.toFixed(0)} s)`;
}

async function runOne(dir: string, cfg: unknown, resume: boolean, stop: () => boolean): Promise<RunOutcome> {
  const c = resume ? validateConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))) : validateConfig(cfg);
  const progress = makeProgress(c.name, c.epochs, c.batchSize);
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

program
  .command('sweep')
  .description('a grid of runs; finished cells are skipped, interrupted ones resumed')
  .argument('<sweep.json>')
  .option('--results <dir>', 'results folder', 'results')
  .action(async (file: string, o) => {
    const spec = validateSweep(JSON.parse(readFileSync(file, 'utf8')));
    const cells = expandSweep(spec);
    const root = resolve(o.results, spec.name);
    writeJsonAtomic(join(root, 'sweep.json'), spec);
    await init();
    const stop = stopFlag();
    for (const [i, cell] of cells.entries()) {
      const dir = join(root, 'runs', cell.id);
      const done = existsSync(join(dir, 'final.json'));
      if (done) {
        console.log(`[${i + 1}/${cells.length}] ${cell.id}: done, skipped`);
        continue;
      }
      const resume = existsSync(join(dir, 'config.json'));
      const out = await runOne(dir, cell.config, resume, stop);
      console.log(`[${i + 1}/${cells.length}] ${cell.id}: ${summaryLine(out)}`);
      if (out.status === 'stopped') process.exit(130);
    }
    console.log(`sweep ${spec.name}: ${cells.length} cells in ${root}`);
    process.exit(0);
  });

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
  .command('info')
  .description('the WebGPU adapter, its limits, and versions')
  .action(async () => {
    const rt = await init();
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const l = rt.device.limits;
    console.log(`samgpu ${pkg.version}, node ${process.version}`);
    console.log(`adapter: ${rt.gpu.describe()}`);
    console.log(`features: ${[...rt.device.features].sort().join(', ')}`);
    for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'minStorageBufferOffsetAlignment']) {
      console.log(`  ${k}: ${(l as unknown as Record<string, number>)[k]}`);
    }
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
