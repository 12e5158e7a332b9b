// Two-feature datasets built by stacking two labelled images (CIFAR-MNIST, FMNIST-MNIST):
// label k of the easy feature is paired with label k of the hard one. In a split with correlation
// c, exactly round(c·n/K) examples of each hard class carry the paired easy class and the rest
// are spread evenly over the other K−1 classes, so every class of either feature has n/K examples
// (n is rounded down to a multiple of K). A decorrelated split (c = null) has n/K² examples in
// each (easy, hard) combination (n rounded down to a multiple of K²). Images of one source class
// are drawn without replacement, so train, val and test never share an image. Pure code.
import { Rng } from '../../engine/random.ts';
import { DataError, imageSize, type FeatureInfo, type ImageShape, type SplitName, type TwoFeatureDataset, type TwoFeatureSplit } from './types.ts';
import { bytesToFloat } from './transforms.ts';

/** Images of one source split in block geometry (CHW bytes), with their feature label (−1: unused). */
export interface ClassPool {
  name: string;
  data: Uint8Array;
  shape: ImageShape;
  labels: Int32Array;
}

export interface StackedSpec {
  name: string;
  features: { easy: FeatureInfo; hard: FeatureInfo };
  /** Source pools; `val` draws from `train`. Passing the same pool as train and test splits it three ways. */
  pools: { easy: { train: ClassPool; test: ClassPool }; hard: { train: ClassPool; test: ClassPool } };
  easyOnTop: boolean;
  task: 'easy' | 'hard';
  sizes: Record<SplitName, number>;
  trainCorrelation: number;
  /** null (default): val is decorrelated like test; a number: val correlated like train. */
  valCorrelation: number | null;
  seed: number;
  /** Extra configuration to record (sources, pairs…). */
  extra?: Record<string, unknown>;
}

/** A built dataset before conversion to float: what the cache stores. */
export interface TwoFeatureBytes {
  name: string;
  shape: ImageShape;
  task: 'easy' | 'hard';
  features: { easy: FeatureInfo; hard: FeatureInfo };
  blocks: { easy: [number, number]; hard: [number, number] };
  config: Record<string, unknown>;
  splits: Record<SplitName, { x: Uint8Array; easy: Int32Array; hard: Int32Array; decorrelated: boolean }>;
}

export const SPLITS: SplitName[] = ['train', 'val', 'test'];

export function shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T, rng: Rng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/** Labels of n examples with K classes per feature; `correlation` null means decorrelated. */
export function assignLabels(n: number, K: number, correlation: number | null, rng: Rng): { easy: Int32Array; hard: Int32Array } {
  if (correlation !== null && !(correlation >= 0 && correlation <= 1)) {
    throw new DataError(`two-feature: correlation must be in [0, 1], got ${correlation}`);
  }
  const easy: number[] = [];
  const hard: number[] = [];
  if (correlation === null) {
    const per = Math.floor(n / (K * K));
    for (let e = 0; e < K; e++) for (let h = 0; h < K; h++) for (let i = 0; i < per; i++) (easy.push(e), hard.push(h));
  } else {
    const per = Math.floor(n / K);
    const matched = Math.round(correlation * per);
    for (let h = 0; h < K; h++) {
      for (let i = 0; i < per; i++) {
        hard.push(h);
        // Mismatch j goes to class h+1+(j mod K−1): over all h each easy class gets the same share.
        easy.push(i < matched ? h : (h + 1 + ((i - matched) % (K - 1))) % K);
      }
    }
  }
  const order = shuffleInPlace(Int32Array.from(easy.keys()), rng);
  return { easy: Int32Array.from(order, (i) => easy[i]), hard: Int32Array.from(order, (i) => hard[i]) };
}

/** Draws images of each class of a pool without replacement, in a seeded order (stacked sets, collages). */
export class Drawer {
  readonly byClass: Int32Array[];
  readonly used: number[];
  constructor(readonly pool: ClassPool, readonly K: number, readonly feature: FeatureInfo, rng: Rng) {
    const lists: number[][] = Array.from({ length: K }, () => []);
    pool.labels.forEach((l, i) => {
      if (l >= 0) lists[l].push(i);
    });
    this.byClass = lists.map((l) => shuffleInPlace(Int32Array.from(l), rng));
    this.used = new Array(K).fill(0);
  }
  take(k: number, split: string, dataset: string): number {
    if (this.used[k] >= this.byClass[k].length) {
      throw new DataError(
        `${dataset}: split ${split} needs more '${this.feature.classes[k]}' images than ${this.pool.name} has ` +
          `(${this.byClass[k].length} in all, shared with the earlier splits): lower the split sizes`,
      );
    }
    return this.byClass[k][this.used[k]++];
  }
}

export function buildStacked(spec: StackedSpec): TwoFeatureBytes {
  const K = spec.features.easy.classes.length;
  if (spec.features.hard.classes.length !== K || K < 2) {
    throw new DataError(`${spec.name}: both features need the same number (≥ 2) of classes, got ${K} and ${spec.features.hard.classes.length}`);
  }
  const { easy: pe, hard: ph } = spec.pools;
  const [ce, he, we] = pe.train.shape;
  const [ch, hh, wh] = ph.train.shape;
  if (ce !== ch || we !== wh) throw new DataError(`${spec.name}: blocks must share channels and width, got [${pe.train.shape}] and [${ph.train.shape}]`);
  const rng = new Rng(spec.seed);
  const drawers = new Map<ClassPool, Drawer>();
  const drawer = (pool: ClassPool, feature: FeatureInfo) => {
    if (!drawers.has(pool)) drawers.set(pool, new Drawer(pool, K, feature, rng));
    return drawers.get(pool)!;
  };
  const top = spec.easyOnTop ? he : hh;
  const shape: ImageShape = [ce, he + hh, we];
  const size = imageSize(shape);
  const splits = {} as TwoFeatureBytes['splits'];
  const sizes = {} as Record<SplitName, number>;
  for (const split of SPLITS) {
    const corr = split === 'train' ? spec.trainCorrelation : split === 'val' ? spec.valCorrelation : null;
    const { easy, hard } = assignLabels(spec.sizes[split], K, corr, rng);
    const source = split === 'test' ? 'test' : 'train';
    const de = drawer(pe[source], spec.features.easy);
    const dh = drawer(ph[source], spec.features.hard);
    const n = easy.length;
    const x = new Uint8Array(n * size);
    const eSize = ce * he * we;
    const hSize = ch * hh * wh;
    for (let i = 0; i < n; i++) {
      const ei = de.take(easy[i], split, spec.name);
      const hi = dh.take(hard[i], split, spec.name);
      for (let c = 0; c < ce; c++) {
        const plane = i * size + c * shape[1] * we;
        const eRows = pe[source].data.subarray(ei * eSize + c * he * we, ei * eSize + (c + 1) * he * we);
        const hRows = ph[source].data.subarray(hi * hSize + c * hh * wh, hi * hSize + (c + 1) * hh * wh);
        x.set(spec.easyOnTop ? eRows : hRows, plane);
        x.set(spec.easyOnTop ? hRows : eRows, plane + top * we);
      }
    }
    splits[split] = { x, easy, hard, decorrelated: corr === null };
    sizes[split] = n;
  }
  const blocks: TwoFeatureBytes['blocks'] = spec.easyOnTop ? { easy: [0, he], hard: [he, he + hh] } : { easy: [hh, hh + he], hard: [0, hh] };
  const config = {
    ...spec.extra,
    sizes,
    trainCorrelation: spec.trainCorrelation,
    valCorrelation: spec.valCorrelation,
    seed: spec.seed,
    task: spec.task,
    sources: { easy: [pe.train.name, pe.test.name], hard: [ph.train.name, ph.test.name] },
  };
  return { name: spec.name, shape, task: spec.task, features: spec.features, blocks, config, splits };
}

/** Build a split record from labels (y from `task`, group = easy·Kh + hard). */
export function makeSplit(
  split: SplitName, images: Float32Array, shape: ImageShape, easy: Int32Array, hard: Int32Array,
  task: 'easy' | 'hard', hardClasses: number, decorrelated: boolean,
): TwoFeatureSplit {
  const group = Int32Array.from(easy, (e, i) => e * hardClasses + hard[i]);
  return { split, n: easy.length, shape, images, y: task === 'easy' ? easy : hard, easy, hard, group, decorrelated };
}

/** Pixels x/255 as float32 (no mean/std normalization, as in Shah et al.). */
export function toDataset(b: TwoFeatureBytes): TwoFeatureDataset {
  const Kh = b.features.hard.classes.length;
  const splits = {} as Record<SplitName, TwoFeatureSplit>;
  for (const s of SPLITS) {
    const p = b.splits[s];
    splits[s] = makeSplit(s, bytesToFloat(p.x, b.shape), b.shape, p.easy, p.hard, b.task, Kh, p.decorrelated);
  }
  return { name: b.name, shape: b.shape, task: b.task, features: b.features, splits, blocks: b.blocks, config: b.config };
}

/** Cache entry ↔ bytes (arrays `<split>.x|easy|hard`, the rest in meta). */
export function bytesToEntry(b: TwoFeatureBytes): { meta: Record<string, unknown>; arrays: Record<string, Uint8Array | Int32Array> } {
  const arrays: Record<string, Uint8Array | Int32Array> = {};
  const decorrelated: Record<string, boolean> = {};
  for (const s of SPLITS) {
    arrays[`${s}.x`] = b.splits[s].x;
    arrays[`${s}.easy`] = b.splits[s].easy;
    arrays[`${s}.hard`] = b.splits[s].hard;
    decorrelated[s] = b.splits[s].decorrelated;
  }
  const { splits: _, ...meta } = b;
  return { meta: { ...meta, decorrelated }, arrays };
}

export function entryToBytes(e: { meta: Record<string, unknown>; arrays: Record<string, unknown> }): TwoFeatureBytes {
  const m = e.meta as Omit<TwoFeatureBytes, 'splits'> & { decorrelated: Record<SplitName, boolean> };
  const splits = {} as TwoFeatureBytes['splits'];
  for (const s of SPLITS) {
    splits[s] = {
      x: e.arrays[`${s}.x`] as Uint8Array,
      easy: e.arrays[`${s}.easy`] as Int32Array,
      hard: e.arrays[`${s}.hard`] as Int32Array,
      decorrelated: m.decorrelated[s],
    };
  }
  const { decorrelated: _, ...rest } = m;
  return { ...rest, splits };
}
