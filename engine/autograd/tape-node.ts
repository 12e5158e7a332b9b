import type { Tensor } from '../tensor.ts';

/**
 * How an op's output was made: its inputs (edges of the graph) and a rule that maps the
 * gradient of the output to gradients of the inputs (null where an input needs none).
 * Tensors the rule needs are saved as their own handles, so the user may dispose the
 * originals; `release()` frees them once backward has run.
 */
export class TapeNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly saved: Tensor[];
  backwardFn: ((grad: Tensor) => (Tensor | null)[]) | null;

  constructor(op: string, inputs: readonly Tensor[], saved: Tensor[], backwardFn: (grad: Tensor) => (Tensor | null)[]) {
    this.op = op;
    this.inputs = inputs;
    this.saved = saved;
    this.backwardFn = backwardFn;
  }

  release(): void {
    for (const t of this.saved) t.dispose();
    this.saved.length = 0;
    this.backwardFn = null;
  }
}
