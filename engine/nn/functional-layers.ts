// Layers without parameters, and containers.
import type { Tensor } from '../tensor.ts';
import { relu } from '../ops/elementwise.ts';
import { flatten } from '../ops/shape.ts';
import { maxPool2d, avgPool2d, adaptiveAvgPool2d, type Pool2dOptions } from '../ops/pool.ts';
import { dropout } from '../ops/dropout.ts';
import { Module } from './module.ts';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class Flatten extends Module {
  constructor(readonly startDim = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim);
  }
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: number | [number, number], readonly options: Pool2dOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: number | [number, number], readonly options: Omit<Pool2dOptions, 'dilation'> & { countIncludePad?: boolean } = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | [number, number]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

/** Inverted dropout with a seeded mask; each call draws a new seed from `seed` and a counter. */
export class Dropout extends Module {
  calls = 0;
  constructor(readonly p = 0.5, readonly seed = 0) {
    super();
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, seed: (this.seed * 1000003 + this.calls++) >>> 0 });
  }
}

export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
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
