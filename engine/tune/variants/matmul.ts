// The matmul family's kernel variants: every configuration the tuner may time, the shape class
// a choice applies to, and the built-in default per adapter (the hand-picked kernel). Pure data:
// engine/ops/matmul.ts runs a config, engine/tune/tuner.ts times them.
import { bucket } from '../choices.ts';
import { type AdapterFacts, clusterFits, hasSubgroups8 } from './adapter.ts';

export interface MatmulConfig {
  /**
   * tiled: workgroup-memory tiles bm×bn, K steps of bk, tm×tn outputs per thread, optional
   * double buffering (GPUs). register: no workgroup memory, tm × 4·tn4 outputs per thread on a
   * wgx×wgy workgroup (CPU adapters). subgroup: the 8-lane kernels (subgroups exactly 8 wide:
   * lavapipe). cluster: the same scheme for any subgroup size, cw lanes sharing loads, cl
   * clusters per workgroup. Every kernel takes every shape.
   */
  kernel: 'tiled' | 'register' | 'subgroup' | 'cluster';
  /** rows per thread (tiled: 4 or 8; register: ≤ 8) */
  tm: number;
  /** register: vec4 column groups per thread (1 or 2) */
  tn4?: number;
  /** register: threads per workgroup along N and M */
  wgx: number;
  wgy: number;
  /** tiled: tile rows, columns, K step, columns per thread (4 or 8), double buffering */
  bm?: number;
  bn?: number;
  bk?: number;
  tn?: number;
  db?: boolean;
  /** cluster: lanes sharing B (4, 8, 16) and clusters per workgroup */
  cw?: number;
  cl?: number;
  /** split-K: split K until about this many workgroups run (0 or absent: never split) */
  split?: number;
}

export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  batch: number;
  transA: boolean;
  transB: boolean;
}

export interface MatmulVariant {
  id: string;
  config: MatmulConfig;
  /**
   * Which adapters the tuner times it on (every variant runs everywhere it fits; 'test' ones
   * only when forced: slower than another of their kind wherever measured).
   */
  for: 'gpu' | 'cpu' | 'any' | 'test';
  fits(f: AdapterFacts): boolean;
  /** The shapes the tuner times it on (default: all). */
  when?: (s: MatmulShape) => boolean;
}

const tiled = (bm: number, bn: number, bk: number, tm: number, tn: number, db: boolean, forWhat: 'gpu' | 'any' = 'gpu'): MatmulVariant => {
  const threads = (bm / tm) * (bn / tn);
  return {
    id: `tiled-${bm}x${bn}x${bk}-${tm}x${tn}${db ? '-db' : ''}`,
    config: { kernel: 'tiled', bm, bn, bk, tm, tn, db, wgx: bn / tn, wgy: bm / tm },
    for: forWhat,
    fits: (f) => threads <= f.maxInvocations && (bm + bn) * bk * 4 * (db ? 2 : 1) <= f.wgStorage,
  };
};
const register = (tm: number, tn4: number, wg: number, forWhat: 'cpu' | 'any' | 'test' = 'cpu', wgx = wg, wgy = wg): MatmulVariant => ({
  id: `register-${tm}x${4 * tn4}${wgx === wg && wgy === wg ? '' : `-${wgx}x${wgy}`}`,
  config: { kernel: 'register', tm, tn4, wgx, wgy },
  for: forWhat,
  fits: (f) => wgx * wgy <= f.maxInvocations,
});
const cluster = (cw: number, cl: number, forWhat: 'gpu' | 'cpu'): MatmulVariant => ({
  id: `cluster-${cw}${cl > 1 ? `x${cl}` : ''}`,
  config: { kernel: 'cluster', cw, cl, tm: 4, wgx: cw * cl, wgy: 1 },
  for: forWhat,
  fits: (f) => clusterFits(f, cw) && cw * cl <= f.maxInvocations,
});

/** Every base variant (without split-K). */
export const MATMUL_VARIANTS: readonly MatmulVariant[] = [
  tiled(64, 64, 16, 4, 4, false), // the hand-picked GPU kernel
  tiled(64, 64, 16, 4, 4, true),
  tiled(32, 32, 32, 4, 4, false),
  tiled(128, 64, 16, 8, 4, true),
  tiled(128, 128, 8, 8, 8, false),
  tiled(128, 128, 16, 8, 8, true),
  register(8, 2, 8, 'any'), // the hand-picked kernel of CPU adapters without subgroups
  register(4, 1, 8),
  register(8, 1, 8, 'test'), // 13–14.5 GFLOP/s at 1024³ on lavapipe against 20 for 8×8 (bench/NOTES.md)
  // skinny shapes: every thread of the workgroup along M (N of a few columns) or along N (M of a few rows)
  { ...register(4, 1, 0, 'cpu', 1, 64), when: (s) => s.n <= 16 },
  { ...register(2, 2, 0, 'cpu', 64, 1), when: (s) => s.m <= 16 },
  { id: 'subgroup8', config: { kernel: 'subgroup', tm: 8, tn4: 2, wgx: 8, wgy: 8 }, for: 'cpu', fits: hasSubgroups8 },
  cluster(4, 1, 'cpu'),
  cluster(8, 1, 'cpu'),
  cluster(4, 16, 'gpu'),
  cluster(8, 8, 'gpu'),
  cluster(16, 4, 'gpu'),
];

/** Split-K targets (workgroups): a CPU adapter has a few cores, a GPU a hundred-odd SMs. */
const SPLIT_TARGET = { cpu: 32, gpu: 512 };

/** The variant `id` (a base id, optionally with "+sk<target>"), or undefined. */
export function matmulVariant(id: string): MatmulVariant | undefined {
  const [base, sk] = id.split('+sk');
  const v = MATMUL_VARIANTS.find((x) => x.id === base);
  if (!v || sk === undefined) return v;
  const target = Number(sk);
  if (!Number.isInteger(target) || target < 2) return undefined;
  return { ...v, id, config: { ...v.config, split: target } };
}

/** The hand-picked kernel per adapter (what every op used before tuning existed). */
export function defaultMatmulVariant(f: AdapterFacts): string {
  if (!f.software) return 'tiled-64x64x16-4x4';
  // register without subgroups: 8 rows × 8 columns per thread measured 20 GFLOP/s at 1024³ on
  // lavapipe, 8 × 4 13–14.5, 4 × 4 11.5 (bench/NOTES.md).
  return hasSubgroups8(f) ? 'subgroup8' : 'register-8x8';
}

/** Workgroups of one split of `cfg` on `s` (before split-K). */
export function matmulWorkgroups(cfg: MatmulConfig, s: MatmulShape): number {
  const tile = (() => {
    switch (cfg.kernel) {
      case 'tiled': return [cfg.bm ?? 64, cfg.bn ?? 64];
      case 'register': return [cfg.tm * cfg.wgy, 4 * (cfg.tn4 ?? 1) * cfg.wgx];
      case 'subgroup': return [32, 16];
      case 'cluster': return [4 * (cfg.cw ?? 8) * (cfg.cl ?? 1), 16];
    }
  })();
  return Math.ceil(s.m / tile[0]) * Math.ceil(s.n / tile[1]) * s.batch;
}

/** Number of K splits for `cfg` on `s`: enough to reach its target, each split ≥ 64 deep. */
export function matmulSplits(cfg: MatmulConfig, s: MatmulShape): number {
  if (!cfg.split) return 1;
  const wgs = matmulWorkgroups(cfg, s);
  if (wgs >= cfg.split) return 1;
  return Math.max(1, Math.min(Math.ceil(cfg.split / wgs), Math.floor(s.k / 64), 64));
}

/** vec4 loads apply: K % 4 == 0, N % 4 == 0 unless B is transposed, M % 4 == 0 if A is. */
export const matmulAligned = (s: MatmulShape) => s.k % 4 === 0 && (s.transA ? s.m % 4 === 0 : true) && (s.transB ? true : s.n % 4 === 0);

/** The shape class: transposes, alignment and power-of-two buckets of M, N, K and the batch. */
export function matmulKey(s: MatmulShape): string {
  return `${s.transA ? 't' : 'n'}${s.transB ? 't' : 'n'}/${matmulAligned(s) ? 'a4' : 'a1'}/M${bucket(s.m)}/N${bucket(s.n)}/K${bucket(s.k)}/b${bucket(s.batch)}`;
}

/**
 * The candidates the tuner times for shape `s`: the default, every base variant meant for this
 * kind of adapter, and where a base gives fewer workgroups than the split target, its split-K
 * form.
 */
export function matmulCandidates(f: AdapterFacts, s: MatmulShape): string[] {
  const kind = f.software ? 'cpu' : 'gpu';
  const target = SPLIT_TARGET[kind];
  const dflt = defaultMatmulVariant(f);
  const ids: string[] = [];
  for (const v of MATMUL_VARIANTS) {
    if (!v.fits(f) || (v.id !== dflt && v.for !== kind && v.for !== 'any') || (v.when && !v.when(s))) continue;
    // one cluster width per adapter: the widest its subgroups allow (fewer, wider shares)
    if (v.config.kernel === 'cluster' && v.for === 'cpu' && v.config.cw! < 8 && clusterFits(f, 8)) continue;
    ids.push(v.id);
    const sk = matmulVariant(`${v.id}+sk${target}`)!;
    if (matmulSplits(sk.config, s) > 1) ids.push(sk.id);
  }
  return ids;
}
