// torch.optim.SGD: momentum, dampening, Nesterov, weight decay — one GPU pass over the flat
// parameter buffer per step.
import source from '../../shaders/sgd.wgsl';
import { SamgpuError } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, Tensor } from '../tensor.ts';
import { Module } from '../nn/module.ts';
import { bool, isPlainObject, positional, show } from '../args.ts';
import { keep } from '../scope.ts';
import { workgroups1d } from '../ops/util.ts';
import { FlatParameters } from './flat-params.ts';

const SGD_STEP: KernelSource = { name: 'sgd.wgsl', code: source, entry: 'sgd_step' };

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

function check(name: string, v: unknown, min = 0): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new SamgpuError(`SGD: ${name} must be a finite number >= ${min}, got ${show(v)}`);
}

/** The parameters as a list of tensors: model.parameters(), any iterable of tensors. */
export function parameterList(op: string, params: unknown): Tensor[] {
  if (params instanceof Module) throw new SamgpuError(`${op}: pass model.parameters(), not the model`);
  if (!params || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new SamgpuError(`${op}: expected the parameters (model.parameters()), got ${show(params)}`);
  }
  const list = [...(params as Iterable<unknown>)];
  list.forEach((p, i) => {
    if (p instanceof Tensor) return;
    if (isPlainObject(p) && 'params' in p) throw new SamgpuError(`${op}: parameter groups ({params, lr}) are not supported; use one optimizer per group`);
    throw new SamgpuError(`${op}: parameter ${i} is ${show(p)}, expected a Tensor`);
  });
  return list as Tensor[];
}

export interface OptimizerState {
  steps: number;
  lr: number;
  /** The momentum buffer in the flat parameter layout, or null before the first step. */
  momentum: Float32Array | null;
  /** Other per-parameter buffers by name, same layout (Adam: exp_avg, exp_avg_sq). */
  buffers?: Record<string, Float32Array>;
}

/** Anything that updates parameters from their gradients (SAM wraps one). */
export interface Optimizer {
  lr: number;
  readonly flat: FlatParameters;
  step(): void;
  zeroGrad(): void;
  saveState?(): Promise<OptimizerState>;
  loadState?(s: OptimizerState): void;
}

export class SGD implements Optimizer {
  readonly flat: FlatParameters;
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  #momentumBuf: Tensor | null = null;
  #unused: Tensor | null = null; // bound in place of the momentum buffer when momentum is 0
  #steps = 0;

  /**
   * torch.optim.SGD(params, lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false),
   * positional or as an options object after any of them.
   */
  constructor(params: Iterable<Tensor> | FlatParameters, lr: number | SGDOptions, momentum?: number, dampening?: number, weightDecay?: number, nesterov?: boolean) {
    const opts = positional('SGD', [...arguments].slice(1), ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov']) as Partial<SGDOptions>;
    if (opts.lr === undefined) throw new SamgpuError('SGD: lr is required (torch.optim.SGD(params, lr, …)): new SGD(params, 0.1) or new SGD(params, {lr: 0.1, momentum: 0.9})');
    check('lr', opts.lr);
    this.lr = opts.lr;
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = bool('SGD', 'nesterov', opts.nesterov, false);
    check('momentum', this.momentum);
    check('dampening', this.dampening);
    check('weightDecay', this.weightDecay);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new SamgpuError('SGD: Nesterov momentum requires a momentum > 0 and zero dampening');
    }
    this.flat = params instanceof FlatParameters ? params : FlatParameters.of(parameterList('SGD', params));
  }

  get steps(): number {
    return this.#steps;
  }

  /** θ ← θ − lr·d from the gradients in `.grad` (one dispatch for all parameters). */
  step(): void {
    check('lr', this.lr);
    const hasMomentum = this.momentum !== 0;
    if (hasMomentum && !this.#momentumBuf) this.#momentumBuf = this.flat.like();
    const u = new Uniforms()
      .u32(this.flat.total, this.nesterov ? 1 : 0, this.#steps === 0 || !this.#momentumBuf ? 1 : 0, hasMomentum ? 1 : 0)
      .f32(this.lr, this.momentum, this.dampening, this.weightDecay)
      .build();
    this.flat.data.rt.dispatch(SGD_STEP, {
      buffers: {
        param: this.flat.data.buffer('SGD'),
        grad: this.flat.grad.buffer('SGD'),
        momentum_buf: (this.#momentumBuf ?? (this.#unused ??= keep(empty([1], this.flat.data.rt)))).buffer('SGD'),
      },
      uniforms: u,
      workgroups: workgroups1d(this.flat.total),
    });
    this.#steps++;
  }

  zeroGrad(): void {
    this.flat.zeroGrad();
  }

  /** Free the optimizer's buffers (momentum); the parameters stay in their flat storage. */
  dispose(): void {
    this.#momentumBuf?.dispose();
    this.#unused?.dispose();
    this.#momentumBuf = this.#unused = null;
  }

  /** Step count and momentum buffer (flat layout), for checkpoints. */
  async saveState(): Promise<OptimizerState> {
    return { steps: this.#steps, lr: this.lr, momentum: this.#momentumBuf ? await this.#momentumBuf.read() : null };
  }

  /** Restore what `saveState` returned (same parameter layout). */
  loadState(s: OptimizerState): void {
    const other = Object.keys(s.buffers ?? {});
    if (other.length) throw new SamgpuError(`SGD.loadState: the state holds ${other.join(', ')} (a checkpoint of another optimizer)`);
    if (s.momentum && s.momentum.length !== this.flat.total) {
      throw new SamgpuError(`SGD.loadState: momentum has ${s.momentum.length} values, the parameters' flat layout has ${this.flat.total}`);
    }
    this.#steps = s.steps;
    this.lr = s.lr;
    if (s.momentum) {
      this.#momentumBuf ??= this.flat.like();
      const st = this.#momentumBuf.storage('SGD.loadState');
      st.rt.write(st.buf, 0, s.momentum);
    } else if (this.#momentumBuf) {
      this.#momentumBuf.dispose();
      this.#momentumBuf = null;
    }
  }
}
