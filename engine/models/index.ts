export { SmallCNN, type SmallCNNOptions } from './small-cnn.ts';
export { ResNet, BasicBlock, Bottleneck, type ResNetOptions } from './resnet.ts';
import { atMost } from '../args.ts';
import * as R from './resnet.ts';
export const resnet18 = atMost('resnet18', 1, R.resnet18);
export const resnet50 = atMost('resnet50', 1, R.resnet50);
