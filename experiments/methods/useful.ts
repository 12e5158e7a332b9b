// USEFUL, Nguyen et al., "Changing the Training Data Distribution to Reduce Simplicity Bias
// Improves In-distribution Generalization" (NeurIPS 2024, arXiv 2404.17768): after a short
// identification run (~8% of the budget), split each class into 2 clusters by k-means on the
// network's outputs; the cluster with the higher mean loss holds the examples whose simple
// features were not learned early: upsample it once (×2) and train again from scratch.
// Published as complementary to SAM. Clustering here: Lloyd's 2-means in float64, seeded
// deterministically with the lowest- and highest-loss examples of the class.
import { SamgpuError } from '../../engine/device/errors.ts';

/** 2-means of `points` (rows of `dim` values): a cluster id 0/1 per row. Deterministic. */
export function twoMeans(points: Float64Array, dim: number, seeds: [number, number], maxIter = 100): Uint8Array {
  const n = points.length / dim;
  const assign = new Uint8Array(n);
  if (n < 2) return assign;
  const centers = [points.slice(seeds[0] * dim, (seeds[0] + 1) * dim), points.slice(seeds[1] * dim, (seeds[1] + 1) * dim)];
  const dist = (i: number, c: Float64Array) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (points[i * dim + j] - c[j]) ** 2;
    return s;
  };
  for (let it = 0; it < maxIter; it++) {
    let changed = it === 0;
    for (let i = 0; i < n; i++) {
      const a = dist(i, centers[1]) < dist(i, centers[0]) ? 1 : 0;
      if (a !== assign[i]) (assign[i] = a, changed = true);
    }
    if (!changed) break;
    for (const c of [0, 1]) {
      const sum = new Float64Array(dim);
      let count = 0;
      for (let i = 0; i < n; i++) {
        if (assign[i] !== c) continue;
        count++;
        for (let j = 0; j < dim; j++) sum[j] += points[i * dim + j];
      }
      // an emptied cluster keeps its center (cannot happen with two distinct seeds, kept for safety)
      if (count) for (let j = 0; j < dim; j++) centers[c][j] = sum[j] / count;
    }
  }
  return assign;
}

/** Per-example cross-entropy from logits [n, k] (float64, stable). */
export function crossEntropyRows(logits: ArrayLike<number>, y: ArrayLike<number>, k: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let a = 0; a < k; a++) mx = Math.max(mx, logits[i * k + a]);
    let tot = 0;
    for (let a = 0; a < k; a++) tot += Math.exp(logits[i * k + a] - mx);
    out[i] = mx + Math.log(tot) - logits[i * k + y[i]];
  }
  return out;
}

/** Softmax outputs [n, k] in float64: what the clusters are formed on. */
function softmaxRows(logits: ArrayLike<number>, n: number, k: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let a = 0; a < k; a++) mx = Math.max(mx, logits[i * k + a]);
    let tot = 0;
    for (let a = 0; a < k; a++) tot += (out[i * k + a] = Math.exp(logits[i * k + a] - mx));
    for (let a = 0; a < k; a++) out[i * k + a] /= tot;
  }
  return out;
}

export interface UsefulSplit {
  /** Repeat count per training example (1, or `upweight` in the upsampled clusters). */
  counts: Int32Array;
  /** Examples upsampled, over all classes. */
  upsampled: number;
}

/**
 * Per class: 2-means on the softmax outputs of its examples, and the cluster with the higher
 * mean cross-entropy upsampled `upweight` times.
 */
export function usefulRepeats(logits: ArrayLike<number>, y: ArrayLike<number>, k: number, upweight: number): UsefulSplit {
  const n = y.length;
  if (logits.length !== n * k) throw new SamgpuError(`USEFUL: logits of ${logits.length} values for ${n} examples × ${k} classes`);
  for (let i = 0; i < logits.length; i++) if (!Number.isFinite(logits[i])) throw new SamgpuError(`USEFUL: the identification run's logits are not finite (example ${Math.floor(i / k)}): it diverged`);
  const loss = crossEntropyRows(logits, y, k);
  const probs = softmaxRows(logits, n, k);
  const counts = new Int32Array(n).fill(1);
  let upsampled = 0;
  for (let c = 0; c < k; c++) {
    const members = Array.from({ length: n }, (_, i) => i).filter((i) => y[i] === c);
    if (members.length < 2) continue;
    const pts = new Float64Array(members.length * k);
    members.forEach((i, r) => pts.set(probs.subarray(i * k, (i + 1) * k), r * k));
    let lo = 0;
    let hi = 0;
    members.forEach((i, r) => {
      if (loss[i] < loss[members[lo]]) lo = r;
      if (loss[i] > loss[members[hi]]) hi = r;
    });
    if (lo === hi) continue; // every example equally fit: nothing to separate
    const assign = twoMeans(pts, k, [lo, hi]);
    const mean = [0, 1].map((a) => {
      const ls = members.filter((_, r) => assign[r] === a).map((i) => loss[i]);
      return ls.length ? ls.reduce((s, v) => s + v, 0) / ls.length : -Infinity;
    });
    const worse = mean[1] > mean[0] ? 1 : 0;
    members.forEach((i, r) => {
      if (assign[r] === worse) (counts[i] = upweight, upsampled++);
    });
  }
  return { counts, upsampled };
}
