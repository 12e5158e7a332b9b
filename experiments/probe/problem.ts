// The GPU side of a batch of L2-regularized logistic-regression probes: B feature sets × T
// targets, all fitted at once (batched matmuls; the probes are independent, so one batch costs
// the dispatches of one probe). Shapes: standardized features with a ones column Z [B, 1, n, p]
// (p = d + 1), weights W [B, T, p, K], logits Z·W [B, T, n, K]; K = 1 for a binary probe
// (sigmoid, classes {0, 1}), K = C for a multinomial one (softmax over all C classes).
// Objective per probe: mean loss + λ/2·‖W‖² (the intercept row is penalized like the rest;
// features are standardized, so this hardly matters, and it keeps the multinomial problem
// strictly convex).
import { tensor, type Tensor } from '../../engine/tensor.ts';
import { keep } from '../../engine/scope.ts';
import { affine, full, ones, sigmoid, sqrt, square } from '../../engine/ops/elementwise.ts';
import { add, div, eq, gt, mul, sub } from '../../engine/ops/binary.ts';
import { mean } from '../../engine/ops/reduce.ts';
import { matmulKernel } from '../../engine/ops/matmul.ts';
import { concat } from '../../engine/ops/layout.ts';
import { expand } from '../../engine/ops/shape.ts';
import { crossEntropy, logisticLoss, softmax } from '../../engine/ops/loss.ts';
import { argmax } from '../../engine/ops/select.ts';

/** Features whose standard deviation on the fit set is below this are scaled by std + 1 (≈ 1): constant features stay 0. */
export const STD_FLOOR = 1e-6;

export interface Standardized {
  fit: Tensor; // [B, 1, n, p]
  test: Tensor | null; // [B, 1, m, p]
  mean: Tensor; // [B, 1, d]
  scale: Tensor; // [B, 1, d]
}

/** (x − mean_fit) / scale_fit per feature set, then a column of ones appended. */
export function standardize(fitX: Tensor, testX: Tensor | null, on: boolean): Standardized {
  const [b, n, d] = fitX.shape;
  let mu: Tensor;
  let scale: Tensor;
  if (on) {
    mu = mean(fitX, 1, true);
    const centered = sub(fitX, mu);
    const sd = sqrt(mean(square(centered), 1, true));
    scale = add(sd, gt(full([1], STD_FLOOR, fitX), sd));
  } else {
    mu = full([b, 1, d], 0, fitX);
    scale = full([b, 1, d], 1, fitX);
  }
  const withOnes = (x: Tensor) => {
    const z = div(sub(x, mu), scale);
    const zc = concat([z, ones([x.shape[0], x.shape[1], 1], x)], 2);
    return zc.view([x.shape[0], 1, x.shape[1], d + 1]);
  };
  return { fit: withOnes(fitX), test: testX ? withOnes(testX) : null, mean: mu, scale };
}

/** Labels of T targets for one set, in the layouts the kernels want. */
class Targets {
  readonly n: number;
  readonly t: number;
  /** binary: y ∈ {±1} [B, T, n, 1]; multinomial: labels [B·T·n] (crossEntropy's layout). */
  readonly lossLabels: Tensor;
  /** binary: {0, 1} [1, T, n, 1]; multinomial: one-hot [1, T, n, C]. */
  readonly target: Tensor;
  /** binary: ±1 [1, T, n, 1]; multinomial: labels [1, T, n] (for accuracy). */
  readonly accLabels: Tensor;

  constructor(labels: ArrayLike<number>[], b: number, k: number, like: Tensor) {
    const t = labels.length;
    const n = labels[0].length;
    this.n = n;
    this.t = t;
    const rt = like.rt;
    const flat = new Float32Array(t * n);
    labels.forEach((l, i) => flat.set(Float32Array.from(l), i * n));
    if (k === 1) {
      const pm = flat.map((v) => 2 * v - 1);
      const rep = new Float32Array(b * t * n);
      for (let i = 0; i < b; i++) rep.set(pm, i * t * n);
      this.lossLabels = keep(tensor(rep, [b, t, n, 1], rt));
      this.target = keep(tensor(flat, [1, t, n, 1], rt));
      this.accLabels = keep(tensor(pm, [1, t, n, 1], rt));
    } else {
      const rep = new Float32Array(b * t * n);
      for (let i = 0; i < b; i++) rep.set(flat, i * t * n);
      const onehot = new Float32Array(t * n * k);
      flat.forEach((v, i) => (onehot[i * k + v] = 1));
      this.lossLabels = keep(tensor(rep, [b * t * n], rt));
      this.target = keep(tensor(onehot, [1, t, n, k], rt));
      this.accLabels = keep(tensor(flat, [1, t, n], rt));
    }
  }

  dispose(): void {
    this.lossLabels.dispose();
    this.target.dispose();
    this.accLabels.dispose();
  }
}

export class ProbeProblem {
  readonly b: number;
  readonly t: number;
  readonly n: number;
  readonly p: number;
  readonly k: number;
  readonly #fit: Targets;
  readonly #test: Targets | null;
  #eye: Tensor | null = null;
  #onesRow: Tensor | null = null;
  #zPerTarget: Tensor | null = null;

  constructor(
    readonly z: Tensor, // [B, 1, n, p]
    readonly zTest: Tensor | null,
    fitLabels: ArrayLike<number>[],
    testLabels: ArrayLike<number>[] | null,
    /** 1: binary (sigmoid); C ≥ 2: multinomial (softmax). */
    k: number,
    readonly l2: number,
  ) {
    [this.b, , this.n, this.p] = z.shape;
    this.t = fitLabels.length;
    this.k = k;
    this.#fit = new Targets(fitLabels, this.b, k, z);
    this.#test = zTest && testLabels ? new Targets(testLabels, this.b, k, z) : null;
  }

  get m(): number {
    return this.p * this.k;
  }

  /** A weights tensor [B, T, p, K] from per-probe arrays (probe index b·T + t). */
  upload(w: Float64Array[]): Tensor {
    const flat = new Float32Array(this.b * this.t * this.m);
    w.forEach((wi, i) => flat.set(wi, i * this.m));
    return tensor(flat, [this.b, this.t, this.p, this.k], this.z.rt);
  }

  logits(w: Tensor, test = false): Tensor {
    return matmulKernel(test ? this.zTest! : this.z, w);
  }

  /** Mean loss per probe, [B, T] values (no penalty). */
  meanLoss(w: Tensor): Tensor {
    const z = this.logits(w);
    if (this.k === 1) return mean(logisticLoss(z, this.#fit.lossLabels, { reduction: 'none' }), 2);
    const ce = crossEntropy(z.view([this.b * this.t * this.n, this.k]), this.#fit.lossLabels, { reduction: 'none' });
    return mean(ce.view([this.b, this.t, this.n]), 2);
  }

  /** ∂(mean loss)/∂logits · n: p − target, [B, T, n, K]. */
  residual(z: Tensor): Tensor {
    const prob = this.k === 1 ? sigmoid(z) : softmax(z, -1);
    return sub(prob, this.#fit.target);
  }

  /** ∇ of the mean loss (no penalty): Zᵀ(p − target)/n, [B, T, p, K]. */
  lossGrad(w: Tensor): Tensor {
    return this.#grad(this.logits(w));
  }

  #grad(z: Tensor): Tensor {
    return affine(matmulKernel(this.z, this.residual(z), true, false), 1 / this.n, 0);
  }

  /**
   * The gradient (as lossGrad) and the loss Hessian times n (no penalty) as [B, T, p, K²·p]:
   * entry [j, (a·K + c)·p + k] is Σᵢ S_i,ac z_ij z_ik, S = p(1 − p) (binary) or diag(p) − p pᵀ
   * (multinomial).
   */
  derivatives(w: Tensor): { grad: Tensor; hess: Tensor } {
    const { b, t, n, p, k } = this;
    const z = this.logits(w);
    const grad = this.#grad(z);
    if (k === 1) {
      // S ⊙ Z without a broadcasting kernel (slow on CPU adapters): S spread over the p columns
      // by a K = 1 matmul, then a same-shape product with Z materialized once per target.
      const prob = sigmoid(z);
      const s = mul(prob, affine(prob, -1, 1)); // [B, T, n, 1]
      this.#onesRow ??= keep(ones([1, p], this.z));
      this.#zPerTarget ??= keep(expand(this.z, [b, t, n, p]));
      const y = mul(matmulKernel(s, this.#onesRow), this.#zPerTarget);
      return { grad, hess: matmulKernel(this.z, y, true, false) };
    }
    const prob = softmax(z, -1);
    const col = prob.view([b, t, n, k, 1]);
    const row = prob.view([b, t, n, 1, k]);
    this.#eye ??= keep(tensor(Float32Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0)), [k, k], this.z.rt));
    const s = sub(mul(col, this.#eye), mul(col, row)).view([b, t, n, k * k, 1]);
    const y = mul(s, this.z.view([b, 1, n, 1, p])).view([b, t, n, k * k * p]);
    return { grad, hess: matmulKernel(this.z, y, true, false) };
  }

  /** Fraction of correct predictions per probe on the fit or test set, [B, T] values. */
  accuracy(w: Tensor, test: boolean): Tensor {
    const targets = test ? this.#test! : this.#fit;
    const z = this.logits(w, test);
    if (this.k === 1) return mean(gt(mul(z, targets.accLabels), full([1], 0, z)), 2);
    return mean(eq(argmax(z, -1), targets.accLabels), 2);
  }

  get hasTest(): boolean {
    return this.#test !== null;
  }

  dispose(): void {
    this.#fit.dispose();
    this.#test?.dispose();
    for (const x of [this.#eye, this.#onesRow, this.#zPerTarget]) x?.dispose();
  }
}
