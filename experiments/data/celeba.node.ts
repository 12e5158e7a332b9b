// CelebA from its published files in `root` (or `root/celeba`, torchvision's layout): the .txt
// metadata, else the Kaggle .csv variant; images in img_align_celeba/ (or the Kaggle
// img_align_celeba/img_align_celeba/). Task: Blond_Hair (the easy feature, as in the paper);
// second feature: Male (the hard one). Never downloads.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { celebaSplits, parseCelebaAttrCsv, parseCelebaAttrTxt, parseCelebaPartition } from './celeba.ts';
import { fileStamp } from './cache.node.ts';
import { loadNatural, type NaturalOptions } from './natural.node.ts';
import { IMAGENET_NORMALIZE, type ImageTransform } from './transforms.ts';
import { dataError, type SplitName } from './types.ts';
import { readDataText, requireFolder } from './fs.node.ts';

export interface CelebaOptions extends NaturalOptions {
  /** The task attribute, the easy feature (default 'Blond_Hair'). */
  target?: string;
  /** The second, hard feature (default 'Male'). */
  hard?: string;
  /** Output side of the standard transform (center-crop 178, resize, ImageNet normalization); default 224. */
  resolution?: number;
}

/** The standard CelebA eval transform (Sagawa et al.): CenterCrop(178), Resize(size), Normalize(ImageNet). */
export function celebaTransform(resolution = 224): ImageTransform {
  return { steps: [{ op: 'centerCrop', size: 178 }, { op: 'resize', size: [resolution, resolution] }], normalize: IMAGENET_NORMALIZE };
}

/** The metadata and image folder found under root. */
export function celebaFiles(root: string): { attr: string; partition: string; csv: boolean; images: string } {
  requireFolder(root, 'CelebA', 'CelebA folder');
  const base = existsSync(join(root, 'celeba')) ? join(root, 'celeba') : root;
  const txt = { attr: join(base, 'list_attr_celeba.txt'), partition: join(base, 'list_eval_partition.txt') };
  const csv = { attr: join(base, 'list_attr_celeba.csv'), partition: join(base, 'list_eval_partition.csv') };
  const useCsv = !existsSync(txt.attr) && existsSync(csv.attr);
  const f = useCsv ? csv : txt;
  if (!existsSync(f.attr)) dataError('CelebA', txt.attr, `missing file (nor ${csv.attr})`);
  if (!existsSync(f.partition)) dataError('CelebA', f.partition, 'missing file');
  let images = join(base, 'img_align_celeba');
  if (existsSync(join(images, 'img_align_celeba'))) images = join(images, 'img_align_celeba');
  requireFolder(images, 'CelebA', 'image folder');
  return { ...f, csv: useCsv, images };
}

export async function loadCelebA(root: string, opts: CelebaOptions = {}) {
  const target = opts.target ?? 'Blond_Hair';
  const hardAttr = opts.hard ?? 'Male';
  const f = celebaFiles(root);
  const attrText = readDataText(f.attr, 'CelebA');
  const attrs = f.csv ? parseCelebaAttrCsv(attrText, f.attr) : parseCelebaAttrTxt(attrText, f.attr);
  const partition = parseCelebaPartition(readDataText(f.partition, 'CelebA'), f.partition, f.csv);
  const parts = celebaSplits(attrs, partition, f.partition, target, hardAttr);
  const names: SplitName[] = ['train', 'val', 'test'];
  const splits = Object.fromEntries(
    names.map((s, p) => [s, { files: parts[p].images.map((i) => join(f.images, i)), easy: parts[p].easy, hard: parts[p].hard }]),
  ) as Record<SplitName, { files: string[]; easy: Int32Array; hard: Int32Array }>;
  return loadNatural({
    name: 'CelebA', reader: 'CelebA', task: 'easy',
    features: {
      easy: { name: target, classes: [`not ${target}`, target] },
      hard: { name: hardAttr, classes: [`not ${hardAttr}`, hardAttr] },
    },
    splits,
    splitSources: { train: `${f.partition} (partition 0)`, val: `${f.partition} (partition 1)`, test: `${f.partition} (partition 2)` },
    transform: opts.transform ?? celebaTransform(opts.resolution),
    // the aligned images are all 178×218: augmentation crops the originals themselves
    augmentSourceSize: () => [218, 178],
    keyExtra: { attr: fileStamp(f.attr), partition: fileStamp(f.partition) },
    config: { root, target, hard: hardAttr, metadata: f.csv ? 'csv' : 'txt' },
  }, opts);
}
