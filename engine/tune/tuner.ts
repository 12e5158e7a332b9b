// The autotuner: finds the shape classes a piece of work uses (a plan pass that records the ops'
// kernel requests without dispatching anything), then per class self-checks every candidate on
// the device, times those that pass (timestamp queries where the adapter has them, else isolated
// replays: engine/tune/timing.ts), keeps the fastest, and stores the choice per adapter.
import type { Runtime } from '../runtime/runtime.ts';
import { SamgpuError } from '../device/errors.ts';
import { choiceId, currentChoices, tuneState, type ChoiceSite, type KernelChoices, type TuneMode } from './choices.ts';
import { FAMILIES } from './families.ts';
import { timeWork, timingMethod, type Disposable, type TimingMethod } from './timing.ts';
import { adapterIdentity, emptyTuneFile, parseTuneFile, tuneKey, type TuneEntry, type TuneFile, type TuneStore } from './store.ts';

export interface TuneOptions {
  /** Time shape classes again even when a choice is stored. */
  retune?: boolean;
  /** Timed rounds per candidate after a warm-up run (default 3). */
  rounds?: number;
  /** Timing method (default: timestamps where the adapter has them, else isolated replays). */
  method?: TimingMethod;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** One shape class's outcome, for tables. */
export interface TuneRow {
  family: string;
  key: string;
  /** The instance in words (its shapes). */
  instance: string;
  variant: string;
  defaultVariant: string;
  /** Device time per candidate timed (the fastest of its rounds), ms (absent: read from the store). */
  ms: Record<string, number>;
  rejected: Record<string, string>;
  /** The choice came from the store: nothing was timed. */
  cached: boolean;
}

/** A choice must beat the default by this much to replace it (timing noise must not flip choices). */
const MARGIN = 0.97;
/** Candidates this much slower than the best after the first round are not timed further. */
const PRUNE = 2;
/** Work per timed sample: short ops are repeated to about this long (timestamps are quantized). */
const SAMPLE_MS = 2;

interface Attached {
  store: TuneStore | null;
  key: string;
  file: TuneFile;
}
const attached = new WeakMap<Runtime, Attached>();

/**
 * Connects a runtime to its stored choices: loads those of this adapter and engine (any other
 * file is ignored: a driver or kernel change re-tunes) and sets the mode. `identity` adds to
 * what keys the adapter (a browser passes its user agent: adapters there often describe little).
 */
export async function attachTuneStore(rt: Runtime, store: TuneStore | null, mode: TuneMode = 'on', identity: Record<string, unknown> = {}): Promise<void> {
  const id = adapterIdentity(rt, identity);
  const key = tuneKey(id);
  const file = parseTuneFile(store ? await store.read(key) : null, id) ?? emptyTuneFile(id);
  attached.set(rt, { store, key, file });
  const s = tuneState(rt);
  s.mode = mode;
  s.known.clear();
  for (const [k, e] of Object.entries(file.entries)) s.known.set(k, e.variant);
}

/**
 * Runs `fn` with the runtime attached to `store` (tuner on), then puts back its previous store,
 * mode and known choices. The bench tunes in a fresh store this way.
 */
export async function withTuneStore<T>(rt: Runtime, store: TuneStore, fn: () => Promise<T>): Promise<T> {
  const prev = attached.get(rt);
  const s = tuneState(rt);
  const mode = s.mode;
  const known = new Map(s.known);
  await attachTuneStore(rt, store, 'on');
  try {
    return await fn();
  } finally {
    if (prev) attached.set(rt, prev);
    else attached.delete(rt);
    s.mode = mode;
    s.known.clear();
    for (const [k, v] of known) s.known.set(k, v);
  }
}

function attachment(rt: Runtime): Attached {
  let a = attached.get(rt);
  if (!a) {
    const id = adapterIdentity(rt);
    a = { store: null, key: tuneKey(id), file: emptyTuneFile(id) };
    attached.set(rt, a);
  }
  return a;
}

/** Where this runtime's choices are stored, in words. */
export function tuneStoreLocation(rt: Runtime): string {
  const a = attachment(rt);
  return a.store ? a.store.where(a.key) : 'nowhere (not stored)';
}

/** The stored entries of this runtime's adapter. */
export function storedEntries(rt: Runtime): Readonly<Record<string, TuneEntry>> {
  return attachment(rt).file.entries;
}

/**
 * The kernel requests `plan` makes, without running anything on the device: dispatches are
 * dropped while it runs (so it changes no parameter, statistic or gradient; it must not read
 * tensors back, since nothing was computed).
 */
export function planSites(rt: Runtime, plan: () => void): ChoiceSite[] {
  const s = tuneState(rt);
  const prevPlanning = s.planning;
  const dispatch = rt.dispatch;
  const copy = rt.copy;
  s.planning = new Map();
  rt.dispatch = () => {};
  rt.copy = () => {};
  try {
    plan();
  } finally {
    rt.dispatch = dispatch;
    rt.copy = copy;
  }
  const sites = [...s.planning.values()];
  s.planning = prevPlanning;
  return sites;
}

async function persist(rt: Runtime): Promise<void> {
  const a = attachment(rt);
  if (a.store) await a.store.write(a.key, JSON.stringify(a.file, null, 1));
}

/** null when `variant` passed its self-check for instances like `site` (run once per adapter), else why not. */
async function checked(rt: Runtime, site: ChoiceSite, variant: string): Promise<string | null> {
  const fam = FAMILIES.get(site.family)!;
  const file = attachment(rt).file;
  const id = `${site.family}:${variant}:${fam.checkKey(site.args)}`;
  if (!(id in file.checks)) {
    let why: string | null;
    try {
      why = await fam.selfCheck(rt, variant, site.args);
    } catch (e) {
      why = `failed to run: ${(e as Error).message.split('\n')[0]}`;
    }
    file.checks[id] = why;
  }
  return file.checks[id];
}

/** `run` repeated `reps` times, its outputs freed together. */
const repeated = (run: () => Disposable, reps: number) => (): Disposable => {
  const outs: Disposable[] = [];
  for (let i = 0; i < reps; i++) outs.push(run());
  return { dispose: () => outs.forEach((o) => o.dispose()) };
};

/** Self-checks and times the candidates of one site; returns its entry. */
async function tuneSite(rt: Runtime, site: ChoiceSite, method: TimingMethod, rounds: number): Promise<{ entry: TuneEntry; rejected: Record<string, string> }> {
  const fam = FAMILIES.get(site.family)!;
  const dflt = fam.defaultVariant(rt, site.args);
  const cands = [...new Set([dflt, ...fam.candidates(rt, site.args)])];
  const rejected: Record<string, string> = {};
  const ok: string[] = [];
  for (const v of cands) {
    const why = await checked(rt, site, v);
    if (why === null) ok.push(v);
    else rejected[v] = why;
  }
  const ms: Record<string, number> = {};
  if (ok.length === 0) return { entry: { variant: dflt, ms, rejected, args: site.args, method, at: new Date().toISOString() }, rejected };
  const wl = fam.workload(rt, site.args);
  try {
    const samples = new Map<string, number[]>();
    const runs = new Map<string, () => Disposable>();
    const repsOf = new Map<string, number>();
    for (const v of ok) {
      wl.run(v).dispose(); // compiles (lavapipe compiles at the first dispatch)
      await rt.sync();
      const once = await timeWork(rt, () => wl.run(v), method);
      const reps = Math.max(1, Math.min(16, Math.ceil(SAMPLE_MS / Math.max(once, 1e-3))));
      runs.set(v, repeated(() => wl.run(v), reps));
      repsOf.set(v, reps);
      samples.set(v, []);
    }
    let alive = [...ok];
    for (let r = 0; r < rounds; r++) {
      for (const v of alive) {
        const reps = runs.get(v)!;
        samples.get(v)!.push((await timeWork(rt, reps, method)) / repsOf.get(v)!);
      }
      if (r === 0) {
        const best = Math.min(...alive.map((v) => samples.get(v)![0]));
        alive = alive.filter((v) => v === dflt || samples.get(v)![0] <= PRUNE * best);
      }
    }
    // The fastest sample: other processes only ever add time (a contended core, a descheduled
    // worker), so the minimum estimates the kernel's own time best on a shared machine.
    for (const v of ok) ms[v] = Math.min(...samples.get(v)!);
  } finally {
    wl.dispose();
  }
  const timed = Object.keys(ms);
  let best = timed.reduce((a, b) => (ms[b] < ms[a] ? b : a));
  if (dflt in ms && ms[best] > MARGIN * ms[dflt]) best = dflt;
  return { entry: { variant: best, ms, rejected, args: site.args, method, at: new Date().toISOString() }, rejected };
}

/**
 * Tunes every site whose shape class has no stored choice (all of them with `retune`), stores
 * the choices, and returns a row per site. With the tuner off, nothing is timed: each row names
 * the default.
 */
export async function tuneSites(rt: Runtime, sites: readonly ChoiceSite[], opts: TuneOptions = {}): Promise<TuneRow[]> {
  const s = tuneState(rt);
  const a = attachment(rt);
  const method = opts.method ?? timingMethod(rt);
  const rows: TuneRow[] = [];
  const seen = new Set<string>();
  for (const site of sites) {
    const fam = FAMILIES.get(site.family);
    const id = choiceId(site.family, site.key);
    if (!fam || seen.has(id)) continue;
    seen.add(id);
    const dflt = fam.defaultVariant(rt, site.args);
    const row: TuneRow = { family: site.family, key: site.key, instance: fam.describe(site.args), variant: dflt, defaultVariant: dflt, ms: {}, rejected: {}, cached: false };
    if (s.mode === 'off') {
      rows.push(row);
      continue;
    }
    const known = s.known.get(id);
    if (known !== undefined && !opts.retune) {
      const stored = a.file.entries[id];
      rows.push({ ...row, variant: known, ms: stored?.ms ?? {}, rejected: stored?.rejected ?? {}, cached: true });
      continue;
    }
    const t0 = performance.now();
    const { entry, rejected } = await tuneSite(rt, site, method, opts.rounds ?? 3);
    a.file.entries[id] = entry;
    s.known.set(id, entry.variant);
    await persist(rt);
    rows.push({ ...row, variant: entry.variant, ms: entry.ms, rejected });
    const f = (v: string) => (entry.ms[v] === undefined ? '—' : `${entry.ms[v].toFixed(3)} ms`);
    opts.log?.(`${site.family} ${row.instance}: ${entry.variant} ${f(entry.variant)}, default ${dflt} ${f(dflt)} (${Object.keys(entry.ms).length} timed, ${Object.keys(rejected).length} rejected, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  return rows;
}

/**
 * Tunes what `plan` uses (see planSites) and returns the choices a run starting now should pin.
 * With the tuner off: nothing is timed and the choices are empty (every op uses its default).
 */
export async function autotune(rt: Runtime, plan: () => void, opts: TuneOptions = {}): Promise<{ choices: KernelChoices; rows: TuneRow[] }> {
  if (tuneState(rt).mode === 'off') return { choices: {}, rows: [] };
  const rows = await tuneSites(rt, planSites(rt, plan), opts);
  return { choices: currentChoices(rt), rows };
}

/** Validates a `SAMGPU_TUNE`-style setting ("on", "off" or unset). */
export function tuneModeOf(value: string | undefined, source = 'SAMGPU_TUNE'): TuneMode {
  if (value === undefined || value === '' || value === 'on' || value === '1') return 'on';
  if (value === 'off' || value === '0') return 'off';
  throw new SamgpuError(`${source}=${value}: expected on or off`);
}
