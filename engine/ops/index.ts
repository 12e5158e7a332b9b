export { neg, exp, log, relu, sigmoid, tanh, sqrt, abs, square, addScalar, mulScalar, affine, rsubScalar, powScalar, copyInto,
  full, fillInto, addInto, zeros, ones, zerosLike, onesLike, clone, step } from './elementwise.ts';
export { add, sub, mul, div, maximum, minimum, eq, gt, sumTo } from './binary.ts';
export { sum, mean, max, min } from './reduce.ts';
export { reshape, flatten, permute, transpose, expand, unsqueeze, squeeze } from './shape.ts';
export { matmul, matmulKernel, matmulConfig, type MatmulConfig } from './matmul.ts';
export { linear } from './linear.ts';
export { conv2d, conv2dRelu, type Conv2dOptions } from './conv2d.ts';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, globalAvgPool2d, type Pool2dOptions, type AvgPool2dOptions } from './pool.ts';
export { batchNorm, type BatchNormOptions } from './batchnorm.ts';
export { softmax, logSoftmax, crossEntropy, softmaxImportanceWeights, bceWithLogits, logisticLoss, logisticImportanceWeights, mseLoss, type Reduction } from './loss.ts';
export { argmax, accuracy } from './select.ts';
export { dropout } from './dropout.ts';
export { augmentBatch, AUGMENT_PARAMS, type AugmentBatchOptions } from './augment.ts';
export { pad, concat, slice } from './layout.ts';
