// The model a run trains: the config's architecture, initialized from the run's seed.
import type { Tensor } from '../../engine/tensor.ts';
import { Rng } from '../../engine/random.ts';
import type { Module } from '../../engine/nn/module.ts';
import { SmallCNN } from '../../engine/models/small-cnn.ts';
import { resnet18, resnet50 } from '../../engine/models/resnet.ts';
import type { TwoFeatureDataset } from '../data/types.ts';
import type { RunConfig } from './config.ts';
import type { FeatureExtractor } from '../probe/feature-probes.ts';

export function buildModel(cfg: RunConfig, data: TwoFeatureDataset): Module & { features(x: Tensor): Tensor } {
  const [c, h, w] = data.shape;
  const classes = data.features[data.task].classes.length;
  const rng = new Rng(cfg.seed * 7919 + 1);
  if (cfg.model.name === 'small-cnn') return new SmallCNN({ inChannels: c, height: h, width: w, classes, rng });
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
