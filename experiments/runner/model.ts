// The model a run trains: the config's architecture, initialized from the run's seed.
import type { Tensor } from '../../engine/tensor.ts';
import { Rng } from '../../engine/random.ts';
import type { Module } from '../../engine/nn/module.ts';
import { SmallCNN } from '../../engine/models/small-cnn.ts';
import { resnet18, resnet50 } from '../../engine/models/resnet.ts';
import type { TwoFeatureDataset } from '../data/types.ts';
import type { RunConfig } from './config.ts';
import type { FeatureExtractor } from '../probe/feature-probes.ts';
import { BlockNet } from '../toy/model.ts';
import { SamgpuError } from '../../engine/device/errors.ts';

export function buildModel(cfg: RunConfig, data: TwoFeatureDataset): Module & { features(x: Tensor): Tensor } {
  const [c, h, w] = data.shape;
  const classes = data.features[data.task].classes.length;
  const rng = new Rng(cfg.seed * 7919 + 1);
  if (cfg.model.name === 'small-cnn') return new SmallCNN({ inChannels: c, height: h, width: w, classes, rng });
  if (cfg.model.name === 'mlp' || cfg.model.name === 'branch') return vectorNet(cfg, data, classes, rng);
  const f = cfg.model.name === 'resnet18' ? resnet18 : resnet50;
  return f({ classes, inChannels: c, stem: cfg.model.stem ?? 'cifar', rng });
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
