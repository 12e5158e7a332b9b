// Binary cache of decoded/built arrays, keyed by source and transform.
// File: 8-byte magic "SGPUDC02", u32 LE header length, JSON header {key (SHA-256 of the canonical
// key JSON), sha256 (of every byte after the header), meta, arrays: [{name, dtype, length,
// offset}]}, space padding to 8 bytes, then the arrays (little-endian, each 8-aligned).
// Written to a temporary name and renamed, so readers never see a partial file. On load the
// content hash is checked: a damaged file (short, garbage, flipped bytes) is rebuilt with a
// warning; a file of the previous format or for another key is rebuilt silently.
import { createHash } from 'node:crypto';
import { openSync, readFileSync, renameSync, rmSync, writeSync, closeSync, fsyncSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureDir, fsError, removeStaleTemporaries, temporaryPath } from '../io.node.ts';
import { DataError } from './types.ts';
import { canonicalJson } from '../canonical-json.ts';

export type CacheArray = Uint8Array | Int32Array | Float32Array;

export interface CacheEntry {
  meta: Record<string, unknown>;
  arrays: Record<string, CacheArray>;
}

const MAGIC = 'SGPUDC02';
/** Files of the first format (no content hash): rebuilt without a warning. */
const OLD_MAGIC = 'SGPUDC01';
const DTYPES = { u8: Uint8Array, i32: Int32Array, f32: Float32Array } as const;
type Dtype = keyof typeof DTYPES;

function dtypeOf(a: CacheArray): Dtype {
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Int32Array) return 'i32';
  return 'f32';
}

/** `$SAMGPU_CACHE`, else `~/.cache/samgpu`. */
export function defaultCacheDir(): string {
  return process.env.SAMGPU_CACHE || join(homedir(), '.cache', 'samgpu');
}

export { canonicalJson };

/** SHA-256 of the canonical JSON: the header stores it whole, file names take its first 24 digits. */
export function keyDigest(key: unknown): string {
  return createHash('sha256').update(canonicalJson(key)).digest('hex');
}

export function hashKey(key: unknown): string {
  return keyDigest(key).slice(0, 24);
}

/** Size and modification time of a file, for cache keys (null when it does not exist). */
export function fileStamp(path: string): { size: number; mtimeMs: number } | null {
  try {
    const s = statSync(path);
    return { size: s.size, mtimeMs: Math.round(s.mtimeMs) };
  } catch {
    return null;
  }
}

export function writeCacheFile(path: string, key: unknown, entry: CacheEntry): void {
  const names = Object.keys(entry.arrays).sort();
  let offset = 0;
  const pad = new Uint8Array(8);
  const sha = createHash('sha256');
  const chunks: Uint8Array[] = [];
  const arrays = names.map((name) => {
    const a = entry.arrays[name];
    const rec = { name, dtype: dtypeOf(a), length: a.length, offset };
    const rest = Math.ceil(a.byteLength / 8) * 8 - a.byteLength;
    chunks.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), pad.subarray(0, rest));
    offset += a.byteLength + rest;
    return rec;
  });
  for (const c of chunks) sha.update(c);
  let header = JSON.stringify({ key: keyDigest(key), sha256: sha.digest('hex'), meta: entry.meta, arrays });
  header += ' '.repeat((8 - ((12 + Buffer.byteLength(header)) % 8)) % 8);
  const head = Buffer.alloc(12);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(Buffer.byteLength(header), 8);
  const tmp = temporaryPath(path);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, head);
    writeSync(fd, Buffer.from(header));
    for (const c of chunks) if (c.byteLength) writeSync(fd, c);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw fsError(e, path, 'cannot write the cache file');
  }
}

export type CacheRead =
  | { status: 'hit'; entry: CacheEntry }
  | { status: 'missing' }
  /** Written by an earlier format, or for another key: replaced without a warning. */
  | { status: 'stale' }
  | { status: 'damaged'; reason: string };

/** What `path` holds for `key`: the entry, nothing, a stale file, or damage (with why). */
export function readCache(path: string, key: unknown): CacheRead {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    throw fsError(e, path, 'cannot read the cache file');
  }
  const damaged = (reason: string): CacheRead => ({ status: 'damaged', reason });
  if (buf.length >= 8 && buf.toString('latin1', 0, 8) === OLD_MAGIC) return { status: 'stale' };
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) return damaged(`not a samgpu cache file (${buf.length} bytes, magic ${JSON.stringify(buf.toString('latin1', 0, Math.min(8, buf.length)))})`);
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) return damaged(`header of ${hlen} bytes runs past the end of the file (${buf.length} bytes)`);
  let header: { key: string; sha256: string; meta: Record<string, unknown>; arrays: { name: string; dtype: Dtype; length: number; offset: number }[] };
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen));
  } catch (e) {
    return damaged(`header is not JSON (${(e as Error).message})`);
  }
  if (!header || typeof header.key !== 'string' || typeof header.sha256 !== 'string' || !Array.isArray(header.arrays)) return damaged('header lacks key, sha256 or arrays');
  if (header.key !== keyDigest(key)) return { status: 'stale' };
  const base = 12 + hlen;
  const actual = createHash('sha256').update(buf.subarray(base)).digest('hex');
  if (actual !== header.sha256) return damaged(`content hash ${actual.slice(0, 12)}… differs from the recorded ${header.sha256.slice(0, 12)}… (${buf.length - base} data bytes)`);
  // The file must end exactly where the last (8-padded) array does: anything else is damage.
  let end = base;
  for (const a of header.arrays) end = Math.max(end, base + a.offset + Math.ceil((a.length * (DTYPES[a.dtype]?.BYTES_PER_ELEMENT ?? 0)) / 8) * 8);
  if (end !== buf.length) return damaged(`the arrays end at byte ${end}, the file at ${buf.length}`);
  const arrays: Record<string, CacheArray> = {};
  for (const a of header.arrays) {
    const Ctor = DTYPES[a.dtype];
    if (!Ctor) return damaged(`array ${a.name}: unknown dtype ${JSON.stringify(a.dtype)}`);
    const bytes = a.length * Ctor.BYTES_PER_ELEMENT;
    // Copy into a fresh, aligned buffer (the file buffer may be a pooled slice).
    const out = new Ctor(a.length);
    new Uint8Array(out.buffer).set(buf.subarray(base + a.offset, base + a.offset + bytes));
    arrays[a.name] = out;
  }
  return { status: 'hit', entry: { meta: header.meta, arrays } };
}

/** The entry stored at `path` for `key`, or null (missing, foreign key, old format or damaged). */
export function readCacheFile(path: string, key: unknown): CacheEntry | null {
  const r = readCache(path, key);
  return r.status === 'hit' ? r.entry : null;
}

export interface CacheOptions {
  /** Directory, or false to neither read nor write a cache (default `defaultCacheDir()`). */
  cacheDir?: string | false;
  /** Where warnings go (a damaged cache file being rebuilt); default: stderr. */
  onWarning?: (message: string) => void;
  /**
   * Hand the write of a built entry to the caller instead of writing it now: a dataset of several
   * cached parts writes them only once every part has loaded, so a failure leaves no file.
   */
  defer?: (write: () => void) => void;
}

/** Collects deferred cache writes (CacheOptions.defer) and runs them once everything loaded. */
export class DeferredWrites {
  readonly #writes: (() => void)[] = [];
  readonly defer = (write: () => void): void => void this.#writes.push(write);
  commit(): void {
    for (const w of this.#writes.splice(0)) w();
  }
}

const warnStderr = (m: string) => process.stderr.write(`samgpu: warning: ${m}\n`);

/**
 * Load `key`'s entry from the cache, or build it and store it. `hit` says which happened. A
 * damaged file is rebuilt with a warning. `build` may throw (an empty split, a bad file): then
 * nothing is written.
 */
export async function cached(
  label: string,
  key: unknown,
  build: () => Promise<CacheEntry> | CacheEntry,
  opts: CacheOptions = {},
): Promise<{ entry: CacheEntry; hit: boolean; path: string | null }> {
  const dir = opts.cacheDir === undefined ? defaultCacheDir() : opts.cacheDir;
  if (dir === false) return { entry: await build(), hit: false, path: null };
  // Before building (minutes, for photographs): a cache folder that cannot exist fails now.
  try {
    ensureDir(dir, 'cannot use the cache folder');
  } catch (e) {
    throw new DataError(`${(e as Error).message} (set dataset.options.cacheDir or $SAMGPU_CACHE to another folder, or cacheDir to false for no cache)`);
  }
  const path = join(dir, `${label}-${hashKey(key)}.bin`);
  const r = readCache(path, key);
  if (r.status === 'hit') return { entry: r.entry, hit: true, path };
  if (r.status === 'damaged') (opts.onWarning ?? warnStderr)(`cache file ${path} is damaged (${r.reason}); rebuilding it`);
  const entry = await build();
  const write = () => {
    removeStaleTemporaries(dir);
    writeCacheFile(path, key, entry);
  };
  if (opts.defer) opts.defer(write);
  else write();
  return { entry, hit: false, path };
}
