// Binary cache of decoded/built arrays, keyed by source and transform.
// File: 8-byte magic "SGPUDC01", u32 LE header length, JSON header {key (SHA-256 of the canonical
// key JSON), meta, arrays: [{name, dtype, length, offset}]}, space padding to 8 bytes, then the
// arrays (little-endian, each 8-aligned).
// Written to a temporary name and renamed, so readers never see a partial file; a file that does
// not parse, is short, or was written for another key is treated as a miss and rebuilt.
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, closeSync, fsyncSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type CacheArray = Uint8Array | Int32Array | Float32Array;

export interface CacheEntry {
  meta: Record<string, unknown>;
  arrays: Record<string, CacheArray>;
}

const MAGIC = 'SGPUDC01';
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

/** JSON with object keys sorted, so equal keys hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

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
  const arrays = names.map((name) => {
    const a = entry.arrays[name];
    const rec = { name, dtype: dtypeOf(a), length: a.length, offset };
    offset += Math.ceil(a.byteLength / 8) * 8;
    return rec;
  });
  let header = JSON.stringify({ key: keyDigest(key), meta: entry.meta, arrays });
  header += ' '.repeat((8 - ((12 + Buffer.byteLength(header)) % 8)) % 8);
  const head = Buffer.alloc(12);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(Buffer.byteLength(header), 8);
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, head);
    writeSync(fd, Buffer.from(header));
    const pad = new Uint8Array(8);
    for (const name of names) {
      const a = entry.arrays[name];
      writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      const rest = Math.ceil(a.byteLength / 8) * 8 - a.byteLength;
      if (rest) writeSync(fd, pad.subarray(0, rest));
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** The entry stored at `path` for `key`, or null (missing, foreign key, or damaged). */
export function readCacheFile(path: string, key: unknown): CacheEntry | null {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return null;
  }
  try {
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) return null;
    const hlen = buf.readUInt32LE(8);
    if (12 + hlen > buf.length) return null;
    const header = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as {
      key: string;
      meta: Record<string, unknown>;
      arrays: { name: string; dtype: Dtype; length: number; offset: number }[];
    };
    if (header.key !== keyDigest(key)) return null;
    const base = 12 + hlen;
    // The file must end exactly where the last (8-padded) array does: anything else is damage.
    let end = base;
    for (const a of header.arrays) end = Math.max(end, base + a.offset + Math.ceil((a.length * (DTYPES[a.dtype]?.BYTES_PER_ELEMENT ?? 0)) / 8) * 8);
    if (end !== buf.length) return null;
    const arrays: Record<string, CacheArray> = {};
    for (const a of header.arrays) {
      const Ctor = DTYPES[a.dtype];
      if (!Ctor) return null;
      const bytes = a.length * Ctor.BYTES_PER_ELEMENT;
      if (base + a.offset + bytes > buf.length) return null;
      // Copy into a fresh, aligned buffer (the file buffer may be a pooled slice).
      const out = new Ctor(a.length);
      new Uint8Array(out.buffer).set(buf.subarray(base + a.offset, base + a.offset + bytes));
      arrays[a.name] = out;
    }
    return { meta: header.meta, arrays };
  } catch {
    return null;
  }
}

export interface CacheOptions {
  /** Directory, or false to neither read nor write a cache (default `defaultCacheDir()`). */
  cacheDir?: string | false;
}

/** Load `key`'s entry from the cache, or build it and store it. `hit` says which happened. */
export async function cached(
  label: string,
  key: unknown,
  build: () => Promise<CacheEntry> | CacheEntry,
  opts: CacheOptions = {},
): Promise<{ entry: CacheEntry; hit: boolean; path: string | null }> {
  const dir = opts.cacheDir === undefined ? defaultCacheDir() : opts.cacheDir;
  if (dir === false) return { entry: await build(), hit: false, path: null };
  const path = join(dir, `${label}-${hashKey(key)}.bin`);
  const hit = readCacheFile(path, key);
  if (hit) return { entry: hit, hit: true, path };
  const entry = await build();
  mkdirSync(dir, { recursive: true });
  writeCacheFile(path, key, entry);
  return { entry, hit: false, path };
}
