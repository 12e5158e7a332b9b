export { Module } from './module.ts';
export { Linear, Conv2d, BatchNorm1d, BatchNorm2d, isBatchNorm, setBatchNormStatsUpdate, type Conv2dLayerOptions, type BatchNormLayerOptions } from './layers.ts';
export { ReLU, Identity, Flatten, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Dropout, Sequential } from './functional-layers.ts';
export { manualSeed, getDefaultRng, kaimingUniformDefault, kaimingNormalFanOut } from './init.ts';
