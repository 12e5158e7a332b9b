// How a run ends early: stopped on request (Ctrl-C, preemption) or diverged (a non-finite loss,
// or non-finite weights), with the last good checkpoint named in words.
import { SamgpuError } from '../../engine/device/errors.ts';
import type { Module } from '../../engine/nn/module.ts';
import type { FlatParameters } from '../../engine/optim/flat-params.ts';
import type { CheckpointPlace, TrainPosition } from './types.ts';

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


/** Where a model's state first holds a NaN or an infinity. */
export interface NonFiniteValue {
  /** The state-dict name (a parameter or a buffer such as a batch-norm running variance). */
  name: string;
  index: number;
  value: number;
}

/**
 * The first non-finite value of a model's parameters (read in one go from the optimizer's flat
 * buffer) and buffers, or null. Losses can stay finite while weights are not (a ReLU turns NaN
 * activations into 0 on GPUs that assume no NaN), so the loss check alone misses divergence.
 */
export async function findNonFiniteState(model: Module, flat: FlatParameters): Promise<NonFiniteValue | null> {
  const data = await flat.data.read();
  const names = new Map(model.namedParameters().map(([n, t]) => [t, n]));
  for (const [i, p] of flat.params.entries()) {
    const off = flat.offsets[i];
    for (let j = 0; j < p.size; j++) {
      const v = data[off + j];
      if (!Number.isFinite(v)) return { name: names.get(p) ?? `parameter ${i}`, index: j, value: v };
    }
  }
  const inFlat = new Set(flat.params);
  for (const [name, t] of model.stateDict()) {
    if (inFlat.has(t)) continue;
    const v = await t.read();
    const j = v.findIndex((x) => !Number.isFinite(x));
    if (j >= 0) return { name, index: j, value: v[j] };
  }
  return null;
}

/** Non-finite weights (or batch-norm statistics) while the losses read back were finite. */
export class DivergedStateError extends SamgpuError {
  constructor(
    readonly bad: NonFiniteValue,
    /** Steps done when the state was read, and at what point. */
    readonly detectedAt: { step: number; when: string },
    readonly lastGood: { place: CheckpointPlace; text: string; path?: string } | null,
  ) {
    super(
      `training diverged: ${bad.name} holds non-finite values (${bad.value} at index ${bad.index}) ${detectedAt.when} (after step ${detectedAt.step}), ` +
        `although its losses were finite; ` +
        (lastGood === null ? 'no checkpoint yet' : `last good checkpoint: ${lastGood.path ? `${lastGood.path}, ` : ''}${lastGood.text}`),
    );
  }
}
