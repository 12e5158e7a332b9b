// Resuming a run from a checkpoint: the checkpoint must fit the run being resumed (its place in
// the schedule, the model's tensors, the optimizer's layout, the dropout layers, SAM's options),
// or the run stops with an error naming the checkpoint and the field, instead of continuing from
// a state it could not have reached. Pure (no Node APIs).
import { SamgpuError } from '../../engine/device/errors.ts';
import type { Module } from '../../engine/nn/module.ts';
import type { Dropout } from '../../engine/nn/functional-layers.ts';
import type { RunOptimizer } from './optimizer.ts';
import type { SAM } from '../../engine/optim/sam.ts';
import { canonicalJson } from '../canonical-json.ts';
import type { Checkpoint, SamState, TrainPosition } from './types.ts';

/** SAM's options as a checkpoint records them (ρ is the config's, or its warm-up's at the step). */
export function samState(sam: SAM): SamState {
  return { eps: sam.eps, eta: sam.eta, l2: sam.l2, adaptive: sam.adaptive, secondPassBatchNormUpdate: sam.secondPassBatchNormUpdate, perturbed: [...sam.perturbed] };
}

export interface ResumeTarget {
  model: Module;
  base: RunOptimizer['base'];
  sam: SAM | null;
  dropouts: Dropout[];
  /** Batches per epoch and epochs of the run being resumed. */
  batches: number;
  epochs: number;
  /** The checkpoint's file, for messages. */
  source?: string;
}

/**
 * Load `ck` into the run's model, optimizer and dropout layers, after checking that it belongs to
 * this run; returns the training position to continue from.
 */
export function restoreCheckpoint(ck: Checkpoint, t: ResumeTarget): TrainPosition {
  const where = `checkpoint${t.source ? ` ${t.source}` : ''}`;
  const bad = (msg: string): never => {
    throw new SamgpuError(`${where}: ${msg}`);
  };
  const p = ck.position;
  if (p.epoch > t.epochs || (p.epoch === t.epochs && p.batch > 0)) bad(`position: epoch ${p.epoch}, batch ${p.batch} lies beyond the run's ${t.epochs} epochs`);
  if (p.batch >= t.batches) bad(`position: batch ${p.batch} of an epoch of ${t.batches} batches`);
  if (p.step !== p.epoch * t.batches + p.batch) bad(`position: step ${p.step} is not epoch ${p.epoch} × ${t.batches} batches + batch ${p.batch} (the data or batch size changed?)`);
  if (p.dropoutCalls.length !== t.dropouts.length) bad(`position.dropoutCalls: ${p.dropoutCalls.length} counters for the model's ${t.dropouts.length} dropout layers`);
  if (ck.optimizer.steps !== p.step) bad(`optimizer.steps: ${ck.optimizer.steps} optimizer steps at training step ${p.step}`);
  if (ck.sam || t.sam) {
    const now = t.sam ? samState(t.sam) : null;
    if (!ck.sam && now) {
      // checkpoints written before SAM's options were recorded: nothing to compare
    } else if (!now) bad(`optimizer.sam: the checkpoint was written by a SAM run, this run uses plain SGD`);
    else if (canonicalJson(ck.sam) !== canonicalJson(now)) {
      bad(`optimizer.sam: the checkpoint's SAM options ${JSON.stringify(ck.sam)} differ from this run's ${JSON.stringify(now)}; its ascent would change mid-run: start the run again`);
    }
  }
  try {
    t.model.loadStateDict(ck.model);
    t.base.loadState(ck.optimizer);
  } catch (e) {
    if (e instanceof SamgpuError) bad(e.message);
    throw e;
  }
  const pos = structuredClone(p);
  t.dropouts.forEach((d, i) => (d.calls = pos.dropoutCalls[i]));
  return pos;
}
