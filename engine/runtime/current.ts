import { SamgpuError } from '../device/errors.ts';
import type { Runtime } from './runtime.ts';

// The runtime new tensors are created on. Set once by `init()` (engine/index) or by the caller.
let current: Runtime | null = null;

export function setRuntime(rt: Runtime | null): void {
  current = rt;
}

export function getRuntime(): Runtime {
  if (!current) throw new SamgpuError('No GPU runtime: call `await init()` (or setRuntime) first');
  return current;
}
