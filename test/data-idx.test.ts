// MNIST / Fashion-MNIST IDX readers on tiny files written here in the exact format.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadIdxSplit } from '../experiments/data/idx.node.ts';
import { parseIdxImages, parseIdxLabels } from '../experiments/data/idx.ts';
import { cleanup, idxImages, idxLabels, put, tempDir, writeIdxSplit } from './data-files.ts';

describe('data: IDX (MNIST, Fashion-MNIST)', () => {
  after(cleanup);

  it('reads plain files spelled train-images-idx3-ubyte, images and labels exact', () => {
    const dir = tempDir();
    writeIdxSplit(dir, 'train', [3, 1, 4, 1, 5]);
    const s = loadIdxSplit(dir, 'train');
    assert.equal(s.count, 5);
    assert.deepEqual([s.rows, s.cols], [28, 28]);
    assert.deepEqual([...s.labels], [3, 1, 4, 1, 5]);
    for (let i = 0; i < 5; i++) {
      assert.equal(s.pixels[i * 784], i, 'pixel 0 holds the id');
      assert.equal(s.pixels[i * 784 + 400], 10 * s.labels[i] + 1);
    }
  });

  it('reads gzipped files spelled t10k-images.idx3-ubyte.gz from raw/', () => {
    const dir = tempDir();
    writeIdxSplit(join(dir, 'raw'), 't10k', [0, 9, 2], { gz: true, dotted: true });
    const s = loadIdxSplit(dir, 'test', 'Fashion-MNIST');
    assert.deepEqual([...s.labels], [0, 9, 2]);
    assert.match(s.files.images, /raw\/t10k-images\.idx3-ubyte\.gz$/);
    assert.equal(s.pixels[2 * 784 + 5], 21);
  });

  it('a wrong magic number names the file and both numbers', () => {
    const dir = tempDir();
    writeIdxSplit(dir, 'train', [1, 2]);
    // A labels file where the images file should be.
    put(join(dir, 'train-images-idx3-ubyte'), idxLabels([1, 2]));
    assert.throws(() => loadIdxSplit(dir, 'train'), /MNIST: .*train-images-idx3-ubyte: wrong magic number 0x00000801 \(a labels file\), expected 0x00000803/);
    assert.throws(() => parseIdxLabels(idxImages(1, 28, 28, () => 0), 'MNIST', 'x-labels'), /x-labels: wrong magic number 0x00000803 \(an images file\), expected 0x00000801/);
  });

  it('a truncated images file names the file and the incomplete record', () => {
    const full = idxImages(4, 28, 28, (i) => i);
    assert.throws(() => parseIdxImages(full.subarray(0, 16 + 2 * 784 + 100), 'MNIST', 'train-images-idx3-ubyte'),
      /MNIST: train-images-idx3-ubyte record 2: truncated: header says 4 images of 28×28, the data holds 1668 bytes \(2 whole images\)/);
    assert.throws(() => parseIdxImages(full.subarray(0, 10), 'MNIST', 'f'), /f: truncated header: 10 bytes/);
    assert.throws(() => parseIdxLabels(idxLabels([1, 2, 3]).subarray(0, 10), 'MNIST', 'l'), /l record 2: truncated: header says 3 labels, the data holds 2/);
    const extra = new Uint8Array(full.length + 3);
    extra.set(full);
    assert.throws(() => parseIdxImages(extra, 'MNIST', 'f'), /f: 3 bytes after the 4 images/);
  });

  it('a truncated gzip stream is an error naming the file', () => {
    const dir = tempDir();
    writeIdxSplit(dir, 'train', [1, 2, 3], { gz: true });
    const p = join(dir, 'train-images-idx3-ubyte.gz');
    writeFileSync(p, readFileSync(p).subarray(0, 40));
    assert.throws(() => loadIdxSplit(dir, 'train'), /MNIST: .*train-images-idx3-ubyte\.gz: gzip data is corrupt/);
  });

  it('a count mismatch between images and labels names both files', () => {
    const dir = tempDir();
    writeIdxSplit(dir, 'train', [1, 2, 3]);
    put(join(dir, 'train-labels-idx1-ubyte'), idxLabels([1, 2]));
    assert.throws(() => loadIdxSplit(dir, 'train'), /train-labels-idx1-ubyte: count mismatch: 2 labels for the 3 images of .*train-images-idx3-ubyte/);
  });

  it('a label outside 0..9 names the record', () => {
    assert.throws(() => parseIdxLabels(idxLabels([1, 12, 3]), 'MNIST', 'train-labels'), /train-labels record 1: label 12 is not in 0\.\.9/);
  });

  it('a missing file lists the names tried', () => {
    const dir = tempDir();
    writeIdxSplit(dir, 'train', [1]);
    assert.throws(() => loadIdxSplit(dir, 'test'), /MNIST: .*: missing file t10k-images-idx3-ubyte: none of .*t10k-images\.idx3-ubyte\.gz exists/);
  });

  it('an IDX file with no images, images that are not 28×28, a folder in place of a file and a missing folder are named', () => {
    const dir = tempDir();
    put(join(dir, 'train-images-idx3-ubyte'), idxImages(0, 28, 28, () => 0));
    put(join(dir, 'train-labels-idx1-ubyte'), idxLabels([]));
    assert.throws(() => loadIdxSplit(dir, 'train'), /MNIST: .*train-images-idx3-ubyte: holds no images \(count 0 in the header\): the split would be empty/);
    put(join(dir, 'train-images-idx3-ubyte'), idxImages(2, 27, 28, () => 0));
    put(join(dir, 'train-labels-idx1-ubyte'), idxLabels([1, 2]));
    assert.throws(() => loadIdxSplit(dir, 'train', 'Fashion-MNIST', [28, 28]), /Fashion-MNIST: .*train-images-idx3-ubyte: images are 27×28 \(rows×cols in the header\), expected 28×28/);
    rmSync(join(dir, 'train-images-idx3-ubyte'));
    mkdirSync(join(dir, 'train-images-idx3-ubyte'));
    assert.throws(() => loadIdxSplit(dir, 'train'), /MNIST: .*train-images-idx3-ubyte: it is a folder, expected a file/);
    assert.throws(() => loadIdxSplit(join(dir, 'nowhere'), 'train'), /MNIST: .*nowhere: the MNIST folder does not exist/);
    assert.throws(() => loadIdxSplit(join(dir, 'train-labels-idx1-ubyte'), 'train'), /MNIST: .*train-labels-idx1-ubyte: the MNIST folder is a file, not a folder/);
  });
});
