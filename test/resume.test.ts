// Resume is bit-exact for every kind of state: a run stopped at a seeded random step, saved
// through the checkpoint's bytes and resumed ends with exactly the state of the same run done in
// one go — parameters, momentum, batch-norm running statistics, dropout counters, the step and
// learning rate the schedule is at, the per-epoch losses and importance weights, and SAM's
// options — for SGD, SAM, LSAM, ASAM, a batch-norm + dropout model, a cosine schedule and a
// tiny ResNet-18. In process, before the probes (the training state is what a resume restores).
import assert from 'node:assert/strict';
import { Rng } from '../engine/random.ts';
import { Module } from '../engine/nn/module.ts';
import { BatchNorm2d, Conv2d, Linear } from '../engine/nn/layers.ts';
import { Dropout, Flatten, ReLU, Sequential } from '../engine/nn/functional-layers.ts';
import type { Tensor } from '../engine/tensor.ts';
import { syntheticTwoFeature } from '../experiments/data/synthetic.ts';
import { validateConfig, type RunConfig } from '../experiments/runner/config.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../experiments/runner/checkpoint.ts';
import { runExperiment, RunStopped, type Checkpoint, type RunHooks } from '../experiments/runner/train.ts';
import type { TwoFeatureDataset } from '../experiments/data/types.ts';
import { gpu } from './helpers.ts';

class Trained extends Error {}

/** Conv → batch norm → ReLU → dropout, then a linear head: every kind of state a module keeps. */
class BatchNormDropoutNet extends Module {
  readonly body: Sequential;
  readonly head: Linear;
  constructor(data: TwoFeatureDataset, seed: number) {
    super();
    const rng = new Rng(seed);
    const [c, h, w] = data.shape;
    this.body = this.registerModule('body', new Sequential(new Conv2d(c, 4, 3, { padding: 1, rng }), new BatchNorm2d(4), new ReLU(), new Dropout(0.25, seed), new Flatten()));
    this.head = this.registerModule('head', new Linear(4 * h * w, 2, { rng }));
  }
  features(x: Tensor): Tensor {
    return this.body.forward(x);
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }
}

type Build = RunHooks['buildModel'];

/** Train to the end of the last epoch and return the state a checkpoint there holds (no probes). */
async function trainToEnd(cfg: RunConfig, data: TwoFeatureDataset, hooks: RunHooks = {}): Promise<Checkpoint> {
  let last: Checkpoint | null = null;
  try {
    await runExperiment(cfg, data, {
      ...hooks,
      onEpoch: async (m, capture) => {
        if (m.epoch < cfg.epochs!) return;
        last = await capture();
        throw new Trained();
      },
    });
  } catch (e) {
    if (!(e instanceof Trained)) throw e;
  }
  assert.ok(last);
  return last;
}

/** Stop after `at` steps, keep only the checkpoint's bytes, resume from them, train to the end. */
async function stoppedAndResumed(cfg: RunConfig, data: TwoFeatureDataset, at: number, buildModel?: Build): Promise<Checkpoint> {
  let steps = 0;
  let bytes: Uint8Array | null = null;
  await assert.rejects(
    runExperiment(cfg, data, { buildModel, onProgress: () => steps++, shouldStop: () => steps === at, onStopped: (ck) => void (bytes = encodeCheckpoint(ck, cfg)) }),
    RunStopped,
  );
  const { checkpoint } = decodeCheckpoint(bytes!, `stop at step ${at}`);
  assert.equal(checkpoint.position.step, at);
  return trainToEnd(cfg, data, { resume: checkpoint, buildModel });
}

function sameBits(a: Float32Array | null, b: Float32Array | null): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Every field of two checkpoints, bit for bit (the per-epoch wall-clock times excepted). */
function assertSameState(a: Checkpoint, b: Checkpoint, what: string): void {
  assert.deepEqual([...b.model.keys()], [...a.model.keys()], `${what}: state-dict names`);
  for (const [k, v] of a.model) assert.ok(sameBits(v.data, b.model.get(k)!.data), `${what}: ${k} differs`);
  assert.ok(sameBits(a.optimizer.momentum, b.optimizer.momentum), `${what}: momentum buffer differs`);
  assert.deepEqual([b.optimizer.steps, b.optimizer.lr], [a.optimizer.steps, a.optimizer.lr], `${what}: optimizer steps and learning rate`);
  assert.deepEqual(b.sam, a.sam, `${what}: SAM's options`);
  const untimed = (c: Checkpoint) => ({ ...c.position, metrics: c.position.metrics.map(({ seconds: _, ...m }) => m) });
  assert.deepEqual(untimed(b), untimed(a), `${what}: position, dropout counters, per-epoch losses and importance weights`);
}

const BASE = {
  seed: 5,
  dataset: { name: 'synthetic', options: { train: 32, val: 8, test: 8, size: 8 } },
  epochs: 2,
  batchSize: 8,
  optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4, rho: 0.05 },
  probe: { l2Grid: [0.1] },
};

const VARIANTS: { name: string; config: Record<string, unknown>; build?: Build; has: string[] }[] = [
  { name: 'SGD with momentum', config: {}, has: ['momentum'] },
  { name: 'SAM', config: { optimizer: { ...BASE.optimizer, name: 'sam' } }, has: ['sam'] },
  { name: 'LSAM (last layer perturbed)', config: { optimizer: { ...BASE.optimizer, name: 'lsam' } }, has: ['sam'] },
  { name: 'ASAM', config: { optimizer: { ...BASE.optimizer, name: 'asam', rho: 0.5 } }, has: ['sam'] },
  {
    name: 'a batch-norm + dropout model under SAM',
    config: { optimizer: { ...BASE.optimizer, name: 'sam' } },
    build: (cfg, data) => new BatchNormDropoutNet(data, cfg.seed),
    has: ['sam', 'running_mean', 'dropout'],
  },
  { name: 'a cosine schedule', config: { schedule: 'cosine', epochs: 3 }, has: ['lr'] },
  // ResNet-18 steps cost seconds on lavapipe even on 8×8 images: one epoch of two steps, stopped between them
  {
    name: 'ResNet-18 (tiny images)',
    config: { model: { name: 'resnet18', stem: 'cifar' }, epochs: 1, dataset: { name: 'synthetic', options: { train: 16, val: 8, test: 8, size: 8 } } },
    has: ['running_var'],
  },
];

describe('resume: bit-exact for every kind of state', () => {
  before(gpu);
  const rng = new Rng(20240514);

  for (const v of VARIANTS) {
    it(`${v.name}: stopped at a random step and resumed equals the run done in one go`, async function () {
      this.timeout(120_000);
      const cfg = validateConfig({ ...BASE, name: 'resume', ...v.config });
      const data = syntheticTwoFeature({ seed: cfg.seed, ...(cfg.dataset.options as object) });
      const total = cfg.epochs! * Math.ceil(data.splits.train.n / cfg.batchSize);
      const at = 1 + Math.floor(rng.next() * (total - 1)); // seeded: a failure names its step
      const whole = await trainToEnd(cfg, data, { buildModel: v.build });
      const resumed = await stoppedAndResumed(cfg, data, at, v.build);
      assertSameState(whole, resumed, `${v.name}, stopped after step ${at} of ${total}`);
      // the state compared holds what this variant is about
      const names = [...whole.model.keys()].join(' ');
      if (v.has.includes('sam')) assert.ok(whole.sam && whole.sam.perturbed.length > 0);
      if (v.has.includes('momentum')) assert.ok(whole.optimizer.momentum);
      for (const k of ['running_mean', 'running_var']) if (v.has.includes(k)) assert.ok(names.includes(k), names);
      if (v.has.includes('dropout')) assert.ok(whole.position.dropoutCalls.length === 1 && whole.position.dropoutCalls[0] >= 2 * total);
      if (v.has.includes('lr')) assert.notEqual(whole.optimizer.lr, cfg.optimizer.lr);
    });
  }
});
