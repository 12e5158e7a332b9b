// The paper's small CNN (used at least for the synthetic two-feature datasets):
// Conv2d(C→32, k5, s2, p2), ReLU, Conv2d(32→64, k3, s2, p1), ReLU, Conv2d(64→128, k3, s2, p1),
// ReLU, Flatten, Linear(128·⌈H/8⌉·⌈W/8⌉ → classes). For 3×64×32 inputs: 4096 features.
import type { Tensor } from '../tensor.ts';
import { mean } from '../ops/reduce.ts';
import type { Rng } from '../random.ts';
import { Module } from '../nn/module.ts';
import { Conv2d, Linear } from '../nn/layers.ts';
import { Flatten, ReLU, Sequential } from '../nn/functional-layers.ts';

export interface SmallCNNOptions {
  inChannels: number;
  height: number;
  width: number;
  classes: number;
  rng?: Rng;
}

export class SmallCNN extends Module {
  /** Everything up to the penultimate features (what linear probes read). */
  readonly body: Sequential;
  /** The last layer. */
  readonly head: Linear;
  readonly featureDim: number;

  constructor(opts: SmallCNNOptions) {
    super();
    const rng = opts.rng;
    this.body = this.registerModule(
      'body',
      new Sequential(
        new Conv2d(opts.inChannels, 32, 5, { stride: 2, padding: 2, rng }),
        new ReLU(),
        new Conv2d(32, 64, 3, { stride: 2, padding: 1, rng }),
        new ReLU(),
        new Conv2d(64, 128, 3, { stride: 2, padding: 1, rng }),
        new ReLU(),
        new Flatten(),
      ),
    );
    this.featureDim = 128 * Math.ceil(opts.height / 8) * Math.ceil(opts.width / 8);
    this.head = this.registerModule('head', new Linear(this.featureDim, opts.classes, { rng }));
  }

  /** Penultimate features [N, featureDim]. */
  features(x: Tensor): Tensor {
    return this.body.forward(x);
  }

  /** The last feature map averaged over positions [N, 128]: what the flattened features hold, without where. */
  pooledFeatures(x: Tensor): Tensor {
    const f = this.features(x);
    return mean(f.view([f.shape[0], 128, this.featureDim / 128]), 2);
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }
}
