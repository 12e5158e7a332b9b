// The toy's network: a one-hidden-layer ReLU feature extractor φ and a linear head v, f = ⟨v, φ(x)⟩.
//  - 'branch': one branch per feature, φ = [ReLU(W_e x_easy), ReLU(W_h x_hard)], so the head
//    splits into v_easy (the first easyUnits entries) and v_hard (the rest) and v_hard/v_easy is
//    well defined. Stored as one block-diagonal extractor W ⊙ M with a constant 0/1 mask M:
//    the off-block entries get zero gradient, hence no SAM perturbation either, and the network
//    needs one matmul per layer instead of two (fewer dispatches per step on lavapipe).
//  - 'mlp': the same sizes with a dense W (every unit sees both features): no branch structure.
// Init: Gaussian with std 1/√fan-in (easy units: easy.dim, hard units: hard.dim, MLP units:
// the input dim, head: the number of units); no biases (as in the toy's float64 simulation, experiments/toy/config.ts).
// BlockNet is the same network for any number of blocks, outputs and optional biases (PyTorch's
// uniform ±1/√fan-in, drawn after the weights, so without biases the draws are the toy's): the
// runner trains it on vector datasets with k annotated features (LMS, the toy), one branch each.
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

/** The extractor: φ(x) = ReLU(x·(W ⊙ M)ᵀ + b), M the block mask (branch) or none (mlp). */
class Extractor extends Module {
  readonly weight: Tensor;
  readonly mask: Tensor | null;
  readonly bias: Tensor | null;

  constructor(w: Float32Array, mask: Float32Array | null, bias: Float32Array | null, units: number, inDim: number) {
    super();
    this.weight = this.registerParameter('weight', tensor(w, [units, inDim]));
    this.mask = mask ? this.registerBuffer('mask', tensor(mask, [units, inDim])) : null;
    this.bias = bias ? this.registerParameter('bias', tensor(bias, [units])) : null;
  }

  forward(x: Tensor): Tensor {
    const w = this.mask ? mul(this.weight, this.mask) : this.weight;
    return relu(this.bias ? linear(x, w, this.bias) : linear(x, w));
  }
}

class Head extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(v: Float32Array, outputs: number, bias: Float32Array | null) {
    super();
    this.weight = this.registerParameter('weight', tensor(v, [outputs, v.length / outputs]));
    this.bias = bias ? this.registerParameter('bias', tensor(bias, [outputs])) : null;
  }

  forward(phi: Tensor): Tensor {
    return this.bias ? linear(phi, this.weight, this.bias) : linear(phi, this.weight);
  }
}

export interface BlockNetOptions {
  structure: Structure;
  /** Each block: its input coordinates [start, end) and hidden units (an MLP gets their sum, dense). */
  blocks: { coordinates: [number, number]; units: number }[];
  inputDim: number;
  outputs: number;
  bias: boolean;
}

/** A one-hidden-layer ReLU net with one branch per block of input coordinates (or dense), f = v·φ(x) (+ biases). */
export class BlockNet extends Module {
  readonly extractor: Extractor;
  readonly head: Head;
  readonly units: number;

  constructor(readonly options: BlockNetOptions, rng: Rng) {
    super();
    const { structure, blocks, inputDim: d, outputs } = options;
    if (!blocks.length) throw new Error('BlockNet: no blocks');
    for (const b of blocks) {
      const [s, e] = b.coordinates;
      if (!(Number.isInteger(s) && Number.isInteger(e) && 0 <= s && s < e && e <= d) || !(Number.isInteger(b.units) && b.units >= 1)) {
        throw new Error(`BlockNet: block ${JSON.stringify(b)} must have coordinates 0 <= start < end <= ${d} and units >= 1`);
      }
    }
    const h = blocks.reduce((a, b) => a + b.units, 0);
    this.units = h;
    const w = new Float32Array(h * d);
    let mask: Float32Array | null = null;
    if (structure === 'branch') {
      mask = new Float32Array(h * d);
      let u0 = 0;
      for (const b of blocks) {
        const [s, e] = b.coordinates;
        const dim = e - s;
        const block = rng.normal(b.units * dim, 0, 1 / Math.sqrt(dim));
        for (let u = 0; u < b.units; u++) {
          for (let j = 0; j < dim; j++) {
            w[(u0 + u) * d + s + j] = block[u * dim + j];
            mask[(u0 + u) * d + s + j] = 1;
          }
        }
        u0 += b.units;
      }
    } else if (structure === 'mlp') {
      w.set(rng.normal(h * d, 0, 1 / Math.sqrt(d)));
    } else {
      throw new Error(`ToyNet: structure must be 'branch' or 'mlp', got '${structure}'`);
    }
    const v = rng.normal(h * outputs, 0, 1 / Math.sqrt(h));
    let b1: Float32Array | null = null;
    let b2: Float32Array | null = null;
    if (options.bias) {
      b1 = new Float32Array(h);
      let u0 = 0;
      for (const b of blocks) {
        const fanIn = structure === 'branch' ? b.coordinates[1] - b.coordinates[0] : d;
        for (let u = 0; u < b.units; u++) b1[u0 + u] = (2 * rng.next() - 1) / Math.sqrt(fanIn);
        u0 += b.units;
      }
      b2 = Float32Array.from({ length: outputs }, () => (2 * rng.next() - 1) / Math.sqrt(h));
    }
    this.extractor = this.registerModule('extractor', new Extractor(w, mask, b1, h, d));
    this.head = this.registerModule('head', new Head(v, outputs, b2));
  }

  /** φ(x): [n, units], the branches in block order; inputs of any shape [n, …] are flattened. */
  features(x: Tensor): Tensor {
    const flat = x.shape.length === 2 ? x : x.view([x.shape[0], x.size / x.shape[0]]);
    return this.extractor.forward(flat);
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }
}

export class ToyNet extends BlockNet {
  constructor(readonly structure: Structure, readonly shape: ToyNetShape, rng: Rng) {
    const { easyDim, hardDim, easyUnits, hardUnits } = shape;
    super({
      structure,
      blocks: [{ coordinates: [0, easyDim], units: easyUnits }, { coordinates: [easyDim, easyDim + hardDim], units: hardUnits }],
      inputDim: easyDim + hardDim,
      outputs: 1,
      bias: false,
    }, rng);
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
