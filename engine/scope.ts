/**
 * Scopes free the tensors an expression creates, like tfjs `tidy`: every tensor made inside
 * `scope(fn)` is disposed when fn returns, except those it returns (or `keep`s), which move to
 * the enclosing scope.
 *
 * `scope(async () => { …; await t.read(); … })` is an async scope: it owns what its body
 * creates across awaits and disposes it once the returned promise settles. JavaScript cannot
 * tell whose code runs after an await, so an async scope needs an async context to follow its
 * own continuations: Node's AsyncLocalStorage (installed by the Node entry, scope-context.node.ts)
 * or the TC39 `AsyncContext.Variable` where a browser has it. With one, concurrent async scopes
 * never take each other's tensors. Without one (browsers today) the rule is a stack: a tensor
 * created outside any synchronous scope belongs to the most recently opened pending async
 * scope, which is exact when async scopes nest (each awaited before its opener goes on) and no
 * other code creates tensors while one is pending; a scope that settles out of order throws.
 */
import { SamgpuError } from './device/errors.ts';

interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

/** Carries the current async scope across awaits (AsyncLocalStorage's and AsyncContext.Variable's shape). */
export interface AsyncScopeContext {
  run<R>(frame: unknown, fn: () => R): R;
  get(): unknown;
}

class Frame {
  readonly owned = new Set<Disposable>();
  open = true;
  constructor(readonly parent: Frame | null, readonly isAsync: boolean) {}
}

/** Synchronous scopes (and an async scope's first synchronous segment), innermost last. */
const stack: Frame[] = [];
/** Every open frame, for keep(). */
const openFrames = new Set<Frame>();
/** Pending async scopes in opening order: the rule when there is no async context. */
const pendingStack: Frame[] = [];
let pendingAsync = 0;
let asyncContext: AsyncScopeContext | null = browserAsyncContext();

function browserAsyncContext(): AsyncScopeContext | null {
  const AC = (globalThis as { AsyncContext?: { Variable?: new () => { run<R>(v: unknown, fn: () => R): R; get(): unknown } } }).AsyncContext;
  if (!AC?.Variable) return null;
  const v = new AC.Variable();
  return { run: (frame, fn) => v.run(frame, fn), get: () => v.get() };
}

/**
 * Install how async scopes follow their continuations (the Node entry passes an
 * AsyncLocalStorage); null selects the stack rule described above. Returns the previous one.
 */
export function setAsyncScopeContext(ctx: AsyncScopeContext | null): AsyncScopeContext | null {
  if (pendingAsync) throw new SamgpuError('setAsyncScopeContext: an async scope is pending; change the context between scopes');
  const prev = asyncContext;
  asyncContext = ctx;
  return prev;
}

/** Whether async scopes follow their own continuations here (false: the stack rule). */
export function hasAsyncScopeContext(): boolean {
  return asyncContext !== null;
}

function openAncestor(f: Frame | null): Frame | null {
  while (f && !f.open) f = f.parent;
  return f;
}

/** The scope that owns a tensor created now. */
function currentFrame(): Frame | null {
  if (stack.length) return stack[stack.length - 1];
  if (!pendingAsync) return null;
  const f = asyncContext ? (asyncContext.get() as Frame | undefined) ?? null : pendingStack[pendingStack.length - 1] ?? null;
  return openAncestor(f);
}

export function trackTensor(t: Disposable): void {
  if (!stack.length && !pendingAsync) return;
  currentFrame()?.owned.add(t);
}

/** Exempt tensors from the enclosing scopes' cleanup. */
export function keep<T extends Disposable>(t: T): T {
  for (const f of openFrames) f.owned.delete(t);
  return t;
}

function collect(r: unknown, out: Set<Disposable>): void {
  if (!r || typeof r !== 'object') return;
  if ('dispose' in r && 'isDisposed' in r) out.add(r as Disposable);
  else if (Array.isArray(r)) for (const x of r) collect(x, out);
  else if (Object.getPrototypeOf(r) === Object.prototype) for (const x of Object.values(r)) collect(x, out);
}

/** Close `f`: what `result` holds moves to the nearest open enclosing scope, the rest is disposed. */
function close(f: Frame, result: unknown, failed: boolean): void {
  f.open = false;
  openFrames.delete(f);
  const returned = new Set<Disposable>();
  if (!failed) collect(result, returned);
  const parent = openAncestor(f.parent);
  for (const t of f.owned) {
    if (returned.has(t)) parent?.owned.add(t);
    else t.dispose();
  }
  // A returned tensor another scope recorded (the stack rule under concurrency) is not its to free.
  if (returned.size) for (const o of openFrames) if (o !== parent) for (const t of returned) o.owned.delete(t);
}

const AsyncFunction = (async () => {}).constructor;

/**
 * Run `fn` and dispose every tensor it created except those in its result (a tensor, or
 * arrays / plain objects of them), which move to the enclosing scope. An `async` fn gives an
 * async scope: the promise settles after the cleanup (see the top of this file for the rule).
 */
export function scope<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new SamgpuError(`scope: expected a function, got ${fn === null ? 'null' : typeof fn}`);
  if (fn instanceof AsyncFunction) return asyncScope(fn as () => Promise<unknown>) as T;
  const f = new Frame(currentFrame(), false);
  openFrames.add(f);
  stack.push(f);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    close(f, undefined, true);
    throw e;
  }
  stack.pop();
  if (result && typeof (result as { then?: unknown }).then === 'function') {
    close(f, undefined, true);
    throw new SamgpuError('scope: the function returned a Promise but is not an async function; pass `async () => { … }` so the scope follows it across awaits');
  }
  close(f, result, false);
  return result;
}

function asyncScope<T>(fn: () => Promise<T>): Promise<T> {
  const f = new Frame(currentFrame(), true);
  openFrames.add(f);
  pendingAsync++;
  if (!asyncContext) pendingStack.push(f);
  // The body's first segment runs now, synchronously: it sees the frame on the stack.
  stack.push(f);
  let p: Promise<T>;
  try {
    p = asyncContext ? asyncContext.run(f, fn) : fn();
  } finally {
    stack.pop();
  }
  const settle = (result: unknown, failed: boolean): SamgpuError | null => {
    pendingAsync--;
    let outOfOrder: SamgpuError | null = null;
    if (!asyncContext || pendingStack.includes(f)) {
      const i = pendingStack.lastIndexOf(f);
      if (i >= 0 && i !== pendingStack.length - 1) {
        outOfOrder = new SamgpuError(
          'scope: async scopes settled out of order: they ran concurrently, which needs an async context ' +
            '(AsyncLocalStorage in Node, AsyncContext in browsers) to tell their tensors apart; await each async scope before starting another',
        );
      }
      if (i >= 0) pendingStack.splice(i, 1);
    }
    close(f, result, failed);
    return outOfOrder;
  };
  return p.then(
    (result) => {
      const err = settle(result, false);
      if (err) throw err;
      return result;
    },
    (e) => {
      settle(undefined, true);
      throw e;
    },
  );
}
