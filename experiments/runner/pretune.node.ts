// Tune the kernel variants a run of this config uses, once, before any run starts. Runs tune
// themselves at first use, but several processes tuning at once both repeat the work and time
// each candidate under the others' load (noisy choices); `samgpu tune` and `npm start` call this
// in one process first, so every run after it reads the cache.
import type { Runtime } from '../../engine/runtime/runtime.ts';
import { planSites, tuneSites, type TuneRow } from '../../engine/tune/tuner.ts';
import type { RunConfig } from './config.ts';
import { loadDataset } from './datasets.node.ts';
import { buildModel, planRun } from './train.ts';
import { buildOptimizer } from './optimizer.ts';

export interface PretuneOptions {
  retune?: boolean;
  log?: (line: string) => void;
  /** Called once the shape classes are known, before any is timed. */
  onPlanned?: (shapeClasses: number, describe: string) => void;
}

export async function pretune(rt: Runtime, cfg: RunConfig, o: PretuneOptions = {}): Promise<{ rows: TuneRow[]; seconds: number }> {
  const data = await loadDataset(cfg.dataset, cfg.seed);
  const model = buildModel(cfg, data);
  const opt = buildOptimizer(cfg, model, 1, 1);
  const t0 = performance.now();
  try {
    const sites = planSites(rt, () => planRun(cfg, data, model));
    o.onPlanned?.(sites.length, `${cfg.name} (${cfg.model.name}, batch ${cfg.batchSize})`);
    const rows = await tuneSites(rt, sites, { retune: o.retune, log: o.log });
    return { rows, seconds: (performance.now() - t0) / 1000 };
  } finally {
    opt.dispose();
    model.dispose();
  }
}
