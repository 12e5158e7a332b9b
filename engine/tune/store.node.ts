// The Node tune store: one JSON file per adapter and engine in the user's cache directory
// ($XDG_CACHE_HOME/samgpu, else ~/.cache/samgpu; SAMGPU_CACHE_DIR overrides), written atomically.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TuneStore } from './store.ts';

export function tuneCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.SAMGPU_CACHE_DIR) return env.SAMGPU_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'samgpu');
}

export function fileStore(dir = tuneCacheDir()): TuneStore {
  const path = (k: string) => join(dir, `${k}.json`);
  return {
    read: async (k) => {
      try {
        return readFileSync(path(k), 'utf8');
      } catch {
        return null;
      }
    },
    write: async (k, text) => {
      try {
        mkdirSync(dir, { recursive: true });
        const tmp = `${path(k)}.${process.pid}.tmp`;
        writeFileSync(tmp, text);
        renameSync(tmp, path(k));
      } catch {
        /* a read-only home: the choices hold for this process only */
      }
    },
    where: (k) => path(k),
  };
}
