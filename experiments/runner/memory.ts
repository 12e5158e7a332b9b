// Will a training step fit the adapter? WebGPU says nothing of a device's total memory, but it
// caps every buffer (maxBufferSize) and every binding (maxStorageBufferBindingSize): a step whose
// largest activation passes them cannot run. So before training, one forward + backward at
// micro-batches 2 and 3 (batch norm in training mode refuses one value per channel, as PyTorch
// does) records every buffer the step asks for, in order; the step's op sequence does not depend
// on the batch, so the i-th request at micro-batch B is s₂ + (s₃ − s₂)(B − 2). That gives the
// largest buffer at the run's micro-batch, the largest micro-batch that fits, and an estimate of
// the device memory the run holds (parameters, gradients, optimizer state, SAM's copy, and the
// step's peak of live buffers). The probe is a dry run (Runtime.dryRun: buffers allocated, no
// kernel run), so it costs milliseconds and changes nothing: no batch-norm statistics, no
// gradients, dropout counters restored.
import { tensor } from '../../engine/tensor.ts';
import { scope } from '../../engine/scope.ts';
import { backward } from '../../engine/autograd/backward.ts';
import { crossEntropy } from '../../engine/ops/loss.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { Module } from '../../engine/nn/module.ts';
import { isBatchNorm, setBatchNormStatsUpdate } from '../../engine/nn/layers.ts';
import { Dropout } from '../../engine/nn/functional-layers.ts';
import type { TwoFeatureDataset } from '../data/types.ts';
import type { RunConfig } from './config.ts';
import type { RunOptimizer } from './optimizer.ts';
import { freezeBatchNorm } from './model.ts';
import { Adam } from '../../engine/optim/adam.ts';
import type { SGD } from '../../engine/optim/sgd.ts';

export interface MemoryPlan {
  microBatch: number;
  /** The largest buffer a step at `microBatch` asks for, and the adapter's cap on one buffer. */
  largestBufferBytes: number;
  bufferLimitBytes: number;
  limitName: 'maxStorageBufferBindingSize' | 'maxBufferSize';
  /** The largest micro-batch whose every buffer fits (Infinity: none grows with the batch). */
  maxMicroBatch: number;
  /** Parameters + gradients + optimizer state + SAM's copy + the step's peak of live buffers. */
  estimatedBytes: number;
  /** The same estimate at another micro-batch. */
  estimateAt(microBatch: number): number;
}

const fmt = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);

/** Memory of a training step of `model` on inputs [C, H, W] at micro-batch `microBatch` (see the header). */
export type BufferLimits = Pick<GPUSupportedLimits, 'maxBufferSize' | 'maxStorageBufferBindingSize'>;

export function planMemory(model: Module, opt: RunOptimizer, inShape: readonly number[], microBatch: number, limits?: BufferLimits): MemoryPlan {
  const flat = opt.base.flat;
  const rt = flat.data.rt;
  const probe = (b: number) => {
    rt.pool.startTrace();
    try {
      // a dry run: every buffer is asked for, nothing is computed (seconds saved on a CPU adapter)
      rt.dryRun(() => scope(() => {
        const x = tensor(new Float32Array(b * inShape.reduce((a, c) => a * c, 1)), [b, ...inShape]);
        backward(crossEntropy(model.forward(x), tensor(new Float32Array(b), [b])));
      }));
    } catch (e) {
      rt.pool.endTrace();
      throw e;
    }
    return rt.pool.endTrace();
  };
  const dropouts = [...model.modules()].map(([, m]) => m).filter((m): m is Dropout => m instanceof Dropout);
  const calls = dropouts.map((d) => d.calls);
  const bnUpdates = setBatchNormStatsUpdate(model, false);
  let one, two;
  try {
    one = probe(2);
    two = probe(3);
  } finally {
    let i = 0;
    for (const [, m] of model.modules()) if (isBatchNorm(m)) m.updateRunningStats = bnUpdates[i++];
    dropouts.forEach((d, k) => (d.calls = calls[k]));
    flat.zeroGrad();
  }
  limits ??= rt.device.limits;
  const limitName = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const at = (s1: number, s2: number, b: number) => s1 + (s2 - s1) * (b - 2);
  let largest = 0;
  let maxMicroBatch = Infinity;
  const same = one.sizes.length === two.sizes.length;
  const pairs: [number, number][] = same ? one.sizes.map((s, i) => [s, two.sizes[i]]) : [[Math.max(...one.sizes), Math.max(...two.sizes)]];
  for (const [s1, s2] of pairs) {
    largest = Math.max(largest, at(s1, s2, microBatch));
    if (s2 > s1) maxMicroBatch = Math.min(maxMicroBatch, Math.floor((limit - s1) / (s2 - s1)) + 2);
    else if (s1 > limit) maxMicroBatch = 0;
  }
  // flat parameters and gradients, then the optimizer's per-parameter buffers (made at its first step)
  const states = opt.base instanceof Adam ? 2 : (opt.base as SGD).momentum ? 1 : 0;
  const fixed = flat.total * 4 * (2 + states + (opt.sam ? 1 : 0));
  const estimateAt = (b: number) => fixed + Math.max(0, at(one.peakExtraBytes, two.peakExtraBytes, b));
  return { microBatch, largestBufferBytes: largest, bufferLimitBytes: limit, limitName, maxMicroBatch, estimatedBytes: estimateAt(microBatch), estimateAt };
}

/** planMemory for the run; throws, before any training, when a step cannot fit the adapter. */
export function checkMemory(model: Module, opt: RunOptimizer, cfg: RunConfig, data: Pick<TwoFeatureDataset, 'shape'>, limits?: BufferLimits): MemoryPlan {
  const micro = Math.min(cfg.batchSize, cfg.microBatchSize ?? cfg.batchSize);
  model.train(); // the step's mode
  if (cfg.model.freezeBatchNorm) freezeBatchNorm(model);
  const plan = planMemory(model, opt, data.shape, micro, limits);
  if (plan.largestBufferBytes <= plan.bufferLimitBytes) return plan;
  const what = `a training step of ${cfg.model.name} on ${data.shape.join('×')} inputs at ${micro === cfg.batchSize ? 'batch' : 'micro-batch'} ${micro}`;
  const limit = `the adapter's ${plan.limitName} of ${fmt(plan.bufferLimitBytes)}`;
  const fits = plan.maxMicroBatch >= 1
    ? `micro-batches of at most ${plan.maxMicroBatch} fit: set microBatchSize: ${plan.maxMicroBatch} (gradient accumulation keeps batchSize ${cfg.batchSize}; batch norm then normalizes per micro-batch), about ${fmt(plan.estimateAt(plan.maxMicroBatch))} of device memory`
    : 'not even one example fits: lower the resolution';
  throw new SamgpuError(`memory: ${what} needs a ${fmt(plan.largestBufferBytes)} buffer, above ${limit}; ${fits}. (Estimated device memory at ${micro}: ${fmt(plan.estimatedBytes)}.)`);
}

