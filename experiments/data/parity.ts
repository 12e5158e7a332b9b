// The setting where SAM is said to amplify simplicity bias, as a two-feature dataset. Chang &
// Khanna ("A Unified Stability Analysis of SAM vs SGD: Role of Data Coherence and Emergence of
// Simplicity Bias", NeurIPS 2025, arXiv 2511.17378; their code, nn_training.py in
// github.com/changwk1001/Stability_Analysis_and_Simplicity-Bias) train a two-layer ReLU net
// (120 hidden units, batch 10, lr 0.1, ρ 0.1) on n = 100 Boolean vectors x ∈ {−1, +1}^30 whose
// label is the 2-bit parity y = x₀·x₁. Their theory says SAM prefers minima whose per-example
// Hessians align across the data ("coherence") and so simpler, low-rank solutions.
// They train on the parity alone; a per-feature balance needs a second, simpler feature to
// compete with it, so this dataset puts two blocks side by side (our construction, not theirs):
//  - 'linear': block 0, its first coordinate is the label's sign (a 1-dimensional, maximally
//    coherent feature: every example's Hessian x xᵀ points the same way);
//  - 'parity': block 1, its first `bits` coordinates multiply to the label's sign (Chang &
//    Khanna's target; its per-example Hessians align for only half the pairs at bits = 2);
//  - every other coordinate of both blocks uniform ±1 noise (their inputs' unused bits).
// Train: the task label is the parity, and the linear block agrees with it on a share
// `trainCorrelation` of the examples (0.5: a bit independent of the label, as in Chang & Khanna's
// data, here with classes and agreement exactly balanced rather than drawn); val and test
// decorrelated (independent labels, every combination equally often), so a probe on the features
// sees each block's label alone. Parity patterns are spread evenly over
// each label combination, so a decorrelated split has no linear trace of the parity (exact).
import { Rng } from '../../engine/random.ts';
import { assignFeatureLabels, featureDataset, makeFeatureSplit } from './k-feature.ts';
import { DataError, type AnnotatedFeature, type SplitName, type TwoFeatureDataset, type TwoFeatureSplit } from './types.ts';

export interface ParityOptions {
  /** Coordinates per block (default 15: 30 inputs, Chang & Khanna's d). */
  blockDim?: number;
  /** Order of the parity (default 2: y = x₀·x₁). */
  bits?: number;
  /** Default: Chang & Khanna's n = 100 training examples; 1,024 decorrelated val and test examples. */
  sizes?: Partial<Record<SplitName, number>>;
  /** Share of training examples on which the linear block carries the task label (default 1). */
  trainCorrelation?: number;
  seed?: number;
}

export const PARITY_DEFAULT_SIZES: Record<SplitName, number> = { train: 100, val: 1024, test: 1024 };

export function parityFeatures(o: ParityOptions = {}): AnnotatedFeature[] {
  const w = o.blockDim ?? 15;
  const bits = o.bits ?? 2;
  return [
    { id: 'linear', name: 'linear coordinate (sign of x₀)', classes: ['−1', '+1'], coordinates: [0, w] },
    { id: 'parity', name: `${bits}-bit parity`, classes: ['−1', '+1'], coordinates: [w, 2 * w] },
  ];
}

export function parityDataset(o: ParityOptions = {}): TwoFeatureDataset {
  const w = o.blockDim ?? 15;
  const bits = o.bits ?? 2;
  if (!(Number.isInteger(bits) && bits >= 2 && bits <= 8)) throw new DataError(`parity: bits must be an integer in [2, 8], got ${bits}`);
  if (!(Number.isInteger(w) && w >= bits)) throw new DataError(`parity: blockDim must be an integer >= bits (${bits}), got ${w}`);
  const sizes = { ...PARITY_DEFAULT_SIZES, ...o.sizes };
  const rng = new Rng(((o.seed ?? 0) * 0x5bd1e995 + 0x70617279) >>> 0);
  const d = 2 * w;
  const features = parityFeatures(o);
  const patterns = 2 ** (bits - 1);
  const make = (split: SplitName): TwoFeatureSplit => {
    const decorrelated = split !== 'train';
    const labels = assignFeatureLabels(sizes[split], [2, 2], 1, decorrelated ? null : (o.trainCorrelation ?? 1), rng);
    const n = labels[0].length;
    const x = new Float32Array(n * d);
    // a cycling pattern counter per (linear, parity) combination: patterns evenly spread over each
    const next = [0, 0, 0, 0].map(() => Math.floor(rng.next() * patterns));
    for (let i = 0; i < n; i++) {
      const lin = labels[0][i];
      const par = labels[1][i];
      for (let c = 0; c < d; c++) x[i * d + c] = rng.next() < 0.5 ? -1 : 1;
      x[i * d] = lin ? 1 : -1;
      const p = next[lin * 2 + par]++ % patterns;
      let prod = 1;
      for (let b = 0; b < bits - 1; b++) {
        const v = (p >> b) & 1 ? -1 : 1;
        x[i * d + w + b] = v;
        prod *= v;
      }
      x[i * d + w + bits - 1] = (par ? 1 : -1) * prod;
    }
    return makeFeatureSplit(split, x, [1, 1, d], labels, [2, 2], 1, decorrelated);
  };
  const splits = { train: make('train'), val: make('val'), test: make('test') };
  return featureDataset(`parity-${bits}`, [1, 1, d], features, splits, {
    source: 'Chang & Khanna 2025 (arXiv 2511.17378) Boolean parity, beside a linear coordinate', blockDim: w, bits,
    sizes: { train: splits.train.n, val: splits.val.n, test: splits.test.n }, trainCorrelation: o.trainCorrelation ?? 1, seed: o.seed ?? 0,
  });
}

/**
 * Chang & Khanna's data coherence of a block for a linear predictor under squared loss, in
 * float64: per-example Hessians H_i = x_i x_iᵀ (x restricted to coordinates [start, end)), the
 * coherence matrix S_ij = √tr(H_i H_j) = |x_i·x_j|, and λ_max(S) / (n · max_i λ_max(H_i)), which
 * is 1 when every example's curvature points the same way and falls as they spread out.
 */
export function blockCoherence(split: TwoFeatureSplit, [start, end]: [number, number]): number {
  const d = split.images.length / split.n;
  if (!(Number.isInteger(start) && start >= 0 && end > start && end <= d)) throw new DataError(`parity coherence: coordinates [${start}, ${end}) outside the ${d} inputs`);
  const n = split.n;
  const k = end - start;
  const xs = Float64Array.from({ length: n * k }, (_, t) => split.images[Math.floor(t / k) * d + start + (t % k)]);
  const s = new Float64Array(n * n);
  let top = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let c = 0; c < k; c++) dot += xs[i * k + c] * xs[j * k + c];
      s[i * n + j] = s[j * n + i] = Math.abs(dot);
    }
    top = Math.max(top, s[i * n + i]);
  }
  if (!(top > 0)) throw new DataError(`parity coherence: the block [${start}, ${end}) is zero on every example`);
  // S is non-negative and symmetric: power iteration from the all-ones vector finds its Perron root
  let v = new Float64Array(n).fill(1 / Math.sqrt(n));
  let lambda = 0;
  for (let it = 0; it < 500; it++) {
    const u = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) u[i] += s[i * n + j] * v[j];
    const norm = Math.hypot(...u);
    const next = norm;
    v = u.map((x) => x / norm);
    if (Math.abs(next - lambda) <= 1e-13 * next) return next / (n * top);
    lambda = next;
  }
  return lambda / (n * top);
}
