// CIFAR-10 binary batches: records of 3,073 bytes (label byte, then the R, G, B planes of 32×32,
// row-major: already CHW). Pure function over bytes.
import { dataError } from './types.ts';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const CIFAR_RECORD = 3073;

export interface CifarBatch {
  n: number;
  labels: Uint8Array;
  /** n·3·32·32 bytes, CHW per image. */
  images: Uint8Array;
}

export function parseCifarBatch(bytes: Uint8Array, file: string, reader = 'CIFAR-10'): CifarBatch {
  if (bytes.length === 0) dataError(reader, file, 'empty file');
  const n = Math.floor(bytes.length / CIFAR_RECORD);
  const rest = bytes.length % CIFAR_RECORD;
  if (rest !== 0) {
    dataError(reader, file, `truncated record: ${bytes.length} bytes is ${n} records of ${CIFAR_RECORD} plus ${rest} bytes`, `record ${n}`);
  }
  const labels = new Uint8Array(n);
  const images = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++) {
    const at = i * CIFAR_RECORD;
    if (bytes[at] > 9) dataError(reader, file, `label byte ${bytes[at]} is not in 0..9`, `record ${i}`);
    labels[i] = bytes[at];
    images.set(bytes.subarray(at + 1, at + CIFAR_RECORD), i * 3072);
  }
  return { n, labels, images };
}

/** Concatenate batches (the five training files). */
export function concatBatches(batches: CifarBatch[]): CifarBatch {
  const n = batches.reduce((s, b) => s + b.n, 0);
  const labels = new Uint8Array(n);
  const images = new Uint8Array(n * 3072);
  let at = 0;
  for (const b of batches) {
    labels.set(b.labels, at);
    images.set(b.images, at * 3072);
    at += b.n;
  }
  return { n, labels, images };
}
