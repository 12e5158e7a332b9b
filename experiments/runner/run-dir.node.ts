// A run in its results folder: results/<run-id>/{config.json, metrics.jsonl, final.json,
// checkpoint.safetensors}, every file written atomically; resume from the last checkpoint.
//
// Every state a folder can be left in (by a crash, a SIGKILL at any instant, a failed data load)
// is either resumable or a one-line error saying what is wrong and what to do:
//   no folder, or only temporaries         a fresh run starts; --resume: "no run"
//   config.json only                       never checkpointed: --resume starts it from step 0
//   config.json + checkpoint               --resume continues from the checkpoint
//   config.json + final.json               done: --resume returns the result
//   results without config.json, damaged   an error naming the file
// config.json is written only once the dataset has loaded, so a run whose data fail leaves
// nothing behind; temporaries of killed writers are removed on every start. A folder holds one
// config: the checkpoint's, final.json's and any requested config must equal config.json's.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SamgpuError } from '../../engine/device/errors.ts';
import { checkCanCreateDir, fsError, fsReason, removeStaleTemporaries } from '../io.node.ts';
import { validateConfig, type RunConfig } from './config.ts';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';
import { loadDataset } from './datasets.node.ts';
import { checkSameConfig } from './run-id.ts';
import { runExperiment, RunStopped, type EpochMetrics, type FinalResult, type RunHooks } from './train.ts';
import { writeAtomic, writeJsonAtomic } from './files.node.ts';
import { readWeights } from './weights.node.ts';

export interface RunDirOptions {
  /** Continue from results/<id>/checkpoint.safetensors (the config must be the one saved there). */
  resume?: boolean;
  onProgress?: RunHooks['onProgress'];
  onEpoch?: (m: EpochMetrics) => void;
  /** Checked between steps: return true to checkpoint and stop. */
  shouldStop?: () => boolean;
  /** After a fresh run tuned its kernels (see RunHooks.onTuned). */
  onTuned?: RunHooks['onTuned'];
}

export type RunOutcome = { status: 'done'; result: FinalResult } | { status: 'stopped'; epoch: number; batch: number };

export const runFiles = (dir: string) => ({
  config: join(dir, 'config.json'),
  checkpoint: join(dir, 'checkpoint.safetensors'),
  final: join(dir, 'final.json'),
  metrics: join(dir, 'metrics.jsonl'),
});

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SamgpuError(`${what} ${path}: ${fsReason(e, path)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SamgpuError(`${what} ${path} is damaged (not JSON: ${(e as Error).message}); remove the run folder to start the run again`);
  }
}

/** The config a run folder holds, or a one-line error saying why there is none. */
export function readRunConfig(dir: string): RunConfig {
  const f = runFiles(dir);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new SamgpuError(`resume: there is no run folder ${dir}`);
  }
  if (!isDir) throw new SamgpuError(`resume: ${dir} is a file, not a run folder`);
  if (!existsSync(f.config)) {
    if (existsSync(f.checkpoint) || existsSync(f.final)) throw new SamgpuError(`resume: ${f.config} is missing, though the folder holds results: the run folder is damaged; remove it to start the run again`);
    throw new SamgpuError(`resume: ${dir} holds no run (no config.json: it was stopped or failed before it started training); start it again with \`samgpu run <config>\``);
  }
  try {
    return validateConfig(readJson(f.config, 'run config'));
  } catch (e) {
    if (e instanceof SamgpuError && e.message.startsWith('config: ')) throw new SamgpuError(`${f.config}: ${e.message}`);
    throw e;
  }
}

/** final.json of a finished run (its config must be the folder's). */
function readFinal(dir: string, cfg: RunConfig): FinalResult {
  const f = runFiles(dir);
  const final = readJson(f.final, 'result') as FinalResult;
  if (!final || typeof final !== 'object' || !final.config) throw new SamgpuError(`result ${f.final} is damaged (no config in it); remove it to run the last part again`);
  checkSameConfig(cfg, validateConfig(final.config), `result ${f.final} is of another config than the run's`, ['in config.json', 'in final.json'], `remove ${f.final} to finish the run again`);
  return final;
}

export async function runInDir(dir: string, config: unknown, opts: RunDirOptions = {}): Promise<RunOutcome> {
  const f = runFiles(dir);
  if (!opts.resume) checkCanCreateDir(dir, 'cannot create the run folder');
  removeStaleTemporaries(dir);
  let cfg: RunConfig;
  let hooks: RunHooks = {};
  if (opts.resume) {
    cfg = readRunConfig(dir);
    if (config !== null && config !== undefined) {
      checkSameConfig(cfg, validateConfig(config), `resume: ${dir} holds a run of another config`, ['in the run', 'requested'], 'resume it without a config or with its own, or run the new config in a folder of its own');
    }
    if (existsSync(f.final)) return { status: 'done', result: readFinal(dir, cfg) };
    if (existsSync(f.checkpoint)) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(f.checkpoint);
      } catch (e) {
        throw new SamgpuError(`checkpoint ${f.checkpoint}: ${fsReason(e, f.checkpoint)}`);
      }
      const { checkpoint, config: saved } = decodeCheckpoint(bytes, f.checkpoint);
      let savedCfg: RunConfig;
      try {
        savedCfg = validateConfig(saved);
      } catch (e) {
        throw new SamgpuError(`checkpoint ${f.checkpoint}: config: ${(e as Error).message}`);
      }
      checkSameConfig(cfg, savedCfg, `checkpoint ${f.checkpoint} was written with another config than the run's`, ['in config.json', 'in the checkpoint'], 'remove the checkpoint to start the run from step 0');
      hooks.resume = checkpoint;
    }
  } else {
    cfg = validateConfig(config);
    if (existsSync(f.config)) {
      const stored = readRunConfig(dir);
      checkSameConfig(stored, cfg, `run folder ${dir} holds a run of another config`, ['in the folder', 'requested'], 'choose another run id, or remove the folder');
      const done = existsSync(f.final) ? 'finished' : existsSync(f.checkpoint) ? 'checkpointed' : null;
      if (done) throw new SamgpuError(`run folder ${dir} already holds this run (${done}): resume it (samgpu run --resume <id>), or remove the folder to start over`);
    } else if (existsSync(f.checkpoint) || existsSync(f.final)) {
      throw new SamgpuError(`run folder ${dir} holds results but no config.json: it is damaged; remove it, or choose another run id`);
    }
  }
  const metrics: EpochMetrics[] = hooks.resume ? [...hooks.resume.position.metrics] : [];
  const writeMetrics = () => writeAtomic(f.metrics, metrics.map((m) => JSON.stringify(m)).join('\n') + (metrics.length ? '\n' : ''));
  hooks = {
    ...hooks,
    onProgress: opts.onProgress,
    shouldStop: opts.shouldStop,
    onTuned: opts.onTuned,
    checkpointPath: f.checkpoint,
    onEpoch: async (m, capture) => {
      metrics.push(m);
      // the checkpoint first: metrics.jsonl never runs ahead of it (a resume rewrites it from there)
      writeAtomic(f.checkpoint, encodeCheckpoint(await capture(), cfg));
      writeMetrics();
      opts.onEpoch?.(m);
    },
    onStopped: (ck) => writeAtomic(f.checkpoint, encodeCheckpoint(ck, cfg)),
  };
  if (cfg.model.weights) hooks.weights = readWeights(cfg.model.weights);
  // The data first: a run whose data fail to load leaves no config.json that would look resumable.
  const data = await loadDataset(cfg.dataset, cfg.seed);
  if (opts.resume) writeMetrics();
  else {
    try {
      rmSync(f.metrics, { force: true });
    } catch (e) {
      throw fsError(e, f.metrics, 'cannot write');
    }
    writeJsonAtomic(f.config, cfg);
  }
  try {
    const result = await runExperiment(cfg, data, hooks);
    writeJsonAtomic(f.final, result);
    return { status: 'done', result };
  } catch (e) {
    if (e instanceof RunStopped) return { status: 'stopped', epoch: e.position.epoch, batch: e.position.batch };
    throw e;
  }
}
