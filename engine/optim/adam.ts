// torch.optim.Adam and AdamW (amsgrad off): one GPU pass over the flat parameter buffer per step,
// the two moment buffers in the same flat layout. Adam adds weight decay to the gradient (L2);
// AdamW decays θ by (1 − lr·wd) before the update (Loshchilov & Hutter's decoupled decay).
import source from '../../shaders/adam.wgsl';
import { positional, show } from '../args.ts';
import { SamgpuError } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import type { Tensor } from '../tensor.ts';
import { workgroups1d } from '../ops/util.ts';
import { FlatParameters } from './flat-params.ts';
import { parameterList, type Optimizer, type OptimizerState } from './sgd.ts';

const ADAM_STEP: KernelSource = { name: 'adam.wgsl', code: source, entry: 'adam_step' };

export interface AdamOptions {
  /** Default 1e-3, as torch. */
  lr: number;
  /** (β1, β2), default (0.9, 0.999). */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Adam: L2 added to the gradient; AdamW: decoupled decay. Default 0 (Adam), 0.01 (AdamW), as torch. */
  weightDecay?: number;
}

export class Adam implements Optimizer {
  readonly flat: FlatParameters;
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** true for AdamW. */
  readonly decoupled: boolean;
  #expAvg: Tensor | null = null;
  #expAvgSq: Tensor | null = null;
  #steps = 0;

  /**
   * torch.optim.Adam(params, lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8, weightDecay = 0),
   * positional or as an options object after any of them.
   */
  constructor(params: Iterable<Tensor> | FlatParameters, lr?: number | Partial<AdamOptions>, betas?: [number, number] | Partial<AdamOptions>, eps?: number | Partial<AdamOptions>, weightDecay?: number | Partial<AdamOptions>) {
    const decoupled = new.target === AdamW;
    const name = decoupled ? 'AdamW' : 'Adam';
    const opts = positional(name, [...arguments].slice(1), ['lr', 'betas', 'eps', 'weightDecay']) as Partial<AdamOptions>;
    const check = (what: string, v: number, ok: boolean) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || !ok) throw new SamgpuError(`${name}: ${what} must be ${what.startsWith('beta') ? 'in [0, 1)' : 'a finite number >= 0'}, got ${show(v)}`);
    };
    if (opts.betas !== undefined && !(Array.isArray(opts.betas) && opts.betas.length === 2)) {
      throw new SamgpuError(`${name}: betas must be a pair [beta1, beta2], got ${show(opts.betas)}`);
    }
    this.lr = opts.lr ?? 1e-3;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? (decoupled ? 0.01 : 0);
    this.decoupled = decoupled;
    check('lr', this.lr, this.lr >= 0);
    check('beta1', this.betas[0], this.betas[0] >= 0 && this.betas[0] < 1);
    check('beta2', this.betas[1], this.betas[1] >= 0 && this.betas[1] < 1);
    check('eps', this.eps, this.eps >= 0);
    check('weightDecay', this.weightDecay, this.weightDecay >= 0);
    this.flat = params instanceof FlatParameters ? params : FlatParameters.of(parameterList(name, params));
  }

  get steps(): number {
    return this.#steps;
  }

  step(): void {
    if (!Number.isFinite(this.lr) || this.lr < 0) throw new SamgpuError(`${this.decoupled ? 'AdamW' : 'Adam'}: lr must be a finite number >= 0, got ${this.lr}`);
    this.#expAvg ??= this.flat.like();
    this.#expAvgSq ??= this.flat.like();
    const t = this.#steps + 1;
    const [b1, b2] = this.betas;
    const u = new Uniforms()
      .u32(this.flat.total, this.decoupled ? 1 : 0, 0, 0)
      .f32(this.lr, b1, b2, this.eps, this.weightDecay, this.lr / (1 - b1 ** t), Math.sqrt(1 - b2 ** t), 0)
      .build();
    this.flat.data.rt.dispatch(ADAM_STEP, {
      buffers: {
        param: this.flat.data.buffer('Adam'),
        grad: this.flat.grad.buffer('Adam'),
        exp_avg: this.#expAvg.buffer('Adam'),
        exp_avg_sq: this.#expAvgSq.buffer('Adam'),
      },
      uniforms: u,
      workgroups: workgroups1d(this.flat.total),
    });
    this.#steps = t;
  }

  zeroGrad(): void {
    this.flat.zeroGrad();
  }

  dispose(): void {
    this.#expAvg?.dispose();
    this.#expAvgSq?.dispose();
    this.#expAvg = this.#expAvgSq = null;
  }

  /** Step count and both moments (flat layout), for checkpoints. */
  async saveState(): Promise<OptimizerState> {
    const buffers: Record<string, Float32Array> = {};
    if (this.#expAvg && this.#expAvgSq) {
      buffers.exp_avg = await this.#expAvg.read();
      buffers.exp_avg_sq = await this.#expAvgSq.read();
    }
    return { steps: this.#steps, lr: this.lr, momentum: null, buffers };
  }

  loadState(s: OptimizerState): void {
    const name = this.decoupled ? 'AdamW' : 'Adam';
    const m = s.buffers?.exp_avg;
    const v = s.buffers?.exp_avg_sq;
    if (s.momentum) throw new SamgpuError(`${name}.loadState: the state holds an SGD momentum buffer (a checkpoint of another optimizer)`);
    if (Boolean(m) !== Boolean(v)) throw new SamgpuError(`${name}.loadState: expected both exp_avg and exp_avg_sq, got ${m ? 'exp_avg' : 'exp_avg_sq'} only`);
    if (s.steps > 0 && !m) throw new SamgpuError(`${name}.loadState: the state is at step ${s.steps} but holds no moments`);
    for (const [k, b] of [['exp_avg', m], ['exp_avg_sq', v]] as const) {
      if (b && b.length !== this.flat.total) throw new SamgpuError(`${name}.loadState: ${k} has ${b.length} values, the parameters' flat layout has ${this.flat.total}`);
    }
    this.#steps = s.steps;
    this.lr = s.lr;
    if (m && v) {
      this.#expAvg ??= this.flat.like();
      this.#expAvgSq ??= this.flat.like();
      for (const [t, d] of [[this.#expAvg, m], [this.#expAvgSq, v]] as const) {
        const st = t.storage(`${name}.loadState`);
        st.rt.write(st.buf, 0, d);
      }
    } else this.dispose();
  }
}

/** torch.optim.AdamW: Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  /** torch.optim.AdamW(params, lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8, weightDecay = 0.01). */
  constructor(params: Iterable<Tensor> | FlatParameters, lr?: number | Partial<AdamOptions>, betas?: [number, number] | Partial<AdamOptions>, eps?: number | Partial<AdamOptions>, weightDecay?: number | Partial<AdamOptions>) {
    super(params, ...([...arguments].slice(1) as [number]));
  }
}
