// The model a run trains: the config's architecture, initialized from the run's seed, then the
// pretrained weights when the config names them (their bytes come from the Node shell).
import type { Tensor } from '../../engine/tensor.ts';
import { Rng } from '../../engine/random.ts';
import { SamgpuError } from '../../engine/device/errors.ts';
import type { Module } from '../../engine/nn/module.ts';
import { isBatchNorm } from '../../engine/nn/layers.ts';
import { SmallCNN } from '../../engine/models/small-cnn.ts';
import { resnet18, resnet50 } from '../../engine/models/resnet.ts';
import { loadPretrained } from '../../engine/io/torchvision-weights.ts';
import type { TwoFeatureDataset } from '../data/types.ts';
import type { RunConfig } from './config.ts';
import type { FeatureExtractor } from '../probe/feature-probes.ts';
import { BlockNet } from '../toy/model.ts';

export function buildModel(cfg: RunConfig, data: TwoFeatureDataset, weights?: Uint8Array): Module & { features(x: Tensor): Tensor } {
  const [c, h, w] = data.shape;
  const classes = data.features[data.task].classes.length;
  const rng = new Rng(cfg.seed * 7919 + 1);
  if (cfg.model.name === 'small-cnn') return new SmallCNN({ inChannels: c, height: h, width: w, classes, rng });
  if (cfg.model.name === 'mlp' || cfg.model.name === 'branch') return vectorNet(cfg, data, classes, rng);
  const f = cfg.model.name === 'resnet18' ? resnet18 : resnet50;
  // loaded weights replace every convolution: skip their kaiming re-initialization
  const model = f({ classes, inChannels: c, stem: cfg.model.stem ?? 'cifar', rng, kaimingInit: !cfg.model.weights });
  if (cfg.model.weights) {
    if (!weights) throw new SamgpuError(`model.weights: ${cfg.model.weights} was not read (runExperiment needs its bytes in hooks.weights)`);
    try {
      loadPretrained(model, weights, { head: cfg.model.head ?? 'reset', source: cfg.model.weights });
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  return model;
}

/** Batch norm in eval mode inside a training model (DomainBed's frozen BN); call after model.train(). */
export function freezeBatchNorm(model: Module): void {
  for (const [, m] of model.modules()) if (isBatchNorm(m)) m.training = false;
}

/** What the probes read from a run's model (config `probe.representation`). */
export function probeExtractor(model: Module & { features(x: Tensor): Tensor }, representation: 'penultimate' | 'pooled'): FeatureExtractor {
  const pooled = representation === 'pooled' && model instanceof SmallCNN;
  return {
    train: (on?: boolean) => model.train(on),
    // ResNets' penultimate features are already globally pooled
    features: (x: Tensor) => (pooled ? (model as SmallCNN).pooledFeatures(x) : model.features(x)),
  };
}

/**
 * The toy's nets on a vector dataset: one branch (or a share of one dense layer) of `units`
 * hidden units per annotated feature, over the input coordinates the dataset says it occupies.
 */
function vectorNet(cfg: RunConfig, data: TwoFeatureDataset, classes: number, rng: Rng): BlockNet {
  const d = data.shape[0] * data.shape[1] * data.shape[2];
  const units = cfg.model.units ?? 16;
  const features = data.annotated ?? [];
  if (cfg.model.name === 'branch' && !features.every((f) => f.coordinates) || (cfg.model.name === 'branch' && !features.length)) {
    throw new SamgpuError(`model 'branch' needs a vector dataset that says which input coordinates carry each feature ('lms', 'toy'); '${data.name}' does not`);
  }
  const blocks = features.length && features.every((f) => f.coordinates)
    ? features.map((f) => ({ coordinates: f.coordinates!, units }))
    : [{ coordinates: [0, d] as [number, number], units: 2 * units }];
  return new BlockNet({ structure: cfg.model.name === 'branch' ? 'branch' : 'mlp', blocks, inputDim: d, outputs: classes, bias: cfg.model.bias ?? true }, rng);
}
