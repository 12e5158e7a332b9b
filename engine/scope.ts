/**
 * Scopes free the tensors an expression creates, like tfjs `tidy`: every tensor made inside
 * `scope(fn)` is disposed when fn returns, except those it returns (or `keep`s), which move to
 * the enclosing scope.
 */
interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const stack: Set<Disposable>[] = [];

export function trackTensor(t: Disposable): void {
  if (stack.length) stack[stack.length - 1].add(t);
}

/** Exempt tensors from the enclosing scopes' cleanup. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of stack) s.delete(t);
  return t;
}


function collect(r: unknown, out: Set<Disposable>): void {
  if (!r || typeof r !== 'object') return;
  if ('dispose' in r && 'isDisposed' in r) out.add(r as Disposable);
  else if (Array.isArray(r)) for (const x of r) collect(x, out);
  else if (Object.getPrototypeOf(r) === Object.prototype) for (const x of Object.values(r)) collect(x, out);
}

export function scope<T>(fn: () => T): T {
  const mine = new Set<Disposable>();
  stack.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of mine) t.dispose();
    throw e;
  }
  stack.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    throw new Error('scope: the function returned a Promise; scopes are synchronous (await outside them)');
  }
  const returned = new Set<Disposable>();
  collect(result, returned);
  const parent = stack[stack.length - 1];
  for (const t of mine) {
    if (returned.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}
