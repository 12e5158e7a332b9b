// The optimizer step every jax-js trainer of `npm run bench -- peers` shares (the small CNN's in
// jaxjs.ts, ResNet-18's in jaxjs-resnet.ts): one jit-compiled function per step, value-and-grad
// then the momentum update; SAM functional, the second gradient at θ + ρ g/(‖g‖+1e-12) (no
// ascent/restore copies needed). A step ends with blockUntilReady on every output (parameters
// included, or the update might never run), then reads the loss.
// Reference counting: every function consumes its array arguments; `.ref` keeps one alive.
import { LR, MOMENTUM, RHO } from './common.ts';

type Jax = typeof import('@jax-js/jax');
type Arr = import('@jax-js/jax').Array;
export type JaxParams = Record<string, Arr>;

/** SGD (momentum) or SAM over `lossFn(params, x, y)` from `init` (consumed; keys in ‖g‖'s summation order). */
export function jaxStepper(jax: Jax, lossFn: (p: JaxParams, x: Arr, y: Arr) => Arr, init: JaxParams, x: Arr, y: Arr, opt: 'sgd' | 'sam') {
  const { numpy: np, jit, valueAndGrad, grad } = jax;
  const keys = Object.keys(init);
  const refs = (p: JaxParams): JaxParams => Object.fromEntries(keys.map((k) => [k, p[k].ref]));
  const momentumStep = (p: JaxParams, m: JaxParams, g: JaxParams) => {
    const m2: JaxParams = Object.fromEntries(keys.map((k) => [k, m[k].mul(MOMENTUM).add(g[k])]));
    const p2: JaxParams = Object.fromEntries(keys.map((k) => [k, p[k].sub(m2[k].ref.mul(LR))]));
    return [p2, m2] as const;
  };
  const sgdStep = jit((p: JaxParams, m: JaxParams, x: Arr, y: Arr) => {
    const [loss, g] = valueAndGrad(lossFn)(refs(p), x, y) as unknown as [Arr, JaxParams];
    const [p2, m2] = momentumStep(p, m, g);
    return [p2, m2, loss];
  });
  const samStep = jit((p: JaxParams, m: JaxParams, x: Arr, y: Arr) => {
    const [loss, g] = valueAndGrad(lossFn)(refs(p), x.ref, y.ref) as unknown as [Arr, JaxParams];
    const sq = keys.map((k) => np.sum(np.square(g[k].ref)));
    const norm = np.sqrt(sq.reduce((a, b) => a.add(b)));
    const scale = np.divide(RHO, norm.add(1e-12));
    const phantom: JaxParams = Object.fromEntries(keys.map((k) => [k, p[k].ref.add(g[k].mul(scale.ref))]));
    scale.dispose();
    const g2 = grad(lossFn)(phantom, x, y) as unknown as JaxParams;
    const [p2, m2] = momentumStep(p, m, g2);
    return [p2, m2, loss];
  });
  let params = init;
  let mom: JaxParams = Object.fromEntries(keys.map((k) => [k, np.zerosLike(params[k].ref)]));
  const stepFn = opt === 'sam' ? samStep : sgdStep;
  const step = async (): Promise<number> => {
    const [p2, m2, loss] = stepFn(params, mom, x.ref, y.ref) as unknown as [JaxParams, JaxParams, Arr];
    params = p2;
    mom = m2;
    await jax.blockUntilReady([params, mom, loss]);
    return (await loss.data())[0]; // data() consumes the loss
  };
  const dispose = () => {
    for (const a of [x, y, ...keys.map((k) => params[k]), ...keys.map((k) => mom[k])]) a.dispose();
    sgdStep.dispose();
    samStep.dispose();
  };
  return { step, dispose };
}
