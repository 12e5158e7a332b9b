// The training loss of a method that changes it (spectral decoupling, group DRO): what a step's
// closure computes from a batch's logits instead of the plain cross-entropy. `pass` is SAM's
// pass (0 at θ, 1 at the ascended point); a method with state updates it in pass 0 only, so a
// SAM step changes it once, like an SGD step.
import type { Tensor } from '../../engine/tensor.ts';
import type { TwoFeatureSplit } from '../data/types.ts';
import type { Checkpoint } from '../runner/types.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { MethodConfig } from './config.ts';
import { spectralDecoupling } from './spectral-decoupling.ts';
import { GroupDro } from './group-dro.ts';

export interface LossModifier {
  /** The scalar loss of a batch: logits [n, C], labels y [n], `idx` its training-split indices. */
  loss(logits: Tensor, y: Tensor, idx: Int32Array, pass: 0 | 1): Tensor;
  /** State that a checkpoint must carry (group DRO's q), read back. */
  state?(): Promise<Float32Array>;
  restore?(values: Float32Array): void;
  dispose(): void;
}

/** The loss modifier of a run's method (null: plain cross-entropy). */
export function lossModifier(m: MethodConfig | undefined, train: TwoFeatureSplit): LossModifier | null {
  if (m?.name === 'sd') return spectralDecoupling(m.lambda);
  if (m?.name === 'group-dro') return new GroupDro(train.group, m.stepSize);
  return null;
}

/** Put a checkpoint's method state (group DRO's q) back; a group-DRO run never resumes without it. */
export function restoreMethodState(ck: Checkpoint, mod: LossModifier | null, source?: string): void {
  const q = ck.method?.groupDroQ;
  if (mod?.restore) {
    if (!q) throw new SamgpuError(`checkpoint${source ? ` ${source}` : ''}: method.groupDroQ: missing; a group-DRO run needs its group weights q to continue (start the run again)`);
    mod.restore(q);
  } else if (q) throw new SamgpuError(`checkpoint${source ? ` ${source}` : ''}: method.groupDroQ: the checkpoint was written by a group-DRO run, this run has no group weights`);
}
