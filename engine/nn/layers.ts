// Parametric layers: Linear, Conv2d, BatchNorm1d/2d, with PyTorch's default initializations.
import { SamgpuError } from '../device/errors.ts';
import { tensor, type Tensor } from '../tensor.ts';
import type { Rng } from '../random.ts';
import { linear } from '../ops/linear.ts';
import { conv2d, conv2dRelu, type Conv2dOptions } from '../ops/conv2d.ts';
import { batchNorm } from '../ops/batchnorm.ts';
import { Module } from './module.ts';
import { biasUniform, getDefaultRng, kaimingUniformDefault } from './init.ts';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean; rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? getDefaultRng();
    this.weight = this.registerParameter('weight', tensor(kaimingUniformDefault(outFeatures * inFeatures, inFeatures, rng), [outFeatures, inFeatures]));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', tensor(biasUniform(outFeatures, inFeatures, rng), [outFeatures]));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

function pair(v: number | [number, number] | undefined, d: number): [number, number] {
  return v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;
}

export interface Conv2dLayerOptions extends Conv2dOptions {
  bias?: boolean;
  rng?: Rng;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly options: Conv2dOptions;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number], opts: Conv2dLayerOptions = {}) {
    super();
    const groups = opts.groups ?? 1;
    if (inChannels % groups || outChannels % groups) {
      throw new SamgpuError(`Conv2d: groups ${groups} must divide in_channels ${inChannels} and out_channels ${outChannels}`);
    }
    const [kh, kw] = pair(kernelSize, 1);
    const rng = opts.rng ?? getDefaultRng();
    const fanIn = (inChannels / groups) * kh * kw;
    this.weight = this.registerParameter('weight', tensor(kaimingUniformDefault(outChannels * fanIn, fanIn, rng), [outChannels, inChannels / groups, kh, kw]));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', tensor(biasUniform(outChannels, fanIn, rng), [outChannels]));
    this.options = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups };
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }

  /** relu(forward(x)) in one kernel (Sequential uses it for Conv2d followed by ReLU). */
  forwardRelu(x: Tensor): Tensor {
    return conv2dRelu(x, this.weight, this.bias, this.options);
  }
}

export interface BatchNormLayerOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

class BatchNormBase extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly eps: number;
  momentum: number;
  /** Off for SAM's second pass, so statistics are updated once per step (see optim/sam). */
  updateRunningStats = true;

  constructor(readonly numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.registerParameter('weight', tensor(new Float32Array(numFeatures).fill(1), [numFeatures])) : null;
    this.bias = affine ? this.registerParameter('bias', tensor(new Float32Array(numFeatures), [numFeatures])) : null;
    const track = opts.trackRunningStats ?? true;
    this.runningMean = track ? this.registerBuffer('running_mean', tensor(new Float32Array(numFeatures), [numFeatures])) : null;
    this.runningVar = track ? this.registerBuffer('running_var', tensor(new Float32Array(numFeatures).fill(1), [numFeatures])) : null;
  }

  forward(x: Tensor): Tensor {
    // Without running stats, eval mode also normalizes with batch statistics (as PyTorch).
    const training = this.training || !this.runningMean;
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training,
      momentum: this.momentum,
      eps: this.eps,
      updateRunningStats: this.training && this.updateRunningStats,
    });
  }
}

export class BatchNorm1d extends BatchNormBase {}
export class BatchNorm2d extends BatchNormBase {}

export function isBatchNorm(m: Module): m is BatchNormBase {
  return m instanceof BatchNormBase;
}

/** Turn the running-statistics update of every batch-norm layer on or off; returns the previous states. */
export function setBatchNormStatsUpdate(model: Module, on: boolean): boolean[] {
  const prev: boolean[] = [];
  for (const [, m] of model.modules()) {
    if (isBatchNorm(m)) {
      prev.push(m.updateRunningStats);
      m.updateRunningStats = on;
    }
  }
  return prev;
}
