// Which kernel variant each op uses, per runtime: the synchronous side of tuning, imported by
// the ops (engine/tune/tuner.ts is the asynchronous side, which times the candidates).
//
// A choice is keyed by op family and shape class ("matmul" + "nt/a4/M128/N2/K4096/b1"): every
// shape of a class uses one variant. Where no choice is known the op uses its built-in default
// (the hand-picked kernel per adapter), so `SAMGPU_TUNE=off` and a fresh cache behave alike.
//
// Bit-exactness: different kernels round differently, so a run pins the choices it started with
// (`pinChoices`) and records them in its checkpoints; a resume pins the recorded ones.
import type { Runtime } from '../runtime/runtime.ts';

/** `family|key` → variant id. */
export type KernelChoices = Record<string, string>;

/** on: use the tuned choices (and let `autotune` time new shape classes); off: built-in defaults only. */
export type TuneMode = 'on' | 'off';

/** One place an op asked for a kernel: its family, shape class and the arguments that replay it. */
export interface ChoiceSite {
  family: string;
  key: string;
  /** The op's own description of the instance (shapes, flags), enough for the tuner to rebuild it. */
  args: Record<string, unknown>;
}

export const choiceId = (family: string, key: string) => `${family}|${key}`;

class TuneState {
  mode: TuneMode = 'on';
  /** Choices known for this adapter: loaded from the cache and found by tuning. */
  readonly known = new Map<string, string>();
  /** A run's snapshot: while set, only these choices apply (everything else: the default). */
  pinned: Map<string, string> | null = null;
  /** Sites seen while a plan pass runs (see tuner.ts). */
  planning: Map<string, ChoiceSite> | null = null;
  /** Forced variants by family (tests, benchmarks): override every other source. */
  readonly forced = new Map<string, string>();
}

const states = new WeakMap<Runtime, TuneState>();

export function tuneState(rt: Runtime): TuneState {
  let s = states.get(rt);
  if (!s) states.set(rt, (s = new TuneState()));
  return s;
}

/**
 * The variant id to use for one op instance, or null for the op's default. `args` is called
 * only while planning (it describes the instance for the tuner).
 */
export function chooseVariant(rt: Runtime, family: string, key: string, args: () => Record<string, unknown>): string | null {
  const s = states.get(rt);
  if (!s) return null;
  const id = choiceId(family, key);
  if (s.planning && !s.planning.has(id)) s.planning.set(id, { family, key, args: args() });
  const forced = s.forced.get(family);
  if (forced !== undefined) return forced;
  // A pin (a run's recorded choices) holds even with the tuner off: a resume must compute
  // what the run computed. Fresh runs with the tuner off pin nothing, i.e. the defaults.
  if (s.pinned) return s.pinned.get(id) ?? null;
  if (s.mode === 'off') return null;
  return s.known.get(id) ?? null;
}

export function setTuneMode(rt: Runtime, mode: TuneMode): void {
  tuneState(rt).mode = mode;
}

/** The choices a run starting now would use (what `pinChoices` takes back). */
export function currentChoices(rt: Runtime): KernelChoices {
  const s = tuneState(rt);
  if (s.mode === 'off') return {};
  return Object.fromEntries(s.pinned ?? s.known);
}

/**
 * Use exactly `choices` (nothing else tuned, cached or found later) until `unpin`; returns the
 * previous pin so nested runs restore it.
 */
export function pinChoices(rt: Runtime, choices: KernelChoices): Map<string, string> | null {
  const s = tuneState(rt);
  const prev = s.pinned;
  s.pinned = new Map(Object.entries(choices));
  return prev;
}

export function unpinChoices(rt: Runtime, previous: Map<string, string> | null = null): void {
  tuneState(rt).pinned = previous;
}

/** Force `variant` for every op of `family` (null: stop forcing). For tests and benchmarks. */
export function forceVariant(rt: Runtime, family: string, variant: string | null): void {
  const s = tuneState(rt);
  if (variant === null) s.forced.delete(family);
  else s.forced.set(family, variant);
}

/** Power-of-two bucket of a size (1, 2, 4, …): shapes in one bucket share a choice. */
export function bucket(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}
