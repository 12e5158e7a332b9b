// The local backend's stop and resubmit on real processes: Ctrl-C reaches the pool, every cell
// checkpoints, and resubmit ends where an uninterrupted sweep ends. An integration test (seconds of
// process start-up and pipeline compilation per cell): `npm run test:integration`, run by CI.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregateOf, cli, cliAsync, finals, reportBody, runDirOf, statusOf, waitFor } from './sweep-helpers.ts';

const base = { dataset: { name: 'synthetic', options: { train: 256, val: 64, test: 64 } }, epochs: 8, batchSize: 32, probe: { l2Grid: [0.1] }, optimizer: { lr: 0.05 } };

describe('sweeps: stopping a local sweep', () => {
  let tmp = '';
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'samgpu-sweep-stop-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a local sweep stopped with Ctrl-C and resubmitted ends exactly where an uninterrupted one ends', async function () {
    this.timeout(150_000);
    const spec = join(tmp, 'toy.json');
    writeFileSync(spec, JSON.stringify({ name: 'toy', base, grid: { 'optimizer.name': ['sgd', 'sam'] } }));
    const whole = cli(['sweep', spec, '--results', join(tmp, 'whole'), '--jobs', '2']);
    assert.equal(whole.status, 0, whole.stderr);
    assert.match(whole.stdout, /sweep toy: 2 cells: 2 done, 0 running, 0 pending, 0 failed \(backend local\)/);

    const dir = join(tmp, 'stopped', 'toy');
    const run = cliAsync(['sweep', spec, '--results', join(tmp, 'stopped'), '--jobs', '2']);
    // SIGINT (what Ctrl-C sends the pool) once a cell has checkpointed its first epoch
    await waitFor('a first checkpoint', 60_000, () => ['name-sgd', 'name-sam'].some((id) => existsSync(join(runDirOf(dir, id) ?? '/nonexistent', 'checkpoint.safetensors'))));
    process.kill(run.pid, 'SIGINT');
    const r = await run.done;
    assert.equal(r.status, 130, r.stdout + r.stderr);
    const st = statusOf(dir);
    const stopped = st.rows.filter((x) => x.status === 'failed');
    assert.ok(stopped.length >= 1, `no cell was stopped: ${JSON.stringify(st.rows)}`);
    for (const x of stopped) assert.match(x.detail, /stopped by SIGINT (at epoch \d+, batch \d+ and checkpointed|while starting up)/);

    const again = cli(['sweep', 'resubmit', dir]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`${stopped.length} of 2 cells to run here`));
    assert.equal(statusOf(dir).counts.done, 2);
    assert.deepEqual(finals(dir), finals(join(tmp, 'whole', 'toy')));
    assert.deepEqual(aggregateOf(dir), aggregateOf(join(tmp, 'whole', 'toy')));
    assert.equal(reportBody(dir), reportBody(join(tmp, 'whole', 'toy')));
  });

});
