// Find and read MNIST / Fashion-MNIST IDX files in a folder: `train-images-idx3-ubyte` or
// `train-images.idx3-ubyte`, plain or `.gz`, in the folder itself or its `raw/` (torchvision's
// layout); `t10k-…` for the test split. Never downloads.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isGzip, parseIdxImages, parseIdxLabels, type IdxImages } from './idx.ts';
import { dataError } from './types.ts';
import { readDataFile, requireFolder } from './fs.node.ts';

export interface IdxSplit extends IdxImages {
  labels: Uint8Array;
  files: { images: string; labels: string };
}

/** The bytes of a file, gunzipped when they start with the gzip magic. */
export function readMaybeGz(path: string, reader: string): Uint8Array {
  const raw = readDataFile(path, reader);
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    dataError(reader, path, `gzip data is corrupt (${(e as Error).message})`);
  }
}

/** The path of the first existing spelling of `<prefix>-<kind>-idx<d>-ubyte`, or an error listing what was tried. */
export function findIdxFile(dir: string, prefix: string, kind: 'images' | 'labels', reader: string): string {
  requireFolder(dir, reader, `${reader} folder`);
  const d = kind === 'images' ? 3 : 1;
  const names = [`${prefix}-${kind}-idx${d}-ubyte`, `${prefix}-${kind}.idx${d}-ubyte`];
  const tried: string[] = [];
  for (const folder of [dir, join(dir, 'raw')]) {
    for (const name of names) {
      for (const ext of ['', '.gz']) {
        const p = join(folder, name + ext);
        tried.push(p);
        if (existsSync(p)) return p;
      }
    }
  }
  dataError(reader, dir, `missing file ${names[0]}: none of ${tried.join(', ')} exists`);
}

/**
 * Images and labels of one split; their counts must agree, and be at least 1. With `dims`, the
 * images must be rows×cols (MNIST and Fashion-MNIST: 28×28).
 */
export function loadIdxSplit(dir: string, split: 'train' | 'test', reader = 'MNIST', dims?: [number, number]): IdxSplit {
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesFile = findIdxFile(dir, prefix, 'images', reader);
  const labelsFile = findIdxFile(dir, prefix, 'labels', reader);
  const images = parseIdxImages(readMaybeGz(imagesFile, reader), reader, imagesFile);
  if (images.count === 0) dataError(reader, imagesFile, 'holds no images (count 0 in the header): the split would be empty');
  if (dims && (images.rows !== dims[0] || images.cols !== dims[1])) {
    dataError(reader, imagesFile, `images are ${images.rows}×${images.cols} (rows×cols in the header), expected ${dims[0]}×${dims[1]}`);
  }
  const labels = parseIdxLabels(readMaybeGz(labelsFile, reader), reader, labelsFile);
  if (labels.length !== images.count) {
    dataError(reader, labelsFile, `count mismatch: ${labels.length} labels for the ${images.count} images of ${imagesFile}`);
  }
  return { ...images, labels, files: { images: imagesFile, labels: labelsFile } };
}
