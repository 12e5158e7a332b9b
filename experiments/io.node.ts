// Node-only file output for the experiments: atomic writes (a temporary name in the same
// folder, then a rename), so a reader never sees a half-written result; the temporaries a killed
// process left behind, found and removed; file-system errors as one-line SamgpuErrors that name
// the path and say what is wrong with it (a file where a folder should be, no permission, …).
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, basename, resolve } from 'node:path';
import { SamgpuError } from '../engine/device/errors.ts';

// Temporaries are named `.<file>~<host>~<pid>~<random>.tmp`: who wrote one tells whether it is
// stale (its process is gone) without guessing from its age.
const HOST = hostname().replace(/[~/]/g, '_');
const TEMP = /^\.(.+)~([^~]*)~(\d+)~(\w+)\.tmp$/;
// Older spellings: `.<file>.<pid>.<ms>.tmp` (atomic writes) and `<file>.tmp-<pid>-<random>` (the cache).
const LEGACY = [/^\.(.+)\.(\d+)\.(\d+)\.tmp$/, /^(.+)\.tmp-(\d+)-\w+$/];
/** Temporaries of other hosts (a shared file system) are removed only when this old. */
const FOREIGN_STALE_MS = 24 * 3600 * 1000;

/** The temporary name a write of `path` by this process uses. */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}~${HOST}~${process.pid}~${Math.random().toString(36).slice(2, 10)}.tmp`);
}

/** The file a temporary name stands for, or null when `name` is not one. */
export function temporaryTarget(name: string): string | null {
  const m = TEMP.exec(name) ?? LEGACY.map((r) => r.exec(name)).find(Boolean);
  return m ? m[1] : null;
}

/** Whether a process of this host with that pid exists (EPERM: it does, owned by another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temporaries in `dir` whose writer is dead (this host, no such process) or, written
 * on another host, older than a day. Returns the names removed. Missing folders are fine.
 */
export function removeStaleTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    let stale = false;
    const m = TEMP.exec(name);
    const legacy = m ? null : LEGACY.map((r) => r.exec(name)).find(Boolean);
    if (m) {
      stale = m[2] === HOST ? Number(m[3]) !== process.pid && !alive(Number(m[3])) : olderThan(join(dir, name), FOREIGN_STALE_MS);
    } else if (legacy) {
      stale = Number(legacy[2]) !== process.pid && !alive(Number(legacy[2])) && olderThan(join(dir, name), 60_000);
    }
    if (!stale) continue;
    try {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // another process removed it first, or we may not: it is only clutter
    }
  }
  return removed;
}

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

/** The nearest ancestor of `path` that exists (itself when it exists). */
function existingAncestor(path: string): { path: string; isDir: boolean } | null {
  let p = resolve(path);
  for (;;) {
    try {
      return { path: p, isDir: statSync(p).isDirectory() };
    } catch {
      const up = dirname(p);
      if (up === p) return null;
      p = up;
    }
  }
}

/**
 * Why a file-system call on `path` failed, in words that name the real culprit: a file in the
 * way of a folder, a folder where a file should be, permissions, space.
 */
export function fsReason(e: unknown, path: string): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOTDIR':
    case 'EEXIST': {
      // the nearest existing part of the path is the file in the way
      const a = existingAncestor(path);
      return a && !a.isDir ? `${a.path} is a file, not a folder` : 'a part of the path is not a folder';
    }
    case 'EISDIR':
      return 'it is a folder, expected a file';
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return `permission denied${err.path && resolve(err.path) !== resolve(path) ? ` (${err.path})` : ''}`;
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return err.message ?? String(e);
  }
}

/** A file-system error as a SamgpuError `<what> <path>: <why>` (see fsReason). */
export function fsError(e: unknown, path: string, what: string): SamgpuError {
  if (e instanceof SamgpuError) return e;
  return new SamgpuError(`${what} ${path}: ${fsReason(e, path)}`);
}

/**
 * Throws (`<what> <dir>: …`) when `dir` could not be created because a file is in the way: a
 * check before long work (a data load) whose results go there. Permissions show at the write.
 */
export function checkCanCreateDir(dir: string, what: string): void {
  const a = existingAncestor(dir);
  if (a && !a.isDir) throw new SamgpuError(`${what} ${dir}: ${a.path} is a file, not a folder`);
}

/** Create `dir` (and its parents); a clear error when a file is in the way or it may not. */
export function ensureDir(dir: string, what = 'cannot create folder'): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw fsError(e, dir, what);
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = temporaryPath(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is the problem: there is no temporary
    }
    throw fsError(e, path, 'cannot write');
  }
}

/** JSON with floats rounded to `digits` significant digits (the records hold thousands of them). */
export function compactJson(value: unknown, digits = 6): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? +v.toPrecision(digits) : v));
}
