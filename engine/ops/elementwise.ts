// Unary and scalar elementwise ops, each with its backward rule beside it.
import source from '../../shaders/elementwise.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, Tensor, type Shape } from '../tensor.ts';
import { shapeArgs, show } from '../args.ts';
import { record } from '../autograd/record.ts';
import { workgroups1d } from './util.ts';
import { mul, div, sub, binaryKernel } from './binary.ts';

const UNARY: KernelSource = { name: 'elementwise.wgsl', code: source, entry: 'unary' };
const FILL: KernelSource = { name: 'elementwise.wgsl', code: source, entry: 'fill' };
const ADD_INTO: KernelSource = { name: 'elementwise.wgsl', code: source, entry: 'add_into' };
const COPY_INTO: KernelSource = { name: 'elementwise.wgsl', code: source, entry: 'copy_into' };

export const UnaryOp = {
  neg: 0, exp: 1, log: 2, relu: 3, sigmoid: 4, tanh: 5, sqrt: 6, abs: 7,
  affine: 8, square: 10, reciprocal: 11, step: 12, powScalar: 13, sign: 14, copy: 15,
} as const;

/** Run the unary kernel (no autodiff). */
export function unaryKernel(op: keyof typeof UnaryOp, x: Tensor, alpha = 0, beta = 0): Tensor {
  const xb = x.buffer(op);
  const out = empty(x.shape, x.rt);
  const u = new Uniforms().u32(x.size, x.rank).f32(alpha, beta).build();
  x.rt.dispatch(UNARY, {
    overrides: { OP: UnaryOp[op] },
    buffers: { a: xb, out: out.buffer() },
    uniforms: u,
    workgroups: workgroups1d(x.size),
  });
  return out;
}

function finite(op: string, name: string, v: number): void {
  if (!Number.isFinite(v)) throw new SamgpuError(`${op}: ${name} must be a finite number, got ${v}`);
}

export function neg(x: Tensor): Tensor {
  return record('neg', unaryKernel('neg', x), [x], [], () => (g) => [neg(g)]);
}

export function exp(x: Tensor): Tensor {
  const y = unaryKernel('exp', x);
  return record('exp', y, [x], [y], ([ys]) => (g) => [mul(g, ys)]);
}

export function log(x: Tensor): Tensor {
  return record('log', unaryKernel('log', x), [x], [x], ([xs]) => (g) => [div(g, xs)]);
}

export function relu(x: Tensor): Tensor {
  // one fused kernel for the backward: g · 1[x > 0]
  return record('relu', unaryKernel('relu', x), [x], [x], ([xs]) => (g) => [binaryKernel('reluGrad', g, xs)]);
}

export function sigmoid(x: Tensor): Tensor {
  const y = unaryKernel('sigmoid', x);
  // dσ = σ(1 − σ)
  return record('sigmoid', y, [x], [y], ([ys]) => (g) => [mul(g, mul(ys, unaryKernel('affine', ys, -1, 1)))]);
}

export function tanh(x: Tensor): Tensor {
  const y = unaryKernel('tanh', x);
  // dtanh = 1 − tanh²
  return record('tanh', y, [x], [y], ([ys]) => (g) => [mul(g, unaryKernel('affine', unaryKernel('square', ys), -1, 1))]);
}

export function sqrt(x: Tensor): Tensor {
  const y = unaryKernel('sqrt', x);
  return record('sqrt', y, [x], [y], ([ys]) => (g) => [div(g, unaryKernel('affine', ys, 2, 0))]);
}

export function abs(x: Tensor): Tensor {
  // d|x| = sign(x), 0 at 0 (PyTorch's convention)
  return record('abs', unaryKernel('abs', x), [x], [x], ([xs]) => (g) => [mul(g, unaryKernel('sign', xs))]);
}

export function square(x: Tensor): Tensor {
  return record('square', unaryKernel('square', x), [x], [x], ([xs]) => (g) => [mul(g, unaryKernel('affine', xs, 2, 0))]);
}

export function addScalar(x: Tensor, s: number): Tensor {
  finite('addScalar', 'the scalar', s);
  return record('addScalar', unaryKernel('affine', x, 1, s), [x], [], () => (g) => [unaryKernel('copy', g)]);
}

export function mulScalar(x: Tensor, s: number): Tensor {
  finite('mulScalar', 'the scalar', s);
  return record('mulScalar', unaryKernel('affine', x, s, 0), [x], [], () => (g) => [unaryKernel('affine', g, s, 0)]);
}

/** a·x + b with scalars a and b. */
export function affine(x: Tensor, a: number, b: number): Tensor {
  finite('affine', 'the scale', a);
  finite('affine', 'the shift', b);
  return record('affine', unaryKernel('affine', x, a, b), [x], [], () => (g) => [unaryKernel('affine', g, a, 0)]);
}

/** s − x */
export function rsubScalar(x: Tensor, s: number): Tensor {
  return affine(x, -1, s);
}

/** x ** p for a scalar exponent (x ≥ 0 unless p is an integer handled by the caller). */
export function powScalar(x: Tensor, p: number): Tensor {
  finite('powScalar', 'the exponent', p);
  const y = unaryKernel('powScalar', x, p);
  return record('powScalar', y, [x], [x], ([xs]) => (g) => [mul(g, unaryKernel('affine', unaryKernel('powScalar', xs, p - 1), p, 0))]);
}

/** A shape as one array or separate integers, then optionally a tensor whose device to use. */
function shapeAndLike(op: string, args: unknown[]): [number[], Tensor | undefined] {
  const like = args.length > 1 && args[args.length - 1] instanceof Tensor ? (args.pop() as Tensor) : undefined;
  return [shapeArgs(op, args), like];
}

/** torch.full: `full([2, 3], 7)` (or `full(3, 7)` for [3]); `like` picks the device. */
export function full(shape: Shape | number, value: number, like?: Tensor): Tensor {
  const shp = shapeArgs('full', [shape]);
  finite('full', 'the fill value', value);
  if (like !== undefined && !(like instanceof Tensor)) throw new SamgpuError(`full: the third argument is a tensor whose device to use, got ${show(like)} (full takes one shape array: full([2, 3], value))`);
  const out = like ? empty(shp, like.rt) : empty(shp);
  const u = new Uniforms().u32(out.size, out.rank).f32(value, 0).build();
  out.rt.dispatch(FILL, {
    buffers: { out: out.buffer() },
    uniforms: u,
    workgroups: workgroups1d(out.size),
  });
  return out;
}

/** In place: target ← value (no autodiff). */
export function fillInto(target: Tensor, value: number): void {
  finite('fillInto', 'the fill value', value);
  const u = new Uniforms().u32(target.size, target.rank).f32(value, 0).build();
  target.rt.dispatch(FILL, { buffers: { out: target.buffer('fillInto') }, uniforms: u, workgroups: workgroups1d(target.size) });
}

/** In place: target ← target + x, same number of elements (no autodiff). */
export function addInto(target: Tensor, x: Tensor): void {
  if (target.size !== x.size) throw new SamgpuError(`addInto: ${fmtShape(x.shape)} does not match target ${fmtShape(target.shape)}`);
  const u = new Uniforms().u32(target.size, target.rank).f32(0, 0).build();
  target.rt.dispatch(ADD_INTO, { buffers: { a: x.buffer('addInto'), out: target.buffer('addInto') }, uniforms: u, workgroups: workgroups1d(target.size) });
}

/**
 * In place: target ← x, same number of elements (no autodiff). A dispatch rather than a copy
 * command, so the open compute pass is not split (each pass boundary costs on lavapipe).
 */
export function copyInto(target: Tensor, x: Tensor): void {
  if (target.size !== x.size) throw new SamgpuError(`copyInto: ${fmtShape(x.shape)} does not match target ${fmtShape(target.shape)}`);
  const u = new Uniforms().u32(target.size, target.rank).f32(0, 0).build();
  target.rt.dispatch(COPY_INTO, { buffers: { a: x.buffer('copyInto'), out: target.buffer('copyInto') }, uniforms: u, workgroups: workgroups1d(target.size) });
}

/** torch.zeros: `zeros([2, 3])` or `zeros(2, 3)`; a last tensor argument picks the device. */
export function zeros(shape: Shape | number, ...rest: (number | Tensor)[]): Tensor {
  const [shp, like] = shapeAndLike('zeros', [shape, ...rest]);
  return full(shp, 0, like);
}

/** torch.ones: `ones([2, 3])` or `ones(2, 3)`; a last tensor argument picks the device. */
export function ones(shape: Shape | number, ...rest: (number | Tensor)[]): Tensor {
  const [shp, like] = shapeAndLike('ones', [shape, ...rest]);
  return full(shp, 1, like);
}

export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, t);
}

export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, t);
}

/** A copy with its own storage (not a view). Recorded: the gradient passes through. */
export function clone(x: Tensor): Tensor {
  return record('clone', unaryKernel('copy', x), [x], [], () => (g) => [unaryKernel('copy', g)]);
}

/** 1 where x > 0, else 0 (no gradient). */
export function step(x: Tensor): Tensor {
  return unaryKernel('step', x);
}

export function checkSameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new SamgpuError(`${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} must be equal`);
  }
}

// Re-exported for symmetry with PyTorch's names.
export { sub };
