// Operations on built splits: group-balanced subsets (the probe sets of DFR), Shah et al.'s
// randomized copies (one block shuffled across examples so its label association is broken),
// and the statistics tests and reports check. Pure code.
import { Rng } from '../../engine/random.ts';
import { shuffleInPlace, makeSplit } from './two-feature.ts';
import { DataError, imageSize, type TwoFeatureDataset, type TwoFeatureSplit } from './types.ts';

/** Copy the examples `idx` of a split (in that order). */
export function subset(s: TwoFeatureSplit, idx: ArrayLike<number>, task: 'easy' | 'hard', hardClasses: number, decorrelated: boolean): TwoFeatureSplit {
  const size = imageSize(s.shape);
  const images = new Float32Array(idx.length * size);
  for (let i = 0; i < idx.length; i++) images.set(s.images.subarray(idx[i] * size, (idx[i] + 1) * size), i * size);
  const pick = (a: Int32Array) => Int32Array.from({ length: idx.length }, (_, i) => a[idx[i]]);
  const out = makeSplit(s.split, images, s.shape, pick(s.easy), pick(s.hard), task, hardClasses, decorrelated);
  // k-feature splits: every feature's label, the task label and the group of all of them travel along
  if (s.featureLabels) Object.assign(out, { featureLabels: s.featureLabels.map(pick), y: pick(s.y), group: pick(s.group) });
  return out;
}

/** Every (easy, hard) group subsampled to the smallest one's size, seeded: the labels become independent. */
export function balanceGroups(ds: TwoFeatureDataset, s: TwoFeatureSplit, seed = 0): TwoFeatureSplit {
  const Ke = ds.features.easy.classes.length;
  const Kh = ds.features.hard.classes.length;
  const members: number[][] = Array.from({ length: Ke * Kh }, () => []);
  for (let i = 0; i < s.n; i++) members[s.group[i]].push(i);
  const min = Math.min(...members.map((m) => m.length));
  if (min === 0) {
    const g = members.findIndex((m) => m.length === 0);
    throw new DataError(
      `${ds.name}: cannot balance split ${s.split}: group (${ds.features.easy.name}=${ds.features.easy.classes[Math.floor(g / Kh)]}, ` +
        `${ds.features.hard.name}=${ds.features.hard.classes[g % Kh]}) has no example`,
    );
  }
  const rng = new Rng(seed);
  const idx: number[] = [];
  for (const m of members) idx.push(...shuffleInPlace(Int32Array.from(m), rng).subarray(0, min));
  idx.sort((a, b) => a - b);
  return subset(s, idx, ds.task, Kh, true);
}

/**
 * Shah et al.'s randomized copy: the rows of one block are permuted across the examples (with
 * that feature's label), so the block no longer predicts y; the other block is untouched.
 */
export function randomizeBlock(ds: TwoFeatureDataset, s: TwoFeatureSplit, block: 'easy' | 'hard', seed = 0): TwoFeatureSplit {
  if (!ds.blocks) throw new DataError(`${ds.name}: randomizeBlock needs a stacked dataset (no blocks)`);
  const [r0, r1] = ds.blocks[block];
  const [c, h, w] = s.shape;
  const perm = shuffleInPlace(Int32Array.from({ length: s.n }, (_, i) => i), new Rng(seed));
  const images = s.images.slice();
  const size = c * h * w;
  for (let i = 0; i < s.n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const from = perm[i] * size + (ch * h + r0) * w;
      images.set(s.images.subarray(from, from + (r1 - r0) * w), i * size + (ch * h + r0) * w);
    }
  }
  const moved = Int32Array.from(perm, (j) => s[block][j]);
  const easy = block === 'easy' ? moved : s.easy.slice();
  const hard = block === 'hard' ? moved : s.hard.slice();
  const out = makeSplit(s.split, images, s.shape, easy, hard, ds.task, ds.features.hard.classes.length, false);
  // y keeps the original task label: the randomized block just stops carrying it.
  out.y = s.y.slice();
  return out;
}

export interface SplitStats {
  n: number;
  easyCounts: number[];
  hardCounts: number[];
  /** groupCounts[e][h]. */
  groupCounts: number[][];
  /** Fraction of examples whose easy label equals their hard label (the pairing). */
  agreement: number;
  /** Largest |P(e, h) − P(e)·P(h)| over the groups: 0 for independent labels. */
  dependence: number;
}

export function splitStats(s: TwoFeatureSplit, Ke: number, Kh: number): SplitStats {
  const easyCounts = new Array(Ke).fill(0);
  const hardCounts = new Array(Kh).fill(0);
  const groupCounts = Array.from({ length: Ke }, () => new Array(Kh).fill(0));
  let agree = 0;
  for (let i = 0; i < s.n; i++) {
    easyCounts[s.easy[i]]++;
    hardCounts[s.hard[i]]++;
    groupCounts[s.easy[i]][s.hard[i]]++;
    if (s.easy[i] === s.hard[i]) agree++;
  }
  let dependence = 0;
  for (let e = 0; e < Ke; e++) {
    for (let h = 0; h < Kh; h++) {
      // In integers first, so independent labels give exactly 0.
      dependence = Math.max(dependence, Math.abs(s.n * groupCounts[e][h] - easyCounts[e] * hardCounts[h]) / (s.n * s.n));
    }
  }
  return { n: s.n, easyCounts, hardCounts, groupCounts, agreement: s.n ? agree / s.n : 0, dependence };
}

/**
 * Split a decorrelated split in two by group, seeded: `share` of each (easy, hard) group's
 * examples go to the first part (the probes' fit set), the rest to the second (the selection set
 * that hyper-parameters are chosen on), so both stay decorrelated and neither sees the other.
 */
export function carveSplit(ds: TwoFeatureDataset, s: TwoFeatureSplit, share: number, seed: number): [TwoFeatureSplit, TwoFeatureSplit] {
  if (!(share > 0 && share < 1)) throw new DataError(`${ds.name}: carveSplit: share must be in (0, 1), got ${share}`);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < s.n; i++) {
    if (!groups.has(s.group[i])) groups.set(s.group[i], []);
    groups.get(s.group[i])!.push(i);
  }
  const rng = new Rng(seed);
  const first: number[] = [];
  const second: number[] = [];
  for (const g of [...groups.keys()].sort((a, b) => a - b)) {
    const m = shuffleInPlace(Int32Array.from(groups.get(g)!), rng);
    const k = Math.round(share * m.length);
    first.push(...m.subarray(0, k));
    second.push(...m.subarray(k));
  }
  if (!first.length || !second.length) throw new DataError(`${ds.name}: split ${s.split} (${s.n} examples) is too small to carve a ${share} share from`);
  first.sort((a, b) => a - b);
  second.sort((a, b) => a - b);
  const hardClasses = ds.features.hard.classes.length;
  return [subset(s, first, ds.task, hardClasses, s.decorrelated), subset(s, second, ds.task, hardClasses, s.decorrelated)];
}
