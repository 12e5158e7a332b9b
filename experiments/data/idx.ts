// IDX files (MNIST, Fashion-MNIST): big-endian header, magic 0x00000803 (2051) for images with
// count, rows, cols, then count·rows·cols bytes; 0x00000801 (2049) for labels with count, then
// count bytes. Pure functions over bytes; gunzipping is the caller's (Node: zlib).
import { dataError } from './types.ts';

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count·rows·cols bytes, image after image, row-major. */
  pixels: Uint8Array;
}

export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

/** True when the bytes start with the gzip magic 1F 8B. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

function checkMagic(bytes: Uint8Array, want: number, headerBytes: number, reader: string, file: string): void {
  const short = () => dataError(reader, file, `truncated header: ${bytes.length} bytes, expected at least ${headerBytes}`);
  if (bytes.length < 4) short();
  const magic = u32(bytes, 0);
  if (magic !== want) {
    const other = magic === IDX_IMAGES_MAGIC ? ' (an images file)' : magic === IDX_LABELS_MAGIC ? ' (a labels file)' : '';
    dataError(reader, file, `wrong magic number ${hex(magic)}${other}, expected ${hex(want)} (${want})`);
  }
  if (bytes.length < headerBytes) short();
}

export function parseIdxImages(bytes: Uint8Array, reader: string, file: string): IdxImages {
  checkMagic(bytes, IDX_IMAGES_MAGIC, 16, reader, file);
  const count = u32(bytes, 4);
  const rows = u32(bytes, 8);
  const cols = u32(bytes, 12);
  const per = rows * cols;
  if (per === 0) dataError(reader, file, `image size ${rows}×${cols} is empty`);
  const have = bytes.length - 16;
  if (have < count * per) {
    dataError(reader, file, `truncated: header says ${count} images of ${rows}×${cols}, the data holds ${have} bytes (${Math.floor(have / per)} whole images)`, `record ${Math.floor(have / per)}`);
  }
  if (have > count * per) dataError(reader, file, `${have - count * per} bytes after the ${count} images the header announces`);
  return { count, rows, cols, pixels: bytes.subarray(16, 16 + count * per) };
}

/** Labels, each checked to be < `classes`. */
export function parseIdxLabels(bytes: Uint8Array, reader: string, file: string, classes = 10): Uint8Array {
  checkMagic(bytes, IDX_LABELS_MAGIC, 8, reader, file);
  const count = u32(bytes, 4);
  const have = bytes.length - 8;
  if (have < count) dataError(reader, file, `truncated: header says ${count} labels, the data holds ${have}`, `record ${have}`);
  if (have > count) dataError(reader, file, `${have - count} bytes after the ${count} labels the header announces`);
  const labels = bytes.subarray(8, 8 + count);
  for (let i = 0; i < count; i++) {
    if (labels[i] >= classes) dataError(reader, file, `label ${labels[i]} is not in 0..${classes - 1}`, `record ${i}`);
  }
  return labels;
}
