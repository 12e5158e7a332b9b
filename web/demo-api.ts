// What the page exposes as `window.samgpuDemo`, for scripts and the browser test.
import type { AdapterSummary } from '../engine/device/gpu-device.ts';
import type { LiveResult } from './live/loop.ts';
import type { LiveSettings } from './live/settings.ts';
import type { checkWebGpu } from './gpu-check.ts';

export interface Demo {
  /** Resolves once WebGPU is known to work (the adapter's description) or not (the message shown). */
  ready: Promise<{ ok: boolean; adapter?: string; message?: string }>;
  adapter: string | null;
  adapterInfo: AdapterSummary | null;
  /** Fill the form with `settings` (the rest from the dataset's defaults) and train, as the Train button does. */
  run(settings: Partial<LiveSettings>): Promise<LiveResult>;
  lastResult: LiveResult | null;
  checkWebGpu: typeof checkWebGpu;
  /** Press Stop (if a run is in progress). */
  stop(): void;
  /** The kept runs, as the list shows them. */
  runs(): { id: number; label: string; color: string; optimizer: string; dataset: string; status: string }[];
  /** Remove every finished run. */
  clearRuns(): void;
}

declare global {
  interface Window {
    samgpuDemo: Demo;
  }
}
