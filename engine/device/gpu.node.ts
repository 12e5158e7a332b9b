// Node-only: Dawn's bindings from the npm `webgpu` package.
import os from 'node:os';
import { create, globals } from 'webgpu';
import { GpuDevice, type DeviceOptions } from './gpu-device.ts';
import { withDriverNoiseFiltered } from './driver-noise.node.ts';

// Trap 1 of webgpu 0.6.2: if the object create() returns is garbage-collected while a device
// lives, the process aborts or hangs. Module scope keeps it alive for the process's life.
let gpuInstance: GPU | null = null;

export interface NodeDeviceOptions extends DeviceOptions {
  /**
   * Lower the main JS thread's priority on software adapters (default true). Dawn busy-polls
   * the main thread while a GPU promise is pending, taking CPU from lavapipe's workers; at
   * nice 19 a 1024³ matmul runs ~1.6× faster on 2 cores. Only the calling thread is affected.
   */
  lowerMainThreadPriority?: boolean;
  /**
   * Hide Dawn's "maxDynamic…BuffersPerPipelineLayout artificially reduced" lines, printed from
   * native code while the adapter is acquired; other output is kept (default true; see
   * driver-noise.node.ts for where this is possible).
   */
  filterDriverNoise?: boolean;
}

export function nodeGpu(): GPU {
  if (!gpuInstance) {
    Object.assign(globalThis, globals); // GPUBufferUsage, GPUMapMode, ... as in a browser
    gpuInstance = create([]) as GPU;
  }
  return gpuInstance;
}

export async function createNodeDevice(opts: NodeDeviceOptions = {}): Promise<GpuDevice> {
  const gpu = nodeGpu();
  const dev = opts.filterDriverNoise === false ? await GpuDevice.create(gpu, opts) : await withDriverNoiseFiltered(() => GpuDevice.create(gpu, opts));
  if (dev.info.isSoftware && (opts.lowerMainThreadPriority ?? true)) {
    try {
      os.setPriority(19);
    } catch {
      /* not permitted: run at normal priority */
    }
  }
  return dev;
}
