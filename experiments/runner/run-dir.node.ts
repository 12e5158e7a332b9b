// A run in its results folder: results/<run-id>/{config.json, metrics.jsonl, final.json,
// checkpoint.safetensors}, every file written atomically; resume from the last checkpoint.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SamgpuError } from '../../engine/device/errors.ts';
import { validateConfig, type RunConfig } from './config.ts';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';
import { loadDataset } from './datasets.node.ts';
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
}

export type RunOutcome = { status: 'done'; result: FinalResult } | { status: 'stopped'; epoch: number; batch: number };

export async function runInDir(dir: string, config: unknown, opts: RunDirOptions = {}): Promise<RunOutcome> {
  const ckPath = join(dir, 'checkpoint.safetensors');
  const cfgPath = join(dir, 'config.json');
  let cfg: RunConfig;
  let hooks: RunHooks = {};
  if (opts.resume) {
    if (!existsSync(cfgPath)) throw new SamgpuError(`resume: ${cfgPath} does not exist (no run to resume in ${dir})`);
    cfg = validateConfig(JSON.parse(readFileSync(cfgPath, 'utf8')));
    if (existsSync(join(dir, 'final.json'))) {
      return { status: 'done', result: JSON.parse(readFileSync(join(dir, 'final.json'), 'utf8')) };
    }
    if (existsSync(ckPath)) hooks.resume = decodeCheckpoint(readFileSync(ckPath), ckPath).checkpoint;
  } else {
    cfg = validateConfig(config);
    writeJsonAtomic(cfgPath, cfg);
  }
  const metrics: EpochMetrics[] = hooks.resume ? [...hooks.resume.position.metrics] : [];
  const writeMetrics = () => writeAtomic(join(dir, 'metrics.jsonl'), metrics.map((m) => JSON.stringify(m)).join('\n') + (metrics.length ? '\n' : ''));
  hooks = {
    ...hooks,
    onProgress: opts.onProgress,
    shouldStop: opts.shouldStop,
    checkpointPath: ckPath,
    onEpoch: async (m, capture) => {
      metrics.push(m);
      writeMetrics();
      writeAtomic(ckPath, encodeCheckpoint(await capture(), cfg));
      opts.onEpoch?.(m);
    },
    onStopped: (ck) => writeAtomic(ckPath, encodeCheckpoint(ck, cfg)),
  };
  if (cfg.model.weights) hooks.weights = readWeights(cfg.model.weights);
  const data = await loadDataset(cfg.dataset, cfg.seed);
  try {
    const result = await runExperiment(cfg, data, hooks);
    writeJsonAtomic(join(dir, 'final.json'), result);
    return { status: 'done', result };
  } catch (e) {
    if (e instanceof RunStopped) return { status: 'stopped', epoch: e.position.epoch, batch: e.position.batch };
    throw e;
  }
}
