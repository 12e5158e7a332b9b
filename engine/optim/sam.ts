// Sharpness-Aware Minimization as GPU passes over the flat parameter buffers.
//   pass 1: g = ∇L(θ); ‖g‖ over the perturbed parameters in one multi-range reduction;
//           θ is copied aside (one copy dispatch) and θ̃ = θ + ρ·T²g/(‖Tg‖+ε) written in place.
//   pass 2: g̃ = ∇L(θ̃) (batch-norm running statistics frozen by default); θ restored from the
//           copy (exact, unlike subtracting e); the base optimizer steps with g̃ at θ.
// We keep a copy of θ rather than of e so the restore is bit exact: ρ = 0 reproduces the base
// optimizer bit for bit. Extra memory: one parameter-sized buffer (+ a few floats).
import source from '../../shaders/sam.wgsl';
import { SamgpuError } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Tensor } from '../tensor.ts';
import { keep, scope } from '../scope.ts';
import { workgroups1d } from '../ops/util.ts';
import { addInto, copyInto, fillInto, unaryKernel } from '../ops/elementwise.ts';
import { binaryKernel } from '../ops/binary.ts';
import type { Module } from '../nn/module.ts';
import { isBatchNorm, setBatchNormStatsUpdate } from '../nn/layers.ts';
import type { Optimizer } from './sgd.ts';

const kernel = (entry: string): KernelSource => ({ name: 'sam.wgsl', code: source, entry });
const SUMSQ = kernel('sumsq_partial');
const FINALIZE = kernel('finalize');
const ASCEND = kernel('ascend');
const ADD_L2 = kernel('add_l2');
const ASCENT_SUMSQ = kernel('ascent_sumsq');
const CHUNK = 4096;

export interface SAMOptions {
  /** Neighbourhood radius ρ ≥ 0. */
  rho: number;
  /** Added to ‖g‖ (davda54/sam: 1e-12). */
  eps?: number;
  /** ASAM: e = ρ·T²g/‖Tg‖ with T = |θ| + η. */
  adaptive?: boolean;
  /** ASAM's η (official ASAM: 0.01; davda54/sam's adaptive mode is η = 0). */
  eta?: number;
  /**
   * Which parameters the ascent perturbs: 'all', 'last' (the paper's LSAM: the model's last
   * parameterized layer), a list of parameter names, or a predicate on names.
   */
  perturb?: 'all' | 'last' | string[] | ((name: string) => boolean);
  /**
   * L2 coefficient placed in the loss, entering both passes (google-research/sam). Weight decay
   * of the base optimizer is applied at θ in the descent only (davda54/sam). Use one or the other.
   */
  l2?: number;
  /** Update batch-norm running statistics in the second pass too (default false: frozen). */
  secondPassBatchNormUpdate?: boolean;
  /** Record ‖e‖ per parameter tensor at each ascent (`ascentNorms()`); costs one dispatch per parameter. */
  recordAscentNorms?: boolean;
}

interface Range {
  start: number;
  n: number;
  parts: number;
  partOffset: number;
}

export class SAM {
  readonly base: Optimizer;
  readonly model: Module;
  rho: number;
  readonly eps: number;
  readonly adaptive: boolean;
  readonly eta: number;
  readonly l2: number;
  readonly secondPassBatchNormUpdate: boolean;
  readonly recordAscentNorms: boolean;
  /** Names of the perturbed parameters, in flat order. */
  readonly perturbed: readonly string[];
  readonly #ranges: Range[];
  readonly #all: Range;
  readonly #saved: Tensor;
  readonly #partials: Tensor;
  readonly #state: Tensor; // [‖g‖, scale]
  readonly #paramRanges: { start: number; n: number }[];
  #ascended = false;
  #accum: Tensor | null = null;

  constructor(model: Module, base: Optimizer, opts: SAMOptions) {
    if (!Number.isFinite(opts.rho) || opts.rho < 0) throw new SamgpuError(`SAM: rho must be a finite number >= 0, got ${opts.rho}`);
    this.eps = opts.eps ?? 1e-12;
    this.eta = opts.eta ?? 0.01;
    this.l2 = opts.l2 ?? 0;
    for (const [k, v] of [['eps', this.eps], ['eta', this.eta], ['l2', this.l2]] as const) {
      if (!Number.isFinite(v) || v < 0) throw new SamgpuError(`SAM: ${k} must be a finite number >= 0, got ${v}`);
    }
    this.rho = opts.rho;
    this.adaptive = opts.adaptive ?? false;
    this.secondPassBatchNormUpdate = opts.secondPassBatchNormUpdate ?? false;
    this.recordAscentNorms = opts.recordAscentNorms ?? false;
    this.base = base;
    this.model = model;
    const flat = base.flat;
    const named = model.namedParameters();
    const nameOf = new Map(named.map(([n, t]) => [t, n]));
    for (const p of flat.params) if (!nameOf.has(p)) throw new SamgpuError('SAM: the base optimizer holds a parameter that is not in the model');
    const select = selector(opts.perturb ?? 'all', named.map(([n]) => n));
    const chosen = flat.params.map((p, i) => ({ name: nameOf.get(p)!, i })).filter(({ name }) => select(name));
    if (!chosen.length) throw new SamgpuError(`SAM: no parameter selected by perturb=${JSON.stringify(String(opts.perturb))}`);
    this.perturbed = chosen.map(({ name }) => name);
    // Contiguous runs of perturbed parameters in the flat layout (padding between them is zero).
    const runs: { start: number; end: number }[] = [];
    for (const { i } of chosen) {
      const start = flat.offsets[i];
      const end = i + 1 < flat.offsets.length ? flat.offsets[i + 1] : flat.total;
      const last = runs[runs.length - 1];
      if (last && last.end === start) last.end = end;
      else runs.push({ start, end });
    }
    let partOffset = 0;
    this.#ranges = runs.map(({ start, end }) => {
      const n = end - start;
      const parts = Math.ceil(n / CHUNK);
      const r = { start, n, parts, partOffset };
      partOffset += parts;
      return r;
    });
    this.#all = { start: 0, n: flat.total, parts: 0, partOffset: 0 };
    this.#paramRanges = flat.params.map((p, i) => ({ start: flat.offsets[i], n: p.size }));
    const rt = flat.data.rt;
    this.#saved = keep(empty([flat.total], rt));
    this.#partials = keep(empty([Math.max(partOffset, flat.params.length)], rt));
    this.#state = keep(empty([2], rt));
  }

  get lr(): number {
    return this.base.lr;
  }

  set lr(v: number) {
    this.base.lr = v;
  }

  zeroGrad(): void {
    this.base.zeroGrad();
  }

  #uniforms(r: { start: number; n: number }, extra: Partial<{ partOffset: number; nParts: number; rho: number }> = {}): ArrayBuffer {
    return new Uniforms()
      .u32(r.start, r.n, extra.partOffset ?? 0, extra.nParts ?? 0)
      .f32(extra.rho ?? this.rho, this.eps, this.eta)
      .u32(this.adaptive ? 1 : 0)
      .build();
  }

  #addL2(): void {
    const flat = this.base.flat;
    flat.data.rt.dispatch(ADD_L2, {
      buffers: { theta_r: flat.data.buffer('SAM'), grad: flat.grad.buffer('SAM') },
      uniforms: this.#uniforms(this.#all, { rho: this.l2 }),
      workgroups: workgroups1d(flat.total),
    });
  }

  /** Pass 1 → phantom point: θ̃ = θ + e(g), from the gradients now in `.grad`. */
  ascend(): void {
    if (this.#ascended) throw new SamgpuError('SAM.ascend: already at the phantom point; call descend() first');
    const flat = this.base.flat;
    const rt = flat.data.rt;
    if (this.l2) this.#addL2();
    const theta = flat.data.buffer('SAM');
    const grad = flat.grad.buffer('SAM');
    for (const r of this.#ranges) {
      rt.dispatch(SUMSQ, {
        buffers: { theta_r: theta, grad_r: grad, partials: this.#partials.buffer() },
        uniforms: this.#uniforms(r, { partOffset: r.partOffset }),
        workgroups: [r.parts],
      });
    }
    const nParts = this.#ranges.reduce((a, r) => a + r.parts, 0);
    rt.dispatch(FINALIZE, {
      buffers: { partials: this.#partials.buffer(), state_w: this.#state.buffer() },
      uniforms: this.#uniforms(this.#all, { nParts }),
      workgroups: [1],
    });
    copyInto(this.#saved, flat.data);
    for (const r of this.#ranges) {
      rt.dispatch(ASCEND, {
        buffers: { theta, grad_r: grad, state: this.#state.buffer() },
        uniforms: this.#uniforms(r),
        workgroups: workgroups1d(r.n),
      });
    }
    if (this.recordAscentNorms) {
      this.#paramRanges.forEach((r, i) => {
        rt.dispatch(ASCENT_SUMSQ, {
          buffers: { theta_r: theta, saved: this.#saved.buffer(), partials: this.#partials.buffer() },
          uniforms: this.#uniforms(r, { partOffset: i }),
          workgroups: [1],
        });
      });
    }
    this.#ascended = true;
  }

  /** θ̃ → θ (the saved copy), without a step. */
  #backToTheta(): void {
    copyInto(this.base.flat.data, this.#saved);
    this.#ascended = false;
  }

  /** Back to θ from the phantom point without a step (to look at θ̃ and leave it, e.g. diagnostics). */
  restore(): void {
    if (!this.#ascended) throw new SamgpuError('SAM.restore: not at the phantom point (call ascend() first)');
    this.#backToTheta();
  }

  /** Pass 2 → back to θ and one base-optimizer step with the gradients at θ̃ now in `.grad`. */
  descend(): void {
    if (!this.#ascended) throw new SamgpuError('SAM.descend: call ascend() first');
    if (this.l2) this.#addL2(); // the L2 term at θ̃, as a loss term would give
    this.#backToTheta();
    this.base.step();
  }

  /**
   * One SAM step. `closure(pass)` runs forward and backward and returns the loss (pass 0 at θ,
   * pass 1 at θ̃); gradients are zeroed before each call. Returns the first pass's loss.
   */
  step(closure: (pass: 0 | 1) => Tensor): Tensor {
    this.base.zeroGrad();
    const loss = keep(scope(() => closure(0)));
    this.ascend();
    this.base.zeroGrad();
    const prev = this.secondPassBatchNormUpdate ? null : setBatchNormStatsUpdate(this.model, false);
    try {
      scope(() => closure(1)).dispose();
    } catch (e) {
      this.#backToTheta(); // a failed second pass must not leave the model at θ̃
      loss.dispose();
      throw e;
    } finally {
      if (prev) restoreBatchNorm(this.model, prev);
    }
    this.descend();
    return loss;
  }

  /**
   * m-sharpness (Foret et al.): the batch is split into `chunks` parts, each with its own
   * ascent: g̃ⱼ = ∇Lⱼ(θ + ρ·gⱼ/‖gⱼ‖), and the base optimizer steps with the mean of the g̃ⱼ.
   * `closure(pass, chunk)` runs forward + backward on chunk `chunk`. Holds one more
   * parameter-sized buffer (the running sum). Returns the mean first-pass loss.
   */
  stepChunks(closure: (pass: 0 | 1, chunk: number) => Tensor, chunks: number): Tensor {
    if (!Number.isInteger(chunks) || chunks < 1) throw new SamgpuError(`SAM.stepChunks: chunks must be a positive integer, got ${chunks}`);
    const flat = this.base.flat;
    this.#accum ??= flat.like();
    fillInto(this.#accum, 0);
    let lossSum: Tensor | null = null;
    for (let j = 0; j < chunks; j++) {
      this.base.zeroGrad();
      const l = scope(() => closure(0, j));
      if (lossSum) {
        const next: Tensor = keep(binaryKernel('add', lossSum, l));
        lossSum.dispose();
        l.dispose();
        lossSum = next;
      } else lossSum = keep(l);
      this.ascend();
      this.base.zeroGrad();
      const prev = this.secondPassBatchNormUpdate ? null : setBatchNormStatsUpdate(this.model, false);
      try {
        scope(() => closure(1, j)).dispose();
      } catch (e) {
        this.#backToTheta();
        lossSum.dispose();
        throw e;
      } finally {
        if (prev) restoreBatchNorm(this.model, prev);
      }
      if (this.l2) this.#addL2(); // the L2 term at θ̃ⱼ
      addInto(this.#accum, flat.grad);
      // back to θ without stepping: the step comes once, with the mean gradient
      this.#backToTheta();
    }
    const mean = unaryKernel('affine', this.#accum, 1 / chunks, 0);
    copyInto(flat.grad, mean);
    mean.dispose();
    this.base.step();
    const out = unaryKernel('affine', lossSum!, 1 / chunks, 0);
    lossSum!.dispose();
    return out;
  }

  /** ‖g‖ (over the perturbed parameters) and the ascent scale of the last ascent. */
  async lastNorm(): Promise<{ gradNorm: number; scale: number }> {
    const [gradNorm, scale] = await this.#state.read();
    return { gradNorm, scale };
  }

  /** ‖e‖ per parameter tensor of the last ascent (needs recordAscentNorms). */
  async ascentNorms(): Promise<Map<string, number>> {
    if (!this.recordAscentNorms) throw new SamgpuError('SAM.ascentNorms: construct SAM with recordAscentNorms: true');
    const sq = await this.#partials.read();
    const names = new Map(this.model.namedParameters().map(([n, t]) => [t, n]));
    return new Map(this.base.flat.params.map((p, i) => [names.get(p)!, Math.sqrt(sq[i])]));
  }

  /** Free SAM's buffers (the base optimizer and the parameters stay). */
  dispose(): void {
    for (const t of [this.#saved, this.#partials, this.#state, this.#accum]) t?.dispose();
  }

  /** Extra GPU memory SAM holds, in bytes. */
  get extraBytes(): number {
    return (this.#saved.size + this.#partials.size + this.#state.size) * 4;
  }
}

/** Undo setBatchNormStatsUpdate: the same layers (isBatchNorm), in the same order. */
function restoreBatchNorm(model: Module, states: boolean[]): void {
  let i = 0;
  for (const [, m] of model.modules()) if (isBatchNorm(m)) m.updateRunningStats = states[i++];
}

function selector(p: NonNullable<SAMOptions['perturb']>, names: string[]): (name: string) => boolean {
  if (p === 'all') return () => true;
  if (p === 'last') {
    // the last parameterized module: the prefix of the last parameter's name
    const last = names[names.length - 1];
    const prefix = last.includes('.') ? last.slice(0, last.lastIndexOf('.') + 1) : last;
    return (n) => (prefix === last ? n === last : n.startsWith(prefix) && !n.slice(prefix.length).includes('.'));
  }
  if (Array.isArray(p)) {
    const unknown = p.filter((n) => !names.includes(n));
    if (unknown.length) throw new SamgpuError(`SAM: perturb names parameters the model does not have: ${unknown.join(', ')}`);
    const set = new Set(p);
    return (n) => set.has(n);
  }
  return p;
}
