// Sweeps: a grid over dotted config fields (dataset × optimizer × lr × ρ × seeds, the paper's
// style of tuning), each cell a run with a stable id, so a rerun skips finished cells.
import { SamgpuError } from '../../engine/device/errors.ts';

export interface SweepSpec {
  name: string;
  /** A config (or `{ "preset": name, ... }`) every cell starts from. */
  base: Record<string, unknown>;
  /** Dotted field → values, e.g. { "optimizer.name": ["sgd", "sam"], "seed": [0, 1, 2] }. */
  grid: Record<string, unknown[]>;
  /**
   * Explicit cells besides the grid (studies: arms that differ in several fields): each an id and
   * its dotted-field values. Crossed with the grid when both are given.
   */
  cells?: { id: string; params: Record<string, unknown> }[];
}

export interface SweepCell {
  id: string;
  config: Record<string, unknown>;
  /** The grid values of this cell. */
  params: Record<string, unknown>;
}

export function validateSweep(x: unknown): SweepSpec {
  const o = x as Record<string, unknown>;
  if (!o || typeof o !== 'object') throw new SamgpuError('sweep: expected an object with name, base, grid');
  if (typeof o.name !== 'string' || !/^[\w.-]+$/.test(o.name)) throw new SamgpuError(`sweep: name: expected letters, digits, _ . -, got ${JSON.stringify(o.name)}`);
  if (!o.base || typeof o.base !== 'object') throw new SamgpuError('sweep: base: expected a config object');
  if (!o.grid || typeof o.grid !== 'object') throw new SamgpuError('sweep: grid: expected an object of field → list of values');
  for (const [k, v] of Object.entries(o.grid as object)) {
    if (!Array.isArray(v) || !v.length) throw new SamgpuError(`sweep: grid.${k}: expected a non-empty list`);
  }
  if (o.cells !== undefined) {
    if (!Array.isArray(o.cells) || !o.cells.length) throw new SamgpuError('sweep: cells: expected a non-empty list of {id, params}');
    const ids = new Set<string>();
    o.cells.forEach((c: unknown, i: number) => {
      const cell = c as { id?: unknown; params?: unknown };
      if (!cell || typeof cell.id !== 'string' || !/^[\w.-]+$/.test(cell.id)) throw new SamgpuError(`sweep: cells[${i}].id: expected letters, digits, _ . -, got ${JSON.stringify(cell?.id)}`);
      if (ids.has(cell.id)) throw new SamgpuError(`sweep: cells[${i}].id: '${cell.id}' appears twice`);
      ids.add(cell.id);
      if (!cell.params || typeof cell.params !== 'object' || Array.isArray(cell.params)) throw new SamgpuError(`sweep: cells[${i}].params: expected an object of dotted field → value`);
    });
  }
  return o as unknown as SweepSpec;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!cur[k] || typeof cur[k] !== 'object') cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
}

const short = (k: string) => k.split('.').pop()!;

/** Every cell of the grid. SGD cells drop ρ (it has none), so they are not repeated per ρ. */
export function expandSweep(spec: SweepSpec): SweepCell[] {
  let cells: { prefix: string; params: Record<string, unknown> }[] = (spec.cells ?? [{ id: '', params: {} }]).map((c) => ({ prefix: c.id, params: { ...c.params } }));
  for (const [k, values] of Object.entries(spec.grid)) cells = cells.flatMap((c) => values.map((v) => ({ prefix: c.prefix, params: { ...c.params, [k]: v } })));
  const seen = new Set<string>();
  const out: SweepCell[] = [];
  const gridKeys = Object.keys(spec.grid);
  for (const { prefix, params } of cells) {
    const p = { ...params };
    if (p['optimizer.name'] === 'sgd' && 'optimizer.rho' in p && !prefix) p['optimizer.rho'] = 0;
    // an explicit cell's id names it; the grid's values follow
    const named = prefix ? [prefix, ...gridKeys.map((k) => `${short(k)}-${String(p[k])}`)] : Object.entries(p).map(([k, v]) => `${short(k)}-${String(v)}`);
    const id = named.join('_').replace(/[^\w.-]/g, '') || 'base';
    if (seen.has(id)) continue;
    seen.add(id);
    const config = structuredClone(spec.base);
    for (const [k, v] of Object.entries(p)) setPath(config, k, v);
    config.name = `${spec.name}_${id}`.slice(0, 120);
    out.push({ id, config, params: p });
  }
  return out;
}
