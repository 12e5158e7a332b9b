// Node-only file output for the experiments: atomic writes (a temporary name in the same
// folder, then a rename), so a reader never sees a half-written result.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** JSON with floats rounded to `digits` significant digits (the records hold thousands of them). */
export function compactJson(value: unknown, digits = 6): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? +v.toPrecision(digits) : v));
}
