// Reductions over any axes: sum, mean, max, min; backward rules beside each.
import source from '../../shaders/reduce.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Runtime } from '../runtime/runtime.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Shape, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { checkRank, contiguousStrides, normAxes } from './util.ts';
import { bool, isPlainObject, options } from '../args.ts';
import { binaryKernel } from './binary.ts';
import { expand } from './shape.ts';
import { unaryKernel } from './elementwise.ts';

const ROWS: KernelSource = { name: 'reduce.wgsl', code: source, entry: 'reduce_rows' };
const SPLIT: KernelSource = { name: 'reduce.wgsl', code: source, entry: 'reduce_split' };

type ReduceOp = 'sum' | 'max' | 'min';
const OP_CODE = { sum: 0, max: 1, min: 2 } as const;
const INIT_BITS = { sum: 0, max: 0xff800000, min: 0x7f800000 } as const;

interface Plan {
  nOut: number;
  nRed: number;
  keptShape: number[];
  keptStrides: number[];
  redShape: number[];
  redStrides: number[];
}

/** Merge adjacent axes of the same kind (kept/reduced) so any reduction fits 4 + 4 dims. */
function plan(shape: Shape, axes: number[]): Plan {
  const strides = contiguousStrides(shape);
  const kept: [number, number][] = [];
  const red: [number, number][] = [];
  let lastKind: 'k' | 'r' | null = null;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const kind = axes.includes(i) ? 'r' : 'k';
    const list = kind === 'r' ? red : kept;
    if (kind === lastKind) {
      const prev = list[list.length - 1];
      list[list.length - 1] = [prev[0] * shape[i], strides[i]];
    } else list.push([shape[i], strides[i]]);
    lastKind = kind;
  }
  if (kept.length > 4 || red.length > 4) throw new SamgpuError(`reduce: axes pattern of shape ${fmtShape(shape)} too fragmented`);
  const pad = (l: [number, number][]) => {
    while (l.length < 4) l.unshift([1, 0]);
    return l;
  };
  const k = pad(kept);
  const r = pad(red);
  return {
    nOut: k.reduce((a, [d]) => a * d, 1),
    nRed: r.reduce((a, [d]) => a * d, 1),
    keptShape: k.map(([d]) => d),
    keptStrides: k.map(([, s]) => s),
    redShape: r.map(([d]) => d),
    redStrides: r.map(([, s]) => s),
  };
}

function uniforms(p: Plan, op: ReduceOp, scale: number, chunk = 0, nChunks = 0): ArrayBuffer {
  return new Uniforms()
    .u32(p.nOut, p.nRed, chunk, nChunks)
    .vec4u(p.keptShape)
    .vec4u(p.keptStrides)
    .vec4u(p.redShape)
    .vec4u(p.redStrides)
    .f32(scale)
    .u32(INIT_BITS[op])
    .build();
}

const SPLIT_MIN = 4096; // reduced elements per output above which one workgroup per chunk pays
const CHUNK = 2048;

function reduceKernel(op: ReduceOp, x: Tensor, axes: number[], outShape: Shape, scale: number): Tensor {
  const rt = x.rt;
  const p = plan(x.shape, axes);
  const out = empty(outShape, rt);
  if (p.nRed > SPLIT_MIN && p.nOut < 1024) {
    // A contiguous inner run of ≥ 64 elements: chunks of whole runs (see reduce_split).
    const inner = p.redStrides[3] === 1 ? p.redShape[3] : 0;
    const chunk = inner >= 64 ? inner * Math.max(1, Math.round(CHUNK / inner)) : CHUNK;
    const nChunks = Math.ceil(p.nRed / chunk);
    const partial = empty([p.nOut, nChunks], rt);
    rt.dispatch(SPLIT, {
      overrides: { OP: OP_CODE[op] },
      buffers: { x: x.buffer(op), out: partial.buffer() },
      uniforms: uniforms(p, op, 1, chunk, nChunks),
      workgroups: Runtime.grid(p.nOut * nChunks),
    });
    const r = reduceKernel(op, partial, [1], outShape, scale);
    partial.dispose();
    out.dispose();
    return r;
  }
  rt.dispatch(ROWS, {
    overrides: { OP: OP_CODE[op] },
    buffers: { x: x.buffer(op), out: out.buffer() },
    uniforms: uniforms(p, op, scale),
    workgroups: Runtime.grid(Math.ceil(p.nOut / 64)),
  });
  return out;
}

function outShapeOf(shape: Shape, axes: number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function keptShape(shape: Shape, axes: number[]): number[] {
  return outShapeOf(shape, axes, true);
}

/** Broadcast a reduced gradient back to the input's shape. */
function expandBack(g: Tensor, x: Shape, axes: number[]): Tensor {
  const gk = g.view(keptShape(x, axes));
  const e = expand(gk, x);
  gk.dispose();
  return e;
}

/** keepDims as PyTorch's positional `keepdim` or `{keepDims}`. */
function keepDimsArg(op: string, v: unknown): boolean {
  return bool(op, 'keepDims', isPlainObject(v) ? options(op, v, ['keepDims']).keepDims : v, false);
}

export function sum(x: Tensor, axes?: number | readonly number[] | null, keepDims: boolean | { keepDims?: boolean } = false): Tensor {
  keepDims = keepDimsArg('sum', keepDims);
  checkRank('sum', x);
  const ax = normAxes('sum', axes, x.rank);
  const out = reduceKernel('sum', x, ax, outShapeOf(x.shape, ax, keepDims), 1);
  return record('sum', out, [x], [], () => (g) => [expandBack(g, x.shape, ax)]);
}

export function mean(x: Tensor, axes?: number | readonly number[] | null, keepDims: boolean | { keepDims?: boolean } = false): Tensor {
  keepDims = keepDimsArg('mean', keepDims);
  checkRank('mean', x);
  const ax = normAxes('mean', axes, x.rank);
  const n = ax.reduce((a, i) => a * x.shape[i], 1);
  if (n === 0) throw new SamgpuError(`mean: reducing over zero elements (shape ${fmtShape(x.shape)}, axes [${ax}])`);
  const out = reduceKernel('sum', x, ax, outShapeOf(x.shape, ax, keepDims), 1 / n);
  return record('mean', out, [x], [], () => (g) => [unaryKernel('affine', expandBack(g, x.shape, ax), 1 / n, 0)]);
}

function extremum(op: 'max' | 'min', x: Tensor, axes: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  checkRank(op, x);
  const ax = normAxes(op, axes, x.rank);
  if (ax.some((i) => x.shape[i] === 0)) throw new SamgpuError(`${op}: reducing over an empty axis (shape ${fmtShape(x.shape)})`);
  const out = reduceKernel(op, x, ax, outShapeOf(x.shape, ax, keepDims), 1);
  // Ties share the gradient equally (PyTorch's rule for amax/amin).
  return record(op, out, [x], [x, out], ([xs, outs]) => (g) => {
    const m = expandBack(outs, x.shape, ax);
    const mask = binaryKernel('eq', xs, m);
    const count = reduceKernel('sum', mask, ax, keptShape(x.shape, ax), 1);
    const share = binaryKernel('div', mask, count);
    return [binaryKernel('mul', expandBack(g, x.shape, ax), share)];
  });
}

export function max(x: Tensor, axes?: number | readonly number[] | null, keepDims: boolean | { keepDims?: boolean } = false): Tensor {
  return extremum('max', x, axes ?? undefined, keepDimsArg('max', keepDims));
}

export function min(x: Tensor, axes?: number | readonly number[] | null, keepDims: boolean | { keepDims?: boolean } = false): Tensor {
  return extremum('min', x, axes ?? undefined, keepDimsArg('min', keepDims));
}
