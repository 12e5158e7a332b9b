// DomainBed's image-folder datasets (`<DATASET>/<domain>/<class>/<image>`): the known datasets,
// the check that every domain has the same class folders, and the per-domain holdout split
// (DomainBed's misc.split_dataset: the first ⌊n·fraction⌋ of a seeded permutation are held out).
// Pure code over folder listings.
import { Rng } from '../../engine/random.ts';
import { shuffleInPlace } from './two-feature.ts';
import { dataError } from './types.ts';

export const DOMAINBED_DATASETS: Record<string, { dir: string; domains: string[]; classes: number }> = {
  PACS: { dir: 'PACS', domains: ['art_painting', 'cartoon', 'photo', 'sketch'], classes: 7 },
  VLCS: { dir: 'VLCS', domains: ['Caltech101', 'LabelMe', 'SUN09', 'VOC2007'], classes: 5 },
  OfficeHome: { dir: 'office_home', domains: ['Art', 'Clipart', 'Product', 'Real World'], classes: 65 },
  TerraIncognita: { dir: 'terra_incognita', domains: ['location_100', 'location_38', 'location_43', 'location_46'], classes: 10 },
};

/** torchvision ImageFolder's extensions (case-insensitive); other files are skipped, as there. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return !name.startsWith('.') && IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

/** Python's sorted() on str: by code point (not localeCompare). */
export function codePointSort(names: string[]): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Every domain must have exactly the class folders of the first; the message names both folders. */
export function checkClassSets(datasetDir: string, listing: { domain: string; classes: string[] }[]): string[] {
  if (listing.length === 0) dataError('DomainBed', datasetDir, 'no domain folders');
  const ref = listing[0];
  for (const d of listing.slice(1)) {
    const missing = ref.classes.filter((c) => !d.classes.includes(c));
    const extra = d.classes.filter((c) => !ref.classes.includes(c));
    if (missing.length || extra.length) {
      const parts = [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `extra ${extra.join(', ')}` : ''].filter(Boolean);
      dataError('DomainBed', `${datasetDir}/${d.domain}`, `class folders differ from ${datasetDir}/${ref.domain}: ${parts.join('; ')}`);
    }
  }
  if (ref.classes.length === 0) dataError('DomainBed', `${datasetDir}/${ref.domain}`, 'no class folders');
  return ref.classes;
}

/** Indices of one domain split into kept (`in`) and held-out (`out`, ⌊n·fraction⌋ of them). */
export function holdoutSplit(n: number, fraction: number, seed: number): { in: Int32Array; out: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`holdoutSplit: fraction must be in [0, 1), got ${fraction}`);
  const keys = shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), new Rng(seed >>> 0));
  const k = Math.floor(n * fraction);
  return { out: keys.slice(0, k).sort(), in: keys.slice(k).sort() };
}
