// How a run ends early: stopped on request (Ctrl-C, preemption) or diverged (a non-finite loss),
// with the last good checkpoint named in words.
import { SamgpuError } from '../../engine/device/errors.ts';
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

