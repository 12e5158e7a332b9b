export { SmallCNN, type SmallCNNOptions } from './small-cnn.ts';
export { ResNet, BasicBlock, Bottleneck, resnet18, resnet50, type ResNetOptions } from './resnet.ts';
