// Where tuned choices persist, per adapter: a key that changes when the adapter, its driver or
// the engine's kernels change (so any of those re-tunes), and stores for browsers (localStorage)
// and for tests (memory). The Node store (a JSON file in the user's cache directory) is in
// store.node.ts.
import matmulSource from '../../shaders/matmul.wgsl';
import gemmSource from '../../shaders/gemm_tiled.wgsl';
import convCommon from '../../shaders/conv2d_common.wgsl';
import convForward from '../../shaders/conv2d_forward.wgsl';
import convInput from '../../shaders/conv2d_backward_input.wgsl';
import convWeight from '../../shaders/conv2d_backward_weight.wgsl';
import convTiled from '../../shaders/conv2d_tiled.wgsl';
import batchnormSource from '../../shaders/batchnorm.wgsl';
import lossSource from '../../shaders/loss.wgsl';
import type { Runtime } from '../runtime/runtime.ts';
import { MATMUL_VARIANTS } from './variants/matmul.ts';
import { CONV2D_VARIANTS } from './variants/conv2d.ts';
import { BATCHNORM_VARIANTS, LOSS_ROW_VARIANTS } from './variants/rows.ts';

/** Text storage by key. */
export interface TuneStore {
  read(key: string): Promise<string | null>;
  write(key: string, text: string): Promise<void>;
  /** Where it keeps things, in words ("~/.cache/samgpu/tune-1a2b3c4d.json"). */
  where(key: string): string;
}

export interface TuneEntry {
  variant: string;
  /** Device time per candidate timed (the fastest of its rounds), ms. */
  ms: Record<string, number>;
  /** Candidates that failed their self-check, with the reason. */
  rejected?: Record<string, string>;
  /** The instance timed (the op's arguments). */
  args: Record<string, unknown>;
  /** How it was timed, and when. */
  method: string;
  at: string;
}

/** What a store holds for one adapter. */
export interface TuneFile {
  format: 'samgpu-tune-1';
  adapter: Record<string, unknown>;
  kernels: string;
  entries: Record<string, TuneEntry>;
  /** Self-check results by variant and check key: null passed, else why it failed. */
  checks: Record<string, string | null>;
}

/** FNV-1a, 32 bits, as 8 hex digits. */
export function hash32(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** A hash of every tuned kernel's source and of the variant tables: changes whenever a choice could. */
export const KERNELS_HASH = hash32(
  [
    matmulSource, gemmSource, convCommon, convForward, convInput, convWeight, convTiled, batchnormSource, lossSource,
    ...[MATMUL_VARIANTS, CONV2D_VARIANTS, BATCHNORM_VARIANTS, LOSS_ROW_VARIANTS].map((t) => JSON.stringify(t)),
  ].join('\u0000'),
);

/** The adapter as the cache key sees it: names, driver (in the description), subgroup sizes, features, limits. */
export function adapterIdentity(rt: Runtime, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const i = rt.gpu.info;
  const l = rt.device.limits;
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    subgroups: rt.gpu.hasFeature('subgroups' as GPUFeatureName) ? [i.subgroupMinSize ?? 0, i.subgroupMaxSize ?? 0] : null,
    f16: rt.gpu.hasFeature('shader-f16' as GPUFeatureName),
    timestamps: rt.gpu.hasFeature('timestamp-query' as GPUFeatureName),
    wgStorage: l.maxComputeWorkgroupStorageSize,
    invocations: l.maxComputeInvocationsPerWorkgroup,
    ...extra,
  };
}

/** The store key of this adapter and engine. */
export function tuneKey(identity: Record<string, unknown>): string {
  return `tune-${hash32(JSON.stringify(identity))}-${KERNELS_HASH}`;
}

export function emptyTuneFile(identity: Record<string, unknown>): TuneFile {
  return { format: 'samgpu-tune-1', adapter: identity, kernels: KERNELS_HASH, entries: {}, checks: {} };
}

/** The stored file, or null when absent, unreadable or of another adapter or engine. */
export function parseTuneFile(text: string | null, identity: Record<string, unknown>): TuneFile | null {
  if (!text) return null;
  try {
    const f = JSON.parse(text) as TuneFile;
    if (f.format !== 'samgpu-tune-1' || f.kernels !== KERNELS_HASH || JSON.stringify(f.adapter) !== JSON.stringify(identity)) return null;
    if (typeof f.entries !== 'object' || typeof f.checks !== 'object') return null;
    return f;
  } catch {
    return null;
  }
}

export function memoryStore(): TuneStore {
  const m = new Map<string, string>();
  return {
    read: async (k) => m.get(k) ?? null,
    write: async (k, t) => void m.set(k, t),
    where: (k) => `memory:${k}`,
  };
}

/** localStorage, where the page has it (private modes may throw: then nothing persists). */
export function localStorageStore(): TuneStore | null {
  const ls = (globalThis as { localStorage?: Storage }).localStorage;
  if (!ls) return null;
  return {
    read: async (k) => {
      try {
        return ls.getItem(`samgpu:${k}`);
      } catch {
        return null;
      }
    },
    write: async (k, t) => {
      try {
        ls.setItem(`samgpu:${k}`, t);
      } catch {
        /* quota or privacy settings: keep the choices for this page only */
      }
    },
    where: (k) => `localStorage samgpu:${k}`,
  };
}
