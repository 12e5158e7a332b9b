import type { Tensor } from '../tensor.ts';

/**
 * How an op's output was made: its inputs (edges of the graph) and a rule that maps the
 * gradient of the output to gradients of the inputs (null where an input needs none).
 * Tensors the rule needs are saved as their own handles, so the user may dispose the
 * originals. They are freed by `backward()` (`release()`), or, for a graph that is never
 * back-propagated, when nothing can reach this node any more: the node counts its holders
 * (the output's handle and every live node that consumed the output) and frees its saved
 * tensors when the last one lets go — so disposing a forward's result, or the end of the
 * scope that made it, frees the activations its graph saved.
 */
export class TapeNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly saved: Tensor[];
  backwardFn: ((grad: Tensor) => (Tensor | null)[]) | null;
  #holders = 1; // the output's handle
  #dead = false;

  constructor(op: string, inputs: readonly Tensor[], saved: Tensor[], backwardFn: (grad: Tensor) => (Tensor | null)[]) {
    this.op = op;
    this.inputs = inputs;
    this.saved = saved;
    this.backwardFn = backwardFn;
    for (const i of inputs) i.node?.hold();
  }

  hold(): void {
    if (!this.#dead) this.#holders++;
  }

  /** A holder let go (the output's handle was disposed, or a consuming node died). */
  letGo(): void {
    // A worklist rather than recursion: a deep network's graph is thousands of nodes long.
    const work: TapeNode[] = [this];
    while (work.length) {
      const n = work.pop()!;
      if (n.#dead || --n.#holders > 0) continue;
      n.#dead = true;
      n.release();
      for (const i of n.inputs) if (i.node) work.push(i.node);
    }
  }

  /** Free the saved tensors and the rule (after backward, or when the node dies). */
  release(): void {
    for (const t of this.saved) t.dispose();
    this.saved.length = 0;
    this.backwardFn = null;
  }
}
