// Helpers of the sweep tests (test/sweep.test.ts, test/slurm.integration.ts): the CLI as a child
// process, polling, and results compared without their wall-clock fields.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRuns, writeReport } from '../experiments/report/report.node.ts';
import { aggregate } from '../experiments/report/aggregate.ts';
import { sweepStatus, type SweepStatus } from '../experiments/runner/sweep-status.node.ts';
import { loadSweepDir } from '../experiments/runner/sweep-dir.node.ts';

export const CLI = new URL('../bin/samgpu.mjs', import.meta.url).pathname;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv = process.env): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI in the background: its pid, and a promise of its result. */
export function cliAsync(args: string[], env: NodeJS.ProcessEnv = process.env): { pid: number; done: Promise<CliResult> } {
  const p = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d));
  p.stderr.on('data', (d: Buffer) => (stderr += d));
  return { pid: p.pid!, done: new Promise((res) => p.on('close', (status) => res({ status, stdout, stderr }))) };
}

/** `samgpu sweep status --json`, in this process (Slurm commands see process.env's SLURM_CONF). */
export const statusOf = (dir: string): SweepStatus => sweepStatus(loadSweepDir(dir));

/** Poll `check` every 100 ms until it returns a value (not undefined/false) or `ms` pass. */
export async function waitFor<T>(what: string, ms: number, check: () => T | undefined | false, onTimeout: () => string = () => ''): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}\n${onTimeout()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The run folder of cell `id` in a sweep folder (runs/<id>-<config hash>), or undefined. */
export function runDirOf(sweepDir: string, id: string): string | undefined {
  const runs = join(sweepDir, 'runs');
  if (!existsSync(runs)) return undefined;
  const name = readdirSync(runs).find((d) => d.startsWith(`${id}-`) && /^[0-9a-f]{8}$/.test(d.slice(id.length + 1)));
  return name && join(runs, name);
}

/** A cell's final.json without wall-clock fields. */
export function finalOf(runDir: string): unknown {
  const f = JSON.parse(readFileSync(join(runDir, 'final.json'), 'utf8'));
  delete f.seconds;
  for (const m of f.metrics) delete m.seconds;
  return f;
}

/** Every finished cell of a sweep folder, by id. */
export function finals(sweepDir: string): Record<string, unknown> {
  const runs = join(sweepDir, 'runs');
  const out: Record<string, unknown> = {};
  for (const id of readdirSync(runs).sort()) if (existsSync(join(runs, id, 'final.json'))) out[id] = finalOf(join(runs, id));
  return out;
}

/** What `samgpu report` aggregates (hyper-parameters picked on the selection split, paired claims), without the runs' wall-clock fields. */
export function aggregateOf(sweepDir: string) {
  const a = aggregate(loadRuns(sweepDir).map((r) => r.final));
  return { ...a, rows: a.rows.map(({ runs: _runs, ...row }) => row) };
}

/** report.html from the claims to the figures (the header names the folder, the footer the time). */
export function reportBody(sweepDir: string): string {
  const html = readFileSync(writeReport(sweepDir), 'utf8');
  return html.slice(html.indexOf('<h2>'), html.indexOf('<p class="detail">Written by'));
}
