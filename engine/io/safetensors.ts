// safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data. Pure functions over bytes
// (no fs), so the same code loads weights in Node and in browsers.
import { SamgpuError } from '../device/errors.ts';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The values converted to float32 (integers exactly up to 2^24). */
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

function fail(source: string, msg: string): never {
  throw new SamgpuError(`safetensors (${source}): ${msg}`);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

function decode(dtype: SafetensorsDtype, bytes: Uint8Array, n: number): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'F32': out[i] = dv.getFloat32(i * 4, true); break;
      case 'F64': out[i] = dv.getFloat64(i * 8, true); break;
      case 'F16': out[i] = halfToFloat(dv.getUint16(i * 2, true)); break;
      case 'BF16': out[i] = new Float32Array(new Uint32Array([dv.getUint16(i * 2, true) << 16]).buffer)[0]; break;
      case 'I64': out[i] = Number(dv.getBigInt64(i * 8, true)); break;
      case 'I32': out[i] = dv.getInt32(i * 4, true); break;
      case 'I16': out[i] = dv.getInt16(i * 2, true); break;
      case 'I8': out[i] = dv.getInt8(i); break;
      case 'U8': case 'BOOL': out[i] = dv.getUint8(i); break;
    }
  }
  return out;
}

/** The largest header the reference implementation accepts (100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parse a safetensors file. `source` names it in errors (a path or URL). Checked as the
 * reference implementation checks: a UTF-8 JSON object header; `__metadata__` a map of strings
 * to strings; each tensor an object with a known dtype, a shape of integers ≥ 0 and data_offsets
 * [begin, end] of exactly the shape's byte size; the tensors, sorted by offset, tile the data
 * section with no overlap, no hole and nothing after the last one.
 */
export function parseSafetensors(bytes: Uint8Array, source = 'buffer'): SafetensorsFile {
  if (bytes.byteLength < 8) fail(source, `file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES) fail(source, `header length ${headerLen} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes`);
  if (headerLen > bytes.byteLength - 8) fail(source, `header length ${headerLen} exceeds the file's remaining ${bytes.byteLength - 8} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    fail(source, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(source, `header does not start with '{' (starts with ${JSON.stringify(text.slice(0, 8))})`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(source, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail(source, 'header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(raw, source);
      continue;
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(source, `tensor '${name}': expected an object {dtype, shape, data_offsets}, got ${JSON.stringify(raw)}`);
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info.dtype as SafetensorsDtype;
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) fail(source, `tensor '${name}': dtype ${JSON.stringify(info.dtype)} is not supported (expected one of ${Object.keys(BYTES).join(', ')})`);
    const shape = info.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(source, `tensor '${name}': invalid shape ${JSON.stringify(shape)}`);
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((v) => Number.isSafeInteger(v) && v >= 0)) fail(source, `tensor '${name}': invalid data_offsets ${JSON.stringify(off)}`);
    const [begin, end] = off as [number, number];
    if (end < begin || end > dataLen) fail(source, `tensor '${name}': data_offsets [${begin}, ${end}] out of range (data section is ${dataLen} bytes)`);
    const n = (shape as number[]).reduce((x, y) => x * y, 1);
    if (n * BYTES[dtype] !== end - begin) fail(source, `tensor '${name}': shape [${shape}] of ${dtype} needs ${n * BYTES[dtype]} bytes, data_offsets give ${end - begin}`);
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // The tensors must cover the data section exactly, in offset order (the reference's validate()).
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const [i, e] of byOffset.entries()) {
    const prev = i ? `tensor '${byOffset[i - 1].name}'` : 'the start of the data section';
    if (e.begin < at) fail(source, `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap ${prev} (which ends at ${at})`);
    if (e.begin > at) fail(source, `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] leave a hole of ${e.begin - at} bytes after ${prev} (which ends at ${at})`);
    at = e.end;
  }
  if (at !== dataLen) fail(source, `${dataLen - at} bytes after the last tensor's data (the tensors end at ${at}, the data section is ${dataLen} bytes)`);
  const tensors = new Map<string, SafetensorsEntry>();
  for (const e of entries) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decode(e.dtype, bytes.subarray(dataStart + e.begin, dataStart + e.end), (e.end - e.begin) / BYTES[e.dtype]) });
  }
  return { tensors, metadata };
}

/** `__metadata__`: a map of strings to strings, as the format defines it. */
function parseMetadata(raw: unknown, source: string): Record<string, string> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(source, `__metadata__: expected an object of strings, got ${JSON.stringify(raw)}`);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') fail(source, `__metadata__.${k}: expected a string, got ${JSON.stringify(v)}`);
  }
  return raw as Record<string, string>;
}

/** Serialize float32 tensors (sorted by name, as the reference implementation does). */
export function serializeSafetensors(tensors: Map<string, { shape: readonly number[]; data: Float32Array }>, metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const n = t.shape.reduce((x, y) => x * y, 1);
    if (n !== t.data.length) throw new SamgpuError(`safetensors: tensor '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + n * 4] };
    offset += n * 4;
  }
  // Pad with spaces so the data section starts at a multiple of 8 bytes: count bytes, not
  // characters (a non-ASCII name or metadata value takes several).
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    const le = new Uint8Array(d.buffer, d.byteOffset, d.byteLength); // little-endian hosts (all WebGPU platforms)
    out.set(le, pos);
    pos += d.byteLength;
  }
  return out;
}
