// Collages in the style of Teney et al. 2022 ("Evading the simplicity bias", their
// generateCollages.m): each image tiles k grayscale blocks of 32×32, each block one of two classes
// of a source (MNIST 0/1, CIFAR-10 automobile/truck, Fashion-MNIST pullover/coat, SVHN 0/1, or a
// generated grating), on a grid (default: column-major 2×2, Teney's MNIST | Fashion over
// CIFAR | SVHN), then subsampled by nearest neighbour (their `useSmallImages`). Every block is an
// annotated feature. Train: every block carries the task label (share `trainCorrelation`); val and
// test: all block labels independent and every combination equally often, so each block alone
// carries its own label (Teney's four one-block test sets in one). Images of a source are drawn
// without replacement, so splits never share one. Pure code; collage.node.ts reads the sources.
import { Rng } from '../../engine/random.ts';
import { assignFeatureLabels, featureDataset, featureIndex, makeFeatureSplit } from './k-feature.ts';
import { bytesToFloat } from './transforms.ts';
import { Drawer, SPLITS, type ClassPool } from './two-feature.ts';
import { DataError, type AnnotatedFeature, type ImageShape, type SplitName, type TwoFeatureDataset, type TwoFeatureSplit } from './types.ts';

/** Side of one block before subsampling (CIFAR/SVHN size; MNIST and Fashion are zero-padded to it). */
export const COLLAGE_CELL = 32;

export interface CollageBlock {
  id: string;
  name: string;
  classes: [string, string];
  /** 1×32×32 grayscale bytes, labels 0/1 (−1 unused); `val` draws from `train`, the same pool as train and test splits it three ways. */
  pools: { train: ClassPool; test: ClassPool };
}

export interface CollageSpec {
  name: string;
  blocks: CollageBlock[];
  /** [row, column] of each block on the grid (default column-major 2 rows: (0,0), (1,0), (0,1), (1,1), …). */
  positions?: [number, number][];
  /** Keep every `downsample`-th pixel (1, 2, 4, 8). */
  downsample: number;
  sizes: Record<SplitName, number>;
  trainCorrelation: number;
  /** null: val decorrelated like test. */
  valCorrelation: number | null;
  /** Train on one block alone: only it carries the label in training, and it is y everywhere. */
  alone?: string;
  seed: number;
  extra?: Record<string, unknown>;
}

/** What the cache stores: bytes and labels per split. */
export interface CollageBytes {
  name: string;
  shape: ImageShape;
  annotated: AnnotatedFeature[];
  task: number;
  config: Record<string, unknown>;
  splits: Record<SplitName, { x: Uint8Array; labels: Int32Array[]; decorrelated: boolean }>;
}

export function defaultPositions(k: number): [number, number][] {
  return Array.from({ length: k }, (_, j) => [j % 2, Math.floor(j / 2)] as [number, number]);
}

export function checkPositions(positions: readonly (readonly number[])[], k: number, what = 'collage'): void {
  if (positions.length !== k) throw new DataError(`${what}: positions: expected one [row, column] per block (${k}), got ${positions.length}`);
  const seen = new Set<string>();
  for (const p of positions) {
    if (p.length !== 2 || !p.every((v) => Number.isInteger(v) && v >= 0 && v < 8)) throw new DataError(`${what}: positions: expected [row, column] integers 0–7, got ${JSON.stringify(p)}`);
    const key = p.join(',');
    if (seen.has(key)) throw new DataError(`${what}: positions: two blocks at [${key}]`);
    seen.add(key);
  }
}

export function buildCollage(spec: CollageSpec): CollageBytes {
  const k = spec.blocks.length;
  if (k < 2) throw new DataError(`${spec.name}: a collage needs at least 2 blocks, got ${k}`);
  const positions = spec.positions ?? defaultPositions(k);
  checkPositions(positions, k, spec.name);
  const ds = spec.downsample;
  if (![1, 2, 4, 8].includes(ds)) throw new DataError(`${spec.name}: downsample must be 1, 2, 4 or 8, got ${ds}`);
  for (const b of spec.blocks) {
    for (const p of [b.pools.train, b.pools.test]) {
      if (p.shape.join() !== `1,${COLLAGE_CELL},${COLLAGE_CELL}`) throw new DataError(`${spec.name}: block ${b.id}: pool ${p.name} has shape [${p.shape}], expected [1, ${COLLAGE_CELL}, ${COLLAGE_CELL}]`);
    }
  }
  const cs = COLLAGE_CELL / ds;
  const rows = Math.max(...positions.map((p) => p[0])) + 1;
  const cols = Math.max(...positions.map((p) => p[1])) + 1;
  const H = rows * cs;
  const W = cols * cs;
  const annotated: AnnotatedFeature[] = spec.blocks.map((b, j) => ({
    id: b.id, name: b.name, classes: [...b.classes], cell: { top: positions[j][0] * cs, left: positions[j][1] * cs, height: cs, width: cs },
  }));
  const task = spec.alone === undefined ? k - 1 : featureIndex(annotated, spec.alone, `${spec.name}: alone`);
  const rng = new Rng(spec.seed);
  const drawers = new Map<ClassPool, Drawer>();
  const drawer = (pool: ClassPool, b: CollageBlock) => {
    if (!drawers.has(pool)) drawers.set(pool, new Drawer(pool, 2, { name: b.name, classes: b.classes }, rng));
    return drawers.get(pool)!;
  };
  const classes = spec.blocks.map(() => 2);
  const splits = {} as CollageBytes['splits'];
  const sizes = {} as Record<SplitName, number>;
  const plane = COLLAGE_CELL * COLLAGE_CELL;
  for (const split of SPLITS) {
    const corr = split === 'train' ? spec.trainCorrelation : split === 'val' ? spec.valCorrelation : null;
    const free = spec.alone !== undefined && split === 'train' ? annotated.map((_, j) => j).filter((j) => j !== task) : [];
    const labels = assignFeatureLabels(spec.sizes[split], classes, task, corr, rng, free);
    const n = labels[0].length;
    const x = new Uint8Array(n * H * W);
    const source = split === 'test' ? 'test' : 'train';
    spec.blocks.forEach((b, j) => {
      const pool = b.pools[source];
      const d = drawer(pool, b);
      const [top, left] = [positions[j][0] * cs, positions[j][1] * cs];
      for (let i = 0; i < n; i++) {
        const img = pool.data.subarray(d.take(labels[j][i], split, spec.name) * plane);
        for (let r = 0; r < cs; r++) for (let c = 0; c < cs; c++) x[i * H * W + (top + r) * W + left + c] = img[r * ds * COLLAGE_CELL + c * ds];
      }
    });
    splits[split] = { x, labels, decorrelated: corr === null };
    sizes[split] = n;
  }
  const config = {
    ...spec.extra, blocks: spec.blocks.map((b) => b.id), positions, downsample: ds, sizes, trainCorrelation: spec.trainCorrelation,
    valCorrelation: spec.valCorrelation, seed: spec.seed, sources: Object.fromEntries(spec.blocks.map((b) => [b.id, [b.pools.train.name, b.pools.test.name]])),
    ...(spec.alone !== undefined ? { alone: spec.alone } : {}),
  };
  return { name: spec.name, shape: [1, H, W], annotated, task, config, splits };
}

/** Pixels x/255 as float32 (no mean/std normalization, as Teney et al.'s [0, 1] images). */
export function collageToDataset(b: CollageBytes): TwoFeatureDataset {
  const classes = b.annotated.map((f) => f.classes.length);
  const splits = {} as Record<SplitName, TwoFeatureSplit>;
  for (const s of SPLITS) {
    const p = b.splits[s];
    splits[s] = makeFeatureSplit(s, bytesToFloat(p.x, b.shape), b.shape, p.labels, classes, b.task, p.decorrelated);
  }
  return featureDataset(b.name, b.shape, b.annotated, splits, b.config);
}

/** Cache entry ↔ bytes: arrays `<split>.x` and `<split>.labels` (k rows of n), the rest in meta. */
export function collageToEntry(b: CollageBytes): { meta: Record<string, unknown>; arrays: Record<string, Uint8Array | Int32Array> } {
  const arrays: Record<string, Uint8Array | Int32Array> = {};
  const decorrelated: Record<string, boolean> = {};
  for (const s of SPLITS) {
    arrays[`${s}.x`] = b.splits[s].x;
    const n = b.splits[s].labels[0].length;
    const all = new Int32Array(b.annotated.length * n);
    b.splits[s].labels.forEach((l, j) => all.set(l, j * n));
    arrays[`${s}.labels`] = all;
    decorrelated[s] = b.splits[s].decorrelated;
  }
  const { splits: _, ...meta } = b;
  return { meta: { ...meta, decorrelated }, arrays };
}

export function entryToCollage(e: { meta: Record<string, unknown>; arrays: Record<string, unknown> }): CollageBytes {
  const m = e.meta as Omit<CollageBytes, 'splits'> & { decorrelated: Record<SplitName, boolean> };
  const k = m.annotated.length;
  const splits = {} as CollageBytes['splits'];
  for (const s of SPLITS) {
    const all = e.arrays[`${s}.labels`] as Int32Array;
    const n = all.length / k;
    splits[s] = { x: e.arrays[`${s}.x`] as Uint8Array, labels: Array.from({ length: k }, (_, j) => all.slice(j * n, (j + 1) * n)), decorrelated: m.decorrelated[s] };
  }
  const { decorrelated: _, ...rest } = m;
  return { ...rest, splits };
}
