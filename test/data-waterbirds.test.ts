// Waterbirds reader on a tiny copy written here: metadata.csv and images of varying size.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadWaterbirds, waterbirdsTransform } from '../experiments/data/waterbirds.node.ts';
import { splitStats } from '../experiments/data/probe-sets.ts';
import { cleanup, put, solidImage, tempDir, truncatedJpeg } from './data-files.ts';

// img_id, y (bird), split, place; sizes vary as in CUB.
const ROWS: [number, number, number, number][] = [
  [1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 1], [4, 1, 0, 1], [5, 1, 0, 1], [6, 1, 0, 0],
  [7, 0, 1, 0], [8, 1, 1, 1], [9, 0, 2, 1], [10, 1, 2, 0],
];
const file = (id: number) => `${String(id).padStart(3, '0')}.Some_Bird/Some_Bird_${id}.jpg`;

async function writeWaterbirds(dir: string): Promise<void> {
  const lines = ['img_id,img_filename,y,split,place,place_filename'];
  for (const [id, y, split, place] of ROWS) {
    lines.push(`${id},${file(id)},${y},${split},${place},/b/bamboo_forest/00000${id}.jpg`);
    put(join(dir, file(id)), await solidImage(30 + 7 * id, 50 - 3 * id, [20 * id, 120, 40], id === 4 ? 'png' : 'jpeg'));
  }
  put(join(dir, 'metadata.csv'), lines.join('\n') + '\n');
}

describe('data: Waterbirds', () => {
  after(cleanup);
  const T = waterbirdsTransform(14);

  it('reads metadata.csv and images of varying size into one shape; easy = place, hard = y = bird', async () => {
    const root = tempDir();
    await writeWaterbirds(join(root, 'waterbird_complete95_forest2water2'));
    const ds = await loadWaterbirds(root, { resolution: 14, cacheDir: false });
    assert.deepEqual(T.steps, [{ op: 'resize', size: [16, 16] }, { op: 'centerCrop', size: 14 }]);
    assert.deepEqual(ds.shape, [3, 14, 14]);
    assert.deepEqual([ds.splits.train.n, ds.splits.val.n, ds.splits.test.n], [6, 2, 2]);
    assert.equal(ds.task, 'hard');
    assert.deepEqual([...ds.splits.train.y], [0, 0, 0, 1, 1, 1]);
    assert.deepEqual([...ds.splits.train.hard], [0, 0, 0, 1, 1, 1]);
    assert.deepEqual([...ds.splits.train.easy], [0, 0, 1, 1, 1, 0]);
    const st = splitStats(ds.splits.train, 2, 2);
    assert.deepEqual(st.groupCounts, [[2, 1], [1, 2]]);
    // Solid colours survive resize and crop; then ImageNet normalization: R channel of image 2.
    const r = ds.splits.train.images[1 * 3 * 196 + 50];
    assert.ok(Math.abs(r - (40 / 255 - 0.485) / 0.229) < 0.03, `normalized R ${r}`);
  });

  it('reads metadata.csv from the folder itself', async () => {
    const root = tempDir();
    await writeWaterbirds(root);
    const ds = await loadWaterbirds(root, { resolution: 14, cacheDir: false, limit: { train: 3 } });
    assert.equal(ds.splits.train.n, 3);
  });

  describe('malformed inputs name the file and line', () => {
    let root: string;
    beforeEach(async () => {
      root = tempDir();
      await writeWaterbirds(root);
    });
    const meta = () => join(root, 'metadata.csv');
    const edit = (f: (lines: string[]) => void) => {
      const lines = readFileSync(meta(), 'utf8').split('\n');
      f(lines);
      put(meta(), lines.join('\n'));
    };
    const load = () => loadWaterbirds(root, { resolution: 14, cacheDir: false });

    it('a missing column', async () => {
      edit((l) => (l[0] = 'img_id,img_filename,y,split,location,place_filename'));
      await assert.rejects(load(), /Waterbirds: .*metadata\.csv line 1: header has no 'place' column/);
    });
    it('a row with a field too few', async () => {
      edit((l) => (l[3] = '3,x.jpg,0,0,1'));
      await assert.rejects(load(), /metadata\.csv line 4: expected 6 fields, got 5/);
    });
    it('a label out of range, and a non-integer split', async () => {
      edit((l) => (l[2] = l[2].replace(/^2,([^,]*),0,/, '2,$1,2,')));
      await assert.rejects(load(), /metadata\.csv line 3: y is 2, expected 0\.\.1/);
      edit((l) => (l[2] = l[2].replace(/^2,([^,]*),2,0,/, '2,$1,0,train,')));
      await assert.rejects(load(), /metadata\.csv line 3: split is 'train', expected an integer/);
    });
    it('a corrupt or missing image', async () => {
      put(join(root, file(7)), await truncatedJpeg(20, 20));
      await assert.rejects(load(), /Waterbirds: .*007\.Some_Bird\/Some_Bird_7\.jpg: corrupt or unreadable JPEG/);
      rmSync(join(root, file(7)));
      await assert.rejects(load(), /Waterbirds: .*Some_Bird_7\.jpg: missing file/);
    });
    it('a header-only metadata.csv, or a split without rows, names the file and the split, and nothing is cached', async () => {
      const cacheDir = join(root, 'cache');
      const header = readFileSync(meta(), 'utf8').split('\n')[0];
      edit((l) => l.splice(1, l.length, ''));
      await assert.rejects(loadWaterbirds(root, { resolution: 14, cacheDir }), /Waterbirds: .*metadata\.csv \(split 0\): the train split has no images/);
      put(meta(), `${header}\n`);
      await writeWaterbirds(root);
      edit((l) => l.splice(7, 1)); // the only row of split 1 besides line 9
      edit((l) => l.splice(7, 1));
      await assert.rejects(loadWaterbirds(root, { resolution: 14, cacheDir }), /Waterbirds: .*metadata\.csv \(split 1\): the val split has no images/);
      assert.ok(!existsSync(cacheDir) || readdirSync(cacheDir).length === 0);
    });
    it('a missing metadata.csv', async () => {
      rmSync(meta());
      await assert.rejects(load(), /Waterbirds: .*metadata\.csv: missing file/);
    });
  });
});
