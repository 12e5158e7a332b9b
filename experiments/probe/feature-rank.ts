// Rank of a representation: the singular values of the centered feature matrix (examples ×
// units) and three summaries of them.
//  - effective rank (Roy & Vetterli 2007, "The effective rank: a measure of effective
//    dimensionality"): exp of the Shannon entropy of the singular values normalized to sum 1;
//  - numerical rank: singular values above a share `threshold` of the largest;
//  - PCA rank: components that explain 90% of the variance (Chang & Khanna 2025's "effective
//    rank", effective_rank_pca in their code), the quantity they report SAM to lower.
// Andriushchenko et al. (NeurIPS 2023, "Sharpness-aware minimization leads to low-rank
// features") and Chang & Khanna report SAM lowering such ranks. The singular values come from a
// cyclic Jacobi eigen-solver on the smaller Gram matrix in float64 (exact to rounding at the
// sizes the runner probes: a few hundred units or examples).
import { SamgpuError } from '../../engine/device/errors.ts';
import type { TwoFeatureSplit } from '../data/types.ts';
import { extractFeatures, type FeatureExtractor } from './feature-probes.ts';

export interface FeatureRank {
  /** exp(H(p)) with p_i = σ_i / Σσ; 0 for features that are constant over the examples. */
  effective: number;
  /** σ_i > threshold · σ_max. */
  numerical: number;
  threshold: number;
  /** Fewest principal components explaining 90% of the variance (Σσ²). */
  pca90: number;
  /** Examples and units of the matrix measured. */
  examples: number;
  units: number;
}

/** Relative singular-value threshold of the numerical rank. */
export const RANK_THRESHOLD = 1e-3;

/** Eigenvalues of a symmetric m×m matrix (row-major, float64; overwritten), by cyclic Jacobi rotations. */
export function symmetricEigenvalues(a: Float64Array, m: number): Float64Array {
  if (a.length !== m * m) throw new SamgpuError(`symmetricEigenvalues: expected an ${m}×${m} matrix (${m * m} values), got ${a.length}`);
  const off = () => {
    let s = 0;
    for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) s += a[i * m + j] ** 2;
    return s;
  };
  let scale = 0;
  for (let i = 0; i < m * m; i++) scale += a[i] ** 2;
  for (let sweep = 0; sweep < 100 && off() > 1e-30 * scale; sweep++) {
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q];
        if (apq === 0) continue;
        const theta = (a[q * m + q] - a[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p];
          const akq = a[k * m + q];
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k];
          const aqk = a[q * m + k];
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Float64Array.from({ length: m }, (_, i) => a[i * m + i]);
}

/** Singular values (descending) of the column-centered n×d matrix `x` (row-major). */
export function centeredSingularValues(x: ArrayLike<number>, n: number, d: number): Float64Array {
  if (x.length !== n * d || n < 1 || d < 1) throw new SamgpuError(`feature rank: expected ${n}×${d} features (${n * d} values), got ${x.length}`);
  const c = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i * d + j];
    mean /= n;
    for (let i = 0; i < n; i++) c[i * d + j] = x[i * d + j] - mean;
  }
  for (let i = 0; i < c.length; i++) if (!Number.isFinite(c[i])) throw new SamgpuError(`feature rank: feature ${i % d} of example ${Math.floor(i / d)} is ${x[i]} (expected finite features)`);
  // the smaller Gram matrix: XᵀX (d×d) or XXᵀ (n×n) share their non-zero eigenvalues σ²
  const m = Math.min(n, d);
  const g = new Float64Array(m * m);
  const at = d <= n ? (r: number, k: number) => c[r * d + k] : (r: number, k: number) => c[k * d + r];
  const len = d <= n ? n : d;
  for (let p = 0; p < m; p++) {
    for (let q = 0; q <= p; q++) {
      let s = 0;
      for (let r = 0; r < len; r++) s += at(r, p) * at(r, q);
      g[p * m + q] = g[q * m + p] = s;
    }
  }
  // Gram eigenvalues below rounding (10·m·ε of the largest) are zero: their square roots (≈ 1e-7
  // of σ_max) would otherwise enter the entropy as spurious directions
  const eig = symmetricEigenvalues(g, m);
  const floor = 10 * m * Number.EPSILON * Math.max(0, ...eig);
  return eig.map((l) => (l > floor ? Math.sqrt(l) : 0)).sort((a, b) => b - a);
}

/** The rank summaries of an n×d feature matrix. */
export function featureRank(x: ArrayLike<number>, n: number, d: number, threshold = RANK_THRESHOLD): FeatureRank {
  const sv = centeredSingularValues(x, n, d);
  const sum = sv.reduce((a, b) => a + b, 0);
  const base = { threshold, examples: n, units: d };
  if (!(sum > 0)) return { ...base, effective: 0, numerical: 0, pca90: 0 };
  let h = 0;
  for (const s of sv) if (s > 0) h -= (s / sum) * Math.log(s / sum);
  const variance = sv.reduce((a, s) => a + s * s, 0);
  let acc = 0;
  let pca90 = 0;
  while (pca90 < sv.length && acc < 0.9 * variance) acc += sv[pca90++] ** 2;
  return { ...base, effective: Math.exp(h), numerical: sv.filter((s) => s > threshold * sv[0]).length, pca90 };
}

/** The rank of a model's probed representation on the first `max` examples of a split (eval mode). */
export async function measureFeatureRank(model: FeatureExtractor, split: TwoFeatureSplit, max = 1024): Promise<FeatureRank> {
  const n = Math.min(split.n, max);
  const f = extractFeatures(model, split, Int32Array.from({ length: n }, (_, i) => i));
  try {
    // feature maps count as one long vector per example
    const d = f.shape.slice(1).reduce((a, b) => a * b, 1);
    return featureRank(await f.read(), n, d);
  } finally {
    f.dispose();
  }
}
