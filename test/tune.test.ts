// The autotuner (engine/tune): the mode switch, tuning one shape class (self-check, timing, the
// fastest that passed, stored per adapter and engine), and runs that pin their kernel choices,
// record them in checkpoints and resume with them bit for bit.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from '../engine/index.ts';
import { matmulConfig } from '../engine/ops/matmul.ts';
import { chooseVariant, currentChoices, forceVariant, setTuneMode, tuneState } from '../engine/tune/choices.ts';
import { attachTuneStore, autotune, planSites, tuneModeOf, tuneSites } from '../engine/tune/tuner.ts';
import { FAMILIES } from '../engine/tune/families.ts';
import { memoryStore, type TuneFile } from '../engine/tune/store.ts';
import { matmulVariant, type MatmulShape } from '../engine/tune/variants/matmul.ts';
import { fileStore } from '../engine/tune/store.node.ts';
import { decodeCheckpoint } from '../experiments/runner/checkpoint.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { loadDataset } from '../experiments/runner/datasets.node.ts';
import { runInDir } from '../experiments/runner/run-dir.node.ts';
import { buildModel, planRun } from '../experiments/runner/train.ts';
import { gpu, pair } from './helpers.ts';

/** Puts the suite's runtime back to the built-in defaults (test/helpers.ts runs the suite with SAMGPU_TUNE=off). */
async function reset(rt: E.Runtime): Promise<void> {
  await attachTuneStore(rt, null, 'off');
  tuneState(rt).pinned = null;
  tuneState(rt).forced.clear();
}

describe('autotuner', function () {
  this.timeout(240_000);
  let rt: E.Runtime;
  before(async () => (rt = await gpu()));
  afterEach(() => reset(rt));

  it('SAMGPU_TUNE=off pins the built-in defaults: no choice applies and nothing is timed', async () => {
    assert.equal(tuneModeOf(undefined), 'on');
    assert.equal(tuneModeOf('off'), 'off');
    assert.throws(() => tuneModeOf('fast'), /SAMGPU_TUNE=fast: expected on or off/);
    await attachTuneStore(rt, memoryStore(), 'on');
    tuneState(rt).known.set('matmul|nn/a4/M64/N32/K64/b1', 'register-4x4');
    assert.equal(chooseVariant(rt, 'matmul', 'nn/a4/M64/N32/K64/b1', () => ({})), 'register-4x4');
    setTuneMode(rt, 'off');
    assert.equal(chooseVariant(rt, 'matmul', 'nn/a4/M64/N32/K64/b1', () => ({})), null);
    const [a] = pair([64, 64], 1);
    const r = await autotune(rt, () => void E.matmul(a, a));
    assert.deepEqual(r, { choices: {}, rows: [] });
    assert.deepEqual(currentChoices(rt), {});
  });

  it('tunes a shape class: every candidate self-checked, those that pass timed, the fastest kept (a failing one never), stored per adapter and engine', async () => {
    const store = memoryStore();
    await attachTuneStore(rt, store, 'on');
    const [x] = pair([64, 96], 2);
    const [w] = pair([24, 96], 3);
    // the plan pass records the op's request without running it
    const dispatches = rt.stats.dispatches;
    const sites = planSites(rt, () => void E.linear(x, w));
    assert.equal(rt.stats.dispatches, dispatches, 'nothing dispatched while planning');
    assert.deepEqual(sites.map((s) => `${s.family}|${s.key}`), ['matmul|nt/a4/M64/N32/K128/b1']);
    // A variant that fails its self-check is never chosen: make one fail.
    const fam = FAMILIES.get('matmul')!;
    const selfCheck = fam.selfCheck;
    fam.selfCheck = async (r, v, a) => (v === 'register-4x4' ? 'broken on purpose' : selfCheck(r, v, a));
    let row;
    try {
      [row] = await tuneSites(rt, sites, { rounds: 1 });
    } finally {
      fam.selfCheck = selfCheck;
    }
    assert.equal(row.rejected['register-4x4'], 'broken on purpose');
    assert.ok(!('register-4x4' in row.ms) && row.variant !== 'register-4x4');
    assert.ok(Object.keys(row.ms).length >= 2, JSON.stringify(row.ms));
    const best = Object.keys(row.ms).reduce((p, q) => (row.ms[q] < row.ms[p] ? q : p));
    assert.ok(row.variant === best || row.variant === row.defaultVariant, `${row.variant}: ${JSON.stringify(row.ms)}`);
    // stored, and read back by a runtime attached to the same store; another driver re-tunes
    const shape: MatmulShape = { m: 64, n: 24, k: 96, batch: 1, transA: false, transB: true };
    await attachTuneStore(rt, store, 'on');
    assert.deepEqual(matmulConfig(rt, shape), matmulVariant(row.variant)!.config);
    const [again] = await tuneSites(rt, sites);
    assert.equal(again.cached, true);
    await attachTuneStore(rt, store, 'on', { driver: 'another version' });
    assert.deepEqual(currentChoices(rt), {});
  });

  it('the Node store is a JSON file per adapter and engine in the cache directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'samgpu-tune-'));
    try {
      const store = fileStore(dir);
      await attachTuneStore(rt, store, 'on');
      tuneState(rt).known.clear();
      forceVariant(rt, 'matmul', null);
      const [a] = pair([8, 8], 4);
      const [row] = await tuneSites(rt, planSites(rt, () => void E.matmul(a, a)), { rounds: 1 });
      const files = (await import('node:fs')).readdirSync(dir);
      assert.equal(files.length, 1);
      assert.match(files[0], /^tune-[0-9a-f]{8}-[0-9a-f]{8}\.json$/);
      const f = JSON.parse(readFileSync(join(dir, files[0]), 'utf8')) as TuneFile;
      assert.equal(f.format, 'samgpu-tune-1');
      assert.equal(f.entries[`matmul|${row.key}`].variant, row.variant);
      assert.ok(Object.values(f.checks).every((c) => c === null), JSON.stringify(f.checks));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a run pins its kernel choices and records them in its checkpoints; a resume uses the recorded ones, bit for bit', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'samgpu-tune-run-'));
    const config = {
      name: 'tune-pin',
      seed: 4,
      dataset: { name: 'synthetic', options: { train: 64, val: 32, test: 32, size: 16 } },
      optimizer: { name: 'sgd', lr: 0.05 },
      epochs: 2,
      batchSize: 32,
      // the kernels of the training step are the point here: no untrained-probe or λ references
      probe: { l2Grid: [0.1], untrained: false },
      importance: { examples: 0 },
    };
    try {
      // Choices that round differently from the defaults: split-K matmuls, tiled convolutions
      // (another summation order), set as if tuned earlier.
      const cfg = validateConfig(config);
      const data = await loadDataset(cfg.dataset, cfg.seed);
      const model = buildModel(cfg, data);
      const sites = planSites(rt, () => planRun(cfg, data, model));
      model.dispose();
      const pinned = Object.fromEntries(sites.map((s) => [`${s.family}|${s.key}`, s.family === 'matmul' ? 'register-8x8+sk32' : 'tiled-32x32x32-4x4']));
      const store = memoryStore();
      await attachTuneStore(rt, store, 'on');
      for (const [k, v] of Object.entries(pinned)) tuneState(rt).known.set(k, v);
      const full = await runInDir(join(tmp, 'a'), config);
      assert.equal(full.status, 'done');
      let steps = 0;
      const stopped = await runInDir(join(tmp, 'b'), config, { onProgress: () => steps++, shouldStop: () => steps === 3 });
      assert.equal(stopped.status, 'stopped');
      const ck = decodeCheckpoint(readFileSync(join(tmp, 'b', 'checkpoint.safetensors')), 'b').checkpoint;
      assert.deepEqual(ck.kernels, pinned);
      // The cache changes (here: emptied, the tuner off): the resume still uses the recorded choices.
      await reset(rt);
      const resumed = await runInDir(join(tmp, 'b'), null, { resume: true });
      assert.equal(resumed.status, 'done');
      const finalOf = (d: string) => {
        const f = JSON.parse(readFileSync(join(tmp, d, 'final.json'), 'utf8'));
        delete f.seconds;
        for (const m of f.metrics) delete m.seconds;
        return f;
      };
      // the final weights (last checkpoint) bit for bit, and every reported number
      const weights = (d: string) => [...decodeCheckpoint(readFileSync(join(tmp, d, 'checkpoint.safetensors')), d).checkpoint.model.values()].map((t) => [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)]);
      assert.deepEqual(weights('b'), weights('a'));
      assert.deepEqual(finalOf('b'), finalOf('a'));
      // The control: the same run on the defaults ends elsewhere (the choices matter).
      await runInDir(join(tmp, 'c'), config);
      assert.notDeepEqual(weights('c'), weights('a'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
