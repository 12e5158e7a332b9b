// A sweep's folder, shared by every backend:
//   <results>/<name>/sweep.json            the spec as last submitted
//   <results>/<name>/cells.json            index ↔ cell id, append-only (array task N runs index N)
//   <results>/<name>/cells/<id>.json       each cell's full, validated config
//   <results>/<name>/runs/<id>-<hash>/     the run (`samgpu run` writes config.json, metrics.jsonl,
//                                          checkpoint.safetensors, final.json) plus the cell's
//                                          cell-status.json and cell.log (see cell-process.node.ts);
//                                          <hash> is the cell config's (run-id.ts): a sweep submitted
//                                          again with another base config runs its cells afresh
//                                          instead of resuming, or counting as done, the old runs
//   <results>/<name>/backend.json          the backend and its options (resubmit reuses them)
//   <results>/<name>/slurm/                sbatch scripts, jobs.jsonl, logs/ (slurm.node.ts)
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SamgpuError } from '../../engine/device/errors.ts';
import { validateConfig, type RunConfig } from './config.ts';
import { configHash } from './run-id.ts';
import { presetConfig, PRESETS } from './presets.ts';
import { expandSweep, validateSweep, type SweepSpec } from './sweep.ts';
import { writeJsonAtomic } from './files.node.ts';

export interface SweepCellEntry {
  /** Stable index: the Slurm array task id of this cell. */
  index: number;
  id: string;
  params: Record<string, unknown>;
  configPath: string;
  runDir: string;
}

export interface SweepDir {
  dir: string;
  spec: SweepSpec;
  /** The cells of the spec's grid, in grid order. */
  cells: SweepCellEntry[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

function deepMerge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Json, v) : v;
  return out;
}

/** A cell config with `preset` resolved (the preset's fields under the cell's own). */
export function resolvePreset(config: Json): Json {
  const { preset, ...rest } = config;
  if (preset === undefined) return rest;
  if (typeof preset !== 'string' || !PRESETS[preset]) throw new SamgpuError(`sweep: base.preset: expected one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(preset)}`);
  return deepMerge(presetConfig(preset), rest);
}

export const sweepPaths = (dir: string) => ({
  spec: join(dir, 'sweep.json'),
  cells: join(dir, 'cells.json'),
  backend: join(dir, 'backend.json'),
  slurm: join(dir, 'slurm'),
  cellConfig: (id: string) => join(dir, 'cells', `${id}.json`),
  runDir: (id: string, cfg: RunConfig) => join(dir, 'runs', `${id}-${configHash(cfg)}`),
});

/** A cell's validated config (the preset resolved); errors name the cell. */
function cellConfig(cell: { id: string; config: Record<string, unknown> }): RunConfig {
  try {
    return validateConfig(resolvePreset(cell.config));
  } catch (e) {
    throw new SamgpuError(`sweep: cell ${cell.id}: ${(e as Error).message}`);
  }
}

interface CellsFile {
  cells: { index: number; id: string; params: Record<string, unknown> }[];
}

function readCells(dir: string): CellsFile['cells'] {
  const p = sweepPaths(dir).cells;
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as CellsFile).cells : [];
}

function entries(dir: string, spec: SweepSpec, known: CellsFile['cells']): SweepCellEntry[] {
  const byId = new Map(known.map((c) => [c.id, c.index]));
  const paths = sweepPaths(dir);
  return expandSweep(spec).map((c) => {
    const index = byId.get(c.id);
    if (index === undefined) throw new SamgpuError(`sweep: cell ${c.id} is not in ${paths.cells} (submit the sweep again)`);
    return { index, id: c.id, params: c.params, configPath: paths.cellConfig(c.id), runDir: paths.runDir(c.id, cellConfig(c)) };
  });
}

/**
 * Write the sweep's folder for `spec` under `resultsDir`: sweep.json, the cell configs (each
 * validated now, so a bad grid fails here and not in a hundred array tasks), and cells.json,
 * where new cells get new indices and known cells keep theirs.
 */
export function prepareSweep(spec: SweepSpec, resultsDir: string): SweepDir {
  const dir = resolve(resultsDir, spec.name);
  const paths = sweepPaths(dir);
  const known = readCells(dir);
  const ids = new Set(known.map((c) => c.id));
  let next = known.reduce((m, c) => Math.max(m, c.index + 1), 0);
  for (const cell of expandSweep(spec)) {
    const cfg = cellConfig(cell);
    writeJsonAtomic(paths.cellConfig(cell.id), cfg);
    if (!ids.has(cell.id)) {
      known.push({ index: next++, id: cell.id, params: cell.params });
      ids.add(cell.id);
    }
  }
  writeJsonAtomic(paths.spec, spec);
  writeJsonAtomic(paths.cells, { cells: known } satisfies CellsFile);
  return { dir, spec, cells: entries(dir, spec, known) };
}

/** An existing sweep folder (written by prepareSweep). */
export function loadSweepDir(dir: string): SweepDir {
  const abs = resolve(dir);
  const paths = sweepPaths(abs);
  if (!existsSync(paths.spec) || !existsSync(paths.cells)) {
    throw new SamgpuError(`sweep: ${abs} is not a sweep folder (no sweep.json and cells.json; it is written by \`samgpu sweep <sweep.json>\`)`);
  }
  const spec = validateSweep(JSON.parse(readFileSync(paths.spec, 'utf8')));
  return { dir: abs, spec, cells: entries(abs, spec, readCells(abs)) };
}

/** The cell an array task runs: any index cells.json knows (also cells since dropped from the grid). */
export function cellByIndex(sweep: SweepDir, index: number): SweepCellEntry {
  const c = sweep.cells.find((x) => x.index === index);
  if (c) return c;
  const known = readCells(sweep.dir).find((x) => x.index === index);
  if (!known) throw new SamgpuError(`sweep: no cell with index ${index} in ${sweepPaths(sweep.dir).cells}`);
  const p = sweepPaths(sweep.dir);
  // a cell since dropped from the grid: its config as last written
  const configPath = p.cellConfig(known.id);
  let cfg: RunConfig;
  try {
    cfg = validateConfig(JSON.parse(readFileSync(configPath, 'utf8')));
  } catch (e) {
    throw new SamgpuError(`sweep: cell ${known.id} (index ${index}): ${configPath}: ${(e as Error).message}`);
  }
  return { index, id: known.id, params: known.params, configPath, runDir: p.runDir(known.id, cfg) };
}

export const isDone = (cell: SweepCellEntry): boolean => existsSync(join(cell.runDir, 'final.json'));

export type BackendName = 'local' | 'slurm';

export interface BackendFile {
  backend: BackendName;
  /** Options of the backend (slurm: SlurmOptions). */
  options: Record<string, unknown>;
}

export function readBackend(dir: string): BackendFile | null {
  const p = sweepPaths(dir).backend;
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as BackendFile) : null;
}

export function writeBackend(dir: string, b: BackendFile): void {
  writeJsonAtomic(sweepPaths(dir).backend, b);
}
