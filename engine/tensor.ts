import { SamgpuError, fmtShape } from './device/errors.ts';
import type { PooledBuffer } from './runtime/buffer-pool.ts';
import type { Runtime, BufferRange } from './runtime/runtime.ts';
import { getRuntime } from './runtime/current.ts';
import { trackTensor } from './scope.ts';
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
  view(shape: Shape): Tensor {
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

/** An uninitialized tensor on the current runtime (contents are whatever the pool held). */
export function empty(shape: Shape, rt: Runtime = getRuntime()): Tensor {
  checkShape('empty', shape);
  return new Tensor(new Storage(rt, rt.pool.acquire(Math.max(4, sizeOf(shape) * 4))), shape);
}

export function tensor(data: ArrayLike<number> | Float32Array, shape?: Shape, rt: Runtime = getRuntime()): Tensor {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  const shp = shape ?? [arr.length];
  checkShape('tensor', shp);
  if (sizeOf(shp) !== arr.length) throw new SamgpuError(`tensor: ${arr.length} values do not fill shape ${fmtShape(shp)}`);
  return new Tensor(new Storage(rt, rt.upload(arr)), shp);
}
