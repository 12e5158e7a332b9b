// Run folders: every state a crash, a kill or a failed data load can leave is resumable or a
// one-line error; a folder holds one config, named by its hash; diverged weights never pass for
// a result; the training loop never runs more than two steps ahead of the device.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../experiments/runner/config.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../experiments/runner/checkpoint.ts';
import { runInDir } from '../experiments/runner/run-dir.node.ts';
import { configDifferences, configHash, defaultRunId } from '../experiments/runner/run-id.ts';
import { prepareSweep } from '../experiments/runner/sweep-dir.node.ts';
import { validateSweep } from '../experiments/runner/sweep.ts';
import { StepPacer } from '../experiments/runner/step-pacer.ts';
import type { Runtime } from '../engine/runtime/runtime.ts';
import { gpu } from './helpers.ts';

// 32 synthetic 8×8 images, 4 steps per epoch: a run takes about a second.
const CONFIG = {
  name: 'folder',
  seed: 1,
  dataset: { name: 'synthetic', options: { train: 32, val: 16, test: 16, size: 8 } },
  epochs: 1,
  batchSize: 8,
  probe: { l2Grid: [0.1] },
};
/** A temporary left by a writer that was killed: pid 2^22 + 1 is beyond Linux's pid range. */
const deadTemp = (file: string) => `.${file}~${hostname()}~4194305~k1ll3d.tmp`;

describe('run folders: every state resumable or a clear error', () => {
  let tmp = '';
  before(async () => {
    await gpu();
    tmp = mkdtempSync(join(tmpdir(), 'samgpu-folder-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a run whose data fail to load leaves no config.json (nothing that looks resumable)', async () => {
    const bad = { ...CONFIG, dataset: { name: 'fmnist-mnist', dataDir: join(tmp, 'no-such-data') } };
    const dir = join(tmp, 'no-data');
    await assert.rejects(runInDir(dir, bad), /^SamgpuError: config: dataset.dataDir: the folder .*no-such-data does not exist$/);
    assert.ok(!existsSync(dir));
    mkdirSync(dir); // a sweep cell's folder exists before its run starts
    await assert.rejects(runInDir(dir, bad), /does not exist/);
    assert.deepEqual(readdirSync(dir), []);
    await assert.rejects(runInDir(dir, null, { resume: true }), /holds no run \(no config.json: it was stopped or failed before it started training\)/);
  });

  it('a kill during the first config.json write: --resume says there is no run, a new start cleans up and runs', async () => {
    const dir = join(tmp, 'killed-first-write');
    mkdirSync(dir);
    writeFileSync(join(dir, deadTemp('config.json')), '{"name": "fol'); // the partial write a SIGKILL leaves
    await assert.rejects(runInDir(dir, null, { resume: true }), /^SamgpuError: resume: .*killed-first-write holds no run/);
    assert.deepEqual(readdirSync(dir), [], 'the dead writer\'s temporary is removed');
    writeFileSync(join(dir, deadTemp('checkpoint.safetensors')), new Uint8Array(100));
    const r = await runInDir(dir, CONFIG);
    assert.equal(r.status, 'done');
    assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.safetensors', 'config.json', 'final.json', 'metrics.jsonl']);
    // a live writer's temporary (this process) is left alone
    const live = join(dir, `.final.json~${hostname()}~${process.pid}~l1ve.tmp`);
    writeFileSync(live, '{');
    assert.equal((await runInDir(dir, null, { resume: true })).status, 'done');
    assert.ok(existsSync(live));
    rmSync(live);
  });

  it('damaged files of a run folder are one-line errors naming the file and the field', async () => {
    const dir = join(tmp, 'damaged');
    let steps = 0;
    assert.equal((await runInDir(dir, { ...CONFIG, epochs: 2 }, { onProgress: () => steps++, shouldStop: () => steps === 6 })).status, 'stopped');
    const ck = join(dir, 'checkpoint.safetensors');
    const good = { config: readFileSync(join(dir, 'config.json')), ck: readFileSync(ck) };
    const resume = () => runInDir(dir, null, { resume: true });
    const restore = () => {
      writeFileSync(join(dir, 'config.json'), good.config);
      writeFileSync(ck, good.ck);
    };
    writeFileSync(join(dir, 'config.json'), '{"name": ');
    await assert.rejects(resume(), /^SamgpuError: run config .*damaged\/config.json is damaged \(not JSON: /);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(good.config.toString()), epochs: 0 }));
    await assert.rejects(resume(), /damaged\/config.json: config: epochs: expected an integer >= 1, got 0/);
    rmSync(join(dir, 'config.json'));
    await assert.rejects(resume(), /config.json is missing, though the folder holds results: the run folder is damaged/);
    restore();
    const { checkpoint, config } = decodeCheckpoint(good.ck, ck);
    const rewrite = (f: (c: typeof checkpoint) => void, cfg: unknown = config) => {
      const c = structuredClone(checkpoint);
      f(c);
      writeFileSync(ck, encodeCheckpoint(c, cfg));
    };
    rewrite((c) => (c.position.step = 5));
    await assert.rejects(resume(), /checkpoint .*: position: step 5 is not epoch 1 × 4 batches \+ batch 2/);
    rewrite((c) => (c.position.metrics = []));
    await assert.rejects(resume(), /checkpoint .*: position.metrics: holds 0 epochs, position.epoch says 1 are done/);
    rewrite((c) => c.model.get('head.weight')!.data.fill(NaN, 3, 4));
    await assert.rejects(resume(), /checkpoint .*: model.head.weight: holds non-finite values \(NaN at index 3\): the run had diverged when this was saved/);
    rewrite((c) => c.model.delete('head.bias'));
    await assert.rejects(resume(), /checkpoint .*: loadStateDict: missing keys head.bias/);
    rewrite(() => {}, { ...(config as object), seed: 9 });
    await assert.rejects(resume(), /checkpoint .* was written with another config than the run's \(seed: 1 in config.json, 9 in the checkpoint\): remove the checkpoint/);
    writeFileSync(ck, good.ck.subarray(0, 100));
    await assert.rejects(resume(), /^SamgpuError: safetensors \(.*checkpoint.safetensors\): header length \d+ exceeds the file's remaining 92 bytes$/);
    restore();
    assert.equal((await resume()).status, 'done');
    writeFileSync(join(dir, 'final.json'), '{"config": {');
    await assert.rejects(resume(), /result .*final.json is damaged \(not JSON/);
  });

  it('a run whose weights go non-finite while its losses stay finite (lr 1e6) is marked diverged, with no result', async () => {
    const dir = join(tmp, 'lr1e6');
    // (this seed and size: the losses of epoch 1 stay finite, ~1e29, while a weight overflows)
    const cfg = { ...CONFIG, seed: 3, dataset: { name: 'synthetic', options: { train: 128, val: 32, test: 32 } }, batchSize: 32, optimizer: { name: 'sgd', lr: 1e6 } };
    await assert.rejects(runInDir(dir, cfg), (e: Error) => {
      assert.match(e.message, /^training diverged: [\w.]+ holds non-finite values \((NaN|-?Infinity) at index \d+\) at the end of epoch 1 \(after step 4\), although its losses were finite; no checkpoint yet$/);
      return true;
    });
    assert.ok(!existsSync(join(dir, 'final.json')) && !existsSync(join(dir, 'checkpoint.safetensors')));
  });

  it('a folder holds one config: runs of other settings get folders of their own, and are never resumed into another', async () => {
    const a = validateConfig(CONFIG);
    const b = validateConfig({ ...CONFIG, optimizer: { lr: 0.1 } });
    assert.match(defaultRunId(a), /^folder-sgd-s1-[0-9a-f]{8}$/);
    assert.notEqual(defaultRunId(a), defaultRunId(b));
    assert.equal(configHash(validateConfig({ ...CONFIG, epochs: 1, optimizer: { name: 'sgd' } })), configHash(a), 'defaults written out hash the same');
    assert.deepEqual(configDifferences(a, b), [{ field: 'optimizer.lr', stored: 0.05, requested: 0.1 }]);
    const dir = join(tmp, 'one-config');
    assert.equal((await runInDir(dir, CONFIG)).status, 'done');
    await assert.rejects(runInDir(dir, b), /^SamgpuError: run folder .*one-config holds a run of another config \(optimizer.lr: 0.05 in the folder, 0.1 requested\): choose another run id, or remove the folder$/);
    await assert.rejects(runInDir(dir, CONFIG), /already holds this run \(finished\): resume it/);
    await assert.rejects(runInDir(dir, { ...CONFIG, epochs: 3 }, { resume: true }), /resume: .*one-config holds a run of another config \(epochs: 1 in the run, 3 requested\)/);
    assert.equal((await runInDir(dir, CONFIG, { resume: true })).status, 'done');
  });

  it('a sweep submitted again with another base runs its cells in new folders: old runs are not resumed', () => {
    const results = join(tmp, 'sweeps');
    const spec = (epochs: number) => validateSweep({ name: 's', base: { ...CONFIG, epochs }, grid: { seed: [0, 1] } });
    const first = prepareSweep(spec(1), results);
    mkdirSync(first.cells[0].runDir, { recursive: true });
    writeFileSync(join(first.cells[0].runDir, 'final.json'), '{}'); // done, with 1 epoch
    const again = prepareSweep(spec(2), results);
    assert.deepEqual(again.cells.map((c) => [c.id, c.index]), first.cells.map((c) => [c.id, c.index]), 'array indices stay');
    for (const [i, c] of again.cells.entries()) {
      assert.notEqual(c.runDir, first.cells[i].runDir);
      assert.match(c.runDir, new RegExp(`runs/${c.id}-[0-9a-f]{8}$`));
    }
    assert.ok(!existsSync(again.cells[0].runDir), 'the 2-epoch cell is not done');
  });

  it('the step pacer keeps at most two steps on the device: the CPU waits for the step before the last', async () => {
    const done: (() => void)[] = [];
    let flushes = 0;
    const rt = { flush: () => flushes++, device: { queue: { onSubmittedWorkDone: () => new Promise<void>((r) => done.push(r)) } } } as unknown as Runtime;
    const pacer = new StepPacer(rt);
    await pacer.afterStep(); // step 1 queued: no wait
    let returned = false;
    const second = pacer.afterStep().then(() => (returned = true)); // step 2 queued: waits for step 1
    await new Promise((r) => setImmediate(r));
    assert.equal(returned, false, 'two steps queued: the loop waits');
    done[0]();
    await second;
    assert.equal(flushes, 2);
  });
});
