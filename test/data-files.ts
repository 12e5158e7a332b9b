// Writers of tiny dataset files in the exact published formats, for the data-reader tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';

/** A fresh temporary folder; `cleanup()` removes every folder made so far. */
const made: string[] = [];
export function tempDir(prefix = 'samgpu-data-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function put(path: string, data: Uint8Array | string, gz = false): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, gz ? gzipSync(data) : data);
  return path;
}

function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/** IDX images file: magic 2051, count, rows, cols, then the bytes (pixel(i, p) per image). */
export function idxImages(count: number, rows: number, cols: number, pixel: (i: number, p: number) => number, magic = 2051): Uint8Array {
  const out = new Uint8Array(16 + count * rows * cols);
  out.set([...be32(magic), ...be32(count), ...be32(rows), ...be32(cols)]);
  for (let i = 0; i < count; i++) for (let p = 0; p < rows * cols; p++) out[16 + i * rows * cols + p] = pixel(i, p) & 255;
  return out;
}

export function idxLabels(labels: number[], magic = 2049): Uint8Array {
  return Uint8Array.from([...be32(magic), ...be32(labels.length), ...labels]);
}

/** Write an MNIST-like split (28×28, pixel 0 = id & 255, the rest = 10·label): train or t10k. */
export function writeIdxSplit(dir: string, prefix: 'train' | 't10k', labels: number[], opts: { gz?: boolean; dotted?: boolean; idBase?: number } = {}): void {
  const sep = opts.dotted ? '.' : '-';
  const ext = opts.gz ? '.gz' : '';
  const base = opts.idBase ?? 0;
  put(join(dir, `${prefix}-images${sep}idx3-ubyte${ext}`), idxImages(labels.length, 28, 28, (i, p) => (p === 0 ? base + i : 10 * labels[i] + 1)), opts.gz);
  put(join(dir, `${prefix}-labels${sep}idx1-ubyte${ext}`), idxLabels(labels), opts.gz);
}

/** CIFAR-10 records: label byte, then 3·32·32 bytes; pixel 0 = id & 255, the rest = 20·label + channel. */
export function cifarBatch(labels: number[], idBase = 0): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((l, i) => {
    out[i * 3073] = l;
    for (let p = 0; p < 3072; p++) out[i * 3073 + 1 + p] = p === 0 ? (idBase + i) & 255 : 20 * l + Math.floor(p / 1024);
  });
  return out;
}

/** Labels 0..classes-1, `per` of each, interleaved. */
export function balancedLabels(classes: number, per: number): number[] {
  return Array.from({ length: classes * per }, (_, i) => i % classes);
}

/** An h×w RGB image of one colour, encoded. */
export async function solidImage(h: number, w: number, rgb: [number, number, number], format: 'jpeg' | 'png' | 'gray-jpeg' | 'cmyk-jpeg' = 'jpeg'): Promise<Buffer> {
  const img = sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  if (format === 'png') return img.png().toBuffer();
  if (format === 'gray-jpeg') return img.toColourspace('b-w').jpeg({ quality: 95 }).toBuffer();
  if (format === 'cmyk-jpeg') return img.toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
  return img.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
}

/** A JPEG cut off in the middle of its entropy-coded data. */
export async function truncatedJpeg(h: number, w: number): Promise<Buffer> {
  const noise = Buffer.from(Array.from({ length: h * w * 3 }, (_, i) => (i * 7919) % 251));
  const full = await sharp(noise, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  return full.subarray(0, Math.floor(full.length * 0.6));
}

/** A MAT-file variable for writeMat: MATLAB class id (6 double, 9 uint8, 12 int32…), dimensions, data element type (2 miUINT8, 9 miDOUBLE…) and value size. */
export interface MatVar { name: string; cls: number; dims: number[]; type: number; size: number; values: number[] }

/** A tiny Level 5 writer: header, then per variable a miMATRIX (or miCOMPRESSED around one); small elements where they fit. */
export function writeMat(vars: MatVar[], o: { be?: boolean; compress?: boolean; header?: string } = {}): Uint8Array {
  const le = !o.be;
  const parts: number[] = [];
  const u32 = (v: number) => { const b = new DataView(new ArrayBuffer(4)); b.setUint32(0, v, le); return [...new Uint8Array(b.buffer)]; };
  const element = (type: number, data: number[], small = true): number[] => {
    if (small && data.length <= 4) return [...u32((data.length << 16) | type), ...data, ...new Array(4 - data.length).fill(0)];
    const pad = (8 - (data.length % 8)) % 8;
    return [...u32(type), ...u32(data.length), ...data, ...new Array(pad).fill(0)];
  };
  const encode = (v: number, type: number, size: number): number[] => {
    const b = new DataView(new ArrayBuffer(size));
    if (type === 9) b.setFloat64(0, v, le);
    else if (type === 2) b.setUint8(0, v);
    else if (type === 3) b.setInt16(0, v, le);
    else if (type === 5) b.setInt32(0, v, le);
    else if (type === 6) b.setUint32(0, v, le);
    return [...new Uint8Array(b.buffer)];
  };
  const header = new Uint8Array(128).fill(32);
  header.set(new TextEncoder().encode(o.header ?? 'MATLAB 5.0 MAT-file, written by the samgpu test'));
  const hv = new DataView(header.buffer);
  hv.setUint16(124, 0x0100, le);
  header.set(new TextEncoder().encode(le ? 'IM' : 'MI'), 126);
  parts.push(...header);
  for (const v of vars) {
    const body = [
      ...element(6, [...u32(v.cls), ...u32(0)], false),
      ...element(5, v.dims.flatMap((d) => encode(d, 5, 4)), false),
      ...element(1, [...new TextEncoder().encode(v.name)]),
      ...element(v.type, v.values.flatMap((x) => encode(x, v.type, v.size))),
    ];
    const matrix = [...u32(14), ...u32(body.length), ...body];
    if (o.compress) {
      const z = [...deflateSync(Uint8Array.from(matrix))];
      parts.push(...u32(15), ...u32(z.length), ...z);
    } else parts.push(...matrix);
  }
  return Uint8Array.from(parts);
}
