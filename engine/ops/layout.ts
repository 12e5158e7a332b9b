// Layout ops: constant padding, slicing and concatenation, each a copy through layout.wgsl.
// The backward of pad is a slice of the gradient, of slice a zero pad, of concat slices.
import source from '../../shaders/layout.wgsl';
import { SamgpuError, fmtShape } from '../device/errors.ts';
import type { KernelSource } from '../runtime/pipeline-cache.ts';
import { Uniforms } from '../runtime/uniforms.ts';
import { empty, type Shape, type Tensor } from '../tensor.ts';
import { record } from '../autograd/record.ts';
import { checkRank, contiguousStrides, normAxes, sameRuntime, workgroups1d, MAX_RANK } from './util.ts';
import { show } from '../args.ts';

const GATHER: KernelSource = { name: 'layout.wgsl', code: source, entry: 'gather' };
const PLACE: KernelSource = { name: 'layout.wgsl', code: source, entry: 'place' };

function uniforms(shape: Shape, other: Shape, offset: readonly number[], value: number): ArrayBuffer {
  return new Uniforms()
    .u32(shape.reduce((a, b) => a * b, 1), shape.length)
    .f32(value)
    .u32(0)
    .vec4u(shape, MAX_RANK / 4, 1)
    .vec4u(other, MAX_RANK / 4, 1)
    .vec4u(contiguousStrides(other), MAX_RANK / 4)
    .vec4u(offset, MAX_RANK / 4) // i32 in WGSL: negative offsets travel as two's complement
    .build();
}

/** out (shape `outShape`)[c] = x[c + offset], or `value` where c + offset is outside x. */
function gather(op: string, x: Tensor, outShape: Shape, offset: readonly number[], value = 0): Tensor {
  const out = empty(outShape, x.rt);
  if (out.size === 0) return out;
  x.rt.dispatch(GATHER, {
    buffers: { x: x.buffer(op), out: out.buffer() },
    uniforms: uniforms(outShape, x.shape, offset, value),
    workgroups: workgroups1d(out.size),
  });
  return out;
}

function checkInt(op: string, name: string, v: number): void {
  if (!Number.isInteger(v)) throw new SamgpuError(`${op}: ${name} must be an integer, got ${v}`);
}

/**
 * PyTorch's F.pad with a constant: pads = [left, right, top, bottom, …], pairs from the last
 * dim backward. Negative pads crop, as in PyTorch.
 */
export function pad(x: Tensor, pads: readonly number[], modeOrValue: number | 'constant' = 0, value?: number): Tensor {
  // F.pad(input, pad, mode='constant', value=0): a mode string may come before the value.
  if (typeof modeOrValue === 'string') {
    if (modeOrValue !== 'constant') throw new SamgpuError(`pad: mode '${modeOrValue}' is not supported (only 'constant'; input ${fmtShape(x.shape)})`);
    modeOrValue = value ?? 0;
  } else if (value !== undefined) throw new SamgpuError(`pad: a fourth argument (value) needs the mode 'constant' as the third, got ${show(modeOrValue)}`);
  const fill = modeOrValue;
  if (typeof fill !== 'number') throw new SamgpuError(`pad: the value must be a number, got ${show(fill)}`);
  if (!Array.isArray(pads as unknown)) throw new SamgpuError(`pad: pads must be an array [left, right, top, bottom, …], got ${show(pads)}`);
  checkRank('pad', x);
  if (pads.length % 2 || pads.length > 2 * x.rank) {
    throw new SamgpuError(`pad: pads [${pads}] must be pairs for at most the ${x.rank} dims of ${fmtShape(x.shape)}`);
  }
  pads.forEach((v) => checkInt('pad', 'each pad', v));
  const before = new Array<number>(x.rank).fill(0);
  const outShape = [...x.shape];
  for (let k = 0; k < pads.length / 2; k++) {
    const d = x.rank - 1 - k;
    before[d] = pads[2 * k];
    outShape[d] += pads[2 * k] + pads[2 * k + 1];
    if (outShape[d] < 0) throw new SamgpuError(`pad: pads [${pads}] leave dim ${d} of ${fmtShape(x.shape)} with size ${outShape[d]}`);
  }
  const out = gather('pad', x, outShape, before.map((b) => -b), fill);
  return record('pad', out, [x], [], () => (g) => [gather('pad', g, x.shape, before)]);
}

/**
 * Elements start..end (exclusive) along `axis`, as Python slicing: negative indices count from
 * the end, and both are clamped to [0, size] (an empty slice when end ≤ start). A copy.
 */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  checkRank('slice', x);
  const d = normAxes('slice', axis, x.rank)[0];
  checkInt('slice', 'start', start);
  checkInt('slice', 'end', end);
  const n = x.shape[d];
  const clampIdx = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i));
  const s = clampIdx(start);
  const e = Math.max(s, clampIdx(end));
  const outShape = x.shape.map((v, i) => (i === d ? e - s : v));
  const offset = x.shape.map((_, i) => (i === d ? s : 0));
  const out = gather('slice', x, outShape, offset);
  return record('slice', out, [x], [], () => (g) => [gather('slice', g, x.shape, offset.map((o) => -o))]);
}

/** Concatenate along `axis` (default 0, as torch.cat; negative counts from the end); all other dims must agree. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors as unknown)) throw new SamgpuError(`concat: expected an array of tensors, got ${show(tensors)}`);
  if (tensors.length === 0) throw new SamgpuError('concat: no tensors given');
  const first = tensors[0];
  checkRank('concat', first);
  const d = normAxes('concat', axis, first.rank)[0];
  const shapes = tensors.map((t) => fmtShape(t.shape)).join(', ');
  for (const t of tensors) {
    sameRuntime('concat', first, t);
    if (t.rank !== first.rank || t.shape.some((v, i) => i !== d && v !== first.shape[i])) {
      throw new SamgpuError(`concat: shapes must agree except along axis ${d} (${shapes})`);
    }
  }
  const starts: number[] = [];
  let total = 0;
  for (const t of tensors) {
    starts.push(total);
    total += t.shape[d];
  }
  const outShape = first.shape.map((v, i) => (i === d ? total : v));
  const out = empty(outShape, first.rt);
  const offsetOf = (k: number) => first.shape.map((_, i) => (i === d ? starts[k] : 0));
  tensors.forEach((t, k) => {
    if (t.size === 0) return;
    out.rt.dispatch(PLACE, {
      buffers: { x: t.buffer('concat'), out: out.buffer() },
      uniforms: uniforms(t.shape, outShape, offsetOf(k), 0),
      workgroups: workgroups1d(t.size),
    });
  });
  return record('concat', out, [...tensors], [], () => (g) =>
    tensors.map((t, k) => (t.requiresGrad ? gather('concat', g, t.shape, offsetOf(k)) : null)));
}
