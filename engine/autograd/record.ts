import { Tensor } from '../tensor.ts';
import { keep } from '../scope.ts';
import { isGradEnabled } from './grad-mode.ts';
import { TapeNode } from './tape-node.ts';

export function needsGrad(...inputs: Tensor[]): boolean {
  return isGradEnabled() && inputs.some((t) => t.requiresGrad);
}

/** A handle on `t`'s data that outlives the user's handle (PyTorch's save_for_backward). */
function save(t: Tensor): Tensor {
  return keep(t.view(t.shape));
}

/**
 * Record `out = op(inputs)` on the tape when any input requires grad. `rule` receives the
 * saved tensors and returns the backward function. Returns `out` for chaining.
 */
export function record(
  op: string,
  out: Tensor,
  inputs: Tensor[],
  toSave: Tensor[],
  rule: (saved: Tensor[]) => (grad: Tensor) => (Tensor | null)[],
): Tensor {
  if (!needsGrad(...inputs)) return out;
  const saved = toSave.map(save);
  out.requiresGrad = true;
  out.node = new TapeNode(op, inputs, saved, rule(saved));
  return out;
}
