import type { GpuDevice } from '../device/gpu-device.ts';
import { SamgpuError } from '../device/errors.ts';
import { BufferPool, type PooledBuffer } from './buffer-pool.ts';
import { PipelineCache, type KernelSource, type Overrides } from './pipeline-cache.ts';
import { DeviceErrorFlag, ERROR_FLAG_BYTES, type ErrorSite } from './error-flag.ts';

/** A range of a pooled buffer (tensors that are views into a larger storage, e.g. flat parameters). */
export interface BufferRange {
  pooled: PooledBuffer;
  /** bytes; a multiple of the device's minStorageBufferOffsetAlignment */
  offset: number;
  size: number;
}

export type Binding = PooledBuffer | BufferRange | { buffer: GPUBuffer; offset?: number; size?: number };

export interface DispatchArgs {
  overrides?: Overrides;
  /** Storage buffers by their WGSL variable name. */
  buffers: Record<string, Binding>;
  /** Contents of the kernel's uniform buffer (bound to its one `var<uniform>`). */
  uniforms?: ArrayBuffer | ArrayBufferView;
  workgroups: readonly [number, number?, number?];
}

export interface RuntimeOptions {
  /** Submit after this many dispatches even without a readback (default 256). */
  maxDispatchesPerBatch?: number;
}

// Room for a full batch of dispatches with the largest uniforms (bound 256 bytes at a time).
const UNIFORM_ARENA_BYTES = 1 << 19;
const MAX_WORKGROUPS_PER_DIM = 65535;

/**
 * Records kernels into one open command encoder and compute pass, and submits them in
 * batches: at a readback, at an explicit `flush()`, or every `maxDispatchesPerBatch`
 * dispatches. Uniforms of a batch are packed into one arena buffer written once per submit.
 */
export class Runtime {
  readonly gpu: GpuDevice;
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly maxDispatchesPerBatch: number;
  readonly errorFlag: DeviceErrorFlag;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  /** Id of the batch being recorded; every batch with a smaller id has been submitted. */
  #batch = 1;
  #dispatchesInBatch = 0;
  #commandsInBatch = 0;
  #uniformAlign: number;
  #arena: GPUBuffer;
  #arenaCpu = new Uint8Array(UNIFORM_ARENA_BYTES);
  #arenaUsed = 0;
  #readStaging = new Map<number, GPUBuffer[]>();
  stats = { dispatches: 0, submits: 0 };
  #dry = 0;

  constructor(gpu: GpuDevice, opts: RuntimeOptions = {}) {
    this.gpu = gpu;
    this.device = gpu.device;
    this.pool = new BufferPool(this.device);
    this.pipelines = new PipelineCache(this.device);
    this.maxDispatchesPerBatch = opts.maxDispatchesPerBatch ?? 256;
    this.errorFlag = new DeviceErrorFlag(this.device);
    this.#uniformAlign = Math.max(16, this.device.limits.minUniformBufferOffsetAlignment);
    this.#arena = this.device.createBuffer({
      label: 'uniform arena',
      size: UNIFORM_ARENA_BYTES,
      usage: 0x40 | 0x08, // UNIFORM | COPY_DST
    });
  }

  get batchId(): number {
    return this.#batch;
  }

  /** Split a 1-D count of workgroups into a grid within the per-dimension limit. */
  static grid(n: number): [number, number] {
    if (n <= MAX_WORKGROUPS_PER_DIM) return [Math.max(1, n), 1];
    const y = Math.ceil(n / MAX_WORKGROUPS_PER_DIM);
    return [Math.ceil(n / y), y];
  }

  dispatch(src: KernelSource, args: DispatchArgs): void {
    if (this.#dry) return;
    const k = this.pipelines.get(src, args.overrides);
    const [x, y = 1, z = 1] = args.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    if (x > MAX_WORKGROUPS_PER_DIM || y > MAX_WORKGROUPS_PER_DIM || z > MAX_WORKGROUPS_PER_DIM) {
      throw new SamgpuError(`${k.label}: ${x}×${y}×${z} workgroups exceeds ${MAX_WORKGROUPS_PER_DIM} per dimension`);
    }
    const uniformBytes = args.uniforms ? args.uniforms.byteLength : 0;
    const slot = Math.ceil(Math.max(uniformBytes, 16) / this.#uniformAlign) * this.#uniformAlign;
    if (this.#arenaUsed + slot > UNIFORM_ARENA_BYTES || this.#dispatchesInBatch >= this.maxDispatchesPerBatch) this.flush();

    const entries: GPUBindGroupEntry[] = [];
    for (const b of k.bindings.values()) {
      if (b.kind === 'uniform') {
        if (!args.uniforms) throw new SamgpuError(`${k.label}: kernel has uniform '${b.name}' but no uniforms were given`);
        const u = args.uniforms;
        const bytes = u instanceof ArrayBuffer ? new Uint8Array(u) : new Uint8Array(u.buffer, u.byteOffset, u.byteLength);
        this.#arenaCpu.set(bytes, this.#arenaUsed);
        entries.push({ binding: b.binding, resource: { buffer: this.#arena, offset: this.#arenaUsed, size: slot } });
        continue;
      }
      const given = args.buffers[b.name];
      if (!given) throw new SamgpuError(`${k.label}: no buffer given for binding '${b.name}'`);
      if ('capacity' in given) {
        given.lastBatch = this.#batch;
        entries.push({ binding: b.binding, resource: { buffer: given.buffer } });
      } else if ('pooled' in given) {
        given.pooled.lastBatch = this.#batch;
        entries.push({ binding: b.binding, resource: { buffer: given.pooled.buffer, offset: given.offset, size: Math.max(4, given.size) } });
      } else {
        entries.push({ binding: b.binding, resource: { buffer: given.buffer, offset: given.offset, size: given.size } });
      }
    }
    if (args.uniforms) this.#arenaUsed += slot;

    this.gpu.pushScope();
    const bindGroup = this.device.createBindGroup({ layout: k.layout, entries });
    const pass = this.#openPass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.gpu.popScope(k.label);
    this.#dispatchesInBatch++;
    this.#commandsInBatch++;
    this.stats.dispatches++;
  }

  /**
   * For a kernel that validates its input: the error flag's binding (bind it as `error_flag`)
   * and the site id its uniforms carry to `report_invalid` (see runtime/error-flag.ts).
   */
  errorSite(site: ErrorSite): { id: number; binding: Binding } {
    return { id: this.errorFlag.site(site), binding: { buffer: this.errorFlag.buffer } };
  }

  /** A pooled buffer holding `data` (uploads never take a buffer the open batch still uses). */
  upload(data: ArrayBufferView, bytes = data.byteLength): PooledBuffer {
    const pb = this.pool.acquire(Math.max(bytes, 4), this.#batch);
    if (data.byteLength) this.device.queue.writeBuffer(pb.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return pb;
  }

  /** Overwrite part of a buffer with `data`, after everything recorded so far has read it. */
  write(dst: PooledBuffer, offsetBytes: number, data: ArrayBufferView): void {
    // writeBuffer lands on the queue before the open batch: submit what may read the old data first.
    if (dst.lastBatch >= this.#batch) this.flush();
    this.device.queue.writeBuffer(dst.buffer, offsetBytes, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Copy `bytes` from one buffer to another, in order with the recorded dispatches. */
  copy(src: PooledBuffer, dst: PooledBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    if (bytes <= 0 || this.#dry) return;
    this.#closePass();
    src.lastBatch = dst.lastBatch = this.#batch;
    this.#openEncoder().copyBufferToBuffer(src.buffer, srcOffset, dst.buffer, dstOffset, Math.ceil(bytes / 4) * 4);
    this.#commandsInBatch++;
  }

  /**
   * Run `f` with every dispatch and copy skipped: ops still allocate their buffers (so the pool's
   * trace sees what a real call would ask for) but compute nothing and compile nothing. For
   * memory planning; tensors made inside hold garbage. Reading one back inside is an error.
   */
  dryRun<T>(f: () => T): T {
    this.#dry++;
    try {
      return f();
    } finally {
      this.#dry--;
    }
  }

  /** Submit what has been recorded. */
  flush(): void {
    this.#closePass();
    if (!this.#encoder) return;
    if (this.#arenaUsed) this.device.queue.writeBuffer(this.#arena, 0, this.#arenaCpu, 0, this.#arenaUsed);
    this.device.queue.submit([this.#encoder.finish()]);
    this.#encoder = null;
    this.#arenaUsed = 0;
    this.#dispatchesInBatch = 0;
    this.#commandsInBatch = 0;
    this.#batch++;
    this.stats.submits++;
    this.gpu.throwIfFailed();
  }

  /**
   * Read `bytes` from a buffer: flushes, then waits for the GPU. When a validating kernel ran
   * since the last check, the error flag rides along in the same staging buffer and an
   * InvalidInputError is thrown if a kernel reported bad input.
   */
  async read(src: PooledBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    if (this.#dry) throw new SamgpuError('read: a tensor made during a dry run (Runtime.dryRun) holds no data');
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const withFlag = this.errorFlag.pending;
    const flagAt = Math.ceil(size / 8) * 8; // mapped ranges start at multiples of 8
    const total = withFlag ? flagAt + ERROR_FLAG_BYTES : size;
    const staging = this.#staging(total);
    this.#closePass();
    src.lastBatch = this.#batch;
    const enc = this.#openEncoder();
    enc.copyBufferToBuffer(src.buffer, offset, staging, 0, size);
    if (withFlag) {
      enc.copyBufferToBuffer(this.errorFlag.buffer, 0, staging, flagAt, ERROR_FLAG_BYTES);
      this.errorFlag.pending = false;
    }
    this.flush();
    let out: ArrayBuffer;
    let flag: Uint32Array | null = null;
    try {
      await staging.mapAsync(1 /* GPUMapMode.READ */, 0, total);
    } catch (e) {
      this.gpu.throwIfFailed();
      throw e;
    }
    try {
      out = staging.getMappedRange(0, size).slice(0, bytes);
      if (withFlag) flag = new Uint32Array(staging.getMappedRange(flagAt, ERROR_FLAG_BYTES).slice(0));
    } finally {
      staging.unmap();
      this.#recycle(staging);
    }
    await this.gpu.check();
    if (flag) this.errorFlag.check(flag);
    return out;
  }

  /**
   * Throw the invalid input a kernel reported since the last check, if any (reads the 16-byte
   * flag only when a validating kernel ran since then). Readbacks and `sync()` check too.
   */
  async checkErrors(): Promise<void> {
    if (!this.errorFlag.pending) return;
    const staging = this.#staging(ERROR_FLAG_BYTES);
    this.#closePass();
    this.#openEncoder().copyBufferToBuffer(this.errorFlag.buffer, 0, staging, 0, ERROR_FLAG_BYTES);
    this.errorFlag.pending = false;
    this.flush();
    await staging.mapAsync(1, 0, ERROR_FLAG_BYTES);
    const flag = new Uint32Array(staging.getMappedRange(0, ERROR_FLAG_BYTES).slice(0));
    staging.unmap();
    this.#recycle(staging);
    this.errorFlag.check(flag);
  }

  #staging(bytes: number): GPUBuffer {
    const cap = 2 ** Math.ceil(Math.log2(bytes));
    return this.#readStaging.get(cap)?.pop() ??
      this.device.createBuffer({ label: 'readback', size: cap, usage: 0x01 | 0x08 /* MAP_READ | COPY_DST */ });
  }

  #recycle(staging: GPUBuffer): void {
    let list = this.#readStaging.get(staging.size);
    if (!list) this.#readStaging.set(staging.size, (list = []));
    list.push(staging);
  }

  /** Flush and wait until the GPU has finished everything submitted. */
  async sync(): Promise<void> {
    if (this.errorFlag.pending) {
      await this.checkErrors(); // its readback waits for everything submitted before it
      await this.gpu.check();
      return;
    }
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.gpu.check();
  }

  #openEncoder(): GPUCommandEncoder {
    return (this.#encoder ??= this.device.createCommandEncoder());
  }

  #openPass(): GPUComputePassEncoder {
    return (this.#pass ??= this.#openEncoder().beginComputePass());
  }

  #closePass(): void {
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
  }
}
