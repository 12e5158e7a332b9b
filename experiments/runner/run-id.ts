// Run folders are named by their full configuration: a readable part and a short hash of the
// whole validated config (`fmnist-mnist-embedded-sam-s0-3f9a1c02`), so a run with another lr, ρ,
// epoch count or dataset option lands in a folder of its own instead of resuming, or reporting,
// another run's results. Resuming compares the stored config with the requested one field by
// field. Pure (no Node APIs).
import { SamgpuError } from '../../engine/device/errors.ts';
import { canonicalJson } from '../canonical-json.ts';
import type { RunConfig } from './config.ts';

/** 64-bit FNV-1a of the UTF-8 bytes of `text`, as 16 hex digits. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(text)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

/** 8 hex digits that change with any field of the (validated) config. */
export function configHash(cfg: RunConfig): string {
  return fnv1a64(canonicalJson(cfg)).slice(0, 8);
}

/** The default run folder name: `<name>-<optimizer>-s<seed>-<config hash>`. */
export function defaultRunId(cfg: RunConfig): string {
  return `${cfg.name}-${cfg.optimizer.name}-s${cfg.seed}-${configHash(cfg)}`;
}

export interface ConfigDifference {
  field: string;
  stored: unknown;
  requested: unknown;
}

function flatten(v: unknown, prefix: string, out: Map<string, unknown>): void {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (!entries.length && prefix) out.set(prefix, {});
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, v);
}

/** The dotted fields where two configs differ (arrays compare whole), in field order. */
export function configDifferences(stored: unknown, requested: unknown): ConfigDifference[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(stored, '', a);
  flatten(requested, '', b);
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort();
  return fields
    .filter((f) => canonicalJson(a.get(f)) !== canonicalJson(b.get(f)))
    .map((field) => ({ field, stored: a.get(field), requested: b.get(field) }));
}

const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));

/** "optimizer.lr: 0.05 in the run, 0.1 requested; epochs: …" (at most `max` fields). */
export function describeDifferences(diffs: ConfigDifference[], names: [stored: string, requested: string] = ['in the run', 'requested'], max = 8): string {
  const parts = diffs.slice(0, max).map((d) => `${d.field}: ${show(d.stored)} ${names[0]}, ${show(d.requested)} ${names[1]}`);
  if (diffs.length > max) parts.push(`and ${diffs.length - max} more`);
  return parts.join('; ');
}

/**
 * Throws `<subject> (<differences>): <hint>` when two configs differ; `names` say where each
 * came from, e.g. ['in config.json', 'in the checkpoint'].
 */
export function checkSameConfig(stored: RunConfig, requested: RunConfig, subject: string, names: [string, string], hint: string): void {
  const diffs = configDifferences(stored, requested);
  if (diffs.length) throw new SamgpuError(`${subject} (${describeDifferences(diffs, names)}): ${hint}`);
}
