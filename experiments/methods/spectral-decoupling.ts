// Spectral decoupling, Pezeshki et al., "Gradient Starvation: A Learning Proclivity in Neural
// Networks" (NeurIPS 2021): cross-entropy + λ/2 · mean_i ‖logits_i‖², used in place of weight
// decay (set optimizer.weightDecay to 0 with it). Penalizing the logits rather than the weights
// decouples the features' learning dynamics, so a feature learned early cannot starve the rest.
import type { Tensor } from '../../engine/tensor.ts';
import { crossEntropy } from '../../engine/ops/loss.ts';
import { affine, square } from '../../engine/ops/elementwise.ts';
import { add } from '../../engine/ops/binary.ts';
import { sum } from '../../engine/ops/reduce.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { LossModifier } from './loss-modifier.ts';

/** CE(logits, y) + λ/2 · Σ_ik logits_ik² / n. */
export function spectralDecouplingLoss(logits: Tensor, y: Tensor, lambda: number): Tensor {
  if (logits.rank !== 2) throw new SamgpuError(`spectralDecouplingLoss: logits must be [n, classes], got [${logits.shape.join(', ')}]`);
  const n = logits.shape[0];
  return add(crossEntropy(logits, y), affine(sum(square(logits)), lambda / (2 * n), 0));
}

export function spectralDecoupling(lambda: number): LossModifier {
  return { loss: (logits, y) => spectralDecouplingLoss(logits, y, lambda), dispose: () => undefined };
}
