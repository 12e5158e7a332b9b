// Node entry point: the engine plus a device from Dawn's Node bindings.
export * from './index.ts';
import './scope-context.node.ts';
import { createNodeDevice, type NodeDeviceOptions } from './device/gpu.node.ts';
import { useDevice, type RuntimeOptions, type Runtime } from './index.ts';

let initialized: Runtime | null = null;

/** Acquire the Node WebGPU device (once per process) and make it the current runtime. */
export async function init(opts: NodeDeviceOptions & RuntimeOptions = {}): Promise<Runtime> {
  if (!initialized) initialized = useDevice(await createNodeDevice(opts), opts);
  return initialized;
}
