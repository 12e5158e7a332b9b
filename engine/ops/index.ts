export { neg, exp, log, relu, sigmoid, tanh, sqrt, abs, square, addScalar, mulScalar, affine, rsubScalar, powScalar,
  full, fillInto, addInto, zeros, ones, zerosLike, onesLike, clone, step } from './elementwise.ts';
export { add, sub, mul, div, maximum, minimum, eq, gt, sumTo } from './binary.ts';
export { sum, mean, max, min } from './reduce.ts';
export { reshape, flatten, permute, transpose, expand, unsqueeze, squeeze } from './shape.ts';
export { matmul, matmulKernel, matmulConfig, type MatmulConfig } from './matmul.ts';
