import { SamgpuError, fmtShape } from './device/errors.ts';
import type { PooledBuffer } from './runtime/buffer-pool.ts';
import { Runtime, type BufferRange } from './runtime/runtime.ts';
import { getRuntime } from './runtime/current.ts';
import { trackTensor } from './scope.ts';
import { bool, options, shapeArgs, show } from './args.ts';
import type { TapeNode } from './autograd/tape-node.ts';

/** A GPU buffer shared by a tensor and its views; returned to the pool when the last one goes. */
export class Storage {
  readonly rt: Runtime;
  readonly buf: PooledBuffer;
  refs = 1;
  constructor(rt: Runtime, buf: PooledBuffer) {
    this.rt = rt;
    this.buf = buf;
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) this.rt.pool.release(this.buf);
  }
}

let liveTensors = 0;
let nextId = 1;

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new SamgpuError(`${op}: invalid shape ${fmtShape(shape)}: dimensions must be non-negative integers`);
  }
}

/**
 * An f32 tensor on the GPU, contiguous and row-major. Views (reshape) share storage.
 * Data leaves the GPU only through the async `read()`.
 */
export class Tensor {
  readonly id = nextId++;
  readonly shape: Shape;
  readonly size: number;
  #offset: number;
  #storage: Storage | null;
  /** Accumulated gradient (leaves with requiresGrad, after backward). */
  grad: Tensor | null = null;
  requiresGrad = false;
  /** The op that produced this tensor, when it was recorded on the tape. */
  node: TapeNode | null = null;
  name?: string;

  constructor(storage: Storage, shape: Shape, offset = 0) {
    this.#storage = storage;
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this.#offset = offset;
    liveTensors++;
    trackTensor(this);
  }

  /** Position of element 0 in the storage, in elements (non-zero only for views into flat storage). */
  get offset(): number {
    return this.#offset;
  }

  /**
   * Move this handle onto a range of another storage, releasing the old one. Used to pack
   * parameters into one flat buffer while the user's handles (and module fields) stay valid.
   */
  rebind(storage: Storage, offset: number): void {
    const old = this.storage('rebind');
    this.#storage = storage.retain();
    this.#offset = offset;
    old.release();
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.#storage === null;
  }

  /** The storage, or an error naming `op` if this tensor was disposed. */
  storage(op = 'tensor'): Storage {
    if (!this.#storage) throw new SamgpuError(`${op}: used a disposed tensor (shape ${fmtShape(this.shape)}, id ${this.id})`);
    return this.#storage;
  }

  /** What a kernel binds: the pooled buffer itself, or the range of it this tensor views. */
  buffer(op?: string): PooledBuffer | BufferRange {
    const buf = this.storage(op).buf;
    return this.offset === 0 ? buf : { pooled: buf, offset: this.offset * 4, size: this.size * 4 };
  }

  get rt(): Runtime {
    return this.storage().rt;
  }

  /** Copy to the CPU. */
  async read(): Promise<Float32Array> {
    const s = this.storage('read');
    if (this.size === 0) return new Float32Array(0);
    return new Float32Array(await s.rt.read(s.buf, this.size * 4, this.offset * 4));
  }

  /** Read a one-element tensor as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new SamgpuError(`item: tensor has ${this.size} elements, expected 1 (shape ${fmtShape(this.shape)})`);
    return (await this.read())[0];
  }

  /** A new handle on the same data with another shape (no copy). Not recorded for autodiff. */
  view(...dims: (number | Shape)[]): Tensor {
    const shape = shapeArgs('view', dims); // view([2, 3]) or view(2, 3), as torch
    const s = this.storage('view');
    if (sizeOf(shape) !== this.size) throw new SamgpuError(`view: cannot view ${fmtShape(this.shape)} as ${fmtShape(shape)}`);
    return new Tensor(s.retain(), shape, this.offset);
  }

  /** A handle on `size(shape)` elements of this tensor's storage starting at element `offset` (flat parameter views). */
  viewAt(offset: number, shape: Shape): Tensor {
    const s = this.storage('viewAt');
    const align = s.rt.device.limits.minStorageBufferOffsetAlignment;
    const at = this.offset + offset;
    if ((at * 4) % align) throw new SamgpuError(`viewAt: offset ${at} elements is not aligned to ${align} bytes`);
    if (offset < 0 || offset + sizeOf(shape) > this.size) throw new SamgpuError(`viewAt: [${offset}, ${offset + sizeOf(shape)}) is outside a tensor of ${this.size} elements`);
    return new Tensor(s.retain(), shape, at);
  }

  dispose(): void {
    if (!this.#storage) return;
    this.#storage.release();
    this.#storage = null;
    liveTensors--;
    // The graph that made this tensor stays walkable (backward from a later result passes
    // through disposed intermediates), but its saved tensors go once nothing can reach it.
    this.node?.letGo();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''}${this.isDisposed ? ', disposed' : ''})`;
  }
}

export function liveTensorCount(): number {
  return liveTensors;
}

/** An uninitialized tensor on the current runtime (contents are whatever the pool held): `empty([2, 3])` or `empty(2, 3)`. */
export function empty(shape: Shape | number, ...rest: (number | Runtime)[]): Tensor {
  const rt = rest.length && typeof rest[rest.length - 1] === 'object' ? (rest.pop() as Runtime) : getRuntime();
  const shp = typeof shape === 'number' ? shapeArgs('empty', [shape, ...rest]) : rest.length ? shapeArgs('empty', [shape, ...rest]) : shape;
  checkShape('empty', shp);
  return new Tensor(new Storage(rt, rt.pool.acquire(Math.max(4, sizeOf(shp) * 4))), shp);
}

/** Nested arrays of numbers, as `torch.tensor` takes them. */
export type NestedArray = number | readonly NestedArray[];
export type TensorData = NestedArray | ArrayLike<number> | ArrayBufferView;

export interface TensorOptions {
  /** Reshape the values to this shape (its size must match). */
  shape?: Shape;
  requiresGrad?: boolean;
}

/**
 * A tensor from CPU values, like `torch.tensor`: a number (shape []), nested arrays (the shape
 * is inferred; ragged ones are rejected), or flat values (a typed array or array) with an
 * optional `shape`. The second argument is a shape or `{shape, requiresGrad}`.
 */
export function tensor(data: TensorData, shapeOrOptions?: Shape | TensorOptions, rt: Runtime = getRuntime()): Tensor {
  if (!(rt instanceof Runtime)) throw new SamgpuError(`tensor: the third argument is the runtime to create it on, got ${show(rt)} (options go second: tensor(data, {shape, requiresGrad}))`);
  let shape: Shape | undefined;
  let requiresGrad = false;
  if (Array.isArray(shapeOrOptions)) shape = shapeOrOptions;
  else if (shapeOrOptions !== undefined) {
    const o = options('tensor', shapeOrOptions, ['shape', 'requiresGrad'], 'a shape or options');
    if (o.shape !== undefined && !Array.isArray(o.shape)) throw new SamgpuError(`tensor: shape must be an array of integers, got ${show(o.shape)}`);
    shape = o.shape as Shape | undefined;
    requiresGrad = bool('tensor', 'requiresGrad', o.requiresGrad, false);
  }
  const { values, inferred } = flattenData(data);
  const shp = shape ?? inferred;
  checkShape('tensor', shp);
  if (sizeOf(shp) !== values.length) throw new SamgpuError(`tensor: ${values.length} values do not fill shape ${fmtShape(shp)}${inferred.length > 1 ? ` (the data has shape ${fmtShape(inferred)})` : ''}`);
  const t = new Tensor(new Storage(rt, rt.upload(values)), shp);
  t.requiresGrad = requiresGrad;
  return t;
}

/** Values as float32 and the shape nested arrays imply ([n] for flat data, [] for a number). */
function flattenData(data: TensorData): { values: Float32Array; inferred: number[] } {
  if (data instanceof Float32Array) return { values: data, inferred: [data.length] };
  if (typeof data === 'number') return { values: Float32Array.of(data), inferred: [] };
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const arr = data as unknown as ArrayLike<number | bigint>;
    if (typeof arr[0] === 'bigint') return { values: Float32Array.from(arr as ArrayLike<bigint>, Number), inferred: [arr.length] };
    return { values: Float32Array.from(arr as ArrayLike<number>), inferred: [arr.length] };
  }
  if (!Array.isArray(data)) throw new SamgpuError(`tensor: expected a number, nested arrays of numbers or a typed array, got ${show(data)}`);
  // Shape from the first element at each depth; every other element must agree.
  const inferred: number[] = [];
  for (let d: unknown = data; Array.isArray(d); d = d[0]) inferred.push(d.length);
  const values = new Float32Array(inferred.reduce((a, b) => a * b, 1));
  let k = 0;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === inferred.length) {
      if (typeof v !== 'number') {
        throw new SamgpuError(`tensor: data${path} is ${Array.isArray(v) ? 'an array' : show(v)}, expected a number (shape ${fmtShape(inferred)} from the first elements)`);
      }
      values[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== inferred[depth]) {
      throw new SamgpuError(
        `tensor: ragged nested array: data${path} ${Array.isArray(v) ? `has ${v.length} elements` : `is ${show(v)}`}, expected ${inferred[depth]} (shape ${fmtShape(inferred)} from the first elements)`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  walk(data, 0, '');
  return { values, inferred };
}
