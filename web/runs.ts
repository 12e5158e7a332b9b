// The page's runs, kept so SGD, SAM and LSAM can be overlaid on one chart: each run has an id, a
// colour (its optimizer's, in a new shade for each further run of that optimizer:
// experiments/chart-style.ts), a short label for legends, and what it measured so far.
// Pure (no DOM): the Node tests use it too.
import { runColor } from '../experiments/chart-style.ts';
import type { EvalPoint, LivePoint, LiveUpdate, ProbePoint } from './live/loop.ts';
import { defaultSettings, type LiveDataset, type LiveSettings } from './live/settings.ts';

export type RunStatus = 'running' | 'done' | 'stopped' | 'failed';

export interface PageRun {
  id: number;
  settings: LiveSettings;
  color: string;
  /** Short, for legends: "#2 SAM ρ 0.05" (+ lr and seed where not the defaults). */
  label: string;
  points: LivePoint[];
  probes: ProbePoint[];
  evals: EvalPoint[];
  /** The latest monitored step's λ / λ̃ (Lorenz curves). */
  last: LiveUpdate | null;
  status: RunStatus;
  seconds: number;
}

export const isSam = (r: PageRun) => r.settings.optimizer !== 'sgd';

export function runLabel(id: number, s: LiveSettings): string {
  const d = defaultSettings(s.dataset, s.optimizer);
  const parts = [`#${id}`, s.optimizer.toUpperCase()];
  if (s.optimizer !== 'sgd') parts.push(`ρ ${s.rho}`);
  if (s.lr !== d.lr) parts.push(`lr ${s.lr}`);
  if (s.seed !== 0) parts.push(`s${s.seed}`);
  return parts.join(' ');
}

export class RunStore {
  readonly runs: PageRun[] = [];
  #nextId = 1;
  /** Runs started per optimizer (never decremented, so a removed run's shade is not reused at once). */
  #started = new Map<string, number>();

  add(settings: LiveSettings): PageRun {
    const id = this.#nextId++;
    const k = this.#started.get(settings.optimizer) ?? 0;
    this.#started.set(settings.optimizer, k + 1);
    const run: PageRun = {
      id, settings, color: runColor(settings.optimizer, k), label: runLabel(id, settings),
      points: [], probes: [], evals: [], last: null, status: 'running', seconds: 0,
    };
    this.runs.push(run);
    return run;
  }

  remove(id: number): void {
    const i = this.runs.findIndex((r) => r.id === id);
    if (i >= 0 && this.runs[i].status !== 'running') this.runs.splice(i, 1);
  }

  /** Remove every finished run (a running one stays). */
  clear(): void {
    const keep = this.runs.filter((r) => r.status === 'running');
    this.runs.splice(0, this.runs.length, ...keep);
    if (!keep.length) this.#started.clear();
  }

  /** The runs drawn for a dataset (runs of the other dataset stay in the list). */
  of(dataset: LiveDataset): PageRun[] {
    return this.runs.filter((r) => r.settings.dataset === dataset);
  }
}
