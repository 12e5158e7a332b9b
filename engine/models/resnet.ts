// ResNet-18/50 with torchvision's structure and parameter names (conv1, bn1, layer1.0.conv1,
// layer1.0.downsample.0, fc, …), so exported torchvision weights load one to one.
// Stems: 'imagenet' (7×7/2 conv + 3×3/2 max pool) or 'cifar' (3×3/1 conv, no pool).
import type { Tensor } from '../tensor.ts';
import { Rng } from '../random.ts';
import { SamgpuError } from '../device/errors.ts';
import { int, noMoreThan, options, show } from '../args.ts';
import { add } from '../ops/binary.ts';
import { relu } from '../ops/elementwise.ts';
import { flatten } from '../ops/shape.ts';
import { Module } from '../nn/module.ts';
import { BatchNorm2d, Conv2d, Linear } from '../nn/layers.ts';
import { AdaptiveAvgPool2d, Identity, MaxPool2d, Sequential } from '../nn/functional-layers.ts';
import { getDefaultRng, kaimingNormalFanOut } from '../nn/init.ts';

function conv(inC: number, outC: number, k: number, stride: number, rng: Rng, kaiming = true): Conv2d {
  const c = new Conv2d(inC, outC, k, { stride, padding: (k - 1) >> 1, bias: false, rng });
  if (!kaiming) return c;
  // torchvision: kaiming_normal_(mode='fan_out', nonlinearity='relu')
  const data = kaimingNormalFanOut(c.weight.size, outC * k * k, rng);
  const s = c.weight.storage();
  s.rt.write(s.buf, c.weight.offset * 4, data);
  return c;
}

function blockArgs(op: string, inplanes: unknown, planes: unknown, stride: unknown, rng: unknown): void {
  int(op, 'inplanes', inplanes, undefined, 1);
  int(op, 'planes', planes, undefined, 1);
  int(op, 'stride', stride, 1, 1);
  if (!(rng instanceof Rng)) throw new SamgpuError(`${op}: rng must be an Rng, got ${show(rng)}`);
}

export class BasicBlock extends Module {
  static readonly expansion = 1;
  readonly conv1: Conv2d; readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d; readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  /** kaiming: torchvision's kaiming-normal re-initialization of the convolutions (default true). */
  constructor(inplanes: number, planes: number, stride = 1, rng: Rng = getDefaultRng(), kaiming = true) {
    super();
    noMoreThan('BasicBlock', arguments, 5);
    blockArgs('BasicBlock', inplanes, planes, stride, rng);
    this.conv1 = this.registerModule('conv1', conv(inplanes, planes, 3, stride, rng, kaiming));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv(planes, planes, 3, 1, rng, kaiming));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = stride !== 1 || inplanes !== planes
      ? this.registerModule('downsample', new Sequential(conv(inplanes, planes, 1, stride, rng, kaiming), new BatchNorm2d(planes)))
      : null;
  }

  forward(x: Tensor): Tensor {
    const out = this.bn2.forward(this.conv2.forward(relu(this.bn1.forward(this.conv1.forward(x)))));
    return relu(add(out, this.downsample ? this.downsample.forward(x) : x));
  }
}

export class Bottleneck extends Module {
  static readonly expansion = 4;
  readonly conv1: Conv2d; readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d; readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d; readonly bn3: BatchNorm2d;
  readonly downsample: Sequential | null;

  /** kaiming: torchvision's kaiming-normal re-initialization of the convolutions (default true). */
  constructor(inplanes: number, planes: number, stride = 1, rng: Rng = getDefaultRng(), kaiming = true) {
    super();
    noMoreThan('Bottleneck', arguments, 5);
    blockArgs('Bottleneck', inplanes, planes, stride, rng);
    const width = planes;
    this.conv1 = this.registerModule('conv1', conv(inplanes, width, 1, 1, rng, kaiming));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(width));
    this.conv2 = this.registerModule('conv2', conv(width, width, 3, stride, rng, kaiming));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(width));
    this.conv3 = this.registerModule('conv3', conv(width, planes * 4, 1, 1, rng, kaiming));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(planes * 4));
    this.downsample = stride !== 1 || inplanes !== planes * 4
      ? this.registerModule('downsample', new Sequential(conv(inplanes, planes * 4, 1, stride, rng, kaiming), new BatchNorm2d(planes * 4)))
      : null;
  }

  forward(x: Tensor): Tensor {
    let out = relu(this.bn1.forward(this.conv1.forward(x)));
    out = relu(this.bn2.forward(this.conv2.forward(out)));
    out = this.bn3.forward(this.conv3.forward(out));
    return relu(add(out, this.downsample ? this.downsample.forward(x) : x));
  }
}

export interface ResNetOptions {
  classes: number;
  inChannels?: number;
  stem?: 'imagenet' | 'cifar';
  rng?: Rng;
  /** false: skip torchvision's kaiming-normal re-initialization of the convolutions (their default
   * init stays), for models whose weights are loaded next: half the construction time. */
  kaimingInit?: boolean;
}

type BlockCtor = (typeof BasicBlock | typeof Bottleneck);

export class ResNet extends Module {
  readonly conv1: Conv2d; readonly bn1: BatchNorm2d;
  readonly maxpool: Module;
  readonly layers: Sequential[];
  readonly avgpool = new AdaptiveAvgPool2d(1);
  readonly fc: Linear;
  readonly featureDim: number;

  constructor(block: BlockCtor, counts: [number, number, number, number], opts: ResNetOptions = { classes: 1000 }) {
    super();
    noMoreThan('ResNet', arguments, 3);
    options('ResNet', opts, ['classes', 'inChannels', 'stem', 'rng', 'kaimingInit']);
    if (block !== BasicBlock && block !== Bottleneck) throw new SamgpuError(`ResNet: block must be BasicBlock or Bottleneck, got ${show(block)}`);
    if (!Array.isArray(counts) || counts.length !== 4 || !counts.every((c) => Number.isInteger(c) && c >= 1)) {
      throw new SamgpuError(`ResNet: counts must be 4 block counts (e.g. [2, 2, 2, 2]), got ${show(counts)}`);
    }
    int('ResNet', 'classes', opts.classes, 1000, 1);
    int('ResNet', 'inChannels', opts.inChannels, 3, 1);
    if (opts.stem !== undefined && opts.stem !== 'imagenet' && opts.stem !== 'cifar') throw new SamgpuError(`ResNet: stem must be 'imagenet' or 'cifar', got ${show(opts.stem)}`);
    const rng = opts.rng ?? getDefaultRng();
    const cifar = opts.stem === 'cifar';
    const kaiming = opts.kaimingInit !== false;
    this.conv1 = this.registerModule('conv1', conv(opts.inChannels ?? 3, 64, cifar ? 3 : 7, cifar ? 1 : 2, rng, kaiming));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(64));
    this.maxpool = cifar ? new Identity() : new MaxPool2d(3, { stride: 2, padding: 1 });
    let inplanes = 64;
    this.layers = [64, 128, 256, 512].map((planes, i) => {
      const blocks: Module[] = [];
      for (let b = 0; b < counts[i]; b++) {
        blocks.push(new block(inplanes, planes, b === 0 && i > 0 ? 2 : 1, rng, kaiming));
        inplanes = planes * block.expansion;
      }
      return this.registerModule(`layer${i + 1}`, new Sequential(...blocks));
    });
    this.featureDim = 512 * block.expansion;
    this.fc = this.registerModule('fc', new Linear(this.featureDim, opts.classes ?? 1000, { rng }));
  }

  /** Penultimate features [N, 512·expansion] (after global average pooling). */
  features(x: Tensor): Tensor {
    let y = this.maxpool.forward(relu(this.bn1.forward(this.conv1.forward(x))));
    for (const l of this.layers) y = l.forward(y);
    return flatten(this.avgpool.forward(y), 1);
  }

  forward(x: Tensor): Tensor {
    return this.fc.forward(this.features(x));
  }
}

/** torchvision's resnet18 (classes default 1000, as num_classes). */
export function resnet18(opts?: Partial<ResNetOptions>): ResNet {
  return new ResNet(BasicBlock, [2, 2, 2, 2], { classes: 1000, ...options('resnet18', opts, ['classes', 'inChannels', 'stem', 'rng', 'kaimingInit']) });
}

/** torchvision's resnet50 (classes default 1000, as num_classes). */
export function resnet50(opts?: Partial<ResNetOptions>): ResNet {
  return new ResNet(Bottleneck, [3, 4, 6, 3], { classes: 1000, ...options('resnet50', opts, ['classes', 'inChannels', 'stem', 'rng', 'kaimingInit']) });
}

