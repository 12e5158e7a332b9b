/**
 * Size-bucketed pool of storage buffers.
 *
 * Buckets are powers of two split in four (…, 1024, 1280, 1536, 1792, 2048, …), so a buffer
 * wastes at most 25%. Free lists are stacks: the same sequence of acquire/release calls always
 * hands out the same buffers (deterministic reuse, no GC involvement).
 *
 * Why releases wait: a buffer freed while the open command batch still reads it may be handed
 * to a later *dispatch* in the same batch (the queue orders those), but not to an upload:
 * `queue.writeBuffer` lands on the queue timeline immediately, before the batch that reads the
 * old contents is submitted. So each buffer remembers the batch that last used it, and uploads
 * only take buffers whose last batch has been submitted.
 */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  readonly capacity: number;
  /** Id of the last command batch that referenced this buffer. */
  lastBatch: number;
}

export interface PoolStats {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers kept in free lists for reuse. */
  freeBuffers: number;
  freeBytes: number;
  /** GPU buffers created since the pool started (growth shows a leak or fragmentation). */
  created: number;
}

const USAGE_STORAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST

export function bucketSize(bytes: number): number {
  const n = Math.max(16, bytes);
  const p = 2 ** Math.floor(Math.log2(n));
  if (p === n) return n;
  const step = Math.max(4, p / 4);
  return Math.ceil(n / step) * step;
}

export class BufferPool {
  #device: GPUDevice;
  #free = new Map<number, PooledBuffer[]>();
  #live = new Set<PooledBuffer>();
  #stats = { liveBytes: 0, freeBuffers: 0, freeBytes: 0, created: 0 };
  #trace: { sizes: number[]; peakLiveBytes: number; startLiveBytes: number } | null = null;

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /**
   * A buffer of at least `bytes`. With `submittedBefore`, only buffers whose last batch id is
   * below it qualify (the upload rule above).
   */
  acquire(bytes: number, submittedBefore = Infinity): PooledBuffer {
    const cap = bucketSize(bytes);
    const list = this.#free.get(cap);
    let pb: PooledBuffer | undefined;
    if (list && list.length) {
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].lastBatch < submittedBefore) {
          pb = list[i];
          list.splice(i, 1);
          break;
        }
      }
    }
    if (pb) {
      this.#stats.freeBuffers--;
      this.#stats.freeBytes -= cap;
    } else {
      const buffer = this.#device.createBuffer({ size: cap, usage: USAGE_STORAGE });
      pb = { buffer, capacity: cap, lastBatch: -1 };
      this.#stats.created++;
    }
    this.#live.add(pb);
    this.#stats.liveBytes += cap;
    if (this.#trace) {
      this.#trace.sizes.push(bytes);
      this.#trace.peakLiveBytes = Math.max(this.#trace.peakLiveBytes, this.#stats.liveBytes);
    }
    return pb;
  }

  release(pb: PooledBuffer): void {
    if (!this.#live.delete(pb)) throw new Error('BufferPool.release: buffer is not live (released twice?)');
    this.#stats.liveBytes -= pb.capacity;
    let list = this.#free.get(pb.capacity);
    if (!list) this.#free.set(pb.capacity, (list = []));
    list.push(pb);
    this.#stats.freeBuffers++;
    this.#stats.freeBytes += pb.capacity;
  }

  /** Destroy every free buffer (live ones stay). */
  trim(): void {
    for (const list of this.#free.values()) for (const pb of list) pb.buffer.destroy();
    this.#free.clear();
    this.#stats.freeBuffers = 0;
    this.#stats.freeBytes = 0;
  }

  /** Record the size of every acquire and the peak of live bytes until `endTrace` (memory planning). */
  startTrace(): void {
    this.#trace = { sizes: [], peakLiveBytes: this.#stats.liveBytes, startLiveBytes: this.#stats.liveBytes };
  }

  /** The requested sizes in acquire order, and how far live bytes rose above where they started. */
  endTrace(): { sizes: number[]; peakExtraBytes: number } {
    const t = this.#trace;
    this.#trace = null;
    if (!t) throw new Error('BufferPool.endTrace: no trace started');
    return { sizes: t.sizes, peakExtraBytes: t.peakLiveBytes - t.startLiveBytes };
  }

  stats(): PoolStats {
    return { liveBuffers: this.#live.size, ...this.#stats };
  }
}
