// Group DRO, Sagawa et al., "Distributionally Robust Neural Networks for Group Shifts" (ICLR
// 2020), their online algorithm: per step, each group's mean loss L_g over the batch, group
// weights q_g ← q_g · exp(η_q · L_g) renormalized to sum 1, loss Σ_g q_g · L_g (q held fixed in
// the gradient). q lives on the GPU; the batch's group membership is a [n, G] matrix of
// 1/count_g entries, so L = ceᵀ M is one matmul. Groups absent from a batch have L_g = 0 (their
// weight is not raised), as in the authors' code. q is optimizer state: checkpoints carry it.
import { tensor, type Tensor } from '../../engine/tensor.ts';
import { keep } from '../../engine/scope.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { crossEntropy } from '../../engine/ops/loss.ts';
import { exp, mulScalar } from '../../engine/ops/elementwise.ts';
import { div, mul } from '../../engine/ops/binary.ts';
import { sum } from '../../engine/ops/reduce.ts';
import { matmul } from '../../engine/ops/matmul.ts';
import { reshape } from '../../engine/ops/shape.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { LossModifier } from './loss-modifier.ts';

/** Dense group ids: the training split's groups in ascending order → 0 … G−1. */
export function denseGroups(group: Int32Array): { index: Map<number, number>; groups: number[] } {
  const groups = [...new Set(group)].sort((a, b) => a - b);
  return { index: new Map(groups.map((g, i) => [g, i])), groups };
}

/** M [n, G] with M[i, g] = 1/count_g when example i is in group g: ceᵀM is the groups' mean losses. */
export function groupMeanMatrix(dense: ArrayLike<number>, groups: number): Float32Array {
  const n = dense.length;
  const count = new Float64Array(groups);
  for (let i = 0; i < n; i++) count[dense[i]]++;
  const m = new Float32Array(n * groups);
  for (let i = 0; i < n; i++) m[i * groups + dense[i]] = 1 / count[dense[i]];
  return m;
}

export class GroupDro implements LossModifier {
  readonly groups: number;
  #q: Tensor;
  readonly #dense: Int32Array;

  /** `group`: the training split's group labels; η_q = stepSize. */
  constructor(group: Int32Array, readonly stepSize: number) {
    const { index, groups } = denseGroups(group);
    this.groups = groups.length;
    this.#dense = Int32Array.from(group, (g) => index.get(g)!);
    this.#q = keep(tensor(new Float32Array(this.groups).fill(1 / this.groups), [this.groups]));
  }

  get q(): Tensor {
    return this.#q;
  }

  loss(logits: Tensor, y: Tensor, idx: Int32Array, pass: 0 | 1): Tensor {
    const n = idx.length;
    if (logits.shape[0] !== n) throw new SamgpuError(`group DRO: logits [${logits.shape.join(', ')}] for a batch of ${n} examples`);
    const ce = crossEntropy(logits, y, { reduction: 'none' });
    const m = tensor(groupMeanMatrix(Int32Array.from(idx, (i) => this.#dense[i]), this.groups), [n, this.groups]);
    const groupLoss = reshape(matmul(reshape(ce, [1, n]), m), [this.groups]); // reshape, not view: views record no gradient
    if (pass === 0) {
      const next = noGrad(() => {
        const w = mul(this.#q, exp(mulScalar(groupLoss, this.stepSize)));
        return div(w, sum(w));
      });
      this.#q.dispose();
      this.#q = keep(next);
    }
    return sum(mul(groupLoss, this.#q));
  }

  async state(): Promise<Float32Array> {
    return this.#q.read();
  }

  restore(values: Float32Array): void {
    if (values.length !== this.groups || values.some((v) => !(v >= 0) || !Number.isFinite(v))) {
      throw new SamgpuError(`group DRO: the checkpoint's q holds ${values.length} weights (${[...values].slice(0, 8).join(', ')}…), this run has ${this.groups} training groups and needs finite weights >= 0`);
    }
    this.#q.dispose();
    this.#q = keep(tensor(Float32Array.from(values), [this.groups]));
  }

  dispose(): void {
    this.#q.dispose();
  }
}
