// Node-only: async scopes follow their own continuations through AsyncLocalStorage, so
// concurrent `scope(async () => …)` calls never take each other's tensors (see scope.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import { setAsyncScopeContext } from './scope.ts';

const storage = new AsyncLocalStorage<unknown>();

export function installNodeAsyncScopeContext(): void {
  setAsyncScopeContext({ run: (frame, fn) => storage.run(frame, fn), get: () => storage.getStore() });
}

installNodeAsyncScopeContext();
