// TensorFlow.js (tfjs-backend-webgpu) column of `npm run bench -- peers`, on the Dawn instance
// our engine uses. NHWC (tfjs's layout; the same FLOPs): inputs and weights are common.ts's
// NCHW/OIHW values transposed, and the dense weight's rows permuted to NHWC flattening, so the
// model computes the same function as ours. Syncs: a training step reads its loss back (as
// ours does); an op flushes tfjs's command queue and waits for the device queue.
import { readFileSync } from 'node:fs';
import {
  CONV_LAYERS, FEATURES, IN_SHAPE, MATMUL_SEEDS, MATMUL_SIZES, N, convSeeds, emptyReport, hashUniform,
  paperInputs, paperParams, rowKey, sizeOf, sumSquares, timeOp, timeTrainSteps, attempt, deviceErrorWatch, type PeerReport,
} from './common.ts';
import { RESNET } from './resnet.ts';
import { tfjsResnetTrainer } from './tfjs-resnet.ts';
import { tfjsStepper } from './tfjs-step.ts';

function packageVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return '?';
  }
}

type TF = typeof import('@tensorflow/tfjs');
type Tensor = import('@tensorflow/tfjs').Tensor;
type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

export interface TfjsPeer {
  tf: TF;
  version: string;
}

/** Loads tfjs and creates its WebGPU device. Call after navigator.gpu is set, before our init(). */
export async function prepareTfjs(): Promise<TfjsPeer | string> {
  try {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-webgpu'); // registers the backend (needs navigator.gpu)
    if (!(await tf.setBackend('webgpu'))) return 'tf.setBackend("webgpu") returned false';
    await tf.ready();
    return { tf, version: `@tensorflow/tfjs ${tf.version.tfjs}, tfjs-backend-webgpu ${packageVersion('@tensorflow/tfjs-backend-webgpu')}` };
  } catch (e) {
    return `could not load: ${String((e as Error)?.message ?? e).split('\n')[0]}`;
  }
}

interface WebGpuBackendLike {
  device: GPUDevice;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const padNHWC = (p: number): Pad4 => [[0, 0], [p, p], [p, p], [0, 0]];

export function tfjsTrainer(tf: TF, opt: 'sgd' | 'sam', tag: string) {
  const src = paperParams();
  const { x: xs, labels } = paperInputs();
  const oneHot = new Float32Array(N * 2);
  labels.forEach((c, i) => (oneHot[i * 2 + c] = 1));
  const x = tf.tidy(() => tf.tensor(xs, [N, ...IN_SHAPE]).transpose([0, 2, 3, 1]));
  const y = tf.tensor(oneHot, [N, 2]);
  const param = (name: string, f: (t: Tensor) => Tensor = (t) => t) => {
    const p = src.get(name)!;
    const init = tf.tidy(() => f(tf.tensor(p.data, p.shape)));
    const variable = tf.variable(init, true, `${tag}/${name}`); // shares init's data: init must go too
    init.dispose();
    return variable;
  };
  const hwio = (t: Tensor) => t.transpose([2, 3, 1, 0]);
  const v = {
    w1: param('body.0.weight', hwio), b1: param('body.0.bias'),
    w2: param('body.2.weight', hwio), b2: param('body.2.bias'),
    w3: param('body.4.weight', hwio), b3: param('body.4.bias'),
    // [2, 128·8·4] in NCHW flattening → [8·4·128, 2] in NHWC flattening
    wd: param('head.weight', (t) => t.reshape([2, 128, 8, 4]).transpose([2, 3, 1, 0]).reshape([FEATURES, 2])),
    bd: param('head.bias'),
  };
  const vars = Object.values(v);
  const conv = (h: Tensor, w: Tensor, b: Tensor, s: number, p: number) =>
    tf.relu(tf.fused.conv2d({ x: h as import('@tensorflow/tfjs').Tensor4D, filter: w as import('@tensorflow/tfjs').Tensor4D, strides: s, pad: padNHWC(p), bias: b }));
  const lossFn = () => {
    let h = conv(x, v.w1, v.b1, 2, 2);
    h = conv(h, v.w2, v.b2, 2, 1);
    h = conv(h, v.w3, v.b3, 2, 1);
    const logits = tf.fused.matMul({ a: h.reshape([N, FEATURES]) as import('@tensorflow/tfjs').Tensor2D, b: v.wd, bias: v.bd });
    return tf.losses.softmaxCrossEntropy(y, logits) as import('@tensorflow/tfjs').Scalar;
  };
  const t = tfjsStepper(tf, lossFn, vars, opt);
  const dispose = () => {
    t.dispose();
    for (const a of [x, y, ...vars]) a.dispose();
  };
  return { step: t.step, dispose };
}


export async function benchTfjs(peer: TfjsPeer | string, device: string): Promise<PeerReport> {
  if (typeof peer === 'string') return { ...emptyReport('tfjs-webgpu'), skipped: peer };
  const { tf } = peer;
  const report = emptyReport('tfjs-webgpu', peer.version, device);
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  // What tfjs does before a readback, minus the copy: close the pass, submit (tfjs keeps the
  // last <15 dispatches unsubmitted), then wait for the device.
  const sync = async () => {
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
  };
  const tensorsBefore = tf.memory().numTensors;
  const watch = deviceErrorWatch(backend.device, report);

  // The two training workloads: the small CNN (losses stored as 'sgd'/'sam') and ResNet-18.
  const workloads = [
    { what: '', key: rowKey.step, lossKey: (o: string) => o, make: tfjsTrainer, warmup: undefined, reps: undefined },
    { what: 'ResNet-18 ', key: rowKey.resnet, lossKey: rowKey.resnet, make: tfjsResnetTrainer, warmup: RESNET.warmup, reps: RESNET.reps },
  ];
  for (const w of workloads) {
    for (const opt of ['sgd', 'sam'] as const) {
      await attempt(report, `${w.what}${opt} step`, async () => {
        const t = w.make(tf, opt, `bench-${w.what ? 'resnet-' : ''}${opt}`);
        try {
          await watch.measure(w.key(opt), async () => {
            const r = await timeTrainSteps(async () => {
              const l = t.step();
              const v = (await l.data())[0];
              l.dispose();
              return v;
            }, w.warmup, w.reps);
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
    for (const n of MATMUL_SIZES) {
      const a = tf.tensor(hashUniform(n * n, MATMUL_SEEDS[0]), [n, n]);
      const b = tf.tensor(hashUniform(n * n, MATMUL_SEEDS[1]), [n, n]);
      const c = tf.matMul(a, b);
      report.checks[rowKey.matmul(n)] = sumSquares(await c.data());
      c.dispose();
      await watch.measure(rowKey.matmul(n), () =>
        timeOp(async () => {
          const c = tf.matMul(a, b);
          await sync();
          c.dispose();
        }),
      );
      a.dispose();
      b.dispose();
    }
  });

  for (const [i, l] of CONV_LAYERS.entries()) {
    await attempt(report, `conv layer ${i}`, async () => {
      const s = Number(l.opts.stride ?? 1), p = Number(l.opts.padding ?? 0);
      const [n, cin, h, w] = l.x;
      const [cout, , kh, kw] = l.w;
      const oh = Math.floor((h + 2 * p - kh) / s) + 1, ow = Math.floor((w + 2 * p - kw) / s) + 1;
      const [sx, sw, sdy] = convSeeds(i);
      const x = tf.tidy(() => tf.tensor(hashUniform(sizeOf(l.x), sx), l.x).transpose([0, 2, 3, 1])) as import('@tensorflow/tfjs').Tensor4D;
      const f = tf.tidy(() => tf.tensor(hashUniform(sizeOf(l.w), sw), l.w).transpose([2, 3, 1, 0])) as import('@tensorflow/tfjs').Tensor4D;
      const dy = tf.tidy(() => tf.tensor(hashUniform(n * cout * oh * ow, sdy), [n, cout, oh, ow]).transpose([0, 2, 3, 1])) as import('@tensorflow/tfjs').Tensor4D;
      const attrs = { strides: [s, s], pad: padNHWC(p), dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
      // The kernels tfjs's conv2d gradient runs (tf.grad of conv2d calls exactly these).
      const ops = {
        fwd: () => tf.conv2d(x, f, s, padNHWC(p)),
        dx: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: [n, h, w, cin] } as never) as Tensor,
        dw: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [kh, kw, cin, cout] } as never) as Tensor,
      };
      for (const [which, op] of Object.entries(ops) as ['fwd' | 'dx' | 'dw', () => Tensor][]) {
        const out = op();
        report.checks[rowKey.conv(i, which)] = sumSquares(await out.data());
        out.dispose();
        await watch.measure(rowKey.conv(i, which), () =>
          timeOp(async () => {
            const out = op();
            await sync();
            out.dispose();
          }),
        );
      }
      for (const t of [x, f, dy]) t.dispose();
    });
  }
  watch.done();
  const leaked = tf.memory().numTensors - tensorsBefore;
  if (leaked) report.notes.push(`${leaked} tensors left allocated after the suite`);
  return report;
}
