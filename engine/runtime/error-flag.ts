// The device error flag: how kernels report invalid input (a label out of range, a target
// outside [0, 1]) that only the GPU sees. Kernels that validate are built with
// shaders/error_flag.wgsl prepended; a dispatch registers a *site* (the op, its shapes, what a
// valid value is) and passes its id in its uniforms; the first invalid input writes
// [site, index, value, count] into a 16-byte buffer. The runtime copies that buffer into the
// staging buffer of the next readback that happens anyway (only when a validating kernel ran
// since the last check), so the check costs no extra round trip, and throws InvalidInputError.
import errorFlagSource from '../../shaders/error_flag.wgsl';
import { SamgpuError } from '../device/errors.ts';

/** Where a kernel may report invalid input: the op and how to describe a bad element. */
export interface ErrorSite {
  op: string;
  /** The message for element `index` holding `value`, e.g. "labels[3] = 5 is not a class index in [0, 2) (logits [4,2])". */
  describe(index: number, value: number, count: number): string;
}

/** A kernel reported invalid input: `op`, the element's `index` and its `value`. */
export class InvalidInputError extends SamgpuError {
  override name = 'InvalidInputError';
  constructor(readonly op: string, readonly index: number, readonly value: number, readonly count: number, message: string) {
    super(message);
  }
}

/** Prepend the flag's declarations and `report_invalid` to a kernel family's source. */
export function withErrorFlag(code: string): string {
  return `${errorFlagSource}\n${code}`;
}

/** Sites kept for messages; a site older than this many validating dispatches since the last check is described by its op only. */
const MAX_SITES = 4096;
export const ERROR_FLAG_BYTES = 16;

export class DeviceErrorFlag {
  readonly buffer: GPUBuffer;
  #device: GPUDevice;
  #sites = new Map<number, ErrorSite>();
  #opOf = new Map<number, string>();
  #nextId = 1;
  /** A validating kernel was recorded since the flag was last copied out. */
  pending = false;

  constructor(device: GPUDevice) {
    this.#device = device;
    this.buffer = device.createBuffer({
      label: 'error flag',
      size: ERROR_FLAG_BYTES,
      usage: 0x80 | 0x04 | 0x08, // STORAGE | COPY_SRC | COPY_DST (WebGPU zero-initializes it)
    });
  }

  /** Register a dispatch that may report; returns the id its uniforms carry. */
  site(s: ErrorSite): number {
    const id = this.#nextId++;
    if (this.#nextId > 0xffffffff) this.#nextId = 1;
    this.#sites.set(id, s);
    if (this.#sites.size > MAX_SITES) {
      const oldest = this.#sites.keys().next().value as number;
      this.#opOf.set(oldest, this.#sites.get(oldest)!.op);
      this.#sites.delete(oldest);
      if (this.#opOf.size > MAX_SITES) this.#opOf.delete(this.#opOf.keys().next().value as number);
    }
    this.pending = true;
    return id;
  }

  /** The flag's words as copied out by a readback: throws the error they report, if any. */
  check(words: Uint32Array): void {
    const id = words[0];
    if (id === 0) return;
    const index = words[1];
    const value = new Float32Array(new Uint32Array([words[2]]).buffer)[0];
    const count = words[3];
    const site = this.#sites.get(id);
    // Reset for the next report. writeBuffer lands before any later submit.
    this.#device.queue.writeBuffer(this.buffer, 0, new Uint32Array(4));
    this.#sites.clear();
    this.#opOf.clear();
    const op = site?.op ?? this.#opOf.get(id) ?? 'a kernel';
    const what = site ? site.describe(index, value, count) : `invalid input at element ${index} (value ${fmtValue(value)})`;
    throw new InvalidInputError(op, index, value, count, `${op}: ${what} (found on the GPU; reported at the next readback)`);
  }
}

export function fmtValue(v: number): string {
  return Number.isNaN(v) ? 'NaN' : String(v);
}

/** "1 invalid label" / "3 invalid labels" — for describe(). */
export function countOf(n: number, what: string): string {
  return `${n} invalid ${what}${n === 1 ? '' : 's'}`;
}
