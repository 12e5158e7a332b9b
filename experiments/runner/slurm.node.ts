// The Slurm backend's commands: submit a job array with sbatch (the script and the job id are
// kept in <sweep>/slurm/), read the queue with squeue and, where accounting is on, sacct.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SamgpuError } from '../../engine/device/errors.ts';
import { writeAtomic } from './files.node.ts';
import { sweepPaths, type SweepDir } from './sweep-dir.node.ts';
import { parseSacct, parseSqueue, sbatchScript, SQUEUE_FORMAT, type AcctEntry, type QueueEntry, type SlurmOptions } from './slurm.ts';

export interface Submission {
  jobId: string;
  submitted: string;
  indices: number[];
  script: string;
}

function slurmCmd(cmd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, stdout: '', stderr: missing ? `${cmd} not found (not a Slurm machine?)` : r.error.message };
  }
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr.trim() };
}

export const jobsFile = (dir: string) => join(sweepPaths(dir).slurm, 'jobs.jsonl');

export function readSubmissions(dir: string): Submission[] {
  const f = jobsFile(dir);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Submission);
}

/** Write slurm/submit-<n>.sbatch for `indices` and, unless dryRun, submit it; the job id goes to slurm/jobs.jsonl. */
export function submitArray(sweep: SweepDir, indices: number[], options: SlurmOptions, cli: string, dryRun = false): Submission {
  const dir = sweepPaths(sweep.dir).slurm;
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const n = readdirSync(dir).filter((f) => /^submit-\d+\.sbatch$/.test(f)).length + 1;
  const script = join(dir, `submit-${n}.sbatch`);
  writeAtomic(script, sbatchScript({ sweepDir: sweep.dir, name: sweep.spec.name, indices, cli, options }));
  const sub: Submission = { jobId: '', submitted: new Date().toISOString(), indices, script };
  if (dryRun) return sub;
  const r = slurmCmd('sbatch', ['--parsable', script]);
  if (!r.ok) throw new SamgpuError(`sweep: sbatch ${script} failed: ${r.stderr || r.stdout.trim()}`);
  sub.jobId = r.stdout.trim().split(';')[0];
  if (!/^\d+$/.test(sub.jobId)) throw new SamgpuError(`sweep: sbatch printed ${JSON.stringify(r.stdout.trim())}, expected a job id`);
  appendFileSync(jobsFile(sweep.dir), `${JSON.stringify(sub)}\n`);
  return sub;
}

/** Every task of these array jobs that Slurm still knows (pending, running, and recently ended ones). */
export function queueOf(jobIds: string[]): { entries: QueueEntry[]; error?: string } {
  if (!jobIds.length) return { entries: [] };
  const r = slurmCmd('squeue', ['-h', '-r', '--states=all', '-j', jobIds.join(','), '-o', SQUEUE_FORMAT]);
  if (r.ok) return { entries: parseSqueue(r.stdout) };
  // all the jobs have left slurmctld's memory (MinJobAge): nothing queued
  if (/Invalid job id/i.test(r.stderr)) return { entries: [] };
  return { entries: [], error: `squeue: ${r.stderr}` };
}

/** Accounting records (needs slurmdbd; where it is off, the error says so). */
export function acctOf(jobIds: string[]): { entries: AcctEntry[]; error?: string } {
  if (!jobIds.length) return { entries: [] };
  const r = slurmCmd('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State,ExitCode,NodeList']);
  if (!r.ok) return { entries: [], error: `sacct: ${r.stderr}` };
  return { entries: parseSacct(r.stdout) };
}

/** Put this job back in the queue (from inside the job, after it checkpointed). */
export function requeueJob(jobId: string, tries = 10): { ok: boolean; message: string } {
  // scontrol runs inside the job that the requeue terminates: with SIGTERM ignored (inherited
  // across exec) it lives to report how the request went. While another task of the array
  // changes state slurmctld may answer "Job can not be altered now, try again later": retry.
  let r = slurmCmd('sh', ['-c', `trap '' TERM; exec scontrol requeue ${jobId}`]);
  for (let i = 1; i < tries && !r.ok && /try again later/i.test(r.stderr); i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // a blocking 1 s sleep
    r = slurmCmd('sh', ['-c', `trap '' TERM; exec scontrol requeue ${jobId}`]);
  }
  return { ok: r.ok, message: r.stderr };
}

/** The last lines of Slurm's output file of a task (what the batch shell printed: "node: not found", …). */
export function slurmLogTail(dir: string, arrayJobId: string, index: number, lines = 5): string[] {
  const f = join(sweepPaths(dir).slurm, 'logs', `${arrayJobId}_${index}.out`);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-lines);
}
