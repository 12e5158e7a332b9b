// One training step: the batch's inputs (gathered, or augmented on the GPU from 8-bit sources),
// split into micro-batches whose gradients add up to the batch's (gradient accumulation), and the
// optimizer's update (SAM's two passes each run over every micro-batch).
//
// Accumulation: micro-batch j of n_j examples contributes (n_j / n)·mean-loss_j, so the summed
// gradient is the batch's mean-loss gradient up to float rounding. Batch norm in training mode
// normalizes with each micro-batch's statistics and updates its running statistics once per
// micro-batch (as PyTorch with accumulation does): with batch norm, a split batch is not the same
// computation as the whole batch.
import { tensor, type Tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { backward } from '../../engine/autograd/backward.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { crossEntropy } from '../../engine/ops/loss.ts';
import { accuracy } from '../../engine/ops/select.ts';
import { mulScalar } from '../../engine/ops/elementwise.ts';
import { add } from '../../engine/ops/binary.ts';
import { augmentBatch } from '../../engine/ops/augment.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { Module } from '../../engine/nn/module.ts';
import type { TwoFeatureSplit } from '../data/types.ts';
import { batchAugmentParams, gatherSourceBytes } from '../data/augment.ts';
import { gather } from './evaluate.ts';
import type { RunOptimizer } from './optimizer.ts';
import type { LossModifier } from '../methods/loss-modifier.ts';

/** x [n, C, H, W] and task labels y [n] of examples `idx`: augmented when the split has sources. */
export function batchInputs(split: TwoFeatureSplit, idx: Int32Array, seed: number, epoch: number): { x: Tensor; y: Tensor } {
  const src = split.augment;
  if (!src) return gather(split, idx, 0, idx.length);
  const x = augmentBatch(gatherSourceBytes(src, idx), batchAugmentParams(src, idx, seed, epoch), {
    srcShape: src.shape, outSize: [split.shape[1], split.shape[2]], normalize: src.normalize,
  });
  return { x, y: tensor(Float32Array.from(idx, (k) => split.y[k]), [idx.length]) };
}

export interface StepRecord {
  /** The batch's training accuracy (one scalar per step) is pushed here, kept. */
  accs: Tensor[];
}

/** One optimizer step on examples `idx`; returns the batch's mean loss at θ (kept: the caller disposes it). */
export function trainStep(
  model: Module, opt: RunOptimizer, split: TwoFeatureSplit, idx: Int32Array,
  o: { seed: number; epoch: number; microBatchSize?: number; loss?: LossModifier | null }, rec: StepRecord,
): Tensor {
  const n = idx.length;
  const m = Math.min(n, o.microBatchSize ?? n);
  if (!(m >= 1)) throw new SamgpuError(`trainStep: micro-batch size must be >= 1, got ${o.microBatchSize}`);
  // inputs made once: SAM's two passes see the same augmented images
  const micro: { x: Tensor; y: Tensor; share: number; part: Int32Array }[] = [];
  for (let s = 0; s < n; s += m) {
    const part = idx.subarray(s, Math.min(n, s + m));
    const { x, y } = batchInputs(split, part, o.seed, o.epoch);
    micro.push({ x: keep(x), y: keep(y), share: part.length / n, part });
  }
  const closure = (pass: 0 | 1 = 0): Tensor => {
    let total: Tensor | null = null;
    let acc: Tensor | null = null;
    for (const { x, y, share, part } of micro) {
      const logits = model.forward(x);
      if (pass === 0) {
        const a = noGrad(() => accuracy(logits, y));
        acc = noGrad(() => (acc ? add(acc, mulScalar(a, share)) : micro.length > 1 ? mulScalar(a, share) : a));
      }
      // a method's loss (spectral decoupling, group DRO) or the plain cross-entropy
      let l = o.loss ? o.loss.loss(logits, y, part, pass) : crossEntropy(logits, y);
      if (micro.length > 1) l = mulScalar(l, share);
      backward(l);
      total = total ? noGrad(() => add(total!, l)) : l;
    }
    if (acc) rec.accs.push(keep(acc));
    return total!;
  };
  try {
    if (opt.sam) return opt.sam.step(closure);
    opt.base.zeroGrad();
    const loss = keep(scope(() => closure(0)));
    opt.base.step();
    return loss;
  } finally {
    for (const { x, y } of micro) {
      x.dispose();
      y.dispose();
    }
  }
}
