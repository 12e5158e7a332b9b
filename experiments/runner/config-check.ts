// The field checks run configs are validated with: each names the field and what was expected
// (`config: optimizer.rho: expected a number >= 0, got "x"`).
import { SamgpuError } from '../../engine/device/errors.ts';

export type Json = Record<string, unknown>;

export function fail(field: string, expected: string, got: unknown): never {
  throw new SamgpuError(`config: ${field}: expected ${expected}, got ${JSON.stringify(got)}`);
}

export function num(o: Json, key: string, field: string, d: number, check: (v: number) => boolean, expected: string): number {
  const v = o[key];
  if (v === undefined) return d;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) fail(field, expected, v);
  return v;
}

/** A number field that has no default: undefined when absent. */
export function optionalNum(o: Json, key: string, field: string, check: (v: number) => boolean, expected: string): number | undefined {
  return o[key] === undefined ? undefined : num(o, key, field, 0, check, expected);
}

export function oneOf<T extends string>(o: Json, key: string, field: string, d: T, values: readonly T[]): T {
  const v = o[key];
  if (v === undefined) return d;
  if (typeof v !== 'string' || !values.includes(v as T)) fail(field, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
  return v as T;
}

export function bool(o: Json, key: string, field: string, d: boolean): boolean {
  const v = o[key];
  if (v === undefined) return d;
  if (typeof v !== 'boolean') fail(field, 'true or false', v);
  return v;
}

export function obj(o: Json, key: string, field: string): Json {
  const v = o[key];
  if (v === undefined) return {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(field, 'an object', v);
  return v as Json;
}

export function noUnknown(o: Json, known: string[], prefix: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new SamgpuError(`config: ${prefix}${k}: unknown field (known: ${known.join(', ')})`);
}

export const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;
