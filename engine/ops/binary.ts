// Binary elementwise ops with NumPy broadcasting, and their backward rules. A broadcast
// input's gradient is the output gradient summed over the broadcast dims (`sumTo`).
import source from '../../shaders/elementwise.wgsl';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Shape, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { broadcastShapes, broadcastStrides, checkRank, sameRuntime, workgroups1d, MAX_RANK } from './util.ts';
import { sum } from './reduce.ts';
import { neg, unaryKernel } from './elementwise.ts';

const BINARY: KernelSource = { name: 'elementwise.wgsl', code: source, entry: 'binary' };

export const BinaryOp = {
  add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, eq: 6, gt: 7, ge: 8, lt: 9,
  maxGrad: 10, minGrad: 11, reluGrad: 12,
} as const;

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Run the binary kernel with broadcasting (no autodiff). */
export function binaryKernel(op: keyof typeof BinaryOp, a: Tensor, b: Tensor): Tensor {
  const rt = sameRuntime(op, a, b);
  checkRank(op, a);
  checkRank(op, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = empty(shape, rt);
  const same = sameShape(a.shape, shape) && sameShape(b.shape, shape);
  const u = new Uniforms()
    .u32(out.size, shape.length)
    .f32(0, 0)
    .vec4u(shape, MAX_RANK / 4, 1)
    .vec4u(broadcastStrides(a.shape, shape), MAX_RANK / 4)
    .vec4u(broadcastStrides(b.shape, shape), MAX_RANK / 4)
    .build();
  rt.dispatch(BINARY, {
    overrides: { OP: BinaryOp[op], SAME_SHAPE: same },
    buffers: { a: a.buffer(op), b: b.buffer(op), out: out.buffer() },
    uniforms: u,
    workgroups: workgroups1d(out.size),
  });
  return out;
}

/** Sum `g` down to `shape` (undo broadcasting). Returns g itself when shapes match. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || shape[i - lead] === 1) axes.push(i);
  const s = sum(g, axes, true);
  const r = s.view(shape);
  s.dispose();
  return r;
}

export function add(a: Tensor, b: Tensor): Tensor {
  const out = binaryKernel('add', a, b);
  return record('add', out, [a, b], [], () => (g) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

export function sub(a: Tensor, b: Tensor): Tensor {
  const out = binaryKernel('sub', a, b);
  return record('sub', out, [a, b], [], () => (g) => [sumTo(g, a.shape), sumTo(neg(g), b.shape)]);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  const out = binaryKernel('mul', a, b);
  return record('mul', out, [a, b], [a, b], ([as, bs]) => (g) => [
    sumTo(binaryKernel('mul', g, bs), a.shape),
    sumTo(binaryKernel('mul', g, as), b.shape),
  ]);
}

export function div(a: Tensor, b: Tensor): Tensor {
  const out = binaryKernel('div', a, b);
  // d(a/b)/da = 1/b, d(a/b)/db = −a/b²
  return record('div', out, [a, b], [a, b], ([as, bs]) => (g) => [
    sumTo(binaryKernel('div', g, bs), a.shape),
    sumTo(neg(binaryKernel('div', binaryKernel('mul', g, as), unaryKernel('square', bs))), b.shape),
  ]);
}

export function maximum(a: Tensor, b: Tensor): Tensor {
  const out = binaryKernel('maximum', a, b);
  return record('maximum', out, [a, b], [a, b], ([as, bs]) => (g) => [
    sumTo(binaryKernel('mul', g, binaryKernel('maxGrad', as, bs)), a.shape),
    sumTo(binaryKernel('mul', g, binaryKernel('maxGrad', bs, as)), b.shape),
  ]);
}

export function minimum(a: Tensor, b: Tensor): Tensor {
  const out = binaryKernel('minimum', a, b);
  return record('minimum', out, [a, b], [a, b], ([as, bs]) => (g) => [
    sumTo(binaryKernel('mul', g, binaryKernel('minGrad', as, bs)), a.shape),
    sumTo(binaryKernel('mul', g, binaryKernel('minGrad', bs, as)), b.shape),
  ]);
}

/** 1 where a == b (broadcast), else 0. No gradient. */
export function eq(a: Tensor, b: Tensor): Tensor {
  return binaryKernel('eq', a, b);
}

export function gt(a: Tensor, b: Tensor): Tensor {
  return binaryKernel('gt', a, b);
}
