// Waterbirds from `root` (the folder holding metadata.csv, or its parent holding
// waterbird_complete95_forest2water2/): images of varying size, brought to a common size by
// the standard transform (Sagawa et al.: Resize((256, 256)), CenterCrop(224), ImageNet
// normalization). Easy feature: the background (place, the spurious one); hard feature: the bird
// type, which is also y (task 'hard'). Never downloads.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileStamp } from './cache.node.ts';
import { loadNatural, type NaturalOptions } from './natural.node.ts';
import { IMAGENET_NORMALIZE, type ImageTransform } from './transforms.ts';
import { parseWaterbirdsMetadata } from './waterbirds.ts';
import { dataError, type SplitName } from './types.ts';
import { readDataText, requireFolder } from './fs.node.ts';

export interface WaterbirdsOptions extends NaturalOptions {
  /** Output side (default 224); the first resize is to resolution·256/224. */
  resolution?: number;
}

export function waterbirdsTransform(resolution = 224): ImageTransform {
  const pre = Math.trunc((resolution * 256) / 224);
  return { steps: [{ op: 'resize', size: [pre, pre] }, { op: 'centerCrop', size: resolution }], normalize: IMAGENET_NORMALIZE };
}

export function waterbirdsDir(root: string): string {
  requireFolder(root, 'Waterbirds', 'Waterbirds folder');
  const nested = join(root, 'waterbird_complete95_forest2water2');
  if (existsSync(join(nested, 'metadata.csv'))) return nested;
  if (existsSync(join(root, 'metadata.csv'))) return root;
  dataError('Waterbirds', join(root, 'metadata.csv'), 'missing file (nor waterbird_complete95_forest2water2/metadata.csv)');
}

export async function loadWaterbirds(root: string, opts: WaterbirdsOptions = {}) {
  const dir = waterbirdsDir(root);
  const meta = join(dir, 'metadata.csv');
  const rows = parseWaterbirdsMetadata(readDataText(meta, 'Waterbirds'), meta);
  const names: SplitName[] = ['train', 'val', 'test'];
  const splits = Object.fromEntries(names.map((s, p) => {
    const r = rows.filter((row) => row.split === p);
    return [s, { files: r.map((row) => join(dir, row.file)), easy: Int32Array.from(r, (row) => row.place), hard: Int32Array.from(r, (row) => row.y) }];
  })) as Record<SplitName, { files: string[]; easy: Int32Array; hard: Int32Array }>;
  return loadNatural({
    name: 'Waterbirds', reader: 'Waterbirds', task: 'hard',
    features: { easy: { name: 'background', classes: ['land', 'water'] }, hard: { name: 'bird', classes: ['landbird', 'waterbird'] } },
    splits,
    splitSources: { train: `${meta} (split 0)`, val: `${meta} (split 1)`, test: `${meta} (split 2)` },
    transform: opts.transform ?? waterbirdsTransform(opts.resolution),
    // the evaluation transform's first resize (256 at 224): crops drawn on each original map onto it
    augmentSourceSize: ([h, w]) => [Math.trunc((h * 256) / 224), Math.trunc((w * 256) / 224)],
    keyExtra: { metadata: fileStamp(meta) },
    config: { root: dir },
  }, opts);
}
