// What the variant tables need to know about an adapter to say which kernels it can run.
import type { Runtime } from '../../runtime/runtime.ts';

export interface AdapterFacts {
  /** A CPU implementation (lavapipe, SwiftShader, WARP). */
  software: boolean;
  /** The `subgroups` feature is enabled on the device. */
  subgroups: boolean;
  /** Subgroup sizes the adapter reports (0 when it reports none). */
  sgMin: number;
  sgMax: number;
  /** Workgroup storage in bytes and invocations per workgroup the device allows. */
  wgStorage: number;
  maxInvocations: number;
}

export function adapterFacts(rt: Runtime): AdapterFacts {
  const i = rt.gpu.info;
  const subgroups = rt.gpu.hasFeature('subgroups' as GPUFeatureName);
  return {
    software: i.isSoftware,
    subgroups,
    sgMin: subgroups ? (i.subgroupMinSize ?? 0) : 0,
    sgMax: subgroups ? (i.subgroupMaxSize ?? 0) : 0,
    wgStorage: rt.device.limits.maxComputeWorkgroupStorageSize,
    maxInvocations: rt.device.limits.maxComputeInvocationsPerWorkgroup,
  };
}

/** Exactly 8-wide subgroups (lavapipe): the hand-unrolled 8-lane kernels apply. */
export const hasSubgroups8 = (f: AdapterFacts) => f.subgroups && f.sgMin === 8 && f.sgMax === 8;

/** Clusters of `cw` lanes fit in every subgroup the adapter may use. */
export const clusterFits = (f: AdapterFacts, cw: number) => f.subgroups && f.sgMin >= cw && f.sgMin > 0;
