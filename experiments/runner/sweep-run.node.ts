// Running a sweep's cells: the local backend (a pool of `samgpu run` processes on this machine),
// the Slurm backend (one job array, see slurm.node.ts), and one Slurm array task
// (`samgpu sweep cell`), which runs or resumes its cell and handles the scheduler's signals.
import { availableParallelism } from 'node:os';
import { SamgpuError } from '../../engine/device/errors.ts';
import { cellByIndex, isDone, type BackendFile, type SweepCellEntry, type SweepDir } from './sweep-dir.node.ts';
import { CLI_PATH, readCellRecord, startCell, statusPath, type CellAttempt, type CellRecord } from './cell-process.node.ts';
import { requeueJob, submitArray, type Submission } from './slurm.node.ts';
import type { SlurmOptions } from './slurm.ts';
import { sweepStatus } from './sweep-status.node.ts';
import { writeJsonAtomic } from './files.node.ts';

export interface LocalResult {
  done: number;
  failed: number;
  stopped: number;
  /** The signal that stopped the pool, if any. */
  signal: string | null;
}

/** Run `cells` with at most `jobs` processes at once; SIGINT/SIGTERM checkpoint the running ones and stop. */
export async function runLocal(cells: SweepCellEntry[], opts: { jobs: number; log?: (line: string) => void }): Promise<LocalResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const jobs = Math.max(1, Math.min(opts.jobs, cells.length));
  // lavapipe starts a thread per core in every process; share the cores instead (no effect on GPUs)
  const env = { ...process.env };
  if (jobs > 1 && !env.LP_NUM_THREADS) env.LP_NUM_THREADS = String(Math.max(1, Math.floor(availableParallelism() / jobs)));
  const queue = [...cells];
  const active = new Set<CellAttempt>();
  const out: LocalResult = { done: 0, failed: 0, stopped: 0, signal: null };
  const onSignal = (sig: NodeJS.Signals) => {
    if (!out.signal) log(`${sig}: checkpointing the ${active.size} running cell(s), starting no more`);
    out.signal ??= sig;
    // the children have process groups of their own (Ctrl-C reaches only this process): one
    // SIGTERM each checkpoints them, a second signal here makes them exit at once
    for (const a of active) a.stop(sig, true);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let finished = 0;
  const worker = async () => {
    while (!out.signal && queue.length) {
      const cell = queue.shift()!;
      let summary = '';
      const a = startCell(cell, { backend: 'local', env, detached: true, onSummary: (l) => (summary = l) });
      active.add(a);
      const rec = await a.done;
      active.delete(a);
      finished++;
      if (rec.state === 'done') out.done++;
      else if (rec.state === 'stopped') out.stopped++;
      else out.failed++;
      log(`[${finished}/${cells.length}] ${cell.id}: ${rec.state === 'done' ? summary || 'done' : `${rec.state}: ${rec.reason}`}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return out;
}

/** The cells to (re)submit: neither done nor queued/running now. */
export function cellsToRun(sweep: SweepDir): SweepCellEntry[] {
  const st = sweepStatus(sweep);
  // never submit a cell twice: without squeue, queued cells look idle
  if (st.queueUnknown) throw new SamgpuError(`sweep: cannot tell which cells are still queued (${st.notes[0]}); run this where squeue works`);
  const idle = new Set(st.rows.filter((r) => r.status !== 'done' && !r.active).map((r) => r.index));
  return sweep.cells.filter((c) => idle.has(c.index));
}

export type LaunchResult = { backend: 'local'; result: LocalResult } | { backend: 'slurm'; submission: Submission };

export async function launch(sweep: SweepDir, cells: SweepCellEntry[], backend: BackendFile, opts: { jobs?: number; dryRun?: boolean; log?: (l: string) => void } = {}): Promise<LaunchResult> {
  if (backend.backend === 'slurm') return { backend: 'slurm', submission: submitArray(sweep, cells.map((c) => c.index), backend.options as SlurmOptions, CLI_PATH, opts.dryRun) };
  return { backend: 'local', result: await runLocal(cells, { jobs: opts.jobs ?? 1, log: opts.log }) };
}

/**
 * One array task: run or resume the cell with this index. Exit code 0 done, 130 stopped
 * (checkpointed), 1 failed. Signals: SIGTERM/SIGINT (scancel, preemption, the time limit) are
 * not forwarded: Slurm sends them to every process of the job, so the run has its own, and a
 * second one would make it exit without checkpointing. SIGUSR1 (`--signal=B:USR1@grace`, the
 * time-limit warning, sent to this batch process only) is forwarded as SIGTERM, and once the run
 * has checkpointed the task requeues itself with `scontrol requeue`.
 */
export async function runCellTask(sweep: SweepDir, index: number, log: (l: string) => void = (l) => console.log(l)): Promise<number> {
  const cell = cellByIndex(sweep, index);
  if (isDone(cell)) {
    log(`${cell.id}: already done`);
    return 0;
  }
  const env = { ...process.env };
  if (!env.LP_NUM_THREADS && env.SLURM_CPUS_PER_TASK) env.LP_NUM_THREADS = env.SLURM_CPUS_PER_TASK;
  const a = startCell(cell, { backend: env.SLURM_JOB_ID ? 'slurm' : 'local', env, onSummary: log });
  log(`${cell.id}: attempt ${readCellRecord(cell)?.attempt ?? '?'} started`);
  let timeLimit = false;
  const onTerm = (sig: NodeJS.Signals) => a.stop(sig === 'SIGINT' ? 'SIGINT' : 'SIGTERM (scancel, preemption or the time limit)', false);
  const onUsr1 = () => {
    timeLimit = true;
    log(`${cell.id}: time limit near (SIGUSR1): checkpointing, then requeueing`);
    a.stop('the time-limit warning (SIGUSR1)', true);
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  process.on('SIGUSR1', onUsr1);
  const rec: CellRecord = await a.done;
  if (rec.state === 'stopped' && timeLimit && env.SLURM_JOB_ID) {
    // This task only: the last task of an array shares its job id with the whole array.
    const self = env.SLURM_ARRAY_JOB_ID && env.SLURM_ARRAY_TASK_ID ? `${env.SLURM_ARRAY_JOB_ID}_${env.SLURM_ARRAY_TASK_ID}` : env.SLURM_JOB_ID;
    // Record and log first: the requeue terminates this job.
    rec.reason = `${(rec.reason ?? 'stopped').replace(/; a resubmit resumes.*$/, '')}; requeued itself (scontrol requeue ${self}) to resume there`;
    writeJsonAtomic(statusPath(cell), rec);
    log(`${cell.id}: ${rec.state}: ${rec.reason}`);
    const r = requeueJob(self);
    if (!r.ok) {
      rec.reason = rec.reason.replace(/; requeued itself .*$/, `; scontrol requeue ${self} failed: ${r.message}; a resubmit resumes it there`);
      writeJsonAtomic(statusPath(cell), rec);
      log(`${cell.id}: ${rec.reason}`);
    }
  } else log(`${cell.id}: ${rec.state}${rec.reason ? `: ${rec.reason}` : ''}`);
  return rec.state === 'done' ? 0 : rec.state === 'stopped' ? 130 : 1;
}
