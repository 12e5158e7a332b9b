// Loads the dataset a run config names (Node: reads the standard files under `dataDir`, caches
// decoded tensors). Folder conventions under dataDir, each overridable in `options`:
//   fmnist-mnist: mnist/ and fashion-mnist/ (IDX files);  cifar-mnist: mnist/ and cifar-10-batches-bin/ (or its parent);
//   celeba, waterbirds: the dataset's own root;  domainbed: the DomainBed data root (options.dataset, options.testDomain).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { TwoFeatureDataset, TwoFeatureSplit, DomainSplit } from '../data/types.ts';
import { syntheticTwoFeature } from '../data/synthetic.ts';
import { loadTwoFeature } from '../data/datasets.node.ts';
import { loadDomainBed } from '../data/domainbed.node.ts';
import type { DatasetConfig } from './config.ts';

function firstExisting(root: string, names: string[]): string {
  for (const n of names) if (existsSync(join(root, n))) return join(root, n);
  return join(root, names[0]);
}

/** DomainBed's transfer protocol in the runner's shape: train on the source domains, fit the
 * probe on part of the target domain (`val`), report on the rest (`test`). Both "features" are
 * the class label. */
function domainSplit(s: DomainSplit, split: 'train' | 'val' | 'test'): TwoFeatureSplit {
  return { ...s, split, easy: s.y, hard: s.y, group: s.y, decorrelated: false };
}

export async function loadDataset(cfg: DatasetConfig, seed: number): Promise<TwoFeatureDataset> {
  const o = (cfg.options ?? {}) as Record<string, unknown>;
  const dir = cfg.dataDir ?? '';
  switch (cfg.name) {
    case 'synthetic':
      return syntheticTwoFeature({ seed, ...o });
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
      const dataset = String(o.dataset ?? 'PACS');
      if (o.testDomain === undefined) throw new SamgpuError('config: dataset.options.testDomain: expected the held-out target domain (a name or an index)');
      const d = await loadDomainBed(dir, dataset, { ...o, testDomain: o.testDomain as string | number, seed } as Parameters<typeof loadDomainBed>[2]);
      const classes = { name: 'class', classes: d.classes };
      return {
        name: `domainbed-${dataset}-${d.testDomain}`,
        shape: d.shape,
        task: 'easy',
        features: { easy: classes, hard: classes },
        splits: { train: domainSplit(d.source.train, 'train'), val: domainSplit(d.target.train, 'val'), test: domainSplit(d.target.test, 'test') },
        config: d.config,
      };
    }
    default:
      throw new SamgpuError(`config: dataset.name: unknown dataset '${cfg.name}'`);
  }
}
