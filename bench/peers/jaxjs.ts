// jax-js (WebGPU) column of `npm run bench -- peers`, on the Dawn instance our engine uses.
// NCHW like ours. The training step is one jit-compiled function (value-and-grad, then the
// momentum update), SAM the same with the second gradient at θ + ρ g/‖g‖ (functional: no
// ascent/restore copies needed). jax-js is lazy: a step ends with blockUntilReady on every
// output (parameters included, or the update might never run) and then reads the loss.
// Reference counting: every function consumes its array arguments; `.ref` keeps one alive.
import { readFileSync } from 'node:fs';
import {
  CLASSES, CONV_LAYERS, FEATURES, IN_SHAPE, LR, MATMUL_SEEDS, MATMUL_SIZES, MOMENTUM, N, RHO, convSeeds, emptyReport,
  hashUniform, paperInputs, paperParams, rowKey, sizeOf, sumSquares, timeOp, timeTrainSteps, attempt, deviceErrorWatch, type PeerReport,
} from './common.ts';
import { RESNET } from './resnet.ts';
import { jaxResnetTrainer } from './jaxjs-resnet.ts';
import { jaxStepper, type JaxParams } from './jaxjs-step.ts';

type Jax = typeof import('@jax-js/jax');
type Arr = import('@jax-js/jax').Array;
type Params = { w1: Arr; b1: Arr; w2: Arr; b2: Arr; w3: Arr; b3: Arr; wd: Arr; bd: Arr };

export interface JaxPeer {
  jax: Jax;
  version: string;
}

/** Loads jax-js and creates its WebGPU device. Call after navigator.gpu is set, before our init(). */
export async function prepareJax(): Promise<JaxPeer | string> {
  try {
    const jax = await import('@jax-js/jax');
    const devices = await jax.init('webgpu');
    if (!devices.includes('webgpu')) return `jax.init('webgpu') gave only ${devices.join(', ')}`;
    jax.defaultDevice('webgpu');
    let version = '?';
    try {
      version = JSON.parse(readFileSync(new URL('../../node_modules/@jax-js/jax/package.json', import.meta.url), 'utf8')).version;
    } catch {
      /* version unknown */
    }
    return { jax, version: `@jax-js/jax ${version}` };
  } catch (e) {
    return `could not load: ${String((e as Error)?.message ?? e).split('\n')[0]}`;
  }
}

const KEYS = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3', 'wd', 'bd'] as const;
const NAMES = ['body.0.weight', 'body.0.bias', 'body.2.weight', 'body.2.bias', 'body.4.weight', 'body.4.bias', 'head.weight', 'head.bias'];

export function jaxTrainer(jax: Jax, opt: 'sgd' | 'sam') {
  const { numpy: np, lax, nn } = jax;
  const src = paperParams();
  const load = (name: string) => np.array(src.get(name)!.data).reshape(src.get(name)!.shape);
  const init = Object.fromEntries(KEYS.map((k, i) => [k, load(NAMES[i])])) as Params;
  init.wd = init.wd.transpose([1, 0]); // Linear [out, in] → [in, out] for x·W
  const { x: xs, labels } = paperInputs();
  const oneHot = new Float32Array(N * CLASSES);
  labels.forEach((c, i) => (oneHot[i * CLASSES + c] = 1));
  const x = np.array(xs).reshape([N, ...IN_SHAPE]);
  const y = np.array(oneHot).reshape([N, CLASSES]);

  const conv = (h: Arr, w: Arr, b: Arr, s: number, p: number) =>
    nn.relu(lax.convGeneralDilated(h, w, [s, s], [[p, p], [p, p]]).add(b.reshape([1, -1, 1, 1])));
  const lossFn = (p: Params, x: Arr, y: Arr) => {
    let h = conv(x, p.w1, p.b1, 2, 2);
    h = conv(h, p.w2, p.b2, 2, 1);
    h = conv(h, p.w3, p.b3, 2, 1);
    const logits = np.matmul(h.reshape([N, FEATURES]), p.wd).add(p.bd);
    return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(y), -1)).neg();
  };
  return jaxStepper(jax, lossFn as (p: JaxParams, x: Arr, y: Arr) => Arr, init, x, y, opt);
}

export async function benchJax(peer: JaxPeer | string, device: string): Promise<PeerReport> {
  if (typeof peer === 'string') return { ...emptyReport('jax-js'), skipped: peer };
  const { jax } = peer;
  const { numpy: np, lax, jit, grad } = jax;
  const report = emptyReport('jax-js', peer.version, device);
  let gpuDevice: GPUDevice | undefined;
  try {
    gpuDevice = jax.getWebGPUDevice();
  } catch {
    gpuDevice = undefined;
  }
  const watch = deviceErrorWatch(gpuDevice, report);
  const release = (a: Arr) => {
    if (a.refCount > 0) a.dispose();
  };

  // The two training workloads: the small CNN (losses stored as 'sgd'/'sam') and ResNet-18.
  const workloads = [
    { what: '', key: rowKey.step, lossKey: (o: string) => o, make: jaxTrainer, warmup: undefined, reps: undefined },
    { what: 'ResNet-18 ', key: rowKey.resnet, lossKey: rowKey.resnet, make: jaxResnetTrainer, warmup: RESNET.warmup, reps: RESNET.reps },
  ];
  for (const w of workloads) {
    for (const opt of ['sgd', 'sam'] as const) {
      await attempt(report, `${w.what}${opt} step`, async () => {
        const t = w.make(jax, opt);
        try {
          await watch.measure(w.key(opt), async () => {
            const r = await timeTrainSteps(t.step, w.warmup, w.reps);
            report.losses[w.lossKey(opt)] = r.losses;
            return r.timing;
          });
        } finally {
          t.dispose();
        }
      });
    }
  }

  await attempt(report, 'matmul', async () => {
    const mm = jit((a: Arr, b: Arr) => np.matmul(a, b));
    for (const n of MATMUL_SIZES) {
      const a = np.array(hashUniform(n * n, MATMUL_SEEDS[0])).reshape([n, n]);
      const b = np.array(hashUniform(n * n, MATMUL_SEEDS[1])).reshape([n, n]);
      report.checks[rowKey.matmul(n)] = sumSquares(await mm(a.ref, b.ref).data());
      await watch.measure(rowKey.matmul(n), () =>
        timeOp(async () => {
          const c = mm(a.ref, b.ref);
          await c.blockUntilReady();
          release(c);
        }),
      );
      a.dispose();
      b.dispose();
    }
    mm.dispose();
  });

  for (const [i, l] of CONV_LAYERS.entries()) {
    await attempt(report, `conv layer ${i}`, async () => {
      const s = Number(l.opts.stride ?? 1), p = Number(l.opts.padding ?? 0);
      const conv = (x: Arr, w: Arr) => lax.convGeneralDilated(x, w, [s, s], [[p, p], [p, p]]);
      const [sx, sw, sdy] = convSeeds(i);
      const x = np.array(hashUniform(sizeOf(l.x), sx)).reshape(l.x);
      const w = np.array(hashUniform(sizeOf(l.w), sw)).reshape(l.w);
      const oh = Math.floor((l.x[2] + 2 * p - l.w[2]) / s) + 1, ow = Math.floor((l.x[3] + 2 * p - l.w[3]) / s) + 1;
      const yShape = [l.x[0], l.w[0], oh, ow];
      const dy = np.array(hashUniform(sizeOf(yShape), sdy)).reshape(yShape);
      // Input and weight gradients as a training step's backward computes them: the gradient of
      // Σ conv(x, w)·dy under jit, whose jaxpr holds only the transposed conv (checked below).
      const fns = {
        fwd: jit((x: Arr, w: Arr, dy: Arr) => (dy.dispose(), conv(x, w))),
        dx: jit((x: Arr, w: Arr, dy: Arr) => grad((xx: Arr) => np.sum(conv(xx, w).mul(dy)))(x)),
        dw: jit((x: Arr, w: Arr, dy: Arr) => grad((ww: Arr) => np.sum(conv(x, ww).mul(dy)))(w)),
      };
      for (const which of ['dx', 'dw'] as const) {
        const text = String(jax.makeJaxpr((x: Arr, w: Arr, dy: Arr) => (which === 'dx' ? grad((xx: Arr) => np.sum(conv(xx, w).mul(dy)))(x) : grad((ww: Arr) => np.sum(conv(x, ww).mul(dy)))(w)))(x.ref, w.ref, dy.ref).jaxpr);
        const convs = (text.match(/= conv\b/g) ?? []).length;
        if (convs !== 1) report.notes.push(`conv layer ${i} ${which}: the jaxpr holds ${convs} convs (timed value includes more than the gradient)`);
      }
      for (const which of ['fwd', 'dx', 'dw'] as const) {
        const f = fns[which];
        report.checks[rowKey.conv(i, which)] = sumSquares(await f(x.ref, w.ref, dy.ref).data());
        await watch.measure(rowKey.conv(i, which), () =>
          timeOp(async () => {
            const out = f(x.ref, w.ref, dy.ref);
            await out.blockUntilReady();
            release(out);
          }),
        );
        f.dispose();
      }
      for (const t of [x, w, dy]) t.dispose();
    });
  }
  watch.done();
  return report;
}
