import { GpuDeviceError } from './errors.ts';

export interface DeviceOptions {
  /** Wrap every dispatch in error scopes and check them at each flush (slow; for debugging). */
  debug?: boolean;
  /** Prefer a high-performance adapter (ignored by software adapters). */
  powerPreference?: GPUPowerPreference;
  /** Ask for the compatibility feature level (needed by some browser setups, see docs). */
  compatibility?: boolean;
  /** Optional features not to enable even where the adapter has them (e.g. ['subgroups'], to test the kernels for adapters without). */
  withoutFeatures?: GPUFeatureName[];
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (lavapipe, SwiftShader, WARP): tile configurations differ. */
  isSoftware: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

/**
 * A GPUDevice with the adapter's real limits, its description, and error reporting that
 * turns WebGPU's asynchronous errors into exceptions. Built from an injected `GPU` object
 * (navigator.gpu in a browser, the `webgpu` package in Node): nothing here reads globals.
 */
export class GpuDevice {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly info: AdapterSummary;
  readonly debug: boolean;
  #error: Error | null = null;
  #lost = false;
  #scopes: Promise<GPUError | null>[] = [];

  private constructor(adapter: GPUAdapter, device: GPUDevice, info: AdapterSummary, debug: boolean) {
    this.adapter = adapter;
    this.device = device;
    this.info = info;
    this.debug = debug;
    device.addEventListener('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.#error ??= new GpuDeviceError(`GPU error: ${e.message}`);
    });
    void device.lost.then((l) => {
      this.#lost = true;
      if (l.reason !== 'destroyed') this.#error ??= new GpuDeviceError(`GPU device lost (${l.reason}): ${l.message}`);
    });
  }

  static async create(gpu: GPU, opts: DeviceOptions = {}): Promise<GpuDevice> {
    const adapter = await gpu.requestAdapter({
      powerPreference: opts.powerPreference ?? 'high-performance',
      ...(opts.compatibility ? { featureLevel: 'compatibility' } : {}),
    } as GPURequestAdapterOptions);
    if (!adapter) {
      throw new GpuDeviceError(
        'No WebGPU adapter. In Node on Linux run `npm run setup` (it installs Mesa >= 24 lavapipe); ' +
          'Mesa older than 24 is rejected by Dawn.',
      );
    }
    // A plain requestDevice() gets the spec's default limits (128 MiB buffers, 16 KiB workgroup
    // storage); ask for what the adapter really offers.
    const requiredLimits: Record<string, number> = {};
    for (const key of LIMITS_WE_USE) {
      const v = (adapter.limits as unknown as Record<string, number | undefined>)[key];
      if (typeof v === 'number') requiredLimits[key] = v;
    }
    const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];
    const requiredFeatures = wanted.filter((f) => adapter.features.has(f) && !opts.withoutFeatures?.includes(f));
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    const ai = adapter.info;
    const info: AdapterSummary = {
      vendor: ai.vendor,
      architecture: ai.architecture,
      device: ai.device,
      description: ai.description,
      isSoftware: isSoftwareAdapter(ai, adapter),
      subgroupMinSize: (ai as { subgroupMinSize?: number }).subgroupMinSize,
      subgroupMaxSize: (ai as { subgroupMaxSize?: number }).subgroupMaxSize,
    };
    return new GpuDevice(adapter, device, info, opts.debug ?? false);
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  get isLost(): boolean {
    return this.#lost;
  }

  hasFeature(f: GPUFeatureName): boolean {
    return this.device.features.has(f);
  }

  /** In debug mode, open an error scope around the next GPU calls; close it with `popScope`. */
  pushScope(): void {
    if (!this.debug) return;
    this.device.pushErrorScope('validation');
    this.device.pushErrorScope('out-of-memory');
  }

  popScope(what: string): void {
    if (!this.debug) return;
    for (let i = 0; i < 2; i++) {
      this.#scopes.push(
        this.device.popErrorScope().then((e) => {
          if (e) this.#error ??= new GpuDeviceError(`${what}: ${e.message}`);
          return e;
        }),
      );
    }
  }

  /** Throw the first error the device reported since the last check. Synchronous errors only. */
  throwIfFailed(): void {
    if (this.#error) {
      const e = this.#error;
      this.#error = null;
      throw e;
    }
    if (this.#lost) throw new GpuDeviceError('GPU device was destroyed');
  }

  /** Wait for debug error scopes, then throw the first error reported. */
  async check(): Promise<void> {
    const scopes = this.#scopes;
    this.#scopes = [];
    await Promise.all(scopes);
    this.throwIfFailed();
  }

  describe(): string {
    const i = this.info;
    const kind = i.isSoftware ? 'software' : 'hardware';
    return `${i.vendor || 'unknown vendor'} ${i.architecture || ''} ${i.device || i.description || ''}`.replace(/\s+/g, ' ').trim() + ` (${kind})`;
  }

  destroy(): void {
    this.device.destroy();
  }
}

const LIMITS_WE_USE = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxBindGroups',
];

function isSoftwareAdapter(info: GPUAdapterInfo, adapter: GPUAdapter): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  if ((adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter) return true;
  if ((info as { isFallbackAdapter?: boolean }).isFallbackAdapter) return true;
  return /llvmpipe|lavapipe|swiftshader|software|warp|\bcpu\b/.test(text);
}
