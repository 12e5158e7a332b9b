// Node entry point: the engine plus a device from Dawn's Node bindings.
export * from './index.ts';
import './scope-context.node.ts';
import { createNodeDevice, type NodeDeviceOptions } from './device/gpu.node.ts';
import { SamgpuError, useDevice, type RuntimeOptions, type Runtime } from './index.ts';
import { atMost, options } from './args.ts';
import { attachTuneStore, tuneModeOf } from './tune/tuner.ts';
import type { TuneMode } from './tune/choices.ts';
import { fileStore as makeFileStore, tuneCacheDir as cacheDirOf } from './tune/store.node.ts';
/** The tuner's Node store (a JSON file per adapter in `dir`) and its default folder. */
export const fileStore = atMost('fileStore', 1, makeFileStore);
export const tuneCacheDir = atMost('tuneCacheDir', 1, cacheDirOf);

let initialized: Runtime | null = null;
let firstOptions = '';

const INIT_OPTIONS = ['debug', 'powerPreference', 'compatibility', 'maxDispatchesPerBatch', 'lowerMainThreadPriority', 'filterDriverNoise', 'tune'];

export interface TuneInitOptions {
  /** Kernel tuning: on (default; SAMGPU_TUNE=off turns it off) or off (built-in defaults only). */
  tune?: TuneMode;
}

/**
 * Acquire the Node WebGPU device (once per process) and make it the current runtime. Later
 * calls return the same runtime; options that differ from the first call's are an error.
 */
export const init = atMost('init', 1, async function init(opts: NodeDeviceOptions & RuntimeOptions & TuneInitOptions = {}): Promise<Runtime> {
  const o = options('init', opts, INIT_OPTIONS);
  const key = JSON.stringify(o);
  if (initialized) {
    if (Object.keys(o).length && key !== firstOptions) throw new SamgpuError(`init: the runtime already exists (one per process, made with ${firstOptions}); cannot apply ${key}`);
    return initialized;
  }
  firstOptions = key;
  const rt = useDevice(await createNodeDevice(o as NodeDeviceOptions), o as RuntimeOptions);
  await attachTuneStore(rt, makeFileStore(), (o as TuneInitOptions).tune ?? tuneModeOf(process.env.SAMGPU_TUNE));
  initialized = rt;
  return initialized;
});
