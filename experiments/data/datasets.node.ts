// One entry point for the experiment runner: a two-feature dataset by name.
import { loadCelebA, type CelebaOptions } from './celeba.node.ts';
import { loadCifarMnist, type CifarMnistOptions } from './cifar-mnist.node.ts';
import { loadEmbeddedFmnistMnist, type EmbeddedOptions } from './embedded.node.ts';
import { loadFmnistMnist, type FmnistMnistOptions } from './fmnist-mnist.node.ts';
import { loadWaterbirds, type WaterbirdsOptions } from './waterbirds.node.ts';
import { DataError, type TwoFeatureDataset } from './types.ts';

export type TwoFeatureSpec =
  | ({ name: 'embedded' } & EmbeddedOptions)
  | ({ name: 'fmnist-mnist' } & FmnistMnistOptions)
  | ({ name: 'cifar-mnist' } & CifarMnistOptions)
  | ({ name: 'celeba'; root: string } & CelebaOptions)
  | ({ name: 'waterbirds'; root: string } & WaterbirdsOptions);

export const TWO_FEATURE_DATASETS = ['embedded', 'fmnist-mnist', 'cifar-mnist', 'celeba', 'waterbirds'] as const;

export async function loadTwoFeature(spec: TwoFeatureSpec): Promise<TwoFeatureDataset> {
  switch (spec.name) {
    case 'embedded': return loadEmbeddedFmnistMnist(spec);
    case 'fmnist-mnist': return loadFmnistMnist(spec);
    case 'cifar-mnist': return loadCifarMnist(spec);
    case 'celeba': return loadCelebA(spec.root, spec);
    case 'waterbirds': return loadWaterbirds(spec.root, spec);
    default: throw new DataError(`data: unknown dataset '${(spec as { name: string }).name}' (known: ${TWO_FEATURE_DATASETS.join(', ')})`);
  }
}
