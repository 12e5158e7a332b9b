// `samgpu sweep status`: each cell done / running / pending / failed, from its run folder
// (final.json, cell-status.json) and, for cells submitted to Slurm, squeue (and sacct where
// accounting is on); failed cells carry the reason (exit code and stderr, the signal that
// stopped them, or Slurm's state and the batch log when the task never reported).
import { alive } from '../io.node.ts';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isDone, readBackend, type BackendName, type SweepCellEntry, type SweepDir } from './sweep-dir.node.ts';
import { failureLine, logPath, readCellRecord, type CellRecord } from './cell-process.node.ts';
import { acctOf, queueOf, readSubmissions, slurmLogTail, type Submission } from './slurm.node.ts';
import { ACTIVE_STATES, PENDING_STATES, type AcctEntry, type QueueEntry } from './slurm.ts';

export type CellStatus = 'done' | 'running' | 'pending' | 'failed';

export interface CellStatusRow {
  index: number;
  id: string;
  status: CellStatus;
  /** Queued or running now (in squeue, or a live local process): not to be submitted again. */
  active: boolean;
  /** Where it runs / why it waits / why it failed. */
  detail: string;
  /** The Slurm task (`<array job>_<index>`) of its latest submission. */
  task?: string;
}

export interface SweepStatus {
  dir: string;
  name: string;
  backend: BackendName;
  jobs: string[];
  rows: CellStatusRow[];
  counts: Record<CellStatus, number>;
  /** Problems reaching Slurm. */
  notes: string[];
  /** squeue failed: which submitted cells are still queued is unknown. */
  queueUnknown: boolean;
}

function progress(cell: SweepCellEntry): string {
  const m = join(cell.runDir, 'metrics.jsonl');
  const epochs = existsSync(m) ? readFileSync(m, 'utf8').split('\n').filter((l) => l.trim()).length : 0;
  let total = '?';
  try {
    const c = JSON.parse(readFileSync(cell.configPath, 'utf8'));
    total = c.epochs === undefined && c.steps !== undefined ? `? (${c.steps} steps)` : String(c.epochs);
  } catch {
    /* config missing: leave '?' */
  }
  return `${epochs}/${total} epochs done`;
}

/** A run that died without writing its outcome: what its log says last. */
function lastLogLine(cell: SweepCellEntry): string {
  if (!existsSync(logPath(cell))) return '';
  const lines = readFileSync(logPath(cell), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('== '));
  return lines.length ? `; last output: ${failureLine(lines.slice(-20))}` : '';
}

function localRow(cell: SweepCellEntry, rec: CellRecord | null): Omit<CellStatusRow, 'index' | 'id'> {
  if (!rec) return { status: 'pending', active: false, detail: 'not started' };
  if (rec.state === 'running') {
    if (rec.host !== hostname()) return { status: 'running', active: true, detail: `on ${rec.host} (pid ${rec.pid}, not checked from here), ${progress(cell)}` };
    // the pool (pid) or its detached child may outlive the other
    if (alive(rec.pid) || (rec.childPid !== undefined && alive(rec.childPid))) return { status: 'running', active: true, detail: `pid ${rec.childPid ?? rec.pid} on ${rec.host}, ${progress(cell)}` };
    return { status: 'failed', active: false, detail: `attempt ${rec.attempt} (pid ${rec.pid}) ended without reporting (killed?)${lastLogLine(cell)}` };
  }
  return { status: 'failed', active: false, detail: rec.reason ?? rec.state };
}

function slurmRow(
  sweep: SweepDir,
  cell: SweepCellEntry,
  rec: CellRecord | null,
  sub: Submission,
  q: QueueEntry | undefined,
  acct: () => Map<string, AcctEntry>,
): Omit<CellStatusRow, 'index' | 'id'> {
  const task = `${sub.jobId}_${cell.index}`;
  if (q && PENDING_STATES.has(q.state)) {
    const again = rec ? `; attempt ${rec.attempt + 1}, resumes from its checkpoint` : '';
    return { status: 'pending', active: true, task, detail: `queued as ${task} (${q.state}${q.reason && q.reason !== 'None' ? `: ${q.reason}` : ''})${again}` };
  }
  if (q && ACTIVE_STATES.has(q.state)) return { status: 'running', active: true, task, detail: `${task} ${q.state} on ${q.nodes || '?'}, ${progress(cell)}` };
  const mine = rec?.slurm?.arrayJobId === sub.jobId;
  if (mine && rec!.state !== 'running') return { status: 'failed', active: false, task, detail: `${task}: ${rec!.reason ?? rec!.state}` };
  // The task ended without samgpu reporting: ask Slurm why, and show the batch log.
  const a = acct().get(task);
  const slurmSays = a ? `Slurm: ${a.state}, exit code ${a.exitCode}` : q ? `Slurm: ${q.state}` : 'Slurm no longer lists it';
  const log = slurmLogTail(sweep.dir, sub.jobId, cell.index, 3);
  const what = mine ? `attempt ${rec!.attempt} ended without reporting` : 'the task never started samgpu';
  return { status: 'failed', active: false, task, detail: `${task}: ${what} (${slurmSays})${log.length ? `; batch log: ${log.join(' | ')}` : ''}${mine ? lastLogLine(cell) : ''}` };
}

export function sweepStatus(sweep: SweepDir): SweepStatus {
  const backend = readBackend(sweep.dir)?.backend ?? 'local';
  const subs = readSubmissions(sweep.dir);
  const jobs = subs.map((s) => s.jobId).filter(Boolean);
  const notes: string[] = [];
  const queue = new Map<string, QueueEntry>();
  if (jobs.length) {
    const q = queueOf(jobs);
    if (q.error) notes.push(`${q.error} (states of submitted cells come from their run folders only)`);
    for (const e of q.entries) queue.set(`${e.arrayJobId}_${e.taskId}`, e);
  }
  const queueKnown = !notes.length;
  let acctCache: Map<string, AcctEntry> | null = null;
  const acct = () => {
    if (!acctCache) {
      const r = acctOf(jobs);
      if (r.error) notes.push(`${r.error} (no accounting: failure reasons from the batch logs)`);
      acctCache = new Map(r.entries.map((e) => [e.jobId, e]));
    }
    return acctCache;
  };
  const rows: CellStatusRow[] = sweep.cells.map((cell) => {
    const base = { index: cell.index, id: cell.id };
    const rec = readCellRecord(cell);
    if (isDone(cell)) return { ...base, status: 'done', active: false, detail: rec ? `attempt ${rec.attempt}${rec.slurm ? ` (Slurm ${rec.slurm.arrayJobId ? `${rec.slurm.arrayJobId}_${rec.slurm.taskId}` : rec.slurm.jobId})` : ''}` : '' };
    const sub = [...subs].reverse().find((s) => s.jobId && s.indices.includes(cell.index));
    if (sub && queueKnown) return { ...base, ...slurmRow(sweep, cell, rec, sub, queue.get(`${sub.jobId}_${cell.index}`), acct) };
    if (sub && rec?.state === 'running') return { ...base, status: 'running', active: true, detail: `reported running on ${rec.host} (squeue unavailable)` };
    return { ...base, ...localRow(cell, rec) };
  });
  const counts: Record<CellStatus, number> = { done: 0, running: 0, pending: 0, failed: 0 };
  for (const r of rows) counts[r.status]++;
  return { dir: sweep.dir, name: sweep.spec.name, backend, jobs, rows, counts, notes, queueUnknown: !queueKnown };
}

export function formatStatus(s: SweepStatus): string {
  const c = s.counts;
  const head = `sweep ${s.name}: ${s.rows.length} cells: ${c.done} done, ${c.running} running, ${c.pending} pending, ${c.failed} failed (backend ${s.backend}${s.jobs.length ? `; Slurm jobs ${s.jobs.join(', ')}` : ''})`;
  const w = Math.max(...s.rows.map((r) => r.id.length));
  const lines = s.rows.map((r) => `  ${r.status.padEnd(8)} ${String(r.index).padStart(3)} ${r.id.padEnd(w)}  ${r.detail}`.trimEnd());
  return [head, ...lines, ...s.notes.map((n) => `note: ${n}`), `folder: ${s.dir}`].join('\n');
}
