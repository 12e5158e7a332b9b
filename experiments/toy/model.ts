// The toy's network: a one-hidden-layer ReLU feature extractor φ and a linear head v, f = ⟨v, φ(x)⟩.
//  - 'branch': one branch per feature, φ = [ReLU(W_e x_easy), ReLU(W_h x_hard)], so the head
//    splits into v_easy (the first easyUnits entries) and v_hard (the rest) and v_hard/v_easy is
//    well defined. Stored as one block-diagonal extractor W ⊙ M with a constant 0/1 mask M:
//    the off-block entries get zero gradient, hence no SAM perturbation either, and the network
//    needs one matmul per layer instead of two (fewer dispatches per step on lavapipe).
//  - 'mlp': the same sizes with a dense W (every unit sees both features): no branch structure.
// Init: Gaussian with std 1/√fan-in (easy units: easy.dim, hard units: hard.dim, MLP units:
// the input dim, head: the number of units); no biases (as in the toy's float64 simulation, experiments/toy/config.ts).
import { tensor, type Tensor } from '../../engine/tensor.ts';
import type { Rng } from '../../engine/random.ts';
import { Module } from '../../engine/nn/module.ts';
import { linear } from '../../engine/ops/linear.ts';
import { relu } from '../../engine/ops/elementwise.ts';
import { add, mul, sub } from '../../engine/ops/binary.ts';
import type { Structure } from './config.ts';

export interface ToyNetShape {
  easyDim: number;
  hardDim: number;
  easyUnits: number;
  hardUnits: number;
}

/** The extractor: φ(x) = ReLU(x·(W ⊙ M)ᵀ), M the block mask (branch) or none (mlp). */
class Extractor extends Module {
  readonly weight: Tensor;
  readonly mask: Tensor | null;

  constructor(w: Float32Array, mask: Float32Array | null, units: number, inDim: number) {
    super();
    this.weight = this.registerParameter('weight', tensor(w, [units, inDim]));
    this.mask = mask ? this.registerBuffer('mask', tensor(mask, [units, inDim])) : null;
  }

  forward(x: Tensor): Tensor {
    if (!this.mask) return relu(linear(x, this.weight));
    return relu(linear(x, mul(this.weight, this.mask)));
  }
}

class Head extends Module {
  readonly weight: Tensor;

  constructor(v: Float32Array) {
    super();
    this.weight = this.registerParameter('weight', tensor(v, [1, v.length]));
  }

  forward(phi: Tensor): Tensor {
    return linear(phi, this.weight);
  }
}

export class ToyNet extends Module {
  readonly extractor: Extractor;
  readonly head: Head;
  readonly units: number;

  constructor(readonly structure: Structure, readonly shape: ToyNetShape, rng: Rng) {
    super();
    const { easyDim, hardDim, easyUnits, hardUnits } = shape;
    const d = easyDim + hardDim;
    const h = easyUnits + hardUnits;
    this.units = h;
    const w = new Float32Array(h * d);
    let mask: Float32Array | null = null;
    if (structure === 'branch') {
      mask = new Float32Array(h * d);
      const easy = rng.normal(easyUnits * easyDim, 0, 1 / Math.sqrt(easyDim));
      const hard = rng.normal(hardUnits * hardDim, 0, 1 / Math.sqrt(hardDim));
      for (let u = 0; u < easyUnits; u++) {
        for (let j = 0; j < easyDim; j++) {
          w[u * d + j] = easy[u * easyDim + j];
          mask[u * d + j] = 1;
        }
      }
      for (let u = 0; u < hardUnits; u++) {
        for (let j = 0; j < hardDim; j++) {
          w[(easyUnits + u) * d + easyDim + j] = hard[u * hardDim + j];
          mask[(easyUnits + u) * d + easyDim + j] = 1;
        }
      }
    } else if (structure === 'mlp') {
      w.set(rng.normal(h * d, 0, 1 / Math.sqrt(d)));
    } else {
      throw new Error(`ToyNet: structure must be 'branch' or 'mlp', got '${structure}'`);
    }
    this.extractor = this.registerModule('extractor', new Extractor(w, mask, h, d));
    this.head = this.registerModule('head', new Head(rng.normal(h, 0, 1 / Math.sqrt(h))));
  }

  /** φ(x): [n, units]; for 'branch' the easy units come first. */
  features(x: Tensor): Tensor {
    return this.extractor.forward(x);
  }

  /** f(x) = ⟨v, φ(x)⟩: [n, 1]. */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }

  /**
   * f(x) in value, but the gradient reaching the extractor flows through `headForExtractor`
   * (a constant [1, units], e.g. the phantom ṽ) instead of v; v itself gets its usual gradient
   * Σ ∂L/∂fᵢ·φ(xᵢ). Built as s = ⟨v, φ̄⟩ + ⟨ṽ, φ⟩ − ⟨ṽ, φ̄⟩ with φ̄ = φ detached (a view outside
   * the tape), so ∂s/∂φ = ṽ and ∂s/∂v = φ.
   */
  forwardWithHeadForExtractor(x: Tensor, headForExtractor: Tensor): Tensor {
    const phi = this.features(x);
    const phiDetached = phi.view(phi.shape);
    const real = this.head.forward(phiDetached);
    const swapped = linear(phi, headForExtractor);
    const swappedDetached = swapped.view(swapped.shape);
    return add(real, sub(swapped, swappedDetached));
  }

  /** The head entries of the easy and hard branches: [start, end) into v. */
  get headSplit(): { easy: [number, number]; hard: [number, number] } {
    return { easy: [0, this.shape.easyUnits], hard: [this.shape.easyUnits, this.units] };
  }
}
