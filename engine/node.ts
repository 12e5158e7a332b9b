// Node entry point: the engine plus a device from Dawn's Node bindings.
export * from './index.ts';
import './scope-context.node.ts';
import { createNodeDevice, type NodeDeviceOptions } from './device/gpu.node.ts';
import { SamgpuError, useDevice, type RuntimeOptions, type Runtime } from './index.ts';
import { atMost, options } from './args.ts';

let initialized: Runtime | null = null;
let firstOptions = '';

const INIT_OPTIONS = ['debug', 'powerPreference', 'compatibility', 'maxDispatchesPerBatch', 'lowerMainThreadPriority', 'filterDriverNoise'];

/**
 * Acquire the Node WebGPU device (once per process) and make it the current runtime. Later
 * calls return the same runtime; options that differ from the first call's are an error.
 */
export const init = atMost('init', 1, async function init(opts: NodeDeviceOptions & RuntimeOptions = {}): Promise<Runtime> {
  const o = options('init', opts, INIT_OPTIONS);
  const key = JSON.stringify(o);
  if (initialized) {
    if (Object.keys(o).length && key !== firstOptions) throw new SamgpuError(`init: the runtime already exists (one per process, made with ${firstOptions}); cannot apply ${key}`);
    return initialized;
  }
  firstOptions = key;
  initialized = useDevice(await createNodeDevice(o as NodeDeviceOptions), o as RuntimeOptions);
  return initialized;
});
