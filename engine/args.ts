// Arguments as PyTorch users type them. Public functions take PyTorch's positional order
// (`conv2d(x, w, b, 2, 1)`, `new nn.BatchNorm2d(4, 1e-3, 0.5)`) or one options object in its
// place (`conv2d(x, w, b, {stride: 2, padding: 1})`), and positional values may be followed by
// an options object for the rest (Python's keyword arguments). Nothing is silently ignored:
// an unknown option, a value given twice, too many arguments, or a value of the wrong type is a
// SamgpuError naming the op, the argument and what was expected.
import { SamgpuError } from './device/errors.ts';

export type Options = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Options {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A short rendering of a bad argument for messages. */
export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return v.length > 8 ? `an array of ${v.length}` : `[${v.map(show).join(', ')}]`;
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  if (name === 'Tensor') return `a Tensor of shape [${(v as { shape: number[] }).shape.join(',')}]`;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

/** An options object (or undefined → {}); any key not in `known` is an error. */
export function options(op: string, value: unknown, known: readonly string[], what = 'options'): Options {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new SamgpuError(`${op}: expected ${what} as an object {${known.join(', ')}}, got ${show(value)}`);
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw new SamgpuError(`${op}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${known.join(', ')})`);
  }
  return value;
}

/**
 * Trailing arguments in PyTorch's order `positional`, optionally ending with one options
 * object; `known` adds keyword-only options. Returns them as one options object.
 */
export function positional(op: string, args: readonly unknown[], names: readonly string[], keywordOnly: readonly string[] = []): Options {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  const last = n > 0 ? args[n - 1] : undefined;
  const kw = isPlainObject(last) ? options(op, last, [...names, ...keywordOnly]) : {};
  const given = isPlainObject(last) ? n - 1 : n;
  if (given > names.length) {
    throw new SamgpuError(`${op}: takes at most ${names.length} positional argument${names.length === 1 ? '' : 's'} here (${names.join(', ')}), got ${given}: ${args.slice(0, given).map(show).join(', ')}`);
  }
  const out: Options = { ...kw };
  for (let i = 0; i < given; i++) {
    const v = args[i];
    if (isPlainObject(v)) throw new SamgpuError(`${op}: an options object must come last; argument '${names[i]}' got ${show(v)}`);
    if (v === undefined) continue;
    if (names[i] in kw) throw new SamgpuError(`${op}: '${names[i]}' given twice (positionally as ${show(v)} and as an option ${show(kw[names[i]])})`);
    out[names[i]] = v;
  }
  return out;
}

/** A boolean argument; without `dflt` it is required. */
export function bool(op: string, name: string, v: unknown, dflt?: boolean): boolean {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'boolean') throw new SamgpuError(`${op}: ${name} must be true or false, got ${show(v)}`);
  return v;
}

export function num(op: string, name: string, v: unknown, dflt: number | undefined, expected = 'a finite number', ok: (x: number) => boolean = () => true): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new SamgpuError(`${op}: ${name} must be ${expected}, got ${show(v)}`);
  return v;
}

export function int(op: string, name: string, v: unknown, dflt: number | undefined, min = -Infinity): number {
  return num(op, name, v, dflt, min === -Infinity ? 'an integer' : `an integer >= ${min}`, (x) => Number.isInteger(x) && x >= min);
}

/** An integer or a pair of them (kernel sizes, strides, padding), not validated further. */
export function intOrPair(op: string, name: string, v: unknown): number | [number, number] | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 2 && v.every((d) => typeof d === 'number')) return [v[0], v[1]];
  throw new SamgpuError(`${op}: ${name} must be an integer or a pair [h, w] of integers, got ${show(v)}`);
}

/** A constructor's `arguments` beyond `max` are an error (classes cannot be wrapped by atMost). */
export function noMoreThan(op: string, args: ArrayLike<unknown>, max: number): void {
  let n = args.length;
  while (n > max && args[n - 1] === undefined) n--;
  if (n > max) throw new SamgpuError(`${op}: takes at most ${max} argument${max === 1 ? '' : 's'}, got ${n} (extra: ${Array.from(args).slice(max, n).map(show).join(', ')})`);
}

/** Shapes given as one array or as separate integers (`zeros([2, 3])` or `zeros(2, 3)`). */
export function shapeArgs(op: string, args: readonly unknown[]): number[] {
  const shape = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new SamgpuError(`${op}: a shape is non-negative integers (one array or separate arguments), got ${show(args.length === 1 ? args[0] : [...args])}`);
    }
  }
  return [...(shape as number[])];
}

/**
 * The public form of `fn`: more than `max` arguments (trailing undefined aside) is an error,
 * since JavaScript would drop them silently — PyTorch habits such as `add(a, b, alpha)`,
 * `matmul(a, b, out)` or `relu(x, true)` (inplace) would otherwise do something else.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function atMost<F extends (...args: any[]) => any>(op: string, max: number, fn: F): F {
  const checked = function (this: unknown, ...args: unknown[]) {
    if (args.length > max) {
      let n = args.length;
      while (n > max && args[n - 1] === undefined) n--;
      if (n > max) {
        throw new SamgpuError(`${op}: takes at most ${max} argument${max === 1 ? '' : 's'}, got ${n} (extra: ${args.slice(max, n).map(show).join(', ')})`);
      }
    }
    return fn.apply(this, args);
  };
  Object.defineProperty(checked, 'name', { value: fn.name || op });
  Object.defineProperty(checked, 'maxArgs', { value: max });
  return checked as unknown as F;
}
