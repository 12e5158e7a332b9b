// Runs the toy's plans (model structure × methods × seeds) in this process. Each run is a task;
// `part`/`parts` take every parts-th task, so worker processes share the work evenly.
import type { Method, Structure, ToyConfig } from './config.ts';
import { makeProbeSet, makeTrainSet } from './data.ts';
import { trainToy, type ToyData } from './train.ts';
import { summarizeRun, type RunRecord } from './summary.ts';

export function toyData(cfg: ToyConfig, seed: number): ToyData {
  return {
    train: makeTrainSet(cfg.data, seed),
    probeFit: makeProbeSet(cfg.data, cfg.data.probeFit, seed, 'fit'),
    probeTest: makeProbeSet(cfg.data, cfg.data.probeTest, seed, 'test'),
  };
}

export interface ToyTask {
  seed: number;
  structure: Structure;
  method: Method;
}

/** Every run of the plans, seed by seed. */
export function toyTasks(cfg: ToyConfig): ToyTask[] {
  const seeds = [...new Set(cfg.plans.flatMap((p) => p.seeds))].sort((a, b) => a - b);
  return seeds.flatMap((seed) => cfg.plans.filter((p) => p.seeds.includes(seed)).flatMap((p) => p.methods.map((method) => ({ seed, structure: p.structure, method }))));
}

/** Run the tasks with index ≡ part (mod parts); by default all of them. */
export async function runPlans(cfg: ToyConfig, opts: { part?: number; parts?: number; log?: (line: string) => void } = {}): Promise<RunRecord[]> {
  const { part = 0, parts = 1, log = () => {} } = opts;
  const tasks = toyTasks(cfg).filter((_, i) => i % parts === part);
  const records: RunRecord[] = [];
  const cache = new Map<number, ToyData>(); // the data of the current seed only
  for (const { seed, structure, method } of tasks) {
    if (!cache.has(seed)) {
      cache.clear();
      cache.set(seed, toyData(cfg, seed));
    }
    const data = cache.get(seed)!;
    const rec = await summarizeRun(cfg, await trainToy(cfg, structure, method, seed, data), data);
    records.push(rec);
    const f = rec.final;
    log(`${structure.padEnd(6)} ${method.padEnd(15)} seed ${seed}  probe easy ${f.probeEasy.toFixed(3)} hard ${f.probeHard.toFixed(3)}  ` +
      `Gini λ ${f.gini.toFixed(3)} λ̃ ${f.giniPhantom.toFixed(3)}` + (f.ratio === null ? '' : `  ‖v_h‖/‖v_e‖ ${f.ratio.toFixed(3)} → ${f.ratioPhantom!.toFixed(3)}`) +
      `  (${(rec.wallMs / 1000).toFixed(1)} s + probe ${(rec.probeMs / 1000).toFixed(1)} s)`);
  }
  return records;
}
