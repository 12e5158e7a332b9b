// What one live run of the demo does, its defaults per dataset and optimizer, and a validator
// whose messages name the bad field. Pure: shared by the page and the Node-side test.
import { DEFAULT_CONFIG as TOY_DEFAULTS } from '../../experiments/toy/config.ts';
import { DEFAULTS as RUN_DEFAULTS } from '../../experiments/runner/config.ts';

export type LiveDataset = 'toy' | 'fmnist-mnist';
export type LiveOptimizer = 'sgd' | 'sam' | 'lsam';

export interface LiveSettings {
  dataset: LiveDataset;
  optimizer: LiveOptimizer;
  lr: number;
  /** SAM's radius; for SGD the radius of the counterfactual phantom point θ̃ at which λ̃ is measured. */
  rho: number;
  seed: number;
  /** Training steps (toy: full-batch steps; CNN: minibatches). */
  steps: number;
  /** Minibatch size (CNN only). */
  batchSize: number;
  /** Read loss, accuracy, λ and λ̃ back every this many steps (and at the last step). */
  every: number;
  /** Fit the feature probes (linear probes on the frozen features; slow on CPU adapters for the CNN). */
  probes: boolean;
  /** Fit them every this many steps (and at the last step); 0: at the last step only. */
  probeEvery: number;
  /** Probe set size: toy: examples per probe set (fit and test); CNN: examples per (easy, hard) group. */
  probeSize: number;
}

export const DATASETS: readonly LiveDataset[] = ['toy', 'fmnist-mnist'];
export const OPTIMIZERS: readonly LiveOptimizer[] = ['sgd', 'sam', 'lsam'];

/** The toy's documented defaults (experiments/toy/config.ts) and the runner's for the CNN. */
export function defaultSettings(dataset: LiveDataset, optimizer: LiveOptimizer = 'sam'): LiveSettings {
  if (dataset === 'toy') {
    const t = TOY_DEFAULTS.train;
    return {
      dataset, optimizer, lr: t.lr, rho: optimizer === 'lsam' ? t.rho.lsam : t.rho.sam, seed: 0,
      steps: 300, batchSize: TOY_DEFAULTS.data.n, every: 5, probes: true, probeEvery: 50, probeSize: 1000,
    };
  }
  const o = RUN_DEFAULTS.optimizer;
  return {
    dataset, optimizer, lr: o.lr, rho: o.rho, seed: 0,
    steps: 94, batchSize: 64, every: 2, probes: true, probeEvery: 47, probeSize: 20,
  };
}

function fail(field: string, expected: string, got: unknown): never {
  throw new Error(`settings: ${field}: expected ${expected}, got ${JSON.stringify(got)}`);
}

/** Fill defaults (for the given dataset and optimizer) and check every field. */
export function validateSettings(input: Partial<LiveSettings>): LiveSettings {
  const dataset = input.dataset ?? 'toy';
  if (!DATASETS.includes(dataset)) fail('dataset', `one of ${DATASETS.join(', ')}`, dataset);
  const optimizer = input.optimizer ?? 'sam';
  if (!OPTIMIZERS.includes(optimizer)) fail('optimizer', `one of ${OPTIMIZERS.join(', ')}`, optimizer);
  const s: LiveSettings = { ...defaultSettings(dataset, optimizer) };
  for (const [k, v] of Object.entries(input) as [keyof LiveSettings, unknown][]) {
    if (v !== undefined && k in s) (s as unknown as Record<string, unknown>)[k] = v;
  }
  const num = (k: keyof LiveSettings, ok: (v: number) => boolean, expected: string) => {
    const v = s[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(k, expected, v);
  };
  const int = (v: number) => Number.isInteger(v);
  num('lr', (v) => v > 0, 'a number > 0');
  num('rho', (v) => v >= 0, 'a number >= 0');
  num('seed', (v) => int(v) && v >= 0, 'an integer >= 0');
  num('steps', (v) => int(v) && v >= 1, 'an integer >= 1');
  num('batchSize', (v) => int(v) && v >= 2, 'an integer >= 2');
  num('every', (v) => int(v) && v >= 1, 'an integer >= 1');
  if (typeof s.probes !== 'boolean') fail('probes', 'true or false', s.probes);
  num('probeEvery', (v) => int(v) && v >= 0, 'an integer >= 0');
  num('probeSize', (v) => int(v) && v >= 4, 'an integer >= 4');
  return s;
}

/** Steps (1-based: after that many updates; 0 = at initialization) at which metrics are read back. */
export function monitorSteps(steps: number, every: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < steps; s += every) out.push(s);
  out.push(steps);
  return out;
}
