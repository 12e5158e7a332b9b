// The optimizer step every TensorFlow.js trainer of `npm run bench -- peers` shares (the small
// CNN's in tfjs.ts, ResNet-18's in tfjs-resnet.ts).
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { LR, MOMENTUM, RHO } from './common.ts';

type TF = typeof import('@tensorflow/tfjs');

/**
 * SGD with momentum, or SAM over it, on `lossFn` and `vars` (every trainer of this peer). SAM
 * from tfjs ops: g at θ, θ̃ = θ + ρ g/‖g‖ (θ kept by reference: assign() swaps tensors), g̃ at
 * θ̃, θ restored, momentum step with g̃. `step` returns the loss at θ, not yet read.
 */
export function tfjsStepper(tf: TF, lossFn: () => Scalar, vars: Variable[], opt: 'sgd' | 'sam') {
  const optimizer = tf.train.momentum(LR, MOMENTUM);
  const samStep = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(lossFn, vars);
      // Pairwise adds in `vars` order, not tf.addN: tfjs's AddN of 8+ tensors binds more storage
      // buffers than the default limit its device asks for (a validation error, then a broken queue).
      const norm = tf.sqrt(vars.map((p) => tf.sum(tf.square(grads[p.name]))).reduce((a, b) => tf.add(a, b)));
      const scale = tf.div(RHO, tf.add(norm, 1e-12));
      const saved = vars.map((p) => tf.keep(p.clone()));
      vars.forEach((p) => p.assign(tf.add(p, tf.mul(grads[p.name], scale))));
      const { grads: g2 } = tf.variableGrads(lossFn, vars);
      vars.forEach((p, i) => {
        p.assign(saved[i]);
        saved[i].dispose();
      });
      optimizer.applyGradients(g2 as Record<string, Variable>);
      return value;
    });
  const step = (): Tensor => (opt === 'sam' ? samStep() : optimizer.minimize(lossFn, true, vars)!);
  const dispose = () => {
    optimizer.dispose();
    // tfjs 4.22's MomentumOptimizer.dispose() skips SGDOptimizer's, which frees the −lr scalar
    // (a second dispose of a tensor does nothing, should tfjs fix it)
    tf.SGDOptimizer.prototype.dispose.call(optimizer);
  };
  return { step, dispose };
}
