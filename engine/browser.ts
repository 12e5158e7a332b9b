// Browser entry point: the engine plus a device from the page's navigator.gpu.
export * from './index.ts';
import { createBrowserDevice } from './device/gpu.browser.ts';
import { atMost, options } from './args.ts';
import { useDevice, type DeviceOptions, type RuntimeOptions, type Runtime } from './index.ts';
import { attachTuneStore } from './tune/tuner.ts';
import { localStorageStore } from './tune/store.ts';
import type { TuneMode } from './tune/choices.ts';

let initialized: Runtime | null = null;

/**
 * Acquire the page's WebGPU device (once) and make it the current runtime, with the kernel
 * choices tuned earlier in this browser on this adapter (localStorage; `tune: 'off'` uses the
 * built-in defaults). Browsers often describe their adapter vaguely, so the user agent is part
 * of the key: a browser update re-tunes.
 */
export const init = atMost('init', 1, async function init(opts: DeviceOptions & RuntimeOptions & { tune?: TuneMode } = {}): Promise<Runtime> {
  options('init', opts, ['debug', 'powerPreference', 'compatibility', 'maxDispatchesPerBatch', 'tune']);
  if (!initialized) {
    const rt = useDevice(await createBrowserDevice(opts), opts);
    const ua = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? '';
    await attachTuneStore(rt, localStorageStore(), opts.tune ?? 'on', { userAgent: ua });
    initialized = rt;
  }
  return initialized;
});
