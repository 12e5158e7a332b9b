// The data layer's browser-safe part: types, pure parsers (IDX, CIFAR-10, CelebA, Waterbirds,
// the npm packages' JSON), transforms, two-feature construction, the batch iterator and a
// generated two-feature set.
// Node-only readers (files, sharp, cache) live in the *.node.ts files beside it.
export * from './types.ts';
export * from './idx.ts';
export * from './cifar10.ts';
export * from './celeba.ts';
export * from './waterbirds.ts';
export * from './domainbed.ts';
export * from './embedded-json.ts';
export * from './image.ts';
export * from './transforms.ts';
export * from './two-feature.ts';
export * from './pools.ts';
export * from './probe-sets.ts';
export * from './batches.ts';
export * from './synthetic.ts';
export * from './augment.ts';
