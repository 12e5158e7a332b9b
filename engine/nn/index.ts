export { Module, type StateDictSource, type StateDictValue } from './module.ts';
export { Linear, Conv2d, BatchNorm1d, BatchNorm2d, type LinearOptions, type Conv2dLayerOptions, type BatchNormLayerOptions } from './layers.ts';
export { isBatchNorm } from './layers.ts'; // a predicate: fine as a filter callback
export { getDefaultRng } from './init.ts';
export { ReLU, Identity, Flatten, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Dropout, Sequential } from './functional-layers.ts';
import { atMost } from '../args.ts';
import * as L from './layers.ts';
import * as I from './init.ts';
export const setBatchNormStatsUpdate = atMost('setBatchNormStatsUpdate', 2, L.setBatchNormStatsUpdate);
export const manualSeed = atMost('manualSeed', 1, I.manualSeed);
export const kaimingUniformDefault = atMost('kaimingUniformDefault', 3, I.kaimingUniformDefault);
export const kaimingNormalFanOut = atMost('kaimingNormalFanOut', 3, I.kaimingNormalFanOut);
