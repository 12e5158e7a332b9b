// CIFAR-10 binary-batch reader on tiny batch files written here in the exact format.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar10 } from '../experiments/data/cifar10.node.ts';
import { parseCifarBatch } from '../experiments/data/cifar10.ts';
import { cifarBatch, cleanup, put, tempDir } from './data-files.ts';

describe('data: CIFAR-10 binary batches', () => {
  after(cleanup);

  function writeAll(dir: string, per = 3): void {
    for (let b = 1; b <= 5; b++) put(join(dir, `data_batch_${b}.bin`), cifarBatch(Array.from({ length: per }, (_, i) => (b + i) % 10), 10 * b));
    put(join(dir, 'test_batch.bin'), cifarBatch([9, 1], 100));
  }

  it('reads the five train batches in order from cifar-10-batches-bin/, CHW planes intact', () => {
    const root = tempDir();
    writeAll(join(root, 'cifar-10-batches-bin'));
    const tr = loadCifar10(root, 'train');
    assert.equal(tr.n, 15);
    assert.deepEqual([...tr.labels.subarray(0, 6)], [1, 2, 3, 2, 3, 4]);
    assert.equal(tr.images[3 * 3072], 20, 'first pixel of batch 2 holds its id');
    // R plane = 20·label, G = +1, B = +2 (pixel 1 of each plane).
    const l = tr.labels[4];
    assert.deepEqual([tr.images[4 * 3072 + 1], tr.images[4 * 3072 + 1024 + 1], tr.images[4 * 3072 + 2048 + 1]], [20 * l, 20 * l + 1, 20 * l + 2]);
  });

  it('reads test_batch.bin from the folder itself', () => {
    const root = tempDir();
    writeAll(root);
    const te = loadCifar10(root, 'test');
    assert.deepEqual([...te.labels], [9, 1]);
    assert.equal(te.images[3072], 101);
  });

  it('a truncated record names the file and the record', () => {
    const bytes = cifarBatch([1, 2, 3]).subarray(0, 2 * 3073 + 500);
    assert.throws(() => parseCifarBatch(bytes, 'data_batch_1.bin'), /CIFAR-10: data_batch_1\.bin record 2: truncated record: 6646 bytes is 2 records of 3073 plus 500 bytes/);
  });

  it('a label byte above 9 names the record', () => {
    const bytes = cifarBatch([1, 2, 3]);
    bytes[3073] = 10;
    assert.throws(() => parseCifarBatch(bytes, 'test_batch.bin'), /test_batch\.bin record 1: label byte 10 is not in 0\.\.9/);
  });

  it('a missing batch file is named', () => {
    const root = tempDir();
    writeAll(root);
    rmSync(join(root, 'data_batch_4.bin'));
    assert.throws(() => loadCifar10(root, 'train'), /CIFAR-10: .*data_batch_4\.bin: missing file/);
    assert.throws(() => loadCifar10(tempDir(), 'test'), /missing file data_batch_1\.bin \/ test_batch\.bin/);
  });
});
