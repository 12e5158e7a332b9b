// Read SVHN's cropped digits from a folder: `train_32x32.mat` and `test_32x32.mat` (in the folder,
// or in its `svhn/` or `SVHN/` subfolder). Never downloads.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { parseSvhnMat, type SvhnImages } from './svhn.ts';
import { dataError } from './types.ts';

export function svhnFile(root: string, split: 'train' | 'test'): string {
  const name = `${split}_32x32.mat`;
  for (const dir of [root, join(root, 'svhn'), join(root, 'SVHN')]) if (existsSync(join(dir, name))) return join(dir, name);
  dataError('SVHN', root, `missing file ${name} (looked in the folder, svhn/ and SVHN/)`);
}

export function loadSvhn(root: string, split: 'train' | 'test'): SvhnImages & { file: string } {
  const file = svhnFile(root, split);
  const raw = readFileSync(file);
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const inflate = (b: Uint8Array) => {
    const out = inflateSync(b);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  };
  return { ...parseSvhnMat(bytes, file, { inflate }), file };
}
