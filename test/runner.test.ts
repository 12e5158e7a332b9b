import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint } from '../experiments/runner/checkpoint.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { runInDir } from '../experiments/runner/run-dir.node.ts';
import { expandSweep, validateSweep } from '../experiments/runner/sweep.ts';
import { gpu } from './helpers.ts';
import type { FinalResult } from '../experiments/runner/types.ts';
import { Rng } from '../engine/random.ts';

const root = new URL('..', import.meta.url).pathname;
// Small and quick: 128 synthetic images, 4 batches per epoch, one L2 strength for the probes.
const CONFIG = {
  name: 'resume-check',
  seed: 3,
  dataset: { name: 'synthetic', options: { train: 128, val: 64, test: 64 } },
  optimizer: { name: 'sam', lr: 0.05, rho: 0.05 },
  epochs: 3,
  batchSize: 32,
  probe: { l2Grid: [0.1] },
};

/** final.json without wall-clock fields. */
function finalOf(dir: string): unknown {
  const f = JSON.parse(readFileSync(join(dir, 'final.json'), 'utf8'));
  delete f.seconds;
  for (const m of f.metrics) delete m.seconds;
  return f;
}

describe('experiment runner', () => {
  let tmp = '';
  before(async () => {
    await gpu();
    tmp = mkdtempSync(join(tmpdir(), 'samgpu-runner-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('config errors name the bad field', () => {
    assert.throws(() => validateConfig({ optimizer: { rho: -1 } }), /config: optimizer.rho: expected a number >= 0, got -1/);
    assert.throws(() => validateConfig({ optimizer: { name: 'adam' } }), /config: optimizer.name: expected one of 'sgd', 'sam', 'lsam', 'asam' \(the method; set optimizer.base: 'adam' for the update rule, with name 'sgd' for Adam alone\), got "adam"/);
    assert.throws(() => validateConfig({ optimizer: { name: 'sam', base: 'lion' } }), /config: optimizer.base: expected one of 'sgd', 'adam', 'adamw', got "lion"/);
    assert.throws(() => validateConfig({ epochs: 1.5 }), /config: epochs: expected an integer >= 1, got 1.5/);
    assert.throws(() => validateConfig({ dataset: { name: 'celeba' } }), /config: dataset.dataDir: expected the folder holding the celeba files/);
    assert.throws(() => validateConfig({ lr: 0.1 }), /config: lr: unknown field/);
    assert.equal(validateConfig({}).optimizer.name, 'sgd');
  });

  it('a sweep expands its grid with stable ids and does not repeat SGD per ρ', () => {
    const cells = expandSweep(validateSweep({ name: 's', base: {}, grid: { 'optimizer.name': ['sgd', 'sam'], 'optimizer.rho': [0.05, 0.1], seed: [0, 1] } }));
    assert.equal(cells.length, 6);
    assert.deepEqual(cells.map((c) => c.id).slice(0, 3), ['name-sgd_rho-0_seed-0', 'name-sgd_rho-0_seed-1', 'name-sam_rho-0.05_seed-0']);
    assert.equal((cells[2].config.optimizer as { rho: number }).rho, 0.05);
  });

  it('a run stopped mid-epoch and resumed ends exactly where an uninterrupted run ends', async () => {
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    const full = await runInDir(a, CONFIG);
    assert.equal(full.status, 'done');
    let steps = 0;
    const stopped = await runInDir(b, CONFIG, { onProgress: () => steps++, shouldStop: () => steps === 6 });
    assert.deepEqual(stopped, { status: 'stopped', epoch: 1, batch: 2 });
    assert.ok(!existsSync(join(b, 'final.json')));
    const resumed = await runInDir(b, null, { resume: true });
    assert.equal(resumed.status, 'done');
    assert.deepEqual(finalOf(b), finalOf(a));
    // λ at θ and λ̃ at θ̃ on the fixed evaluation set at initialization and after every epoch, and
    // the untrained network's probes, recorded before the stop and resumed alike
    const f = finalOf(a) as FinalResult;
    assert.deepEqual(f.importance.map((e) => [e.epoch, e.examples]), [[0, 0], [1, 1], [2, 2], [3, 3]].map(([e]) => [e, 128]));
    assert.ok(f.importance.every((e) => Number.isFinite(e.giniPhantom) && e.lorenz.length === 21 && e.lorenzPhantom.length === 21 && e.loss > 0), JSON.stringify(f.importance));
    assert.ok(f.untrainedProbes && Number.isFinite(f.untrainedProbes.hard.error) && Number.isFinite(f.probes.hard.valError!));
  });

  it('the importance diagnostics leave no trace in training, and ρ warms up linearly over the configured epochs', async () => {
    const base = { ...CONFIG, epochs: 2, probe: { l2Grid: [0.1], untrained: false } };
    const without = await runInDir(join(tmp, 'imp-off'), { ...base, importance: { examples: 0 } });
    const withImp = await runInDir(join(tmp, 'imp-on'), { ...base, importance: { examples: 64, every: 1 } });
    assert.ok(without.status === 'done' && withImp.status === 'done');
    const strip = (d: string) => {
      const f = finalOf(d) as FinalResult;
      return { probes: f.probes, testAcc: f.testAcc, metrics: f.metrics.map((m) => ({ ...m, importance: undefined })) };
    };
    assert.deepEqual(strip(join(tmp, 'imp-on')), strip(join(tmp, 'imp-off')));
    assert.equal((finalOf(join(tmp, 'imp-on')) as FinalResult).importance.length, 3);
    // 4 steps per epoch, warm-up over 2 epochs: the last step of each epoch runs at ρ·min(1, step/8)
    const warm = await runInDir(join(tmp, 'warm'), { ...base, epochs: 3, importance: { examples: 0 }, optimizer: { ...CONFIG.optimizer, rho: 0.08, rhoWarmup: 2 } });
    assert.equal(warm.status, 'done');
    const rhos = (finalOf(join(tmp, 'warm')) as FinalResult).metrics.map((m) => m.rho!);
    assert.deepEqual(rhos.map((r) => +r.toFixed(12)), [0.03, 0.07, 0.08]);
  });

  it('killed at random points (in a step or a write, in the probes) it resumes to the same result; no truncated or stale file stays', async function () {
    this.timeout(300_000);
    const rng = new Rng(1405); // seeded: a failure reproduces
    const results = join(tmp, 'cli');
    const cfg = { ...CONFIG, epochs: 4 };
    const cfgFile = join(tmp, 'cfg.json');
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const cli = join(root, 'bin/samgpu.mjs');
    const whole = join(tmp, 'whole');
    assert.equal((await runInDir(whole, cfg)).status, 'done');
    const dir = join(results, 'killed');
    const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).length : 0);
    /** Start the CLI, SIGKILL it once `when()` holds plus `delay` ms; false if it finished first. */
    const killWhen = async (args: string[], when: () => boolean, delay: number): Promise<boolean> => {
      const child = spawn('node', [cli, ...args], { stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      let finished = false;
      void exited.then(() => (finished = true));
      while (!finished && !when()) await new Promise((r) => setTimeout(r, 10));
      if (!finished) await new Promise((r) => setTimeout(r, delay));
      const killed = !finished && child.kill('SIGKILL');
      await exited;
      return killed;
    };
    const checkFiles = () => {
      for (const f of readdirSync(dir)) {
        if (f.endsWith('.json')) JSON.parse(readFileSync(join(dir, f), 'utf8'));
        if (f.endsWith('.jsonl')) readFileSync(join(dir, f), 'utf8').trim().split('\n').forEach((l) => JSON.parse(l));
        if (f.endsWith('.safetensors')) decodeCheckpoint(readFileSync(join(dir, f)), f);
      }
    };
    // 1. during training: a random moment after the first checkpoint (a step, or a checkpoint write)
    assert.ok(await killWhen(['run', cfgFile, '--results', results, '--id', 'killed'], () => existsSync(join(dir, 'checkpoint.safetensors')), Math.floor(rng.next() * 1500)), 'killed in training');
    checkFiles();
    // 2. in the probes: every epoch's metrics written, no result yet
    await killWhen(['run', '--resume', 'killed', '--results', results], () => lines(join(dir, 'metrics.jsonl')) === 4, Math.floor(rng.next() * 300));
    checkFiles();
    // 3. in a write: an atomic write killed midway leaves the old file and a partial temporary
    writeFileSync(join(dir, `.checkpoint.safetensors~${hostname()}~4194305~x.tmp`), readFileSync(join(dir, 'checkpoint.safetensors')).subarray(0, 500));
    const res = spawnSync('node', [cli, 'run', '--resume', 'killed', '--results', results], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(finalOf(dir), finalOf(whole));
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.')), [], 'no temporary is left');
  });

  it('a diverging run stops with the step and the last good checkpoint named', async () => {
    const cfg = { ...CONFIG, name: 'diverge', optimizer: { name: 'sgd', lr: 1e30, momentum: 0 }, epochs: 2 };
    // Losses are read back at the end of each epoch (4 steps here), not every step.
    await assert.rejects(() => runInDir(join(tmp, 'nan'), cfg), /^SamgpuError: training diverged: non-finite loss at step \d+ \(epoch 1, batch \d\/4; loss (NaN|-?Infinity)\), noticed after step 4 at the end of epoch 1 .*; no checkpoint yet$/);
    // A stop (Ctrl-C) after the NaN reports it instead of saving the diverged weights.
    let steps = 0;
    const stopDir = join(tmp, 'nan-stop');
    await assert.rejects(
      () => runInDir(stopDir, cfg, { onProgress: () => steps++, shouldStop: () => steps === 3 }),
      /noticed after step 3 when the run was stopped in epoch 1 .*; no checkpoint yet$/,
    );
    assert.ok(!existsSync(join(stopDir, 'checkpoint.safetensors')));
  });

  it('divergence after a checkpoint names its file and where it stands, mid-epoch or at an epoch end', async () => {
    const good = { ...CONFIG, name: 'diverge-later', optimizer: { name: 'sgd', lr: 0.05, momentum: 0 } };
    for (const [id, stopAt, where] of [
      ['late-mid', 6, 'mid-epoch stop: epoch 2 after batch 2/4 (step 6)'],
      ['late-end', 4, 'end of epoch 1 (step 4)'],
    ] as const) {
      const dir = join(tmp, id);
      let steps = 0;
      const stopped = await runInDir(dir, good, { onProgress: () => steps++, shouldStop: () => steps === stopAt });
      assert.equal(stopped.status, 'stopped');
      // The same run continued with an exploding learning rate (config.json and the checkpoint's
      // copy both changed: either alone is refused as another run's).
      const cfgPath = join(dir, 'config.json');
      const exploding = { ...JSON.parse(readFileSync(cfgPath, 'utf8')), optimizer: { ...good.optimizer, lr: 1e30 } };
      writeFileSync(cfgPath, JSON.stringify(exploding));
      const ck = join(dir, 'checkpoint.safetensors');
      writeFileSync(ck, encodeCheckpoint(decodeCheckpoint(readFileSync(ck), ck).checkpoint, validateConfig(exploding)));
      await assert.rejects(
        () => runInDir(dir, null, { resume: true }),
        (e: Error) => {
          assert.match(e.message, /^training diverged: non-finite loss at step \d+ .*, noticed after step (8|12) at the end of epoch (2|3) /);
          assert.ok(e.message.endsWith(`; last good checkpoint: ${ck}, ${where}`), e.message);
          return true;
        },
      );
      // The checkpoint still holds the good position.
      assert.equal(decodeCheckpoint(readFileSync(ck), ck).checkpoint.position.step, stopAt);
    }
  });

  it('CLI argument errors are reported plainly', () => {
    const cli = join(root, 'bin/samgpu.mjs');
    const r = spawnSync('node', [cli, 'run', 'no-such-preset'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /samgpu: run: 'no-such-preset' is neither a preset/);
    const r2 = spawnSync('node', [cli, 'run', 'synthetic', '--lr', 'abc'], { encoding: 'utf8' });
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /expected a number, got 'abc'/);
  });
});
