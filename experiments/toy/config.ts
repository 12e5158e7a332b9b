// The two-feature toy: every knob with its documented default.
//
// The paper's toy distribution is unpublished (only its appendix PDF describes it). The defaults
// are a float64 simulation of our own that shows the effect: y ∈ {±1}, n = 500,
// x_easy ∈ ℝ⁵ = y·3·e₁ + 0.3·ξ, x_hard ∈ ℝ⁵⁰ = y·1·e₁ + 1.0·ξ, two 16-unit ReLU branches,
// f = ⟨v_e, φ_e⟩ + ⟨v_h, φ_h⟩, 1/√fan-in Gaussian init, logistic loss, full-batch GD with
// lr 0.5 for 1000 steps. One change: each feature's signal coordinate is drawn from its
// Gaussian conditioned on y·x[0] ≥ minMargin, so that both features predict y perfectly on
// every set; minMargin: null gives the plain Gaussian.

/** How one feature (a block of input coordinates) carries the label. */
export interface FeatureConfig {
  /** Number of input coordinates of this feature; the label lives on the first. */
  dim: number;
  /**
   * 'gaussian': x[0] = y·mean + std·ξ (linear, margin set by mean/std);
   * 'uniform': x[0] = y·(minMargin + (mean − minMargin)·U), U uniform in [0, 1) (Shah et al.'s
   * linear coordinate: uniform on [minMargin, mean] on the side of its class);
   * 'slab': x[0] ∈ [−mean, mean] split into `slabs` equal slabs of alternating class, the centre
   * one of class +1 (Shah et al.'s non-linear slab feature); x[0] is uniform in its slab, kept
   * `minMargin`·(slab width) away from the slab's edges.
   */
  kind: 'gaussian' | 'uniform' | 'slab';
  /** Signal: the class mean of x[0] (gaussian) or the half-width of the slab range (slab). */
  mean: number;
  /** Standard deviation of the Gaussian noise on every coordinate (gaussian: x[0] too; slab: x[1:] only). */
  std: number;
  /**
   * gaussian: x[0] is resampled until y·x[0] ≥ minMargin (null: no truncation, the feature is
   * then only as predictive as its Bayes accuracy Φ(mean/std)); slab: the gap to a slab edge
   * as a fraction of the slab width (0 … 0.5).
   */
  minMargin: number | null;
  /** Number of slabs (odd, ≥ 3) for kind 'slab'. */
  slabs: number;
  /**
   * kind 'slab': relative weight of each slab (left to right) among the slabs of its class
   * (Shah et al. use unequal ones for 5 and 7 slabs); absent: the class's slabs equally often.
   */
  slabWeights?: number[];
  /**
   * Fraction of *training* examples that carry this feature; the others get x[0] = std·ξ with
   * no label information (the feature then no longer predicts y on every example). The probe
   * sets always carry both features.
   */
  fraction: number;
}

export interface DataConfig {
  /** Training examples (exactly balanced: n/2 of each class, shuffled). */
  n: number;
  /** Probe examples to fit each linear probe on, and to test it on (decorrelated labels). */
  probeFit: number;
  probeTest: number;
  easy: FeatureConfig;
  hard: FeatureConfig;
}

export type Structure = 'branch' | 'mlp';

export interface ModelConfig {
  /** Hidden ReLU units of the easy and hard branches (the MLP gets their sum). */
  easyUnits: number;
  hardUnits: number;
}

/**
 * The training methods. sgd, sam, lsam: as named (lsam perturbs only the last layer).
 * The disentangling variants are SGD steps at the real θ that borrow one ingredient of SAM's
 * phantom point θ̃ (reached by SAM's own ascent, perturbing all parameters with rho.sam):
 *  - 'phantom-weights': importance weights λ̃ᵢ = σ(−yᵢ f_θ̃(xᵢ)) with the real network (mechanism 1);
 *  - 'phantom-head': real weights λᵢ, but the gradient reaching the feature extractor flows
 *    through the phantom last layer ṽ instead of v (mechanism 2);
 *  - 'phantom-both': both at once (what SAM does, except that SAM also evaluates φ and the
 *    ReLU masks at the perturbed extractor).
 */
export type Method = 'sgd' | 'sam' | 'lsam' | 'phantom-weights' | 'phantom-head' | 'phantom-both';
export const METHODS: readonly Method[] = ['sgd', 'sam', 'lsam', 'phantom-weights', 'phantom-head', 'phantom-both'];

export interface TrainConfig {
  /** Learning rate of every method (full-batch gradient descent, no momentum). */
  lr: number;
  steps: number;
  /** SAM radius; phantom-* variants and SGD's counterfactual phantom use rho.sam. */
  rho: { sam: number; lsam: number };
  /**
   * Copy λ, λ̃, v, ṽ and the losses into GPU history buffers at every step before
   * `recordDenseUntil` (the loss falls by orders of magnitude in the first steps), then every
   * `recordEvery` steps, and at the last step; all of it is read once at the end.
   */
  recordEvery: number;
  recordDenseUntil: number;
  /** Steps at which the probe sets' features are taken (probes are fitted after the run, batched). */
  probeAt: number[];
  /** Steps at which Lorenz curves are stored (besides the matched-loss points); others keep only Gini. */
  lorenzAt: number[];
  /** Points kept per stored Lorenz curve (evenly spaced in k/n). */
  lorenzPoints: number;
  /**
   * Training losses at which λ is compared across methods (the first recorded step whose loss
   * is ≤ the level). Not the final step: once the loss is near zero a SAM model's λ is more
   * concentrated than GD's, so across optimizers λ is compared at matched loss.
   */
  matchedLoss: number[];
}

export interface ProbeConfig {
  /** L2 penalty λ/2·‖w‖² added to the mean logistic loss (λ = 1/n_fit is scikit-learn's C = 1). */
  l2: number;
}

export interface RunPlan {
  structure: Structure;
  methods: Method[];
  seeds: number[];
}

export interface ToyConfig {
  data: DataConfig;
  model: ModelConfig;
  train: TrainConfig;
  probe: ProbeConfig;
  /** Which (model structure, methods, seeds) `npm run toy` runs. */
  plans: RunPlan[];
  /** Where the JSON, SVG and HTML go (git-ignored). */
  outDir: string;
}

export const DEFAULT_CONFIG: ToyConfig = {
  data: {
    n: 500,
    probeFit: 2000,
    probeTest: 2000,
    easy: { dim: 5, kind: 'gaussian', mean: 3, std: 0.3, minMargin: 0.5, slabs: 3, fraction: 1 },
    hard: { dim: 50, kind: 'gaussian', mean: 1, std: 1, minMargin: 0.1, slabs: 3, fraction: 1 },
  },
  model: { easyUnits: 16, hardUnits: 16 },
  train: {
    lr: 0.5,
    steps: 1000,
    rho: { sam: 1, lsam: 2 },
    recordEvery: 10,
    recordDenseUntil: 50,
    probeAt: [0, 25, 100, 250, 500, 1000],
    lorenzAt: [10, 100, 1000],
    lorenzPoints: 101,
    matchedLoss: [1e-2, 1e-3, 1e-4],
  },
  probe: { l2: 1 / 2000 },
  plans: [
    { structure: 'branch', methods: [...METHODS], seeds: [0, 1, 2, 3, 4] },
    { structure: 'mlp', methods: ['sgd', 'sam', 'lsam'], seeds: [0, 1, 2, 3, 4] },
  ],
  outDir: 'results/toy',
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type ToyConfigOverrides = DeepPartial<ToyConfig>;

/** The defaults with `over` merged in (objects merged key by key, arrays replaced). */
export function makeConfig(over: ToyConfigOverrides = {}): ToyConfig {
  return merge(structuredClone(DEFAULT_CONFIG), over) as ToyConfig;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over as Record<string, unknown>)) out[k] = merge(out[k], v);
    return out;
  }
  return structuredClone(over);
}
