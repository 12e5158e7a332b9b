// The ResNet-18 step of `npm run bench -- peers`: CIFAR-style ResNet-18 (3×3/1 stem, no max
// pool; torchvision's blocks and parameter names) on a 32×32 batch, trained with SGD and SAM by
// every engine from the same weights. Described once here (and sent to torch_cpu.py inside
// workloadJson()), so each engine builds the same network from `RESNET.blocks` and
// `resnetParams()`, and their first losses must agree.
//
// Batch norm in training mode: per-channel batch mean and biased variance over (N, H, W),
// eps 1e-5, affine; running statistics are not part of the step's result (engines may or may
// not update them). Loss: mean softmax cross-entropy, labels i mod 10. No weight decay.
import { hashUniform, sizeOf } from './common.ts';

export interface ResnetBlock {
  /** torchvision's name of the block: layer1.0, layer1.1, layer2.0, … */
  prefix: string;
  inC: number;
  outC: number;
  stride: number;
  /** a 1×1 conv (stride `stride`, no bias) + BN on the shortcut */
  downsample: boolean;
}

export interface ResnetParam {
  name: string;
  /** PyTorch layout: conv OIHW, linear [out, in], BN [C] */
  shape: number[];
  /** hashUniform(size, seed, bound), or every value = fill */
  seed: number;
  bound: number;
  fill?: number;
}

function blocks(): ResnetBlock[] {
  const out: ResnetBlock[] = [];
  let inC = 64;
  [64, 128, 256, 512].forEach((outC, i) => {
    for (let b = 0; b < 2; b++) {
      const stride = b === 0 && i > 0 ? 2 : 1;
      out.push({ prefix: `layer${i + 1}.${b}`, inC, outC, stride, downsample: stride !== 1 || inC !== outC });
      inC = outC;
    }
  });
  return out;
}

export const RESNET = {
  n: 16,
  inShape: [3, 32, 32] as const,
  classes: 10,
  xSeed: 2,
  /** steps: fewer than the small CNN's (a step here costs seconds on lavapipe, tens on the peers) */
  warmup: 1,
  reps: 3,
  bnEps: 1e-5,
  blocks: blocks(),
};

/** Every parameter in torchvision's state-dict order; conv/linear ±1/√fan_in (PyTorch's default range), BN weight 1, bias 0. */
export function resnetParamSpecs(): ResnetParam[] {
  const ps: ResnetParam[] = [];
  let seed = 200;
  const conv = (name: string, o: number, i: number, k: number) => ps.push({ name, shape: [o, i, k, k], seed: seed++, bound: 1 / Math.sqrt(i * k * k) });
  const bn = (prefix: string, c: number) => {
    ps.push({ name: `${prefix}.weight`, shape: [c], seed: 0, bound: 0, fill: 1 });
    ps.push({ name: `${prefix}.bias`, shape: [c], seed: 0, bound: 0, fill: 0 });
  };
  conv('conv1.weight', 64, RESNET.inShape[0], 3);
  bn('bn1', 64);
  for (const b of RESNET.blocks) {
    conv(`${b.prefix}.conv1.weight`, b.outC, b.inC, 3);
    bn(`${b.prefix}.bn1`, b.outC);
    conv(`${b.prefix}.conv2.weight`, b.outC, b.outC, 3);
    bn(`${b.prefix}.bn2`, b.outC);
    if (b.downsample) {
      conv(`${b.prefix}.downsample.0.weight`, b.outC, b.inC, 1);
      bn(`${b.prefix}.downsample.1`, b.outC);
    }
  }
  ps.push({ name: 'fc.weight', shape: [RESNET.classes, 512], seed: seed++, bound: 1 / Math.sqrt(512) });
  ps.push({ name: 'fc.bias', shape: [RESNET.classes], seed: seed++, bound: 1 / Math.sqrt(512) });
  return ps;
}

/** name → {shape, data} (PyTorch layouts), in state-dict order. */
export function resnetParams(): Map<string, { shape: number[]; data: Float32Array }> {
  return new Map(resnetParamSpecs().map((p) => [p.name, { shape: p.shape, data: p.fill === undefined ? hashUniform(sizeOf(p.shape), p.seed, p.bound) : new Float32Array(sizeOf(p.shape)).fill(p.fill) }]));
}

/** The batch: x NCHW [16, 3, 32, 32] in [-1, 1), labels i mod 10. */
export function resnetInputs(): { x: Float32Array; labels: Float32Array } {
  const labels = new Float32Array(RESNET.n);
  for (let i = 0; i < RESNET.n; i++) labels[i] = i % RESNET.classes;
  return { x: hashUniform(RESNET.n * sizeOf(RESNET.inShape), RESNET.xSeed), labels };
}

/** What torch_cpu.py needs (part of workloadJson()). */
export function resnetJson() {
  return { ...RESNET, params: resnetParamSpecs() };
}
