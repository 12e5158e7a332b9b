// Browser-only: the page's navigator.gpu. The only place in the engine that reads `navigator`.
import { GpuDevice, type DeviceOptions } from './gpu-device.ts';
import { GpuDeviceError } from './errors.ts';

export async function createBrowserDevice(opts: DeviceOptions = {}): Promise<GpuDevice> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new GpuDeviceError('This browser has no WebGPU (navigator.gpu is undefined).');
  return GpuDevice.create(gpu, opts);
}
