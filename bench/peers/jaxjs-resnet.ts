// jax-js's ResNet-18 step (bench/peers/resnet.ts), NCHW like the small CNN's trainer in jaxjs.ts
// and stepped by the same jaxStepper. Parameters are a record keyed by the state-dict names, so
// the tree jax-js differentiates is the network's own.
// Reference counting: every function consumes its array arguments; `.ref` keeps one alive.
import { RESNET, resnetInputs, resnetParams } from './resnet.ts';
import { jaxStepper, type JaxParams } from './jaxjs-step.ts';

type Jax = typeof import('@jax-js/jax');
type Arr = import('@jax-js/jax').Array;
type Params = JaxParams;

export function jaxResnetTrainer(jax: Jax, opt: 'sgd' | 'sam'): { step: () => Promise<number>; dispose: () => void } {
  const { numpy: np, lax, nn } = jax;
  const { n, classes, bnEps, blocks } = RESNET;
  const src = resnetParams();
  const init: Params = {};
  for (const [name, { shape, data }] of src) init[name] = np.array(data).reshape(shape);
  init['fc.weight'] = init['fc.weight'].transpose([1, 0]); // Linear [out, in] → [in, out] for x·W
  const { x: xs, labels } = resnetInputs();
  const oneHot = new Float32Array(n * classes);
  labels.forEach((c, i) => (oneHot[i * classes + c] = 1));
  const x = np.array(xs).reshape([n, ...RESNET.inShape]);
  const y = np.array(oneHot).reshape([n, classes]);

  const conv = (h: Arr, w: Arr, s: number, pad: number) => lax.convGeneralDilated(h, w, [s, s], [[pad, pad], [pad, pad]]);
  // Training-mode BN: batch mean and biased variance over N, H, W (centred first, as PyTorch
  // does, rather than nn.standardize's E[x²] − E[x]²).
  const bn = (h: Arr, p: Params, prefix: string) => {
    const mu = np.mean(h.ref, [0, 2, 3], { keepdims: true });
    const xc = h.sub(mu);
    const variance = np.mean(np.square(xc.ref), [0, 2, 3], { keepdims: true });
    return xc.div(np.sqrt(variance.add(bnEps))).mul(p[`${prefix}.weight`].reshape([1, -1, 1, 1])).add(p[`${prefix}.bias`].reshape([1, -1, 1, 1]));
  };
  const lossFn = (p: Params, x: Arr, y: Arr) => {
    let h = nn.relu(bn(conv(x, p['conv1.weight'], 1, 1), p, 'bn1'));
    for (const b of blocks) {
      const pre = b.prefix;
      const shortcut = b.downsample ? bn(conv(h.ref, p[`${pre}.downsample.0.weight`], b.stride, 0), p, `${pre}.downsample.1`) : h.ref;
      let out = nn.relu(bn(conv(h, p[`${pre}.conv1.weight`], b.stride, 1), p, `${pre}.bn1`));
      out = bn(conv(out, p[`${pre}.conv2.weight`], 1, 1), p, `${pre}.bn2`);
      h = nn.relu(out.add(shortcut));
    }
    const logits = np.matmul(np.mean(h, [2, 3]), p['fc.weight']).add(p['fc.bias']);
    return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(y), -1)).neg();
  };
  return jaxStepper(jax, lossFn, init, x, y, opt);
}
