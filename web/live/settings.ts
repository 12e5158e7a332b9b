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
  /** SAM's radius (SGD has none: ignored). */
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
  /** The network's own accuracy on the decorrelated split every this many steps (and at the last); 0: last only. */
  evalEvery: number;
  /** CNN: examples per (easy, hard) group of that evaluation set (the toy evaluates on its probe test set). */
  evalSize: number;
}

export const DATASETS: readonly LiveDataset[] = ['toy', 'fmnist-mnist'];
export const OPTIMIZERS: readonly LiveOptimizer[] = ['sgd', 'sam', 'lsam'];

/**
 * The toy's documented defaults (experiments/toy/config.ts) and the runner's for the CNN.
 * `software`: the adapter is a CPU implementation (lavapipe, SwiftShader): the CNN then gets a
 * shorter run with smaller batches and no probes, whose 3,584-feature fits take minutes there
 * (PROBE_COST); the user may tick them.
 */
export function defaultSettings(dataset: LiveDataset, optimizer: LiveOptimizer = 'sam', software = false): LiveSettings {
  if (dataset === 'toy') {
    const t = TOY_DEFAULTS.train;
    return {
      dataset, optimizer, lr: t.lr, rho: optimizer === 'lsam' ? t.rho.lsam : t.rho.sam, seed: 0,
      steps: 300, batchSize: TOY_DEFAULTS.data.n, every: 5, probes: true, probeEvery: 50, probeSize: 1000, evalEvery: 10, evalSize: 0,
    };
  }
  const o = RUN_DEFAULTS.optimizer;
  const common = { dataset, optimizer, lr: o.lr, rho: o.rho, seed: 0, every: 2, probeSize: 20, evalEvery: 10, evalSize: 4 };
  return software
    ? { ...common, steps: 40, batchSize: 32, probes: false, probeEvery: 0 }
    : { ...common, steps: 94, batchSize: 64, probes: true, probeEvery: 47 };
}

/** What one probe fit costs, said next to the checkbox (measured, see the comments). */
export function probeCost(dataset: LiveDataset, software: boolean): string {
  if (dataset === 'toy') return 'a fit takes about a second (32 features)';
  // One fit of the CNN's 3,584 features × 500 examples (two targets, gradient descent):
  // 12 s in Node on lavapipe, 13 min in headless Chromium on SwiftShader (2-core machine).
  return software
    ? 'each fit of the CNN\'s 3,584 features takes minutes on this CPU adapter (13 min measured on SwiftShader, 12 s on lavapipe)'
    : 'each fit of the CNN\'s 3,584 features takes seconds on a GPU';
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
  num('evalEvery', (v) => int(v) && v >= 0, 'an integer >= 0');
  num('evalSize', (v) => int(v) && v >= 0, 'an integer >= 0');
  return s;
}

/** Steps (1-based: after that many updates; 0 = at initialization) at which metrics are read back. */
export function monitorSteps(steps: number, every: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < steps; s += every) out.push(s);
  out.push(steps);
  return out;
}
