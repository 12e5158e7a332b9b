// The Slurm backend's pure parts: options (from sweep.json's "slurm" section and the CLI), the
// sbatch script of a job array (one task per cell), and parsers for squeue/sacct output.
import { SamgpuError } from '../../engine/device/errors.ts';

export interface SlurmOptions {
  partition?: string;
  /** sbatch --time: minutes, HH:MM:SS, D-HH:MM:SS, … */
  time?: string;
  /** --cpus-per-task */
  cpus?: number;
  /** --mem, e.g. "32G" */
  mem?: string;
  /** --gres=gpu:N */
  gpus?: number;
  /** At most this many tasks of the array at once (--array=…%N). */
  maxRunning?: number;
  /** Seconds before the time limit at which the task is told to checkpoint and requeue (--signal=B:USR1@grace). */
  grace?: number;
  /** More sbatch options, one per entry ("--account=abc" or "#SBATCH --account=abc"). */
  sbatch?: string[];
  /** Shell lines run on the compute node before samgpu (module load …, source venv, export …). */
  setup?: string[];
  /** The node binary on the compute nodes (default: `node` on the PATH after the setup lines). */
  node?: string;
}

export const DEFAULT_GRACE_S = 120;

const fail = (field: string, expected: string, got: unknown): never => {
  throw new SamgpuError(`sweep: slurm.${field}: expected ${expected}, got ${JSON.stringify(got)}`);
};

/** Check a "slurm" options object; unknown fields and bad values throw with the field named. */
export function validateSlurmOptions(x: unknown): SlurmOptions {
  if (x === undefined || x === null) return {};
  if (typeof x !== 'object' || Array.isArray(x)) fail('(root)', 'an object', x);
  const o = x as Record<string, unknown>;
  const known = ['partition', 'time', 'cpus', 'mem', 'gpus', 'maxRunning', 'grace', 'sbatch', 'setup', 'node'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new SamgpuError(`sweep: slurm.${k}: unknown field (known: ${known.join(', ')})`);
  const out: SlurmOptions = {};
  const str = (k: 'partition' | 'mem' | 'node', re: RegExp, what: string) => {
    if (o[k] === undefined) return;
    if (typeof o[k] !== 'string' || !re.test(o[k] as string)) fail(k, what, o[k]);
    out[k] = o[k] as string;
  };
  const int = (k: 'cpus' | 'gpus' | 'maxRunning' | 'grace', min: number) => {
    if (o[k] === undefined) return;
    if (typeof o[k] !== 'number' || !Number.isInteger(o[k]) || (o[k] as number) < min) fail(k, `an integer >= ${min}`, o[k]);
    out[k] = o[k] as number;
  };
  str('partition', /^[\w.,-]+$/, 'a partition name');
  str('mem', /^\d+[KMGT]?$/i, 'a size such as 32G');
  str('node', /^[^\s'"]+$/, 'a path without spaces or quotes');
  if (o.time !== undefined) {
    const t = o.time;
    if (typeof t !== 'string' || !/^(\d+-)?\d+(:\d+){0,2}$/.test(t)) fail('time', 'a Slurm time such as 90, 04:00:00 or 1-12:00:00', t);
    out.time = t as string;
  }
  int('cpus', 1);
  int('gpus', 0);
  int('maxRunning', 1);
  int('grace', 0);
  for (const k of ['sbatch', 'setup'] as const) {
    if (o[k] === undefined) continue;
    const v = o[k];
    if (!Array.isArray(v) || v.some((l) => typeof l !== 'string' || /[\r\n]/.test(l))) fail(k, 'a list of one-line strings', v);
    out[k] = v as string[];
  }
  return out;
}

/** Later options override earlier ones, lists included (CLI flags over sweep.json's "slurm" section). */
export function mergeSlurmOptions(...all: SlurmOptions[]): SlurmOptions {
  const out: Record<string, unknown> = {};
  for (const o of all) for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as SlurmOptions;
}

/** 0,1,2,3,7,9,10 → "0-3,7,9-10". */
export function arrayRanges(indices: number[]): string {
  const xs = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The sbatch script: an array with one task per listed cell index. Each task execs
 * `samgpu sweep cell <dir> --index $SLURM_ARRAY_TASK_ID` (which runs or resumes the cell), so
 * the Node process is the batch shell and gets `--signal=B:USR1@grace` itself.
 */
export function sbatchScript(a: { sweepDir: string; name: string; indices: number[]; cli: string; options: SlurmOptions }): string {
  if (/[\s'"\\]/.test(a.sweepDir)) throw new SamgpuError(`sweep: the results path ${JSON.stringify(a.sweepDir)} has a space or quote, which #SBATCH lines cannot hold; choose another --results folder`);
  if (!a.indices.length) throw new SamgpuError('sweep: no cells to submit');
  const o = a.options;
  const lines = [
    '#!/bin/bash',
    `# samgpu sweep ${a.name}: one array task per cell; task N runs the cell with index N in`,
    `# ${a.sweepDir}/cells.json. Written by \`samgpu sweep --backend slurm\`, submitted with sbatch.`,
    `#SBATCH --job-name=samgpu-${a.name}`,
    `#SBATCH --array=${arrayRanges(a.indices)}${o.maxRunning ? `%${o.maxRunning}` : ''}`,
    `#SBATCH --output=${a.sweepDir}/slurm/logs/%A_%a.out`,
    '#SBATCH --open-mode=append',
    // Preempted or failed-node tasks go back to the queue; USR1 before the time limit makes
    // the task checkpoint and requeue itself (see `samgpu sweep cell`).
    '#SBATCH --requeue',
    `#SBATCH --signal=B:USR1@${o.grace ?? DEFAULT_GRACE_S}`,
  ];
  if (o.partition) lines.push(`#SBATCH --partition=${o.partition}`);
  if (o.time) lines.push(`#SBATCH --time=${o.time}`);
  if (o.cpus) lines.push(`#SBATCH --cpus-per-task=${o.cpus}`);
  if (o.mem) lines.push(`#SBATCH --mem=${o.mem}`);
  if (o.gpus) lines.push(`#SBATCH --gres=gpu:${o.gpus}`);
  for (const l of o.sbatch ?? []) lines.push(l.trim().startsWith('#SBATCH') ? l.trim() : `#SBATCH ${l.trim()}`);
  lines.push('', ...(o.setup ?? []));
  lines.push(`exec ${o.node ?? 'node'} ${shq(a.cli)} sweep cell ${shq(a.sweepDir)} --index "$SLURM_ARRAY_TASK_ID"`, '');
  return lines.join('\n');
}

export interface QueueEntry {
  arrayJobId: string;
  taskId: string;
  jobId: string;
  state: string;
  reason: string;
  nodes: string;
}

/** `squeue -h -r -o '%F|%K|%A|%T|%r|%N'` lines. */
export const SQUEUE_FORMAT = '%F|%K|%A|%T|%r|%N';

export function parseSqueue(text: string): QueueEntry[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [arrayJobId, taskId, jobId, state, reason, nodes] = l.split('|');
      return { arrayJobId, taskId, jobId, state, reason: reason ?? '', nodes: nodes ?? '' };
    })
    .filter((e) => e.state !== undefined);
}

export interface AcctEntry {
  /** "123_4" for an array task. */
  jobId: string;
  state: string;
  exitCode: string;
  nodes: string;
}

/** `sacct -n -P -X -o JobID,State,ExitCode,NodeList` lines. */
export function parseSacct(text: string): AcctEntry[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [jobId, state, exitCode, nodes] = l.split('|');
      return { jobId, state: state ?? '', exitCode: exitCode ?? '', nodes: nodes ?? '' };
    });
}

/** squeue states in which a task still holds or waits for resources. */
export const ACTIVE_STATES = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED', 'RESV_DEL_HOLD', 'SPECIAL_EXIT']);
export const PENDING_STATES = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SPECIAL_EXIT']);
