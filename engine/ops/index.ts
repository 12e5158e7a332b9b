// The public ops: each with the most arguments it takes (PyTorch's positional ones included),
// so an argument PyTorch has and samgpu does not (`alpha`, `out`, `inplace`, `dtype`) is an
// error instead of being dropped. Engine code imports the op files directly.
import { atMost } from '../args.ts';
import * as ew from './elementwise.ts';
import * as bin from './binary.ts';
import * as red from './reduce.ts';
import * as shp from './shape.ts';
import * as mm from './matmul.ts';
import * as lin from './linear.ts';
import * as conv from './conv2d.ts';
import * as pool from './pool.ts';
import * as bn from './batchnorm.ts';
import * as loss from './loss.ts';
import * as sel from './select.ts';
import * as drop from './dropout.ts';
import * as lay from './layout.ts';
import * as aug from './augment.ts';

export type { MatmulConfig } from './matmul.ts';
export type { Conv2dOptions } from './conv2d.ts';
export type { Pool2dOptions, AvgPool2dOptions } from './pool.ts';
export type { BatchNormOptions } from './batchnorm.ts';
export type { Reduction, CrossEntropyOptions } from './loss.ts';
export type { DropoutOptions } from './dropout.ts';
export type { AugmentBatchOptions } from './augment.ts';
export { AUGMENT_PARAMS } from './augment.ts';

// elementwise
export const neg = atMost('neg', 1, ew.neg);
export const exp = atMost('exp', 1, ew.exp);
export const log = atMost('log', 1, ew.log);
export const relu = atMost('relu', 1, ew.relu);
export const sigmoid = atMost('sigmoid', 1, ew.sigmoid);
export const tanh = atMost('tanh', 1, ew.tanh);
export const sqrt = atMost('sqrt', 1, ew.sqrt);
export const abs = atMost('abs', 1, ew.abs);
export const square = atMost('square', 1, ew.square);
export const addScalar = atMost('addScalar', 2, ew.addScalar);
export const mulScalar = atMost('mulScalar', 2, ew.mulScalar);
export const affine = atMost('affine', 3, ew.affine);
export const rsubScalar = atMost('rsubScalar', 2, ew.rsubScalar);
export const powScalar = atMost('powScalar', 2, ew.powScalar);
export const copyInto = atMost('copyInto', 2, ew.copyInto);
export const full = atMost('full', 3, ew.full);
export const fillInto = atMost('fillInto', 2, ew.fillInto);
export const addInto = atMost('addInto', 2, ew.addInto);
export const zeros = ew.zeros; // varargs shapes: every argument is checked
export const ones = ew.ones;
export const zerosLike = atMost('zerosLike', 1, ew.zerosLike);
export const onesLike = atMost('onesLike', 1, ew.onesLike);
export const clone = atMost('clone', 1, ew.clone);
export const step = atMost('step', 1, ew.step);
// binary
export const add = atMost('add', 2, bin.add);
export const sub = atMost('sub', 2, bin.sub);
export const mul = atMost('mul', 2, bin.mul);
export const div = atMost('div', 2, bin.div);
export const maximum = atMost('maximum', 2, bin.maximum);
export const minimum = atMost('minimum', 2, bin.minimum);
export const eq = atMost('eq', 2, bin.eq);
export const gt = atMost('gt', 2, bin.gt);
export const sumTo = atMost('sumTo', 2, bin.sumTo);
// reductions: (x, dim, keepDims)
export const sum = atMost('sum', 3, red.sum);
export const mean = atMost('mean', 3, red.mean);
export const max = atMost('max', 3, red.max);
export const min = atMost('min', 3, red.min);
// shape
export const reshape = shp.reshape; // varargs shape
export const flatten = atMost('flatten', 3, shp.flatten);
export const permute = shp.permute; // varargs dims
export const transpose = atMost('transpose', 3, shp.transpose);
export const expand = shp.expand; // varargs shape
export const unsqueeze = atMost('unsqueeze', 2, shp.unsqueeze);
export const squeeze = atMost('squeeze', 2, shp.squeeze);
// linear algebra
export const matmul = atMost('matmul', 2, mm.matmul);
export const matmulKernel = atMost('matmulKernel', 5, mm.matmulKernel);
export const matmulConfig = atMost('matmulConfig', 1, mm.matmulConfig);
export const linear = atMost('linear', 3, lin.linear);
// conv nets: (x, w, b, stride, padding, dilation, groups); pooling as F.max_pool2d / F.avg_pool2d
export const conv2d = atMost('conv2d', 7, conv.conv2d);
export const conv2dRelu = atMost('conv2dRelu', 7, conv.conv2dRelu);
export const maxPool2d = atMost('maxPool2d', 7, pool.maxPool2d);
export const avgPool2d = atMost('avgPool2d', 7, pool.avgPool2d);
export const adaptiveAvgPool2d = atMost('adaptiveAvgPool2d', 2, pool.adaptiveAvgPool2d);
export const globalAvgPool2d = atMost('globalAvgPool2d', 1, pool.globalAvgPool2d);
export const batchNorm = atMost('batchNorm', 8, bn.batchNorm);
export const dropout = atMost('dropout', 4, drop.dropout);
// losses and selection
export const softmax = atMost('softmax', 2, loss.softmax);
export const logSoftmax = atMost('logSoftmax', 2, loss.logSoftmax);
export const crossEntropy = atMost('crossEntropy', 3, loss.crossEntropy);
export const crossEntropyWithWeights = atMost('crossEntropyWithWeights', 3, loss.crossEntropyWithWeights);
export const softmaxImportanceWeights = atMost('softmaxImportanceWeights', 2, loss.softmaxImportanceWeights);
export const bceWithLogits = atMost('bceWithLogits', 3, loss.bceWithLogits);
export const logisticLoss = atMost('logisticLoss', 3, loss.logisticLoss);
export const logisticLossWithWeights = atMost('logisticLossWithWeights', 3, loss.logisticLossWithWeights);
export const logisticImportanceWeights = atMost('logisticImportanceWeights', 2, loss.logisticImportanceWeights);
export const mseLoss = atMost('mseLoss', 3, loss.mseLoss);
export const argmax = atMost('argmax', 3, sel.argmax);
export const accuracy = atMost('accuracy', 2, sel.accuracy);
// layout
export const pad = atMost('pad', 4, lay.pad);
export const concat = atMost('concat', 2, lay.concat);
export const slice = atMost('slice', 4, lay.slice);
// augmentation (training batches from 8-bit sources)
export const augmentBatch = atMost('augmentBatch', 4, aug.augmentBatch);
