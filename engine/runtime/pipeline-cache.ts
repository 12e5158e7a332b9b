import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { SamgpuError } from '../device/errors.ts';

/** One compute entry point of a WGSL source file, with its bindings read from the source. */
export interface KernelSource {
  /** Shader file name, for error messages and cache keys. */
  readonly name: string;
  readonly code: string;
  readonly entry: string;
}

export interface BindingInfo {
  name: string;
  binding: number;
  kind: 'uniform' | 'read-only-storage' | 'storage';
}

export interface CompiledKernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** Bindings of group 0, by variable name. */
  bindings: Map<string, BindingInfo>;
  label: string;
}

export type Overrides = Record<string, number | boolean>;

/**
 * Pipelines keyed by shader, entry point and override constants. Bind group layouts come from
 * the WGSL source (wgsl_reflect), so shader and host can never disagree about a binding.
 */
export class PipelineCache {
  #device: GPUDevice;
  #modules = new Map<string, GPUShaderModule>();
  #reflections = new Map<string, WgslReflect>();
  #pipelines = new Map<string, CompiledKernel>();
  compiled = 0;

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  get(src: KernelSource, overrides: Overrides = {}): CompiledKernel {
    const keys = Object.keys(overrides).sort();
    const key = `${src.name}:${src.entry}:${keys.map((k) => `${k}=${+overrides[k]}`).join(',')}`;
    let k = this.#pipelines.get(key);
    if (!k) {
      k = this.#compile(src, overrides, key);
      this.#pipelines.set(key, k);
    }
    return k;
  }

  #compile(src: KernelSource, overrides: Overrides, label: string): CompiledKernel {
    const bindings = this.#reflect(src);
    const entries: GPUBindGroupLayoutEntry[] = [...bindings.values()].map((b) => ({
      binding: b.binding,
      visibility: 4, // GPUShaderStage.COMPUTE
      buffer: { type: b.kind },
    }));
    const layout = this.#device.createBindGroupLayout({ label, entries });
    let module = this.#modules.get(src.name);
    if (!module) {
      module = this.#device.createShaderModule({ label: src.name, code: src.code });
      this.#modules.set(src.name, module);
    }
    const constants: Record<string, number> = {};
    for (const [k, v] of Object.entries(overrides)) constants[k] = +v;
    const pipeline = this.#device.createComputePipeline({
      label,
      layout: this.#device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: src.entry, constants },
    });
    this.compiled++;
    return { pipeline, layout, bindings, label };
  }

  #reflect(src: KernelSource): Map<string, BindingInfo> {
    let r = this.#reflections.get(src.name);
    if (!r) {
      r = new WgslReflect(src.code);
      this.#reflections.set(src.name, r);
    }
    const fn = r.entry.compute.find((f) => f.name === src.entry);
    if (!fn) throw new SamgpuError(`${src.name}: no compute entry point '${src.entry}'`);
    const out = new Map<string, BindingInfo>();
    for (const v of fn.resources) {
      if (v.group !== 0) throw new SamgpuError(`${src.name}: binding '${v.name}' is in group ${v.group}; kernels use group 0 only`);
      const kind =
        v.resourceType === 0 /* Uniform */
          ? 'uniform'
          : v.access === 'read'
            ? 'read-only-storage'
            : 'storage';
      out.set(v.name, { name: v.name, binding: v.binding, kind });
    }
    return out;
  }
}
