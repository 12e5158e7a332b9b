import { SamgpuError } from '../device/errors.ts';

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Run `fn` without recording ops on the tape (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  let result: T;
  try {
    result = fn();
  } finally {
    enabled = prev;
  }
  // Grad mode is a flag, not a context that follows awaits: after the first await the body
  // would record again. Say so instead of silently recording.
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    throw new SamgpuError('noGrad: the function returned a Promise; grad mode cannot follow awaits: call noGrad on the synchronous part (await outside it)');
  }
  return result;
}
