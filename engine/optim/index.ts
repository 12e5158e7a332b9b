export { SGD, type SGDOptions, type Optimizer, type OptimizerState } from './sgd.ts';
export { FlatParameters } from './flat-params.ts';
export { SAM, type SAMOptions } from './sam.ts';
export { Adam, AdamW, type AdamOptions } from './adam.ts';
export { stepLR, cosineLR, linearWarmup, constantLR, LRScheduler, type Schedule } from './schedules.ts';
