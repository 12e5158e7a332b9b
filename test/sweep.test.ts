import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arrayRanges, mergeSlurmOptions, parseSacct, parseSqueue, sbatchScript, validateSlurmOptions } from '../experiments/runner/slurm.ts';
import { prepareSweep } from '../experiments/runner/sweep-dir.node.ts';
import { validateSweep } from '../experiments/runner/sweep.ts';
import { cli, runDirOf, statusOf } from './sweep-helpers.ts';

// 256 synthetic images, 8 batches per epoch: a cell takes a few seconds, long enough to stop mid-run.
const base = { dataset: { name: 'synthetic', options: { train: 256, val: 64, test: 64 } }, epochs: 8, batchSize: 32, probe: { l2Grid: [0.1] }, optimizer: { lr: 0.05 } };

describe('sweeps: backends, status, resubmit', () => {
  let tmp = '';
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'samgpu-sweep-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('the sbatch script has one array task per cell, the resources asked for, requeue and the time-limit signal', () => {
    const s = sbatchScript({
      sweepDir: '/shared/results/toy',
      name: 'toy',
      indices: [0, 1, 2, 3, 7, 9, 10],
      cli: '/shared/samgpu/bin/samgpu.mjs',
      options: validateSlurmOptions({ partition: 'gpu', time: '04:00:00', cpus: 8, mem: '32G', gpus: 1, maxRunning: 4, grace: 300, sbatch: ['--account=lab', '#SBATCH --qos=low'], setup: ['module load nodejs/20'] }),
    });
    for (const line of ['#SBATCH --array=0-3,7,9-10%4', '#SBATCH --output=/shared/results/toy/slurm/logs/%A_%a.out', '#SBATCH --requeue', '#SBATCH --signal=B:USR1@300', '#SBATCH --partition=gpu', '#SBATCH --time=04:00:00', '#SBATCH --cpus-per-task=8', '#SBATCH --mem=32G', '#SBATCH --gres=gpu:1', '#SBATCH --account=lab', '#SBATCH --qos=low', 'module load nodejs/20']) {
      assert.ok(s.split('\n').includes(line), `missing line ${line} in\n${s}`);
    }
    assert.match(s, /\nexec node '\/shared\/samgpu\/bin\/samgpu.mjs' sweep cell '\/shared\/results\/toy' --index "\$SLURM_ARRAY_TASK_ID"\n$/);
    assert.ok(s.indexOf('module load') < s.indexOf('exec node'));
    assert.equal(arrayRanges([5, 1, 2, 3, 5]), '1-3,5');
    assert.deepEqual(mergeSlurmOptions({ cpus: 2, sbatch: ['a'] }, { cpus: 4, sbatch: ['b'] }), { cpus: 4, sbatch: ['b'] });
  });

  it('bad Slurm options and results paths are refused with the field named', () => {
    assert.throws(() => validateSlurmOptions({ cpus: 0 }), /sweep: slurm.cpus: expected an integer >= 1, got 0/);
    assert.throws(() => validateSlurmOptions({ time: '4h' }), /sweep: slurm.time: expected a Slurm time/);
    assert.throws(() => validateSlurmOptions({ gres: 'gpu:1' }), /sweep: slurm.gres: unknown field/);
    assert.throws(() => validateSlurmOptions({ setup: ['a\nb'] }), /sweep: slurm.setup: expected a list of one-line strings/);
    assert.throws(() => sbatchScript({ sweepDir: '/my results/x', name: 'x', indices: [0], cli: '/c', options: {} }), /has a space or quote/);
    const spec = join(tmp, 'opts.json');
    writeFileSync(spec, JSON.stringify({ name: 'opts', base, grid: { seed: [0] }, slurm: { mem: 'lots' } }));
    const r = cli(['sweep', spec, '--results', tmp, '--backend', 'pbs']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /samgpu: sweep: --backend: expected local or slurm, got 'pbs'/);
    const r2 = cli(['sweep', spec, '--results', tmp, '--backend', 'slurm', '--dry-run']);
    assert.match(r2.stderr, /samgpu: sweep: slurm.mem: expected a size such as 32G, got "lots"/);
  });

  it('squeue and sacct lines parse into array tasks', () => {
    const q = parseSqueue('12|0|13|RUNNING|None|node7\n12|3|12|PENDING|JobArrayTaskLimit|\n');
    assert.deepEqual(q[1], { arrayJobId: '12', taskId: '3', jobId: '12', state: 'PENDING', reason: 'JobArrayTaskLimit', nodes: '' });
    assert.deepEqual(parseSacct('12_0|CANCELLED by 0|0:15|node7\n12_1|OUT_OF_MEMORY|0:125|node8'), [
      { jobId: '12_0', state: 'CANCELLED by 0', exitCode: '0:15', nodes: 'node7' },
      { jobId: '12_1', state: 'OUT_OF_MEMORY', exitCode: '0:125', nodes: 'node8' },
    ]);
  });

  it('cells keep their array index when the grid grows, and a bad cell config fails at submission', () => {
    const results = join(tmp, 'grow');
    const a = prepareSweep(validateSweep({ name: 'g', base, grid: { seed: [0, 1] } }), results);
    const b = prepareSweep(validateSweep({ name: 'g', base, grid: { seed: [5, 0, 1] } }), results);
    assert.deepEqual(a.cells.map((c) => [c.id, c.index]), [['seed-0', 0], ['seed-1', 1]]);
    assert.deepEqual(b.cells.map((c) => [c.id, c.index]), [['seed-5', 2], ['seed-0', 0], ['seed-1', 1]]);
    assert.equal(JSON.parse(readFileSync(b.cells[0].configPath, 'utf8')).seed, 5);
    assert.throws(() => prepareSweep(validateSweep({ name: 'g', base, grid: { 'optimizer.rho': [-1] } }), results), /sweep: cell rho--1: config: optimizer.rho: expected a number >= 0/);
  });

  it('a failing cell is reported with its error, and resubmit runs only the cells not done', () => {
    const spec = join(tmp, 'bad.json');
    writeFileSync(spec, JSON.stringify({ name: 'bad', base: { ...base, epochs: 1, optimizer: { name: 'sgd', momentum: 0 } }, grid: { 'optimizer.lr': [0.05, 1e30] } }));
    const r = cli(['sweep', spec, '--results', tmp]);
    assert.equal(r.status, 1);
    const st = statusOf(join(tmp, 'bad'));
    assert.deepEqual(st.rows.map((x) => x.status), ['done', 'failed']);
    assert.match(st.rows[1].detail, /^exit code 2: samgpu: training diverged: non-finite loss at step \d+/);
    const again = cli(['sweep', 'resubmit', join(tmp, 'bad')]);
    assert.match(again.stdout, /1 of 2 cells to run here/);
    assert.match(readFileSync(join(runDirOf(join(tmp, 'bad'), 'lr-1e30')!, 'cell.log'), 'utf8'), /== attempt 2 .* resume/);
    assert.match(readFileSync(join(runDirOf(join(tmp, 'bad'), 'lr-0.05')!, 'cell.log'), 'utf8'), /^(?![\s\S]*attempt 2)/);
  });
});
