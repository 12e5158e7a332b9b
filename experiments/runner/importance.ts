// SAM's first mechanism measured on a fixed evaluation set: the per-example weights
// λᵢ = 1 − p(yᵢ|xᵢ) at θ and λ̃ᵢ at the phantom point θ̃ = θ + ρ·g/‖g‖, on the same training
// examples at every checkpoint of every run, so checkpoints, seeds and optimizers compare like
// with like (a training batch would change with the epoch and be the remainder batch at its end).
// The ascent of each chunk uses that chunk's gradient, as a SAM step of the same batch size would;
// SGD runs get the phantom point at the study's ρ as a reference. Eval mode: batch norm uses its
// running statistics and dropout is off, so the diagnostics leave no trace in training.
import type { Tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { backward } from '../../engine/autograd/backward.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { crossEntropyWithWeights } from '../../engine/ops/loss.ts';
import { concat } from '../../engine/ops/layout.ts';
import type { Module } from '../../engine/nn/module.ts';
import type { SAM } from '../../engine/optim/sam.ts';
import { Rng } from '../../engine/random.ts';
import { shuffleInPlace } from '../data/two-feature.ts';
import type { TwoFeatureSplit } from '../data/types.ts';
import { gini, lorenz } from '../metrics.ts';
import { batchInputs } from './step.ts';
import { LORENZ_POINTS } from './types.ts';

export interface ImportanceEval {
  /** Steps done and epochs done when it was measured (0, 0: the initialization). */
  step: number;
  epoch: number;
  examples: number;
  rho: number;
  /** Mean cross-entropy on the set at θ: the training loss that matched-loss comparisons use. */
  loss: number;
  /** Mean cross-entropy at θ̃. */
  lossPhantom: number;
  gini: number;
  giniPhantom: number;
  /** Lorenz curves at LORENZ_POINTS evenly spaced population shares. */
  lorenz: number[];
  lorenzPhantom: number[];
}

/** The fixed set: `count` training examples chosen by the run's seed (the same for every optimizer). */
export function importanceIndices(train: TwoFeatureSplit, count: number, seed: number): Int32Array {
  const all = shuffleInPlace(Int32Array.from({ length: train.n }, (_, i) => i), new Rng((seed * 2654435761 + 17) >>> 0));
  return all.slice(0, Math.min(count, train.n));
}

async function readJoined(ts: Tensor[]): Promise<Float32Array> {
  const joined = noGrad(() => scope(() => concat(ts.map((t) => t.view([t.size])), 0)));
  const v = await joined.read();
  joined.dispose();
  for (const t of ts) t.dispose();
  return v;
}

/** λ at θ and λ̃ at θ̃ on `idx` of `split`, in chunks of `batchSize`; the model is left at θ with zero gradients. */
export async function evaluateImportance(
  model: Module, sam: SAM, split: TwoFeatureSplit, idx: Int32Array, batchSize: number, at: { step: number; epoch: number },
): Promise<ImportanceEval> {
  const wasTraining = model.training;
  model.train(false);
  const real: Tensor[] = [];
  const phantom: Tensor[] = [];
  const losses: Tensor[] = [];
  const phantomLosses: Tensor[] = [];
  const sizes: number[] = [];
  try {
    for (let s = 0; s < idx.length; s += batchSize) {
      const e = Math.min(idx.length, s + batchSize);
      // augmented splits: the augmentation of a fixed (seed, epoch 0), so the set stays the same images
      const { x, y } = batchInputs(split, idx.subarray(s, e), 0, 0);
      sam.base.zeroGrad();
      losses.push(keep(scope(() => {
        const { loss: l, weights } = crossEntropyWithWeights(model.forward(x), y); // loss and λ from one pass
        real.push(keep(weights));
        backward(l);
        return l;
      })));
      sam.ascend();
      noGrad(() => scope(() => {
        const { loss, weights } = crossEntropyWithWeights(model.forward(x), y);
        phantom.push(keep(weights));
        phantomLosses.push(keep(loss));
      }));
      sam.restore();
      sizes.push(e - s);
      x.dispose();
      y.dispose();
    }
  } finally {
    sam.base.zeroGrad();
    model.train(wasTraining);
  }
  const [lam, lamT, l, lT] = await Promise.all([readJoined(real), readJoined(phantom), readJoined(losses), readJoined(phantomLosses)]);
  const weighted = (v: Float32Array) => v.reduce((a, x, i) => a + x * sizes[i], 0) / idx.length;
  return {
    ...at,
    examples: idx.length,
    rho: sam.rho,
    loss: weighted(l),
    lossPhantom: weighted(lT),
    gini: gini(lam),
    giniPhantom: gini(lamT),
    lorenz: lorenz(lam, LORENZ_POINTS).y,
    lorenzPhantom: lorenz(lamT, LORENZ_POINTS).y,
  };
}
