// The data readers that need files (the library's `dataFiles`): every two-feature dataset by
// name, and the standard on-disk formats one by one. Nothing here downloads.
export { loadTwoFeature, TWO_FEATURE_DATASETS, type TwoFeatureSpec } from './datasets.node.ts';
export { loadIdxSplit, findIdxFile, readMaybeGz, type IdxSplit } from './idx.node.ts';
export { loadCifar10, cifarFiles } from './cifar10.node.ts';
export { loadCelebA, type CelebaOptions } from './celeba.node.ts';
export { loadWaterbirds, type WaterbirdsOptions } from './waterbirds.node.ts';
export { loadDomainBed, scanDomainBed, type DomainBedOptions } from './domainbed.node.ts';
export { loadCifarMnist, type CifarMnistOptions } from './cifar-mnist.node.ts';
export { loadFmnistMnist, type FmnistMnistOptions } from './fmnist-mnist.node.ts';
export { loadEmbeddedFmnistMnist, type EmbeddedOptions } from './embedded.node.ts';
export { decodeFile, decodeImage, loadImages } from './decode.node.ts';
