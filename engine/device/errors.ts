/** Errors raised by the engine. Each names the op (or subsystem) and what was expected. */
export class SamgpuError extends Error {
  override name = 'SamgpuError';
}

/** The GPU reported a validation, out-of-memory or internal error, or the device was lost. */
export class GpuDeviceError extends SamgpuError {
  override name = 'GpuDeviceError';
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
