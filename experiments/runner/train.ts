// One run of the paper's protocol: train a model with SGD / SAM / LSAM on the task label of a
// two-feature dataset, then probe the frozen features for each feature. Pure engine code (no
// files), so it runs in Node and in browsers; checkpoints go through hooks.
import { type Tensor } from '../../engine/tensor.ts';
import { scope } from '../../engine/scope.ts';
import { noGrad } from '../../engine/autograd/grad-mode.ts';
import { concat } from '../../engine/ops/layout.ts';
import { Dropout } from '../../engine/nn/functional-layers.ts';
import type { TwoFeatureDataset } from '../data/types.ts';
import { probeFeatures } from '../probe/feature-probes.ts';
import type { RunConfig } from './config.ts';
import type { Checkpoint, CheckpointPlace, EpochMetrics, FinalResult, RunHooks, TrainPosition } from './types.ts';
import { DivergedError, DivergedStateError, RunStopped, describeCheckpoint, findNonFiniteState } from './divergence.ts';
import { buildModel, freezeBatchNorm } from './model.ts';
import { buildOptimizer } from './optimizer.ts';
import { makeSampler } from './sampler.ts';
import { batchInputs, trainStep } from './step.ts';
import { gather } from './evaluate.ts';
import { epochOrder } from '../data/batches.ts';
import { backward } from '../../engine/autograd/backward.ts';
import { crossEntropy } from '../../engine/ops/loss.ts';
import { checkMemory } from './memory.ts';
import { groupAccuracy, inDistributionAccuracy, predict } from './evaluate.ts';
import { SAM } from '../../engine/optim/sam.ts';
import { evaluateImportance, importanceIndices } from './importance.ts';
import { carveSplit } from '../data/probe-sets.ts';
import { probeExtractor } from './model.ts';
import type { TwoFeatureSplit } from '../data/types.ts';
import { autotune } from '../../engine/tune/tuner.ts';
import { pinChoices, unpinChoices, type KernelChoices } from '../../engine/tune/choices.ts';
import { getRuntime } from '../../engine/runtime/current.ts';
import { restoreCheckpoint, samState } from './resume-check.ts';
import { StepPacer } from './step-pacer.ts';
import { measureFeatureRank, type FeatureRank } from '../probe/feature-rank.ts';
import type { ProbeReport } from '../probe/feature-probes.ts';
import type { UpsamplingInfo } from './types.ts';
import { identificationEpochs, type JttConfig, type UsefulConfig } from '../methods/config.ts';
import { lossModifier, restoreMethodState, type LossModifier } from '../methods/loss-modifier.ts';
import { jttRepeats } from '../methods/upsample.ts';
import { usefulRepeats } from '../methods/useful.ts';
import { deepFeatureReweighting } from '../methods/dfr.ts';
import { trainLogits } from './evaluate.ts';

export * from './types.ts';
export * from './divergence.ts';
export { buildModel } from './model.ts';
export { gather, inDistributionAccuracy } from './evaluate.ts';

/**
 * The splits a run evaluates on: the probes' fit and test sets, and the selection split (per-epoch
 * validation accuracy; what lr and ρ are chosen on), disjoint from both. Datasets with their own
 * probe splits (DomainBed: the target domain) keep them, and validate on the whole val split.
 */
export function evaluationSplits(cfg: RunConfig, data: TwoFeatureDataset): { probeFit: TwoFeatureSplit; probeTest: TwoFeatureSplit; selection: TwoFeatureSplit } {
  if (data.probeSplits) return { probeFit: data.probeSplits.fit, probeTest: data.probeSplits.test, selection: data.splits.val };
  const [probeFit, selection] = carveSplit(data, data.splits.val, cfg.probe.fitShare, (cfg.seed * 7349 + 11) >>> 0);
  return { probeFit, probeTest: data.splits.test, selection };
}

export async function runExperiment(cfg: RunConfig, data: TwoFeatureDataset, hooks: RunHooks = {}): Promise<FinalResult> {
  const t0 = performance.now();
  const m = cfg.method;
  // JTT and USEFUL: an identification run (the same machinery, without the method) decides
  // how often each training example is seen; it is deterministic, so a resume recomputes it
  const up = m?.name === 'jtt' || m?.name === 'useful' ? await identificationRun(cfg, data, hooks, m) : undefined;
  return trainRun(cfg, data, hooks, up?.repeats, async ({ model, pos, probe, splits, lossMod, rank }) => {
    const test = data.splits.test;
    const ga = groupAccuracy(test, await predict(model, test));
    const probes = await probe();
    const importance = [pos.initialImportance, ...pos.metrics.map((x) => x.importance)].filter((v) => v !== undefined);
    const dfr = m?.name === 'dfr'
      ? await deepFeatureReweighting(probeExtractor(model, cfg.probe.representation), splits.selection, test, data.splits.train, { ...m, seed: cfg.seed, classes: data.features[data.task].classes.length })
      : undefined;
    const q = lossMod?.state ? [...(await lossMod.state())] : undefined;
    return {
      config: cfg,
      metrics: pos.metrics,
      testAcc: ga.acc,
      inDistAcc: inDistributionAccuracy(data.splits.train, ga.groups),
      worstGroupAcc: ga.worst,
      groupAcc: ga.groups,
      ...(data.singleLabel ? { singleLabel: true } : {}),
      probes,
      ...(pos.untrainedProbes ? { untrainedProbes: pos.untrainedProbes } : {}),
      importance,
      ...(await rank()),
      ...(dfr ? { dfr } : {}),
      ...(up ? { upsampling: up.info } : {}),
      ...(q ? { groupDro: { q } } : {}),
      seconds: (performance.now() - t0) / 1000,
    };
  });
}

/**
 * JTT's or USEFUL's first stage: the run's config without the method, for the identification
 * epochs, no probes or diagnostics; its training-split outputs (eval mode) give the repeat counts.
 */
async function identificationRun(cfg: RunConfig, data: TwoFeatureDataset, hooks: RunHooks, m: JttConfig | UsefulConfig): Promise<{ repeats: Int32Array; info: UpsamplingInfo }> {
  const epochs = identificationEpochs(m, cfg.epochs!);
  const idCfg: RunConfig = { ...cfg, method: undefined, epochs, probe: { ...cfg.probe, untrained: false }, importance: { ...cfg.importance, examples: 0 } };
  const train = data.splits.train;
  const classes = data.features[data.task].classes.length;
  // only the model hooks: its progress, checkpoints and stops are not the run's (a stop is
  // honoured at the final run's first step)
  const logits = await trainRun(idCfg, data, { weights: hooks.weights, buildModel: hooks.buildModel }, undefined, ({ model }) => trainLogits(model, train));
  if (m.name === 'jtt') {
    const pred = Int32Array.from({ length: train.n }, (_, i) => {
      let best = 0;
      for (let a = 1; a < classes; a++) if (logits[i * classes + a] > logits[i * classes + best]) best = a;
      return best;
    });
    const repeats = jttRepeats(pred, train.y, m.upweight);
    const upsampled = repeats.reduce((s, c) => s + (c > 1 ? 1 : 0), 0);
    return { repeats, info: { method: 'jtt', identificationEpochs: epochs, upsampled, upweight: m.upweight, epochExamples: repeats.reduce((s, c) => s + c, 0) } };
  }
  const { counts, upsampled } = usefulRepeats(logits, train.y, classes, m.upweight);
  return { repeats: counts, info: { method: 'useful', identificationEpochs: epochs, upsampled, upweight: m.upweight, epochExamples: counts.reduce((s, c) => s + c, 0) } };
}

interface TrainedRun {
  model: ReturnType<typeof buildModel>;
  pos: TrainPosition;
  probe: () => Promise<ProbeReport>;
  splits: ReturnType<typeof evaluationSplits>;
  lossMod: LossModifier | null;
  /** The probed representation's rank on the probe test split (config `probe.rank`; else nothing). */
  rank: () => Promise<{ featureRank?: FeatureRank }>;
}

/** Train `cfg` (examples seen `repeats[i]` times an epoch when given), then `finish` with the trained model before it is disposed. */
async function trainRun<T>(cfg: RunConfig, data: TwoFeatureDataset, hooks: RunHooks, repeats: Int32Array | undefined, finish: (run: TrainedRun) => Promise<T>): Promise<T> {
  const train = data.splits.train;
  const sampler = makeSampler(cfg.sampler ?? 'shuffle', train, cfg.batchSize, cfg.seed, repeats);
  const model = hooks.buildModel ? hooks.buildModel(cfg, data) : buildModel(cfg, data, hooks.weights);
  const batches = sampler.stepsPerEpoch;
  // `steps` (DomainBed) replaces epochs: the last epoch is cut short
  const totalSteps = cfg.steps ?? cfg.epochs! * batches;
  const epochs = Math.ceil(totalSteps / batches);
  const batchesIn = (epoch: number) => Math.min(batches, totalSteps - epoch * batches);
  const opt = buildOptimizer(cfg, model, totalSteps, batches);
  const { base: sgd, sam, schedule } = opt;
  const splits = evaluationSplits(cfg, data);
  const probe = (m = model) => probeFeatures(probeExtractor(m, cfg.probe.representation), splits.probeFit, splits.probeTest, {
    l2Grid: cfg.probe.l2Grid, seed: cfg.seed, maxPerGroup: cfg.probe.maxPerGroup, valSplit: splits.selection,
    ...(data.annotated ? { annotated: data.annotated.map((f) => f.id) } : {}),
  });
  // config probe.every / probe.rank: the probes over training time and the representation's rank
  const rank = async () => (cfg.probe.rank ? { featureRank: await measureFeatureRank(probeExtractor(model, cfg.probe.representation), splits.probeTest) } : {});
  const probesAt = async (done: number) => (cfg.probe.every && done % cfg.probe.every === 0 && done < epochs ? { probes: await probe(), ...(await rank()) } : {});
  // λ/λ̃ on a fixed training subset; SGD runs borrow a SAM at the configured ρ to find θ̃
  const importanceIdx = cfg.importance.examples > 0 ? importanceIndices(train, cfg.importance.examples, cfg.seed) : null;
  const diagnosticSam = importanceIdx && !sam ? new SAM(model, sgd, { rho: cfg.optimizer.rho }) : null;
  const measureImportance = (at: { step: number; epoch: number }) => evaluateImportance(model, (sam ?? diagnosticSam)!, train, importanceIdx!, cfg.batchSize, at);
  const rhoAt = (step: number) => (cfg.optimizer.rhoWarmup > 0 ? cfg.optimizer.rho * Math.min(1, step / (cfg.optimizer.rhoWarmup * batches)) : cfg.optimizer.rho);
  const dropouts = [...model.modules()].map(([, m]) => m).filter((m): m is Dropout => m instanceof Dropout);
  const lossMod = lossModifier(cfg.method, train);
  const pos: TrainPosition = { epoch: 0, batch: 0, step: 0, metrics: [], dropoutCalls: dropouts.map(() => 0) };
  try {
    checkMemory(model, opt, cfg, data); // a step that cannot fit stops here, before any training
    if (hooks.resume) {
      Object.assign(pos, restoreCheckpoint(hooks.resume, { model, base: sgd, sam, dropouts, batches, epochs, source: hooks.checkpointPath }));
      restoreMethodState(hooks.resume, lossMod, hooks.checkpointPath);
    }
  } catch (e) {
    lossMod?.dispose();
    diagnosticSam?.dispose();
    opt.dispose();
    model.dispose();
    throw e;
  }
  // Kernel variants: a resumed run pins those its checkpoint recorded; a fresh one tunes the
  // shape classes its step and evaluation use (timing only those not in the cache) and pins the
  // choices known now. Pinned choices hold for the whole run, recorded in every checkpoint.
  const rt = getRuntime();
  let kernels: KernelChoices;
  if (hooks.resume) kernels = hooks.resume.kernels ?? {};
  else {
    const t = performance.now();
    const tuned = await autotune(rt, () => planRun(cfg, data, model, dropouts));
    kernels = tuned.choices;
    if (tuned.rows.length) hooks.onTuned?.(tuned.rows, (performance.now() - t) / 1000);
  }
  const previousPin = pinChoices(rt, kernels);
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
    const q = lossMod?.state ? await lossMod.state() : null;
    return { position: structuredClone(pos), model: state, optimizer: await sgd.saveState(), kernels, ...(sam ? { sam: samState(sam) } : {}), ...(q ? { method: { groupDroQ: q } } : {}) };
  };
  /** Non-finite weights or statistics, read back where the losses are (epoch ends and stops). */
  const divergedState = async (when: string): Promise<DivergedStateError | null> => {
    const bad = await findNonFiniteState(model, sgd.flat);
    return bad && new DivergedStateError(bad, { step: pos.step, when }, saved && { place: saved, text: describeCheckpoint(saved, batches), path: hooks.checkpointPath });
  };
  const pacer = new StepPacer(sgd.flat.data.rt);
  try {
    // The references measured before the first step (kept in the position, so a resume has them).
    if (pos.step === 0) {
      if (cfg.probe.untrained && !pos.untrainedProbes) pos.untrainedProbes = await probe();
      if (importanceIdx && !pos.initialImportance) pos.initialImportance = await measureImportance({ step: 0, epoch: 0 });
    }
    for (; pos.epoch < epochs; pos.epoch++, pos.batch = 0) {
      const te = performance.now();
      const nBatches = batchesIn(pos.epoch);
      const losses: Tensor[] = [];
      const accs: Tensor[] = [];
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
      if (cfg.model.freezeBatchNorm) freezeBatchNorm(model);
      for (; pos.batch < nBatches; pos.batch++, pos.step++) {
        // Let signal handlers (Ctrl-C, SIGTERM from a scheduler) run between steps (the pacer's
        // wait below yields too, but not before the first step).
        await new Promise((r) => setImmediate(r));
        if (hooks.shouldStop?.()) {
          pos.partial = { losses: [...before.losses, ...(await readAll(losses))], accs: [...before.accs, ...(await readAll(accs))] };
          for (const t of [...losses, ...accs]) t.dispose();
          // Never save a diverged state over the last good checkpoint.
          const err = diverged(pos.partial.losses, `when the run was stopped in epoch ${pos.epoch + 1}`) ?? (await divergedState(`when the run was stopped in epoch ${pos.epoch + 1}`));
          if (err) throw err;
          const ck = await capture();
          await hooks.onStopped?.(ck);
          saved = { epoch: ck.position.epoch, batch: ck.position.batch, step: ck.position.step };
          throw new RunStopped(ck.position);
        }
        sgd.lr = schedule(pos.step);
        if (sam) sam.rho = rhoAt(pos.step);
        const idx = sampler.indices(pos.epoch, pos.batch, pos.step);
        losses.push(trainStep(model, opt, train, idx, { seed: cfg.seed, epoch: pos.epoch, microBatchSize: cfg.microBatchSize, loss: lossMod }, { accs }));
        await pacer.afterStep();
        const last = pos.metrics.at(-1);
        hooks.onProgress?.({
          epoch: pos.epoch,
          batch: pos.batch + 1,
          batches,
          totalSteps,
          step: pos.step + 1,
          lastLoss: last ? { epoch: last.epoch, value: last.trainLoss } : null,
        });
      }
      const lossValues = [...before.losses, ...(await readAll(losses))];
      const accValues = [...before.accs, ...(await readAll(accs))];
      for (const t of [...losses, ...accs]) t.dispose();
      // The losses come back once per epoch (here) or at a stop, never per step: a NaN mid-epoch
      // is noticed only now, after the epoch's remaining steps ran on the diverged weights.
      const err = diverged(lossValues, `at the end of epoch ${pos.epoch + 1}`) ?? (await divergedState(`at the end of epoch ${pos.epoch + 1}`));
      if (err) throw err;
      const done = pos.epoch + 1;
      const importance = importanceIdx && (done % cfg.importance.every === 0 || done === epochs) ? await measureImportance({ step: pos.step, epoch: done }) : undefined;
      const pred = await predict(model, splits.selection);
      const m: EpochMetrics = {
        epoch: done,
        step: pos.step,
        trainLoss: lossValues.reduce((a, b) => a + b, 0) / lossValues.length,
        trainAcc: accValues.reduce((a, b) => a + b, 0) / accValues.length,
        valAcc: groupAccuracy(splits.selection, pred).acc,
        lr: sgd.lr,
        ...(sam ? { rho: sam.rho } : {}),
        seconds: (performance.now() - te) / 1000,
        ...(importance ? { importance } : {}),
        ...(await probesAt(done)),
      };
      pos.metrics.push(m);
      const epochDone = { ...pos, epoch: done, batch: 0 };
      await hooks.onEpoch?.(m, async () => {
        const ck = await capture();
        ck.position = structuredClone({ ...epochDone, dropoutCalls: ck.position.dropoutCalls });
        saved = { epoch: epochDone.epoch, batch: 0, step: epochDone.step };
        return ck;
      });
    }
    return await finish({ model, pos, probe, splits, lossMod, rank });
  } finally {
    unpinChoices(rt, previousPin);
    lossMod?.dispose();
    diagnosticSam?.dispose();
    opt.dispose();
    model.dispose();
  }
}

/**
 * The ops a run issues, for the tuner's plan pass (nothing is dispatched): a training step's
 * forward and backward on the first batch, and an evaluation forward on a batch of the
 * validation split as `predict` sizes it. Dropout counters are put back (the pass must leave
 * the run exactly as it was).
 */
export function planRun(cfg: RunConfig, data: TwoFeatureDataset, model: ReturnType<typeof buildModel>, dropouts: Dropout[] = []): void {
  const calls = dropouts.map((d) => d.calls);
  const train = data.splits.train;
  const val = data.splits.val;
  try {
    model.train();
    const first = epochOrder(train.n, cfg.seed, 0).subarray(0, Math.min(train.n, cfg.microBatchSize ?? cfg.batchSize));
    const b = batchInputs(train, first, cfg.seed, 0);
    scope(() => backward(crossEntropy(model.forward(b.x), b.y)));
    b.x.dispose();
    b.y.dispose();
    if (val.n > 0) {
      model.eval();
      const e = gather(val, Int32Array.from({ length: Math.min(val.n, 256) }, (_, i) => i), 0, Math.min(val.n, 256));
      noGrad(() => scope(() => void model.forward(e.x)));
      e.x.dispose();
      e.y.dispose();
    }
  } finally {
    model.train();
    dropouts.forEach((d, i) => (d.calls = calls[i]));
  }
}
