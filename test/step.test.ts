// The training step's mechanics: gradient accumulation over micro-batches, DomainBed's per-domain
// sampler, step-counted runs, the memory plan made before training, and exact resume with Adam.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from '../engine/index.ts';
import { SmallCNN } from '../engine/models/small-cnn.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { buildOptimizer, buildSchedule } from '../experiments/runner/optimizer.ts';
import { trainStep } from '../experiments/runner/step.ts';
import { makeSampler } from '../experiments/runner/sampler.ts';
import { checkMemory, planMemory } from '../experiments/runner/memory.ts';
import { runExperiment } from '../experiments/runner/train.ts';
import { runInDir } from '../experiments/runner/run-dir.node.ts';
import { decodeCheckpoint } from '../experiments/runner/checkpoint.ts';
import { syntheticTwoFeature } from '../experiments/data/synthetic.ts';
import type { TwoFeatureSplit } from '../experiments/data/types.ts';
import { gpu, assertClose } from './helpers.ts';

const data = syntheticTwoFeature({ train: 24, val: 8, test: 8, size: 8, seed: 1 });

function model(): SmallCNN {
  return new SmallCNN({ inChannels: 1, height: 8, width: 8, classes: 2, rng: new E.Rng(5) });
}

describe('gradient accumulation: a batch as micro-batches', () => {
  before(gpu);

  const cases: [string, Record<string, unknown>][] = [
    ['SGD with momentum and weight decay', { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-3 }],
    ['SAM over SGD', { name: 'sam', lr: 0.05, rho: 0.1 }],
    ['SAM over AdamW', { name: 'sam', base: 'adamw', lr: 1e-3, weightDecay: 0.05, rho: 0.05 }],
  ];
  for (const [name, optimizer] of cases) {
    it(`${name}: micro-batches of 5, 5, 2 land where the whole batch of 12 does (float rounding)`, async () => {
      const cfg = validateConfig({ dataset: { name: 'synthetic' }, optimizer });
      const whole = model();
      const split = model();
      const oa = buildOptimizer(cfg, whole, 3, 1);
      const ob = buildOptimizer(cfg, split, 3, 1);
      const train = data.splits.train;
      for (let step = 0; step < 3; step++) {
        const idx = Int32Array.from({ length: 12 }, (_, i) => (i * 7 + step * 5) % train.n);
        const la = trainStep(whole, oa, train, idx, { seed: 0, epoch: 0 }, { accs: [] });
        const lb = trainStep(split, ob, train, idx, { seed: 0, epoch: 0, microBatchSize: 5 }, { accs: [] });
        assertClose([await lb.item()], [await la.item()], 1e-5, `loss at step ${step}`);
        la.dispose();
        lb.dispose();
      }
      const pa = whole.parameters();
      const pb = split.parameters();
      for (let i = 0; i < pa.length; i++) assertClose(await pb[i].read(), await pa[i].read(), 1e-4, `${name}: parameter ${i}`, 1e-2);
      oa.dispose();
      ob.dispose();
    });
  }
});

describe('batch order and schedules', () => {
  const split = { n: 15, domain: Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2]) } as unknown as TwoFeatureSplit;

  it("'per-domain' takes batchSize / domains from every source domain, each cycling through its examples", () => {
    const s = makeSampler('per-domain', split, 6, 4);
    const seen2: number[] = [];
    for (let step = 0; step < 6; step++) {
      const idx = s.indices(0, 0, step);
      assert.deepEqual([...idx].map((i) => (split.domain as Int32Array)[i]), [0, 0, 1, 1, 2, 2]);
      seen2.push(...idx.slice(4));
    }
    // domain 2 has 3 examples: every 3 draws are one permutation of them
    for (let c = 0; c < 4; c++) assert.deepEqual(seen2.slice(3 * c, 3 * c + 3).sort(), [12, 13, 14]);
    assert.deepEqual(makeSampler('per-domain', split, 6, 4).indices(0, 0, 5), s.indices(3, 1, 5), 'a pure function of the step');
    assert.throws(() => makeSampler('per-domain', split, 7, 4), /config: batchSize: expected a multiple of the 3 source domains with sampler 'per-domain'/);
    assert.equal(s.stepsPerEpoch, 3);
  });

  it('warm-up then cosine or step decay, in epochs converted to steps', () => {
    const lr = (schedule: unknown) => {
      const f = buildSchedule(validateConfig({ optimizer: { lr: 0.1 }, schedule }), 100, 10);
      return [0, 5, 10, 60, 100].map((t) => +f(t).toFixed(6));
    };
    assert.deepEqual(lr('constant'), [0.1, 0.1, 0.1, 0.1, 0.1]);
    assert.deepEqual(lr({ name: 'cosine', warmupEpochs: 1, warmupStartFactor: 0.1 }), [0.01, 0.055, 0.1, +(0.05 * (1 + Math.cos((Math.PI * 50) / 90))).toFixed(6), 0]);
    assert.deepEqual(lr({ name: 'step', stepEpochs: 3, gamma: 0.5 }), [0.1, 0.1, 0.1, 0.025, 0.0125]);
    assert.throws(() => validateConfig({ schedule: { name: 'step' } }), /config: schedule.stepEpochs: expected the epochs between decays/);
    assert.throws(() => validateConfig({ schedule: { name: 'cosine', gamma: 0.1 } }), /schedule.stepEpochs\/gamma: settings of the 'step' schedule, not 'cosine'/);
    assert.throws(() => validateConfig({ steps: 10, epochs: 2 }), /config: epochs: the run counts steps \(steps: 10\): give epochs or steps, not both/);
  });
});

describe('runs: steps instead of epochs, the memory plan, exact resume with Adam', () => {
  let tmp = '';
  before(async () => {
    await gpu();
    tmp = mkdtempSync(join(tmpdir(), 'samgpu-step-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('steps: 7 with 3 batches per epoch trains 3 epochs, the last one a single step', async () => {
    const cfg = validateConfig({ dataset: { name: 'synthetic' }, steps: 7, batchSize: 8, probe: { l2Grid: [0.1] } });
    const r = await runExperiment(cfg, data);
    assert.deepEqual(r.metrics.map((m) => m.step), [3, 6, 7]);
  });

  it('a step that cannot fit the adapter fails before training, saying what it needs and which micro-batch fits', async () => {
    const cfg = validateConfig({ dataset: { name: 'synthetic' }, batchSize: 64 });
    const m = model();
    const opt = buildOptimizer(cfg, m, 1, 1);
    const plan = planMemory(m, opt, [1, 8, 8], 64);
    // the largest buffer grows with the batch; cap buffers just under it at 64
    const limit = plan.largestBufferBytes - 1;
    const limits = { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: limit };
    assert.throws(() => checkMemory(m, opt, cfg, { shape: [1, 8, 8] }, limits), (e: Error) => {
      assert.match(e.message, /^memory: a training step of small-cnn on 1×8×8 inputs at batch 64 needs a [\d.]+ MiB buffer, above the adapter's maxStorageBufferBindingSize of [\d.]+ MiB; micro-batches of at most (\d+) fit: set microBatchSize: \1 \(gradient accumulation keeps batchSize 64; batch norm then normalizes per micro-batch\), about [\d.]+ MiB of device memory\. \(Estimated device memory at 64: [\d.]+ MiB\.\)$/);
      const fits = Number(/at most (\d+) fit/.exec(e.message)![1]);
      assert.ok(fits >= 1 && fits < 64);
      assert.ok(planMemory(m, opt, [1, 8, 8], fits, limits).largestBufferBytes <= limit);
      assert.ok(planMemory(m, opt, [1, 8, 8], fits + 1, limits).largestBufferBytes > limit);
      return true;
    });
    assert.ok(plan.estimatedBytes > m.parameters().reduce((t, p) => t + p.size * 4 * 3, 0), 'parameters, gradients, momentum and activations');
    opt.dispose();
    m.dispose();
  });

  it('SAM over AdamW with micro-batches: stopped mid-epoch and resumed, the same result; the moments are in the checkpoint', async () => {
    const cfg = {
      name: 'adam-resume', seed: 2, dataset: { name: 'synthetic', options: { train: 48, val: 16, test: 16, size: 8 } },
      optimizer: { name: 'sam', base: 'adamw', lr: 1e-3, weightDecay: 0.01, rho: 0.05 },
      schedule: { name: 'cosine', warmupEpochs: 0.5 }, epochs: 2, batchSize: 16, microBatchSize: 6, probe: { l2Grid: [0.1] },
    };
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    assert.equal((await runInDir(a, cfg)).status, 'done');
    let steps = 0;
    assert.deepEqual(await runInDir(b, cfg, { onProgress: () => steps++, shouldStop: () => steps === 4 }), { status: 'stopped', epoch: 1, batch: 1 });
    const ck = decodeCheckpoint(readFileSync(join(b, 'checkpoint.safetensors')), 'ck').checkpoint;
    assert.deepEqual(Object.keys(ck.optimizer.buffers ?? {}).sort(), ['exp_avg', 'exp_avg_sq']);
    assert.equal(ck.optimizer.momentum, null);
    assert.equal((await runInDir(b, null, { resume: true })).status, 'done');
    const strip = (dir: string) => {
      const f = JSON.parse(readFileSync(join(dir, 'final.json'), 'utf8'));
      delete f.seconds;
      for (const m of f.metrics) delete m.seconds;
      return f;
    };
    assert.deepEqual(strip(b), strip(a));
  });
});
