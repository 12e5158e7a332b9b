// Minibatches of a labelled image set: a seeded shuffle per epoch (epoch e's order is a pure
// function of (seed, e), so a saved position {epoch, offset} resumes exactly), gathered on the CPU
// and uploaded as f32 engine tensors: x [B, C, H, W] and one [B] tensor per integer label (y,
// easy, hard, group, domain… whatever the set carries), holding exact integers.
import { Rng } from '../../engine/random.ts';
import { tensor, type Tensor } from '../../engine/tensor.ts';
import { DataError, imageSize, type LabeledImages } from './types.ts';

export interface BatchOptions {
  batchSize: number;
  /** Default true; false iterates in order. */
  shuffle?: boolean;
  seed?: number;
  /** Drop the last, smaller batch of each epoch (default false). */
  dropLast?: boolean;
}

/** Where the iterator is: `offset` examples of epoch `epoch` have been handed out. */
export interface BatchPosition {
  epoch: number;
  offset: number;
}

export interface HostBatch {
  /** Indices into the set. */
  indices: Int32Array;
  x: Float32Array;
  shape: [number, number, number, number];
  labels: Record<string, Float32Array>;
  epoch: number;
}

export interface Batch {
  indices: Int32Array;
  x: Tensor;
  labels: Record<string, Tensor>;
  epoch: number;
  size: number;
}

/** The per-example integer label arrays of a set (y first). */
export function labelNames(set: LabeledImages): string[] {
  const names = ['y'];
  for (const [k, v] of Object.entries(set)) if (k !== 'y' && v instanceof Int32Array && v.length === set.n) names.push(k);
  return names;
}

/** The permutation of epoch `epoch`: Fisher–Yates from an Rng seeded by (seed, epoch). */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  const rng = new Rng((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

export class BatchIterator {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly labels: string[];
  #epoch = 0;
  #offset = 0;
  #order: Int32Array | null = null;
  #orderEpoch = -1;

  constructor(readonly set: LabeledImages, opts: BatchOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new DataError(`batches: batchSize must be a positive integer, got ${opts.batchSize}`);
    if (set.n === 0) throw new DataError('batches: the set is empty');
    if (opts.dropLast && opts.batchSize > set.n) throw new DataError(`batches: batchSize ${opts.batchSize} > ${set.n} examples with dropLast: no batch`);
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? true;
    this.seed = opts.seed ?? 0;
    this.dropLast = opts.dropLast ?? false;
    this.labels = labelNames(set);
  }

  get batchesPerEpoch(): number {
    return this.dropLast ? Math.floor(this.set.n / this.batchSize) : Math.ceil(this.set.n / this.batchSize);
  }

  get position(): BatchPosition {
    return { epoch: this.#epoch, offset: this.#offset };
  }

  set position(p: BatchPosition) {
    if (!(Number.isInteger(p.epoch) && p.epoch >= 0 && Number.isInteger(p.offset) && p.offset >= 0 && p.offset <= this.set.n)) {
      throw new DataError(`batches: invalid position ${JSON.stringify(p)} for ${this.set.n} examples`);
    }
    this.#epoch = p.epoch;
    this.#offset = p.offset;
  }

  #orderOf(epoch: number): Int32Array {
    if (this.#orderEpoch !== epoch) {
      this.#order = this.shuffle ? epochOrder(this.set.n, this.seed, epoch) : Int32Array.from({ length: this.set.n }, (_, i) => i);
      this.#orderEpoch = epoch;
    }
    return this.#order!;
  }

  /** The next batch's indices, moving on to the next epoch when this one is exhausted. */
  nextIndices(): { indices: Int32Array; epoch: number } {
    const left = this.set.n - this.#offset;
    if (left === 0 || (this.dropLast && left < this.batchSize)) {
      this.#epoch++;
      this.#offset = 0;
    }
    const order = this.#orderOf(this.#epoch);
    const take = Math.min(this.batchSize, this.set.n - this.#offset);
    const indices = order.slice(this.#offset, this.#offset + take);
    const epoch = this.#epoch;
    this.#offset += take;
    return { indices, epoch };
  }

  /** The next batch on the CPU. */
  nextHost(): HostBatch {
    const { indices, epoch } = this.nextIndices();
    return gather(this.set, indices, this.labels, epoch);
  }

  /** The next batch as engine tensors (the caller disposes them, or runs inside a scope). */
  next(): Batch {
    const h = this.nextHost();
    const labels: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(h.labels)) labels[k] = tensor(v, [v.length]);
    return { indices: h.indices, x: tensor(h.x, h.shape), labels, epoch: h.epoch, size: h.indices.length };
  }
}

/** Copy the examples `indices` of a set into one batch. */
export function gather(set: LabeledImages, indices: Int32Array, labels = labelNames(set), epoch = 0): HostBatch {
  const size = imageSize(set.shape);
  const x = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) x.set(set.images.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
  const out: Record<string, Float32Array> = {};
  for (const k of labels) {
    const src = set[k] as Int32Array;
    out[k] = Float32Array.from(indices, (j) => src[j]);
  }
  return { indices, x, shape: [indices.length, ...set.shape], labels: out, epoch };
}
