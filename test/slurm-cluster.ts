// A throwaway one-node Slurm cluster for tests: installs Debian's slurm-wlm and munge if they
// are missing, fills scripts/slurm/slurm.conf.in into a temporary folder (this host's name and
// CPU count, free ports), starts munged, slurmctld and slurmd in the foreground as children of
// this process, and stops exactly those (by pid), cancelling every job first.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { cpus, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

const TEMPLATE = new URL('../scripts/slurm/slurm.conf.in', import.meta.url).pathname;
const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol'];

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export const slurmInstalled = () => BINARIES.every(onPath);

/** Why this machine cannot run the cluster (null: it can). */
export function cannotRun(): string | null {
  if (process.platform !== 'linux') return 'Slurm test: needs Linux';
  if (process.getuid?.() !== 0) return 'Slurm test: needs root (it starts munged, slurmctld and slurmd)';
  if (!slurmInstalled() && !onPath('apt-get')) return 'Slurm test: slurm-wlm/munge are not installed and there is no apt-get to install them';
  return null;
}

/** apt-get install slurm-wlm munge (apt-get update first only if the plain install fails); returns seconds taken. */
export function installSlurm(): number {
  const t0 = performance.now();
  if (slurmInstalled()) return 0;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // wait for a concurrent apt/dpkg (another test run, unattended upgrades) instead of failing
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  const install = () => spawnSync('apt-get', [...lock, 'install', '-y', '-qq', '--no-install-recommends', 'slurm-wlm', 'munge'], { env, encoding: 'utf8', timeout: 600_000 });
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', [...lock, 'update', '-qq'], { env, encoding: 'utf8', timeout: 300_000 });
    r = install();
  }
  if (r.status !== 0 || !slurmInstalled()) throw new Error(`apt-get install slurm-wlm munge failed (exit ${r.status}): ${(r.stderr || r.stdout || '').slice(-2000)}`);
  return (performance.now() - t0) / 1000;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface Cluster {
  dir: string;
  /** SLURM_CONF and the rest of process.env: pass to every Slurm client command. */
  env: NodeJS.ProcessEnv;
  /** Run a Slurm client command; throws with its stderr on failure. */
  cmd(name: string, args: string[]): string;
  /** Cancel every job, stop the daemons this process started, remove the folder. */
  stop(): Promise<void>;
  /** The daemons' logs (for failure messages). */
  logs(): string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'samgpu-slurm-'));
  chmodSync(dir, 0o755);
  for (const d of ['munge', 'run', 'state', 'spool', 'log']) mkdirSync(join(dir, d));
  chmodSync(join(dir, 'munge'), 0o700);
  chmodSync(join(dir, 'run'), 0o755); // munged wants its socket's folder searchable by all
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o400 });
  const host = hostname().split('.')[0];
  const conf = join(dir, 'slurm.conf');
  const fill: Record<string, string> = {
    HOST: host,
    DIR: dir,
    CPUS: String(cpus().length),
    MEM_MB: String(Math.floor((totalmem() / 2 ** 20) * 0.9)),
    CTLD_PORT: String(await freePort()),
    SLURMD_PORT: String(await freePort()),
  };
  writeFileSync(conf, readFileSync(TEMPLATE, 'utf8').replace(/@(\w+)@/g, (m, k: string) => fill[k] ?? m));
  const env = { ...process.env, SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  // Their stderr goes to files, not pipes: a pipe nobody reads while this process waits in
  // spawnSync (sbatch, scancel) fills up and blocks the daemon that writes to it.
  const errFile = (p: ChildProcess) => join(dir, 'log', `${p.spawnargs[0]}.stderr`);
  const errTail = (p: ChildProcess) => (existsSync(errFile(p)) ? readFileSync(errFile(p), 'utf8').slice(-4000) : '');
  const start = (cmd: string, args: string[]) => {
    const fd = openSync(join(dir, 'log', `${cmd}.stderr`), 'a');
    const p = spawn(cmd, args, { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    daemons.push(p);
    return p;
  };
  // if this process dies, take the daemons with it
  const killAll = () => daemons.forEach((p) => p.exitCode === null && p.pid && process.kill(p.pid, 'SIGKILL'));
  process.once('exit', killAll);

  const logs = () =>
    [`${dir}/log/slurmctld.log`, `${dir}/log/slurmd.log`]
      .filter(existsSync)
      .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-30).join('\n')}`)
      .concat(daemons.map((p) => `--- ${p.spawnargs[0]} stderr: ${errTail(p)}`))
      .join('\n');
  const cmd = (name: string, args: string[]) => {
    const r = spawnSync(name, args, { env, encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  const stop = async () => {
    // jobs first: their slurmstepd/node processes are not children of slurmd
    spawnSync('scancel', ['--full', '--signal=KILL', '--user=root'], { env, timeout: 10_000 });
    spawnSync('scancel', ['--user=root'], { env, timeout: 10_000 });
    for (let i = 0; i < 40; i++) {
      const q = spawnSync('squeue', ['-h', '-o', '%T'], { env, encoding: 'utf8', timeout: 10_000 });
      if (q.status !== 0 || !q.stdout.trim()) break;
      await sleep(250);
    }
    for (const p of [...daemons].reverse()) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await Promise.race([gone, sleep(5000)]);
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }
    process.off('exit', killAll);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const munged = start('munged', ['-F', `--key-file=${key}`, `--socket=${dir}/run/munge.socket`, `--pid-file=${dir}/run/munged.pid`, `--seed-file=${dir}/munge/munged.seed`, `--log-file=${dir}/log/munged.log`]);
    for (let i = 0; i < 50 && !existsSync(`${dir}/run/munge.socket`); i++) await sleep(100);
    if (!existsSync(`${dir}/run/munge.socket`)) throw new Error(`munged did not start: ${errTail(munged)}`);
    start('slurmctld', ['-D', '-f', conf]);
    start('slurmd', ['-D', '-f', conf]);
    // the node is up when sinfo calls it idle
    for (let i = 0; ; i++) {
      const r = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8', timeout: 10_000 });
      if (r.status === 0 && r.stdout.trim() === 'idle') break;
      if (i > 120) throw new Error(`the one-node cluster did not come up in 30 s (sinfo: ${r.stdout.trim() || r.stderr.trim()})\n${logs()}`);
      await sleep(250);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, env, cmd, stop, logs };
}
