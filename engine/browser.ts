// Browser entry point: the engine plus a device from the page's navigator.gpu.
export * from './index.ts';
import { createBrowserDevice } from './device/gpu.browser.ts';
import { atMost, options } from './args.ts';
import { useDevice, type DeviceOptions, type RuntimeOptions, type Runtime } from './index.ts';

let initialized: Runtime | null = null;

/** Acquire the page's WebGPU device (once) and make it the current runtime. */
export const init = atMost('init', 1, async function init(opts: DeviceOptions & RuntimeOptions = {}): Promise<Runtime> {
  options('init', opts, ['debug', 'powerPreference', 'compatibility', 'maxDispatchesPerBatch']);
  if (!initialized) initialized = useDevice(await createBrowserDevice(opts), opts);
  return initialized;
});
