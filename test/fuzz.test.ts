// Malformed inputs, generated here from a seed (a failure names its case and reproduces): every
// file reader (IDX, CIFAR-10 binary, CelebA, Waterbirds, DomainBed folders, JPEG/PNG), safetensors,
// checkpoints, run configs, run folders, paths that are files, folders, missing or unwritable, and
// the CLI. Each must end in a SamgpuError (the CLI: a non-zero exit) whose one-line message names
// the file or argument and the field, with no stack trace, and must leave no new file in the
// results or cache folders. In process except a handful of CLI runs (started together).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SamgpuError } from '../engine/device/errors.ts';
import { Rng } from '../engine/random.ts';
import { parseSafetensors, serializeSafetensors } from '../engine/io/safetensors.ts';
import { loadIdxSplit } from '../experiments/data/idx.node.ts';
import { loadCifar10 } from '../experiments/data/cifar10.node.ts';
import { loadCelebA } from '../experiments/data/celeba.node.ts';
import { loadWaterbirds } from '../experiments/data/waterbirds.node.ts';
import { loadDomainBed } from '../experiments/data/domainbed.node.ts';
import { decodeImage } from '../experiments/data/decode.node.ts';
import { cached } from '../experiments/data/cache.node.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../experiments/runner/checkpoint.ts';
import type { Checkpoint } from '../experiments/runner/types.ts';
import { runInDir } from '../experiments/runner/run-dir.node.ts';
import { loadDataset } from '../experiments/runner/datasets.node.ts';
import { validateSweep } from '../experiments/runner/sweep.ts';
import { cifarBatch, idxImages, idxLabels, put, solidImage, tempDir, cleanup } from './data-files.ts';
import { CLI } from './sweep-helpers.ts';
import { gpu } from './helpers.ts';

interface Case {
  name: string;
  run: () => unknown;
  /** The file or argument the message must name (a path is matched by its last two parts). */
  names: string;
  /** What the message must say about the field or record. */
  field: RegExp;
}

const rng = new Rng(0x5eed14);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)];
const int = (lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
const shortPath = (p: string) => p.split('/').slice(-2).join('/');

/** Every file under `dir` (relative paths), to check that a case left nothing behind. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const WATERBIRDS_HEADER = 'img_id,img_filename,y,split,place,place_filename';
const CELEBA_NAMES = ['Blond_Hair', 'Male', 'Young'];

describe('fuzz: malformed inputs end in one-line errors naming the file and field, and leave nothing behind', () => {
  let root = '';
  let results = '';
  let cache = '';
  const cases: Case[] = [];
  const add = (c: Case) => cases.push(c);

  before(async function () {
    this.timeout(60_000);
    await gpu();
    root = tempDir('samgpu-fuzz-');
    results = join(root, 'results');
    cache = join(root, 'cache');
    mkdirSync(results);
    mkdirSync(cache);
    const jpeg = await solidImage(20, 24, [90, 140, 30]);
    const png = await solidImage(20, 24, [10, 20, 200], 'png');
    let n = 0;
    const fresh = () => join(root, `case-${n++}`);

    // ---- IDX (MNIST, Fashion-MNIST)
    const idxCase = (name: string, field: RegExp, edit: (images: Uint8Array, labels: Uint8Array) => [Uint8Array | null, Uint8Array | null], target: 'images' | 'labels' = 'images') => {
      const dir = fresh();
      const labels = Array.from({ length: 6 }, (_, i) => i % 10);
      const [im, lb] = edit(idxImages(6, 28, 28, (i, p) => (i + p) & 255), idxLabels(labels));
      if (im) put(join(dir, 'train-images-idx3-ubyte'), im);
      if (lb) put(join(dir, 'train-labels-idx1-ubyte'), lb);
      add({ name: `IDX: ${name}`, run: () => loadIdxSplit(dir, 'train', 'MNIST', [28, 28]), names: join(dir, `train-${target}-idx${target === 'images' ? 3 : 1}-ubyte`), field });
    };
    for (let k = 0; k < 6; k++) {
      const magic = int(0, 0xffffffff);
      if (magic === 2051) continue;
      idxCase(`random magic ${magic}`, /wrong magic number/, (im, lb) => (new DataView(im.buffer).setUint32(0, magic), [im, lb]));
    }
    for (let k = 0; k < 6; k++) {
      const at = int(0, 16 + 6 * 784 - 1);
      idxCase(`images cut at byte ${at}`, /truncated/, (im, lb) => [im.subarray(0, at), lb]);
    }
    for (let k = 0; k < 3; k++) {
      const extra = int(1, 900);
      idxCase(`${extra} bytes after the images`, new RegExp(`${extra} bytes after the 6 images`), (im, lb) => [Uint8Array.from([...im, ...new Uint8Array(extra)]), lb]);
    }
    for (let k = 0; k < 3; k++) {
      const i = int(0, 5);
      const v = int(10, 255);
      idxCase(`label ${v} at record ${i}`, new RegExp(`record ${i}: label ${v} is not in 0\\.\\.9`), (im, lb) => ((lb[8 + i] = v), [im, lb]), 'labels');
    }
    for (const [rows, cols] of [[32, 32], [28, 27], [14, 56]]) {
      idxCase(`${rows}×${cols} images`, new RegExp(`images are ${rows}×${cols}`), () => [idxImages(6, rows, cols, () => 1), idxLabels([0, 1, 2, 3, 4, 5])]);
    }
    idxCase('no images', /holds no images/, () => [idxImages(0, 28, 28, () => 0), idxLabels([])]);
    idxCase('labels for 5 of 6 images', /count mismatch: 5 labels for the 6 images/, (im) => [im, idxLabels([0, 1, 2, 3, 4])], 'labels');
    idxCase('a gzip stream cut short', /gzip data is corrupt/, (im, lb) => [gzipSync(im).subarray(0, 30), lb]);
    idxCase('the labels file missing', /missing file train-labels-idx1-ubyte/, (im) => [im, null], 'labels');
    {
      const dir = fresh();
      mkdirSync(join(dir, 'train-images-idx3-ubyte'), { recursive: true });
      put(join(dir, 'train-labels-idx1-ubyte'), idxLabels([1]));
      add({ name: 'IDX: a folder where the images file should be', run: () => loadIdxSplit(dir, 'train'), names: join(dir, 'train-images-idx3-ubyte'), field: /it is a folder, expected a file/ });
      const file = join(dir, 'train-labels-idx1-ubyte');
      add({ name: 'IDX: a file given as the folder', run: () => loadIdxSplit(file, 'train'), names: file, field: /the MNIST folder is a file, not a folder/ });
      add({ name: 'IDX: a folder that does not exist', run: () => loadIdxSplit(join(dir, 'gone'), 'train'), names: join(dir, 'gone'), field: /the MNIST folder does not exist/ });
    }

    // ---- CIFAR-10 binary
    const cifarCase = (name: string, field: RegExp, bytes: (good: Uint8Array) => Uint8Array | 'dir') => {
      const dir = fresh();
      const good = cifarBatch([1, 9, 3, 1]);
      const b = bytes(good);
      if (b === 'dir') mkdirSync(join(dir, 'test_batch.bin'), { recursive: true });
      else put(join(dir, 'test_batch.bin'), b);
      add({ name: `CIFAR-10: ${name}`, run: () => loadCifar10(dir, 'test'), names: join(dir, 'test_batch.bin'), field });
    };
    for (let k = 0; k < 5; k++) {
      const cut = int(1, 4 * 3073 - 1);
      if (cut % 3073 === 0) continue;
      cifarCase(`cut at byte ${cut}`, new RegExp(`record ${Math.floor(cut / 3073)}: truncated record`), (g) => g.subarray(0, cut));
    }
    for (let k = 0; k < 4; k++) {
      const r = int(0, 3);
      const v = int(10, 255);
      cifarCase(`label byte ${v} in record ${r}`, new RegExp(`record ${r}: label byte ${v} is not in 0\\.\\.9`), (g) => ((g[r * 3073] = v), g));
    }
    cifarCase('an empty file', /empty file/, () => new Uint8Array(0));
    cifarCase('a folder named test_batch.bin', /it is a folder, expected a file/, () => 'dir');

    // ---- CelebA
    const celeba = (edit: { attr?: (l: string[]) => void; part?: (l: string[]) => void; images?: (dir: string) => void } = {}) => {
      const dir = fresh();
      const parts = [0, 0, 1, 2];
      const attr = [String(parts.length), CELEBA_NAMES.join(' '), ...parts.map((_, i) => `00000${i + 1}.jpg  ${i % 2 ? 1 : -1}  ${i < 2 ? 1 : -1} -1`)];
      const part = parts.map((p, i) => `00000${i + 1}.jpg ${p}`);
      edit.attr?.(attr);
      edit.part?.(part);
      put(join(dir, 'list_attr_celeba.txt'), attr.join('\n') + '\n');
      put(join(dir, 'list_eval_partition.txt'), part.join('\n') + '\n');
      for (let i = 1; i <= parts.length; i++) put(join(dir, 'img_align_celeba', `00000${i}.jpg`), jpeg);
      edit.images?.(join(dir, 'img_align_celeba'));
      return dir;
    };
    const celebaCase = (name: string, field: RegExp, file: string, edit: Parameters<typeof celeba>[0]) => {
      const dir = celeba(edit);
      add({ name: `CelebA: ${name}`, run: () => loadCelebA(dir, { resolution: 8, cacheDir: cache }), names: join(dir, file), field });
    };
    for (let k = 0; k < 4; k++) {
      const row = int(2, 5);
      const bad = pick(['0', '2', 'yes', '-', '1.0', '--1']);
      celebaCase(`value '${bad}' on line ${row + 1}`, new RegExp(`line ${row + 1}: value '${bad.replace(/[.-]/g, '\\$&')}' of \\w+ is not -1 or 1`), 'list_attr_celeba.txt', { attr: (l) => (l[row] = l[row].replace(/-?1$/, bad)) });
    }
    for (let k = 0; k < 3; k++) {
      const row = int(2, 5);
      celebaCase(`a field missing on line ${row + 1}`, new RegExp(`line ${row + 1}: expected 4 fields, got 3`), 'list_attr_celeba.txt', { attr: (l) => (l[row] = l[row].replace(/ +-?1$/, '')) });
    }
    celebaCase('a count line that is no number', /line 1: the image count is 'four', expected an integer/, 'list_attr_celeba.txt', { attr: (l) => (l[0] = 'four') });
    celebaCase('a count line that disagrees', /count mismatch: line 1 says 7 images, the file lists 4/, 'list_attr_celeba.txt', { attr: (l) => (l[0] = '7') });
    celebaCase('Blond_Hair misspelt', /unknown attribute 'Blond_Hair'/, 'list_attr_celeba.txt', { attr: (l) => (l[1] = l[1].replace('Blond_Hair', 'blond_hair')) });
    celebaCase('an empty attribute file', /expected a count line and an attribute-name line/, 'list_attr_celeba.txt', { attr: (l) => l.splice(0, l.length) });
    for (const bad of ['3', '-1', 'x']) {
      celebaCase(`partition '${bad}'`, bad === 'x' ? /line 2: the partition is 'x', expected an integer/ : new RegExp(`line 2: partition ${bad} is not 0, 1 or 2`), 'list_eval_partition.txt', { part: (l) => (l[1] = `000002.jpg ${bad}`) });
    }
    celebaCase('an image listed twice', /line 2: image 000001.jpg is listed twice/, 'list_eval_partition.txt', { part: (l) => (l[1] = '000001.jpg 0') });
    celebaCase('no image in partition 1', /\(partition 1\): the val split has no images/, 'list_eval_partition.txt', { part: (l) => (l[2] = '000003.jpg 0') });
    celebaCase('no image in partition 2', /\(partition 2\): the test split has no images/, 'list_eval_partition.txt', { part: (l) => (l[3] = '000004.jpg 1') });
    celebaCase('an image missing', /missing file/, 'img_align_celeba/000003.jpg', { images: (d) => rmSync(join(d, '000003.jpg')) });
    celebaCase('an image that is a GIF', /not a JPEG or PNG/, 'img_align_celeba/000002.jpg', { images: (d) => put(join(d, '000002.jpg'), 'GIF89a...') });
    celebaCase('an image cut short', /corrupt or unreadable JPEG/, 'img_align_celeba/000004.jpg', { images: (d) => put(join(d, '000004.jpg'), jpeg.subarray(0, int(200, jpeg.length - 10))) });
    {
      const dir = fresh();
      add({ name: 'CelebA: a folder without the metadata files', run: () => loadCelebA((mkdirSync(dir, { recursive: true }), dir), { cacheDir: cache }), names: join(dir, 'list_attr_celeba.txt'), field: /missing file/ });
    }

    // ---- Waterbirds
    const waterbirdsCase = (name: string, field: RegExp, file: string, edit: (lines: string[], dir: string) => void) => {
      const dir = fresh();
      const rows = [[1, 0, 0, 0], [2, 1, 0, 1], [3, 0, 1, 1], [4, 1, 2, 0]];
      const lines = [WATERBIRDS_HEADER, ...rows.map(([id, y, s, p]) => `${id},b/${id}.jpg,${y},${s},${p},x.jpg`)];
      for (const [id] of rows) put(join(dir, 'b', `${id}.jpg`), id === 2 ? png : jpeg);
      edit(lines, dir);
      put(join(dir, 'metadata.csv'), lines.join('\n') + '\n');
      add({ name: `Waterbirds: ${name}`, run: () => loadWaterbirds(dir, { resolution: 8, cacheDir: cache }), names: join(dir, file), field });
    };
    for (const col of ['y', 'split', 'place', 'img_filename']) {
      waterbirdsCase(`no '${col}' column`, new RegExp(`line 1: header has no '${col}' column`), 'metadata.csv', (l) => (l[0] = l[0].replace(col, `${col}_x`)));
    }
    for (let k = 0; k < 4; k++) {
      const row = int(1, 4);
      const [col, idx, bad, max] = pick([['y', 2, int(2, 9), 1], ['split', 3, int(3, 9), 2], ['place', 4, int(2, 9), 1]] as const);
      waterbirdsCase(`${col} ${bad} on line ${row + 1}`, new RegExp(`line ${row + 1}: ${col} is ${bad}, expected 0\\.\\.${max}`), 'metadata.csv', (l) => {
        const f = l[row].split(',');
        f[idx] = String(bad);
        l[row] = f.join(',');
      });
    }
    waterbirdsCase('a non-integer split', /line 4: split is 'val', expected an integer/, 'metadata.csv', (l) => (l[3] = l[3].replace(/,1,1,x/, ',val,1,x')));
    waterbirdsCase('a row with a field too few', /line 4: expected 6 fields, got 5/, 'metadata.csv', (l) => (l[3] = l[3].replace(/,x\.jpg$/, '')));
    waterbirdsCase('an unterminated quote', /line 2: unterminated quoted field/, 'metadata.csv', (l) => (l[1] = l[1].replace('b/1.jpg', '"b/1.jpg')));
    waterbirdsCase('an empty file name', /line 5: img_filename is empty/, 'metadata.csv', (l) => (l[4] = l[4].replace('b/4.jpg', '')));
    waterbirdsCase('only the header', /\(split 0\): the train split has no images/, 'metadata.csv', (l) => l.splice(1));
    waterbirdsCase('no validation rows', /\(split 1\): the val split has no images/, 'metadata.csv', (l) => l.splice(3, 1));
    waterbirdsCase('an image missing', /missing file/, 'b/3.jpg', (_, d) => rmSync(join(d, 'b', '3.jpg')));
    waterbirdsCase('stray markers in an image', /corrupt or unreadable JPEG \(unknown marker 0xff02/, 'b/1.jpg', (_, d) => {
      const b = Buffer.from(jpeg);
      const at = b.indexOf(Buffer.from([0xff, 0xda])) + 16; // inside the compressed data
      b[at] = 0xff;
      b[at + 1] = 0x02;
      put(join(d, 'b', '1.jpg'), b);
    });
    waterbirdsCase('a PNG chunk failing its CRC', /corrupt or unreadable PNG \(chunk IDAT at byte \d+ fails its CRC check\)/, 'b/2.jpg', (_, d) => {
      const b = Buffer.from(png);
      b[b.indexOf('IDAT') + 10] ^= 0x40;
      put(join(d, 'b', '2.jpg'), b);
    });

    // ---- DomainBed folders
    const domainbed = (edit: (pacs: string) => void) => {
      const dir = fresh();
      for (const d of ['art_painting', 'cartoon', 'photo', 'sketch']) for (const c of ['dog', 'horse']) for (let i = 0; i < 5; i++) put(join(dir, 'PACS', d, c, `${i}.jpg`), jpeg);
      edit(join(dir, 'PACS'));
      return dir;
    };
    const domainCase = (name: string, field: RegExp, file: (pacs: string) => string, edit: (pacs: string) => void, test: string | number = 'sketch') => {
      const dir = domainbed(edit);
      add({ name: `DomainBed: ${name}`, run: () => loadDomainBed(dir, 'PACS', { testDomain: test, resolution: 4, cacheDir: cache }), names: file(join(dir, 'PACS')), field });
    };
    domainCase('a domain folder missing', /missing domain folder\(s\) cartoon of PACS/, (p) => p, (p) => rmSync(join(p, 'cartoon'), { recursive: true }));
    domainCase('a class folder misspelt', /class folders differ from .*art_painting: missing horse; extra horses/, (p) => join(p, 'photo'), (p) => {
      mkdirSync(join(p, 'photo', 'horses'));
      for (const f of readdirSync(join(p, 'photo', 'horse'))) writeFileSync(join(p, 'photo', 'horses', f), readFileSync(join(p, 'photo', 'horse', f)));
      rmSync(join(p, 'photo', 'horse'), { recursive: true });
    });
    domainCase('a domain without images', /no images/, (p) => join(p, 'cartoon'), (p) => {
      for (const c of ['dog', 'horse']) for (let i = 0; i < 5; i++) rmSync(join(p, 'cartoon', c, `${i}.jpg`));
    });
    domainCase('a target too small to hold out a test split', /the target domain's test split \(its held-out 0.2 of 2 images\) is empty/, (p) => join(p, 'sketch'), (p) => {
      for (const c of ['dog', 'horse']) for (let i = 1; i < 5; i++) rmSync(join(p, 'sketch', c, `${i}.jpg`));
    });
    domainCase('an unknown test domain', /unknown test domain 'clipart'/, (p) => p, () => {}, 'clipart');
    domainCase('a text file named .jpg', /not a JPEG or PNG \(magic bytes 68 65 6c 6c\)/, (p) => join(p, 'photo', 'dog', '3.jpg'), (p) => put(join(p, 'photo', 'dog', '3.jpg'), 'hello'));
    domainCase('a truncated JPEG', /corrupt or unreadable JPEG/, (p) => join(p, 'art_painting', 'horse', '0.jpg'), (p) => put(join(p, 'art_painting', 'horse', '0.jpg'), jpeg.subarray(0, jpeg.length - 20)));
    {
      const dir = fresh();
      put(join(dir, 'PACS'), 'a file');
      add({ name: 'DomainBed: a file where the dataset folder should be', run: () => loadDomainBed(dir, 'PACS', { testDomain: 0, cacheDir: cache }), names: join(dir, 'PACS'), field: /the dataset folder of PACS is a file, not a folder/ });
    }

    // ---- JPEG and PNG bytes
    for (let k = 0; k < 6; k++) {
      const [src, fmt] = pick([[jpeg, 'JPEG'], [png, 'PNG']] as const);
      const cut = int(9, src.length - 13);
      add({ name: `image: ${fmt} cut at byte ${cut}`, run: () => decodeImage(new Uint8Array(src.subarray(0, cut)), `cut-${k}.img`), names: `cut-${k}.img`, field: new RegExp(`corrupt or unreadable ${fmt}`) });
    }
    for (let k = 0; k < 4; k++) {
      const b = Uint8Array.from({ length: int(0, 64) }, () => int(0, 255));
      if (b[0] === 0xff || b[0] === 0x89) b[0] = 0x47;
      add({ name: `image: ${b.length} random bytes`, run: () => decodeImage(b, `noise-${k}.jpg`, 'DomainBed'), names: `noise-${k}.jpg`, field: /not a JPEG or PNG/ });
    }
    for (let k = 0; k < 4; k++) {
      const b = Buffer.from(jpeg);
      const at = int(b.indexOf(Buffer.from([0xff, 0xda])) + 20, b.length - 10);
      b[at] = 0xff;
      b[at + 1] = pick([0x02, 0x4f, 0x9a, 0xbf]);
      add({ name: `image: a stray marker 0xff${b[at + 1].toString(16)} in the JPEG data`, run: () => decodeImage(b, `marker-${k}.jpg`), names: `marker-${k}.jpg`, field: /unknown marker/ });
    }
    for (let k = 0; k < 3; k++) {
      const b = Buffer.from(png);
      const at = int(16, b.length - 5);
      b[at] ^= 1 << int(0, 7);
      add({ name: `image: PNG bit ${at} flipped`, run: () => decodeImage(b, `flip-${k}.png`), names: `flip-${k}.png`, field: /corrupt or unreadable PNG|not a JPEG or PNG/ });
    }

    // ---- safetensors
    const stFile = (header: unknown, data = new Uint8Array(0)) => {
      const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
      const out = new Uint8Array(8 + h.length + data.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      out.set(data, 8 + h.length);
      return out;
    };
    const stCase = (name: string, bytes: Uint8Array, field: RegExp) => add({ name: `safetensors: ${name}`, run: () => parseSafetensors(bytes, 'w.safetensors'), names: 'w.safetensors', field });
    const entry = (b: number, e: number, dtype = 'F32') => ({ dtype, shape: [(e - b) / 4], data_offsets: [b, e] });
    stCase('a null entry', stFile({ w: null }), /tensor 'w': expected an object/);
    stCase('an entry that is a number', stFile({ w: 3 }), /tensor 'w': expected an object/);
    for (let k = 0; k < 3; k++) {
      const a = int(1, 4) * 4;
      const o = int(1, a / 4 - 0) * 4;
      stCase(`overlapping tensors (${a} and ${o})`, stFile({ a: entry(0, a), b: entry(a - o, 2 * a - o) }, new Uint8Array(2 * a - o)), /tensor 'b': .* overlap tensor 'a'/);
    }
    for (let k = 0; k < 3; k++) {
      const gap = int(1, 5) * 4;
      stCase(`a hole of ${gap} bytes`, stFile({ a: entry(0, 8), b: entry(8 + gap, 16 + gap) }, new Uint8Array(16 + gap)), new RegExp(`tensor 'b': .* leave a hole of ${gap} bytes`));
    }
    stCase('bytes after the last tensor', stFile({ a: entry(0, 8) }, new Uint8Array(12)), /4 bytes after the last tensor's data/);
    for (const v of [1, true, null, ['x'], { k: 'v' }]) stCase(`metadata value ${JSON.stringify(v)}`, stFile({ __metadata__: { format: v } }), /__metadata__.format: expected a string/);
    stCase('an unknown dtype', stFile({ w: { dtype: 'Q8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)), /tensor 'w': dtype "Q8" is not supported/);
    stCase('a shape that does not fit the offsets', stFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor 'w': shape \[3\] of F32 needs 12 bytes/);
    stCase('a negative dimension', stFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w': invalid shape/);
    stCase('offsets out of range', stFile({ w: entry(0, 400) }, new Uint8Array(8)), /tensor 'w': data_offsets \[0, 400\] out of range/);
    stCase('a header that is no JSON', stFile('{"w": '), /header is not valid JSON/);
    stCase('a header that is a list', stFile('[{"w": 1}]'), /header does not start with '\{'/);
    for (let k = 0; k < 4; k++) {
      const good = serializeSafetensors(new Map([['w', { shape: [4], data: new Float32Array(4) }]]), { a: 'b' });
      const cut = int(0, good.length - 1);
      stCase(`a file cut at byte ${cut}`, good.subarray(0, cut), /shorter than the 8-byte header length|exceeds the file's remaining|bytes, data_offsets|out of range|not valid JSON|does not start/);
    }

    // ---- checkpoints
    const model = new Map([['head.weight', { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }]]);
    const goodCk: Checkpoint = {
      position: { epoch: 1, batch: 0, step: 4, metrics: [{ epoch: 1, step: 4, trainLoss: 0.5, trainAcc: 0.5, valAcc: 0.5, lr: 0.1, seconds: 1 }], dropoutCalls: [] },
      model,
      optimizer: { steps: 4, lr: 0.1, momentum: null },
    };
    const ckCase = (name: string, bytes: Uint8Array, field: RegExp) => add({ name: `checkpoint: ${name}`, run: () => decodeCheckpoint(bytes, 'run/checkpoint.safetensors'), names: 'run/checkpoint.safetensors', field });
    const rawCk = (meta: Record<string, string>, tensors = model) => serializeSafetensors(tensors, meta);
    const metaOf = (ck = goodCk) => ({ format: 'samgpu-checkpoint-1', position: JSON.stringify(ck.position), optimizer: JSON.stringify({ steps: ck.optimizer.steps, lr: ck.optimizer.lr }), config: '{}' });
    for (const key of ['position', 'optimizer', 'config']) {
      const m = metaOf();
      delete (m as Record<string, string>)[key];
      ckCase(`no ${key} metadata`, rawCk(m), new RegExp(`${key}: missing from the metadata`));
      ckCase(`${key} metadata that is no JSON`, rawCk({ ...metaOf(), [key]: '{"step' }), new RegExp(`${key}: not valid JSON`));
    }
    for (const [field, value] of [['epoch', -1], ['batch', 1.5], ['step', 'four'], ['metrics', {}], ['dropoutCalls', [-2]]] as const) {
      ckCase(`position.${field} = ${JSON.stringify(value)}`, rawCk({ ...metaOf(), position: JSON.stringify({ ...goodCk.position, [field]: value }) }), new RegExp(`position\\.${field}: `));
    }
    ckCase('optimizer.lr = NaN', rawCk({ ...metaOf(), optimizer: '{"steps": 4, "lr": null}' }), /optimizer.lr: expected a finite number/);
    ckCase('SAM options without eps', encodeCheckpoint({ ...goodCk, sam: { eta: 0.01, l2: 0, adaptive: false, secondPassBatchNormUpdate: false, perturbed: ['w'] } as never }, {}), /optimizer.sam.eps: expected a finite number/);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const data = Float32Array.from([1, 2, 3, 4]);
      const i = int(0, 3);
      data[i] = bad;
      ckCase(`a weight ${bad} at index ${i}`, encodeCheckpoint({ ...goodCk, model: new Map([['head.weight', { shape: [2, 2], data }]]) }, {}), new RegExp(`model.head.weight: holds non-finite values \\(${bad} at index ${i}\\)`));
    }
    ckCase('a momentum buffer with NaN', encodeCheckpoint({ ...goodCk, optimizer: { steps: 4, lr: 0.1, momentum: Float32Array.from([0, NaN]) } }, {}), /optimizer.momentum: holds non-finite values/);
    ckCase('another format', rawCk({ ...metaOf(), format: 'pt' }), /not a samgpu checkpoint \(format "pt"\)/);
    ckCase('an unknown tensor', rawCk(metaOf(), new Map([...model, ['extra', { shape: [1], data: new Float32Array(1) }]])), /extra: unknown tensor/);

    // ---- run configs
    const cfgCase = (name: string, cfg: unknown, field: string) => add({ name: `config: ${name}`, run: () => validateConfig(cfg), names: `config: ${field}`, field: new RegExp(`config: ${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `) });
    for (const [field, values] of [
      ['optimizer.lr', [0, -1, 'fast', null, Infinity, [0.1]]],
      ['optimizer.rho', [-0.1, '0.05', true]],
      ['optimizer.momentum', [1, -0.5, 'x']],
      ['epochs', [0, 1.5, '3', -2]],
      ['batchSize', [0, 2.5, 'all']],
      ['seed', [-1, 0.5, 'zero']],
      ['optimizer.name', ['adam', 5, '']],
      ['schedule', ['step', 1]],
      ['model.name', ['vgg', 0]],
      ['probe.l2Grid', [[], [0], ['x'], 0.1]],
    ] as const) {
      for (const v of values) {
        const cfg: Record<string, unknown> = {};
        const [a, b] = field.split('.');
        if (b) cfg[a] = { [b]: v };
        else cfg[a] = v;
        cfgCase(`${field} = ${JSON.stringify(v)}`, cfg, field);
      }
    }
    cfgCase('an unknown top-level field', { lr: 0.1 }, 'lr');
    cfgCase('an unknown optimizer field', { optimizer: { beta: 0.9 } }, 'optimizer.beta');
    cfgCase('an unknown dataset', { dataset: { name: 'imagenet' } }, 'dataset.name');
    cfgCase('celeba without a data folder', { dataset: { name: 'celeba' } }, 'dataset.dataDir');
    cfgCase('a misspelt dataset option', { dataset: { name: 'synthetic', options: { trian: 5 } } }, 'dataset.options.trian');
    cfgCase('sizes with a zero', { dataset: { name: 'cifar-mnist', dataDir: '/d', options: { sizes: { val: 0 } } } }, 'dataset.options.sizes.val');
    cfgCase('pairs with a repeated class', { dataset: { name: 'fmnist-mnist', dataDir: '/d', options: { pairs: [[0, 1], [0, 2]] } } }, 'dataset.options.pairs');
    cfgCase('a transform step with no size', { dataset: { name: 'waterbirds', dataDir: '/d', options: { transform: { steps: [{ op: 'resize' }] } } } }, 'dataset.options.transform');
    cfgCase('domainbed without a test domain', { dataset: { name: 'domainbed', dataDir: '/d' } }, 'dataset.options.testDomain');
    cfgCase('a config that is a list', [1, 2], '(root)');
    cfgCase('a name with a slash', { name: '../x' }, 'name');
    add({ name: 'sweep: a grid field with no values', run: () => validateSweep({ name: 's', base: {}, grid: { seed: [] } }), names: 'sweep: grid.seed', field: /expected a non-empty list/ });

    // ---- paths: files, folders, missing, unwritable
    const SYNTH = { name: 'p', dataset: { name: 'synthetic', options: { train: 8, val: 20, test: 8, size: 4 } }, epochs: 1, batchSize: 4 };
    const aFile = join(root, 'a-file');
    writeFileSync(aFile, 'not a folder');
    const unwritable = '/sys/samgpu-unwritable'; // sysfs refuses new entries, even to root
    add({ name: 'path: a run folder under a file', run: () => runInDir(join(aFile, 'run'), SYNTH), names: aFile, field: /is a file, not a folder/ });
    add({ name: 'path: a run folder that is unwritable', run: () => runInDir(join(unwritable, 'run'), SYNTH), names: unwritable, field: /permission denied|read-only|no such file/ });
    add({ name: 'path: --resume of a file', run: () => runInDir(aFile, null, { resume: true }), names: aFile, field: /is a file, not a run folder/ });
    add({ name: 'path: --resume of a missing folder', run: () => runInDir(join(root, 'nothing-here'), null, { resume: true }), names: join(root, 'nothing-here'), field: /there is no run folder/ });
    add({ name: 'path: a cache folder that is a file', run: () => cached('x', 1, () => ({ meta: {}, arrays: {} }), { cacheDir: aFile }), names: aFile, field: /is a file, not a folder \(set dataset.options.cacheDir/ });
    add({ name: 'path: a cache folder under a file', run: () => cached('x', 1, () => ({ meta: {}, arrays: {} }), { cacheDir: join(aFile, 'c') }), names: aFile, field: /is a file, not a folder/ });
    add({ name: 'path: an unwritable cache folder', run: () => cached('x', 1, () => ({ meta: {}, arrays: {} }), { cacheDir: unwritable }), names: unwritable, field: /permission denied|read-only/ });
    add({ name: 'path: a data folder that does not exist', run: () => loadDataset({ name: 'cifar-mnist', dataDir: join(root, 'no-data') }, 0), names: 'dataset.dataDir', field: /no-data does not exist/ });
    add({ name: 'path: a data folder that is a file', run: () => loadDataset({ name: 'waterbirds', dataDir: aFile }, 0), names: 'dataset.dataDir', field: /a-file is a file, not a folder/ });
    add({ name: 'path: an MNIST folder option that is missing', run: () => loadDataset({ name: 'fmnist-mnist', dataDir: root, options: { mnistDir: join(root, 'mn') } }, 0), names: 'dataset.options.mnistDir', field: /mn does not exist/ });

    // ---- run folders (resume): damaged files around a real checkpoint
    const runDir = join(results, 'stopped');
    let steps = 0;
    const stopped = await runInDir(runDir, { ...SYNTH, epochs: 2 }, { onProgress: () => steps++, shouldStop: () => steps === 3 });
    assert.equal(stopped.status, 'stopped');
    const goodConfig = readFileSync(join(runDir, 'config.json'), 'utf8');
    const goodCheckpoint = readFileSync(join(runDir, 'checkpoint.safetensors'));
    const folderCase = (name: string, file: string, field: RegExp, damage: () => void) => {
      add({
        name: `run folder: ${name}`,
        run: async () => {
          writeFileSync(join(runDir, 'config.json'), goodConfig);
          writeFileSync(join(runDir, 'checkpoint.safetensors'), goodCheckpoint);
          damage();
          return runInDir(runDir, null, { resume: true });
        },
        names: join(runDir, file),
        field,
      });
    };
    for (let k = 0; k < 4; k++) {
      const cut = int(1, goodConfig.length - 3);
      folderCase(`config.json cut at character ${cut}`, 'config.json', /is damaged \(not JSON/, () => writeFileSync(join(runDir, 'config.json'), goodConfig.slice(0, cut)));
    }
    for (let k = 0; k < 4; k++) {
      const cut = int(0, goodCheckpoint.length - 1);
      folderCase(`the checkpoint cut at byte ${cut}`, 'checkpoint.safetensors', /safetensors|checkpoint/, () => writeFileSync(join(runDir, 'checkpoint.safetensors'), goodCheckpoint.subarray(0, cut)));
    }
    folderCase('config.json with another lr than the checkpoint', 'checkpoint.safetensors', /optimizer.lr: 0.5 in config.json, 0.05 in the checkpoint/, () => {
      writeFileSync(join(runDir, 'config.json'), JSON.stringify({ ...JSON.parse(goodConfig), optimizer: { ...JSON.parse(goodConfig).optimizer, lr: 0.5 } }));
    });
    folderCase('config.json with an unknown field', 'config.json', /config: extra: unknown field/, () => writeFileSync(join(runDir, 'config.json'), JSON.stringify({ ...JSON.parse(goodConfig), extra: 1 })));
    folderCase('a final.json that is no JSON', 'final.json', /is damaged \(not JSON/, () => writeFileSync(join(runDir, 'final.json'), '{"config'));
  });

  after(() => {
    try {
      chmodSync(root, 0o755);
    } catch {
      // nothing to restore
    }
    cleanup();
  });

  it('generates at least 150 cases, each a one-line SamgpuError naming the file and field, leaving no file behind', async function () {
    this.timeout(120_000);
    assert.ok(cases.length >= 150, `${cases.length} cases`);
    const failures: string[] = [];
    for (const c of cases) {
      const before = [...tree(results), '|', ...tree(cache)].join('\n');
      let error: unknown = null;
      try {
        await c.run();
      } catch (e) {
        error = e;
      }
      rmSync(join(results, 'stopped', 'final.json'), { force: true });
      const after = [...tree(results), '|', ...tree(cache)].join('\n');
      const m = error instanceof Error ? error.message : '';
      const why = !(error instanceof SamgpuError)
        ? `threw ${error instanceof Error ? `${error.name}: ${error.message}` : 'nothing'}`
        : m.includes('\n')
          ? 'a message of several lines'
          : !(m.includes(c.names) || m.includes(shortPath(c.names)))
            ? `the message does not name ${c.names}`
            : !c.field.test(m)
              ? `the message does not match ${c.field}`
              : after !== before
                ? `files changed: ${after.split('\n').filter((f) => !before.split('\n').includes(f)).join(', ')}`
                : null;
      if (why) failures.push(`${c.name}: ${why}${m ? `\n      message: ${m}` : ''}`);
    }
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases`);
  });

  it('the CLI: bad arguments, configs and folders exit non-zero with one line and no stack trace, and write nothing', async function () {
    this.timeout(120_000);
    const dir = join(root, 'cli');
    mkdirSync(dir);
    const res = join(dir, 'results');
    mkdirSync(join(res, 'damaged'), { recursive: true });
    writeFileSync(join(res, 'damaged', 'config.json'), '{"name":');
    writeFileSync(join(dir, 'bad.json'), '{"epochs": 2,');
    writeFileSync(join(dir, 'list.json'), '[1, 2]');
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ dataset: { name: 'synthetic' }, optimizer: { lr: -1 } }));
    writeFileSync(join(dir, 'a-file'), 'x');
    const runs: [string[], RegExp][] = [
      [['run', 'synthetic', '--lr', 'abc', '--results', res], /--lr.*expected a number, got 'abc'/],
      [['run', 'no-such-preset', '--results', res], /^samgpu: run: 'no-such-preset' is neither a preset/],
      [['run', join(dir, 'bad.json'), '--results', res], /^samgpu: run: .*bad\.json is not valid JSON/],
      [['run', join(dir, 'list.json'), '--results', res], /^samgpu: run: .*list\.json: expected a JSON object/],
      [['run', join(dir, 'cfg.json'), '--results', res], /^samgpu: config: optimizer\.lr: expected a number > 0, got -1$/],
      [['run', 'synthetic', '--results', join(dir, 'a-file')], /^samgpu: run: --results .*a-file is a file, not a folder$/],
      [['run', '--resume', 'damaged', '--results', res], /^samgpu: run config .*damaged\/config\.json is damaged \(not JSON/],
      [['run', 'cifar-mnist', '--data-dir', join(dir, 'missing'), '--results', res], /^samgpu: config: dataset\.dataDir: the folder .*missing does not exist$/],
      [['sweep', join(dir, 'nothing.json'), '--results', res], /^samgpu: sweep: no file .*nothing\.json$/],
    ];
    const before = tree(dir).join('\n');
    const outs = await Promise.all(runs.map(([args]) => new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => (stderr += d));
      p.on('close', (status) => resolve({ status, stderr }));
    })));
    const problems: string[] = [];
    outs.forEach(({ status, stderr }, i) => {
      const [args, want] = runs[i];
      // Dawn's notes about its own limits are not ours (another change filters them)
      const lines = stderr.split('\n').filter((l) => l.trim() && !/^Warning: maxDynamic\w+ artificially reduced/.test(l));
      const what = `samgpu ${args.join(' ')}`;
      if (!status) problems.push(`${what}: exit ${status}`);
      if (lines.some((l) => /^\s+at /.test(l))) problems.push(`${what}: a stack trace\n${stderr}`);
      if (!lines.some((l) => want.test(l))) problems.push(`${what}: no line matches ${want}\n${stderr}`);
      if (lines[0]?.startsWith('samgpu: ') && lines.length !== 1) problems.push(`${what}: ${lines.length} lines\n${stderr}`);
    });
    assert.deepEqual(problems, []);
    assert.equal(tree(dir).join('\n'), before, 'no file written');
    assert.ok(statSync(join(res, 'damaged')).isDirectory());
  });
});
