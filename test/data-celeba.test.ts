// CelebA reader on a tiny copy written here: the .txt metadata and the Kaggle CSV variant,
// JPEG images (one of them a PNG named .jpg, one grayscale), and each malformed input.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadCelebA, celebaTransform } from '../experiments/data/celeba.node.ts';
import { balanceGroups } from '../experiments/data/probe-sets.ts';
import type { ImageTransform } from '../experiments/data/transforms.ts';
import { cleanup, put, solidImage, tempDir, truncatedJpeg } from './data-files.ts';

const NAMES = ('5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair Blond_Hair Blurry ' +
  'Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup High_Cheekbones Male Mouth_Slightly_Open ' +
  'Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair ' +
  'Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young').split(' ');
// 8 images: partition, Blond_Hair, Male.
const ROWS: [number, number, number][] = [[0, 1, 0], [0, 0, 1], [0, 1, 1], [0, 0, 0], [1, 1, 0], [1, 0, 1], [2, 0, 0], [2, 1, 1]];
const name = (i: number) => `${String(i + 1).padStart(6, '0')}.jpg`;
const colour = (i: number): [number, number, number] => [30 * i, 100, 200 - 20 * i];
const SMALL: ImageTransform = { steps: [{ op: 'centerCrop', size: 16 }, { op: 'resize', size: [8, 8] }], normalize: null };

function attrValues(i: number): number[] {
  return NAMES.map((n, a) => (n === 'Blond_Hair' ? ROWS[i][1] : n === 'Male' ? ROWS[i][2] : (i + a) % 2) * 2 - 1);
}

async function writeCeleba(root: string, csv = false, h = 24, w = 20): Promise<void> {
  const imgDir = csv ? join(root, 'img_align_celeba', 'img_align_celeba') : join(root, 'img_align_celeba');
  for (let i = 0; i < ROWS.length; i++) {
    const fmt = i === 3 ? 'png' : i === 5 ? 'gray-jpeg' : 'jpeg';
    put(join(imgDir, name(i)), await solidImage(h, w, colour(i), fmt));
  }
  if (csv) {
    put(join(root, 'list_attr_celeba.csv'), [`image_id,${NAMES.join(',')}`, ...ROWS.map((_, i) => `${name(i)},${attrValues(i).join(',')}`)].join('\r\n') + '\r\n');
    put(join(root, 'list_eval_partition.csv'), ['image_id,partition', ...ROWS.map((r, i) => `${name(i)},${r[0]}`)].join('\n'));
  } else {
    const rows = ROWS.map((_, i) => `${name(i)} ${attrValues(i).map((v) => String(v).padStart(2)).join(' ')}`);
    put(join(root, 'list_attr_celeba.txt'), [String(ROWS.length), NAMES.join(' '), ...rows].join('\n') + '\n');
    put(join(root, 'list_eval_partition.txt'), ROWS.map((r, i) => `${name(i)} ${r[0]}`).join('\n') + '\n');
  }
}

function checkDataset(ds: Awaited<ReturnType<typeof loadCelebA>>): void {
  assert.deepEqual(ds.shape, [3, 8, 8]);
  assert.deepEqual([ds.splits.train.n, ds.splits.val.n, ds.splits.test.n], [4, 2, 2]);
  assert.equal(ds.task, 'easy');
  assert.deepEqual([...ds.splits.train.easy], [1, 0, 1, 0], 'easy = Blond_Hair');
  assert.deepEqual([...ds.splits.train.hard], [0, 1, 1, 0], 'hard = Male');
  assert.deepEqual([...ds.splits.train.y], [...ds.splits.train.easy]);
  assert.deepEqual([...ds.splits.train.group], [2, 1, 3, 0]);
  const pixel = (split: 'train' | 'val' | 'test', i: number, ch: number) => ds.splits[split].images[(i * 3 + ch) * 64 + 27];
  for (let i = 0; i < 4; i++) {
    for (let ch = 0; ch < 3; ch++) {
      const want = colour(i)[ch] / 255;
      assert.ok(Math.abs(pixel('train', i, ch) - want) <= 2 / 255, `train ${i} channel ${ch}: ${pixel('train', i, ch) * 255} vs ${want * 255}`);
    }
  }
  // Image 5 (val 1) is a grayscale JPEG: three equal channels.
  assert.equal(pixel('val', 1, 0), pixel('val', 1, 1));
  assert.equal(pixel('val', 1, 1), pixel('val', 1, 2));
}

describe('data: CelebA', () => {
  after(cleanup);

  it('reads list_attr_celeba.txt / list_eval_partition.txt and the images (a PNG among them, a grayscale JPEG)', async () => {
    const root = tempDir();
    await writeCeleba(root);
    checkDataset(await loadCelebA(root, { transform: SMALL, cacheDir: false }));
  });

  it('reads the Kaggle CSV variant with img_align_celeba/img_align_celeba/', async () => {
    const root = tempDir();
    await writeCeleba(join(root, 'celeba'), true);
    const ds = await loadCelebA(root, { transform: SMALL, cacheDir: false });
    checkDataset(ds);
    assert.equal(ds.config.metadata, 'csv');
  });

  it('the standard transform crops 178×218 to 178 (top 20) and resizes; ImageNet normalization', async () => {
    const root = tempDir();
    await writeCeleba(root, false, 218, 178);
    const ds = await loadCelebA(root, { resolution: 16, limit: { train: 2, val: 1, test: 1 }, cacheDir: false });
    assert.deepEqual(ds.shape, [3, 16, 16]);
    assert.deepEqual(celebaTransform(16).steps, [{ op: 'centerCrop', size: 178 }, { op: 'resize', size: [16, 16] }]);
    assert.equal(ds.splits.train.n, 2);
    const v = ds.splits.train.images[5];
    assert.ok(v > -2.2 && v < 2.7, `normalized value ${v}`);
  });

  it('decoded images are cached: the second load reads the cache and gives the same arrays', async () => {
    const root = tempDir();
    await writeCeleba(root);
    const cacheDir = tempDir('samgpu-cache-');
    const a = await loadCelebA(root, { transform: SMALL, cacheDir });
    const b = await loadCelebA(root, { transform: SMALL, cacheDir });
    assert.deepEqual(a.config.cacheHits, { train: false, val: false, test: false });
    assert.deepEqual(b.config.cacheHits, { train: true, val: true, test: true });
    assert.deepEqual(b.splits.train.images, a.splits.train.images);
  });

  it('a group-balanced probe set from a natural split has every (Blond_Hair, Male) group once', async () => {
    const root = tempDir();
    await writeCeleba(root);
    const ds = await loadCelebA(root, { transform: SMALL, cacheDir: false });
    const p = balanceGroups(ds, ds.splits.train, 1);
    assert.deepEqual([...p.group].sort(), [0, 1, 2, 3]);
    assert.equal(p.decorrelated, true);
  });

  describe('malformed inputs name the file and line', () => {
    let root: string;
    beforeEach(async () => {
      root = tempDir();
      await writeCeleba(root);
    });
    const attrFile = () => join(root, 'list_attr_celeba.txt');
    const edit = (file: string, f: (lines: string[]) => void) => {
      const lines = readFileSync(file, 'utf8').split('\n');
      f(lines);
      put(file, lines.join('\n'));
    };
    const load = (o = {}) => loadCelebA(root, { transform: SMALL, cacheDir: false, ...o });

    it('a row with missing values', async () => {
      edit(attrFile(), (l) => (l[4] = l[4].replace(/ +-?1 +-?1$/, '')));
      await assert.rejects(load(), /CelebA: .*list_attr_celeba\.txt line 5: expected 41 fields, got 39/);
    });
    it('a value that is not ±1', async () => {
      edit(attrFile(), (l) => (l[2] = l[2].replace(/-?1$/, '0')));
      await assert.rejects(load(), /list_attr_celeba\.txt line 3: value '0' of Young is not -1 or 1/);
    });
    it('a count line that disagrees with the rows', async () => {
      edit(attrFile(), (l) => (l[0] = '9'));
      await assert.rejects(load(), /list_attr_celeba\.txt: count mismatch: line 1 says 9 images, the file lists 8/);
    });
    it('an unknown attribute name', async () => {
      await assert.rejects(load({ target: 'Blond_hair' }), /list_attr_celeba\.txt: unknown attribute 'Blond_hair' \(did you mean 'Blond_Hair'\?\); known: 5_o_Clock_Shadow/);
    });
    it('a partition file with fewer images, or a bad partition', async () => {
      edit(join(root, 'list_eval_partition.txt'), (l) => l.splice(2, 1));
      await assert.rejects(load(), /list_eval_partition\.txt: count mismatch: 7 images, .*list_attr_celeba\.txt lists 8/);
      edit(join(root, 'list_eval_partition.txt'), (l) => (l[0] = '000001.jpg 3'));
      await assert.rejects(load(), /list_eval_partition\.txt line 1: partition 3 is not 0, 1 or 2/);
    });
    it('a bad CSV row in the Kaggle variant', async () => {
      const csvRoot = tempDir();
      await writeCeleba(csvRoot, true);
      edit(join(csvRoot, 'list_attr_celeba.csv'), (l) => (l[3] = '000003.jpg,1,-1\r'));
      await assert.rejects(loadCelebA(csvRoot, { transform: SMALL, cacheDir: false }), /list_attr_celeba\.csv line 4: expected 41 fields, got 3/);
      edit(join(csvRoot, 'list_attr_celeba.csv'), (l) => (l[3] = '"000003.jpg,1'));
      await assert.rejects(loadCelebA(csvRoot, { transform: SMALL, cacheDir: false }), /list_attr_celeba\.csv line 4: unterminated quoted field/);
    });
    it('a corrupt JPEG, and a missing image', async () => {
      put(join(root, 'img_align_celeba', '000002.jpg'), await truncatedJpeg(24, 20));
      await assert.rejects(load(), /CelebA: .*img_align_celeba\/000002\.jpg: corrupt or unreadable JPEG/);
      rmSync(join(root, 'img_align_celeba', '000002.jpg'));
      await assert.rejects(load(), /CelebA: .*img_align_celeba\/000002\.jpg: missing file/);
    });
    it('a partition without images names the partition file and the split', async () => {
      edit(join(root, 'list_eval_partition.txt'), (l) => l.forEach((x, i) => (l[i] = x.replace(/ 1$/, ' 0'))));
      await assert.rejects(load(), /CelebA: .*list_eval_partition\.txt \(partition 1\): the val split has no images/);
    });
    it('a missing metadata file', async () => {
      rmSync(attrFile());
      await assert.rejects(load(), /CelebA: .*list_attr_celeba\.txt: missing file \(nor .*list_attr_celeba\.csv\)/);
    });
  });
});
