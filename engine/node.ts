// Node entry point: the engine plus a device from Dawn's Node bindings.
export * from './index.ts';
import { createNodeDevice, type NodeDeviceOptions } from './device/gpu.node.ts';
import { useDevice, type RuntimeOptions, type Runtime } from './index.ts';
import { attachTuneStore, tuneModeOf } from './tune/tuner.ts';
import type { TuneMode } from './tune/choices.ts';
import { fileStore } from './tune/store.node.ts';
export { fileStore, tuneCacheDir } from './tune/store.node.ts';

let initialized: Runtime | null = null;

export interface TuneInitOptions {
  /** Kernel tuning: on (default; SAMGPU_TUNE=off turns it off) or off (built-in defaults only). */
  tune?: TuneMode;
}

/**
 * Acquire the Node WebGPU device (once per process) and make it the current runtime, with the
 * kernel choices tuned earlier on this adapter (a JSON file in the user's cache directory).
 */
export async function init(opts: NodeDeviceOptions & RuntimeOptions & TuneInitOptions = {}): Promise<Runtime> {
  if (!initialized) {
    const mode = opts.tune ?? tuneModeOf(process.env.SAMGPU_TUNE);
    const rt = useDevice(await createNodeDevice(opts), opts);
    await attachTuneStore(rt, fileStore(), mode);
    initialized = rt;
  }
  return initialized;
}
