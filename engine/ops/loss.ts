// Softmax, log-softmax and the losses, with their backward rules and SAM's importance weights.
// Row ops (softmax, log-softmax, cross-entropy) are fused per row: one thread per row on CPU
// adapters and for short rows, one workgroup per long row on GPUs (see rowStrategy).
//
// Invalid labels: labels live on the GPU, so they are checked in the kernels, not on the host.
// A cross-entropy label that is not an integer in [0, C), a logistic label other than ±1 and
// a BCE target outside [0, 1] are reported on the device error flag (runtime/error-flag.ts):
// the next readback throws an InvalidInputError naming the op, the index and the value. The
// row's loss, λ and gradient are NaN meanwhile. Label *counts* and shapes are checked on the host.
import source from '../../shaders/loss.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import { options, show } from '../args.ts';
import type { KernelSource, Overrides } from '../runtime/pipeline-cache.ts';
import { Runtime, type Binding } from '../runtime/runtime.ts';
import { countOf, fmtValue, withErrorFlag } from '../runtime/error-flag.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { chooseVariant } from '../tune/choices.ts';
import { adapterFacts } from '../tune/variants/adapter.ts';
import { defaultRowStrategy, lossRowKey } from '../tune/variants/rows.ts';
import { checkRank, normAxes, sameRuntime, workgroups1d } from './util.ts';
import { mean, sum } from './reduce.ts';

const code = withErrorFlag(source);
const kernel = (entry: string): KernelSource => ({ name: 'loss.wgsl', code, entry });
const SOFTMAX = { thread: kernel('softmax_rows'), group: kernel('softmax_group') };
const SOFTMAX_BWD = { thread: kernel('softmax_backward_rows'), group: kernel('softmax_backward_group') };
const CE = { thread: kernel('ce_rows'), group: kernel('ce_group') };
const CE_BWD = kernel('ce_backward');
const POINTWISE = kernel('pointwise');
const POINTWISE_GX = kernel('pointwise_grad_x');
const POINTWISE_GT = kernel('pointwise_grad_t');
const LOGISTIC_WITH_WEIGHTS = kernel('logistic_with_weights');

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

function params(n: number, c: number, inner: number, smoothing = 0, scale = 1, gStride = 0, site = 0): ArrayBuffer {
  return new Uniforms().u32(n, c, inner, NAN_BITS).f32(smoothing, scale).u32(gStride, site).build();
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
  const shapes = `logits ${fmtShape(logits.shape)}, labels ${fmtShape(labels.shape)}`;
  const err = rt.errorSite({
    op,
    describe: (i, v, k) => `labels[${i}] = ${fmtValue(v)} is not a class index (an integer in [0, ${c})) (${shapes}; ${countOf(k, 'label')})`,
  });
  const r = { loss: empty([n], rt), lse: empty([n], rt), weights: empty([n], rt) };
  const buffers = {
    x: logits.buffer(op), labels: labels.buffer(op),
    loss: r.loss.buffer(), lse_out: r.lse.buffer(), weights: r.weights.buffer(), error_flag: err.binding,
  };
  dispatchRows(rt, CE, n, c, buffers, params(n, c, 1, smoothing, 1, 0, err.id));
  return r;
}

export interface CrossEntropyOptions {
  reduction?: Reduction;
  labelSmoothing?: number;
}

function ceOptions(op: string, opts: unknown): { reduction: Reduction; eps: number } {
  if (opts && typeof opts === 'object' && (opts as { constructor?: { name?: string } }).constructor?.name === 'Tensor') {
    throw new SamgpuError(`${op}: PyTorch's third argument (class weights) is not supported; pass options {reduction, labelSmoothing}, got ${show(opts)}`);
  }
  const o = options(op, opts, ['reduction', 'labelSmoothing']);
  const reduction = (o.reduction ?? 'mean') as Reduction;
  const eps = o.labelSmoothing ?? 0;
  checkReduction(op, reduction);
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) throw new SamgpuError(`${op}: labelSmoothing must be in [0, 1], got ${show(eps)}`);
  return { reduction, eps };
}

/** Cross-entropy from one row pass; also returns that pass's λ (the caller disposes it or not). */
function crossEntropyPass(op: string, logits: Tensor, labels: Tensor, opts: unknown): { loss: Tensor; weights: Tensor } {
  const { reduction, eps } = ceOptions(op, opts);
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
  return { loss: out, weights };
}

/**
 * PyTorch's F.cross_entropy for logits [N, C] and labels [N] (integer-valued f32), with
 * label smoothing ε: per example (1 − ε)·(−log p_y) + ε·mean_j(−log p_j). Returns a scalar,
 * or [N] with reduction 'none'. A label outside [0, C) or not an integer is an
 * InvalidInputError at the next readback (see top).
 */
export function crossEntropy(logits: Tensor, labels: Tensor, opts?: CrossEntropyOptions): Tensor {
  const { loss, weights } = crossEntropyPass('crossEntropy', logits, labels, opts);
  weights.dispose();
  return loss;
}

/**
 * `crossEntropy` and SAM's importance weights λᵢ = 1 − p(yᵢ|xᵢ) ([N], no gradient) from the
 * same row pass: what `crossEntropy` + `softmaxImportanceWeights` give, one kernel instead of two.
 */
export function crossEntropyWithWeights(logits: Tensor, labels: Tensor, opts?: CrossEntropyOptions): { loss: Tensor; weights: Tensor } {
  return crossEntropyPass('crossEntropyWithWeights', logits, labels, opts);
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

function checkPair(op: string, a: Tensor, b: Tensor, names: [string, string]): Runtime {
  const rt = sameRuntime(op, a, b);
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new SamgpuError(`${op}: ${names[1]} ${fmtShape(b.shape)} must have the shape of ${names[0]} ${fmtShape(a.shape)}`);
  }
  return rt;
}

/** The error-flag site of a pointwise op: which labels or targets are valid. */
function pointwiseSite(rt: Runtime, op: string, code: keyof typeof PW_OP, a: Tensor, names: [string, string]): { id: number; binding: Binding } {
  if (code === 'mse') return { id: 0, binding: { buffer: rt.errorFlag.buffer } }; // binds the flag, never reports
  const valid = code === 'bce' ? 'a probability in [0, 1]' : '−1 or +1';
  return rt.errorSite({
    op,
    describe: (i, v, k) => `${names[1]}[${i}] = ${fmtValue(v)} is not ${valid} (${names[0]} ${fmtShape(a.shape)}; ${countOf(k, code === 'bce' ? 'target' : 'label')})`,
  });
}

function pointwiseKernel(op: string, code: keyof typeof PW_OP, a: Tensor, b: Tensor, names: [string, string]): Tensor {
  const rt = checkPair(op, a, b, names);
  const err = pointwiseSite(rt, op, code, a, names);
  const out = empty(a.shape, rt);
  rt.dispatch(POINTWISE, {
    overrides: { OP: PW_OP[code] },
    buffers: { x: a.buffer(op), t: b.buffer(op), out: out.buffer(), error_flag: err.binding },
    uniforms: params(a.size, 1, 1, 0, 1, 0, err.id),
    workgroups: workgroups1d(a.size),
  });
  return out;
}

function reductionOf(op: string, opts: unknown): Reduction {
  const o = options(op, opts, ['reduction']);
  const r = (o.reduction ?? 'mean') as Reduction;
  checkReduction(op, r);
  return r;
}

/** The loss from its per-element values `elems` (consumed), recorded with its backward rule. */
function pointwiseLoss(op: string, code: 'bce' | 'logistic' | 'mse', a: Tensor, b: Tensor, names: [string, string], reduction: Reduction, elems: Tensor): Tensor {
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

function pointwiseLossOp(op: string, code: 'bce' | 'logistic' | 'mse', a: Tensor, b: Tensor, names: [string, string], opts: unknown): Tensor {
  const reduction = reductionOf(op, opts);
  return pointwiseLoss(op, code, a, b, names, reduction, pointwiseKernel(op, code, a, b, names));
}

/**
 * PyTorch's F.binary_cross_entropy_with_logits: targets in [0, 1], same shape as logits;
 * max(z, 0) − z·t + log(1 + e^{−|z|}). Gradients for logits and targets. A target outside
 * [0, 1] is an InvalidInputError at the next readback (PyTorch computes a value for it).
 */
export function bceWithLogits(logits: Tensor, targets: Tensor, opts?: { reduction?: Reduction }): Tensor {
  return pointwiseLossOp('bceWithLogits', 'bce', logits, targets, ['logits', 'targets'], opts);
}

/** Logistic loss log(1 + e^{−y f}) with labels y ∈ {−1, +1} (others: InvalidInputError at the next readback), stable. */
export function logisticLoss(f: Tensor, y: Tensor, opts?: { reduction?: Reduction }): Tensor {
  return pointwiseLossOp('logisticLoss', 'logistic', f, y, ['f', 'labels'], opts);
}

/** SAM's importance weights for the logistic loss: λᵢ = σ(−yᵢ fᵢ), y ∈ {−1, +1}. No gradient. */
export function logisticImportanceWeights(f: Tensor, y: Tensor): Tensor {
  return pointwiseKernel('logisticImportanceWeights', 'logisticWeights', f, y, ['f', 'labels']);
}

/** `logisticLoss` and `logisticImportanceWeights` (no gradient) from one pass over f and y. */
export function logisticLossWithWeights(f: Tensor, y: Tensor, opts?: { reduction?: Reduction }): { loss: Tensor; weights: Tensor } {
  const op = 'logisticLossWithWeights';
  const names: [string, string] = ['f', 'labels'];
  const reduction = reductionOf(op, opts);
  const rt = checkPair(op, f, y, names);
  const err = pointwiseSite(rt, op, 'logistic', f, names);
  const elems = empty(f.shape, rt);
  const weights = empty(f.shape, rt);
  rt.dispatch(LOGISTIC_WITH_WEIGHTS, {
    buffers: { x: f.buffer(op), t: y.buffer(op), out: elems.buffer(), weights: weights.buffer(), error_flag: err.binding },
    uniforms: params(f.size, 1, 1, 0, 1, 0, err.id),
    workgroups: workgroups1d(f.size),
  });
  return { loss: pointwiseLoss(op, 'logistic', f, y, names, reduction, elems), weights };
}

/** Mean squared error (pred − target)², same shapes. */
export function mseLoss(pred: Tensor, target: Tensor, opts?: { reduction?: Reduction }): Tensor {
  return pointwiseLossOp('mseLoss', 'mse', pred, target, ['pred', 'target'], opts);
}
