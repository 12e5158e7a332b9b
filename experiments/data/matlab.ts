// A reader for MATLAB's Level 5 MAT-file format (what `save` writes by default, -v6 and -v7;
// the SVHN cropped-digit files are in it): a 128-byte header (text, subsystem offset, version
// 0x0100, endian indicator 'IM'/'MI'), then data elements, each a tag (type, byte count; or the
// small form with both in one word and up to 4 bytes of data) padded to 8 bytes. Variables are
// miMATRIX elements (array flags, dimensions, name, real part, imaginary part) or miCOMPRESSED
// ones (zlib around one miMATRIX; `inflate` is injected so this parser stays pure: Node passes
// zlib's inflateSync). Numeric and char arrays are decoded (column-major, as MATLAB stores them);
// cell, struct, object and sparse arrays are listed with their class but not decoded.
// MATLAB 7.3 files are HDF5 and are refused with a message that says how to re-save them.
import { dataError } from './types.ts';

const READER = 'MAT-file';

export const MAT_CLASSES = ['', 'cell', 'struct', 'object', 'char', 'sparse', 'double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'] as const;
export type MatClass = Exclude<(typeof MAT_CLASSES)[number], ''>;

export type MatData = Float64Array | Float32Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

export interface MatVariable {
  name: string;
  class: MatClass;
  dims: number[];
  /** The real part, column-major, in the class's type (int64/uint64 as float64); null for classes not decoded. */
  data: MatData | null;
  /** char arrays: the characters, column-major. */
  text?: string;
  complex: boolean;
  logical: boolean;
}

export interface MatOptions {
  /** zlib inflate (RFC 1950 stream) for compressed variables. */
  inflate?: (bytes: Uint8Array) => Uint8Array;
}

// Data element types (miINT8 … miUTF32) and the size of one value of each numeric type.
const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 } as const;
const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };
const MI_NAME: Record<number, string> = { 1: 'miINT8', 2: 'miUINT8', 3: 'miINT16', 4: 'miUINT16', 5: 'miINT32', 6: 'miUINT32', 7: 'miSINGLE', 9: 'miDOUBLE', 12: 'miINT64', 13: 'miUINT64', 14: 'miMATRIX', 15: 'miCOMPRESSED', 16: 'miUTF8', 17: 'miUTF16', 18: 'miUTF32' };

interface Element {
  type: number;
  /** Byte offset of the data and its length. */
  start: number;
  nbytes: number;
  /** Where the next element starts. */
  next: number;
}

class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly le: boolean, readonly file: string, readonly where: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(msg: string, at: number): never {
    dataError(READER, this.file, msg, `${this.where}byte ${at}`);
  }

  element(pos: number, end: number): Element {
    if (pos + 8 > end) this.fail(`truncated data element tag (${end - pos} bytes left, a tag needs 8)`, pos);
    const first = this.view.getUint32(pos, this.le);
    if (first >>> 16 !== 0) {
      // small data element: byte count in the upper half, type in the lower, data in the next 4 bytes
      const nbytes = first >>> 16;
      if (nbytes > 4) this.fail(`small data element claims ${nbytes} bytes (at most 4)`, pos);
      return { type: first & 0xffff, start: pos + 4, nbytes, next: pos + 8 };
    }
    const nbytes = this.view.getUint32(pos + 4, this.le);
    const start = pos + 8;
    if (start + nbytes > end) this.fail(`truncated ${MI_NAME[first] ?? `type-${first}`} element: needs ${nbytes} bytes, ${end - start} left`, pos);
    // compressed elements are not padded; every other element is padded to 8 bytes
    const next = first === MI.COMPRESSED ? start + nbytes : start + Math.ceil(nbytes / 8) * 8;
    return { type: first, start, nbytes, next: Math.min(next, end) };
  }

  /** The values of a numeric element, converted to the array type `ctor`. */
  values<T extends MatData>(el: Element, ctor: { new (n: number): T }, what: string, at: number): T {
    const size = MI_SIZE[el.type];
    if (!size || el.type === MI.UTF8 || el.type === MI.UTF16 || el.type === MI.UTF32) this.fail(`${what}: expected a numeric data element, got ${MI_NAME[el.type] ?? `type ${el.type}`}`, at);
    if (el.nbytes % size) this.fail(`${what}: ${el.nbytes} bytes is not a whole number of ${MI_NAME[el.type]} values`, at);
    const n = el.nbytes / size;
    const out = new ctor(n);
    // fast path: bytes into a byte array
    if ((el.type === MI.UINT8 || el.type === MI.INT8) && (ctor as unknown) === (el.type === MI.UINT8 ? Uint8Array : Int8Array)) {
      (out as unknown as Uint8Array).set(this.bytes.subarray(el.start, el.start + n));
      return out;
    }
    const v = this.view;
    const get: (o: number) => number = {
      [MI.INT8]: (o: number) => v.getInt8(o), [MI.UINT8]: (o: number) => v.getUint8(o),
      [MI.INT16]: (o: number) => v.getInt16(o, this.le), [MI.UINT16]: (o: number) => v.getUint16(o, this.le),
      [MI.INT32]: (o: number) => v.getInt32(o, this.le), [MI.UINT32]: (o: number) => v.getUint32(o, this.le),
      [MI.SINGLE]: (o: number) => v.getFloat32(o, this.le), [MI.DOUBLE]: (o: number) => v.getFloat64(o, this.le),
      [MI.INT64]: (o: number) => Number(v.getBigInt64(o, this.le)), [MI.UINT64]: (o: number) => Number(v.getBigUint64(o, this.le)),
    }[el.type]!;
    for (let i = 0; i < n; i++) out[i] = get(el.start + i * size);
    return out;
  }
}

const CLASS_ARRAY: Partial<Record<MatClass, { new (n: number): MatData }>> = {
  double: Float64Array, single: Float32Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array,
  int32: Int32Array, uint32: Uint32Array, int64: Float64Array, uint64: Float64Array,
};

/** One miMATRIX element's content [start, end). */
function parseMatrix(r: Reader, start: number, end: number): MatVariable | null {
  if (start === end) return null; // an empty matrix element
  const flagsEl = r.element(start, end);
  if (flagsEl.type !== MI.UINT32 || flagsEl.nbytes !== 8) r.fail(`array flags: expected an 8-byte miUINT32 element, got ${MI_NAME[flagsEl.type] ?? flagsEl.type} of ${flagsEl.nbytes} bytes`, start);
  const flags = r.view.getUint32(flagsEl.start, r.le);
  const cls = MAT_CLASSES[flags & 0xff];
  if (!cls) r.fail(`array flags: unknown array class ${flags & 0xff}`, flagsEl.start);
  const dimsEl = r.element(flagsEl.next, end);
  if (dimsEl.type !== MI.INT32) r.fail(`dimensions: expected miINT32, got ${MI_NAME[dimsEl.type] ?? dimsEl.type}`, flagsEl.next);
  const dims = Array.from(r.values(dimsEl, Int32Array, 'dimensions', flagsEl.next));
  if (dims.length < 2 || dims.some((d) => d < 0)) r.fail(`dimensions: expected at least 2 sizes >= 0, got [${dims}]`, flagsEl.next);
  const nameEl = r.element(dimsEl.next, end);
  if (nameEl.type !== MI.INT8) r.fail(`array name: expected miINT8, got ${MI_NAME[nameEl.type] ?? nameEl.type}`, dimsEl.next);
  const name = new TextDecoder('latin1').decode(r.bytes.subarray(nameEl.start, nameEl.start + nameEl.nbytes));
  const v: MatVariable = { name, class: cls, dims, data: null, complex: (flags & 0x800) !== 0, logical: (flags & 0x200) !== 0 };
  const count = dims.reduce((a, b) => a * b, 1);
  if (cls === 'char') {
    const el = r.element(nameEl.next, end);
    const codes = el.type === MI.UTF8 || el.type === MI.UINT8 ? r.bytes.subarray(el.start, el.start + el.nbytes) : r.values({ ...el, type: el.type === MI.UTF16 ? MI.UINT16 : el.type === MI.UTF32 ? MI.UINT32 : el.type }, Uint32Array, `variable '${name}' (char)`, nameEl.next);
    v.text = el.type === MI.UTF8 ? new TextDecoder().decode(codes) : Array.from(codes, (c) => String.fromCodePoint(c)).join('');
    return v;
  }
  const ctor = CLASS_ARRAY[cls];
  if (!ctor) return v; // cell, struct, object, sparse: listed, not decoded
  const real = r.element(nameEl.next, end);
  v.data = r.values(real, ctor, `variable '${name}' (${cls})`, nameEl.next);
  if (v.data.length !== count) r.fail(`variable '${name}': ${v.data.length} values for dimensions [${dims}] (${count})`, nameEl.next);
  return v;
}

/** Every variable of a Level 5 MAT-file, by name. */
export function parseMat(bytes: Uint8Array, file: string, o: MatOptions = {}): Map<string, MatVariable> {
  if (bytes.length < 128) dataError(READER, file, `${bytes.length} bytes: too short for the 128-byte MAT-file header`);
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, 116));
  if (/^MATLAB 7\.3 MAT-file/.test(text) || (bytes[0] === 0x89 && bytes[1] === 0x48)) {
    dataError(READER, file, 'a MATLAB 7.3 (HDF5) file: not supported; re-save it in MATLAB with save(file, \'-v7\') or in Python with scipy.io.savemat');
  }
  if (bytes[0] === 0 || bytes[1] === 0 || bytes[2] === 0 || bytes[3] === 0) dataError(READER, file, 'not a Level 5 MAT-file (a zero in the first 4 header bytes: a Level 4 file, or not MATLAB at all)');
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (endian !== 'IM' && endian !== 'MI') dataError(READER, file, `bad endian indicator '${endian}' at byte 126 (expected 'IM' or 'MI')`);
  const le = endian === 'IM';
  const top: Reader = new Reader(bytes, le, file, '');
  const version = top.view.getUint16(124, le);
  if (version !== 0x0100) dataError(READER, file, `unsupported version 0x${version.toString(16)} at byte 124 (expected 0x0100)`);
  const out = new Map<string, MatVariable>();
  for (let pos = 128; pos < bytes.length;) {
    // trailing padding of fewer than 8 bytes ends the file
    if (bytes.length - pos < 8 && bytes.subarray(pos).every((b) => b === 0)) break;
    const el = top.element(pos, bytes.length);
    let v: MatVariable | null;
    if (el.type === MI.COMPRESSED) {
      if (!o.inflate) top.fail('a compressed variable, and no inflate function was given', pos);
      let inner: Uint8Array;
      try {
        inner = o.inflate(bytes.subarray(el.start, el.start + el.nbytes));
      } catch (e) {
        top.fail(`compressed variable: zlib data is corrupt (${(e as Error).message})`, pos);
      }
      const r: Reader = new Reader(inner, le, file, `compressed variable at byte ${pos}, inflated `);
      const m = r.element(0, inner.length);
      if (m.type !== MI.MATRIX) r.fail(`expected a miMATRIX element inside miCOMPRESSED, got ${MI_NAME[m.type] ?? m.type}`, 0);
      v = parseMatrix(r, m.start, m.start + m.nbytes);
    } else if (el.type === MI.MATRIX) {
      v = parseMatrix(top, el.start, el.start + el.nbytes);
    } else {
      top.fail(`expected a variable (miMATRIX or miCOMPRESSED) at the top level, got ${MI_NAME[el.type] ?? `type ${el.type}`}`, pos);
    }
    if (v) out.set(v.name, v);
    pos = el.next;
  }
  return out;
}

/** A variable that must exist with a numeric class: errors name the file and list the variables. */
export function numericVariable(vars: Map<string, MatVariable>, name: string, file: string): MatVariable & { data: MatData } {
  const v = vars.get(name);
  if (!v) dataError(READER, file, `no variable '${name}' (variables: ${[...vars.keys()].join(', ') || 'none'})`);
  if (!v.data) dataError(READER, file, `variable '${name}' is a ${v.class} array, expected a numeric one`);
  return v as MatVariable & { data: MatData };
}
