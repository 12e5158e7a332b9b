// DomainBed datasets from `root/<DATASET>/<domain>/<class>/<image>` (PACS, VLCS, OfficeHome,
// TerraIncognita, or any folder of that shape). Domains and classes in sorted order; every domain
// must have the same class folders; images by magic bytes (a PNG named .jpg is fine), gray/CMYK
// to RGB; eval transform Resize((224, 224)) + ImageNet normalization. The paper's transfer
// protocol: train on the source domains (each domain's holdout fraction is val), fit a linear
// probe on the target domain (`target.train`) and report it on `target.test`. Never downloads.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadImages } from './decode.node.ts';
import { checkClassSets, codePointSort, DOMAINBED_DATASETS, holdoutSplit, isImageName } from './domainbed.ts';
import { IMAGENET_NORMALIZE, type ImageTransform } from './transforms.ts';
import { DataError, dataError, imageSize, type DomainBedData, type DomainSplit, type ImageShape } from './types.ts';
import { DeferredWrites, type CacheOptions } from './cache.node.ts';
import { requireFolder } from './fs.node.ts';
import { loadAugmentSource, pickAugmentSource, resolveAugment } from './augment-source.node.ts';
import type { AugmentSource, AugmentSpec } from './augment.ts';
import { sideOrPair } from './natural.node.ts';

export interface DomainBedOptions extends CacheOptions {
  /** The held-out target domain: its folder name or index (sorted order). */
  testDomain: string | number;
  /** Side of the square Resize (default 224). */
  resolution?: number;
  transform?: ImageTransform;
  /** Fraction of each domain held out (default 0.2, as DomainBed). */
  holdoutFraction?: number;
  seed?: number;
  concurrency?: number;
  onProgress?: (domain: string, done: number, total: number) => void;
  /** Augment the source domains' training part (DomainBed: 'domainbed'); their holdout and the target keep the transform. */
  augment?: string | Partial<AugmentSpec>;
  /** [h, w] (or a side) of the stored training sources; default resolution·256/224 square. */
  augmentSourceSize?: number | [number, number];
}

function subdirs(dir: string): string[] {
  return codePointSort(readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name));
}

export function datasetDir(root: string, dataset: string): string {
  const known = DOMAINBED_DATASETS[dataset];
  requireFolder(root, 'DomainBed', 'DomainBed data root');
  const dir = join(root, known?.dir ?? dataset);
  requireFolder(dir, 'DomainBed', `dataset folder of ${dataset}`);
  return dir;
}

/** Domains, classes and, per domain, the image files with their class labels. */
export function scanDomainBed(root: string, dataset: string): { dir: string; domains: string[]; classes: string[]; files: { path: string; label: number }[][] } {
  const dir = datasetDir(root, dataset);
  const domains = subdirs(dir);
  const known = DOMAINBED_DATASETS[dataset];
  if (known) {
    const missing = known.domains.filter((d) => !domains.includes(d));
    if (missing.length) dataError('DomainBed', dir, `missing domain folder(s) ${missing.join(', ')} of ${dataset} (found ${domains.join(', ') || 'none'})`);
  }
  const classes = checkClassSets(dir, domains.map((d) => ({ domain: d, classes: subdirs(join(dir, d)) })));
  const files = domains.map((d) =>
    classes.flatMap((c, label) => {
      const folder = join(dir, d, c);
      return codePointSort(readdirSync(folder).filter(isImageName)).map((f) => ({ path: join(folder, f), label }));
    }),
  );
  files.forEach((f, i) => {
    if (f.length === 0) dataError('DomainBed', join(dir, domains[i]), 'no images');
  });
  return { dir, domains, classes, files };
}

function gatherSplit(parts: { images: Float32Array; labels: Int32Array; domain: number; idx: Int32Array }[], shape: ImageShape): DomainSplit {
  const size = imageSize(shape);
  const n = parts.reduce((s, p) => s + p.idx.length, 0);
  const images = new Float32Array(n * size);
  const y = new Int32Array(n);
  const domain = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    for (const i of p.idx) {
      images.set(p.images.subarray(i * size, (i + 1) * size), at * size);
      y[at] = p.labels[i];
      domain[at++] = p.domain;
    }
  }
  return { n, shape, images, y, domain };
}

export async function loadDomainBed(root: string, dataset: string, opts: DomainBedOptions): Promise<DomainBedData> {
  const { dir, domains, classes, files } = scanDomainBed(root, dataset);
  const t = typeof opts.testDomain === 'number' ? opts.testDomain : domains.indexOf(opts.testDomain);
  if (!(t >= 0 && t < domains.length)) throw new DataError(`DomainBed: ${dir}: unknown test domain '${opts.testDomain}' (domains: ${domains.join(', ')})`);
  const resolution = opts.resolution ?? 224;
  const transform: ImageTransform = opts.transform ?? { steps: [{ op: 'resize', size: [resolution, resolution] }], normalize: IMAGENET_NORMALIZE };
  const fraction = opts.holdoutFraction ?? 0.2;
  const seed = opts.seed ?? 0;
  // Empty splits are refused before any image is decoded (or cached).
  const held = files.map((f) => Math.floor(f.length * fraction));
  if (held[t] === 0) {
    dataError('DomainBed', join(dir, domains[t]), `the target domain's test split (its held-out ${fraction} of ${files[t].length} images) is empty: raise holdoutFraction or add images`);
  }
  if (held.every((k, d) => d === t || k === 0)) {
    dataError('DomainBed', dir, `the validation split (the held-out ${fraction} of each source domain: ${domains.filter((_, d) => d !== t).map((d) => `${d} ${files[domains.indexOf(d)].length} images`).join(', ')}) is empty: raise holdoutFraction or add images`);
  }
  const loaded: { images: Float32Array; labels: Int32Array; domain: number; split: { in: Int32Array; out: Int32Array } }[] = [];
  let shape: ImageShape = [3, resolution, resolution];
  const writes = new DeferredWrites(); // every domain decoded before any is cached
  for (let d = 0; d < domains.length; d++) {
    const r = await loadImages(files[d].map((f) => f.path), transform, {
      reader: 'DomainBed', cacheDir: opts.cacheDir, concurrency: opts.concurrency, onWarning: opts.onWarning, defer: writes.defer,
      onProgress: opts.onProgress ? (a, b) => opts.onProgress!(domains[d], a, b) : undefined,
    });
    shape = r.shape;
    const split = holdoutSplit(files[d].length, fraction, (seed * 1000003 + d) >>> 0);
    loaded.push({ images: r.images, labels: Int32Array.from(files[d], (f) => f.label), domain: d, split });
  }
  writes.commit();
  const part = (d: number, which: 'in' | 'out') => ({ ...loaded[d], idx: loaded[d].split[which] });
  const sources = loaded.map((_, d) => d).filter((d) => d !== t);
  let train = gatherSplit(sources.map((d) => part(d, 'in')), shape);
  const augment = opts.augment === undefined ? null : resolveAugment(opts.augment);
  const sourceSize = sideOrPair(opts.augmentSourceSize) ?? [Math.trunc((shape[1] * 256) / 224), Math.trunc((shape[2] * 256) / 224)] as [number, number];
  if (augment) {
    const parts: { src: AugmentSource; idx: Int32Array }[] = [];
    for (const d of sources) {
      const src = await loadAugmentSource(files[d].map((f) => f.path), augment, sourceSize, transform.normalize ?? null, {
        reader: 'DomainBed', cacheDir: opts.cacheDir, concurrency: opts.concurrency,
        onProgress: opts.onProgress ? (a, b) => opts.onProgress!(`${domains[d]} (training sources)`, a, b) : undefined,
      });
      parts.push({ src, idx: loaded[d].split.in });
    }
    // the GPU makes each batch from the 8-bit sources: the float images are not kept
    train = { ...train, images: new Float32Array(0), augment: pickAugmentSource(parts) };
  }
  return {
    name: dataset, shape, domains, classes, testDomain: domains[t],
    source: { train, val: gatherSplit(sources.map((d) => part(d, 'out')), shape) },
    target: { train: gatherSplit([part(t, 'in')], shape), test: gatherSplit([part(t, 'out')], shape) },
    config: { root, dir, dataset, testDomain: domains[t], holdoutFraction: fraction, seed, transform, ...(augment ? { augment, augmentSourceSize: sourceSize } : {}) },
  };
}
