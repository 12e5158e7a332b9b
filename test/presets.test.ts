// A CPU smoke run of every published-protocol preset on tiny files written here: the preset's
// model (ImageNet-stem ResNet-50 from a weights file), optimizer, augmentation and sampler, shrunk
// only in resolution, examples and steps. Checks that each runs end to end and reports what its
// protocol measures; the numbers mean nothing at this size.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from '../engine/index.ts';
import { resnet50 } from '../engine/models/resnet.ts';
import { saveStateDict } from '../engine/io/state-dict.ts';
import { PRESETS, PROTOCOL_GRIDS, presetConfig } from '../experiments/runner/presets.ts';
import { validateConfig } from '../experiments/runner/config.ts';
import { runInDir } from '../experiments/runner/run-dir.node.ts';
import type { FinalResult } from '../experiments/runner/types.ts';
import { domainbedTransferSection, PAPER_DOMAINBED_PROBE_ACC } from '../experiments/report/paper-reference.ts';
import { DOMAINBED_DATASETS } from '../experiments/data/domainbed.ts';
import { gpu } from './helpers.ts';
import { cleanup, put, solidImage, tempDir } from './data-files.ts';

const CELEBA_ATTRS = ('5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair Blond_Hair Blurry ' +
  'Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup High_Cheekbones Male Mouth_Slightly_Open ' +
  'Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair ' +
  'Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young').split(' ');

/** Waterbirds: every (bird, place) group twice in train and val (the probes fit on part of val), once in test; CUB-like sizes. */
async function writeWaterbirds(dir: string): Promise<void> {
  const lines = ['img_id,img_filename,y,split,place,place_filename'];
  let id = 0;
  for (const [split, copies] of [[0, 2], [1, 2], [2, 1]] as const) {
    for (let c = 0; c < copies; c++) {
      for (const [y, place] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        id++;
        const file = `${String(100 + y).padStart(3, '0')}.Bird/Bird_${id}.jpg`;
        lines.push(`${id},${file},${y},${split},${place},x.jpg`);
        put(join(dir, file), await solidImage(40 + 3 * id, 52 - id, [200 * y + 20, 180 * place + 30, 7 * id], 'jpeg'));
      }
    }
  }
  put(join(dir, 'metadata.csv'), lines.join('\n') + '\n');
}

/** CelebA at its real 178×218: (Blond_Hair, Male) groups twice in train and val, once in test. */
async function writeCeleba(dir: string): Promise<void> {
  const rows: string[] = [];
  const parts: string[] = [];
  let i = 0;
  for (const [split, copies] of [[0, 2], [1, 2], [2, 1]] as const) {
    for (let c = 0; c < copies; c++) {
      for (const [blond, male] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        const name = `${String(++i).padStart(6, '0')}.jpg`;
        put(join(dir, 'img_align_celeba', name), await solidImage(218, 178, [220 * blond + 10, 150 * male + 40, 9 * i], 'jpeg'));
        rows.push(`${name} ${CELEBA_ATTRS.map((a, k) => (a === 'Blond_Hair' ? blond : a === 'Male' ? male : (i + k) % 2) * 2 - 1).join(' ')}`);
        parts.push(`${name} ${split}`);
      }
    }
  }
  put(join(dir, 'list_attr_celeba.txt'), [String(i), CELEBA_ATTRS.join(' '), ...rows].join('\n') + '\n');
  put(join(dir, 'list_eval_partition.txt'), parts.join('\n') + '\n');
}

/** A DomainBed dataset: its four domains, two classes, five images each. */
async function writeDomainBed(root: string, dataset: string): Promise<void> {
  const { dir, domains } = DOMAINBED_DATASETS[dataset];
  for (const [d, domain] of domains.entries()) {
    for (const [c, cls] of ['bird', 'car'].entries()) {
      for (let k = 0; k < 5; k++) put(join(root, dir, domain, cls, `${k}.jpg`), await solidImage(30 + 2 * k, 36 - d, [50 * d + 10, 200 * c + 20, 30 * k], 'jpeg'));
    }
  }
}

describe('published-protocol presets: a CPU smoke run of each on tiny files', () => {
  let root = '';
  let weights = '';
  const results: FinalResult[] = [];
  before(async function () {
    this.timeout(300_000);
    await gpu();
    root = tempDir('samgpu-presets-');
    await writeWaterbirds(join(root, 'waterbirds'));
    await writeCeleba(join(root, 'celeba'));
    for (const d of ['PACS', 'VLCS', 'OfficeHome']) await writeDomainBed(join(root, 'domainbed'), d);
    // "ImageNet" weights: a 1000-class torchvision-named ResNet-50, as the converter writes one
    const r50 = resnet50({ classes: 1000, stem: 'imagenet', rng: new E.Rng(7), kaimingInit: false });
    weights = join(root, 'resnet50.safetensors');
    writeFileSync(weights, await saveStateDict(r50, { format: 'pt' }));
    r50.dispose();
  });
  after(cleanup);

  /** The preset, shrunk: 32-px images, a few examples, one step, one probe strength. */
  function shrink(name: string, dataDir: string): Record<string, unknown> {
    const c = presetConfig(name, { dataDir, weights }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const o = c.dataset.options;
    if (o.transform) o.transform = { ...o.transform, steps: [{ op: 'resize', size: [36, 36] }, { op: 'centerCrop', size: 32 }] };
    else o.resolution = 32;
    o.cacheDir = false;
    if (c.steps) Object.assign(c, { steps: 1, batchSize: 3 }); // one image per source domain (batch norm is frozen)
    else Object.assign(c, { epochs: 1, batchSize: 8 });
    // the untrained-network probes and the λ/λ̃ diagnostics are the runner's, not the preset's: kept
    // on one preset (the diagnostics then read the augmented split's fixed whole-source view)
    const diagnostics = name === 'waterbirds-dfr';
    return { ...c, probe: { l2Grid: [0.1], untrained: diagnostics }, importance: { examples: diagnostics ? 4 : 0 } };
  }

  const cases: [string, string][] = [
    ['waterbirds-dfr', 'waterbirds'], ['celeba-dfr', 'celeba'],
    ['domainbed-pacs', 'domainbed'], ['domainbed-vlcs', 'domainbed'], ['domainbed-officehome', 'domainbed'],
  ];
  for (const [name, data] of cases) {
    it(`${name}: ImageNet-stem ResNet-50 from the weights file, the preset's optimizer and augmentation, end to end`, async function () {
      this.timeout(300_000);
      const cfg = validateConfig(shrink(name, join(root, data)));
      assert.equal(cfg.model.name, 'resnet50');
      assert.equal(cfg.model.stem, 'imagenet');
      assert.equal(cfg.model.weights, weights);
      const out = await runInDir(join(root, 'results', name), cfg);
      assert.equal(out.status, 'done');
      const r = (out as { result: FinalResult }).result;
      assert.ok(Number.isFinite(r.testAcc) && Number.isFinite(r.probes.easy.error), JSON.stringify(r.probes));
      assert.ok(r.metrics.every((m) => Number.isFinite(m.trainLoss)));
      const saved = JSON.parse(readFileSync(join(root, 'results', name, 'config.json'), 'utf8'));
      assert.deepEqual(saved.dataset.options.augment, PRESETS[name].dataset.options!.augment);
      if (name.startsWith('domainbed')) {
        assert.equal(r.singleLabel, true);
        assert.equal(saved.sampler, 'per-domain');
        assert.equal(saved.optimizer.base, 'adam');
        assert.deepEqual(r.metrics.map((m) => m.step), [1]);
      }
      results.push(r);
    });
  }

  it('the DomainBed transfer table: one probe per target domain, SGD vs SAM, beside the paper\'s three values', () => {
    // the smoke runs are SGD (Adam) runs; a SAM run per target domain is added from them to fill the columns
    const asSam = (r: FinalResult, rho: number, valAcc: number, probeError: number): FinalResult => ({
      ...r, config: { ...r.config, optimizer: { ...r.config.optimizer, name: 'sam', rho } },
      metrics: r.metrics.map((m) => ({ ...m, valAcc })), probes: { ...r.probes, easy: { ...r.probes.easy, error: probeError } },
    });
    const db = results.filter((r) => r.singleLabel);
    // ρ is chosen on source-domain validation accuracy: 0.05 (val 0.9) over 0.1 (val 0.5)
    const sam = [...db.map((r) => asSam(r, 0.05, 0.9, 0.25)), ...db.map((r) => asSam(r, 0.1, 0.5, 0))];
    const html = domainbedTransferSection([...results, ...sam]);
    assert.match(html, /<td>PACS<\/td><td>cartoon<\/td><td>[\d.]+ \(1\)<\/td><td>0\.750 \(1\)<\/td><td>0\.05<\/td>/);
    assert.match(html, /<h2>DomainBed: transfer to the held-out target domain<\/h2>/);
    for (const ref of PAPER_DOMAINBED_PROBE_ACC) {
      assert.match(html, new RegExp(`<td>${ref.dataset}</td><td>${ref.testDomain}</td>.*<td>${ref.sgd.toFixed(3)} → ${ref.sam.toFixed(3)}</td>`));
    }
    assert.ok(!/easy|hard/.test(html), 'one label: no easy/hard columns');
    assert.equal(domainbedTransferSection(results.filter((r) => !r.singleLabel)), '');
    // every DomainBed preset's default target is one the paper reports, and its grid names all four
    for (const p of ['domainbed-pacs', 'domainbed-vlcs', 'domainbed-officehome']) assert.equal(PROTOCOL_GRIDS[p].testDomains!.length, 4);
  });
});
