/// <reference types="@webgpu/types" />
// samgpu engine: the public API.
export { GpuDevice, type DeviceOptions, type AdapterSummary } from './device/gpu-device.ts';
export { SamgpuError, GpuDeviceError } from './device/errors.ts';
export { Runtime, type RuntimeOptions } from './runtime/runtime.ts';
export { InvalidInputError } from './runtime/error-flag.ts';
export { Tensor, empty, type Shape, type NestedArray, type TensorData, type TensorOptions } from './tensor.ts';
export { type AsyncScopeContext } from './scope.ts';
export { Rng } from './random.ts';
export { Uniforms } from './runtime/uniforms.ts';
export type { KernelSource } from './runtime/pipeline-cache.ts';
export * from './ops/index.ts';
export * as nn from './nn/index.ts';
export * as optim from './optim/index.ts';
export * as models from './models/index.ts';
export * as tune from './tune/index.ts';

// Top-level functions, with the most arguments each takes (see args.ts: atMost).
import * as cur from './runtime/current.ts';
import * as T from './tensor.ts';
import * as S from './scope.ts';
import * as G from './autograd/grad-mode.ts';
import * as B from './autograd/backward.ts';
import * as Rec from './autograd/record.ts';
import * as Init from './nn/init.ts';
import * as ST from './io/safetensors.ts';
import * as SD from './io/state-dict.ts';
import { atMost } from './args.ts';
export const setRuntime = atMost('setRuntime', 1, cur.setRuntime);
export const getRuntime = cur.getRuntime; // no arguments: nothing to drop
export const tensor = atMost('tensor', 3, T.tensor);
export const liveTensorCount = T.liveTensorCount; // no arguments: nothing to drop
export const sizeOf = atMost('sizeOf', 1, T.sizeOf);
export const scope = atMost('scope', 1, S.scope);
export const keep = atMost('keep', 1, S.keep);
export const setAsyncScopeContext = atMost('setAsyncScopeContext', 1, S.setAsyncScopeContext);
export const hasAsyncScopeContext = S.hasAsyncScopeContext; // no arguments: nothing to drop
export const noGrad = atMost('noGrad', 1, G.noGrad);
export const isGradEnabled = G.isGradEnabled; // no arguments: nothing to drop
export const backward = atMost('backward', 4, B.backward);
export const record = atMost('record', 5, Rec.record);
export const manualSeed = atMost('manualSeed', 1, Init.manualSeed);
export const parseSafetensors = atMost('parseSafetensors', 2, ST.parseSafetensors);
export const serializeSafetensors = atMost('serializeSafetensors', 2, ST.serializeSafetensors);
export const saveStateDict = atMost('saveStateDict', 2, SD.saveStateDict);
export const loadStateDict = atMost('loadStateDict', 3, SD.loadStateDict);
import * as TW from './io/torchvision-weights.ts';
export type { PretrainedOptions, PretrainedReport } from './io/torchvision-weights.ts';
export const loadPretrained = atMost('loadPretrained', 3, TW.loadPretrained);

import { GpuDevice, type DeviceOptions } from './device/gpu-device.ts';
import { SamgpuError } from './device/errors.ts';
import { options, show } from './args.ts';
import { getRuntime as currentRuntime, setRuntime as makeCurrent } from './runtime/current.ts';
import { Runtime, type RuntimeOptions } from './runtime/runtime.ts';

/** Create a runtime on an injected `GPU` (navigator.gpu, or the `webgpu` package's) and make it current. */
export const initWith = atMost('initWith', 2, async function initWith(gpu: GPU, opts: DeviceOptions & RuntimeOptions = {}): Promise<Runtime> {
  options('initWith', opts, ['debug', 'powerPreference', 'compatibility', 'maxDispatchesPerBatch']);
  if (!gpu || typeof (gpu as { requestAdapter?: unknown }).requestAdapter !== 'function') throw new SamgpuError(`initWith: expected a GPU object (navigator.gpu, or the webgpu package's create()), got ${show(gpu)}`);
  const rt = new Runtime(await GpuDevice.create(gpu, opts), opts);
  makeCurrent(rt);
  return rt;
});

/** Make `device` (already acquired) current. */
export const useDevice = atMost('useDevice', 2, function useDevice(device: GpuDevice, opts: RuntimeOptions = {}): Runtime {
  options('useDevice', opts, ['maxDispatchesPerBatch', 'debug', 'powerPreference', 'compatibility', 'lowerMainThreadPriority', 'filterDriverNoise', 'tune']);
  if (!(device instanceof GpuDevice)) throw new SamgpuError(`useDevice: expected a GpuDevice, got ${show(device)}`);
  const rt = new Runtime(device, opts);
  makeCurrent(rt);
  return rt;
});

/**
 * Throw the invalid input (a label out of range, a target outside [0, 1]) a kernel found
 * since the last check. Readbacks (`read()`, `item()`) and `sync()` check too, at no extra cost.
 */
export const checkErrors = atMost('checkErrors', 1, async function checkErrors(rt: Runtime = currentRuntime()): Promise<void> {
  if (!(rt instanceof Runtime)) throw new SamgpuError(`checkErrors: expected a Runtime, got ${show(rt)}`);
  await rt.checkErrors();
});
