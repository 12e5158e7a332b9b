// The ResNet-18 step (bench/peers/resnet.ts) in TensorFlow.js ops, for the tfjs column of
// `npm run bench -- peers`. NHWC (tfjs's layout): the NCHW batch and OIHW conv weights are
// transposed (to NHWC, HWIO), the fc weight [10, 512] to [512, 10]; global average pooling
// makes the fc's input order the channel order in both layouts, so no row permutation.
import type { Scalar, Tensor, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs';
import { RESNET, resnetInputs, resnetParams } from './resnet.ts';
import { tfjsStepper } from './tfjs-step.ts';

type TF = typeof import('@tensorflow/tfjs');
type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

const padNHWC = (p: number): Pad4 => [[0, 0], [p, p], [p, p], [0, 0]];

export function tfjsResnetTrainer(tf: TF, opt: 'sgd' | 'sam', tag: string): { step: () => Tensor; dispose: () => void } {
  const src = resnetParams();
  const { x: xs, labels } = resnetInputs();
  const { n, classes } = RESNET;
  const oneHot = new Float32Array(n * classes);
  labels.forEach((c, i) => (oneHot[i * classes + c] = 1));
  const x = tf.tidy(() => tf.tensor(xs, [n, ...RESNET.inShape]).transpose([0, 2, 3, 1])) as Tensor4D;
  const y = tf.tensor(oneHot, [n, classes]);
  // In state-dict order, so ‖g‖'s pairwise sum runs in the same order as the other engines'.
  const v = new Map<string, Variable>();
  for (const [name, p] of src) {
    const init = tf.tidy(() => {
      const t = tf.tensor(p.data, p.shape);
      if (p.shape.length === 4) return t.transpose([2, 3, 1, 0]); // OIHW → HWIO
      if (p.shape.length === 2) return t.transpose(); // fc [10, 512] → [512, 10]
      return t;
    });
    v.set(name, tf.variable(init, true, `${tag}/${name}`)); // shares init's data: init must go too
    init.dispose();
  }
  const vars = [...v.values()];
  const get = (name: string) => v.get(name)!;

  const conv = (h: Tensor4D, name: string, stride: number, pad: number) => tf.conv2d(h, get(name) as Tensor4D, stride, padNHWC(pad));
  // Training-mode BN: batch mean and biased variance over N, H, W (tf.moments), which tfjs's
  // batchNorm gradient handles as inputs, so the gradient flows through the statistics too.
  const bn = (h: Tensor4D, prefix: string) => {
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    return tf.batchNorm(h, mean, variance, get(`${prefix}.bias`), get(`${prefix}.weight`), RESNET.bnEps) as Tensor4D;
  };
  const lossFn = () => {
    let h = tf.relu(bn(conv(x, 'conv1.weight', 1, 1), 'bn1'));
    for (const b of RESNET.blocks) {
      const p = b.prefix;
      const out = bn(conv(tf.relu(bn(conv(h, `${p}.conv1.weight`, b.stride, 1), `${p}.bn1`)), `${p}.conv2.weight`, 1, 1), `${p}.bn2`);
      const short = b.downsample ? bn(conv(h, `${p}.downsample.0.weight`, b.stride, 0), `${p}.downsample.1`) : h;
      h = tf.relu(tf.add(out, short) as Tensor4D);
    }
    const pooled = tf.mean(h, [1, 2]) as Tensor2D;
    const logits = tf.fused.matMul({ a: pooled, b: get('fc.weight') as Tensor2D, bias: get('fc.bias') });
    return tf.losses.softmaxCrossEntropy(y, logits) as Scalar;
  };

  const t = tfjsStepper(tf, lossFn, vars, opt);
  const dispose = () => {
    t.dispose();
    for (const a of [x, y, ...vars]) a.dispose();
  };
  return { step: t.step, dispose };
}
