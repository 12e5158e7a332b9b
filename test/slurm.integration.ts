// The Slurm backend against a real (one-node) Slurm: Debian's slurm-wlm and munge, installed
// here if missing, daemons started as root from a temporary folder and stopped by pid after.
// Skipped, saying why, only where it cannot run: not root, or neither Slurm nor apt-get.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cannotRun, installSlurm, startCluster, type Cluster } from './slurm-cluster.ts';
import { aggregateOf, cli, finals, reportBody, runDirOf, statusOf, waitFor } from './sweep-helpers.ts';
import { parseSqueue, SQUEUE_FORMAT } from '../experiments/runner/slurm.ts';

// 4 cells (SGD and SAM × 2 seeds) of ~10 s each: 8 batches per epoch, 24 epochs.
const SPEC = {
  name: 'toy',
  base: { dataset: { name: 'synthetic', options: { train: 256, val: 64, test: 64 } }, epochs: 24, batchSize: 32, probe: { l2Grid: [0.1] }, optimizer: { lr: 0.05, rho: 0.05 } },
  grid: { 'optimizer.name': ['sgd', 'sam'], seed: [0, 1] },
};

describe('sweeps on a real one-node Slurm cluster', function () {
  this.timeout(600_000); // two 4-cell sweeps of real processes, each compiling its pipelines
  let cluster: Cluster | null = null;
  let tmp = '';
  const savedConf = process.env.SLURM_CONF;

  before(async function () {
    this.timeout(600_000); // a slow mirror: apt-get alone took 10 s here
    // Skipped only where Slurm cannot be installed and started (not root, no apt-get); CI runs as
    // root on Debian, so there it always runs.
    const why = cannotRun();
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    const t0 = performance.now();
    const installed = installSlurm();
    const t1 = performance.now();
    cluster = await startCluster();
    process.env.SLURM_CONF = cluster.env.SLURM_CONF;
    console.log(`      slurm-wlm + munge: ${installed ? `installed in ${installed.toFixed(1)} s` : 'already installed'}; munged, slurmctld, slurmd up in ${((performance.now() - t1) / 1000).toFixed(1)} s (${((t1 - t0) / 1000).toFixed(1)} s before)`);
    tmp = mkdtempSync(join(tmpdir(), 'samgpu-slurm-sweep-'));
  });

  after(async () => {
    if (cluster) await cluster.stop();
    if (savedConf === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = savedConf;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a 4-cell sweep with one task cancelled by scancel and resubmitted, and one warned of its time limit and requeued, aggregates exactly as the local backend', async () => {
    const c = cluster!;
    const spec = join(tmp, 'toy.json');
    writeFileSync(spec, JSON.stringify(SPEC));
    const t0 = performance.now();
    const local = cli(['sweep', spec, '--results', join(tmp, 'local'), '--jobs', '2']);
    assert.equal(local.status, 0, local.stdout + local.stderr);
    const t1 = performance.now();

    const sub = cli(['sweep', spec, '--results', join(tmp, 'slurm'), '--backend', 'slurm', '--cpus', '1', '--time', '10', '--grace', '30']);
    assert.equal(sub.status, 0, sub.stdout + sub.stderr);
    const job = /submitted Slurm job (\d+): 4 array tasks \(--array=0-3\)/.exec(sub.stdout)?.[1];
    assert.ok(job, sub.stdout);
    const dir = join(tmp, 'slurm', 'toy');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'slurm', 'jobs.jsonl'), 'utf8')).jobId, job);
    const ids = statusOf(dir).rows.map((r) => r.id); // index order: sgd s0, sgd s1, sam s0, sam s1
    const ck = (i: number) => existsSync(join(runDirOf(dir, ids[i]) ?? '/nonexistent', 'checkpoint.safetensors'));
    const done = (i: number) => existsSync(join(runDirOf(dir, ids[i]) ?? '/nonexistent', 'final.json'));
    const debug = () => `${cli(['sweep', 'status', dir]).stdout}\n${c.cmd('squeue', ['-r', '--states=all'])}\n${c.logs()}`;
    const task = (i: number) => parseSqueue(c.cmd('squeue', ['-h', '-r', '--states=all', '-j', job!, '-o', SQUEUE_FORMAT])).find((e) => e.taskId === String(i));

    // Slurm refuses to signal a task ("Job can not be altered now, try again later"; scancel
    // retries 5 s later) while another task of the array changes state, so each signal goes out
    // while the array is quiet, and the cells run ~20 epochs past the first checkpoint: margin
    // for one such retry even on a slow machine.
    await waitFor('tasks 0 and 1 to checkpoint their first epoch', 90_000, () => ck(0) && ck(1), debug);
    // task 1: the time-limit warning (what --signal=B:USR1@grace sends): checkpoint, requeue itself
    assert.ok(!done(1), 'task 1 finished before it could be signalled');
    // in the background: scancel retries for as long as the task stays requeued; what counts is
    // that the task requeued itself
    const usr1 = spawn('scancel', ['--batch', '--signal=USR1', `${job}_1`], { env: c.env, stdio: 'ignore' });
    try {
      await waitFor('task 1 to be requeued', 60_000, () => task(1)?.state === 'PENDING' && task(1)?.reason === 'BeginTime', debug);
    } finally {
      if (usr1.exitCode === null) usr1.kill();
    }
    // task 0: scancel (SIGTERM, checkpoint, CANCELLED) once task 2 holds the freed CPU
    await waitFor('task 2 to start', 60_000, () => task(2)?.state === 'RUNNING', debug);
    assert.ok(!done(0), 'task 0 finished before it could be cancelled');
    c.cmd('scancel', [`${job}_0`]);
    c.cmd('scontrol', ['update', `JobId=${job}_1`, 'StartTime=now']); // skip Slurm's requeue delay (about 2 min)
    await waitFor('the array to finish', 150_000, () => statusOf(dir).rows.every((r) => !r.active), debug);

    const st = statusOf(dir);
    console.log(`      after scancel and requeue:\n${cli(['sweep', 'status', dir]).stdout.trimEnd().replace(/^/gm, '        ')}`);
    assert.deepEqual(st.rows.map((r) => r.status), ['failed', 'done', 'done', 'done'], debug());
    assert.match(st.rows[0].detail, new RegExp(`^${job}_0: stopped by SIGTERM \\(scancel, preemption or the time limit\\) at epoch \\d+, batch \\d+ and checkpointed`));
    const rec1 = JSON.parse(readFileSync(join(runDirOf(dir, ids[1])!, 'cell-status.json'), 'utf8'));
    assert.equal(rec1.attempt, 2);
    assert.equal(rec1.resumed, true);
    assert.equal(rec1.slurm.restarts, 1);
    assert.match(readFileSync(join(dir, 'slurm', 'logs', `${job}_1.out`), 'utf8'), /time limit near \(SIGUSR1\)[\s\S]*requeued itself[\s\S]*: done/);

    const re = cli(['sweep', 'resubmit', dir]);
    assert.equal(re.status, 0, re.stdout + re.stderr);
    assert.match(re.stdout, /1 of 4 cells to submit to Slurm \(3 done\)[\s\S]*1 array tasks \(--array=0\)/);
    await waitFor('the resubmitted task to finish', 120_000, () => statusOf(dir).rows.every((r) => !r.active), debug);
    const final = cli(['sweep', 'status', dir]).stdout.trimEnd();
    console.log(`      after resubmit:\n${final.replace(/^/gm, '        ')}`);
    assert.match(final, /4 cells: 4 done, 0 running, 0 pending, 0 failed \(backend slurm; Slurm jobs \d+, \d+\)/);
    assert.match(readFileSync(join(runDirOf(dir, ids[0])!, 'cell.log'), 'utf8'), /== attempt 2 on .*: resume/);

    // bit-identical runs, so identical aggregates: the same lr/ρ picked, the same mean ± sd
    assert.deepEqual(finals(dir), finals(join(tmp, 'local', 'toy')));
    assert.deepEqual(aggregateOf(dir), aggregateOf(join(tmp, 'local', 'toy')));
    assert.equal(reportBody(dir), reportBody(join(tmp, 'local', 'toy')));
    const rep = cli(['report', dir]);
    assert.equal(rep.status, 0, rep.stderr);
    console.log(`      local backend ${((t1 - t0) / 1000).toFixed(1)} s; Slurm (submit, scancel, requeue, resubmit) ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  });
});
