// `samgpu run <preset | config.json>`: one training run + probes into <results>/<run-id>/.
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { init } from '../../engine/node.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import { PRESETS, presetConfig } from '../../experiments/runner/presets.ts';
import { readRunConfig, runInDir, type RunOutcome } from '../../experiments/runner/run-dir.node.ts';
import { defaultRunId } from '../../experiments/runner/run-id.ts';
import { fsReason } from '../../experiments/io.node.ts';
import { validateConfig } from '../../experiments/runner/config.ts';
import { makeProgress } from '../../experiments/runner/progress.node.ts';
import { intArg, numberArg, positiveIntArg } from '../args.ts';
import { dataDocLink, NO_FILES } from '../data-docs.ts';
import { presetsTable } from '../presets-help.ts';
import { stopFlag } from '../stop-flag.node.ts';

export interface RunFlags {
  dataDir?: string;
  optimizer?: string;
  lr?: number;
  rho?: number;
  seed?: number;
  epochs?: number;
  batchSize?: number;
  weights?: string;
}

/** A preset or a config file, with the flags merged over it (flags win). */
export function loadConfigArg(arg: string, opts: RunFlags): Record<string, unknown> {
  const optimizer = { ...(opts.optimizer ? { name: opts.optimizer } : {}), ...(opts.lr !== undefined ? { lr: opts.lr } : {}), ...(opts.rho !== undefined ? { rho: opts.rho } : {}) };
  let cfg: Record<string, unknown>;
  if (PRESETS[arg]) {
    cfg = presetConfig(arg, { dataDir: opts.dataDir, optimizer: optimizer as never, seed: opts.seed, epochs: opts.epochs, weights: opts.weights });
  } else {
    if (!existsSync(arg)) throw new SamgpuError(`run: '${arg}' is neither a preset (${Object.keys(PRESETS).join(', ')}) nor a config file`);
    let text: string;
    try {
      text = readFileSync(arg, 'utf8');
    } catch (e) {
      throw new SamgpuError(`run: ${arg}: ${fsReason(e, arg)}`);
    }
    try {
      cfg = JSON.parse(text);
    } catch (e) {
      throw new SamgpuError(`run: ${arg} is not valid JSON (${(e as Error).message})`);
    }
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new SamgpuError(`run: ${arg}: expected a JSON object (a run config), got ${JSON.stringify(cfg).slice(0, 40)}`);
    cfg = withOverrides(cfg, opts);
  }
  if (opts.batchSize !== undefined) cfg.batchSize = opts.batchSize;
  requireDataDir(arg, cfg);
  return cfg;
}

/** `cfg` with the flags applied (as over a config file); batchSize by the caller. */
function withOverrides(cfg: Record<string, unknown>, opts: RunFlags): Record<string, unknown> {
  const out = structuredClone(cfg);
  const optimizer = { ...(opts.optimizer ? { name: opts.optimizer } : {}), ...(opts.lr !== undefined ? { lr: opts.lr } : {}), ...(opts.rho !== undefined ? { rho: opts.rho } : {}) };
  if (opts.dataDir) out.dataset = { ...(out.dataset as object), dataDir: opts.dataDir };
  if (Object.keys(optimizer).length) out.optimizer = { ...(out.optimizer as object), ...optimizer };
  if (opts.seed !== undefined) out.seed = opts.seed;
  if (opts.epochs !== undefined) {
    out.epochs = opts.epochs;
    delete out.steps; // epochs replace a step-counted config's steps
  }
  if (opts.weights !== undefined) out.model = { ...(out.model as object), weights: opts.weights };
  if (opts.batchSize !== undefined) out.batchSize = opts.batchSize;
  return out;
}

/** --results must be a folder, or not exist yet. */
function checkResultsFolder(path: string): void {
  try {
    if (!statSync(path).isDirectory()) throw new SamgpuError(`run: --results ${path} is a file, not a folder`);
  } catch (e) {
    if (e instanceof SamgpuError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new SamgpuError(`run: --results ${path}: ${fsReason(e, path)}`);
  }
}

/** A dataset read from files needs its folder: say which flag and where the layout is described. */
function requireDataDir(arg: string, cfg: Record<string, unknown>): void {
  const ds = (cfg.dataset ?? {}) as { name?: unknown; dataDir?: unknown };
  const name = typeof ds.name === 'string' ? ds.name : undefined;
  if (!name || NO_FILES.includes(name) || ds.dataDir) return;
  throw new SamgpuError(`run ${arg}: the ${name} dataset is read from its files on disk (nothing is downloaded): pass --data-dir DIR (expected layout: ${dataDocLink(name)})`);
}

function summaryLine(o: RunOutcome): string {
  if (o.status === 'stopped') return `stopped at epoch ${o.epoch + 1}, batch ${o.batch}`;
  const r = o.result;
  return `test acc ${r.testAcc.toFixed(3)}, in-distribution ${r.inDistAcc.toFixed(3)}, worst group ${r.worstGroupAcc.toFixed(3)}, probe error easy ${r.probes.easy.error.toFixed(3)} hard ${r.probes.hard.error.toFixed(3)} (${r.seconds.toFixed(0)} s)`;
}

async function runOne(dir: string, cfg: unknown, resume: boolean, stop: () => boolean): Promise<RunOutcome> {
  const c = resume ? readRunConfig(dir) : validateConfig(cfg);
  const progress = makeProgress(c.name, c.epochs ?? 0, c.batchSize);
  try {
    return await runInDir(dir, cfg, {
      resume,
      shouldStop: stop,
      onTuned: (rows, s) => progress.epochDone(`kernels: ${rows.filter((r) => !r.cached).length} shape classes tuned, ${rows.filter((r) => r.cached).length} from the cache (${s.toFixed(1)} s; samgpu tune prints the table)`),
      onProgress: (p) => progress.update(p),
      onEpoch: (m) => progress.epochDone(`epoch ${m.epoch}: loss ${m.trainLoss.toFixed(4)} train acc ${m.trainAcc.toFixed(3)} val acc ${m.valAcc.toFixed(3)} (${m.seconds.toFixed(1)} s)`),
    });
  } finally {
    progress.stop();
  }
}

export function runCommand(program: Command): Command {
  return program
    .command('run')
    .description('one training run + linear probes per feature, written to <results>/<run-id>/')
    .argument('[config]', `a preset (${Object.keys(PRESETS).join(', ')}) or a config file (JSON with any of name, seed, dataset, model, optimizer, schedule, epochs or steps, batchSize, microBatchSize, sampler, method, probe, importance; the rest from the defaults)`)
    .option('--data-dir <dir>', `folder with the dataset's standard files (every preset but ${NO_FILES.join(' and ')}; layouts in docs/DATA.md)`)
    .option('--optimizer <name>', "sgd | sam | lsam (SAM perturbing the last layer only) | asam (adaptive SAM); default: the preset's")
    .option('--lr <lr>', "learning rate; default: the preset's", numberArg)
    .option('--rho <rho>', "SAM's radius ρ (sam, lsam, asam; ignored by sgd); default: the preset's", numberArg)
    .option('--epochs <n>', "passes over the training split (replaces a DomainBed preset's steps); default: the preset's", positiveIntArg)
    .option('--batch-size <n>', "minibatch size; default: the preset's", positiveIntArg)
    .option('--weights <file>', 'pretrained weights: torchvision names in a .safetensors (python3 scripts/convert-torchvision.py IN.pth OUT.safetensors; docs/DATA.md, "Pretrained weights"); required by the published-protocol presets')
    .option('--seed <seed>', 'seed of the initialization, data order and probe subsets (default 0)', intArg)
    .option('--results <dir>', 'results folder', 'results')
    .option('--id <run-id>', 'name of the run folder (default: <preset>-<optimizer>-s<seed>-<8 hex digits of the full config>)')
    .option('--resume <run-id>', 'continue an interrupted run from its last checkpoint (its config is reused; a config or flags given too must equal it)')
    .addHelpText('after', `\nPresets and their defaults (flags override them):\n${presetsTable()}\n\nExamples:\n  samgpu run fmnist-mnist-embedded --optimizer sam --rho 0.05\n  samgpu run celeba-smoke --data-dir ~/data/celeba --epochs 2\n  samgpu run waterbirds-dfr --data-dir ~/data/waterbirds --weights resnet50.safetensors --optimizer sam --rho 0.05\n  samgpu run --resume fmnist-mnist-embedded-sam-s0-<hash> (the folder name printed by the run)`)
    .action(async (arg: string | undefined, o) => {
      checkResultsFolder(o.results);
      let dir: string;
      let cfg: unknown = null;
      if (o.resume) {
        if (o.id !== undefined) throw new SamgpuError('run: --id names a new run; --resume names the run to continue (give one of them)');
        dir = resolve(o.results, o.resume);
        if (!existsSync(dir)) throw new SamgpuError(`run --resume: no run '${o.resume}' in ${resolve(o.results)}`);
        // A config or flags with --resume are compared with the run's own, never silently ignored.
        const flags = ['dataDir', 'optimizer', 'lr', 'rho', 'seed', 'epochs', 'batchSize'].some((k) => o[k] !== undefined);
        if (arg || flags) cfg = validateConfig(arg ? loadConfigArg(arg, o) : withOverrides(readRunConfig(dir) as unknown as Record<string, unknown>, o));
      } else {
        if (!arg) throw new SamgpuError('run: give a preset name or a config file (samgpu run --help lists the presets)');
        cfg = validateConfig(loadConfigArg(arg, o));
        dir = resolve(o.results, o.id ?? defaultRunId(cfg as ReturnType<typeof validateConfig>));
      }
      await init();
      const stop = stopFlag();
      const out = await runOne(dir, cfg, Boolean(o.resume), stop);
      console.log(`${summaryLine(out)}\nresults: ${dir}`);
      if (out.status === 'stopped') console.log(`resume with: samgpu run --resume ${basename(dir)} --results ${o.results}`);
      process.exit(out.status === 'stopped' ? 130 : 0);
    });
}
