// DomainBed folder reader on a tiny PACS-shaped tree written here: PNGs named .jpg, grayscale
// JPEGs, non-image files to skip, and the malformed cases.
import assert from 'node:assert/strict';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDomainBed, scanDomainBed } from '../experiments/data/domainbed.node.ts';
import { holdoutSplit } from '../experiments/data/domainbed.ts';
import { loadDataset } from '../experiments/runner/datasets.node.ts';
import type { LabeledImages } from '../experiments/data/types.ts';
import { cleanup, put, solidImage, tempDir, truncatedJpeg } from './data-files.ts';

const DOMAINS = ['art_painting', 'cartoon', 'photo', 'sketch'];
const CLASSES = ['dog', 'elephant', 'giraffe'];

/** 5 images per (domain, class), colour encodes them; sketch gets grayscale JPEGs, cartoon PNGs named .jpg (CMYK: data-transforms). */
async function writePacs(root: string): Promise<void> {
  for (const [d, domain] of DOMAINS.entries()) {
    for (const [c, cls] of CLASSES.entries()) {
      for (let i = 0; i < 5; i++) {
        const fmt = domain === 'sketch' ? 'gray-jpeg' : domain === 'cartoon' ? 'png' : 'jpeg';
        put(join(root, 'PACS', domain, cls, `pic_${i}.jpg`), await solidImage(12 + i, 10 + d, [60 * d, 80 * c, 40 * i], fmt));
      }
    }
  }
  put(join(root, 'PACS', 'photo', 'dog', 'Thumbs.db'), 'not an image');
  put(join(root, 'PACS', 'photo', 'dog', '.DS_Store'), 'not an image');
}

describe('data: DomainBed folders', () => {
  after(cleanup);

  it('scans domains and classes in sorted order and skips non-image files', async () => {
    const root = tempDir();
    await writePacs(root);
    const s = scanDomainBed(root, 'PACS');
    assert.deepEqual(s.domains, DOMAINS);
    assert.deepEqual(s.classes, CLASSES);
    assert.equal(s.files[2].length, 15);
    assert.deepEqual(s.files[0].slice(0, 6).map((f) => f.label), [0, 0, 0, 0, 0, 1]);
  });

  it('trains on source domains (20% of each held out as val) and probes on the target domain', async () => {
    const root = tempDir();
    await writePacs(root);
    const d = await loadDomainBed(root, 'PACS', { testDomain: 'sketch', resolution: 8, seed: 3, cacheDir: false });
    assert.deepEqual(d.shape, [3, 8, 8]);
    assert.equal(d.testDomain, 'sketch');
    // 15 images per domain: 3 held out, 12 kept.
    assert.deepEqual([d.source.train.n, d.source.val.n, d.target.train.n, d.target.test.n], [36, 9, 12, 3]);
    assert.deepEqual([...new Set(d.source.train.domain)], [0, 1, 2]);
    assert.deepEqual([...new Set(d.target.test.domain)], [3]);
    // Every example's pixels match its domain and class colour (the colour was 60·domain, 80·class, 40·i).
    for (const split of [d.source.train, d.source.val, d.target.train]) {
      for (let i = 0; i < split.n; i++) {
        const base = i * 3 * 64;
        const r = split.images[base] * 0.229 + 0.485;
        const g = split.images[base + 64] * 0.224 + 0.456;
        const dom = split.domain[i];
        if (dom === 3) {
          // Grayscale: three equal channels.
          assert.ok(Math.abs(r - (split.images[base + 128] * 0.225 + 0.406)) < 1e-5);
        } else {
          assert.ok(Math.abs(r * 255 - 60 * dom) < 3, `red of domain ${dom}: ${r * 255}`);
          assert.ok(Math.abs(g * 255 - 80 * split.y[i]) < 3, `green of class ${split.y[i]}: ${g * 255}`);
        }
      }
    }
    // The holdout split is disjoint and covers everything.
    const h = holdoutSplit(15, 0.2, 7);
    assert.deepEqual([...h.in, ...h.out].sort((a, b) => a - b), Array.from({ length: 15 }, (_, i) => i));
  });

  it('a run validates on the source domains\' holdout; the target domain is left to the probes and the test split', async () => {
    const root = tempDir();
    await writePacs(root);
    const ds = await loadDataset({ name: 'domainbed', dataDir: root, options: { dataset: 'PACS', testDomain: 'sketch', resolution: 8, cacheDir: false } }, 3);
    const d = await loadDomainBed(root, 'PACS', { testDomain: 'sketch', resolution: 8, seed: 3, cacheDir: false });
    const domains = (s: LabeledImages) => [...new Set(s.domain as Int32Array)].sort();
    assert.deepEqual([ds.splits.train.n, ds.splits.val.n, ds.splits.test.n], [36, 9, 3]);
    // val is the source domains' 20% holdout (DomainBed's training-domain validation), never the target.
    assert.deepEqual(domains(ds.splits.val), [0, 1, 2]);
    assert.deepEqual(ds.splits.val.images, d.source.val.images);
    assert.deepEqual(ds.splits.val.y, d.source.val.y);
    assert.deepEqual(domains(ds.splits.train), [0, 1, 2]);
    // Probes: fit on the target's kept part, reported on its holdout (= the test split).
    assert.ok(ds.probeSplits);
    assert.equal(ds.probeSplits.fit.n, 12);
    assert.deepEqual(domains(ds.probeSplits.fit), [3]);
    assert.deepEqual(ds.probeSplits.fit.images, d.target.train.images);
    assert.equal(ds.probeSplits.test, ds.splits.test);
    assert.deepEqual(domains(ds.splits.test), [3]);
  });

  it('the test domain can be given by index; an unknown one is an error listing the domains', async () => {
    const root = tempDir();
    await writePacs(root);
    const d = await loadDomainBed(root, 'PACS', { testDomain: 0, resolution: 4, cacheDir: false });
    assert.equal(d.testDomain, 'art_painting');
    await assert.rejects(loadDomainBed(root, 'PACS', { testDomain: 'Sketch', cacheDir: false }), /unknown test domain 'Sketch' \(domains: art_painting, cartoon, photo, sketch\)/);
  });

  describe('malformed trees name the folder or file', () => {
    let root: string;
    beforeEach(async () => {
      root = tempDir();
      await writePacs(root);
    });
    it('a class folder spelled differently in one domain', () => {
      renameSync(join(root, 'PACS', 'photo', 'giraffe'), join(root, 'PACS', 'photo', 'giraffes'));
      assert.throws(() => scanDomainBed(root, 'PACS'), /DomainBed: .*PACS\/photo: class folders differ from .*PACS\/art_painting: missing giraffe; extra giraffes/);
    });
    it('a missing domain folder', () => {
      rmSync(join(root, 'PACS', 'cartoon'), { recursive: true });
      assert.throws(() => scanDomainBed(root, 'PACS'), /DomainBed: .*PACS: missing domain folder\(s\) cartoon of PACS/);
    });
    it('a corrupt JPEG and a file that is no image at all', async () => {
      put(join(root, 'PACS', 'photo', 'elephant', 'pic_2.jpg'), await truncatedJpeg(16, 16));
      await assert.rejects(loadDomainBed(root, 'PACS', { testDomain: 'sketch', resolution: 4, cacheDir: false }), /DomainBed: .*photo\/elephant\/pic_2\.jpg: corrupt or unreadable JPEG/);
      put(join(root, 'PACS', 'photo', 'elephant', 'pic_2.jpg'), 'GIF89a not really');
      await assert.rejects(loadDomainBed(root, 'PACS', { testDomain: 'sketch', resolution: 4, cacheDir: false }), /photo\/elephant\/pic_2\.jpg: not a JPEG or PNG \(magic bytes 47 49 46 38\)/);
    });
    it('a target domain too small to hold a test split out, or no validation images, is refused before decoding', async () => {
      // art_painting, cartoon, sketch keep one image per class: ⌊3 · 0.2⌋ = 0 held out of each
      for (const d of ['art_painting', 'cartoon', 'sketch']) for (const cls of CLASSES) for (let i = 1; i < 5; i++) rmSync(join(root, 'PACS', d, cls, `pic_${i}.jpg`));
      await assert.rejects(loadDomainBed(root, 'PACS', { testDomain: 'sketch', resolution: 4, cacheDir: false }),
        /DomainBed: .*PACS\/sketch: the target domain's test split \(its held-out 0.2 of 3 images\) is empty: raise holdoutFraction or add images/);
      await assert.rejects(loadDomainBed(root, 'PACS', { testDomain: 'photo', resolution: 4, cacheDir: false }),
        /DomainBed: .*PACS: the validation split \(the held-out 0.2 of each source domain: art_painting 3 images, cartoon 3 images, sketch 3 images\) is empty/);
    });
    it('a missing dataset folder', () => {
      assert.throws(() => scanDomainBed(root, 'VLCS'), /DomainBed: .*VLCS: the dataset folder of VLCS does not exist/);
    });
  });
});
