import { SamgpuError, fmtShape } from '../device/errors.ts';
import { Runtime } from '../runtime/runtime.ts';
import { isPlainObject, options, positional, show, type Options } from '../args.ts';
import { Tensor, type Shape } from '../tensor.ts';

export const MAX_RANK = 8;

export function assertLive(op: string, ...ts: Tensor[]): void {
  for (const t of ts) t.storage(op);
}

export function sameRuntime(op: string, a: Tensor, b: Tensor): Runtime {
  const rt = a.storage(op).rt;
  if (b.storage(op).rt !== rt) throw new SamgpuError(`${op}: tensors live on different devices`);
  return rt;
}

export function checkRank(op: string, t: Tensor): void {
  if (t.rank > MAX_RANK) throw new SamgpuError(`${op}: rank ${t.rank} (shape ${fmtShape(t.shape)}) exceeds the supported ${MAX_RANK}`);
}

/** NumPy broadcasting of two shapes, or an error naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new SamgpuError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (dim ${i}: ${da} vs ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

export function contiguousStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Strides of `shape` read as if broadcast to `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = contiguousStrides(shape);
  const off = outShape.length - shape.length;
  return outShape.map((d, i) => (i < off || shape[i - off] === 1 ? 0 : strides[i - off]));
}

/** Normalize axes (negative allowed) for a tensor of rank `rank`; sorted, unique. */
export function normAxes(op: string, axes: number | readonly number[] | undefined | null, rank: number): number[] {
  if (axes === undefined || axes === null) return [...Array(rank).keys()];
  if (typeof axes !== 'number' && !Array.isArray(axes)) {
    throw new SamgpuError(`${op}: dim must be an integer or a list of integers, got ${show(axes)}`);
  }
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = new Set<number>();
  for (const ax of list) {
    if (!Number.isInteger(ax) || ax < -rank || ax >= rank) {
      throw new SamgpuError(`${op}: axis ${ax} is out of range for rank ${rank}`);
    }
    out.add(ax < 0 ? ax + rank : ax);
  }
  return [...out].sort((x, y) => x - y);
}

export function workgroups1d(n: number, perGroup = 64): [number, number] {
  return Runtime.grid(Math.ceil(n / perGroup));
}

/**
 * An optional tensor argument followed by PyTorch-positional values or an options object; the
 * tensor may be skipped for the options (`conv2d(x, w, {stride: 2})`, like Python keywords).
 */
export function optionalTensorThen(op: string, what: string, t: unknown, rest: readonly unknown[], names: readonly string[], keywordOnly: readonly string[] = []): { tensor: Tensor | null; opts: Options } {
  if (isPlainObject(t)) {
    const extra = rest.findIndex((v) => v !== undefined);
    if (extra >= 0) throw new SamgpuError(`${op}: an options object must come last, got ${show(rest[extra])} after it`);
    return { tensor: null, opts: options(op, t, [...names, ...keywordOnly]) };
  }
  if (t !== undefined && t !== null && !(t instanceof Tensor)) throw new SamgpuError(`${op}: ${what} must be a Tensor or null, got ${show(t)}`);
  return { tensor: (t ?? null) as Tensor | null, opts: positional(op, rest, names, keywordOnly) };
}
