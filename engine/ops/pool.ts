// 2-D pooling with PyTorch's semantics: max (with dilation, saving argmax for backward),
// average (countIncludePad both ways), adaptive average and global average. Inputs are
// [N,C,H,W] or unbatched [C,H,W]; kernels see them as [planes, H, W].
import source from '../../shaders/pool.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import type { Binding } from '../runtime/runtime.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { noGrad } from '../autograd/grad-mode.ts';
import { workgroups1d } from './util.ts';
import { bool, intOrPair, positional, show } from '../args.ts';
import { mean } from './reduce.ts';

const kernel = (entry: string): KernelSource => ({ name: 'pool.wgsl', code: source, entry });
const MAX_FWD = kernel('max_pool_fwd');
const MAX_BWD = kernel('max_pool_bwd');
const AVG_FWD = kernel('avg_pool_fwd');
const AVG_BWD = kernel('avg_pool_bwd');
const ADAPTIVE_FWD = kernel('adaptive_avg_fwd');
const ADAPTIVE_BWD = kernel('adaptive_avg_bwd');
const GLOBAL_BWD = kernel('global_avg_bwd');

const NEG_INF_BITS = 0xff800000;

export interface Pool2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  ceilMode?: boolean;
}

export type AvgPool2dOptions = Omit<Pool2dOptions, 'dilation'> & { countIncludePad?: boolean };

/** Sizes of one pooling call; one uniform layout for every entry point. */
interface Geometry {
  planes: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  countIncludePad: boolean;
}

function pair2(op: string, what: string, v: number | [number, number], min: number, x: Tensor): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if ((typeof v !== 'number' && v.length !== 2) || p.some((d) => !Number.isInteger(d) || d < min)) {
    throw new SamgpuError(`${op}: ${what} must be ${min > 0 ? 'positive' : 'non-negative'} integers (one or two), got ${JSON.stringify(v)} (input ${fmtShape(x.shape)})`);
  }
  return p;
}

function checkInput(op: string, x: Tensor): void {
  if (x.rank !== 3 && x.rank !== 4) {
    throw new SamgpuError(`${op}: expected a 3-D [C,H,W] or 4-D [N,C,H,W] input, got ${fmtShape(x.shape)}`);
  }
  if (x.size === 0) throw new SamgpuError(`${op}: input ${fmtShape(x.shape)} is empty`);
}

/** PyTorch's pooling_output_shape: floor or ceil, and a ceil window must start inside the input or left padding. */
function outSize(n: number, k: number, s: number, pad: number, dil: number, ceil: boolean): number {
  let o = Math.floor((n + 2 * pad - dil * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= n + pad) o--;
  return o;
}

function windowGeometry(op: string, x: Tensor, kernelSize: number | [number, number], opts: Pool2dOptions, countIncludePad = true): Geometry {
  checkInput(op, x);
  const [kh, kw] = pair2(op, 'kernel', kernelSize, 1, x);
  const [sh, sw] = opts.stride === undefined ? [kh, kw] : pair2(op, 'stride', opts.stride, 1, x);
  const [ph, pw] = pair2(op, 'padding', opts.padding ?? 0, 0, x);
  const [dh, dw] = pair2(op, 'dilation', opts.dilation ?? 1, 1, x);
  if (ph > Math.floor(kh / 2) || pw > Math.floor(kw / 2)) {
    throw new SamgpuError(`${op}: padding [${ph},${pw}] must be at most half the kernel [${kh},${kw}] (PyTorch's rule; input ${fmtShape(x.shape)})`);
  }
  const h = x.shape[x.rank - 2];
  const w = x.shape[x.rank - 1];
  const ceil = opts.ceilMode ?? false;
  const oh = outSize(h, kh, sh, ph, dh, ceil);
  const ow = outSize(w, kw, sw, pw, dw, ceil);
  if (oh < 1 || ow < 1) {
    throw new SamgpuError(
      `${op}: kernel [${kh},${kw}] (dilation [${dh},${dw}], padding [${ph},${pw}]) is larger than the padded input ${fmtShape(x.shape)}: output would be [${oh},${ow}]`,
    );
  }
  return { planes: x.size / (h * w), h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, countIncludePad };
}

function outShape(x: Tensor, g: Geometry): number[] {
  return [...x.shape.slice(0, -2), g.oh, g.ow];
}

function dispatch(x: Tensor, src: KernelSource, g: Geometry, threads: number, buffers: Record<string, Binding>): void {
  const u = new Uniforms()
    .u32(threads, g.planes, g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw)
    .u32(g.countIncludePad ? 1 : 0, NEG_INF_BITS)
    .build();
  x.rt.dispatch(src, { buffers, uniforms: u, workgroups: workgroups1d(threads) });
}

/** The input's gradient from the output's, by one of the gather kernels. */
function gatherBackward(op: string, src: KernelSource, g: Geometry, grad: Tensor, inShape: readonly number[], argmax?: Tensor): Tensor {
  const dx = empty(inShape, grad.rt);
  const buffers: Record<string, Binding> = { grad: grad.buffer(op), out: dx.buffer() };
  if (argmax) buffers.argmax = argmax.buffer(op);
  dispatch(grad, src, g, dx.size, buffers);
  return dx;
}

type Pair = number | [number, number];

/**
 * F.max_pool2d's trailing arguments: positional (stride, padding, dilation, ceilMode,
 * returnIndices) or options; stride defaults to the kernel size.
 */
function maxPoolArgs(args: unknown[]): Pool2dOptions {
  const o = positional('maxPool2d', args, ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices']);
  if (bool('maxPool2d', 'returnIndices', o.returnIndices, false)) throw new SamgpuError('maxPool2d: returnIndices is not supported (the indices stay on the GPU for the backward)');
  bool('maxPool2d', 'ceilMode', o.ceilMode, false);
  return { stride: intOrPair('maxPool2d', 'stride', o.stride ?? undefined), padding: intOrPair('maxPool2d', 'padding', o.padding), dilation: intOrPair('maxPool2d', 'dilation', o.dilation), ceilMode: o.ceilMode as boolean | undefined };
}

/** F.avg_pool2d's trailing arguments: positional (stride, padding, ceilMode, countIncludePad, divisorOverride) or options. */
function avgPoolArgs(args: unknown[]): AvgPool2dOptions {
  const o = positional('avgPool2d', args, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']);
  if (o.divisorOverride !== undefined && o.divisorOverride !== null) throw new SamgpuError(`avgPool2d: divisorOverride is not supported, got ${show(o.divisorOverride)}`);
  return {
    stride: intOrPair('avgPool2d', 'stride', o.stride ?? undefined),
    padding: intOrPair('avgPool2d', 'padding', o.padding),
    ceilMode: bool('avgPool2d', 'ceilMode', o.ceilMode, false),
    countIncludePad: bool('avgPool2d', 'countIncludePad', o.countIncludePad, true),
  };
}

/**
 * Max pooling (PyTorch's F.max_pool2d: `maxPool2d(x, 3, 2)` or `maxPool2d(x, 3, {stride: 2})`);
 * padding counts as -inf. The gradient goes to the first maximum of each window.
 */
export function maxPool2d(x: Tensor, kernelSize: Pair, stride?: Pair | null | Pool2dOptions, padding?: Pair, dilation?: Pair, ceilMode?: boolean, returnIndices?: false): Tensor {
  const opts = maxPoolArgs([stride, padding, dilation, ceilMode, returnIndices]);
  const g = windowGeometry('maxPool2d', x, kernelSize, opts);
  const out = empty(outShape(x, g), x.rt);
  const argmax = empty(out.shape, x.rt);
  dispatch(x, MAX_FWD, g, out.size, { x: x.buffer('maxPool2d'), out: out.buffer(), argmax_out: argmax.buffer() });
  record('maxPool2d', out, [x], [argmax], ([am]) => (grad) => [gatherBackward('maxPool2d', MAX_BWD, g, grad, x.shape, am)]);
  argmax.dispose(); // the tape holds its own handle when backward needs it
  return out;
}

/** Average pooling (PyTorch's F.avg_pool2d and its divisor rules; no divisor override). */
export function avgPool2d(x: Tensor, kernelSize: Pair, stride?: Pair | null | AvgPool2dOptions, padding?: Pair, ceilMode?: boolean, countIncludePad?: boolean, divisorOverride?: null): Tensor {
  const opts = avgPoolArgs([stride, padding, ceilMode, countIncludePad, divisorOverride]);
  const g = windowGeometry('avgPool2d', x, kernelSize, { ...opts, dilation: 1 }, opts.countIncludePad ?? true);
  const out = empty(outShape(x, g), x.rt);
  dispatch(x, AVG_FWD, g, out.size, { x: x.buffer('avgPool2d'), out: out.buffer() });
  return record('avgPool2d', out, [x], [], () => (grad) => [gatherBackward('avgPool2d', AVG_BWD, g, grad, x.shape)]);
}

/** Adaptive average pooling: output cell i of an axis averages inputs [floor(i·n/m), ceil((i+1)·n/m)). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | [number, number]): Tensor {
  const op = 'adaptiveAvgPool2d';
  checkInput(op, x);
  const [oh, ow] = pair2(op, 'output size', outputSize, 0, x); // 0 gives an empty output, as in PyTorch
  if (oh === 1 && ow === 1) return globalAvgPool2d(x);
  const h = x.shape[x.rank - 2];
  const w = x.shape[x.rank - 1];
  const g: Geometry = { planes: x.size / (h * w), h, w, oh, ow, kh: 0, kw: 0, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, countIncludePad: false };
  const out = empty(outShape(x, g), x.rt);
  dispatch(x, ADAPTIVE_FWD, g, out.size, { x: x.buffer(op), out: out.buffer() });
  return record(op, out, [x], [], () => (grad) => [gatherBackward(op, ADAPTIVE_BWD, g, grad, x.shape)]);
}

/** Mean over H and W: [N,C,H,W] → [N,C,1,1] ([C,H,W] → [C,1,1]). */
export function globalAvgPool2d(x: Tensor): Tensor {
  const op = 'globalAvgPool2d';
  checkInput(op, x);
  // The reduction kernels already pick a strategy by shape (split workgroups for large planes).
  const out = noGrad(() => mean(x, [x.rank - 2, x.rank - 1], true));
  const h = x.shape[x.rank - 2];
  const w = x.shape[x.rank - 1];
  const g: Geometry = { planes: x.size / (h * w), h, w, oh: 1, ow: 1, kh: 0, kw: 0, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1, countIncludePad: false };
  return record(op, out, [x], [], () => (grad) => [gatherBackward(op, GLOBAL_BWD, g, grad, x.shape)]);
}
