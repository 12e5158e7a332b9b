// Softmax, log-softmax and the losses, with their backward rules and SAM's importance weights.
// Row ops (softmax, log-softmax, cross-entropy) are fused per row: one thread per row on CPU
// adapters and for short rows, one workgroup per long row on GPUs (see rowStrategy).
//
// Invalid labels: labels live on the GPU, so they are checked in the kernels, not on the host.
// A cross-entropy label that is not an integer in [0, C) makes that example's loss, importance
// weight and gradient row NaN (so a mean over the batch is NaN too); a logistic label other
// than ±1 does the same for its element. Label *counts* and shapes are checked on the host.
import source from '../../shaders/loss.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource, Overrides } from '../runtime/pipeline-cache.ts';
import { Runtime, type Binding } from '../runtime/runtime.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { chooseVariant } from '../tune/choices.ts';
import { adapterFacts } from '../tune/variants/adapter.ts';
import { defaultRowStrategy, lossRowKey } from '../tune/variants/rows.ts';
import { checkRank, normAxes, sameRuntime, workgroups1d } from './util.ts';
import { mean, sum } from './reduce.ts';

const kernel = (entry: string): KernelSource => ({ name: 'loss.wgsl', code: source, entry });
const SOFTMAX = { thread: kernel('softmax_rows'), group: kernel('softmax_group') };
const SOFTMAX_BWD = { thread: kernel('softmax_backward_rows'), group: kernel('softmax_backward_group') };
const CE = { thread: kernel('ce_rows'), group: kernel('ce_group') };
const CE_BWD = kernel('ce_backward');
const POINTWISE = kernel('pointwise');
const POINTWISE_GX = kernel('pointwise_grad_x');
const POINTWISE_GT = kernel('pointwise_grad_t');

const NAN_BITS = 0x7fc00000;

export type Reduction = 'mean' | 'sum' | 'none';

// ---- row strategy ----

export type RowStrategy = 'thread' | 'group';
let forced: RowStrategy | null = null;

/** Row kernels: one thread per row, or one 64-thread workgroup per row (tuned, else engine/tune/variants/rows.ts's rule). */
export function rowStrategy(rt: Runtime, rowLength: number): RowStrategy {
  if (forced) return forced;
  const id = chooseVariant(rt, 'loss.rows', lossRowKey(rowLength), () => ({ rowLength }));
  return id === 'thread' || id === 'group' ? id : defaultRowStrategy(adapterFacts(rt), rowLength);
}

/** Force a row strategy (tests run both on any adapter); null restores the automatic choice. */
export function forceRowStrategy(s: RowStrategy | null): void {
  forced = s;
}

function params(n: number, c: number, inner: number, smoothing = 0, scale = 1, gStride = 0): ArrayBuffer {
  return new Uniforms().u32(n, c, inner, NAN_BITS).f32(smoothing, scale).u32(gStride, 0).build();
}

function dispatchRows(
  rt: Runtime, k: { thread: KernelSource; group: KernelSource }, rows: number, c: number,
  buffers: Record<string, Binding>, uniforms: ArrayBuffer, overrides: Overrides = {},
): void {
  if (rows === 0) return;
  const s = rowStrategy(rt, c);
  const workgroups = s === 'group' ? Runtime.grid(rows) : workgroups1d(rows);
  rt.dispatch(k[s], { overrides, buffers, uniforms, workgroups });
}

function checkReduction(op: string, r: string): void {
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new SamgpuError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${r}'`);
}

/** Reduce per-example losses; `elems` is consumed unless returned. */
function reduceLoss(op: string, elems: Tensor, reduction: Reduction, shapes: string): Tensor {
  if (reduction === 'none') return elems;
  if (reduction === 'mean' && elems.size === 0) throw new SamgpuError(`${op}: the mean of an empty batch is undefined (${shapes})`);
  const out = reduction === 'sum' ? sum(elems) : mean(elems);
  elems.dispose();
  return out;
}

// ---- softmax, log-softmax ----

const SOFTMAX_OP = { softmax: 0, logSoftmax: 1 } as const;

function softmaxFamily(op: keyof typeof SOFTMAX_OP, x: Tensor, dim: number): Tensor {
  checkRank(op, x);
  const shape = x.rank === 0 ? [1] : x.shape;
  const d = normAxes(op, dim, shape.length)[0];
  const c = shape[d];
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const rows = c === 0 ? 0 : x.size / c;
  const out = empty(x.shape, x.rt);
  const u = params(rows, c, inner);
  dispatchRows(x.rt, SOFTMAX, rows, c, { x: x.buffer(op), out: out.buffer() }, u, { OP: SOFTMAX_OP[op] });
  return record(op, out, [x], [out], ([ys]) => (g) => {
    const dx = empty(x.shape, ys.rt);
    dispatchRows(ys.rt, SOFTMAX_BWD, rows, c, { y: ys.buffer(op), g: g.buffer(op), out: dx.buffer() }, u, { OP: SOFTMAX_OP[op] });
    return [dx];
  });
}

/** Softmax along `dim` (default the last), stable (the row max is subtracted). */
export function softmax(x: Tensor, dim = -1): Tensor {
  return softmaxFamily('softmax', x, dim);
}

/** log(softmax(x)) along `dim`, computed directly (x − max − log Σ exp(x − max)). */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return softmaxFamily('logSoftmax', x, dim);
}

// ---- cross-entropy ----

function checkLabels(op: string, logits: Tensor, labels: Tensor): [number, number] {
  const shapes = `logits ${fmtShape(logits.shape)}, labels ${fmtShape(labels.shape)}`;
  if (logits.rank !== 2) throw new SamgpuError(`${op}: logits must be [N, C], got ${fmtShape(logits.shape)}`);
  const [n, c] = logits.shape;
  if (labels.size !== n) throw new SamgpuError(`${op}: ${labels.size} labels for ${n} rows (${shapes})`);
  if (labels.rank !== 1) throw new SamgpuError(`${op}: labels must be a vector [N] of class indices (${shapes})`);
  if (c === 0) throw new SamgpuError(`${op}: logits have no classes (${shapes})`);
  return [n, c];
}

interface CeRows {
  loss: Tensor;    // [N] per-example loss
  lse: Tensor;     // [N] log Σ exp
  weights: Tensor; // [N] 1 − p(y)
}

function ceRows(op: string, logits: Tensor, labels: Tensor, smoothing: number): CeRows {
  const rt = sameRuntime(op, logits, labels);
  const [n, c] = checkLabels(op, logits, labels);
  const r = { loss: empty([n], rt), lse: empty([n], rt), weights: empty([n], rt) };
  const buffers = {
    x: logits.buffer(op), labels: labels.buffer(op),
    loss: r.loss.buffer(), lse_out: r.lse.buffer(), weights: r.weights.buffer(),
  };
  dispatchRows(rt, CE, n, c, buffers, params(n, c, 1, smoothing));
  return r;
}

/**
 * PyTorch's F.cross_entropy for logits [N, C] and labels [N] (integer-valued f32), with
 * label smoothing ε: per example (1 − ε)·(−log p_y) + ε·mean_j(−log p_j). Returns a scalar,
 * or [N] with reduction 'none'. A label outside [0, C) or not an integer gives NaN (see top).
 */
export function crossEntropy(logits: Tensor, labels: Tensor, opts: { reduction?: Reduction; labelSmoothing?: number } = {}): Tensor {
  const op = 'crossEntropy';
  const reduction = opts.reduction ?? 'mean';
  const eps = opts.labelSmoothing ?? 0;
  checkReduction(op, reduction);
  if (!(eps >= 0 && eps <= 1)) throw new SamgpuError(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  const { loss, lse, weights } = ceRows(op, logits, labels, eps);
  const [n, c] = logits.shape;
  const out = reduceLoss(op, loss, reduction, `logits ${fmtShape(logits.shape)}`);
  const scale = reduction === 'mean' ? 1 / n : 1;
  const gStride = reduction === 'none' ? 1 : 0;
  record(op, out, [logits, labels], [logits, labels, lse, weights], ([xs, ls, lses, ws]) => (g) => {
    const dx = empty(xs.shape, xs.rt);
    xs.rt.dispatch(CE_BWD, {
      buffers: { x: xs.buffer(op), labels: ls.buffer(op), lse: lses.buffer(op), lambda: ws.buffer(op), g: g.buffer(op), out: dx.buffer() },
      uniforms: params(n, c, 1, eps, scale, gStride),
      workgroups: workgroups1d(n * c),
    });
    return [dx, null];
  });
  lse.dispose();
  weights.dispose();
  return out;
}

/**
 * SAM's per-example importance weights for softmax cross-entropy: λᵢ = 1 − softmax(logitsᵢ)[yᵢ]
 * (= −∂ℓᵢ/∂ margin), [N], computed by the cross-entropy row kernel. No gradient.
 */
export function softmaxImportanceWeights(logits: Tensor, labels: Tensor): Tensor {
  const { loss, lse, weights } = ceRows('softmaxImportanceWeights', logits, labels, 0);
  loss.dispose();
  lse.dispose();
  return weights;
}

// ---- pointwise losses ----

const PW_OP = { bce: 0, logistic: 1, mse: 2, logisticWeights: 3 } as const;

function pointwiseKernel(op: string, code: keyof typeof PW_OP, a: Tensor, b: Tensor, names: [string, string]): Tensor {
  const rt = sameRuntime(op, a, b);
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new SamgpuError(`${op}: ${names[1]} ${fmtShape(b.shape)} must have the shape of ${names[0]} ${fmtShape(a.shape)}`);
  }
  const out = empty(a.shape, rt);
  rt.dispatch(POINTWISE, {
    overrides: { OP: PW_OP[code] },
    buffers: { x: a.buffer(op), t: b.buffer(op), out: out.buffer() },
    uniforms: params(a.size, 1, 1),
    workgroups: workgroups1d(a.size),
  });
  return out;
}

function pointwiseLoss(op: string, code: 'bce' | 'logistic' | 'mse', a: Tensor, b: Tensor, names: [string, string], reduction: Reduction): Tensor {
  checkReduction(op, reduction);
  const elems = pointwiseKernel(op, code, a, b, names);
  const out = reduceLoss(op, elems, reduction, `${names[0]} ${fmtShape(a.shape)}`);
  const scale = reduction === 'mean' ? 1 / a.size : 1;
  const u = params(a.size, 1, 1, 0, scale, reduction === 'none' ? 1 : 0);
  const grad = (k: KernelSource, as: Tensor, bs: Tensor, g: Tensor): Tensor => {
    const d = empty(as.shape, as.rt);
    as.rt.dispatch(k, {
      overrides: { OP: PW_OP[code] },
      buffers: { x: as.buffer(op), t: bs.buffer(op), g: g.buffer(op), out: d.buffer() },
      uniforms: u,
      workgroups: workgroups1d(as.size),
    });
    return d;
  };
  // Logistic labels get no gradient; BCE and MSE targets do (as in PyTorch) when they need one.
  return record(op, out, [a, b], [a, b], ([as, bs]) => (g) => [
    grad(POINTWISE_GX, as, bs, g),
    code !== 'logistic' && b.requiresGrad ? grad(POINTWISE_GT, as, bs, g) : null,
  ]);
}

/**
 * PyTorch's F.binary_cross_entropy_with_logits: targets in [0, 1], same shape as logits;
 * max(z, 0) − z·t + log(1 + e^{−|z|}). Gradients for logits and targets.
 */
export function bceWithLogits(logits: Tensor, targets: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return pointwiseLoss('bceWithLogits', 'bce', logits, targets, ['logits', 'targets'], opts.reduction ?? 'mean');
}

/** Logistic loss log(1 + e^{−y f}) with labels y ∈ {−1, +1} (others give NaN), stable. */
export function logisticLoss(f: Tensor, y: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return pointwiseLoss('logisticLoss', 'logistic', f, y, ['f', 'labels'], opts.reduction ?? 'mean');
}

/** SAM's importance weights for the logistic loss: λᵢ = σ(−yᵢ fᵢ), y ∈ {−1, +1}. No gradient. */
export function logisticImportanceWeights(f: Tensor, y: Tensor): Tensor {
  return pointwiseKernel('logisticImportanceWeights', 'logisticWeights', f, y, ['f', 'labels']);
}

/** Mean squared error (pred − target)², same shapes. */
export function mseLoss(pred: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return pointwiseLoss('mseLoss', 'mse', pred, target, ['pred', 'target'], opts.reduction ?? 'mean');
}
