// Module: the torch.nn.Module shape users know — parameters and buffers registered by name,
// children, train()/eval(), stateDict()/loadStateDict().
import { SamgpuError, fmtShape } from '../device/errors.ts';
import { Tensor, sizeOf } from '../tensor.ts';
import { keep } from '../scope.ts';
import { bool, isPlainObject, options, show } from '../args.ts';

/** One entry of a state dict: a tensor, or a shape and its values (row-major). */
export type StateDictValue = Tensor | { readonly shape: readonly number[]; readonly data: ArrayLike<number> };
/** What `loadStateDict` takes: a Map or plain object of entries, or `{tensors: Map}` (parseSafetensors' result). */
export type StateDictSource =
  | ReadonlyMap<string, StateDictValue>
  | Readonly<Record<string, StateDictValue>>
  | { readonly tensors: ReadonlyMap<string, StateDictValue>; readonly metadata?: Record<string, string> };

function stateEntries(state: unknown): Map<string, StateDictValue> {
  if (state instanceof Map) return state as Map<string, StateDictValue>;
  if (isPlainObject(state)) {
    const t = (state as { tensors?: unknown }).tensors;
    if (t instanceof Map) return t as Map<string, StateDictValue>; // parseSafetensors' result
    return new Map(Object.entries(state) as [string, StateDictValue][]);
  }
  throw new SamgpuError(`loadStateDict: expected a Map or a plain object from names to {shape, data} or tensors (or parseSafetensors' result), got ${show(state)}`);
}

/** The entry's shape, after checking it holds a shape and matching values. */
function checkValue(key: string, v: unknown): readonly number[] {
  if (v instanceof Tensor) return v.shape;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SamgpuError(`loadStateDict: '${key}' must be {shape, data} or a Tensor, got ${show(v)}`);
  const { shape, data } = v as { shape?: unknown; data?: unknown };
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new SamgpuError(`loadStateDict: '${key}' needs a shape (an array of non-negative integers), got ${show(shape)}`);
  }
  const typed = ArrayBuffer.isView(data) && !(data instanceof DataView) && !(data instanceof BigInt64Array) && !(data instanceof BigUint64Array);
  const ok = typed || (Array.isArray(data) && data.every((x) => typeof x === 'number'));
  if (!ok) throw new SamgpuError(`loadStateDict: '${key}' needs data (a Float32Array or an array of numbers), got ${show(data)}`);
  const n = (data as ArrayLike<number>).length;
  if (n !== sizeOf(shape)) throw new SamgpuError(`loadStateDict: '${key}' has ${n} values for shape ${fmtShape(shape)} (${sizeOf(shape)} expected)`);
  return shape;
}

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
    bool('train', 'mode', on, true);
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
   * `state`: a Map or a plain object from names to `{shape, data}` or tensors (another model's
   * `stateDict()`), or `parseSafetensors`' result. strict (default true): every key must match
   * both ways. PyTorch's `num_batches_tracked` entries are ignored. Everything is checked
   * before anything is written; errors name the key.
   */
  loadStateDict(state: StateDictSource, strict: boolean | { strict?: boolean } = true): void {
    const op = 'loadStateDict';
    const isStrict = typeof strict === 'boolean' ? strict : bool(op, 'strict', options(op, strict, ['strict']).strict, true);
    const entries = stateEntries(state);
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !entries.has(k));
    const unexpected = [...entries.keys()].filter((k) => !own.has(k) && !k.endsWith('num_batches_tracked'));
    if (isStrict && (missing.length || unexpected.length)) {
      throw new SamgpuError(`${op}: ${missing.length ? `missing keys ${missing.join(', ')}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected keys ${unexpected.join(', ')}` : ''}`);
    }
    const writes: [Tensor, StateDictValue][] = [];
    for (const [k, t] of own) {
      const src = entries.get(k);
      if (src === undefined) continue;
      const shape = checkValue(k, src);
      if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
        throw new SamgpuError(`${op}: '${k}' has shape ${fmtShape(shape)}, the model expects ${fmtShape(t.shape)}`);
      }
      writes.push([t, src]);
    }
    for (const [t, src] of writes) {
      const s = t.storage(op);
      if (src instanceof Tensor) {
        const from = src.storage(op);
        if (from.rt !== s.rt) throw new SamgpuError(`${op}: tensor for '${t.name}' lives on another device`);
        s.rt.copy(from.buf, s.buf, t.size * 4, src.offset * 4, t.offset * 4);
      } else {
        const d = src.data;
        s.rt.write(s.buf, t.offset * 4, d instanceof Float32Array ? d : Float32Array.from(d));
      }
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
