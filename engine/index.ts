/// <reference types="@webgpu/types" />
// samgpu engine: the public API.
export { GpuDevice, type DeviceOptions, type AdapterSummary } from './device/gpu-device.ts';
export { SamgpuError, GpuDeviceError } from './device/errors.ts';
export { Runtime, type RuntimeOptions } from './runtime/runtime.ts';
export { setRuntime, getRuntime } from './runtime/current.ts';
export { Tensor, tensor, empty, liveTensorCount, sizeOf, type Shape } from './tensor.ts';
export { scope, keep } from './scope.ts';
export { Rng } from './random.ts';
export { noGrad, isGradEnabled } from './autograd/grad-mode.ts';
export { backward } from './autograd/backward.ts';
export { record } from './autograd/record.ts';
export { Uniforms } from './runtime/uniforms.ts';
export type { KernelSource } from './runtime/pipeline-cache.ts';
export * from './ops/index.ts';
export * as nn from './nn/index.ts';
export * as optim from './optim/index.ts';
export * as models from './models/index.ts';
export { manualSeed } from './nn/init.ts';
export { parseSafetensors, serializeSafetensors } from './io/safetensors.ts';
export { saveStateDict, loadStateDict } from './io/state-dict.ts';
export { loadPretrained, type PretrainedOptions, type PretrainedReport } from './io/torchvision-weights.ts';

import { GpuDevice, type DeviceOptions } from './device/gpu-device.ts';
import { Runtime, type RuntimeOptions } from './runtime/runtime.ts';
import { setRuntime } from './runtime/current.ts';

/** Create a runtime on an injected `GPU` (navigator.gpu, or the `webgpu` package's) and make it current. */
export async function initWith(gpu: GPU, opts: DeviceOptions & RuntimeOptions = {}): Promise<Runtime> {
  const rt = new Runtime(await GpuDevice.create(gpu, opts), opts);
  setRuntime(rt);
  return rt;
}

/** Make `device` (already acquired) current. */
export function useDevice(device: GpuDevice, opts: RuntimeOptions = {}): Runtime {
  const rt = new Runtime(device, opts);
  setRuntime(rt);
  return rt;
}
