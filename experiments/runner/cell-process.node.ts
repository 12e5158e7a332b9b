// One attempt at one sweep cell: `samgpu run` as a child process (a fresh run, or --resume when
// the run folder has a config.json), its output appended to runs/<id>/cell.log, and its outcome
// in runs/<id>/cell-status.json: state, exit code or signal, where it stopped, and the last
// lines of stderr, so `samgpu sweep status` can say why a cell failed. Used by the local pool
// and, through `samgpu sweep cell`, by each Slurm array task.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName, SweepCellEntry } from './sweep-dir.node.ts';
import { writeJsonAtomic } from './files.node.ts';

export type CellState = 'running' | 'done' | 'stopped' | 'failed';

export interface CellRecord {
  id: string;
  index: number;
  state: CellState;
  backend: BackendName;
  host: string;
  /** The supervising process (the pool, or `samgpu sweep cell`) and the `samgpu run` child. */
  pid: number;
  childPid?: number;
  /** SLURM_JOB_ID, and the array job / task it belongs to, when run by Slurm. */
  slurm?: { jobId: string; arrayJobId?: string; taskId?: string; restarts: number };
  /** Attempts so far (1 for the first). */
  attempt: number;
  resumed: boolean;
  started: string;
  ended?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** One line: why it is not done. */
  reason?: string;
  /** Last lines of the child's stderr. */
  tail?: string[];
}

/** bin/samgpu.mjs, from the sources (experiments/runner/) or from the bundled CLI (dist/). */
export const CLI_PATH = ['../../bin/samgpu.mjs', '../bin/samgpu.mjs'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(p)) ?? process.argv[1];
const TAIL_LINES = 20;

export const statusPath = (cell: SweepCellEntry) => join(cell.runDir, 'cell-status.json');
export const logPath = (cell: SweepCellEntry) => join(cell.runDir, 'cell.log');

export function readCellRecord(cell: SweepCellEntry): CellRecord | null {
  try {
    return JSON.parse(readFileSync(statusPath(cell), 'utf8')) as CellRecord;
  } catch {
    return null;
  }
}

/** The line of stderr that best says what went wrong (the CLI's `samgpu: …`, else an Error line, else the last). */
export function failureLine(tail: string[]): string {
  const lines = tail.map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => l.startsWith('samgpu: ')) ?? lines.find((l) => /\b\w*Error\b/.test(l)) ?? lines[lines.length - 1] ?? '(no output)';
}

export interface CellAttempt {
  /** Resolves with the final record once the child has exited. */
  done: Promise<CellRecord>;
  /**
   * The run is to checkpoint and stop, because of `why`. With `send`, SIGTERM the child (each
   * call sends one; `samgpu run` exits without checkpointing on its second). Without, only
   * record why: the child got the signal itself (Slurm signals every process of a job).
   */
  stop(why: string, send: boolean): void;
}

export interface CellAttemptOptions {
  backend: BackendName;
  node?: string;
  cli?: string;
  env?: NodeJS.ProcessEnv;
  /** Run the child in its own process group (the local pool: Ctrl-C then reaches only the pool). */
  detached?: boolean;
  /** The child's one-line summary ("test acc …" or "stopped at epoch …"). */
  onSummary?: (line: string) => void;
}

export function startCell(cell: SweepCellEntry, opts: CellAttemptOptions): CellAttempt {
  mkdirSync(cell.runDir, { recursive: true });
  const prev = readCellRecord(cell);
  const resume = existsSync(join(cell.runDir, 'config.json'));
  const runsDir = join(cell.runDir, '..');
  const runId = basename(cell.runDir);
  // --resume with the cell's config: the run refuses, naming the fields, if the folder holds another
  const args = resume ? ['run', '--resume', runId, cell.configPath, '--results', runsDir] : ['run', cell.configPath, '--results', runsDir, '--id', runId];
  const env = opts.env ?? process.env;
  const slurm = env.SLURM_JOB_ID
    ? { jobId: env.SLURM_JOB_ID, arrayJobId: env.SLURM_ARRAY_JOB_ID, taskId: env.SLURM_ARRAY_TASK_ID, restarts: Number(env.SLURM_RESTART_COUNT ?? 0) }
    : undefined;
  const rec: CellRecord = {
    id: cell.id,
    index: cell.index,
    state: 'running',
    backend: opts.backend,
    host: hostname(),
    pid: process.pid,
    slurm,
    attempt: (prev?.attempt ?? 0) + 1,
    resumed: resume,
    started: new Date().toISOString(),
  };
  const log = logPath(cell);
  const where = slurm ? `, Slurm job ${slurm.arrayJobId ? `${slurm.arrayJobId}_${slurm.taskId}` : slurm.jobId} (job id ${slurm.jobId}, restart ${slurm.restarts})` : '';
  appendFileSync(log, `== attempt ${rec.attempt} on ${rec.host}${where}, ${rec.started}: ${resume ? 'resume' : 'start'}: samgpu ${args.join(' ')}\n`);
  const child: ChildProcess = spawn(opts.node ?? process.execPath, [opts.cli ?? CLI_PATH, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
  rec.childPid = child.pid;
  writeJsonAtomic(statusPath(cell), rec);

  const tail: string[] = [];
  let acked: string | null = null;
  let stoppedAt: string | null = null;
  let stopWhy: string | null = null;
  const lines = (onLine: (l: string) => void) => {
    let buf = '';
    return (chunk: Buffer) => {
      appendFileSync(log, chunk);
      buf += chunk.toString('utf8');
      const parts = buf.split(/\r?\n|\r/);
      buf = parts.pop()!;
      for (const l of parts) if (l.trim()) onLine(l);
    };
  };
  child.stderr!.on('data', lines((l) => {
    tail.push(l);
    if (tail.length > TAIL_LINES) tail.shift();
    const m = /^(SIG\w+): checkpointing at the next step/.exec(l.trim());
    if (m) acked = m[1];
  }));
  child.stdout!.on('data', lines((l) => {
    const m = /^stopped at (epoch \d+, batch \d+)/.exec(l);
    if (m) stoppedAt = m[1];
    if (/^(test acc|stopped at)/.test(l)) opts.onSummary?.(l);
  }));

  const done = new Promise<CellRecord>((res) => {
    let finished = false;
    const finish = (code: number | null, signal: string | null, err?: Error) => {
      if (finished) return; // 'error' can be followed by 'close'
      finished = true;
      rec.ended = new Date().toISOString();
      rec.exitCode = code;
      rec.signal = signal;
      rec.tail = tail.slice();
      if (code === 0 && existsSync(join(cell.runDir, 'final.json'))) {
        rec.state = 'done';
        delete rec.tail;
      } else if (code === 130) {
        rec.state = 'stopped';
        const by = stopWhy ?? acked ?? 'a signal';
        rec.reason = stoppedAt
          ? `stopped by ${by} at ${stoppedAt} and checkpointed; a resubmit resumes it there`
          : `stopped by ${by} without a checkpoint of its own (a second signal?); a resubmit resumes from the last epoch's`;
      } else if ((signal === 'SIGTERM' || signal === 'SIGINT') && stopWhy) {
        // signalled before `samgpu run` installed its handler: still starting, nothing to lose
        rec.state = 'stopped';
        rec.reason = `stopped by ${stopWhy} while starting up (before its first checkpoint); a resubmit starts it again`;
      } else {
        rec.state = 'failed';
        rec.reason = err ? `could not start ${opts.node ?? process.execPath}: ${err.message}` : signal ? `killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory, time limit or kill -9?)' : ''}; last output: ${failureLine(tail)}` : `exit code ${code}: ${failureLine(tail)}`;
      }
      appendFileSync(log, `== attempt ${rec.attempt} ${rec.state}${rec.reason ? `: ${rec.reason}` : ''} (${rec.ended})\n`);
      writeJsonAtomic(statusPath(cell), rec);
      res(rec);
    };
    child.on('error', (e) => finish(null, null, e));
    // 'close': the process has exited and its pipes are drained (the tail and summary are complete)
    child.on('close', (code, signal) => finish(code, signal));
  });

  return {
    done,
    stop(why, send) {
      stopWhy ??= why;
      if (send && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
