// Layers without parameters, and containers.
import type { Tensor } from '../tensor.ts';
import { relu } from '../ops/elementwise.ts';
import { flatten } from '../ops/shape.ts';
import { maxPool2d, avgPool2d, adaptiveAvgPool2d, type AvgPool2dOptions, type Pool2dOptions } from '../ops/pool.ts';
import { SamgpuError } from '../device/errors.ts';
import { bool, int, intOrPair, isPlainObject, noMoreThan, num, options, positional, show } from '../args.ts';
import { dropout } from '../ops/dropout.ts';
import { Module } from './module.ts';

/**
 * An `inplace` flag as PyTorch's modules take it: accepted, and the result is PyTorch's (samgpu
 * computes out of place; code that uses the module's output, as every nn model does, sees no
 * difference). Not a boolean is an error.
 */
function inplaceFlag(op: string, v: unknown): void {
  bool(op, 'inplace', v, false);
}

export class ReLU extends Module {
  /** nn.ReLU(inplace = false): see inplaceFlag. */
  constructor(inplace?: boolean) {
    super();
    noMoreThan('ReLU', arguments, 1);
    inplaceFlag('ReLU', inplace);
  }
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** nn.Identity: like PyTorch's, it takes and ignores any arguments. */
export class Identity extends Module {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  constructor(..._args: unknown[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class Flatten extends Module {
  /** nn.Flatten(startDim = 1, endDim = -1). */
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    noMoreThan('Flatten', arguments, 2);
    int('Flatten', 'startDim', startDim, 1);
    int('Flatten', 'endDim', endDim, -1);
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

type Pair = number | [number, number];

export class MaxPool2d extends Module {
  readonly options: Pool2dOptions;
  /** nn.MaxPool2d(kernelSize, stride = kernelSize, padding = 0, dilation = 1, returnIndices = false, ceilMode = false), positional or as options. */
  constructor(readonly kernelSize: Pair, stride?: Pair | null | Pool2dOptions, padding?: Pair, dilation?: Pair, returnIndices?: false, ceilMode?: boolean) {
    super();
    const o = positional('MaxPool2d', [...arguments].slice(1), ['stride', 'padding', 'dilation', 'returnIndices', 'ceilMode']);
    if (bool('MaxPool2d', 'returnIndices', o.returnIndices, false)) throw new SamgpuError('MaxPool2d: returnIndices is not supported');
    intOrPair('MaxPool2d', 'kernelSize', kernelSize);
    this.options = {
      stride: intOrPair('MaxPool2d', 'stride', o.stride ?? undefined),
      padding: intOrPair('MaxPool2d', 'padding', o.padding),
      dilation: intOrPair('MaxPool2d', 'dilation', o.dilation),
      ceilMode: bool('MaxPool2d', 'ceilMode', o.ceilMode, false),
    };
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

export class AvgPool2d extends Module {
  readonly options: AvgPool2dOptions;
  /** nn.AvgPool2d(kernelSize, stride = kernelSize, padding = 0, ceilMode = false, countIncludePad = true, divisorOverride = null), positional or as options. */
  constructor(readonly kernelSize: Pair, stride?: Pair | null | AvgPool2dOptions, padding?: Pair, ceilMode?: boolean, countIncludePad?: boolean, divisorOverride?: null) {
    super();
    const o = positional('AvgPool2d', [...arguments].slice(1), ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
    if (o.divisorOverride != null) throw new SamgpuError(`AvgPool2d: divisorOverride is not supported, got ${show(o.divisorOverride)}`);
    intOrPair('AvgPool2d', 'kernelSize', kernelSize);
    this.options = {
      stride: intOrPair('AvgPool2d', 'stride', o.stride ?? undefined),
      padding: intOrPair('AvgPool2d', 'padding', o.padding),
      ceilMode: bool('AvgPool2d', 'ceilMode', o.ceilMode, false),
      countIncludePad: bool('AvgPool2d', 'countIncludePad', o.countIncludePad, true),
    };
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
    noMoreThan('AdaptiveAvgPool2d', arguments, 1);
    intOrPair('AdaptiveAvgPool2d', 'outputSize', outputSize);
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

/**
 * Inverted dropout with a seeded mask; each call draws a new seed from `seed` and a counter.
 * nn.Dropout(p = 0.5, inplace = false): a boolean second argument is PyTorch's inplace (see
 * inplaceFlag), a number is samgpu's seed; or options {inplace, seed}.
 */
export class Dropout extends Module {
  calls = 0;
  readonly seed: number;
  constructor(readonly p = 0.5, inplaceOrSeed?: boolean | number | { inplace?: boolean; seed?: number }) {
    super();
    noMoreThan('Dropout', arguments, 2);
    num('Dropout', 'p', p, 0.5, 'a probability in [0, 1]', (v) => v >= 0 && v <= 1);
    const o = typeof inplaceOrSeed === 'number' ? { seed: inplaceOrSeed } : typeof inplaceOrSeed === 'boolean' ? { inplace: inplaceOrSeed } : options('Dropout', inplaceOrSeed, ['inplace', 'seed'], 'inplace (a boolean), a seed or options');
    inplaceFlag('Dropout', o.inplace);
    this.seed = int('Dropout', 'seed', o.seed, 0, 0);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, seed: (this.seed * 1000003 + this.calls++) >>> 0 });
  }
}

export class Sequential extends Module {
  readonly layers: Module[];
  /** nn.Sequential(...modules), or one Map / plain object of named modules (PyTorch's OrderedDict). */
  constructor(...layers: Module[] | [ReadonlyMap<string, Module> | Readonly<Record<string, Module>>]) {
    super();
    const first = layers[0] as unknown;
    const named: [string, unknown][] =
      layers.length === 1 && (first instanceof Map || isPlainObject(first))
        ? [...(first instanceof Map ? first.entries() : Object.entries(first as Record<string, unknown>))]
        : (layers as unknown[]).map((m, i) => [String(i), m]);
    for (const [name, m] of named) {
      if (!(m instanceof Module)) throw new SamgpuError(`Sequential: layer ${name} is ${show(m)}, expected a Module (nn.Linear, nn.ReLU, …)`);
    }
    this.layers = named.map(([, m]) => m as Module);
    named.forEach(([name, m]) => this.registerModule(name, m as Module));
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const m = this.layers[i];
      // A layer followed by ReLU that can fuse it (Conv2d): one kernel instead of two, the
      // same values and gradients.
      if (this.layers[i + 1] instanceof ReLU && fusesRelu(m)) {
        y = m.forwardRelu(y);
        i++;
      } else y = m.forward(y);
    }
    return y;
  }
}

/** A layer that can apply a following ReLU in its own kernel. */
interface ReluFusable {
  forwardRelu(x: Tensor): Tensor;
}

const fusesRelu = (m: Module): m is Module & ReluFusable => typeof (m as Partial<ReluFusable>).forwardRelu === 'function';
