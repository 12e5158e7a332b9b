// Module: the torch.nn.Module shape users know — parameters and buffers registered by name,
// children, train()/eval(), stateDict()/loadStateDict().
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { Tensor } from '../tensor.ts';
import { keep } from '../scope.ts';

export abstract class Module {
  training = true;
  readonly #params = new Map<string, Tensor>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  /** Register a trainable parameter (requiresGrad set; kept out of scopes). */
  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    t.name = name;
    this.#params.set(name, keep(t));
    return t;
  }

  /** Register a non-trainable state tensor saved in the state dict (e.g. BN running stats). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    t.name = name;
    this.#buffers.set(name, keep(t));
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.#children.set(name, m);
    return m;
  }

  children(): [string, Module][] {
    return [...this.#children];
  }

  /** This module and all below it, depth first, with dotted names ('' for this one). */
  *modules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, m] of this.#children) yield* m.modules(prefix ? `${prefix}.${name}` : name);
  }

  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.modules()) for (const [n, t] of m.#params) out.push([prefix ? `${prefix}.${n}` : n, t]);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.modules()) for (const [n, t] of m.#buffers) out.push([prefix ? `${prefix}.${n}` : n, t]);
    return out;
  }

  train(on = true): this {
    for (const [, m] of this.modules()) m.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameters and buffers by dotted name, in registration order (torchvision's names). */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [prefix, m] of this.modules()) {
      for (const [n, t] of m.#params) out.set(prefix ? `${prefix}.${n}` : n, t);
      for (const [n, t] of m.#buffers) out.set(prefix ? `${prefix}.${n}` : n, t);
    }
    return out;
  }

  /**
   * Copy values into the existing tensors (views into flat optimizer storage stay valid).
   * strict: every key must match both ways. PyTorch's `num_batches_tracked` entries are ignored.
   */
  loadStateDict(state: Map<string, { shape: readonly number[]; data: Float32Array }>, strict = true): void {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k) && !k.endsWith('num_batches_tracked'));
    if (strict && (missing.length || unexpected.length)) {
      throw new SamgpuError(`loadStateDict: ${missing.length ? `missing keys ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected keys ${unexpected.join(', ')}` : ''}`);
    }
    for (const [k, t] of own) {
      const src = state.get(k);
      if (!src) continue;
      if (src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
        throw new SamgpuError(`loadStateDict: '${k}' has shape ${fmtShape(src.shape)}, the model expects ${fmtShape(t.shape)}`);
      }
      const s = t.storage('loadStateDict');
      s.rt.write(s.buf, t.offset * 4, src.data);
    }
  }

  /** Free every parameter and buffer of this module tree. */
  dispose(): void {
    for (const [, m] of this.modules()) {
      for (const t of m.#params.values()) t.dispose();
      for (const t of m.#buffers.values()) t.dispose();
    }
  }
}
