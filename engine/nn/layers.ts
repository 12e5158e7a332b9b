// Parametric layers: Linear, Conv2d, BatchNorm1d/2d, with PyTorch's default initializations.
import { SamgpuError } from '../device/errors.ts';
import { bool, int, intOrPair, num, positional, show } from '../args.ts';
import { tensor, type Tensor } from '../tensor.ts';
import type { Rng } from '../random.ts';
import { linear } from '../ops/linear.ts';
import { conv2d, conv2dRelu, type Conv2dOptions } from '../ops/conv2d.ts';
import { batchNorm } from '../ops/batchnorm.ts';
import { Module } from './module.ts';
import { biasUniform, getDefaultRng, kaimingUniformDefault } from './init.ts';

export interface LinearOptions {
  bias?: boolean;
  rng?: Rng;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  /** nn.Linear(in, out, bias = true), or `{bias, rng}` in bias' place. */
  constructor(readonly inFeatures: number, readonly outFeatures: number, bias?: boolean | LinearOptions) {
    super();
    const opts = positional('Linear', [...arguments].slice(2), ['bias'], ['rng']) as LinearOptions;
    int('Linear', 'inFeatures', inFeatures, undefined, 0);
    int('Linear', 'outFeatures', outFeatures, undefined, 0);
    bool('Linear', 'bias', opts.bias, true);
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
  /** 'zeros' only (PyTorch's default) */
  paddingMode?: 'zeros';
  rng?: Rng;
}

const CONV_LAYER_ARGS = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode'];

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly options: Conv2dOptions;

  /**
   * nn.Conv2d(in, out, kernelSize, stride = 1, padding = 0, dilation = 1, groups = 1,
   * bias = true, paddingMode = 'zeros'), positional as in PyTorch or as an options object
   * (with `rng`) after any of them.
   */
  constructor(
    readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number],
    stride?: number | [number, number] | Conv2dLayerOptions, padding?: number | [number, number], dilation?: number | [number, number],
    groupsArg?: number, bias?: boolean, paddingMode?: 'zeros',
  ) {
    super();
    const opts = positional('Conv2d', [...arguments].slice(3), CONV_LAYER_ARGS, ['rng']) as Conv2dLayerOptions;
    int('Conv2d', 'inChannels', inChannels, undefined, 1);
    int('Conv2d', 'outChannels', outChannels, undefined, 1);
    bool('Conv2d', 'bias', opts.bias, true);
    if (opts.paddingMode !== undefined && opts.paddingMode !== 'zeros') {
      throw new SamgpuError(`Conv2d: paddingMode ${show(opts.paddingMode)} is not supported (only 'zeros')`);
    }
    const groups = int('Conv2d', 'groups', opts.groups, 1, 1);
    const ks = intOrPair('Conv2d', 'kernelSize', kernelSize)!;
    if (inChannels % groups || outChannels % groups) {
      throw new SamgpuError(`Conv2d: groups ${groups} must divide in_channels ${inChannels} and out_channels ${outChannels}`);
    }
    const [kh, kw] = pair(ks, 1);
    const rng = opts.rng ?? getDefaultRng();
    const fanIn = (inChannels / groups) * kh * kw;
    this.weight = this.registerParameter('weight', tensor(kaimingUniformDefault(outChannels * fanIn, fanIn, rng), [outChannels, inChannels / groups, kh, kw]));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', tensor(biasUniform(outChannels, fanIn, rng), [outChannels]));
    this.options = {
      stride: intOrPair('Conv2d', 'stride', opts.stride),
      padding: intOrPair('Conv2d', 'padding', opts.padding),
      dilation: intOrPair('Conv2d', 'dilation', opts.dilation),
      groups,
    };
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

const BN_LAYER_ARGS = ['eps', 'momentum', 'affine', 'trackRunningStats'];

class BatchNormBase extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly eps: number;
  momentum: number;
  /** Off for SAM's second pass, so statistics are updated once per step (see optim/sam). */
  updateRunningStats = true;

  /** nn.BatchNorm2d(numFeatures, eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true), positional or as options. */
  constructor(readonly numFeatures: number, eps?: number | BatchNormLayerOptions, momentum?: number, affineArg?: boolean, trackRunningStats?: boolean) {
    super();
    const op = new.target.name;
    const opts = positional(op, [...arguments].slice(1), BN_LAYER_ARGS) as BatchNormLayerOptions;
    int(op, 'numFeatures', numFeatures, undefined, 1);
    if (opts.momentum === null) throw new SamgpuError(`${op}: momentum None (a cumulative average) is not supported; give a number`);
    this.eps = num(op, 'eps', opts.eps, 1e-5, 'a number >= 0', (v) => v >= 0);
    this.momentum = num(op, 'momentum', opts.momentum, 0.1);
    const affine = bool(op, 'affine', opts.affine, true);
    this.weight = affine ? this.registerParameter('weight', tensor(new Float32Array(numFeatures).fill(1), [numFeatures])) : null;
    this.bias = affine ? this.registerParameter('bias', tensor(new Float32Array(numFeatures), [numFeatures])) : null;
    const track = bool(op, 'trackRunningStats', opts.trackRunningStats, true);
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
  if (!(model instanceof Module)) throw new SamgpuError(`setBatchNormStatsUpdate: expected a Module, got ${show(model)}`);
  bool('setBatchNormStatsUpdate', 'on', on);
  const prev: boolean[] = [];
  for (const [, m] of model.modules()) {
    if (isBatchNorm(m)) {
      prev.push(m.updateRunningStats);
      m.updateRunningStats = on;
    }
  }
  return prev;
}
