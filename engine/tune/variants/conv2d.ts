// The conv2d families' kernel variants (forward, input gradient, weight gradient): the
// configurations the tuner may time, the shape class a choice applies to, and the built-in
// default per adapter. Pure data: engine/ops/conv2d.ts runs a config.
import { bucket } from '../choices.ts';
import { type AdapterFacts, clusterFits, hasSubgroups8 } from './adapter.ts';

export type Conv2dFamily = 'conv2d.forward' | 'conv2d.inputGrad' | 'conv2d.weightGrad';
export const CONV2D_FAMILIES: readonly Conv2dFamily[] = ['conv2d.forward', 'conv2d.inputGrad', 'conv2d.weightGrad'];

/** Kernel choice and blocking for one of the three GEMMs of a convolution. */
export interface Conv2dConfig {
  /**
   * register: no workgroup memory, tc channels × 4 pixels per thread. subgroup: 8-lane kernels,
   * 16 channels × 32 pixels (or taps) per workgroup (subgroups exactly 8 wide: lavapipe).
   * cluster: the same kernels for any subgroup size, cw lanes per workgroup. tiled: implicit
   * GEMM on the tile core (workgroup memory, GPUs).
   */
  kernel: 'subgroup' | 'register' | 'cluster' | 'tiled';
  /** register kernels: channels per thread (forward: output, input grad: input, weight grad: output); ≤ 8 */
  tc: number;
  /** threads per workgroup (register: free; cluster: cw; tiled: (bm/tm)·(bn/tn)) */
  wg: number;
  /** weight gradient: split the output pixels (the GEMM's K) until about this many threads run */
  threads: number;
  /** cluster: lanes per workgroup (4, 8 or 16) */
  cw?: number;
  /** tiled: tile rows, columns, K step, outputs per thread, double buffering */
  bm?: number;
  bn?: number;
  bk?: number;
  tm?: number;
  tn?: number;
  db?: boolean;
}

/** What a conv2d variant's key and default depend on. */
export interface Conv2dShape {
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  groups: number;
  /** channels per group on the blocked side (output channels; input channels for the input gradient) */
  blocked: number;
  /** channels per group in the reduction (the other side) */
  summed: number;
  /** pixels of the output (forward, weight gradient) or of the input (input gradient), all images */
  pixels: number;
}

export interface Conv2dVariant {
  id: string;
  config: Conv2dConfig;
  /** Which adapters the tuner times it on ('test': only when forced, or as an adapter's default). */
  for: 'gpu' | 'cpu' | 'any' | 'test';
  fits(f: AdapterFacts): boolean;
}

const always = () => true;
const register = (tc: number, forWhat: 'cpu' | 'any' | 'gpu' | 'test'): Conv2dVariant => ({
  id: `register-${tc}`,
  config: { kernel: 'register', tc, wg: 64, threads: 0 },
  for: forWhat,
  fits: always,
});
const cluster = (cw: number, forWhat: 'cpu' | 'gpu'): Conv2dVariant => ({
  id: `cluster-${cw}`,
  config: { kernel: 'cluster', cw, tc: 4, wg: cw, threads: 0 },
  for: forWhat,
  fits: (f) => clusterFits(f, cw),
});
const tiled = (bm: number, bn: number, bk: number, tm: number, tn: number, db: boolean): Conv2dVariant => ({
  id: `tiled-${bm}x${bn}x${bk}-${tm}x${tn}${db ? '-db' : ''}`,
  config: { kernel: 'tiled', bm, bn, bk, tm, tn, db, tc: 4, wg: (bm / tm) * (bn / tn), threads: 0 },
  for: 'gpu',
  fits: (f) => (bm / tm) * (bn / tn) <= f.maxInvocations && (bm + bn) * bk * 4 * (db ? 2 : 1) <= f.wgStorage,
});

/** Every variant (threads 0: the adapter's default split target, see conv2dThreads). */
export const CONV2D_VARIANTS: readonly Conv2dVariant[] = [
  register(8, 'cpu'),
  // the hand-picked GPU kernel; on CPU adapters the default for 3–7 channels (and 1 for fewer)
  register(4, 'gpu'),
  register(1, 'test'),
  { id: 'subgroup8', config: { kernel: 'subgroup', cw: 8, tc: 4, wg: 8, threads: 0 }, for: 'cpu', fits: hasSubgroups8 },
  cluster(4, 'cpu'),
  cluster(8, 'cpu'),
  cluster(16, 'gpu'),
  tiled(64, 64, 16, 4, 4, false),
  tiled(64, 64, 16, 4, 4, true),
  tiled(32, 32, 32, 4, 4, false),
  tiled(128, 64, 16, 8, 4, true),
];

/** Weight gradient split target when a config says 0: CPU adapters want few, GPUs many threads. */
export const conv2dThreads = (f: AdapterFacts, cfg: Conv2dConfig) => cfg.threads || (f.software ? 512 : 32768);

/** The variant `id` (a base id, optionally "+sk<threads>" for the weight gradient's split target). */
export function conv2dVariant(id: string): Conv2dVariant | undefined {
  const [base, sk] = id.split('+sk');
  const v = CONV2D_VARIANTS.find((x) => x.id === base);
  if (!v || sk === undefined) return v;
  const threads = Number(sk);
  if (!Number.isInteger(threads) || threads < 1) return undefined;
  return { ...v, id, config: { ...v.config, threads } };
}

/**
 * The hand-picked kernel per adapter: register blocking on GPUs (4 channels per thread, 1 for
 * fewer than 3); on CPU adapters the 8-lane subgroup kernels where subgroups are exactly 8
 * wide and the blocked side has ≥ 8 channels and the summed side ≥ 3 (fewer would leave most of
 * a 16-channel block or of each 4-channel step idle), else register blocking: 8 channels ≈ 18
 * GFLOP/s, 4 channels ≈ 13 (forward, 3×3 layers on lavapipe); the subgroup kernels ≈ 30.
 */
export function defaultConv2dVariant(f: AdapterFacts, s: Pick<Conv2dShape, 'blocked' | 'summed'>): string {
  if (!f.software) return s.blocked >= 3 ? 'register-4' : 'register-1';
  if (hasSubgroups8(f) && s.blocked >= 8 && s.summed >= 3) return 'subgroup8';
  return s.blocked >= 8 ? 'register-8' : s.blocked >= 3 ? 'register-4' : 'register-1';
}

/** The shape class: kernel size, stride, dilation, grouping, power-of-two buckets of the channels and pixels. */
export function conv2dKey(s: Conv2dShape): string {
  const grouping = s.groups === 1 ? 'g1' : s.summed === 1 ? 'dw' : 'gN';
  const dil = s.dh === 1 && s.dw === 1 ? '' : `/d${s.dh}x${s.dw}`;
  return `k${s.kh}x${s.kw}/s${s.sh}x${s.sw}${dil}/${grouping}/c${bucket(s.blocked)}/r${bucket(s.summed)}/p${bucket(s.pixels)}`;
}

/** Candidates to time: the default and every variant meant for this kind of adapter; for the weight gradient also split-target forms. */
export function conv2dCandidates(family: Conv2dFamily, f: AdapterFacts, s: Conv2dShape): string[] {
  const kind = f.software ? 'cpu' : 'gpu';
  const dflt = defaultConv2dVariant(f, s);
  const ids: string[] = [];
  for (const v of CONV2D_VARIANTS) {
    if (!v.fits(f) || (v.id !== dflt && v.for !== kind && v.for !== 'any')) continue;
    if (v.config.kernel === 'cluster' && v.for === 'cpu' && v.config.cw! < 8 && clusterFits(f, 8)) continue;
    ids.push(v.id);
    // more splits of K (the output pixels) where the default target leaves few threads
    if (family === 'conv2d.weightGrad') ids.push(`${v.id}+sk${f.software ? 4096 : 262144}`);
  }
  return ids;
}
