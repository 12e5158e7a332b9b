// Read the CIFAR-10 binary version from `root/cifar-10-batches-bin/` (or `root` itself):
// data_batch_1..5.bin for train, test_batch.bin for test. Never downloads.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { concatBatches, parseCifarBatch, type CifarBatch } from './cifar10.ts';
import { dataError } from './types.ts';
import { readDataFile, requireFolder } from './fs.node.ts';

const READER = 'CIFAR-10';

/** The folder holding the batch files. */
export function cifarDir(root: string): string {
  requireFolder(root, READER, 'CIFAR-10 folder');
  const nested = join(root, 'cifar-10-batches-bin');
  if (existsSync(join(nested, 'test_batch.bin')) || existsSync(join(nested, 'data_batch_1.bin'))) return nested;
  if (existsSync(join(root, 'test_batch.bin')) || existsSync(join(root, 'data_batch_1.bin'))) return root;
  dataError(READER, root, 'missing file data_batch_1.bin / test_batch.bin (looked in the folder and in cifar-10-batches-bin/)');
}

export function cifarFiles(root: string, split: 'train' | 'test'): string[] {
  const dir = cifarDir(root);
  const names = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  return names.map((n) => join(dir, n));
}

export function loadCifar10(root: string, split: 'train' | 'test'): CifarBatch & { files: string[] } {
  const files = cifarFiles(root, split);
  const batches = files.map((f) => {
    const b = readDataFile(f, READER);
    return parseCifarBatch(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), f, READER);
  });
  return { ...concatBatches(batches), files };
}
