// One run of the paper's protocol: train a model with SGD / SAM / LSAM on the task label of a
// two-feature dataset, then probe the frozen features for each feature. Pure engine code (no
// files), so it runs in Node and in browsers; checkpoints go through hooks.
import { SamgpuError } from '../../engine/device/errors.ts';
import { tensor, type Tensor } from '../../engine/tensor.ts';
import { keep, scope } from '../../engine/scope.ts';
import { Rng } from '../../engine/random.ts';
import { backward } from '../../engine/autograd/backward.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { crossEntropy, softmaxImportanceWeights } from '../../engine/ops/loss.ts';
import { accuracy, argmax } from '../../engine/ops/select.ts';
import { concat } from '../../engine/ops/layout.ts';
import type { Module } from '../../engine/nn/module.ts';
import { Dropout } from '../../engine/nn/functional-layers.ts';
import { SmallCNN } from '../../engine/models/small-cnn.ts';
import { resnet18, resnet50 } from '../../engine/models/resnet.ts';
import { SGD, type OptimizerState } from '../../engine/optim/sgd.ts';
import { SAM } from '../../engine/optim/sam.ts';
import { cosineLR, constantLR } from '../../engine/optim/schedules.ts';
import type { TwoFeatureDataset, TwoFeatureSplit } from '../data/types.ts';
import { probeFeatures, type ProbeReport } from '../probe/feature-probes.ts';
import { epochOrder } from '../data/batches.ts';
import { gini, lorenz } from '../metrics.ts';
import type { RunConfig } from './config.ts';

export interface EpochMetrics {
  epoch: number;
  step: number;
  trainLoss: number;
  trainAcc: number;
  valAcc: number;
  lr: number;
  seconds: number;
  /** Importance weights of the epoch's last batch (see ImportanceStats). */
  importance?: ImportanceStats;
}

/**
 * SAM's first mechanism on the real data: the per-example weights λᵢ = 1 − p(yᵢ|xᵢ) of the
 * epoch's last training batch at θ (both optimizers) and λ̃ᵢ at the phantom θ̃ (SAM runs), from
 * the logits the step computed anyway (one small kernel per pass, no extra forward).
 */
export interface ImportanceStats {
  gini: number;
  /** Lorenz curve at LORENZ_POINTS evenly spaced population shares. */
  lorenz: number[];
  giniPhantom?: number;
  lorenzPhantom?: number[];
}

export const LORENZ_POINTS = 21;

/** Where a run is: enough, with the tensors, to continue it exactly. */
export interface TrainPosition {
  epoch: number;
  /** Batches of `epoch` already done. */
  batch: number;
  step: number;
  metrics: EpochMetrics[];
  /** Dropout call counters, in module order. */
  dropoutCalls: number[];
  /** Per-batch losses and accuracies of the unfinished epoch (a mid-epoch stop). */
  partial?: { losses: number[]; accs: number[] };
}

export interface Checkpoint {
  position: TrainPosition;
  model: Map<string, { shape: number[]; data: Float32Array }>;
  optimizer: OptimizerState;
}

export interface FinalResult {
  config: RunConfig;
  metrics: EpochMetrics[];
  testAcc: number;
  /**
   * In-distribution accuracy: the test split's per-group accuracies weighted by the training
   * split's group frequencies (what accuracy on data distributed like train would be; with a
   * fully correlated train, the accuracy on the test groups where the two features agree).
   */
  inDistAcc: number;
  worstGroupAcc: number;
  groupAcc: Record<string, number>;
  probes: ProbeReport;
  seconds: number;
}

/** What a run reports after each step (for progress bars and lines). */
export interface ProgressInfo {
  /** 0-based epoch; `batch` of `batches` done in it; `step` steps done in the whole run. */
  epoch: number;
  batch: number;
  batches: number;
  step: number;
  /** Mean training loss of the last finished epoch (1-based `epoch`), null before the first
   * ends: the freshest loss known without reading one back per step, which would make the CPU
   * wait for the GPU every step. */
  lastLoss: { epoch: number; value: number } | null;
}

/** A captured checkpoint's place in the run, for messages. */
export type CheckpointPlace = Pick<TrainPosition, 'epoch' | 'batch' | 'step'>;

export interface RunHooks {
  resume?: Checkpoint;
  /** After each epoch, with a function that captures a checkpoint. */
  onEpoch?: (m: EpochMetrics, checkpoint: () => Promise<Checkpoint>) => Promise<void> | void;
  /** Polled between steps; when true the run checkpoints and stops (Ctrl-C, preemption). */
  shouldStop?: () => boolean;
  onStopped?: (checkpoint: Checkpoint) => Promise<void> | void;
  onProgress?: (p: ProgressInfo) => void;
  /** Where the hooks save captured checkpoints, to name in errors (DivergedError). */
  checkpointPath?: string;
}

export class RunStopped extends Error {
  constructor(readonly position: TrainPosition) {
    super(`run stopped at epoch ${position.epoch}, batch ${position.batch}`);
  }
}

/** Where a checkpoint holding `c` stands, in words: "end of epoch 2 (step 8)". */
export function describeCheckpoint(c: CheckpointPlace, batches: number): string {
  if (c.step === 0) return 'start of training (step 0)';
  // Positions count epochs from 0 and batches done in that epoch; a finished epoch is stored as
  // the start of the next one.
  if (c.batch === 0) return `end of epoch ${c.epoch} (step ${c.step})`;
  return `mid-epoch stop: epoch ${c.epoch + 1} after batch ${c.batch}/${batches} (step ${c.step})`;
}

/** NaN/Inf loss: names the step, where it was noticed, and the last good checkpoint. */
export class DivergedError extends SamgpuError {
  constructor(
    /** The step (1-based) whose loss, computed before its update, is not finite. */
    readonly at: { step: number; epoch: number; batch: number; batches: number },
    readonly loss: number,
    /** Steps done when the losses were read back and the bad one seen, and at what point. */
    readonly detectedAt: { step: number; when: string },
    readonly lastGood: { place: CheckpointPlace; text: string; path?: string } | null,
  ) {
    super(
      `training diverged: non-finite loss at step ${at.step} (epoch ${at.epoch}, batch ${at.batch}/${at.batches}; loss ${loss}), noticed after step ${detectedAt.step} ${detectedAt.when} ` +
        `(losses are read back at epoch ends and stops, not every step${detectedAt.step > at.step ? `, so ${detectedAt.step - at.step} more step(s) ran after it` : ''}); ` +
        (lastGood === null ? 'no checkpoint yet' : `last good checkpoint: ${lastGood.path ? `${lastGood.path}, ` : ''}${lastGood.text}`),
    );
  }
}

export function buildModel(cfg: RunConfig, data: TwoFeatureDataset): Module & { features(x: Tensor): Tensor } {
  const [c, h, w] = data.shape;
  const classes = data.features[data.task].classes.length;
  const rng = new Rng(cfg.seed * 7919 + 1);
  if (cfg.model.name === 'small-cnn') return new SmallCNN({ inChannels: c, height: h, width: w, classes, rng });
  const f = cfg.model.name === 'resnet18' ? resnet18 : resnet50;
  return f({ classes, inChannels: c, stem: cfg.model.stem ?? 'cifar', rng });
}

/** x and task labels y of examples `idx[from … to)` of a split, uploaded. */
export function gather(split: TwoFeatureSplit, idx: ArrayLike<number>, from: number, to: number): { x: Tensor; y: Tensor } {
  const [c, h, w] = split.shape;
  const per = c * h * w;
  const xs = new Float32Array((to - from) * per);
  const ys = new Float32Array(to - from);
  for (let i = from; i < to; i++) {
    const k = idx[i];
    xs.set(split.images.subarray(k * per, (k + 1) * per), (i - from) * per);
    ys[i - from] = split.y[k];
  }
  return { x: tensor(xs, [to - from, c, h, w]), y: tensor(ys, [to - from]) };
}

/** Predicted task labels of a whole split (eval mode). */
async function predict(model: Module & { features(x: Tensor): Tensor }, split: TwoFeatureSplit, batch = 256): Promise<Float32Array> {
  model.eval();
  const all = Int32Array.from({ length: split.n }, (_, i) => i);
  const parts: Tensor[] = [];
  for (let s = 0; s < split.n; s += batch) {
    const e = Math.min(split.n, s + batch);
    parts.push(keep(noGrad(() => scope(() => argmax(model.forward(gather(split, all, s, e).x), -1)))));
  }
  const joined = parts.length === 1 ? parts[0] : noGrad(() => concat(parts, 0));
  const out = await joined.read();
  for (const p of parts) p.dispose();
  joined.dispose();
  return out;
}

function groupAccuracy(split: TwoFeatureSplit, pred: Float32Array): { acc: number; groups: Record<string, number>; worst: number } {
  const hit = new Map<number, [number, number]>();
  let correct = 0;
  for (let i = 0; i < split.n; i++) {
    const ok = pred[i] === split.y[i] ? 1 : 0;
    correct += ok;
    const g = split.group[i];
    const h = hit.get(g) ?? [0, 0];
    hit.set(g, [h[0] + ok, h[1] + 1]);
  }
  const groups: Record<string, number> = {};
  for (const [g, [c, n]] of [...hit].sort((a, b) => a[0] - b[0])) groups[String(g)] = c / n;
  return { acc: correct / split.n, groups, worst: Math.min(...Object.values(groups)) };
}

/** Gini and Lorenz curve of λ (and λ̃) from the recorded weight tensors, which it frees. */
async function importanceStats(weights: Tensor[]): Promise<ImportanceStats | undefined> {
  if (!weights[0]) return undefined;
  const [real, phantom] = await Promise.all(weights.map((w) => w.read()));
  for (const w of weights) w.dispose();
  weights.length = 0;
  const out: ImportanceStats = { gini: gini(real), lorenz: lorenz(real, LORENZ_POINTS).y };
  if (phantom) Object.assign(out, { giniPhantom: gini(phantom), lorenzPhantom: lorenz(phantom, LORENZ_POINTS).y });
  return out;
}

/** Σ_g p_train(g) · acc_test(g) over the groups the test split has; NaN when none of train's groups is in it. */
export function inDistributionAccuracy(train: TwoFeatureSplit, testGroups: Record<string, number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < train.n; i++) counts.set(train.group[i], (counts.get(train.group[i]) ?? 0) + 1);
  let acc = 0;
  let mass = 0;
  for (const [g, c] of counts) {
    if (!(String(g) in testGroups)) continue;
    acc += c * testGroups[String(g)];
    mass += c;
  }
  return mass ? acc / mass : NaN;
}

export async function runExperiment(cfg: RunConfig, data: TwoFeatureDataset, hooks: RunHooks = {}): Promise<FinalResult> {
  const t0 = performance.now();
  const model = buildModel(cfg, data);
  const o = cfg.optimizer;
  const sgd = new SGD(model.parameters(), { lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay });
  const sam = o.name === 'sgd' ? null : new SAM(model, sgd, { rho: o.rho, perturb: o.name === 'lsam' ? 'last' : 'all', adaptive: o.name === 'asam' });
  const train = data.splits.train;
  const batches = Math.ceil(train.n / cfg.batchSize);
  const schedule = cfg.schedule === 'cosine' ? cosineLR(o.lr, cfg.epochs * batches) : constantLR(o.lr);
  const dropouts = [...model.modules()].map(([, m]) => m).filter((m): m is Dropout => m instanceof Dropout);
  const pos: TrainPosition = { epoch: 0, batch: 0, step: 0, metrics: [], dropoutCalls: dropouts.map(() => 0) };
  if (hooks.resume) {
    model.loadStateDict(hooks.resume.model);
    sgd.loadState(hooks.resume.optimizer);
    Object.assign(pos, structuredClone(hooks.resume.position));
    dropouts.forEach((d, i) => (d.calls = pos.dropoutCalls[i] ?? 0));
  }
  // The newest checkpoint handed to the hooks (they save it), named when the run diverges. Only
  // finite-loss positions are captured: the losses are checked before every capture.
  let saved: CheckpointPlace | null = hooks.resume ? { epoch: pos.epoch, batch: pos.batch, step: pos.step } : null;
  /** The error for the first non-finite value of `values`, the losses of the current epoch's
   * steps from its first one; null when all are finite. */
  const diverged = (values: number[], when: string): DivergedError | null => {
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad < 0) return null;
    const epochStart = pos.step - pos.batch;
    return new DivergedError(
      { step: epochStart + bad + 1, epoch: pos.epoch + 1, batch: bad + 1, batches },
      values[bad],
      { step: pos.step, when },
      saved && { place: saved, text: describeCheckpoint(saved, batches), path: hooks.checkpointPath },
    );
  };
  const capture = async (): Promise<Checkpoint> => {
    const state = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [k, t] of model.stateDict()) state.set(k, { shape: [...t.shape], data: await t.read() });
    pos.dropoutCalls = dropouts.map((d) => d.calls);
    return { position: structuredClone(pos), model: state, optimizer: await sgd.saveState() };
  };
  // Forward + backward; the first pass also records the batch's training accuracy, and when
  // `weights` is given each pass its importance weights (from the same logits, no extra forward).
  const closure = (x: Tensor, y: Tensor, accs: Tensor[], weights?: Tensor[]) => (pass: 0 | 1 = 0) => {
    const logits = model.forward(x);
    if (pass === 0) accs.push(keep(noGrad(() => accuracy(logits, y))));
    if (weights) weights[pass] = keep(noGrad(() => softmaxImportanceWeights(logits, y)));
    const l = crossEntropy(logits, y);
    backward(l);
    return l;
  };
  try {
    for (; pos.epoch < cfg.epochs; pos.epoch++, pos.batch = 0) {
      const te = performance.now();
      const order = epochOrder(train.n, cfg.seed, pos.epoch);
      const losses: Tensor[] = [];
      const accs: Tensor[] = [];
      const weights: Tensor[] = []; // λ (pass 0) and λ̃ (pass 1) of the epoch's last batch
      const before = pos.partial ?? { losses: [], accs: [] };
      pos.partial = undefined;
      const readAll = async (ts: Tensor[]): Promise<number[]> => {
        if (!ts.length) return [];
        const joined = noGrad(() => scope(() => concat(ts.map((t) => t.view([1])), 0)));
        const v = [...(await joined.read())];
        joined.dispose();
        return v;
      };
      model.train();
      for (; pos.batch < batches; pos.batch++, pos.step++) {
        // Let signal handlers (Ctrl-C, SIGTERM from a scheduler) run between steps: the loop
        // itself never awaits until the end of the epoch.
        await new Promise((r) => setImmediate(r));
        if (hooks.shouldStop?.()) {
          pos.partial = { losses: [...before.losses, ...(await readAll(losses))], accs: [...before.accs, ...(await readAll(accs))] };
          for (const t of [...losses, ...accs]) t.dispose();
          // Never save a diverged state over the last good checkpoint.
          const err = diverged(pos.partial.losses, `when the run was stopped in epoch ${pos.epoch + 1}`);
          if (err) throw err;
          const ck = await capture();
          await hooks.onStopped?.(ck);
          saved = { epoch: ck.position.epoch, batch: ck.position.batch, step: ck.position.step };
          throw new RunStopped(ck.position);
        }
        sgd.lr = schedule(pos.step);
        const { x, y } = gather(train, order, pos.batch * cfg.batchSize, Math.min(train.n, (pos.batch + 1) * cfg.batchSize));
        let loss: Tensor;
        const f = closure(x, y, accs, pos.batch === batches - 1 ? weights : undefined);
        if (sam) loss = sam.step(f);
        else {
          sgd.zeroGrad();
          loss = keep(scope(() => f(0)));
          sgd.step();
        }
        losses.push(loss);
        x.dispose();
        y.dispose();
        const last = pos.metrics.at(-1);
        hooks.onProgress?.({
          epoch: pos.epoch,
          batch: pos.batch + 1,
          batches,
          step: pos.step + 1,
          lastLoss: last ? { epoch: last.epoch, value: last.trainLoss } : null,
        });
      }
      const lossValues = [...before.losses, ...(await readAll(losses))];
      const accValues = [...before.accs, ...(await readAll(accs))];
      for (const t of [...losses, ...accs]) t.dispose();
      // The losses come back once per epoch (here) or at a stop, never per step: a NaN mid-epoch
      // is noticed only now, after the epoch's remaining steps ran on the diverged weights.
      const err = diverged(lossValues, `at the end of epoch ${pos.epoch + 1}`);
      if (err) throw err;
      const importance = await importanceStats(weights);
      const pred = await predict(model, data.splits.val);
      const m: EpochMetrics = {
        epoch: pos.epoch + 1,
        step: pos.step,
        trainLoss: lossValues.reduce((a, b) => a + b, 0) / lossValues.length,
        trainAcc: accValues.reduce((a, b) => a + b, 0) / accValues.length,
        valAcc: groupAccuracy(data.splits.val, pred).acc,
        lr: sgd.lr,
        seconds: (performance.now() - te) / 1000,
        ...(importance ? { importance } : {}),
      };
      pos.metrics.push(m);
      const epochDone = { ...pos, epoch: pos.epoch + 1, batch: 0 };
      await hooks.onEpoch?.(m, async () => {
        const ck = await capture();
        ck.position = structuredClone({ ...epochDone, dropoutCalls: ck.position.dropoutCalls });
        saved = { epoch: epochDone.epoch, batch: 0, step: epochDone.step };
        return ck;
      });
    }
    const test = data.splits.test;
    const ga = groupAccuracy(test, await predict(model, test));
    const probes = await probeFeatures(model, data.probeSplits?.fit ?? data.splits.val, data.probeSplits?.test ?? test, { l2Grid: cfg.probe.l2Grid, seed: cfg.seed, maxPerGroup: cfg.probe.maxPerGroup });
    return {
      config: cfg,
      metrics: pos.metrics,
      testAcc: ga.acc,
      inDistAcc: inDistributionAccuracy(data.splits.train, ga.groups),
      worstGroupAcc: ga.worst,
      groupAcc: ga.groups,
      probes,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    sam?.dispose();
    sgd.dispose();
    sgd.flat.data.dispose();
    sgd.flat.grad.dispose();
    model.dispose();
  }
}
