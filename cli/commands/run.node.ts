// `samgpu run <preset | config.json>`: one training run + probes into <results>/<run-id>/.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { init } from '../../engine/node.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import { PRESETS, presetConfig } from '../../experiments/runner/presets.ts';
import { runInDir, type RunOutcome } from '../../experiments/runner/run-dir.node.ts';
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
      delete cfg.steps; // epochs replace a step-counted config's steps
    }
    if (opts.weights !== undefined) cfg.model = { ...(cfg.model as object), weights: opts.weights };
  }
  if (opts.batchSize !== undefined) cfg.batchSize = opts.batchSize;
  requireDataDir(arg, cfg);
  return cfg;
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

export function runCommand(program: Command): Command {
  return program
    .command('run')
    .description('one training run + linear probes per feature, written to <results>/<run-id>/')
    .argument('[config]', `a preset (${Object.keys(PRESETS).join(', ')}) or a config file (JSON with any of name, seed, dataset, model, optimizer, schedule, epochs or steps, batchSize, microBatchSize, sampler, probe, importance; the rest from the defaults)`)
    .option('--data-dir <dir>', `folder with the dataset's standard files (every preset but ${NO_FILES.join(' and ')}; layouts in docs/DATA.md)`)
    .option('--optimizer <name>', "sgd | sam | lsam (SAM perturbing the last layer only) | asam (adaptive SAM); default: the preset's")
    .option('--lr <lr>', "learning rate; default: the preset's", numberArg)
    .option('--rho <rho>', "SAM's radius ρ (sam, lsam, asam; ignored by sgd); default: the preset's", numberArg)
    .option('--epochs <n>', "passes over the training split (replaces a DomainBed preset's steps); default: the preset's", positiveIntArg)
    .option('--batch-size <n>', "minibatch size; default: the preset's", positiveIntArg)
    .option('--weights <file>', 'pretrained weights: torchvision names in a .safetensors (python3 scripts/convert-torchvision.py IN.pth OUT.safetensors; docs/DATA.md, "Pretrained weights"); required by the published-protocol presets')
    .option('--seed <seed>', 'seed of the initialization, data order and probe subsets (default 0)', intArg)
    .option('--results <dir>', 'results folder', 'results')
    .option('--id <run-id>', 'name of the run folder (default: <preset>-<optimizer>-s<seed>)')
    .option('--resume <run-id>', 'continue an interrupted run from its last checkpoint (its config is reused)')
    .addHelpText('after', `\nPresets and their defaults (flags override them):\n${presetsTable()}\n\nExamples:\n  samgpu run fmnist-mnist-embedded --optimizer sam --rho 0.05\n  samgpu run celeba-smoke --data-dir ~/data/celeba --epochs 2\n  samgpu run waterbirds-dfr --data-dir ~/data/waterbirds --weights resnet50.safetensors --optimizer sam --rho 0.05\n  samgpu run --resume fmnist-mnist-embedded-sam-s0`)
    .action(async (arg: string | undefined, o) => {
      let dir: string;
      let cfg: unknown = null;
      if (o.resume) {
        dir = resolve(o.results, o.resume);
        if (!existsSync(dir)) throw new SamgpuError(`run --resume: no run '${o.resume}' in ${resolve(o.results)}`);
      } else {
        if (!arg) throw new SamgpuError('run: give a preset name or a config file (samgpu run --help lists the presets)');
        cfg = validateConfig(loadConfigArg(arg, o));
        const c = cfg as ReturnType<typeof validateConfig>;
        dir = resolve(o.results, o.id ?? `${c.name}-${c.optimizer.name}-s${c.seed}`);
      }
      await init();
      const stop = stopFlag();
      const out = await runOne(dir, cfg, Boolean(o.resume), stop);
      console.log(`${summaryLine(out)}\nresults: ${dir}`);
      if (out.status === 'stopped') console.log(`resume with: samgpu run --resume ${dir.split('/').pop()} --results ${o.results}`);
      process.exit(out.status === 'stopped' ? 130 : 0);
    });
}
