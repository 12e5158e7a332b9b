// Variants of the row reductions: batch norm's per-channel reductions (statistics, and Σg, Σg·x̂
// in the backward) and the losses' per-row kernels. Pure data, like the other variant tables.
import { bucket } from '../choices.ts';
import type { AdapterFacts } from './adapter.ts';

export type BatchNormFamily = 'batchnorm.stats' | 'batchnorm.gradReduce';
export const BATCHNORM_FAMILIES: readonly BatchNormFamily[] = ['batchnorm.stats', 'batchnorm.gradReduce'];

/** One workgroup of `wg` threads per channel; sums by a workgroup-memory tree, or by subgroupAdd then across subgroups. */
export interface BatchNormConfig {
  wg: number;
  subgroup: boolean;
}

export interface RowVariant<C> {
  id: string;
  config: C;
  for: 'gpu' | 'cpu' | 'any' | 'test';
  fits(f: AdapterFacts): boolean;
}

// subgroupAdd's partial sums are indexed by lane / subgroup size: one size, dividing the workgroup
const oneSubgroupSize = (wg: number) => (f: AdapterFacts) => f.subgroups && f.sgMin > 0 && f.sgMin === f.sgMax && wg % f.sgMin === 0 && f.sgMin <= wg;

export const BATCHNORM_VARIANTS: readonly RowVariant<BatchNormConfig>[] = [
  { id: 'tree-64', config: { wg: 64, subgroup: false }, for: 'any', fits: (f) => f.maxInvocations >= 64 }, // the hand-picked one
  { id: 'tree-8', config: { wg: 8, subgroup: false }, for: 'cpu', fits: () => true },
  { id: 'tree-256', config: { wg: 256, subgroup: false }, for: 'gpu', fits: (f) => f.maxInvocations >= 256 },
  { id: 'subgroup-64', config: { wg: 64, subgroup: true }, for: 'any', fits: oneSubgroupSize(64) },
  { id: 'subgroup-256', config: { wg: 256, subgroup: true }, for: 'gpu', fits: (f) => f.maxInvocations >= 256 && oneSubgroupSize(256)(f) },
];

export const batchNormVariant = (id: string) => BATCHNORM_VARIANTS.find((v) => v.id === id);
export const DEFAULT_BATCHNORM_VARIANT = 'tree-64';

/** Shape class: channels and values per channel, in power-of-two buckets. */
export const batchNormKey = (c: number, m: number) => `c${bucket(c)}/m${bucket(m)}`;

/** The losses' row kernels: one thread per row, or one 64-thread workgroup per row. */
export type RowStrategy = 'thread' | 'group';

export const LOSS_ROW_VARIANTS: readonly RowVariant<RowStrategy>[] = [
  { id: 'thread', config: 'thread', for: 'any', fits: () => true },
  { id: 'group', config: 'group', for: 'any', fits: () => true },
];

/**
 * The hand-picked strategy: a CPU adapter runs a workgroup's invocations on one core, so
 * splitting a row across a workgroup buys no parallelism there and its barriers are
 * expensive; GPUs split rows of 256 or more.
 */
export const defaultRowStrategy = (f: AdapterFacts, rowLength: number): RowStrategy => (f.software ? 'thread' : rowLength >= 256 ? 'group' : 'thread');

/** Shape class of a row kernel: the row length's bucket (the count of rows matters less). */
export const lossRowKey = (rowLength: number) => `c${bucket(rowLength)}`;

export function rowCandidates<C>(table: readonly RowVariant<C>[], f: AdapterFacts, dflt: string): string[] {
  const kind = f.software ? 'cpu' : 'gpu';
  return table.filter((v) => v.fits(f) && (v.id === dflt || v.for === kind || v.for === 'any')).map((v) => v.id);
}
