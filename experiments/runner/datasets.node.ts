// Loads the dataset a run config names (Node: reads the standard files under `dataDir`, caches
// decoded tensors). Layouts, options and splits per dataset: docs/DATA.md. Folders under dataDir,
// each overridable in `options`:
//   fmnist-mnist: mnist/ and fashion-mnist/ (IDX files);  cifar-mnist: mnist/ and cifar-10-batches-bin/ (or its parent);
//   celeba, waterbirds: the dataset's own root;  domainbed: the DomainBed data root (options.dataset, options.testDomain).
// The options each dataset accepts are listed in config.ts (DATASET_OPTIONS); the check below
// keeps those lists to keys the loaders here take.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { TwoFeatureDataset, TwoFeatureSplit, DomainSplit } from '../data/types.ts';
import { syntheticTwoFeature, type SyntheticOptions } from '../data/synthetic.ts';
import { loadTwoFeature } from '../data/datasets.node.ts';
import { loadDomainBed, type DomainBedOptions } from '../data/domainbed.node.ts';
import type { EmbeddedOptions } from '../data/embedded.node.ts';
import type { FmnistMnistOptions } from '../data/fmnist-mnist.node.ts';
import type { CifarMnistOptions } from '../data/cifar-mnist.node.ts';
import type { CelebaOptions } from '../data/celeba.node.ts';
import type { WaterbirdsOptions } from '../data/waterbirds.node.ts';
import { lmsDataset, type LmsOptions } from '../data/lms.ts';
import { toyDataset, type ToyDatasetOptions } from '../data/toy-dataset.ts';
import { parityDataset, type ParityOptions } from '../data/parity.ts';
import { loadCollage, type CollageOptions } from '../data/collage.node.ts';
import { checkDatasetOptions, type DATASET_OPTIONS, type DatasetConfig, type DatasetName } from './config.ts';

/** The options object each dataset's loader takes. */
interface LoaderOptions {
  'fmnist-mnist-embedded': EmbeddedOptions;
  'fmnist-mnist': FmnistMnistOptions;
  'cifar-mnist': CifarMnistOptions;
  celeba: CelebaOptions;
  waterbirds: WaterbirdsOptions;
  domainbed: DomainBedOptions & { dataset?: string };
  synthetic: SyntheticOptions;
  lms: LmsOptions;
  toy: ToyDatasetOptions;
  parity: ParityOptions;
  collage: CollageOptions;
}
type NotTaken<D extends DatasetName> = Exclude<keyof (typeof DATASET_OPTIONS)[D], keyof LoaderOptions[D]>;
// Compile-time: an option listed in config.ts that its loader does not take shows up here by name.
const optionsTakenByLoaders: { [D in DatasetName]: [NotTaken<D>] extends [never] ? true : NotTaken<D> } = {
  'fmnist-mnist-embedded': true, 'fmnist-mnist': true, 'cifar-mnist': true, celeba: true, waterbirds: true, domainbed: true, synthetic: true,
  lms: true, toy: true, parity: true, collage: true,
};


function firstExisting(root: string, names: string[]): string {
  for (const n of names) if (existsSync(join(root, n))) return join(root, n);
  return join(root, names[0]);
}

/** A DomainBed split in the runner's shape: both "features" are the class label. */
function domainSplit(s: DomainSplit, split: 'train' | 'val' | 'test'): TwoFeatureSplit {
  return { ...s, split, easy: s.y, hard: s.y, group: s.y, decorrelated: false };
}

/** dataset.dataDir (and the folder options) must be existing folders: say so before any reader looks inside. */
function checkFolder(path: string | undefined, field: string): void {
  if (path === undefined) return;
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new SamgpuError(`config: ${field}: the folder ${path} does not exist`);
  }
  if (!isDir) throw new SamgpuError(`config: ${field}: ${path} is a file, not a folder`);
}

/** The dataset a run config names; every split (and probe split) has at least one example. */
export async function loadDataset(cfg: DatasetConfig, seed: number): Promise<TwoFeatureDataset> {
  const data = await loadNamedDataset(cfg, seed);
  const splits = { ...data.splits, ...(data.probeSplits ? { 'probe fit': data.probeSplits.fit, 'probe test': data.probeSplits.test } : {}) };
  for (const [name, split] of Object.entries(splits)) {
    if (!(split.n > 0)) throw new SamgpuError(`dataset ${data.name}${cfg.dataDir ? ` (${cfg.dataDir})` : ''}: the ${name} split is empty`);
  }
  return data;
}

async function loadNamedDataset(cfg: DatasetConfig, seed: number): Promise<TwoFeatureDataset> {
  const o = (cfg.options ?? {}) as Record<string, unknown>;
  // Also here for callers that skip validateConfig: a misspelled option must not be ignored.
  checkDatasetOptions(cfg.name, o);
  checkFolder(cfg.dataDir, 'dataset.dataDir');
  for (const k of ['mnistDir', 'fashionDir', 'cifarDir'] as const) checkFolder(o[k] as string | undefined, `dataset.options.${k}`);
  const dir = cfg.dataDir ?? '';
  switch (cfg.name) {
    case 'synthetic':
      return syntheticTwoFeature({ seed, ...o });
    case 'lms':
      return lmsDataset({ seed, ...o });
    case 'toy':
      return toyDataset({ seed, ...o });
    case 'parity':
      return parityDataset({ seed, ...o });
    case 'collage':
      return loadCollage({ seed, ...o, ...(cfg.dataDir ? { dataDir: cfg.dataDir } : {}) });
    case 'fmnist-mnist-embedded':
      return loadTwoFeature({ name: 'embedded', seed, ...o });
    case 'fmnist-mnist':
      return loadTwoFeature({ name: 'fmnist-mnist', seed, mnistDir: firstExisting(dir, ['mnist', 'MNIST']), fashionDir: firstExisting(dir, ['fashion-mnist', 'FashionMNIST', 'fashion']), ...o });
    case 'cifar-mnist':
      return loadTwoFeature({ name: 'cifar-mnist', seed, mnistDir: firstExisting(dir, ['mnist', 'MNIST']), cifarDir: dir, ...o });
    case 'celeba':
      return loadTwoFeature({ name: 'celeba', root: dir, seed, ...o });
    case 'waterbirds':
      return loadTwoFeature({ name: 'waterbirds', root: dir, seed, ...o });
    case 'domainbed': {
      // DomainBed's default model selection, training-domain validation: train on the source
      // domains' kept part, validate (per-epoch accuracy, the report's lr/ρ choice) on their
      // holdout. The target domain is only seen by the probes: fit on its kept part, reported on
      // its holdout, which is also the run's test split.
      const { dataset: name, ...rest } = o;
      const dataset = String(name ?? 'PACS');
      const d = await loadDomainBed(dir, dataset, { ...rest, testDomain: o.testDomain as string | number, seed } as DomainBedOptions);
      if (d.source.val.n === 0) throw new SamgpuError(`config: dataset.options.holdoutFraction: the source domains' holdout (the validation split) is empty; raise it (now ${String(d.config.holdoutFraction)})`);
      const classes = { name: 'class', classes: d.classes };
      const test = domainSplit(d.target.test, 'test');
      return {
        name: `domainbed-${dataset}-${d.testDomain}`,
        shape: d.shape,
        task: 'easy',
        singleLabel: true,
        features: { easy: classes, hard: classes },
        splits: { train: domainSplit(d.source.train, 'train'), val: domainSplit(d.source.val, 'val'), test },
        probeSplits: { fit: domainSplit(d.target.train, 'val'), test },
        config: { ...d.config, validation: 'source-domain holdout', probes: 'target domain (fit: kept part, test: holdout)' },
      };
    }
    default:
      throw new SamgpuError(`config: dataset.name: unknown dataset '${cfg.name}'`);
  }
}
