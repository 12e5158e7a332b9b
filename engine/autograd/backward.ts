// The reverse sweep: topological order from the root, gradients flowing from each node to its
// inputs, accumulated where a tensor feeds several ops, stored in `.grad` of the leaves.
// This file sits one layer above the tape (it uses ops to add gradients).
import { SamgpuError, fmtShape } from '../device/errors.ts';
import { keep, scope } from '../scope.ts';
import { Tensor } from '../tensor.ts';
import { bool, isPlainObject, positional, show } from '../args.ts';
import { noGrad } from './grad-mode.ts';
import { binaryKernel } from '../ops/binary.ts';
import { addInto, full, unaryKernel } from '../ops/elementwise.ts';

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (visited.has(t)) continue;
    visited.add(t);
    stack.push([t, true]);
    if (t.node) for (const i of t.node.inputs) if (i.requiresGrad && !visited.has(i)) stack.push([i, false]);
  }
  return order; // inputs before the ops that use them
}

export interface BackwardOptions {
  /** Keep the graph's saved tensors for another backward (default false: free them). */
  retainGraph?: boolean;
}

/**
 * Gradients of `root` with respect to every leaf that requires grad, accumulated into their
 * `.grad` (as PyTorch does: call `zeroGrad` between steps). `root` must be a scalar unless
 * `grad` (the gradient of some downstream scalar w.r.t. root) is given.
 */
export function backward(root: Tensor, grad?: Tensor | null | BackwardOptions, retainGraph?: boolean | BackwardOptions, createGraph?: false): void {
  // PyTorch's tensor.backward(gradient, retain_graph, create_graph), or {retainGraph} in place
  // of the gradient or after it.
  let g0: unknown = grad;
  let rest: unknown[] = [retainGraph, createGraph];
  if (isPlainObject(grad)) {
    if (rest.some((v) => v !== undefined)) throw new SamgpuError('backward: an options object must come last');
    g0 = undefined;
    rest = [grad];
  }
  const o = positional('backward', rest, ['retainGraph', 'createGraph']);
  if (bool('backward', 'createGraph', o.createGraph, false)) throw new SamgpuError('backward: createGraph (gradients of gradients) is not supported');
  const opts: BackwardOptions = { retainGraph: bool('backward', 'retainGraph', o.retainGraph, false) };
  if (!(root instanceof Tensor)) throw new SamgpuError(`backward: expected a tensor to differentiate, got ${show(root)}`);
  if (g0 != null && !(g0 instanceof Tensor)) throw new SamgpuError(`backward: the gradient must be a Tensor, got ${show(g0)}`);
  const gradient = (g0 ?? null) as Tensor | null;
  if (!root.requiresGrad) throw new SamgpuError(`backward: tensor ${fmtShape(root.shape)} does not require grad (no recorded op leads to it)`);
  if (!gradient && root.size !== 1) throw new SamgpuError(`backward: root must be a scalar, got ${fmtShape(root.shape)}; pass a gradient`);
  if (gradient && gradient.size !== root.size) throw new SamgpuError(`backward: gradient ${fmtShape(gradient.shape)} does not match root ${fmtShape(root.shape)}`);
  noGrad(() => {
    const order = topoOrder(root);
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, gradient ? gradient.view(root.shape) : full(root.shape, 1, root));
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const node = t.node;
      if (!node) {
        accumulateLeaf(t, g);
        continue;
      }
      if (!node.backwardFn) throw new SamgpuError(`backward: the graph through '${node.op}' was already freed; pass retainGraph to run backward twice`);
      const fn = node.backwardFn;
      const inputGrads = scope(() => fn(g));
      node.inputs.forEach((input, k) => {
        let gi = inputGrads[k];
        if (!gi) return;
        if (!input.requiresGrad) {
          if (gi !== g) gi.dispose();
          return;
        }
        if (gi === g) gi = g.view(g.shape);
        if (gi.size !== input.size) {
          throw new SamgpuError(`backward: '${node.op}' produced a gradient ${fmtShape(gi.shape)} for an input ${fmtShape(input.shape)}`);
        }
        const prev = grads.get(input);
        if (prev) {
          grads.set(input, binaryKernel('add', prev, gi));
          prev.dispose();
          gi.dispose();
        } else grads.set(input, gi);
      });
      g.dispose();
      if (!opts.retainGraph) node.release();
    }
    for (const g of grads.values()) g.dispose();
  });
}

/** A leaf's gradient accumulates in place into an existing `.grad` (which may be a view into
 * flat gradient storage owned by an optimizer), else becomes its `.grad`. */
function accumulateLeaf(t: Tensor, g: Tensor): void {
  if (t.grad && !t.grad.isDisposed) {
    addInto(t.grad, g);
    g.dispose();
    return;
  }
  // A gradient passed through unchanged (add, reshape) may share storage with another leaf's
  // gradient; later in-place accumulation must not write into both, so such a one is copied.
  const own = g.storage('backward').refs > 1 ? unaryKernel('copy', g) : g;
  if (own !== g) g.dispose();
  const shaped = own.shape.length === t.shape.length && own.shape.every((d, i) => d === t.shape[i]) ? own : own.view(t.shape);
  if (shaped !== own) own.dispose();
  t.grad = keep(shaped);
}
