// Shape ops: reshape (a view), permute/transpose and expand (copies through permute.wgsl).
import source from '../../shaders/permute.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, sizeOf, type Shape, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { broadcastStrides, checkRank, contiguousStrides, workgroups1d, MAX_RANK } from './util.ts';
import { sumTo } from './binary.ts';
import { int, show } from '../args.ts';

/** A shape or permutation given as one array or as separate integers (`reshape(x, 2, 3)`, torch's varargs). */
function intList(op: string, what: string, args: readonly unknown[]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (!list.every((d) => typeof d === 'number' && Number.isInteger(d))) {
    throw new SamgpuError(`${op}: ${what} must be integers (one array or separate arguments), got ${show(args.length === 1 ? args[0] : [...args])}`);
  }
  return [...(list as number[])];
}

const PERMUTE: KernelSource = { name: 'permute.wgsl', code: source, entry: 'permute' };

/** out[i] = x[Σ coord_d · inStrides_d] over out's coordinates. */
function gather(x: Tensor, outShape: Shape, inStrides: readonly number[], op: string): Tensor {
  const out = empty(outShape, x.rt);
  const u = new Uniforms()
    .u32(out.size, outShape.length, 0, 0)
    .vec4u(outShape, MAX_RANK / 4, 1)
    .vec4u(inStrides, MAX_RANK / 4)
    .build();
  x.rt.dispatch(PERMUTE, { buffers: { x: x.buffer(op), out: out.buffer() }, uniforms: u, workgroups: workgroups1d(out.size) });
  return out;
}

/** Same data, new shape (one dim may be -1). A view: no copy. */
export function reshape(x: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  const shape = intList('reshape', 'the shape', dims);
  const s = [...shape];
  const infer = s.indexOf(-1);
  if (infer >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== infer));
    if (s.lastIndexOf(-1) !== infer || rest === 0 || x.size % rest) {
      throw new SamgpuError(`reshape: cannot reshape ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
    }
    s[infer] = x.size / rest;
  }
  if (sizeOf(s) !== x.size || s.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new SamgpuError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)}`);
  }
  const out = x.view(s);
  return record('reshape', out, [x], [], () => (g) => [g.view(x.shape)]);
}

/** torch.flatten(x, startDim, endDim): dims startDim..endDim (inclusive, negative from the end) become one. */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  int('flatten', 'startDim', startDim, 1);
  int('flatten', 'endDim', endDim, -1);
  const r = Math.max(x.rank, 1);
  const a = startDim < 0 ? startDim + r : startDim;
  const b = endDim < 0 ? endDim + r : endDim;
  if (a < 0 || b < 0 || a >= r || b >= r) {
    // PyTorch's default start 1 on a rank-1 tensor is a no-op, as before.
    if (x.rank <= startDim && endDim === -1) return reshape(x, [...x.shape]);
    throw new SamgpuError(`flatten: dims ${startDim}..${endDim} are out of range for ${fmtShape(x.shape)}`);
  }
  if (a > b) throw new SamgpuError(`flatten: startDim ${startDim} comes after endDim ${endDim} (${fmtShape(x.shape)})`);
  if (x.rank === 0) return reshape(x, [1]);
  return reshape(x, [...x.shape.slice(0, a), sizeOf(x.shape.slice(a, b + 1)), ...x.shape.slice(b + 1)]);
}

export function permute(x: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  const perm = intList('permute', 'the dims', dims);
  checkRank('permute', x);
  const r = x.rank;
  const seen = new Set(perm.map((p) => (p < 0 ? p + r : p)));
  if (perm.length !== r || seen.size !== r || [...seen].some((p) => p < 0 || p >= r || !Number.isInteger(p))) {
    throw new SamgpuError(`permute: [${perm}] is not a permutation of the ${r} axes of ${fmtShape(x.shape)}`);
  }
  const p = perm.map((v) => (v < 0 ? v + r : v));
  const strides = contiguousStrides(x.shape);
  const out = gather(x, p.map((i) => x.shape[i]), p.map((i) => strides[i]), 'permute');
  const inverse = new Array<number>(r);
  p.forEach((v, i) => (inverse[v] = i));
  return record('permute', out, [x], [], () => (g) => [permuteKernel(g, inverse)]);
}

function permuteKernel(g: Tensor, perm: number[]): Tensor {
  const strides = contiguousStrides(g.shape);
  return gather(g, perm.map((i) => g.shape[i]), perm.map((i) => strides[i]), 'permute');
}

/** Swap two axes (default: the last two). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  int('transpose', 'dim0', dim0, undefined);
  int('transpose', 'dim1', dim1, undefined);
  const r = x.rank;
  if (r < 2 && dim0 === -2 && dim1 === -1) throw new SamgpuError(`transpose: needs rank >= 2, got ${fmtShape(x.shape)}`);
  const a = dim0 < 0 ? dim0 + r : dim0;
  const b = dim1 < 0 ? dim1 + r : dim1;
  if (a < 0 || a >= r || b < 0 || b >= r) throw new SamgpuError(`transpose: dims ${dim0}, ${dim1} out of range for ${fmtShape(x.shape)}`);
  const perm = [...Array(r).keys()];
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return permute(x, perm);
}

/** Broadcast to `shape` (NumPy rules), materialized. */
export function expand(x: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  const shape = intList('expand', 'the shape', dims);
  checkRank('expand', x);
  const off = shape.length - x.rank;
  if (off < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[i + off])) {
    throw new SamgpuError(`expand: cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
  }
  const out = gather(x, shape, broadcastStrides(x.shape, shape), 'expand');
  return record('expand', out, [x], [], () => (g) => [sumTo(g, x.shape)]);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  int('unsqueeze', 'dim', dim, undefined);
  const d = dim < 0 ? dim + x.rank + 1 : dim;
  if (d < 0 || d > x.rank) throw new SamgpuError(`unsqueeze: dim ${dim} is out of range for ${fmtShape(x.shape)}`);
  const s = [...x.shape];
  s.splice(d, 0, 1);
  return reshape(x, s);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  int('squeeze', 'dim', dim, undefined);
  const d = dim < 0 ? dim + x.rank : dim;
  if (d < 0 || d >= Math.max(x.rank, 1)) throw new SamgpuError(`squeeze: dim ${dim} is out of range for ${fmtShape(x.shape)}`);
  if (x.shape[d] !== 1) return reshape(x, [...x.shape]);
  return reshape(x, x.shape.filter((_, i) => i !== d));
}
