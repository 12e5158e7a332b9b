// One live run of the demo, the same code in the page and in Node (the browser test runs it in
// both and compares the numbers). Runs on the current engine runtime (init() first).
import type { TwoFeatureDataset } from '../../experiments/data/types.ts';
import { trainLive, type LiveHooks, type LiveResult } from './loop.ts';
import { validateSettings, type LiveSettings } from './settings.ts';
import { toyLiveData, toyTask } from './toy.ts';
import { cnnTask } from './cnn.ts';

export type { EvalPoint, LiveHooks, LivePhase, LiveResult, LivePoint, LiveUpdate, ProbePoint } from './loop.ts';

/** `dataset` is the two-feature image dataset for 'fmnist-mnist' (the toy generates its own). */
export async function runLive(input: Partial<LiveSettings>, dataset: TwoFeatureDataset | null, hooks: LiveHooks = {}): Promise<LiveResult> {
  const s = validateSettings(input);
  if (s.dataset === 'toy') return trainLive(toyTask(s, toyLiveData(s.seed, s.probeSize)), s, hooks);
  if (!dataset) throw new Error(`runLive: dataset '${s.dataset}' needs its images (load them first)`);
  return trainLive(cnnTask(s, dataset), s, hooks);
}
